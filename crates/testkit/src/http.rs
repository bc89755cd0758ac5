//! Requests to the in-process router: [`Req`] for one request as any client sends it,
//! [`ApiClient`] for the JSON API (a bearer token), [`Browser`] for the pages (cookies and
//! CSRF). Each is made by a [`TestApp`](crate::TestApp); each may come from a peer address.

use std::collections::HashMap;
use std::future::{Future, IntoFuture};
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::PASSWORD;

/// The content type of a posted form.
pub const FORM: &str = "application/x-www-form-urlencoded";

/// An answer, read whole.
#[derive(Debug)]
pub struct Response {
    /// Its status.
    pub status: StatusCode,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its `Location` header, if any.
    pub location: Option<String>,
    /// Its body as text (invalid UTF-8 replaced).
    pub text: String,
    /// Its body as sent.
    pub bytes: Vec<u8>,
}

impl Response {
    /// The body as JSON (`Null` if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }

    /// Status, headers and body, to take apart: `let (status, _, body) = res.parts();`.
    pub fn parts(self) -> (StatusCode, HeaderMap, Vec<u8>) {
        (self.status, self.headers, self.bytes)
    }

    /// The `Retry-After` header's seconds.
    pub fn retry_after(&self) -> u64 {
        self.headers[header::RETRY_AFTER]
            .to_str()
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("Retry-After is not a number: {:?}", self.headers))
    }
}

/// One request, built up and sent with `.await`:
/// `app.post("/login").peer("10.0.0.1").header("x-forwarded-for", "…").form(&[…]).await`.
#[must_use = "a request does nothing until awaited"]
pub struct Req {
    router: axum::Router,
    method: Method,
    uri: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<(String, Vec<u8>)>,
    peer: Option<SocketAddr>,
}

impl Req {
    pub(crate) fn new(router: axum::Router, method: &str, uri: &str) -> Req {
        Req {
            router,
            method: method.parse().unwrap_or_else(|_| panic!("method {method}")),
            uri: uri.to_string(),
            headers: Vec::new(),
            body: None,
            peer: None,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Req {
        let name = HeaderName::try_from(name).unwrap_or_else(|_| panic!("header name {name}"));
        let value =
            HeaderValue::try_from(value).unwrap_or_else(|_| panic!("header value {value:?}"));
        self.headers.push((name, value));
        self
    }

    /// Adds headers.
    pub fn headers(self, headers: &[(&str, &str)]) -> Req {
        headers.iter().fold(self, |req, (k, v)| req.header(k, v))
    }

    /// Comes from this TCP peer (what `ConnectInfo` tells the server), e.g. `"10.0.0.1"`;
    /// without it the server sees no address.
    pub fn peer(mut self, ip: &str) -> Req {
        self.peer = Some(peer(ip));
        self
    }

    pub(crate) fn peer_addr(mut self, peer: Option<SocketAddr>) -> Req {
        self.peer = peer;
        self
    }

    /// Sends `Authorization: Bearer TOKEN`.
    pub fn bearer(self, token: &str) -> Req {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Sends a `Cookie` header as written (`"a=1; b=2"`).
    pub fn cookie(self, cookies: &str) -> Req {
        self.header("cookie", cookies)
    }

    /// Sends the session cookie of a login's token.
    pub fn session(self, token: &str) -> Req {
        self.cookie(&format!("doorstep_session={token}"))
    }

    /// Sends `Accept-Language`.
    pub fn lang(self, lang: &str) -> Req {
        self.header("accept-language", lang)
    }

    /// Sends a body of this content type.
    pub fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Req {
        self.body = Some((content_type.to_string(), body.into()));
        self
    }

    /// Sends JSON.
    pub fn json(self, body: &Value) -> Req {
        self.body("application/json", body.to_string())
    }

    /// Sends a form, encoding its values.
    pub fn form(self, pairs: &[(&str, &str)]) -> Req {
        self.body(FORM, form_body(pairs))
    }

    /// Sends the request and reads the whole answer.
    pub async fn send(self) -> Response {
        let mut req = Request::builder().method(self.method).uri(&self.uri);
        for (k, v) in self.headers {
            req = req.header(k, v);
        }
        let mut req = match self.body {
            Some((ct, body)) => req.header(header::CONTENT_TYPE, ct).body(Body::from(body)),
            None => req.body(Body::empty()),
        }
        .unwrap_or_else(|e| panic!("request {}: {e}", self.uri));
        if let Some(peer) = self.peer {
            req.extensions_mut().insert(ConnectInfo(peer));
        }
        let res = self
            .router
            .oneshot(req)
            .await
            .unwrap_or_else(|e| match e {});
        let (status, headers) = (res.status(), res.headers().clone());
        let location = headers
            .get(header::LOCATION)
            .map(|v| v.to_str().expect("Location is text").to_string());
        let bytes = res
            .into_body()
            .collect()
            .await
            .unwrap_or_else(|e| panic!("body of {}: {e}", self.uri))
            .to_bytes();
        Response {
            status,
            headers,
            location,
            text: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }
}

impl IntoFuture for Req {
    type Output = Response;
    type IntoFuture = Pin<Box<dyn Future<Output = Response> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A client of the JSON API, anonymous or with a login's bearer token.
#[derive(Clone)]
pub struct ApiClient {
    router: axum::Router,
    /// The bearer token it sends, if any.
    pub token: Option<String>,
    peer: Option<SocketAddr>,
}

impl ApiClient {
    pub(crate) fn new(router: axum::Router, peer: Option<SocketAddr>) -> ApiClient {
        ApiClient {
            router,
            token: None,
            peer,
        }
    }

    /// The same client with another token (a stale one, a forged one).
    pub fn with_token(mut self, token: &str) -> ApiClient {
        self.token = Some(token.to_string());
        self
    }

    /// The same client from this TCP peer (see [`Req::peer`]).
    pub fn peer(mut self, ip: &str) -> ApiClient {
        self.peer = Some(peer(ip));
        self
    }

    /// A request with this client's token and address, to build on.
    pub fn request(&self, method: &str, uri: &str) -> Req {
        let req = Req::new(self.router.clone(), method, uri).peer_addr(self.peer);
        match &self.token {
            Some(t) => req.bearer(t),
            None => req,
        }
    }

    /// Sends `body` as JSON (if any); answers the status, the body as JSON (`Null` if it is
    /// not) and the headers.
    pub async fn send(
        &self,
        method: &str,
        uri: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value, HeaderMap) {
        let req = self.request(method, uri);
        let res = match body {
            Some(b) => req.json(&b).await,
            None => req.await,
        };
        let json = res.json();
        (res.status, json, res.headers)
    }

    /// A GET: the status and the body as JSON.
    pub async fn get(&self, uri: &str) -> (StatusCode, Value) {
        let (s, v, _) = self.send("GET", uri, None).await;
        (s, v)
    }

    /// Logs in as `username` with [`PASSWORD`] and keeps the token.
    pub async fn login(&mut self, username: &str) {
        let (s, v, _) = self
            .send(
                "POST",
                "/api/v1/auth/login",
                Some(json!({"username": username, "password": PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "login {username}: {v}");
        let token = v["token"].as_str().expect("a token");
        self.token = Some(token.to_string());
    }
}

/// A browser without JavaScript: follows nothing, keeps cookies, sends `Accept-Language`.
pub struct Browser {
    router: axum::Router,
    /// Its cookies, by name.
    pub cookies: HashMap<String, String>,
    /// The `Accept-Language` it sends (`zh-CN` at first).
    pub lang: &'static str,
    peer: Option<SocketAddr>,
}

impl Browser {
    pub(crate) fn new(router: axum::Router, peer: Option<SocketAddr>) -> Browser {
        Browser {
            router,
            cookies: HashMap::new(),
            lang: "zh-CN",
            peer,
        }
    }

    /// The same browser on another machine, this TCP peer (see [`Req::peer`]).
    pub fn peer(mut self, ip: &str) -> Browser {
        self.peer = Some(peer(ip));
        self
    }

    /// Sends a request with the browser's cookies and language, and keeps the cookies the
    /// answer sets (and forgets those it empties).
    pub async fn request(
        &mut self,
        method: &str,
        uri: &str,
        content_type: Option<String>,
        body: Vec<u8>,
    ) -> Response {
        let mut req = Req::new(self.router.clone(), method, uri)
            .peer_addr(self.peer)
            .lang(self.lang);
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        if !cookie.is_empty() {
            req = req.cookie(&cookie);
        }
        if let Some(ct) = content_type {
            req = req.body(&ct, body);
        }
        let res = req.await;
        for v in res.headers.get_all(header::SET_COOKIE) {
            let text = v.to_str().expect("Set-Cookie is text");
            let kv = text.split(';').next().unwrap_or_default();
            let (k, v) = kv
                .split_once('=')
                .unwrap_or_else(|| panic!("Set-Cookie {text}"));
            if v.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        res
    }

    /// Opens a page.
    pub async fn get(&mut self, uri: &str) -> Response {
        self.request("GET", uri, None, Vec::new()).await
    }

    /// Posts a form, encoding its values.
    pub async fn post_form(&mut self, uri: &str, form: &[(&str, &str)]) -> Response {
        self.request("POST", uri, Some(FORM.into()), form_body(form).into_bytes())
            .await
    }

    /// Logs in through the login form (with its CSRF token) as `username` with [`PASSWORD`].
    pub async fn login(&mut self, username: &str) {
        let form = self.get("/login").await;
        let csrf = hidden(&form.text, "csrf");
        let done = self
            .post_form(
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
            done.text
        );
        assert!(self.cookies.contains_key("doorstep_session"));
    }

    /// The CSRF token of the session, read from any page's logout form.
    pub async fn csrf(&mut self) -> String {
        hidden(&self.get("/").await.text, "csrf")
    }
}

pub(crate) fn peer(ip: &str) -> SocketAddr {
    let ip: IpAddr = ip.parse().unwrap_or_else(|_| panic!("peer address {ip}"));
    SocketAddr::new(ip, 40000)
}

/// Percent-encodes a query or form value.
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

/// A form's body: `k=v&…`, names and values encoded.
pub fn form_body(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The value of the hidden input `name` in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name} in {html}"))
        + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The first link in a page whose address starts with `prefix`.
pub fn first_href(html: &str, prefix: &str) -> String {
    let marker = format!("href=\"{prefix}");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no link {prefix} in page"))
        + 6;
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_string()
}
