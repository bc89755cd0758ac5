//! Small clients for the in-process router: [`Client`] for the JSON API (bearer token),
//! [`Browser`] for the pages (cookies and CSRF).
#![allow(dead_code)]

pub mod public;

use std::collections::HashMap;

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

/// A browser without JavaScript: follows nothing, keeps cookies.
pub struct Browser {
    pub app: axum::Router,
    pub cookies: HashMap<String, String>,
    pub lang: &'static str,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Browser {
    pub fn new(db: &doorstep_testkit::TestDb) -> Browser {
        Browser {
            app: doorstep_web::router(db.store.clone()),
            cookies: HashMap::new(),
            lang: "zh-CN",
        }
    }

    pub async fn request(
        &mut self,
        method: &str,
        uri: &str,
        content_type: Option<String>,
        body: Vec<u8>,
    ) -> Page {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::ACCEPT_LANGUAGE, self.lang);
        if !cookie.is_empty() {
            req = req.header(header::COOKIE, cookie);
        }
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        let res = self
            .app
            .clone()
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        for v in res.headers().get_all(header::SET_COOKIE) {
            let kv = v.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = kv.split_once('=').unwrap();
            if v.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        let status = res.status();
        let location = res
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string());
        let body = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes())
            .to_string();
        Page {
            status,
            location,
            body,
        }
    }

    pub async fn get(&mut self, uri: &str) -> Page {
        self.request("GET", uri, None, Vec::new()).await
    }

    pub async fn post(&mut self, uri: &str, form: &[(&str, &str)]) -> Page {
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.request(
            "POST",
            uri,
            Some("application/x-www-form-urlencoded".into()),
            body.into_bytes(),
        )
        .await
    }

    pub async fn login(&mut self, username: &str) {
        let form = self.get("/login").await;
        let csrf = hidden(&form.body, "csrf");
        let done = self
            .post(
                "/login",
                &[
                    ("username", username),
                    ("password", PASSWORD),
                    ("csrf", &csrf),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(
            done.status,
            StatusCode::SEE_OTHER,
            "login {username}: {}",
            done.body
        );
        assert!(self.cookies.contains_key("doorstep_session"));
    }

    /// The CSRF token of the session, read from any page's logout form.
    pub async fn csrf(&mut self) -> String {
        hidden(&self.get("/").await.body, "csrf")
    }
}

pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name} in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

pub fn first_href(html: &str, prefix: &str) -> String {
    let marker = format!("href=\"{prefix}");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no link {prefix} in page"))
        + 6;
    html[start..].split('"').next().unwrap().to_string()
}
