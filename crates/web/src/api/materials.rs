//! Sampling points (采样点) and their materials (物资) as JSON: a round's points (name, place,
//! staff), the batches of tube codes, box codes and swabs handed to each, what each returned
//! and spoiled, and each point's day reconciled (issued = used + returned + spoiled) with
//! what runs low. Every endpoint goes through `doorstep_app::rounds::RoundDesk`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use doorstep_app::rounds::{
    BatchInput, CodesInput, CountInput, PointForm, PointMaterials, RoundDesk,
};
use doorstep_core::CodeSet;
use doorstep_store::{MaterialBatch, SamplingPoint};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiUser;
use super::dto::{List, rfc3339};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};

fn desk<'a>(s: &'a AppState, u: &'a ApiUser) -> RoundDesk<'a> {
    RoundDesk::new(s.store.as_ref(), &u.who, &u.ctx)
}

/// A sampling point.
#[derive(Debug, Serialize, ToSchema)]
pub struct PointResponse {
    /// Its id (a scan's `point`).
    pub id: i64,
    /// Its round.
    pub round_id: i64,
    /// Its name.
    pub name: String,
    /// Where it stands (an area path inside the round).
    pub place: String,
    /// The user names working there.
    pub staff: Vec<String>,
}

impl From<&SamplingPoint> for PointResponse {
    fn from(p: &SamplingPoint) -> Self {
        PointResponse {
            id: p.id,
            round_id: p.round_id,
            name: p.name.clone(),
            place: p.place.to_string(),
            staff: p.staff.clone(),
        }
    }
}

/// A point to create, or its new name, place and staff.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PointRequest {
    /// Its name, e.g. `佳纷天地东门` (unique in the round).
    pub name: String,
    /// Where it stands: an area path inside the round's areas (a compound, usually).
    pub place: String,
    /// The user names working there (a sampler staffing exactly one point of the round
    /// scans there without naming it).
    #[serde(default)]
    pub staff: Vec<String>,
}

impl PointRequest {
    fn form(self) -> PointForm {
        PointForm {
            name: self.name,
            place: self.place,
            staff: self.staff,
        }
    }
}

/// The round's sampling points near the caller's area, by name.
#[utoipa::path(get, path = "/rounds/{id}/points", tag = "materials", params(("id" = i64, Path, description = "The round")),
    security(("bearer" = [])), responses((status = 200, body = List<PointResponse>), (status = 404, body = ErrorBody)))]
pub async fn list_points(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<List<PointResponse>>, ApiError> {
    let points = desk(&s, &u)
        .points(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: points.len() as i64,
        items: points.iter().map(PointResponse::from).collect(),
    }))
}

/// Creates a sampling point (needs `manage_rounds`); 409 `point_name_unique`, 422 for a
/// place outside the round or staff who are not users.
#[utoipa::path(post, path = "/rounds/{id}/points", tag = "materials", request_body = PointRequest,
    params(("id" = i64, Path, description = "The round")), security(("bearer" = [])),
    responses((status = 201, body = PointResponse), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_point(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<PointRequest>,
) -> Result<(StatusCode, Json<PointResponse>), ApiError> {
    let p = desk(&s, &u)
        .create_point(id, &req.form())
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok((StatusCode::CREATED, Json(PointResponse::from(&p))))
}

/// A sampling point.
#[utoipa::path(get, path = "/rounds/{id}/points/{point_id}", tag = "materials",
    params(("id" = i64, Path, description = "The round"), ("point_id" = i64, Path, description = "The point")),
    security(("bearer" = [])), responses((status = 200, body = PointResponse), (status = 404, body = ErrorBody)))]
pub async fn get_point(
    State(s): State<AppState>,
    u: ApiUser,
    Path((id, point_id)): Path<(i64, i64)>,
) -> Result<Json<PointResponse>, ApiError> {
    let p = desk(&s, &u)
        .point(id, point_id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(PointResponse::from(&p)))
}

/// Changes a point's name, place and staff (needs `manage_rounds`).
#[utoipa::path(put, path = "/rounds/{id}/points/{point_id}", tag = "materials", request_body = PointRequest,
    params(("id" = i64, Path, description = "The round"), ("point_id" = i64, Path, description = "The point")),
    security(("bearer" = [])), responses((status = 200, body = PointResponse), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn update_point(
    State(s): State<AppState>,
    u: ApiUser,
    Path((id, point_id)): Path<(i64, i64)>,
    Json(req): Json<PointRequest>,
) -> Result<Json<PointResponse>, ApiError> {
    let p = desk(&s, &u)
        .update_point(id, point_id, &req.form())
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(PointResponse::from(&p)))
}

/// A batch handed to a point: tube or box codes as a range or a list, or swabs counted.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MaterialBatchRequest {
    /// `tube`, `box` or `swab`.
    pub kind: String,
    /// The day it is for, `YYYY-MM-DD` (China); today when left out.
    #[serde(default)]
    pub day: Option<String>,
    /// Tubes and boxes: a range of pre-printed codes, `T2026000001-T2026000500` (both ends
    /// with the same prefix and number of digits) …
    #[serde(default)]
    pub range: Option<String>,
    /// … or a list of codes.
    #[serde(default)]
    pub codes: Option<Vec<String>>,
    /// Swabs: how many.
    #[serde(default)]
    pub quantity: Option<i64>,
}

/// A batch as recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct MaterialBatchResponse {
    /// Its id.
    pub id: i64,
    /// The point.
    pub point_id: i64,
    /// `tube`, `box` or `swab`.
    pub kind: String,
    /// The day it is for.
    pub day: String,
    /// The codes in short (`T0001–T0500`, or the first of a list); none for swabs.
    pub codes: Option<String>,
    /// First and last code (a range's ends, a list's first and last in order).
    pub first: Option<String>,
    /// See `first`.
    pub last: Option<String>,
    /// How many.
    pub quantity: i64,
    /// Who handed it out, when (RFC 3339).
    pub by: String,
    /// See `by`.
    pub at: String,
}

impl From<&MaterialBatch> for MaterialBatchResponse {
    fn from(b: &MaterialBatch) -> Self {
        let bounds = b.codes.as_ref().map(CodeSet::bounds);
        MaterialBatchResponse {
            id: b.id,
            point_id: b.point_id,
            kind: b.kind.code().to_string(),
            day: b.day.to_string(),
            codes: b.codes.as_ref().map(CodeSet::describe),
            first: bounds.as_ref().map(|(a, _)| a.clone()),
            last: bounds.map(|(_, z)| z),
            quantity: b.quantity,
            by: b.by.clone(),
            at: rfc3339(b.at),
        }
    }
}

/// Records a batch handed to a point (needs `transport` or `manage_rounds` at its place);
/// 422 with the problem at `range`, `codes[i]` or `quantity`.
#[utoipa::path(post, path = "/rounds/{id}/points/{point_id}/batches", tag = "materials", request_body = MaterialBatchRequest,
    params(("id" = i64, Path, description = "The round"), ("point_id" = i64, Path, description = "The point")),
    security(("bearer" = [])), responses((status = 201, body = MaterialBatchResponse), (status = 422, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn add_batch(
    State(s): State<AppState>,
    u: ApiUser,
    Path((id, point_id)): Path<(i64, i64)>,
    Json(req): Json<MaterialBatchRequest>,
) -> Result<(StatusCode, Json<MaterialBatchResponse>), ApiError> {
    let codes = match (req.range, req.codes) {
        (Some(r), _) => CodesInput::Range(r),
        (None, Some(l)) => CodesInput::List(l),
        (None, None) => CodesInput::None,
    };
    let input = BatchInput {
        kind: req.kind,
        day: req.day.unwrap_or_default(),
        codes,
        quantity: req.quantity.map(|q| q.to_string()).unwrap_or_default(),
    };
    let b = desk(&s, &u)
        .add_batch(id, point_id, &input)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok((StatusCode::CREATED, Json(MaterialBatchResponse::from(&b))))
}

/// What a point returned and spoiled of one kind on a day (the latest count replaces the
/// one before).
#[derive(Debug, Deserialize, ToSchema)]
pub struct CountRequest {
    /// `tube`, `box` or `swab`.
    pub kind: String,
    /// The day, `YYYY-MM-DD`; today when left out.
    #[serde(default)]
    pub day: Option<String>,
    /// Given back to the transport group.
    #[serde(default)]
    pub returned: i64,
    /// Spoiled.
    #[serde(default)]
    pub spoiled: i64,
}

/// One kind's account at a point on a day.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerResponse {
    /// `tube`, `box` or `swab`.
    pub kind: String,
    /// Received.
    pub issued: i64,
    /// Used: codes of the day's batches in use (tubes, boxes); swabs: persons sampled into
    /// the day's tubes.
    pub used: i64,
    /// Given back.
    pub returned: i64,
    /// Spoiled.
    pub spoiled: i64,
    /// issued − used − returned − spoiled: still at the point, or at the day's end the
    /// difference that keeps it from balancing.
    pub remaining: i64,
    /// Whether issued = used + returned + spoiled.
    pub balanced: bool,
    /// Whether what remains is under `threshold` (running low).
    pub low: bool,
    /// 10 % of what was issued, or a floor per kind (20 tubes, 2 boxes, 50 swabs).
    pub threshold: i64,
}

/// A batch with its codes in use.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchUseResponse {
    /// The batch.
    #[serde(flatten)]
    pub batch: MaterialBatchResponse,
    /// Its codes in use.
    pub used: i64,
}

/// A point's materials on a day.
#[derive(Debug, Serialize, ToSchema)]
pub struct MaterialsResponse {
    /// The point.
    pub point: PointResponse,
    /// The day.
    pub day: String,
    /// Whether any kind runs low.
    pub low: bool,
    /// Tubes, boxes, swabs.
    pub ledgers: Vec<LedgerResponse>,
    /// The day's batches.
    pub batches: Vec<BatchUseResponse>,
}

impl From<&PointMaterials> for MaterialsResponse {
    fn from(m: &PointMaterials) -> Self {
        MaterialsResponse {
            point: PointResponse::from(&m.point),
            day: m.day.to_string(),
            low: m.low(),
            ledgers: m
                .ledgers
                .iter()
                .map(|l| LedgerResponse {
                    kind: l.kind.code().to_string(),
                    issued: l.ledger.issued,
                    used: l.ledger.used,
                    returned: l.ledger.returned,
                    spoiled: l.ledger.spoiled,
                    remaining: l.ledger.remaining(),
                    balanced: l.ledger.balanced(),
                    low: l.low,
                    threshold: l.threshold,
                })
                .collect(),
            batches: m
                .batches
                .iter()
                .map(|b| BatchUseResponse {
                    batch: MaterialBatchResponse::from(&b.batch),
                    used: b.used,
                })
                .collect(),
        }
    }
}

/// Which day.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DayQuery {
    /// `YYYY-MM-DD` (China); today when left out.
    pub day: Option<String>,
}

/// Sets what a point returned and spoiled of one kind on a day (needs `transport` or
/// `manage_rounds` at its place); answers the point's day.
#[utoipa::path(put, path = "/rounds/{id}/points/{point_id}/counts", tag = "materials", request_body = CountRequest,
    params(("id" = i64, Path, description = "The round"), ("point_id" = i64, Path, description = "The point")),
    security(("bearer" = [])), responses((status = 200, body = MaterialsResponse), (status = 422, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn set_counts(
    State(s): State<AppState>,
    u: ApiUser,
    Path((id, point_id)): Path<(i64, i64)>,
    Json(req): Json<CountRequest>,
) -> Result<Json<MaterialsResponse>, ApiError> {
    let fail = |e| ApiError::from_app(e, u.lang);
    let day = req.day.unwrap_or_default();
    let input = CountInput {
        kind: req.kind,
        day: day.clone(),
        returned: req.returned.to_string(),
        spoiled: req.spoiled.to_string(),
    };
    let d = desk(&s, &u);
    d.set_counts(id, point_id, &input).await.map_err(fail)?;
    let m = d.point_materials(id, point_id, &day).await.map_err(fail)?;
    Ok(Json(MaterialsResponse::from(&m)))
}

/// A point's materials on a day: each kind reconciled, low stock flagged, the batches.
#[utoipa::path(get, path = "/rounds/{id}/points/{point_id}/materials", tag = "materials",
    params(("id" = i64, Path, description = "The round"), ("point_id" = i64, Path, description = "The point"), DayQuery),
    security(("bearer" = [])), responses((status = 200, body = MaterialsResponse), (status = 422, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn point_materials(
    State(s): State<AppState>,
    u: ApiUser,
    Path((id, point_id)): Path<(i64, i64)>,
    Query(q): Query<DayQuery>,
) -> Result<Json<MaterialsResponse>, ApiError> {
    let m = desk(&s, &u)
        .point_materials(id, point_id, q.day.as_deref().unwrap_or(""))
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(MaterialsResponse::from(&m)))
}

/// Every point's materials near the caller on a day: the transport group's list of who
/// runs low of tube or box codes (转运箱码够不够).
#[utoipa::path(get, path = "/rounds/{id}/materials", tag = "materials",
    params(("id" = i64, Path, description = "The round"), DayQuery),
    security(("bearer" = [])), responses((status = 200, body = List<MaterialsResponse>), (status = 422, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn round_materials(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<DayQuery>,
) -> Result<Json<List<MaterialsResponse>>, ApiError> {
    let all = desk(&s, &u)
        .round_materials(id, q.day.as_deref().unwrap_or(""))
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: all.len() as i64,
        items: all.iter().map(MaterialsResponse::from).collect(),
    }))
}

/// Every sampling point and materials route.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(list_points, create_point))
        .routes(routes!(get_point, update_point))
        .routes(routes!(add_batch))
        .routes(routes!(set_counts))
        .routes(routes!(point_materials))
        .routes(routes!(round_materials))
}
