//! Quarantine and monitoring episodes as pages (`/episodes`): the list per area with filters,
//! an episode's page (days, test days and results, history, the forms to extend or shorten
//! and transfer), the release confirmation with its checklist, the printable release notice
//! (解除隔离告知书), and the start form the person and household pages carry
//! ([`EpisodeSection`]). Everything goes through `doorstep_app::quarantine::QuarantineDesk`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use doorstep_app::access::Action;
use doorstep_app::clock::china_minute;
use doorstep_app::error::AppError;
use doorstep_app::quarantine::{
    ChangeForm, EpisodeForm, EpisodeView, ListFilter, QuarantineDesk, ReleaseForm, TransferForm,
};
use doorstep_core::episode::{ChangeKind, Destination, EpisodeStatus};
use doorstep_core::quarantine::{Measure, Policy};
use doorstep_core::{AreaKind, Lang};
use doorstep_store::{Episode, PageRequest};
use serde::Deserialize;

use super::{Nav, PageError, PageUser};
use crate::AppState;
use crate::i18n::T;

/// The routes of these pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/episodes", get(list))
        .route("/episodes/start", post(start))
        .route("/episodes/{id}", get(show))
        .route("/episodes/{id}/change", post(change))
        .route("/episodes/{id}/transfer", post(transfer))
        .route("/episodes/{id}/release", get(release_form).post(release))
        .route("/episodes/{id}/notice", get(notice))
        .route("/static/episodes.css", get(css))
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/episodes.css"),
    )
}

/// The reasons staff pick from when starting an episode (stored as written).
const REASONS: &[(&str, &str)] = &[
    ("密接", "close contact"),
    ("次密接", "contact of a close contact"),
    ("中高风险地区返回", "returned from a risk area"),
    ("涉疫场所暴露", "visited a risk place"),
    ("封控楼栋", "sealed building"),
    ("集中隔离期满返家", "home after central quarantine"),
    ("入境人员", "arrived from abroad"),
];

fn measure_name(m: Measure, l: Lang) -> &'static str {
    l.pick(m.name_zh(), m.name_en())
}

/// One episode in a list.
pub struct EpisodeLine {
    pub(crate) href: String,
    pub(crate) name: String,
    pub(crate) address: String,
    pub(crate) measure: String,
    pub(crate) status: String,
    pub(crate) active: bool,
    pub(crate) days: String,
    pub(crate) planned_end: String,
    pub(crate) reason: String,
}

impl EpisodeLine {
    fn new(e: &Episode, t: T) -> EpisodeLine {
        EpisodeLine {
            href: format!("/episodes/{}", e.id),
            name: e.name.clone(),
            address: e.address.clone(),
            measure: measure_name(e.measure, t.0).to_string(),
            status: e.status.label(t.0).to_string(),
            active: e.status.is_active(),
            days: format!("{} {} {}", e.starts_on, t.s("qt_to"), e.last_day),
            planned_end: china_minute(e.ends_at),
            reason: e.reason.clone(),
        }
    }
}

/// The episodes part of a person's or a household's page: their episodes and the start form.
pub struct EpisodeSection {
    pub(crate) items: Vec<EpisodeLine>,
    /// The person whose file starts the episode (a household's first member), when the user
    /// may start one.
    pub(crate) start_person: Option<i64>,
    /// The household form starts it for every member.
    pub(crate) for_household: bool,
    /// Where the form comes back to.
    pub(crate) back: String,
    pub(crate) measures: Vec<(&'static str, &'static str)>,
    pub(crate) reasons: Vec<(&'static str, &'static str)>,
    pub(crate) policies: Vec<(String, String)>,
    pub(crate) today: String,
}

impl EpisodeSection {
    /// The section for `episodes`; `start_person` when the user may start one there.
    pub fn new(
        u: &PageUser,
        episodes: &[Episode],
        start_person: Option<i64>,
        for_household: bool,
        back: String,
    ) -> EpisodeSection {
        let l = u.t.0;
        EpisodeSection {
            items: episodes.iter().map(|e| EpisodeLine::new(e, u.t)).collect(),
            start_person: start_person.filter(|_| u.who.may(Action::Quarantine)),
            for_household,
            back,
            measures: Measure::ALL
                .iter()
                .map(|m| (m.code(), measure_name(*m, l)))
                .collect(),
            reasons: REASONS
                .iter()
                .map(|(zh, en)| (*zh, l.pick(zh, en)))
                .collect(),
            policies: Policy::defaults()
                .into_iter()
                .map(|p| (p.key, p.name))
                .collect(),
            today: u.ctx.today().to_string(),
        }
    }
}

/// The start form as posted.
#[derive(Debug, Deserialize)]
pub struct StartForm {
    #[serde(default)]
    csrf: String,
    person_id: i64,
    #[serde(default)]
    household: Option<String>,
    #[serde(default)]
    measure: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    policy: String,
    #[serde(default)]
    back: String,
}

/// Starts episodes from a person's or household's page, then goes back there.
pub async fn start(
    State(s): State<AppState>,
    u: PageUser,
    axum::Form(f): axum::Form<StartForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let form = EpisodeForm {
        person_id: Some(f.person_id),
        id_number: String::new(),
        household: f.household.is_some(),
        measure: f.measure,
        reason: f.reason,
        start: f.start,
        policy: f.policy,
    };
    let done = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .start(&form)
        .await;
    match done {
        Ok(_) => {
            // Only back to a page of ours.
            let back = if f.back.starts_with("/households/") || f.back.starts_with("/persons/") {
                f.back
            } else {
                "/episodes".to_string()
            };
            Ok(Redirect::to(&back).into_response())
        }
        Err(e) => Err(refusal(&u, e)),
    }
}

/// An error page for a refused form: its field problems or conflict in the user's words.
fn refusal(u: &PageUser, e: AppError) -> PageError {
    match e {
        AppError::Validation(problems) => PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            u.t,
            &u.problems_text(&problems),
            &u.ctx,
        )
        .with_nav(&u.nav),
        e => u.fail(e),
    }
}

/// A list's query.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    area: String,
    #[serde(default)]
    measure: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    page: Option<u32>,
}

/// The list of episodes of an area.
#[derive(Template, WebTemplate)]
#[template(path = "episode_list.html")]
pub struct EpisodeListPage {
    t: T,
    nav: Nav,
    areas: Vec<(String, String)>,
    area: String,
    measures: Vec<(&'static str, &'static str)>,
    measure: String,
    statuses: Vec<(&'static str, &'static str)>,
    status: String,
    dues: Vec<(&'static str, &'static str)>,
    due: String,
    items: Vec<EpisodeLine>,
    total: i64,
    prev: Option<String>,
    next: Option<String>,
}

const PER_PAGE: u32 = 50;

/// Lists the episodes under an area (the user's own by default) with the filters.
pub async fn list(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let page_no = q.page.unwrap_or(1).max(1);
    let filter = ListFilter {
        measure: q.measure.clone(),
        status: q.status.clone(),
        due: q.due.clone(),
    };
    let page = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .list_filtered(
            Some(q.area.as_str()),
            &filter,
            PageRequest {
                offset: (page_no - 1) * PER_PAGE,
                limit: PER_PAGE,
            },
        )
        .await
        .map_err(|e| refusal(&u, e))?;
    // The area choices: the user's own and its grids, compounds and buildings.
    let mut areas = Vec::new();
    if let Some(own) = u.who.area() {
        areas.push((own.to_string(), own.to_string()));
        for kind in [AreaKind::Grid, AreaKind::Compound, AreaKind::Building] {
            for a in s
                .store
                .areas_of_kind(own, kind)
                .await
                .map_err(|e| u.fail(e.into()))?
            {
                let shown = a
                    .path
                    .as_str()
                    .strip_prefix(own.as_str())
                    .map_or(a.path.to_string(), |r| {
                        r.trim_start_matches('/').to_string()
                    });
                areas.push((a.path.to_string(), shown));
            }
        }
    }
    let l = u.t.0;
    let link = |n: u32| {
        format!(
            "/episodes?area={}&measure={}&status={}&due={}&page={n}",
            super::urlencode(&q.area),
            super::urlencode(&q.measure),
            super::urlencode(&q.status),
            super::urlencode(&q.due)
        )
    };
    let shown = i64::from(page_no * PER_PAGE);
    Ok(EpisodeListPage {
        areas,
        area: q.area.clone(),
        measures: Measure::ALL
            .iter()
            .map(|m| (m.code(), measure_name(*m, l)))
            .collect(),
        measure: q.measure.clone(),
        statuses: EpisodeStatus::ALL
            .iter()
            .map(|s| (s.code(), s.label(l)))
            .collect(),
        status: q.status.clone(),
        dues: vec![
            ("today", u.t.s("qt_due_today")),
            ("tomorrow", u.t.s("qt_due_tomorrow")),
        ],
        due: q.due.clone(),
        items: page
            .items
            .iter()
            .map(|e| EpisodeLine::new(e, u.t))
            .collect(),
        total: page.total,
        prev: (page_no > 1).then(|| link(page_no - 1)),
        next: (shown < page.total).then(|| link(page_no + 1)),
        t: u.t,
        nav: u.nav,
    }
    .into_response())
}

/// A test day as pages show it: (day, date, state code, state label).
type TestLine = (u16, String, &'static str, &'static str);

fn test_lines(v: &EpisodeView, l: Lang) -> Vec<TestLine> {
    v.checklist
        .tests
        .iter()
        .map(|t| (t.day, t.date.to_string(), t.state.code(), t.state.label(l)))
        .collect()
}

/// One change as the history shows it.
pub struct ChangeLine {
    at: String,
    what: String,
    before: String,
    after: String,
    reason: String,
    by: String,
}

/// An episode's page.
#[derive(Template, WebTemplate)]
#[template(path = "episode.html")]
pub struct EpisodePage {
    t: T,
    nav: Nav,
    csrf: String,
    id: i64,
    name: String,
    person_href: String,
    household_href: String,
    address: String,
    measure: String,
    status: String,
    active: bool,
    released: bool,
    starts_on: String,
    last_day: String,
    planned_end: String,
    day_line: String,
    policy: String,
    reason: String,
    ended: String,
    tests: Vec<TestLine>,
    changes: Vec<ChangeLine>,
    can_change: bool,
    can_central: bool,
    destinations: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

fn destination_text(raw: &str, l: Lang) -> String {
    let (code, place) = raw.split_once(": ").unwrap_or((raw, ""));
    let label = Destination::parse(code).map_or(code, |d| d.label(l));
    if place.is_empty() {
        label.to_string()
    } else {
        format!("{label} · {place}")
    }
}

fn episode_page(u: &PageUser, v: &EpisodeView, error: Option<String>) -> EpisodePage {
    let (e, l) = (&v.episode, u.t.0);
    let total = (e.last_day - e.starts_on).whole_days() + 1;
    let day_line = match v.day_today {
        Some(n) => {
            u.t.s("qt_day_of")
                .replace("{n}", &n.to_string())
                .replace("{total}", &total.to_string())
        }
        None => {
            u.t.s("qt_days_total")
                .replace("{total}", &total.to_string())
        }
    };
    let changes = v
        .changes
        .iter()
        .map(|c| {
            let (before, after) = match c.what {
                ChangeKind::Transfer => (String::new(), destination_text(&c.after, l)),
                ChangeKind::Release => (
                    c.before
                        .split(',')
                        .filter(|x| !x.is_empty())
                        .map(|x| unmet_label(x, u.t))
                        .collect::<Vec<_>>()
                        .join(l.pick("、", ", ")),
                    String::new(),
                ),
                _ => (c.before.clone(), c.after.clone()),
            };
            ChangeLine {
                at: china_minute(c.at),
                what: c.what.label(l).to_string(),
                before,
                after,
                reason: c.reason.clone(),
                by: c.by.clone(),
            }
        })
        .collect();
    EpisodePage {
        csrf: u.csrf.clone(),
        id: e.id,
        name: e.name.clone(),
        person_href: format!("/persons/{}", e.person_id),
        household_href: format!("/households/{}", e.household_id),
        address: e.address.clone(),
        measure: measure_name(e.measure, l).to_string(),
        status: e.status.label(l).to_string(),
        active: e.status.is_active(),
        released: e.status == EpisodeStatus::Released,
        starts_on: e.starts_on.to_string(),
        last_day: e.last_day.to_string(),
        planned_end: china_minute(e.ends_at),
        day_line,
        policy: format!("{} (v{})", v.policy_name, e.policy_version),
        reason: e.reason.clone(),
        ended: match (e.ended_at, &e.ended_by) {
            (Some(at), Some(by)) => format!("{} · {by}", china_minute(at)),
            _ => String::new(),
        },
        tests: test_lines(v, l),
        changes,
        can_change: e.status.is_active() && u.who.may(Action::Quarantine),
        can_central: e.measure != Measure::CentralQuarantine,
        destinations: Destination::ALL
            .iter()
            .map(|d| (d.code(), d.label(l)))
            .collect(),
        error,
        t: u.t,
        nav: u.nav.clone(),
    }
}

fn unmet_label(code: &str, t: T) -> String {
    match code {
        "end" => t.s("qt_check_end"),
        "tests" => t.s("qt_check_tests"),
        "checkins" => t.s("qt_check_checkins"),
        other => other,
    }
    .to_string()
}

/// Shows an episode.
pub async fn show(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let v = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .episode(id)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(episode_page(&u, &v, None).into_response())
}

/// A form refused: the episode's page again with the message on top (409/422), or the error
/// page for anything else.
async fn again(s: &AppState, u: &PageUser, id: i64, e: AppError) -> Result<Response, PageError> {
    let (status, message) = match e {
        AppError::Validation(p) => (StatusCode::UNPROCESSABLE_ENTITY, u.problems_text(&p)),
        AppError::Conflict(c) => (StatusCode::CONFLICT, c.message(u.t.0).to_string()),
        e => return Err(u.fail(e)),
    };
    let v = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .episode(id)
        .await
        .map_err(|e| u.fail(e))?;
    Ok((status, episode_page(u, &v, Some(message))).into_response())
}

/// The change form.
#[derive(Debug, Deserialize)]
pub struct ChangePost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    last_day: String,
    #[serde(default)]
    reason: String,
}

/// Extends or shortens an episode.
pub async fn change(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ChangePost>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let done = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .change(
            id,
            &ChangeForm {
                last_day: f.last_day,
                reason: f.reason,
            },
        )
        .await;
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/episodes/{id}")).into_response()),
        Err(e) => again(&s, &u, id, e).await,
    }
}

/// The transfer form.
#[derive(Debug, Deserialize)]
pub struct TransferPost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    start_central: Option<String>,
}

/// Transfers an episode; with a central episode started, goes to it.
pub async fn transfer(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<TransferPost>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let done = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .transfer(
            id,
            &TransferForm {
                to: f.to,
                place: f.place,
                at: f.at,
                reason: f.reason,
                start_central: f.start_central.is_some(),
            },
        )
        .await;
    match done {
        Ok((_, Some(next))) => Ok(Redirect::to(&format!("/episodes/{}", next.id)).into_response()),
        Ok((_, None)) => Ok(Redirect::to(&format!("/episodes/{id}")).into_response()),
        Err(e) => again(&s, &u, id, e).await,
    }
}

/// The release confirmation: the checklist, then the form.
#[derive(Template, WebTemplate)]
#[template(path = "episode_release.html")]
pub struct ReleasePage {
    t: T,
    nav: Nav,
    csrf: String,
    id: i64,
    name: String,
    measure: String,
    end_reached: bool,
    planned_end: String,
    tests: Vec<TestLine>,
    tests_met: bool,
    tests_required: bool,
    any_positive: bool,
    checkins: Option<(bool, String)>,
    needs_reason: bool,
    household: Vec<String>,
    reason: String,
    error: Option<String>,
}

fn release_page(
    u: &PageUser,
    v: &EpisodeView,
    reason: String,
    error: Option<String>,
) -> ReleasePage {
    let (e, c, l) = (&v.episode, &v.checklist, u.t.0);
    ReleasePage {
        csrf: u.csrf.clone(),
        id: e.id,
        name: e.name.clone(),
        measure: measure_name(e.measure, l).to_string(),
        end_reached: c.end_reached,
        planned_end: china_minute(e.ends_at),
        tests: test_lines(v, l),
        tests_met: c.tests_met(),
        tests_required: c.tests_required,
        any_positive: c.any_positive(),
        checkins: c.checkins.map(|k| {
            (
                k.met(),
                format!("{} / {} (+{})", k.done, k.due, k.explained),
            )
        }),
        needs_reason: c.needs_reason(),
        household: v.household_active.iter().map(|x| x.name.clone()).collect(),
        reason,
        error,
        t: u.t,
        nav: u.nav.clone(),
    }
}

/// Shows the checklist before a release.
pub async fn release_form(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let desk = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let v = desk.episode(id).await.map_err(|e| u.fail(e))?;
    if !u.who.may(Action::Quarantine) {
        return Err(u.fail(AppError::Forbidden));
    }
    if !v.episode.status.is_active() {
        return Ok(Redirect::to(&format!("/episodes/{id}")).into_response());
    }
    Ok(release_page(&u, &v, String::new(), None).into_response())
}

/// The release form.
#[derive(Debug, Deserialize)]
pub struct ReleasePost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    household: Option<String>,
}

/// Releases an episode (and the household's when ticked); refused, the checklist again.
pub async fn release(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ReleasePost>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let desk = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let done = desk
        .release(
            id,
            &ReleaseForm {
                reason: f.reason.clone(),
                household: f.household.is_some(),
            },
        )
        .await;
    let (status, message) = match done {
        Ok(_) => return Ok(Redirect::to(&format!("/episodes/{id}")).into_response()),
        Err(AppError::Validation(p)) => (StatusCode::UNPROCESSABLE_ENTITY, u.problems_text(&p)),
        Err(AppError::Conflict(c)) => (StatusCode::CONFLICT, c.message(u.t.0).to_string()),
        Err(e) => return Err(u.fail(e)),
    };
    let v = desk.episode(id).await.map_err(|e| u.fail(e))?;
    Ok((status, release_page(&u, &v, f.reason, Some(message))).into_response())
}

/// The release notice (解除隔离告知书), one A4 page, in Chinese with English beside.
#[derive(Template, WebTemplate)]
#[template(path = "episode_notice.html")]
pub struct NoticePage {
    t: T,
    nav: Nav,
    zh: T,
    en: T,
    id: i64,
    title_zh: &'static str,
    title_en: &'static str,
    name: String,
    id_number: String,
    address: String,
    measure_zh: &'static str,
    measure_en: &'static str,
    starts_on: String,
    last_day: String,
    policy: String,
    community: String,
    date: String,
}

/// Shows the release notice of a released episode.
pub async fn notice(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let n = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .notice(id)
        .await
        .map_err(|e| u.fail(e))?;
    let e = &n.episode;
    let (title_zh, title_en) = match e.measure {
        Measure::HomeHealthMonitoring => (
            "解除居家健康监测告知书",
            "Notice of release from home health monitoring",
        ),
        Measure::HomeQuarantine => ("解除隔离告知书", "Notice of release from home quarantine"),
        Measure::CentralQuarantine => (
            "解除隔离告知书",
            "Notice of release from central quarantine",
        ),
    };
    let d = n.released_on;
    Ok(NoticePage {
        zh: T(Lang::Zh),
        en: T(Lang::En),
        id,
        title_zh,
        title_en,
        name: e.name.clone(),
        id_number: n.id_number.clone(),
        address: e.address.clone(),
        measure_zh: e.measure.name_zh(),
        measure_en: e.measure.name_en(),
        starts_on: e.starts_on.to_string(),
        last_day: e.last_day.to_string(),
        policy: format!("{} (v{})", n.policy_name, e.policy_version),
        community: n.community.clone(),
        date: format!("{} 年 {} 月 {} 日", d.year(), u8::from(d.month()), d.day()),
        t: u.t,
        nav: u.nav,
    }
    .into_response())
}
