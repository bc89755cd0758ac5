//! The public self-report endpoints and form, in-process, on SQLite and on PostgreSQL:
//! idempotent JSON submission, field paths of validation errors, closed links, rate limits,
//! and the no-JavaScript form from picking the building to the receipt.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::{report, setup, unit_id};
use axum::http::{StatusCode, header};
use doorstep_app::clock::FixedClock;
use doorstep_testkit::{TestApp, TestDb, both_backends, hidden, id, revoke_link};
use doorstep_web::{PublicLimits, Rate};
use serde_json::json;
use time::Duration;
use time::macros::datetime;

both_backends!(public_json_submit, async |db: &TestDb| {
    let token = setup(db.store.as_ref()).await;
    let app = TestApp::builder().peer("10.0.0.1").build(db);
    let uri = format!("/api/v1/public/reports/{token}");
    let good = report(
        "abc-123",
        "1201",
        json!([{"name": "张伟", "id_number": id(1, true), "phone": "13800000001", "relation": "户主"},
               {"name": "张小明", "id_number": id(2, true), "relation": "子"}]),
    );
    let first = app.post(&uri).json(&good).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let receipt = first.json()["receipt"].as_str().unwrap().to_string();
    assert_eq!(first.json()["status"], "pending");
    let again = app.post(&uri).json(&good).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["receipt"], receipt.as_str());
    assert_eq!(again.json()["report_id"], first.json()["report_id"]);

    // Every problem with its path, in the resident's language.
    let mut bad = report(
        "abc-124",
        "1202",
        json!([{"name": "张伟", "id_number": id(3, true), "phone": "13800000001"},
               {"name": "", "id_number": "410103199901011234", "phone": "12"}]),
    );
    bad["address"]["compound"] = json!("钱塘衣城");
    bad["address"]["building"] = json!("1");
    let res = app.post(&uri).json(&bad).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let v = res.json();
    assert_eq!(v["error"], "validation_failed");
    let fields: Vec<(String, String)> = v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().into(),
                f["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    for want in [
        ("members[1].name", "required"),
        ("members[1].id_number", "id_bad_checksum"),
        ("members[1].phone", "phone_invalid"),
        ("address.compound", "address_outside_area"),
    ] {
        assert!(
            fields.contains(&(want.0.into(), want.1.into())),
            "{want:?} in {fields:?}"
        );
    }
    let msg = v["fields"][0]["message"].as_str().unwrap();
    assert!(
        msg.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{msg}"
    );

    // A body that is not JSON, an unknown token.
    let res = app.post(&uri).body("application/json", "{").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let res = app.post("/api/v1/public/reports/nope").json(&good).await;
    assert_eq!(
        (res.status, res.json()["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("link_not_found"))
    );

    // The receipt page shows the report while the link is open.
    let page = app.get(&format!("/r/{token}/receipt/{receipt}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(&receipt));
    assert!(page.text.contains("佳纷天地3号楼2单元1201"));
    // Someone else's receipt code opens nothing.
    let page = app
        .get(&format!("/r/{token}/receipt/0000000000000000"))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);

    // A correction within 24 hours.
    let mut fixed = good.clone();
    fixed["members"][1]["phone"] = json!("13900000002");
    let res = app
        .put(&format!("/api/v1/public/reports/{token}/{receipt}"))
        .json(&fixed)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    // Revoked: the form, the endpoint and the receipt all answer 410.
    revoke_link(db.store.as_ref(), &token).await;
    let res = app
        .post(&uri)
        .json(&report(
            "abc-125",
            "1203",
            json!([{"name": "李四", "id_number": id(4, true)}]),
        ))
        .await;
    assert_eq!(
        (res.status, res.json()["error"].as_str()),
        (StatusCode::GONE, Some("link_closed"))
    );
    let page = app.get(&format!("/r/{token}")).await;
    assert_eq!(page.status, StatusCode::GONE);
    let page = app.get(&format!("/r/{token}/receipt/{receipt}")).await;
    assert_eq!(page.status, StatusCode::GONE);
});

both_backends!(
    public_rate_limits_per_ip_and_per_token,
    async |db: &TestDb| {
        let token = setup(db.store.as_ref()).await;
        let app = TestApp::builder()
            .peer("10.0.0.1")
            .limits(PublicLimits {
                per_ip: Rate {
                    burst: 3.0,
                    per_sec: 0.01,
                },
                per_token: Rate {
                    burst: 5.0,
                    per_sec: 0.01,
                },
                max_in_flight: 8,
            })
            .build(db);
        let uri = format!("/r/{token}");
        for _ in 0..3 {
            let r = app.get(&uri).await;
            assert_eq!(r.status, StatusCode::OK);
        }
        let limited = app.get(&uri).await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        let wait: u64 = limited.headers[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(wait >= 1);
        // Another address still gets in, until the link's own budget is spent.
        let r = app.get(&uri).peer("10.0.0.2").await;
        assert_eq!(r.status, StatusCode::OK);
        // The JSON endpoint answers 429 as JSON with Retry-After.
        let r = app
            .post(&format!("/api/v1/public/reports/{token}"))
            .peer("10.0.0.3")
            .json(&report(
                "k-1",
                "1201",
                json!([{"name": "张伟", "id_number": id(1, true)}]),
            ))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let r = app
            .post(&format!("/api/v1/public/reports/{token}"))
            .peer("10.0.0.4")
            .json(&report(
                "k-2",
                "1202",
                json!([{"name": "张伟", "id_number": id(2, true)}]),
            ))
            .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.json()["error"], "rate_limited");
        assert!(r.headers.contains_key(header::RETRY_AFTER));
        // Staff pages and the API are not limited by the public buckets: the layer sits on the
        // public routes alone.
        for uri in ["/healthz", "/login", "/api/openapi.json"] {
            let r = app.get(uri).await;
            assert_eq!(r.status, StatusCode::OK, "{uri}");
        }
    }
);

both_backends!(
    resident_form_from_building_to_receipt,
    async |db: &TestDb| {
        let token = setup(db.store.as_ref()).await;
        let app = TestApp::builder().peer("10.0.0.1").build(db);
        let ip = "10.0.0.9";
        // Step one: the link is for 佳纷天地, so the building comes first, from the registry.
        let step1 = app.get(&format!("/r/{token}")).peer(ip).await;
        assert_eq!(step1.status, StatusCode::OK);
        assert!(step1.text.contains("居家隔离人员报备"));
        assert!(step1.text.contains("请选择楼栋"));
        assert!(step1.text.contains(">3号楼</a>"));
        assert!(!step1.text.contains("钱塘衣城"));
        // The only script is the binary's own, and the page works without it.
        assert!(
            !step1
                .text
                .replace("<script src=\"/static/report.js\" defer></script>", "")
                .contains("<script")
        );
        let unit2 = unit_id(db.store.as_ref(), "2单元").await;
        let step2 = app.get(&format!("/r/{token}?place={unit2}")).peer(ip).await;
        assert!(step2.text.contains("佳纷天地 3号楼 2单元"));
        let key = hidden(&step2.text, "idempotency_key");
        assert_eq!(key.len(), 32);

        // "Add a member" gives the form back with two blocks and the typed values kept.
        let base = vec![
            ("idempotency_key", key.as_str()),
            ("place", &*Box::leak(unit2.to_string().into_boxed_str())),
            ("room_other", "1201"),
            ("m0_name", "张伟"),
            ("m0_id_type", "resident_id"),
            ("m0_id_number", Box::leak(id(1, true).into_boxed_str())),
            ("m0_phone", "13800000001"),
            ("m0_relation", "户主"),
            ("notified_by", "社区"),
            ("temperature", "36.5"),
        ];
        let mut add = base.clone();
        add.extend([("n", "1"), ("action", "add")]);
        let two = app.post(&format!("/r/{token}")).peer(ip).form(&add).await;
        assert_eq!(two.status, StatusCode::OK);
        assert!(two.text.contains("name=\"m1_name\""));
        assert!(two.text.contains("value=\"张伟\""));

        // One bad ID number gets its message at its field.
        let mut bad = base.clone();
        bad.extend([
            ("n", "2"),
            ("action", "submit"),
            ("m1_name", "张小明"),
            ("m1_id_number", "410103201001011235"),
        ]);
        let res = app.post(&format!("/r/{token}")).peer(ip).form(&bad).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("id=\"e-m1_id_number\""), "{}", res.text);
        assert!(res.text.contains("身份证号码校验位不正确"));
        assert_eq!(hidden(&res.text, "idempotency_key"), key);

        // Fixed: the receipt.
        let mut good = base.clone();
        good.extend([
            ("n", "2"),
            ("action", "submit"),
            ("m1_name", "张小明"),
            ("m1_id_number", Box::leak(id(2, true).into_boxed_str())),
        ]);
        let res = app.post(&format!("/r/{token}")).peer(ip).form(&good).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let to = res.headers[header::LOCATION].to_str().unwrap().to_string();
        assert!(to.starts_with(&format!("/r/{token}/receipt/")));
        // A double tap stores nothing new and lands on the same receipt.
        let res = app.post(&format!("/r/{token}")).peer(ip).form(&good).await;
        assert_eq!(res.headers[header::LOCATION].to_str().unwrap(), to);
        let receipt = app.get(&to).peer(ip).await;
        assert_eq!(receipt.status, StatusCode::OK);
        assert!(receipt.text.contains("报备已收到"));
        assert!(receipt.text.contains("张小明"));
        let all = db
            .store
            .reports(&doorstep_store::ReportQuery {
                area: None,
                status: None,
                submitted: None,
                page: doorstep_store::PageRequest {
                    offset: 0,
                    limit: 10,
                },
            })
            .await
            .unwrap();
        assert_eq!(all.total, 1);
        assert_eq!(all.items[0].members.as_array().unwrap().len(), 2);

        // The receipt offers the correction form, filled in with what was reported.
        let edit = format!("{to}/edit");
        assert!(receipt.text.contains(&format!("href=\"{edit}\"")));
        let form = app.get(&edit).peer(ip).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.text.contains(&format!("action=\"{edit}\"")));
        assert!(form.text.contains("value=\"张小明\""));
        assert!(form.text.contains("value=\"1201\""));
        assert!(form.text.contains("保存修改"));
        // Another address can be chosen while correcting: the steps stay on the correction.
        assert!(form.text.contains(&format!("href=\"{edit}?place=0\"")));
        let steps = app.get(&format!("{edit}?place=0")).peer(ip).await;
        assert!(steps.text.contains("请选择楼栋"));
        assert!(steps.text.contains(&format!("href=\"{edit}?place=")));
        // A mistake in the correction gets its message; the fixed one is saved.
        let mut fix = base.clone();
        fix.extend([
            ("n", "2"),
            ("action", "submit"),
            ("m1_name", "张小明"),
            ("m1_id_number", "123"),
        ]);
        let res = app.post(&edit).peer(ip).form(&fix).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text.contains("id=\"e-m1_id_number\""));
        let mut fix = base.clone();
        fix.extend([
            ("n", "2"),
            ("action", "submit"),
            ("m1_name", "张晓明"),
            ("m1_id_number", Box::leak(id(2, true).into_boxed_str())),
        ]);
        let res = app.post(&edit).peer(ip).form(&fix).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let back = res.headers[header::LOCATION].to_str().unwrap().to_string();
        assert_eq!(back, format!("{to}?corrected=1"));
        let receipt = app.get(&back).peer(ip).await;
        assert!(receipt.text.contains("报备已修改"));
        assert!(receipt.text.contains("张晓明"));
        let r = db.store.report(all.items[0].id).await.unwrap().unwrap();
        assert_eq!(r.members[1]["name"], "张晓明");

        // Once reviewed, the form is closed (409) and the receipt no longer offers it.
        let decided = db
            .store
            .review_report(
                r.id,
                &doorstep_store::ReviewDecision {
                    status: doorstep_store::ReportStatus::Rejected,
                    reviewer: "test".into(),
                    reason: Some("duplicate".into()),
                    person_ids: vec![],
                },
                doorstep_store::no_audit(),
            )
            .await
            .unwrap();
        assert!(decided);
        let closed = app.get(&edit).peer(ip).await;
        assert_eq!(closed.status, StatusCode::CONFLICT);
        let res = app.post(&edit).peer(ip).form(&fix).await;
        assert_eq!(res.status, StatusCode::CONFLICT);
        let receipt = app.get(&to).peer(ip).await;
        assert!(!receipt.text.contains(&format!("href=\"{edit}\"")));
    }
);

both_backends!(
    the_correction_window_closes_by_the_servers_clock,
    async |db: &TestDb| {
        let token = setup(db.store.as_ref()).await;
        let clock = doorstep_app::clock::FixedClock::at(time::OffsetDateTime::now_utc());
        let app = TestApp::builder()
            .peer("10.0.0.1")
            .clock(clock.clone())
            .build(db);
        let first = app
            .post(&format!("/api/v1/public/reports/{token}"))
            .json(&report(
                "clock-1",
                "1201",
                json!([{"name": "张伟", "id_number": id(1, true)}]),
            ))
            .await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
        let receipt = first.json()["receipt"].as_str().unwrap().to_string();
        let edit = format!("/r/{token}/receipt/{receipt}/edit");
        // 23 hours on the server's clock: still open; 25 hours: closed.
        clock.advance(time::Duration::hours(23));
        assert_eq!(app.get(&edit).await.status, StatusCode::OK);
        clock.advance(time::Duration::hours(2));
        assert_ne!(app.get(&edit).await.status, StatusCode::OK);
        let correction = app
            .put(&format!("/api/v1/public/reports/{token}/{receipt}"))
            .json(&report(
                "clock-1",
                "1201",
                json!([{"name": "张伟", "id_number": id(1, true)}]),
            ))
            .await;
        assert_eq!(
            correction.status,
            StatusCode::CONFLICT,
            "{}",
            correction.text
        );
    }
);

both_backends!(
    a_correction_window_follows_the_app_clock,
    async |db: &TestDb| {
        // A day far from the machine's: the window is the app's 24 hours, not the wall clock's.
        let clock = FixedClock::at(datetime!(2027-03-01 02:00 UTC));
        let token = setup(db.store.as_ref()).await;
        let app = TestApp::builder()
            .peer("10.0.0.2")
            .clock(clock.clone())
            .build(db);
        let good = report(
            "win-1",
            "1301",
            json!([{"name": "王芳", "id_number": id(7, true), "phone": "13800000007"}]),
        );
        let first = app
            .post(&format!("/api/v1/public/reports/{token}"))
            .json(&good)
            .await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
        let receipt = first.json()["receipt"].as_str().unwrap().to_string();
        let put = format!("/api/v1/public/reports/{token}/{receipt}");
        let mut fixed = good.clone();

        clock.advance(Duration::hours(23));
        fixed["members"][0]["phone"] = json!("13900000007");
        let res = app.put(&put).json(&fixed).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);

        clock.advance(Duration::hours(2));
        fixed["members"][0]["phone"] = json!("13700000007");
        let res = app.put(&put).json(&fixed).await;
        assert_eq!(
            (res.status, res.json()["error"].as_str()),
            (StatusCode::CONFLICT, Some("report_locked")),
            "{}",
            res.text
        );
    }
);
