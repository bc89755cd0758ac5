//! Notices to residents (温馨提示) and files from above (上级文件) as JSON, through
//! `doorstep_app::notices`: publish, list, withdraw, a notice's public answer by token, and
//! files kept with their day (upload as the request body, download as it was).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use doorstep_app::notices::{self, FileInput, NoticeDesk, NoticeInput};
use doorstep_store::{Notice, NoticeFile};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiUser;
use super::dto::{List, rfc3339};
use crate::AppState;
use crate::context::ReqLang;
use crate::error::{ApiError, ErrorBody};

/// A notice.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeResponse {
    /// Its id.
    pub id: i64,
    /// The area it is for (path).
    pub area: String,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// English line (may be empty).
    pub english: String,
    /// First day, `YYYY-MM-DD`.
    pub valid_from: String,
    /// Last day.
    pub valid_to: String,
    /// Its public page (`/n/{token}`), which the printed slip's QR code opens.
    pub public_url: String,
    /// Who published it (staff answers only).
    pub published_by: Option<String>,
    /// When (RFC 3339).
    pub published_at: String,
    /// Withdrawn: when (RFC 3339).
    pub withdrawn_at: Option<String>,
    /// Withdrawn: by whom (staff answers only).
    pub withdrawn_by: Option<String>,
    /// Withdrawn: why (staff answers only).
    pub withdraw_reason: Option<String>,
}

impl NoticeResponse {
    /// The answer; `public` leaves out who.
    pub fn of(n: &Notice, public: bool) -> Self {
        let w = n.withdrawn.as_ref().filter(|_| !public);
        NoticeResponse {
            id: n.id,
            area: n.area_path.to_string(),
            title: n.title.clone(),
            body: n.body.clone(),
            english: n.english.clone(),
            valid_from: n.valid_from.to_string(),
            valid_to: n.valid_to.to_string(),
            public_url: format!("/n/{}", n.token),
            published_by: (!public).then(|| n.published_by.clone()),
            published_at: rfc3339(n.published_at),
            withdrawn_at: n.withdrawn.as_ref().map(|w| rfc3339(w.1)),
            withdrawn_by: w.map(|w| w.0.clone()),
            withdraw_reason: w.map(|w| w.2.clone()),
        }
    }
}

/// A notice to publish.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct NoticeBody {
    /// The area (path) whose residents it is for; the caller's own when left out.
    pub area: String,
    /// Title (Chinese), at most 60 characters.
    pub title: String,
    /// Text (Chinese), at most 2,000; line breaks are kept.
    pub body: String,
    /// An optional line in English, at most 300.
    pub english: String,
    /// First day, `YYYY-MM-DD` (China's day).
    pub valid_from: String,
    /// Last day, `YYYY-MM-DD`, not before the first.
    pub valid_to: String,
}

/// Which notices or files.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct AreaParams {
    /// The area (path); the caller's own when left out.
    pub area: String,
    /// Files only: of this day, `YYYY-MM-DD`.
    pub day: String,
}

/// The notices for areas under an area, newest first (withdrawn ones too, marked).
#[utoipa::path(get, path = "/notices", tag = "notices", params(AreaParams),
    security(("bearer" = [])),
    responses((status = 200, body = List<NoticeResponse>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<AreaParams>,
) -> Result<Json<List<NoticeResponse>>, ApiError> {
    let list = NoticeDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .list(&q.area)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: list.len() as i64,
        items: list.iter().map(|n| NoticeResponse::of(n, false)).collect(),
    }))
}

/// Publishes a notice (audited `notice.publish`): `201`; `422` names the field; `404`
/// outside the caller's area; `403` for a role that may not publish.
#[utoipa::path(post, path = "/notices", tag = "notices", request_body = NoticeBody,
    security(("bearer" = [])),
    responses((status = 201, body = NoticeResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn publish(
    State(s): State<AppState>,
    u: ApiUser,
    Json(b): Json<NoticeBody>,
) -> Result<Response, ApiError> {
    let n = NoticeDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .publish(&NoticeInput {
            area: b.area,
            title: b.title,
            body: b.body,
            english: b.english,
            valid_from: b.valid_from,
            valid_to: b.valid_to,
        })
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok((StatusCode::CREATED, Json(NoticeResponse::of(&n, false))).into_response())
}

/// Why a notice is withdrawn.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct WithdrawBody {
    /// The reason (required, at most 60 characters).
    pub reason: String,
}

/// Withdraws a notice (audited `notice.withdraw`): it no longer shows anywhere and its public
/// page answers 404. `404` outside the caller's area; `403` for a role that may not publish.
#[utoipa::path(post, path = "/notices/{id}/withdraw", tag = "notices", request_body = WithdrawBody,
    params(("id" = i64, Path, description = "the notice")), security(("bearer" = [])),
    responses((status = 200, body = NoticeResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn withdraw(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Json(b): Json<WithdrawBody>,
) -> Result<Json<NoticeResponse>, ApiError> {
    let n = NoticeDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .withdraw(id, &b.reason)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(NoticeResponse::of(&n, false)))
}

/// A notice's public answer (no login): `404` when unknown or withdrawn.
#[utoipa::path(get, path = "/public/notices/{token}", tag = "notices",
    params(("token" = String, Path, description = "the notice's token")),
    responses((status = 200, body = NoticeResponse), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn public_get(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Path(token): Path<String>,
) -> Result<Json<NoticeResponse>, ApiError> {
    let n = notices::by_token(s.store.as_ref(), &token)
        .await
        .map_err(|e| ApiError::from_app(e, lang))?;
    Ok(Json(NoticeResponse::of(&n, true)))
}

/// A kept file.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileResponse {
    /// Its id.
    pub id: i64,
    /// The area (path).
    pub area: String,
    /// The day it belongs to.
    pub day: String,
    /// What it is.
    pub title: String,
    /// Its name.
    pub file_name: String,
    /// Its content type.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// Who kept it.
    pub uploaded_by: String,
    /// When (RFC 3339).
    pub uploaded_at: String,
    /// Where to download it.
    pub download: String,
}

impl From<&NoticeFile> for FileResponse {
    fn from(f: &NoticeFile) -> Self {
        FileResponse {
            id: f.id,
            area: f.area_path.to_string(),
            day: f.day.to_string(),
            title: f.title.clone(),
            file_name: f.file_name.clone(),
            content_type: f.content_type.clone(),
            size: f.size,
            uploaded_by: f.uploaded_by.clone(),
            uploaded_at: rfc3339(f.uploaded_at),
            download: format!("/api/v1/notices/files/{}", f.id),
        }
    }
}

/// Where an uploaded file belongs.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct UploadParams {
    /// The area (path); the caller's own when left out.
    pub area: String,
    /// The day, `YYYY-MM-DD`; today when left out.
    pub day: String,
    /// What it is; its name when left out.
    pub title: String,
    /// Its file name (`通知.pdf`).
    pub name: String,
}

/// The files kept under an area (of a day), newest first.
#[utoipa::path(get, path = "/notices/files", tag = "notices", params(AreaParams),
    security(("bearer" = [])),
    responses((status = 200, body = List<FileResponse>), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn files(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<AreaParams>,
) -> Result<Json<List<FileResponse>>, ApiError> {
    let list = NoticeDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .files(&q.area, &q.day)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: list.len() as i64,
        items: list.iter().map(FileResponse::from).collect(),
    }))
}

/// Keeps a file received from above (audited `notice.file`): the request body is the file
/// (a PDF, PNG, JPEG, Word or Excel file of at most 10 MiB, checked by its bytes), the query
/// says where it belongs. `201`; `422` at `file` (`file_too_large`, `file_type_invalid`) or
/// `day`; `413` for a body past 12 MiB; `403` for a role that may not publish notices.
#[utoipa::path(post, path = "/notices/files", tag = "notices", params(UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    security(("bearer" = [])),
    responses((status = 201, body = FileResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<UploadParams>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = NoticeDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .keep_file(&FileInput {
            area: q.area,
            day: q.day,
            title: q.title,
            file_name: q.name,
            content: body.to_vec(),
        })
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok((StatusCode::CREATED, Json(FileResponse::from(&f))).into_response())
}

/// Downloads a kept file as it was. `404` outside the caller's area.
#[utoipa::path(get, path = "/notices/files/{id}", tag = "notices",
    params(("id" = i64, Path, description = "the file")), security(("bearer" = [])),
    responses((status = 200, description = "the file's bytes"), (status = 404, body = ErrorBody)))]
pub async fn download(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let (f, bytes) = NoticeDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .file(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(file_response(&f, bytes))
}

/// A kept file as a download (pages use it too).
pub fn file_response(f: &NoticeFile, bytes: Vec<u8>) -> Response {
    crate::api::reports_download(bytes, &f.file_name, &f.content_type)
}

/// The public route (registered behind the public limits).
pub fn public_routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new().routes(routes!(public_get))
}

/// The staff routes (a file's upload may be up to 12 MiB, every other body 2 MiB).
pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    let uploads = utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(files, upload))
        .layer(DefaultBodyLimit::max(12 << 20));
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(list, publish))
        .routes(routes!(withdraw))
        .routes(routes!(download))
        .merge(uploads)
}
