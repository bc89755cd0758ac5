//! Supplies and services requests (后勤供给) as JSON: the household's own through its check-in
//! link (`/api/v1/public/checkins/{token}/supplies`, no login, behind the public limits), a
//! worker's for a household, the area's list and cancelling, through `doorstep_app::supplies`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use doorstep_app::daily::DayFilter;
use doorstep_app::supplies::{self, Filed, SupplyDesk, SupplyInput};
use doorstep_core::Lang;
use doorstep_store::SupplyRequest;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiUser;
use super::dto::{List, rfc3339};
use crate::AppState;
use crate::context::{ReqCtx, ReqLang};
use crate::error::{ApiError, ErrorBody};

/// A request for supplies or a service.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct SupplyRequestBody {
    /// Chosen by the client, 1–64 of `A-Za-z0-9_-`: a resend with the same key and body
    /// stores nothing new and answers the first request (200); the same key with another body
    /// is `409 idempotency_key_reused`.
    pub idempotency_key: String,
    /// `food`, `medicine`, `medical_visit`, `garbage`, `other`.
    pub kind: String,
    /// What and how much; the medicine's name (required for `medicine`); what is needed
    /// (required for `other`). At most 200 characters.
    pub detail: String,
    /// `normal` (default) or `urgent`.
    pub urgency: String,
}

impl From<SupplyRequestBody> for SupplyInput {
    fn from(b: SupplyRequestBody) -> Self {
        SupplyInput {
            idempotency_key: b.idempotency_key,
            kind: b.kind,
            detail: b.detail,
            urgency: b.urgency,
        }
    }
}

/// A stored request and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplyResponse {
    /// Its id.
    pub id: i64,
    /// The household.
    pub household_id: i64,
    /// Its address.
    pub address: String,
    /// `food`, `medicine`, `medical_visit`, `garbage`, `other`.
    pub kind: String,
    /// The detail.
    pub detail: String,
    /// `normal` or `urgent`.
    pub urgency: String,
    /// `requested`, `assigned`, `delivered`, `cancelled` (read from the delivery task).
    pub status: String,
    /// Still open past its deadline.
    pub overdue: bool,
    /// When asked (RFC 3339).
    pub created_at: String,
    /// When it becomes overdue.
    pub due_at: String,
    /// Who filed it: a worker's user name; `null` for the household's own.
    pub asked_by: Option<String>,
    /// The delivery task (staff answers only).
    pub task_id: Option<i64>,
    /// Who holds the task (staff answers only).
    pub assignee: Option<String>,
    /// Delivered or cancelled: who (staff answers only) and when.
    pub closed_by: Option<String>,
    /// Delivered or cancelled: when (RFC 3339).
    pub closed_at: Option<String>,
    /// Cancelled: why.
    pub reason: Option<String>,
}

impl SupplyResponse {
    /// The answer; `public` leaves out the staff's names and the task.
    pub fn of(r: &SupplyRequest, now: OffsetDateTime, public: bool, lang: Lang) -> Self {
        let status = r.status();
        let closed = !status.is_open();
        let task = r.task.as_ref();
        SupplyResponse {
            id: r.id,
            household_id: r.household_id,
            address: r.address.clone(),
            kind: r.kind.code().into(),
            detail: r.detail.clone(),
            urgency: r.urgency.code().into(),
            status: status.code().into(),
            overdue: supplies::overdue(r, now),
            created_at: rfc3339(r.created_at),
            due_at: rfc3339(r.due_at),
            asked_by: if public { None } else { r.asked_by.clone() },
            task_id: task.filter(|_| !public).map(|t| t.id),
            assignee: task.filter(|_| !public).and_then(|t| t.assignee.clone()),
            closed_by: task
                .filter(|_| closed && !public)
                .and_then(|t| t.closed_by.clone()),
            closed_at: task.filter(|_| closed).map(|t| rfc3339(t.updated_at)),
            reason: (status == doorstep_core::supplies::SupplyStatus::Cancelled)
                .then(|| reason(r, lang))
                .flatten(),
        }
    }
}

/// Why a request was cancelled, in words: the task's reason, or its outcome (nobody home,
/// not needed) with its note.
pub fn reason(r: &SupplyRequest, lang: Lang) -> Option<String> {
    let t = r.task.as_ref()?;
    let outcome = t
        .outcome
        .as_deref()
        .map(|o| doorstep_core::TaskKind::Delivery.outcome_label(o, lang));
    Some(
        [outcome.unwrap_or_default(), t.outcome_note.clone()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · "),
    )
}

fn filed(f: &Filed, now: OffsetDateTime, public: bool, lang: Lang) -> Response {
    let status = if f.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    (
        status,
        Json(SupplyResponse::of(&f.request, now, public, lang)),
    )
        .into_response()
}

/// The household's requests through its check-in link, newest first. `404` for an unknown
/// token or when every episode of the household is over.
#[utoipa::path(get, path = "/public/checkins/{token}/supplies", tag = "quarantine",
    params(("token" = String, Path, description = "the household's check-in token")),
    responses((status = 200, body = List<SupplyResponse>), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn public_list(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    ReqCtx(ctx): ReqCtx,
    Path(token): Path<String>,
) -> Result<Json<List<SupplyResponse>>, ApiError> {
    let (_, list) = supplies::of_token(s.store.as_ref(), &ctx, &token)
        .await
        .map_err(|e| super::checkins::public_error(e, lang))?;
    Ok(Json(List {
        total: list.len() as i64,
        items: list
            .iter()
            .map(|r| SupplyResponse::of(r, ctx.now(), true, lang))
            .collect(),
    }))
}

/// A household asks for supplies or a service (后勤供给) through its check-in link: `201`
/// with the request, which becomes a delivery task for the building's worker; a resend with
/// the same key answers `200` with the first; `422` names the field; `404` as for `GET`.
#[utoipa::path(post, path = "/public/checkins/{token}/supplies", tag = "quarantine",
    request_body = SupplyRequestBody,
    params(("token" = String, Path, description = "the household's check-in token")),
    responses((status = 201, body = SupplyResponse), (status = 200, body = SupplyResponse),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn public_ask(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    ReqCtx(ctx): ReqCtx,
    Path(token): Path<String>,
    body: Result<Json<SupplyRequestBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::from_json_rejection(e, lang))?;
    let done = supplies::ask_by_token(s.store.as_ref(), &ctx, &token, &body.into())
        .await
        .map_err(|e| super::checkins::public_error(e, lang))?;
    Ok(filed(&done, ctx.now(), true, lang))
}

/// A worker files a request for a household in an at-home episode (audited). Answers as the
/// public request does; `404` outside the caller's area or for a household with no active
/// at-home episode; `403` for a role that may not record check-ins.
#[utoipa::path(post, path = "/households/{id}/supplies", tag = "quarantine",
    request_body = SupplyRequestBody,
    params(("id" = i64, Path, description = "the household's file id")),
    security(("bearer" = [])),
    responses((status = 201, body = SupplyResponse), (status = 200, body = SupplyResponse),
        (status = 404, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn file_for_household(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<SupplyRequestBody>,
) -> Result<Response, ApiError> {
    let done = SupplyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .file(id, &req.into())
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(filed(&done, u.ctx.now(), false, u.lang))
}

/// Which requests.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct SupplyQueryParams {
    /// The area (path); the caller's own when left out.
    pub area: String,
    /// `open` (default: requested or assigned), `overdue`, `all`, or one status:
    /// `requested`, `assigned`, `delivered`, `cancelled`.
    pub status: String,
    /// A China day, `YYYY-MM-DD`: only the requests asked that day (the daily report's
    /// `supplies.requested`), or with `on=delivered` delivered that day (`supplies.delivered`).
    pub day: String,
    /// With `day`: `requested` (default) or `delivered`.
    pub on: String,
}

/// The requests of households under an area, overdue first, then the soonest due (at most
/// 500). `404` for an area outside the caller's; `422` at `day` or `on` for a day that does
/// not read or an unknown `on`.
#[utoipa::path(get, path = "/supplies", tag = "quarantine", params(SupplyQueryParams),
    security(("bearer" = [])),
    responses((status = 200, body = List<SupplyResponse>), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<SupplyQueryParams>,
) -> Result<Json<List<SupplyResponse>>, ApiError> {
    let list = SupplyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .list(
            &q.area,
            &q.status,
            &DayFilter {
                day: q.day.clone(),
                on: q.on.clone(),
            },
        )
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    let now = u.ctx.now();
    Ok(Json(List {
        total: list.len() as i64,
        items: list
            .iter()
            .map(|r| SupplyResponse::of(r, now, false, u.lang))
            .collect(),
    }))
}

/// Why a request is cancelled.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct CancelBody {
    /// The reason (required, at most 200 characters).
    pub reason: String,
}

/// Cancels an open request with a reason: its delivery task is cancelled (audited as
/// `task.cancel`). `409 task_closed` for a delivered or cancelled one; `404` outside the
/// caller's area; `403` for a role that may not manage tasks.
#[utoipa::path(post, path = "/supplies/{id}/cancel", tag = "quarantine", request_body = CancelBody,
    params(("id" = i64, Path, description = "the request's id")),
    security(("bearer" = [])),
    responses((status = 200, body = SupplyResponse), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cancel(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<CancelBody>,
) -> Result<Json<SupplyResponse>, ApiError> {
    let r = SupplyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .cancel(id, &req.reason)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(SupplyResponse::of(&r, u.ctx.now(), false, u.lang)))
}

/// The public routes (registered behind the public limits).
pub fn public_routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new().routes(routes!(public_list, public_ask))
}

/// The staff routes.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(file_for_household))
        .routes(routes!(cancel))
}
