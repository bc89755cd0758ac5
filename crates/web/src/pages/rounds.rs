//! Mass-testing round pages (全员核酸): the rounds near the user with a form to create one, a
//! round with its status buttons and coverage down the area tree, and the door-knock list
//! with its "make door-knock tasks" button. The sampler's page is in `sampler`. Every page
//! goes through `doorstep_app::rounds::RoundDesk`, the one access check.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use doorstep_app::access::Action;
use doorstep_app::clock::china_minute;
use doorstep_app::error::AppError;
use doorstep_app::rounds::{Coverage, LAB_DEADLINE_MINUTES, RoundDesk, RoundForm};
use doorstep_core::text::natural_cmp;
use doorstep_core::{AreaKind, AreaPath, PoolSize, RoundStatus};
use doorstep_store::Round;
use serde::Deserialize;

use super::{Nav, PageError, PageUser, urlencode};
use crate::AppState;
use crate::i18n::T;

/// The routes of the round pages (and the sampler's).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/rounds", get(list).post(create))
        .route("/rounds/{id}", get(round))
        .route("/rounds/{id}/status", post(set_status))
        .route("/rounds/{id}/report", get(report_file))
        .merge(super::knock::routes())
        .merge(super::sampler::routes())
}

pub(crate) fn desk<'a>(s: &'a AppState, u: &'a PageUser) -> RoundDesk<'a> {
    RoundDesk::new(s.store.as_ref(), &u.who, &u.ctx)
}

/// A round as a line of the list and the head of its pages.
pub struct RoundLine {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) area: String,
    pub(crate) pool: u32,
    pub(crate) lab_deadline: i64,
    pub(crate) status: String,
    pub(crate) open: bool,
    pub(crate) starts: String,
    pub(crate) ends: String,
}

impl RoundLine {
    pub(crate) fn of(r: &Round, t: T) -> RoundLine {
        RoundLine {
            id: r.id,
            name: r.name.clone(),
            area: r.area_path.to_string(),
            pool: r.pool_size.get(),
            lab_deadline: r.lab_deadline_minutes,
            status: r.status.label(t.0).to_string(),
            open: r.status == RoundStatus::Open,
            starts: r.starts_at.map(china_minute).unwrap_or_default(),
            ends: r.ends_at.map(china_minute).unwrap_or_default(),
        }
    }
}

/// The create form's values as typed, with the problems of each field.
#[derive(Debug, Default)]
pub struct CreateView {
    area: String,
    name: String,
    pool_size: String,
    lab_deadline: String,
    starts: String,
    ends: String,
    err_area: Option<String>,
    err_name: Option<String>,
    err_pool: Option<String>,
    err_deadline: Option<String>,
    err_starts: Option<String>,
    err_ends: Option<String>,
    err_areas: Option<String>,
    /// The compounds to choose from: (path, name, ticked).
    compounds: Vec<(String, String, bool)>,
}

/// The rounds and the create form.
#[derive(Template, WebTemplate)]
#[template(path = "round_list.html")]
pub struct ListPage {
    t: T,
    nav: Nav,
    csrf: String,
    rounds: Vec<RoundLine>,
    can_create: bool,
    form: CreateView,
    /// The error summary: (field id, message).
    summary: Vec<(String, String)>,
    pools: Vec<u32>,
}

async fn list(State(s): State<AppState>, u: PageUser) -> Result<Response, PageError> {
    let mut form = CreateView {
        area: u.who.area().map(ToString::to_string).unwrap_or_default(),
        pool_size: "10".into(),
        lab_deadline: LAB_DEADLINE_MINUTES.to_string(),
        ..CreateView::default()
    };
    form.compounds = compounds(&s, &u, &[]).await?;
    Ok(list_page(&s, &u, form, Vec::new()).await?.into_response())
}

async fn list_page(
    s: &AppState,
    u: &PageUser,
    form: CreateView,
    summary: Vec<(String, String)>,
) -> Result<ListPage, PageError> {
    let rounds = desk(s, u).list().await.map_err(|e| u.fail(e))?;
    Ok(ListPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        rounds: rounds.iter().map(|r| RoundLine::of(r, u.t)).collect(),
        can_create: u.who.may(Action::ManageRounds),
        form,
        summary,
        pools: PoolSize::ALLOWED.to_vec(),
    })
}

/// The compounds under the user's area, ticked when in `picked`.
async fn compounds(
    s: &AppState,
    u: &PageUser,
    picked: &[String],
) -> Result<Vec<(String, String, bool)>, PageError> {
    let Some(own) = u.who.area() else {
        return Ok(Vec::new());
    };
    let mut found = s
        .store
        .areas_of_kind(own, AreaKind::Compound)
        .await
        .map_err(|e| u.fail(e.into()))?;
    found.sort_by(|a, b| natural_cmp(a.path.as_str(), b.path.as_str()));
    Ok(found
        .into_iter()
        .map(|a| {
            let path = a.path.to_string();
            let ticked = picked.contains(&path);
            (path, a.name, ticked)
        })
        .collect())
}

async fn create(
    State(s): State<AppState>,
    u: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    u.check_csrf(&get("csrf"))?;
    let areas: Vec<String> = pairs
        .iter()
        .filter(|(n, _)| n == "areas")
        .map(|(_, v)| v.clone())
        .collect();
    let form = RoundForm {
        area: get("area"),
        name: get("name"),
        pool_size: get("pool_size").trim().parse().unwrap_or(0),
        starts: get("starts"),
        ends: get("ends"),
        areas: areas.clone(),
        groups: Vec::new(),
        // Blank: the default; anything not a number is out of range (0) and refused.
        lab_deadline_minutes: match get("lab_deadline_minutes").trim() {
            "" => None,
            m => Some(m.parse().unwrap_or(0)),
        },
    };
    match desk(&s, &u).create(&form).await {
        Ok(r) => Ok(Redirect::to(&format!("/rounds/{}", r.id)).into_response()),
        Err(AppError::Validation(problems)) => {
            let mut view = CreateView {
                area: form.area.clone(),
                name: form.name.clone(),
                pool_size: get("pool_size"),
                lab_deadline: get("lab_deadline_minutes"),
                starts: form.starts.clone(),
                ends: form.ends.clone(),
                compounds: compounds(&s, &u, &areas).await?,
                ..CreateView::default()
            };
            let mut summary = Vec::new();
            for p in &problems {
                let text = p.problem.message(u.t.0);
                let (slot, id, label) = match p.path.as_str() {
                    "area" => (&mut view.err_area, "r-area", "rd_area"),
                    "name" => (&mut view.err_name, "r-name", "rd_name"),
                    "pool_size" => (&mut view.err_pool, "r-pool", "rd_pool"),
                    "lab_deadline_minutes" => {
                        (&mut view.err_deadline, "r-deadline", "rd_lab_deadline")
                    }
                    "starts" => (&mut view.err_starts, "r-starts", "rd_starts"),
                    "ends" => (&mut view.err_ends, "r-ends", "rd_ends"),
                    _ => (&mut view.err_areas, "r-areas", "rd_areas"),
                };
                if slot.is_none() {
                    let line = format!("{}{}{text}", u.t.s(label), u.t.0.pick("：", ": "));
                    *slot = Some(text);
                    summary.push((id.to_string(), line));
                }
            }
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                list_page(&s, &u, view, summary).await?,
            )
                .into_response())
        }
        Err(e) => Err(u.fail(e)),
    }
}

/// Coverage of one area as a table row.
pub struct CoverageLine {
    name: String,
    path: String,
    expected: i64,
    sampled: i64,
    excluded: i64,
    missing: i64,
    /// Sampled or excused: the bar's length.
    done: i64,
}

impl CoverageLine {
    fn of(c: &Coverage) -> CoverageLine {
        CoverageLine {
            name: c
                .area
                .as_ref()
                .map(|a| a.name().to_string())
                .unwrap_or_default(),
            path: c.area.as_ref().map(ToString::to_string).unwrap_or_default(),
            expected: c.expected,
            sampled: c.sampled,
            excluded: c.excluded,
            missing: c.missing,
            done: (c.sampled + c.excluded).min(c.expected),
        }
    }
}

/// A round.
#[derive(Template, WebTemplate)]
#[template(path = "round.html")]
pub struct RoundPage {
    t: T,
    nav: Nav,
    csrf: String,
    round: RoundLine,
    can_open: bool,
    can_close: bool,
    can_sample: bool,
    /// Whether to link the transport group's boxes and slips.
    can_transport: bool,
    top: CoverageLine,
    children: Vec<CoverageLine>,
    /// The area asked for, encoded for links (blank: the default).
    area_q: String,
    /// The area above the one shown, when the user may look there: (name, link).
    up: Option<(String, String)>,
    /// Boxes not at the lab 4 hours after their first sample (the alert).
    late: usize,
    /// Median minutes from first sample to the lab, once boxes arrived.
    median_lab: Option<i64>,
    /// Persons of positive pools still to re-sample.
    flagged: usize,
    error: Option<String>,
}

/// Which area a page shows.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AreaQuery {
    #[serde(default)]
    pub(crate) area: String,
    /// After door-knock tasks were made: how many, how many without an owner.
    #[serde(default)]
    pub(crate) made: Option<usize>,
    #[serde(default)]
    pub(crate) unassigned: Option<usize>,
    /// After a person was excused.
    #[serde(default)]
    pub(crate) excused: bool,
    /// After a bedridden person was excused: their home-sampling task.
    #[serde(default)]
    pub(crate) home_task: Option<i64>,
}

pub(crate) fn area_of(raw: &str, u: &PageUser) -> Result<Option<AreaPath>, PageError> {
    match raw.trim() {
        "" => Ok(None),
        a => AreaPath::parse(a)
            .map(Some)
            .map_err(|_| u.fail(AppError::NotFound)),
    }
}

async fn round(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<AreaQuery>,
) -> Result<Response, PageError> {
    Ok(round_page(&s, &u, id, &q.area, None).await?.into_response())
}

async fn round_page(
    s: &AppState,
    u: &PageUser,
    id: i64,
    area: &str,
    error: Option<String>,
) -> Result<RoundPage, PageError> {
    let d = desk(s, u);
    let r = d.round(id).await.map_err(|e| u.fail(e))?;
    let c = d
        .coverage(id, area_of(area, u)?)
        .await
        .map_err(|e| u.fail(e))?;
    let manage = u.who.authorize(Action::ManageRounds, &r.area_path).is_ok();
    let report = d
        .report(id, area_of(area, u)?)
        .await
        .map_err(|e| u.fail(e))?;
    // Up one level while that is still inside the round and the user's area.
    let up = c
        .area
        .as_ref()
        .and_then(AreaPath::parent)
        .filter(|p| (r.area_path.contains(p) || p.contains(&r.area_path)) && u.who.covers(p))
        .filter(|_| c.area.as_ref() != Some(&r.area_path))
        .map(|p| {
            (
                p.name().to_string(),
                format!("/rounds/{id}?area={}", urlencode(p.as_str())),
            )
        });
    Ok(RoundPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        can_open: manage && r.status.may_become(RoundStatus::Open),
        can_close: manage && r.status.may_become(RoundStatus::Closed),
        can_sample: r.status == RoundStatus::Open && u.who.may(Action::Sample),
        can_transport: u.who.may(Action::Transport),
        round: RoundLine::of(&r, u.t),
        top: CoverageLine::of(&c),
        children: c.children.iter().map(CoverageLine::of).collect(),
        area_q: c
            .area
            .as_ref()
            .map(|a| urlencode(a.as_str()))
            .unwrap_or_default(),
        up,
        late: report.late.len(),
        median_lab: report.medians.2,
        flagged: report.flagged.0,
        error,
    })
}

/// The round's summary as a spreadsheet (coverage by area with its totals), audited.
async fn report_file(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<AreaQuery>,
) -> Result<Response, PageError> {
    let (desk, area) = (desk(&s, &u), area_of(&q.area, &u)?);
    let (_, bytes) = crate::api::reports::written("xlsx", |path| async move {
        desk.write_report(id, area, doorstep_app::export::SheetFormat::Xlsx, &path)
            .await
    })
    .await
    .map_err(|e| u.fail(e))?;
    Ok(super::roster::download(
        bytes,
        &format!("检测情况汇总-{id}.xlsx"),
        doorstep_app::export::SheetFormat::Xlsx,
    ))
}

/// A status move as posted: `open` or `closed`.
#[derive(Debug, Default, Deserialize)]
struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
}

async fn set_status(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<StatusForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let Some(to) = RoundStatus::from_stored(f.status.trim()).filter(|s| *s != RoundStatus::Planned)
    else {
        return Err(u.fail(AppError::NotFound));
    };
    match desk(&s, &u).set_status(id, to).await {
        Ok(_) => Ok(Redirect::to(&format!("/rounds/{id}")).into_response()),
        Err(AppError::Conflict(c)) => Ok((
            StatusCode::CONFLICT,
            round_page(&s, &u, id, "", Some(c.message(u.t.0).to_string())).await?,
        )
            .into_response()),
        Err(e) => Err(u.fail(e)),
    }
}
