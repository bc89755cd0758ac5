//! The security suite's sweeps over every operation the OpenAPI description lists (so a new
//! endpoint joins them by being described): without a token, every operation that needs one
//! answers 401 and nothing else; with a token, a malformed or an oversized body is a clear
//! 4xx as JSON, never a 5xx, never a success; ids guessed by another community's admin on every
//! read with numeric ids open nothing. On both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_core::Role;
use doorstep_testkit::{TestApp, TestDb, both_backends, user};
use serde_json::Value;

/// The uploads with a limit of their own above the 2 MiB of every other body (a list from
/// above: `api::lists::MAX_UPLOAD`; a file from above: 12 MiB); a body over 2 MiB there is
/// read, and refused for its shape.
const LARGER_LIMITS: &[&str] = &["/api/v1/lists", "/api/v1/notices/files"];

/// Every operation: (method, path with its parameters filled, needs a token, takes a body,
/// takes a file upload with its own larger limit).
fn operations(doc: &Value) -> Vec<(String, String, bool, bool, bool)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            // Each parameter a value its kind would take, for an object that does not exist.
            let mut filled = String::new();
            let mut rest = path.as_str();
            while let Some(open) = rest.find('{') {
                filled.push_str(&rest[..open]);
                let close = rest[open..].find('}').unwrap() + open;
                let name = &rest[open + 1..close];
                filled.push_str(match name {
                    "token" => "0123456789abcdef0123456789abcdef",
                    n if n.contains("code") => "NOPE-404",
                    _ => "987654321",
                });
                rest = &rest[close + 1..];
            }
            filled.push_str(rest);
            let secured = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            let body = op.get("requestBody").is_some();
            let upload = LARGER_LIMITS.contains(&path.as_str());
            out.push((method.to_uppercase(), filled, secured, body, upload));
        }
    }
    out
}

both_backends!(
    every_described_operation_holds_against_hostile_calls,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        doorstep_app::demo::load(db.store.as_ref()).await.unwrap();
        user(db.store.as_ref(), "root", Role::Admin, "二七区").await;
        let anon = app.anon();
        let (st, doc) = anon.get("/api/openapi.json").await;
        assert_eq!(st, StatusCode::OK);
        let ops = operations(&doc);
        assert!(ops.len() > 100, "{} operations", ops.len());

        // 1. No token: 401 on every operation that needs one, before anything else is looked at.
        let mut secured = 0;
        for (method, path, needs, body, _) in &ops {
            if !needs {
                continue;
            }
            secured += 1;
            let req = anon.request(method, path);
            let res = if *body {
                req.body("application/json", "{}").send().await
            } else {
                req.send().await
            };
            assert_eq!(
                res.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} without a token"
            );
        }
        assert!(secured > 100, "{secured} secured operations");

        // 2. A malformed and an oversized body, as the admin of everything: a 4xx with a JSON
        //    error body, never a 5xx nor a success.
        let admin = app.login_api("root").await;
        let big = format!("{{\"x\":\"{}\"}}", "a".repeat(3 << 20));
        for (method, path, _, body, upload) in &ops {
            if !body || path.ends_with("/auth/login") {
                continue;
            }
            for (what, sent) in [("malformed", "{\"a\": [1, 2"), ("oversized", big.as_str())] {
                let res = admin
                    .request(method, path)
                    .body("application/json", sent.as_bytes().to_vec())
                    .send()
                    .await;
                assert!(
                    res.status.is_client_error(),
                    "{method} {path} with a {what} body: {}",
                    res.status
                );
                if what == "oversized" && !upload {
                    assert_eq!(
                        res.status,
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "{method} {path} with a {what} body"
                    );
                }
                assert!(
                    res.json()["message"].is_string() || res.json()["error"].is_string(),
                    "{method} {path} with a {what} body answers JSON: {}",
                    res.text
                );
            }
        }
    }
);

/// The demo community (rounds, tubes, tasks, reports, episodes, lists, notices…) and a
/// neighbouring one holding nothing: the API's description, and its admin's client.
async fn neighbour(app: &TestApp, db: &TestDb) -> (Value, doorstep_testkit::ApiClient) {
    let store = db.store.as_ref();
    doorstep_app::demo::load(store).await.unwrap();
    crate::security_world::neighbouring_community(store, "guesser").await;
    let (st, doc) = app.anon().get("/api/openapi.json").await;
    assert_eq!(st, StatusCode::OK);
    (doc, app.login_api("guesser").await)
}

/// Every secured operation of `methods` whose path parameters are all integers: (method,
/// path, its `{…}` parameters), reads shared by design left out.
fn numeric_id_operations(doc: &Value, methods: &[&str]) -> Vec<(String, String, Vec<String>)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in methods {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let secured = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            let params: Vec<String> = path
                .split('/')
                .filter(|p| p.starts_with('{'))
                .map(str::to_string)
                .collect();
            let numeric = op["parameters"].as_array().is_some_and(|ps| {
                ps.iter()
                    .filter(|p| p["in"] == "path")
                    .all(|p| p["schema"]["type"] == "integer")
            });
            if secured
                && !params.is_empty()
                && numeric
                && !SHARED_BY_DESIGN.contains(&path.as_str())
            {
                out.push((method.to_uppercase(), path.clone(), params));
            }
        }
    }
    out
}

/// Reads whose `{id}` names something every community may read by design: none yet.
const SHARED_BY_DESIGN: &[&str] = &[];

both_backends!(
    guessed_ids_open_nothing_of_another_community,
    async |db: &TestDb| {
        // The demo community holds rounds, tubes, tasks, reports, episodes, lists, notices…;
        // a neighbouring community holds nothing, and its admin guesses ids.
        let app = TestApp::new(db);
        let (doc, guesser) = neighbour(&app, db).await;
        let store = db.store.as_ref();
        // The control: the demo community's own admin opens some of the same guesses, so the
        // ids exist and a refusal below is the access check's.
        user(
            store,
            "owner",
            Role::CommunityAdmin,
            "二七区/京广路街道/祥云社区",
        )
        .await;
        let owner = app.login_api("owner").await;
        let (mut tried, mut opened_by_owner) = (0, 0);
        for (_, path, params) in numeric_id_operations(&doc, &["get"]) {
            for id in 1..=12 {
                let filled = params.iter().fold(path.clone(), |p, name| {
                    p.replace(name.as_str(), &id.to_string())
                });
                let res = guesser.request("GET", &filled).send().await;
                tried += 1;
                if owner.request("GET", &filled).send().await.status == StatusCode::OK {
                    opened_by_owner += 1;
                }
                assert!(
                    matches!(res.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
                    "GET {filled} by another community's admin: {} {}",
                    res.status,
                    res.text.chars().take(300).collect::<String>()
                );
            }
        }
        assert!(tried > 100, "{tried} guesses");
        assert!(
            opened_by_owner > 20,
            "the owner opened {opened_by_owner} of {tried}"
        );
    }
);

both_backends!(
    guessed_ids_change_nothing_of_another_community,
    async |db: &TestDb| {
        // Every secured write whose path ids are all numbers, with ids 1 to 5 guessed by a
        // neighbouring community's admin and an empty body: never a success, never a
        // conflict (which would mean the object was reached), never a failure of the server.
        let app = TestApp::new(db);
        let (doc, guesser) = neighbour(&app, db).await;
        let mut tried = 0;
        for (method, path, params) in
            numeric_id_operations(&doc, &["post", "put", "patch", "delete"])
        {
            for id in 1..=5 {
                let filled = params.iter().fold(path.clone(), |p, name| {
                    p.replace(name.as_str(), &id.to_string())
                });
                let res = guesser
                    .request(&method, &filled)
                    .body("application/json", "{}")
                    .send()
                    .await;
                tried += 1;
                assert!(
                    matches!(
                        res.status,
                        StatusCode::NOT_FOUND
                            | StatusCode::FORBIDDEN
                            | StatusCode::BAD_REQUEST
                            | StatusCode::UNPROCESSABLE_ENTITY
                    ),
                    "{method} {filled} by another community's admin: {} {}",
                    res.status,
                    res.text.chars().take(300).collect::<String>()
                );
            }
        }
        assert!(tried > 50, "{tried} guesses");
    }
);
