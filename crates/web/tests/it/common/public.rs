//! Helpers of the self-report tests: a community with buildings and units, a link, calls from
//! a resident's address.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use doorstep_app::reports::{Purpose, create_link};
use doorstep_core::{AreaKind, AreaPath};
use doorstep_store::Store;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

pub const COMMUNITY: &str = "二七区/京广路街道/祥云社区";

pub fn rid(n: u16) -> String {
    let birth = time::macros::date!(1970 - 01 - 01) + time::Duration::days(i64::from(n) * 131);
    doorstep_core::idnum::make_resident_id("410103", birth, n * 2 % 1000 + 1)
}

/// 祥云社区 with 佳纷天地/3号楼/{1,2}单元 and 钱塘衣城/1号楼; returns a home-quarantine link's token
/// for 佳纷天地.
pub async fn setup(store: &dyn Store) -> String {
    let c = doorstep_testkit::demo_community(store).await;
    let jf = store
        .create_area(Some(&c.path), AreaKind::Compound, "佳纷天地")
        .await
        .unwrap();
    let b = store
        .create_area(Some(&jf.path), AreaKind::Building, "3号楼")
        .await
        .unwrap();
    store
        .create_area(Some(&b.path), AreaKind::Unit, "1单元")
        .await
        .unwrap();
    store
        .create_area(Some(&b.path), AreaKind::Unit, "2单元")
        .await
        .unwrap();
    let qt = store
        .create_area(Some(&c.path), AreaKind::Compound, "钱塘衣城")
        .await
        .unwrap();
    store
        .create_area(Some(&qt.path), AreaKind::Building, "1号楼")
        .await
        .unwrap();
    create_link(
        store,
        &AreaPath::parse(&format!("{COMMUNITY}/佳纷天地")).unwrap(),
        Purpose::HomeQuarantine,
        None,
        vec![],
        "test",
    )
    .await
    .unwrap()
    .token
}

pub struct Res {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Res {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

pub async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    content_type: Option<&str>,
    body: String,
    ip: [u8; 4],
) -> Res {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(ct) = content_type {
        req = req.header(header::CONTENT_TYPE, ct);
    }
    let mut req = req.body(Body::from(body)).unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((ip, 40000))));
    let res = app.clone().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Res {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// A GET from the usual resident address.
pub async fn get(app: &axum::Router, uri: &str) -> Res {
    call(app, "GET", uri, None, String::new(), [10, 0, 0, 1]).await
}

pub async fn post_json(app: &axum::Router, uri: &str, body: &Value) -> Res {
    call(
        app,
        "POST",
        uri,
        Some("application/json"),
        body.to_string(),
        [10, 0, 0, 1],
    )
    .await
}

pub fn report(key: &str, room: &str, members: Value) -> Value {
    json!({
        "idempotency_key": key,
        "address": {"compound": "佳纷天地", "building": "3", "unit": "2", "room": room},
        "members": members,
        "answers": {"notified_by": "社区", "date": "2022-10-20", "temperature": "36.5"}
    })
}

pub fn form_body(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", super::enc(k), super::enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap() + marker.len();
    page[start..].split('"').next().unwrap().to_string()
}
