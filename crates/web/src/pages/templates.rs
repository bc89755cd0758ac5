//! Export templates (报表模板) for staff: the templates a user may use, each downloadable for
//! an area as XLSX or CSV, handed on as a file; a form to make or change one (columns in
//! order: header, source field, mapping) and to import a file.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use doorstep_app::access::Action;
use doorstep_app::clock::china_minute;
use doorstep_app::error::AppError;
use doorstep_app::templates::{TemplateDesk, TemplateInput, TemplateView};
use doorstep_core::templates::{ColumnInput, RowKind};
use serde::Deserialize;

use super::{PageError, PageUser};
use crate::AppState;
use crate::i18n::T;

/// Blank column rows the form offers beyond the template's own.
const SPARE_ROWS: usize = 5;

/// One template as a line.
pub struct TemplateLine {
    id: i64,
    name: String,
    kind: String,
    area: String,
    columns: String,
    updated: String,
    editable: bool,
    /// Whether its rows are days (the export form then asks for the first and last day).
    daily: bool,
}

impl TemplateLine {
    fn of(v: &TemplateView, t: T) -> TemplateLine {
        TemplateLine {
            id: v.id,
            name: v.template.name().to_string(),
            kind: v.template.kind().label(t.0).to_string(),
            area: v
                .area
                .as_ref()
                .map(|a| a.as_str().to_string())
                .unwrap_or_else(|| t.s("tp_built_in").to_string()),
            columns: v.template.headers().join("、"),
            updated: v
                .updated
                .as_ref()
                .map(|(by, at)| format!("{} · {by}", china_minute(*at)))
                .unwrap_or_default(),
            editable: v.editable,
            daily: v.template.kind() == RowKind::DailyFigures,
        }
    }
}

/// The list page.
#[derive(Template, WebTemplate)]
#[template(path = "templates.html")]
pub struct TemplatesPage {
    t: T,
    nav: super::Nav,
    csrf: String,
    lines: Vec<TemplateLine>,
    /// The area an export or import is for by default (the user's own).
    area: String,
    /// A daily figures export's default days: the fourteen ending today.
    from: String,
    to: String,
    manage: bool,
    error: Option<String>,
}

async fn list_page(
    s: &AppState,
    u: &PageUser,
    error: Option<String>,
) -> Result<TemplatesPage, PageError> {
    let all = TemplateDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .list()
        .await
        .map_err(|e| u.fail(e))?;
    Ok(TemplatesPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        lines: all.iter().map(|v| TemplateLine::of(v, u.t)).collect(),
        area: u.user.area_path.to_string(),
        from: (u.ctx.today() - time::Duration::days(13)).to_string(),
        to: u.ctx.today().to_string(),
        manage: u.who.may(Action::ManageTemplates),
        error,
    })
}

async fn index(State(s): State<AppState>, u: PageUser) -> Result<Response, PageError> {
    Ok(list_page(&s, &u, None).await?.into_response())
}

/// One column row of the form.
pub struct ColumnRow {
    n: usize,
    header: String,
    field: String,
    map: String,
}

/// The form to make or change a template.
#[derive(Template, WebTemplate)]
#[template(path = "template_form.html")]
pub struct TemplateFormPage {
    t: T,
    nav: super::Nav,
    csrf: String,
    /// Where the form posts.
    action: String,
    name: String,
    kind: String,
    /// (code, label) of every kind.
    kinds: Vec<(String, String)>,
    /// (key, label) of the kind's fields.
    fields: Vec<(String, String)>,
    rows: Vec<ColumnRow>,
    /// Shown only when making a new one: the area (the user's own by default).
    area: Option<String>,
    error: Option<String>,
}

fn form_page(
    u: &PageUser,
    action: String,
    area: Option<String>,
    input: &TemplateInput,
    error: Option<String>,
) -> TemplateFormPage {
    let kind = RowKind::from_code(&input.kind).unwrap_or(RowKind::Persons);
    let mut rows: Vec<ColumnRow> = input
        .columns
        .iter()
        .filter(|c| !(c.header.trim().is_empty() && c.field.trim().is_empty()))
        .enumerate()
        .map(|(i, c)| ColumnRow {
            n: i + 1,
            header: c.header.clone(),
            field: c.field.clone(),
            map: c.map.clone(),
        })
        .collect();
    for _ in 0..SPARE_ROWS {
        rows.push(ColumnRow {
            n: rows.len() + 1,
            header: String::new(),
            field: String::new(),
            map: String::new(),
        });
    }
    TemplateFormPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        action,
        name: input.name.clone(),
        kind: kind.code().to_string(),
        kinds: RowKind::ALL
            .iter()
            .map(|k| (k.code().to_string(), k.label(u.t.0).to_string()))
            .collect(),
        fields: kind
            .fields()
            .iter()
            .map(|f| (f.key.to_string(), u.t.0.pick(f.zh, f.en).to_string()))
            .collect(),
        rows,
        area,
        error,
    }
}

/// `?kind=` picks the kind of a new template (the fields offered follow it).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct KindQuery {
    kind: String,
}

async fn new_form(u: PageUser, Query(q): Query<KindQuery>) -> Result<Response, PageError> {
    if !u.who.may(Action::ManageTemplates) {
        return Err(u.fail(AppError::Forbidden));
    }
    let input = TemplateInput {
        kind: q.kind,
        ..Default::default()
    };
    let area = Some(u.user.area_path.to_string());
    Ok(form_page(&u, "/templates/new".into(), area, &input, None).into_response())
}

async fn edit_form(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let v = TemplateDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .get(id)
        .await
        .map_err(|e| u.fail(e))?;
    if !v.editable {
        return Err(u.fail(AppError::Forbidden));
    }
    let input = TemplateInput {
        name: v.template.name().to_string(),
        kind: v.template.kind().code().to_string(),
        columns: v.template.inputs(),
    };
    Ok(form_page(&u, format!("/templates/{id}"), None, &input, None).into_response())
}

/// Reads the posted form: `name`, `kind`, `area`, `csrf` and `header_N`, `field_N`, `map_N`.
fn read_form(pairs: &[(String, String)]) -> (String, String, TemplateInput) {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut columns: Vec<ColumnInput> = Vec::new();
    for (k, v) in pairs {
        let Some((part, n)) = k.rsplit_once('_') else {
            continue;
        };
        let Ok(n) = n.parse::<usize>() else { continue };
        if n == 0 || n > doorstep_core::templates::COLUMNS_MAX + SPARE_ROWS {
            continue;
        }
        if columns.len() < n {
            columns.resize(n, ColumnInput::default());
        }
        let c = &mut columns[n - 1];
        match part {
            "header" => c.header = v.clone(),
            "field" => c.field = v.clone(),
            "map" => c.map = v.clone(),
            _ => {}
        }
    }
    let input = TemplateInput {
        name: get("name"),
        kind: get("kind"),
        columns,
    };
    (get("csrf"), get("area"), input)
}

async fn save(
    s: &AppState,
    u: &PageUser,
    id: Option<i64>,
    pairs: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let (csrf, area, input) = read_form(&pairs);
    u.check_csrf(&csrf)?;
    let desk = TemplateDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let done = match id {
        None => desk.create(&area, &input).await,
        Some(id) => desk.update(id, &input).await,
    };
    let (status, error) = match done {
        Ok(_) => return Ok(Redirect::to("/templates").into_response()),
        Err(AppError::Validation(p)) => (StatusCode::UNPROCESSABLE_ENTITY, u.problems_text(&p)),
        Err(AppError::Conflict(c)) => (StatusCode::CONFLICT, c.message(u.t.0).to_string()),
        Err(e) => return Err(u.fail(e)),
    };
    let (action, area) = match id {
        None => ("/templates/new".to_string(), Some(area)),
        Some(id) => (format!("/templates/{id}"), None),
    };
    Ok((status, form_page(u, action, area, &input, Some(error))).into_response())
}

async fn create(
    State(s): State<AppState>,
    u: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    save(&s, &u, None, pairs).await
}

async fn update(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    save(&s, &u, Some(id), pairs).await
}

async fn delete(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<super::CsrfForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    TemplateDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .delete(id)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(Redirect::to("/templates").into_response())
}

async fn file(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (name, bytes) = TemplateDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .file(id)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(crate::api::reports_download(
        bytes,
        &name,
        "application/json; charset=utf-8",
    ))
}

/// `GET /templates/{id}/export?area=&format=[&from=&to=]`: a download (reading, so a GET;
/// audited); the days are a daily figures template's.
async fn export(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<crate::api::templates::ExportQuery>,
) -> Result<Response, PageError> {
    match crate::api::templates::export_download(&s, &u.who, &u.ctx, &id.to_string(), &q).await {
        Ok(file) => Ok(file),
        // Days that do not read or do not make a range: the list again, the field named.
        Err(AppError::Validation(problems)) => {
            let said: Vec<String> = problems
                .iter()
                .map(|p| {
                    let field = match p.path.as_str() {
                        "from" => u.t.s("tp_from"),
                        "to" => u.t.s("tp_to"),
                        other => other,
                    };
                    format!(
                        "{field}{}{}",
                        u.t.0.pick("：", ": "),
                        p.problem.message(u.t.0)
                    )
                })
                .collect();
            let page = list_page(&s, &u, Some(said.join(u.t.0.pick("；", "; ")))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(u.fail(e)),
    }
}

/// `POST /templates/import`: a template file (multipart `file`) for an area.
async fn import(
    State(s): State<AppState>,
    u: PageUser,
    mut form: Multipart,
) -> Result<Response, PageError> {
    let (mut csrf, mut area, mut bytes) = (String::new(), String::new(), Vec::new());
    let bad = |u: &PageUser| {
        PageError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            u.t,
            u.t.0.pick("文件太大", "the file is too large"),
            &u.ctx,
        )
    };
    while let Some(field) = form.next_field().await.map_err(|_| bad(&u))? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("area") => area = field.text().await.unwrap_or_default(),
            Some("file") => bytes = field.bytes().await.map_err(|_| bad(&u))?.to_vec(),
            _ => {}
        }
    }
    u.check_csrf(&csrf)?;
    let done = TemplateDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .import(&area, &bytes)
        .await;
    let (status, error) = match done {
        Ok(_) => return Ok(Redirect::to("/templates").into_response()),
        Err(AppError::Validation(p)) => (StatusCode::UNPROCESSABLE_ENTITY, u.problems_text(&p)),
        Err(AppError::Conflict(c)) => (StatusCode::CONFLICT, c.message(u.t.0).to_string()),
        Err(e) => return Err(u.fail(e)),
    };
    let page = list_page(&s, &u, Some(error)).await?;
    Ok((status, page).into_response())
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/templates", get(index))
        .route("/templates/new", get(new_form).post(create))
        .route("/templates/import", post(import))
        .route("/templates/{id}", get(edit_form).post(update))
        .route("/templates/{id}/delete", post(delete))
        .route("/templates/{id}/file", get(file))
        .route("/templates/{id}/export", get(export))
}
