//! Daily check-ins as JSON: the household's own through its link
//! (`/api/v1/public/checkins/{token}`, no login, behind the public limits) and a worker's for
//! a household (`/api/v1/households/{id}/checkins`), through
//! `doorstep_app::quarantine::checkins`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use doorstep_app::error::AppError;
use doorstep_app::quarantine::QuarantineDesk;
use doorstep_app::quarantine::checkins::{
    self, CheckinInput, DueMember, HouseholdDue, MemberCheckin,
};
use doorstep_core::Lang;
use doorstep_core::checkin::Symptom;
use doorstep_core::text::mask_name;
use doorstep_store::{Checkin, Recorded};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiUser;
use super::dto::rfc3339;
use crate::AppState;
use crate::context::{ReqCtx, ReqLang};
use crate::error::{ApiError, ErrorBody};

/// One member's check-in.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct MemberCheckinRequest {
    /// The person's file id, as the household's `GET` lists it.
    pub person_id: i64,
    /// Body temperature in °C, 35.0–42.0 (a number or a string such as `"36.5"`).
    #[schema(value_type = String)]
    pub temperature: serde_json::Value,
    /// Symptoms: `fever`, `cough`, `sore_throat`, `taste_smell`, `fatigue`, `diarrhoea`,
    /// `other`.
    pub symptoms: Vec<String>,
    /// The antigen self-test if done: `negative`, `positive`, `invalid` (empty: not done).
    pub antigen: String,
    /// A note (at most 200 characters).
    pub note: String,
}

/// A household's check-in: every member listed checks in at once.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct CheckinRequest {
    /// Chosen by the client, 1–64 of `A-Za-z0-9_-`: a resend with the same key stores
    /// nothing new and answers the first check-ins (200).
    pub idempotency_key: String,
    /// A worker's only: `phone` or `door` (how the answers were taken).
    pub method: String,
    /// The members checking in.
    pub members: Vec<MemberCheckinRequest>,
}

impl From<CheckinRequest> for CheckinInput {
    fn from(r: CheckinRequest) -> Self {
        CheckinInput {
            idempotency_key: r.idempotency_key,
            members: r
                .members
                .into_iter()
                .map(|m| MemberCheckin {
                    person_id: m.person_id,
                    temperature: match m.temperature {
                        serde_json::Value::String(s) => s,
                        serde_json::Value::Null => String::new(),
                        v => v.to_string(),
                    },
                    symptoms: m.symptoms,
                    antigen: m.antigen,
                    note: m.note,
                })
                .collect(),
        }
    }
}

/// A stored check-in.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckinResponse {
    /// Its id.
    pub id: i64,
    /// The person's file id.
    pub person_id: i64,
    /// Their name (masked on the public answer).
    pub name: String,
    /// The episode it counts for.
    pub episode_id: i64,
    /// The episode's day (1 is the start day).
    pub day: u16,
    /// The China date of the window it fills.
    pub on_day: String,
    /// The window it fills (1 morning, 2 afternoon with the shipped policies; 0 none).
    pub window: u8,
    /// `on_time`, `early`, `late` or `extra`.
    pub timing: String,
    /// When (RFC 3339).
    pub at: String,
    /// °C.
    pub temperature: f64,
    /// Symptom codes.
    pub symptoms: Vec<String>,
    /// The antigen self-test (`''`: not done).
    pub antigen: String,
    /// 37.3 °C or more, a symptom, or a positive antigen test: a worker will follow up.
    pub abnormal: bool,
    /// `self`, `phone` or `door`.
    pub method: String,
}

impl CheckinResponse {
    fn of(c: &Checkin, masked: bool) -> Self {
        CheckinResponse {
            id: c.id,
            person_id: c.person_id,
            name: if masked {
                mask_name(&c.name)
            } else {
                c.name.clone()
            },
            episode_id: c.episode_id,
            day: c.day,
            on_day: c.on_day.to_string(),
            window: c.window_n,
            timing: c.timing.clone(),
            at: rfc3339(c.at),
            temperature: f64::from(c.temperature) / 10.0,
            symptoms: Symptom::read_list(&c.symptoms)
                .into_iter()
                .map(|s| s.code().to_string())
                .collect(),
            antigen: c.antigen.clone(),
            abnormal: c.abnormal,
            method: c.method.clone(),
        }
    }
}

/// The check-ins of one submission.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordedResponse {
    /// Whether this was a resend of a stored submission (nothing new stored).
    pub replayed: bool,
    /// The check-ins, one per member and episode.
    pub checkins: Vec<CheckinResponse>,
}

fn recorded(r: &Recorded, masked: bool) -> Response {
    let status = if r.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    (
        status,
        Json(RecordedResponse {
            replayed: r.replayed,
            checkins: r
                .checkins
                .iter()
                .map(|c| CheckinResponse::of(c, masked))
                .collect(),
        }),
    )
        .into_response()
}

/// A window of today.
#[derive(Debug, Serialize, ToSchema)]
pub struct WindowResponse {
    /// Its number.
    pub window: u8,
    /// When it opens (RFC 3339).
    pub opens: String,
    /// When it closes.
    pub closes: String,
    /// Whether a check-in fills it.
    pub done: bool,
}

/// A member in an episode.
#[derive(Debug, Serialize, ToSchema)]
pub struct DueMemberResponse {
    /// Their file id (what a check-in names them by).
    pub person_id: i64,
    /// Their name, masked.
    pub name: String,
    /// Their measures (`home_quarantine`, `home_health_monitoring`).
    pub measures: Vec<String>,
    /// The last day (YYYY-MM-DD).
    pub last_day: String,
    /// The episode's day now (`null` before its first day).
    pub day: Option<u16>,
    /// The window a check-in now fills (`null`: none, or not started).
    pub window_now: Option<u8>,
    /// Today's windows.
    pub today: Vec<WindowResponse>,
}

/// A household's check-in state.
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdDueResponse {
    /// The household's address.
    pub address: String,
    /// Its members in an episode.
    pub members: Vec<DueMemberResponse>,
}

fn due_member(m: &DueMember) -> DueMemberResponse {
    DueMemberResponse {
        person_id: m.person_id,
        name: m.masked_name.clone(),
        measures: m
            .episodes
            .iter()
            .map(|e| e.measure.code().to_string())
            .collect(),
        last_day: m
            .episodes
            .iter()
            .map(|e| e.last_day)
            .max()
            .map(|d| d.to_string())
            .unwrap_or_default(),
        day: m.now.map(|(d, _, _)| d),
        window_now: m.now.map(|(_, n, _)| n).filter(|n| *n > 0),
        today: m
            .today
            .iter()
            .map(|(n, o, c, done)| WindowResponse {
                window: *n,
                opens: rfc3339(*o),
                closes: rfc3339(*c),
                done: *done,
            })
            .collect(),
    }
}

fn household_due(d: &HouseholdDue) -> HouseholdDueResponse {
    HouseholdDueResponse {
        address: d.household.address.clone(),
        members: d.members.iter().map(due_member).collect(),
    }
}

/// A refusal through a check-in link (check-ins, supplies): an unknown token, or a household
/// whose episodes are over, is one answer.
pub(crate) fn public_error(e: AppError, lang: Lang) -> ApiError {
    match e {
        AppError::NotFound => ApiError::new(
            StatusCode::NOT_FOUND,
            "checkin_link_not_found",
            lang.pick(
                "打卡二维码无效，或隔离、监测已经结束",
                "this check-in code is not valid, or the quarantine or monitoring is over",
            ),
        ),
        e => ApiError::from_app(e, lang),
    }
}

/// What a household's check-in link shows: its members in an episode (names masked), their
/// day and today's windows. No login: the link's token is the key. `404` for an unknown token
/// or when every episode of the household is over.
#[utoipa::path(get, path = "/public/checkins/{token}", tag = "quarantine",
    params(("token" = String, Path, description = "the household's check-in token")),
    responses((status = 200, body = HouseholdDueResponse), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn public_due(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    ReqCtx(ctx): ReqCtx,
    Path(token): Path<String>,
) -> Result<Json<HouseholdDueResponse>, ApiError> {
    let due = checkins::household_for_token(s.store.as_ref(), &ctx, &token)
        .await
        .map_err(|e| public_error(e, lang))?;
    Ok(Json(household_due(&due)))
}

/// A household checks in its members (日常监测). `201` with the check-ins; a resend with the
/// same `idempotency_key` answers `200` with the first ones; `422` names the member's field
/// (`members[0].temperature`); `404` as for `GET`. An abnormal check-in (37.3 °C or more, a
/// symptom, a positive antigen test) becomes a follow-up task for the building's worker.
#[utoipa::path(post, path = "/public/checkins/{token}", tag = "quarantine", request_body = CheckinRequest,
    params(("token" = String, Path, description = "the household's check-in token")),
    responses((status = 201, body = RecordedResponse), (status = 200, body = RecordedResponse),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn public_checkin(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    ReqCtx(ctx): ReqCtx,
    Path(token): Path<String>,
    body: Result<Json<CheckinRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::from_json_rejection(e, lang))?;
    let done = checkins::submit_by_token(s.store.as_ref(), &ctx, &token, &body.into())
        .await
        .map_err(|e| public_error(e, lang))?;
    Ok(recorded(&done, true))
}

/// A household's check-in state and its check-ins of the last 14 days, for staff.
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdCheckinsResponse {
    /// The household's check-in page (its QR code's URL), to send or print.
    pub checkin_url: Option<String>,
    /// Who is due.
    pub due: HouseholdDueResponse,
    /// The check-ins, newest first.
    pub checkins: Vec<CheckinResponse>,
}

/// A household's members in an episode, today's windows and the check-ins of the last 14
/// days. `404` outside the caller's area or for a household with no active at-home episode.
#[utoipa::path(get, path = "/households/{id}/checkins", tag = "quarantine",
    params(("id" = i64, Path, description = "the household's file id")),
    security(("bearer" = [])),
    responses((status = 200, body = HouseholdCheckinsResponse), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn household_checkins(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<HouseholdCheckinsResponse>, ApiError> {
    let desk = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let due = desk
        .household_due(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    let list = desk
        .household_checkins(id, 14)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    let token = desk
        .checkin_token(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(HouseholdCheckinsResponse {
        checkin_url: token.map(|t| s.public_url.checkin_link(&t)),
        due: household_due(&due),
        checkins: list.iter().map(|c| CheckinResponse::of(c, false)).collect(),
    }))
}

/// A worker records a household's check-in for members who cannot (`method`: `phone` or
/// `door`), marked as such and audited. Answers as the public check-in does; `403` for a role
/// that may not record check-ins.
#[utoipa::path(post, path = "/households/{id}/checkins", tag = "quarantine", request_body = CheckinRequest,
    params(("id" = i64, Path, description = "the household's file id")),
    security(("bearer" = [])),
    responses((status = 201, body = RecordedResponse), (status = 200, body = RecordedResponse),
        (status = 404, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_checkins(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<CheckinRequest>,
) -> Result<Response, ApiError> {
    let method = req.method.clone();
    let done = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .record_checkins(id, &method, &req.into())
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(recorded(&done, false))
}

/// The public routes (registered behind the public limits).
pub fn public_routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new().routes(routes!(public_due, public_checkin))
}

/// The staff routes.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new().routes(routes!(household_checkins, record_checkins))
}
