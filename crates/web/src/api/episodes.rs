//! Episodes of home quarantine and health monitoring as JSON (`/api/v1/episodes`), through
//! `doorstep_app::quarantine::QuarantineDesk`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use doorstep_app::quarantine::{
    ChangeForm, EpisodeForm, ListFilter, QuarantineDesk, ReleaseForm, TransferForm,
};
use doorstep_core::episode::Checklist;
use doorstep_store::{Episode, EpisodeChange};
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
    /// `active`, `transferred` or `released`.
    pub status: String,
    /// When it was transferred or released (RFC 3339).
    pub ended_at: Option<String>,
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
            status: e.status.code().into(),
            ended_at: e.ended_at.map(rfc3339),
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
    /// `home_quarantine`, `home_health_monitoring` or `central_quarantine`.
    #[serde(default)]
    pub measure: String,
    /// `active`, `transferred` or `released`.
    #[serde(default)]
    pub status: String,
    /// `today`: active with the planned end reached (overdue included); `tomorrow`: active,
    /// today the last day.
    #[serde(default)]
    pub due: String,
    /// A China day, `YYYY-MM-DD`, read with `on`.
    #[serde(default)]
    pub day: String,
    /// With `day`: `new` (started that day), `ongoing` (under the measure that day) or
    /// `released` (released that day) — as the daily report counts them.
    #[serde(default)]
    pub on: String,
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
    let filter = ListFilter {
        measure: q.measure,
        status: q.status,
        due: q.due,
        day: q.day,
        on: q.on,
    };
    let page = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .list_filtered(q.area.as_deref(), &filter, paging.request())
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: page.total,
        items: page.items.iter().map(EpisodeResponse::from).collect(),
    }))
}

/// One test day of the checklist.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestDayResponse {
    /// The episode's day (1 is the start day).
    pub day: u16,
    /// Its date (YYYY-MM-DD, China's).
    pub date: String,
    /// `negative`, `positive`, `pending` or `missing`.
    pub state: String,
}

/// The check-ins item.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckinsResponse {
    /// Windows closed so far.
    pub due: u32,
    /// Checked in.
    pub done: u32,
    /// Missed and explained.
    pub explained: u32,
    /// All done or explained.
    pub met: bool,
}

/// The release checklist as of now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistResponse {
    /// The planned end is reached (else the release is early and needs a reason).
    pub end_reached: bool,
    /// Each test day of the policy up to the last day.
    pub tests: Vec<TestDayResponse>,
    /// Whether the policy asks for negative tests.
    pub tests_required: bool,
    /// The check-ins item; null until check-ins are counted.
    pub checkins: Option<CheckinsResponse>,
    /// The unmet items: `end`, `tests`, `checkins`.
    pub unmet: Vec<String>,
    /// A release needs a reason (an unmet item or an early release).
    pub needs_reason: bool,
}

impl From<&Checklist> for ChecklistResponse {
    fn from(c: &Checklist) -> Self {
        ChecklistResponse {
            end_reached: c.end_reached,
            tests: c
                .tests
                .iter()
                .map(|t| TestDayResponse {
                    day: t.day,
                    date: t.date.to_string(),
                    state: t.state.code().into(),
                })
                .collect(),
            tests_required: c.tests_required,
            checkins: c.checkins.map(|k| CheckinsResponse {
                due: k.due,
                done: k.done,
                explained: k.explained,
                met: k.met(),
            }),
            unmet: c.unmet().into_iter().map(String::from).collect(),
            needs_reason: c.needs_reason(),
        }
    }
}

/// One change of an episode.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeResponse {
    /// `extend`, `shorten`, `transfer` or `release`.
    pub what: String,
    /// Before: the last day, or the status (for a release: the unmet items overridden).
    pub before: String,
    /// After: the new last day, the destination, or `released`.
    pub after: String,
    /// Why.
    pub reason: String,
    /// Who.
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
}

impl From<&EpisodeChange> for ChangeResponse {
    fn from(c: &EpisodeChange) -> Self {
        ChangeResponse {
            what: c.what.code().into(),
            before: c.before.clone(),
            after: c.after.clone(),
            reason: c.reason.clone(),
            by: c.by.clone(),
            at: rfc3339(c.at),
        }
    }
}

/// An episode with its day, release checklist and history.
#[derive(Debug, Serialize, ToSchema)]
pub struct EpisodeDetailResponse {
    /// The episode.
    #[serde(flatten)]
    pub episode: EpisodeResponse,
    /// Today's day number (1 is the start day) while it runs.
    pub day_today: Option<u16>,
    /// The policy's name.
    pub policy_name: String,
    /// The release checklist as of now.
    pub checklist: ChecklistResponse,
    /// Every change, oldest first.
    pub changes: Vec<ChangeResponse>,
}

/// One episode with its checklist and history; 404 outside the caller's area.
#[utoipa::path(get, path = "/episodes/{id}", tag = "quarantine", params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = EpisodeDetailResponse), (status = 404, body = ErrorBody)))]
pub async fn get_episode(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<EpisodeDetailResponse>, ApiError> {
    let v = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .episode(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(EpisodeDetailResponse {
        episode: EpisodeResponse::from(&v.episode),
        day_today: v.day_today,
        policy_name: v.policy_name,
        checklist: ChecklistResponse::from(&v.checklist),
        changes: v.changes.iter().map(ChangeResponse::from).collect(),
    }))
}

/// A transfer.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TransferRequest {
    /// `central` (central quarantine) or `hospital`.
    pub to: String,
    /// The site's or hospital's name.
    #[serde(default)]
    pub place: String,
    /// When (`YYYY-MM-DD HH:MM`, China's time); now when left out.
    #[serde(default)]
    pub at: String,
    /// Why.
    pub reason: String,
    /// To central quarantine: start a `central_quarantine` episode from that day at once.
    #[serde(default)]
    pub start_central: bool,
}

/// What a transfer did.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferResponse {
    /// The episode, now `transferred`.
    pub episode: EpisodeResponse,
    /// The central quarantine episode started, if asked.
    pub central_episode: Option<EpisodeResponse>,
}

/// Transfers an active episode to central quarantine or a hospital (it ends then). 409
/// `episode_not_active`; 422 with the field; 404 outside the caller's area.
#[utoipa::path(post, path = "/episodes/{id}/transfer", tag = "quarantine", params(("id" = i64, Path)),
    request_body = TransferRequest, security(("bearer" = [])),
    responses((status = 200, body = TransferResponse), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn transfer_episode(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<TransferRequest>,
) -> Result<Json<TransferResponse>, ApiError> {
    let form = TransferForm {
        to: req.to,
        place: req.place,
        at: req.at,
        reason: req.reason,
        start_central: req.start_central,
    };
    let (e, next) = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .transfer(id, &form)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(TransferResponse {
        episode: EpisodeResponse::from(&e),
        central_episode: next.as_ref().map(EpisodeResponse::from),
    }))
}

/// A new last day.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangeRequest {
    /// The new last day (YYYY-MM-DD, China's date).
    pub last_day: String,
    /// Why.
    pub reason: String,
}

/// Extends or shortens an active episode; the planned end is recomputed. 409
/// `episode_not_active`, `episode_before_start`, `episode_shorten_past`, `episode_unchanged`,
/// `episode_overlap`; 422 with the field; 404 outside the caller's area.
#[utoipa::path(post, path = "/episodes/{id}/change", tag = "quarantine", params(("id" = i64, Path)),
    request_body = ChangeRequest, security(("bearer" = [])),
    responses((status = 200, body = EpisodeResponse), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn change_episode(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<ChangeRequest>,
) -> Result<Json<EpisodeResponse>, ApiError> {
    let e = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .change(
            id,
            &ChangeForm {
                last_day: req.last_day,
                reason: req.reason,
            },
        )
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(EpisodeResponse::from(&e)))
}

/// A release.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReleaseRequest {
    /// Why: needed for an early release or unmet checklist items (the override), recorded.
    #[serde(default)]
    pub reason: String,
    /// Release the household's other active episodes of the same measure too.
    #[serde(default)]
    pub household: bool,
}

/// Releases an active episode (and the household's, when asked) after its checklist. 409
/// `release_checklist_unmet` (an unmet item or an early release without a reason),
/// `episode_not_active`; 404 outside the caller's area.
#[utoipa::path(post, path = "/episodes/{id}/release", tag = "quarantine", params(("id" = i64, Path)),
    request_body = ReleaseRequest, security(("bearer" = [])),
    responses((status = 200, body = List<EpisodeResponse>), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn release_episode(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<ReleaseRequest>,
) -> Result<Json<List<EpisodeResponse>>, ApiError> {
    let done = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .release(
            id,
            &ReleaseForm {
                reason: req.reason,
                household: req.household,
            },
        )
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: done.len() as i64,
        items: done.iter().map(EpisodeResponse::from).collect(),
    }))
}

/// The routes.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(list_episodes, start_episodes))
        .routes(routes!(get_episode))
        .routes(routes!(transfer_episode))
        .routes(routes!(change_episode))
        .routes(routes!(release_episode))
}
