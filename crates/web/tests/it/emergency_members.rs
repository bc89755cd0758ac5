//! A running emergency's task forces changed while it runs, on SQLite and on PostgreSQL:
//! members added and removed through the API, the page (with its staff search) and audited
//! once per change; a grid leader may not (403), another community's admin finds nothing
//! (404); a force or staff member the community does not have is refused at its field; an
//! ended emergency's forces stay as they were (409).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_core::Role;
use doorstep_store::AuditQuery;
use doorstep_testkit::{COMMUNITY, TestApp, TestDb, both_backends, user};
use serde_json::{Value, json};

use crate::emergency::other_community;
use crate::rounds::setup;

/// The members of an emergency as (force, name), sorted.
fn members(e: &Value) -> Vec<(String, String)> {
    let mut m: Vec<(String, String)> = e["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["force"].as_str().unwrap().to_string(),
                m["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    m.sort();
    m
}

fn pair(force: &str, name: &str) -> (String, String) {
    (force.to_string(), name.to_string())
}

both_backends!(a_running_emergencys_members_change, async |db: &TestDb| {
    let app = TestApp::new(db);
    setup(&app).await;
    other_community(&app).await;
    let store = app.store();
    user(store, "gl", Role::GridLeader, COMMUNITY).await;
    let admin = app.login_api("admin1").await;
    let hp = app.login_api("admin-hp").await;
    let gl = app.login_api("gl").await;
    let mut staff = Vec::new();
    for (client, name, phone) in [
        (&admin, "王芳", "13800138001"),
        (&admin, "李强", "13800138002"),
        (&hp, "赵六", "13800138003"),
    ] {
        let (st, v, _) = client
            .send(
                "POST",
                "/api/v1/staff",
                Some(json!({"name": name, "phone": phone, "kind": "网格员"})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        staff.push(v["id"].as_i64().unwrap());
    }
    let (wang, li, zhao) = (staff[0], staff[1], staff[2]);
    let (st, e, _) = admin
        .send(
            "POST",
            "/api/v1/emergencies",
            Some(json!({"area": COMMUNITY, "reason": "发现阳性病例",
                            "members": [{"force": "info_check", "staff_id": wang}]})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{e}");
    let eid = e["id"].as_i64().unwrap();
    let add = format!("/api/v1/emergencies/{eid}/members");

    // Added, and added again: one change, one audit entry.
    for _ in 0..2 {
        let (st, v, _) = admin
            .send("POST", &add, Some(json!({"force": "duty", "staff_id": li})))
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(
            members(&v),
            [pair("duty", "李强"), pair("info_check", "王芳")]
        );
    }
    // Who may not, and what is refused.
    let body = json!({"force": "service", "staff_id": li});
    assert_eq!(
        gl.send("POST", &add, Some(body.clone())).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        hp.send("POST", &add, Some(body.clone())).await.0,
        StatusCode::NOT_FOUND
    );
    let remove_li = format!("/api/v1/emergencies/{eid}/members/{li}?force=duty");
    assert_eq!(
        hp.send("DELETE", &remove_li, None).await.0,
        StatusCode::NOT_FOUND
    );
    for (body, field) in [
        (json!({"force": "police", "staff_id": li}), "force"),
        (json!({"force": "duty", "staff_id": 999_999}), "staff_id"),
        // Another community's staff member.
        (json!({"force": "duty", "staff_id": zhao}), "staff_id"),
    ] {
        let (st, v, _) = admin.send("POST", &add, Some(body)).await;
        assert_eq!(
            (st, v["fields"][0]["path"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{v}"
        );
    }
    // Removed (twice: the second changes nothing).
    for _ in 0..2 {
        let (st, v, _) = admin
            .send(
                "DELETE",
                &format!("/api/v1/emergencies/{eid}/members/{wang}?force=info_check"),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(members(&v), [pair("duty", "李强")]);
    }
    for (action, n) in [("emergency.member_add", 1), ("emergency.member_remove", 1)] {
        let audit = store
            .audit_entries(&AuditQuery {
                action: Some(action.into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(audit.items.len(), n, "{action}: {audit:?}");
        assert_eq!(audit.items[0].details["emergency"], eid);
    }

    // The page: the search narrows the member picker; a member added through its form.
    let mut b = app.browser();
    b.login("admin1").await;
    let page = b
        .get(&format!("/emergency?q={}", doorstep_testkit::enc("王")))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let picker = page
        .text
        .split(&format!("id=\"m-staff-{eid}\""))
        .nth(1)
        .unwrap()
        .split("</select>")
        .next()
        .unwrap();
    assert!(picker.contains(&format!("value=\"{wang}\"")), "{picker}");
    assert!(!picker.contains(&format!("value=\"{li}\"")), "{picker}");
    let csrf = b.csrf().await;
    let done = b
        .post_form(
            &format!("/emergency/{eid}/members"),
            &[
                ("csrf", csrf.as_str()),
                ("op", "add"),
                ("force", "service"),
                ("staff_id", &wang.to_string()),
                ("q", "王"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let (_, e) = admin
        .get(&format!(
            "/api/v1/emergencies?area={}",
            doorstep_testkit::enc(COMMUNITY)
        ))
        .await;
    assert_eq!(
        members(&e["items"][0]),
        [pair("duty", "李强"), pair("service", "王芳")]
    );
    let page = b.get("/emergency").await;
    assert!(page.text.contains("服务保障 · 王芳"), "{}", page.text);
    // A grid leader's page offers no change.
    let mut g = app.browser();
    g.login("gl").await;
    let page = g.get("/emergency").await;
    assert!(!page.text.contains("/members\""), "{}", page.text);

    // Once ended, the forces stay as they were.
    let (st, v, _) = admin
        .send(
            "POST",
            &format!("/api/v1/emergencies/{eid}/end"),
            Some(json!({})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v, _) = admin.send("POST", &add, Some(body)).await;
    assert_eq!(
        (st, v["error"].as_str()),
        (StatusCode::CONFLICT, Some("emergency_ended")),
        "{v}"
    );
    let (_, doc) = admin.get("/api/openapi.json").await;
    assert!(doc["paths"]["/api/v1/emergencies/{id}/members"]["post"].is_object());
    assert!(doc["paths"]["/api/v1/emergencies/{id}/members/{staff_id}"]["delete"].is_object());
});
