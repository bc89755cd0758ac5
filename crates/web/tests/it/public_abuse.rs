//! Attacks on the public self-report endpoints, on SQLite and on PostgreSQL: an idempotency key
//! replayed with another household's body, oversized bodies, too many members.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::{report, setup, unit_id};
use axum::http::{StatusCode, header};
use doorstep_testkit::{FORM, TestApp, TestDb, both_backends, form_body, hidden, id, report_count};
use serde_json::json;

both_backends!(
    replayed_key_with_another_body_gets_no_receipt_over_the_api,
    async |db: &TestDb| {
        let token = setup(db.store.as_ref()).await;
        let app = TestApp::builder().peer("10.0.0.1").build(db);
        let uri = format!("/api/v1/public/reports/{token}");
        let victim = report(
            "shared-key-1",
            "1201",
            json!([{"name": "张伟", "id_number": id(1, true), "phone": "13800000001", "relation": "户主"}]),
        );
        let first = app.post(&uri).json(&victim).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
        let receipt = first.json()["receipt"].as_str().unwrap().to_string();

        // The attacker knows (or guesses) the key and sends their own household.
        let attack = report(
            "shared-key-1",
            "1202",
            json!([{"name": "李四", "id_number": id(7, true)}]),
        );
        let res = app.post(&uri).json(&attack).await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
        assert_eq!(res.json()["error"], "idempotency_key_reused");
        assert!(
            res.json()["message"]
                .as_str()
                .unwrap()
                .contains("idempotency_key")
        );
        assert!(!res.text.contains(&receipt), "{}", res.text);
        assert!(res.json().get("receipt").is_none());
        // A body that differs only in a detail is another body too.
        let mut close = victim.clone();
        close["members"][0]["phone"] = json!("13800000009");
        let res = app.post(&uri).json(&close).await;
        assert_eq!(res.status, StatusCode::CONFLICT);
        assert!(!res.text.contains(&receipt));

        // The household's own retry still gets its receipt; nothing else was stored.
        let again = app.post(&uri).json(&victim).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text);
        assert_eq!(again.json()["receipt"], receipt.as_str());
        assert_eq!(report_count(db.store.as_ref()).await, 1);
        let stored = db
            .store
            .report(first.json()["report_id"].as_i64().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.members[0]["name"], "张伟");
    }
);

both_backends!(
    replayed_key_with_another_body_gets_no_receipt_from_the_form,
    async |db: &TestDb| {
        let token = setup(db.store.as_ref()).await;
        let app = TestApp::builder().peer("10.0.0.1").build(db);
        let ip = "10.0.0.9";
        let unit2 = unit_id(db.store.as_ref(), "2单元").await.to_string();
        let page = app.get(&format!("/r/{token}?place={unit2}")).await;
        let key = hidden(&page.text, "idempotency_key");
        let (id1, id7) = (id(1, true), id(7, true));
        let form = |name: &str, id: &str, room: &str| {
            form_body(&[
                ("idempotency_key", &key),
                ("place", &unit2),
                ("room_other", room),
                ("n", "1"),
                ("action", "submit"),
                ("m0_name", name),
                ("m0_id_type", "resident_id"),
                ("m0_id_number", id),
                ("m0_phone", "13800000001"),
            ])
        };
        let uri = format!("/r/{token}");
        let res = app
            .post(&uri)
            .peer(ip)
            .body(FORM, form("张伟", &id1, "1201"))
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let to = res.headers[header::LOCATION].to_str().unwrap().to_string();
        let receipt = to.rsplit('/').next().unwrap().to_string();

        // Someone else posts another household with the same key (a shared phone's back button,
        // or a copied page): a clear message, and neither the receipt nor its correction link.
        let res = app
            .post(&uri)
            .peer("10.0.0.7")
            .body(FORM, form("李四", &id7, "1202"))
            .await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
        assert!(res.text.contains("这份表单已经提交过"), "{}", res.text);
        assert!(!res.text.contains(&receipt));
        assert!(!res.text.contains("/receipt/"));
        assert!(!res.headers.contains_key(header::LOCATION));

        // A double tap of the first form still lands on its receipt.
        let res = app
            .post(&uri)
            .peer(ip)
            .body(FORM, form("张伟", &id1, "1201"))
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(res.headers[header::LOCATION].to_str().unwrap(), to);
        assert_eq!(report_count(db.store.as_ref()).await, 1);
    }
);

both_backends!(
    too_many_members_are_counted_as_members,
    async |db: &TestDb| {
        let token = setup(db.store.as_ref()).await;
        let app = TestApp::builder().peer("10.0.0.1").build(db);
        let members: Vec<_> = (1..=21)
            .map(|n| json!({"name": "张伟", "id_number": id(n, true)}))
            .collect();
        let body = report("many", "1201", json!(members));
        for (lang, want) in [("en", "at most 20 members"), ("zh-CN", "最多 20 人")] {
            let res = app
                .post(&format!("/api/v1/public/reports/{token}"))
                .lang(lang)
                .json(&body)
                .await;
            assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
            let v: serde_json::Value = serde_json::from_slice(&res.bytes).unwrap();
            let f = &v["fields"][0];
            assert_eq!(
                (f["path"].as_str(), f["code"].as_str()),
                (Some("members"), Some("too_many_members"))
            );
            let message = f["message"].as_str().unwrap();
            assert!(message.contains(want), "{message}");
            assert!(
                !message.contains("characters") && !message.contains('字'),
                "{message}"
            );
        }
    }
);
