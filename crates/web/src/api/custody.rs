//! The chain of custody: boxes (open, put tubes in, seal, hand over), the lab (receive a box
//! with its count, results per tube), the positive pools' flagged persons, and the timeline of
//! any tube or box. Every endpoint goes through `doorstep_app::rounds` (`RoundDesk`,
//! `LabDesk`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use doorstep_app::clock::china_minute;
use doorstep_app::error::AppError;
use doorstep_app::rounds::{LabDesk, MAX_RESULTS, ResultInput, RoundDesk};
use doorstep_core::problem::FieldProblem;
use doorstep_core::{Lang, Problem};
use doorstep_store::{BoxStep, CustodyEvent, TransportBox, Tube};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiUser;
use super::dto::{List, rfc3339};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};

fn desk<'a>(s: &'a AppState, u: &'a ApiUser) -> RoundDesk<'a> {
    RoundDesk::new(s.store.as_ref(), &u.who, &u.ctx)
}

/// Turns a use case's error into the API's, in the caller's language (shared with
/// `handover.rs`).
pub(super) fn fail(lang: Lang) -> impl Fn(AppError) -> ApiError {
    move |e| ApiError::from_app(e, lang)
}

/// A transport box (转运箱).
#[derive(Debug, Serialize, ToSchema)]
pub struct BoxResponse {
    /// Its code.
    pub code: String,
    /// `open`, `sealed`, `handed_over` or `received`.
    pub status: String,
    /// Tubes in it (counted at sealing once sealed).
    pub tubes: i64,
    /// Persons in its tubes.
    pub persons: i64,
    /// The sampling point's area.
    pub area: String,
    /// Who sealed it, when (RFC 3339).
    pub sealed_by: Option<String>,
    /// See `sealed_by`.
    pub sealed_at: Option<String>,
    /// Who carries it, to which lab, since when.
    pub carrier: Option<String>,
    /// See `carrier`.
    pub lab: Option<String>,
    /// See `carrier`.
    pub handed_at: Option<String>,
    /// Who received it at the lab, when, counting how many tubes.
    pub received_by: Option<String>,
    /// See `received_by`.
    pub received_at: Option<String>,
    /// See `received_by`.
    pub received_tubes: Option<i64>,
    /// The lab's count differs from the seal's (explained in `mismatch_note`).
    pub mismatch: bool,
    /// Why.
    pub mismatch_note: Option<String>,
    /// The handover slip it travels on (交接单), if any.
    pub handover: Option<i64>,
    /// Minutes from its first sample to sealing, to handover, to the lab (timeliness).
    pub minutes_to_seal: Option<i64>,
    /// See `minutes_to_seal`.
    pub minutes_to_handover: Option<i64>,
    /// See `minutes_to_seal`.
    pub minutes_to_lab: Option<i64>,
    /// Its tubes (single reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tube_codes: Option<Vec<String>>,
    /// While open: tubes of its sampling point still open or in no box (deal with them before
    /// sealing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<Vec<PendingTube>>,
}

/// A tube not yet in a box.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingTube {
    /// Its code.
    pub code: String,
    /// Persons in it / its pool size.
    pub count: u32,
    /// See `count`.
    pub pool_size: u32,
    /// Still open (not closed yet).
    pub open: bool,
}

fn minutes(from: Option<time::OffsetDateTime>, to: Option<time::OffsetDateTime>) -> Option<i64> {
    Some((to? - from?).whole_minutes())
}

impl BoxResponse {
    pub(crate) fn of(
        b: &TransportBox,
        tubes: Option<&[Tube]>,
        pending: Option<&[Tube]>,
    ) -> BoxResponse {
        BoxResponse {
            code: b.code.to_string(),
            status: b.status.code().to_string(),
            tubes: b.tubes,
            persons: b.persons,
            area: b.area_path.to_string(),
            sealed_by: b.sealed_by.clone(),
            sealed_at: b.sealed_at.map(rfc3339),
            carrier: b.carrier.clone(),
            lab: b.lab.clone(),
            handed_at: b.handed_at.map(rfc3339),
            received_by: b.received_by.clone(),
            received_at: b.received_at.map(rfc3339),
            received_tubes: b.received_tubes,
            mismatch: b.received_tubes.is_some_and(|n| n != b.tubes),
            mismatch_note: b.mismatch_note.clone(),
            handover: b.handover_id,
            minutes_to_seal: minutes(b.first_sample_at, b.sealed_at),
            minutes_to_handover: minutes(b.first_sample_at, b.handed_at),
            minutes_to_lab: minutes(b.first_sample_at, b.received_at),
            tube_codes: tubes.map(|t| t.iter().map(|t| t.code.to_string()).collect()),
            pending: pending.map(|p| {
                p.iter()
                    .map(|t| PendingTube {
                        code: t.code.to_string(),
                        count: t.count,
                        pool_size: t.capacity,
                        open: !t.closed,
                    })
                    .collect()
            }),
        }
    }
}

/// A box to open.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OpenBoxRequest {
    /// The box code (转运箱码) as scanned.
    pub code: String,
}

/// Opens a box at the caller's sampling point (needs `transport`); the same code again answers
/// the open box; 409 `box_in_other_round`.
#[utoipa::path(post, path = "/rounds/{id}/boxes", tag = "custody", request_body = OpenBoxRequest,
    params(("id" = i64, Path, description = "The round")), security(("bearer" = [])),
    responses((status = 201, body = BoxResponse), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn open_box(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<OpenBoxRequest>,
) -> Result<(StatusCode, Json<BoxResponse>), ApiError> {
    let b = desk(&s, &u)
        .open_box(id, &req.code)
        .await
        .map_err(fail(u.lang))?;
    Ok((StatusCode::CREATED, Json(BoxResponse::of(&b, None, None))))
}

/// A box with its tubes and, while open, the pending tubes of its sampling point.
#[utoipa::path(get, path = "/rounds/{id}/boxes/{code}", tag = "custody",
    params(("id" = i64, Path, description = "The round"), ("code" = String, Path, description = "The box code")),
    security(("bearer" = [])), responses((status = 200, body = BoxResponse), (status = 404, body = ErrorBody)))]
pub async fn get_box(
    State(s): State<AppState>,
    u: ApiUser,
    Path((id, code)): Path<(i64, String)>,
) -> Result<Json<BoxResponse>, ApiError> {
    let (b, tubes, pending) = desk(&s, &u)
        .transport_box(id, &code)
        .await
        .map_err(fail(u.lang))?;
    Ok(Json(BoxResponse::of(&b, Some(&tubes), Some(&pending))))
}

/// A tube to put in a box.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BoxTubeRequest {
    /// The tube code as scanned.
    pub tube: String,
}

/// Puts a closed tube into an open box (again: nothing new); 409 `tube_open`, `tube_boxed`,
/// `box_closed`.
#[utoipa::path(post, path = "/rounds/{id}/boxes/{code}/tubes", tag = "custody", request_body = BoxTubeRequest,
    params(("id" = i64, Path, description = "The round"), ("code" = String, Path, description = "The box code")),
    security(("bearer" = [])), responses((status = 200, body = BoxResponse), (status = 409, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn box_tube(
    State(s): State<AppState>,
    u: ApiUser,
    Path((id, code)): Path<(i64, String)>,
    Json(req): Json<BoxTubeRequest>,
) -> Result<Json<BoxResponse>, ApiError> {
    let b = desk(&s, &u)
        .box_tube(id, &code, &req.tube)
        .await
        .map_err(fail(u.lang))?;
    Ok(Json(BoxResponse::of(&b, None, None)))
}

/// Seals a box (封箱) with its tube and person counts; 409 `box_empty`, `box_status`.
#[utoipa::path(post, path = "/rounds/{id}/boxes/{code}/seal", tag = "custody",
    params(("id" = i64, Path, description = "The round"), ("code" = String, Path, description = "The box code")),
    security(("bearer" = [])), responses((status = 200, body = BoxResponse), (status = 409, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn seal_box(
    State(s): State<AppState>,
    u: ApiUser,
    Path((id, code)): Path<(i64, String)>,
) -> Result<Json<BoxResponse>, ApiError> {
    let b = desk(&s, &u)
        .move_box(
            id,
            &code,
            BoxStep::Seal {
                by: u.who.username().to_string(),
            },
        )
        .await
        .map_err(fail(u.lang))?;
    Ok(Json(BoxResponse::of(&b, None, None)))
}

/// A handover (交接单).
#[derive(Debug, Deserialize, ToSchema)]
pub struct HandOverRequest {
    /// Who carries the box.
    pub carrier: String,
    /// To which lab.
    pub lab: String,
}

/// Hands a sealed box to a carrier for a lab; 409 `box_status`.
#[utoipa::path(post, path = "/rounds/{id}/boxes/{code}/handover", tag = "custody", request_body = HandOverRequest,
    params(("id" = i64, Path, description = "The round"), ("code" = String, Path, description = "The box code")),
    security(("bearer" = [])), responses((status = 200, body = BoxResponse), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn hand_over(
    State(s): State<AppState>,
    u: ApiUser,
    Path((id, code)): Path<(i64, String)>,
    Json(req): Json<HandOverRequest>,
) -> Result<Json<BoxResponse>, ApiError> {
    let b = desk(&s, &u)
        .move_box(
            id,
            &code,
            BoxStep::HandOver {
                by: u.who.username().to_string(),
                carrier: req.carrier.trim().to_string(),
                lab: req.lab.trim().to_string(),
            },
        )
        .await
        .map_err(fail(u.lang))?;
    Ok(Json(BoxResponse::of(&b, None, None)))
}

/// The round's boxes at the caller's sampling points, newest first.
#[utoipa::path(get, path = "/rounds/{id}/boxes", tag = "custody", params(("id" = i64, Path, description = "The round")),
    security(("bearer" = [])), responses((status = 200, body = List<BoxResponse>), (status = 404, body = ErrorBody)))]
pub async fn list_boxes(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<List<BoxResponse>>, ApiError> {
    let boxes = desk(&s, &u).boxes(id).await.map_err(fail(u.lang))?;
    Ok(Json(List {
        total: boxes.len() as i64,
        items: boxes
            .iter()
            .map(|b| BoxResponse::of(b, None, None))
            .collect(),
    }))
}

/// The lab's receipt of a box.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReceiveRequest {
    /// Tubes the lab counted.
    pub tubes: i64,
    /// Why the count differs from the seal's (required when it does).
    #[serde(default)]
    pub note: Option<String>,
    /// The temperature in the box (°C): required for a box on a handover slip whose
    /// transport took 2 hours or more and that records none (422 `temperature_required`).
    #[serde(default)]
    pub temperature: Option<String>,
}

/// Receives a box at the lab (needs `lab_results`); a count that differs from the seal's
/// needs a note (409 `count_mismatch`) and is kept with it.
#[utoipa::path(post, path = "/lab/boxes/{code}/receive", tag = "custody", request_body = ReceiveRequest,
    params(("code" = String, Path, description = "The box code")), security(("bearer" = [])),
    responses((status = 200, body = BoxResponse), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn receive_box(
    State(s): State<AppState>,
    u: ApiUser,
    Path(code): Path<String>,
    Json(req): Json<ReceiveRequest>,
) -> Result<Json<BoxResponse>, ApiError> {
    let b = doorstep_app::rounds::HandoverDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .receive_box(
            &code,
            req.tubes,
            req.note.as_deref().unwrap_or(""),
            req.temperature.as_deref().unwrap_or(""),
        )
        .await
        .map_err(fail(u.lang))?;
    Ok(Json(BoxResponse::of(&b, None, None)))
}

/// One tube's result.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResultBody {
    /// The tube code.
    pub tube: String,
    /// `negative`, `positive` or `invalid` (or 阴性, 阳性, 无效).
    pub result: String,
    /// When tested (RFC 3339, or `YYYY-MM-DDTHH:MM` China time); now when left out.
    #[serde(default)]
    pub tested_at: Option<String>,
}

/// Results from the lab.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResultsRequest {
    /// At most 100,000.
    pub results: Vec<ResultBody>,
}

/// What the results did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResultsResponse {
    /// Recorded now.
    pub recorded: usize,
    /// The same as recorded before (nothing new).
    pub unchanged: usize,
    /// Tubes with a different result already: not overwritten.
    pub different: Vec<String>,
    /// Codes of no tube this lab may see.
    pub unknown: Vec<String>,
    /// Persons flagged by positive pools now.
    pub flagged: usize,
    /// Home re-sampling tasks made for them.
    pub tasks: usize,
}

/// Records results per tube (needs `lab_results`): every row is checked first (422 names
/// `results[i].field`), then all are recorded together. A result reaches every person in the
/// tube; a positive pool flags them and makes an urgent home re-sampling task for each.
#[utoipa::path(post, path = "/lab/results", tag = "custody", request_body = ResultsRequest, security(("bearer" = [])),
    responses((status = 200, body = ResultsResponse), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn results(
    State(s): State<AppState>,
    u: ApiUser,
    Json(req): Json<ResultsRequest>,
) -> Result<Json<ResultsResponse>, ApiError> {
    if req.results.len() > MAX_RESULTS {
        return Err(ApiError::from_app(
            AppError::Validation(vec![FieldProblem::new(
                "results",
                Problem::TooLong { max: MAX_RESULTS },
            )]),
            u.lang,
        ));
    }
    let rows: Vec<ResultInput> = req
        .results
        .into_iter()
        .map(|r| ResultInput {
            tube: r.tube,
            result: r.result,
            tested_at: r.tested_at.unwrap_or_default(),
        })
        .collect();
    let done = LabDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .results(&rows)
        .await
        .map_err(fail(u.lang))?;
    Ok(Json(ResultsResponse {
        recorded: done.recorded,
        unchanged: done.unchanged,
        different: done.different,
        unknown: done.unknown,
        flagged: done.flagged,
        tasks: done.tasks,
    }))
}

/// One custody event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventBody {
    /// `sampled`, `closed`, `boxed`, `sealed`, `handed_over`, `received`, `resulted`.
    pub action: String,
    /// Who.
    pub by: String,
    /// When (China time, to the minute).
    pub at: String,
    /// What else.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

fn timeline(events: &[CustodyEvent]) -> Vec<EventBody> {
    events
        .iter()
        .map(|e| EventBody {
            action: e.action.clone(),
            by: e.by.clone(),
            at: china_minute(e.at),
            details: e.details.clone(),
        })
        .collect()
}

/// A tube's chain of custody, oldest first.
#[utoipa::path(get, path = "/rounds/{id}/tubes/{code}/timeline", tag = "custody",
    params(("id" = i64, Path, description = "The round"), ("code" = String, Path, description = "The tube code")),
    security(("bearer" = [])), responses((status = 200, body = Vec<EventBody>), (status = 404, body = ErrorBody)))]
pub async fn tube_timeline(
    State(s): State<AppState>,
    u: ApiUser,
    Path((id, code)): Path<(i64, String)>,
) -> Result<Json<Vec<EventBody>>, ApiError> {
    let (_, events) = desk(&s, &u)
        .tube_timeline(id, &code)
        .await
        .map_err(fail(u.lang))?;
    Ok(Json(timeline(&events)))
}

/// A box's chain of custody, oldest first.
#[utoipa::path(get, path = "/rounds/{id}/boxes/{code}/timeline", tag = "custody",
    params(("id" = i64, Path, description = "The round"), ("code" = String, Path, description = "The box code")),
    security(("bearer" = [])), responses((status = 200, body = Vec<EventBody>), (status = 404, body = ErrorBody)))]
pub async fn box_timeline(
    State(s): State<AppState>,
    u: ApiUser,
    Path((id, code)): Path<(i64, String)>,
) -> Result<Json<Vec<EventBody>>, ApiError> {
    let (_, events) = desk(&s, &u)
        .box_timeline(id, &code)
        .await
        .map_err(fail(u.lang))?;
    Ok(Json(timeline(&events)))
}

/// A person flagged by a positive pool.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlagBody {
    /// The person.
    pub person_id: i64,
    /// 姓名
    pub name: String,
    /// Masked ID number.
    pub id_number: String,
    /// The household (listed on top of the community's board).
    pub household_id: i64,
    /// The address.
    pub address: String,
    /// The positive pool's tube.
    pub tube: String,
    /// `flagged` (to re-sample), `negative` (released) or `positive` (to transfer).
    pub status: String,
    /// When flagged (RFC 3339).
    pub flagged_at: String,
}

/// The persons positive pools flagged in the caller's area, newest first.
#[utoipa::path(get, path = "/rounds/{id}/flags", tag = "custody", params(("id" = i64, Path, description = "The round")),
    security(("bearer" = [])), responses((status = 200, body = List<FlagBody>), (status = 404, body = ErrorBody)))]
pub async fn flags(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<List<FlagBody>>, ApiError> {
    let flags = desk(&s, &u).flags(id).await.map_err(fail(u.lang))?;
    Ok(Json(List {
        total: flags.len() as i64,
        items: flags
            .iter()
            .map(|(f, p)| FlagBody {
                person_id: p.id,
                name: p.fields.name().to_string(),
                id_number: p.fields.doc().masked(),
                household_id: p.household_id,
                address: p.address.clone(),
                tube: f.tube.to_string(),
                status: f.status.clone(),
                flagged_at: rfc3339(f.flagged_at),
            })
            .collect(),
    }))
}

/// Which report.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReportQuery {
    /// An area path inside the round (the caller's, or the round's, when left out).
    pub area: Option<String>,
    /// `json` (default), `xlsx` or `csv` (coverage by area with its totals).
    pub format: Option<String>,
}

/// Coverage in a report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportCoverage {
    /// The area.
    pub area: String,
    /// Persons expected, sampled, excused, missing.
    pub expected: i64,
    /// See `expected`.
    pub sampled: i64,
    /// See `expected`.
    pub excluded: i64,
    /// See `expected`.
    pub missing: i64,
}

/// A box's times.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoxTimesBody {
    /// The box code.
    pub code: String,
    /// Its status.
    pub status: String,
    /// Minutes from its first sample to sealing, handover, the lab.
    pub to_seal: Option<i64>,
    /// See `to_seal`.
    pub to_handover: Option<i64>,
    /// See `to_seal`.
    pub to_lab: Option<i64>,
    /// Minutes since its first sample while not at the lab.
    pub waiting: Option<i64>,
    /// Not at the lab within 4 hours of its first sample.
    pub late: bool,
}

/// The round report (检测情况汇总).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportResponse {
    /// Coverage of the area.
    pub coverage: ReportCoverage,
    /// Each child area's.
    pub children: Vec<ReportCoverage>,
    /// Tubes opened, closed, closed short, with a result, positive; samples taken.
    pub tubes: i64,
    /// See `tubes`.
    pub tubes_closed: i64,
    /// See `tubes`.
    pub tubes_short: i64,
    /// See `tubes`.
    pub tubes_resulted: i64,
    /// See `tubes`.
    pub tubes_positive: i64,
    /// See `tubes`.
    pub samples: i64,
    /// Persons flagged by positive pools: still to re-sample, released, positive.
    pub flagged: i64,
    /// See `flagged`.
    pub released: i64,
    /// See `flagged`.
    pub positive_persons: i64,
    /// Boxes, and of those received by the lab.
    pub boxes: i64,
    /// See `boxes`.
    pub boxes_received: i64,
    /// Median minutes from first sample to seal, to handover, to the lab.
    pub median_to_seal: Option<i64>,
    /// See `median_to_seal`.
    pub median_to_handover: Option<i64>,
    /// See `median_to_seal`.
    pub median_to_lab: Option<i64>,
    /// The slowest boxes, slowest first.
    pub worst_boxes: Vec<BoxTimesBody>,
    /// Boxes late (not at the lab within 4 hours): the community's alerts.
    pub late_boxes: Vec<BoxTimesBody>,
}

fn cov(c: &doorstep_app::rounds::Coverage) -> ReportCoverage {
    ReportCoverage {
        area: c.area.as_ref().map(ToString::to_string).unwrap_or_default(),
        expected: c.expected,
        sampled: c.sampled,
        excluded: c.excluded,
        missing: c.missing,
    }
}

fn times(t: &doorstep_app::rounds::BoxTimes) -> BoxTimesBody {
    BoxTimesBody {
        code: t.code.clone(),
        status: t.status.clone(),
        to_seal: t.to_seal,
        to_handover: t.to_handover,
        to_lab: t.to_lab,
        waiting: t.waiting,
        late: t.late,
    }
}

/// The round report: coverage, tubes and pools, positives, timeliness (medians, the slowest
/// and the late boxes); `format=xlsx|csv` downloads coverage by area with its totals.
#[utoipa::path(get, path = "/rounds/{id}/report", tag = "custody",
    params(("id" = i64, Path, description = "The round"), ReportQuery), security(("bearer" = [])),
    responses((status = 200, body = ReportResponse), (status = 404, body = ErrorBody)))]
pub async fn report(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<ReportQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let area = match q.area.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => Some(
            doorstep_core::AreaPath::parse(a)
                .map_err(|p| ApiError::bad_request("bad_area", &p.message(u.lang)))?,
        ),
    };
    let d = desk(&s, &u);
    let sheet = match q.format.as_deref() {
        Some("xlsx") => Some((
            doorstep_app::export::SheetFormat::Xlsx,
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )),
        Some("csv") => Some((
            doorstep_app::export::SheetFormat::Csv,
            "csv",
            "text/csv; charset=utf-8",
        )),
        _ => None,
    };
    if let Some((format, ext, mime)) = sheet {
        let (_, bytes) = super::reports::written(ext, |path| async move {
            d.write_report(id, area, format, &path).await
        })
        .await
        .map_err(fail(u.lang))?;
        return Ok(super::reports_download(
            bytes,
            &format!("检测情况汇总-{id}.{ext}"),
            mime,
        ));
    }
    let r = d.report(id, area).await.map_err(fail(u.lang))?;
    Ok(Json(ReportResponse {
        coverage: cov(&r.coverage),
        children: r.coverage.children.iter().map(cov).collect(),
        tubes: r.tubes.tubes,
        tubes_closed: r.tubes.closed,
        tubes_short: r.tubes.short,
        tubes_resulted: r.tubes.resulted,
        tubes_positive: r.tubes.positive,
        samples: r.tubes.samples,
        flagged: r.flagged.0 as i64,
        released: r.flagged.1 as i64,
        positive_persons: r.flagged.2 as i64,
        boxes: r.boxes.0 as i64,
        boxes_received: r.boxes.1 as i64,
        median_to_seal: r.medians.0,
        median_to_handover: r.medians.1,
        median_to_lab: r.medians.2,
        worst_boxes: r.worst.iter().map(times).collect(),
        late_boxes: r.late.iter().map(times).collect(),
    })
    .into_response())
}

/// Every custody route.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(list_boxes, open_box))
        .routes(routes!(get_box))
        .routes(routes!(box_tube))
        .routes(routes!(seal_box))
        .routes(routes!(hand_over))
        .routes(routes!(receive_box))
        .routes(routes!(results))
        .routes(routes!(tube_timeline))
        .routes(routes!(box_timeline))
        .routes(routes!(flags))
        .routes(routes!(report))
}
