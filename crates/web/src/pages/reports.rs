//! Staff pages of self-report: report links with their printable A4 QR posters, the review
//! queue, one report side by side with the files, accept / reject / bulk accept, and the
//! direct-report export button. Every page goes through `doorstep_app::reports::ReportDesk`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use doorstep_app::access::Action;
use doorstep_app::clock::china_minute;
use doorstep_app::error::AppError;
use doorstep_app::quarantine::QuarantineDesk;
use doorstep_app::reports::{LinkInput, Purpose, ReportDesk, ReportReview};
use doorstep_core::{AreaPath, Question};
use doorstep_store::{Id, PageRequest, Report, ReportLink, ReportStatus};
use qrcode::{EcLevel, QrCode};
use serde::Deserialize;

use super::{Nav, PageError, PageUser};
use crate::AppState;
use crate::i18n::T;

/// The routes of these pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/report-links", get(links).post(create_link))
        .route("/report-links/{id}/revoke", post(revoke_link))
        .route("/report-links/{id}/poster", get(poster))
        .route("/report-links/{id}/qr.svg", get(qr_svg))
        .route("/report-links/{id}/qr.png", get(qr_png))
        .route("/reports", get(queue))
        .route("/reports/bulk-accept", post(bulk_accept))
        // A POST with the session's CSRF token: an export marks what it sent up, so a link
        // from another site must not be able to run one.
        .route("/reports/export", post(export))
        .route("/reports/{id}", get(report))
        .route("/reports/{id}/accept", post(accept))
        .route("/reports/{id}/episodes", post(start_episodes))
        .route("/reports/{id}/reject", post(reject))
        .route("/reports/{id}/merge", post(merge))
        .route("/static/poster.css", get(poster_css))
}

async fn poster_css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/poster.css"),
    )
}

/// A link as a row.
pub struct LinkRow {
    id: Id,
    purpose: String,
    area: String,
    url: String,
    expires: String,
    revoked: bool,
}

fn link_row(l: &ReportLink, t: T, base: &str) -> LinkRow {
    LinkRow {
        id: l.id,
        purpose: l.purpose.label(t.0).to_string(),
        area: l.area_path.to_string(),
        url: format!("{base}/r/{}", l.token),
        expires: l.expires_at.map(china_minute).unwrap_or_default(),
        revoked: l.revoked_at.is_some(),
    }
}

/// The links page.
#[derive(Template, WebTemplate)]
#[template(path = "report_links.html")]
pub struct LinksPage {
    t: T,
    nav: Nav,
    csrf: String,
    links: Vec<LinkRow>,
    purposes: Vec<(String, String)>,
    area: String,
    can_write: bool,
}

async fn links(State(s): State<AppState>, u: PageUser) -> Result<Response, PageError> {
    let desk = ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let list = desk.links(None).await.map_err(|e| u.fail(e))?;
    let base = s.public_url.as_str();
    Ok(LinksPage {
        t: u.t,
        csrf: u.csrf.clone(),
        links: list.iter().map(|l| link_row(l, u.t, base)).collect(),
        purposes: Purpose::ALL
            .iter()
            .map(|p| (p.code().to_string(), p.label(u.t.0).to_string()))
            .collect(),
        area: u.user.area_path.to_string(),
        can_write: u.who.may(Action::Write),
        nav: u.nav,
    }
    .into_response())
}

/// The create-link form.
#[derive(Debug, Deserialize)]
pub struct CreateLinkForm {
    csrf: String,
    area: String,
    purpose: String,
    #[serde(default)]
    expires_in_hours: String,
    #[serde(default)]
    risk_places: String,
}

async fn create_link(
    State(s): State<AppState>,
    u: PageUser,
    Form(f): Form<CreateLinkForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let places = f
        .risk_places
        .split(['、', ',', '，', ';', '；'])
        .map(str::to_string)
        .collect();
    let desk = ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let input = LinkInput {
        area: f.area,
        purpose: f.purpose,
        expires_in_hours: f.expires_in_hours,
        risk_places: places,
    };
    let link = desk.create_link_from(&input).await.map_err(|e| u.fail(e))?;
    Ok(Redirect::to(&format!("/report-links/{}/poster", link.id)).into_response())
}

async fn revoke_link(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<Id>,
    Form(f): Form<super::CsrfForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .revoke_link(id)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(Redirect::to("/report-links").into_response())
}

/// The printable A4 poster.
#[derive(Template, WebTemplate)]
#[template(path = "report_poster.html")]
pub struct PosterPage {
    t: T,
    nav: Nav,
    id: Id,
    title: String,
    area: String,
    url: String,
    closed: bool,
}

async fn poster(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<Id>,
) -> Result<Response, PageError> {
    let link = ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .link(id)
        .await
        .map_err(|e| u.fail(e))?;
    let now = u.ctx.now();
    Ok(PosterPage {
        t: u.t,
        id,
        title: link.purpose.label(u.t.0).to_string(),
        area: link.area_path.names().skip(2).collect::<Vec<_>>().join(" "),
        url: s.public_url.report_link(&link.token),
        closed: link.revoked_at.is_some() || link.expires_at.is_some_and(|e| e <= now),
        nav: u.nav,
    }
    .into_response())
}

async fn link_qr(s: &AppState, u: &PageUser, id: Id) -> Result<QrCode, PageError> {
    let link = ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .link(id)
        .await
        .map_err(|e| u.fail(e))?;
    let url = s.public_url.report_link(&link.token);
    qr_code(&url).map_err(|e| {
        PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            u.t,
            &e.to_string(),
            &u.ctx,
        )
    })
}

/// The QR code of a URL for print: level H survives a quarter of the code torn, wet or
/// scribbled on, as posters get.
pub(crate) fn qr_code(url: &str) -> Result<QrCode, qrcode::types::QrError> {
    QrCode::with_error_correction_level(url.as_bytes(), EcLevel::H)
}

/// A URL's QR code as inline SVG, at least `px` wide.
pub(crate) fn qr_svg_inline(url: &str, px: u32) -> Result<String, qrcode::types::QrError> {
    Ok(qr_code(url)?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(px, px)
        .quiet_zone(true)
        .build())
}

async fn qr_svg(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<Id>,
) -> Result<Response, PageError> {
    let code = link_qr(&s, &u, id).await?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(400, 400)
        .quiet_zone(true)
        .build();
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

async fn qr_png(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<Id>,
) -> Result<Response, PageError> {
    let code = link_qr(&s, &u, id).await?;
    let png = qr_png_bytes(&code).map_err(|e| {
        PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            u.t,
            &e.to_string(),
            &u.ctx,
        )
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"report-{id}.png\""),
            ),
        ],
        png,
    )
        .into_response())
}

/// A QR code as a black-and-white PNG, 12 pixels a module with a 4-module quiet zone.
fn qr_png_bytes(code: &QrCode) -> Result<Vec<u8>, png::EncodingError> {
    const SCALE: usize = 12;
    const QUIET: usize = 4;
    let w = code.width();
    let colors = code.to_colors();
    let side = (w + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for y in 0..w {
        for x in 0..w {
            if colors[y * w + x] == qrcode::Color::Dark {
                for dy in 0..SCALE {
                    let row = ((y + QUIET) * SCALE + dy) * side;
                    let start = row + (x + QUIET) * SCALE;
                    pixels[start..start + SCALE].fill(0);
                }
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side as u32, side as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header()?;
        w.write_image_data(&pixels)?;
    }
    Ok(out)
}

/// A report as a row of the queue.
pub struct QueueRow {
    id: Id,
    address: String,
    purpose: String,
    members: usize,
    submitted: String,
    status: String,
    room_new: bool,
    /// The worker who filled it in on the household's behalf (代报).
    filed_by: Option<String>,
}

fn status_label(s: ReportStatus, t: T) -> &'static str {
    match s {
        ReportStatus::Pending => t.s("rf_status_pending"),
        ReportStatus::Accepted => t.s("rf_status_accepted"),
        ReportStatus::Rejected => t.s("rp_rejected"),
    }
}

fn queue_row(r: &Report, t: T) -> QueueRow {
    QueueRow {
        id: r.id,
        address: r.address.clone(),
        purpose: r.purpose.label(t.0).to_string(),
        members: r.members.as_array().map_or(0, Vec::len),
        submitted: china_minute(r.submitted_at),
        status: status_label(r.status, t).to_string(),
        room_new: r.room_new,
        filed_by: r.filed_by.clone(),
    }
}

/// The review queue.
#[derive(Template, WebTemplate)]
#[template(path = "report_queue.html")]
pub struct QueuePage {
    t: T,
    nav: Nav,
    csrf: String,
    status: String,
    rows: Vec<QueueRow>,
    total: i64,
    area: String,
    can_write: bool,
    can_export: bool,
    notice: Option<String>,
    /// The area asked (a path; blank: the user's own).
    asked: String,
    /// The day filter (the daily report's new self-reports link with one).
    day: super::DayField,
}

/// Which reports.
#[derive(Debug, Deserialize, Default)]
pub struct QueueQuery {
    status: Option<String>,
    /// Under this area (a path; the user's own when left out).
    #[serde(default)]
    area: String,
    /// A China day, `YYYY-MM-DD`: those submitted that day.
    #[serde(default)]
    day: String,
    accepted: Option<u64>,
    skipped: Option<u64>,
}

async fn queue(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<QueueQuery>,
) -> Result<Response, PageError> {
    let status = q.status.clone().unwrap_or_else(|| "pending".into());
    let desk = ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let asked = match q.area.trim() {
        "" => None,
        a => Some(AreaPath::parse(a).map_err(|_| u.fail(AppError::NotFound))?),
    };
    let day = super::DayField::of(
        &q.day,
        "",
        &["submitted"],
        format!(
            "/reports?status={}&area={}",
            super::urlencode(&status),
            super::urlencode(q.area.trim())
        ),
        u.t,
    );
    let page = desk
        .list(
            ReportStatus::parse(&status),
            asked,
            &day.filter(),
            PageRequest {
                offset: 0,
                limit: 200,
            },
        )
        .await
        .map_err(|e| u.fail(e))?;
    let notice = q.accepted.map(|a| {
        format!(
            "{}: {} {a} · {} {}",
            u.t.s("rp_bulk_done"),
            u.t.s("rp_accept"),
            u.t.s("rp_conflict"),
            q.skipped.unwrap_or(0)
        )
    });
    Ok(QueuePage {
        t: u.t,
        csrf: u.csrf.clone(),
        rows: page.items.iter().map(|r| queue_row(r, u.t)).collect(),
        total: page.total,
        status,
        area: u.user.area_path.to_string(),
        can_write: u.who.may(Action::Write),
        can_export: u.who.may(Action::Export),
        notice,
        nav: u.nav,
        asked: q.area.trim().to_string(),
        day,
    }
    .into_response())
}

async fn bulk_accept(
    State(s): State<AppState>,
    u: PageUser,
    Form(f): Form<super::CsrfForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let done = ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .bulk_accept(None)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(Redirect::to(&format!(
        "/reports?accepted={}&skipped={}",
        done.accepted, done.skipped
    ))
    .into_response())
}

/// A report's answers as (question, answer) in the form's order, each question as the form
/// asked it; a key Doorstep does not know (none is written) is shown as stored, last.
fn answer_rows(r: &Report, t: T) -> Vec<(String, String)> {
    let Some(answers) = r.answers.as_object() else {
        return Vec::new();
    };
    let shown = |v: &serde_json::Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    let mut rows: Vec<(String, String)> = Question::ALL
        .into_iter()
        .filter_map(|q| {
            let v = answers.get(q.code())?;
            Some((q.label(r.purpose, t.0).to_string(), shown(v)))
        })
        .collect();
    rows.extend(
        answers
            .iter()
            .filter(|(k, _)| Question::from_stored(k).is_none())
            .map(|(k, v)| (k.clone(), shown(v))),
    );
    rows
}

/// One member, side by side.
pub struct MemberRow {
    name: String,
    id_number: String,
    phone: String,
    relation: String,
    file: String,
    differences: Vec<(String, String, String)>,
    conflict: bool,
    /// Its index in the report (the merge form's `member`).
    index: usize,
    /// "merged into #id" once merged, else empty.
    merged: String,
    /// The search for the file to merge into (by the reported name).
    search: String,
}

/// One report.
#[derive(Template, WebTemplate)]
#[template(path = "report_detail.html")]
pub struct ReportPage {
    t: T,
    nav: Nav,
    csrf: String,
    id: Id,
    row: QueueRow,
    answers: Vec<(String, String)>,
    members: Vec<MemberRow>,
    pending: bool,
    conflict: bool,
    can_write: bool,
    reviewed: String,
    /// An accepted home-quarantine report's offer to start the household's episodes.
    offer: Option<doorstep_app::quarantine::from_report::ReportOffer>,
}

fn report_page(rv: &ReportReview, u: &PageUser) -> ReportPage {
    let t = u.t;
    let members = rv
        .members
        .iter()
        .enumerate()
        .map(|(index, m)| MemberRow {
            index,
            merged: m
                .merged_into
                .map(|pid| format!("{} #{pid}", t.0.pick("已合并到", "merged into")))
                .unwrap_or_default(),
            search: format!("/search?q={}", crate::pages::urlencode(m.reported.name())),
            name: m.reported.name().to_string(),
            id_number: m.reported.doc().masked(),
            phone: m.reported.phone().map(|p| p.masked()).unwrap_or_default(),
            relation: m.reported.relation().unwrap_or_default().to_string(),
            file: if m.elsewhere {
                t.s("rp_elsewhere").to_string()
            } else {
                match &m.file {
                    Some(v) => format!("#{} {}", v.person.id, v.person.address),
                    None => t.s("rp_new_person").to_string(),
                }
            },
            differences: m
                .differences
                .iter()
                .map(|(k, a, b)| (t.s(k).to_string(), a.clone(), b.clone()))
                .collect(),
            conflict: m.conflicting(),
        })
        .collect();
    let answers = answer_rows(&rv.report, t);
    let r = &rv.report;
    ReportPage {
        t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        id: r.id,
        row: queue_row(r, t),
        answers,
        members,
        pending: r.status == ReportStatus::Pending,
        conflict: rv.conflicting(),
        can_write: u.who.may(Action::Write),
        reviewed: match (&r.reviewed_by, r.reviewed_at) {
            (Some(by), Some(at)) => format!(
                "{by} {}{}",
                china_minute(at),
                r.reject_reason
                    .as_ref()
                    .map(|x| format!(" · {x}"))
                    .unwrap_or_default()
            ),
            _ => String::new(),
        },
        offer: None,
    }
}

async fn report(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<Id>,
) -> Result<Response, PageError> {
    let rv = ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .review(id)
        .await
        .map_err(|e| u.fail(e))?;
    let offer = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .offer_for_report(&rv.report)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(ReportPage {
        offer,
        ..report_page(&rv, &u)
    }
    .into_response())
}

/// The offer's form: start the household's episodes.
#[derive(Debug, Deserialize)]
pub struct StartForm {
    csrf: String,
    #[serde(default)]
    measure: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    reason: String,
}

/// Starts the episodes an accepted home-quarantine report offers, then shows the household's
/// check-ins (where its door slip is printed).
async fn start_episodes(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<Id>,
    Form(f): Form<StartForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let report = ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .report(id)
        .await
        .map_err(|e| u.fail(e))?;
    let started = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .start_from_report(&report, &f.measure, &f.start, &f.reason)
        .await
        .map_err(|e| u.fail(e))?;
    let to = match started.first() {
        Some(e) if e.measure.at_home() => format!("/households/{}/checkins", e.household_id),
        _ => format!("/reports/{id}"),
    };
    Ok(Redirect::to(&to).into_response())
}

async fn accept(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<Id>,
    Form(f): Form<super::CsrfForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .accept(id)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(Redirect::to(&format!("/reports/{id}")).into_response())
}

/// A merge of one member into an existing file.
#[derive(Debug, Deserialize)]
pub struct MergeForm {
    csrf: String,
    member: usize,
    #[serde(default)]
    person_id: String,
}

async fn merge(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<Id>,
    Form(f): Form<MergeForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let person_id: Id = f
        .person_id
        .trim()
        .trim_start_matches('#')
        .parse()
        .map_err(|_| {
            PageError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                u.t,
                u.t.0.pick(
                    "请填写要合并到的人员编号（可先查找人员）",
                    "give the id of the person to merge into (find them first)",
                ),
                &u.ctx,
            )
        })?;
    ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .merge(id, f.member, person_id)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(Redirect::to(&format!("/reports/{id}")).into_response())
}

/// A rejection.
#[derive(Debug, Deserialize)]
pub struct RejectForm {
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn reject(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<Id>,
    Form(f): Form<RejectForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    if f.reason.trim().is_empty() {
        return Err(PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            u.t,
            u.t.0
                .pick("请填写不采用的原因", "give a reason for rejecting"),
            &u.ctx,
        ));
    }
    ReportDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .reject(id, &f.reason)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(Redirect::to(&format!("/reports/{id}")).into_response())
}

/// What to export.
#[derive(Debug, Deserialize)]
pub struct ExportForm {
    area: String,
    format: Option<String>,
    since_last: Option<String>,
    #[serde(default)]
    csrf: String,
}

async fn export(
    State(s): State<AppState>,
    u: PageUser,
    Form(q): Form<ExportForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&q.csrf)?;
    let area = AreaPath::parse(&q.area)
        .map_err(|p| PageError::new(StatusCode::BAD_REQUEST, u.t, &p.message(u.t.0), &u.ctx))?;
    let since_last = q
        .since_last
        .as_deref()
        .is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    let (bytes, name, mime) =
        crate::api::reports_export_file(&s, &u.who, &u.ctx, &area, q.format.as_deref(), since_last)
            .await
            .map_err(|e| u.fail(e))?;
    Ok(crate::api::reports_download(bytes, &name, mime))
}
