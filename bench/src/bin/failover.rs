//! Sample scans through a PostgreSQL failover (bench/failover.sh): over a registry already
//! imported, it opens a round, starts `doorstep serve` on `DB_URL` (a multi-host URL with
//! `target_session_attrs=read-write`), drives scans from `CONNS` kept-alive connections for
//! `SECONDS`, and `KILL_AFTER` seconds in runs `KILL_CMD` (the script's: kill the primary).
//! A sampler whose scan is answered 503 sends the same scan again (same `client_id`) after a
//! short pause, as the app's scanner does; anything else but 201/200/409 is an error, and so is
//! a request left unanswered for 15 s (a hang). Afterwards every acknowledged scan is sent
//! again and must answer 200 with the same scan id (a 201 would mean the first was lost), and
//! the round's sampled count must equal the scans acknowledged.
//!
//! Usage: failover DB_URL DOORSTEP_BINARY PORT SECONDS CONNS KILL_AFTER KILL_CMD
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use doorstep_bench::http::{call, connect, login};
use doorstep_bench::rounds::{PASSWORD, SAMPLER, check_stored, open_round};
use doorstep_bench::{Rng, scan_client_id};
use doorstep_core::AreaPath;
use doorstep_store::Store;

const COMMUNITY: &str = "二七区/京广路街道/祥云社区";
const HANG: Duration = Duration::from_secs(15);

/// One answer: when (since the start), the status (0: no answer within [`HANG`] or the
/// connection failed), how long it took.
type Answer = (Duration, u16, Duration);

#[derive(Default)]
struct Seen {
    answers: Vec<Answer>,
    /// (body, scan id) of every scan answered 201 or 200.
    acked: Vec<(String, i64)>,
    unexpected: Vec<String>,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, what: &str| args.get(i).cloned().context(what.to_string());
    let url = arg(1, "DB_URL")?;
    let binary = arg(2, "DOORSTEP_BINARY")?;
    let port: u16 = arg(3, "PORT")?.parse()?;
    let seconds: f64 = arg(4, "SECONDS")?.parse()?;
    let conns: usize = arg(5, "CONNS")?.parse()?;
    let kill_after: f64 = arg(6, "KILL_AFTER")?.parse()?;
    let kill_cmd = arg(7, "KILL_CMD")?;

    let store = doorstep_app::open_store(&url).await?;
    let store: &dyn Store = store.as_ref();
    let community = store
        .area_by_path(&AreaPath::parse(COMMUNITY).unwrap())
        .await?
        .context("the community (import a roster first)")?;
    let ids = doorstep_bench::registry::Registry::read(store, &community.path)
        .await?
        .shuffled_ids(20261201);
    let round_id = open_round(store, &community.path, "切换测试").await?;

    let addr = format!("127.0.0.1:{port}");
    let mut server = std::process::Command::new(&binary)
        .args(["--db", &url, "serve", "--addr", &addr])
        .stdout(std::process::Stdio::null())
        .spawn()?;
    let result = drive(&addr, round_id, ids, seconds, conns, kill_after, &kill_cmd).await;
    let outcome = match result {
        Ok(all) => check(&addr, &format!("/api/v1/rounds/{}/scans", round_id), all).await,
        Err(e) => Err(e),
    };
    let _ = server.kill();
    let _ = server.wait();
    let acked = outcome?;
    // The round's count, read through the store on whichever server is the primary now.
    check_stored(store, round_id, acked as u64).await
}

/// Runs the samplers and the kill; answers what each sampler saw.
async fn drive(
    addr: &str,
    round: i64,
    ids: Vec<String>,
    seconds: f64,
    conns: usize,
    kill_after: f64,
    kill_cmd: &str,
) -> Result<Vec<Seen>> {
    let mut first = connect(addr).await?;
    let token = Arc::new(login(&mut first, PASSWORD, SAMPLER).await?);
    let ids = Arc::new(ids);
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let path = Arc::new(format!("/api/v1/rounds/{round}/scans"));
    let start = Instant::now();
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
            let mut seen = Seen::default();
            let mut rng = Rng::new(c as u64 + 1);
            let mut tubes = 0u32;
            let tube = |t: u32| format!("F{round}-C{c:02}-{t:05}");
            let mut pending: Option<String> = None;
            while !stop.load(Ordering::Relaxed) {
                let body = match pending.take() {
                    Some(b) => b,
                    None => {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(who) = ids.get(i) else { break };
                        serde_json::json!({"client_id": scan_client_id(&mut rng), "tube": tube(tubes),
                            "person": {"id_number": who}})
                        .to_string()
                    }
                };
                let at = start.elapsed();
                let answer = tokio::time::timeout(
                    HANG,
                    call(&mut s, "POST", &path, Some(&token), Some(&body)),
                )
                .await;
                let (st, text, t) = match answer {
                    Ok(Ok(a)) => a,
                    Ok(Err(_)) | Err(_) => {
                        seen.answers.push((at, 0, HANG));
                        seen.unexpected
                            .push(format!("no answer at {:.1} s", at.as_secs_f64()));
                        s = connect(&addr).await?;
                        pending = Some(body);
                        continue;
                    }
                };
                seen.answers.push((at, st, t));
                match st {
                    201 | 200 => {
                        let v: serde_json::Value = serde_json::from_str(&text)?;
                        if v["tube"]["closed"] == true {
                            tubes += 1;
                        }
                        seen.acked
                            .push((body, v["scan_id"].as_i64().context("scan_id")?));
                    }
                    // The tube is full or closed: the scan goes into a new one.
                    409 => tubes += 1,
                    503 => {
                        pending = Some(body);
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    _ => seen
                        .unexpected
                        .push(format!("{st} at {:.1} s: {text}", at.as_secs_f64())),
                }
            }
            Ok::<Seen, anyhow::Error>(seen)
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(kill_after)).await;
    let killed_at = start.elapsed();
    let cmd = kill_cmd.to_string();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("sh").args(["-c", &cmd]).output()
    })
    .await??;
    println!(
        "primary killed at {:.1} s ({})",
        killed_at.as_secs_f64(),
        if out.status.success() {
            "ok"
        } else {
            "kill command failed"
        }
    );
    tokio::time::sleep(Duration::from_secs_f64((seconds - kill_after).max(0.0))).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for w in workers {
        all.push(w.await??);
    }
    // What the run saw, second by second around the kill.
    let mut answers: Vec<Answer> = all.iter().flat_map(|s| s.answers.iter().copied()).collect();
    answers.sort_by_key(|a| a.0);
    let secs = seconds.ceil() as usize + 1;
    println!("second | 2xx | 409 | 503 | other | no answer | slowest ms");
    for sec in 0..secs {
        let here: Vec<&Answer> = answers
            .iter()
            .filter(|a| a.0.as_secs() as usize == sec)
            .collect();
        let count = |f: &dyn Fn(u16) -> bool| here.iter().filter(|a| f(a.1)).count();
        let slowest = here.iter().map(|a| a.2).max().unwrap_or_default();
        println!(
            "{sec:>6} | {:>3} | {:>3} | {:>3} | {:>5} | {:>9} | {}",
            count(&|s| s == 200 || s == 201),
            count(&|s| s == 409),
            count(&|s| s == 503),
            count(&|s| s != 0 && s != 200 && s != 201 && s != 409 && s != 503),
            count(&|s| s == 0),
            slowest.as_millis()
        );
    }
    let first_503 = answers.iter().find(|a| a.1 == 503).map(|a| a.0);
    // The last 503's answer, not its start: the window ends when the answers are good again.
    let last_503 = answers
        .iter()
        .filter(|a| a.1 == 503)
        .map(|a| a.0 + a.2)
        .max();
    let first_ok_after = answers
        .iter()
        .filter(|a| a.0 > killed_at && (a.1 == 200 || a.1 == 201))
        .filter(|a| last_503.is_none_or(|l| a.0 >= l))
        .map(|a| a.0)
        .next();
    match (first_503, last_503) {
        (Some(f), Some(l)) => println!(
            "503 from {:.1} s to {:.1} s: {:.1} s of 503; first 2xx after it at {:.1} s ({:.1} s after the kill)",
            f.as_secs_f64(),
            l.as_secs_f64(),
            (l - f).as_secs_f64(),
            first_ok_after.map_or(f64::NAN, |t| t.as_secs_f64()),
            first_ok_after.map_or(f64::NAN, |t| (t - killed_at).as_secs_f64()),
        ),
        _ => println!("no 503 answered"),
    }
    let slowest = answers.iter().map(|a| a.2).max().unwrap_or_default();
    let acked: usize = all.iter().map(|s| s.acked.len()).sum();
    let unexpected: Vec<&String> = all.iter().flat_map(|s| s.unexpected.iter()).collect();
    println!(
        "answers: {}; scans acknowledged: {acked}; slowest answer {} ms; unexpected: {}",
        answers.len(),
        slowest.as_millis(),
        unexpected.len()
    );
    for u in unexpected.iter().take(10) {
        println!("  unexpected: {u}");
    }
    Ok(all)
}

/// Sends every acknowledged scan again: each must answer 200 with its first scan id. Answers
/// how many were checked; fails on any lost.
async fn check(addr: &str, path: &str, all: Vec<Seen>) -> Result<usize> {
    let mut s = connect(addr).await?;
    let token = login(&mut s, PASSWORD, SAMPLER).await?;
    let (mut checked, mut lost) = (0usize, 0usize);
    let unexpected: usize = all.iter().map(|s| s.unexpected.len()).sum();
    for seen in &all {
        for (body, id) in &seen.acked {
            let (st, text, _) = call(&mut s, "POST", path, Some(&token), Some(body)).await?;
            let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            if st != 200 || v["scan_id"].as_i64() != Some(*id) {
                lost += 1;
                println!("  lost: {st} {text}");
            }
            checked += 1;
        }
    }
    println!("acknowledged scans sent again: {checked}; lost: {lost}");
    if lost > 0 || unexpected > 0 {
        bail!("{lost} acknowledged scans lost, {unexpected} unexpected answers");
    }
    Ok(checked)
}
