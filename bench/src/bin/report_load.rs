//! Load on the public self-report endpoint: the whole demo community (≈4,800 households,
//! 12,500 persons) reporting through one QR link, against the real server on a loopback port
//! with a fresh SQLite file. Measures household reports per second and latency percentiles,
//! with `GET /healthz` at the same concurrency as the floor (what the HTTP stack alone costs).
//!
//! `cargo run --release -p doorstep-bench --bin report_load -- [CONNECTIONS] [ROUNDS] [OVERLOAD_RATE] [SECONDS]`
//!
//! With `OVERLOAD_RATE` (reports per second, e.g. twice what the closed-loop rounds sustained) it
//! then sends reports open-loop at that rate for `SECONDS` (default 10) against a server with the
//! default cap on writes in flight (rate limits off, as every request comes from one address), and
//! checks that every acknowledged report (201) is stored under its receipt, that nothing else was
//! stored, and that what was refused was refused fast (503 + Retry-After).
//!
//! The client is a minimal HTTP/1.1 keep-alive loop over raw TCP so it costs the server's
//! cores as little as possible; it runs in the same process (on the same cores) as the server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use doorstep_bench::households::{COMMUNITY, household_bodies, stored_reports};
use doorstep_bench::http::read_response as read_head_and_body;
use doorstep_core::AreaPath;
use doorstep_store::Store;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let conns: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(64);
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    let overload: Option<f64> = args.get(3).and_then(|a| a.parse().ok());
    let seconds: f64 = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(10.0);
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
        doorstep_store::no_audit(),
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
    let stored = stored_reports(store.as_ref()).await?;
    println!(
        "reports stored: {stored} (expected {})",
        bodies.len() * rounds
    );
    if let Some(rate) = overload {
        overload_run(store.clone(), &link, &bodies, rate, seconds, stored).await?;
    }
    Ok(())
}

/// Open-loop overload: `rate` reports per second for `seconds`, whatever the answers, against
/// a server with the default write cap; then every acknowledged receipt is looked up.
async fn overload_run(
    store: Arc<dyn Store>,
    link: &doorstep_store::ReportLink,
    bodies: &[serde_json::Value],
    rate: f64,
    seconds: f64,
    before: i64,
) -> Result<()> {
    let limits = doorstep_web::PublicLimits {
        max_in_flight: doorstep_web::PublicLimits::default().max_in_flight,
        ..doorstep_web::PublicLimits::unlimited()
    };
    let app = doorstep_web::router_with_limits(store.clone(), limits);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    let total = (rate * seconds) as usize;
    let idle: Arc<std::sync::Mutex<Vec<TcpStream>>> = Arc::default();
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        // The time this request is due: latency counts from then, not from when it was sent.
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let mut b = bodies[i % bodies.len()].clone();
        b["idempotency_key"] = json!(format!("over-{i}"));
        let req = format!(
            "POST /api/v1/public/reports/{} HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{}",
            link.token,
            b.to_string().len(),
            b
        );
        let idle = idle.clone();
        tasks.push(tokio::spawn(async move {
            let pooled = idle.lock().unwrap().pop();
            let mut stream = match pooled {
                Some(s) => s,
                None => {
                    let s = TcpStream::connect(addr).await?;
                    s.set_nodelay(true)?;
                    s
                }
            };
            let mut buf = Vec::with_capacity(4096);
            stream.write_all(req.as_bytes()).await?;
            let (status, body) = read_full_response(&mut stream, &mut buf).await?;
            let latency = due.elapsed();
            idle.lock().unwrap().push(stream);
            anyhow::Ok((status, body, latency))
        }));
    }
    let sent_in = start.elapsed();
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let mut acked: Vec<String> = Vec::new();
    let mut lat_ok = Vec::new();
    let mut lat_shed = Vec::new();
    let mut failed = 0usize;
    for t in tasks {
        match t.await.context("client task")? {
            Ok((status, body, latency)) => {
                *statuses.entry(status).or_insert(0) += 1;
                if status == 201 || status == 200 {
                    let v: serde_json::Value = serde_json::from_slice(&body)?;
                    acked.push(v["receipt"].as_str().context("receipt")?.to_string());
                    lat_ok.push(latency);
                } else {
                    lat_shed.push(latency);
                }
            }
            Err(_) => failed += 1,
        }
    }
    let elapsed = start.elapsed();
    lat_ok.sort();
    lat_shed.sort();
    let pct = |v: &[Duration], p: f64| {
        let i = ((v.len() as f64 * p).ceil() as usize).saturating_sub(1);
        v.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "overload: {total} reports offered at {rate:.0}/s over {:.2} s (sent in {:.2} s); statuses {statuses:?}; client errors {failed}",
        elapsed.as_secs_f64(),
        sent_in.as_secs_f64()
    );
    println!(
        "  acknowledged {} = {:.0}/s; their latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; refused p50 {:.1} ms, p99 {:.1} ms",
        acked.len(),
        acked.len() as f64 / elapsed.as_secs_f64(),
        pct(&lat_ok, 0.5),
        pct(&lat_ok, 0.99),
        pct(&lat_ok, 1.0),
        pct(&lat_shed, 0.5),
        pct(&lat_shed, 0.99),
    );
    let mut missing = 0;
    for r in &acked {
        if store.report_by_receipt(link.id, r).await?.is_none() {
            missing += 1;
        }
    }
    let after = stored_reports(store.as_ref()).await?;
    println!(
        "  stored by the run: {} (acknowledged {}); acknowledged but not found by receipt: {missing}",
        after - before,
        acked.len()
    );
    if missing > 0 || after - before != acked.len() as i64 {
        bail!("acknowledged writes and stored reports differ");
    }
    Ok(())
}

/// Reads one response and returns its status and body.
async fn read_full_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<(u16, Vec<u8>)> {
    let (status, start) = read_head_and_body(stream, buf).await?;
    Ok((status, buf[start..].to_vec()))
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
    Ok(read_head_and_body(stream, buf).await?.0)
}
