//! Peacetime ↔ emergency (平急转换) and retention as JSON, through `doorstep_app::emergency`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use doorstep_app::emergency::retention::{RetentionDesk, RetentionItem, RetentionReport, Standing};
use doorstep_app::emergency::{EmergencyDesk, EndInput, MemberInput, StartInput, running_near};
use doorstep_store::Emergency;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiUser;
use super::dto::{List, rfc3339};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};

/// A member of a task force.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct MemberBody {
    /// The force: `info_check` (信息核查), `duty` (防控值守), `disinfection` (消毒消杀),
    /// `service` (服务保障).
    pub force: String,
    /// The staff member's id.
    pub staff_id: i64,
    /// Their name (in answers).
    #[serde(skip_deserializing)]
    pub name: String,
}

/// A switch into emergency mode.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct StartRequest {
    /// The community's path.
    pub area: String,
    /// The first day, `YYYY-MM-DD` (blank: today; not in the future).
    pub started_on: String,
    /// Why (required, at most 200 characters).
    pub reason: String,
    /// The task forces' members.
    pub members: Vec<MemberBody>,
}

/// A switch back to peacetime.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct EndRequest {
    /// The last day, `YYYY-MM-DD` (blank: today).
    pub ended_on: String,
    /// A note.
    pub note: String,
    /// Days the emergency's personal data is kept after the last day (1–3650; blank: 30).
    pub retention_days: String,
}

/// An emergency, running or ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmergencyResponse {
    /// Its id.
    pub id: i64,
    /// The community's path.
    pub area: String,
    /// Running now.
    pub running: bool,
    /// The first day.
    pub started_on: String,
    /// The last day (ended ones).
    pub ended_on: Option<String>,
    /// Why.
    pub reason: String,
    /// Who switched in, when (RFC 3339).
    pub started_by: String,
    /// When.
    pub started_at: String,
    /// Who switched back.
    pub ended_by: Option<String>,
    /// The note given then.
    pub end_note: Option<String>,
    /// Days its personal data is kept after the last day.
    pub retention_days: u16,
    /// The task forces' members.
    pub members: Vec<MemberBody>,
}

impl From<&Emergency> for EmergencyResponse {
    fn from(e: &Emergency) -> Self {
        EmergencyResponse {
            id: e.id,
            area: e.area_path.as_str().to_string(),
            running: e.ended.is_none(),
            started_on: e.started_on.to_string(),
            ended_on: e.ended.as_ref().map(|x| x.on.to_string()),
            reason: e.reason.clone(),
            started_by: e.started_by.clone(),
            started_at: rfc3339(e.started_at),
            ended_by: e.ended.as_ref().map(|x| x.by.clone()),
            end_note: e.ended.as_ref().map(|x| x.note.clone()),
            retention_days: e.retention.days(),
            members: e
                .members
                .iter()
                .map(|m| MemberBody {
                    force: m.force.code().to_string(),
                    staff_id: m.staff_id,
                    name: m.name.clone(),
                })
                .collect(),
        }
    }
}

/// Which area.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct AreaQuery {
    /// The area (path); the caller's own when left out.
    pub area: String,
}

/// The emergencies of an area and below, running first (the history). `404` outside the
/// caller's area.
#[utoipa::path(get, path = "/emergencies", tag = "emergency", params(AreaQuery),
    security(("bearer" = [])),
    responses((status = 200, body = List<EmergencyResponse>), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<AreaQuery>,
) -> Result<Json<List<EmergencyResponse>>, ApiError> {
    let all = EmergencyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .list(&q.area)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: all.len() as i64,
        items: all.iter().map(EmergencyResponse::from).collect(),
    }))
}

/// The mode of the caller's area: the emergencies running on it, above it or below it (empty:
/// peacetime).
#[utoipa::path(get, path = "/emergencies/mode", tag = "emergency",
    security(("bearer" = [])),
    responses((status = 200, body = List<EmergencyResponse>)))]
pub async fn mode(
    State(s): State<AppState>,
    u: ApiUser,
) -> Result<Json<List<EmergencyResponse>>, ApiError> {
    let all = running_near(s.store.as_ref(), &u.who)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: all.len() as i64,
        items: all.iter().map(EmergencyResponse::from).collect(),
    }))
}

/// Switches a community into emergency mode (平急转换) with its task forces, audited.
/// `409 emergency_running` when it is already; `404` outside the caller's area; `403` below
/// community admin; `422` names the field (an area that is not a community is refused as
/// `area`, an unknown staff member as `members[i].staff`).
#[utoipa::path(post, path = "/emergencies", tag = "emergency", request_body = StartRequest,
    security(("bearer" = [])),
    responses((status = 201, body = EmergencyResponse), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start(
    State(s): State<AppState>,
    u: ApiUser,
    Json(req): Json<StartRequest>,
) -> Result<(StatusCode, Json<EmergencyResponse>), ApiError> {
    let input = StartInput {
        area: req.area,
        started_on: req.started_on,
        reason: req.reason,
        members: req
            .members
            .into_iter()
            .map(|m| (m.force, m.staff_id))
            .collect(),
    };
    let e = EmergencyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .start(&input)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok((StatusCode::CREATED, Json(EmergencyResponse::from(&e))))
}

/// Switches the community back to peacetime, audited; an ended emergency answers as it is.
#[utoipa::path(post, path = "/emergencies/{id}/end", tag = "emergency", request_body = EndRequest,
    params(("id" = i64, Path, description = "the emergency's id")),
    security(("bearer" = [])),
    responses((status = 200, body = EmergencyResponse), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn end(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<EndRequest>,
) -> Result<Json<EmergencyResponse>, ApiError> {
    let input = EndInput {
        ended_on: req.ended_on,
        note: req.note,
        retention_days: req.retention_days,
    };
    let e = EmergencyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .end(id, &input)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(EmergencyResponse::from(&e)))
}

/// Adds a member to a running emergency's task force (`force`, `staff_id`: staff of the
/// community or of the areas above it), audited (`emergency.member_add`); one who is there
/// already changes nothing. `404` outside the caller's area; `403` for a role that may not
/// switch the mode; `409 emergency_ended` once it ended; `422` at `force` or `staff_id`.
#[utoipa::path(post, path = "/emergencies/{id}/members", tag = "emergency", request_body = MemberBody,
    params(("id" = i64, Path, description = "the emergency's id")),
    security(("bearer" = [])),
    responses((status = 200, body = EmergencyResponse), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_member(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<MemberBody>,
) -> Result<Json<EmergencyResponse>, ApiError> {
    change_member(&s, &u, id, req.force, req.staff_id, true).await
}

/// Which task force.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct ForceQuery {
    /// The force: `info_check`, `duty`, `disinfection` or `service`.
    pub force: String,
}

/// Removes a member from a running emergency's task force, audited
/// (`emergency.member_remove`); one who is not there changes nothing. Answers as adding does.
#[utoipa::path(delete, path = "/emergencies/{id}/members/{staff_id}", tag = "emergency",
    params(("id" = i64, Path, description = "the emergency's id"),
        ("staff_id" = i64, Path, description = "the staff member's id"), ForceQuery),
    security(("bearer" = [])),
    responses((status = 200, body = EmergencyResponse), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn remove_member(
    State(s): State<AppState>,
    u: ApiUser,
    Path((id, staff_id)): Path<(i64, i64)>,
    Query(q): Query<ForceQuery>,
) -> Result<Json<EmergencyResponse>, ApiError> {
    change_member(&s, &u, id, q.force, staff_id, false).await
}

async fn change_member(
    s: &AppState,
    u: &ApiUser,
    id: i64,
    force: String,
    staff_id: i64,
    add: bool,
) -> Result<Json<EmergencyResponse>, ApiError> {
    let input = MemberInput {
        force,
        staff_id,
        add,
    };
    let e = EmergencyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .change_member(id, &input)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(EmergencyResponse::from(&e)))
}

/// Rows of one kind.
#[derive(Debug, Serialize, ToSchema)]
pub struct KindCount {
    /// `self_reports`, `checkins`, `call_outcomes`, `checkpoint_passages`, `test_results`.
    pub kind: String,
    /// `anonymise` or `delete`.
    pub treatment: String,
    /// Rows.
    pub rows: i64,
}

/// One emergency in a retention preview or run.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionItemResponse {
    /// The emergency's id.
    pub emergency: i64,
    /// Its community.
    pub area: String,
    /// `running` (never touched), `kept` (its period is not over) or `due`.
    pub standing: String,
    /// The first day its data may go (ended ones).
    pub purge_from: Option<String>,
    /// Rows per kind: to treat (dry run), treated (run).
    pub counts: Vec<KindCount>,
}

/// A retention preview or run.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionResponse {
    /// The area (empty: everywhere).
    pub area: String,
    /// Whether this only counted.
    pub dry_run: bool,
    /// Rows per kind over every emergency.
    pub totals: Vec<KindCount>,
    /// Each emergency of the area.
    pub emergencies: Vec<RetentionItemResponse>,
}

fn kind_counts(counts: &[(doorstep_core::emergency::RetentionKind, i64)]) -> Vec<KindCount> {
    counts
        .iter()
        .map(|(k, n)| KindCount {
            kind: k.code().to_string(),
            treatment: match k.treatment() {
                doorstep_core::emergency::Treatment::Anonymise => "anonymise",
                doorstep_core::emergency::Treatment::Delete => "delete",
            }
            .to_string(),
            rows: *n,
        })
        .collect()
}

impl From<&RetentionItem> for RetentionItemResponse {
    fn from(i: &RetentionItem) -> Self {
        RetentionItemResponse {
            emergency: i.emergency.id,
            area: i.emergency.area_path.as_str().to_string(),
            standing: match i.standing {
                Standing::Running => "running",
                Standing::Kept(_) => "kept",
                Standing::Due => "due",
            }
            .to_string(),
            purge_from: i.purge_from.map(|d| d.to_string()),
            counts: kind_counts(&i.counts),
        }
    }
}

impl From<&RetentionReport> for RetentionResponse {
    fn from(r: &RetentionReport) -> Self {
        RetentionResponse {
            area: r
                .area
                .as_ref()
                .map(|a| a.as_str().to_string())
                .unwrap_or_default(),
            dry_run: r.dry_run,
            totals: kind_counts(&r.totals()),
            emergencies: r.items.iter().map(RetentionItemResponse::from).collect(),
        }
    }
}

/// What a retention run over an area would anonymise or delete, per emergency and kind;
/// nothing changes. `403` below community admin.
#[utoipa::path(get, path = "/retention/preview", tag = "emergency", params(AreaQuery),
    security(("bearer" = [])),
    responses((status = 200, body = RetentionResponse), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn preview(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<AreaQuery>,
) -> Result<Json<RetentionResponse>, ApiError> {
    let r = RetentionDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .preview(&q.area)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(RetentionResponse::from(&r)))
}

/// A retention run.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct RunRequest {
    /// The area (path); the caller's own when blank.
    pub area: String,
    /// Only count.
    pub dry_run: bool,
}

/// Anonymises or deletes the personal data of the area's emergencies whose retention period
/// is over (never a running one's, never the registry), in batches, audited
/// (`retention.run` with the counts). Safe to run again: a second run treats nothing.
#[utoipa::path(post, path = "/retention/run", tag = "emergency", request_body = RunRequest,
    security(("bearer" = [])),
    responses((status = 200, body = RetentionResponse), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn run(
    State(s): State<AppState>,
    u: ApiUser,
    Json(req): Json<RunRequest>,
) -> Result<Json<RetentionResponse>, ApiError> {
    let r = RetentionDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .run(&req.area, req.dry_run)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(RetentionResponse::from(&r)))
}

/// The routes.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(list, start))
        .routes(routes!(mode))
        .routes(routes!(end))
        .routes(routes!(add_member))
        .routes(routes!(remove_member))
        .routes(routes!(preview))
        .routes(routes!(run))
}
