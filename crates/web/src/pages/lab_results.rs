//! The lab's results upload (`/lab/results`): a CSV or XLSX of 试管码, 检测结果, 检测时间, read
//! by the one roster reader and recorded through `doorstep_app::rounds::LabDesk::import_results`
//! (what `doorstep import results` does), answered with the counts and the rows refused.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use doorstep_app::access::Action;
use doorstep_app::error::AppError;
use doorstep_app::import::RowError;
use doorstep_app::rounds::{LabDesk, ResultsDone};

use super::{Nav, PageError, PageUser};
use crate::AppState;
use crate::i18n::T;

/// The largest results file: 100,000 rows of CSV fit well under it.
const MAX_UPLOAD: usize = 16 << 20;

/// The route of this page.
pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/lab/results",
        get(form)
            .post(upload)
            .layer(DefaultBodyLimit::max(MAX_UPLOAD)),
    )
}

/// The upload form, and what the last upload did.
#[derive(Template, WebTemplate)]
#[template(path = "lab_results.html")]
pub struct ResultsPage {
    t: T,
    nav: Nav,
    csrf: String,
    done: Option<ResultsDone>,
    errors: Vec<RowError>,
    error: Option<String>,
}

fn page(
    u: &PageUser,
    done: Option<ResultsDone>,
    errors: Vec<RowError>,
    error: Option<String>,
) -> Response {
    ResultsPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        done,
        errors,
        error,
    }
    .into_response()
}

async fn form(u: PageUser) -> Result<Response, PageError> {
    if !u.who.may(Action::LabResults) {
        return Err(u.fail(AppError::Forbidden));
    }
    Ok(page(&u, None, Vec::new(), None))
}

async fn upload(
    State(s): State<AppState>,
    u: PageUser,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    if !u.who.may(Action::LabResults) {
        return Err(u.fail(AppError::Forbidden));
    }
    let too_big = |u: &PageUser| {
        PageError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            u.t,
            u.t.0.pick(
                "文件太大（最大 16 MB）",
                "the file is too large (16 MB at most)",
            ),
            &u.ctx,
        )
    };
    let dir = tempfile::tempdir().map_err(|e| u.fail(super::roster::io_err(e)))?;
    let (mut csrf, mut path) = (String::new(), None);
    while let Some(field) = multipart.next_field().await.map_err(|_| too_big(&u))? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or("results").to_lowercase();
                let bytes = field.bytes().await.map_err(|_| too_big(&u))?;
                if !bytes.is_empty() {
                    let ext = if name.ends_with(".xlsx") {
                        "xlsx"
                    } else {
                        "csv"
                    };
                    let p = dir.path().join(format!("results.{ext}"));
                    tokio::fs::write(&p, &bytes)
                        .await
                        .map_err(|e| u.fail(super::roster::io_err(e)))?;
                    path = Some(p);
                }
            }
            _ => {}
        }
    }
    u.check_csrf(&csrf)?;
    let Some(path) = path else {
        let message = u.t.s("lr_choose_file").to_string();
        return Ok(page(&u, None, Vec::new(), Some(message)));
    };
    match LabDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .import_results(path, u.t.0)
        .await
    {
        Ok((done, errors)) => Ok(page(&u, Some(done), errors, None)),
        Err(AppError::Import(e)) => Ok(page(&u, None, Vec::new(), Some(e.message(u.t.0)))),
        Err(AppError::Validation(p)) => Ok(page(
            &u,
            None,
            Vec::new(),
            Some(
                p.iter()
                    .map(|p| p.problem.message(u.t.0))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        )),
        Err(e) => Err(u.fail(e)),
    }
}
