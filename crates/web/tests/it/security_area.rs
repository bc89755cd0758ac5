//! The security suite's sweep as another area's user: the admin of a neighbouring community
//! (`security_world::NEIGHBOUR`) is given the real ids, box and tube codes, point, task and
//! template ids of the world's community and calls every secured operation of the API that
//! names one in its path, opens every page that names one, and posts every page form with
//! their own session's valid CSRF token. Every answer is 404, as for something that does not
//! exist (403 only where their role lacks the action anyway), never the object, never a
//! change (the world's fingerprint). As the control, the community's own admin opens the same
//! reads. On both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_core::Role;
use doorstep_testkit::{COMMUNITY, TestApp, TestDb, both_backends, form_body};
use serde_json::json;

use crate::security_roles::need;
use crate::security_world::{NEIGHBOUR, changed, fingerprint, page_routes, role_user, world};

/// Paths that name something every community shares by design: the system's quarantine
/// policies, the language switch, the built-in export template and the task routing.
const SHARED: &[&str] = &[
    "/api/v1/policies/{key}",
    "/api/v1/policies/{key}/versions/{version}",
    "/api/v1/task-routes/{kind}",
    "/lang/{code}",
    "/policies/{key}",
    "/policies/{key}/versions/{version}",
    "/policies/{key}/edit",
];

fn short(text: &str) -> String {
    text.chars().take(200).collect()
}

/// Whether an answer names a resident of the world (its persons are 甲一 … 丁一).
fn names_a_resident(text: &str) -> bool {
    ["甲一", "甲二", "甲三", "乙一", "乙二", "丙一", "丁一"]
        .iter()
        .any(|n| text.contains(n))
}

both_backends!(
    another_communitys_admin_reaches_nothing_by_real_ids_and_codes,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        let w = world(&app, db).await;
        let root = app.login_api(&role_user(Role::Admin)).await;
        let before = fingerprint(&root, &w).await;
        let neighbour = app.login_api(NEIGHBOUR).await;
        let owner = app.login_api("admin1").await;
        let mut wrong = Vec::new();
        let (mut tried, mut opened_by_owner) = (0, 0);

        // The API: every operation with a path parameter, on the world's real objects.
        for (method, path) in w.secured() {
            if !path.contains('{') || SHARED.contains(&path.as_str()) {
                continue;
            }
            let filled = w.fill(&path);
            let mut req = neighbour.request(&method, &filled);
            if let Some((ct, b)) = w.body(&method, &path) {
                req = req.body(&ct, b);
            }
            let res = req.send().await;
            tried += 1;
            let ok = !names_a_resident(&res.text) && res.status == StatusCode::NOT_FOUND
                || (res.status == StatusCode::FORBIDDEN
                    && !need(&method, &path).allows(Role::CommunityAdmin));
            if !ok {
                wrong.push(format!(
                    "{method} {filled}: {} {}",
                    res.status,
                    short(&res.text)
                ));
            }
            if method == "GET"
                && owner
                    .request("GET", &filled)
                    .send()
                    .await
                    .status
                    .is_success()
            {
                opened_by_owner += 1;
            }
        }

        // The API: writes naming the world's objects in their body, not their path.
        let jf = format!("{COMMUNITY}/佳纷天地");
        let household: i64 = w.ids["households"].parse().unwrap();
        for (path, body) in [
            (
                "/api/v1/rounds",
                json!({"area": COMMUNITY, "name": "x", "pool_size": 1}),
            ),
            (
                "/api/v1/episodes",
                json!({"id_number": doorstep_testkit::id(1, true),
                "measure": "home_quarantine", "reason": "密接", "start": "2027-03-01"}),
            ),
            (
                "/api/v1/tasks",
                json!({"kind": "door_knock",
                "target": {"type": "household", "id": household}}),
            ),
            ("/api/v1/seals", json!({"area": jf, "reason": "x"})),
            ("/api/v1/checkpoints", json!({"area": jf, "name": "西门"})),
            (
                "/api/v1/notices",
                json!({"area": jf, "title": "x", "body": "x",
                "valid_from": "2027-03-01", "valid_to": "2027-03-03"}),
            ),
            (
                "/api/v1/report-links",
                json!({"area": COMMUNITY, "purpose": "home_quarantine"}),
            ),
            (
                "/api/v1/duties",
                json!({"area": jf, "duty": "building_captain", "phone": "13800138001"}),
            ),
            (
                "/api/v1/templates",
                json!({"area": COMMUNITY, "name": "y", "kind": "persons",
                "columns": [{"header": "XM", "field": "name"}]}),
            ),
            (
                "/api/v1/emergencies",
                json!({"area": COMMUNITY, "reason": "x"}),
            ),
            (
                "/api/v1/handovers",
                json!({"boxes": ["BOX-W1"], "to": "lab"}),
            ),
            ("/api/v1/reports/bulk-accept", json!({"area": COMMUNITY})),
            ("/api/v1/retention/run", json!({"area": COMMUNITY})),
            ("/api/v1/daily-report/sign", json!({"area": COMMUNITY})),
        ] {
            let (st, v, _) = neighbour.send("POST", path, Some(body)).await;
            tried += 1;
            if !matches!(st, StatusCode::NOT_FOUND | StatusCode::UNPROCESSABLE_ENTITY) {
                wrong.push(format!(
                    "POST {path} naming the community: {st} {}",
                    short(&v.to_string())
                ));
            }
        }
        // Lists asked for the community's area.
        for path in [
            "/api/v1/persons?area=",
            "/api/v1/households?area=",
            "/api/v1/tasks?area=",
            "/api/v1/episodes?area=",
            "/api/v1/seals?area=",
            "/api/v1/checkpoints?area=",
            "/api/v1/notices?area=",
            "/api/v1/staff?area=",
            "/api/v1/duties?area=",
            "/api/v1/supplies?area=",
            "/api/v1/daily-report?area=",
            "/api/v1/quarantine/overview?area=",
            "/api/v1/retention/preview?area=",
            "/api/v1/audit?area=",
            "/api/v1/reports?area=",
            "/api/v1/reports/export?area=",
            "/api/v1/exports/0?area=",
        ] {
            let filled = format!("{path}{}", doorstep_testkit::enc(COMMUNITY));
            let res = neighbour.request("GET", &filled).send().await;
            tried += 1;
            let empty = res.status.is_success()
                && res.json()["items"].as_array().is_some_and(Vec::is_empty)
                && res.json()["total"] == 0;
            if res.status != StatusCode::NOT_FOUND && !empty {
                wrong.push(format!("GET {filled}: {} {}", res.status, short(&res.text)));
            }
        }

        // The pages: every page naming an object, opened; every form naming one, posted with
        // the neighbour's own valid token.
        let mut b = app.browser();
        b.login(NEIGHBOUR).await;
        let csrf = b.csrf().await;
        let mut own = app.browser();
        own.login("admin1").await;
        for route in page_routes("get(") {
            if !route.contains('{') || SHARED.contains(&route.as_str()) {
                continue;
            }
            let filled = w.fill(&route.replace("{task}", "{task_id}"));
            let res = b.get(&filled).await;
            tried += 1;
            if !matches!(res.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN) {
                wrong.push(format!(
                    "page {filled}: {} {}",
                    res.status,
                    short(&res.text)
                ));
            }
            if own.get(&filled).await.status.is_success() {
                opened_by_owner += 1;
            }
        }
        for route in page_routes("post(") {
            if !route.contains('{') || SHARED.contains(&route.as_str()) {
                continue;
            }
            let filled = w.fill(&route.replace("{task}", "{task_id}"));
            let mut res = b
                .request(
                    "POST",
                    &filled,
                    Some(doorstep_testkit::FORM.into()),
                    form_body(&[("csrf", &csrf), ("notes", "x"), ("reason", "x")]).into_bytes(),
                )
                .await;
            if res.status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
                // The sampler page's script endpoints: JSON, the token in a header.
                let body = if filled.ends_with("/batch") {
                    json!({"scans": [{"client_id": "n-1", "tube": "TUBE-N1",
                                      "person": {"id_number": doorstep_testkit::id(2, false)}}]})
                } else {
                    json!({"client_id": "n-2", "tube": "TUBE-N2",
                           "person": {"id_number": doorstep_testkit::id(2, false)}})
                };
                res = app
                    .post(&filled)
                    .cookie(&format!(
                        "doorstep_session={}",
                        b.cookies["doorstep_session"]
                    ))
                    .header("x-csrf-token", &csrf)
                    .json(&body)
                    .await;
            }
            tried += 1;
            if !matches!(
                res.status,
                StatusCode::NOT_FOUND | StatusCode::FORBIDDEN | StatusCode::UNPROCESSABLE_ENTITY
            ) || names_a_resident(&res.text)
            {
                wrong.push(format!(
                    "form {filled}: {} {}",
                    res.status,
                    short(&res.text)
                ));
            }
        }
        let after = fingerprint(&root, &w).await;
        assert!(
            wrong.is_empty(),
            "{} answers reached the community:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
        // Nothing changed but the audit log, which holds the logins and the owner's own
        // reads (opening an edit form is a reveal); none of it is the neighbour's but logins.
        let mut differ = changed(&before, &after);
        differ.retain(|p| !p.starts_with("/api/v1/audit"));
        assert_eq!(differ, Vec::<String>::new());
        let (_, audit) = root.get("/api/v1/audit?per_page=200").await;
        let by_neighbour: Vec<&serde_json::Value> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["username"] == NEIGHBOUR && e["action"] != "login")
            .collect();
        assert!(by_neighbour.is_empty(), "{by_neighbour:#?}");
        assert!(tried > 150, "{tried} attempts");
        assert!(opened_by_owner > 40, "the owner opened {opened_by_owner}");
    }
);
