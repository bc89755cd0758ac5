//! Field tasks: create (one, or in bulk for every household of an area), the board, my tasks,
//! and moving a task along (start, done with an outcome, cannot do, cancel, reassign). Every
//! endpoint goes through `doorstep_app::tasks::TaskDesk`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use doorstep_app::clock::china_minute;
use doorstep_app::daily::DayFilter;
use doorstep_app::error::AppError;
use doorstep_app::tasks::{Finish, TaskDesk, TaskInput, TaskTemplate};
use doorstep_core::problem::FieldProblem;
use doorstep_core::{AreaPath, Lang, Problem, Target, TaskKind, TaskStatus};
use doorstep_store::{Id, Task, TaskEvent, TaskQuery};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiUser;
use super::dto::{List, Paging, rfc3339};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};

/// A task's target.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct TargetBody {
    /// `area`, `household` or `person`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its id.
    pub id: i64,
}

impl TargetBody {
    fn read(&self) -> Result<Target, AppError> {
        Target::from_stored(&self.kind, self.id).ok_or_else(|| {
            AppError::Validation(vec![FieldProblem::new("target.type", Problem::Choice)])
        })
    }
}

/// A task.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskResponse {
    /// Its id.
    pub id: i64,
    /// `door_knock`, `home_sampling`, `delivery`, `checkin_followup`, `investigation_call`,
    /// `checkpoint_shift`, `disinfection`, `escort` or `other`.
    pub kind: String,
    /// What it is about.
    pub target: TargetBody,
    /// The area it is placed on.
    pub area: String,
    /// What a person reads (address; name and address for a person).
    pub label: String,
    /// What to do.
    pub note: String,
    /// The staff member doing it (none: a gap on the board).
    pub assignee_id: Option<i64>,
    /// Their name.
    pub assignee_name: Option<String>,
    /// When it is due (RFC 3339).
    pub due_at: Option<String>,
    /// `normal`, `high` or `urgent`.
    pub priority: String,
    /// `open`, `in_progress`, `done`, `cannot_do` or `cancelled`.
    pub status: String,
    /// The outcome's code (done).
    pub outcome: Option<String>,
    /// The outcome's note or the reason (cannot do, cancelled).
    pub outcome_note: String,
    /// Who made it.
    pub created_by: String,
    /// When (RFC 3339).
    pub created_at: String,
    /// Its history (single reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<EventResponse>>,
}

impl From<&Task> for TaskResponse {
    fn from(t: &Task) -> Self {
        TaskResponse {
            id: t.id,
            kind: t.kind.code().to_string(),
            target: TargetBody {
                kind: t.target.type_code().to_string(),
                id: t.target.id(),
            },
            area: t.area_path.to_string(),
            label: t.label.clone(),
            note: t.note.clone(),
            assignee_id: t.assignee_id,
            assignee_name: t.assignee.as_ref().map(|(n, _)| n.clone()),
            due_at: t.due_at.map(rfc3339),
            priority: t.priority.code().to_string(),
            status: t.status.code().to_string(),
            outcome: t.outcome.clone(),
            outcome_note: t.outcome_note.clone(),
            created_by: t.created_by.clone(),
            created_at: rfc3339(t.created_at),
            history: None,
        }
    }
}

/// One step of a task's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventResponse {
    /// When (China time, to the minute).
    pub at: String,
    /// Who.
    pub by: String,
    /// `created`, `assigned`, `started`, `done`, `cannot_do`, `cancelled`, `reopened`, `changed`.
    pub action: String,
    /// What changed: `{"field": [before, after]}`.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<&TaskEvent> for EventResponse {
    fn from(e: &TaskEvent) -> Self {
        EventResponse {
            at: china_minute(e.at),
            by: e.by.clone(),
            action: e.action.clone(),
            details: e.details.clone(),
        }
    }
}

/// Which tasks.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TaskListQuery {
    /// `true`: my own open tasks due today or overdue, in walking order (no other filter).
    pub mine: Option<bool>,
    /// Statuses, comma-separated (`open,in_progress`); all when left out.
    pub status: Option<String>,
    /// A kind.
    pub kind: Option<String>,
    /// Under this area (the caller's when left out).
    pub area: Option<String>,
    /// A staff member's id, or `none` for unassigned tasks.
    pub assignee: Option<String>,
    /// Due before this time (RFC 3339 or `YYYY-MM-DD`).
    pub due_before: Option<String>,
    /// A China day, `YYYY-MM-DD`: the tasks made that day (or, by `on`, due, done or overdue
    /// then, as the daily report counts `tasks.done` and `tasks.overdue`).
    pub day: Option<String>,
    /// With `day`: `created` (default), `due`, `done` or `overdue` (at the day's end; now
    /// for today).
    pub on: Option<String>,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Rows per page, 1–200 (default 20).
    pub per_page: Option<u32>,
}

fn bad(code: &str, lang: Lang, zh: &str, en: &str) -> ApiError {
    ApiError::bad_request(code, lang.pick(zh, en))
}

/// The board of an area (managers), or with `mine=true` one's own tasks. Overdue first.
/// `422` at `day` or `on` for a day that does not read or an unknown `on`.
#[utoipa::path(get, path = "/tasks", tag = "tasks", params(TaskListQuery), security(("bearer" = [])),
    responses((status = 200, body = List<TaskResponse>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_tasks(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<TaskListQuery>,
) -> Result<Json<List<TaskResponse>>, ApiError> {
    let desk = TaskDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let fail = |e| ApiError::from_app(e, u.lang);
    if q.mine == Some(true) {
        let mine = desk.mine().await.map_err(fail)?;
        return Ok(Json(List {
            total: mine.len() as i64,
            items: mine.iter().map(TaskResponse::from).collect(),
        }));
    }
    let mut statuses = Vec::new();
    for raw in q.status.as_deref().unwrap_or("").split(',').map(str::trim) {
        if raw.is_empty() {
            continue;
        }
        statuses.push(
            TaskStatus::from_stored(raw)
                .ok_or_else(|| bad("bad_status", u.lang, "状态不正确", "unknown status"))?,
        );
    }
    let kind = match q.kind.as_deref().filter(|k| !k.trim().is_empty()) {
        None => None,
        Some(k) => Some(
            TaskKind::parse(k)
                .ok_or_else(|| bad("bad_kind", u.lang, "任务类型不正确", "unknown kind"))?,
        ),
    };
    let area = match q.area.as_deref().filter(|a| !a.trim().is_empty()) {
        None => None,
        Some(a) => Some(
            AreaPath::parse(a)
                .map_err(|p| ApiError::bad_request("bad_area", &p.message(u.lang)))?,
        ),
    };
    let (assignee, unassigned) = match q.assignee.as_deref().map(str::trim) {
        None | Some("") => (None, false),
        Some("none") => (None, true),
        Some(n) => (
            Some(n.parse::<i64>().map_err(|_| {
                bad(
                    "bad_assignee",
                    u.lang,
                    "负责人不正确",
                    "assignee is an id or none",
                )
            })?),
            false,
        ),
    };
    let due_before = match q.due_before.as_deref() {
        None => None,
        Some(d) => doorstep_app::tasks::parse_due(d)
            .map_err(|p| ApiError::bad_request("bad_due", &p.message(u.lang)))?,
    };
    let day = desk
        .day(&DayFilter {
            day: q.day.clone().unwrap_or_default(),
            on: q.on.clone().unwrap_or_default(),
        })
        .map_err(fail)?;
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
    };
    let page = desk
        .board(
            area,
            TaskQuery {
                area: None,
                assignee_id: assignee,
                unassigned,
                statuses,
                kind,
                due_before,
                day,
                page: paging.request(),
            },
        )
        .await
        .map_err(fail)?;
    let items: Vec<TaskResponse> = page.items.iter().map(TaskResponse::from).collect();
    Ok(Json(List {
        total: page.total,
        items,
    }))
}

/// A task to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTaskRequest {
    /// The kind's slug (`door_knock` …) or Chinese name (入户敲门 …).
    pub kind: String,
    /// What it is about.
    pub target: TargetBody,
    /// Who does it; left out, the owner of the target's area whose duty fits the kind.
    #[serde(default)]
    pub assignee_id: Option<i64>,
    /// When it is due: RFC 3339, `YYYY-MM-DDTHH:MM` or `YYYY-MM-DD` (China time).
    #[serde(default)]
    pub due: Option<String>,
    /// `normal` (default), `high` or `urgent`.
    #[serde(default)]
    pub priority: Option<String>,
    /// What to do.
    #[serde(default)]
    pub note: Option<String>,
}

impl CreateTaskRequest {
    fn input(&self) -> Result<TaskInput, AppError> {
        let template = TaskTemplate {
            kind: self.kind.clone(),
            due: self.due.clone().unwrap_or_default(),
            priority: self.priority.clone().unwrap_or_default(),
            note: self.note.clone().unwrap_or_default(),
        };
        Ok(template.task(self.target.read()?, self.assignee_id))
    }
}

/// Creates a task (needs `manage_tasks` in the target's area); routed when no assignee is
/// given (unassigned when the area has no owner of a fitting duty).
#[utoipa::path(post, path = "/tasks", tag = "tasks", request_body = CreateTaskRequest, security(("bearer" = [])),
    responses((status = 201, body = TaskResponse), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn create_task(
    State(s): State<AppState>,
    u: ApiUser,
    Json(req): Json<CreateTaskRequest>,
) -> Result<(StatusCode, Json<TaskResponse>), ApiError> {
    let desk = TaskDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let fail = |e| ApiError::from_app(e, u.lang);
    let t = desk
        .create(&req.input().map_err(fail)?)
        .await
        .map_err(fail)?;
    Ok((StatusCode::CREATED, Json(TaskResponse::from(&t))))
}

/// Tasks in bulk.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BulkRequest {
    /// Chosen by the client, 1–64 characters: a retry with the same key creates nothing new.
    pub idempotency_key: String,
    /// The kind, for every task.
    pub kind: String,
    /// One task per household under this area …
    #[serde(default)]
    pub area: Option<String>,
    /// … or one task per target listed.
    #[serde(default)]
    pub targets: Vec<TargetBody>,
    /// When they are due.
    #[serde(default)]
    pub due: Option<String>,
    /// Their priority.
    #[serde(default)]
    pub priority: Option<String>,
    /// What to do.
    #[serde(default)]
    pub note: Option<String>,
}

/// What a bulk made.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResponse {
    /// Tasks made (or found from an earlier try with the same key).
    pub created: usize,
    /// Of those, how many have no owner to go to (gaps on the board).
    pub unassigned: usize,
    /// Their ids, in order.
    pub ids: Vec<i64>,
}

/// Creates a task for every household under an area ("a door-knock for every household of
/// this building") or for each target listed ("a call for each of these persons"), in one
/// transaction, each routed; at most 20,000.
#[utoipa::path(post, path = "/tasks/bulk", tag = "tasks", request_body = BulkRequest, security(("bearer" = [])),
    responses((status = 201, body = BulkResponse), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn bulk(
    State(s): State<AppState>,
    u: ApiUser,
    Json(req): Json<BulkRequest>,
) -> Result<(StatusCode, Json<BulkResponse>), ApiError> {
    let desk = TaskDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let fail = |e| ApiError::from_app(e, u.lang);
    let key = req.idempotency_key.trim();
    if key.is_empty() || key.chars().count() > 64 {
        return Err(fail(AppError::Validation(vec![FieldProblem::new(
            "idempotency_key",
            Problem::Required,
        )])));
    }
    let template = TaskTemplate {
        kind: req.kind.clone(),
        due: req.due.clone().unwrap_or_default(),
        priority: req.priority.clone().unwrap_or_default(),
        note: req.note.clone().unwrap_or_default(),
    };
    let made = match req.area.as_deref().filter(|a| !a.trim().is_empty()) {
        Some(a) => {
            let area = AreaPath::parse(a)
                .map_err(|p| fail(AppError::Validation(vec![FieldProblem::new("area", p)])))?;
            desk.for_households(&area, &template, key).await
        }
        None => {
            let mut inputs = Vec::new();
            for (i, t) in req.targets.iter().enumerate() {
                let target = Target::from_stored(&t.kind, t.id).ok_or_else(|| {
                    fail(AppError::Validation(vec![FieldProblem::new(
                        format!("targets[{i}].type"),
                        Problem::Choice,
                    )]))
                })?;
                inputs.push(template.bulk_task(target, key));
            }
            desk.create_many(&inputs).await
        }
    }
    .map_err(fail)?;
    Ok((
        StatusCode::CREATED,
        Json(BulkResponse {
            created: made.len(),
            unassigned: made.iter().filter(|t| t.assignee_id.is_none()).count(),
            ids: made.iter().map(|t| t.id).collect(),
        }),
    ))
}

/// One task with its history (its manager or its assignee).
#[utoipa::path(get, path = "/tasks/{id}", tag = "tasks", params(("id" = i64, Path, description = "task id")),
    security(("bearer" = [])), responses((status = 200, body = TaskResponse), (status = 404, body = ErrorBody)))]
pub async fn get_task(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<Id>,
) -> Result<Json<TaskResponse>, ApiError> {
    let desk = TaskDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let (t, events) = desk
        .task(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    let mut r = TaskResponse::from(&t);
    r.history = Some(events.iter().map(EventResponse::from).collect());
    Ok(Json(r))
}

/// A move of a task.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct UpdateTaskRequest {
    /// `in_progress` (start), `done` (with `outcome`), `cannot_do` or `cancelled` (with `note`
    /// as the reason).
    pub status: Option<String>,
    /// One of the kind's outcomes (done).
    pub outcome: Option<String>,
    /// A note with the outcome, or the reason.
    pub note: Option<String>,
    /// A new assignee's id (managers); `0` gives it back to the board.
    pub assignee_id: Option<i64>,
}

/// Moves a task along: start, done with an outcome, cannot do or cancel with a reason, or
/// reassign. 409 `task_closed` for a closed task, `task_changed` when someone else moved it
/// first.
#[utoipa::path(patch, path = "/tasks/{id}", tag = "tasks", request_body = UpdateTaskRequest,
    params(("id" = i64, Path, description = "task id")), security(("bearer" = [])),
    responses((status = 200, body = TaskResponse), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn update_task(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<Id>,
    Json(req): Json<UpdateTaskRequest>,
) -> Result<Json<TaskResponse>, ApiError> {
    let desk = TaskDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let fail = |e| ApiError::from_app(e, u.lang);
    let note = req.note.clone().unwrap_or_default();
    let mut t = None;
    if let Some(a) = req.assignee_id {
        t = Some(
            desk.reassign(id, (a != 0).then_some(a))
                .await
                .map_err(fail)?,
        );
    }
    if let Some(status) = req.status.as_deref() {
        let moved = match TaskStatus::from_stored(status.trim()) {
            Some(TaskStatus::InProgress) => desk.start(id).await,
            Some(TaskStatus::Done) => {
                let f = Finish {
                    outcome: req.outcome.clone().unwrap_or_default(),
                    note,
                };
                desk.finish(id, &f).await
            }
            Some(TaskStatus::CannotDo) => desk.cannot_do(id, &note).await,
            Some(TaskStatus::Cancelled) => desk.cancel(id, &note).await,
            _ => Err(AppError::Validation(vec![FieldProblem::new(
                "status",
                Problem::Choice,
            )])),
        };
        t = Some(moved.map_err(fail)?);
    }
    let t = match t {
        Some(t) => t,
        None => desk.task(id).await.map_err(fail)?.0,
    };
    Ok(Json(TaskResponse::from(&t)))
}

/// A phone of the task's household.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneResponse {
    /// 姓名
    pub name: String,
    /// The full number.
    pub phone: String,
}

/// The full phones of an open task's household, for its assignee (or a manager who may
/// reveal); audited as `task.reveal_phones`. 409 `task_closed` once the task is closed.
#[utoipa::path(get, path = "/tasks/{id}/phones", tag = "tasks", params(("id" = i64, Path, description = "task id")),
    security(("bearer" = [])), responses((status = 200, body = Vec<PhoneResponse>), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn task_phones(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<Id>,
) -> Result<Json<Vec<PhoneResponse>>, ApiError> {
    let phones = TaskDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .phones(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(
        phones
            .into_iter()
            .map(|(name, phone)| PhoneResponse { name, phone })
            .collect(),
    ))
}

/// Where a kind of task goes.
#[derive(Debug, Serialize, ToSchema)]
pub struct RouteResponse {
    /// The kind.
    pub kind: String,
    /// The duties its new tasks go to, in order: the first with an owner of the target's
    /// area (own or inherited) takes it.
    pub duties: Vec<String>,
    /// Whether this is the built-in default.
    pub default: bool,
}

/// The routing table: for each kind of task, the duties its new tasks go to.
#[utoipa::path(get, path = "/task-routes", tag = "tasks", security(("bearer" = [])),
    responses((status = 200, body = Vec<RouteResponse>)))]
pub async fn routes_table(
    State(s): State<AppState>,
    u: ApiUser,
) -> Result<Json<Vec<RouteResponse>>, ApiError> {
    let table = TaskDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .routes()
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(
        table
            .into_iter()
            .map(|(k, d, default)| RouteResponse {
                kind: k.code().to_string(),
                duties: d.iter().map(|x| x.code().to_string()).collect(),
                default,
            })
            .collect(),
    ))
}

/// A kind's duties, in order.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RouteRequest {
    /// Duty slugs or names in order; empty: back to the default.
    pub duties: Vec<String>,
}

/// Sets where a kind of task goes (system admins only; audited as `task.route`). Tasks made
/// before keep their assignee.
#[utoipa::path(put, path = "/task-routes/{kind}", tag = "tasks", request_body = RouteRequest,
    params(("kind" = String, Path, description = "task kind")), security(("bearer" = [])),
    responses((status = 200, body = RouteResponse), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn set_route(
    State(s): State<AppState>,
    u: ApiUser,
    Path(kind): Path<String>,
    Json(req): Json<RouteRequest>,
) -> Result<Json<RouteResponse>, ApiError> {
    let desk = TaskDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let duties = desk
        .set_route(&kind, &req.duties)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(RouteResponse {
        kind: TaskKind::parse(&kind)
            .map(|k| k.code().to_string())
            .unwrap_or(kind),
        duties: duties.iter().map(|d| d.code().to_string()).collect(),
        default: req.duties.iter().all(|d| d.trim().is_empty()),
    }))
}

/// The routes of the task API.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(list_tasks, create_task))
        .routes(routes!(bulk))
        .routes(routes!(get_task, update_task))
        .routes(routes!(task_phones))
        .routes(routes!(routes_table))
        .routes(routes!(set_route))
}
