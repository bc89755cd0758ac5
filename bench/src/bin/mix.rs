//! A district's testing day through the shipped binary, open loop (issue 17, "Load and
//! overload"): over a registry already imported (bench/load.sh imports the messy
//! 1,000,000-row roster), it prepares what the day works on in-process (a 10-in-1 round, a
//! report link, households in home quarantine, open door-knock tasks, a sampler's, a
//! community admin's and a page session), starts `doorstep serve` and sends requests at fixed
//! arrival rates, whatever the server answers (open loop: a slow server gets more requests in
//! flight, not fewer requests):
//!
//! | kind | request | share of the mix |
//! |---|---|---|
//! | scan | `POST /api/v1/rounds/{id}/scans`, the next person of the shuffled registry | 60% |
//! | page | `GET /`, `/persons/{id}`, `/households/{id}` with the page session | 15% |
//! | search | `GET /search?q=NAME` with the page session | 8% |
//! | report | `POST /api/v1/public/reports/{token}`, a household's report | 7% |
//! | checkin | `POST /api/v1/public/checkins/{token}`, a quarantined household, all members | 6% |
//! | task | `PATCH /api/v1/tasks/{id}` `{"status":"in_progress"}`, the next open task | 4% |
//!
//! (why these shares: docs/performance.md, "Load and overload"). `GET /healthz` goes along
//! at 20/s throughout, and its closed-loop floor is measured first. Residents' requests come
//! from their own addresses through a trusted proxy (`X-Forwarded-For`), so the public limits
//! apply as deployed.
//!
//! Each `--phase NAME:RATE:SECONDS[:WRITES]` sends RATE requests a second of the mix for
//! SECONDS, the writes (scan, report, checkin, task) multiplied by WRITES (default 1): an
//! overload is more residents and samplers, not more staff reading pages. RATE may be a
//! multiple of the saturation rate (`1.5S`), found first by `--find-saturation START:SECONDS`
//! (rates ×1.25 from START until a step is not served: under 97% answered within the step,
//! over 1% refused or failed, or a write's p99 over 1 s). Every second goes to `OUT.csv` (per kind:
//! answered, shed with 429/503, errors, p50 and p99; the server's RSS from /proc), the phases'
//! summary to stdout as a Markdown table.
//!
//! Afterwards, with the server stopped, every acknowledged write must be in the database: the
//! round's sampled persons, the reports and the check-ins stored by the run, and the tasks
//! started, each at least what was acknowledged and at most that plus the requests whose
//! answer never came (in doubt); a shed request (429/503) must carry Retry-After.
//!
//! Usage: mix --db URL --doorstep BIN --out PREFIX [--find-saturation START:SECONDS]
//! [--phase NAME:RATE:SECONDS[:WRITES]]... [--episodes N] [--tasks N] [--serve-arg ARG]...
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::quarantine::{EpisodeForm, QuarantineDesk};
use doorstep_app::rounds::{RoundDesk, RoundForm};
use doorstep_app::users::{By, create_user};
use doorstep_bench::households::{COMMUNITY, household_bodies, stored_reports};
use doorstep_bench::http::{Answer, connect, healthz_floor, login, request};
use doorstep_bench::registry::{Registry, shuffle};
use doorstep_bench::{Percentiles, Rng, scan_client_id};
use doorstep_core::quarantine::CHINA;
use doorstep_core::{
    AreaKind, AreaPath, Priority, Role, RoundStatus, Target, TaskKind, TaskStatus,
};
use doorstep_store::{NewTask, Store, no_audit};
use tokio::net::TcpStream;

const PASSWORD: &str = "bench-password-1";
/// Requests the generator keeps in flight at most; an arrival beyond is counted as dropped by
/// the client (the server is not keeping up at all).
const MAX_OUTSTANDING: usize = 6_000;
/// How long the generator waits for an answer.
const TIMEOUT: Duration = Duration::from_secs(30);
/// `/healthz` probes a second beside the mix.
const HEALTH_RATE: f64 = 20.0;

/// The kinds of request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Scan,
    Page,
    Search,
    Report,
    Checkin,
    Task,
    Health,
}

const KINDS: [Kind; 7] = [
    Kind::Scan,
    Kind::Page,
    Kind::Search,
    Kind::Report,
    Kind::Checkin,
    Kind::Task,
    Kind::Health,
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Scan => "scan",
            Kind::Page => "page",
            Kind::Search => "search",
            Kind::Report => "report",
            Kind::Checkin => "checkin",
            Kind::Task => "task",
            Kind::Health => "healthz",
        }
    }

    /// Its share of the mix, in percent (healthz goes beside it).
    fn share(self) -> f64 {
        match self {
            Kind::Scan => 60.0,
            Kind::Page => 15.0,
            Kind::Search => 8.0,
            Kind::Report => 7.0,
            Kind::Checkin => 6.0,
            Kind::Task => 4.0,
            Kind::Health => 0.0,
        }
    }

    fn write(self) -> bool {
        matches!(self, Kind::Scan | Kind::Report | Kind::Checkin | Kind::Task)
    }

    fn idx(self) -> usize {
        self as usize
    }
}

/// A household in home quarantine: its check-in token and members.
struct Household {
    id: i64,
    token: String,
    members: Vec<i64>,
}

/// What the requests draw from.
struct Day {
    ids: Vec<String>,
    next_scan: AtomicUsize,
    round: i64,
    sampler: String,
    admin: String,
    cookie: String,
    report_token: String,
    reports: Vec<String>,
    next_report: AtomicUsize,
    quarantined: Vec<Household>,
    tasks: Vec<i64>,
    next_task: AtomicUsize,
    pages: Vec<String>,
    searches: Vec<String>,
    next: AtomicU64,
}

/// One second's tally.
#[derive(Default, Clone)]
struct Second {
    offered: u64,
    dropped: u64,
    ok: [u64; 7],
    shed: [u64; 7],
    err: [u64; 7],
    /// Of `err`: 409s the request earned by the rules (a quarantined person into a pooled tube,
    /// a code a single tube took first): the data's, not the server's state.
    refused: [u64; 7],
    times: [Vec<Duration>; 7],
    rss_kib: u64,
    outstanding: usize,
}

/// Everything the run counts.
#[derive(Default)]
struct Tally {
    seconds: Vec<Second>,
    statuses: BTreeMap<(Kind, u16), u64>,
    /// Answers no request should get (the first 20).
    wrong: Vec<String>,
    /// Shed answers (429/503) without Retry-After.
    no_retry_after: u64,
    /// Acknowledged writes: scans, reports, check-in members, tasks started.
    acked: [u64; 7],
    /// Writes whose answer never came (timeouts, closed connections).
    doubt: [u64; 7],
    /// Task ids acknowledged as started.
    started: Vec<i64>,
}

struct Shared {
    day: Day,
    addr: String,
    pool: Mutex<Vec<TcpStream>>,
    tally: Mutex<Tally>,
    t0: Instant,
    outstanding: AtomicUsize,
    phase: Mutex<String>,
}

impl Shared {
    fn second(&self) -> usize {
        self.t0.elapsed().as_secs() as usize
    }

    fn with_second(&self, f: impl FnOnce(&mut Second)) {
        let s = self.second();
        let mut t = self.tally.lock().unwrap();
        if t.seconds.len() <= s {
            t.seconds.resize(s + 1, Second::default());
        }
        f(&mut t.seconds[s]);
    }
}

/// The arguments.
struct Args {
    db: String,
    doorstep: String,
    out: String,
    saturation: Option<(f64, f64)>,
    phases: Vec<(String, String, f64, f64)>,
    episodes: usize,
    tasks: usize,
    serve_args: Vec<String>,
}

fn args() -> Result<Args> {
    let mut a = Args {
        db: String::new(),
        doorstep: "target/release/doorstep".into(),
        out: "bench/out/mix".into(),
        saturation: None,
        phases: Vec::new(),
        episodes: 3_000,
        tasks: 60_000,
        serve_args: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--db" => a.db = v,
            "--doorstep" => a.doorstep = v,
            "--out" => a.out = v,
            "--episodes" => a.episodes = v.parse()?,
            "--tasks" => a.tasks = v.parse()?,
            "--serve-arg" => a.serve_args.push(v),
            "--find-saturation" => {
                let (s, d) = v.split_once(':').context("START:SECONDS")?;
                a.saturation = Some((s.parse()?, d.parse()?));
            }
            "--phase" => {
                let p: Vec<&str> = v.split(':').collect();
                if p.len() < 3 {
                    bail!("--phase NAME:RATE:SECONDS[:WRITES]: {v}");
                }
                let writes = p.get(3).map_or(Ok(1.0), |w| w.parse())?;
                a.phases
                    .push((p[0].to_string(), p[1].to_string(), p[2].parse()?, writes));
            }
            _ => bail!("unknown flag {flag}"),
        }
    }
    if a.db.is_empty() {
        bail!("--db URL");
    }
    Ok(a)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let a = args()?;
    let store = doorstep_app::open_store(&a.db).await?;
    let store: &dyn Store = store.as_ref();
    let community = AreaPath::parse(COMMUNITY).unwrap();
    let mut day = prepare(store, &a, &community).await?;
    let reports_before = stored_reports(store).await?;

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut server = Server::start(&a, &addr)?;
    let mut s = connect(&addr).await?;
    day.sampler = login(&mut s, PASSWORD, "bench-mix-sampler").await?;
    day.admin = login(&mut s, PASSWORD, "bench-mix-admin").await?;
    drop(s);
    let load = std::fs::read_to_string("/proc/loadavg")?;
    println!(
        "## {} — {} persons with a resident ID, {} households in quarantine, {} open tasks; load before: {}",
        if a.db.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        day.ids.len(),
        day.quarantined.len(),
        day.tasks.len(),
        load.trim()
    );
    let (floor_n, floor_rate) = healthz_floor(&addr, 64, 10.0).await?;
    println!(
        "floor: GET /healthz closed loop from 64 connections, 10 s: {floor_n} requests, {floor_rate:.0}/s"
    );

    let shared = Arc::new(Shared {
        day,
        addr,
        pool: Mutex::new(Vec::new()),
        tally: Mutex::new(Tally::default()),
        t0: Instant::now(),
        outstanding: AtomicUsize::new(0),
        phase: Mutex::new(String::new()),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn(sample_rss(shared.clone(), server.pid(), stop.clone()));
    let health = tokio::spawn(healthz(shared.clone(), stop.clone()));

    let mut spans: Vec<(String, usize, usize, f64)> = Vec::new();
    let mut saturation = None;
    if let Some((start, secs)) = a.saturation {
        let mut rate = start;
        loop {
            let name = format!("find@{rate:.0}");
            let span = phase(&shared, &name, rate, 1.0, secs).await;
            let served = served(&shared, span);
            spans.push((name, span.0, span.1, rate));
            if !served {
                break;
            }
            saturation = Some(rate);
            rate *= 1.25;
        }
        let s = saturation.context("not even the first step was served")?;
        println!("saturation: {s:.0} requests/s of the mix (the last step served)");
    }
    for (name, rate, secs, writes) in &a.phases {
        let r = match rate.strip_suffix('S') {
            Some(m) => {
                m.parse::<f64>()? * saturation.context("a rate in S needs --find-saturation")?
            }
            None => rate.parse()?,
        };
        let span = phase(&shared, name, r, *writes, *secs).await;
        spans.push((name.clone(), span.0, span.1, r));
    }
    // Let the last answers come in.
    let deadline = Instant::now() + TIMEOUT;
    while shared.outstanding.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    let _ = health.await;
    server.stop();

    let tally = std::mem::take(&mut *shared.tally.lock().unwrap());
    write_csv(&format!("{}.csv", a.out), &tally, &spans)?;
    print_summary(&tally, &spans, saturation);
    verify(store, &shared.day, &tally, reports_before).await
}

/// The day's material, prepared in-process as staff would have it.
async fn prepare(store: &dyn Store, a: &Args, community: &AreaPath) -> Result<Day> {
    let t = Instant::now();
    let reg = Registry::read(store, community).await?;
    eprintln!(
        "registry: {} resident IDs, {} households, read in {:.1} s",
        reg.ids.len(),
        reg.households.len(),
        t.elapsed().as_secs_f64()
    );
    let (office, ctx) = (Principal::office(), Ctx::default());
    for (name, role) in [
        ("bench-mix-sampler", Role::Sampler),
        ("bench-mix-admin", Role::CommunityAdmin),
    ] {
        let _ = create_user(store, By::Cli, name, role, community, PASSWORD).await;
    }
    let session =
        doorstep_app::auth::login(store, &ctx, "bench-mix-admin", PASSWORD, "web").await?;

    let desk = RoundDesk::new(store, &office, &ctx);
    let round = desk
        .create(&RoundForm {
            area: COMMUNITY.into(),
            name: format!("混合压测 {}", std::process::id()),
            pool_size: 10,
            ..RoundForm::default()
        })
        .await?;
    desk.set_status(round.id, RoundStatus::Open).await?;

    // A report link, and households' reports from the first compounds.
    let out = Command::new(&a.doorstep)
        .args(["--db", &a.db, "link", "create", "--area", COMMUNITY])
        .args(["--purpose", "home_quarantine", "--json"])
        .env_remove("DOORSTEP_LOG")
        .output()?;
    if !out.status.success() {
        bail!("link create: {}", String::from_utf8_lossy(&out.stderr));
    }
    let link: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let report_token = link["token"].as_str().context("token")?.to_string();
    let mut reports = Vec::new();
    for c in store.areas_of_kind(community, AreaKind::Compound).await? {
        for b in household_bodies(store, &c.path).await? {
            // `{"address":…}` → `"address":…}`: the key goes first per request.
            reports.push(b.to_string()[1..].to_string());
        }
        if reports.len() >= 20_000 {
            break;
        }
    }

    // Households into home quarantine, as staff start them.
    let t = Instant::now();
    let households = reg.shuffled_households(20261206);
    let q = QuarantineDesk::new(store, &office, &ctx);
    let mut quarantined = Vec::new();
    for (h, person) in households.iter().take(a.episodes) {
        let started = q
            .start(&EpisodeForm {
                person_id: Some(*person),
                household: true,
                measure: "home_quarantine".into(),
                reason: "压测".into(),
                ..EpisodeForm::default()
            })
            .await;
        let Ok(started) = started else { continue };
        let token = store.checkin_token(*h).await?.context("a check-in token")?;
        quarantined.push(Household {
            id: *h,
            token,
            members: started.iter().map(|e| e.person_id).collect(),
        });
    }
    eprintln!(
        "quarantine: {} households in {:.1} s",
        quarantined.len(),
        t.elapsed().as_secs_f64()
    );

    // Open door-knock tasks on other households, for the board.
    let t = Instant::now();
    let mut tasks = Vec::with_capacity(a.tasks);
    let pid = std::process::id();
    for chunk in households[a.episodes.min(households.len())..]
        .iter()
        .cycle()
        .take(a.tasks)
        .collect::<Vec<_>>()
        .chunks(5_000)
    {
        let ids: Vec<i64> = chunk.iter().map(|h| h.0).collect();
        let found: BTreeMap<i64, _> = store
            .households_by_ids(&ids)
            .await?
            .into_iter()
            .map(|h| (h.id, h))
            .collect();
        let batch: Vec<NewTask> = chunk
            .iter()
            .enumerate()
            .map(|(i, (hid, _))| {
                let h = &found[hid];
                NewTask {
                    kind: TaskKind::DoorKnock,
                    target: Target::Household(*hid),
                    area_id: h.area_id,
                    area_path: h.area_path.clone(),
                    room: h.room.clone(),
                    label: h.address.clone(),
                    note: String::new(),
                    assignee_id: None,
                    due_at: None,
                    priority: Priority::Normal,
                    source: "bench-mix".into(),
                    source_key: Some(format!("{pid}-{}-{i}", tasks.len())),
                }
            })
            .collect();
        let made = store.create_tasks(&batch, "bench", no_audit()).await?;
        tasks.extend(made.iter().map(|t| t.id));
    }
    eprintln!(
        "tasks: {} open in {:.1} s",
        tasks.len(),
        t.elapsed().as_secs_f64()
    );

    let mut sample = reg.sample.clone();
    shuffle(&mut sample, 7);
    let mut pages = vec!["/".to_string()];
    for (pid, hid, _) in sample.iter().take(5_000) {
        pages.push(format!("/persons/{pid}"));
        pages.push(format!("/households/{hid}"));
    }
    let searches = sample
        .iter()
        .take(5_000)
        .map(|(_, _, name)| format!("/search?q={}", enc(name)))
        .collect();
    Ok(Day {
        ids: reg.shuffled_ids(20261201),
        next_scan: AtomicUsize::new(0),
        round: round.id,
        sampler: String::new(),
        admin: String::new(),
        cookie: format!("cookie: doorstep_session={}\r\n", session.token),
        report_token,
        reports,
        next_report: AtomicUsize::new(0),
        quarantined,
        tasks,
        next_task: AtomicUsize::new(0),
        pages,
        searches,
        next: AtomicU64::new(0),
    })
}

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The server under test, as a child process.
struct Server(Child);

impl Server {
    fn start(a: &Args, addr: &str) -> Result<Server> {
        let child = Command::new(&a.doorstep)
            .args(["--db", &a.db, "serve", "--addr", addr])
            .args(["--trusted-proxy", "127.0.0.1/32"])
            .args(&a.serve_args)
            .env_remove("DOORSTEP_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let server = Server(child);
        let start = Instant::now();
        while std::net::TcpStream::connect(addr).is_err() {
            if start.elapsed() > Duration::from_secs(60) {
                bail!("the server did not start");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }

    /// Ctrl-C, as an operator would stop it; then waits.
    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The server's resident memory and the requests in flight, once a second.
async fn sample_rss(shared: Arc<Shared>, pid: u32, stop: Arc<AtomicBool>) {
    let path = format!("/proc/{pid}/status");
    while !stop.load(Ordering::Relaxed) {
        let rss = std::fs::read_to_string(&path)
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.split_whitespace().next()?.parse().ok())
            })
            .unwrap_or(0);
        let out = shared.outstanding.load(Ordering::Relaxed);
        shared.with_second(|s| {
            s.rss_kib = s.rss_kib.max(rss);
            s.outstanding = s.outstanding.max(out);
        });
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `/healthz` at [`HEALTH_RATE`], open loop, beside every phase.
async fn healthz(shared: Arc<Shared>, stop: Arc<AtomicBool>) {
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / HEALTH_RATE));
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        launch(&shared, Kind::Health);
    }
}

/// Sends the mix at `rate` a second (writes × `writes`) for `secs`; answers the seconds it
/// spanned.
async fn phase(
    shared: &Arc<Shared>,
    name: &str,
    rate: f64,
    writes: f64,
    secs: f64,
) -> (usize, usize) {
    *shared.phase.lock().unwrap() = name.to_string();
    let mix: Vec<(Kind, f64)> = KINDS
        .iter()
        .filter(|k| k.share() > 0.0)
        .map(|k| {
            let r = rate * k.share() / 100.0;
            (*k, if k.write() { r * writes } else { r })
        })
        .collect();
    let total: f64 = mix.iter().map(|m| m.1).sum();
    let cumulative: Vec<u32> = mix
        .iter()
        .scan(0.0, |acc, m| {
            *acc += m.1;
            Some((*acc / total * 1_000_000.0) as u32)
        })
        .collect();
    eprintln!("phase {name}: {total:.0} requests/s for {secs} s");
    let first = shared.second();
    let start = Instant::now();
    let mut rng = Rng::new(first as u64 + 11);
    let mut sent = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(2));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        let t = start.elapsed().as_secs_f64();
        if t >= secs {
            break;
        }
        let due = (t * total) as u64;
        while sent < due {
            sent += 1;
            let kind = mix[rng.weighted(&cumulative)].0;
            launch(shared, kind);
        }
    }
    (first, shared.second())
}

/// Starts one request of `kind` now, unless too many are in flight.
fn launch(shared: &Arc<Shared>, kind: Kind) {
    shared.with_second(|s| s.offered += 1);
    if shared.outstanding.fetch_add(1, Ordering::Relaxed) >= MAX_OUTSTANDING {
        shared.outstanding.fetch_sub(1, Ordering::Relaxed);
        shared.with_second(|s| s.dropped += 1);
        return;
    }
    let shared = shared.clone();
    tokio::spawn(async move {
        one(&shared, kind).await;
        shared.outstanding.fetch_sub(1, Ordering::Relaxed);
    });
}

/// What a request sends: method, path, bearer, body, more headers.
struct Req {
    method: &'static str,
    path: String,
    token: Option<String>,
    body: Option<String>,
    headers: String,
    /// For a task: its id.
    task: Option<i64>,
}

fn build(d: &Day, kind: Kind) -> Option<Req> {
    let n = d.next.fetch_add(1, Ordering::Relaxed);
    let mut rng = Rng::new(n.wrapping_mul(0x9E37_79B9) ^ 0x5eed);
    let from = |x: u64| format!("x-forwarded-for: 100.64.{}.{}\r\n", (x >> 8) % 256, x % 256);
    let get = |path: String, headers: String| Req {
        method: "GET",
        path,
        token: None,
        body: None,
        headers,
        task: None,
    };
    Some(match kind {
        Kind::Health => get("/healthz".into(), String::new()),
        Kind::Page => get(
            d.pages[rng.below(d.pages.len() as u64) as usize].clone(),
            d.cookie.clone(),
        ),
        Kind::Search => get(
            d.searches[rng.below(d.searches.len() as u64) as usize].clone(),
            d.cookie.clone(),
        ),
        Kind::Scan => {
            let i = d.next_scan.fetch_add(1, Ordering::Relaxed);
            let who = d.ids.get(i)?;
            let body = serde_json::json!({"client_id": scan_client_id(&mut rng),
                "tube": format!("M{}-{:06}", d.round, i / 10), "person": {"id_number": who}});
            Req {
                method: "POST",
                path: format!("/api/v1/rounds/{}/scans", d.round),
                token: Some(d.sampler.clone()),
                body: Some(body.to_string()),
                headers: String::new(),
                task: None,
            }
        }
        Kind::Report => {
            let i = d.next_report.fetch_add(1, Ordering::Relaxed);
            let body = &d.reports[i % d.reports.len()];
            Req {
                method: "POST",
                path: format!("/api/v1/public/reports/{}", d.report_token),
                token: None,
                body: Some(format!("{{\"idempotency_key\":\"mix-{i}\",{body}")),
                headers: from(i as u64 % 60_000),
                task: None,
            }
        }
        Kind::Checkin => {
            let i = rng.below(d.quarantined.len() as u64) as usize;
            let h = &d.quarantined[i];
            let members: Vec<_> = h
                .members
                .iter()
                .map(|p| serde_json::json!({"person_id": p, "temperature": format!("36.{}", rng.below(10))}))
                .collect();
            let body =
                serde_json::json!({"idempotency_key": format!("mix-{n}"), "members": members});
            Req {
                method: "POST",
                path: format!("/api/v1/public/checkins/{}", h.token),
                token: None,
                body: Some(body.to_string()),
                headers: from(i as u64),
                task: None,
            }
        }
        Kind::Task => {
            let i = d.next_task.fetch_add(1, Ordering::Relaxed);
            let id = *d.tasks.get(i)?;
            Req {
                method: "PATCH",
                path: format!("/api/v1/tasks/{id}"),
                token: Some(d.admin.clone()),
                body: Some(r#"{"status":"in_progress"}"#.into()),
                headers: String::new(),
                task: Some(id),
            }
        }
    })
}

/// Sends one request and tallies its answer.
async fn one(shared: &Shared, kind: Kind) {
    let Some(req) = build(&shared.day, kind) else {
        shared.with_second(|s| s.dropped += 1);
        return;
    };
    let taken = shared.pool.lock().unwrap().pop();
    let stream = match taken {
        Some(s) => Ok(s),
        None => connect(&shared.addr).await,
    };
    let answer: Result<(Answer, TcpStream)> = match stream {
        Ok(mut s) => {
            let sent = tokio::time::timeout(
                TIMEOUT,
                request(
                    &mut s,
                    req.method,
                    &req.path,
                    req.token.as_deref(),
                    req.body.as_deref(),
                    &req.headers,
                ),
            )
            .await;
            match sent {
                Ok(Ok(a)) => Ok((a, s)),
                Ok(Err(e)) => Err(e),
                Err(_) => Err(anyhow::anyhow!("timed out")),
            }
        }
        Err(e) => Err(e),
    };
    let i = kind.idx();
    match answer {
        Err(_) => {
            shared.with_second(|s| s.err[i] += 1);
            shared.tally.lock().unwrap().doubt[i] += 1;
        }
        Ok((a, s)) => {
            shared.pool.lock().unwrap().push(s);
            let expected = match kind {
                Kind::Scan | Kind::Report | Kind::Checkin => 201,
                _ => 200,
            };
            let shed = a.status == 429 || a.status == 503;
            shared.with_second(|s| {
                if a.status == expected {
                    s.ok[i] += 1;
                    s.times[i].push(a.time);
                } else if shed {
                    s.shed[i] += 1;
                } else {
                    s.err[i] += 1;
                    if a.status == 409 {
                        s.refused[i] += 1;
                    }
                }
            });
            let mut t = shared.tally.lock().unwrap();
            *t.statuses.entry((kind, a.status)).or_insert(0) += 1;
            if a.status == expected {
                t.acked[i] += match kind {
                    Kind::Checkin => serde_json::from_str::<serde_json::Value>(&a.body)
                        .ok()
                        .and_then(|v| v["checkins"].as_array().map(|c| c.len() as u64))
                        .unwrap_or(0),
                    _ => 1,
                };
                if let Some(id) = req.task {
                    t.started.push(id);
                }
            } else if shed {
                if a.header("retry-after").is_none() {
                    t.no_retry_after += 1;
                }
            } else if t.wrong.len() < 20 {
                let body: String = a.body.chars().take(200).collect();
                t.wrong
                    .push(format!("{} {}: {body}", kind.name(), a.status));
            }
        }
    }
}

/// Whether the seconds of a saturation step were served: at least 97% of what was offered
/// answered as expected, at most 1% shed or failed, and writes' p99 within a second.
fn served(shared: &Shared, (from, to): (usize, usize)) -> bool {
    let t = shared.tally.lock().unwrap();
    let secs = &t.seconds[from.min(t.seconds.len())..to.min(t.seconds.len())];
    let offered: u64 = secs.iter().map(|s| s.offered).sum();
    let refused: u64 = secs.iter().map(|s| s.refused.iter().sum::<u64>()).sum();
    // A refusal the request earns (409) is an answer as asked, not a failure.
    let ok: u64 = secs.iter().map(|s| s.ok.iter().sum::<u64>()).sum::<u64>() + refused;
    let bad: u64 = secs
        .iter()
        .map(|s| s.shed.iter().sum::<u64>() + s.err.iter().sum::<u64>() + s.dropped)
        .sum::<u64>()
        - refused;
    let mut writes: Vec<Duration> = secs
        .iter()
        .flat_map(|s| {
            KINDS
                .iter()
                .filter(|k| k.write())
                .flat_map(|k| s.times[k.idx()].clone())
        })
        .collect();
    let p99 = Percentiles::of(&mut writes).p99;
    // A stray answer (a check-in in a closed window, a search for a name with a symbol) is
    // not saturation: at most 1% refused or failed.
    let verdict = ok as f64 >= 0.97 * offered as f64
        && bad as f64 <= 0.01 * offered as f64
        && p99 < Duration::from_secs(1);
    for w in &t.wrong {
        eprintln!("  unexpected so far: {w}");
    }
    eprintln!(
        "  answered {ok}/{offered}, refused or failed {bad}, writes' p99 {p99:?}: {}",
        if verdict { "served" } else { "not served" }
    );
    verdict
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// One row per second.
fn write_csv(path: &str, t: &Tally, spans: &[(String, usize, usize, f64)]) -> Result<()> {
    let mut out = String::from("second,phase,offered,dropped,outstanding,rss_mib");
    for k in KINDS {
        let n = k.name();
        let _ = write!(out, ",{n}_ok,{n}_shed,{n}_err,{n}_p50_ms,{n}_p99_ms");
    }
    out.push('\n');
    for (i, s) in t.seconds.iter().enumerate() {
        let phase = spans
            .iter()
            .find(|p| i >= p.1 && i < p.2)
            .map_or("", |p| p.0.as_str());
        let _ = write!(
            out,
            "{i},{phase},{},{},{},{:.1}",
            s.offered,
            s.dropped,
            s.outstanding,
            s.rss_kib as f64 / 1024.0
        );
        for k in KINDS {
            let j = k.idx();
            let p = Percentiles::of(&mut s.times[j].clone());
            let _ = write!(
                out,
                ",{},{},{},{},{}",
                s.ok[j],
                s.shed[j],
                s.err[j],
                ms(p.p50),
                ms(p.p99)
            );
        }
        out.push('\n');
    }
    std::fs::write(path, out)?;
    eprintln!("per second: {path}");
    Ok(())
}

/// One row per phase, as Markdown.
fn print_summary(t: &Tally, spans: &[(String, usize, usize, f64)], saturation: Option<f64>) {
    println!();
    println!(
        "| phase | offered/s | answered/s | shed/s (429/503) | errors | dropped by client | server RSS max MiB | in flight max | p50 / p99 ms per kind (scan, page, search, report, checkin, task, healthz) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (name, from, to, _) in spans {
        let secs = &t.seconds[(*from).min(t.seconds.len())..(*to).min(t.seconds.len())];
        let n = secs.len().max(1) as f64;
        let sum = |f: &dyn Fn(&Second) -> u64| secs.iter().map(f).sum::<u64>();
        let offered = sum(&|s| s.offered);
        let ok = sum(&|s| s.ok.iter().sum());
        let shed = sum(&|s| s.shed.iter().sum());
        let err = sum(&|s| s.err.iter().sum());
        let dropped = sum(&|s| s.dropped);
        let rss = secs.iter().map(|s| s.rss_kib).max().unwrap_or(0) as f64 / 1024.0;
        let inflight = secs.iter().map(|s| s.outstanding).max().unwrap_or(0);
        let per_kind: Vec<String> = KINDS
            .iter()
            .map(|k| {
                let mut v: Vec<Duration> =
                    secs.iter().flat_map(|s| s.times[k.idx()].clone()).collect();
                let p = Percentiles::of(&mut v);
                format!("{} / {}", ms(p.p50), ms(p.p99))
            })
            .collect();
        println!(
            "| {name} | {:.0} | {:.0} | {:.0} | {err} | {dropped} | {rss:.0} | {inflight} | {} |",
            offered as f64 / n,
            ok as f64 / n,
            shed as f64 / n,
            per_kind.join(", ")
        );
        if name.starts_with("recover") {
            // The first second from which no write was shed and writes' p99 stayed under 500 ms
            // (a refusal the request earns, e.g. 409 `tube_mode`, is not the server's state).
            let settled = (0..secs.len()).find(|&i| {
                secs[i..].iter().all(|s| {
                    let mut w: Vec<Duration> = KINDS
                        .iter()
                        .filter(|k| k.write())
                        .flat_map(|k| s.times[k.idx()].clone())
                        .collect();
                    s.shed.iter().sum::<u64>() == 0
                        && Percentiles::of(&mut w).p99 < Duration::from_millis(500)
                })
            });
            match settled {
                Some(i) => println!(
                    "\nrecovered {i} s into `{name}` (no shedding, writes' p99 < 500 ms from then on)\n"
                ),
                None => println!("\n`{name}` did not settle\n"),
            }
        }
    }
    if let Some(s) = saturation {
        println!("\nsaturation rate: {s:.0}/s");
    }
    println!("\nanswers by kind and status:");
    for ((k, st), n) in &t.statuses {
        println!("- {} {st}: {n}", k.name());
    }
}

/// Every acknowledged write is in the database.
async fn verify(store: &dyn Store, d: &Day, t: &Tally, reports_before: i64) -> Result<()> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let mut bad = Vec::new();
    let mut check = |what: &str, stored: u64, kind: Kind| {
        let (acked, doubt) = (t.acked[kind.idx()], t.doubt[kind.idx()]);
        // A check-in in doubt may have stored each of its household's members.
        let most = if kind == Kind::Checkin { 10 } else { 1 };
        let ok = stored >= acked && stored <= acked + doubt * most;
        println!(
            "check {what}: {stored} stored, {acked} acknowledged, {doubt} in doubt: {}",
            if ok { "ok" } else { "MISMATCH" }
        );
        if !ok {
            bad.push(what.to_string());
        }
    };
    let cov = RoundDesk::new(store, &office, &ctx)
        .coverage(d.round, None)
        .await?;
    check(
        "scans (persons sampled in the round)",
        cov.sampled as u64,
        Kind::Scan,
    );
    let reports = (stored_reports(store).await? - reports_before) as u64;
    check("self-reports", reports, Kind::Report);
    let since = time::OffsetDateTime::now_utc().to_offset(CHINA).date() - time::Duration::days(1);
    let mut checkins = 0u64;
    for h in &d.quarantined {
        checkins += store.checkins_of_household(h.id, since).await?.len() as u64;
    }
    check("check-ins (members)", checkins, Kind::Checkin);
    let mut started = 0u64;
    for id in d.tasks.iter().take(d.next_task.load(Ordering::Relaxed)) {
        if store
            .task(*id)
            .await?
            .is_some_and(|t| t.status == TaskStatus::InProgress)
        {
            started += 1;
        }
    }
    check("tasks started", started, Kind::Task);
    let mut missing = 0;
    for id in &t.started {
        if !store
            .task(*id)
            .await?
            .is_some_and(|t| t.status == TaskStatus::InProgress)
        {
            missing += 1;
        }
    }
    println!(
        "check: {missing} of {} acknowledged task ids not started",
        t.started.len()
    );
    let shed: u64 = t
        .statuses
        .iter()
        .filter(|((_, st), _)| *st == 429 || *st == 503)
        .map(|(_, n)| n)
        .sum();
    println!(
        "check: {} of {shed} shed answers (429/503) without Retry-After",
        t.no_retry_after
    );
    if !t.wrong.is_empty() {
        println!("unexpected answers (first {}):", t.wrong.len());
        for w in &t.wrong {
            println!("- {w}");
        }
    }
    if !bad.is_empty() || missing > 0 || t.no_retry_after > 0 {
        bail!("acknowledged writes missing: {bad:?}");
    }
    Ok(())
}
