//! Staff and tasks at district scale, through the shipped binary: over a registry already
//! imported (bench/tasks.sh imports a messy 1,000,000-person roster), it adds 5,000 staff, a
//! building captain for every building and a grid worker and volunteer for every compound,
//! and 200,000 open tasks spread over the households; then it starts `doorstep serve` on the
//! same database and times over HTTP, against the server's /healthz: a grid worker's
//! "my tasks", the community's board (one page and its count), and routing a bulk of 10,000
//! new tasks. Results go to docs/performance.md.
//!
//! Usage: tasks DB_URL DOORSTEP_BINARY [STAFF] [TASKS] [BULK]
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use doorstep_app::users::{By, create_user};
use doorstep_bench::http::{call, login as login_as};
use doorstep_bench::{Percentiles, Rng, ms};
use doorstep_core::staff::{StaffFields, StaffKind};
use doorstep_core::{AreaKind, AreaPath, Duty, Phone, Priority, Role, Target, TaskKind};
use doorstep_store::{NewTask, PageRequest, StaffChange, Store, no_audit};
use tokio::net::TcpStream;

const COMMUNITY: &str = "二七区/京广路街道/祥云社区";
const PASSWORD: &str = "bench-password-1";

/// Times `runs` requests; fails on any status other than 200.
async fn timed(
    stream: &mut TcpStream,
    path: &str,
    token: Option<&str>,
    runs: usize,
) -> Result<(Percentiles, String)> {
    let mut times = Vec::with_capacity(runs);
    let mut last = String::new();
    for _ in 0..runs {
        let (status, body, t) = call(stream, "GET", path, token, None).await?;
        if status != 200 {
            bail!("{path}: {status} {body}");
        }
        times.push(t);
        last = body;
    }
    Ok((Percentiles::of(&mut times), last))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).context("DB_URL")?.clone();
    let binary = args.get(2).context("DOORSTEP_BINARY")?.clone();
    let n_staff: usize = args.get(3).map_or(Ok(5_000), |s| s.parse())?;
    let n_tasks: usize = args.get(4).map_or(Ok(200_000), |s| s.parse())?;
    let n_bulk: usize = args.get(5).map_or(Ok(10_000), |s| s.parse())?;
    let store = doorstep_app::open_store(&url).await?;
    let store: &dyn Store = store.as_ref();
    let community = store
        .area_by_path(&AreaPath::parse(COMMUNITY).unwrap())
        .await?
        .context("the community (import a roster first)")?;
    let mut rng = Rng::new(20261201);

    // Households and buildings as the registry holds them.
    let t = Instant::now();
    let mut households: Vec<(i64, AreaPath)> = Vec::new();
    loop {
        let page = store
            .households(
                &community.path,
                None,
                PageRequest {
                    offset: households.len() as u32,
                    limit: 10_000,
                },
            )
            .await?;
        let n = page.items.len();
        households.extend(page.items.into_iter().map(|h| (h.id, h.area_path)));
        if n < 10_000 {
            break;
        }
    }
    let buildings = store
        .areas_of_kind(&community.path, AreaKind::Building)
        .await?;
    let compounds = store
        .areas_of_kind(&community.path, AreaKind::Compound)
        .await?;
    println!(
        "registry: {} households, {} buildings, {} compounds (read in {})",
        households.len(),
        buildings.len(),
        compounds.len(),
        ms(t.elapsed())
    );

    // Staff: one import per thousand, phones 139 + 8 digits.
    let t = Instant::now();
    let kinds = StaffKind::ALL;
    let rows: Vec<StaffFields> = (0..n_staff)
        .map(|i| StaffFields {
            name: format!("工作人员{i}"),
            phone: Phone::parse(&format!("139{:08}", i)).unwrap(),
            kind: kinds[i % kinds.len()],
            skills: Vec::new(),
            availability: String::new(),
            notes: String::new(),
        })
        .collect();
    for chunk in rows.chunks(1000) {
        store
            .import_staff(community.id, None, chunk, no_audit())
            .await?;
    }
    let mut staff_ids = Vec::with_capacity(n_staff);
    for r in &rows {
        staff_ids.push(store.staff_by_phone(r.phone.as_str()).await?.unwrap().id);
    }
    // A captain for every building (round robin), a grid worker and volunteer per compound.
    let mut captain: HashMap<String, i64> = HashMap::new();
    for (i, b) in buildings.iter().enumerate() {
        let s = staff_ids[i % n_staff];
        store
            .assign_duty(s, b.id, Duty::BuildingCaptain, "bench", no_audit())
            .await?;
        captain.insert(b.path.to_string(), s);
    }
    for (i, c) in compounds.iter().enumerate() {
        for (d, k) in [(Duty::GridWorker, 1), (Duty::Volunteer, 2)] {
            let s = staff_ids[(buildings.len() + 2 * i + k) % n_staff];
            store.assign_duty(s, c.id, d, "bench", no_audit()).await?;
        }
    }
    println!("staff: {n_staff} and their duties in {}", ms(t.elapsed()));

    // The accounts: the community's admin, and a grid worker linked to the first staff record
    // (the captain of the first building).
    let own = create_user(
        store,
        By::Cli,
        "bench-admin",
        Role::CommunityAdmin,
        &community.path,
        PASSWORD,
    )
    .await;
    let worker = create_user(
        store,
        By::Cli,
        "bench-worker",
        Role::GridWorker,
        &community.path,
        PASSWORD,
    )
    .await;
    if let (Ok(_), Ok(w)) = (own, worker) {
        let first = store.staff_member(staff_ids[0]).await?.unwrap();
        store
            .update_staff(
                first.id,
                &StaffChange {
                    fields: first.fields.clone(),
                    active: true,
                    user_id: Some(w.id),
                },
                no_audit(),
            )
            .await?;
    }

    // Open tasks over random households, each to its building's captain, due within ±2 days.
    let t = Instant::now();
    let now = time::OffsetDateTime::now_utc();
    let building_of = |path: &AreaPath| -> Option<i64> {
        let mut p = Some(path.clone());
        while let Some(x) = p {
            if let Some(s) = captain.get(x.as_str()) {
                return Some(*s);
            }
            p = x.parent();
        }
        None
    };
    let mut made = 0;
    while made < n_tasks {
        let batch: Vec<NewTask> = (0..5_000.min(n_tasks - made))
            .map(|j| {
                let (hid, path) = &households[rng.below(households.len() as u64) as usize];
                let kind = TaskKind::ALL[rng.below(TaskKind::ALL.len() as u64) as usize];
                NewTask {
                    kind,
                    target: Target::Household(*hid),
                    area_id: 0,
                    area_path: path.clone(),
                    room: String::new(),
                    label: String::new(),
                    note: String::new(),
                    assignee_id: building_of(path),
                    due_at: Some(now + time::Duration::hours(rng.below(96) as i64 - 48)),
                    priority: Priority::Normal,
                    source: "bench".into(),
                    source_key: Some((made + j).to_string()),
                }
            })
            .collect();
        // Place each on its household's area, as the use case does.
        let ids: Vec<i64> = batch.iter().map(|t| t.target.id()).collect();
        let found: HashMap<i64, _> = store
            .households_by_ids(&ids)
            .await?
            .into_iter()
            .map(|h| (h.id, h))
            .collect();
        let mut placed = Vec::with_capacity(batch.len());
        for mut t in batch {
            let h = &found[&t.target.id()];
            t.area_id = h.area_id;
            t.area_path = h.area_path.clone();
            t.room = h.room.clone();
            t.label = h.address.clone();
            placed.push(t);
        }
        store.create_tasks(&placed, "bench", no_audit()).await?;
        made += placed.len();
    }
    println!("tasks: {n_tasks} open in {}", ms(t.elapsed()));
    if url.starts_with("postgres") {
        // 200,000 tasks written a minute ago would have been vacuumed and analysed by
        // autovacuum in a deployment that gathered them over days; without it, the planner
        // has no statistics for the new table and every index-only read visits the heap.
        let t = Instant::now();
        let ok = std::process::Command::new("psql")
            .args([url.as_str(), "-qc", "VACUUM ANALYZE tasks"])
            .status()?
            .success();
        if !ok {
            bail!("VACUUM ANALYZE failed");
        }
        println!("VACUUM ANALYZE tasks (PostgreSQL) in {}", ms(t.elapsed()));
    }

    // The server, as deployed, on the same database.
    let port = 18_000 + (std::process::id() % 1000) as u16;
    let addr = format!("127.0.0.1:{port}");
    let mut server = std::process::Command::new(&binary)
        .args(["--db", &url, "serve", "--addr", &addr])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let result = async {
        let mut stream = loop {
            if let Ok(s) = TcpStream::connect(&addr).await {
                break s;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let (floor, _) = timed(&mut stream, "/healthz", None, 500).await?;
        let admin = login_as(&mut stream, PASSWORD, "bench-admin").await?;
        let worker = login_as(&mut stream, PASSWORD, "bench-worker").await?;
        let (mine, body) = timed(&mut stream, "/api/v1/tasks?mine=true", Some(&worker), 100).await?;
        let mine_n = serde_json::from_str::<serde_json::Value>(&body)?["total"].clone();
        let (board, body) = timed(
            &mut stream,
            "/api/v1/tasks?status=open,in_progress&per_page=50",
            Some(&admin),
            50,
        )
        .await?;
        let board_n = serde_json::from_str::<serde_json::Value>(&body)?["total"].clone();
        let mut bulk_times = Vec::new();
        for round in 0..3 {
            let targets: Vec<serde_json::Value> = (0..n_bulk)
                .map(|_| {
                    let (hid, _) = &households[rng.below(households.len() as u64) as usize];
                    serde_json::json!({"type": "household", "id": hid})
                })
                .collect();
            let body = serde_json::json!({"idempotency_key": format!("bench-{round}-{}", std::process::id()),
                                          "kind": "door_knock", "targets": targets})
            .to_string();
            let (status, text, t) =
                call(&mut stream, "POST", "/api/v1/tasks/bulk", Some(&admin), Some(&body)).await?;
            if status != 201 {
                bail!("bulk: {status} {}", &text[..text.len().min(300)]);
            }
            bulk_times.push(t);
        }
        println!("| what | p50 | p99 | n |");
        println!("|---|---:|---:|---|");
        println!("| `GET /healthz` (floor) | {} | {} | 500 |", ms(floor.p50), ms(floor.p99));
        println!("| my tasks (`GET /api/v1/tasks?mine=true`, {mine_n} tasks) | {} | {} | 100 |", ms(mine.p50), ms(mine.p99));
        println!("| the community's board, one page of 50 and the count ({board_n} open) | {} | {} | 50 |", ms(board.p50), ms(board.p99));
        println!(
            "| routing a bulk of {n_bulk} new tasks (`POST /api/v1/tasks/bulk`) | {} | max {} | 3 |",
            ms(bulk_times[1]),
            ms(*bulk_times.iter().max().unwrap())
        );
        Ok::<(), anyhow::Error>(())
    }
    .await;
    server.kill().ok();
    server.wait().ok();
    result
}
