//! Two `doorstep serve` processes on one database behave as one (issue 17, "a fleet"): a
//! session made on one works on the other; a logout on one, or a user disabled by a third
//! process, is refused by the other within the documented 2 s (ARCHITECTURE.md, "In-process
//! state across processes"); an idempotent write retried on the other answers the first and
//! stores nothing twice, also when both get it at once; the login throttle counts the tries
//! made on both; and a seal notification is POSTed once, whichever server claims it.
//! Run on PostgreSQL (the fleet's database) and on SQLite (two processes on one file).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use doorstep_app::access::{Ctx, Principal};
use doorstep_app::rounds::{PersonRef, RoundDesk, RoundForm, ScanInput};
use doorstep_app::users::{By, create_user, set_disabled};
use doorstep_core::{AreaPath, Role, RoundStatus};
use doorstep_store::BoxStep;
use doorstep_testkit::{PASSWORD, TestDb, both_backends, csv_file, import_into};
use serde_json::{Value, json};

use crate::{Killed, call, doorstep_cmd, free_port};

const COMMUNITY: &str = "二七区/京广路街道/祥云社区";
/// The documented bound for a change made elsewhere to reach a server's session cache, and
/// what the test allows on top of it for two processes and a loaded machine.
const BOUND: Duration = Duration::from_secs(2);
const SLACK: Duration = Duration::from_millis(1500);

/// A valid resident ID number for person `i`.
fn person_id(i: u32) -> String {
    let birth = time::macros::date!(1970 - 01 - 01) + time::Duration::days(i64::from(i));
    doorstep_core::idnum::make_resident_id("410103", birth, (i % 999) as u16)
}

/// A server on `port` that POSTs seal notifications to `hook`.
fn start(db: &str, port: u16, hook: &str) -> Killed {
    let child = doorstep_cmd()
        .args(["--db", db, "serve", "--addr", &format!("127.0.0.1:{port}")])
        .args(["--seal-webhook", hook])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while call(port, "GET", "/healthz", None, "").is_none() {
        assert!(Instant::now() < deadline, "the server did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
    Killed(child)
}

/// A webhook receiver on a port of its own: counts the POSTs by `Idempotency-Key`.
fn receiver() -> (u16, Arc<Mutex<HashMap<String, usize>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(HashMap::new()));
    let counts = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let (mut key, mut len) = (String::new(), 0usize);
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("idempotency-key:") {
                    key = v.trim().to_string();
                }
                if let Some(v) = lower.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; len];
            let _ = reader.read_exact(&mut body);
            *counts.lock().unwrap().entry(key).or_insert(0) += 1;
            // A slow receiver: a server's batch takes seconds, so the other server's tick
            // comes while it is still sending.
            std::thread::sleep(Duration::from_millis(400));
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (port, seen)
}

/// How long until `port` refuses `token` on `/api/v1/me` (polled every 50 ms, at most 10 s).
fn until_refused(port: u16, token: &str) -> Duration {
    let start = Instant::now();
    loop {
        let (st, v) = call(port, "GET", "/api/v1/me", Some(token), "").unwrap();
        if st == 401 {
            return start.elapsed();
        }
        assert_eq!(st, 200, "{v}");
        assert!(start.elapsed() < Duration::from_secs(10), "never refused");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn login(port: u16, user: &str, password: &str) -> (u16, Value) {
    let body = json!({"username": user, "password": password}).to_string();
    call(port, "POST", "/api/v1/auth/login", None, &body).unwrap()
}

both_backends!(
    two_servers_on_one_database_behave_as_one,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        doorstep_testkit::demo_community(store).await;
        let dir = tempfile::tempdir().unwrap();
        let mut roster = String::from("姓名,身份证号,小区,楼栋,单元,房号\n");
        for i in 0..40u32 {
            roster += &format!("人{i},{},佳纷天地,1,1,{}\n", person_id(i), 101 + i);
        }
        let f = csv_file(dir.path(), "r.csv", &roster);
        assert_eq!(import_into(store, &f, COMMUNITY).await.rejected, 0);
        let area = AreaPath::parse(COMMUNITY).unwrap();
        for name in ["sampler", "leaver", "guessed"] {
            create_user(store, By::Cli, name, Role::Sampler, &area, PASSWORD)
                .await
                .unwrap();
        }
        let (office, ctx) = (Principal::office(), Ctx::default());
        let desk = RoundDesk::new(store, &office, &ctx);
        let round = desk
            .create(&RoundForm {
                area: COMMUNITY.into(),
                name: "两台服务器".into(),
                pool_size: 10,
                ..RoundForm::default()
            })
            .await
            .unwrap();
        desk.set_status(round.id, RoundStatus::Open).await.unwrap();
        let rid = round.id;

        let (hook_port, posted) = receiver();
        let hook = format!("http://127.0.0.1:{hook_port}/seal");
        let (pa, pb) = (free_port(), free_port());
        let url = db.url.clone();
        let servers =
            tokio::task::spawn_blocking(move || (start(&url, pa, &hook), start(&url, pb, &hook)))
                .await
                .unwrap();

        // A session made on A works on B; a logout on A is refused on B within the bound (B has
        // just read it, so its cache holds it as live).
        let (st, v) = login(pa, "sampler", PASSWORD);
        assert_eq!(st, 200, "{v}");
        let token = v["token"].as_str().unwrap().to_string();
        let (st, v) = call(pb, "GET", "/api/v1/me", Some(&token), "").unwrap();
        assert_eq!((st, v["username"].as_str()), (200, Some("sampler")), "{v}");
        let (st, _) = call(pa, "POST", "/api/v1/auth/logout", Some(&token), "").unwrap();
        assert_eq!(st, 204);
        assert_eq!(
            call(pa, "GET", "/api/v1/me", Some(&token), "").unwrap().0,
            401
        );
        let took = until_refused(pb, &token);
        eprintln!("logout on A refused on B after {took:?}");
        assert!(took <= BOUND + SLACK, "logout reached B after {took:?}");

        // A user disabled by a third process (this test's own store) is refused on both.
        let (_, v) = login(pb, "leaver", PASSWORD);
        let leaver = v["token"].as_str().unwrap().to_string();
        for port in [pa, pb] {
            assert_eq!(
                call(port, "GET", "/api/v1/me", Some(&leaver), "")
                    .unwrap()
                    .0,
                200
            );
        }
        set_disabled(store, By::Cli, "leaver", true).await.unwrap();
        for port in [pa, pb] {
            let took = until_refused(port, &leaver);
            eprintln!("disabled user refused on :{port} after {took:?}");
            assert!(
                took <= BOUND + SLACK,
                "disabling reached :{port} after {took:?}"
            );
        }

        // An idempotent write answered by A and sent again to B answers the same scan; the same
        // new scan sent to both at once is stored once too.
        let (_, v) = login(pb, "sampler", PASSWORD);
        let token = v["token"].as_str().unwrap().to_string();
        let path = format!("/api/v1/rounds/{rid}/scans");
        let scan = |n: u32| {
            json!({"client_id": format!("fleet-{n}"), "tube": "FL-0001", "person": {"id_number": person_id(n)}})
            .to_string()
        };
        let (st, first) = call(pa, "POST", &path, Some(&token), &scan(0)).unwrap();
        assert_eq!(st, 201, "{first}");
        let (st, again) = call(pb, "POST", &path, Some(&token), &scan(0)).unwrap();
        assert_eq!((st, &again["scan_id"]), (200, &first["scan_id"]), "{again}");
        for n in 1..6u32 {
            let (t1, t2, p1, p2) = (token.clone(), token.clone(), path.clone(), path.clone());
            let (b1, b2) = (scan(n), scan(n));
            let h1 = std::thread::spawn(move || call(pa, "POST", &p1, Some(&t1), &b1).unwrap());
            let h2 = std::thread::spawn(move || call(pb, "POST", &p2, Some(&t2), &b2).unwrap());
            let ((s1, v1), (s2, v2)) = (h1.join().unwrap(), h2.join().unwrap());
            let mut codes = [s1, s2];
            codes.sort_unstable();
            assert_eq!(codes, [200, 201], "{v1} {v2}");
            assert_eq!(v1["scan_id"], v2["scan_id"], "{v1} {v2}");
        }
        assert_eq!(
            db.query_i64(&format!(
                "SELECT COUNT(*) FROM samples WHERE round_id = {rid}"
            ))
            .await,
            6
        );

        // The login throttle counts tries on both: a user name from one address has three free
        // tries, the fourth starts a wait of a second, so the fifth, a moment later, is refused
        // whichever server gets it (A's third try would pass if each server counted alone).
        let ports = [pa, pb, pa, pb, pa];
        let codes: Vec<u16> = ports
            .iter()
            .map(|&p| login(p, "guessed", "wrong-password-1").0)
            .collect();
        assert_eq!(
            codes,
            [401, 401, 401, 401, 429],
            "tries across both servers"
        );
        let (st, v) = login(pb, "guessed", PASSWORD);
        assert_eq!(st, 429, "waiting is the only way on: {v}");

        // Seal notifications: boxes sealed here, POSTed by whichever server claims each, once.
        let boxes = 8;
        for n in 0..boxes {
            let tube = format!("FT-{n:02}");
            desk.scan(
                rid,
                &ScanInput {
                    client_id: format!("box-{n}"),
                    tube: tube.clone(),
                    person: PersonRef::IdNumber(person_id(10 + n as u32)),
                    retest: false,
                    point: None,
                },
            )
            .await
            .unwrap();
            desk.close_tube(rid, &tube).await.unwrap();
            let code = format!("FB-{n:02}");
            desk.open_box(rid, &code).await.unwrap();
            desk.box_tube(rid, &code, &tube).await.unwrap();
            desk.move_box(
                rid,
                &code,
                BoxStep::Seal {
                    by: "office".into(),
                },
            )
            .await
            .unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while posted.lock().unwrap().len() < boxes {
            assert!(
                Instant::now() < deadline,
                "not every seal was POSTed: {:?}",
                posted.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Both servers tick every 5 s: past two more ticks of each, still one POST per seal.
        tokio::time::sleep(Duration::from_secs(11)).await;
        let seen = posted.lock().unwrap().clone();
        assert_eq!(seen.len(), boxes, "{seen:?}");
        assert!(
            seen.values().all(|&n| n == 1),
            "a seal POSTed twice: {seen:?}"
        );
        assert_eq!(
            db.query_i64("SELECT COUNT(*) FROM seal_outbox WHERE delivered_at IS NOT NULL")
                .await,
            boxes as i64
        );

        drop(servers);
    }
);
