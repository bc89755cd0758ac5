//! The lists behind the daily report's task, supplies and self-report figures, filtered by a
//! day (`?day=D&on=…`), on SQLite and on PostgreSQL: each list's total equals its figure,
//! today and yesterday; the report's links carry the filter; the pages say what they show;
//! a day that does not read is 422 at its field; an area outside the user's is 404.
//!
//! The stores stamp tasks and requests with the wall clock, so the test's clock is now.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_app::clock::FixedClock;
use doorstep_app::reports::Purpose;
use doorstep_core::{AreaPath, Role};
use doorstep_testkit::{COMMUNITY, TestApp, TestDb, both_backends, enc, id, report_link, user};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

const OTHER: &str = doorstep_testkit::NEIGHBOUR;

fn china_day(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::from_hms(8, 0, 0).unwrap())
        .date()
        .to_string()
}

/// The total of a list answer.
fn total(v: &Value) -> i64 {
    v["total"]
        .as_i64()
        .unwrap_or_else(|| panic!("no total: {v}"))
}

both_backends!(
    each_day_list_holds_as_many_as_its_figure,
    async |db: &TestDb| {
        let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
        let app = TestApp::builder().clock(FixedClock::at(now)).build(db);
        let (today, yesterday) = (china_day(now), china_day(now - Duration::days(1)));
        // 佳纷天地's households, admin1 of 祥云社区; xf of 幸福社区 beside it.
        crate::rounds::setup(&app).await;
        let store = app.store();
        doorstep_testkit::neighbour_community(store).await;
        user(store, "xf", Role::CommunityAdmin, OTHER).await;
        let community = AreaPath::parse(COMMUNITY).unwrap();
        let area_id = store.area_by_path(&community).await.unwrap().unwrap().id;
        let admin = app.login_api("admin1").await;
        // Supplies are asked by households at home under a measure: 甲一's and 乙一's.
        let mut households = Vec::new();
        for n in [1u16, 4] {
            let (st, v, _) = admin
                .send(
                    "POST",
                    "/api/v1/episodes",
                    Some(
                        json!({"id_number": id(n, n == 1), "measure": "home_quarantine",
                                "reason": "密接", "start": today, "household": true}),
                    ),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "{v}");
            households.push(v["items"][0]["household_id"].as_i64().unwrap());
        }

        // Two supply requests today, one of them delivered.
        for (key, h) in [("s-1", households[0]), ("s-2", households[1])] {
            let (st, v, _) = admin
                .send(
                    "POST",
                    &format!("/api/v1/households/{h}/supplies"),
                    Some(json!({"idempotency_key": key, "kind": "food", "detail": "米 5 斤"})),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "{v}");
        }
        let (_, list) = admin.get("/api/v1/supplies?status=all").await;
        let delivery = list["items"][0]["task_id"].as_i64().unwrap();
        let (st, v, _) = admin
            .send(
                "PATCH",
                &format!("/api/v1/tasks/{delivery}"),
                Some(json!({"status": "done", "outcome": "delivered"})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        // Door-knocks: one due yesterday (overdue), one due tomorrow.
        let mut knocks = Vec::new();
        for due in [now - Duration::days(1), now + Duration::days(1)] {
            let (st, v, _) = admin
                .send(
                    "POST",
                    "/api/v1/tasks",
                    Some(json!({"kind": "door_knock",
                                "target": {"type": "household", "id": households[0]},
                                "due": due.format(&Rfc3339).unwrap()})),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "{v}");
            knocks.push(v["id"].as_i64().unwrap());
        }
        // Two self-reports through a link of 佳纷天地.
        let token = report_link(
            store,
            &format!("{COMMUNITY}/佳纷天地"),
            Purpose::HomeQuarantine,
        )
        .await;
        let anon = app.anon();
        for (key, n) in [("r-1", 31u16), ("r-2", 32)] {
            let body = crate::common::report(
                key,
                "201",
                json!([{"name": format!("居民{n}"), "id_number": id(n, true), "phone": "13800000001"}]),
            );
            let (st, v, _) = anon
                .send(
                    "POST",
                    &format!("/api/v1/public/reports/{token}"),
                    Some(body),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "{v}");
        }

        // Each figure's list, for today and yesterday, holds as many as the figure says.
        let c = enc(COMMUNITY);
        for day in [&today, &yesterday] {
            let (st, rep) = admin
                .get(&format!("/api/v1/daily-report?area={c}&day={day}"))
                .await;
            assert_eq!(st, StatusCode::OK, "{rep}");
            let f = &rep["total"];
            for (key, uri) in [
                ("reports.new", format!("/api/v1/reports?area={c}&day={day}")),
                (
                    "supplies.requested",
                    format!("/api/v1/supplies?area={c}&status=all&day={day}"),
                ),
                (
                    "supplies.delivered",
                    format!("/api/v1/supplies?area={c}&status=all&day={day}&on=delivered"),
                ),
                (
                    "tasks.done",
                    format!("/api/v1/tasks?area={c}&day={day}&on=done&per_page=200"),
                ),
                (
                    "tasks.overdue",
                    format!("/api/v1/tasks?area={c}&day={day}&on=overdue&per_page=200"),
                ),
            ] {
                let (st, l) = admin.get(&uri).await;
                assert_eq!(st, StatusCode::OK, "{uri}: {l}");
                assert_eq!(Some(total(&l)), f[key].as_i64(), "{day} {key}: {l}");
            }
            if *day == today {
                let n = |k: &str| f[k].as_i64().unwrap();
                assert_eq!(
                    (
                        n("reports.new"),
                        n("supplies.requested"),
                        n("supplies.delivered")
                    ),
                    (2, 2, 1),
                    "{rep}"
                );
                assert!(n("tasks.done") >= 1 && n("tasks.overdue") >= 1, "{rep}");
            }
        }
        // Made today, none yesterday; the knock due yesterday is due then and not today.
        let ids = |v: &Value| -> Vec<i64> {
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_i64().unwrap())
                .collect()
        };
        let tasks = |q: String| {
            let (admin, uri) = (&admin, format!("/api/v1/tasks?area={c}&per_page=200&{q}"));
            async move {
                let (st, v) = admin.get(&uri).await;
                assert_eq!(st, StatusCode::OK, "{uri}: {v}");
                v
            }
        };
        let made = tasks(format!("day={today}")).await;
        assert!(ids(&made).contains(&knocks[0]) && ids(&made).contains(&knocks[1]));
        assert_eq!(total(&tasks(format!("day={yesterday}")).await), 0);
        let due_then = ids(&tasks(format!("day={yesterday}&on=due")).await);
        let due_today = ids(&tasks(format!("day={today}&on=due")).await);
        assert!(due_then.contains(&knocks[0]) && !due_then.contains(&knocks[1]));
        assert!(!due_today.contains(&knocks[0]));

        // A day that does not read, or an event the list does not know: 422 at the field.
        for (uri, field) in [
            (format!("/api/v1/tasks?area={c}&day=3月1日"), "day"),
            (format!("/api/v1/tasks?area={c}&day={today}&on=later"), "on"),
            (
                format!("/api/v1/supplies?area={c}&day={today}&on=soon"),
                "on",
            ),
            (format!("/api/v1/reports?area={c}&day=2026-13-01"), "day"),
        ] {
            let (st, v) = admin.get(&uri).await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{uri}: {v}");
            assert_eq!(v["fields"][0]["path"], field, "{uri}: {v}");
        }
        // Another community's admin: 404 with the day as without.
        let xf = app.login_api("xf").await;
        for uri in [
            format!("/api/v1/tasks?area={c}&day={today}&on=done"),
            format!("/api/v1/supplies?area={c}&day={today}&on=delivered"),
            format!("/api/v1/reports?area={c}&day={today}"),
        ] {
            assert_eq!(xf.get(&uri).await.0, StatusCode::NOT_FOUND, "{uri}");
        }

        // The report's figures link to their lists for the day; the pages say the filter.
        let mut b = app.browser();
        b.login("admin1").await;
        let page = b.get(&format!("/daily?day={today}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        for link in [
            format!("/tasks?area={area_id}&#38;status=all&#38;day={today}&#38;on=done"),
            format!("/tasks?area={area_id}&#38;status=all&#38;day={today}&#38;on=overdue"),
            format!("status=all&#38;day={today}&#38;on=delivered"),
            "/reports?area=%E4%BA%8C".to_string(),
        ] {
            assert!(page.text.contains(&link), "{link}: {}", page.text);
        }
        let supplies = b
            .get(&format!(
                "/supplies?area={c}&status=all&day={today}&on=delivered"
            ))
            .await;
        assert_eq!(supplies.status, StatusCode::OK, "{}", supplies.text);
        assert!(supplies.text.contains("当天送达"), "{}", supplies.text);
        assert_eq!(supplies.text.matches("class=\"card task supply").count(), 1);
        let board = b
            .get(&format!(
                "/tasks?area={area_id}&status=all&day={today}&on=overdue"
            ))
            .await;
        assert_eq!(board.status, StatusCode::OK, "{}", board.text);
        assert!(board.text.contains("当天结束时逾期"), "{}", board.text);
        assert!(
            board
                .text
                .contains(&format!("name=\"day\" type=\"date\" value=\"{today}\""))
        );
        let reports = b
            .get(&format!("/reports?area={c}&status=all&day={yesterday}"))
            .await;
        assert_eq!(reports.status, StatusCode::OK, "{}", reports.text);
        assert!(reports.text.contains("当天提交"), "{}", reports.text);
        assert!(reports.text.contains("共 0"), "{}", reports.text);
        // A day that does not read: the page says which field and why.
        let bad = b.get(&format!("/tasks?area={area_id}&day=3月1日")).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.text.contains("填写有误：day "), "{}", bad.text);
    }
);
