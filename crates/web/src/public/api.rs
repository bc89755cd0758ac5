//! `POST /api/v1/public/reports/{token}`: a household's report as JSON, no login. The link's
//! token is the only key: nothing else in the system is reachable through it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use doorstep_app::reports::{
    self, AddressChoices, AddressInput, AnswersInput, MemberInput, PublicError, SubmissionInput,
};
use doorstep_core::Lang;
use doorstep_store::Report;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::context::{ReqCtx, ReqLang};
use crate::error::{ApiError, ErrorBody, FieldError};

/// One household member.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct MemberRequest {
    /// 姓名
    pub name: Option<String>,
    /// 证件类型: 居民身份证 (default), 护照, 港澳居民来往内地通行证, 台湾居民来往大陆通行证, 外国人永久居留身份证.
    pub id_type: Option<String>,
    /// 证件号码
    pub id_number: Option<String>,
    /// 联系电话 (optional for children)
    pub phone: Option<String>,
    /// 与户主关系
    pub relation: Option<String>,
}

/// The address, as the registry names it under the link's area.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct AddressRequest {
    /// 小区/楼院
    pub compound: Option<String>,
    /// 楼栋 (`3` means 3号楼)
    pub building: Option<String>,
    /// 单元 (`2` means 2单元)
    pub unit: Option<String>,
    /// 房号 (may be one the registry does not list yet)
    pub room: Option<String>,
}

/// The purpose's questions.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct AnswersRequest {
    /// 来源地 (returnee reports, required)
    pub from_place: Option<String>,
    /// 风险场所, one of the link's places (risk-visit reports, required)
    pub risk_place: Option<String>,
    /// 到达或接触日期, YYYY-MM-DD (required for risk-visit and returnee reports)
    pub date: Option<String>,
    /// Who told the household to home-quarantine
    pub notified_by: Option<String>,
    /// Symptoms, free text
    pub symptoms: Option<String>,
    /// Body temperature in °C
    pub temperature: Option<String>,
    /// Anything else
    pub notes: Option<String>,
}

/// A household's report.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct SubmitReportRequest {
    /// Chosen by the client, 1–64 of `A-Za-z0-9_-`: a retry with the same key and the same
    /// body returns the first report and stores nothing new; the same key with another body
    /// is refused (409 `idempotency_key_reused`).
    pub idempotency_key: String,
    /// The address.
    pub address: AddressRequest,
    /// The household's members (1–20).
    pub members: Vec<MemberRequest>,
    /// The purpose's answers.
    pub answers: AnswersRequest,
}

impl From<SubmitReportRequest> for SubmissionInput {
    fn from(r: SubmitReportRequest) -> Self {
        SubmissionInput {
            idempotency_key: r.idempotency_key,
            address: AddressInput {
                compound: r.address.compound.unwrap_or_default(),
                building: r.address.building.unwrap_or_default(),
                unit: r.address.unit.unwrap_or_default(),
                room: r.address.room.unwrap_or_default(),
            },
            members: r.members.into_iter().map(MemberInput::from).collect(),
            answers: r.answers.into(),
        }
    }
}

impl From<MemberRequest> for MemberInput {
    fn from(m: MemberRequest) -> Self {
        MemberInput {
            name: m.name.unwrap_or_default(),
            id_type: m.id_type.unwrap_or_default(),
            id_number: m.id_number.unwrap_or_default(),
            phone: m.phone.unwrap_or_default(),
            relation: m.relation.unwrap_or_default(),
        }
    }
}

impl From<AnswersRequest> for AnswersInput {
    fn from(a: AnswersRequest) -> Self {
        AnswersInput {
            from_place: a.from_place.unwrap_or_default(),
            risk_place: a.risk_place.unwrap_or_default(),
            date: a.date.unwrap_or_default(),
            notified_by: a.notified_by.unwrap_or_default(),
            symptoms: a.symptoms.unwrap_or_default(),
            temperature: a.temperature.unwrap_or_default(),
            notes: a.notes.unwrap_or_default(),
        }
    }
}

/// A stored report, as the resident gets it back.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptResponse {
    /// The report's id.
    pub report_id: i64,
    /// The receipt code to keep; it opens the view-and-correct page.
    pub receipt: String,
    /// That page.
    pub receipt_url: String,
    /// Until when the report may be corrected (RFC 3339).
    pub edit_until: String,
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
}

/// The receipt of a report.
pub fn receipt_of(token: &str, r: &Report) -> ReceiptResponse {
    ReceiptResponse {
        report_id: r.id,
        receipt: r.receipt.clone(),
        receipt_url: format!("/r/{token}/receipt/{}", r.receipt),
        edit_until: crate::api::dto::rfc3339(r.edit_until),
        status: r.status.code().to_string(),
    }
}

/// A public error as an API answer.
pub fn public_error(e: PublicError, lang: Lang) -> ApiError {
    match e {
        PublicError::NotFound => ApiError::new(
            StatusCode::NOT_FOUND,
            "link_not_found",
            lang.pick("二维码无效，请向社区核实", "this code is not valid; ask your community"),
        ),
        PublicError::Closed => ApiError::new(
            StatusCode::GONE,
            "link_closed",
            lang.pick(
                "此报备二维码已停用或过期，请向社区索取新的二维码",
                "this report code has been withdrawn or has expired; ask your community for a new one",
            ),
        ),
        PublicError::Locked => ApiError::new(
            StatusCode::CONFLICT,
            "report_locked",
            lang.pick(
                "报备已审核或已超过 24 小时，不能再修改，如需更正请联系社区",
                "the report has been reviewed or is older than 24 hours; ask your community to correct it",
            ),
        ),
        PublicError::KeyReused => ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_key_reused",
            lang.pick(
                "此 idempotency_key 已用于另一份内容不同的报备；新的报备请用新的 idempotency_key",
                "this idempotency_key was used for a report with different content; send a new report with a new idempotency_key",
            ),
        ),
        PublicError::Invalid(problems) => ApiError::validation(
            problems
                .into_iter()
                .map(|p| FieldError {
                    path: p.path,
                    code: p.problem.code().to_string(),
                    message: p.problem.message(lang),
                })
                .collect(),
            lang,
        ),
        PublicError::Store(e) => ApiError::store(e, lang),
        PublicError::Internal(cause) => {
            ApiError::from_app(doorstep_app::error::AppError::Internal(cause), lang)
        }
    }
}

/// Submits a household's report through a report link. No login: the link's token is the key.
/// `201` with a receipt; a retry with the same `idempotency_key` and the same body answers
/// `200` with the first report's receipt, the same key with another body `409`
/// `idempotency_key_reused` (and no receipt). Closed links answer `410`; too many requests
/// `429` and an overloaded server `503`, both with `Retry-After`.
#[utoipa::path(post, path = "/public/reports/{token}", tag = "self-report", request_body = SubmitReportRequest,
    params(("token" = String, Path, description = "the report link's token")),
    responses((status = 201, body = ReceiptResponse), (status = 200, body = ReceiptResponse),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 410, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn submit_report(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    ReqCtx(ctx): ReqCtx,
    Path(token): Path<String>,
    body: Result<Json<SubmitReportRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::from_json_rejection(e, lang))?;
    let done = reports::submit_with(s.store.as_ref(), &s.places, &token, &body.into(), ctx.now())
        .await
        .map_err(|e| public_error(e, lang))?;
    let status = if done.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(receipt_of(&token, &done.report))).into_response())
}

/// Corrects a pending report within 24 hours of submitting it, with the receipt code as the key.
#[utoipa::path(put, path = "/public/reports/{token}/{receipt}", tag = "self-report", request_body = SubmitReportRequest,
    params(("token" = String, Path, description = "the report link's token"), ("receipt" = String, Path, description = "the receipt code")),
    responses((status = 200, body = ReceiptResponse), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 410, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn correct_report(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    ReqCtx(ctx): ReqCtx,
    Path((token, receipt)): Path<(String, String)>,
    body: Result<Json<SubmitReportRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ReceiptResponse>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::from_json_rejection(e, lang))?;
    let report = reports::correct_with(
        s.store.as_ref(),
        &s.places,
        &token,
        &receipt,
        &body.into(),
        ctx.now(),
    )
    .await
    .map_err(|e| public_error(e, lang))?;
    Ok(Json(receipt_of(&token, &report)))
}

/// Where a link's residents may live, in the report's own structure: each name is what
/// `address.compound`, `address.building`, `address.unit` and `address.room` take.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlacesResponse {
    /// The link's area (its last name, e.g. 祥云社区 or 佳纷天地).
    pub area: String,
    /// The compounds (小区/楼院), in natural order.
    pub compounds: Vec<CompoundPlaces>,
}

/// A compound and its buildings.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompoundPlaces {
    /// `address.compound` (empty for buildings under no compound).
    pub name: String,
    /// Its buildings, in natural order (2号楼 before 10号楼).
    pub buildings: Vec<BuildingPlaces>,
}

/// A building: its units, or the rooms in it when it has none.
#[derive(Debug, Serialize, ToSchema)]
pub struct BuildingPlaces {
    /// `address.building`.
    pub name: String,
    /// Its units, in natural order; empty when rooms are in the building itself
    /// (then `address.unit` is left empty).
    pub units: Vec<UnitPlaces>,
    /// The rooms on file in the building (when it has no units), in natural order (102
    /// before 1001).
    pub rooms: Vec<String>,
}

/// A unit of a building.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitPlaces {
    /// `address.unit`.
    pub name: String,
    /// The rooms on file, in natural order. A room not listed may still be reported (staff
    /// see it flagged as new).
    pub rooms: Vec<String>,
}

impl From<AddressChoices> for PlacesResponse {
    fn from(c: AddressChoices) -> Self {
        PlacesResponse {
            area: String::new(),
            compounds: c
                .compounds
                .into_iter()
                .map(|c| CompoundPlaces {
                    name: c.name,
                    buildings: c
                        .buildings
                        .into_iter()
                        .map(|b| BuildingPlaces {
                            name: b.name,
                            units: b
                                .units
                                .into_iter()
                                .map(|u| UnitPlaces {
                                    name: u.name,
                                    rooms: u.rooms,
                                })
                                .collect(),
                            rooms: b.rooms,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// The addresses a report link accepts, as a report names them: compound → buildings → units
/// → rooms, each in natural order, read from the registry under the link's area. Unknown
/// links answer `404`, closed ones `410`.
#[utoipa::path(get, path = "/public/reports/{token}/places", tag = "self-report",
    params(("token" = String, Path, description = "the report link's token")),
    responses((status = 200, body = PlacesResponse), (status = 404, body = ErrorBody),
        (status = 410, body = ErrorBody), (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn report_places(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    ReqCtx(ctx): ReqCtx,
    Path(token): Path<String>,
) -> Result<Json<PlacesResponse>, ApiError> {
    let link = reports::open_link(s.store.as_ref(), &token, ctx.now())
        .await
        .map_err(|e| public_error(e, lang))?;
    let choices = reports::address_choices(s.store.as_ref(), &s.places, &link)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(PlacesResponse {
        area: link.area_path.name().to_string(),
        ..choices.into()
    }))
}

/// The public `/api/v1/public` routes (residents' reports, no login).
pub fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(submit_report))
        .routes(routes!(correct_report))
        .routes(routes!(report_places))
}
