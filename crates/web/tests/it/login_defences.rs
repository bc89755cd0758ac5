//! The login's defences over HTTP, each written as the attack: a guesser answered 429 with
//! Retry-After (API and page) without the password checked, a forged `X-Forwarded-For`
//! ignored unless it comes from a trusted proxy, and a flood of logins turned away with 503
//! instead of hashing without bound. On both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use axum::http::{StatusCode, header};
use doorstep_core::{AreaKind, Role};
use doorstep_store::{AuditQuery, Store};
use doorstep_testkit::{FORM, PASSWORD, Response, TestApp, TestDb, both_backends, user};
use doorstep_web::{Hashing, PublicLimits, Rate};
use serde_json::json;

/// A login over the API as it reaches the server from the TCP peer `peer`, with extra headers.
async fn api_login(
    app: &TestApp,
    peer: &str,
    headers: &[(&str, &str)],
    name: &str,
    password: &str,
) -> Response {
    app.post("/api/v1/auth/login")
        .peer(peer)
        .headers(headers)
        .json(&json!({"username": name, "password": password}))
        .await
}

async fn alice(store: &dyn Store) {
    store
        .create_area(None, AreaKind::District, "二七区")
        .await
        .unwrap();
    user(store, "alice", Role::DistrictAdmin, "二七区").await;
}

/// The addresses the audit log recorded for logins, oldest first.
async fn login_ips(store: &dyn Store) -> Vec<String> {
    let mut entries = store
        .audit_entries(&AuditQuery {
            action: Some("login".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .items;
    entries.reverse();
    entries.into_iter().filter_map(|e| e.ip).collect()
}

both_backends!(
    a_guesser_is_answered_429_with_retry_after_and_the_password_unchecked,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        alice(store).await;
        let app = TestApp::new(db);
        let en = [("accept-language", "en")];
        for _ in 0..4 {
            let r = api_login(&app, "203.0.113.66", &en, "alice", "guess-123").await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
        }
        // The fourth failure set a wait: now even the right password is not checked.
        let r = api_login(&app, "203.0.113.66", &en, "alice", PASSWORD).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
        assert_eq!(r.json()["error"], "login_throttled");
        assert!(r.retry_after() >= 1);
        let msg = r.json()["message"].as_str().unwrap().to_string();
        assert!(msg.contains("try again in"), "{msg}");
        // In Chinese for a Chinese browser.
        let r = api_login(&app, "203.0.113.66", &[], "alice", PASSWORD).await;
        assert!(
            r.json()["message"].as_str().unwrap().contains("秒后再试"),
            "{}",
            r.text
        );
        // The login page says how long to wait, with the same status and header.
        let form = app.get("/login").peer("203.0.113.66").headers(&en).await;
        let csrf_cookie = form.headers[header::SET_COOKIE].to_str().unwrap();
        let csrf = csrf_cookie
            .strip_prefix("login_csrf=")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let page = app
            .post("/login")
            .peer("203.0.113.66")
            .headers(&[
                ("accept-language", "en"),
                ("cookie", &format!("login_csrf={csrf}")),
            ])
            .body(
                FORM,
                format!("username=alice&password={PASSWORD}&csrf={csrf}&next=%2F"),
            )
            .await;
        assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(page.retry_after() >= 1);
        assert!(page.text.contains("try again in"), "{}", page.text);
        // Nothing past the wait was checked, so nothing more was logged as a failure.
        let failed = store
            .audit_entries(&AuditQuery {
                action: Some("login_failed".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(failed.total, 4);
        // The owner at another address is not held up.
        let r = api_login(&app, "198.51.100.7", &en, "alice", PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
);

both_backends!(
    x_forwarded_for_counts_only_from_a_trusted_proxy,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        alice(store).await;
        let forged = [("x-forwarded-for", "192.0.2.1")];
        // No proxy trusted: a client's own header changes nothing.
        let plain = TestApp::new(db);
        let r = api_login(&plain, "203.0.113.5", &forged, "alice", PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        // Behind a trusted proxy the client is the address it appended, not what was forged
        // before it; an untrusted peer's header is still ignored.
        let proxied = TestApp::builder().trusted_proxies("10.0.0.0/8").build(db);
        let through = [("x-forwarded-for", "192.0.2.1, 198.51.100.20")];
        let r = api_login(&proxied, "10.1.2.3", &through, "alice", PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = api_login(&proxied, "203.0.113.5", &forged, "alice", PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            login_ips(store).await,
            ["203.0.113.5", "198.51.100.20", "203.0.113.5"]
        );
        // The throttle keys on the same address: a guesser behind the proxy is slowed down,
        // another resident behind the same proxy is not.
        for _ in 0..4 {
            let r = api_login(
                &proxied,
                "10.1.2.3",
                &[("x-forwarded-for", "198.51.100.66")],
                "alice",
                "guess-123",
            )
            .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        }
        let r = api_login(
            &proxied,
            "10.1.2.3",
            &[("x-forwarded-for", "198.51.100.66")],
            "alice",
            PASSWORD,
        )
        .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        let r = api_login(
            &proxied,
            "10.1.2.3",
            &[("x-forwarded-for", "198.51.100.67")],
            "alice",
            PASSWORD,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
);

both_backends!(
    the_public_limits_count_each_client_behind_a_trusted_proxy,
    async |db: &TestDb| {
        let one_each = Rate {
            burst: 1.0,
            per_sec: 0.001,
        };
        let app = TestApp::builder()
            .limits(PublicLimits {
                per_ip: one_each,
                ..PublicLimits::default()
            })
            .trusted_proxies("10.0.0.1")
            .build(db);
        let get = async |client: &str| {
            app.get("/r/no-such-link")
                .peer("10.0.0.1")
                .header("x-forwarded-for", client)
                .await
                .status
        };
        // Each resident behind the proxy has their own budget …
        assert_ne!(get("198.51.100.1").await, StatusCode::TOO_MANY_REQUESTS);
        assert_ne!(get("198.51.100.2").await, StatusCode::TOO_MANY_REQUESTS);
        // … and spends it alone.
        assert_eq!(get("198.51.100.1").await, StatusCode::TOO_MANY_REQUESTS);
    }
);

both_backends!(
    a_login_flood_is_turned_away_instead_of_hashing_without_bound,
    async |db: &TestDb| {
        alice(db.store.as_ref()).await;
        let hashing = Arc::new(Hashing::new(2, Duration::from_millis(150)));
        let app = TestApp::builder().hashing(hashing.clone()).build(db);
        // 64 logins at once, made-up names from 64 addresses: no throttle steps in, every one
        // would be hashed.
        let flood: Vec<_> = (0..64)
            .map(|i| {
                let app = app.clone();
                tokio::spawn(async move {
                    let peer = format!("198.51.100.{}", i + 1);
                    api_login(&app, &peer, &[], &format!("nobody{i}"), "guess-123").await
                })
            })
            .collect();
        let (mut busy, mut checked) = (0, 0);
        for f in flood {
            let r = f.await.unwrap();
            match r.status {
                StatusCode::SERVICE_UNAVAILABLE => {
                    assert_eq!(r.json()["error"], "busy");
                    assert!(r.retry_after() >= 1);
                    busy += 1;
                }
                StatusCode::UNAUTHORIZED => checked += 1,
                other => panic!("unexpected {other}: {}", r.text),
            }
        }
        assert!(busy > 0, "nothing was turned away");
        assert!(checked > 0, "nothing was checked");
        assert!(hashing.peak() <= 2, "{} hashes at once", hashing.peak());
        // The owner is not locked out by the flood: a turned-away attempt did not count.
        let r = api_login(&app, "198.51.100.1", &[], "alice", PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
);
