//! The door-knock list (入户敲门) of a round: the persons under an area neither sampled nor
//! excused, in walking order with masked ID numbers, the button that turns it into
//! door-knock tasks through `RoundDesk::knock` (the API's path too), and beside each person a
//! small form to excuse them with a reason (`RoundDesk::exclude`: bedridden makes a
//! home-sampling task).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use doorstep_app::access::Action;
use doorstep_app::error::AppError;
use doorstep_app::rounds::PersonRef;
use doorstep_core::Exclusion;
use serde::Deserialize;

use super::rounds::{AreaQuery, RoundLine, area_of, desk};
use super::{Nav, PageError, PageUser, urlencode};
use crate::AppState;
use crate::i18n::T;

/// The door-knock list's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/rounds/{id}/missing", get(missing))
        .route("/rounds/{id}/missing/tasks", post(knock))
        .route("/rounds/{id}/missing/exclude", post(exclude))
}

/// A person on the door-knock list.
pub struct MissingLine {
    person_id: i64,
    name: String,
    id_number: String,
    address: String,
}

/// The door-knock list (入户敲门).
#[derive(Template, WebTemplate)]
#[template(path = "round_missing.html")]
pub struct MissingPage {
    t: T,
    nav: Nav,
    csrf: String,
    round: RoundLine,
    area: String,
    /// The area asked for, as asked (for the button's form) and encoded (for links).
    area_raw: String,
    area_q: String,
    people: Vec<MissingLine>,
    households: usize,
    can_knock: bool,
    /// After the button: (tasks, without an owner).
    made: Option<(usize, usize)>,
    /// The reasons a person may be excused for, when the user may excuse: (code, label).
    reasons: Vec<(&'static str, &'static str)>,
    /// What the last excuse did, or why it was refused.
    notice: Option<String>,
    error: Option<String>,
}

async fn missing(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<AreaQuery>,
) -> Result<Response, PageError> {
    let notice = q.excused.then(|| u.t.s("rd_excuse_done").to_string());
    let notice = match q.home_task {
        Some(task) => Some(format!("{} {}", u.t.s("rd_excuse_home_task"), task)),
        None => notice,
    };
    Ok(missing_page(&s, &u, id, &q, notice, None)
        .await?
        .into_response())
}

async fn missing_page(
    s: &AppState,
    u: &PageUser,
    id: i64,
    q: &AreaQuery,
    notice: Option<String>,
    error: Option<String>,
) -> Result<MissingPage, PageError> {
    let d = desk(s, u);
    let r = d.round(id).await.map_err(|e| u.fail(e))?;
    let area = area_of(&q.area, u)?;
    let list = d.missing(id, area.clone()).await.map_err(|e| u.fail(e))?;
    let mut households: Vec<i64> = Vec::new();
    for p in &list {
        if !households.contains(&p.person.household_id) {
            households.push(p.person.household_id);
        }
    }
    let shown = area.unwrap_or_else(|| {
        u.who
            .area()
            .filter(|a| r.area_path.contains(a))
            .cloned()
            .unwrap_or(r.area_path.clone())
    });
    Ok(MissingPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        area: shown.name().to_string(),
        area_raw: q.area.trim().to_string(),
        area_q: urlencode(q.area.trim()),
        round: RoundLine::of(&r, u.t),
        people: list
            .iter()
            .map(|p| MissingLine {
                person_id: p.person.id,
                name: p.person.fields.name().to_string(),
                id_number: p.person.fields.doc().masked(),
                address: p.person.address.clone(),
            })
            .collect(),
        households: households.len(),
        can_knock: u.who.may(Action::ManageTasks),
        made: q.made.map(|m| (m, q.unassigned.unwrap_or(0))),
        reasons: if u.who.may(Action::ManageRounds) {
            Exclusion::ALL
                .iter()
                .map(|e| (e.code(), e.label(u.t.0)))
                .collect()
        } else {
            Vec::new()
        },
        notice,
        error,
    })
}

/// An excuse as the list's small form posts it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ExcuseForm {
    csrf: String,
    area: String,
    person_id: i64,
    reason: String,
    note: String,
}

async fn exclude(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<ExcuseForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let done = desk(&s, &u)
        .exclude(id, &PersonRef::PersonId(f.person_id), &f.reason, &f.note)
        .await;
    let back = format!("/rounds/{id}/missing?area={}", urlencode(f.area.trim()));
    match done {
        Ok(Some(task)) => {
            Ok(Redirect::to(&format!("{back}&home_task={}", task.id)).into_response())
        }
        Ok(None) => Ok(Redirect::to(&format!("{back}&excused=true")).into_response()),
        Err(AppError::Validation(p)) => {
            let q = AreaQuery {
                area: f.area.clone(),
                ..AreaQuery::default()
            };
            let page = missing_page(&s, &u, id, &q, None, Some(u.problems_text(&p))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(u.fail(e)),
    }
}

/// The door-knock button's form.
#[derive(Debug, Default, Deserialize)]
struct KnockForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    area: String,
}

async fn knock(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<KnockForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let made = desk(&s, &u)
        .knock(id, area_of(&f.area, &u)?)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(Redirect::to(&format!(
        "/rounds/{id}/missing?area={}&made={}&unassigned={}",
        urlencode(f.area.trim()),
        made.tasks,
        made.unassigned
    ))
    .into_response())
}
