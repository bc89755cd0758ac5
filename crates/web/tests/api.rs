//! The JSON API, called in-process, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use doorstep_testkit::{TestDb, both_backends};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let res = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

both_backends!(registry_api_reads_and_searches, async |db: &TestDb| {
    doorstep_app::demo::load(db.store.as_ref()).await.unwrap();
    let app = doorstep_web::router(db.store.clone());

    let (s, health) = get(&app, "/healthz").await;
    assert_eq!((s, health["status"].as_str()), (StatusCode::OK, Some("ok")));

    let (s, areas) = get(
        &app,
        &format!("/api/v1/areas?path={}", enc("二七区/京广路街道/祥云社区")),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(areas["items"][0]["persons"], 12_500);
    assert_eq!(areas["items"][0]["households"], 4_812);
    let area_id = areas["items"][0]["id"].as_i64().unwrap();
    let (_, one) = get(&app, &format!("/api/v1/areas/{area_id}")).await;
    assert_eq!(one["kind"], "community");

    let (s, list) = get(&app, "/api/v1/persons?per_page=5&page=2").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["total"], 12_500);
    assert_eq!(list["items"].as_array().unwrap().len(), 5);
    let first = &list["items"][0];
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

    // Search by full ID number, by name, by room within a compound.
    let id_number = first["id_number"].as_str().unwrap();
    let (_, by_id) = get(&app, &format!("/api/v1/persons?q={id_number}")).await;
    assert_eq!(by_id["total"], 1);
    assert_eq!(by_id["items"][0]["id"], first["id"]);
    let name = first["name"].as_str().unwrap();
    let (_, by_name) = get(&app, &format!("/api/v1/persons?q={}", enc(name))).await;
    assert!(
        by_name["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == first["id"])
    );
    let (_, by_room) = get(
        &app,
        &format!(
            "/api/v1/persons?q=101&area={}",
            enc("二七区/京广路街道/祥云社区/佳纷天地")
        ),
    )
    .await;
    assert!(by_room["total"].as_i64().unwrap() > 0);
    assert!(
        by_room["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["address"].as_str().unwrap().starts_with("佳纷天地"))
    );

    let pid = first["id"].as_i64().unwrap();
    let (s, person) = get(&app, &format!("/api/v1/persons/{pid}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(person["id_number"], first["id_number"]);
    let hid = person["household_id"].as_i64().unwrap();
    let (_, household) = get(&app, &format!("/api/v1/households/{hid}")).await;
    assert!(
        household["persons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == pid)
    );
    let (_, hs) = get(
        &app,
        &format!(
            "/api/v1/households?area={}&per_page=3",
            enc("二七区/京广路街道/祥云社区")
        ),
    )
    .await;
    assert_eq!(hs["total"], 4_812);
    let (_, history) = get(&app, &format!("/api/v1/persons/{pid}/history")).await;
    assert_eq!(history["total"], 0);

    let (s, missing) = get(&app, "/api/v1/persons/99999999").await;
    assert_eq!(
        (s, missing["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (s, bad) = get(&app, &format!("/api/v1/persons?area={}", enc("a//b"))).await;
    assert_eq!(
        (s, bad["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_area"))
    );
});

both_backends!(openapi_describes_every_endpoint, async |db: &TestDb| {
    let app = doorstep_web::router(db.store.clone());
    let (s, doc) = get(&app, "/api/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/areas",
        "/api/v1/areas/{id}",
        "/api/v1/households",
        "/api/v1/households/{id}",
        "/api/v1/persons",
        "/api/v1/persons/{id}",
        "/api/v1/persons/{id}/history",
    ] {
        assert!(
            paths.contains_key(p),
            "openapi lists {p}: {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
    assert!(doc["components"]["schemas"]["PersonResponse"].is_object());
});
