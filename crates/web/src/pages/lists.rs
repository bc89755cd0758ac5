//! Investigation lists (流调协查) for staff and workers: the lists and the upload form
//! (`/lists`), mapping a list's columns (`/lists/{id}/map`), its progress with the rows not
//! found and the repeats, the return file (`/lists/{id}/return`), and the worker's calls
//! (`/lists/calls`): the number shown on request (audited) and an outcome form per call.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use doorstep_app::clock::china_minute;
use doorstep_app::error::AppError;
use doorstep_app::lists::calls::{Call, CallDesk, CallInput};
use doorstep_app::lists::{ListDesk, ROWS_MAX, row_state, row_state_text};
use doorstep_core::idnum::mask_middle;
use doorstep_core::lists::{CallOutcome, ListField, ListStatus};
use doorstep_store::{ListRow, RowFilter};
use serde::Deserialize;

use super::{Nav, PageError, PageUser};
use crate::AppState;
use crate::i18n::T;

/// One list as a line.
pub struct ListLine {
    pub id: i64,
    pub name: String,
    pub area: String,
    pub status: &'static str,
    pub rows: u64,
    pub created: String,
}

/// `/lists`: the lists and the upload form.
#[derive(Template, WebTemplate)]
#[template(path = "lists.html")]
pub struct ListsPage {
    t: T,
    nav: Nav,
    csrf: String,
    area: String,
    lines: Vec<ListLine>,
    error: String,
}

async fn lists_page(s: &AppState, u: &PageUser, error: String) -> Result<Response, PageError> {
    let found = ListDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .lists("")
        .await
        .map_err(|e| u.fail(e))?;
    let lines = found
        .iter()
        .map(|l| ListLine {
            id: l.id,
            name: l.name.clone(),
            area: l.area_path.names().last().unwrap_or_default().to_string(),
            status: l.status.label(u.t.0),
            rows: l.rows,
            created: china_minute(l.created_at),
        })
        .collect();
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        ListsPage {
            t: u.t,
            nav: u.nav.clone(),
            csrf: u.csrf.clone(),
            area: u.user.area_path.to_string(),
            lines,
            error,
        },
    )
        .into_response())
}

/// `GET /lists`.
async fn index(State(s): State<AppState>, u: PageUser) -> Result<Response, PageError> {
    lists_page(&s, &u, String::new()).await
}

/// `POST /lists`: the upload; on to the mapping step, or to the progress when the headers'
/// mapping is remembered.
async fn upload(
    State(s): State<AppState>,
    u: PageUser,
    mut form: Multipart,
) -> Result<Response, PageError> {
    let dir = tempfile::tempdir().map_err(|e| u.fail(AppError::internal(e)))?;
    let (mut csrf, mut area, mut name, mut file) =
        (String::new(), String::new(), String::new(), None);
    let too_big = |u: &PageUser| {
        PageError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            u.t,
            u.t.0.pick(
                "文件太大（最大 64 MB）",
                "the file is too large (64 MB at most)",
            ),
            &u.ctx,
        )
    };
    while let Some(field) = form.next_field().await.map_err(|_| too_big(&u))? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("area") => area = field.text().await.unwrap_or_default(),
            Some("name") => name = field.text().await.unwrap_or_default(),
            Some("file") => {
                let fname = field.file_name().unwrap_or_default().to_string();
                let bytes = field.bytes().await.map_err(|_| too_big(&u))?;
                if !bytes.is_empty() {
                    if name.trim().is_empty() {
                        name = fname
                            .rsplit_once('.')
                            .map_or(fname.as_str(), |(n, _)| n)
                            .to_string();
                    }
                    let path = dir.path().join("list");
                    tokio::fs::write(&path, &bytes)
                        .await
                        .map_err(|e| u.fail(AppError::internal(e)))?;
                    file = Some(path);
                }
            }
            _ => {}
        }
    }
    u.check_csrf(&csrf)?;
    let Some(file) = file else {
        return lists_page(&s, &u, u.t.s("li_no_file").to_string()).await;
    };
    match ListDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .import(&area, &name, file, None, false)
        .await
    {
        Ok(done) if done.status == ListStatus::Mapping.code() => {
            Ok(Redirect::to(&format!("/lists/{}/map", done.id)).into_response())
        }
        Ok(done) => Ok(Redirect::to(&format!("/lists/{}", done.id)).into_response()),
        Err(AppError::Validation(ps)) => {
            let msg = ps
                .iter()
                .map(|p| format!("{}：{}", p.path, p.problem.message(u.t.0)))
                .collect::<Vec<_>>()
                .join("；");
            lists_page(&s, &u, msg).await
        }
        Err(AppError::Import(e)) => lists_page(&s, &u, e.message(u.t.0)).await,
        Err(e) => Err(u.fail(e)),
    }
}

/// One field of the mapping form.
pub struct FieldChoice {
    pub code: &'static str,
    pub label: &'static str,
    pub chosen: String,
}

/// `/lists/{id}/map`: a select per field over the file's headers, pre-filled.
#[derive(Template, WebTemplate)]
#[template(path = "list_map.html")]
pub struct MapPage {
    t: T,
    nav: Nav,
    csrf: String,
    id: i64,
    name: String,
    rows: u64,
    headers: Vec<String>,
    fields: Vec<FieldChoice>,
    error: String,
}

async fn map_page(
    s: &AppState,
    u: &PageUser,
    id: i64,
    error: String,
) -> Result<Response, PageError> {
    let (l, choices) = ListDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .mapping_choices(id)
        .await
        .map_err(|e| u.fail(e))?;
    if l.status != ListStatus::Mapping {
        return Ok(Redirect::to(&format!("/lists/{id}")).into_response());
    }
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        MapPage {
            t: u.t,
            nav: u.nav.clone(),
            csrf: u.csrf.clone(),
            id,
            name: l.name.clone(),
            rows: l.rows,
            headers: l.headers.clone(),
            fields: choices
                .into_iter()
                .map(|(f, h)| FieldChoice {
                    code: f.code(),
                    label: f.label(u.t.0),
                    chosen: h.unwrap_or_default(),
                })
                .collect(),
            error,
        },
    )
        .into_response())
}

/// `GET /lists/{id}/map`.
async fn map_form(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    map_page(&s, &u, id, String::new()).await
}

/// `POST /lists/{id}/map`: the fields as `f_<code>` = header.
async fn map_submit(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let csrf = f
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    u.check_csrf(&csrf)?;
    let chosen: Vec<(String, String)> = f
        .into_iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("f_")?.to_string(), v)))
        .collect();
    match ListDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .map(id, &chosen)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/lists/{id}")).into_response()),
        Err(AppError::Validation(ps)) => {
            let msg = ps
                .iter()
                .map(|p| {
                    let field = p
                        .path
                        .strip_prefix("mapping.")
                        .and_then(ListField::parse)
                        .map_or_else(
                            || u.t.s("li_columns").to_string(),
                            |f| f.label(u.t.0).to_string(),
                        );
                    format!("{field}：{}", p.problem.message(u.t.0))
                })
                .collect::<Vec<_>>()
                .join("；");
            map_page(&s, &u, id, msg).await
        }
        Err(e) => Err(u.fail(e)),
    }
}

/// One row as a line (ID number and phone masked).
pub struct RowLine {
    pub seq: u32,
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub place: String,
    pub time: String,
    pub state_code: String,
    pub state: String,
    pub assignee: String,
    pub dup: String,
    pub problem: String,
}

fn row_line(t: T, r: &ListRow, list: i64) -> RowLine {
    RowLine {
        seq: r.seq,
        name: r.name.clone(),
        id_number: mask_middle(&r.id_number, 6, 4),
        phone: mask_middle(&r.phone, 3, 4),
        place: r.risk_place.clone(),
        time: r.seen_at.clone(),
        state_code: row_state(r).code().replace(':', "-"),
        state: row_state_text(r, t.0),
        assignee: r
            .task
            .as_ref()
            .and_then(|k| k.assignee.clone())
            .unwrap_or_default(),
        dup: match r.dup_of {
            Some((l, seq)) if l == list => format!("#{seq}"),
            Some((l, seq)) => format!("{} {l} #{seq}", t.s("li_list")),
            None => String::new(),
        },
        problem: r
            .problem
            .as_deref()
            .map_or_else(String::new, |_| t.s("li_bad_key").to_string()),
    }
}

/// `/lists/{id}`: counts, the rows not found and the repeats, the return file.
#[derive(Template, WebTemplate)]
#[template(path = "list.html")]
pub struct ListPage {
    t: T,
    nav: Nav,
    csrf: String,
    id: i64,
    name: String,
    area: String,
    status: &'static str,
    open: bool,
    total: u64,
    by_id: u64,
    by_phone: u64,
    not_found: u64,
    duplicates: u64,
    to_do: u64,
    states: Vec<(String, String, u64)>,
    missing: Vec<RowLine>,
    dups: Vec<RowLine>,
    rows: Vec<RowLine>,
    all: bool,
}

/// The page's filter.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListQuery {
    rows: String,
}

/// `GET /lists/{id}`.
async fn show(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let desk = ListDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let (l, p) = desk.progress_of(id).await.map_err(|e| u.fail(e))?;
    if l.status == ListStatus::Mapping {
        return Ok(Redirect::to(&format!("/lists/{id}/map")).into_response());
    }
    let missing = desk
        .rows(id, RowFilter::NotFound, ROWS_MAX)
        .await
        .map_err(|e| u.fail(e))?;
    let dups = desk
        .rows(id, RowFilter::Duplicates, ROWS_MAX)
        .await
        .map_err(|e| u.fail(e))?;
    let all = q.rows == "all";
    let rows = if all {
        desk.rows(id, RowFilter::All, ROWS_MAX)
            .await
            .map_err(|e| u.fail(e))?
    } else {
        Vec::new()
    };
    let states = p
        .states
        .iter()
        .map(|(code, n)| {
            use doorstep_core::lists::RowState;
            let state = match code.as_str() {
                "duplicate" => RowState::Duplicate,
                "waiting" => RowState::Waiting,
                "calling" => RowState::Calling,
                "retrying" => RowState::Retrying,
                "door_knock" => RowState::DoorKnock,
                "closed" => RowState::Closed,
                other => RowState::Done(other.to_string()),
            };
            let label = state.label(u.t.0);
            (code.replace(':', "-"), label, *n)
        })
        .collect();
    Ok(ListPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        id,
        name: l.name.clone(),
        area: l.area_path.to_string(),
        status: l.status.label(u.t.0),
        open: l.status == ListStatus::Open,
        total: p.total,
        by_id: p.by_id_number,
        by_phone: p.by_phone,
        not_found: p.not_found,
        duplicates: p.duplicates,
        to_do: p.open(),
        states,
        missing: missing.iter().map(|r| row_line(u.t, r, id)).collect(),
        dups: dups.iter().map(|r| row_line(u.t, r, id)).collect(),
        rows: rows.iter().map(|r| row_line(u.t, r, id)).collect(),
        all,
    }
    .into_response())
}

/// The return file's format.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReturnQuery {
    format: String,
}

/// `GET /lists/{id}/return?format=xlsx|csv`.
async fn return_file(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<ReturnQuery>,
) -> Result<Response, PageError> {
    crate::api::lists::return_download(&s, &u.who, &u.ctx, id, &q.format)
        .await
        .map_err(|e| u.fail(e))
}

/// A form with only the CSRF token.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CsrfOnly {
    csrf: String,
}

/// `POST /lists/{id}/close`.
async fn close(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    ListDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .close(id)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(Redirect::to(&format!("/lists/{id}")).into_response())
}

/// One call as a card.
pub struct CallCard {
    pub task_id: i64,
    pub name: String,
    pub label: String,
    pub phone: String,
    /// The number in full, once shown (a `tel:` link).
    pub full_phone: String,
    pub place: String,
    pub time: String,
    pub list: String,
    pub calls: u32,
    pub due: String,
    pub desk: bool,
}

fn card(c: &Call) -> CallCard {
    CallCard {
        task_id: c.task.id,
        name: c.row.name.clone(),
        label: c.task.label.clone(),
        phone: mask_middle(&c.row.phone, 3, 4),
        full_phone: String::new(),
        place: c.row.risk_place.clone(),
        time: c.row.seen_at.clone(),
        list: c.list.name.clone(),
        calls: c.row.calls,
        due: c.task.due_at.map(china_minute).unwrap_or_default(),
        desk: c.row.person_id.is_none(),
    }
}

/// `/lists/calls`: my calls.
#[derive(Template, WebTemplate)]
#[template(path = "list_calls.html")]
pub struct CallsPage {
    t: T,
    nav: Nav,
    csrf: String,
    cards: Vec<CallCard>,
    outcomes: Vec<(&'static str, String)>,
    error: String,
    done: bool,
}

async fn calls_page(
    s: &AppState,
    u: &PageUser,
    shown: Option<(i64, String)>,
    error: String,
    done: bool,
) -> Result<Response, PageError> {
    let calls = CallDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .mine()
        .await
        .map_err(|e| u.fail(e))?;
    let cards = calls
        .iter()
        .map(|c| {
            let mut k = card(c);
            if let Some((t, p)) = &shown
                && *t == k.task_id
            {
                k.full_phone = p.clone();
            }
            k
        })
        .collect();
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        CallsPage {
            t: u.t,
            nav: u.nav.clone(),
            csrf: u.csrf.clone(),
            cards,
            outcomes: CallOutcome::ALL
                .iter()
                .map(|o| (o.code(), o.label(u.t.0)))
                .collect(),
            error,
            done,
        },
    )
        .into_response())
}

/// Whether the last outcome was saved.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CallsQuery {
    saved: String,
}

/// `GET /lists/calls`.
async fn calls(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<CallsQuery>,
) -> Result<Response, PageError> {
    calls_page(&s, &u, None, String::new(), q.saved == "1").await
}

/// `POST /lists/calls/{task}/phone`: the page again, with this call's number in full.
async fn show_phone(
    State(s): State<AppState>,
    u: PageUser,
    Path(task): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let phone = CallDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .phone(task)
        .await
        .map_err(|e| u.fail(e))?;
    calls_page(&s, &u, Some((task, phone)), String::new(), false).await
}

/// An outcome form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OutcomeForm {
    csrf: String,
    outcome: String,
    place: String,
    note: String,
}

/// `POST /lists/calls/{task}`: records the outcome and comes back to the calls.
async fn record(
    State(s): State<AppState>,
    u: PageUser,
    Path(task): Path<i64>,
    Form(f): Form<OutcomeForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let input = CallInput {
        outcome: f.outcome,
        place: f.place,
        note: f.note,
    };
    match CallDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .record(task, &input)
        .await
    {
        Ok(_) => Ok(Redirect::to("/lists/calls?saved=1").into_response()),
        Err(AppError::Validation(ps)) => {
            let msg = ps
                .iter()
                .map(|p| {
                    let field = match p.path.as_str() {
                        "place" => u.t.s("li_place"),
                        "note" => u.t.s("notes"),
                        _ => u.t.s("li_outcome"),
                    };
                    format!("{field}：{}", p.problem.message(u.t.0))
                })
                .collect::<Vec<_>>()
                .join("；");
            calls_page(&s, &u, None, msg, false).await
        }
        Err(e) => Err(u.fail(e)),
    }
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/lists",
            get(index)
                .post(upload)
                .layer(DefaultBodyLimit::max(crate::api::lists::MAX_UPLOAD)),
        )
        .route("/lists/calls", get(calls))
        .route("/lists/calls/{task}", post(record))
        .route("/lists/calls/{task}/phone", post(show_phone))
        .route("/lists/{id}", get(show))
        .route("/lists/{id}/map", get(map_form).post(map_submit))
        .route("/lists/{id}/return", get(return_file))
        .route("/lists/{id}/close", post(close))
}
