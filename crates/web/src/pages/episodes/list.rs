//! The episodes of an area as a list with filters, and the episodes part of a person's or a
//! household's page with its start form.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use doorstep_app::access::Action;
use doorstep_app::clock::china_minute;
use doorstep_app::error::AppError;
use doorstep_app::quarantine::{EpisodeForm, ListFilter, QuarantineDesk};
use doorstep_core::AreaKind;
use doorstep_core::episode::EpisodeStatus;
use doorstep_core::quarantine::{Measure, Policy};
use doorstep_store::{Episode, PageRequest};
use serde::Deserialize;

use super::measure_name;
use crate::AppState;
use crate::i18n::T;
use crate::pages::{Nav, PageError, PageUser};

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
    /// The form as last posted, when it was refused (shown again with the message).
    pub(crate) refused: Option<Refused>,
}

/// A start form refused: what went wrong, in the user's words, and what was chosen.
#[derive(Debug, Clone, Default)]
pub struct Refused {
    pub(crate) error: String,
    pub(crate) measure: String,
    pub(crate) reason: String,
    pub(crate) start: String,
    pub(crate) policy: String,
    pub(crate) household: bool,
}

impl EpisodeSection {
    /// The section for `episodes`; `start_person` when the user may start one there.
    pub async fn new(
        store: &dyn doorstep_store::Store,
        u: &PageUser,
        episodes: &[Episode],
        start_person: Option<i64>,
        for_household: bool,
        back: String,
    ) -> EpisodeSection {
        let l = u.t.0;
        // The current version of every stored policy (the shipped ones if they cannot be read:
        // the form still works, and the start checks the key again).
        let policies = match store.current_policies().await {
            Ok(all) if !all.is_empty() => all
                .into_iter()
                .map(|v| (v.policy.key, format!("{} (v{})", v.policy.name, v.version)))
                .collect(),
            _ => Policy::defaults()
                .into_iter()
                .map(|p| (p.key, p.name))
                .collect(),
        };
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
            policies,
            today: u.ctx.today().to_string(),
            refused: None,
        }
    }

    /// The section with a refused form shown again.
    pub fn with_refusal(mut self, refused: Option<Refused>) -> EpisodeSection {
        if let Some(r) = &refused
            && !r.start.is_empty()
        {
            self.today = r.start.clone();
        }
        self.refused = refused;
        self
    }

    /// Whether a choice was the one last posted.
    pub(crate) fn chose(&self, field: &str, value: &str) -> bool {
        self.refused.as_ref().is_some_and(|r| match field {
            "measure" => r.measure == value,
            "reason" => r.reason == value,
            "policy" => r.policy == value,
            "household" => r.household,
            _ => false,
        })
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
        measure: f.measure.clone(),
        reason: f.reason.clone(),
        start: f.start.clone(),
        policy: f.policy.clone(),
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
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            // Shown again on the page it came from, with what was chosen.
            let (status, error) = match &e {
                AppError::Validation(p) => (StatusCode::UNPROCESSABLE_ENTITY, u.problems_text(p)),
                AppError::Conflict(c) => (StatusCode::CONFLICT, c.message(u.t.0).to_string()),
                _ => unreachable!("matched above"),
            };
            let refused = Refused {
                error,
                measure: f.measure,
                reason: f.reason,
                start: f.start,
                policy: f.policy,
                household: f.household.is_some(),
            };
            let number = |prefix: &str| f.back.strip_prefix(prefix)?.parse::<i64>().ok();
            let page = if let Some(id) = number("/households/") {
                super::super::registry::household_page(&s, u, id, Some(refused)).await?
            } else if let Some(id) = number("/persons/") {
                super::super::registry::person_page(&s, u, id, false, Some(refused)).await?
            } else {
                return Err(refusal(&u, e));
            };
            Ok((status, page).into_response())
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
    day: String,
    #[serde(default)]
    on: String,
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
    /// The day filter (hidden fields) and what it says, with the link that drops it.
    day_filter: Option<DayFilter>,
    items: Vec<EpisodeLine>,
    total: i64,
    prev: Option<String>,
    next: Option<String>,
}

const PER_PAGE: u32 = 50;

/// A day filter as the list shows it (the daily report's figures link with one).
pub struct DayFilter {
    day: String,
    on: String,
    shown: String,
    clear: String,
}

fn day_filter(q: &ListQuery, t: T) -> Option<DayFilter> {
    let on_key = match q.on.trim() {
        "new" => "qt_on_new",
        "ongoing" => "qt_on_ongoing",
        "released" => "qt_on_released",
        _ => return None,
    };
    Some(DayFilter {
        day: q.day.trim().to_string(),
        on: q.on.trim().to_string(),
        shown: format!("{} · {}", q.day.trim(), t.s(on_key)),
        clear: format!(
            "/episodes?area={}&measure={}&status={}&due={}",
            crate::pages::urlencode(&q.area),
            crate::pages::urlencode(&q.measure),
            crate::pages::urlencode(&q.status),
            crate::pages::urlencode(&q.due)
        ),
    })
}

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
        day: q.day.clone(),
        on: q.on.clone(),
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
            "/episodes?area={}&measure={}&status={}&due={}&day={}&on={}&page={n}",
            crate::pages::urlencode(&q.area),
            crate::pages::urlencode(&q.measure),
            crate::pages::urlencode(&q.status),
            crate::pages::urlencode(&q.due),
            crate::pages::urlencode(&q.day),
            crate::pages::urlencode(&q.on)
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
        day_filter: day_filter(&q, u.t),
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
