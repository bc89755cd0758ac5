//! Quarantine policies as versioned data, through the API and the pages, on SQLite and on
//! PostgreSQL: the two shipped defaults at version 1; an edit makes version 2 and the current
//! becomes 2, while an episode started before keeps version 1 and its planned end, and
//! `ninth_edition@1` still starts episodes; bad rules answer 422 at the field; a grid worker
//! may read but not edit (403); the save is audited; the pages list, show and edit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_core::Role;
use doorstep_testkit::{COMMUNITY, TestApp, TestDb, both_backends, hidden, id, user};
use serde_json::{Value, json};

use crate::rounds::setup;

fn district() -> &'static str {
    COMMUNITY.split('/').next().unwrap()
}

/// The 9th edition with home quarantine lengthened to 10 days, tests on days 1, 5 and 10.
fn ten_days(current: &Value) -> Value {
    let mut rules = current["rules"].clone();
    rules["home_quarantine"]["days"] = json!(10);
    rules["home_quarantine"]["test_days"] = json!([1, 5, 10]);
    json!({"name": "第九版（本市延长）", "rules": rules, "based_on": 1})
}

both_backends!(
    an_edit_makes_a_new_version_and_never_changes_an_episode_started,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        setup(&app).await;
        user(app.store(), "da", Role::DistrictAdmin, district()).await;
        user(app.store(), "gw", Role::GridWorker, COMMUNITY).await;
        let da = app.login_api("da").await;
        let admin = app.login_api("admin1").await;

        // The two shipped defaults, at version 1.
        let (st, l) = admin.get("/api/v1/policies").await;
        assert_eq!(st, StatusCode::OK, "{l}");
        let keys: Vec<(&str, i64)> = l["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["key"].as_str().unwrap(), p["version"].as_i64().unwrap()))
            .collect();
        assert_eq!(keys, [("ninth_edition", 1), ("nov_2022", 1)], "{l}");
        let (st, v1) = admin.get("/api/v1/policies/ninth_edition/versions/1").await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(v1["rules"]["home_quarantine"]["days"], 7, "{v1}");
        assert_eq!(
            v1["rules"]["home_quarantine"]["windows"],
            json!(["07:00-11:00", "15:00-19:00"])
        );

        // 甲一's household starts under the current version (1).
        let (st, before, _) = admin
            .send(
                "POST",
                "/api/v1/episodes",
                Some(
                    json!({"id_number": id(1, true), "measure": "home_quarantine",
                            "reason": "密接", "start": "2026-12-30"}),
                ),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{before}");
        assert_eq!(before["items"][0]["policy"], "ninth_edition@1");

        // A grid worker reads policies but may not edit them.
        let gw = app.login_api("gw").await;
        let (st, _) = gw.get("/api/v1/policies/ninth_edition").await;
        assert_eq!(st, StatusCode::OK);
        let (st, v, _) = gw
            .send(
                "POST",
                "/api/v1/policies/ninth_edition/versions",
                Some(ten_days(&v1)),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
        // So may a community admin not.
        let (st, _, _) = admin
            .send(
                "POST",
                "/api/v1/policies/ninth_edition/versions",
                Some(ten_days(&v1)),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);

        // Bad rules: 422, each at its field; nothing saved.
        let mut bad = ten_days(&v1);
        bad["rules"]["home_quarantine"]["test_days"] = json!([1, 11]);
        bad["rules"]["home_health_monitoring"]["windows"] = json!(["19:00-15:00", "07:00-11:00"]);
        bad["name"] = json!("");
        let (st, v, _) = da
            .send("POST", "/api/v1/policies/ninth_edition/versions", Some(bad))
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let fields: Vec<(&str, &str)> = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["path"].as_str().unwrap(), f["code"].as_str().unwrap()))
            .collect();
        assert_eq!(
            fields,
            [
                ("name", "required"),
                (
                    "rules.home_quarantine.test_days",
                    "policy_test_days_invalid"
                ),
                (
                    "rules.home_health_monitoring.windows",
                    "policy_windows_invalid"
                )
            ],
            "{v}"
        );

        // The edit: version 2, the current one.
        let (st, v2, _) = da
            .send(
                "POST",
                "/api/v1/policies/ninth_edition/versions",
                Some(ten_days(&v1)),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v2}");
        assert_eq!(
            (v2["version"].as_i64(), v2["created_by"].as_str()),
            (Some(2), Some("da"))
        );
        // Saving again from version 1 is refused: someone saved since.
        let (st, v, _) = da
            .send(
                "POST",
                "/api/v1/policies/ninth_edition/versions",
                Some(ten_days(&v1)),
            )
            .await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("policy_changed")),
            "{v}"
        );
        let (_, l) = admin.get("/api/v1/policies").await;
        assert_eq!(l["items"][0]["version"], 2, "{l}");
        let (_, versions) = admin.get("/api/v1/policies/ninth_edition").await;
        assert_eq!(versions["total"], 2);
        assert_eq!(versions["items"][0]["rules"]["home_quarantine"]["days"], 10);

        // The episode started before keeps version 1 and its planned end.
        let (_, eps) = admin.get("/api/v1/episodes").await;
        let first = eps["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == before["items"][0]["id"])
            .unwrap();
        assert_eq!(
            (first["policy"].as_str(), first["last_day"].as_str()),
            (Some("ninth_edition@1"), Some("2027-01-05")),
            "{eps}"
        );
        // The rules an episode follows are its version's.
        let rules = doorstep_app::quarantine::policies::rules_for(
            app.store(),
            "ninth_edition",
            1,
            doorstep_core::quarantine::Measure::HomeQuarantine,
        )
        .await
        .unwrap();
        assert_eq!(rules.days, 7);
        // A new episode follows version 2 (10 days); `ninth_edition@1` still starts 7.
        let (st, v, _) = admin
            .send(
                "POST",
                "/api/v1/episodes",
                Some(
                    json!({"id_number": id(4, false), "measure": "home_quarantine",
                            "reason": "密接", "start": "2026-12-30"}),
                ),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        assert_eq!(
            (
                v["items"][0]["policy"].as_str(),
                v["items"][0]["last_day"].as_str()
            ),
            (Some("ninth_edition@2"), Some("2027-01-08"))
        );
        let (st, v, _) = admin
            .send(
                "POST",
                "/api/v1/episodes",
                Some(
                    json!({"id_number": id(6, false), "measure": "home_quarantine",
                            "reason": "密接", "start": "2026-12-30", "policy": "ninth_edition@1"}),
                ),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        assert_eq!(
            (
                v["items"][0]["policy"].as_str(),
                v["items"][0]["last_day"].as_str()
            ),
            (Some("ninth_edition@1"), Some("2027-01-05"))
        );
        // An unknown version or key is a problem at `policy`.
        for policy in ["ninth_edition@3", "tenth_edition", "ninth_edition@x"] {
            let (st, v, _) = admin
                .send(
                    "POST",
                    "/api/v1/episodes",
                    Some(
                        json!({"id_number": id(5, true), "measure": "home_quarantine",
                                "reason": "密接", "policy": policy}),
                    ),
                )
                .await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{policy}: {v}");
            assert_eq!(v["fields"][0]["path"], "policy", "{v}");
        }
        let (st, _) = admin.get("/api/v1/policies/ninth_edition/versions/3").await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _) = admin.get("/api/v1/policies/no_such_policy").await;
        assert_eq!(st, StatusCode::NOT_FOUND);

        // A city's own policy: version 1 of a new key; a bad key is a field problem.
        let (st, v, _) = da
            .send(
                "POST",
                "/api/v1/policies/zhengzhou_2022/versions",
                Some(json!({"name": "郑州本地", "based_on": 0,
                            "rules": {"home_health_monitoring": {"days": 5, "windows": ["08:00-10:00"],
                                      "test_days": [1, 5], "release": {"negative_tests": true}}}})),
            )
            .await;
        assert_eq!(
            (st, v["version"].as_i64()),
            (StatusCode::CREATED, Some(1)),
            "{v}"
        );
        let (st, v, _) = da
            .send(
                "POST",
                "/api/v1/policies/Bad-Key/versions",
                Some(json!({"name": "x", "rules": {"home_quarantine": {"days": 1}}})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["fields"][0]["path"], "key");

        // The save is audited: who, which key, which version.
        let (st, audit) = da.get("/api/v1/audit?action=policy.save").await;
        assert_eq!(st, StatusCode::OK, "{audit}");
        let text = audit.to_string();
        assert!(
            text.contains("ninth_edition") && text.contains("\"version\":2"),
            "{audit}"
        );
    }
);

both_backends!(
    the_pages_list_show_and_edit_policies,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        setup(&app).await;
        user(app.store(), "da", Role::DistrictAdmin, district()).await;
        // The list, for a community admin: both policies, their days; no edit button.
        let mut b = app.browser();
        b.login("admin1").await;
        let page = b.get("/policies").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text.contains("第九版防控方案")
                && page.text.contains("二十条优化措施")
                && page.text.contains("v1")
                && page.text.contains("居家隔离医学观察"),
            "{}",
            page.text
        );
        assert!(!page.text.contains("/policies/ninth_edition/edit"));
        assert!(page.text.contains("href=\"/policies\""), "the menu line");
        assert_eq!(
            b.get("/policies/ninth_edition/edit").await.status,
            StatusCode::FORBIDDEN
        );
        // The district admin edits: the form is the current version.
        let mut d = app.browser();
        d.login("da").await;
        let form = d.get("/policies/ninth_edition/edit").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(
            form.text.contains("07:00-11:00, 15:00-19:00"),
            "{}",
            form.text
        );
        let csrf = hidden(&form.text, "csrf");
        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("based_on", "1"),
            ("name", "第九版（延长）"),
            ("home_quarantine.days", "10"),
            ("home_quarantine.windows", "07:00-11:00, 15:00-19:00"),
            ("home_quarantine.test_days", "1, 12"),
            ("home_quarantine.co_residents", "1"),
            ("home_quarantine.checkins", "1"),
            ("home_quarantine.negative_tests", "1"),
        ];
        // A test day outside the days: the form again, the problem at its field.
        let res = d.post_form("/policies/ninth_edition/edit", &fields).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.text.contains("href=\"#pl-home_quarantine-test_days\"")
                && res.text.contains("检测日应为期间内的第几天"),
            "{}",
            res.text
        );
        assert!(
            res.text.contains("value=\"第九版（延长）\""),
            "kept as typed"
        );
        fields[5] = ("home_quarantine.test_days", "1, 5, 10");
        let res = d.post_form("/policies/ninth_edition/edit", &fields).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let to = res.headers["location"].to_str().unwrap().to_string();
        assert_eq!(to, "/policies/ninth_edition/versions/2");
        let page = d.get(&to).await;
        assert!(
            page.text.contains("第九版（延长）")
                && page.text.contains("/policies/ninth_edition/versions/1"),
            "{}",
            page.text
        );
        // Version 1 is still there, unchanged; it links to the current one.
        let page = d.get("/policies/ninth_edition/versions/1").await;
        assert!(page.text.contains("第九版防控方案") && page.text.contains("v2"));
        assert_eq!(
            d.get("/policies/ninth_edition/versions/9").await.status,
            StatusCode::NOT_FOUND
        );
        // The saved version covers home quarantine only (the others were left empty).
        let (_, v) = app
            .login_api("da")
            .await
            .get("/api/v1/policies/ninth_edition/versions/2")
            .await;
        assert_eq!(
            v["rules"].as_object().unwrap().keys().collect::<Vec<_>>(),
            ["home_quarantine"]
        );
        // A stale form (based on 1) is refused with the reason above the form.
        let res = d.post_form("/policies/ninth_edition/edit", &fields).await;
        assert_eq!(res.status, StatusCode::CONFLICT);
        assert!(res.text.contains("刷新后重新编辑"), "{}", res.text);
    }
);

both_backends!(
    saves_at_once_never_share_a_version_number,
    async |db: &TestDb| {
        use doorstep_store::{NewPolicyVersion, StoreError, no_audit};
        // Eight saves of the same policy at once, none naming the version it started from:
        // every one that succeeds has its own number, and any that loses the race is refused
        // as `policy_changed`, never stored twice under one number.
        let mut handles = Vec::new();
        for n in 0..8u16 {
            let store = db.store.clone();
            handles.push(tokio::spawn(async move {
                let mut p = doorstep_core::quarantine::Policy::nov_2022();
                p.name = format!("variant {n}");
                store
                    .save_policy(
                        &NewPolicyVersion {
                            policy: p,
                            based_on: None,
                            by: "test".into(),
                        },
                        no_audit(),
                    )
                    .await
            }));
        }
        let mut numbers = Vec::new();
        for h in handles {
            match h.await.unwrap() {
                Ok(v) => numbers.push(v.version),
                Err(StoreError::Conflict(c)) => assert_eq!(c, "policy_changed"),
                Err(e) => panic!("{e}"),
            }
        }
        assert!(!numbers.is_empty());
        let mut distinct = numbers.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), numbers.len(), "{numbers:?}");
        let key = doorstep_core::policy::PolicyKey::parse("nov_2022").unwrap();
        let stored = db.store.policy_versions(&key).await.unwrap();
        assert_eq!(stored.len(), numbers.len() + 1, "version 1 and each save");
        assert_eq!(
            stored.first().map(|v| v.version),
            distinct.last().copied(),
            "the highest saved is the current one"
        );
        // Two saves from the same version: the second is refused.
        let from = |name: &str| NewPolicyVersion {
            policy: doorstep_core::quarantine::Policy {
                name: name.into(),
                ..doorstep_core::quarantine::Policy::nov_2022()
            },
            based_on: stored.first().map(|v| v.version),
            by: "test".into(),
        };
        assert!(db.store.save_policy(&from("a"), no_audit()).await.is_ok());
        assert!(matches!(
            db.store.save_policy(&from("b"), no_audit()).await,
            Err(StoreError::Conflict(c)) if c == "policy_changed"
        ));
    }
);

both_backends!(
    the_edit_form_saves_a_local_variant_as_a_new_policy,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        setup(&app).await;
        user(app.store(), "da", Role::DistrictAdmin, district()).await;
        let mut d = app.browser();
        d.login("da").await;
        let form = d.get("/policies/nov_2022/edit").await;
        let csrf = hidden(&form.text, "csrf");
        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("based_on", "1"),
            ("name", "郑州本地版"),
            ("home_health_monitoring.days", "5"),
            ("home_health_monitoring.windows", "08:00-10:00"),
            ("home_health_monitoring.test_days", "1, 5"),
            ("home_health_monitoring.negative_tests", "1"),
            ("new_key", "Zheng-Zhou"),
        ];
        // A key that is not one: the problem at its box, nothing saved.
        let res = d.post_form("/policies/nov_2022/edit", &fields).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.text.contains("href=\"#pl-new_key\"") && res.text.contains("政策代码应为"),
            "{}",
            res.text
        );
        // A taken key: refused at its box.
        fields[7] = ("new_key", "ninth_edition");
        let res = d.post_form("/policies/nov_2022/edit", &fields).await;
        assert_eq!(res.status, StatusCode::CONFLICT);
        assert!(res.text.contains("href=\"#pl-new_key\""), "{}", res.text);
        fields[7] = ("new_key", "zhengzhou");
        let res = d.post_form("/policies/nov_2022/edit", &fields).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        assert_eq!(
            res.headers["location"].to_str().unwrap(),
            "/policies/zhengzhou/versions/1"
        );
        // The list has it; nov_2022 is untouched at version 1.
        let (_, l) = app.login_api("da").await.get("/api/v1/policies").await;
        let keys: Vec<(&str, i64)> = l["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["key"].as_str().unwrap(), p["version"].as_i64().unwrap()))
            .collect();
        assert_eq!(
            keys,
            [("ninth_edition", 1), ("nov_2022", 1), ("zhengzhou", 1)]
        );
    }
);
