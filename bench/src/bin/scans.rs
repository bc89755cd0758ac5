//! Sample scans through the shipped binary: over a registry already imported (bench/scans.sh
//! imports the messy 1,000,000-row roster), it opens a round of 10-in-1 pools for the
//! community, starts `doorstep serve` on the same database and drives
//! `POST /api/v1/rounds/{id}/scans` from `CONNS` kept-alive connections for `SECONDS`, one scan
//! per request, as samplers at many tables would: persons drawn at random from the whole
//! registry, each connection filling its own tubes (a new tube when the answer says the last
//! one closed), with 2% scans of someone sampled already (409 `already_sampled` expected) and
//! 2% resends of the connection's previous scan with the same `client_id` (200 and the same
//! answer expected). `GET /healthz` on the same connections first is the floor. Afterwards the
//! round's sampled count must equal the 201s: every acknowledged scan stored once.
//!
//! Usage: scans DB_URL DOORSTEP_BINARY [SECONDS] [CONNS] [FLOOR_SECONDS]
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use doorstep_bench::cpu::Cpu;
use doorstep_bench::http::{call, connect, healthz_floor, login};
use doorstep_bench::registry::Registry;
use doorstep_bench::rounds::{PASSWORD, SAMPLER, check_stored, open_round};
use doorstep_bench::{Percentiles, Rng, ms, scan_client_id};
use doorstep_core::AreaPath;
use doorstep_store::Store;

const COMMUNITY: &str = "二七区/京广路街道/祥云社区";

/// What one connection saw.
#[derive(Default)]
struct Seen {
    times: Vec<Duration>,
    created: u64,
    resent_ok: u64,
    refused: u64,
    unexpected: Vec<String>,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).context("DB_URL")?.clone();
    let binary = args.get(2).context("DOORSTEP_BINARY")?.clone();
    let seconds: f64 = args.get(3).map_or(Ok(60.0), |s| s.parse())?;
    let conns: usize = args.get(4).map_or(Ok(64), |s| s.parse())?;
    let floor_seconds: f64 = args.get(5).map_or(Ok(10.0), |s| s.parse())?;
    let store = doorstep_app::open_store(&url).await?;
    let store: &dyn Store = store.as_ref();
    let community = store
        .area_by_path(&AreaPath::parse(COMMUNITY).unwrap())
        .await?
        .context("the community (import a roster first)")?;

    // Every person's ID number, shuffled: the order samplers meet them in.
    let t = Instant::now();
    let ids = Registry::read(store, &community.path)
        .await?
        .shuffled_ids(20261201);
    println!(
        "registry: {} persons with a resident ID, read in {}",
        ids.len(),
        ms(t.elapsed())
    );

    let round_id = open_round(store, &community.path, "压测轮次").await?;

    let port = 18_500 + (std::process::id() % 1000) as u16;
    let addr = format!("127.0.0.1:{port}");
    let mut server = std::process::Command::new(&binary)
        .args(["--db", &url, "serve", "--addr", &addr])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let database = url.rsplit('/').next().unwrap_or("").to_string();
    let watch = Watch {
        server: server.id(),
        database,
    };
    let result = drive(&addr, round_id, ids, seconds, conns, floor_seconds, &watch).await;
    let _ = server.kill();
    let _ = server.wait();
    let created = result?;
    check_stored(store, round_id, created).await
}

/// Whose CPU time the run reports: the server's process and PostgreSQL's backends of its
/// database.
struct Watch {
    server: u32,
    database: String,
}

/// The floor, then the scans; answers the number of 201s.
async fn drive(
    addr: &str,
    round: i64,
    ids: Vec<String>,
    seconds: f64,
    conns: usize,
    floor_seconds: f64,
    watch: &Watch,
) -> Result<u64> {
    let mut first = connect(addr).await?;
    let token = Arc::new(login(&mut first, PASSWORD, SAMPLER).await?);
    // The floor: /healthz on the same number of connections.
    let (healthz, floor_rate) = healthz_floor(addr, conns, floor_seconds).await?;

    let ids = Arc::new(ids);
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let path = Arc::new(format!("/api/v1/rounds/{round}/scans"));
    let mut workers = Vec::new();
    for c in 0..conns {
        let (addr, stop, ids, next, token, path) = (
            addr.to_string(),
            stop.clone(),
            ids.clone(),
            next.clone(),
            token.clone(),
            path.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut s = connect(&addr).await?;
            let mut rng = Rng::new(c as u64 + 1);
            let mut seen = Seen::default();
            let (mut tube, mut tubes) = (format!("R{round}-B{c:03}-00000"), 0u32);
            let mut last: Option<(String, i64)> = None; // (body, the answer's scan_id)
            let mut mine: Vec<usize> = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let dice = rng.below(100);
                let resend = last.as_ref().filter(|_| dice < 2).map(|(b, _)| b.clone());
                let (body, expect) = if let Some(b) = resend {
                    (b, 200)
                } else if dice < 4 && !mine.is_empty() {
                    let who = &ids[mine[rng.below(mine.len() as u64) as usize]];
                    let body =
                        serde_json::json!({"client_id": scan_client_id(&mut rng), "tube": tube,
                        "person": {"id_number": who}})
                        .to_string();
                    (body, 409)
                } else {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(who) = ids.get(i) else { break };
                    mine.push(i);
                    let body =
                        serde_json::json!({"client_id": scan_client_id(&mut rng), "tube": tube,
                        "person": {"id_number": who}})
                        .to_string();
                    (body, 201)
                };
                let (st, text, t) = call(&mut s, "POST", &path, Some(&token), Some(&body)).await?;
                seen.times.push(t);
                match (st, expect) {
                    (201, 201) => {
                        seen.created += 1;
                        let v: serde_json::Value = serde_json::from_str(&text)?;
                        if v["tube"]["closed"] == true {
                            tubes += 1;
                            tube = format!("R{round}-B{c:03}-{tubes:05}");
                        }
                        last = Some((body, v["scan_id"].as_i64().unwrap_or(-1)));
                    }
                    (200, 200) => {
                        let v: serde_json::Value = serde_json::from_str(&text)?;
                        if last
                            .as_ref()
                            .is_some_and(|(_, id)| Some(*id) != v["scan_id"].as_i64())
                        {
                            seen.unexpected
                                .push(format!("resend answered another scan: {text}"));
                        }
                        seen.resent_ok += 1;
                    }
                    (409, 409) if text.contains("already_sampled") => seen.refused += 1,
                    _ => seen
                        .unexpected
                        .push(format!("{st} (expected {expect}): {text}")),
                }
            }
            Ok::<Seen, anyhow::Error>(seen)
        }));
    }
    let started = Instant::now();
    let cpu0 = Cpu::now(watch.server, &watch.database);
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    let cpu = Cpu::now(watch.server, &watch.database).since(&cpu0);
    stop.store(true, Ordering::Relaxed);
    let mut all = Seen::default();
    for w in workers {
        let s = w.await??;
        all.times.extend(s.times);
        all.created += s.created;
        all.resent_ok += s.resent_ok;
        all.refused += s.refused;
        all.unexpected.extend(s.unexpected);
    }
    let took = started.elapsed().as_secs_f64();
    let p = Percentiles::of(&mut all.times);
    let rate = p.n as f64 / took;
    println!("| what | rate /s | p50 ms | p99 ms | max ms | n |");
    println!("|---|---:|---:|---:|---:|---:|");
    println!("| `GET /healthz` (floor, {conns} connections) | {floor_rate:.0} | | | | {healthz} |");
    println!(
        "| scans (`POST /api/v1/rounds/{{id}}/scans`, {conns} connections) | {rate:.0} | {} | {} | {} | {} |",
        ms(p.p50),
        ms(p.p99),
        ms(p.max),
        p.n
    );
    println!(
        "answers: {} recorded (201), {} resends answered the first (200), {} already sampled (409), {} unexpected; scans / floor = {:.2}",
        all.created,
        all.resent_ok,
        all.refused,
        all.unexpected.len(),
        rate / floor_rate
    );
    let per = |secs: f64| 1e6 * secs / p.n.max(1) as f64;
    println!(
        "CPU over the scans ({:.1} core-seconds on {} cores): server {:.1} s ({:.0} µs a scan), generator {:.1} s ({:.0} µs), PostgreSQL backends {:.1} s ({:.0} µs) and background {:.1} s, machine busy {:.1} s ({:.0}%, others {:.1} s); load average at the end: {}",
        cpu.wall * cpu.cores as f64,
        cpu.cores,
        cpu.server,
        per(cpu.server),
        cpu.generator,
        per(cpu.generator),
        cpu.postgres,
        per(cpu.postgres),
        cpu.postgres_shared,
        cpu.busy,
        100.0 * cpu.busy / (cpu.wall * cpu.cores as f64),
        cpu.busy - cpu.server - cpu.generator - cpu.postgres - cpu.postgres_shared,
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    for u in all.unexpected.iter().take(5) {
        println!("unexpected: {u}");
    }
    if !all.unexpected.is_empty() {
        bail!("{} unexpected answers", all.unexpected.len());
    }
    Ok(all.created)
}
