//! The audit log page and its CSV export (itself audited).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use doorstep_app::csv_export::CsvWriter;
use doorstep_app::registry::Registry;
use doorstep_store::{AuditEntry, AuditQuery, PageRequest};
use serde::Deserialize;
use serde_json::json;
use time::{Date, OffsetDateTime, Time};

use super::{Nav, PageError, PageUser, urlencode};
use crate::AppState;
use crate::i18n::T;

/// Rows per page.
const PER_PAGE: u32 = 50;

/// The audit filters.
#[derive(Debug, Default, Deserialize)]
pub struct AuditFilter {
    #[serde(default)]
    user: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    since: String,
    page: Option<u32>,
}

impl AuditFilter {
    fn query(&self, page: Option<PageRequest>) -> AuditQuery {
        let since = Date::parse(
            self.since.trim(),
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .ok()
        .map(|d| OffsetDateTime::new_in_offset(d, Time::MIDNIGHT, doorstep_app::CHINA));
        AuditQuery {
            area: None,
            username: Some(self.user.trim().to_string()).filter(|s| !s.is_empty()),
            action: Some(self.action.trim().to_string()).filter(|s| !s.is_empty()),
            since,
            until: None,
            page,
        }
    }

    fn link(&self, page: u32) -> String {
        format!(
            "?user={}&action={}&since={}&page={page}",
            urlencode(&self.user),
            urlencode(&self.action),
            urlencode(&self.since)
        )
    }
}

/// One entry as shown.
pub struct AuditLine {
    at: String,
    user: String,
    ip: String,
    action: String,
    object: String,
    area: String,
    details: String,
    request_id: String,
}

impl From<&AuditEntry> for AuditLine {
    fn from(e: &AuditEntry) -> Self {
        AuditLine {
            at: doorstep_app::clock::china_second(e.at),
            user: e.username.clone(),
            ip: e.ip.clone().unwrap_or_default(),
            action: e.action.clone(),
            object: match (&e.object_type, e.object_id) {
                (Some(t), Some(id)) => format!("{t} {id}"),
                _ => String::new(),
            },
            area: e.area_path.clone().unwrap_or_default(),
            details: if e.details.is_null() {
                String::new()
            } else {
                e.details.to_string()
            },
            request_id: e.request_id.clone().unwrap_or_default(),
        }
    }
}

/// The audit log page.
#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
pub struct AuditPage {
    t: T,
    nav: Nav,
    user: String,
    action: String,
    since: String,
    entries: Vec<AuditLine>,
    total: i64,
    prev: Option<String>,
    next: Option<String>,
    csv: String,
}

/// Shows the audit log of the user's area.
pub async fn audit(
    State(s): State<AppState>,
    u: PageUser,
    Query(f): Query<AuditFilter>,
) -> Result<Response, PageError> {
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let page = f.page.unwrap_or(1).max(1);
    let found = reg
        .audit_log(f.query(Some(PageRequest {
            offset: (page - 1) * PER_PAGE,
            limit: PER_PAGE,
        })))
        .await
        .map_err(|e| u.fail(e))?;
    let prev = (page > 1).then(|| f.link(page - 1));
    let next = (i64::from(page * PER_PAGE) < found.total).then(|| f.link(page + 1));
    Ok(AuditPage {
        csv: format!("/audit.csv{}", f.link(1)),
        user: f.user.clone(),
        action: f.action.clone(),
        since: f.since.clone(),
        entries: found.items.iter().map(AuditLine::from).collect(),
        total: found.total,
        prev,
        next,
        t: u.t,
        nav: u.nav,
    }
    .into_response())
}

/// Exports the filtered audit log as CSV (UTF-8 with BOM), at most 100,000 entries.
pub async fn audit_csv(
    State(s): State<AppState>,
    u: PageUser,
    Query(f): Query<AuditFilter>,
) -> Result<Response, PageError> {
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let found = reg
        .audit_log(f.query(Some(PageRequest {
            offset: 0,
            limit: 100_000,
        })))
        .await
        .map_err(|e| u.fail(e))?;
    let head = [
        "时间",
        "用户",
        "IP",
        "操作",
        "对象",
        "区域",
        "详情",
        "请求编号",
    ];
    let count = found.items.len();
    // Through the shared writer: a failed login's user name is logged as typed, by anyone.
    // Up to 100,000 entries: formatted on a blocking thread, not the async one.
    let write = move || -> std::io::Result<Vec<u8>> {
        let mut w = CsvWriter::new(Vec::new(), &head)?;
        for e in &found.items {
            let l = AuditLine::from(e);
            w.row([
                l.at,
                l.user,
                l.ip,
                l.action,
                l.object,
                l.area,
                l.details,
                l.request_id,
            ])?;
        }
        w.finish()
    };
    let bytes = tokio::task::spawn_blocking(write)
        .await
        .map_err(|e| u.fail(e.into()))?
        .map_err(|e| u.fail(doorstep_app::error::AppError::internal(e)))?;
    reg.audit(
        "audit.export",
        None,
        None,
        json!({"count": count, "user": f.user, "action": f.action, "since": f.since}),
    )
    .await
    .map_err(|e| u.fail(e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}
