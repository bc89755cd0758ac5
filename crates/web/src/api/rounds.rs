//! Mass-testing rounds: create, open and close a round; scan (one at a time, or a queued
//! batch from a phone that was offline); close tubes; excuse persons; coverage and the
//! door-knock list, and door-knock tasks from it. Every endpoint goes through
//! `doorstep_app::rounds::RoundDesk`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use doorstep_app::error::AppError;
use doorstep_app::rounds::{Coverage, PersonRef, RoundDesk, RoundForm, ScanInput, Scanned};
use doorstep_core::problem::FieldProblem;
use doorstep_core::{AreaPath, Exclusion, Lang, Problem, RoundStatus};
use doorstep_store::{Round, Tube};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiUser;
use super::dto::{List, rfc3339};
use super::tasks::TaskResponse;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};

/// The most scans one batch carries.
pub const MAX_BATCH: usize = 500;

/// A group sampled apart from the pool.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct GroupBody {
    /// Persons living under this area (a path) …
    #[serde(default)]
    pub area: Option<String>,
    /// … or carrying this tag (e.g. `居家隔离`).
    #[serde(default)]
    pub tag: Option<String>,
    /// `single` (one tube each) or `household` (one tube per household).
    pub mode: String,
}

/// A round.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoundResponse {
    /// Its id.
    pub id: i64,
    /// The area running it.
    pub area: String,
    /// Its name.
    pub name: String,
    /// The default pool size: 1, 5, 10 or 20.
    pub pool_size: u32,
    /// Minutes from a box's first sample to lab receipt before the box is late.
    pub lab_deadline_minutes: i64,
    /// `planned`, `open` or `closed`.
    pub status: String,
    /// Planned start (RFC 3339).
    pub starts_at: Option<String>,
    /// Planned end (RFC 3339).
    pub ends_at: Option<String>,
    /// The areas it samples.
    pub areas: Vec<String>,
    /// Groups sampled apart.
    pub groups: Vec<GroupBody>,
    /// Who made it.
    pub created_by: String,
    /// When (RFC 3339).
    pub created_at: String,
}

impl From<&Round> for RoundResponse {
    fn from(r: &Round) -> Self {
        RoundResponse {
            id: r.id,
            area: r.area_path.to_string(),
            name: r.name.clone(),
            pool_size: r.pool_size.get(),
            lab_deadline_minutes: r.lab_deadline_minutes,
            status: r.status.code().to_string(),
            starts_at: r.starts_at.map(rfc3339),
            ends_at: r.ends_at.map(rfc3339),
            areas: r.areas.iter().map(ToString::to_string).collect(),
            groups: r
                .groups
                .iter()
                .map(|g| GroupBody {
                    area: g.area_path.as_ref().map(ToString::to_string),
                    tag: g.tag.clone(),
                    mode: g.mode.code().to_string(),
                })
                .collect(),
            created_by: r.created_by.clone(),
            created_at: rfc3339(r.created_at),
        }
    }
}

/// A round to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateRoundRequest {
    /// The area running it (a street, community …), as a path.
    pub area: String,
    /// Its name, e.g. `第3轮全员核酸`.
    pub name: String,
    /// The default pool size: 1, 5, 10 or 20.
    pub pool_size: u32,
    /// Planned start: RFC 3339, `YYYY-MM-DDTHH:MM` or `YYYY-MM-DD` (China time).
    #[serde(default)]
    pub starts: Option<String>,
    /// Planned end, the same way.
    #[serde(default)]
    pub ends: Option<String>,
    /// The areas it samples (paths under `area`, e.g. a list of compounds); all of `area`
    /// when left out.
    #[serde(default)]
    pub areas: Vec<String>,
    /// Groups sampled single-tube or one tube per household.
    #[serde(default)]
    pub groups: Vec<GroupBody>,
    /// Minutes from a box's first sample to lab receipt before the box is late (a late-box
    /// alert on the community board): 30–1440, 240 (the published 4 hours) when left out;
    /// otherwise 422 with the field `lab_deadline_minutes` (`lab_deadline_invalid`).
    #[serde(default)]
    pub lab_deadline_minutes: Option<i64>,
}

fn desk<'a>(s: &'a AppState, u: &'a ApiUser) -> RoundDesk<'a> {
    RoundDesk::new(s.store.as_ref(), &u.who, &u.ctx)
}

/// The rounds the caller may see (run in their area, below it or above it), newest first.
#[utoipa::path(get, path = "/rounds", tag = "rounds", security(("bearer" = [])),
    responses((status = 200, body = List<RoundResponse>), (status = 403, body = ErrorBody)))]
pub async fn list_rounds(
    State(s): State<AppState>,
    u: ApiUser,
) -> Result<Json<List<RoundResponse>>, ApiError> {
    let rounds = desk(&s, &u)
        .list()
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: rounds.len() as i64,
        items: rounds.iter().map(RoundResponse::from).collect(),
    }))
}

/// Creates a round, planned (needs `manage_rounds` in the area).
#[utoipa::path(post, path = "/rounds", tag = "rounds", request_body = CreateRoundRequest, security(("bearer" = [])),
    responses((status = 201, body = RoundResponse), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn create_round(
    State(s): State<AppState>,
    u: ApiUser,
    Json(req): Json<CreateRoundRequest>,
) -> Result<(StatusCode, Json<RoundResponse>), ApiError> {
    let form = RoundForm {
        area: req.area,
        name: req.name,
        pool_size: req.pool_size,
        starts: req.starts.unwrap_or_default(),
        ends: req.ends.unwrap_or_default(),
        areas: req.areas,
        lab_deadline_minutes: req.lab_deadline_minutes,
        groups: req
            .groups
            .into_iter()
            .map(|g| {
                (
                    g.area.unwrap_or_default(),
                    g.tag.unwrap_or_default(),
                    g.mode,
                )
            })
            .collect(),
    };
    let r = desk(&s, &u)
        .create(&form)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok((StatusCode::CREATED, Json(RoundResponse::from(&r))))
}

/// A round.
#[utoipa::path(get, path = "/rounds/{id}", tag = "rounds", params(("id" = i64, Path, description = "The round")),
    security(("bearer" = [])), responses((status = 200, body = RoundResponse), (status = 404, body = ErrorBody)))]
pub async fn get_round(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<RoundResponse>, ApiError> {
    let r = desk(&s, &u)
        .round(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(RoundResponse::from(&r)))
}

/// A round's new status.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusRequest {
    /// `open` (start sampling, or reopen a closed round) or `closed`.
    pub status: String,
}

/// Opens or closes a round (needs `manage_rounds`); 409 `round_status` for a move it cannot
/// make.
#[utoipa::path(post, path = "/rounds/{id}/status", tag = "rounds", request_body = StatusRequest,
    params(("id" = i64, Path, description = "The round")), security(("bearer" = [])),
    responses((status = 200, body = RoundResponse), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn set_status(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<StatusRequest>,
) -> Result<Json<RoundResponse>, ApiError> {
    let fail = |e| ApiError::from_app(e, u.lang);
    let to = RoundStatus::from_stored(req.status.trim())
        .filter(|s| *s != RoundStatus::Planned)
        .ok_or_else(|| {
            fail(AppError::Validation(vec![FieldProblem::new(
                "status",
                Problem::Choice,
            )]))
        })?;
    let r = desk(&s, &u).set_status(id, to).await.map_err(fail)?;
    Ok(Json(RoundResponse::from(&r)))
}

/// Who was scanned: exactly one of the three.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct PersonBody {
    /// A resident ID number.
    #[serde(default)]
    pub id_number: Option<String>,
    /// A person's file id.
    #[serde(default)]
    pub person_id: Option<i64>,
    /// A personal code (个人码) from its QR code.
    #[serde(default)]
    pub code: Option<String>,
}

impl PersonBody {
    fn read(&self) -> Result<PersonRef, AppError> {
        match (&self.id_number, self.person_id, &self.code) {
            (Some(n), None, None) => Ok(PersonRef::IdNumber(n.clone())),
            (None, Some(id), None) => Ok(PersonRef::PersonId(id)),
            (None, None, Some(c)) => Ok(PersonRef::Code(c.clone())),
            _ => Err(AppError::Validation(vec![FieldProblem::new(
                "person",
                Problem::Required,
            )])),
        }
    }
}

/// One scan.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct ScanRequest {
    /// The device's own id for this scan (1–64 characters): sending it again answers the
    /// first time's result and records nothing new.
    pub client_id: String,
    /// The tube's code.
    pub tube: String,
    /// Who.
    pub person: PersonBody,
    /// A second sample of someone sampled in this round already.
    #[serde(default)]
    pub retest: bool,
    /// The sampling point (`GET /rounds/{id}/points`); left out: the sampler's own point
    /// if they are staff of exactly one of the round's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point: Option<i64>,
}

/// A tube as a scan leaves it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TubeState {
    /// Its code.
    pub code: String,
    /// Persons in it.
    pub count: u32,
    /// Persons it holds when full.
    pub pool_size: u32,
    /// Whether it is closed (this scan filled it, or it was closed by hand).
    pub closed: bool,
}

/// The person scanned, masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScannedPerson {
    /// Their file id.
    pub id: i64,
    /// 姓名
    pub name: String,
    /// 证件号码, masked.
    pub id_number: String,
    /// The address.
    pub address: String,
}

/// A recorded scan.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScanResponse {
    /// The sample's id.
    pub scan_id: i64,
    /// The tube after the scan.
    pub tube: TubeState,
    /// Who.
    pub person: ScannedPerson,
    /// A retest.
    pub retest: bool,
    /// When it was recorded (RFC 3339).
    pub at: String,
    /// The sampling point it was made at, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point: Option<i64>,
    /// What the sampler should look at, the scan being recorded all the same:
    /// `tube_outside_batch` (the tube code is in none of the point's tube batches). Left out
    /// when there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl From<&Scanned> for ScanResponse {
    fn from(s: &Scanned) -> Self {
        ScanResponse {
            scan_id: s.scan.id,
            tube: TubeState {
                code: s.scan.tube.to_string(),
                count: s.scan.count,
                pool_size: s.scan.capacity,
                closed: s.scan.closed,
            },
            person: ScannedPerson {
                id: s.scan.person_id,
                name: s.name.clone(),
                id_number: s.id_number.clone(),
                address: s.address.clone(),
            },
            retest: s.scan.retest,
            at: rfc3339(s.scan.at),
            point: s.point,
            warnings: s.warnings.iter().map(ToString::to_string).collect(),
        }
    }
}

/// One scan as `POST /scans` answers it (the sampler page's endpoint calls it too).
pub(crate) async fn scan_one(
    s: &AppState,
    u: &ApiUser,
    id: i64,
    req: &ScanRequest,
) -> Result<(StatusCode, ScanResponse), ApiError> {
    let fail = |e| ApiError::from_app(e, u.lang);
    let input = ScanInput {
        client_id: req.client_id.clone(),
        tube: req.tube.clone(),
        person: req.person.read().map_err(fail)?,
        retest: req.retest,
        point: req.point,
    };
    let done = desk(s, u).scan(id, &input).await.map_err(fail)?;
    let status = if done.scan.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, ScanResponse::from(&done)))
}

/// Records a scan: the person into the tube (opened by its first scan, closed by the one that
/// fills it). 201 recorded; 200 the same `client_id` again (the first answer, nothing new);
/// 409 `already_sampled`, `tube_full`, `tube_closed`, `tube_in_other_round`, `tube_mode`
/// (a person sampled single-tube into a pool, or the other way), `tube_other_household` or
/// `round_not_open`; 404 a person outside the round (or the sampler's area).
#[utoipa::path(post, path = "/rounds/{id}/scans", tag = "rounds", request_body = ScanRequest,
    params(("id" = i64, Path, description = "The round")), security(("bearer" = [])),
    responses((status = 201, body = ScanResponse), (status = 200, body = ScanResponse), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn scan(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<ScanRequest>,
) -> Result<(StatusCode, Json<ScanResponse>), ApiError> {
    let (status, body) = scan_one(&s, &u, id, &req).await?;
    Ok((status, Json(body)))
}

/// Queued scans, in the order they were made.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BatchRequest {
    /// At most 500.
    pub scans: Vec<ScanRequest>,
}

/// One scan's answer in a batch: its status and what the single endpoint would have said.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItem {
    /// The scan's `client_id`.
    pub client_id: String,
    /// 201, 200, 409, 404 or 422, as `POST /scans` would answer.
    pub status: u16,
    /// The scan, when recorded (201, 200).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan: Option<ScanResponse>,
    /// Why not, otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// The answers of a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse {
    /// One per scan, in order.
    pub results: Vec<BatchItem>,
}

/// Records queued scans in order (a phone's offline queue flushing): one answer per scan, each
/// as `POST /scans` would give it; a scan sent before answers as a resend.
#[utoipa::path(post, path = "/rounds/{id}/scans/batch", tag = "rounds", request_body = BatchRequest,
    params(("id" = i64, Path, description = "The round")), security(("bearer" = [])),
    responses((status = 200, body = BatchResponse), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn scan_batch(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<BatchRequest>,
) -> Result<Json<BatchResponse>, ApiError> {
    Ok(Json(batch(&s, &u, id, &req).await?))
}

/// A batch as `POST /scans/batch` answers it (the sampler page's endpoint calls it too).
pub(crate) async fn batch(
    s: &AppState,
    u: &ApiUser,
    id: i64,
    req: &BatchRequest,
) -> Result<BatchResponse, ApiError> {
    if req.scans.len() > MAX_BATCH {
        return Err(ApiError::from_app(
            AppError::Validation(vec![FieldProblem::new(
                "scans",
                Problem::TooLong { max: MAX_BATCH },
            )]),
            u.lang,
        ));
    }
    // The round first: a batch for a round the caller cannot see is one 404.
    desk(s, u)
        .round(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    // Then the role: a batch from a role that may not scan is one 403, not a 200 of refusals.
    if !u.who.may(doorstep_app::access::Action::Sample) {
        return Err(ApiError::from_app(AppError::Forbidden, u.lang));
    }
    let mut results = Vec::with_capacity(req.scans.len());
    for scan in &req.scans {
        results.push(match scan_one(s, u, id, scan).await {
            Ok((status, body)) => BatchItem {
                client_id: scan.client_id.clone(),
                status: status.as_u16(),
                scan: Some(body),
                error: None,
            },
            Err(e) => {
                let (status, body) = e.into_parts();
                BatchItem {
                    client_id: scan.client_id.clone(),
                    status: status.as_u16(),
                    scan: None,
                    error: Some(body),
                }
            }
        });
    }
    Ok(BatchResponse { results })
}

/// A tube.
#[derive(Debug, Serialize, ToSchema)]
pub struct TubeResponse {
    /// Its code.
    pub code: String,
    /// `pooled`, `single` or `household`.
    pub mode: String,
    /// Persons in it.
    pub count: u32,
    /// Persons it holds when full.
    pub pool_size: u32,
    /// Whether it is closed.
    pub closed: bool,
    /// Closed under its pool size (a warning for the sampler and the packer).
    pub short: bool,
    /// Who opened it, when (RFC 3339).
    pub opened_by: String,
    /// See `opened_by`.
    pub opened_at: String,
    /// Who closed it, when.
    pub closed_by: Option<String>,
    /// See `closed_by`.
    pub closed_at: Option<String>,
}

impl From<&Tube> for TubeResponse {
    fn from(t: &Tube) -> Self {
        TubeResponse {
            code: t.code.to_string(),
            mode: t.mode.code().to_string(),
            count: t.count,
            pool_size: t.capacity,
            closed: t.closed,
            short: t.closed && t.count < t.capacity,
            opened_by: t.opened_by.clone(),
            opened_at: rfc3339(t.opened_at),
            closed_by: t.closed_by.clone(),
            closed_at: t.closed_at.map(rfc3339),
        }
    }
}

/// Closes a tube by hand (under its pool size: `short` says so); closing a closed tube
/// answers it.
#[utoipa::path(post, path = "/rounds/{id}/tubes/{code}/close", tag = "rounds",
    params(("id" = i64, Path, description = "The round"), ("code" = String, Path, description = "The tube code")),
    security(("bearer" = [])), responses((status = 200, body = TubeResponse), (status = 404, body = ErrorBody)))]
pub async fn close_tube(
    State(s): State<AppState>,
    u: ApiUser,
    Path((id, code)): Path<(i64, String)>,
) -> Result<Json<TubeResponse>, ApiError> {
    let t = desk(&s, &u)
        .close_tube(id, &code)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(TubeResponse::from(&t)))
}

/// The round's open tubes.
#[utoipa::path(get, path = "/rounds/{id}/tubes", tag = "rounds", params(("id" = i64, Path, description = "The round")),
    security(("bearer" = [])), responses((status = 200, body = List<TubeResponse>), (status = 404, body = ErrorBody)))]
pub async fn open_tubes(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<List<TubeResponse>>, ApiError> {
    let tubes = desk(&s, &u)
        .open_tubes(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: tubes.len() as i64,
        items: tubes.iter().map(TubeResponse::from).collect(),
    }))
}

/// Someone not expected at a sampling point.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ExcludeRequest {
    /// Who.
    pub person: PersonBody,
    /// `away`, `hospitalised`, `bedridden`, `infant` or `other` (or its Chinese name).
    pub reason: String,
    /// A note.
    #[serde(default)]
    pub note: Option<String>,
}

/// What excusing someone did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExcludeResponse {
    /// The reason's code.
    pub reason: String,
    /// For `bedridden`: the home-sampling task (上门采样) on the person, routed to the owner of
    /// their building — the same task when they are excused again; `null` otherwise.
    pub home_sampling_task: Option<TaskResponse>,
}

/// Excuses a person from the round (needs `manage_rounds`); excusing them again replaces the
/// reason. A bedridden person gets a home-sampling task, in the answer. 409 `already_sampled`
/// for someone sampled already.
#[utoipa::path(post, path = "/rounds/{id}/exclusions", tag = "rounds", request_body = ExcludeRequest,
    params(("id" = i64, Path, description = "The round")), security(("bearer" = [])),
    responses((status = 200, body = ExcludeResponse), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn exclude(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<ExcludeRequest>,
) -> Result<Json<ExcludeResponse>, ApiError> {
    let fail = |e| ApiError::from_app(e, u.lang);
    let person = req.person.read().map_err(fail)?;
    let task = desk(&s, &u)
        .exclude(id, &person, &req.reason, req.note.as_deref().unwrap_or(""))
        .await
        .map_err(fail)?;
    Ok(Json(ExcludeResponse {
        // Read by `exclude` already: a reason it refused never reaches here.
        reason: Exclusion::parse(&req.reason)
            .map(|e| e.code().to_string())
            .unwrap_or_default(),
        home_sampling_task: task.as_ref().map(TaskResponse::from),
    }))
}

/// Which area.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AreaQuery {
    /// An area path inside the round (the caller's area, or the round's, when left out).
    pub area: Option<String>,
}

fn area_of(q: &AreaQuery, lang: Lang) -> Result<Option<AreaPath>, ApiError> {
    match q.area.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => Ok(None),
        Some(a) => AreaPath::parse(a)
            .map(Some)
            .map_err(|p| ApiError::bad_request("bad_area", &p.message(lang))),
    }
}

/// Coverage of one area.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageResponse {
    /// The area.
    pub area: String,
    /// Persons registered there.
    pub expected: i64,
    /// Persons sampled (once each).
    pub sampled: i64,
    /// Persons excused.
    pub excluded: i64,
    /// Persons neither sampled nor excused.
    pub missing: i64,
    /// Each child area holding persons.
    #[schema(no_recursion)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<CoverageResponse>>,
}

impl CoverageResponse {
    fn of(c: &Coverage, top: bool) -> CoverageResponse {
        CoverageResponse {
            area: c.area.as_ref().map(ToString::to_string).unwrap_or_default(),
            expected: c.expected,
            sampled: c.sampled,
            excluded: c.excluded,
            missing: c.missing,
            children: top.then(|| c.children.iter().map(|k| Self::of(k, false)).collect()),
        }
    }
}

/// Coverage (全覆盖) of an area in the round, with its children's.
#[utoipa::path(get, path = "/rounds/{id}/coverage", tag = "rounds", params(("id" = i64, Path, description = "The round"), AreaQuery),
    security(("bearer" = [])), responses((status = 200, body = CoverageResponse), (status = 404, body = ErrorBody)))]
pub async fn coverage(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<AreaQuery>,
) -> Result<Json<CoverageResponse>, ApiError> {
    let c = desk(&s, &u)
        .coverage(id, area_of(&q, u.lang)?)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(CoverageResponse::of(&c, true)))
}

/// A person still to sample.
#[derive(Debug, Serialize, ToSchema)]
pub struct MissingPerson {
    /// Their file id.
    pub id: i64,
    /// 姓名
    pub name: String,
    /// 证件号码, masked.
    pub id_number: String,
    /// The household.
    pub household_id: i64,
    /// The address.
    pub address: String,
    /// 楼栋, 单元, 房号.
    pub building: Option<String>,
    /// See `building`.
    pub unit: Option<String>,
    /// See `building`.
    pub room: String,
}

/// The door-knock list (入户敲门): persons under the area neither sampled nor excused, in
/// walking order (building, unit, room).
#[utoipa::path(get, path = "/rounds/{id}/missing", tag = "rounds", params(("id" = i64, Path, description = "The round"), AreaQuery),
    security(("bearer" = [])), responses((status = 200, body = List<MissingPerson>), (status = 404, body = ErrorBody)))]
pub async fn missing(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<AreaQuery>,
) -> Result<Json<List<MissingPerson>>, ApiError> {
    let list = desk(&s, &u)
        .missing(id, area_of(&q, u.lang)?)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: list.len() as i64,
        items: list
            .iter()
            .map(|p| MissingPerson {
                id: p.person.id,
                name: p.person.fields.name().to_string(),
                id_number: p.person.fields.doc().masked(),
                household_id: p.person.household_id,
                address: p.person.address.clone(),
                building: p.building.clone(),
                unit: p.unit.clone(),
                room: p.room.clone(),
            })
            .collect(),
    }))
}

/// What door-knock tasks were made.
#[derive(Debug, Serialize, ToSchema)]
pub struct KnockResponse {
    /// Households with someone still to sample: one task each (made now or before).
    pub tasks: usize,
    /// Of those, how many have no owner to go to.
    pub unassigned: usize,
}

/// Turns the door-knock list of an area into door-knock tasks, one per household, routed to
/// the buildings' owners (needs `manage_tasks`); asking again makes nothing new.
#[utoipa::path(post, path = "/rounds/{id}/missing/tasks", tag = "rounds", params(("id" = i64, Path, description = "The round"), AreaQuery),
    security(("bearer" = [])), responses((status = 201, body = KnockResponse), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn knock_tasks(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<AreaQuery>,
) -> Result<(StatusCode, Json<KnockResponse>), ApiError> {
    let fail = |e| ApiError::from_app(e, u.lang);
    let made = desk(&s, &u)
        .knock(id, area_of(&q, u.lang)?)
        .await
        .map_err(fail)?;
    Ok((
        StatusCode::CREATED,
        Json(KnockResponse {
            tasks: made.tasks,
            unassigned: made.unassigned,
        }),
    ))
}

/// A person's personal code.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonCodeResponse {
    /// The person.
    pub person_id: i64,
    /// The opaque code their QR code carries (个人码): `P` and 20 characters, random, never
    /// the ID number. Made on first ask, the same after.
    pub code: String,
}

/// A person's personal code (个人码), for printing per household and the self-report receipt.
#[utoipa::path(get, path = "/persons/{id}/code", tag = "rounds", params(("id" = i64, Path, description = "person id")),
    security(("bearer" = [])), responses((status = 200, body = PersonCodeResponse), (status = 404, body = ErrorBody)))]
pub async fn person_code(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<PersonCodeResponse>, ApiError> {
    let code = desk(&s, &u)
        .person_code(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(PersonCodeResponse {
        person_id: id,
        code: code.as_str().to_string(),
    }))
}

/// Every `/rounds` route.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(list_rounds, create_round))
        .routes(routes!(get_round))
        .routes(routes!(set_status))
        .routes(routes!(scan))
        .routes(routes!(scan_batch))
        .routes(routes!(open_tubes))
        .routes(routes!(close_tube))
        .routes(routes!(exclude))
        .routes(routes!(coverage))
        .routes(routes!(missing))
        .routes(routes!(knock_tasks))
        .routes(routes!(person_code))
}
