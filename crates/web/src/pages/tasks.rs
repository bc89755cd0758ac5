//! Task pages: my tasks (the field worker's phone page, in walking order, one tap to start and
//! to finish with an outcome), the board (managers: by status, kind and assignee, overdue on
//! top, reassign), a task with its history, and "a task for every household" from an area
//! page. Every page goes through `doorstep_app::tasks::TaskDesk`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use doorstep_app::access::Action;
use doorstep_app::clock::china_minute;
use doorstep_app::error::AppError;
use doorstep_app::export::SheetFormat;
use doorstep_app::tasks::{Finish, TaskDesk, TaskTemplate};
use doorstep_core::text::natural_cmp;
use doorstep_core::{AreaKind, Target, TaskKind, TaskStatus};
use doorstep_store::{Id, PageRequest, Task, TaskQuery};
use serde::Deserialize;

use super::{Nav, PageError, PageUser};
use crate::AppState;
use crate::i18n::T;

/// The routes of these pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tasks", get(board))
        .route("/tasks/mine", get(mine))
        .route("/tasks/{id}", get(task))
        .route("/tasks/{id}/phones", post(phones))
        .route("/tasks/{id}/{action}", post(act))
        .route("/areas/{id}/tasks", post(for_households))
        .route("/tasks/routes", get(routes_page).post(set_route))
}

/// A task as a card.
pub struct TaskCard {
    pub(crate) id: Id,
    pub(crate) kind: String,
    pub(crate) label: String,
    pub(crate) note: String,
    pub(crate) due: String,
    pub(crate) overdue: bool,
    pub(crate) status: String,
    pub(crate) active: bool,
    pub(crate) started: bool,
    pub(crate) priority: String,
    pub(crate) urgent: bool,
    pub(crate) assignee: String,
    pub(crate) assignee_phone: String,
    pub(crate) outcomes: Vec<(String, String)>,
    pub(crate) outcome: String,
}

pub(crate) fn card(t: &Task, tr: T, now: time::OffsetDateTime) -> TaskCard {
    TaskCard {
        id: t.id,
        kind: t.kind.label(tr.0).to_string(),
        label: t.label.clone(),
        note: t.note.clone(),
        due: t.due_at.map(china_minute).unwrap_or_default(),
        overdue: t.status.is_active() && t.due_at.is_some_and(|d| d < now),
        status: t.status.label(tr.0).to_string(),
        active: t.status.is_active(),
        started: t.status == TaskStatus::InProgress,
        priority: t.priority.label(tr.0).to_string(),
        urgent: t.priority != doorstep_core::Priority::Normal,
        assignee: t
            .assignee
            .as_ref()
            .map(|(n, _)| n.clone())
            .unwrap_or_default(),
        assignee_phone: t
            .assignee
            .as_ref()
            .map(|(_, p)| p.clone())
            .unwrap_or_default(),
        outcomes: t
            .kind
            .outcomes()
            .iter()
            .map(|(c, zh, en)| (c.to_string(), tr.0.pick(zh, en).to_string()))
            .collect(),
        outcome: t
            .outcome
            .as_deref()
            .map(|o| t.kind.outcome_label(o, tr.0))
            .unwrap_or_default(),
    }
}

/// My tasks.
#[derive(Template, WebTemplate)]
#[template(path = "tasks_mine.html")]
pub struct MinePage {
    t: T,
    nav: Nav,
    csrf: String,
    linked: bool,
    tasks: Vec<TaskCard>,
}

async fn mine(State(s): State<AppState>, u: PageUser) -> Result<Response, PageError> {
    let desk = TaskDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let linked = desk.me().await.map_err(|e| u.fail(e))?.is_some();
    let tasks = desk.mine().await.map_err(|e| u.fail(e))?;
    let now = u.ctx.now();
    Ok(MinePage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        linked,
        tasks: tasks.iter().map(|x| card(x, u.t, now)).collect(),
    }
    .into_response())
}

/// The board.
#[derive(Template, WebTemplate)]
#[template(path = "tasks_board.html")]
pub struct BoardPage {
    t: T,
    nav: Nav,
    status: String,
    kind: String,
    statuses: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    total: i64,
    tasks: Vec<TaskCard>,
    area: String,
    areas: Vec<(String, String)>,
    assignee: String,
    people: Vec<(String, String)>,
    xlsx: String,
    /// Positive pools' households and late boxes, on top.
    alerts: super::handover::BoardAlerts,
    /// The day filter (the daily report's task figures link with one).
    day: super::DayField,
}

/// The board's filter.
#[derive(Debug, Default, Deserialize)]
struct BoardQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    kind: String,
    /// A compound (or other area) under the user's, by id; blank for all.
    #[serde(default)]
    area: String,
    /// A staff member's id; blank for anyone.
    #[serde(default)]
    assignee: String,
    /// `xlsx` or `csv` to download what the filter shows.
    #[serde(default)]
    format: String,
    /// A China day, `YYYY-MM-DD`: tasks made (or, by `on`, due, done, overdue) that day.
    #[serde(default)]
    day: String,
    #[serde(default)]
    on: String,
}

async fn board(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<BoardQuery>,
) -> Result<Response, PageError> {
    let desk = TaskDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    // Active by default: what still needs doing.
    let (statuses, unassigned) = match q.status.as_str() {
        "" | "active" => (vec![TaskStatus::Open, TaskStatus::InProgress], false),
        "unassigned" => (vec![TaskStatus::Open, TaskStatus::InProgress], true),
        "all" => (Vec::new(), false),
        s => (TaskStatus::from_stored(s).into_iter().collect(), false),
    };
    let kind = TaskKind::from_stored(&q.kind);
    let reg = doorstep_app::registry::Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let area = match q.area.parse::<Id>() {
        Ok(id) => Some(reg.area(id).await.map_err(|e| u.fail(e))?),
        Err(_) => None,
    };
    let assignee = q.assignee.parse::<Id>().ok();
    let query = format!(
        "status={}&kind={}&area={}&assignee={}",
        super::urlencode(&q.status),
        super::urlencode(&q.kind),
        super::urlencode(&q.area),
        super::urlencode(&q.assignee)
    );
    let day = super::DayField::of(
        &q.day,
        &q.on,
        &["created", "due", "done", "overdue"],
        format!("/tasks?{query}"),
        u.t,
    );
    let on_day = desk.day(&day.filter()).map_err(|e| u.fail(e))?;
    let export = match q.format.as_str() {
        "xlsx" => Some((SheetFormat::Xlsx, "xlsx")),
        "csv" => Some((SheetFormat::Csv, "csv")),
        _ => None,
    };
    let page = desk
        .board(
            area.as_ref().map(|a| a.path.clone()),
            TaskQuery {
                area: None,
                assignee_id: assignee,
                unassigned,
                statuses,
                kind,
                due_before: None,
                day: on_day,
                page: PageRequest {
                    offset: 0,
                    limit: if export.is_some() { 50_000 } else { 200 },
                },
            },
        )
        .await
        .map_err(|e| u.fail(e))?;
    if let Some((format, ext)) = export {
        let (_, bytes) = crate::api::reports::written(ext, |path| {
            let (desk, items) = (&desk, &page.items);
            async move { desk.write_tasks(items, format, &path).await }
        })
        .await
        .map_err(|e| u.fail(e))?;
        let label = u.t.0.pick("任务", "tasks");
        return Ok(super::roster::download(
            bytes,
            &format!("{label}.{ext}"),
            format,
        ));
    }
    // The compounds (or grids) under the user's area, to narrow the board to one.
    let own = u.who.area().cloned();
    let mut areas: Vec<(String, String)> = vec![(String::new(), u.t.s("all").to_string())];
    if let Some(own) = &own {
        for kind in [AreaKind::Grid, AreaKind::Compound] {
            let mut found = s
                .store
                .areas_of_kind(own, kind)
                .await
                .map_err(|e| u.fail(e.into()))?;
            found.sort_by(|a, b| natural_cmp(a.path.as_str(), b.path.as_str()));
            areas.extend(
                found
                    .into_iter()
                    .map(|a| (a.id.to_string(), a.name.clone())),
            );
        }
    }
    let mut people: Vec<(String, String)> = vec![(String::new(), u.t.s("all").to_string())];
    people.extend(
        super::staff::staff_choices(&s, &u)
            .await?
            .into_iter()
            .map(|(id, label)| (id.to_string(), label)),
    );
    // The area asked by a link (a community's, from the daily report) stays chosen.
    if let Some(a) = &area
        && !areas.iter().any(|(id, _)| *id == a.id.to_string())
    {
        areas.push((a.id.to_string(), a.name.clone()));
    }
    let query = format!(
        "{query}&day={}&on={}",
        super::urlencode(&day.day),
        super::urlencode(&day.on)
    );
    let now = u.ctx.now();
    let tr = u.t;
    let mut statuses: Vec<(String, String)> = vec![
        ("active".into(), tr.s("tk_active").into()),
        ("unassigned".into(), tr.s("tk_unassigned").into()),
    ];
    statuses.extend(
        TaskStatus::ALL
            .iter()
            .map(|s| (s.code().to_string(), s.label(tr.0).to_string())),
    );
    statuses.push(("all".into(), tr.s("all").into()));
    let alerts = super::handover::board_alerts(&s, &u).await?;
    Ok(BoardPage {
        t: tr,
        nav: u.nav.clone(),
        status: if q.status.is_empty() {
            "active".into()
        } else {
            q.status.clone()
        },
        kind: kind.map(|k| k.code().to_string()).unwrap_or_default(),
        statuses,
        kinds: std::iter::once((String::new(), tr.s("all").to_string()))
            .chain(
                TaskKind::ALL
                    .iter()
                    .map(|k| (k.code().to_string(), k.label(tr.0).to_string())),
            )
            .collect(),
        total: page.total,
        tasks: page.items.iter().map(|x| card(x, tr, now)).collect(),
        area: q.area.clone(),
        areas,
        assignee: q.assignee.clone(),
        people,
        xlsx: format!("/tasks?{query}&format=xlsx"),
        alerts,
        day,
    }
    .into_response())
}

/// A task with its history and what this user may do with it.
#[derive(Template, WebTemplate)]
#[template(path = "task.html")]
pub struct TaskPage {
    t: T,
    nav: Nav,
    csrf: String,
    task: TaskCard,
    outcome_note: String,
    history: Vec<(String, String, String)>,
    can_manage: bool,
    staff: Vec<(Id, String)>,
    error: Option<String>,
    /// The household's phones, once revealed for this open task.
    phones: Vec<(String, String)>,
    /// Whether the target has a household whose phones may be revealed.
    has_household: bool,
    /// A home-sampling task's sampler pages: (address, round name); `None`: not such a task
    /// or not a sampler.
    sample_in: Option<Vec<(String, String)>>,
}

async fn task_page(
    s: &AppState,
    u: &PageUser,
    id: Id,
    error: Option<String>,
) -> Result<TaskPage, PageError> {
    let desk = TaskDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let (t, events) = desk.task(id).await.map_err(|e| u.fail(e))?;
    let can_manage = u.who.may(Action::ManageTasks) && u.who.covers(&t.area_path);
    let staff = if can_manage && t.status.is_active() {
        super::staff::staff_choices(s, u).await?
    } else {
        Vec::new()
    };
    let sample_in = if t.kind == TaskKind::HomeSampling && u.who.may(Action::Sample) {
        let rounds = super::rounds::desk(s, u)
            .rounds_for_task(&t)
            .await
            .map_err(|e| u.fail(e))?;
        let links = rounds
            .into_iter()
            .map(|(r, h)| (format!("/rounds/{}/sample?household={h}", r.id), r.name))
            .collect();
        Some(links)
    } else {
        None
    };
    Ok(TaskPage {
        sample_in,
        phones: Vec::new(),
        has_household: !matches!(t.target, Target::Area(_)),
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        task: card(&t, u.t, u.ctx.now()),
        outcome_note: t.outcome_note.clone(),
        history: events
            .iter()
            .map(|e| {
                let action = match e.action.as_str() {
                    "created" => u.t.s("tk_ev_created"),
                    "assigned" => u.t.s("tk_ev_assigned"),
                    "started" => u.t.s("tk_ev_started"),
                    "done" => u.t.s("tk_ev_done"),
                    "cannot_do" => u.t.s("tk_ev_cannot"),
                    "cancelled" => u.t.s("tk_ev_cancelled"),
                    _ => u.t.s("tk_ev_changed"),
                };
                (china_minute(e.at), e.by.clone(), action.to_string())
            })
            .collect(),
        can_manage,
        staff,
        error,
    })
}

async fn task(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<Id>,
) -> Result<Response, PageError> {
    Ok(task_page(&s, &u, id, None).await?.into_response())
}

/// A move of a task, as posted.
#[derive(Debug, Default, Deserialize)]
struct MoveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    staff: String,
    /// Where to go after (`mine` back to my tasks, `today` to the day's monitoring).
    #[serde(default)]
    back: String,
}

impl MoveForm {
    fn back(&self, id: Id) -> String {
        if self.back == "mine" {
            "/tasks/mine".to_string()
        } else if self.back == "today" {
            "/today".to_string()
        } else {
            format!("/tasks/{id}")
        }
    }
}

/// Runs a move; a refusal shows the task page with the reason.
async fn moved(
    s: &AppState,
    u: &PageUser,
    id: Id,
    f: &MoveForm,
    done: Result<Task, AppError>,
) -> Result<Response, PageError> {
    match done {
        Ok(_) => Ok(Redirect::to(&f.back(id)).into_response()),
        Err(AppError::Validation(p)) => {
            let msg = u.problems_text(&p);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                task_page(s, u, id, Some(msg)).await?,
            )
                .into_response())
        }
        Err(AppError::Conflict(c)) => Ok((
            StatusCode::CONFLICT,
            task_page(s, u, id, Some(c.message(u.t.0).to_string())).await?,
        )
            .into_response()),
        Err(e) => Err(u.fail(e)),
    }
}

/// Moves a task along: `start`, `finish` (with an outcome), `cannot` or `cancel` (with the
/// reason as the note), `assign` (to the staff member posted, or back to the board).
async fn act(
    State(s): State<AppState>,
    u: PageUser,
    Path((id, action)): Path<(Id, String)>,
    Form(f): Form<MoveForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let desk = TaskDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let done = match action.as_str() {
        "start" => desk.start(id).await,
        "finish" => {
            let fin = Finish {
                outcome: f.outcome.clone(),
                note: f.note.clone(),
            };
            desk.finish(id, &fin).await
        }
        "cannot" => desk.cannot_do(id, &f.note).await,
        "cancel" => desk.cancel(id, &f.note).await,
        "assign" => desk.reassign(id, f.staff.parse::<Id>().ok()).await,
        _ => Err(AppError::NotFound),
    };
    moved(&s, &u, id, &f, done).await
}

async fn phones(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<Id>,
    Form(f): Form<MoveForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    match TaskDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .phones(id)
        .await
    {
        Ok(phones) => {
            let mut page = task_page(&s, &u, id, None).await?;
            page.phones = phones;
            Ok(page.into_response())
        }
        Err(e) => moved(&s, &u, id, &f, Err(e)).await,
    }
}

/// "A task for every household here", as posted from an area page.
#[derive(Debug, Default, Deserialize)]
struct BulkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    note: String,
    /// The form's own key: a double tap creates nothing twice.
    #[serde(default)]
    key: String,
}

async fn for_households(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<Id>,
    Form(f): Form<BulkForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let reg = doorstep_app::registry::Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let area = reg.area(id).await.map_err(|e| u.fail(e))?;
    let template = TaskTemplate {
        kind: f.kind.clone(),
        due: f.due.clone(),
        priority: String::new(),
        note: f.note.clone(),
    };
    let key = if f.key.trim().is_empty() {
        doorstep_app::auth::random_hex(8).map_err(|e| u.fail(e))?
    } else {
        f.key.trim().chars().take(64).collect()
    };
    TaskDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .for_households(&area.path, &template, &key)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(Redirect::to("/tasks").into_response())
}

/// The choices of the area page's "a task for every household" form: (code, name).
pub fn kinds(t: T) -> Vec<(String, String)> {
    TaskKind::ALL
        .iter()
        .map(|k| (k.code().to_string(), k.label(t.0).to_string()))
        .collect()
}

/// The routing table page: each kind with its duties in order; admins change them.
#[derive(Template, WebTemplate)]
#[template(path = "task_routes.html")]
pub struct RoutesPage {
    t: T,
    nav: Nav,
    csrf: String,
    can_edit: bool,
    duties: Vec<(String, String)>,
    /// (kind code, kind name, its duties' codes padded to four, is the default)
    rows: Vec<(String, String, Vec<String>, bool)>,
    error: Option<String>,
}

async fn routes_page(State(s): State<AppState>, u: PageUser) -> Result<Response, PageError> {
    Ok(routes_view(&s, &u, None).await?.into_response())
}

async fn routes_view(
    s: &AppState,
    u: &PageUser,
    error: Option<String>,
) -> Result<RoutesPage, PageError> {
    if !u.who.may(Action::ManageTasks) {
        return Err(u.fail(AppError::Forbidden));
    }
    let table = TaskDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .routes()
        .await
        .map_err(|e| u.fail(e))?;
    Ok(RoutesPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        can_edit: u.who.may(Action::Configure),
        duties: std::iter::once((String::new(), "—".to_string()))
            .chain(
                doorstep_core::Duty::ALL
                    .iter()
                    .map(|d| (d.code().to_string(), d.label(u.t.0).to_string())),
            )
            .collect(),
        rows: table
            .iter()
            .map(|(k, d, default)| {
                let mut codes: Vec<String> = d.iter().map(|x| x.code().to_string()).collect();
                codes.resize(4, String::new());
                (
                    k.code().to_string(),
                    k.label(u.t.0).to_string(),
                    codes,
                    *default,
                )
            })
            .collect(),
        error,
    })
}

/// A kind's duties as posted: `kind`, `d0`…`d3`.
#[derive(Debug, Default, Deserialize)]
struct RouteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    d0: String,
    #[serde(default)]
    d1: String,
    #[serde(default)]
    d2: String,
    #[serde(default)]
    d3: String,
}

async fn set_route(
    State(s): State<AppState>,
    u: PageUser,
    Form(f): Form<RouteForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let duties = [f.d0, f.d1, f.d2, f.d3];
    match TaskDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .set_route(&f.kind, &duties)
        .await
    {
        Ok(_) => Ok(Redirect::to("/tasks/routes").into_response()),
        Err(AppError::Validation(p)) => {
            let msg = u.problems_text(&p);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                routes_view(&s, &u, Some(msg)).await?,
            )
                .into_response())
        }
        Err(e) => Err(u.fail(e)),
    }
}
