//! Handover slips (交接单): sealed boxes handed to a carrier for a lab and signed by the
//! sender, received and signed by the lab with its own counts; the transport group's pickup
//! list; the lab's look at a box before receiving it. Every endpoint goes through
//! `doorstep_app::rounds::HandoverDesk`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use doorstep_app::rounds::{HandoverDesk, HandoverForm, ReceiptInput};
use doorstep_store::{Handover, TransportBox};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiUser;
use super::custody::{BoxResponse, fail};
use super::dto::{List, rfc3339};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};

fn desk<'a>(s: &'a AppState, u: &'a ApiUser) -> HandoverDesk<'a> {
    HandoverDesk::new(s.store.as_ref(), &u.who, &u.ctx)
}

/// A handover slip.
#[derive(Debug, Serialize, ToSchema)]
pub struct HandoverResponse {
    /// The slip's number.
    pub id: i64,
    /// Its round.
    pub round_id: i64,
    /// The sampling point (from).
    pub area: String,
    /// The lab (to).
    pub lab: String,
    /// Who carries the boxes.
    pub carrier: String,
    /// Packaging intact at handover.
    pub packaging_intact: bool,
    /// Disinfected at handover.
    pub disinfected: bool,
    /// The temperature in the boxes (°C, one decimal), if recorded.
    pub temperature: Option<String>,
    /// The sender's signature: who, when (RFC 3339).
    pub sent_by: String,
    /// See `sent_by`.
    pub handed_at: String,
    /// The lab receiver's signature, once every box is received.
    pub received_by: Option<String>,
    /// See `received_by`.
    pub received_at: Option<String>,
    /// Minutes from handover to receipt.
    pub transport_minutes: Option<i64>,
    /// Tubes sealed in its boxes, and as the lab counted them (once all are received).
    pub tubes: i64,
    /// See `tubes`.
    pub received_tubes: Option<i64>,
    /// Its boxes (single reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boxes: Option<Vec<BoxResponse>>,
}

impl HandoverResponse {
    fn of(h: &Handover, boxes: Option<&[TransportBox]>) -> HandoverResponse {
        let all_received = boxes.is_some_and(|b| b.iter().all(|b| b.received_tubes.is_some()));
        HandoverResponse {
            id: h.id,
            round_id: h.round_id,
            area: h.area_path.to_string(),
            lab: h.lab.clone(),
            carrier: h.carrier.clone(),
            packaging_intact: h.packaging_intact,
            disinfected: h.disinfected,
            temperature: h.temperature.map(|t| t.to_string()),
            sent_by: h.sent_by.clone(),
            handed_at: rfc3339(h.handed_at),
            received_by: h.received_by.clone(),
            received_at: h.received_at.map(rfc3339),
            transport_minutes: h.received_at.map(|r| (r - h.handed_at).whole_minutes()),
            tubes: boxes.map_or(0, |b| b.iter().map(|b| b.tubes).sum()),
            received_tubes: boxes
                .filter(|_| all_received)
                .map(|b| b.iter().filter_map(|b| b.received_tubes).sum()),
            boxes: boxes.map(|b| b.iter().map(|b| BoxResponse::of(b, None, None)).collect()),
        }
    }
}

/// A handover to write.
#[derive(Debug, Deserialize, ToSchema)]
pub struct HandoverRequest {
    /// Sealed boxes of one sampling point (codes as scanned).
    pub boxes: Vec<String>,
    /// Who carries them.
    pub carrier: String,
    /// To which lab.
    pub lab: String,
    /// Packaging intact.
    pub packaging_intact: bool,
    /// Disinfected.
    pub disinfected: bool,
    /// The temperature in the boxes (°C), if measured now.
    #[serde(default)]
    pub temperature: Option<String>,
}

/// Hands sealed boxes over on one slip, signed by the caller (needs `transport` over the
/// boxes' sampling point); 409 `box_status` for a box not sealed, 422 for a missing carrier
/// or lab or boxes of two sampling points.
#[utoipa::path(post, path = "/handovers", tag = "custody", request_body = HandoverRequest,
    security(("bearer" = [])), responses((status = 201, body = HandoverResponse), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    u: ApiUser,
    Json(req): Json<HandoverRequest>,
) -> Result<(StatusCode, Json<HandoverResponse>), ApiError> {
    let d = desk(&s, &u);
    let h = d
        .create(&HandoverForm {
            boxes: req.boxes,
            carrier: req.carrier,
            lab: req.lab,
            packaging_intact: req.packaging_intact,
            disinfected: req.disinfected,
            temperature: req.temperature.unwrap_or_default(),
        })
        .await
        .map_err(fail(u.lang))?;
    let (h, boxes) = d.handover(h.id).await.map_err(fail(u.lang))?;
    Ok((
        StatusCode::CREATED,
        Json(HandoverResponse::of(&h, Some(&boxes))),
    ))
}

/// A slip with its boxes (the sending side over its area, the lab over the round's).
#[utoipa::path(get, path = "/handovers/{id}", tag = "custody",
    params(("id" = i64, Path, description = "The slip")), security(("bearer" = [])),
    responses((status = 200, body = HandoverResponse), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<HandoverResponse>, ApiError> {
    let (h, boxes) = desk(&s, &u).handover(id).await.map_err(fail(u.lang))?;
    Ok(Json(HandoverResponse::of(&h, Some(&boxes))))
}

/// A round's slips the caller may see, newest first.
#[utoipa::path(get, path = "/rounds/{id}/handovers", tag = "custody",
    params(("id" = i64, Path, description = "The round")), security(("bearer" = [])),
    responses((status = 200, body = List<HandoverResponse>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<List<HandoverResponse>>, ApiError> {
    let all = desk(&s, &u).handovers(id).await.map_err(fail(u.lang))?;
    Ok(Json(List {
        total: all.len() as i64,
        items: all.iter().map(|h| HandoverResponse::of(h, None)).collect(),
    }))
}

/// The latest slips (at most 20) from sampling points in the caller's area, newest first
/// (needs `transport` or `manage_rounds`).
#[utoipa::path(get, path = "/handovers", tag = "custody", security(("bearer" = [])),
    responses((status = 200, body = List<HandoverResponse>), (status = 403, body = ErrorBody)))]
pub async fn recent(
    State(s): State<AppState>,
    u: ApiUser,
) -> Result<Json<List<HandoverResponse>>, ApiError> {
    let all = desk(&s, &u).recent().await.map_err(fail(u.lang))?;
    Ok(Json(List {
        total: all.len() as i64,
        items: all.iter().map(|h| HandoverResponse::of(h, None)).collect(),
    }))
}

/// One box as the lab counted it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BoxCount {
    /// The box code.
    pub code: String,
    /// Tubes counted.
    pub tubes: i64,
    /// Why the count differs from the seal's (required when it does).
    #[serde(default)]
    pub note: Option<String>,
}

/// The lab's receipt of a slip.
#[derive(Debug, Deserialize, ToSchema)]
pub struct HandoverReceiveRequest {
    /// The slip's boxes as counted (boxes received already are skipped).
    pub boxes: Vec<BoxCount>,
    /// The temperature in the boxes (°C): required when the transport took 2 hours or more
    /// and the slip records none.
    #[serde(default)]
    pub temperature: Option<String>,
}

/// Receives a slip's boxes at the lab and signs it once all are received (needs
/// `lab_results` over the round's area): a count that differs from the seal's needs a note
/// (409 `count_mismatch`), a transport of 2 hours or more a temperature (422
/// `temperature_required` at `temperature`).
#[utoipa::path(post, path = "/handovers/{id}/receive", tag = "custody", request_body = HandoverReceiveRequest,
    params(("id" = i64, Path, description = "The slip")), security(("bearer" = [])),
    responses((status = 200, body = HandoverResponse), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn receive(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<HandoverReceiveRequest>,
) -> Result<Json<HandoverResponse>, ApiError> {
    let receipts: Vec<ReceiptInput> = req
        .boxes
        .into_iter()
        .map(|b| ReceiptInput {
            code: b.code,
            tubes: b.tubes,
            note: b.note.unwrap_or_default(),
        })
        .collect();
    let d = desk(&s, &u);
    d.receive(id, &receipts, req.temperature.as_deref().unwrap_or(""))
        .await
        .map_err(fail(u.lang))?;
    let (h, boxes) = d.handover(id).await.map_err(fail(u.lang))?;
    Ok(Json(HandoverResponse::of(&h, Some(&boxes))))
}

/// Sealed boxes waiting for pickup in the caller's area, oldest seal first (the transport
/// group's list; needs `transport`).
#[utoipa::path(get, path = "/transport/waiting", tag = "custody", security(("bearer" = [])),
    responses((status = 200, body = List<BoxResponse>), (status = 403, body = ErrorBody)))]
pub async fn waiting(
    State(s): State<AppState>,
    u: ApiUser,
) -> Result<Json<List<BoxResponse>>, ApiError> {
    let boxes = desk(&s, &u).waiting().await.map_err(fail(u.lang))?;
    Ok(Json(List {
        total: boxes.len() as i64,
        items: boxes
            .iter()
            .map(|b| BoxResponse::of(b, None, None))
            .collect(),
    }))
}

/// A box as the lab sees it before receiving it: its sealed count and slip (needs
/// `lab_results` over the round's area).
#[utoipa::path(get, path = "/lab/boxes/{code}", tag = "custody",
    params(("code" = String, Path, description = "The box code")), security(("bearer" = [])),
    responses((status = 200, body = BoxResponse), (status = 404, body = ErrorBody)))]
pub async fn lab_box(
    State(s): State<AppState>,
    u: ApiUser,
    Path(code): Path<String>,
) -> Result<Json<BoxResponse>, ApiError> {
    let b = desk(&s, &u).lab_box(&code).await.map_err(fail(u.lang))?;
    Ok(Json(BoxResponse::of(&b, None, None)))
}

/// Every handover route.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(recent, create))
        .routes(routes!(get_one))
        .routes(routes!(list))
        .routes(routes!(receive))
        .routes(routes!(waiting))
        .routes(routes!(lab_box))
}
