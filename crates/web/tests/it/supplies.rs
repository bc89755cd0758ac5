//! Supplies and services (后勤供给) on SQLite and on PostgreSQL: a household in home
//! quarantine asks through its check-in link and the request becomes a delivery task routed
//! to its building's volunteer; a resend stores nothing new; a worker files one (audited);
//! delivering the task delivers the request (who, when); cancelling with a reason cancels the
//! task; an open request is flagged overdue once its deadline passes (on the list and the
//! board); other areas get 404, and the link closes with the episode.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_app::clock::FixedClock;
use doorstep_core::Role;
use doorstep_testkit::{COMMUNITY, TestApp, TestDb, both_backends, enc, hidden, user};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::rounds::setup;

both_backends!(
    a_household_asks_for_supplies_and_the_worker_delivers,
    async |db: &TestDb| {
        // 08:00 on 1 March 2027, China's time.
        let clock = FixedClock::at(datetime!(2027-03-01 00:00 UTC));
        let app = TestApp::builder().clock(clock.clone()).build(db);
        setup(&app).await;
        let store = app.store();
        user(store, "gw", Role::GridWorker, COMMUNITY).await;
        user(
            store,
            "gw-qt",
            Role::GridWorker,
            &format!("{COMMUNITY}/钱塘衣城"),
        )
        .await;
        let admin = app.login_api("admin1").await;
        // 1号楼 has a volunteer, who delivers.
        crate::staff::on_duty(
            &admin,
            json!({"name": "志愿者丙", "phone": "13800138003", "kind": "volunteer"}),
            &format!("{COMMUNITY}/佳纷天地/1号楼"),
            "volunteer",
        )
        .await;
        // 甲一's household into home quarantine from today.
        let v = crate::checkins::quarantine_jia_household(&admin).await;
        let household = v["items"][0]["household_id"].as_i64().unwrap();
        let (st, v, _) = admin
            .send(
                "GET",
                &format!("/api/v1/households/{household}/checkins"),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let token = v["checkin_url"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();

        // The household asks for medicine through its link: a delivery task for the volunteer.
        let post = format!("/api/v1/public/checkins/{token}/supplies");
        let body = json!({"idempotency_key": "s-1", "kind": "medicine",
                          "detail": "布洛芬 1 盒", "urgency": "urgent"});
        let r = app.post(&post).json(&body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let first: Value = serde_json::from_str(&r.text).unwrap();
        assert_eq!(
            first["status"], "assigned",
            "routed to the volunteer: {first}"
        );
        assert_eq!(first["overdue"], false);
        assert!(
            first["task_id"].is_null(),
            "the public answer names no task"
        );
        let rid = first["id"].as_i64().unwrap();
        // The resend stores nothing and answers the same; the same key with another body is
        // refused.
        let r = app.post(&post).json(&body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let again: Value = serde_json::from_str(&r.text).unwrap();
        assert_eq!(again, first);
        let r = app
            .post(&post)
            .json(&json!({"idempotency_key": "s-1", "kind": "food"}))
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        // A medicine without its name is refused at the field.
        let r = app
            .post(&post)
            .json(&json!({"idempotency_key": "s-2", "kind": "medicine", "detail": " "}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(
            r.text.contains("\"detail\"") && r.text.contains("medicine_name_required"),
            "{}",
            r.text
        );
        // The staff list shows it with its task and assignee.
        let (st, list, _) = admin.send("GET", "/api/v1/supplies", None).await;
        assert_eq!(st, StatusCode::OK, "{list}");
        assert_eq!(list["total"], 1, "{list}");
        let item = &list["items"][0];
        assert_eq!(item["assignee"], "志愿者丙");
        assert!(item["asked_by"].is_null(), "the household's own");
        let task_id = item["task_id"].as_i64().unwrap();
        let (st, task, _) = admin
            .send("GET", &format!("/api/v1/tasks/{task_id}"), None)
            .await;
        assert_eq!(st, StatusCode::OK, "{task}");
        assert_eq!(
            (task["kind"].as_str(), task["priority"].as_str()),
            (Some("delivery"), Some("urgent")),
            "{task}"
        );
        assert!(task["note"].as_str().unwrap().contains("布洛芬"), "{task}");

        // A worker files garbage pickup for the household (audited).
        let gw = app.login_api("gw").await;
        let hpath = format!("/api/v1/households/{household}/supplies");
        let (st, v, _) = gw
            .send(
                "POST",
                &hpath,
                Some(json!({"idempotency_key": "w-1", "kind": "garbage"})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        assert_eq!(v["asked_by"], "gw");
        let garbage = v["id"].as_i64().unwrap();
        let audit = store
            .audit_entries(&doorstep_store::AuditQuery {
                action: Some("supply.request".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(audit.items.len(), 1, "the worker's request is audited");
        // The household's page: linked from its check-in page, a form, its requests.
        let page = app.get(&format!("/c/{token}")).await;
        assert!(
            page.text.contains(&format!("/c/{token}/supplies")),
            "{}",
            page.text
        );
        let page = app.get(&format!("/c/{token}/supplies")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("布洛芬") && page.text.contains("垃圾清运"));
        let key = hidden(&page.text, "idempotency_key");
        let form = [
            ("idempotency_key", key.as_str()),
            ("kind", "food"),
            ("detail", "大米 5 斤"),
            ("urgency", "normal"),
        ];
        let r = app.post(&format!("/c/{token}/supplies")).form(&form).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let r = app.post(&format!("/c/{token}/supplies")).form(&form).await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "a double tap is one request"
        );
        let r = app
            .post(&format!("/c/{token}/supplies"))
            .form(&[("idempotency_key", "f-2"), ("kind", "other")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("e-detail") && r.text.contains("请写明需要什么"));
        let page = app.get(&format!("/c/{token}/supplies?saved=1")).await;
        assert_eq!(page.text.matches("大米 5 斤").count(), 1, "{}", page.text);
        // The worker's check-in page lists them, and files one through its form.
        let mut w = app.browser();
        w.login("gw").await;
        let page = w.get(&format!("/households/{household}/checkins")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("大米 5 斤") && page.text.contains("志愿者丙"));
        let r = w
            .post_form(
                &format!("/households/{household}/supplies"),
                &[
                    ("csrf", &hidden(&page.text, "csrf")),
                    ("idempotency_key", "wf-1"),
                    ("kind", "medical_visit"),
                    ("detail", "复诊"),
                    ("urgency", "normal"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let food_and_visit: Vec<(String, i64)> = {
            let (_, v, _) = admin.send("GET", "/api/v1/supplies", None).await;
            assert_eq!(v["total"], 4, "{v}");
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|i| i["kind"] == "food" || i["kind"] == "medical_visit")
                .map(|i| {
                    (
                        i["kind"].as_str().unwrap().to_string(),
                        i["task_id"].as_i64().unwrap(),
                    )
                })
                .collect()
        };
        // The food is delivered at once; nobody opens the door for the visit: the request is
        // cancelled, the outcome its reason.
        for (kind, task) in &food_and_visit {
            let outcome = if kind == "food" {
                "delivered"
            } else {
                "not_home"
            };
            let (st, v, _) = admin
                .send(
                    "PATCH",
                    &format!("/api/v1/tasks/{task}"),
                    Some(json!({"status": "done", "outcome": outcome})),
                )
                .await;
            assert_eq!(st, StatusCode::OK, "{v}");
        }
        let (_, v, _) = admin
            .send("GET", "/api/v1/supplies?status=cancelled", None)
            .await;
        assert_eq!(
            (
                v["total"].as_i64(),
                v["items"][0]["kind"].as_str(),
                v["items"][0]["reason"].as_str()
            ),
            (Some(1), Some("medical_visit"), Some("家中无人")),
            "{v}"
        );
        // Outside the area: not found, for filing, listing and cancelling.
        let other = app.login_api("gw-qt").await;
        let (st, _, _) = other
            .send(
                "POST",
                &hpath,
                Some(json!({"idempotency_key": "o-1", "kind": "food"})),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _, _) = other
            .send(
                "GET",
                &format!(
                    "/api/v1/supplies?area={}",
                    enc(&format!("{COMMUNITY}/佳纷天地"))
                ),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, v, _) = other.send("GET", "/api/v1/supplies", None).await;
        assert_eq!((st, v["total"].as_i64()), (StatusCode::OK, Some(0)), "{v}");
        let (st, _, _) = other
            .send(
                "POST",
                &format!("/api/v1/supplies/{garbage}/cancel"),
                Some(json!({"reason": "x"})),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);

        // Five hours later the urgent medicine is overdue (4 h), the garbage not (24 h):
        // flagged on the list, first, and on the board.
        clock.set(datetime!(2027-03-01 05:00 UTC));
        // (Sessions idle that long have ended.)
        let admin = app.login_api("admin1").await;
        let gw = app.login_api("gw").await;
        let (st, list, _) = admin.send("GET", "/api/v1/supplies", None).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(
            (
                list["items"][0]["id"].as_i64(),
                list["items"][0]["overdue"].as_bool(),
                list["items"][1]["overdue"].as_bool()
            ),
            (Some(rid), Some(true), Some(false)),
            "{list}"
        );
        let (_, overdue, _) = admin
            .send("GET", "/api/v1/supplies?status=overdue", None)
            .await;
        assert_eq!(overdue["total"], 1, "{overdue}");
        let mut b = app.browser();
        b.login("admin1").await;
        let board = b.get("/tasks").await;
        assert!(
            board.text.contains("布洛芬") && board.text.contains("/supplies"),
            "the board flags the overdue request: {}",
            board.text
        );
        let page = b.get("/supplies").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("布洛芬") && page.text.contains("overdue"));

        // The volunteer's task is delivered: the request is delivered, by whom and when.
        let (st, v, _) = admin
            .send(
                "PATCH",
                &format!("/api/v1/tasks/{task_id}"),
                Some(json!({"status": "done", "outcome": "delivered"})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let r = app.get(&post).await;
        let mine: Value = serde_json::from_str(&r.text).unwrap();
        let delivered = mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"].as_i64() == Some(rid))
            .unwrap();
        assert_eq!(delivered["status"], "delivered", "{mine}");
        assert_eq!(delivered["overdue"], false);
        // When: the task's closing time (the task store stamps it with the wall clock, not the
        // app's, so only its presence is checked here).
        assert!(
            delivered["closed_at"]
                .as_str()
                .is_some_and(|t| t.len() >= 20),
            "{mine}"
        );
        let (_, all, _) = admin
            .send("GET", "/api/v1/supplies?status=delivered", None)
            .await;
        assert_eq!(all["total"], 2, "the food and the medicine: {all}");
        let medicine = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"].as_i64() == Some(rid))
            .unwrap();
        assert_eq!(medicine["closed_by"], "admin1", "{all}");
        // Delivered stays delivered.
        let (st, _, _) = admin
            .send(
                "POST",
                &format!("/api/v1/supplies/{rid}/cancel"),
                Some(json!({"reason": "x"})),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT);

        // The garbage pickup is cancelled with a reason: its task is cancelled too.
        let cancel = format!("/api/v1/supplies/{garbage}/cancel");
        let (st, _, _) = admin
            .send("POST", &cancel, Some(json!({"reason": " "})))
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        let (st, _, _) = gw
            .send("POST", &cancel, Some(json!({"reason": "已自行处理"})))
            .await;
        assert_eq!(
            st,
            StatusCode::FORBIDDEN,
            "a grid worker does not manage tasks"
        );
        let (st, v, _) = admin
            .send("POST", &cancel, Some(json!({"reason": "已自行处理"})))
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(
            (v["status"].as_str(), v["reason"].as_str()),
            (Some("cancelled"), Some("已自行处理"))
        );
        let (_, task, _) = admin
            .send("GET", &format!("/api/v1/tasks/{}", v["task_id"]), None)
            .await;
        assert_eq!(task["status"], "cancelled", "{task}");
        let audit = store
            .audit_entries(&doorstep_store::AuditQuery {
                action: Some("task.cancel".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            (audit.items.len(), audit.items[0].username.as_str()),
            (1, "admin1"),
            "the cancel is audited"
        );
        let (_, open, _) = admin.send("GET", "/api/v1/supplies", None).await;
        assert_eq!(open["total"], 0, "{open}");

        // After the planned end the link takes no request.
        clock.set(OffsetDateTime::new_utc(
            time::macros::date!(2027 - 03 - 08),
            time::Time::MIDNIGHT,
        ));
        let r = app
            .post(&post)
            .json(&json!({"idempotency_key": "s-9", "kind": "food"}))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
        assert_eq!(
            app.get(&format!("/c/{token}/supplies")).await.status,
            StatusCode::NOT_FOUND
        );
    }
);
