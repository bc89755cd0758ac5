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

/// A household sampled at its door: its file id, address and members (file id, name, ID
/// number masked).
type AtDoor = (i64, String, Vec<(i64, String, String)>);

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
    /// A household sampled at its door (a home-sampling task's).
    household: Option<AtDoor>,
}

/// Where the sampler is: the tube to go on with, the sampling point chosen, the household
/// sampled at its door; as the page's address or its forms give them.
#[derive(Debug, Default, Deserialize)]
struct At {
    #[serde(default)]
    tube: String,
    #[serde(default)]
    point: String,
    #[serde(default)]
    household: String,
}

impl At {
    fn point(&self) -> Option<i64> {
        self.point.trim().parse().ok()
    }

    fn household(&self) -> Option<i64> {
        self.household.trim().parse().ok()
    }

    /// The same place with another tube (blank: scan one).
    fn with_tube(&self, tube: &str) -> At {
        At {
            tube: tube.to_string(),
            point: self.point.clone(),
            household: self.household.clone(),
        }
    }
}

async fn page(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Query(at): Query<At>,
) -> Result<Response, PageError> {
    Ok(sample_page(&s, &u, id, &at, None, None, None)
        .await?
        .into_response())
}

async fn sample_page(
    s: &AppState,
    u: &PageUser,
    id: i64,
    at: &At,
    error: Option<String>,
    notice: Option<String>,
    last: Option<LastScan>,
) -> Result<SamplePage, PageError> {
    let d = desk(s, u);
    let r = d.round(id).await.map_err(|e| u.fail(e))?;
    if !u.who.may(doorstep_app::access::Action::Sample) {
        return Err(u.fail(AppError::Forbidden));
    }
    let mut tube = at.tube.trim().to_string();
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
    let (points, point) = super::points::sampler_points(s, u, id, at.point()).await?;
    let household = match at.household() {
        Some(h) => {
            let (h, members) = d.household_to_sample(id, h).await.map_err(|e| u.fail(e))?;
            Some((h.id, h.address, members))
        }
        None => None,
    };
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
        household,
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
    person: String,
    /// A household member picked from the list (their file id), instead of `person`.
    #[serde(default)]
    person_id: String,
    #[serde(default)]
    retest: Option<String>,
    /// The tube, sampling point and household.
    #[serde(flatten)]
    at: At,
}

async fn scan_form(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<ScanForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let tube = f.at.tube.trim();
    let person = match f.person_id.trim().parse() {
        Ok(id) => Some(PersonRef::PersonId(id)),
        Err(_) => Some(f.person.trim())
            .filter(|p| !p.is_empty())
            .map(PersonRef::from_scan),
    };
    let (Some(person), false) = (person, tube.is_empty()) else {
        // A tube alone (Enter after the tube): go on to the person.
        let error = tube.is_empty().then(|| u.t.s("rd_need_tube").to_string());
        return Ok(sample_page(&s, &u, id, &f.at, error, None, None)
            .await?
            .into_response());
    };
    let input = ScanInput {
        client_id: f.client_id.clone(),
        tube: tube.to_string(),
        person,
        retest: f.retest.is_some(),
        point: f.at.point(),
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
    let page = sample_page(&s, &u, id, &f.at.with_tube(&next), error, notice, last).await?;
    Ok((status, page).into_response())
}

/// A tube to close by hand, as the no-script form posts it.
#[derive(Debug, Default, Deserialize)]
struct CloseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    tube: String,
    /// The household sampled at its door, to stay with.
    #[serde(default)]
    household: String,
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
            sample_page(&s, &u, id, &At::default(), error, None, None).await?,
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
    let at = At {
        household: f.household.clone(),
        ..At::default()
    };
    Ok(sample_page(&s, &u, id, &at, None, Some(notice), None)
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
