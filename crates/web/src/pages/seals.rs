//! Sealed areas (封控) for staff: the seals of the user's area, active first; a form to seal a
//! compound, building or unit with a reason, and to lift a seal (community admin and up).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use doorstep_app::access::Action;
use doorstep_app::clock::china_minute;
use doorstep_app::error::AppError;
use doorstep_app::seals::SealDesk;
use doorstep_core::AreaKind;
use doorstep_store::Seal;
use serde::Deserialize;

use super::{Nav, PageError, PageUser};
use crate::AppState;
use crate::i18n::T;

/// One seal as a line.
pub struct SealLine {
    id: i64,
    area: String,
    reason: String,
    sealed: String,
    lifted: String,
    active: bool,
}

impl SealLine {
    fn of(s: &Seal) -> SealLine {
        SealLine {
            id: s.id,
            area: s.area_path.names().skip(3).collect::<Vec<_>>().join(" "),
            reason: s.reason.clone(),
            sealed: format!("{} · {}", china_minute(s.sealed_at), s.sealed_by),
            lifted: s
                .lifted
                .as_ref()
                .map(|(by, at)| format!("{} · {by}", china_minute(*at)))
                .unwrap_or_default(),
            active: s.lifted.is_none(),
        }
    }
}

/// The page.
#[derive(Template, WebTemplate)]
#[template(path = "seals.html")]
pub struct SealsPage {
    t: T,
    nav: Nav,
    csrf: String,
    lines: Vec<SealLine>,
    /// The areas that may be sealed: (path, name), when the user may seal.
    areas: Vec<(String, String)>,
    error: Option<String>,
    /// The form as refused: (area, reason).
    chosen: (String, String),
}

async fn page(
    s: &AppState,
    u: &PageUser,
    error: Option<String>,
    chosen: (String, String),
) -> Result<SealsPage, PageError> {
    let desk = SealDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let seals = desk.list("", false).await.map_err(|e| u.fail(e))?;
    let mut areas = Vec::new();
    if u.who.may(Action::Seal)
        && let Some(mine) = u.who.area()
    {
        for kind in [AreaKind::Compound, AreaKind::Building, AreaKind::Unit] {
            let found = s
                .store
                .areas_of_kind(mine, kind)
                .await
                .map_err(|e| u.fail(e.into()))?;
            areas.extend(found.into_iter().map(|a| {
                let name = a.path.names().skip(3).collect::<Vec<_>>().join(" ");
                (a.path.as_str().to_string(), name)
            }));
        }
        areas.sort_by(|a, b| doorstep_core::text::natural_cmp(&a.1, &b.1));
    }
    Ok(SealsPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        lines: seals.iter().map(SealLine::of).collect(),
        areas,
        error,
        chosen,
    })
}

async fn list(State(s): State<AppState>, u: PageUser) -> Result<Response, PageError> {
    Ok(page(&s, &u, None, Default::default())
        .await?
        .into_response())
}

/// The seal form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SealForm {
    csrf: String,
    area: String,
    reason: String,
}

async fn seal(
    State(s): State<AppState>,
    u: PageUser,
    Form(f): Form<SealForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let done = SealDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .seal(&f.area, &f.reason)
        .await;
    let (status, error) = match done {
        Ok(_) => return Ok(Redirect::to("/seals").into_response()),
        Err(AppError::Validation(p)) => (StatusCode::UNPROCESSABLE_ENTITY, u.problems_text(&p)),
        Err(AppError::Conflict(c)) => (StatusCode::CONFLICT, c.message(u.t.0).to_string()),
        Err(e) => return Err(u.fail(e)),
    };
    let page = page(&s, &u, Some(error), (f.area, f.reason)).await?;
    Ok((status, page).into_response())
}

async fn lift(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<super::CsrfForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    SealDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .lift(id)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(Redirect::to("/seals").into_response())
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/seals", get(list).post(seal))
        .route("/seals/{id}/lift", post(lift))
}
