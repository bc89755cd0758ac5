//! Investigation lists (流调协查) as JSON: import a list (multipart), map its columns, its
//! progress and rows, the return file, closing it; the worker's calls and their outcomes.
//! Every endpoint goes through `doorstep_app::lists`.

use axum::Json;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use doorstep_app::clock::china_minute;
use doorstep_app::error::AppError;
use doorstep_app::lists::calls::{Call, CallDesk, CallInput};
use doorstep_app::lists::{ListDesk, Progress, row_state, row_state_text};
use doorstep_core::Lang;
use doorstep_core::Problem;
use doorstep_core::idnum::mask_middle;
use doorstep_core::problem::FieldProblem;
use doorstep_store::{InvestigationList, ListRow, RowFilter};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiUser;
use super::dto::{List, rfc3339};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};

/// The largest list file.
pub const MAX_UPLOAD: usize = 64 << 20;

/// A list and its progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its area (whose desk takes the rows not found).
    pub area: String,
    /// `mapping` (its columns are to be mapped), `open`, `closed`.
    pub status: String,
    /// The file's headers, in order.
    pub headers: Vec<String>,
    /// Field code (`name`, `id_number`, `phone`, `risk_place`, `time`, `source`) → the header
    /// it is read from: the list's own mapping, else the remembered one, else the guess.
    pub mapping: BTreeMap<String, String>,
    /// Not-reached calls before a door-knock.
    pub max_calls: u32,
    /// Rows.
    pub rows: u64,
    /// Who imported it, and when.
    pub created_by: String,
    /// See `created_by` (RFC 3339).
    pub created_at: String,
    /// The counts (once mapped).
    pub progress: Option<ProgressBody>,
}

/// A list's counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressBody {
    /// Rows.
    pub total: u64,
    /// Matched by ID number.
    pub by_id_number: u64,
    /// Matched by phone only.
    pub by_phone: u64,
    /// Not found (calls for the community's desk).
    pub not_found: u64,
    /// Repeats, never called.
    pub duplicates: u64,
    /// Rows still to do.
    pub open: u64,
    /// Rows by state: `calling`, `retrying`, `door_knock`, an outcome (`reached_home`,
    /// `reached_away`, `not_reached`, `not_resident`, `quarantined`), `knock:<outcome>`,
    /// `duplicate`, `closed`.
    pub states: BTreeMap<String, u64>,
}

impl From<&Progress> for ProgressBody {
    fn from(p: &Progress) -> Self {
        ProgressBody {
            total: p.total,
            by_id_number: p.by_id_number,
            by_phone: p.by_phone,
            not_found: p.not_found,
            duplicates: p.duplicates,
            open: p.open(),
            states: p.states.iter().cloned().collect(),
        }
    }
}

fn list_body(
    l: &InvestigationList,
    mapping: &[(doorstep_core::lists::ListField, Option<String>)],
    p: Option<&Progress>,
) -> ListResponse {
    ListResponse {
        id: l.id,
        name: l.name.clone(),
        area: l.area_path.to_string(),
        status: l.status.code().into(),
        headers: l.headers.clone(),
        mapping: mapping
            .iter()
            .filter_map(|(f, h)| Some((f.code().to_string(), h.clone()?)))
            .collect(),
        max_calls: l.max_calls,
        rows: l.rows,
        created_by: l.created_by.clone(),
        created_at: rfc3339(l.created_at),
        progress: p.map(ProgressBody::from),
    }
}

async fn full(s: &AppState, u: &ApiUser, id: i64) -> Result<ListResponse, ApiError> {
    let desk = ListDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let (l, mapping) = desk
        .mapping_choices(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    let p = if l.status == doorstep_core::lists::ListStatus::Mapping {
        None
    } else {
        Some(
            desk.progress(id)
                .await
                .map_err(|e| ApiError::from_app(e, u.lang))?,
        )
    };
    Ok(list_body(&l, &mapping, p.as_ref()))
}

/// A row of a list (ID number and phone masked).
#[derive(Debug, Serialize, ToSchema)]
pub struct RowResponse {
    /// The row's id.
    pub id: i64,
    /// Its place in the list (1, 2, …) and its spreadsheet row.
    pub seq: u32,
    /// See `seq`.
    pub row: u64,
    /// 姓名
    pub name: String,
    /// 证件号码, masked.
    pub id_number: String,
    /// 手机号, masked.
    pub phone: String,
    /// 风险地点
    pub risk_place: String,
    /// 时间
    pub time: String,
    /// `id_number`, `phone`, `not_found`.
    pub matched: Option<String>,
    /// The person's file id.
    pub person_id: Option<i64>,
    /// The row it repeats: its list and place.
    pub duplicate_of: Option<(i64, u32)>,
    /// Where it stands (see `ProgressBody::states`).
    pub state: String,
    /// In words, with the outcome's note.
    pub state_text: String,
    /// Calls made.
    pub calls: u32,
    /// Its latest task and who holds it.
    pub task_id: Option<i64>,
    /// See `task_id`.
    pub assignee: Option<String>,
    /// What was wrong with its ID number or phone (a problem code).
    pub problem: Option<String>,
}

/// A row as the API shows it.
pub fn row_body(r: &ListRow, lang: Lang) -> RowResponse {
    RowResponse {
        id: r.id,
        seq: r.seq,
        row: r.row_no,
        name: r.name.clone(),
        id_number: mask_middle(&r.id_number, 6, 4),
        phone: mask_middle(&r.phone, 3, 4),
        risk_place: r.risk_place.clone(),
        time: r.seen_at.clone(),
        matched: r.match_kind.map(|m| m.code().to_string()),
        person_id: r.person_id,
        duplicate_of: r.dup_of,
        state: row_state(r).code(),
        state_text: row_state_text(r, lang),
        calls: r.calls,
        task_id: r.task.as_ref().map(|t| t.id),
        assignee: r.task.as_ref().and_then(|t| t.assignee.clone()),
        problem: r.problem.clone(),
    }
}

/// Which lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct ListsQuery {
    /// The area (path); the caller's own when left out.
    pub area: String,
}

/// The lists under an area, newest first (at most 200). `403` for a role that may not work
/// on lists; `404` for an area outside the caller's.
#[utoipa::path(get, path = "/lists", tag = "lists", params(ListsQuery),
    security(("bearer" = [])),
    responses((status = 200, body = List<ListResponse>), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn lists(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<ListsQuery>,
) -> Result<Json<List<ListResponse>>, ApiError> {
    let found = ListDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .lists(&q.area)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: found.len() as i64,
        items: found.iter().map(|l| list_body(l, &[], None)).collect(),
    }))
}

/// Imports a list (multipart form: `file` — CSV in UTF-8 or GBK, or XLSX —, `area`, `name`,
/// and optionally `map.<field>` = the header of that field, e.g. `map.id_number=身份证号`).
/// With a mapping given or remembered for the file's headers, the rows are matched and their
/// calls made at once (`status` `open`, with the counts); otherwise the list waits for its
/// mapping (`status` `mapping`, `mapping` holding the guess). `422` names the field; `403`
/// for a role that may not; `404` for an area outside the caller's.
#[utoipa::path(post, path = "/lists", tag = "lists",
    request_body(content = String, content_type = "multipart/form-data",
        description = "file, area, name, map.<field>"),
    security(("bearer" = [])),
    responses((status = 201, body = ListResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(s): State<AppState>,
    u: ApiUser,
    mut form: Multipart,
) -> Result<Response, ApiError> {
    let dir = tempfile::tempdir().map_err(|e| ApiError::from_app(AppError::internal(e), u.lang))?;
    let (mut area, mut name, mut file, mut mapping) =
        (String::new(), String::new(), None, Vec::new());
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| ApiError::too_large(u.lang))?
    {
        let key = field.name().unwrap_or_default().to_string();
        match key.as_str() {
            "area" => area = field.text().await.unwrap_or_default(),
            "name" => name = field.text().await.unwrap_or_default(),
            "file" => {
                let fname = field.file_name().unwrap_or_default().to_string();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|_| ApiError::too_large(u.lang))?;
                if name.is_empty() {
                    name = fname
                        .rsplit_once('.')
                        .map_or(fname.as_str(), |(n, _)| n)
                        .to_string();
                }
                let path = dir.path().join("list");
                tokio::fs::write(&path, &bytes)
                    .await
                    .map_err(|e| ApiError::from_app(AppError::internal(e), u.lang))?;
                file = Some(path);
            }
            k => {
                if let Some(f) = k.strip_prefix("map.") {
                    mapping.push((f.to_string(), field.text().await.unwrap_or_default()));
                }
            }
        }
    }
    let Some(file) = file else {
        return Err(ApiError::from_app(
            AppError::Validation(vec![FieldProblem::new("file", Problem::Required)]),
            u.lang,
        ));
    };
    let chosen = (!mapping.is_empty()).then_some(mapping.as_slice());
    let done = ListDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .import(&area, &name, file, chosen, false)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    let body = full(&s, &u, done.id).await?;
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// A list with its mapping and counts. `404` outside the caller's area.
#[utoipa::path(get, path = "/lists/{id}", tag = "lists",
    params(("id" = i64, Path, description = "the list's id")),
    security(("bearer" = [])),
    responses((status = 200, body = ListResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_list(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<ListResponse>, ApiError> {
    Ok(Json(full(&s, &u, id).await?))
}

/// The columns of a list: field code → header.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct MappingBody {
    /// Field code (`name`, `id_number`, `phone`, `risk_place`, `time`, `source`) → header;
    /// an ID number or a phone is required.
    pub mapping: BTreeMap<String, String>,
}

/// Maps a waiting list's columns (remembered for the next file with the same headers),
/// matches its rows and makes their calls. `409 list_status` for a list mapped already.
#[utoipa::path(post, path = "/lists/{id}/mapping", tag = "lists", request_body = MappingBody,
    params(("id" = i64, Path, description = "the list's id")),
    security(("bearer" = [])),
    responses((status = 200, body = ListResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn map_list(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Json(b): Json<MappingBody>,
) -> Result<Json<ListResponse>, ApiError> {
    let chosen: Vec<(String, String)> = b.mapping.into_iter().collect();
    ListDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .map(id, &chosen)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(full(&s, &u, id).await?))
}

/// Closes a list: its rows no longer count as repeats for new lists (audited).
#[utoipa::path(post, path = "/lists/{id}/close", tag = "lists",
    params(("id" = i64, Path, description = "the list's id")),
    security(("bearer" = [])),
    responses((status = 200, body = ListResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn close_list(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<ListResponse>, ApiError> {
    ListDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .close(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(full(&s, &u, id).await?))
}

/// Which rows.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct RowsQuery {
    /// `all` (default), `not_found`, `duplicates`.
    pub filter: String,
}

/// Parses a rows filter.
pub fn row_filter(raw: &str) -> Result<RowFilter, AppError> {
    match raw.trim() {
        "" | "all" => Ok(RowFilter::All),
        "not_found" => Ok(RowFilter::NotFound),
        "duplicates" => Ok(RowFilter::Duplicates),
        _ => Err(AppError::Validation(vec![FieldProblem::new(
            "filter",
            Problem::Choice,
        )])),
    }
}

/// A list's rows in order (at most 500; ID numbers and phones masked).
#[utoipa::path(get, path = "/lists/{id}/rows", tag = "lists", params(RowsQuery,
    ("id" = i64, Path, description = "the list's id")),
    security(("bearer" = [])),
    responses((status = 200, body = List<RowResponse>), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rows(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<RowsQuery>,
) -> Result<Json<List<RowResponse>>, ApiError> {
    let filter = row_filter(&q.filter).map_err(|e| ApiError::from_app(e, u.lang))?;
    let found = ListDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .rows(id, filter, doorstep_app::lists::ROWS_MAX)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: found.len() as i64,
        items: found.iter().map(|r| row_body(r, u.lang)).collect(),
    }))
}

/// The return file's format.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct ReturnQuery {
    /// `xlsx` (default) or `csv`.
    pub format: String,
}

/// Writes a return file to a temporary folder and answers it as a download.
pub async fn return_download(
    s: &AppState,
    who: &doorstep_app::access::Principal,
    ctx: &doorstep_app::access::Ctx,
    id: i64,
    format: &str,
) -> Result<Response, AppError> {
    let (format, ext, mime) = super::reports::sheet(format);
    let desk = ListDesk::new(s.store.as_ref(), who, ctx);
    let l = desk.get(id).await?;
    let (_, bytes) = super::reports::written(ext, |path| async move {
        desk.write_return(id, format, &path).await
    })
    .await?;
    Ok(super::reports::download(
        bytes,
        &format!("{}-核查结果.{ext}", l.name),
        mime,
    ))
}

/// The return file for the upper level: the list as received (same columns, same row order)
/// with the outcome columns after (匹配结果, 处理结果, 结果说明, 拨打次数, 处理时间, 重复于);
/// XLSX or CSV. Audited (`list.return`).
#[utoipa::path(get, path = "/lists/{id}/return", tag = "lists", params(ReturnQuery,
    ("id" = i64, Path, description = "the list's id")),
    security(("bearer" = [])),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn return_file(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<ReturnQuery>,
) -> Result<Response, ApiError> {
    return_download(&s, &u.who, &u.ctx, id, &q.format)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))
}

/// A call to make.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallResponse {
    /// The call's task.
    pub task_id: i64,
    /// `open`, `in_progress`, `done` …
    pub task_status: String,
    /// Its outcome, once recorded.
    pub outcome: Option<String>,
    /// The outcome's note (where).
    pub outcome_note: String,
    /// Due (China's time).
    pub due: String,
    /// The list.
    pub list_id: i64,
    /// Its name.
    pub list_name: String,
    /// The row.
    pub row: RowResponse,
    /// Where the person lives (or the desk's area).
    pub label: String,
}

fn call_body(c: &Call, lang: Lang) -> CallResponse {
    CallResponse {
        task_id: c.task.id,
        task_status: c.task.status.code().into(),
        outcome: c.task.outcome.clone(),
        outcome_note: c.task.outcome_note.clone(),
        due: c.task.due_at.map(china_minute).unwrap_or_default(),
        list_id: c.list.id,
        list_name: c.list.name.clone(),
        row: row_body(&c.row, lang),
        label: c.task.label.clone(),
    }
}

/// My calls to make today (open list calls assigned to me), in walking order.
#[utoipa::path(get, path = "/lists/calls", tag = "lists",
    security(("bearer" = [])),
    responses((status = 200, body = List<CallResponse>), (status = 403, body = ErrorBody)))]
pub async fn my_calls(
    State(s): State<AppState>,
    u: ApiUser,
) -> Result<Json<List<CallResponse>>, ApiError> {
    let calls = CallDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .mine()
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: calls.len() as i64,
        items: calls.iter().map(|c| call_body(c, u.lang)).collect(),
    }))
}

/// A call's outcome.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct OutcomeBody {
    /// `reached_home`, `reached_away`, `not_reached`, `not_resident`, `quarantined`.
    pub outcome: String,
    /// Where the person is (required for `reached_away`).
    pub place: String,
    /// A note.
    pub note: String,
}

/// Records a call's outcome (its assignee or a manager of its area). `not_reached` makes
/// the next call, or after the list's calls a door-knock; `quarantined` starts the person's
/// home-quarantine episode. `409 task_closed` for a call recorded already; `404` for a call
/// the caller may not see.
#[utoipa::path(post, path = "/lists/calls/{task_id}", tag = "lists", request_body = OutcomeBody,
    params(("task_id" = i64, Path, description = "the call's task id")),
    security(("bearer" = [])),
    responses((status = 200, body = CallResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_call(
    State(s): State<AppState>,
    u: ApiUser,
    Path(task_id): Path<i64>,
    Json(b): Json<OutcomeBody>,
) -> Result<Json<CallResponse>, ApiError> {
    let input = CallInput {
        outcome: b.outcome,
        place: b.place,
        note: b.note,
    };
    let c = CallDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .record(task_id, &input)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(call_body(&c, u.lang)))
}

/// The number to call, in full, for the call's assignee or a manager while it is open
/// (audited as `list.reveal_phone`).
#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneResponse {
    /// The phone as the list gives it.
    pub phone: String,
}

/// Shows the row's phone in full to whoever makes the call (audited).
#[utoipa::path(post, path = "/lists/calls/{task_id}/phone", tag = "lists",
    params(("task_id" = i64, Path, description = "the call's task id")),
    security(("bearer" = [])),
    responses((status = 200, body = PhoneResponse), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn reveal_phone(
    State(s): State<AppState>,
    u: ApiUser,
    Path(task_id): Path<i64>,
) -> Result<Json<PhoneResponse>, ApiError> {
    let phone = CallDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .phone(task_id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(PhoneResponse { phone }))
}

/// The routes (a list's upload may be up to [`MAX_UPLOAD`], every other body 2 MiB).
pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    let uploads = utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(lists, import))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD));
    utoipa_axum::router::OpenApiRouter::new()
        .merge(uploads)
        .routes(routes!(my_calls))
        .routes(routes!(get_list))
        .routes(routes!(map_list))
        .routes(routes!(close_list))
        .routes(routes!(rows))
        .routes(routes!(return_file))
        .routes(routes!(record_call))
        .routes(routes!(reveal_phone))
}
