//! Times person lookups against a loaded store: by ID number, and a name search (counting every
//! match, and counting at most 1,000 as the search page does), each next to a floor (a trivial
//! store call) measured in the same run.
//!
//! `lookup DB_URL ROSTER.csv [QUERIES]`
//!
//! Samples QUERIES (default 1000) rows of the roster the store was loaded from, uniformly at
//! random with a fixed seed, and takes their ID numbers and full names (so common names are
//! searched as often as they occur). Each kind of call is warmed up first, then timed one call
//! at a time, interleaved (floor, ID, name, capped name, floor, …) so that all three see the same machine
//! state. Prints one line per measurement, `key value`, for the driver script to collect.
#![forbid(unsafe_code)]

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use doorstep_bench::{Percentiles, Rng, ms};
use doorstep_core::{AreaPath, DocType};
use doorstep_store::{PageRequest, PersonQuery};

/// The community `bench/registry.sh` imports every roster into.
const COMMUNITY: &str = "二七区/京广路街道/祥云社区";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        bail!("usage: lookup DB_URL ROSTER.csv [QUERIES]");
    }
    let url = args[1].clone();
    let queries: usize = args
        .get(3)
        .map(|s| s.parse())
        .transpose()
        .context("QUERIES")?
        .unwrap_or(1000);
    let samples = sample_rows(&args[2], queries)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(&url, &samples))
}

/// (ID number, name) of `n` rows picked at random from the roster, leaving out the bad rows
/// `gen_roster` listed beside it (`ROSTER.csv.bad`), which the import rejected.
fn sample_rows(path: &str, n: usize) -> anyhow::Result<Vec<(String, String)>> {
    let bad: std::collections::HashSet<usize> = match std::fs::read_to_string(format!("{path}.bad"))
    {
        Ok(text) => text.lines().filter_map(|l| l.trim().parse().ok()).collect(),
        Err(_) => Default::default(),
    };
    let mut all: Vec<(String, String)> = Vec::new();
    for (i, line) in BufReader::new(File::open(path).with_context(|| format!("open {path}"))?)
        .lines()
        .enumerate()
    {
        let line = line?;
        if i == 0 || bad.contains(&i) {
            continue;
        }
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() < 3 {
            continue;
        }
        all.push((cells[2].to_string(), cells[0].to_string()));
    }
    if all.is_empty() {
        bail!("no rows in {path}");
    }
    let mut rng = Rng::new(0x0010_0C0F);
    Ok((0..n)
        .map(|_| all[rng.below(all.len() as u64) as usize].clone())
        .collect())
}

async fn run(url: &str, samples: &[(String, String)]) -> anyhow::Result<()> {
    let t = Instant::now();
    let store = doorstep_app::open_store(url).await?;
    println!("backend {}", store.backend());
    println!("open_ms {}", ms(t.elapsed()));
    let persons = store.max_person_id().await?;
    println!("max_person_id {persons}");

    // The search page asks within the user's area: here the community everything was imported into.
    let community = AreaPath::parse(COMMUNITY).map_err(|p| anyhow::anyhow!("{p}"))?;
    let search_in = |name: &str, area: Option<&AreaPath>| PersonQuery {
        text: Some(name.to_string()),
        area: area.cloned(),
        page: PageRequest {
            offset: 0,
            limit: 20,
        },
        count_cap: Some(1000),
        exact_numbers: false,
    };
    let search = |name: &str, count_cap: Option<u32>| PersonQuery {
        text: Some(name.to_string()),
        area: None,
        page: PageRequest {
            offset: 0,
            limit: 20,
        },
        count_cap,
        exact_numbers: false,
    };
    // Warm-up: caches and connections, the same number of calls as are timed, on other samples
    // (shifted by one) so the timed calls do not read rows just read for them.
    let warm = samples.len();
    for i in 0..warm {
        let (id, name) = &samples[(i + 1) % samples.len()];
        store.area_by_id(1).await?;
        store.person_by_document(DocType::ResidentId, id).await?;
        store.search_persons(&search(name, None)).await?;
        store.search_persons(&search(name, Some(1000))).await?;
        store
            .search_persons(&search_in(name, Some(&community)))
            .await?;
    }

    let (mut floor, mut by_id, mut by_name, mut by_name_capped, mut by_name_in_area) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut found, mut hits_total, mut hits_max) = (0usize, 0i64, 0i64);
    for (id, name) in samples {
        let t = Instant::now();
        let a = store.area_by_id(1).await?;
        floor.push(t.elapsed());
        if a.is_none() {
            bail!("area 1 missing");
        }

        let t = Instant::now();
        let p = store.person_by_document(DocType::ResidentId, id).await?;
        by_id.push(t.elapsed());
        match p {
            Some(p) if p.fields.doc().number() == id => found += 1,
            _ => bail!("person {id} not found"),
        }

        let t = Instant::now();
        let page = store.search_persons(&search(name, None)).await?;
        by_name.push(t.elapsed());

        // As the search page asks: count at most 1,000 matches ("1000+").
        let t = Instant::now();
        let capped = store.search_persons(&search(name, Some(1000))).await?;
        by_name_capped.push(t.elapsed());
        if capped.items != page.items {
            bail!("capped search for {name} returned other rows");
        }

        let t = Instant::now();
        let scoped = store
            .search_persons(&search_in(name, Some(&community)))
            .await?;
        by_name_in_area.push(t.elapsed());
        if scoped.items != page.items {
            bail!("search for {name} in {COMMUNITY} returned other rows");
        }
        if page.total == 0 {
            bail!("name {name} not found");
        }
        hits_total += page.total;
        hits_max = hits_max.max(page.total);
    }

    println!("queries {}", samples.len());
    println!("id_found {found}");
    println!(
        "name_hits_mean {:.1}",
        hits_total as f64 / samples.len() as f64
    );
    println!("name_hits_max {hits_max}");
    for (key, v) in [
        ("floor", &mut floor),
        ("by_id", &mut by_id),
        ("by_name", &mut by_name),
        ("by_name_capped", &mut by_name_capped),
        ("by_name_in_area", &mut by_name_in_area),
    ] {
        let p = Percentiles::of(v);
        println!("{key}_p50_ms {}", ms(p.p50));
        println!("{key}_p95_ms {}", ms(p.p95));
        println!("{key}_p99_ms {}", ms(p.p99));
        println!("{key}_max_ms {}", ms(p.max));
        println!("{key}_mean_ms {}", ms(p.mean));
    }
    let total: Duration = floor
        .iter()
        .chain(&by_id)
        .chain(&by_name)
        .chain(&by_name_capped)
        .chain(&by_name_in_area)
        .sum();
    println!("timed_s {:.3}", total.as_secs_f64());
    Ok(())
}
