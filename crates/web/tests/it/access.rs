//! Access control: a user sees and changes only their area; outside it everything is 404 or
//! absent from lists. Login throttling and the audit of logins. On both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_core::{AreaKind, AreaPath, Role};
use doorstep_testkit::{PASSWORD, TestApp, TestDb, both_backends, enc, user};
use serde_json::json;

/// Two communities side by side: the demo one, and 福华街社区 with one household.
async fn two_communities(db: &TestDb) -> (i64, i64, i64) {
    let store = db.store.as_ref();
    doorstep_app::demo::load(store).await.unwrap();
    let street = AreaPath::parse("二七区/京广路街道").unwrap();
    store
        .create_area(Some(&street), AreaKind::Community, "福华街社区")
        .await
        .unwrap();
    let other = AreaPath::parse("二七区/京广路街道/福华街社区").unwrap();
    let b = store
        .create_area(Some(&other), AreaKind::Building, "1号楼")
        .await
        .unwrap();
    let fields = doorstep_core::PersonFields::parse(
        &doorstep_core::person::PersonInput {
            name: "外人".into(),
            id_number: doorstep_core::idnum::make_resident_id(
                "410103",
                time::macros::date!(1970 - 01 - 01),
                99,
            ),
            phone: "13711112222".into(),
            ..Default::default()
        },
        time::macros::date!(2026 - 01 - 01),
    )
    .unwrap();
    let r = store
        .upsert_persons(
            &doorstep_store::Actor {
                name: "t".into(),
                source: "t".into(),
                within: None,
            },
            &[doorstep_store::PersonUpsert {
                area_id: b.id,
                room: "101".into(),
                address: "1号楼101".into(),
                fields,
            }],
            doorstep_store::no_audit(),
        )
        .await
        .unwrap();
    let outsider = r.outcomes[0].id;
    let household = store.person(outsider).await.unwrap().unwrap().household_id;
    user(
        store,
        "fuhua",
        Role::CommunityAdmin,
        "二七区/京广路街道/福华街社区",
    )
    .await;
    user(
        store,
        "worker",
        Role::GridWorker,
        "二七区/京广路街道/祥云社区/佳纷天地",
    )
    .await;
    user(store, "vol", Role::Volunteer, "二七区/京广路街道/祥云社区").await;
    user(store, "lab", Role::Lab, "二七区/京广路街道/祥云社区").await;
    (outsider, household, b.id)
}

both_backends!(nothing_outside_the_area_leaks, async |db: &TestDb| {
    let app = TestApp::new(db);
    let (outsider, household, building) = two_communities(db).await;
    for who in ["worker", "vol"] {
        let mut c = app.anon();
        c.login(who).await;
        // Objects outside: 404, as if they did not exist.
        for uri in [
            format!("/api/v1/persons/{outsider}"),
            format!("/api/v1/persons/{outsider}?reveal=true"),
            format!("/api/v1/persons/{outsider}/history"),
            format!("/api/v1/households/{household}"),
            format!("/api/v1/areas/{building}"),
            format!("/api/v1/areas?path={}", enc("二七区/京广路街道/福华街社区")),
            format!(
                "/api/v1/households?area={}",
                enc("二七区/京广路街道/福华街社区")
            ),
        ] {
            let (s, body) = c.get(&uri).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{who} {uri}: {body}");
        }
        let (s, _, _) = c
            .send(
                "PUT",
                &format!("/api/v1/persons/{outsider}"),
                Some(json!({"name": "x"})),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{who} edits outside");
        let (s, _, _) = c
            .send(
                "POST",
                &format!("/api/v1/households/{household}/persons"),
                Some(json!({"name": "x", "id_number": "x"})),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{who} adds outside");
        // Lists never include them, even when searched by their exact values.
        for q in ["外人", "13711112222", "101"] {
            let (s, list) = c.get(&format!("/api/v1/persons?q={}", enc(q))).await;
            assert_eq!(s, StatusCode::OK);
            assert!(
                list["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|p| p["id"] != outsider),
                "{who} finds {q}"
            );
        }
        let (_, list) = c
            .get(&format!(
                "/api/v1/persons?area={}",
                enc("二七区/京广路街道/福华街社区")
            ))
            .await;
        assert_eq!(list["total"], 0);
        let (_, areas) = c.get("/api/v1/areas").await;
        assert!(
            areas["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|a| !a["path"].as_str().unwrap().contains("福华街"))
        );
    }
    // The grid worker's area is one compound: another compound of the same community is outside too.
    let mut c = app.anon();
    c.login("worker").await;
    let (_, list) = c.get("/api/v1/persons?per_page=200").await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["address"].as_str().unwrap().starts_with("佳纷天地"))
    );
    let (_, all) = c
        .get(&format!(
            "/api/v1/persons?area={}",
            enc("二七区/京广路街道/祥云社区")
        ))
        .await;
    assert_eq!(all["total"], 0, "asking for a wider area gives nothing");
    // And the other community's admin sees their own person, masked, and can reveal.
    let mut f = app.anon();
    f.login("fuhua").await;
    let (s, p) = f.get(&format!("/api/v1/persons/{outsider}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["phone"], "137****2222");
    let (_, p) = f
        .get(&format!("/api/v1/persons/{outsider}?reveal=true"))
        .await;
    assert_eq!(p["phone"], "13711112222");
});

both_backends!(
    roles_without_a_permission_are_refused_inside_their_area,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        two_communities(db).await;
        let mut vol = app.anon();
        vol.login("vol").await;
        let (_, list) = vol.get("/api/v1/persons?per_page=1").await;
        let pid = list["items"][0]["id"].as_i64().unwrap();
        let (s, _) = vol.get(&format!("/api/v1/persons/{pid}?reveal=true")).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "a volunteer may not reveal");
        let (s, _, _) = vol
            .send(
                "PUT",
                &format!("/api/v1/persons/{pid}"),
                Some(json!({"name": "x"})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "a volunteer may not edit");
        let (s, _) = vol.get("/api/v1/audit").await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "a volunteer may not read the audit log"
        );
        // Masked roles find by a whole phone, not by a longer tail than the mask shows.
        let (_, p) = vol.get(&format!("/api/v1/persons/{pid}")).await;
        let phone_masked = p["phone"].as_str().unwrap_or("").to_string();
        if !phone_masked.is_empty() {
            let (_, tail) = vol
                .get(&format!("/api/v1/persons?q={}", &phone_masked[7..]))
                .await;
            assert!(tail["total"].as_i64().unwrap() >= 1, "last 4 digits work");
        }
        let (_, six) = vol.get("/api/v1/persons?q=345678").await;
        assert_eq!(
            six["total"], 0,
            "six-digit tails are refused to masked roles"
        );
        let mut lab = app.anon();
        lab.login("lab").await;
        let (s, _) = lab.get(&format!("/api/v1/persons/{pid}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "the lab sees no registry");
        let (s, list) = lab.get("/api/v1/persons").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{list}");
    }
);

both_backends!(logins_are_throttled_and_audited, async |db: &TestDb| {
    let app = TestApp::new(db);
    let store = db.store.as_ref();
    let c = AreaPath::parse("二七区").unwrap();
    store
        .create_area(None, AreaKind::District, "二七区")
        .await
        .unwrap();
    user(store, "alice", Role::DistrictAdmin, c.as_str()).await;
    let client = app.anon();
    let attempt = |name: &'static str, pw: &'static str| {
        let client = &client;
        async move {
            client
                .send(
                    "POST",
                    "/api/v1/auth/login",
                    Some(json!({"username": name, "password": pw})),
                )
                .await
        }
    };
    // Unknown user and wrong password: the same answer.
    let (s1, b1, _) = attempt("nobody", "whatever1").await;
    let (s2, b2, _) = attempt("alice", "wrong-pass").await;
    assert_eq!(
        (s1, s2),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(b1, b2);
    // Three free attempts for the name from this address; the fourth sets a wait …
    for _ in 0..3 {
        let (s, _, _) = attempt("alice", "wrong-pass").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    // … which even the right password must sit out.
    let (s, body, headers) = attempt("alice", PASSWORD).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"], "login_throttled");
    assert!(headers.get("retry-after").is_some());
    let log = store
        .audit_entries(&doorstep_store::AuditQuery {
            action: Some("login_failed".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.total, 5);
    // A disabled user cannot log in.
    user(store, "bob", Role::Viewer, "二七区").await;
    doorstep_app::users::set_disabled(store, doorstep_app::users::By::Cli, "bob", true)
        .await
        .unwrap();
    let other = app.anon();
    let (s, _, _) = other
        .send(
            "POST",
            "/api/v1/auth/login",
            Some(json!({"username": "bob", "password": PASSWORD})),
        )
        .await;
    assert!(s == StatusCode::UNAUTHORIZED || s == StatusCode::TOO_MANY_REQUESTS);
});

both_backends!(
    responses_carry_security_headers_and_a_request_id,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        let c = app.anon();
        let (_, _, h) = c.send("GET", "/healthz", None).await;
        let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'")
                && csp.contains("script-src 'self'")
                && !csp.contains("unsafe-inline")
        );
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(h.get("referrer-policy").unwrap(), "no-referrer");
        assert!(h.get("x-request-id").is_some());
    }
);

both_backends!(
    idle_sessions_end_and_disabled_users_lose_theirs,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        let store = db.store.as_ref();
        store
            .create_area(None, AreaKind::District, "二七区")
            .await
            .unwrap();
        user(store, "carol", Role::GridWorker, "二七区").await;
        let mut c = app.anon();
        c.login("carol").await;
        assert_eq!(c.get("/api/v1/me").await.0, StatusCode::OK);
        // A session past its idle end no longer works.
        let (u, _) = store.user_for_login("carol").await.unwrap().unwrap();
        let stale = "stale-token-0123456789";
        store
            .create_session(
                &doorstep_store::NewSession {
                    token_hash: doorstep_app::auth::token_hash(stale),
                    user_id: u.id,
                    kind: "api".into(),
                    csrf: "x".into(),
                    expires_at: time::OffsetDateTime::now_utc() - time::Duration::minutes(1),
                },
                doorstep_store::no_audit(),
            )
            .await
            .unwrap();
        let old = app.anon().with_token(stale);
        assert_eq!(old.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
        // A field role's session ends 30 idle minutes after login.
        assert_eq!(Role::GridWorker.idle_minutes(), 30);
        // Disabling the user ends the live session at once.
        doorstep_app::users::set_disabled(store, doorstep_app::users::By::Cli, "carol", true)
            .await
            .unwrap();
        assert_eq!(c.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    }
);
