//! The worker's day of quarantine and monitoring (`/today`) and the area's overview
//! (`/quarantine`), through `doorstep_app::quarantine::today`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use doorstep_app::quarantine::QuarantineDesk;
use doorstep_core::quarantine::Measure;
use serde::Deserialize;

use super::tasks::{TaskCard, card};
use super::{Nav, PageError, PageUser};
use crate::AppState;
use crate::i18n::T;

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/today", get(today))
        .route("/quarantine", get(overview))
}

/// An episode ending soon, as a line.
pub struct EndingLine {
    pub person_id: i64,
    pub name: String,
    pub address: String,
    pub measure: &'static str,
    pub last_day: String,
}

/// The worker's day.
#[derive(Template, WebTemplate)]
#[template(path = "quarantine_today.html")]
pub struct TodayPage {
    t: T,
    nav: Nav,
    csrf: String,
    back: &'static str,
    followups: Vec<TaskCard>,
    sampling: Vec<TaskCard>,
    deliveries: Vec<TaskCard>,
    releases: Vec<EndingLine>,
}

async fn today(State(s): State<AppState>, u: PageUser) -> Result<Response, PageError> {
    let day = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .today()
        .await
        .map_err(|e| u.fail(e))?;
    let now = u.ctx.now();
    let cards = |list: &[doorstep_store::Task]| list.iter().map(|x| card(x, u.t, now)).collect();
    let lang = u.t.0;
    Ok(TodayPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        back: "today",
        followups: cards(&day.followups),
        sampling: cards(&day.sampling),
        deliveries: cards(&day.deliveries),
        releases: day
            .releases
            .iter()
            .map(|e| EndingLine {
                person_id: e.person_id,
                name: e.name.clone(),
                address: e.address.clone(),
                measure: lang.pick(e.measure.short_zh(), e.measure.name_en()),
                last_day: e.last_day.to_string(),
            })
            .collect(),
    }
    .into_response())
}

/// Which area.
#[derive(Debug, Default, Deserialize)]
struct AreaQuery {
    area: Option<String>,
}

/// One measure's line of the overview.
pub struct MeasureLine {
    pub name: &'static str,
    pub in_days: i64,
    pub active: i64,
    pub released: i64,
    pub transferred: i64,
}

/// The overview.
#[derive(Template, WebTemplate)]
#[template(path = "quarantine_overview.html")]
pub struct OverviewPage {
    t: T,
    nav: Nav,
    area: String,
    measures: Vec<MeasureLine>,
    windows_done: i64,
    windows_due: i64,
    percent: i64,
    ending: i64,
    alerts_open: usize,
}

async fn overview(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<AreaQuery>,
) -> Result<Response, PageError> {
    let o = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .overview(q.area.as_deref())
        .await
        .map_err(|e| u.fail(e))?;
    let lang = u.t.0;
    let measures = Measure::ALL
        .iter()
        .map(|m| MeasureLine {
            name: lang.pick(m.short_zh(), m.name_en()),
            in_days: o.in_days(*m),
            active: o.count(*m, "active"),
            released: o.count(*m, "released"),
            transferred: o.count(*m, "transferred"),
        })
        .collect();
    let percent = if o.windows_due > 0 {
        (o.counts.windows_done * 100 / o.windows_due).min(100)
    } else {
        100
    };
    Ok(OverviewPage {
        t: u.t,
        nav: u.nav.clone(),
        area: o.area.as_ref().map(|a| a.to_string()).unwrap_or_default(),
        measures,
        windows_done: o.counts.windows_done,
        windows_due: o.windows_due,
        percent,
        ending: o.counts.ending,
        alerts_open: o.alerts_open,
    }
    .into_response())
}
