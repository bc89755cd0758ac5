//! The household's supplies and services page at `/c/{token}/supplies`, linked from its
//! check-in page: a small phone form (what, details, how urgent) and the household's requests
//! with where they stand. No login, no JavaScript needed; a saved request redirects back with
//! a banner, and the idempotency key made with the page keeps a double tap to one request.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use doorstep_app::error::AppError;
use doorstep_app::supplies::{self, SupplyInput};
use doorstep_core::problem::FieldProblem;
use doorstep_core::supplies::Urgency;
use serde::Deserialize;

use crate::AppState;
use crate::context::{ReqCtx, ReqLang};
use crate::i18n::T;
use crate::pages::supplies::{SupplyLine, kind_choices, lines};
use crate::pages::{Nav, PageError};

/// The page.
#[derive(Template, WebTemplate)]
#[template(path = "supplies_public.html")]
pub struct SuppliesPublicPage {
    t: T,
    nav: Nav,
    address: String,
    action: String,
    back: String,
    idempotency_key: String,
    kinds: Vec<(&'static str, &'static str)>,
    kind: String,
    kind_error: Option<String>,
    detail: String,
    detail_error: Option<String>,
    urgent: bool,
    normal_label: &'static str,
    urgent_label: &'static str,
    summary: Vec<(String, String)>,
    saved: bool,
    lines: Vec<SupplyLine>,
}

/// What the page is told after a save.
#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    /// Set after a save.
    pub saved: Option<String>,
}

/// The form as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SupplyForm {
    idempotency_key: String,
    kind: String,
    detail: String,
    urgency: String,
}

async fn page(
    s: &AppState,
    t: T,
    ctx: &doorstep_app::access::Ctx,
    token: &str,
    form: SupplyForm,
    problems: &[FieldProblem],
    saved: bool,
) -> Result<Response, PageError> {
    let (hh, list) = supplies::of_token(s.store.as_ref(), ctx, token)
        .await
        .map_err(|e| super::checkin::refused(e, t, ctx))?;
    let key = if form.idempotency_key.is_empty() || saved {
        doorstep_app::auth::random_hex(16).map_err(|e| PageError::from_app(e, t, ctx))?
    } else {
        form.idempotency_key.clone()
    };
    let error = |f: &str| {
        problems
            .iter()
            .find(|p| p.path == f)
            .map(|p| p.problem.message(t.0))
    };
    let summary = problems
        .iter()
        .map(|p| (p.path.clone(), p.problem.message(t.0)))
        .collect();
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let home = format!("/c/{token}");
    let path = format!("/c/{token}/supplies");
    Ok((
        status,
        SuppliesPublicPage {
            t,
            nav: Nav::resident(&home, &path),
            address: hh.address,
            action: path.clone(),
            back: home,
            idempotency_key: key,
            kinds: kind_choices(t),
            kind_error: error("kind"),
            detail_error: error("detail"),
            urgent: form.urgency == "urgent",
            normal_label: Urgency::Normal.label(t.0),
            urgent_label: Urgency::Urgent.label(t.0),
            kind: if saved { String::new() } else { form.kind },
            detail: if saved { String::new() } else { form.detail },
            summary,
            saved,
            lines: lines(t, &list, ctx.now(), false),
        },
    )
        .into_response())
}

/// `GET /c/{token}/supplies`: the form and the household's requests.
pub async fn show(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    ReqCtx(ctx): ReqCtx,
    Path(token): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let saved = q.saved.is_some();
    page(&s, T(lang), &ctx, &token, SupplyForm::default(), &[], saved).await
}

/// `POST /c/{token}/supplies`: asks.
pub async fn submit(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    ReqCtx(ctx): ReqCtx,
    Path(token): Path<String>,
    Form(form): Form<SupplyForm>,
) -> Result<Response, PageError> {
    let t = T(lang);
    let input = SupplyInput {
        idempotency_key: form.idempotency_key.clone(),
        kind: form.kind.clone(),
        detail: form.detail.clone(),
        urgency: form.urgency.clone(),
    };
    match supplies::ask_by_token(s.store.as_ref(), &ctx, &token, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/c/{token}/supplies?saved=1")).into_response()),
        Err(AppError::Validation(problems)) => {
            page(&s, t, &ctx, &token, form, &problems, false).await
        }
        Err(e) => Err(super::checkin::refused(e, t, &ctx)),
    }
}
