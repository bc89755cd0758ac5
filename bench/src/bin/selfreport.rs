//! Household reports through the shipped binary: starts `doorstep serve` (release build) on a
//! database holding the demo community, and drives it over loopback HTTP from many client
//! addresses for a sustained period, as the evening after a poster goes up would.
//!
//! ```text
//! selfreport --db URL [--doorstep target/release/doorstep] [--seconds 60] [--conns 64]
//!            [--keepalive on|off] [--clients 2000] [--floor-seconds 10] [--label TEXT]
//! ```
//!
//! The database must be empty or hold only the demo community: the run loads the demo
//! (`doorstep demo`), creates a report link (`doorstep link create`), then starts
//! `doorstep serve --trusted-proxy 127.0.0.1/32` with the per-link limit raised (one link
//! takes every report here; the per-address limits and the in-flight cap stay at their
//! defaults). Bodies are the community's real households (addresses from the registry, their
//! first two or three members with valid ID numbers); 3% carry a wrong check digit (422
//! expected), 3% resend a report already acknowledged with the same idempotency key (200 and
//! the same receipt expected). With keep-alive, each request names one of `--clients` residents
//! in `X-Forwarded-For` (a proxy keeping its connections to the server); without, each request
//! opens a new connection from its own loopback address (127.1.x.y, bound before connecting) and
//! the server sees the phone's address itself. `GET /healthz` through the same client, the same
//! connections and the same addresses first is the floor.
//!
//! Afterwards the number of reports in the database must equal the number of 201s (each
//! acknowledged report stored once, resends not doubled). CPU seconds by process come from
//! /proc: the server, the generator, PostgreSQL's processes, and the whole machine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use doorstep_bench::cpu::Cpu;
use doorstep_bench::households::{COMMUNITY, household_bodies, stored_reports};
use doorstep_bench::http::read_response;
use doorstep_bench::{Percentiles, Rng};
use doorstep_core::AreaPath;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};

/// What the command line asked for.
struct Args {
    db: String,
    doorstep: String,
    seconds: f64,
    floor_seconds: f64,
    conns: usize,
    keepalive: bool,
    clients: u32,
    label: String,
}

fn args() -> Result<Args> {
    let mut a = Args {
        db: String::new(),
        doorstep: "target/release/doorstep".into(),
        seconds: 60.0,
        floor_seconds: 10.0,
        conns: 64,
        keepalive: true,
        clients: 2000,
        label: String::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().with_context(|| format!("{k} needs a value"))?;
        match k.as_str() {
            "--db" => a.db = v,
            "--doorstep" => a.doorstep = v,
            "--seconds" => a.seconds = v.parse()?,
            "--floor-seconds" => a.floor_seconds = v.parse()?,
            "--conns" => a.conns = v.parse()?,
            "--keepalive" => a.keepalive = v == "on",
            "--clients" => a.clients = v.parse()?,
            "--label" => a.label = v,
            other => bail!("unknown argument {other}"),
        }
    }
    if a.db.is_empty() {
        bail!("--db URL is required");
    }
    Ok(a)
}

#[tokio::main]
async fn main() -> Result<()> {
    let a = args()?;
    let run = |args: &[&str]| -> Result<String> {
        let out = Command::new(&a.doorstep)
            .arg("--db")
            .arg(&a.db)
            .args(args)
            .env_remove("DOORSTEP_LOG")
            .output()
            .with_context(|| format!("running {}", a.doorstep))?;
        if !out.status.success() {
            bail!(
                "doorstep {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8(out.stdout)?)
    };
    run(&["migrate"])?;
    let area = AreaPath::parse(COMMUNITY)?;
    let store = doorstep_app::open_store(&a.db).await?;
    if store.max_person_id().await? == 0 {
        eprintln!("loading the demo community…");
        run(&["demo"])?;
    }
    let link: serde_json::Value = serde_json::from_str(&run(&[
        "link",
        "create",
        "--area",
        COMMUNITY,
        "--purpose",
        "home_quarantine",
        "--json",
    ])?)?;
    let token = link["token"].as_str().context("token")?.to_string();
    let bodies = Arc::new(Bodies::of(household_bodies(store.as_ref(), &area).await?));
    let stored_before = stored_reports(store.as_ref()).await?;
    drop(store);

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut server = Server::start(&a, addr)?;
    let load = std::fs::read_to_string("/proc/loadavg")?;
    println!(
        "## {} — {} connections, keep-alive {}, {} client addresses ({}); load before: {}",
        a.label,
        a.conns,
        if a.keepalive { "on" } else { "off" },
        a.clients,
        if a.keepalive {
            "X-Forwarded-For through a trusted proxy"
        } else {
            "a loopback source address per connection"
        },
        load.trim()
    );
    println!(
        "{} households of 2–3 members; database {}",
        bodies.households.len(),
        redact(&a.db)
    );

    let floor = drive(&a, addr, &token, &bodies, a.floor_seconds, true).await?;
    floor.print("GET /healthz (floor)", None);
    let database = a.db.rsplit('/').next().unwrap_or("").to_string();
    let cpu0 = Cpu::now(server.pid(), &database);
    let reports = drive(&a, addr, &token, &bodies, a.seconds, false).await?;
    let cpu = Cpu::now(server.pid(), &database).since(&cpu0);
    reports.print("POST household report", Some(&cpu));
    server.stop();

    let store = doorstep_app::open_store(&a.db).await?;
    let stored = stored_reports(store.as_ref()).await? - stored_before;
    let created = reports.statuses.get(&201).copied().unwrap_or(0) as i64;
    println!(
        "check: {stored} reports stored by the run, {created} acknowledged with 201; resends answered 200 with the first receipt: {}/{}; wrong answers: {}",
        reports.resends_ok, reports.resends, reports.wrong
    );
    if stored != created || reports.resends_ok != reports.resends || reports.wrong > 0 {
        bail!("acknowledged and stored reports differ, or a request got a wrong answer");
    }
    Ok(())
}

/// The database URL without a password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}***{}", &url[..s + 3], &url[at..]),
        _ => url.to_string(),
    }
}

/// The server under test, as a child process.
struct Server(Child);

impl Server {
    fn start(a: &Args, addr: SocketAddr) -> Result<Server> {
        let child = Command::new(&a.doorstep)
            .args(["--db", &a.db, "serve", "--addr", &addr.to_string()])
            .args(["--trusted-proxy", "127.0.0.1/32"])
            // One link takes every report of the run: its own limit would be the bottleneck.
            .args([
                "--public-per-link-burst",
                "1e9",
                "--public-per-link-rate",
                "1e9",
            ])
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

/// The request bodies: each household's report without its idempotency key (added per request),
/// and the same with a wrong check digit in the first member's ID number.
struct Bodies {
    households: Vec<(String, String)>,
}

impl Bodies {
    fn of(mut all: Vec<serde_json::Value>) -> Bodies {
        all.retain(|b| b["members"].as_array().is_some_and(|m| m.len() >= 2));
        let households = all
            .into_iter()
            .enumerate()
            .map(|(i, mut b)| {
                if let Some(m) = b["members"].as_array_mut() {
                    m.truncate(2 + i % 2);
                }
                let good = b.to_string();
                let id = b["members"][0]["id_number"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                let last = id.chars().last().unwrap_or('0');
                let wrong = if last == '1' { '2' } else { '1' };
                b["members"][0]["id_number"] =
                    serde_json::Value::String(format!("{}{wrong}", &id[..id.len() - 1]));
                b["members"][0]["id_type"] = serde_json::Value::String("resident_id".into());
                // `{"address":…}` → the key goes first: `{"idempotency_key":"K","address":…}`.
                (good[1..].to_string(), b.to_string()[1..].to_string())
            })
            .collect();
        Bodies { households }
    }
}

/// What one kind of request sends and expects.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Health,
    Report,
    BadId,
    Resend,
}

/// What a run measured.
#[derive(Default)]
struct Stats {
    elapsed: Duration,
    latencies: Vec<Duration>,
    statuses: BTreeMap<u16, usize>,
    client_errors: usize,
    resends: usize,
    resends_ok: usize,
    /// Answers that were not what the request should get (a bad ID accepted, a good report
    /// refused with 4xx other than 429, …).
    wrong: usize,
}

impl Stats {
    fn merge(&mut self, o: Stats) {
        self.latencies.extend(o.latencies);
        for (k, v) in o.statuses {
            *self.statuses.entry(k).or_insert(0) += v;
        }
        self.client_errors += o.client_errors;
        self.resends += o.resends;
        self.resends_ok += o.resends_ok;
        self.wrong += o.wrong;
    }

    fn print(&self, what: &str, cpu: Option<&Cpu>) {
        let mut l = self.latencies.clone();
        let p = Percentiles::of(&mut l);
        let secs = self.elapsed.as_secs_f64();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let created = self.statuses.get(&201).copied().unwrap_or(0);
        println!(
            "{what}: {} requests in {secs:.1} s = {:.0}/s; 201 {:.0}/s; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; statuses {:?}; client errors {}",
            p.n,
            p.n as f64 / secs,
            created as f64 / secs,
            ms(p.p50),
            ms(p.p99),
            ms(p.max),
            self.statuses,
            self.client_errors
        );
        if let Some(c) = cpu {
            println!(
                "CPU over the run (of {:.1} core-seconds on {} cores): server {:.1} s, generator {:.1} s, postgres backends of this database {:.1} s, postgres background {:.1} s, machine busy {:.1} s ({:.0}%)",
                c.wall * c.cores as f64,
                c.cores,
                c.server,
                c.generator,
                c.postgres,
                c.postgres_shared,
                c.busy,
                100.0 * c.busy / (c.wall * c.cores as f64)
            );
            let ours = c.server + c.generator + c.postgres + c.postgres_shared;
            println!(
                "CPU per acknowledged report: {:.3} ms (server {:.3}, database {:.3}); everything else on the machine used {:.1} core-seconds",
                1000.0 * ours / created.max(1) as f64,
                1000.0 * c.server / created.max(1) as f64,
                1000.0 * (c.postgres + c.postgres_shared) / created.max(1) as f64,
                c.busy - ours
            );
        }
    }
}

/// Sends requests for `seconds` over `a.conns` closed-loop connections.
async fn drive(
    a: &Args,
    addr: SocketAddr,
    token: &str,
    bodies: &Arc<Bodies>,
    seconds: f64,
    health: bool,
) -> Result<Stats> {
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..a.conns {
        let (bodies, stop, token) = (bodies.clone(), stop.clone(), token.to_string());
        let (keepalive, clients, conns) = (a.keepalive, a.clients, a.conns);
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::new(0x5eed + c as u64);
            let mut s = Stats::default();
            let mut stream: Option<TcpStream> = None;
            let mut buf = Vec::with_capacity(8 << 10);
            let mut acked: Vec<(String, usize, String)> = Vec::new();
            let mut n = 0u64;
            let mut connects = 0u32;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let roll = rng.below(100);
                let kind = if health {
                    Kind::Health
                } else if roll < 3 {
                    Kind::BadId
                } else if roll < 6 && !acked.is_empty() {
                    Kind::Resend
                } else {
                    Kind::Report
                };
                let (key, house) = match kind {
                    Kind::Resend => {
                        let (k, h, _) = &acked[rng.below(acked.len() as u64) as usize];
                        (k.clone(), *h)
                    }
                    _ => (
                        format!("b{c}-{n}"),
                        rng.below(bodies.households.len() as u64) as usize,
                    ),
                };
                let body = match kind {
                    Kind::Health => String::new(),
                    Kind::BadId => format!(
                        "{{\"idempotency_key\":\"{key}\",{}",
                        bodies.households[house].1
                    ),
                    _ => format!(
                        "{{\"idempotency_key\":\"{key}\",{}",
                        bodies.households[house].0
                    ),
                };
                let line = if health {
                    "GET /healthz".to_string()
                } else {
                    format!("POST /api/v1/public/reports/{token}")
                };
                let mut head = format!(
                    "{line} HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
                    body.len()
                );
                if keepalive {
                    // The resident the proxy forwards for.
                    let r = rng.below(u64::from(clients)) as u32;
                    head.push_str(&format!(
                        "x-forwarded-for: 100.64.{}.{}\r\n",
                        r / 256,
                        r % 256
                    ));
                } else {
                    head.push_str("connection: close\r\n");
                }
                head.push_str("\r\n");
                head.push_str(&body);
                let t = Instant::now();
                let answer = async {
                    if stream.is_none() {
                        // Without keep-alive every connection is a phone of its own.
                        let ip = if keepalive {
                            IpAddr::V4(Ipv4Addr::LOCALHOST)
                        } else {
                            let r = (c as u32 + conns as u32 * connects) % clients;
                            connects += 1;
                            IpAddr::V4(Ipv4Addr::new(127, 1, (r / 256) as u8, (r % 256) as u8))
                        };
                        let sock = TcpSocket::new_v4()?;
                        sock.bind(SocketAddr::new(ip, 0))?;
                        let st = sock.connect(addr).await?;
                        st.set_nodelay(true)?;
                        stream = Some(st);
                    }
                    let st = stream.as_mut().context("connected")?;
                    st.write_all(head.as_bytes()).await?;
                    read_response(st, &mut buf).await
                }
                .await;
                let latency = t.elapsed();
                if !keepalive {
                    stream = None;
                }
                let (status, body_at) = match answer {
                    Ok(a) => a,
                    Err(_) => {
                        s.client_errors += 1;
                        stream = None;
                        continue;
                    }
                };
                s.latencies.push(latency);
                *s.statuses.entry(status).or_insert(0) += 1;
                let receipt = || {
                    serde_json::from_slice::<serde_json::Value>(&buf[body_at..])
                        .ok()
                        .and_then(|v| v["receipt"].as_str().map(str::to_string))
                };
                // 429 and 503 are the limits at work, never a wrong answer.
                let ok = match (kind, status) {
                    (_, 429 | 503) => true,
                    (Kind::Health, 200) => true,
                    (Kind::Report, 201) => {
                        let r = receipt().context("receipt")?;
                        if acked.len() < 256 {
                            acked.push((key, house, r));
                        } else {
                            let i = rng.below(256) as usize;
                            acked[i] = (key, house, r);
                        }
                        true
                    }
                    (Kind::BadId, 422) => true,
                    (Kind::Resend, 200) => {
                        s.resends += 1;
                        let first = acked.iter().find(|(k, _, _)| *k == key).map(|x| &x.2);
                        if receipt().as_ref() == first {
                            s.resends_ok += 1;
                        }
                        true
                    }
                    (Kind::Resend, _) => {
                        s.resends += 1;
                        false
                    }
                    _ => false,
                };
                if !ok {
                    s.wrong += 1;
                }
            }
            anyhow::Ok(s)
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Stats::default();
    for t in tasks {
        all.merge(t.await.context("client task")??);
    }
    all.elapsed = start.elapsed();
    Ok(all)
}
