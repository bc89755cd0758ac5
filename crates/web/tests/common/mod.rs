//! A small client for the in-process router.
#![allow(dead_code)]

pub mod public;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use doorstep_app::users::{By, create_user};
use doorstep_core::{AreaPath, Role};
use doorstep_store::Store;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The app under test with helpers per call.
pub struct Client {
    pub app: axum::Router,
    pub token: Option<String>,
}

pub const PASSWORD: &str = "s3cret-pass";

impl Client {
    pub fn new(store: std::sync::Arc<dyn Store>) -> Client {
        Client {
            app: doorstep_web::router(store),
            token: None,
        }
    }

    pub async fn send(
        &self,
        method: &str,
        uri: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value, axum::http::HeaderMap) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = &self.token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let res = self.app.clone().oneshot(req).await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            headers,
        )
    }

    pub async fn get(&self, uri: &str) -> (StatusCode, Value) {
        let (s, v, _) = self.send("GET", uri, None).await;
        (s, v)
    }

    /// Logs in as `username` and keeps the token.
    pub async fn login(&mut self, username: &str) {
        let (s, v, _) = self
            .send(
                "POST",
                "/api/v1/auth/login",
                Some(json!({"username": username, "password": PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "login {username}: {v}");
        self.token = Some(v["token"].as_str().unwrap().to_string());
    }
}

/// Creates a user with the test password.
pub async fn user(store: &dyn Store, name: &str, role: Role, area: &str) {
    create_user(
        store,
        By::Cli,
        name,
        role,
        &AreaPath::parse(area).unwrap(),
        PASSWORD,
    )
    .await
    .unwrap();
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
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
