//! Export templates (报表模板) as JSON: list, create, change, delete, import and export a
//! template file, and export an area's rows with a template, through
//! `doorstep_app::templates`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use doorstep_app::error::AppError;
use doorstep_app::templates::{ExportDays, TemplateDesk, TemplateInput, TemplateView};
use doorstep_core::templates::ColumnInput;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiUser;
use super::dto::{List, rfc3339};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};

/// One column: its header, the source field's key and an optional mapping (`男=1; 女=2`, or
/// a date format `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD`, `YYYY年MM月DD日`).
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct ColumnBody {
    /// The header (blank: the field's Chinese label).
    pub header: String,
    /// The source field's key (see `GET /templates/fields`).
    pub field: String,
    /// The mapping as text; blank for none.
    pub map: String,
}

/// A template to save.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct TemplateRequest {
    /// The area it is kept for (creating only; the caller's own when blank).
    pub area: String,
    /// Its name (unique in the area).
    pub name: String,
    /// `persons`, `self_reports`, `episodes`, `test_results`, `call_outcomes` or
    /// `daily_figures`.
    pub kind: String,
    /// The columns in order.
    pub columns: Vec<ColumnBody>,
}

impl TemplateRequest {
    fn input(&self) -> TemplateInput {
        TemplateInput {
            name: self.name.clone(),
            kind: self.kind.clone(),
            columns: self
                .columns
                .iter()
                .map(|c| ColumnInput {
                    header: c.header.clone(),
                    field: c.field.clone(),
                    map: c.map.clone(),
                })
                .collect(),
        }
    }
}

/// A template.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateResponse {
    /// Its id (0: the built-in upward direct report).
    pub id: i64,
    /// The area it is kept for (`null`: built in, everywhere).
    pub area: Option<String>,
    /// Its name.
    pub name: String,
    /// The kind of rows.
    pub kind: String,
    /// The columns in order.
    pub columns: Vec<ColumnBody>,
    /// Whether the caller may change or delete it.
    pub editable: bool,
    /// Who changed it last.
    pub updated_by: Option<String>,
    /// When (RFC 3339).
    pub updated_at: Option<String>,
}

impl From<&TemplateView> for TemplateResponse {
    fn from(v: &TemplateView) -> Self {
        TemplateResponse {
            id: v.id,
            area: v.area.as_ref().map(|a| a.as_str().to_string()),
            name: v.template.name().to_string(),
            kind: v.template.kind().code().to_string(),
            columns: v
                .template
                .inputs()
                .into_iter()
                .map(|c| ColumnBody {
                    header: c.header,
                    field: c.field,
                    map: c.map,
                })
                .collect(),
            editable: v.editable,
            updated_by: v.updated.as_ref().map(|(by, _)| by.clone()),
            updated_at: v.updated.as_ref().map(|(_, at)| rfc3339(*at)),
        }
    }
}

/// A source field a column may name.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldResponse {
    /// The kind of rows.
    pub kind: String,
    /// Its key.
    pub key: String,
    /// Its Chinese label.
    pub label_zh: String,
    /// Its English label.
    pub label_en: String,
    /// Whether it holds a day (a date format applies).
    pub date: bool,
}

fn fail(u: &ApiUser) -> impl Fn(AppError) -> ApiError + '_ {
    move |e| ApiError::from_app(e, u.lang)
}

/// The templates the caller may use: the built-in one first, then those kept for their area,
/// the areas above it and inside it. `403` for a role that may not export.
#[utoipa::path(get, path = "/templates", tag = "templates", security(("bearer" = [])),
    responses((status = 200, body = List<TemplateResponse>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    u: ApiUser,
) -> Result<Json<List<TemplateResponse>>, ApiError> {
    let all = TemplateDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .list()
        .await
        .map_err(fail(&u))?;
    Ok(Json(List {
        total: all.len() as i64,
        items: all.iter().map(TemplateResponse::from).collect(),
    }))
}

/// Every source field of every kind of rows, in order.
#[utoipa::path(get, path = "/templates/fields", tag = "templates", security(("bearer" = [])),
    responses((status = 200, body = List<FieldResponse>)))]
pub async fn fields(_u: ApiUser) -> Json<List<FieldResponse>> {
    let items: Vec<FieldResponse> = doorstep_core::templates::RowKind::ALL
        .into_iter()
        .flat_map(|k| {
            k.fields().iter().map(move |f| FieldResponse {
                kind: k.code().to_string(),
                key: f.key.to_string(),
                label_zh: f.zh.to_string(),
                label_en: f.en.to_string(),
                date: f.date,
            })
        })
        .collect();
    Json(List {
        total: items.len() as i64,
        items,
    })
}

/// Saves a new template for an area, audited (`template.create`). `422` names each bad part
/// (`columns[2].field`: an unknown field; `columns[2].map`: a bad mapping); `409
/// template_name_unique`; `404` outside the caller's area; `403` below community admin.
#[utoipa::path(post, path = "/templates", tag = "templates", request_body = TemplateRequest,
    security(("bearer" = [])),
    responses((status = 201, body = TemplateResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    u: ApiUser,
    Json(req): Json<TemplateRequest>,
) -> Result<(StatusCode, Json<TemplateResponse>), ApiError> {
    let t = TemplateDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .create(&req.area, &req.input())
        .await
        .map_err(fail(&u))?;
    Ok((StatusCode::CREATED, Json(TemplateResponse::from(&t))))
}

/// One template.
#[utoipa::path(get, path = "/templates/{id}", tag = "templates",
    params(("id" = i64, Path, description = "the template's id (0: built in)")),
    security(("bearer" = [])),
    responses((status = 200, body = TemplateResponse), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<TemplateResponse>, ApiError> {
    let t = TemplateDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .get(id)
        .await
        .map_err(fail(&u))?;
    Ok(Json(TemplateResponse::from(&t)))
}

/// Replaces a template's name, kind and columns, audited (`template.update`); `409
/// template_built_in` for the built-in one; `403` for one kept above the caller's area.
#[utoipa::path(put, path = "/templates/{id}", tag = "templates", request_body = TemplateRequest,
    params(("id" = i64, Path, description = "the template's id")),
    security(("bearer" = [])),
    responses((status = 200, body = TemplateResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Json(req): Json<TemplateRequest>,
) -> Result<Json<TemplateResponse>, ApiError> {
    let t = TemplateDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .update(id, &req.input())
        .await
        .map_err(fail(&u))?;
    Ok(Json(TemplateResponse::from(&t)))
}

/// Deletes a template, audited (`template.delete`).
#[utoipa::path(delete, path = "/templates/{id}", tag = "templates",
    params(("id" = i64, Path, description = "the template's id")),
    security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    TemplateDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .delete(id)
        .await
        .map_err(fail(&u))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The template as a file to hand on (JSON: `format`, `name`, `kind`, `columns`).
#[utoipa::path(get, path = "/templates/{id}/file", tag = "templates",
    params(("id" = i64, Path, description = "the template's id (0: built in)")),
    security(("bearer" = [])),
    responses((status = 200, description = "the template file", content_type = "application/json"),
        (status = 404, body = ErrorBody)))]
pub async fn file(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let (name, bytes) = TemplateDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .file(id)
        .await
        .map_err(fail(&u))?;
    Ok(super::reports::download(
        bytes,
        &name,
        "application/json; charset=utf-8",
    ))
}

/// Where an imported template is kept.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct ImportQuery {
    /// The area's path (the caller's own when left out).
    pub area: String,
}

/// Saves a template file (the body, as `GET /templates/{id}/file` writes it) as a new
/// template for an area, audited (`template.import`). `422` at `file` for a body that is not
/// a template file, else as for `POST /templates`.
#[utoipa::path(post, path = "/templates/import", tag = "templates", params(ImportQuery),
    request_body(content = String, content_type = "application/json", description = "a template file"),
    security(("bearer" = [])),
    responses((status = 201, body = TemplateResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<TemplateResponse>), ApiError> {
    let t = TemplateDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .import(&q.area, &body)
        .await
        .map_err(fail(&u))?;
    Ok((StatusCode::CREATED, Json(TemplateResponse::from(&t))))
}

/// What to export.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct ExportQuery {
    /// The area's path.
    pub area: String,
    /// `xlsx` (default) or `csv`.
    pub format: String,
    /// Daily figures only: the first day, `YYYY-MM-DD` (default: 13 days before `to`).
    pub from: String,
    /// Daily figures only: the last day, `YYYY-MM-DD` (default: today, the China day).
    pub to: String,
}

/// Writes an export with a template to a temporary folder and answers it as a download.
pub async fn export_download(
    s: &AppState,
    who: &doorstep_app::access::Principal,
    ctx: &doorstep_app::access::Ctx,
    template: &str,
    q: &ExportQuery,
) -> Result<Response, AppError> {
    let (format, ext, mime) = super::reports::sheet(&q.format);
    let area = q.area.as_str();
    let days = ExportDays {
        from: q.from.clone(),
        to: q.to.clone(),
    };
    let ((view, _), bytes) = super::reports::written(ext, |path| async move {
        TemplateDesk::new(s.store.as_ref(), who, ctx)
            .export(template, area, &days, format, &path)
            .await
    })
    .await?;
    let place = area.trim().rsplit('/').next().unwrap_or("");
    Ok(super::reports::download(
        bytes,
        &format!("{place}-{}.{ext}", view.template.name()),
        mime,
    ))
}

/// The rows of the template's kind under an area, in the template's columns, as XLSX (every
/// cell text: ID numbers stay whole) or CSV (UTF-8 with BOM, no formula cells); ID numbers and
/// phones masked for roles that may not reveal them. Audited (`template.export`). `404` for
/// an area outside the caller's or a template out of reach; `403` for a role that may not
/// export. `{template}` is an id (0: the built-in 上级直报) or a name. Test results are
/// the samples taken under the area (a row per person per round); call outcomes the rows of
/// the investigation lists kept under it (`403` for a role that may not work lists); daily
/// figures a row per community per day from `from` to `to` (both included; default the 14
/// days ending today; `422` at `to` for a reversed range or one over 366 days, at `from` or
/// `to` for a day that does not read).
#[utoipa::path(get, path = "/exports/{template}", tag = "templates", params(ExportQuery,
    ("template" = String, Path, description = "the template's id or name")),
    security(("bearer" = [])),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn export(
    State(s): State<AppState>,
    u: ApiUser,
    Path(template): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    export_download(&s, &u.who, &u.ctx, &template, &q)
        .await
        .map_err(fail(&u))
}

/// The routes.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(fields))
        .routes(routes!(import))
        .routes(routes!(get, update, delete))
        .routes(routes!(file))
        .routes(routes!(export))
}
