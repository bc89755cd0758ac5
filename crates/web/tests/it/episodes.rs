//! Quarantine episodes through the API, on SQLite and on PostgreSQL: a household placed in home
//! quarantine at once under the 9th edition (co-residents included), its days across the year
//! end and its planned end at midnight China's time, a second start refused as overlapping,
//! the episode on the person's page, the November 2022 variant for one person, field errors, the list by area, and users who
//! may not (a sampler) or live elsewhere (404).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_core::Role;
use doorstep_testkit::{COMMUNITY, TestApp, TestDb, both_backends, id, user};
use serde_json::json;

use crate::rounds::setup;

both_backends!(
    a_household_goes_into_home_quarantine_and_shows_on_the_list,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        setup(&app).await;
        let admin = app.login_api("admin1").await;
        // 甲一's household (1号楼 101: 甲一, 甲二, 甲三), the policy including co-residents.
        let body = json!({"id_number": id(1, true), "measure": "home_quarantine",
                          "reason": "密接", "start": "2026-12-30"});
        let (st, v, _) = admin
            .send("POST", "/api/v1/episodes", Some(body.clone()))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        assert_eq!(v["total"], 3, "{v}");
        let first = &v["items"][0];
        assert_eq!(
            (
                first["starts_on"].as_str(),
                first["last_day"].as_str(),
                first["planned_end"].as_str(),
                first["policy"].as_str()
            ),
            (
                Some("2026-12-30"),
                Some("2027-01-05"),
                Some("2027-01-05T16:00:00Z"),
                Some("ninth_edition@1")
            ),
            "seven days from day 1, ending at midnight China's time: {v}"
        );
        // 甲一's page shows it.
        let mut b = app.browser();
        b.login("admin1").await;
        let page = b.get(&format!("/persons/{}", first["person_id"])).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text.contains("居家隔离医学观察")
                && page.text.contains("进行中")
                && page.text.contains("2027-01-05"),
            "the person page shows the episode"
        );
        // The same days again: refused, nothing started.
        let (st, v, _) = admin.send("POST", "/api/v1/episodes", Some(body)).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("episode_overlap")),
            "{v}"
        );
        assert!(v["message"].as_str().unwrap().contains("同一措施"), "{v}");
        // 乙一 alone under the November 2022 variant: three days.
        let (st, v, _) = admin
            .send(
                "POST",
                "/api/v1/episodes",
                Some(json!({"id_number": id(4, false), "measure": "居家健康监测",
                            "reason": "中风险区返回", "start": "2026-12-30", "policy": "nov_2022"})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        assert_eq!(
            (v["total"].as_i64(), v["items"][0]["last_day"].as_str()),
            (Some(1), Some("2027-01-01"))
        );
        // Field errors name the field.
        let (st, v, _) = admin
            .send(
                "POST",
                "/api/v1/episodes",
                Some(
                    json!({"id_number": id(5, true), "measure": "lockdown", "reason": "",
                            "start": "2026-13-01", "policy": "tenth"}),
                ),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let fields: Vec<&str> = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["measure", "reason", "start", "policy"], "{v}");
        // The list: four episodes, each with its planned end.
        let (st, l) = admin.get("/api/v1/episodes").await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(l["total"], 4, "{l}");
        assert!(
            l["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["planned_end"].is_string())
        );
        // A sampler may not start one; a grid worker of 钱塘衣城 finds no one here.
        let sampler = app.login_api("s-jf").await;
        let (st, _, _) = sampler
            .send(
                "POST",
                "/api/v1/episodes",
                Some(json!({"id_number": id(6, true), "measure": "home_quarantine", "reason": "密接"})),
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
        let (st, _, _) = other
            .send(
                "POST",
                "/api/v1/episodes",
                Some(json!({"id_number": id(6, true), "measure": "home_quarantine", "reason": "密接"})),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _) = other
            .get(&format!(
                "/api/v1/episodes?area={}",
                doorstep_testkit::enc(&format!("{COMMUNITY}/佳纷天地"))
            ))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, l) = other.get("/api/v1/episodes").await;
        assert_eq!((st, l["total"].as_i64()), (StatusCode::OK, Some(0)));
    }
);
