//! Sealed areas (封控), on SQLite and on PostgreSQL: a community admin seals a building
//! (audited) and not twice, nor a whole community; a grid worker may not seal, another area's
//! admin finds nothing; a worker files supplies for a household of the sealed building that is
//! in no episode, from its page, until the seal is lifted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_core::{DocType, Role};
use doorstep_store::AuditQuery;
use doorstep_testkit::{COMMUNITY, TestApp, TestDb, both_backends, id, user};
use serde_json::json;

use crate::rounds::setup;

both_backends!(
    a_sealed_building_is_served_at_home_until_lifted,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        setup(&app).await;
        let store = app.store();
        user(store, "gw", Role::GridWorker, COMMUNITY).await;
        user(
            store,
            "admin-qt",
            Role::CommunityAdmin,
            &format!("{COMMUNITY}/钱塘衣城"),
        )
        .await;
        let building = format!("{COMMUNITY}/佳纷天地/1号楼");
        let seal = json!({"area": building, "reason": "楼内发现阳性"});

        // Who may not: a grid worker (403), another compound's admin (404).
        let gw = app.login_api("gw").await;
        let (st, v, _) = gw.send("POST", "/api/v1/seals", Some(seal.clone())).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
        let other = app.login_api("admin-qt").await;
        let (st, v, _) = other
            .send("POST", "/api/v1/seals", Some(seal.clone()))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{v}");

        // 乙一's household (1号楼 102) is in no episode: no supplies for it yet.
        let household = store
            .person_by_document(DocType::ResidentId, &id(4, false))
            .await
            .unwrap()
            .unwrap()
            .household_id;
        let ask = |key: &str| json!({"idempotency_key": key, "kind": "food", "detail": "米面"});
        let hpath = format!("/api/v1/households/{household}/supplies");
        let (st, v, _) = gw.send("POST", &hpath, Some(ask("k-1"))).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{v}");

        // The community admin seals 1号楼: once (audited), not twice, not the community.
        let admin = app.login_api("admin1").await;
        let (st, made, _) = admin
            .send("POST", "/api/v1/seals", Some(seal.clone()))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{made}");
        assert_eq!(
            (made["active"].as_bool(), made["sealed_by"].as_str()),
            (Some(true), Some("admin1"))
        );
        let (st, v, _) = admin.send("POST", "/api/v1/seals", Some(seal)).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("area_sealed")),
            "{v}"
        );
        let (st, v, _) = admin
            .send(
                "POST",
                "/api/v1/seals",
                Some(json!({"area": COMMUNITY, "reason": "x"})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let (st, v, _) = admin
            .send(
                "POST",
                "/api/v1/seals",
                Some(json!({"area": format!("{COMMUNITY}/佳纷天地/3号楼"), "reason": " "})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["fields"][0]["path"], "reason", "{v}");
        let audit = store
            .audit_entries(&AuditQuery {
                action: Some("area.seal".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(audit.items.len(), 1, "{audit:?}");
        // Listed for the community; another compound's admin sees none of it.
        let (_, list, _) = gw.send("GET", "/api/v1/seals", None).await;
        assert_eq!(list["total"], 1, "{list}");
        let (_, list, _) = other.send("GET", "/api/v1/seals", None).await;
        assert_eq!(list["total"], 0, "{list}");

        // Now the worker files food for the household, from its page too.
        let (st, v, _) = gw.send("POST", &hpath, Some(ask("k-1"))).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let mut b = app.browser();
        b.login("gw").await;
        let page = b.get(&format!("/households/{household}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("楼内发现阳性"), "{}", page.text);
        assert!(page.text.contains("米面"), "{}", page.text);
        let csrf = b.csrf().await;
        let r = b
            .post_form(
                &format!("/households/{household}/supplies"),
                &[
                    ("csrf", &csrf),
                    ("idempotency_key", "page-1"),
                    ("kind", "garbage"),
                    ("back", "household"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        assert_eq!(
            r.location.as_deref(),
            Some(format!("/households/{household}#supplies").as_str())
        );
        // A household of another building stays outside.
        let elsewhere = store
            .person_by_document(DocType::ResidentId, &id(6, false))
            .await
            .unwrap()
            .unwrap()
            .household_id;
        let (st, _, _) = gw
            .send(
                "POST",
                &format!("/api/v1/households/{elsewhere}/supplies"),
                Some(ask("k-2")),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);

        // Lifted (twice answers the same): no more requests through the seal.
        let sid = made["id"].as_i64().unwrap();
        let (st, lifted, _) = admin
            .send("POST", &format!("/api/v1/seals/{sid}/lift"), None)
            .await;
        assert_eq!(
            (st, lifted["active"].as_bool()),
            (StatusCode::OK, Some(false)),
            "{lifted}"
        );
        let (st, again, _) = admin
            .send("POST", &format!("/api/v1/seals/{sid}/lift"), None)
            .await;
        assert_eq!(
            (st, &again["lifted_at"]),
            (StatusCode::OK, &lifted["lifted_at"])
        );
        let (st, _, _) = gw.send("POST", &hpath, Some(ask("k-3"))).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (_, list, _) = gw.send("GET", "/api/v1/seals", None).await;
        assert_eq!(list["total"], 0, "{list}");
        let (_, list, _) = gw.send("GET", "/api/v1/seals?all=true", None).await;
        assert_eq!(list["total"], 1, "{list}");
        // The page lists it, lifted; the grid worker gets no form.
        let page = b.get("/seals").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("已解封") && !page.text.contains("name=\"reason\""));
    }
);
