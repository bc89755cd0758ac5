//! Sealed areas (封控) as JSON: seal a compound, building or unit with a reason, lift it, list
//! the seals of an area, through `doorstep_app::seals`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use doorstep_app::seals::SealDesk;
use doorstep_store::Seal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiUser;
use super::dto::{List, rfc3339};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};

/// A seal to make.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct SealRequest {
    /// The area's path: a compound, building or unit.
    pub area: String,
    /// Why (required, at most 200 characters).
    pub reason: String,
}

/// A seal, active or lifted.
#[derive(Debug, Serialize, ToSchema)]
pub struct SealResponse {
    /// Its id.
    pub id: i64,
    /// The area's path.
    pub area: String,
    /// Why.
    pub reason: String,
    /// Who sealed it.
    pub sealed_by: String,
    /// When (RFC 3339).
    pub sealed_at: String,
    /// Still in force.
    pub active: bool,
    /// Who lifted it.
    pub lifted_by: Option<String>,
    /// When (RFC 3339).
    pub lifted_at: Option<String>,
}

impl From<&Seal> for SealResponse {
    fn from(s: &Seal) -> Self {
        SealResponse {
            id: s.id,
            area: s.area_path.as_str().to_string(),
            reason: s.reason.clone(),
            sealed_by: s.sealed_by.clone(),
            sealed_at: rfc3339(s.sealed_at),
            active: s.lifted.is_none(),
            lifted_by: s.lifted.as_ref().map(|(by, _)| by.clone()),
            lifted_at: s.lifted.as_ref().map(|(_, at)| rfc3339(*at)),
        }
    }
}

/// Which seals.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct SealQuery {
    /// The area (path); the caller's own when left out.
    pub area: String,
    /// Lifted seals too.
    pub all: bool,
}

/// The seals of an area and below, active first (at most 500). `404` for an area outside the
/// caller's.
#[utoipa::path(get, path = "/seals", tag = "quarantine", params(SealQuery),
    security(("bearer" = [])),
    responses((status = 200, body = List<SealResponse>), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<SealQuery>,
) -> Result<Json<List<SealResponse>>, ApiError> {
    let seals = SealDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .list(&q.area, !q.all)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: seals.len() as i64,
        items: seals.iter().map(SealResponse::from).collect(),
    }))
}

/// Seals a compound, building or unit (封控), audited. `409 area_sealed` when it is sealed
/// already; `404` outside the caller's area; `403` below community admin; `422` names the
/// field (a community or larger is refused as `area`).
#[utoipa::path(post, path = "/seals", tag = "quarantine", request_body = SealRequest,
    security(("bearer" = [])),
    responses((status = 201, body = SealResponse), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn seal(
    State(s): State<AppState>,
    u: ApiUser,
    Json(req): Json<SealRequest>,
) -> Result<(StatusCode, Json<SealResponse>), ApiError> {
    let seal = SealDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .seal(&req.area, &req.reason)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok((StatusCode::CREATED, Json(SealResponse::from(&seal))))
}

/// Lifts a seal, audited; a lifted one answers as it is.
#[utoipa::path(post, path = "/seals/{id}/lift", tag = "quarantine",
    params(("id" = i64, Path, description = "the seal's id")),
    security(("bearer" = [])),
    responses((status = 200, body = SealResponse), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn lift(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<SealResponse>, ApiError> {
    let seal = SealDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .lift(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(SealResponse::from(&seal)))
}

/// The routes.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(list, seal))
        .routes(routes!(lift))
}
