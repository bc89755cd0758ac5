//! Episodes of home quarantine and health monitoring as JSON (`/api/v1/episodes`), through
//! `doorstep_app::quarantine::QuarantineDesk`.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use doorstep_app::quarantine::{EpisodeForm, QuarantineDesk};
use doorstep_store::Episode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiUser;
use super::dto::{List, Paging, rfc3339};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};

/// An episode.
#[derive(Debug, Serialize, ToSchema)]
pub struct EpisodeResponse {
    /// Its id.
    pub id: i64,
    /// The person's file id.
    pub person_id: i64,
    /// The person's name.
    pub name: String,
    /// The household's file id.
    pub household_id: i64,
    /// The household's address.
    pub address: String,
    /// `home_quarantine`, `home_health_monitoring` or `central_quarantine`.
    pub measure: String,
    /// Why.
    pub reason: String,
    /// The policy followed, as `key@version` (e.g. `ninth_edition@1`).
    pub policy: String,
    /// Day 1 (YYYY-MM-DD, China's date).
    pub starts_on: String,
    /// The last day.
    pub last_day: String,
    /// The planned end (RFC 3339): midnight after the last day, China's time.
    pub planned_end: String,
    /// `active`.
    pub status: String,
}

impl From<&Episode> for EpisodeResponse {
    fn from(e: &Episode) -> Self {
        EpisodeResponse {
            id: e.id,
            person_id: e.person_id,
            name: e.name.clone(),
            household_id: e.household_id,
            address: e.address.clone(),
            measure: e.measure.code().into(),
            reason: e.reason.clone(),
            policy: format!("{}@{}", e.policy_key, e.policy_version),
            starts_on: e.starts_on.to_string(),
            last_day: e.last_day.to_string(),
            planned_end: rfc3339(e.ends_at),
            status: e.status.clone(),
        }
    }
}

/// An episode to start.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EpisodeRequest {
    /// The person's file id (or give `id_number`).
    pub person_id: Option<i64>,
    /// The person's resident ID number.
    #[serde(default)]
    pub id_number: String,
    /// The whole household at once (also when the policy includes co-residents).
    #[serde(default)]
    pub household: bool,
    /// `home_quarantine`, `home_health_monitoring` or `central_quarantine`.
    pub measure: String,
    /// Why: close contact, risk-place visit, returnee, sealed building …
    pub reason: String,
    /// Day 1 (YYYY-MM-DD, China's date); today when left out.
    #[serde(default)]
    pub start: String,
    /// The policy's key: `ninth_edition` (default) or `nov_2022`.
    #[serde(default)]
    pub policy: String,
}

/// Which episodes.
#[derive(Debug, Deserialize, IntoParams)]
pub struct EpisodeQuery {
    /// The area (path); the caller's own when left out.
    pub area: Option<String>,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Rows per page, 1–200 (default 20).
    pub per_page: Option<u32>,
}

/// Starts episodes: the person's, or every household member's. 201 with the episodes; 409
/// `episode_overlap` when someone is already under the measure on those days; 422 with the
/// field; 404 a person outside the caller's area.
#[utoipa::path(post, path = "/episodes", tag = "quarantine", request_body = EpisodeRequest,
    security(("bearer" = [])),
    responses((status = 201, body = List<EpisodeResponse>), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn start_episodes(
    State(s): State<AppState>,
    u: ApiUser,
    Json(req): Json<EpisodeRequest>,
) -> Result<(StatusCode, Json<List<EpisodeResponse>>), ApiError> {
    let form = EpisodeForm {
        person_id: req.person_id,
        id_number: req.id_number,
        household: req.household,
        measure: req.measure,
        reason: req.reason,
        start: req.start,
        policy: req.policy,
    };
    let done = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .start(&form)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok((
        StatusCode::CREATED,
        Json(List {
            total: done.len() as i64,
            items: done.iter().map(EpisodeResponse::from).collect(),
        }),
    ))
}

/// The episodes of persons living in an area, active first, each with its planned end.
#[utoipa::path(get, path = "/episodes", tag = "quarantine", params(EpisodeQuery),
    security(("bearer" = [])),
    responses((status = 200, body = List<EpisodeResponse>), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_episodes(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<EpisodeQuery>,
) -> Result<Json<List<EpisodeResponse>>, ApiError> {
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
    };
    let page = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .list(q.area.as_deref(), paging.request())
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: page.total,
        items: page.items.iter().map(EpisodeResponse::from).collect(),
    }))
}

/// The routes.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new().routes(routes!(list_episodes, start_episodes))
}
