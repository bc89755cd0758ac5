//! The worker's day and the area's quarantine overview as JSON (`/api/v1/quarantine/…`).

use axum::Json;
use axum::extract::{Query, State};
use doorstep_app::quarantine::QuarantineDesk;
use doorstep_core::quarantine::Measure;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiUser;
use super::episodes::EpisodeResponse;
use super::tasks::TaskResponse;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};

/// A worker's day.
#[derive(Debug, Serialize, ToSchema)]
pub struct TodayResponse {
    /// Follow-ups of abnormal or missed check-ins and missed tests, most urgent first.
    pub followups: Vec<TaskResponse>,
    /// Home sampling, in walking order.
    pub sampling: Vec<TaskResponse>,
    /// Deliveries.
    pub deliveries: Vec<TaskResponse>,
    /// Episodes of the area whose last day is today or tomorrow.
    pub releases: Vec<EpisodeResponse>,
}

/// The signed-in worker's day of quarantine and monitoring: my follow-ups, home sampling and
/// deliveries, and the releases due in my area.
#[utoipa::path(get, path = "/quarantine/today", tag = "quarantine",
    security(("bearer" = [])),
    responses((status = 200, body = TodayResponse), (status = 403, body = ErrorBody)))]
pub async fn today(State(s): State<AppState>, u: ApiUser) -> Result<Json<TodayResponse>, ApiError> {
    let day = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .today()
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    let tasks = |l: &[doorstep_store::Task]| l.iter().map(TaskResponse::from).collect();
    Ok(Json(TodayResponse {
        followups: tasks(&day.followups),
        sampling: tasks(&day.sampling),
        deliveries: tasks(&day.deliveries),
        releases: day.releases.iter().map(EpisodeResponse::from).collect(),
    }))
}

/// Which area.
#[derive(Debug, Deserialize, IntoParams)]
pub struct OverviewQuery {
    /// The area (path); the caller's own when left out.
    pub area: Option<String>,
}

/// One measure.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeasureCounts {
    /// `home_quarantine`, `home_health_monitoring`, `central_quarantine`.
    pub measure: String,
    /// Persons in their days today (at-home measures).
    pub in_days: i64,
    /// Episodes by status.
    pub active: i64,
    /// See `active`.
    pub released: i64,
    /// See `active`.
    pub transferred: i64,
}

/// An area's overview.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverviewResponse {
    /// The area.
    pub area: String,
    /// By measure.
    pub measures: Vec<MeasureCounts>,
    /// Check-in windows filled today (one per person and window).
    pub windows_done: i64,
    /// Check-in windows opened so far today.
    pub windows_due: i64,
    /// Active episodes whose last day is today.
    pub ending_today: i64,
    /// Open monitoring alerts (at most 1,000 counted).
    pub alerts_open: usize,
}

/// The overview of an area's quarantine and monitoring today. `404` outside the caller's area.
#[utoipa::path(get, path = "/quarantine/overview", tag = "quarantine", params(OverviewQuery),
    security(("bearer" = [])),
    responses((status = 200, body = OverviewResponse), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn overview(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<OverviewQuery>,
) -> Result<Json<OverviewResponse>, ApiError> {
    let o = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .overview(q.area.as_deref())
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(OverviewResponse {
        area: o.area.as_ref().map(|a| a.to_string()).unwrap_or_default(),
        measures: Measure::ALL
            .iter()
            .map(|m| MeasureCounts {
                measure: m.code().into(),
                in_days: o.in_days(*m),
                active: o.count(*m, "active"),
                released: o.count(*m, "released"),
                transferred: o.count(*m, "transferred"),
            })
            .collect(),
        windows_done: o.counts.windows_done,
        windows_due: o.windows_due,
        ending_today: o.counts.ending,
        alerts_open: o.alerts_open,
    }))
}

/// The routes.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(today))
        .routes(routes!(overview))
}
