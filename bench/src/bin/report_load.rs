//! Load on the public self-report endpoint: the whole demo community (≈4,800 households,
//! 12,500 persons) reporting through one QR link, against the real server on a loopback port
//! with a fresh SQLite file. Measures household reports per second and latency percentiles,
//! with `GET /healthz` at the same concurrency as the floor (what the HTTP stack alone costs).
//!
//! `cargo run --release -p doorstep-bench --bin report_load -- [CONNECTIONS] [ROUNDS]`
//!
//! The client is a minimal HTTP/1.1 keep-alive loop over raw TCP so it costs the server's
//! cores as little as possible; it runs in the same process (on the same cores) as the server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use doorstep_core::AreaPath;
use doorstep_store::Store;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const COMMUNITY: &str = "二七区/京广路街道/祥云社区";

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let conns: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(64);
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = doorstep_app::open_store(&url).await?;
    eprintln!("loading the demo community…");
    doorstep_app::demo::load(store.as_ref()).await?;
    let area = AreaPath::parse(COMMUNITY)?;
    let link = doorstep_app::reports::create_link(
        store.as_ref(),
        &area,
        doorstep_app::reports::Purpose::HomeQuarantine,
        None,
        vec![],
        "bench",
    )
    .await?;
    let bodies = household_bodies(store.as_ref(), &area).await?;
    eprintln!("{} households", bodies.len());

    // The server, with limits that do not bite: this measures capacity, not the rate limits.
    let app =
        doorstep_web::router_with_limits(store.clone(), doorstep_web::PublicLimits::unlimited());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });

    let health: Vec<(String, String)> = (0..bodies.len())
        .map(|_| ("GET /healthz".to_string(), String::new()))
        .collect();
    let floor = run(addr, conns, &health).await?;
    print("GET /healthz (floor)", &floor);

    for round in 0..rounds {
        let reqs: Vec<(String, String)> = bodies
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let mut b = b.clone();
                b["idempotency_key"] = json!(format!("bench-{round}-{i}"));
                (
                    format!("POST /api/v1/public/reports/{}", link.token),
                    b.to_string(),
                )
            })
            .collect();
        let stats = run(addr, conns, &reqs).await?;
        print(
            &format!("POST household report (round {})", round + 1),
            &stats,
        );
    }
    let stored = store
        .reports(&doorstep_store::ReportQuery {
            area: None,
            status: None,
            page: doorstep_store::PageRequest {
                offset: 0,
                limit: 1,
            },
        })
        .await?
        .total;
    println!(
        "reports stored: {stored} (expected {})",
        bodies.len() * rounds
    );
    Ok(())
}

/// One JSON report per household of the area, from the registry.
async fn household_bodies(store: &dyn Store, area: &AreaPath) -> Result<Vec<serde_json::Value>> {
    let mut by_household: BTreeMap<i64, serde_json::Value> = BTreeMap::new();
    let mut after = 0;
    loop {
        let page = store.persons_after(area, after, 5000).await?;
        let Some(last) = page.last() else { break };
        after = last.person.id;
        for p in page {
            let f = &p.person.fields;
            let entry = by_household.entry(p.person.household_id).or_insert_with(|| {
                json!({
                    "address": {"compound": p.compound, "building": p.building, "unit": p.unit, "room": p.room},
                    "members": [],
                    "answers": {"notified_by": "社区", "date": "2022-10-20", "temperature": "36.5"}
                })
            });
            if let Some(m) = entry["members"].as_array_mut() {
                m.push(json!({"name": f.name(), "id_type": f.doc().doc_type().code(),
                    "id_number": f.doc().number(), "phone": f.phone().map(|p| p.as_str()), "relation": f.relation()}));
            }
        }
    }
    Ok(by_household.into_values().collect())
}

/// What a run measured.
struct Stats {
    n: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    statuses: BTreeMap<u16, usize>,
}

fn print(what: &str, s: &Stats) {
    let pct = |p: f64| {
        let i = ((s.latencies.len() as f64 * p).ceil() as usize).saturating_sub(1);
        s.latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{what}: {} requests in {:.2} s = {:.0}/s; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; statuses {:?}",
        s.n,
        s.elapsed.as_secs_f64(),
        s.n as f64 / s.elapsed.as_secs_f64(),
        pct(0.5),
        pct(0.99),
        pct(1.0),
        s.statuses
    );
}

/// Sends every request over `conns` keep-alive connections, each taking the next request.
async fn run(addr: std::net::SocketAddr, conns: usize, reqs: &[(String, String)]) -> Result<Stats> {
    let reqs = Arc::new(reqs.to_vec());
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let reqs = reqs.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut out: Vec<(Duration, u16)> = Vec::new();
            let mut stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let mut buf = Vec::with_capacity(16 << 10);
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((line, body)) = reqs.get(i) else { break };
                let head = format!(
                    "{line} HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                let t = Instant::now();
                stream.write_all(head.as_bytes()).await?;
                stream.write_all(body.as_bytes()).await?;
                let status = read_response(&mut stream, &mut buf).await?;
                out.push((t.elapsed(), status));
            }
            anyhow::Ok(out)
        }));
    }
    let mut latencies = Vec::new();
    let mut statuses = BTreeMap::new();
    for t in tasks {
        for (d, s) in t.await.context("client task")?? {
            latencies.push(d);
            *statuses.entry(s).or_insert(0) += 1;
        }
    }
    let elapsed = start.elapsed();
    latencies.sort();
    Ok(Stats {
        n: latencies.len(),
        elapsed,
        latencies,
        statuses,
    })
}

/// Reads one response (status line, headers, `content-length` body); returns the status.
async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<u16> {
    buf.clear();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("connection closed");
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("status line")?;
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < header_end + len {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("connection closed in body");
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(status)
}
