//! The release confirmation (its checklist, then the form) and the printable release notice
//! (解除隔离告知书), of one episode.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use doorstep_app::access::Action;
use doorstep_app::clock::china_minute;
use doorstep_app::error::AppError;
use doorstep_app::quarantine::{EpisodeView, QuarantineDesk, ReleaseForm};
use doorstep_core::Lang;
use doorstep_core::quarantine::Measure;
use serde::Deserialize;

use super::{TestLine, measure_name, test_lines};
use crate::AppState;
use crate::i18n::T;
use crate::pages::{Nav, PageError, PageUser};

/// The release confirmation: the checklist, then the form.
#[derive(Template, WebTemplate)]
#[template(path = "episode_release.html")]
pub struct ReleasePage {
    t: T,
    nav: Nav,
    csrf: String,
    id: i64,
    name: String,
    measure: String,
    end_reached: bool,
    planned_end: String,
    tests: Vec<TestLine>,
    tests_met: bool,
    tests_required: bool,
    any_positive: bool,
    checkins: Option<(bool, String)>,
    needs_reason: bool,
    household: Vec<String>,
    reason: String,
    error: Option<String>,
}

fn release_page(
    u: &PageUser,
    v: &EpisodeView,
    reason: String,
    error: Option<String>,
) -> ReleasePage {
    let (e, c, l) = (&v.episode, &v.checklist, u.t.0);
    ReleasePage {
        csrf: u.csrf.clone(),
        id: e.id,
        name: e.name.clone(),
        measure: measure_name(e.measure, l).to_string(),
        end_reached: c.end_reached,
        planned_end: china_minute(e.ends_at),
        tests: test_lines(v, l),
        tests_met: c.tests_met(),
        tests_required: c.tests_required,
        any_positive: c.any_positive(),
        checkins: c.checkins.map(|k| {
            (
                k.met(),
                format!("{} / {} (+{})", k.done, k.due, k.explained),
            )
        }),
        needs_reason: c.needs_reason(),
        household: v.household_active.iter().map(|x| x.name.clone()).collect(),
        reason,
        error,
        t: u.t,
        nav: u.nav.clone(),
    }
}

/// Shows the checklist before a release.
pub async fn release_form(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let desk = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let v = desk.episode(id).await.map_err(|e| u.fail(e))?;
    if !u.who.may(Action::Quarantine) {
        return Err(u.fail(AppError::Forbidden));
    }
    if !v.episode.status.is_active() {
        return Ok(Redirect::to(&format!("/episodes/{id}")).into_response());
    }
    Ok(release_page(&u, &v, String::new(), None).into_response())
}

/// The release form.
#[derive(Debug, Deserialize)]
pub struct ReleasePost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    household: Option<String>,
}

/// Releases an episode (and the household's when ticked); refused, the checklist again.
pub async fn release(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ReleasePost>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let desk = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let done = desk
        .release(
            id,
            &ReleaseForm {
                reason: f.reason.clone(),
                household: f.household.is_some(),
            },
        )
        .await;
    let (status, message) = match done {
        Ok(_) => return Ok(Redirect::to(&format!("/episodes/{id}")).into_response()),
        Err(AppError::Validation(p)) => (StatusCode::UNPROCESSABLE_ENTITY, u.problems_text(&p)),
        Err(AppError::Conflict(c)) => (StatusCode::CONFLICT, c.message(u.t.0).to_string()),
        Err(e) => return Err(u.fail(e)),
    };
    let v = desk.episode(id).await.map_err(|e| u.fail(e))?;
    Ok((status, release_page(&u, &v, f.reason, Some(message))).into_response())
}

/// The release notice (解除隔离告知书), one A4 page, in Chinese with English beside.
#[derive(Template, WebTemplate)]
#[template(path = "episode_notice.html")]
pub struct NoticePage {
    t: T,
    nav: Nav,
    zh: T,
    en: T,
    id: i64,
    title_zh: &'static str,
    title_en: &'static str,
    name: String,
    id_number: String,
    address: String,
    measure_zh: &'static str,
    measure_en: &'static str,
    starts_on: String,
    last_day: String,
    policy: String,
    community: String,
    date: String,
}

/// Shows the release notice of a released episode.
pub async fn notice(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let n = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .notice(id)
        .await
        .map_err(|e| u.fail(e))?;
    let e = &n.episode;
    let (title_zh, title_en) = match e.measure {
        Measure::HomeHealthMonitoring => (
            "解除居家健康监测告知书",
            "Notice of release from home health monitoring",
        ),
        Measure::HomeQuarantine => ("解除隔离告知书", "Notice of release from home quarantine"),
        Measure::CentralQuarantine => (
            "解除隔离告知书",
            "Notice of release from central quarantine",
        ),
    };
    let d = n.released_on;
    Ok(NoticePage {
        zh: T(Lang::Zh),
        en: T(Lang::En),
        id,
        title_zh,
        title_en,
        name: e.name.clone(),
        id_number: n.id_number.clone(),
        address: e.address.clone(),
        measure_zh: e.measure.name_zh(),
        measure_en: e.measure.name_en(),
        starts_on: e.starts_on.to_string(),
        last_day: e.last_day.to_string(),
        policy: format!("{} (v{})", n.policy_name, e.policy_version),
        community: n.community.clone(),
        date: format!("{} 年 {} 月 {} 日", d.year(), u8::from(d.month()), d.day()),
        t: u.t,
        nav: u.nav,
    }
    .into_response())
}
