//! The resident's receipt at `/r/{token}/receipt/{receipt}`: the code to keep, what was
//! reported (ID numbers masked), and the way to correct it while that is still allowed.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use doorstep_app::reports;
use doorstep_store::ReportStatus;
use serde::Deserialize;

use super::refusal::page_error;
use crate::AppState;
use crate::context::{ReqCtx, ReqLang};
use crate::i18n::T;
use crate::pages::{Nav, PageError};

/// The receipt page.
#[derive(Template, WebTemplate)]
#[template(path = "report_receipt.html")]
pub struct ReceiptPage {
    t: T,
    nav: Nav,
    title: String,
    token: String,
    receipt: String,
    status: String,
    address: String,
    members: Vec<(String, String)>,
    submitted_at: String,
    edit_until: String,
    /// The correction page, while the report may still be corrected.
    correct_url: Option<String>,
    /// Just corrected.
    corrected: bool,
}

/// What the receipt page is told.
#[derive(Debug, Deserialize, Default)]
pub struct ReceiptQuery {
    /// Set after a correction was saved.
    pub corrected: Option<String>,
}

/// `GET /r/{token}/receipt/{receipt}`: the resident's receipt and what they reported.
pub async fn receipt(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    ReqCtx(ctx): ReqCtx,
    Path((token, receipt)): Path<(String, String)>,
    Query(q): Query<ReceiptQuery>,
) -> Result<Response, PageError> {
    let t = T(lang);
    let home = format!("/r/{token}");
    reports::open_link(s.store.as_ref(), &token, ctx.now())
        .await
        .map_err(|e| page_error(e, t, &ctx, &home))?;
    let (link, report) = reports::receipt_report(s.store.as_ref(), &token, &receipt)
        .await
        .map_err(|e| page_error(e, t, &ctx, &home))?;
    let fmt = doorstep_app::clock::china_minute;
    let members = doorstep_app::reports::stored_members(&report)
        .into_iter()
        .flatten()
        .map(|f| (f.name().to_string(), f.doc().masked()))
        .collect();
    let status = match report.status {
        ReportStatus::Pending => t.s("rf_status_pending"),
        ReportStatus::Accepted => t.s("rf_status_accepted"),
        ReportStatus::Rejected => t.s("rf_status_rejected"),
    };
    let page = ReceiptPage {
        t,
        nav: Nav::resident(
            &format!("/r/{token}"),
            &format!("/r/{token}/receipt/{receipt}"),
        ),
        title: link.purpose.label(lang).to_string(),
        token: token.clone(),
        receipt: report.receipt.clone(),
        status: status.to_string(),
        address: report.address.clone(),
        members,
        submitted_at: fmt(report.submitted_at),
        edit_until: fmt(report.edit_until),
        correct_url: reports::correctable(&report, ctx.now())
            .then(|| format!("/r/{token}/receipt/{}/edit", report.receipt)),
        corrected: q.corrected.is_some(),
    };
    Ok(page.into_response())
}
