//! Sampling at home, on SQLite and on PostgreSQL: a person in an at-home episode is sampled
//! single-tube in a pooled round (the scan refuses a pooled tube for them); a test day's
//! home-sampling task leads its worker to the sampler's page with the household's members to
//! tap, or says that no round is open; a refused episode start comes back to the household's
//! page with the message and what was chosen.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_app::clock::FixedClock;
use doorstep_core::Role;
use doorstep_testkit::{COMMUNITY, TestApp, TestDb, both_backends, id, user};
use serde_json::json;
use time::macros::datetime;

use crate::checkins::{grid_worker_gw, quarantine_jia_household};
use crate::rounds::{create_open_round, setup};
use crate::staff::on_duty;

/// The id of the one task of `source`.
async fn task_of(app: &TestApp, source: &str) -> i64 {
    let mine = crate::checkins::followups(app, source).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    mine[0].id
}

both_backends!(
    a_quarantined_household_is_sampled_single_tube_from_its_task,
    async |db: &TestDb| {
        // 06:30 on 1 March 2027, China's time: day 1 of the episode is a test day.
        let clock = FixedClock::at(datetime!(2027-02-28 22:30 UTC));
        let app = TestApp::builder().clock(clock).build(db);
        setup(&app).await;
        user(app.store(), "gw", Role::GridWorker, COMMUNITY).await;
        let admin = app.login_api("admin1").await;
        on_duty(
            &admin,
            grid_worker_gw(),
            &format!("{COMMUNITY}/佳纷天地"),
            "grid_worker",
        )
        .await;
        let v = quarantine_jia_household(&admin).await;
        let household = v["items"][0]["household_id"].as_i64().unwrap();
        let task = task_of(&app, "episode_test").await;

        // No round is open yet: the task says so.
        let mut b = app.browser();
        b.login("gw").await;
        let page = b.get(&format!("/tasks/{task}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text.contains("没有覆盖此户的进行中采样轮次"),
            "{}",
            page.text
        );

        let rid = create_open_round(
            &app,
            json!({"area": COMMUNITY, "name": "第3轮", "pool_size": 10,
                   "areas": [format!("{COMMUNITY}/佳纷天地")]}),
        )
        .await;
        // The task now leads to the round's sampler page for this household.
        let page = b.get(&format!("/tasks/{task}")).await;
        let link = format!("/rounds/{rid}/sample?household={household}");
        assert!(page.text.contains(&link), "{}", page.text);
        let sampler = b.get(&link).await;
        assert_eq!(sampler.status, StatusCode::OK, "{}", sampler.text);
        for name in ["甲一", "甲二", "甲三"] {
            assert!(sampler.text.contains(name), "{name}: {}", sampler.text);
        }
        assert!(!sampler.text.contains("乙一"), "{}", sampler.text);
        // ID numbers beside the names are masked.
        assert!(!sampler.text.contains(&id(1, true)), "{}", sampler.text);

        // 乙一 (not in quarantine) goes into a pooled tube; 甲一 may not join it.
        let s = app.login_api("gw").await;
        let url = format!("/api/v1/rounds/{rid}/scans");
        let scan = |client: &str, tube: &str, n: u16, male: bool| json!({"client_id": client, "tube": tube, "person": {"id_number": id(n, male)}});
        let (st, v, _) = s
            .send("POST", &url, Some(scan("c1", "T-0001", 4, false)))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        assert_eq!(v["tube"]["pool_size"], 10, "{v}");
        let (st, v, _) = s
            .send("POST", &url, Some(scan("c2", "T-0001", 1, true)))
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{v}");

        // At the door: 甲二 tapped on the page goes into a tube of one, closed at once.
        let csrf = b.csrf().await;
        let members = b.get(&link).await.text;
        let jia2 = app
            .store()
            .person_by_document(doorstep_core::DocType::ResidentId, &id(2, false))
            .await
            .unwrap()
            .unwrap()
            .id;
        assert!(members.contains(&format!("value=\"{jia2}\"")), "{members}");
        let done = b
            .post_form(
                &format!("/rounds/{rid}/sample"),
                &[
                    ("csrf", &csrf),
                    ("client_id", "door-1"),
                    ("tube", "T-0002"),
                    ("person_id", &jia2.to_string()),
                    ("household", &household.to_string()),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.text);
        assert!(done.text.contains("甲二"), "{}", done.text);
        let code = doorstep_core::TubeCode::parse("T-0002").unwrap();
        let (tube, samples) = app.store().tube(rid, &code).await.unwrap().unwrap();
        assert_eq!((tube.count, tube.capacity, tube.closed), (1, 1, true));
        assert_eq!(samples.len(), 1);
        // The page stays with the household for the next member.
        assert!(done.text.contains("甲三"), "{}", done.text);

        // A household outside the round's areas is not found from the sampler's page.
        let elsewhere = app
            .store()
            .person_by_document(doorstep_core::DocType::ResidentId, &id(20, true))
            .await
            .unwrap()
            .unwrap()
            .household_id;
        let r = b
            .get(&format!("/rounds/{rid}/sample?household={elsewhere}"))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    }
);

both_backends!(
    a_refused_start_comes_back_to_the_household_page,
    async |db: &TestDb| {
        let clock = FixedClock::at(datetime!(2027-02-28 22:30 UTC));
        let app = TestApp::builder().clock(clock).build(db);
        setup(&app).await;
        let admin = app.login_api("admin1").await;
        let v = quarantine_jia_household(&admin).await;
        let household = v["items"][0]["household_id"].as_i64().unwrap();
        let person = v["items"][0]["person_id"].as_i64().unwrap();
        let mut b = app.browser();
        b.login("admin1").await;
        let csrf = b.csrf().await;
        let back = format!("/households/{household}");
        let start = |start: &'static str| {
            vec![
                ("csrf".to_string(), csrf.clone()),
                ("person_id".to_string(), person.to_string()),
                ("household".to_string(), "1".to_string()),
                ("measure".to_string(), "home_quarantine".to_string()),
                ("reason".to_string(), "密接".to_string()),
                ("start".to_string(), start.to_string()),
                ("back".to_string(), back.clone()),
            ]
        };
        // The same household again, overlapping: the household's page with the message.
        let form = start("2027-03-02");
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = b.post_form("/episodes/start", &form).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert!(r.text.contains("role=\"alert\""), "{}", r.text);
        assert!(r.text.contains("value=\"2027-03-02\""), "{}", r.text);
        assert!(r.text.contains("甲一") && r.text.contains("id=\"start\""));
        // A day that is no date: the field's message, on the same page.
        let form = start("2027-13-40");
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = b.post_form("/episodes/start", &form).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("id=\"start\""), "{}", r.text);
        // Nothing more was started.
        let (_, list, _) = admin.send("GET", "/api/v1/episodes", None).await;
        assert_eq!(list["total"], 3, "{list}");
    }
);
