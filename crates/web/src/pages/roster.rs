//! Roster pages: upload an import and watch it run, download rejected rows, export an area.
//!
//! An import runs as a background task of this server process; its page refreshes itself
//! (no JavaScript needed) until the task reports the outcome. Jobs live in memory
//! ([`super::jobs::Jobs`]: two at once, each kept an hour after it ends): a restart forgets
//! the progress page, never the rows already written.

use std::time::Instant;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use doorstep_app::access::Action;
use doorstep_app::export::{SheetFormat, save_rejects};
use doorstep_app::import::RowError;
use doorstep_app::registry::Registry;
use doorstep_core::{AreaKind, AreaPath};
use serde::Deserialize;

use super::jobs::ImportJob;
use super::{Nav, PageError, PageUser};
use crate::AppState;
use crate::api::reports::{sheet, written};
use crate::i18n::T;

/// Seconds a turned-away upload is told to wait: about what a large import takes.
const BUSY_RETRY_SECS: u64 = 30;

/// The upload form.
#[derive(Template, WebTemplate)]
#[template(path = "import.html")]
pub struct ImportPage {
    t: T,
    nav: Nav,
    csrf: String,
    areas: Vec<String>,
    error: Option<String>,
}

async fn import_areas(s: &AppState, u: &PageUser) -> Result<Vec<String>, PageError> {
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let mut out = Vec::new();
    for a in reg.home_areas().await.map_err(|e| u.fail(e))? {
        for c in reg.area_tree(&a.path).await.map_err(|e| u.fail(e))? {
            if (AreaKind::Community..=AreaKind::Compound).contains(&c.area.kind) {
                out.push(c.area.path.to_string());
            }
        }
    }
    Ok(out)
}

/// Shows the upload form.
pub async fn import_form(State(s): State<AppState>, u: PageUser) -> Result<Response, PageError> {
    if !u.who.may(Action::Write) {
        return Err(u.fail(doorstep_app::error::AppError::Forbidden));
    }
    let areas = import_areas(&s, &u).await?;
    Ok(ImportPage {
        csrf: u.csrf.clone(),
        areas,
        error: None,
        t: u.t,
        nav: u.nav,
    }
    .into_response())
}

/// Receives the upload and starts the import.
pub async fn start_import(
    State(s): State<AppState>,
    u: PageUser,
    mut form: Multipart,
) -> Result<Response, PageError> {
    s.jobs.expire();
    if !u.who.may(Action::Write) {
        return Err(u.fail(doorstep_app::error::AppError::Forbidden));
    }
    // The slot is taken before the upload is read (it goes to disk) and held until the
    // import ends.
    let Some(slot) = s.jobs.slot() else {
        return Ok(busy(&u));
    };
    let dir = tempfile::tempdir().map_err(|e| u.fail(io_err(e)))?;
    let (mut csrf, mut area, mut file) = (String::new(), String::new(), None);
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
            Some("file") => {
                let name = field.file_name().unwrap_or("roster").to_string();
                let bytes = field.bytes().await.map_err(|_| too_big(&u))?;
                if !bytes.is_empty() {
                    let ext = if name.to_lowercase().ends_with(".xlsx") {
                        "xlsx"
                    } else {
                        "csv"
                    };
                    let path = dir.path().join(format!("upload.{ext}"));
                    tokio::fs::write(&path, &bytes)
                        .await
                        .map_err(|e| u.fail(io_err(e)))?;
                    file = Some(path);
                }
            }
            _ => {}
        }
    }
    u.check_csrf(&csrf)?;
    let Some(file) = file else {
        let areas = import_areas(&s, &u).await?;
        let error = Some(
            u.t.0
                .pick("请选择要导入的文件", "choose a file to import")
                .to_string(),
        );
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            ImportPage {
                csrf: u.csrf.clone(),
                areas,
                error,
                t: u.t,
                nav: u.nav,
            },
        )
            .into_response());
    };
    let area = AreaPath::parse(&area)
        .map_err(|p| PageError::new(StatusCode::BAD_REQUEST, u.t, &p.message(u.t.0), &u.ctx))?;
    u.who
        .authorize(Action::Write, &area)
        .map_err(|e| u.fail(e))?;
    let id = doorstep_app::auth::random_hex(12).map_err(|e| u.fail(e))?;
    let rejects_path = dir.path().join("rejects.xlsx");
    s.jobs
        .insert(id.clone(), ImportJob::new(u.user.id, area.to_string(), dir));
    let (store, jobs, who, ctx, lang, job) = (
        s.store.clone(),
        s.jobs.clone(),
        u.who.clone(),
        u.ctx.clone(),
        u.t.0,
        id.clone(),
    );
    tokio::spawn(async move {
        let _slot = slot;
        let reg = Registry::new(store.as_ref(), &who, &ctx);
        let progress_jobs = jobs.clone();
        let progress_id = job.clone();
        let mut result = reg
            .import(&area, file.clone(), lang, move |p| {
                let percent = match p.total_rows {
                    Some(total) if total > 0 => p.rows * 100 / total,
                    _ if p.total_bytes > 0 => p.bytes * 100 / p.total_bytes,
                    _ => 0,
                };
                progress_jobs.progress(&progress_id, p.rows, percent);
            })
            .await;
        // The upload is read: only the rejected rows stay on disk, for the job's hour.
        let _ = tokio::fs::remove_file(&file).await;
        let mut rejects = None;
        if let Ok(r) = &mut result
            && !r.rejects.is_empty()
        {
            // The rows move to the writing thread; the page needs only the errors.
            let rows = std::mem::take(&mut r.rejects);
            match save_rejects(rejects_path.clone(), r.headers.clone(), rows, lang).await {
                Ok(()) => rejects = Some(rejects_path),
                Err(e) => tracing::error!(error = %e, "writing the rejected rows failed"),
            }
        }
        let outcome = result.map_err(|e| match e {
            doorstep_app::error::AppError::Import(e) => e.message(lang),
            other => other.to_string(),
        });
        jobs.finish(&job, outcome, rejects, Instant::now());
    });
    Ok(Redirect::to(&format!("/import/{id}")).into_response())
}

pub(crate) fn io_err(e: std::io::Error) -> doorstep_app::error::AppError {
    doorstep_app::error::AppError::internal(e)
}

/// 503 with Retry-After: every import slot is taken.
fn busy(u: &PageUser) -> Response {
    let message = u.t.0.pick(
        "正在进行的导入已达上限，请稍后再试（约半分钟）",
        "other imports are running; try again in about half a minute",
    );
    busy_page(
        PageError::new(StatusCode::SERVICE_UNAVAILABLE, u.t, message, &u.ctx).with_nav(&u.nav),
    )
}

/// An error page with the Retry-After of a turned-away upload.
fn busy_page(page: PageError) -> Response {
    let mut res = page.into_response();
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(BUSY_RETRY_SECS));
    res
}

/// An import's progress or outcome.
#[derive(Template, WebTemplate)]
#[template(path = "import_job.html")]
pub struct ImportJobPage {
    t: T,
    nav: Nav,
    area: String,
    running: bool,
    rows: u64,
    percent: u64,
    failure: Option<String>,
    summary: Vec<(String, u64)>,
    errors: Vec<RowError>,
    more_errors: usize,
    rejects_href: Option<String>,
    area_href: String,
}

/// Shows an import's progress (refreshing itself) or its outcome.
pub async fn import_job(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    s.jobs.expire();
    let page = s.jobs.with_own(&id, u.user.id, |job| {
        let (mut summary, mut errors, mut more, mut failure) = (Vec::new(), Vec::new(), 0, None);
        match &job.outcome {
            Some(Ok(r)) => {
                let t = u.t;
                summary = vec![
                    (t.s("rows").to_string(), r.rows),
                    (t.s("created").to_string(), r.created),
                    (t.s("updated").to_string(), r.updated),
                    (t.s("unchanged").to_string(), r.unchanged),
                    (t.s("rejected").to_string(), r.rejected),
                    (t.s("households_created").to_string(), r.households_created),
                ];
                errors = job.errors().to_vec();
                more = job.more_errors;
            }
            Some(Err(m)) => failure = Some(m.clone()),
            None => {}
        }
        ImportJobPage {
            area: job.area.clone(),
            running: job.outcome.is_none(),
            rows: job.rows,
            percent: job.percent,
            failure,
            summary,
            errors,
            more_errors: more,
            rejects_href: job
                .rejects
                .as_ref()
                .map(|_| format!("/import/{id}/rejects.xlsx")),
            area_href: "/".to_string(),
            t: u.t,
            nav: u.nav.clone(),
        }
    });
    let page = page.ok_or_else(|| u.fail(doorstep_app::error::AppError::NotFound))?;
    Ok(page.into_response())
}

/// Downloads an import's rejected rows.
pub async fn import_rejects(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    s.jobs.expire();
    let path = s
        .jobs
        .with_own(&id, u.user.id, |j| j.rejects.clone())
        .flatten()
        .ok_or_else(|| u.fail(doorstep_app::error::AppError::NotFound))?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| u.fail(io_err(e)))?;
    Ok(download(bytes, "rejected-rows.xlsx", SheetFormat::Xlsx))
}

/// A spreadsheet download with a UTF-8 file name.
pub(crate) fn download(bytes: Vec<u8>, name: &str, format: SheetFormat) -> Response {
    crate::api::reports::download(bytes, name, crate::api::reports::sheet_mime(format))
}

/// What to export.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    area: String,
    format: Option<String>,
}

/// Exports an area's persons as a download (audited; masked for roles that may not reveal).
pub async fn export(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    let area = AreaPath::parse(&q.area)
        .map_err(|p| PageError::new(StatusCode::BAD_REQUEST, u.t, &p.message(u.t.0), &u.ctx))?;
    let (format, ext, _) = sheet(q.format.as_deref().unwrap_or_default());
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let (_, bytes) = written(ext, |path| {
        let area = &area;
        async move { reg.export(area, format, &path).await }
    })
    .await
    .map_err(|e| u.fail(e))?;
    let label = u.t.0.pick("人员名单", "persons");
    Ok(download(
        bytes,
        &format!("{}-{label}.{ext}", area.name()),
        format,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_turned_away_upload_is_told_when_to_come_back() {
        let ctx = doorstep_app::access::Ctx {
            ip: None,
            request_id: Some("req-1".into()),
            ..Default::default()
        };
        let page = PageError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            T(doorstep_core::Lang::En),
            "busy",
            &ctx,
        );
        let res = busy_page(page);
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            res.headers().get(header::RETRY_AFTER),
            Some(&HeaderValue::from(BUSY_RETRY_SECS))
        );
    }
}
