//! Daily check-ins through the shipped binary (issue 15): over a registry already imported
//! (bench/checkins.sh imports the messy 1,000,000-row roster), it places whole households in
//! home quarantine through the same use case staff use until EPISODES episodes are active
//! (households drawn at random; one grid worker has the compound holding the first of them, so
//! its test-day tasks go to them), then starts `doorstep serve --trusted-proxy 127.0.0.1/32` and:
//!
//! 1. `GET /healthz` from `CONNS` kept-alive connections for the floor;
//! 2. check-ins: each request is one household checking in every member through
//!    `POST /api/v1/public/checkins/{token}` (households at random, each request from the
//!    household's own address in `X-Forwarded-For`, so the per-address limits apply as
//!    deployed), with 3% carrying a temperature of 43 (422 expected) and 3% resending the
//!    connection's previous check-in with the same key (200 and the same answer expected);
//! 3. the worker's day (`GET /api/v1/quarantine/today`) and the community's overview
//!    (`GET /api/v1/quarantine/overview`), 50 times each;
//! 4. in-process, the missed-window sweep over every episode, at 11:05 China's time the next
//!    day (the morning window closed for all of them).
//!
//! Afterwards the check-ins stored must equal the members acknowledged by 201s.
//!
//! Usage: checkins DB_URL DOORSTEP_BINARY [SECONDS] [CONNS] [EPISODES]
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::clock::FixedClock;
use doorstep_app::quarantine::checkins::sweep_missed_checkins;
use doorstep_app::quarantine::{EpisodeForm, QuarantineDesk};
use doorstep_app::staff::{StaffDesk, StaffForm};
use doorstep_app::users::{By, create_user};
use doorstep_bench::http::{call, call_with, connect, healthz_floor, login};
use doorstep_bench::{Percentiles, Rng, ms};
use doorstep_core::quarantine::CHINA;
use doorstep_core::staff::StaffInput;
use doorstep_core::{AreaPath, Role};
use doorstep_store::Store;

const COMMUNITY: &str = "二七区/京广路街道/祥云社区";
const PASSWORD: &str = "bench-password-1";

/// A household in an episode: its token, its members' file ids, and its address number.
#[derive(Clone)]
struct Household {
    id: i64,
    token: String,
    members: Vec<i64>,
}

/// What one connection saw.
#[derive(Default)]
struct Seen {
    times: Vec<Duration>,
    created: u64,
    members: u64,
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
    let target: usize = args.get(5).map_or(Ok(50_000), |s| s.parse())?;
    let store = doorstep_app::open_store(&url).await?;
    let store: &dyn Store = store.as_ref();
    let community = AreaPath::parse(COMMUNITY).unwrap();

    // Every household, shuffled.
    let t = Instant::now();
    let mut first_member: HashMap<i64, (i64, AreaPath)> = HashMap::new();
    let mut after = 0;
    loop {
        let page = store.persons_after(&community, after, 20_000).await?;
        let Some(last) = page.last() else { break };
        after = last.person.id;
        for p in &page {
            first_member
                .entry(p.person.household_id)
                .or_insert((p.person.id, p.person.area_path.clone()));
        }
    }
    let mut households: Vec<(i64, i64, AreaPath)> = first_member
        .into_iter()
        .map(|(h, (p, a))| (h, p, a))
        .collect();
    households.sort_by_key(|h| h.0);
    let mut rng = Rng::new(20261206);
    for i in (1..households.len()).rev() {
        households.swap(i, rng.below(i as u64 + 1) as usize);
    }
    println!(
        "registry: {} households, read in {}",
        households.len(),
        ms(t.elapsed())
    );

    let (office, ctx) = (Principal::office(), Ctx::default());
    // One grid worker with the compound of the first household drawn (before any episode, so
    // that its tasks are routed to them), and a community admin.
    let compound = households
        .first()
        .map(|h| {
            let mut a = h.2.clone();
            while a.as_str().matches('/').count() > 3 {
                a = a.parent().unwrap();
            }
            a
        })
        .unwrap();
    let _ = create_user(
        store,
        By::Cli,
        "bench-gw",
        Role::GridWorker,
        &community,
        PASSWORD,
    )
    .await;
    let _ = create_user(
        store,
        By::Cli,
        "bench-admin",
        Role::CommunityAdmin,
        &community,
        PASSWORD,
    )
    .await;
    let staff = StaffDesk::new(store, &office, &ctx);
    let member = match staff.by_phone("13800138000").await {
        Ok(m) => m,
        Err(_) => {
            staff
                .create(&StaffForm {
                    input: StaffInput {
                        name: "压测网格员".into(),
                        phone: "13800138000".into(),
                        kind: "grid".into(),
                        ..StaffInput::default()
                    },
                    area: COMMUNITY.into(),
                    username: Some("bench-gw".into()),
                    active: None,
                })
                .await?
        }
    };
    staff
        .assign(compound.as_str(), "grid_worker", member.id)
        .await?;

    // Whole households into home quarantine until `target` episodes, as staff start them.
    let desk = QuarantineDesk::new(store, &office, &ctx);
    let t = Instant::now();
    let mut started: Vec<Household> = Vec::new();
    let mut episodes = 0;
    for (h, person, _) in &households {
        if episodes >= target {
            break;
        }
        let done = desk
            .start(&EpisodeForm {
                person_id: Some(*person),
                household: true,
                measure: "home_quarantine".into(),
                reason: "压测".into(),
                ..EpisodeForm::default()
            })
            .await;
        let Ok(done) = done else { continue };
        episodes += done.len();
        let token = store.checkin_token(*h).await?.context("a check-in token")?;
        started.push(Household {
            id: *h,
            token,
            members: done.iter().map(|e| e.person_id).collect(),
        });
    }
    println!(
        "episodes: {episodes} in {} households, started in {} ({:.0}/s, with their test-day tasks)",
        started.len(),
        ms(t.elapsed()),
        started.len() as f64 / t.elapsed().as_secs_f64()
    );

    let port = 18_500 + (std::process::id() % 1000) as u16;
    let addr = format!("127.0.0.1:{port}");
    let mut server = std::process::Command::new(&binary)
        .args(["--db", &url, "serve", "--addr", &addr])
        .args(["--trusted-proxy", "127.0.0.1/32"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let result = drive(&addr, Arc::new(started.clone()), seconds, conns).await;
    let _ = server.kill();
    let _ = server.wait();
    let acknowledged = result?;

    // Every acknowledged member's check-in stored once.
    let since = time::OffsetDateTime::now_utc().to_offset(CHINA).date() - time::Duration::days(1);
    let mut stored = 0u64;
    for h in &started {
        stored += store.checkins_of_household(h.id, since).await?.len() as u64;
    }
    println!("stored: {stored} check-ins, {acknowledged} members acknowledged by 201s");
    if stored != acknowledged {
        bail!("acknowledged and stored check-ins differ");
    }

    // The missed-window sweep over every episode: tomorrow 11:05, the morning window closed.
    let tomorrow =
        time::OffsetDateTime::now_utc().to_offset(CHINA).date() + time::Duration::days(1);
    let at = tomorrow.with_hms(11, 5, 0).unwrap().assume_offset(CHINA);
    let ctx = Ctx {
        clock: FixedClock::at(at),
        ..Ctx::default()
    };
    let t = Instant::now();
    let missed = sweep_missed_checkins(store, &ctx).await?;
    println!(
        "missed-window sweep: {missed} persons missed a window, one task per household, in {}",
        ms(t.elapsed())
    );
    let t = Instant::now();
    let again = sweep_missed_checkins(store, &ctx).await?;
    println!(
        "the same sweep again (nothing new): {again} in {}",
        ms(t.elapsed())
    );
    Ok(())
}

/// The floor, the check-ins, the worker's day and the overview; answers the members
/// acknowledged by 201s.
async fn drive(
    addr: &str,
    households: Arc<Vec<Household>>,
    seconds: f64,
    conns: usize,
) -> Result<u64> {
    let floor_seconds = 10.0;
    let (healthz, floor_rate) = healthz_floor(addr, conns, floor_seconds).await?;

    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for c in 0..conns {
        let (addr, stop, households) = (addr.to_string(), stop.clone(), households.clone());
        workers.push(tokio::spawn(async move {
            let mut s = connect(&addr).await?;
            let mut rng = Rng::new(c as u64 + 7);
            let mut seen = Seen::default();
            let mut n = 0u64;
            let mut last: Option<(String, String, String)> = None; // (path, body, answer)
            while !stop.load(Ordering::Relaxed) {
                let dice = rng.below(100);
                let h = &households[rng.below(households.len() as u64) as usize];
                let from = format!(
                    "x-forwarded-for: 100.{}.{}.{}\r\n",
                    64 + (h.id >> 16) % 64,
                    (h.id >> 8) % 256,
                    h.id % 256
                );
                let (path, body, expect) = match &last {
                    Some((p, b, _)) if dice < 3 => (p.clone(), b.clone(), 200),
                    _ => {
                        n += 1;
                        let bad = dice < 6;
                        let members: Vec<serde_json::Value> = h
                            .members
                            .iter()
                            .enumerate()
                            .map(|(i, p)| {
                                let t = if bad && i == 0 {
                                    "43".to_string()
                                } else {
                                    format!("36.{}", rng.below(10))
                                };
                                serde_json::json!({"person_id": p, "temperature": t})
                            })
                            .collect();
                        let body = serde_json::json!({"idempotency_key": format!("b{c}-{n}"),
                                                       "members": members})
                        .to_string();
                        (
                            format!("/api/v1/public/checkins/{}", h.token),
                            body,
                            if bad { 422 } else { 201 },
                        )
                    }
                };
                let (st, text, t) =
                    call_with(&mut s, "POST", &path, None, Some(&body), &from).await?;
                seen.times.push(t);
                match (st, expect) {
                    (201, 201) => {
                        seen.created += 1;
                        let v: serde_json::Value = serde_json::from_str(&text)?;
                        seen.members += v["checkins"].as_array().map_or(0, |a| a.len()) as u64;
                        last = Some((path, body, text));
                    }
                    (200, 200) => {
                        if last.as_ref().is_some_and(|(_, _, first)| {
                            let a: serde_json::Value =
                                serde_json::from_str(first).unwrap_or_default();
                            let b: serde_json::Value =
                                serde_json::from_str(&text).unwrap_or_default();
                            a["checkins"] != b["checkins"]
                        }) {
                            seen.unexpected
                                .push(format!("resend answered otherwise: {text}"));
                        }
                        seen.resent_ok += 1;
                    }
                    (422, 422) => seen.refused += 1,
                    _ => seen
                        .unexpected
                        .push(format!("{st} (expected {expect}): {text}")),
                }
            }
            Ok::<Seen, anyhow::Error>(seen)
        }));
    }
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Seen::default();
    for w in workers {
        let s = w.await??;
        all.times.extend(s.times);
        all.created += s.created;
        all.members += s.members;
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
        "| household check-ins (`POST /api/v1/public/checkins/{{token}}`, {conns} connections) | {rate:.0} | {} | {} | {} | {} |",
        ms(p.p50),
        ms(p.p99),
        ms(p.max),
        p.n
    );

    // The worker's day and the overview, one connection, 50 each.
    let mut s = connect(addr).await?;
    for (user, path, what) in [
        ("bench-gw", "/api/v1/quarantine/today", "the worker's day"),
        (
            "bench-admin",
            "/api/v1/quarantine/overview",
            "the community's overview",
        ),
    ] {
        let token = login(&mut s, PASSWORD, user).await?;
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..50 {
            let (st, text, t) = call(&mut s, "GET", path, Some(&token), None).await?;
            if st != 200 {
                bail!("{path}: {st} {text}");
            }
            size = text.len();
            times.push(t);
        }
        let q = Percentiles::of(&mut times);
        println!(
            "| {what} (`GET {path}`, {size} bytes) | | {} | {} | {} | {} |",
            ms(q.p50),
            ms(q.p99),
            ms(q.max),
            q.n
        );
    }
    println!(
        "answers: {} households checked in (201, {} members), {} resends answered the first (200), {} refused (422), {} unexpected; check-ins / floor = {:.2}",
        all.created,
        all.members,
        all.resent_ok,
        all.refused,
        all.unexpected.len(),
        rate / floor_rate
    );
    for u in all.unexpected.iter().take(5) {
        println!("unexpected: {u}");
    }
    if !all.unexpected.is_empty() {
        bail!("{} unexpected answers", all.unexpected.len());
    }
    Ok(all.members)
}
