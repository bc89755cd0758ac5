//! Peacetime ↔ emergency (平急转换) and retention, on SQLite and on PostgreSQL: a community
//! admin switches the community in (with task force members) and back, audited, not twice;
//! a grid leader may not (403), another community's admin finds nothing (404); the home page
//! and the menu's bar follow the mode; retention previews (dry run) what an ended emergency
//! past its period would lose, then anonymises and deletes exactly that — nothing of a
//! running emergency, nothing collected outside the emergency, never the registry — and a
//! second run does nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_app::clock::FixedClock;
use doorstep_app::reports::Purpose;
use doorstep_core::{AreaKind, AreaPath, Role};
use doorstep_store::AuditQuery;
use doorstep_testkit::{COMMUNITY, TestApp, TestDb, both_backends, id, report_link, user};
use serde_json::{Value, json};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::common::report;
use crate::rounds::setup;

pub(crate) const OTHER: &str = "二七区/京广路街道/和平社区";

/// 和平社区 beside 祥云社区, with 佳纷天地's look-alike so a report's address fits: compound
/// 佳纷天地, building 3号楼, unit 2单元; its admin `admin-hp`.
pub(crate) async fn other_community(app: &TestApp) {
    let store = app.store();
    let street = AreaPath::parse("二七区/京广路街道").unwrap();
    let c = store
        .create_area(Some(&street), AreaKind::Community, "和平社区")
        .await
        .unwrap();
    let jf = store
        .create_area(Some(&c.path), AreaKind::Compound, "佳纷天地")
        .await
        .unwrap();
    let b = store
        .create_area(Some(&jf.path), AreaKind::Building, "3号楼")
        .await
        .unwrap();
    store
        .create_area(Some(&b.path), AreaKind::Unit, "2单元")
        .await
        .unwrap();
    user(store, "admin-hp", Role::CommunityAdmin, OTHER).await;
}

/// A resident's report through the community's link for 佳纷天地 (`area`).
pub(crate) async fn a_report(app: &TestApp, area: &str, key: &str, n: u16) {
    let token = report_link(app.store(), area, Purpose::HomeQuarantine).await;
    let body = report(
        key,
        "1201",
        json!([{"name": "张伟", "id_number": id(n, true), "phone": "13800138000"}]),
    );
    let r = app
        .post(&format!("/api/v1/public/reports/{token}"))
        .json(&body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

fn count(v: &Value, kind: &str) -> i64 {
    v["totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == kind)
        .unwrap()["rows"]
        .as_i64()
        .unwrap()
}

both_backends!(
    a_community_switches_into_emergency_and_back,
    async |db: &TestDb| {
        let clock = FixedClock::at(OffsetDateTime::now_utc());
        let app = TestApp::builder().clock(clock.clone()).build(db);
        setup(&app).await;
        other_community(&app).await;
        let store = app.store();
        user(store, "gl", Role::GridLeader, COMMUNITY).await;
        let admin = app.login_api("admin1").await;
        let (st, staff, _) = admin
            .send(
                "POST",
                "/api/v1/staff",
                Some(json!({"name": "王芳", "phone": "13800138001", "kind": "网格员"})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{staff}");
        let staff_id = staff["id"].as_i64().unwrap();
        let start = json!({"area": COMMUNITY, "reason": "发现阳性病例",
            "members": [{"force": "info_check", "staff_id": staff_id},
                        {"force": "duty", "staff_id": staff_id}]});

        // Peacetime: the home page says so; the bar leads with search and my tasks.
        let mut b = app.browser();
        b.login("admin1").await;
        let home = b.get("/").await;
        assert!(home.text.contains("平时状态"), "{}", home.text);
        let bar = |text: &str| {
            let nav = text.split("<nav class=\"menu\"").nth(1).unwrap();
            nav.split("<details").next().unwrap().to_string()
        };
        assert!(
            !bar(&home.text).contains("href=\"/today\""),
            "{}",
            bar(&home.text)
        );
        assert!(home.text.contains("href=\"/today\""), "still under all");

        // Who may not: a grid leader (403), another community's admin (404).
        let gl = app.login_api("gl").await;
        let (st, v, _) = gl
            .send("POST", "/api/v1/emergencies", Some(start.clone()))
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
        let hp = app.login_api("admin-hp").await;
        let (st, v, _) = hp
            .send("POST", "/api/v1/emergencies", Some(start.clone()))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
        // Not a compound, not an unknown force or staff member.
        let (st, v, _) = admin
            .send(
                "POST",
                "/api/v1/emergencies",
                Some(json!({"area": format!("{COMMUNITY}/佳纷天地"), "reason": "x"})),
            )
            .await;
        assert_eq!(
            (st, v["fields"][0]["path"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("area")),
            "{v}"
        );
        let (st, v, _) = admin
            .send(
                "POST",
                "/api/v1/emergencies",
                Some(json!({"area": COMMUNITY, "reason": "x", "members": [{"force": "police", "staff_id": staff_id}, {"force": "duty", "staff_id": 999_999}]})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["fields"][0]["path"], "members[0].force", "{v}");

        // The switch in: once, audited.
        let (st, e, _) = admin
            .send("POST", "/api/v1/emergencies", Some(start.clone()))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{e}");
        assert_eq!(
            (
                e["running"].as_bool(),
                e["members"].as_array().unwrap().len()
            ),
            (Some(true), 2),
            "{e}"
        );
        let (st, v, _) = admin.send("POST", "/api/v1/emergencies", Some(start)).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("emergency_running")),
            "{v}"
        );

        // The mode follows: the banner with day 1 and the forces, the bar with /today.
        let (_, mode, _) = gl.send("GET", "/api/v1/emergencies/mode", None).await;
        assert_eq!(mode["total"], 1, "{mode}");
        let home = b.get("/").await;
        assert!(home.text.contains("应急状态第 1 天"), "{}", home.text);
        assert!(
            home.text.contains("信息核查") && home.text.contains("王芳"),
            "{}",
            home.text
        );
        assert!(
            bar(&home.text).contains("href=\"/today\""),
            "{}",
            bar(&home.text)
        );
        // 和平社区 stays in peacetime.
        let (_, mode, _) = hp.send("GET", "/api/v1/emergencies/mode", None).await;
        assert_eq!(mode["total"], 0, "{mode}");
        let (_, list, _) = hp.send("GET", "/api/v1/emergencies", None).await;
        assert_eq!(list["total"], 0, "{list}");

        // The switch back: a grid leader may not; the last day not before the first.
        let eid = e["id"].as_i64().unwrap();
        let url = format!("/api/v1/emergencies/{eid}/end");
        let (st, _, _) = gl.send("POST", &url, Some(json!({}))).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _, _) = hp.send("POST", &url, Some(json!({}))).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, v, _) = admin
            .send("POST", &url, Some(json!({"ended_on": "2000-01-01"})))
            .await;
        assert_eq!(
            (st, v["fields"][0]["path"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("ended_on")),
            "{v}"
        );
        let (st, v, _) = admin
            .send("POST", &url, Some(json!({"retention_days": "0"})))
            .await;
        assert_eq!(
            (st, v["fields"][0]["path"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("retention_days")),
            "{v}"
        );
        let (st, ended, _) = admin
            .send(
                "POST",
                &url,
                Some(json!({"retention_days": "60", "note": "解除"})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{ended}");
        assert_eq!(
            (ended["running"].as_bool(), ended["retention_days"].as_i64()),
            (Some(false), Some(60))
        );
        let home = b.get("/").await;
        assert!(home.text.contains("平时状态"), "{}", home.text);
        let (_, list, _) = admin.send("GET", "/api/v1/emergencies", None).await;
        assert_eq!(list["total"], 1, "the history: {list}");

        for action in ["emergency.start", "emergency.end"] {
            let audit = store
                .audit_entries(&AuditQuery {
                    action: Some(action.into()),
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(audit.items.len(), 1, "{action}: {audit:?}");
        }

        // The page: the history, the retention preview, the switch form for the admin only.
        let page = b.get("/emergency").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text.contains("发现阳性病例") && page.text.contains("执行到期处理"),
            "{}",
            page.text
        );
        let mut g = app.browser();
        g.login("gl").await;
        let page = g.get("/emergency").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.text.contains("执行到期处理"), "{}", page.text);
        assert!(
            !page.text.contains("action=\"/emergency\""),
            "{}",
            page.text
        );
    }
);

both_backends!(
    retention_removes_exactly_what_is_past_its_period,
    async |db: &TestDb| {
        // 08:00 on 1 March 2030 in China: the morning check-in window is open. Test scans and
        // reports are stamped with the wall clock, so both emergencies run from 1 January 2026.
        let clock = FixedClock::at(datetime!(2030-03-01 00:00 UTC));
        let app = TestApp::builder().clock(clock.clone()).build(db);
        setup(&app).await;
        other_community(&app).await;
        let store = app.store();
        let persons = "SELECT COUNT(*) FROM persons WHERE name <> '' AND id_rev <> ''";
        let persons_before = db.query_i64(persons).await;
        let admin = app.login_api("admin1").await;
        let hp = app.login_api("admin-hp").await;

        // Both communities switch in; each collects a self-report; 祥云社区 also a gate
        // passage and a test scan.
        let (st, a, _) = admin
            .send(
                "POST",
                "/api/v1/emergencies",
                Some(json!({"area": COMMUNITY, "reason": "A", "started_on": "2026-01-01"})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{a}");
        let (st, b, _) = hp
            .send(
                "POST",
                "/api/v1/emergencies",
                Some(json!({"area": OTHER, "reason": "B", "started_on": "2026-01-01"})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        a_report(&app, &format!("{COMMUNITY}/佳纷天地"), "k-a", 30).await;
        a_report(&app, &format!("{OTHER}/佳纷天地"), "k-b", 31).await;
        let (st, gate, _) = admin
            .send(
                "POST",
                "/api/v1/checkpoints",
                Some(json!({"area": format!("{COMMUNITY}/佳纷天地"), "name": "东门"})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{gate}");
        let post = format!("/api/v1/checkpoints/{}/passages", gate["id"]);
        let visitor = |key: &str| json!({"client_id": key, "subject": "visitor", "visitor_name": "王小明", "direction": "in", "reason": "探亲"});
        let (st, v, _) = admin.send("POST", &post, Some(visitor("p-1"))).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let rid = crate::rounds::create_open_round(
            &app,
            json!({"area": COMMUNITY, "name": "第1轮", "pool_size": 1, "areas": [format!("{COMMUNITY}/佳纷天地")]}),
        )
        .await;
        let (st, v, _) = app
            .login_api("s-jf")
            .await
            .send(
                "POST",
                &format!("/api/v1/rounds/{rid}/scans"),
                Some(json!({"client_id": "c1", "tube": "T-0001", "person": {"id_number": id(1, true)}})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");

        // 甲一's household checks in, one with a cough.
        let (st, v, _) = admin
            .send(
                "POST",
                "/api/v1/episodes",
                Some(
                    json!({"id_number": id(1, true), "measure": "home_quarantine",
                            "reason": "密接", "start": "2030-03-01"}),
                ),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let household = v["items"][0]["household_id"].as_i64().unwrap();
        let (_, v, _) = admin
            .send(
                "GET",
                &format!("/api/v1/households/{household}/checkins"),
                None,
            )
            .await;
        let token = v["checkin_url"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        let r = app.get(&format!("/api/v1/public/checkins/{token}")).await;
        let due: Value = serde_json::from_str(&r.text).unwrap();
        assert_eq!(r.status, StatusCode::OK, "{due}");
        let jia = due["members"][0]["person_id"].as_i64().unwrap();
        let body = json!({"idempotency_key": "k-1", "members": [
            {"person_id": jia, "temperature": "37.8", "symptoms": ["cough"], "antigen": "negative"}]});
        let r = app
            .post(&format!("/api/v1/public/checkins/{token}"))
            .json(&body)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

        // 祥云社区 switches back today, keeping the data two days.
        let (st, v, _) = admin
            .send(
                "POST",
                &format!("/api/v1/emergencies/{}/end", a["id"]),
                Some(json!({"retention_days": "2"})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");

        // Two days on: still kept, nothing counted.
        clock.advance(Duration::days(2));
        let admin = app.login_api("admin1").await;
        let (st, v, _) = admin.send("GET", "/api/v1/retention/preview", None).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["emergencies"][0]["standing"], "kept", "{v}");
        assert_eq!(count(&v, "self_reports"), 0, "{v}");

        // The third day it is due. A visitor that day is peacetime's, not the emergency's.
        clock.advance(Duration::days(1));
        let admin = app.login_api("admin1").await;
        let (st, v, _) = admin.send("POST", &post, Some(visitor("p-2"))).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let gl = {
            user(store, "gl", Role::GridLeader, COMMUNITY).await;
            app.login_api("gl").await
        };
        let (st, _, _) = gl.send("GET", "/api/v1/retention/preview", None).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let hp = app.login_api("admin-hp").await;
        let (st, _, _) = hp
            .send(
                "GET",
                &format!("/api/v1/retention/preview?area={COMMUNITY}"),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        // Running it, too: a grid leader may not; another community's admin finds nothing.
        let (st, _, _) = gl
            .send("POST", "/api/v1/retention/run", Some(json!({})))
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _, _) = hp
            .send(
                "POST",
                "/api/v1/retention/run",
                Some(json!({"area": COMMUNITY})),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);

        let (st, dry, _) = admin
            .send(
                "POST",
                "/api/v1/retention/run",
                Some(json!({"dry_run": true})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{dry}");
        assert_eq!(
            [
                "self_reports",
                "checkins",
                "call_outcomes",
                "checkpoint_passages",
                "test_results"
            ]
            .map(|k| count(&dry, k)),
            [1, 1, 0, 1, 1],
            "{dry}"
        );
        // A dry run changed nothing.
        assert_eq!(db.query_i64("SELECT COUNT(*) FROM samples").await, 1);

        let (st, run, _) = admin
            .send("POST", "/api/v1/retention/run", Some(json!({})))
            .await;
        assert_eq!(st, StatusCode::OK, "{run}");
        assert_eq!(
            [
                "self_reports",
                "checkins",
                "checkpoint_passages",
                "test_results"
            ]
            .map(|k| count(&run, k)),
            [1, 1, 1, 1],
            "{run}"
        );
        // Exactly those: 祥云社区's report lost its members, 和平社区's (running) did not;
        // the first visitor lost the name, the second (after the emergency) kept it; the scan
        // is gone, the round's coverage stays; the registry is whole.
        assert_eq!(
            db.query_i64(
                "SELECT COUNT(*) FROM reports WHERE members = '[]' AND anonymised_at IS NOT NULL"
            )
            .await,
            1
        );
        assert_eq!(
            db.query_i64("SELECT COUNT(*) FROM reports WHERE members LIKE '%张伟%'")
                .await,
            1
        );
        assert_eq!(
            db.query_i64("SELECT COUNT(*) FROM checkpoint_passages WHERE visitor_name = '王小明'")
                .await,
            1
        );
        assert_eq!(
            db.query_i64("SELECT COUNT(*) FROM checkpoint_passages")
                .await,
            2
        );
        assert_eq!(db.query_i64("SELECT COUNT(*) FROM samples").await, 0);
        assert_eq!(
            db.query_i64("SELECT COUNT(*) FROM checkins WHERE symptoms = '' AND note = '' AND anonymised_at IS NOT NULL AND abnormal").await,
            1
        );
        assert_eq!(
            db.query_i64("SELECT COUNT(*) FROM round_counts WHERE sampled = 1")
                .await,
            1
        );
        assert_eq!(db.query_i64(persons).await, persons_before);

        // Again: nothing left to do; both runs audited with their counts.
        let (_, again, _) = admin
            .send("POST", "/api/v1/retention/run", Some(json!({})))
            .await;
        let total: i64 = again["totals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["rows"].as_i64().unwrap())
            .sum();
        assert_eq!(total, 0, "{again}");
        let audit = store
            .audit_entries(&AuditQuery {
                action: Some("retention.run".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(audit.items.len(), 2, "{audit:?}");
        assert!(
            audit
                .items
                .iter()
                .any(|e| e.details["totals"]["test_results"] == 1),
            "{audit:?}"
        );
    }
);
