//! Checkpoints at compound gates (卡口值守) as JSON: the gates, their duty shifts, the
//! entry/exit register and its counts per gate and hour, through
//! `doorstep_app::checkpoints::CheckpointDesk`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use doorstep_app::checkpoints::{
    CheckpointDesk, GateCounts, HourRow, PassageInput, PassageView, ShiftInput,
};
use doorstep_core::Lang;
use doorstep_store::{Checkpoint, Shift};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiUser;
use super::dto::{List, rfc3339};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};

/// A gate.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckpointResponse {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The area it guards (path).
    pub area: String,
    /// Who set it up.
    pub created_by: String,
    /// When (RFC 3339).
    pub created_at: String,
}

impl From<&Checkpoint> for CheckpointResponse {
    fn from(c: &Checkpoint) -> Self {
        CheckpointResponse {
            id: c.id,
            name: c.name.clone(),
            area: c.area_path.to_string(),
            created_by: c.created_by.clone(),
            created_at: rfc3339(c.created_at),
        }
    }
}

/// A new gate.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct NewCheckpointBody {
    /// The area it guards (path), a compound usually.
    pub area: String,
    /// Its name (东门), unique in the area; at most 60 characters.
    pub name: String,
}

/// Which gates.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct AreaParams {
    /// The area (path); the caller's own when left out.
    pub area: String,
}

/// The gates under an area. `404` for an area outside the caller's.
#[utoipa::path(get, path = "/checkpoints", tag = "checkpoints", params(AreaParams),
    security(("bearer" = [])),
    responses((status = 200, body = List<CheckpointResponse>), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<AreaParams>,
) -> Result<Json<List<CheckpointResponse>>, ApiError> {
    let list = CheckpointDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .list(&q.area)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: list.len() as i64,
        items: list.iter().map(CheckpointResponse::from).collect(),
    }))
}

/// Sets up a gate (audited `checkpoint.create`): `201`; `409 checkpoint_name_unique` for a
/// name the area has; `404` outside the caller's area; `403` for a role that may not.
#[utoipa::path(post, path = "/checkpoints", tag = "checkpoints", request_body = NewCheckpointBody,
    security(("bearer" = [])),
    responses((status = 201, body = CheckpointResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    u: ApiUser,
    Json(b): Json<NewCheckpointBody>,
) -> Result<Response, ApiError> {
    let c = CheckpointDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .add(&b.area, &b.name)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok((StatusCode::CREATED, Json(CheckpointResponse::from(&c))).into_response())
}

/// A duty shift.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShiftResponse {
    /// Its task (kind `checkpoint_shift`).
    pub task_id: i64,
    /// The gate.
    pub checkpoint_id: i64,
    /// Start (RFC 3339).
    pub starts_at: String,
    /// End (RFC 3339), the task's due time.
    pub ends_at: String,
    /// Who holds it.
    pub assignee: Option<String>,
    /// The task's status.
    pub status: String,
}

impl From<&Shift> for ShiftResponse {
    fn from(s: &Shift) -> Self {
        ShiftResponse {
            task_id: s.task_id,
            checkpoint_id: s.checkpoint_id,
            starts_at: rfc3339(s.starts_at),
            ends_at: rfc3339(s.ends_at),
            assignee: s.assignee.clone(),
            status: s.status.code().into(),
        }
    }
}

/// A new duty shift.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct ShiftBody {
    /// The staff member on duty; left out: routed like any checkpoint-shift task.
    pub assignee_id: Option<i64>,
    /// Start: `YYYY-MM-DDTHH:MM` (China's time) or RFC 3339.
    pub starts: String,
    /// End, as the start: after it, at most 24 hours later.
    pub ends: String,
    /// What to heed.
    pub note: String,
}

/// A gate's shifts not ended 12 hours ago. `404` outside the caller's area.
#[utoipa::path(get, path = "/checkpoints/{id}/shifts", tag = "checkpoints",
    params(("id" = i64, Path, description = "the checkpoint")), security(("bearer" = [])),
    responses((status = 200, body = List<ShiftResponse>), (status = 404, body = ErrorBody)))]
pub async fn shifts(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<List<ShiftResponse>>, ApiError> {
    let list = CheckpointDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .shifts(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: list.len() as i64,
        items: list.iter().map(ShiftResponse::from).collect(),
    }))
}

/// Puts a staff member on duty at a gate: a `checkpoint_shift` task (audited `task.create`)
/// with its start. `201`; the same shift again answers the first; `404` outside the caller's
/// area; `403` for a role that may not manage checkpoints.
#[utoipa::path(post, path = "/checkpoints/{id}/shifts", tag = "checkpoints", request_body = ShiftBody,
    params(("id" = i64, Path, description = "the checkpoint")), security(("bearer" = [])),
    responses((status = 201, body = ShiftResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_shift(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Json(b): Json<ShiftBody>,
) -> Result<Response, ApiError> {
    let shift = CheckpointDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .add_shift(
            id,
            &ShiftInput {
                assignee_id: b.assignee_id,
                starts: b.starts,
                ends: b.ends,
                note: b.note,
            },
        )
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok((StatusCode::CREATED, Json(ShiftResponse::from(&shift))).into_response())
}

/// One passage through a gate, as the phone sends it.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct PassageBody {
    /// The device's id for this scan, 1–64 of `A-Za-z0-9_-`: a resend with the same id and
    /// body answers the first (200); the same id with another body is
    /// `409 idempotency_key_reused`.
    pub client_id: String,
    /// `resident`, `visitor`, `vehicle`; left out: a resident when `scan` is given, a vehicle
    /// when `plate` is, else a visitor.
    pub subject: String,
    /// A resident's ID number or personal code (个人码), as scanned.
    pub scan: String,
    /// A visitor's name.
    pub visitor_name: String,
    /// A vehicle's plate (豫A12345).
    pub plate: String,
    /// `in` or `out`.
    pub direction: String,
    /// Why (optional).
    pub reason: String,
    /// The temperature taken (optional), 35.0–42.0.
    pub temperature: String,
    /// For a refusal let through: who allowed it.
    pub allowed_by: String,
    /// For a refusal let through: why.
    pub exception_reason: String,
}

impl From<PassageBody> for PassageInput {
    fn from(b: PassageBody) -> Self {
        PassageInput {
            client_id: b.client_id,
            subject: b.subject,
            scan: b.scan,
            visitor_name: b.visitor_name,
            plate: b.plate,
            direction: b.direction,
            reason: b.reason,
            temperature: b.temperature,
            allowed_by: b.allowed_by,
            exception_reason: b.exception_reason,
        }
    }
}

/// A hold the register heeded.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldResponse {
    /// `home_quarantine`, `health_monitoring`, `central_quarantine`, `fever`.
    pub code: String,
    /// What the guard reads.
    pub message: String,
}

/// A recorded passage; names and ID numbers masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct PassageResponse {
    /// Its id.
    pub id: i64,
    /// The gate.
    pub checkpoint_id: i64,
    /// `resident`, `visitor`, `vehicle`.
    pub subject: String,
    /// A resident's file.
    pub person_id: Option<i64>,
    /// The name, masked (张*丰).
    pub name: Option<String>,
    /// A resident's ID number, masked.
    pub id_number: Option<String>,
    /// A resident's address.
    pub address: Option<String>,
    /// A vehicle's plate.
    pub plate: Option<String>,
    /// `in` or `out`.
    pub direction: String,
    /// Why.
    pub reason: String,
    /// As read, e.g. `36.5`.
    pub temperature: Option<String>,
    /// `passed`, `warned`, `refused` (劝返: not let through), `allowed` (an exception).
    pub verdict: String,
    /// What the verdict heeded.
    pub holds: Vec<HoldResponse>,
    /// An exception: who allowed it.
    pub allowed_by: Option<String>,
    /// An exception: why.
    pub exception_reason: Option<String>,
    /// The user who recorded it.
    pub recorded_by: String,
    /// When (RFC 3339).
    pub at: String,
}

impl PassageResponse {
    /// The answer for a passage.
    pub fn of(v: &PassageView, lang: Lang) -> Self {
        let p = &v.passage;
        PassageResponse {
            id: p.id,
            checkpoint_id: p.checkpoint_id,
            subject: p.subject.code().into(),
            person_id: p.person_id,
            name: p.name.clone(),
            id_number: p.id_number.clone(),
            address: p.address.clone(),
            plate: p.plate.clone(),
            direction: p.direction.code().into(),
            reason: p.reason.clone(),
            temperature: v.temperature.clone(),
            verdict: p.verdict.code().into(),
            holds: p
                .holds
                .iter()
                .map(|h| HoldResponse {
                    code: h.code().into(),
                    message: h.label(lang).into(),
                })
                .collect(),
            allowed_by: p.allowed_by.clone(),
            exception_reason: p.exception_reason.clone(),
            recorded_by: p.recorded_by.clone(),
            at: rfc3339(p.at),
        }
    }
}

/// Records a passage at a gate: `201` with the verdict — `refused` (not let through, audited
/// `checkpoint.refused`) for a resident in active home quarantine going out unless
/// `allowed_by` and `exception_reason` are given (`allowed`, audited `checkpoint.exception`);
/// `warned` for monitoring, central quarantine or a fever. A resend answers `200` with the
/// first. `422` names the field (`scan`: `person_not_on_file` — note them as a visitor);
/// `404` outside the caller's area; `403` for a role that may not guard gates.
#[utoipa::path(post, path = "/checkpoints/{id}/passages", tag = "checkpoints",
    request_body = PassageBody,
    params(("id" = i64, Path, description = "the checkpoint")), security(("bearer" = [])),
    responses((status = 201, body = PassageResponse), (status = 200, body = PassageResponse),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Json(b): Json<PassageBody>,
) -> Result<Response, ApiError> {
    let done = CheckpointDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .register(id, &b.into())
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    let status = if done.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(PassageResponse::of(&done.view, u.lang))).into_response())
}

/// A gate's latest passages (50), newest first, masked. `404` outside the caller's area.
#[utoipa::path(get, path = "/checkpoints/{id}/passages", tag = "checkpoints",
    params(("id" = i64, Path, description = "the checkpoint")), security(("bearer" = [])),
    responses((status = 200, body = List<PassageResponse>), (status = 404, body = ErrorBody)))]
pub async fn passages(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<List<PassageResponse>>, ApiError> {
    let list = CheckpointDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .passages(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: list.len() as i64,
        items: list
            .iter()
            .map(|v| PassageResponse::of(v, u.lang))
            .collect(),
    }))
}

/// Which day's counts.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct CountParams {
    /// The area (path); the caller's own when left out.
    pub area: String,
    /// `YYYY-MM-DD` (China's day); today when left out.
    pub date: String,
}

/// One hour's counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct HourCountResponse {
    /// 0–23, China's time (the total's is `null`).
    pub hour: Option<u8>,
    /// Let in.
    pub entered: i64,
    /// Let out.
    pub left: i64,
    /// Refused (劝返).
    pub refused: i64,
    /// Of those let through, exceptions.
    pub allowed: i64,
}

impl HourCountResponse {
    fn of(h: &HourRow, hour: Option<u8>) -> Self {
        HourCountResponse {
            hour,
            entered: h.entered,
            left: h.left,
            refused: h.refused,
            allowed: h.allowed,
        }
    }
}

/// One gate's day.
#[derive(Debug, Serialize, ToSchema)]
pub struct GateCountResponse {
    /// The gate.
    pub checkpoint: CheckpointResponse,
    /// Hours with any passage, in order.
    pub hours: Vec<HourCountResponse>,
    /// The day's totals.
    pub total: HourCountResponse,
}

/// The counts of a day.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountsResponse {
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// Every gate under the area.
    pub gates: Vec<GateCountResponse>,
}

impl GateCountResponse {
    fn of(g: &GateCounts) -> Self {
        GateCountResponse {
            checkpoint: CheckpointResponse::from(&g.checkpoint),
            hours: g
                .hours
                .iter()
                .map(|h| HourCountResponse::of(h, Some(h.hour)))
                .collect(),
            total: HourCountResponse::of(&g.total, None),
        }
    }
}

/// Passages per gate and hour of a day (China's time): in, out, refused, exceptions.
/// `404` for an area outside the caller's; `422` for a date that does not read.
#[utoipa::path(get, path = "/checkpoints/counts", tag = "checkpoints", params(CountParams),
    security(("bearer" = [])),
    responses((status = 200, body = CountsResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn counts(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<CountParams>,
) -> Result<Json<CountsResponse>, ApiError> {
    let (day, gates) = CheckpointDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .counts(&q.area, &q.date)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(CountsResponse {
        date: day.to_string(),
        gates: gates.iter().map(GateCountResponse::of).collect(),
    }))
}

/// The routes.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(counts))
        .routes(routes!(shifts, add_shift))
        .routes(routes!(register, passages))
}
