//! The sampler's page (采样): a tube, then persons one after another, at scanner speed on a
//! phone. Without JavaScript it is a plain form that records one scan per post. With
//! `static/sampler.js` every scan is queued on the phone first and sent to this page's own
//! JSON endpoints (the cookie session with the CSRF token in a header: the API wants bearer
//! tokens a page never holds), which answer exactly as `POST /api/v1/rounds/{id}/scans` and
//! `…/scans/batch` do, through the same code (`api::rounds::scan_one`, `api::rounds::batch`),
//! so a resend of a queued scan answers the first time's result and never doubles.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use doorstep_app::error::AppError;
use doorstep_app::rounds::{PersonRef, ScanInput};
use serde::Deserialize;

use super::rounds::{RoundLine, desk};
use super::{Nav, PageError, PageUser, constant_eq};
use crate::AppState;
use crate::api::auth::ApiUser;
use crate::api::rounds::{
    BatchRequest, BatchResponse, ScanRequest, ScanResponse, TubeResponse, batch, scan_one,
};
use crate::error::ApiError;
use crate::i18n::T;

/// The header a sampler page's script sends its session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The sampler's routes: the page, its no-script form posts, and its JSON endpoints.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/rounds/{id}/sample", get(page).post(scan_form))
        .route("/rounds/{id}/sample/close", post(close_form))
        .route("/rounds/{id}/sample/scans", post(scan_json))
        .route("/rounds/{id}/sample/scans/batch", post(batch_json))
        .route("/rounds/{id}/sample/tubes/{code}/close", post(close_json))
}

/// The last recorded scan, as the sampler sees it.
pub struct LastScan {
    name: String,
    id_number: String,
    address: String,
}

/// The sampler's page.
#[derive(Template, WebTemplate)]
#[template(path = "round_sample.html")]
pub struct SamplePage {
    t: T,
    nav: Nav,
    csrf: String,
    round: RoundLine,
    /// Whose queue this phone keeps (a shared phone keeps each sampler's apart).
    user: String,
    /// A fresh id for the no-script form's scan (a double post records once).
    client_id: String,
    /// The current tube (blank: scan one).
    tube: String,
    count: u32,
    pool: u32,
    /// What went wrong with the last post.
    error: Option<String>,
    /// What went right (a tube filled or closed).
    notice: Option<String>,
    last: Option<LastScan>,
    /// The round's open tubes here: (code, count, capacity).
    open_tubes: Vec<(String, u32, u32)>,
    /// The round's sampling points near the sampler: (id, name), and the one chosen.
    points: Vec<(i64, String)>,
    point: Option<i64>,
}

/// The tube to go on with.
#[derive(Debug, Default, Deserialize)]
struct TubeQuery {
    #[serde(default)]
    tube: String,
    /// The sampling point chosen.
    #[serde(default)]
    point: String,
}

async fn page(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<TubeQuery>,
) -> Result<Response, PageError> {
    let point = q.point.trim().parse().ok();
    Ok(
        sample_page(&s, &u, id, q.tube.trim(), point, None, None, None)
            .await?
            .into_response(),
    )
}

#[allow(clippy::too_many_arguments)]
async fn sample_page(
    s: &AppState,
    u: &PageUser,
    id: i64,
    tube: &str,
    point: Option<i64>,
    error: Option<String>,
    notice: Option<String>,
    last: Option<LastScan>,
) -> Result<SamplePage, PageError> {
    let d = desk(s, u);
    let r = d.round(id).await.map_err(|e| u.fail(e))?;
    if !u.who.may(doorstep_app::access::Action::Sample) {
        return Err(u.fail(AppError::Forbidden));
    }
    let mut tube = tube.to_string();
    let (mut count, mut pool) = (0, r.pool_size.get());
    if !tube.is_empty() {
        match d.tube(id, &tube).await {
            Ok((t, _)) if t.closed => tube.clear(),
            Ok((t, _)) => {
                tube = t.code.to_string();
                (count, pool) = (t.count, t.capacity);
            }
            Err(AppError::NotFound) => {}
            Err(e) => return Err(u.fail(e)),
        }
    }
    let open_tubes = d
        .open_tubes(id)
        .await
        .map_err(|e| u.fail(e))?
        .iter()
        .map(|t| (t.code.to_string(), t.count, t.capacity))
        .collect();
    let (points, point) = super::points::sampler_points(s, u, id, point).await?;
    Ok(SamplePage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        round: RoundLine::of(&r, u.t),
        user: u.user.username.clone(),
        client_id: doorstep_app::auth::random_hex(8).map_err(|e| u.fail(e))?,
        tube,
        count,
        pool,
        error,
        notice,
        last,
        open_tubes,
        points,
        point,
    })
}

/// One scan as the no-script form posts it.
#[derive(Debug, Default, Deserialize)]
struct ScanForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    tube: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    retest: Option<String>,
    /// The sampling point chosen (its id; blank: the sampler's own, if one).
    #[serde(default)]
    point: String,
}

async fn scan_form(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<ScanForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let tube = f.tube.trim();
    let person = f.person.trim();
    if tube.is_empty() || person.is_empty() {
        // A tube alone (Enter after the tube): go on to the person.
        let error = tube.is_empty().then(|| u.t.s("rd_need_tube").to_string());
        let point = f.point.trim().parse().ok();
        return Ok(sample_page(&s, &u, id, tube, point, error, None, None)
            .await?
            .into_response());
    }
    let input = ScanInput {
        client_id: f.client_id.clone(),
        tube: tube.to_string(),
        person: PersonRef::from_scan(person),
        retest: f.retest.is_some(),
        point: f.point.trim().parse().ok(),
    };
    let (status, error, notice, last, next) = match desk(&s, &u).scan(id, &input).await {
        Ok(done) => {
            let full = done.scan.closed;
            let mut notes: Vec<&str> = Vec::new();
            if !done.warnings.is_empty() {
                notes.push(u.t.s("mt_tube_outside"));
            }
            if full {
                notes.push(u.t.s("rd_tube_full_next"));
            }
            let notice = (!notes.is_empty()).then(|| notes.join(" · "));
            let last = LastScan {
                name: done.name,
                id_number: done.id_number,
                address: done.address,
            };
            let next = if full {
                String::new()
            } else {
                tube.to_string()
            };
            (StatusCode::OK, None, notice, Some(last), next)
        }
        Err(AppError::NotFound) => (
            StatusCode::NOT_FOUND,
            Some(u.t.s("rd_not_in_round").to_string()),
            None,
            None,
            tube.to_string(),
        ),
        Err(AppError::Conflict(c)) => (
            StatusCode::CONFLICT,
            Some(c.message(u.t.0).to_string()),
            None,
            None,
            tube.to_string(),
        ),
        Err(AppError::Validation(p)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(u.problems_text(&p)),
            None,
            None,
            tube.to_string(),
        ),
        Err(e) => return Err(u.fail(e)),
    };
    let point = f.point.trim().parse().ok();
    let page = sample_page(&s, &u, id, &next, point, error, notice, last).await?;
    Ok((status, page).into_response())
}

/// A tube to close by hand, as the no-script form posts it.
#[derive(Debug, Default, Deserialize)]
struct CloseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    tube: String,
}

async fn close_form(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<CloseForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    if f.tube.trim().is_empty() {
        let error = Some(u.t.s("rd_need_tube").to_string());
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            sample_page(&s, &u, id, "", None, error, None, None).await?,
        )
            .into_response());
    }
    let tube = desk(&s, &u)
        .close_tube(id, f.tube.trim())
        .await
        .map_err(|e| u.fail(e))?;
    let mut notice = format!(
        "{} {} · {}/{}",
        u.t.s("rd_closed_tube"),
        tube.code,
        tube.count,
        tube.capacity
    );
    if tube.count < tube.capacity {
        notice = format!("{notice} · {}", u.t.s("rd_short"));
    }
    Ok(sample_page(&s, &u, id, "", None, None, Some(notice), None)
        .await?
        .into_response())
}

/// The page session as the API's use-case caller.
fn api_user(u: &PageUser) -> ApiUser {
    ApiUser {
        who: u.who.clone(),
        user: u.user.clone(),
        ctx: u.ctx.clone(),
        lang: u.t.0,
        token: u.token.clone(),
    }
}

/// Refuses a script's request whose CSRF header is not this session's (403 `csrf`).
fn check_header(u: &PageUser, headers: &HeaderMap) -> Result<ApiUser, ApiError> {
    let given = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if given.is_empty() || !constant_eq(given.as_bytes(), u.csrf.as_bytes()) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            u.t.0.pick(
                "页面已过期，请刷新后重试",
                "the page expired; reload it and try again",
            ),
        ));
    }
    Ok(api_user(u))
}

/// One scan from the page's script: as `POST /api/v1/rounds/{id}/scans`.
async fn scan_json(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Json(req): Json<ScanRequest>,
) -> Result<(StatusCode, Json<ScanResponse>), ApiError> {
    let a = check_header(&u, &headers)?;
    let (status, body) = scan_one(&s, &a, id, &req).await?;
    Ok((status, Json(body)))
}

/// The page's offline queue: as `POST /api/v1/rounds/{id}/scans/batch`.
async fn batch_json(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Json(req): Json<BatchRequest>,
) -> Result<Json<BatchResponse>, ApiError> {
    let a = check_header(&u, &headers)?;
    Ok(Json(batch(&s, &a, id, &req).await?))
}

/// A tube closed by hand from the page's script: as `POST …/tubes/{code}/close`.
async fn close_json(
    State(s): State<AppState>,
    u: PageUser,
    Path((id, code)): Path<(i64, String)>,
    headers: HeaderMap,
) -> Result<Json<TubeResponse>, ApiError> {
    let a = check_header(&u, &headers)?;
    let t = desk(&s, &u)
        .close_tube(id, &code)
        .await
        .map_err(|e| ApiError::from_app(e, a.lang))?;
    Ok(Json(TubeResponse::from(&t)))
}
