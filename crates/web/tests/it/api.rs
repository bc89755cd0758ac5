//! The JSON API, called in-process, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_core::Role;
use doorstep_testkit::{COMMUNITY, TestApp, TestDb, both_backends, enc};
use serde_json::json;

both_backends!(
    registry_api_reads_searches_and_masks,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        doorstep_app::demo::load(app.store()).await.unwrap();
        app.user("admin1", Role::CommunityAdmin, COMMUNITY).await;
        let mut c = app.anon();

        let (s, health) = c.get("/healthz").await;
        assert_eq!((s, health["status"].as_str()), (StatusCode::OK, Some("ok")));
        let (s, anon) = c.get("/api/v1/persons").await;
        assert_eq!(
            (s, anon["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthorized"))
        );

        c.login("admin1").await;
        let (s, me) = c.get("/api/v1/me").await;
        assert_eq!(
            (s, me["role"].as_str()),
            (StatusCode::OK, Some("community_admin"))
        );

        let (s, areas) = c.get("/api/v1/areas").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(areas["items"][0]["path"], "二七区/京广路街道/祥云社区");
        assert_eq!(areas["items"][0]["persons"], 12_500);
        assert_eq!(areas["items"][0]["households"], 4_812);
        let area_id = areas["items"][0]["id"].as_i64().unwrap();
        let (_, one) = c.get(&format!("/api/v1/areas/{area_id}")).await;
        assert_eq!(one["kind"], "community");

        let (s, list) = c.get("/api/v1/persons?per_page=5&page=2").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(list["total"], 12_500);
        assert_eq!(list["items"].as_array().unwrap().len(), 5);
        let first = list["items"][0].clone();
        for key in [
            "id",
            "name",
            "id_type",
            "id_number",
            "sex",
            "birth_date",
            "phone",
            "relation",
            "residency",
            "tags",
            "household_id",
            "address",
        ] {
            assert!(first.get(key).is_some(), "person JSON has {key}: {first}");
        }
        assert_eq!(first["id_type"], "居民身份证");
        let masked = first["id_number"].as_str().unwrap();
        assert!(masked.contains("********"), "lists are masked: {masked}");

        // Reveal shows the full values and is audited.
        let pid = first["id"].as_i64().unwrap();
        let (s, full) = c.get(&format!("/api/v1/persons/{pid}?reveal=true")).await;
        assert_eq!(s, StatusCode::OK);
        let id_number = full["id_number"].as_str().unwrap().to_string();
        assert_eq!(id_number.len(), 18);
        assert_eq!(full["revealed"], true);
        assert_eq!(&id_number[..6], &masked[..6]);
        let (_, audit) = c.get("/api/v1/audit?action=person.reveal").await;
        assert_eq!(audit["total"], 1);
        assert_eq!(audit["items"][0]["object_id"], pid);
        assert_eq!(audit["items"][0]["username"], "admin1");

        // Search by full ID number, by name, by room within a compound.
        let (_, by_id) = c.get(&format!("/api/v1/persons?q={id_number}")).await;
        assert_eq!(by_id["total"], 1);
        assert_eq!(by_id["items"][0]["id"], pid);
        let name = first["name"].as_str().unwrap();
        let (_, by_name) = c.get(&format!("/api/v1/persons?q={}", enc(name))).await;
        assert!(
            by_name["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["id"] == pid)
        );
        let (_, by_room) = c
            .get(&format!(
                "/api/v1/persons?q=101&area={}",
                enc("二七区/京广路街道/祥云社区/佳纷天地")
            ))
            .await;
        assert!(by_room["total"].as_i64().unwrap() > 0);
        assert!(
            by_room["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["address"].as_str().unwrap().starts_with("佳纷天地"))
        );

        let hid = full["household_id"].as_i64().unwrap();
        let (_, household) = c.get(&format!("/api/v1/households/{hid}")).await;
        assert!(
            household["persons"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["id"] == pid)
        );
        let (_, hs) = c
            .get(&format!(
                "/api/v1/households?area={}&per_page=3",
                enc("二七区/京广路街道/祥云社区")
            ))
            .await;
        assert_eq!(hs["total"], 4_812);

        // Edit with a bad phone: 422 with the field; a good one is recorded in history and audit.
        let (s, bad, _) = c
            .send(
                "PUT",
                &format!("/api/v1/persons/{pid}"),
                Some(json!({"name": name, "phone": "12345"})),
            )
            .await;
        assert_eq!(
            (s, bad["error"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed"))
        );
        assert_eq!(bad["fields"][0]["path"], "phone");
        assert_eq!(bad["fields"][0]["code"], "phone_invalid");
        let (s, _, _) = c
            .send(
                "PUT",
                &format!("/api/v1/persons/{pid}"),
                Some(json!({"name": name, "phone": "13900001111"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (_, history) = c.get(&format!("/api/v1/persons/{pid}/history")).await;
        assert_eq!(history["total"], 1);
        assert_eq!(
            history["items"][0]["changes"]["phone"][1], "139****1111",
            "history is masked like the file"
        );
        let (_, history) = c
            .get(&format!("/api/v1/persons/{pid}/history?reveal=true"))
            .await;
        assert_eq!(history["items"][0]["changes"]["phone"][1], "13900001111");
        let (_, audit) = c.get("/api/v1/audit?action=person.update").await;
        assert_eq!(
            audit["items"][0]["details"]["changes"]["phone"][1],
            "13900001111"
        );

        // Add a person to the household.
        let id = doorstep_core::idnum::make_resident_id(
            "410103",
            time::macros::date!(2020 - 02 - 02),
            7,
        );
        let (s, added, _) = c
            .send(
                "POST",
                &format!("/api/v1/households/{hid}/persons"),
                Some(json!({"name": "新生儿", "id_number": id, "relation": "孙子女"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{added}");
        assert_eq!(added["household_id"], hid);

        let (s, missing) = c.get("/api/v1/persons/99999999").await;
        assert_eq!(
            (s, missing["error"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found"))
        );
        let (s, bad) = c
            .get(&format!("/api/v1/persons?area={}", enc("a//b")))
            .await;
        assert_eq!(
            (s, bad["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("bad_area"))
        );

        let (s, _, _) = c.send("POST", "/api/v1/auth/logout", None).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _) = c.get("/api/v1/me").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
);

both_backends!(openapi_describes_every_endpoint, async |db: &TestDb| {
    let c = TestApp::new(db).anon();
    let (s, doc) = c.get("/api/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/areas",
        "/api/v1/areas/{id}",
        "/api/v1/households",
        "/api/v1/households/{id}",
        "/api/v1/households/{id}/persons",
        "/api/v1/persons",
        "/api/v1/persons/{id}",
        "/api/v1/persons/{id}/history",
        "/api/v1/audit",
    ] {
        assert!(
            paths.contains_key(p),
            "openapi lists {p}: {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
    assert!(doc["components"]["schemas"]["PersonResponse"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
});
