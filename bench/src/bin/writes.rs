//! Writes per second through the store's one writer: `N` tasks each making small writes as
//! fast as they are answered, every write acknowledged only after its commit.
//!
//! `writes sqlite://FILE|postgres://URL [SECONDS]`
//!
//! For each kind of write (an audit entry; a person file created with its household and its
//! audit entry, the unit of work a form save is) and each number of writers (1, 8, 64), it runs
//! for SECONDS (default 3) on a fresh area and prints `key value` lines: writes/s, and p50/p99
//! of the answer time. On SQLite it runs once with the writer committing one job per
//! transaction (`group1`) and once with group commit (`group64`), to show what grouping gives.
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use doorstep_bench::{Percentiles, ms};
use doorstep_core::{AreaKind, AreaPath, PersonFields, person::PersonInput};
use doorstep_store::{Actor, NewAudit, PersonUpsert, Store, audit_entry};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let Some(url) = args.get(1).cloned() else {
        bail!("usage: writes DB_URL [SECONDS]");
    };
    let secs: u64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(3);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(&url, Duration::from_secs(secs)))
}

async fn run(url: &str, length: Duration) -> anyhow::Result<()> {
    let groups: Vec<Option<usize>> = if url.starts_with("sqlite:") {
        vec![Some(1), Some(64)]
    } else {
        vec![None]
    };
    for group in groups {
        let store: Arc<dyn Store> = match group {
            Some(g) => {
                let s = doorstep_store_sqlite::connect_grouped(url, g).await?;
                s.migrate().await?;
                Arc::new(s)
            }
            None => doorstep_app::open_store(url).await?,
        };
        let tag = group.map_or("pg".to_string(), |g| format!("group{g}"));
        let root = format!("写入{}{tag}", std::process::id());
        let top = store.create_area(None, AreaKind::District, &root).await?;
        let street = store
            .create_area(Some(&top.path), AreaKind::Street, "街道")
            .await?;
        let community = store
            .create_area(Some(&street.path), AreaKind::Community, &tag)
            .await?;
        let building = store
            .create_area(Some(&community.path), AreaKind::Building, "1号楼")
            .await?;
        for writers in [1usize, 8, 64] {
            for kind in ["audit", "person"] {
                let (rate, p) = drive(
                    store.clone(),
                    kind,
                    writers,
                    length,
                    building.id,
                    &building.path,
                )
                .await?;
                println!("{tag}_{kind}_w{writers}_per_s {rate:.0}");
                println!("{tag}_{kind}_w{writers}_p50_ms {}", ms(p.p50));
                println!("{tag}_{kind}_w{writers}_p99_ms {}", ms(p.p99));
            }
        }
    }
    Ok(())
}

/// Next person number, across every run (documents must stay distinct).
static NEXT: AtomicU64 = AtomicU64::new(0);

async fn drive(
    store: Arc<dyn Store>,
    kind: &'static str,
    writers: usize,
    length: Duration,
    building: i64,
    path: &AreaPath,
) -> anyhow::Result<(f64, Percentiles)> {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let store = store.clone();
        let path = path.clone();
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while start.elapsed() < length {
                let t = Instant::now();
                match kind {
                    "audit" => store.audit(&entry("bench.write", &path)).await?,
                    _ => {
                        let n = NEXT.fetch_add(1, Ordering::Relaxed);
                        let row = person(n, building)?;
                        store
                            .upsert_persons(
                                &actor(),
                                &[row],
                                audit_entry(entry("person.create", &path)),
                            )
                            .await
                            .map(|_| ())?
                    }
                }
                times.push(t.elapsed());
            }
            anyhow::Ok(times)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let rate = all.len() as f64 / start.elapsed().as_secs_f64();
    Ok((rate, Percentiles::of(&mut all)))
}

fn entry(action: &str, path: &AreaPath) -> NewAudit {
    NewAudit {
        username: "bench".into(),
        action: action.into(),
        area_path: Some(path.to_string()),
        ..NewAudit::default()
    }
}

fn actor() -> Actor {
    Actor {
        name: "bench".into(),
        source: "form".into(),
        within: None,
    }
}

fn person(n: u64, building: i64) -> anyhow::Result<PersonUpsert> {
    let birth = time::macros::date!(1950 - 01 - 01) + time::Duration::days((n % 20_000) as i64);
    let id = doorstep_core::idnum::make_resident_id("410103", birth, (n / 20_000 % 1000) as u16);
    let fields = PersonFields::parse(
        &PersonInput {
            name: "写入".into(),
            id_number: id,
            ..PersonInput::default()
        },
        doorstep_app::today(),
    )
    .map_err(|p| anyhow::anyhow!("{p:?}"))?;
    Ok(PersonUpsert {
        area_id: building,
        room: format!("{}", n % 5000),
        address: format!("1号楼{}", n % 5000),
        fields,
    })
}
