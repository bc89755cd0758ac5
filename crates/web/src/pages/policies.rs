//! Quarantine policy pages (防控政策): the list of policies with each measure's days,
//! check-ins and test days; a version's page with every version of its policy; and the edit
//! form, prefilled with the current version, that saves a new one. Every read and write goes
//! through `doorstep_app::quarantine::policies::PolicyDesk`.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use doorstep_app::error::AppError;
use doorstep_app::quarantine::policies::PolicyDesk;
use doorstep_core::policy::{PolicyDoc, ReleaseDoc, RulesDoc, window_text};
use doorstep_core::quarantine::{Measure, Rules};
use doorstep_store::PolicyVersion;

use super::points::Errors;
use super::{Nav, PageError, PageUser};
use crate::AppState;
use crate::i18n::T;

/// The routes of these pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/policies", get(list))
        .route("/policies/{key}", get(current))
        .route("/policies/{key}/versions/{version}", get(version))
        .route("/policies/{key}/edit", get(edit_form).post(save))
}

fn desk<'a>(s: &'a AppState, u: &'a PageUser) -> PolicyDesk<'a> {
    PolicyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
}

fn measure_name(m: Measure, t: T) -> &'static str {
    t.0.pick(m.name_zh(), m.name_en())
}

/// One measure's rules as a line of a table.
pub struct MeasureLine {
    name: &'static str,
    /// The short name, for the table on a phone.
    short: &'static str,
    days: u16,
    per_day: usize,
    windows: String,
    tests: String,
    co_residents: bool,
    release: String,
}

fn line(r: &Rules, t: T) -> MeasureLine {
    let mut release = Vec::new();
    if r.release.negative_tests {
        release.push(t.s("pl_release_tests"));
    }
    if r.release.checkins {
        release.push(t.s("pl_release_checkins"));
    }
    MeasureLine {
        name: measure_name(r.measure, t),
        short: t.0.pick(r.measure.short_zh(), r.measure.name_en()),
        days: r.days,
        per_day: r.windows.len(),
        windows: r
            .windows
            .iter()
            .map(window_text)
            .collect::<Vec<_>>()
            .join(", "),
        tests: r
            .test_days
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        co_residents: r.co_residents,
        release: release.join(t.0.pick("、", ", ")),
    }
}

/// A version as the pages show it.
pub struct VersionView {
    key: String,
    name: String,
    version: u32,
    by: String,
    at: String,
    lines: Vec<MeasureLine>,
}

fn view(v: &PolicyVersion, t: T) -> VersionView {
    VersionView {
        key: v.policy.key.clone(),
        name: v.policy.name.clone(),
        version: v.version,
        by: v.created_by.clone(),
        at: v
            .created_at
            .to_offset(doorstep_core::quarantine::CHINA)
            .format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]"
            ))
            .unwrap_or_default(),
        lines: v.policy.rules.iter().map(|r| line(r, t)).collect(),
    }
}

/// The list of policies.
#[derive(Template, WebTemplate)]
#[template(path = "policies.html")]
pub struct PoliciesPage {
    t: T,
    nav: Nav,
    policies: Vec<VersionView>,
    can_edit: bool,
}

async fn list(State(s): State<AppState>, u: PageUser) -> Result<PoliciesPage, PageError> {
    let d = desk(&s, &u);
    let all = d.list().await.map_err(|e| u.fail(e))?;
    Ok(PoliciesPage {
        t: u.t,
        nav: u.nav.clone(),
        policies: all.iter().map(|v| view(v, u.t)).collect(),
        can_edit: d.may_edit(),
    })
}

/// A version's page, with every version of its policy.
#[derive(Template, WebTemplate)]
#[template(path = "policy.html")]
pub struct PolicyPage {
    t: T,
    nav: Nav,
    shown: VersionView,
    current: u32,
    versions: Vec<VersionView>,
    can_edit: bool,
}

async fn policy_page(
    s: &AppState,
    u: &PageUser,
    key: &str,
    version: Option<u32>,
) -> Result<PolicyPage, PageError> {
    let d = desk(s, u);
    let all = d.versions(key).await.map_err(|e| u.fail(e))?;
    let current = all.first().map_or(0, |v| v.version);
    let shown = match version {
        None => all.first(),
        Some(n) => all.iter().find(|v| v.version == n),
    }
    .ok_or_else(|| u.fail(AppError::NotFound))?;
    Ok(PolicyPage {
        t: u.t,
        nav: u.nav.clone(),
        shown: view(shown, u.t),
        current,
        versions: all.iter().map(|v| view(v, u.t)).collect(),
        can_edit: d.may_edit(),
    })
}

async fn current(
    State(s): State<AppState>,
    u: PageUser,
    Path(key): Path<String>,
) -> Result<PolicyPage, PageError> {
    policy_page(&s, &u, &key, None).await
}

async fn version(
    State(s): State<AppState>,
    u: PageUser,
    Path((key, version)): Path<(String, u32)>,
) -> Result<PolicyPage, PageError> {
    policy_page(&s, &u, &key, Some(version)).await
}

/// One measure's fields on the edit form, as typed, with their problems.
pub struct MeasureForm {
    code: &'static str,
    name: &'static str,
    days: String,
    windows: String,
    test_days: String,
    co_residents: bool,
    checkins: bool,
    negative_tests: bool,
    /// Problems by field (`days`, `windows`, `test_days`, `release`).
    errors: HashMap<&'static str, String>,
}

impl MeasureForm {
    /// The problem at `field`, if any.
    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

/// The edit form.
#[derive(Template, WebTemplate)]
#[template(path = "policy_form.html")]
pub struct PolicyFormPage {
    t: T,
    nav: Nav,
    csrf: String,
    key: String,
    based_on: u32,
    name: String,
    name_error: Option<String>,
    /// A new key to save the form under instead (a local variant), as typed.
    new_key: String,
    new_key_error: Option<String>,
    /// A problem for the whole form (another version saved meanwhile).
    summary: Vec<String>,
    measures: Vec<MeasureForm>,
    /// Whether to show the summary of problems above the form.
    has_errors: bool,
}

fn blank(m: Measure, t: T) -> MeasureForm {
    MeasureForm {
        code: m.code(),
        name: measure_name(m, t),
        days: String::new(),
        windows: String::new(),
        test_days: String::new(),
        co_residents: false,
        checkins: false,
        negative_tests: false,
        errors: HashMap::new(),
    }
}

fn prefilled(v: &PolicyVersion, t: T) -> Vec<MeasureForm> {
    Measure::ALL
        .into_iter()
        .map(|m| match v.policy.rules(m) {
            Some(r) => {
                let d = RulesDoc::of(r);
                MeasureForm {
                    days: d.days.to_string(),
                    windows: d.windows.join(", "),
                    test_days: d
                        .test_days
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    co_residents: d.co_residents,
                    checkins: d.release.checkins,
                    negative_tests: d.release.negative_tests,
                    ..blank(m, t)
                }
            }
            None => blank(m, t),
        })
        .collect()
}

async fn edit_form(
    State(s): State<AppState>,
    u: PageUser,
    Path(key): Path<String>,
) -> Result<PolicyFormPage, PageError> {
    let d = desk(&s, &u);
    if !d.may_edit() {
        return Err(u.fail(AppError::Forbidden));
    }
    let v = d.show(&key, None).await.map_err(|e| u.fail(e))?;
    Ok(PolicyFormPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        key: v.policy.key.clone(),
        based_on: v.version,
        name: v.policy.name.clone(),
        name_error: None,
        new_key: String::new(),
        new_key_error: None,
        summary: Vec::new(),
        measures: prefilled(&v, u.t),
        has_errors: false,
    })
}

fn checked(f: &HashMap<String, String>, name: &str) -> bool {
    f.get(name).is_some_and(|v| !v.is_empty())
}

/// Saves the form as a new version: to the new version's page, or the form again with the
/// problems at their fields (422) or the conflict above it (409).
async fn save(
    State(s): State<AppState>,
    u: PageUser,
    Path(key): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    u.check_csrf(f.get("csrf").map_or("", String::as_str))?;
    let field = |name: &str| f.get(name).cloned().unwrap_or_default();
    let mut measures = Vec::new();
    let mut rules = BTreeMap::new();
    let mut problems = Vec::new();
    for m in Measure::ALL {
        let c = m.code();
        let form = MeasureForm {
            days: field(&format!("{c}.days")),
            windows: field(&format!("{c}.windows")),
            test_days: field(&format!("{c}.test_days")),
            co_residents: checked(&f, &format!("{c}.co_residents")),
            checkins: checked(&f, &format!("{c}.checkins")),
            negative_tests: checked(&f, &format!("{c}.negative_tests")),
            ..blank(m, u.t)
        };
        // Days left empty: the version does not cover the measure.
        if !form.days.trim().is_empty() {
            match RulesDoc::from_text(
                &form.days,
                &form.windows,
                &form.test_days,
                form.co_residents,
                ReleaseDoc {
                    checkins: form.checkins,
                    negative_tests: form.negative_tests,
                },
                &format!("rules.{c}"),
            ) {
                Ok(doc) => {
                    rules.insert(c.to_string(), doc);
                }
                Err(p) => problems.extend(p),
            }
        }
        measures.push(form);
    }
    let based_on = field("based_on").trim().parse::<u32>().ok();
    let doc = PolicyDoc {
        name: field("name"),
        rules,
    };
    // A new key saves the form as version 1 of a new policy (a city's own variant).
    let new_key = field("new_key").trim().to_string();
    let outcome = if !problems.is_empty() {
        Err(AppError::Validation(problems))
    } else if new_key.is_empty() {
        desk(&s, &u).save(&key, &doc, based_on).await
    } else {
        desk(&s, &u).save(&new_key, &doc, Some(0)).await
    };
    let (status, problems, summary) = match outcome {
        Ok(v) => {
            let to = format!("/policies/{}/versions/{}", v.policy.key, v.version);
            return Ok(Redirect::to(&to).into_response());
        }
        Err(AppError::Validation(p)) => (StatusCode::UNPROCESSABLE_ENTITY, p, Vec::new()),
        Err(AppError::Conflict(c)) => (
            StatusCode::CONFLICT,
            Vec::new(),
            vec![c.message(u.t.0).to_string()],
        ),
        Err(e) => return Err(u.fail(e)),
    };
    let errors = Errors::of(&problems, u.t);
    for m in &mut measures {
        for part in ["days", "windows", "test_days", "release"] {
            if let Some(e) = errors.at(&format!("rules.{}.{part}", m.code)) {
                m.errors.insert(part, e.to_string());
            }
        }
    }
    let mut summary = summary;
    if errors.at("rules").is_some() {
        summary.push(u.t.s("pl_no_measure").to_string());
    }
    // A new key's problem (its form, or taken) is shown at its box.
    let new_key_error = match (errors.at("key"), new_key.is_empty()) {
        (Some(e), _) => Some(e.to_string()),
        (None, false) if status == StatusCode::CONFLICT => summary.pop(),
        _ => None,
    };
    let has_errors = !summary.is_empty()
        || new_key_error.is_some()
        || errors.at("name").is_some()
        || measures.iter().any(|m| !m.errors.is_empty());
    let page = PolicyFormPage {
        has_errors,
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        key,
        based_on: based_on.unwrap_or_default(),
        name: doc.name,
        name_error: errors.at("name").map(str::to_string),
        new_key,
        new_key_error,
        summary,
        measures,
    };
    Ok((status, page).into_response())
}
