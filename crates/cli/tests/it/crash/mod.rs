//! The crash suite (issue 17): `doorstep serve` is killed with SIGKILL at random moments while
//! every write path writes at once, and restarted each time; afterwards every acknowledged
//! write is there with what was sent, a resend with the same key stores nothing new, and the
//! counts that must agree do. The bulk writes are killed too, as processes of their own: a
//! roster import killed half way keeps all of itself or none (places included); a lab's results
//! file and an investigation list, which commit in two parts by design, keep each part whole,
//! and importing the file again finishes what the kill cut off.
//!
//! One harness serves every write path: a path is a [`Workload`] (its k-th write, which
//! answers acknowledge it, and the SQL that must hold afterwards), and [`hammer`] runs one
//! writer per path against one server while it kills and restarts it. A write the kill cut
//! off is sent again after the restart, as a phone's queue would, until it is acknowledged.
//!
//! `DOORSTEP_CRASH_KILLS` sets the kills per database (default [`DEFAULT_KILLS`], for CI);
//! `DOORSTEP_CRASH_BIN` serves with another binary (`bench/crash.sh` uses the release one).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod checkins;
mod fixture;
mod import;
mod lists;
mod mixed;
mod passages;
mod persons;
mod reports;
mod results;
mod results_file;
mod scans;
mod supplies;
mod tasks;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use doorstep_testkit::TestDb;
use serde_json::Value;

pub(crate) use crate::call;
use crate::{doorstep_cmd, free_port};

/// Kills per database in CI.
pub const DEFAULT_KILLS: usize = 25;

/// The kills per database: `DOORSTEP_CRASH_KILLS`, else [`DEFAULT_KILLS`].
pub fn kills() -> usize {
    std::env::var("DOORSTEP_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_KILLS)
}

/// The `doorstep` binary the suite runs: `DOORSTEP_CRASH_BIN` when set (a release build),
/// else the one cargo built for these tests.
pub fn binary() -> Command {
    let mut cmd = doorstep_cmd();
    if let Some(bin) = std::env::var_os("DOORSTEP_CRASH_BIN") {
        let mut own = Command::new(bin);
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => own.env(k, v),
                None => own.env_remove(k),
            };
        }
        cmd = own;
    }
    cmd
}

/// How a command run under a kill ended.
pub enum Run {
    /// It finished (successfully) before the kill, printing this.
    Finished(String),
    /// The kill found it running.
    Killed,
}

/// Runs `doorstep --db URL ARGS…`, killing it with SIGKILL after `after` (none: to its end); a
/// run that ends must succeed. How it ended and how long it ran.
pub fn run_killed(url: &str, args: &[&str], after: Option<Duration>) -> (Run, Duration) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let started = Instant::now();
    let mut child = binary()
        .args(["--db", url])
        .args(args)
        .stdout(out.reopen().unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = after.map(|a| started + a);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{args:?} ran to its end");
            let printed = std::fs::read_to_string(out.path()).unwrap();
            return (Run::Finished(printed), started.elapsed());
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            child.kill().unwrap();
            child.wait().unwrap();
            return (Run::Killed, started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A kill moment between 2 % and 98 % of an uncut run that took `full`.
pub fn kill_moment(full: Duration, rng: &mut u64) -> Duration {
    let ms = u64::try_from(full.as_millis()).unwrap().max(50);
    Duration::from_millis(ms / 50 + xorshift(rng) % (ms * 24 / 25))
}

/// The next number of a xorshift generator: random enough for kill moments, and repeatable.
pub fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// A running `doorstep serve` on a port of its own, with the public limits raised so the
/// suite's own pace is never what refuses a write.
pub struct Server {
    url: String,
    /// Its port (the same after every restart).
    pub port: u16,
    child: Option<Child>,
    /// Restarts so far.
    pub restarts: usize,
}

impl Server {
    /// Starts the server on `url` and waits until `/healthz` answers.
    pub fn start(url: &str) -> Server {
        let mut s = Server {
            url: url.to_string(),
            port: free_port(),
            child: None,
            restarts: 0,
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let child = binary()
            .args([
                "--db",
                &self.url,
                "serve",
                "--addr",
                &format!("127.0.0.1:{}", self.port),
                "--public-per-address-burst",
                "1000000",
                "--public-per-address-rate",
                "1000000",
                "--public-per-link-burst",
                "1000000",
                "--public-per-link-rate",
                "1000000",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while call(self.port, "GET", "/healthz", None, "").is_none() {
            assert!(
                Instant::now() < deadline,
                "the server did not come up after {} restarts",
                self.restarts
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGKILL (`Child::kill` is SIGKILL on Unix) and reap.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    /// One request (the server must answer).
    pub fn call(&self, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
        call(self.port, method, path, token, body)
            .unwrap_or_else(|| panic!("{method} {path}: no answer"))
    }

    /// A bearer token for `username` (password [`doorstep_testkit::PASSWORD`]).
    pub fn login(&self, username: &str) -> String {
        let body =
            serde_json::json!({"username": username, "password": doorstep_testkit::PASSWORD});
        let (st, v) = self.call("POST", "/api/v1/auth/login", None, &body.to_string());
        assert_eq!(st, 200, "login {username}: {v}");
        v["token"].as_str().unwrap().to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One request a writer sends.
#[derive(Debug, Clone)]
pub struct Write {
    /// `POST`, `PUT`, `PATCH`.
    pub method: &'static str,
    /// The path under the server.
    pub path: String,
    /// The JSON body.
    pub body: String,
}

/// An acknowledged write: which (k), how the server answered, and whether it was a resend of
/// one a kill had cut off.
#[derive(Debug, Clone)]
pub struct Ack {
    /// The write's number in its path.
    pub k: usize,
    /// What was sent.
    pub write: Write,
    /// The answer's body.
    pub answer: Value,
    /// Sent before a kill without an answer, and sent again after the restart.
    pub resent: bool,
}

/// A SQL count and what it must be, with what it proves (for the failure message).
pub type Check = (String, i64, String);

/// One write path under the kills.
pub trait Workload: Send + Sync {
    /// The path's name in messages and the summary.
    fn name(&self) -> &'static str;
    /// The path's k-th write; `None` when its material (persons, tasks) is used up.
    fn write(&self, k: usize) -> Option<Write>;
    /// Whether `status`/`answer` acknowledges write k; panics on an answer no client should
    /// get. `resent`: the write was cut off by a kill and this is its resend, which may find
    /// it already done.
    fn acknowledges(&self, k: usize, status: u16, answer: &Value, resent: bool) -> bool;
    /// Whether sending an acknowledged write again must answer the first (an idempotency key):
    /// then [`Workload::replayed`] checks the answer.
    fn idempotent(&self) -> bool {
        true
    }
    /// Checks the answer to an acknowledged write sent once more (200 and the same id).
    fn replayed(&self, ack: &Ack, status: u16, answer: &Value);
    /// The counts that must hold afterwards: every acknowledged write with what was sent, and
    /// the path's invariants.
    fn checks(&self, acks: &[Ack]) -> Vec<Check>;
}

/// A path and the token its writer sends.
pub struct Writer {
    /// The path.
    pub load: Arc<dyn Workload>,
    /// Its bearer token (`None` for the public forms).
    pub token: Option<String>,
}

/// When a writer stops (after the kill) and how many writes all writers got acknowledged.
type Pace<'a> = (&'a AtomicBool, &'a AtomicUsize);

/// What one writer did between two kills: its acknowledged writes and the write left hanging.
type Stretch = (Vec<Ack>, Option<usize>);

/// Runs every writer against `server`, kills it `kills` times at random moments (20–250 ms
/// after the first write of the stretch is acknowledged, so writes are always in flight) and restarts it; then sends each write a kill cut
/// off until it is acknowledged, and each acknowledged write of an idempotent path again.
/// Returns every path's acknowledged writes.
pub fn hammer(server: &mut Server, kills: usize, writers: &[Writer], seed: u64) -> Vec<Vec<Ack>> {
    let mut acks: Vec<Vec<Ack>> = vec![Vec::new(); writers.len()];
    let mut next: Vec<usize> = vec![0; writers.len()];
    let mut pending: Vec<Option<usize>> = vec![None; writers.len()];
    let mut rng = seed | 1;
    for _ in 0..kills {
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = writers
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let (stop, load, token) = (stop.clone(), w.load.clone(), w.token.clone());
                let acked = acked.clone();
                let (port, first, from) = (server.port, pending[i].take(), next[i]);
                std::thread::spawn(move || -> Stretch {
                    stretch(port, &*load, token.as_deref(), first, from, (&stop, &acked))
                })
            })
            .collect();
        // Writes under way first (a restarted server's first answers are slower, on
        // PostgreSQL much slower: its pool connects), then a moment 20–250 ms on.
        let since = Instant::now();
        while acked.load(Ordering::Relaxed) == 0 && since.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(20 + xorshift(&mut rng) % 230));
        server.kill();
        stop.store(true, Ordering::Relaxed);
        for (i, th) in threads.into_iter().enumerate() {
            let (mine, left) = th.join().unwrap();
            if let Some(last) = mine.last() {
                next[i] = next[i].max(last.k + 1);
            }
            acks[i].extend(mine);
            pending[i] = left;
        }
        server.restarts += 1;
        server.spawn();
    }
    // The writes the last kill cut off, sent again until they are acknowledged.
    for (i, w) in writers.iter().enumerate() {
        if let Some(k) = pending[i].take() {
            let (never, count) = (AtomicBool::new(false), AtomicUsize::new(0));
            let (mine, left) = stretch_once(
                server.port,
                &*w.load,
                w.token.as_deref(),
                k,
                (&never, &count),
            );
            assert!(left.is_none(), "{}: write {k} unanswered", w.load.name());
            acks[i].extend(mine);
        }
    }
    // Every acknowledged write sent again answers the first and stores nothing new.
    for (i, w) in writers.iter().enumerate() {
        if !w.load.idempotent() {
            continue;
        }
        for a in &acks[i] {
            let (st, v) = server.call(
                a.write.method,
                &a.write.path,
                w.token.as_deref(),
                &a.write.body,
            );
            w.load.replayed(a, st, &v);
        }
    }
    acks
}

/// One writer until the kill: first the write the last kill cut off (if any), then k = `from`,
/// `from + 1`, … while the server answers.
fn stretch(
    port: u16,
    load: &dyn Workload,
    token: Option<&str>,
    first: Option<usize>,
    from: usize,
    pace: Pace,
) -> Stretch {
    let (stop, acked) = pace;
    let mut mine = Vec::new();
    let mut k = from;
    if let Some(p) = first {
        let (done, left) = stretch_once(port, load, token, p, pace);
        mine.extend(done);
        if left.is_some() {
            return (mine, left);
        }
        k = k.max(p + 1);
    }
    while !stop.load(Ordering::Relaxed) {
        let Some(w) = load.write(k) else {
            // Out of material: idle until the kill.
            std::thread::sleep(Duration::from_millis(5));
            continue;
        };
        match call(port, w.method, &w.path, token, &w.body) {
            Some((st, v)) => {
                if load.acknowledges(k, st, &v, false) {
                    acked.fetch_add(1, Ordering::Relaxed);
                    mine.push(Ack {
                        k,
                        write: w,
                        answer: v,
                        resent: false,
                    });
                    k += 1;
                }
            }
            None => return (mine, Some(k)),
        }
    }
    (mine, None)
}

/// Write k, resent until acknowledged (or the server is gone again).
fn stretch_once(
    port: u16,
    load: &dyn Workload,
    token: Option<&str>,
    k: usize,
    pace: Pace,
) -> Stretch {
    let (stop, acked) = pace;
    let w = load.write(k).expect("a write once sent can be made again");
    loop {
        match call(port, w.method, &w.path, token, &w.body) {
            Some((st, v)) if load.acknowledges(k, st, &v, true) => {
                acked.fetch_add(1, Ordering::Relaxed);
                let ack = Ack {
                    k,
                    write: w,
                    answer: v,
                    resent: true,
                };
                return (vec![ack], None);
            }
            Some(_) if !stop.load(Ordering::Relaxed) => {
                std::thread::sleep(Duration::from_millis(5));
            }
            _ => return (Vec::new(), Some(k)),
        }
    }
}

/// Runs every check of every path on `db`; panics naming the first that fails.
pub async fn verify(db: &TestDb, checks: Vec<Check>) {
    for (sql, want, what) in checks {
        let got = db.query_i64(&sql).await;
        assert_eq!(got, want, "{what}: {sql}");
    }
}

/// The answer's `key` as an id.
pub fn id_of(v: &Value, key: &str) -> i64 {
    v[key].as_i64().unwrap_or_else(|| panic!("no {key} in {v}"))
}
