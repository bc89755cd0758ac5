//! Supplies and services requests (后勤供给) for staff: the area's list (`/supplies`, overdue
//! first, flagged), cancelling one with a reason, a worker filing one for a household from
//! its check-in page (`POST /households/{id}/supplies`), and the lines the check-in page,
//! the household's own page (`public::supplies`) and the board show.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use doorstep_app::access::Action;
use doorstep_app::clock::china_minute;
use doorstep_app::error::AppError;
use doorstep_app::supplies::{self, SupplyDesk, SupplyInput};
use doorstep_core::supplies::{SupplyKind, SupplyStatus, Urgency};
use doorstep_store::SupplyRequest;
use serde::Deserialize;
use time::OffsetDateTime;

use super::handover::AlertLine;
use super::{Nav, PageError, PageUser};
use crate::AppState;
use crate::i18n::T;

/// One request as a line of a list.
pub struct SupplyLine {
    pub id: i64,
    pub address: String,
    /// The kind's name.
    pub kind: &'static str,
    pub detail: String,
    pub urgent: bool,
    pub urgency: &'static str,
    /// The status's code (a CSS class) and name.
    pub status_code: &'static str,
    pub status: &'static str,
    pub overdue: bool,
    pub open: bool,
    pub asked: String,
    pub due: String,
    /// Who asked: the household, or the worker's name.
    pub asked_by: String,
    /// Who holds the task (staff only).
    pub assignee: String,
    /// Delivered or cancelled: by whom (staff only) and when.
    pub closed: String,
    /// Cancelled: why.
    pub reason: String,
    /// The delivery task's page (staff only; empty otherwise).
    pub task_href: String,
}

/// The lines of `list`; `staff` adds names and the task.
pub fn lines(t: T, list: &[SupplyRequest], now: OffsetDateTime, staff: bool) -> Vec<SupplyLine> {
    list.iter()
        .map(|r| {
            let status = r.status();
            let task = r.task.as_ref();
            let closed = match task.filter(|_| !status.is_open()) {
                Some(k) => {
                    let by = k.closed_by.clone().filter(|_| staff).unwrap_or_default();
                    format!("{} {by}", china_minute(k.updated_at))
                        .trim()
                        .to_string()
                }
                None => String::new(),
            };
            SupplyLine {
                id: r.id,
                address: r.address.clone(),
                kind: r.kind.label(t.0),
                detail: r.detail.clone(),
                urgent: r.urgency == Urgency::Urgent,
                urgency: r.urgency.label(t.0),
                status_code: status.code(),
                status: status.label(t.0),
                overdue: supplies::overdue(r, now),
                open: status.is_open(),
                asked: china_minute(r.created_at),
                due: china_minute(r.due_at),
                asked_by: match (&r.asked_by, staff) {
                    (Some(w), true) => w.clone(),
                    _ => t.s("su_by_household").to_string(),
                },
                assignee: match task.and_then(|k| k.assignee.clone()) {
                    Some(a) if staff => a,
                    _ => t.s("su_unassigned").to_string(),
                },
                closed,
                reason: if status == SupplyStatus::Cancelled {
                    crate::api::supplies::reason(r, t.0).unwrap_or_default()
                } else {
                    String::new()
                },
                task_href: match task {
                    Some(k) if staff => format!("/tasks/{}", k.id),
                    _ => String::new(),
                },
            }
        })
        .collect()
}

/// The kinds for a form's choice: (code, name).
pub fn kind_choices(t: T) -> Vec<(&'static str, &'static str)> {
    SupplyKind::ALL
        .iter()
        .map(|k| (k.code(), k.label(t.0)))
        .collect()
}

/// A household's requests as lines for the worker's check-in page.
pub async fn household_lines(
    s: &AppState,
    u: &PageUser,
    household_id: i64,
) -> Result<Vec<SupplyLine>, PageError> {
    let list = SupplyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .of_household(household_id)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(lines(u.t, &list, u.ctx.now(), true))
}

/// The board's line of overdue requests (empty for a user who does not manage tasks).
pub async fn board_lines(s: &AppState, u: &PageUser) -> Result<Vec<AlertLine>, PageError> {
    if !u.who.may(Action::ManageTasks) {
        return Ok(Vec::new());
    }
    let list = SupplyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .overdue_for_board()
        .await
        .map_err(|e| u.fail(e))?;
    Ok(list
        .iter()
        .map(|r| AlertLine {
            href: format!("/supplies?status=overdue#s-{}", r.id),
            label: format!("{} · {} {}", r.address, r.kind.label(u.t.0), r.detail),
            detail: format!("{} {}", u.t.s("su_due"), china_minute(r.due_at)),
        })
        .collect())
}

/// The staff list.
#[derive(Template, WebTemplate)]
#[template(path = "supplies_list.html")]
pub struct SuppliesPage {
    t: T,
    nav: Nav,
    csrf: String,
    area: String,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
    lines: Vec<SupplyLine>,
    overdue: usize,
    may_cancel: bool,
    /// The day filter (the daily report's supplies figures link with one).
    day: super::DayField,
}

/// The list's filter.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListQuery {
    area: String,
    status: String,
    /// A China day, `YYYY-MM-DD`: requests asked (or, `on=delivered`, delivered) that day.
    day: String,
    on: String,
}

/// `GET /supplies`: the requests under the user's area (or `area`), overdue first.
async fn list(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let day = super::DayField::of(
        &q.day,
        &q.on,
        &["requested", "delivered"],
        format!(
            "/supplies?area={}&status={}",
            super::urlencode(&q.area),
            super::urlencode(&q.status)
        ),
        u.t,
    );
    let found = SupplyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .list(&q.area, &q.status, &day.filter())
        .await
        .map_err(|e| u.fail(e))?;
    let lines = lines(u.t, &found, u.ctx.now(), true);
    let mut statuses = vec![("open", u.t.s("su_open")), ("overdue", u.t.s("su_overdue"))];
    statuses.extend(SupplyStatus::ALL.iter().map(|s| (s.code(), s.label(u.t.0))));
    statuses.push(("all", u.t.s("all")));
    Ok(SuppliesPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        area: q.area.clone(),
        status: if q.status.is_empty() {
            "open".into()
        } else {
            q.status.clone()
        },
        statuses,
        overdue: lines.iter().filter(|l| l.overdue).count(),
        lines,
        may_cancel: u.who.may(Action::ManageTasks),
        day,
    }
    .into_response())
}

/// A cancel form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CancelForm {
    csrf: String,
    reason: String,
}

/// `POST /supplies/{id}/cancel`: cancels the request (its task) with the reason.
async fn cancel(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<CancelForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    SupplyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .cancel(id, &f.reason)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(Redirect::to(&format!("/supplies?status=all#s-{id}")).into_response())
}

/// A worker's request for a household.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FileForm {
    csrf: String,
    idempotency_key: String,
    kind: String,
    detail: String,
    urgency: String,
    /// The page to come back to: the check-in page (blank) or the household's own (`household`:
    /// a household in a sealed area, with no episode).
    back: String,
}

/// `POST /households/{id}/supplies`: a worker files a request from the check-in page or the
/// page of a household in a sealed area, and comes back to it.
async fn file(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<FileForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let input = SupplyInput {
        idempotency_key: f.idempotency_key,
        kind: f.kind,
        detail: f.detail,
        urgency: f.urgency,
    };
    match SupplyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .file(id, &input)
        .await
    {
        Ok(_) if f.back == "household" => {
            Ok(Redirect::to(&format!("/households/{id}#supplies")).into_response())
        }
        Ok(_) => Ok(Redirect::to(&format!("/households/{id}/checkins#supplies")).into_response()),
        Err(AppError::Validation(problems)) => Err(PageError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            u.t,
            &problems
                .iter()
                .map(|p| p.problem.message(u.t.0))
                .collect::<Vec<_>>()
                .join("；"),
            &u.ctx,
        )
        .with_nav(&u.nav)),
        Err(e) => Err(u.fail(e)),
    }
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/supplies", get(list))
        .route("/supplies/{id}/cancel", post(cancel))
        .route("/households/{id}/supplies", post(file))
}

/// The supplies section of the worker's check-in page: the household's requests and a small
/// form to file one for them.
pub struct WorkerSupplies {
    pub lines: Vec<SupplyLine>,
    pub idempotency_key: String,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub normal_label: &'static str,
    pub urgent_label: &'static str,
    /// Where the form comes back to (`FileForm::back`).
    pub back: &'static str,
}

/// The section for household `id` (its requests read as the user may).
pub async fn worker_section(
    s: &AppState,
    u: &PageUser,
    id: i64,
) -> Result<WorkerSupplies, PageError> {
    Ok(WorkerSupplies {
        lines: household_lines(s, u, id).await?,
        idempotency_key: doorstep_app::auth::random_hex(16).map_err(|e| u.fail(e))?,
        kinds: kind_choices(u.t),
        normal_label: Urgency::Normal.label(u.t.0),
        urgent_label: Urgency::Urgent.label(u.t.0),
        back: "",
    })
}

/// The parts of a sealed household's page: the seal, and the supplies section as the worker's
/// check-in page has it (`w` in `supplies_worker.html`).
pub struct SealedHousehold {
    pub household_id: i64,
    pub csrf: String,
    /// Since when and why, in words.
    pub seal: String,
    pub supplies: WorkerSupplies,
}

/// The sealed parts of household `id`'s page when an active seal covers `path`.
pub async fn sealed_section(
    s: &AppState,
    u: &PageUser,
    id: i64,
    path: &doorstep_core::AreaPath,
) -> Result<Option<SealedHousehold>, PageError> {
    let Some(seal) = doorstep_app::seals::seal_over(s.store.as_ref(), path)
        .await
        .map_err(|e| u.fail(e))?
    else {
        return Ok(None);
    };
    let mut supplies = worker_section(s, u, id).await?;
    supplies.back = "household";
    Ok(Some(SealedHousehold {
        household_id: id,
        csrf: u.csrf.clone(),
        seal: format!(
            "{} · {} · {}",
            seal.area_path.names().last().unwrap_or_default(),
            china_minute(seal.sealed_at),
            seal.reason
        ),
        supplies,
    }))
}
