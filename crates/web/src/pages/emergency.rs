//! Peacetime ↔ emergency (平急转换) for staff: the mode of the user's communities, the switch
//! in (first day, reason, task forces' members) and back (last day, retention period), the
//! history, and the retention preview with its run button; the banner the home page shows and
//! the day count the menu follows ([`day_of`]).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use doorstep_app::access::{Action, Ctx, Principal};
use doorstep_app::clock::china_minute;
use doorstep_app::emergency::retention::{RetentionDesk, RetentionReport, Standing};
use doorstep_app::emergency::{EmergencyDesk, EndInput, MemberInput, StartInput, running_near};
use doorstep_app::error::AppError;
use doorstep_app::staff::StaffDesk;
use doorstep_core::Lang;
use doorstep_core::emergency::{RetentionKind, TaskForce, day_number};
use doorstep_store::{Emergency, PageRequest};
use serde::Deserialize;

use super::{Nav, PageError, PageUser};
use crate::AppState;
use crate::i18n::T;

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/emergency", get(show).post(start))
        .route("/emergency/{id}/end", post(end))
        .route("/emergency/{id}/members", post(members))
        .route("/emergency/retention", post(run))
}

/// The day count of the longest running emergency near the user (`None`: peacetime): what
/// the menu follows. A failing read is peacetime, never a failing page.
pub async fn day_of(s: &AppState, who: &Principal, ctx: &Ctx) -> Option<i64> {
    match running_near(s.store.as_ref(), who).await {
        Ok(all) => all
            .iter()
            .map(|e| day_number(e.started_on, ctx.today()))
            .max(),
        Err(e) => {
            tracing::warn!(error = %e, "the mode could not be read; showing peacetime");
            None
        }
    }
}

/// The community's name as people say it (below the street).
fn community_name(e: &Emergency) -> String {
    let names: Vec<&str> = e.area_path.names().collect();
    names.last().copied().unwrap_or_default().to_string()
}

/// A running emergency as the banner shows it.
pub struct Banner {
    /// Its id.
    pub id: i64,
    /// The community.
    pub community: String,
    /// "应急第 N 天".
    pub day: String,
    /// Since (the first day).
    pub since: String,
    /// Why.
    pub reason: String,
    /// Each task force with its members' names.
    pub forces: Vec<(&'static str, String)>,
    /// Each member: (force code, force label, staff id, name), for removing.
    pub members: Vec<(&'static str, &'static str, i64, String)>,
}

impl Banner {
    fn of(e: &Emergency, lang: Lang, today: time::Date) -> Banner {
        let n = day_number(e.started_on, today);
        Banner {
            id: e.id,
            community: community_name(e),
            day: lang
                .pick("应急状态第 {n} 天", "Emergency mode, day {n}")
                .replace("{n}", &n.to_string()),
            since: e.started_on.to_string(),
            reason: e.reason.clone(),
            forces: TaskForce::ALL
                .iter()
                .map(|f| {
                    let names: Vec<&str> = e
                        .members
                        .iter()
                        .filter(|m| m.force == *f)
                        .map(|m| m.name.as_str())
                        .collect();
                    (f.label(lang), names.join(lang.pick("、", ", ")))
                })
                .collect(),
            members: e
                .members
                .iter()
                .map(|m| {
                    (
                        m.force.code(),
                        m.force.label(lang),
                        m.staff_id,
                        m.name.clone(),
                    )
                })
                .collect(),
        }
    }
}

/// The banners of the emergencies running near the user (the home page's emergency view).
pub async fn banners(s: &AppState, u: &PageUser) -> Vec<Banner> {
    running_near(s.store.as_ref(), &u.who)
        .await
        .unwrap_or_default()
        .iter()
        .map(|e| Banner::of(e, u.t.0, u.ctx.today()))
        .collect()
}

/// An emergency of the history as a line.
pub struct HistoryLine {
    community: String,
    span: String,
    reason: String,
    by: String,
    running: bool,
    retention: String,
}

/// One row of the retention preview.
pub struct RetentionLine {
    community: String,
    span: String,
    standing: String,
    counts: Vec<i64>,
}

/// The page.
#[derive(Template, WebTemplate)]
#[template(path = "emergency.html")]
pub struct EmergencyPage {
    t: T,
    nav: Nav,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    banners: Vec<Banner>,
    /// Communities the user may switch in that are in peacetime: (path, name).
    idle: Vec<(String, String)>,
    can_switch: bool,
    can_retain: bool,
    /// Staff to choose task force members from: (id, name), those matching `q` when given.
    staff: Vec<(i64, String)>,
    /// The member picker's search (name or phone ending; blank: every one).
    q: String,
    /// The task forces: (code, label).
    forces: Vec<(&'static str, &'static str)>,
    today: String,
    history: Vec<HistoryLine>,
    /// The kinds' labels (the preview's columns).
    kinds: Vec<&'static str>,
    retention: Vec<RetentionLine>,
    totals: Vec<i64>,
}

async fn page(
    s: &AppState,
    u: &PageUser,
    q: &str,
    error: Option<String>,
    notice: Option<String>,
) -> Result<EmergencyPage, PageError> {
    let q = q.trim();
    let desk = EmergencyDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let lang = u.t.0;
    let today = u.ctx.today();
    let history = desk.list("").await.map_err(|e| u.fail(e))?;
    let can_switch = u.who.may(Action::SwitchMode);
    let can_retain = u.who.may(Action::Retention);
    let running: Vec<&Emergency> = history.iter().filter(|e| e.ended.is_none()).collect();
    let mut idle = Vec::new();
    let mut staff = Vec::new();
    if can_switch {
        for a in desk.communities().await.map_err(|e| u.fail(e))? {
            if !running.iter().any(|e| e.area_id == a.id) {
                idle.push((a.path.as_str().to_string(), a.path.name().to_string()));
            }
        }
        let page = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx)
            .list(
                None,
                None,
                Some(true),
                (!q.is_empty()).then(|| q.to_string()),
                PageRequest {
                    offset: 0,
                    limit: if q.is_empty() { 500 } else { 100 },
                },
            )
            .await
            .map_err(|e| u.fail(e))?;
        staff = page
            .items
            .into_iter()
            .map(|m| (m.id, m.fields.name.clone()))
            .collect();
    }
    let mut retention = Vec::new();
    let mut totals = Vec::new();
    if can_retain {
        let report: RetentionReport = RetentionDesk::new(s.store.as_ref(), &u.who, &u.ctx)
            .preview("")
            .await
            .map_err(|e| u.fail(e))?;
        totals = report.totals().into_iter().map(|(_, n)| n).collect();
        retention = report
            .items
            .iter()
            .map(|i| RetentionLine {
                community: community_name(&i.emergency),
                span: span(&i.emergency),
                standing: match i.standing {
                    Standing::Running => lang.pick("应急中，不处理", "running: untouched").into(),
                    Standing::Kept(d) => lang
                        .pick("保存至 {d} 前", "kept until {d}")
                        .replace("{d}", &d.to_string()),
                    Standing::Due => lang.pick("已到期", "due").into(),
                },
                counts: i.counts.iter().map(|(_, n)| *n).collect(),
            })
            .collect();
    }
    Ok(EmergencyPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        error,
        notice,
        banners: running.iter().map(|e| Banner::of(e, lang, today)).collect(),
        idle,
        can_switch,
        can_retain,
        staff,
        q: q.to_string(),
        forces: TaskForce::ALL
            .iter()
            .map(|f| (f.code(), f.label(lang)))
            .collect(),
        today: today.to_string(),
        history: history
            .iter()
            .map(|e| HistoryLine {
                community: community_name(e),
                span: span(e),
                reason: e.reason.clone(),
                by: match &e.ended {
                    Some(end) => format!(
                        "{} · {} / {} · {}",
                        china_minute(e.started_at),
                        e.started_by,
                        china_minute(end.at),
                        end.by
                    ),
                    None => format!("{} · {}", china_minute(e.started_at), e.started_by),
                },
                running: e.ended.is_none(),
                retention: e.retention.days().to_string(),
            })
            .collect(),
        kinds: RetentionKind::ALL.iter().map(|k| k.label(lang)).collect(),
        retention,
        totals,
    })
}

fn span(e: &Emergency) -> String {
    match &e.ended {
        Some(end) => format!("{} — {}", e.started_on, end.on),
        None => format!("{} —", e.started_on),
    }
}

/// The page's query: the member picker's search.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ShowQuery {
    q: String,
}

async fn show(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    Ok(page(&s, &u, &q.q, None, None).await?.into_response())
}

/// Turns a refused switch into the page with its message.
async fn refused(s: &AppState, u: &PageUser, e: AppError) -> Result<Response, PageError> {
    let (status, error) = match e {
        AppError::Validation(p) => (StatusCode::UNPROCESSABLE_ENTITY, u.problems_text(&p)),
        AppError::Conflict(c) => (StatusCode::CONFLICT, c.message(u.t.0).to_string()),
        e => return Err(u.fail(e)),
    };
    let page = page(s, u, "", Some(error), None).await?;
    Ok((status, page).into_response())
}

async fn start(
    State(s): State<AppState>,
    u: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let field = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    u.check_csrf(&field("csrf"))?;
    let members = pairs
        .iter()
        .filter_map(|(k, v)| {
            let force = k.strip_prefix("m_")?;
            Some((force.to_string(), v.parse::<i64>().ok()?))
        })
        .collect();
    let input = StartInput {
        area: field("area"),
        started_on: field("started_on"),
        reason: field("reason"),
        members,
    };
    match EmergencyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .start(&input)
        .await
    {
        Ok(_) => Ok(Redirect::to("/emergency").into_response()),
        Err(e) => refused(&s, &u, e).await,
    }
}

/// The switch back.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EndForm {
    csrf: String,
    ended_on: String,
    note: String,
    retention_days: String,
}

async fn end(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<EndForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let input = EndInput {
        ended_on: f.ended_on,
        note: f.note,
        retention_days: f.retention_days,
    };
    match EmergencyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .end(id, &input)
        .await
    {
        Ok(_) => Ok(Redirect::to("/emergency").into_response()),
        Err(e) => refused(&s, &u, e).await,
    }
}

async fn run(
    State(s): State<AppState>,
    u: PageUser,
    Form(f): Form<super::CsrfForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let report = RetentionDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .run("", false)
        .await
        .map_err(|e| u.fail(e))?;
    let total: i64 = report.totals().iter().map(|(_, n)| n).sum();
    let notice =
        u.t.0
            .pick(
                "已处理 {n} 条个人信息记录。",
                "{n} records of personal data treated.",
            )
            .replace("{n}", &total.to_string());
    Ok(page(&s, &u, "", None, Some(notice)).await?.into_response())
}

/// A member added to or removed from a running emergency's task force.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MemberForm {
    csrf: String,
    force: String,
    staff_id: String,
    /// `add` or `remove`.
    op: String,
    /// The search the page was showing (kept after the change).
    q: String,
}

async fn members(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<MemberForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let input = MemberInput {
        force: f.force,
        // Not a number: no staff member, refused as such.
        staff_id: f.staff_id.trim().parse().unwrap_or(0),
        add: f.op != "remove",
    };
    match EmergencyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .change_member(id, &input)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/emergency?q={}#emergency-{id}",
            super::urlencode(f.q.trim())
        ))
        .into_response()),
        Err(e) => refused(&s, &u, e).await,
    }
}
