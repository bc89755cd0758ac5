//! Self-report for staff: report links, the review queue, accept, reject, bulk accept and the
//! direct-report export. Every endpoint goes through `doorstep_app::reports::ReportDesk`,
//! which checks the caller's role and area.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use doorstep_app::daily::DayFilter;
use doorstep_app::export::SheetFormat;
use doorstep_app::reports::{
    BulkOutcome, LinkInput, MemberInput, MemberMatch, OnBehalfInput, ReportDesk, ReportReview,
    export_reports_as,
};
use doorstep_core::{AreaPath, Lang};
use doorstep_store::{Id, Report, ReportLink, ReportStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiUser;
use super::dto::{List, Paging, rfc3339};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::public::api::{AnswersRequest, MemberRequest};

fn area_param(raw: Option<&str>, lang: Lang) -> Result<Option<AreaPath>, ApiError> {
    raw.filter(|s| !s.trim().is_empty())
        .map(|s| {
            AreaPath::parse(s).map_err(|p| ApiError::bad_request("bad_area", &p.message(lang)))
        })
        .transpose()
}

/// A report link.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportLinkResponse {
    /// Its id.
    pub id: i64,
    /// The token in the QR code.
    pub token: String,
    /// The resident's form (`/r/{token}`), relative to this server.
    pub url: String,
    /// The area it is for.
    pub area: String,
    /// `home_quarantine`, `risk_visit`, `returnee` or `census`.
    pub purpose: String,
    /// Risk places offered (risk-visit links).
    pub risk_places: Vec<String>,
    /// Who created it.
    pub created_by: String,
    /// When (RFC 3339).
    pub created_at: String,
    /// When it stops taking reports.
    pub expires_at: Option<String>,
    /// When it was revoked.
    pub revoked_at: Option<String>,
}

impl From<&ReportLink> for ReportLinkResponse {
    fn from(l: &ReportLink) -> Self {
        ReportLinkResponse {
            id: l.id,
            token: l.token.clone(),
            url: format!("/r/{}", l.token),
            area: l.area_path.to_string(),
            purpose: l.purpose.code().to_string(),
            risk_places: l.risk_places.clone(),
            created_by: l.created_by.clone(),
            created_at: rfc3339(l.created_at),
            expires_at: l.expires_at.map(rfc3339),
            revoked_at: l.revoked_at.map(rfc3339),
        }
    }
}

/// A link to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateLinkRequest {
    /// The area (a community, compound or building path).
    pub area: String,
    /// `home_quarantine`, `risk_visit`, `returnee` or `census`.
    pub purpose: String,
    /// Hours until it stops taking reports (none: until revoked).
    #[serde(default)]
    pub expires_in_hours: Option<i64>,
    /// Risk places to choose from (risk-visit links; default: the four markets).
    #[serde(default)]
    pub risk_places: Vec<String>,
}

/// Which links.
#[derive(Debug, Deserialize, IntoParams)]
pub struct LinkListQuery {
    /// Only links under this area (the caller's area when left out).
    pub area: Option<String>,
}

/// Creates a report link (needs write access to the area).
#[utoipa::path(post, path = "/report-links", tag = "self-report", request_body = CreateLinkRequest, security(("bearer" = [])),
    responses((status = 201, body = ReportLinkResponse), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_link(
    State(s): State<AppState>,
    u: ApiUser,
    Json(req): Json<CreateLinkRequest>,
) -> Result<(StatusCode, Json<ReportLinkResponse>), ApiError> {
    let desk = ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let input = LinkInput {
        area: req.area,
        purpose: req.purpose,
        expires_in_hours: req
            .expires_in_hours
            .map(|h| h.to_string())
            .unwrap_or_default(),
        risk_places: req.risk_places,
    };
    let link = desk
        .create_link_from(&input)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok((StatusCode::CREATED, Json(ReportLinkResponse::from(&link))))
}

/// Lists the report links in an area, newest first.
#[utoipa::path(get, path = "/report-links", tag = "self-report", params(LinkListQuery), security(("bearer" = [])),
    responses((status = 200, body = List<ReportLinkResponse>), (status = 404, body = ErrorBody)))]
pub async fn list_links(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<LinkListQuery>,
) -> Result<Json<List<ReportLinkResponse>>, ApiError> {
    let desk = ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let links = desk
        .links(area_param(q.area.as_deref(), u.lang)?)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: links.len() as i64,
        items: links.iter().map(ReportLinkResponse::from).collect(),
    }))
}

/// Revokes a report link: its QR code stops taking reports at once.
#[utoipa::path(post, path = "/report-links/{id}/revoke", tag = "self-report", params(("id" = i64, Path, description = "link id")),
    security(("bearer" = [])), responses((status = 200, body = ReportLinkResponse), (status = 404, body = ErrorBody)))]
pub async fn revoke_link(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<Id>,
) -> Result<Json<ReportLinkResponse>, ApiError> {
    let desk = ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let link = desk
        .revoke_link(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(ReportLinkResponse::from(&link)))
}

/// One reported member, with the file it matches (masked).
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberResponse {
    /// 姓名
    pub name: String,
    /// 证件类型
    pub id_type: String,
    /// 证件号码, masked.
    pub id_number: String,
    /// 联系电话, masked.
    pub phone: Option<String>,
    /// 与户主关系
    pub relation: Option<String>,
    /// The matching file's id; none for a new person.
    pub person_id: Option<i64>,
    /// The file lies outside the caller's area (not shown; accepting is refused).
    pub registered_elsewhere: bool,
    /// What differs from the file: `{"field","file","reported"}` (phones masked).
    pub differences: Vec<serde_json::Value>,
    /// The existing file staff merged this member into, if they did.
    pub merged_into: Option<i64>,
}

impl From<&MemberMatch> for MemberResponse {
    fn from(m: &MemberMatch) -> Self {
        let f = &m.reported;
        MemberResponse {
            name: f.name().to_string(),
            id_type: f.doc().doc_type().label_zh().to_string(),
            id_number: f.doc().masked(),
            phone: f.phone().map(|p| p.masked()),
            relation: f.relation().map(str::to_string),
            person_id: m.file.as_ref().map(|v| v.person.id),
            registered_elsewhere: m.elsewhere,
            differences: m
                .differences
                .iter()
                .map(|(k, a, b)| serde_json::json!({"field": k, "file": a, "reported": b}))
                .collect(),
            merged_into: m.merged_into,
        }
    }
}

/// A report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportResponse {
    /// Its id.
    pub id: i64,
    /// Purpose code.
    pub purpose: String,
    /// `pending`, `accepted`, `rejected`.
    pub status: String,
    /// The readable address.
    pub address: String,
    /// The building's or unit's path.
    pub area: String,
    /// The room is not in the registry yet.
    pub room_new: bool,
    /// Number of members.
    pub member_count: usize,
    /// The purpose's answers.
    #[schema(value_type = Object)]
    pub answers: serde_json::Value,
    /// When (RFC 3339).
    pub submitted_at: String,
    /// Who reviewed it.
    pub reviewed_by: Option<String>,
    /// Why it was rejected.
    pub reject_reason: Option<String>,
    /// The files it was accepted into.
    pub person_ids: Vec<i64>,
    /// The user who filled it in on the household's behalf (代报); none when the resident did.
    pub filed_by: Option<String>,
    /// The members matched to the registry (on single reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<MemberResponse>>,
    /// Whether accepting needs a person's judgement (single reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflict: Option<bool>,
}

impl From<&Report> for ReportResponse {
    fn from(r: &Report) -> Self {
        ReportResponse {
            id: r.id,
            purpose: r.purpose.code().to_string(),
            status: r.status.code().to_string(),
            address: r.address.clone(),
            area: r.area_path.to_string(),
            room_new: r.room_new,
            member_count: r.members.as_array().map_or(0, Vec::len),
            answers: r.answers.clone(),
            submitted_at: rfc3339(r.submitted_at),
            reviewed_by: r.reviewed_by.clone(),
            reject_reason: r.reject_reason.clone(),
            person_ids: r.person_ids.clone(),
            filed_by: r.filed_by.clone(),
            members: None,
            conflict: None,
        }
    }
}

fn review_response(rv: &ReportReview) -> ReportResponse {
    let mut r = ReportResponse::from(&rv.report);
    r.members = Some(rv.members.iter().map(MemberResponse::from).collect());
    r.conflict = Some(rv.conflicting());
    r
}

/// Which reports.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ReportListQuery {
    /// `pending`, `accepted` or `rejected` (all when left out).
    pub status: Option<String>,
    /// Only reports whose address lies under this area (the caller's area when left out).
    pub area: Option<String>,
    /// A China day, `YYYY-MM-DD`: only those submitted that day (the daily report's
    /// `reports.new`).
    pub day: Option<String>,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Rows per page, 1–200 (default 20).
    pub per_page: Option<u32>,
}

fn status_param(raw: Option<&str>) -> Result<Option<ReportStatus>, ApiError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => ReportStatus::parse(s).map(Some).ok_or_else(|| {
            ApiError::bad_request("bad_status", "status must be pending, accepted or rejected")
        }),
    }
}

/// The review queue: reports whose address lies in the caller's area, oldest first. `422`
/// at `day` for a day that does not read.
#[utoipa::path(get, path = "/reports", tag = "self-report", params(ReportListQuery), security(("bearer" = [])),
    responses((status = 200, body = List<ReportResponse>), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_reports(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<ReportListQuery>,
) -> Result<Json<List<ReportResponse>>, ApiError> {
    let desk = ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
    };
    let page = desk
        .list(
            status_param(q.status.as_deref())?,
            area_param(q.area.as_deref(), u.lang)?,
            &DayFilter::day(q.day.as_deref().unwrap_or_default()),
            paging.request(),
        )
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        items: page.items.iter().map(ReportResponse::from).collect(),
        total: page.total,
    }))
}

/// One report with its members matched to the registry, side by side.
#[utoipa::path(get, path = "/reports/{id}", tag = "self-report", params(("id" = i64, Path, description = "report id")),
    security(("bearer" = [])), responses((status = 200, body = ReportResponse), (status = 404, body = ErrorBody)))]
pub async fn get_report(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<Id>,
) -> Result<Json<ReportResponse>, ApiError> {
    let desk = ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let rv = desk
        .review(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(review_response(&rv)))
}

/// Accepts a report: each member's file is created or updated (with history) and tagged for
/// the purpose (居家隔离, 赋码, 返郑). 409 when it was already reviewed or a member's file lies
/// outside the caller's area.
#[utoipa::path(post, path = "/reports/{id}/accept", tag = "self-report", params(("id" = i64, Path, description = "report id")),
    security(("bearer" = [])), responses((status = 200, body = ReportResponse), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn accept_report(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<Id>,
) -> Result<Json<ReportResponse>, ApiError> {
    let desk = ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let r = desk
        .accept(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(ReportResponse::from(&r)))
}

/// A merge of one reported member into an existing person file.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MergeRequest {
    /// The member's index in the report, from 0.
    pub member: usize,
    /// The existing person file (in the caller's area) to merge the member into.
    pub person_id: i64,
}

/// Merges one member into an existing file whose document differs (a mistyped ID number, a
/// passport where the file has the ID card): the file keeps its name and document and takes
/// the report's phone, relation, household and the purpose's tag, with history; audited as
/// `report.merge`. When every member is merged the report is accepted. 404 for a report or
/// person outside the caller's area; 409 when the report was reviewed or the member decided.
#[utoipa::path(post, path = "/reports/{id}/merge", tag = "self-report", request_body = MergeRequest,
    params(("id" = i64, Path, description = "report id")), security(("bearer" = [])),
    responses((status = 200, body = ReportResponse), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn merge_report(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<Id>,
    Json(req): Json<MergeRequest>,
) -> Result<Json<ReportResponse>, ApiError> {
    let desk = ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    desk.merge(id, req.member, req.person_id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    let rv = desk
        .review(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(review_response(&rv)))
}

/// A rejection.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RejectRequest {
    /// Why (required).
    pub reason: String,
}

/// Rejects a report with a reason.
#[utoipa::path(post, path = "/reports/{id}/reject", tag = "self-report", request_body = RejectRequest,
    params(("id" = i64, Path, description = "report id")), security(("bearer" = [])),
    responses((status = 200, body = ReportResponse), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reject_report(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<Id>,
    Json(req): Json<RejectRequest>,
) -> Result<Json<ReportResponse>, ApiError> {
    let desk = ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let r = desk
        .reject(id, &req.reason)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(ReportResponse::from(&r)))
}

/// Which area to bulk-accept in.
#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct BulkAcceptRequest {
    /// The area (the caller's when left out).
    #[serde(default)]
    pub area: Option<String>,
}

/// What a bulk acceptance did.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkAcceptResponse {
    /// Reports accepted.
    pub accepted: u64,
    /// Reports left for review (conflicts with the registry).
    pub skipped: u64,
}

/// Accepts every pending report without conflicts in an area (at most 500 per call).
#[utoipa::path(post, path = "/reports/bulk-accept", tag = "self-report", request_body = BulkAcceptRequest,
    security(("bearer" = [])), responses((status = 200, body = BulkAcceptResponse), (status = 404, body = ErrorBody)))]
pub async fn bulk_accept(
    State(s): State<AppState>,
    u: ApiUser,
    Json(req): Json<BulkAcceptRequest>,
) -> Result<Json<BulkAcceptResponse>, ApiError> {
    let desk = ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let BulkOutcome { accepted, skipped } = desk
        .bulk_accept(area_param(req.area.as_deref(), u.lang)?)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(BulkAcceptResponse { accepted, skipped }))
}

/// What to export.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportReportsQuery {
    /// The area (required).
    pub area: String,
    /// `xlsx` (default) or `csv`.
    pub format: Option<String>,
    /// Only what no earlier export of this area sent up.
    pub since_last: Option<bool>,
}

/// The upward direct report (上级直报): accepted reports, one row per person, in the
/// upper-level template's columns; audited. With `since_last`, only what is new.
#[utoipa::path(get, path = "/reports/export", tag = "self-report", params(ExportReportsQuery), security(("bearer" = [])),
    responses((status = 200, description = "the XLSX or CSV file"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export_reports(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<ExportReportsQuery>,
) -> Result<Response, ApiError> {
    let area = area_param(Some(&q.area), u.lang)?
        .ok_or_else(|| ApiError::bad_request("bad_area", "area is required"))?;
    let (bytes, name, mime) = export_file(
        &s,
        &u.who,
        &u.ctx,
        &area,
        q.format.as_deref(),
        q.since_last.unwrap_or(false),
    )
    .await
    .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(download(bytes, &name, mime))
}

/// Writes the export to a temporary file and reads it back: (bytes, file name, MIME type).
pub async fn export_file(
    s: &AppState,
    who: &doorstep_app::access::Principal,
    ctx: &doorstep_app::access::Ctx,
    area: &AreaPath,
    format: Option<&str>,
    since_last: bool,
) -> Result<(Vec<u8>, String, &'static str), doorstep_app::error::AppError> {
    let (format, ext, mime) = sheet(format.unwrap_or_default());
    let (_, bytes) = written(ext, |path| async move {
        export_reports_as(s.store.as_ref(), who, ctx, area, since_last, format, &path).await
    })
    .await?;
    Ok((bytes, format!("{}-上级直报.{ext}", area.name()), mime))
}

/// A spreadsheet format as a query names it (`csv`: CSV, anything else: XLSX), with its file
/// extension and MIME type.
pub fn sheet(raw: &str) -> (SheetFormat, &'static str, &'static str) {
    let format = if raw.trim() == "csv" {
        SheetFormat::Csv
    } else {
        SheetFormat::Xlsx
    };
    let ext = match format {
        SheetFormat::Csv => "csv",
        SheetFormat::Xlsx => "xlsx",
    };
    (format, ext, sheet_mime(format))
}

/// A spreadsheet format's media type.
pub fn sheet_mime(format: SheetFormat) -> &'static str {
    match format {
        SheetFormat::Csv => "text/csv; charset=utf-8",
        SheetFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
}

/// Runs `write` on a file (`export.EXT`) in a fresh temporary folder and reads the file back:
/// every export is written by the app's file writers, then answered as bytes.
pub async fn written<T, F, Fut>(
    ext: &str,
    write: F,
) -> Result<(T, Vec<u8>), doorstep_app::error::AppError>
where
    F: FnOnce(std::path::PathBuf) -> Fut,
    Fut: std::future::Future<Output = Result<T, doorstep_app::error::AppError>>,
{
    use doorstep_app::error::AppError;
    let dir = tempfile::tempdir().map_err(AppError::internal)?;
    let path = dir.path().join(format!("export.{ext}"));
    let out = write(path.clone()).await?;
    let bytes = tokio::fs::read(&path).await.map_err(AppError::internal)?;
    Ok((out, bytes))
}

/// A file download with a UTF-8 file name.
pub fn download(bytes: Vec<u8>, name: &str, mime: &str) -> Response {
    let disposition = format!(
        "attachment; filename=\"export\"; filename*=UTF-8''{}",
        crate::pages::urlencode(name)
    );
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from(bytes),
    )
        .into_response()
}

/// This module's `/api/v1` routes.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(create_link, list_links))
        .routes(routes!(revoke_link))
        .routes(routes!(list_reports))
        .routes(routes!(export_reports))
        .routes(routes!(bulk_accept))
        .routes(routes!(get_report))
        .routes(routes!(accept_report))
        .routes(routes!(reject_report))
        .routes(routes!(merge_report))
        .routes(routes!(household_links))
        .routes(routes!(file_for_household))
}

/// A household's report filled in by a worker on its behalf (代报).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct OnBehalfRequest {
    /// An open report link covering the household (`GET /households/{id}/report-links`); its
    /// purpose sets the questions.
    pub link_id: i64,
    /// Chosen by the client, 1–64 of `A-Za-z0-9_-`: a retry with the same key and body
    /// answers the first report (200) and stores nothing new.
    pub idempotency_key: String,
    /// The registered members reported, by person id (every member of the household when left
    /// out; `[]` for only the typed `members`).
    pub person_ids: Option<Vec<i64>>,
    /// Members not in the registry yet, as a resident would type them.
    pub members: Vec<MemberRequest>,
    /// The purpose's answers.
    pub answers: AnswersRequest,
}

/// The open report links a household's report may be filed through (their area holds it).
#[utoipa::path(get, path = "/households/{id}/report-links", tag = "self-report", params(("id" = i64, Path, description = "household id")),
    security(("bearer" = [])), responses((status = 200, body = List<ReportLinkResponse>), (status = 404, body = ErrorBody)))]
pub async fn household_links(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<Id>,
) -> Result<Json<List<ReportLinkResponse>>, ApiError> {
    let desk = ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let c = desk
        .on_behalf_choices(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: c.links.len() as i64,
        items: c.links.iter().map(ReportLinkResponse::from).collect(),
    }))
}

/// Files a household's self-report on its behalf (代报): the household's address, its chosen
/// registered members copied from their files (never shown to the worker in full) and any
/// typed ones, the link's questions answered. The report enters the review queue marked with
/// the worker's user name (`filed_by`, also in the export's 备注) and is audited as
/// `report.file_on_behalf`. 201 when stored, 200 for a retry of the same key and body;
/// 404 for a household outside the caller's area, 422 with field paths (`person_ids[i]`,
/// `members[i].id_number`, `answers.date`, `link_id`), 409 `report_link_closed` or
/// `idempotency_key_reused`.
#[utoipa::path(post, path = "/households/{id}/reports", tag = "self-report", request_body = OnBehalfRequest,
    params(("id" = i64, Path, description = "household id")), security(("bearer" = [])),
    responses((status = 201, body = ReportResponse), (status = 200, body = ReportResponse), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn file_for_household(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<Id>,
    Json(req): Json<OnBehalfRequest>,
) -> Result<(StatusCode, Json<ReportResponse>), ApiError> {
    let desk = ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let input = OnBehalfInput {
        link_id: req.link_id,
        idempotency_key: req.idempotency_key,
        person_ids: req.person_ids,
        members: req.members.into_iter().map(MemberInput::from).collect(),
        answers: req.answers.into(),
    };
    let done = desk
        .file_for_household(id, &input)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    let status = if done.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(ReportResponse::from(&done.report))))
}
