//! An acknowledged scan is never lost: `doorstep serve` is killed with SIGKILL 100 times while
//! four samplers scan without pause, on SQLite and on PostgreSQL, and restarted each time.
//! Afterwards every scan answered 201 or 200 is still there (sent again, it answers 200 with
//! the same scan id), the round's coverage counts each stored person once, and nothing
//! half-written shows: every tube's count equals the samples in it, and the per-building
//! counts add up to the samples.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use doorstep_app::access::{Ctx, Principal};
use doorstep_app::rounds::{RoundDesk, RoundForm};
use doorstep_app::users::{By, create_user};
use doorstep_core::{AreaPath, Role, RoundStatus};
use doorstep_testkit::{TestDb, both_backends, csv_file, import_into};
use serde_json::{Value, json};

use crate::doorstep_cmd;

const KILLS: usize = 100;
const SAMPLERS: usize = 4;
const COMMUNITY: &str = "二七区/京广路街道/祥云社区";

/// A valid resident ID number for person `i` (a birth date per person).
fn person_id(i: u32) -> String {
    let birth = time::macros::date!(1960 - 01 - 01) + time::Duration::days(i64::from(i));
    doorstep_core::idnum::make_resident_id("410103", birth, (i % 999) as u16)
}

/// One request on a fresh connection: the status and the body as JSON (`None` when the server
/// was gone before it answered).
fn call(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> Option<(u16, Value)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let auth = token
        .map(|t| format!("authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n{auth}content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status: u16 = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

fn start(db: &str, port: u16) -> Child {
    let child = doorstep_cmd()
        .args(["--db", db, "serve", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while call(port, "GET", "/healthz", None, "").is_none() {
        assert!(Instant::now() < deadline, "the server did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What one sampler had acknowledged: (the scan's body, its scan id).
type Acked = Vec<(String, i64)>;

both_backends!(
    acknowledged_scans_survive_a_hundred_kills,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        doorstep_testkit::demo_community(store).await;
        let dir = tempfile::tempdir().unwrap();
        let mut roster = String::from("姓名,身份证号,小区,楼栋,单元,房号\n");
        let persons = 12_000u32;
        for i in 0..persons {
            roster += &format!(
                "人{i},{},佳纷天地,{},1,{}\n",
                person_id(i),
                i % 20 + 1,
                101 + i % 400
            );
        }
        let f = csv_file(dir.path(), "r.csv", &roster);
        assert_eq!(import_into(store, &f, COMMUNITY).await.rejected, 0);
        let area = AreaPath::parse(COMMUNITY).unwrap();
        create_user(
            store,
            By::Cli,
            "sampler",
            Role::Sampler,
            &area,
            doorstep_testkit::PASSWORD,
        )
        .await
        .unwrap();
        let (office, ctx) = (Principal::office(), Ctx::default());
        let desk = RoundDesk::new(store, &office, &ctx);
        let round = desk
            .create(&RoundForm {
                area: COMMUNITY.into(),
                name: "崩溃测试".into(),
                pool_size: 10,
                ..RoundForm::default()
            })
            .await
            .unwrap();
        desk.set_status(round.id, RoundStatus::Open).await.unwrap();
        let url = db.url.clone();
        let rid = round.id;
        // The samplers and the killer run on plain threads: the server is another process.
        let acked: Vec<Acked> = tokio::task::spawn_blocking(move || {
        let port = free_port();
        let mut server = start(&url, port);
        let login = json!({"username": "sampler", "password": doorstep_testkit::PASSWORD}).to_string();
        let (st, v) = call(port, "POST", "/api/v1/auth/login", None, &login).unwrap();
        assert_eq!(st, 200, "{v}");
        let token = Arc::new(v["token"].as_str().unwrap().to_string());
        let path = Arc::new(format!("/api/v1/rounds/{rid}/scans"));
        let mut acked: Vec<Acked> = vec![Vec::new(); SAMPLERS];
        // Each sampler's scan in flight when the server died: sent again after the restart.
        let mut pending: Vec<Option<String>> = vec![None; SAMPLERS];
        let next_person = Arc::new(AtomicU32::new(0));
        let mut rng = 0x2026_1201u64;
        for kill in 0..KILLS {
            let stop = Arc::new(AtomicBool::new(false));
            let mut threads = Vec::new();
            for (t, pend) in pending.iter_mut().enumerate() {
                let (stop, token, path, next) =
                    (stop.clone(), token.clone(), path.clone(), next_person.clone());
                let first = pend.take();
                threads.push(std::thread::spawn(move || {
                    let mut mine: Acked = Vec::new();
                    let mut tube = 0;
                    let body_of = |n: u32, tube: u32| {
                        json!({"client_id": format!("k{kill}-t{t}-{n}"), "tube": format!("K{kill:03}-T{t}-{tube:02}"),
                               "person": {"id_number": person_id(n)}})
                        .to_string()
                    };
                    let mut queue: Vec<String> = first.into_iter().collect();
                    while !stop.load(Ordering::Relaxed) {
                        let body = queue.pop().unwrap_or_else(|| {
                            let n = next.fetch_add(1, Ordering::Relaxed);
                            assert!(n < persons, "enough persons for every kill");
                            body_of(n, tube)
                        });
                        match call(port, "POST", &path, Some(&token), &body) {
                            Some((201 | 200, v)) => {
                                if v["tube"]["closed"] == true {
                                    tube += 1;
                                }
                                mine.push((body, v["scan_id"].as_i64().unwrap()));
                            }
                            Some((409, _)) => tube += 1,
                            Some((st, v)) => panic!("unexpected {st}: {v}"),
                            None => return (mine, Some(body)),
                        }
                    }
                    (mine, None)
                }));
            }
            // Kill at a random moment, 20–150 ms in.
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            std::thread::sleep(Duration::from_millis(20 + rng % 130));
            server.kill().unwrap();
            server.wait().unwrap();
            stop.store(true, Ordering::Relaxed);
            for (t, th) in threads.into_iter().enumerate() {
                let (mine, left) = th.join().unwrap();
                acked[t].extend(mine);
                pending[t] = left;
            }
            server = start(&url, port);
        }
        // Every acknowledged scan, sent again, answers the stored one.
        for mine in &acked {
            for (body, id) in mine {
                let (st, v) = call(port, "POST", &path, Some(&token), body).unwrap();
                assert_eq!((st, v["scan_id"].as_i64()), (200, Some(*id)), "{body}: {v}");
            }
        }
        server.kill().unwrap();
        server.wait().unwrap();
        acked
    })
    .await
    .unwrap();
        let total: usize = acked.iter().map(Vec::len).sum();
        eprintln!("{total} scans acknowledged across {KILLS} kills");
        assert!(
            total >= KILLS,
            "the samplers got scans in between kills: {total}"
        );
        // Nothing half-written: each tube's count is its samples; the per-building counts add up.
        assert_eq!(
        db.query_i64("SELECT COUNT(*) FROM tubes t WHERE t.count <> (SELECT COUNT(*) FROM samples s WHERE s.tube_id = t.id)")
            .await,
        0
    );
        let samples = db
            .query_i64(&format!(
                "SELECT COUNT(*) FROM samples WHERE round_id = {rid} AND retest = FALSE"
            ))
            .await;
        let counted = db
        .query_i64(&format!("SELECT CAST(COALESCE(SUM(sampled), 0) AS BIGINT) FROM round_counts WHERE round_id = {rid}"))
        .await;
        assert_eq!(samples, counted);
        assert!(
            samples as usize >= total,
            "every acknowledged scan is stored"
        );
    }
);
