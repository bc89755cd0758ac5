//! Handover slips, seal notifications and the board's alerts, on SQLite and on PostgreSQL: two
//! sealed boxes waiting on the transport group's list, one slip signed by the carrier's side,
//! the lab's receipt 2½ hours later refused without a temperature and with an unexplained
//! count, then signed; the webhook fed from the seal's outbox through failures to delivery
//! with one idempotency key; a late box raising one alert however often the sweep runs, and
//! the positive pool's household on top of the board.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use doorstep_app::access::Ctx;
use doorstep_app::clock::FixedClock;
use doorstep_app::rounds::{Webhook, deliver_seal_notes, sweep_late_boxes};
use doorstep_core::Role;
use doorstep_testkit::{COMMUNITY, TestApp, TestDb, both_backends, id, user};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Six persons in 佳纷天地 1号楼, an open round of pool 5 over the community; users `admin1`,
/// samplers `s-jf`/`s-qt`, transporters `t1` (the community) and `t-far` (钱塘衣城, where
/// the boxes are not), `lab1` (the district).
async fn setup(app: &TestApp) -> i64 {
    setup_with(
        app,
        json!({"area": COMMUNITY, "name": "第6轮", "pool_size": 5}),
    )
    .await
}

/// [`setup`] with the round made from `round` (the create request's body).
async fn setup_with(app: &TestApp, round: Value) -> i64 {
    let store = app.store();
    crate::custody::six_persons_and_users(store).await;
    user(store, "t1", Role::Transporter, COMMUNITY).await;
    user(
        store,
        "t-far",
        Role::Transporter,
        &format!("{COMMUNITY}/钱塘衣城"),
    )
    .await;
    crate::rounds::create_open_round(app, round).await
}

/// Scans the six into TUBE-A (full at five) and TUBE-B (closed by hand), boxes them in BOX-1
/// and BOX-2 and seals both, as `s-jf`.
async fn two_sealed_boxes(app: &TestApp, rid: i64) {
    let s = app.login_api("s-jf").await;
    let r = format!("/api/v1/rounds/{rid}");
    for n in 1..=6u16 {
        let tube = if n <= 5 { "TUBE-A" } else { "TUBE-B" };
        let body = json!({"client_id": format!("c{n}"), "tube": tube,
                          "person": {"id_number": id(n, n % 2 == 1)}});
        let (st, v, _) = s.send("POST", &format!("{r}/scans"), Some(body)).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    s.send("POST", &format!("{r}/tubes/TUBE-B/close"), None)
        .await;
    for (b, t) in [("BOX-1", "TUBE-A"), ("BOX-2", "TUBE-B")] {
        let (st, v, _) = s
            .send("POST", &format!("{r}/boxes"), Some(json!({"code": b})))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let (st, v, _) = s
            .send(
                "POST",
                &format!("{r}/boxes/{b}/tubes"),
                Some(json!({"tube": t})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let (st, v, _) = s.send("POST", &format!("{r}/boxes/{b}/seal"), None).await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
}

fn codes(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["code"].as_str().unwrap().to_string())
        .collect()
}

both_backends!(
    a_slip_is_signed_by_both_sides_with_counts_reconciled,
    async |db: &TestDb| {
        let clock = FixedClock::at(OffsetDateTime::now_utc());
        let app = TestApp::builder().clock(clock.clone()).build(db);
        let rid = setup(&app).await;
        two_sealed_boxes(&app, rid).await;
        let t1 = app.login_api("t1").await;
        let (st, waiting) = t1.get("/api/v1/transport/waiting").await;
        assert_eq!(st, StatusCode::OK, "{waiting}");
        assert_eq!(codes(&waiting), ["BOX-1", "BOX-2"]);
        // Another community's transporter sees none of it, and may not hand it over.
        let far = app.login_api("t-far").await;
        let (_, none) = far.get("/api/v1/transport/waiting").await;
        assert_eq!(none["total"], 0, "{none}");
        let slip = json!({"boxes": ["BOX-1", "box-2"], "carrier": "李师傅", "lab": "金域检验",
                          "packaging_intact": true, "disinfected": true});
        let (st, _, _) = far
            .send("POST", "/api/v1/handovers", Some(slip.clone()))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        // A lab may not hand over (it sees the area: 403).
        let lab = app.login_api("lab1").await;
        let (st, _, _) = lab
            .send("POST", "/api/v1/handovers", Some(slip.clone()))
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        // Carrier and lab are required; a temperature must read as °C.
        let (st, v, _) = t1
            .send(
                "POST",
                "/api/v1/handovers",
                Some(json!({"boxes": ["BOX-1"], "carrier": " ", "lab": "",
                            "packaging_intact": true, "disinfected": false, "temperature": "warm"})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let fields: Vec<&str> = v["fields"]
            .as_array()
            .map(|f| f.iter().filter_map(|x| x["path"].as_str()).collect())
            .unwrap_or_default();
        assert!(
            v.to_string().contains("carrier")
                && v.to_string().contains("transport_temperature_invalid"),
            "{v} {fields:?}"
        );
        let (st, h, _) = t1
            .send("POST", "/api/v1/handovers", Some(slip.clone()))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{h}");
        assert_eq!(
            (
                h["sent_by"].as_str(),
                h["tubes"].as_i64(),
                h["received_by"].as_str()
            ),
            (Some("t1"), Some(2), None),
            "{h}"
        );
        let hid = h["id"].as_i64().unwrap();
        let statuses: Vec<&str> = h["boxes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["handed_over", "handed_over"]);
        // A box goes on one slip only; the waiting list is empty now.
        let (st, v, _) = t1
            .send("POST", "/api/v1/handovers", Some(slip.clone()))
            .await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("box_status"))
        );
        let (_, waiting) = t1.get("/api/v1/transport/waiting").await;
        assert_eq!(waiting["total"], 0);
        // The slip is on the sending side's list, not on another compound's.
        let (_, recent) = t1.get("/api/v1/handovers").await;
        assert_eq!(recent["items"][0]["id"].as_i64(), Some(hid), "{recent}");
        let (_, none) = far.get("/api/v1/handovers").await;
        assert_eq!(none["total"], 0, "{none}");
        // The other compound's sampler does not see the slip; the lab does.
        let qt = app.login_api("s-qt").await;
        let (st, _) = qt.get(&format!("/api/v1/handovers/{hid}")).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _) = lab.get(&format!("/api/v1/handovers/{hid}")).await;
        assert_eq!(st, StatusCode::OK);
        // The transporter may not receive (it sees the round's area: 403).
        let (st, _, _) = t1
            .send(
                "POST",
                &format!("/api/v1/handovers/{hid}/receive"),
                Some(json!({"boxes": [{"code": "BOX-1", "tubes": 1}]})),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        // Two and a half hours on the road.
        clock.advance(Duration::minutes(150));
        let lab = app.login_api("lab1").await;
        let counted = json!([{"code": "BOX-1", "tubes": 1}, {"code": "BOX-2", "tubes": 0}]);
        let (st, v, _) = lab
            .send(
                "POST",
                &format!("/api/v1/handovers/{hid}/receive"),
                Some(json!({"boxes": counted})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(v.to_string().contains("temperature_required"), "{v}");
        // BOX-2 counted short without a note: the mismatch must be explained.
        let (st, v, _) = lab
            .send(
                "POST",
                &format!("/api/v1/handovers/{hid}/receive"),
                Some(json!({"boxes": counted, "temperature": "4.5"})),
            )
            .await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("count_mismatch")),
            "{v}"
        );
        let (st, h, _) = lab
            .send(
                "POST",
                &format!("/api/v1/handovers/{hid}/receive"),
                Some(json!({"boxes": [{"code": "BOX-1", "tubes": 1},
                                      {"code": "BOX-2", "tubes": 0, "note": "箱内未见试管，已联系采样点"}],
                            "temperature": "4.5"})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{h}");
        assert_eq!(
            (
                h["received_by"].as_str(),
                h["temperature"].as_str(),
                h["transport_minutes"].as_i64(),
                h["received_tubes"].as_i64()
            ),
            (Some("lab1"), Some("4.5"), Some(150), Some(1)),
            "{h}"
        );
        let b2 = &h["boxes"][1];
        assert_eq!(
            (b2["mismatch"].as_bool(), b2["mismatch_note"].as_str()),
            (Some(true), Some("箱内未见试管，已联系采样点"))
        );
        // Both signatures are in the box's custody timeline.
        let admin = app.login_api("admin1").await;
        let (_, tl) = admin
            .get(&format!("/api/v1/rounds/{rid}/boxes/BOX-1/timeline"))
            .await;
        let text = tl.to_string();
        for action in ["sealed", "handed_over", "received", "receipt_signed"] {
            assert!(text.contains(action), "{action}: {tl}");
        }
        assert!(text.contains("\"signed_by\":\"t1\""), "{tl}");
        // The printable slip shows both signature lines and the counts.
        let mut b = app.browser();
        b.login("t1").await;
        let page = b.get(&format!("/handovers/{hid}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        for s in [
            "交接单",
            "BOX-1",
            "BOX-2",
            "李师傅",
            "金域检验",
            "4.5",
            "t1",
            "lab1",
            "箱内未见试管",
        ] {
            assert!(page.text.contains(s), "{s} missing");
        }
        let (st, list) = lab.get(&format!("/api/v1/rounds/{rid}/handovers")).await;
        assert_eq!((st, list["total"].as_i64()), (StatusCode::OK, Some(1)));
    }
);

both_backends!(
    a_box_received_by_scan_reconciles_and_signs_its_slip,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        let rid = setup(&app).await;
        two_sealed_boxes(&app, rid).await;
        let t1 = app.login_api("t1").await;
        let (st, h, _) = t1
            .send(
                "POST",
                "/api/v1/handovers",
                Some(json!({"boxes": ["BOX-1"], "carrier": "王", "lab": "金域",
                            "packaging_intact": true, "disinfected": true})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{h}");
        let hid = h["id"].as_i64().unwrap();
        // The lab's scan page: the box's sealed count, then a count that differs needs a note.
        let mut b = app.browser();
        b.login("lab1").await;
        let page = b.get("/lab/receive?code=box-1").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(page.text.contains("BOX-1") && page.text.contains(&format!("/handovers/{hid}")));
        let csrf = b.csrf().await;
        let r = b
            .post_form(
                "/lab/receive",
                &[
                    ("csrf", &csrf),
                    ("code", "BOX-1"),
                    ("tubes", "2"),
                    ("note", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.text.contains("role=\"alert\""), "{}", r.text);
        assert!(
            r.text
                .contains("name=\"note\" value=\"\" maxlength=\"200\" aria-invalid=\"true\""),
            "the note is the field to fill: {}",
            r.text
        );
        let r = b
            .post_form(
                "/lab/receive",
                &[
                    ("csrf", &csrf),
                    ("code", "BOX-1"),
                    ("tubes", "1"),
                    ("note", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let lab = app.login_api("lab1").await;
        let (_, h) = lab.get(&format!("/api/v1/handovers/{hid}")).await;
        assert_eq!(h["received_by"], "lab1", "{h}");
        // BOX-2 had no slip: received by the API, with a note for its short count.
        let (st, v, _) = lab
            .send(
                "POST",
                "/api/v1/lab/boxes/BOX-2/receive",
                Some(json!({"tubes": 1})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        // The lab's results upload: one recorded, an unknown code listed, a bad row refused.
        let csrf = b.csrf().await;
        let boundary = "XBOUNDARYX";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n"
        )
        .into_bytes();
        body.extend(
            "试管码,检测结果,检测时间\nTUBE-A,阴性,\nNOPE-1,阴性,\nTUBE-B,不知道,\n".as_bytes(),
        );
        body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
        let page = b
            .request(
                "POST",
                "/lab/results",
                Some(format!("multipart/form-data; boundary={boundary}")),
                body,
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        let text = &page.text;
        assert!(text.contains("<dd><strong>1</strong></dd>"), "{text}");
        assert!(text.contains("NOPE-1") && text.contains("第 4"), "{text}");
        // A sampler may not use the lab's pages.
        let mut s = app.browser();
        s.login("s-jf").await;
        let page = s.get("/lab/receive?code=BOX-1").await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        let page = s.get("/lab/results").await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
    }
);

/// A local webhook receiver: answers 500 to the first `fail` requests, then 200; keeps each
/// request's head and body.
async fn receiver(fail: usize) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/seal", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Read the head, then as much body as Content-Length says.
            loop {
                let n = s.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len = text
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            let n = {
                let mut seen = kept.lock().unwrap();
                seen.push(String::from_utf8_lossy(&buf).to_string());
                seen.len()
            };
            let status = if n <= fail {
                "500 Internal Server Error"
            } else {
                "200 OK"
            };
            let _ = s
                .write_all(
                    format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .await;
        }
    });
    (url, seen)
}

both_backends!(
    a_seal_reaches_the_webhook_at_least_once_through_failures,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        let rid = setup(&app).await;
        two_sealed_boxes(&app, rid).await;
        let (url, seen) = receiver(2).await;
        let hook = Webhook::parse(&url).unwrap();
        let store = app.store();
        let mut now = OffsetDateTime::now_utc();
        // Two seals, both queued; the first attempts fail and are put back with a wait.
        assert_eq!(deliver_seal_notes(store, &hook, now).await.unwrap(), (0, 2));
        // Not due again yet: nothing is sent.
        assert_eq!(deliver_seal_notes(store, &hook, now).await.unwrap(), (0, 0));
        now += Duration::seconds(6);
        assert_eq!(deliver_seal_notes(store, &hook, now).await.unwrap(), (2, 0));
        now += Duration::hours(1);
        assert_eq!(deliver_seal_notes(store, &hook, now).await.unwrap(), (0, 0));
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 4, "{seen:?}");
        let key = |r: &str| {
            r.lines()
                .find_map(|l| l.strip_prefix("Idempotency-Key: "))
                .unwrap_or_default()
                .to_string()
        };
        let mut keys: Vec<String> = seen.iter().map(|r| key(r)).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 2, "{keys:?}");
        // Each box was tried twice with the same key, once failing and once delivered.
        for r in &seen {
            assert!(r.starts_with("POST /hooks/seal HTTP/1.1"), "{r}");
            assert!(r.contains("\"event\":\"box.sealed\""), "{r}");
        }
        assert!(seen.iter().any(|r| r.contains("\"box\":\"BOX-1\"")));
        // Two servers claiming at once: the lease gives each row to one of them.
        let s2 = app.login_api("s-jf").await;
        let r = format!("/api/v1/rounds/{rid}");
        s2.send(
            "POST",
            &format!("{r}/boxes"),
            Some(json!({"code": "BOX-3"})),
        )
        .await;
        let body = json!({"client_id": "c7", "tube": "TUBE-C", "person": {"id_number": id(1, true)},
                          "retest": true});
        s2.send("POST", &format!("{r}/scans"), Some(body)).await;
        s2.send("POST", &format!("{r}/tubes/TUBE-C/close"), None)
            .await;
        s2.send(
            "POST",
            &format!("{r}/boxes/BOX-3/tubes"),
            Some(json!({"tube": "TUBE-C"})),
        )
        .await;
        let (st, v, _) = s2
            .send("POST", &format!("{r}/boxes/BOX-3/seal"), None)
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let at = OffsetDateTime::now_utc() + Duration::seconds(1);
        let since = at - Duration::days(1);
        let (a, b) = tokio::join!(
            store.claim_seal_notes(at, since, Duration::seconds(60), 20),
            store.claim_seal_notes(at, since, Duration::seconds(60), 20)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.len() + b.len(), 1, "{a:?} {b:?}");
    }
);

both_backends!(
    late_boxes_and_positive_pools_top_the_community_board,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        let rid = setup(&app).await;
        two_sealed_boxes(&app, rid).await;
        let store = app.store();
        // Within the deadline nothing is late; five hours after the first sample both are.
        let soon = Ctx {
            clock: FixedClock::at(OffsetDateTime::now_utc() + Duration::hours(1)),
            ..Ctx::default()
        };
        assert_eq!(sweep_late_boxes(store, &soon).await.unwrap(), 0);
        let late = Ctx {
            clock: FixedClock::at(OffsetDateTime::now_utc() + Duration::hours(5)),
            ..Ctx::default()
        };
        assert_eq!(sweep_late_boxes(store, &late).await.unwrap(), 2);
        // Again (another server, the next minute): the same two tasks, nothing new.
        assert_eq!(sweep_late_boxes(store, &late).await.unwrap(), 2);
        let admin = app.login_api("admin1").await;
        let (_, board) = admin.get("/api/v1/tasks?status=open").await;
        let late_tasks: Vec<&Value> = board["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["note"].as_str().unwrap_or("").contains("转运箱"))
            .collect();
        assert_eq!(late_tasks.len(), 2, "{board}");
        assert!(
            late_tasks
                .iter()
                .all(|t| t["label"].as_str().unwrap_or("").contains("祥云社区")
                    || t["area"].as_str().unwrap_or("").ends_with("祥云社区")),
            "{late_tasks:?}"
        );
        // A positive pool: its persons' re-sampling tasks, and their household on top.
        let lab = app.login_api("lab1").await;
        let (st, v, _) = lab
            .send(
                "POST",
                "/api/v1/lab/results",
                Some(json!({"results": [{"tube": "TUBE-A", "result": "positive"}]})),
            )
            .await;
        assert_eq!(
            (st, v["flagged"].as_i64()),
            (StatusCode::OK, Some(5)),
            "{v}"
        );
        let mut b = app.browser();
        b.login("admin1").await;
        let page = b.get("/tasks").await;
        assert_eq!(page.status, StatusCode::OK);
        let alerts = page.text.find("class=\"alerts").expect("alerts section");
        let end = alerts + page.text[alerts..].find("</section>").unwrap();
        let list = page.text[end..].find("class=\"list\"").unwrap();
        assert!(list > 0, "the board's own list comes after the alerts");
        let top = &page.text[alerts..end];
        assert!(top.contains("BOX-1") && top.contains("BOX-2"), "{top}");
        assert!(top.contains("1号楼") && top.contains("101"), "{top}");
        // A grid worker has no board.
        let (st, _) = app
            .login_api("s-jf")
            .await
            .get("/api/v1/transport/waiting")
            .await;
        assert_eq!(st, StatusCode::OK);
    }
);

both_backends!(
    a_round_of_one_hour_makes_a_box_late_after_61_minutes,
    async |db: &TestDb| {
        let clock = FixedClock::at(OffsetDateTime::now_utc());
        let app = TestApp::builder().clock(clock.clone()).build(db);
        let rid = setup_with(
            &app,
            json!({"area": COMMUNITY, "name": "第7轮", "pool_size": 5, "lab_deadline_minutes": 60}),
        )
        .await;
        let admin = app.login_api("admin1").await;
        // Outside 30–1440 minutes: a field error, in the caller's language.
        for bad in [29, 1441] {
            let (st, v, _) = admin
                .send(
                    "POST",
                    "/api/v1/rounds",
                    Some(json!({"area": COMMUNITY, "name": "x", "pool_size": 5,
                                "lab_deadline_minutes": bad})),
                )
                .await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
            assert_eq!(v["fields"][0]["path"], "lab_deadline_minutes", "{v}");
            assert!(
                v["fields"][0]["message"].as_str().unwrap().contains("1440"),
                "{v}"
            );
        }
        let res = admin
            .request("POST", "/api/v1/rounds")
            .lang("en")
            .json(
                &json!({"area": COMMUNITY, "name": "x", "pool_size": 5, "lab_deadline_minutes": 0}),
            )
            .send()
            .await;
        let v = res.json();
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(
            v["fields"][0]["message"]
                .as_str()
                .unwrap()
                .contains("minutes from 30 to 1440"),
            "{v}"
        );
        let (_, r) = admin.get(&format!("/api/v1/rounds/{rid}")).await;
        assert_eq!(r["lab_deadline_minutes"], 60, "{r}");
        two_sealed_boxes(&app, rid).await;
        let ctx = Ctx {
            clock: clock.clone(),
            ..Ctx::default()
        };
        // 59 minutes after the first sample: in time; 61: both boxes late, on the board and
        // on the round's page.
        clock.advance(Duration::minutes(59));
        assert_eq!(sweep_late_boxes(app.store(), &ctx).await.unwrap(), 0);
        clock.advance(Duration::minutes(2));
        assert_eq!(sweep_late_boxes(app.store(), &ctx).await.unwrap(), 2);
        let (_, board) = admin.get("/api/v1/tasks?status=open").await;
        assert!(
            board["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["note"].as_str().unwrap_or("").contains("超过 60 分钟")),
            "{board}"
        );
        let mut b = app.browser();
        b.login("admin1").await;
        let page = b.get(&format!("/rounds/{rid}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("2个转运箱超过送达时限"), "{}", page.text);
        assert!(page.text.contains("60分钟"), "{}", page.text);
    }
);
