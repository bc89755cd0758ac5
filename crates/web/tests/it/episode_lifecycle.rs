//! An episode's life after its start, on SQLite and on PostgreSQL, through the API and the
//! pages: extend, shorten (not to before today, not before the start, not into another
//! episode of the measure), the release checklist read from the testing tables (a negative
//! sample on a test day, the others missing; a positive one red), a release refused without a reason and then
//! overridden for the whole household, the notice with the name and the masked ID number, a
//! transfer to central quarantine starting the central episode, field errors, the audit
//! entries, 404 outside the area and 403 for a volunteer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_core::Role;
use doorstep_testkit::{COMMUNITY, TestApp, TestDb, both_backends, id, user};
use serde_json::{Value, json};
use time::{Date, Duration, OffsetDateTime, UtcOffset};

use crate::rounds::setup;

/// China's date today (the clock the app reads in these tests is the system's: samples are
/// stamped with it).
fn today() -> Date {
    OffsetDateTime::now_utc()
        .to_offset(UtcOffset::from_hms(8, 0, 0).unwrap())
        .date()
}

fn day(n: i64) -> String {
    (today() + Duration::days(n)).to_string()
}

/// 甲一 (`id(1, true)`) and 甲二 (`id(2, false)`) sampled today into single tubes, which the
/// lab finds negative and positive.
async fn samples_today(app: &TestApp) {
    user(app.store(), "lab1", Role::Lab, "二七区").await;
    let admin = app.login_api("admin1").await;
    let (st, r, _) = admin
        .send(
            "POST",
            "/api/v1/rounds",
            Some(json!({"area": COMMUNITY, "name": "居家采样", "pool_size": 1})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let rid = r["id"].as_i64().unwrap();
    admin
        .send(
            "POST",
            &format!("/api/v1/rounds/{rid}/status"),
            Some(json!({"status": "open"})),
        )
        .await;
    let sampler = app.login_api("s-jf").await;
    for (n, male) in [(1, true), (2, false)] {
        let (st, v, _) = sampler
            .send(
                "POST",
                &format!("/api/v1/rounds/{rid}/scans"),
                Some(
                    json!({"client_id": format!("c{n}"), "tube": format!("HOME-{n}"),
                            "person": {"id_number": id(n, male)}, "retest": false}),
                ),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let lab = app.login_api("lab1").await;
    let (st, v, _) = lab
        .send(
            "POST",
            "/api/v1/lab/results",
            Some(json!({"results": [{"tube": "HOME-1", "result": "negative"},
                                    {"tube": "HOME-2", "result": "positive"}]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

fn code(v: &Value) -> Option<&str> {
    v["error"].as_str()
}

both_backends!(
    an_episode_is_extended_shortened_released_and_transferred,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        setup(&app).await;
        samples_today(&app).await;
        let admin = app.login_api("admin1").await;
        // 甲一's household into home quarantine from three days ago: today is day 4, a test day.
        let (st, v, _) = admin
            .send(
                "POST",
                "/api/v1/episodes",
                Some(
                    json!({"id_number": id(1, true), "measure": "home_quarantine",
                            "reason": "密接", "start": day(-3)}),
                ),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        assert_eq!(v["total"], 3);
        let of = |name: &str| {
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["name"] == name)
                .unwrap()["id"]
                .as_i64()
                .unwrap()
        };
        let (e1, e2) = (of("甲一"), of("甲二"));
        // 甲二's day 4 is positive: unmet, and shown red on the page.
        let (_, v) = admin.get(&format!("/api/v1/episodes/{e2}")).await;
        assert_eq!(v["checklist"]["tests"][1]["state"], "positive", "{v}");
        assert_eq!(v["checklist"]["unmet"], json!(["end", "tests"]));
        let mut b = app.browser();
        b.login("admin1").await;
        let page = b.get(&format!("/episodes/{e2}")).await;
        assert!(
            page.text.contains("ep-t-positive") && page.text.contains("⚠ 阳性"),
            "{}",
            page.text
        );
        let ep = format!("/api/v1/episodes/{e1}");
        let change = |last: String, reason: &str| json!({"last_day": last, "reason": reason});
        // Extended by three days: the planned end follows, midnight after it, China's time.
        let (st, v, _) = admin
            .send(
                "POST",
                &format!("{ep}/change"),
                Some(change(day(6), "复核阳性密接")),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let end = (today() + Duration::days(6)).to_string();
        assert_eq!(v["last_day"].as_str(), Some(end.as_str()));
        assert_eq!(
            v["planned_end"].as_str(),
            Some(format!("{end}T16:00:00Z").as_str())
        );
        // Not shortened to before today, not before the start, not unchanged.
        for (last, want) in [
            (day(-1), "episode_shorten_past"),
            (day(-5), "episode_before_start"),
            (day(6), "episode_unchanged"),
        ] {
            let (st, v, _) = admin
                .send("POST", &format!("{ep}/change"), Some(change(last, "调整")))
                .await;
            assert_eq!((st, code(&v)), (StatusCode::CONFLICT, Some(want)), "{v}");
        }
        // Shortened to today.
        let (st, v, _) = admin
            .send(
                "POST",
                &format!("{ep}/change"),
                Some(change(day(0), "提前评估")),
            )
            .await;
        assert_eq!(
            (st, v["last_day"].as_str()),
            (StatusCode::OK, Some(day(0).as_str()))
        );
        // Release due tomorrow: today is 甲一's last day; none is due today (甲二 and 甲三 end
        // in three days).
        for (q, n) in [("due=tomorrow", 1), ("due=today", 0)] {
            let (_, l) = admin.get(&format!("/api/v1/episodes?{q}")).await;
            assert_eq!(l["total"].as_i64(), Some(n), "{q}: {l}");
        }
        let (_, l) = admin.get("/api/v1/episodes?due=tomorrow").await;
        assert_eq!(l["items"][0]["id"].as_i64(), Some(e1));
        // Another home quarantine of 甲一 later on: extending into it is refused.
        let (st, v, _) = admin
            .send(
                "POST",
                "/api/v1/episodes",
                Some(
                    json!({"id_number": id(1, true), "measure": "home_quarantine",
                            "reason": "再次密接", "start": day(10), "policy": "nov_2022"}),
                ),
            )
            .await;
        assert_eq!(
            (st, v["total"].as_i64()),
            (StatusCode::CREATED, Some(1)),
            "{v}"
        );
        let (st, v, _) = admin
            .send(
                "POST",
                &format!("{ep}/change"),
                Some(change(day(11), "延长")),
            )
            .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::CONFLICT, Some("episode_overlap")),
            "{v}"
        );
        // Field errors name the fields.
        let (st, v, _) = admin
            .send(
                "POST",
                &format!("{ep}/change"),
                Some(change("2026-13-01".into(), " ")),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let fields: Vec<&str> = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["last_day", "reason"]);
        // The episode: day 4 today, test days 1 and 4 (up to the last day): day 1 missing,
        // day 4 negative from today's sample; the end not reached; the history.
        let (st, v) = admin.get(&ep).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["day_today"], 4, "{v}");
        let tests: Vec<(i64, &str)> = v["checklist"]["tests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["day"].as_i64().unwrap(), t["state"].as_str().unwrap()))
            .collect();
        assert_eq!(tests, [(1, "missing"), (4, "negative")], "{v}");
        assert_eq!(v["checklist"]["end_reached"], false);
        // Entered today with day 1 in the past: the windows before it was entered are not
        // owed, none closed since.
        assert_eq!(
            v["checklist"]["checkins"],
            json!({"done": 0, "due": 0, "explained": 0, "met": true})
        );
        assert_eq!(v["checklist"]["unmet"], json!(["end", "tests"]));
        let whats: Vec<&str> = v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["what"].as_str().unwrap())
            .collect();
        assert_eq!(whats, ["extend", "shorten"], "{v}");
        assert_eq!(v["changes"][1]["reason"], "提前评估");
        // Release: unmet items need a reason; with one, the household goes together.
        let (st, v, _) = admin
            .send("POST", &format!("{ep}/release"), Some(json!({})))
            .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::CONFLICT, Some("release_checklist_unmet")),
            "{v}"
        );
        assert!(v["message"].as_str().unwrap().contains("原因"), "{v}");
        // A volunteer sees it but may not release it; a worker of 钱塘衣城 does not see it.
        user(
            app.store(),
            "vol1",
            Role::Volunteer,
            &format!("{COMMUNITY}/佳纷天地"),
        )
        .await;
        let vol = app.login_api("vol1").await;
        assert_eq!(vol.get(&ep).await.0, StatusCode::OK);
        let (st, _, _) = vol
            .send(
                "POST",
                &format!("{ep}/release"),
                Some(json!({"reason": "x"})),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        user(
            app.store(),
            "gw-qt",
            Role::GridWorker,
            &format!("{COMMUNITY}/钱塘衣城"),
        )
        .await;
        let other = app.login_api("gw-qt").await;
        assert_eq!(other.get(&ep).await.0, StatusCode::NOT_FOUND);
        for (path, body) in [
            ("release", json!({"reason": "x"})),
            ("change", change(day(2), "x")),
            ("transfer", json!({"to": "hospital", "reason": "x"})),
        ] {
            let (st, _, _) = other
                .send("POST", &format!("{ep}/{path}"), Some(body))
                .await;
            assert_eq!(st, StatusCode::NOT_FOUND, "{path}");
        }
        let (st, v, _) = admin
            .send(
                "POST",
                &format!("{ep}/release"),
                Some(json!({"reason": "经医生评估提前解除", "household": true})),
            )
            .await;
        assert_eq!((st, v["total"].as_i64()), (StatusCode::OK, Some(3)), "{v}");
        assert!(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["status"] == "released" && e["ended_at"].is_string())
        );
        // Released: no more changes.
        let (st, v, _) = admin
            .send("POST", &format!("{ep}/change"), Some(change(day(3), "x")))
            .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::CONFLICT, Some("episode_not_active"))
        );
        let (_, v) = admin.get(&ep).await;
        assert_eq!(v["changes"][2]["what"], "release");
        assert_eq!(
            v["changes"][2]["before"], "end,tests",
            "the overridden items: {v}"
        );
        // 乙一 in home quarantine today, transferred to central quarantine, which starts.
        let (_, v, _) = admin
            .send(
                "POST",
                "/api/v1/episodes",
                Some(
                    json!({"id_number": id(4, false), "measure": "home_quarantine",
                            "reason": "密接", "policy": "nov_2022"}),
                ),
            )
            .await;
        let e3 = v["items"][0]["id"].as_i64().unwrap();
        let (st, v, _) = admin
            .send(
                "POST",
                &format!("/api/v1/episodes/{e3}/transfer"),
                Some(json!({"to": "moon", "reason": ""})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["fields"][0]["path"], "to");
        let (st, v, _) = admin
            .send(
                "POST",
                &format!("/api/v1/episodes/{e3}/transfer"),
                Some(
                    json!({"to": "central", "place": "金水宾馆", "reason": "转为密接",
                            "start_central": true}),
                ),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["episode"]["status"], "transferred");
        assert_eq!(v["central_episode"]["measure"], "central_quarantine");
        assert_eq!(v["central_episode"]["status"], "active");
        assert_eq!(
            v["central_episode"]["starts_on"].as_str(),
            Some(day(0).as_str())
        );
        let (st, v, _) = admin
            .send(
                "POST",
                &format!("/api/v1/episodes/{e3}/transfer"),
                Some(json!({"to": "hospital", "reason": "again"})),
            )
            .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::CONFLICT, Some("episode_not_active"))
        );
        // The list's filters.
        let count = |q: &'static str| {
            let admin = &admin;
            async move {
                let (st, l) = admin.get(&format!("/api/v1/episodes?{q}")).await;
                assert_eq!(st, StatusCode::OK, "{l}");
                l["total"].as_i64().unwrap()
            }
        };
        assert_eq!(count("status=released").await, 3);
        assert_eq!(count("status=transferred").await, 1);
        assert_eq!(count("measure=central_quarantine").await, 1);
        assert_eq!(count("status=active").await, 2);
        let (st, _) = admin.get("/api/v1/episodes?due=yesterday").await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        // 丙一's monitoring ended a week ago and was never released: due today (overdue).
        let (st, v, _) = admin
            .send(
                "POST",
                "/api/v1/episodes",
                Some(
                    json!({"id_number": id(6, false), "measure": "home_health_monitoring",
                            "reason": "返乡", "start": day(-10), "policy": "nov_2022"}),
                ),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let (_, l) = admin.get("/api/v1/episodes?due=today").await;
        assert_eq!(
            (l["total"].as_i64(), l["items"][0]["name"].as_str()),
            (Some(1), Some("丙一")),
            "{l}"
        );
        // A day as the daily report counts it (its figures link here).
        let on_day = |d: String, on: &'static str| {
            let admin = &admin;
            async move {
                let (st, l) = admin
                    .get(&format!("/api/v1/episodes?day={d}&on={on}"))
                    .await;
                (st, l)
            }
        };
        let (_, l) = on_day(day(-10), "new").await;
        assert_eq!(
            (l["total"].as_i64(), l["items"][0]["name"].as_str()),
            (Some(1), Some("丙一")),
            "{l}"
        );
        let (_, l) = on_day(day(-10), "ongoing").await;
        assert!(l.to_string().contains("丙一"), "{l}");
        let (_, l) = on_day(day(-11), "ongoing").await;
        assert!(!l.to_string().contains("丙一"), "not yet: {l}");
        let (_, l) = on_day(day(0), "released").await;
        assert_eq!(l["total"].as_i64(), Some(3), "released today: {l}");
        let (_, l) = on_day(day(1), "released").await;
        assert_eq!(l["total"].as_i64(), Some(0), "{l}");
        let (st, l) = on_day("2026-13-01".into(), "new").await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert_eq!(l["fields"][0]["path"], "day", "{l}");
        let (st, l) = on_day(day(0), "bogus").await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{l}");
        assert_eq!(l["fields"][0]["path"], "on", "{l}");
        // Every change audited.
        for (action, n) in [
            ("episode.change", 2),
            ("episode.release", 1),
            ("episode.transfer", 1),
        ] {
            let (_, a) = admin.get(&format!("/api/v1/audit?action={action}")).await;
            assert_eq!(a["total"].as_i64(), Some(n), "{action}: {a}");
        }
        let (_, a) = admin.get("/api/v1/audit?action=episode.release").await;
        assert_eq!(a["items"][0]["object_id"].as_i64(), Some(e1), "{a}");
    }
);

both_backends!(
    staff_start_change_release_and_print_on_the_pages,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        setup(&app).await;
        let mut b = app.browser();
        b.login("admin1").await;
        let csrf = b.csrf().await;
        // The household page offers the start form; it starts the whole household.
        let admin = app.login_api("admin1").await;
        let p = app
            .store()
            .person_by_document(doorstep_core::DocType::ResidentId, &id(4, false))
            .await
            .unwrap()
            .unwrap();
        let (person, household) = (p.id, p.household_id);
        let page = b.get(&format!("/households/{household}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text.contains("action=\"/episodes/start\"") && page.text.contains("第九版"),
            "{}",
            page.text
        );
        let start = day(0);
        let done = b
            .post_form(
                "/episodes/start",
                &[
                    ("csrf", &csrf),
                    ("person_id", &person.to_string()),
                    ("household", "1"),
                    ("measure", "home_health_monitoring"),
                    ("reason", "中高风险地区返回"),
                    ("start", &start),
                    ("policy", "nov_2022"),
                    ("back", &format!("/households/{household}")),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
        let page = b.get(&format!("/households/{household}")).await;
        assert!(
            page.text.contains("乙一")
                && page.text.contains("乙二")
                && page.text.contains("居家健康监测")
        );
        let (_, l) = admin.get("/api/v1/episodes").await;
        assert_eq!(l["total"], 2, "{l}");
        let e = l["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "乙一")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        // The episode's page: day 1 of 3, the test day, the forms.
        let page = b.get(&format!("/episodes/{e}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text.contains("今天是第 1 天（共 3 天）"),
            "{}",
            page.text
        );
        assert!(page.text.contains("未采样") && page.text.contains("/release"));
        // Shortened to before today: refused on the page, which says why.
        let refused = b
            .post_form(
                &format!("/episodes/{e}/change"),
                &[("csrf", &csrf), ("last_day", &day(-1)), ("reason", "x")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::CONFLICT);
        assert!(
            refused.text.contains("不能早于开始日期"),
            "{}",
            refused.text
        );
        let changed = b
            .post_form(
                &format!("/episodes/{e}/change"),
                &[
                    ("csrf", &csrf),
                    ("last_day", &day(4)),
                    ("reason", "延长观察"),
                ],
            )
            .await;
        assert_eq!(changed.status, StatusCode::SEE_OTHER);
        let page = b.get(&format!("/episodes/{e}")).await;
        assert!(page.text.contains("延长观察") && page.text.contains(&day(4)));
        // Without the CSRF token nothing happens.
        let forged = b
            .post_form(&format!("/episodes/{e}/release"), &[("reason", "x")])
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        // The release confirmation shows the checklist; an early release needs a reason.
        let page = b.get(&format!("/episodes/{e}/release")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text.contains("已到计划解除时间") && page.text.contains("乙二"),
            "{}",
            page.text
        );
        let refused = b
            .post_form(&format!("/episodes/{e}/release"), &[("csrf", &csrf)])
            .await;
        assert_eq!(refused.status, StatusCode::CONFLICT);
        assert!(refused.text.contains("请填写原因"));
        // No notice before the release.
        assert_eq!(
            b.get(&format!("/episodes/{e}/notice")).await.status,
            StatusCode::NOT_FOUND
        );
        let done = b
            .post_form(
                &format!("/episodes/{e}/release"),
                &[("csrf", &csrf), ("reason", "核酸阴性，评估解除")],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
        let page = b.get(&format!("/episodes/{e}")).await;
        assert!(page.text.contains(&format!("/episodes/{e}/notice")));
        // The notice: the name, the ID number masked without its birth date, the community.
        let notice = b.get(&format!("/episodes/{e}/notice")).await;
        assert_eq!(notice.status, StatusCode::OK);
        let full = id(4, false);
        let masked = format!("{}********{}", &full[..6], &full[14..]);
        assert!(
            notice.text.contains("解除居家健康监测告知书")
                && notice.text.contains("乙一")
                && notice.text.contains(&masked)
                && !notice.text.contains(&full)
                && !notice.text.contains(&full[6..14])
                && notice.text.contains("经评估符合解除条件")
                && notice.text.contains("祥云社区"),
            "{}",
            notice.text
        );
        // The list page filters by status and measure.
        let list = b.get("/episodes?status=released").await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(
            list.text.contains("乙一") && !list.text.contains("乙二"),
            "{}",
            list.text
        );
        // Someone of 钱塘衣城 finds none of it.
        user(
            app.store(),
            "gw-qt",
            Role::GridWorker,
            &format!("{COMMUNITY}/钱塘衣城"),
        )
        .await;
        let mut other = app.browser();
        other.login("gw-qt").await;
        assert_eq!(
            other.get(&format!("/episodes/{e}")).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            other.get(&format!("/episodes/{e}/notice")).await.status,
            StatusCode::NOT_FOUND
        );
    }
);
