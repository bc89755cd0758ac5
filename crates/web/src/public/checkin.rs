//! The household's check-in page at `/c/{token}` (the QR code on its door slip): no login,
//! no JavaScript needed. Each member in an episode has a block (name masked); members left
//! without a temperature do not check in this time. A saved check-in redirects back to the
//! page with a banner (a reload does not post again), and the idempotency key made with the
//! page keeps a double tap to one check-in.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use doorstep_app::error::AppError;
use doorstep_app::quarantine::checkins::{self, HouseholdDue};
use serde::Deserialize;

use crate::AppState;
use crate::context::{ReqCtx, ReqLang};
use crate::i18n::T;
use crate::pages::checkins::{CheckinPage, Posted, blocks};
use crate::pages::{Nav, PageError};

/// What the page is told after a save.
#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    /// `ok` or `abnormal`.
    pub saved: Option<String>,
}

/// A refusal through a check-in link as a page (check-in and supplies): an unknown token, or a
/// household whose episodes are over, is one answer.
pub(super) fn refused(e: AppError, t: T, ctx: &doorstep_app::access::Ctx) -> PageError {
    match e {
        AppError::NotFound => PageError::new(
            StatusCode::NOT_FOUND,
            t,
            t.0.pick(
                "打卡二维码无效，或隔离、监测已经结束。如有疑问请联系社区。",
                "this check-in code is not valid, or the quarantine or monitoring is over; ask your community if in doubt",
            ),
            ctx,
        )
        .with_nav(&Nav::resident("", "")),
        e => PageError::from_app(e, t, ctx),
    }
}

#[allow(clippy::too_many_arguments)]
fn page(
    t: T,
    token: &str,
    due: &HouseholdDue,
    now: time::OffsetDateTime,
    posted: &Posted,
    problems: &[doorstep_core::problem::FieldProblem],
    index: &[usize],
    key: String,
    saved: Option<&'static str>,
    notices: Vec<crate::pages::notices::NoticeLine>,
) -> Response {
    let (members, summary) = blocks(t, due, now, posted, problems, index);
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let home = format!("/c/{token}");
    (
        status,
        CheckinPage {
            t,
            nav: Nav::resident(&home, &home),
            address: due.household.address.clone(),
            action: home.clone(),
            idempotency_key: key,
            worker: None,
            members,
            summary,
            saved,
            notices,
        },
    )
        .into_response()
}

/// `GET /c/{token}`: the form, with a banner after a save.
pub async fn show(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    ReqCtx(ctx): ReqCtx,
    Path(token): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let t = T(lang);
    let due = checkins::household_for_token(s.store.as_ref(), &ctx, &token)
        .await
        .map_err(|e| refused(e, t, &ctx))?;
    let key = doorstep_app::auth::random_hex(16).map_err(|e| PageError::from_app(e, t, &ctx))?;
    let saved = match q.saved.as_deref() {
        Some("abnormal") => Some(t.s("ci_saved_abnormal")),
        Some(_) => Some(t.s("ci_saved")),
        None => None,
    };
    let notices = crate::pages::notices::showing(&s, &ctx, &due.household.area_path).await;
    Ok(page(
        t,
        &token,
        &due,
        ctx.now(),
        &Posted::default(),
        &[],
        &[],
        key,
        saved,
        notices,
    ))
}

/// `POST /c/{token}`: checks in the members with answers.
pub async fn submit(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    ReqCtx(ctx): ReqCtx,
    Path(token): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let t = T(lang);
    let due = checkins::household_for_token(s.store.as_ref(), &ctx, &token)
        .await
        .map_err(|e| refused(e, t, &ctx))?;
    let posted = Posted::of(form);
    let (input, index) = posted.input(&due);
    match checkins::submit_for(s.store.as_ref(), &ctx, &due, &input).await {
        Ok(done) => {
            let flag = if done.checkins.iter().any(|c| c.abnormal) {
                "abnormal"
            } else {
                "ok"
            };
            Ok(Redirect::to(&format!("/c/{token}?saved={flag}")).into_response())
        }
        Err(AppError::Validation(problems)) => {
            let key = posted.get("idempotency_key");
            Ok(page(
                t,
                &token,
                &due,
                ctx.now(),
                &posted,
                &problems,
                &index,
                key,
                None,
                Vec::new(),
            ))
        }
        Err(e) => Err(refused(e, t, &ctx)),
    }
}
