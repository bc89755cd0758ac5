//! Quarantine and monitoring episodes as pages (`/episodes`): the list per area with filters,
//! an episode's page (days, test days and results, history, the forms to extend or shorten
//! and transfer), the release confirmation with its checklist, the printable release notice
//! (解除隔离告知书), and the start form the person and household pages carry
//! ([`EpisodeSection`]). Everything goes through `doorstep_app::quarantine::QuarantineDesk`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use doorstep_app::access::Action;
use doorstep_app::clock::china_minute;
use doorstep_app::error::AppError;
use doorstep_app::quarantine::{ChangeForm, EpisodeView, QuarantineDesk, TransferForm};
use doorstep_core::Lang;
use doorstep_core::episode::{ChangeKind, Destination, EpisodeStatus};
use doorstep_core::quarantine::Measure;
use serde::Deserialize;

mod list;
mod release;

pub use list::{EpisodeSection, Refused};

use super::{Nav, PageError, PageUser};
use crate::AppState;
use crate::i18n::T;

/// The routes of these pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/episodes", get(list::list))
        .route("/episodes/start", post(list::start))
        .route("/episodes/{id}", get(show))
        .route("/episodes/{id}/change", post(change))
        .route("/episodes/{id}/transfer", post(transfer))
        .route(
            "/episodes/{id}/release",
            get(release::release_form).post(release::release),
        )
        .route("/episodes/{id}/notice", get(release::notice))
        .route("/static/episodes.css", get(css))
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/episodes.css"),
    )
}

fn measure_name(m: Measure, l: Lang) -> &'static str {
    l.pick(m.name_zh(), m.name_en())
}

/// A test day as pages show it: (day, date, state code, state label).
type TestLine = (u16, String, &'static str, &'static str);

fn test_lines(v: &EpisodeView, l: Lang) -> Vec<TestLine> {
    v.checklist
        .tests
        .iter()
        .map(|t| (t.day, t.date.to_string(), t.state.code(), t.state.label(l)))
        .collect()
}

/// One change as the history shows it.
pub struct ChangeLine {
    at: String,
    what: String,
    before: String,
    after: String,
    reason: String,
    by: String,
}

/// An episode's page.
#[derive(Template, WebTemplate)]
#[template(path = "episode.html")]
pub struct EpisodePage {
    t: T,
    nav: Nav,
    csrf: String,
    id: i64,
    name: String,
    person_href: String,
    household_href: String,
    address: String,
    measure: String,
    status: String,
    active: bool,
    released: bool,
    starts_on: String,
    last_day: String,
    planned_end: String,
    day_line: String,
    policy: String,
    reason: String,
    ended: String,
    tests: Vec<TestLine>,
    changes: Vec<ChangeLine>,
    can_change: bool,
    can_central: bool,
    destinations: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

fn destination_text(raw: &str, l: Lang) -> String {
    let (code, place) = raw.split_once(": ").unwrap_or((raw, ""));
    let label = Destination::parse(code).map_or(code, |d| d.label(l));
    if place.is_empty() {
        label.to_string()
    } else {
        format!("{label} · {place}")
    }
}

fn episode_page(u: &PageUser, v: &EpisodeView, error: Option<String>) -> EpisodePage {
    let (e, l) = (&v.episode, u.t.0);
    let total = (e.last_day - e.starts_on).whole_days() + 1;
    let day_line = match v.day_today {
        Some(n) => {
            u.t.s("qt_day_of")
                .replace("{n}", &n.to_string())
                .replace("{total}", &total.to_string())
        }
        None => {
            u.t.s("qt_days_total")
                .replace("{total}", &total.to_string())
        }
    };
    let changes = v
        .changes
        .iter()
        .map(|c| {
            let (before, after) = match c.what {
                ChangeKind::Transfer => (String::new(), destination_text(&c.after, l)),
                ChangeKind::Release => (
                    c.before
                        .split(',')
                        .filter(|x| !x.is_empty())
                        .map(|x| unmet_label(x, u.t))
                        .collect::<Vec<_>>()
                        .join(l.pick("、", ", ")),
                    String::new(),
                ),
                _ => (c.before.clone(), c.after.clone()),
            };
            ChangeLine {
                at: china_minute(c.at),
                what: c.what.label(l).to_string(),
                before,
                after,
                reason: c.reason.clone(),
                by: c.by.clone(),
            }
        })
        .collect();
    EpisodePage {
        csrf: u.csrf.clone(),
        id: e.id,
        name: e.name.clone(),
        person_href: format!("/persons/{}", e.person_id),
        household_href: format!("/households/{}", e.household_id),
        address: e.address.clone(),
        measure: measure_name(e.measure, l).to_string(),
        status: e.status.label(l).to_string(),
        active: e.status.is_active(),
        released: e.status == EpisodeStatus::Released,
        starts_on: e.starts_on.to_string(),
        last_day: e.last_day.to_string(),
        planned_end: china_minute(e.ends_at),
        day_line,
        policy: format!("{} (v{})", v.policy_name, e.policy_version),
        reason: e.reason.clone(),
        ended: match (e.ended_at, &e.ended_by) {
            (Some(at), Some(by)) => format!("{} · {by}", china_minute(at)),
            _ => String::new(),
        },
        tests: test_lines(v, l),
        changes,
        can_change: e.status.is_active() && u.who.may(Action::Quarantine),
        can_central: e.measure != Measure::CentralQuarantine,
        destinations: Destination::ALL
            .iter()
            .map(|d| (d.code(), d.label(l)))
            .collect(),
        error,
        t: u.t,
        nav: u.nav.clone(),
    }
}

fn unmet_label(code: &str, t: T) -> String {
    match code {
        "end" => t.s("qt_check_end"),
        "tests" => t.s("qt_check_tests"),
        "checkins" => t.s("qt_check_checkins"),
        other => other,
    }
    .to_string()
}

/// Shows an episode.
pub async fn show(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let v = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .episode(id)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(episode_page(&u, &v, None).into_response())
}

/// A form refused: the episode's page again with the message on top (409/422), or the error
/// page for anything else.
async fn again(s: &AppState, u: &PageUser, id: i64, e: AppError) -> Result<Response, PageError> {
    let (status, message) = match e {
        AppError::Validation(p) => (StatusCode::UNPROCESSABLE_ENTITY, u.problems_text(&p)),
        AppError::Conflict(c) => (StatusCode::CONFLICT, c.message(u.t.0).to_string()),
        e => return Err(u.fail(e)),
    };
    let v = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .episode(id)
        .await
        .map_err(|e| u.fail(e))?;
    Ok((status, episode_page(u, &v, Some(message))).into_response())
}

/// The change form.
#[derive(Debug, Deserialize)]
pub struct ChangePost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    last_day: String,
    #[serde(default)]
    reason: String,
}

/// Extends or shortens an episode.
pub async fn change(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ChangePost>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let done = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .change(
            id,
            &ChangeForm {
                last_day: f.last_day,
                reason: f.reason,
            },
        )
        .await;
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/episodes/{id}")).into_response()),
        Err(e) => again(&s, &u, id, e).await,
    }
}

/// The transfer form.
#[derive(Debug, Deserialize)]
pub struct TransferPost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    start_central: Option<String>,
}

/// Transfers an episode; with a central episode started, goes to it.
pub async fn transfer(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<TransferPost>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let done = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .transfer(
            id,
            &TransferForm {
                to: f.to,
                place: f.place,
                at: f.at,
                reason: f.reason,
                start_central: f.start_central.is_some(),
            },
        )
        .await;
    match done {
        Ok((_, Some(next))) => Ok(Redirect::to(&format!("/episodes/{}", next.id)).into_response()),
        Ok((_, None)) => Ok(Redirect::to(&format!("/episodes/{id}")).into_response()),
        Err(e) => again(&s, &u, id, e).await,
    }
}
