//! Notices to residents (温馨提示) and files from above (上级文件) for staff: the area's
//! notices with a form to publish one (`/notices`), a notice with its withdraw form
//! (`/notices/{id}`), its A4 slip with the QR code of its public page
//! (`/notices/{id}/slip`), the files kept per day with an upload form and downloads; and the
//! public page (`/n/{token}`, no login) with the lines other public pages show.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use doorstep_app::access::Action;
use doorstep_app::clock::china_minute;
use doorstep_app::notices::{self, FileInput, NoticeDesk, NoticeInput};
use doorstep_store::{Notice, NoticeFile};
use serde::Deserialize;

use super::{Nav, PageError, PageUser};
use crate::AppState;
use crate::context::{ReqCtx, ReqLang};
use crate::i18n::T;

/// A notice as residents read it (on its page and on the public pages of its area).
pub struct NoticeLine {
    pub title: String,
    /// Paragraphs.
    pub body: Vec<String>,
    pub english: String,
    pub href: String,
    pub valid: String,
}

impl NoticeLine {
    /// The line of a notice.
    pub fn of(n: &Notice) -> NoticeLine {
        NoticeLine {
            title: n.title.clone(),
            body: n.body.lines().map(str::to_string).collect(),
            english: n.english.clone(),
            href: format!("/n/{}", n.token),
            valid: format!("{} – {}", n.valid_from, n.valid_to),
        }
    }
}

/// The notices showing today on the public pages of `area` (none when reading fails: a
/// resident's form must not fail for a notice).
pub async fn showing(
    s: &AppState,
    ctx: &doorstep_app::access::Ctx,
    area: &doorstep_core::AreaPath,
) -> Vec<NoticeLine> {
    notices::showing(s.store.as_ref(), ctx, area)
        .await
        .map(|l| l.iter().map(NoticeLine::of).collect())
        .unwrap_or_default()
}

/// A notice in the staff list.
pub struct StaffLine {
    pub id: i64,
    pub title: String,
    pub area: String,
    pub valid: String,
    pub published: String,
    /// Withdrawn: by whom, when, why.
    pub withdrawn: String,
}

/// The area's notices and files.
#[derive(Template, WebTemplate)]
#[template(path = "notices.html")]
pub struct NoticesPage {
    t: T,
    nav: Nav,
    csrf: String,
    area: String,
    today: String,
    lines: Vec<StaffLine>,
    files: Vec<NoticeFile>,
    may_publish: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AreaQuery {
    area: String,
}

async fn list(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<AreaQuery>,
) -> Result<Response, PageError> {
    let desk = NoticeDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let found = desk.list(&q.area).await.map_err(|e| u.fail(e))?;
    let files = desk.files(&q.area, "").await.map_err(|e| u.fail(e))?;
    let lines = found
        .iter()
        .map(|n| StaffLine {
            id: n.id,
            title: n.title.clone(),
            area: n.area_path.to_string(),
            valid: format!("{} – {}", n.valid_from, n.valid_to),
            published: format!("{} {}", china_minute(n.published_at), n.published_by),
            withdrawn: n
                .withdrawn
                .as_ref()
                .map(|(by, at, why)| format!("{} {by} · {why}", china_minute(*at)))
                .unwrap_or_default(),
        })
        .collect();
    Ok(NoticesPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        area: if q.area.is_empty() {
            u.user.area_path.to_string()
        } else {
            q.area.clone()
        },
        today: u.ctx.today().to_string(),
        lines,
        files,
        may_publish: u.who.may(Action::PublishNotices),
    }
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PublishForm {
    csrf: String,
    area: String,
    title: String,
    body: String,
    english: String,
    valid_from: String,
    valid_to: String,
}

async fn publish(
    State(s): State<AppState>,
    u: PageUser,
    Form(f): Form<PublishForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let n = NoticeDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .publish(&NoticeInput {
            area: f.area,
            title: f.title,
            body: f.body,
            english: f.english,
            valid_from: f.valid_from,
            valid_to: f.valid_to,
        })
        .await
        .map_err(|e| fail_fields(&u, e))?;
    Ok(Redirect::to(&format!("/notices/{}", n.id)).into_response())
}

/// A form's problems as one page, each with its field's name.
fn fail_fields(u: &PageUser, e: doorstep_app::error::AppError) -> PageError {
    match e {
        doorstep_app::error::AppError::Validation(ps) => PageError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            u.t,
            &ps.iter()
                .map(|p| format!("{}：{}", field(u.t, &p.path), p.problem.message(u.t.0)))
                .collect::<Vec<_>>()
                .join("；"),
            &u.ctx,
        )
        .with_nav(&u.nav),
        e => u.fail(e),
    }
}

fn field(t: T, path: &str) -> &'static str {
    match path {
        "title" => t.s("nt_title_field"),
        "body" => t.s("nt_body"),
        "english" => t.s("nt_english"),
        "valid_from" => t.s("nt_from"),
        "valid_to" => t.s("nt_to"),
        "file" => t.s("nt_file"),
        "day" => t.s("nt_day"),
        "reason" => t.s("nt_reason"),
        _ => t.s("nt_area"),
    }
}

/// One notice for staff.
#[derive(Template, WebTemplate)]
#[template(path = "notice.html")]
pub struct NoticePage {
    t: T,
    nav: Nav,
    csrf: String,
    id: i64,
    line: NoticeLine,
    area: String,
    published: String,
    withdrawn: String,
    may_withdraw: bool,
}

async fn show(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let n = NoticeDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .get(id)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(NoticePage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        id: n.id,
        line: NoticeLine::of(&n),
        area: n.area_path.to_string(),
        published: format!("{} {}", china_minute(n.published_at), n.published_by),
        withdrawn: n
            .withdrawn
            .as_ref()
            .map(|(by, at, why)| format!("{} {by} · {why}", china_minute(*at)))
            .unwrap_or_default(),
        may_withdraw: n.withdrawn.is_none() && u.who.may(Action::PublishNotices),
    }
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WithdrawForm {
    csrf: String,
    reason: String,
}

async fn withdraw(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<WithdrawForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    NoticeDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .withdraw(id, &f.reason)
        .await
        .map_err(|e| fail_fields(&u, e))?;
    Ok(Redirect::to(&format!("/notices/{id}")).into_response())
}

/// The A4 slip.
#[derive(Template, WebTemplate)]
#[template(path = "notice_slip.html")]
pub struct SlipPage {
    t: T,
    nav: Nav,
    id: i64,
    line: NoticeLine,
    qr: String,
    url: String,
}

async fn slip(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let n = NoticeDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .get(id)
        .await
        .map_err(|e| u.fail(e))?;
    let url = format!(
        "{}/n/{}",
        s.public_url.as_str().trim_end_matches('/'),
        n.token
    );
    let qr = super::reports::qr_svg_inline(&url, 240)
        .map_err(|e| u.fail(doorstep_app::error::AppError::Internal(e.into())))?;
    Ok(SlipPage {
        t: u.t,
        nav: u.nav.clone(),
        id: n.id,
        line: NoticeLine::of(&n),
        qr,
        url,
    }
    .into_response())
}

/// A notice's public page (no login).
#[derive(Template, WebTemplate)]
#[template(path = "notice_public.html")]
pub struct PublicPage {
    t: T,
    nav: Nav,
    line: NoticeLine,
}

/// `GET /n/{token}`: the notice, or not found when unknown or withdrawn.
pub async fn public(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    ReqCtx(ctx): ReqCtx,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let t = T(lang);
    let n = notices::by_token(s.store.as_ref(), &token)
        .await
        .map_err(|e| PageError::from_app(e, t, &ctx))?;
    Ok(PublicPage {
        t,
        nav: Nav::resident("", &format!("/n/{token}")),
        line: NoticeLine::of(&n),
    }
    .into_response())
}

async fn upload(
    State(s): State<AppState>,
    u: PageUser,
    mut form: Multipart,
) -> Result<Response, PageError> {
    let mut input = FileInput::default();
    let mut csrf = String::new();
    while let Some(part) = form
        .next_field()
        .await
        .map_err(|e| u.fail(doorstep_app::error::AppError::Internal(e.into())))?
    {
        let name = part.name().unwrap_or("").to_string();
        if name == "file" {
            input.file_name = part.file_name().unwrap_or("").to_string();
            input.content = part
                .bytes()
                .await
                .map_err(|e| u.fail(doorstep_app::error::AppError::Internal(e.into())))?
                .to_vec();
            continue;
        }
        let text = part
            .text()
            .await
            .map_err(|e| u.fail(doorstep_app::error::AppError::Internal(e.into())))?;
        match name.as_str() {
            "csrf" => csrf = text,
            "area" => input.area = text,
            "day" => input.day = text,
            "title" => input.title = text,
            _ => {}
        }
    }
    u.check_csrf(&csrf)?;
    NoticeDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .keep_file(&input)
        .await
        .map_err(|e| fail_fields(&u, e))?;
    Ok(Redirect::to("/notices#files").into_response())
}

async fn download(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (f, bytes) = NoticeDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .file(id)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(crate::api::notices::file_response(&f, bytes))
}

/// The routes (a file's upload may be up to 12 MiB).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/notices", get(list).post(publish))
        .route("/notices/{id}", get(show))
        .route("/notices/{id}/withdraw", post(withdraw))
        .route("/notices/{id}/slip", get(slip))
        .route("/notices/files/{id}", get(download))
        .route(
            "/notices/files",
            post(upload).layer(DefaultBodyLimit::max(12 << 20)),
        )
}
