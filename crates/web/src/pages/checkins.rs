//! The check-in form, as the household meets it through its link (`/c/{token}`, in
//! `public::checkin`) and as a worker records one for them (`/households/{id}/checkins`), and
//! the door slip with the link's QR code (`/households/{id}/checkin-slip`). One view serves
//! both forms: members masked, today's windows, one block of answers per member.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use doorstep_app::clock::china_minute;
use doorstep_app::error::AppError;
use doorstep_app::quarantine::QuarantineDesk;
use doorstep_app::quarantine::checkins::{CheckinInput, HouseholdDue, MemberCheckin, describe};
use doorstep_core::checkin::{Antigen, Symptom, Timing};
use doorstep_core::problem::FieldProblem;
use doorstep_core::quarantine::CHINA;
use doorstep_store::Checkin;
use serde::Deserialize;
use time::OffsetDateTime;

use super::{Nav, PageError, PageUser};
use crate::AppState;
use crate::i18n::T;

/// One window of today, as a line.
pub struct WindowLine {
    /// `07:00–11:00`.
    pub hours: String,
    /// `done`, `open`, `missed`, `later` (a CSS class too).
    pub state: &'static str,
    /// The state in words.
    pub text: &'static str,
}

/// One member's block.
pub struct MemberBlock {
    /// 0-based: the form's `m{i}_…` fields.
    pub i: usize,
    /// Masked name.
    pub name: String,
    /// The measure and day: `居家隔离 · 第 3 天，共 7 天`.
    pub line: String,
    /// Today's windows.
    pub windows: Vec<WindowLine>,
    /// Whether a check-in is possible now (their episode has started).
    pub open: bool,
    pub temperature: String,
    pub temperature_error: Option<String>,
    /// (code, label, checked).
    pub symptoms: Vec<(&'static str, &'static str, bool)>,
    pub symptoms_error: Option<String>,
    /// (code, label, checked).
    pub antigen: Vec<(&'static str, &'static str, bool)>,
    pub note: String,
    pub note_error: Option<String>,
    pub person_error: Option<String>,
}

/// A stored check-in as a line of the worker's list.
pub struct RecentLine {
    pub at: String,
    pub name: String,
    pub answers: String,
    pub abnormal: bool,
    pub how: String,
}

/// The check-in form (the household's or a worker's).
#[derive(Template, WebTemplate)]
#[template(path = "checkin_form.html")]
pub struct CheckinPage {
    pub t: T,
    pub nav: Nav,
    pub address: String,
    /// Where the form posts.
    pub action: String,
    pub idempotency_key: String,
    /// A worker's form: the session's CSRF token, the method, the slip and the list.
    pub worker: Option<WorkerParts>,
    pub members: Vec<MemberBlock>,
    /// (field id, text).
    pub summary: Vec<(Option<String>, String)>,
    /// Just saved: the banner's text.
    pub saved: Option<&'static str>,
    /// Notices for the household's area (its own page only).
    pub notices: Vec<super::notices::NoticeLine>,
}

/// What only a worker's form has.
pub struct WorkerParts {
    pub csrf: String,
    pub household_id: i64,
    /// `phone` or `door`.
    pub method: String,
    pub recent: Vec<RecentLine>,
    /// The household's supplies requests and the form to file one.
    pub supplies: super::supplies::WorkerSupplies,
}

/// What a posted form said, by field name (`m0_temperature`, `m0_symptoms` repeated, …).
#[derive(Default)]
pub struct Posted {
    fields: HashMap<String, Vec<String>>,
}

impl Posted {
    /// The form as posted.
    pub fn of(form: Vec<(String, String)>) -> Posted {
        let mut fields: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in form {
            fields.entry(k).or_default().push(v);
        }
        Posted { fields }
    }

    /// A field's value.
    pub fn get(&self, k: &str) -> String {
        self.fields
            .get(k)
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_default()
    }

    fn all(&self, k: &str) -> Vec<String> {
        self.fields.get(k).cloned().unwrap_or_default()
    }

    /// The check-in the form holds: the members with a temperature or any answer (the rest
    /// are not checking in now), with the form's index of each.
    pub fn input(&self, due: &HouseholdDue) -> (CheckinInput, Vec<usize>) {
        let mut members = Vec::new();
        let mut index = Vec::new();
        for (i, m) in due.members.iter().enumerate() {
            let f = |k: &str| format!("m{i}_{k}");
            let member = MemberCheckin {
                person_id: m.person_id,
                temperature: self.get(&f("temperature")),
                symptoms: self.all(&f("symptoms")),
                antigen: self.get(&f("antigen")),
                note: self.get(&f("note")),
            };
            let answered = !member.temperature.trim().is_empty()
                || !member.symptoms.is_empty()
                || !member.note.trim().is_empty();
            if answered {
                members.push(member);
                index.push(i);
            }
        }
        (
            CheckinInput {
                idempotency_key: self.get("idempotency_key"),
                members,
            },
            index,
        )
    }
}

fn hm(t: OffsetDateTime) -> String {
    let t = t.to_offset(CHINA);
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// The members' blocks, filled with what was posted and the problems at their fields (the
/// problems' `members[k]` index the submitted members, `index[k]` their block).
pub fn blocks(
    t: T,
    due: &HouseholdDue,
    now: OffsetDateTime,
    posted: &Posted,
    problems: &[FieldProblem],
    index: &[usize],
) -> (Vec<MemberBlock>, Vec<(Option<String>, String)>) {
    let lang = t.0;
    let mut errors: HashMap<(usize, String), String> = HashMap::new();
    let mut summary = Vec::new();
    for p in problems {
        let msg = p.problem.message(lang);
        let parsed = p
            .path
            .strip_prefix("members[")
            .and_then(|r| r.split_once("]."))
            .and_then(|(k, f)| Some((index.get(k.parse::<usize>().ok()?)?, f.to_string())));
        match parsed {
            Some((&i, field)) => {
                summary.push((
                    Some(format!("m{i}_{field}")),
                    format!("{}：{msg}", due.members[i].masked_name),
                ));
                errors.insert((i, field), msg);
            }
            None => summary.push((None, msg)),
        }
    }
    let members = due
        .members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let f = |k: &str| format!("m{i}_{k}");
            let chosen = posted.all(&f("symptoms"));
            let antigen = posted.get(&f("antigen"));
            let e = m.episodes.first();
            let line = match (e, m.now) {
                (Some(e), Some((day, _, _))) => {
                    let total = (e.last_day - e.starts_on).whole_days() + 1;
                    lang.pick(
                        &format!("{} · 第 {day} 天，共 {total} 天", e.measure.short_zh()),
                        &format!("{} · day {day} of {total}", e.measure.name_en()),
                    )
                    .to_string()
                }
                (Some(e), None) => lang
                    .pick(
                        &format!("{} · {} 开始", e.measure.short_zh(), e.starts_on),
                        &format!("{} · starts {}", e.measure.name_en(), e.starts_on),
                    )
                    .to_string(),
                _ => String::new(),
            };
            let windows = m
                .today
                .iter()
                .map(|(_, opens, closes, done)| {
                    let (state, key) = if *done {
                        ("done", "ci_window_done")
                    } else if *opens <= now && now < *closes {
                        ("open", "ci_window_open")
                    } else if *closes <= now {
                        ("missed", "ci_window_missed")
                    } else {
                        ("later", "ci_window_later")
                    };
                    WindowLine {
                        hours: format!("{}–{}", hm(*opens), hm(*closes)),
                        state,
                        text: t.s(key),
                    }
                })
                .collect();
            MemberBlock {
                i,
                name: m.masked_name.clone(),
                line,
                windows,
                open: m.now.is_some(),
                temperature: posted.get(&f("temperature")),
                temperature_error: errors.get(&(i, "temperature".into())).cloned(),
                symptoms: Symptom::ALL
                    .iter()
                    .map(|s| {
                        let (zh, en) = s.names();
                        (
                            s.code(),
                            lang.pick(zh, en),
                            chosen.iter().any(|c| c == s.code()),
                        )
                    })
                    .collect(),
                symptoms_error: errors.get(&(i, "symptoms".into())).cloned(),
                antigen: Antigen::ALL
                    .iter()
                    .map(|a| {
                        let (zh, en) = a.names();
                        (a.code(), lang.pick(zh, en), a.code() == antigen.trim())
                    })
                    .collect(),
                note: posted.get(&f("note")),
                note_error: errors.get(&(i, "note".into())).cloned(),
                person_error: errors.get(&(i, "person_id".into())).cloned(),
            }
        })
        .collect();
    (members, summary)
}

fn recent(t: T, list: &[Checkin]) -> Vec<RecentLine> {
    list.iter()
        .map(|c| {
            let timing = match c.timing.as_str() {
                "late" => Timing::Late,
                "early" => Timing::Early,
                "extra" => Timing::Extra,
                _ => Timing::OnTime,
            };
            let timing = t.s(match timing {
                Timing::OnTime => "ci_on_time",
                Timing::Early => "ci_early",
                Timing::Late => "ci_late",
                Timing::Extra => "ci_extra",
            });
            let method = t.s(match c.method.as_str() {
                "phone" => "ci_method_phone",
                "door" => "ci_method_door",
                _ => "ci_method_self",
            });
            RecentLine {
                at: china_minute(c.at),
                name: c.name.clone(),
                answers: describe(c, t.0),
                abnormal: c.abnormal,
                how: match &c.recorded_by {
                    Some(by) => format!("{timing} · {method} · {by}"),
                    None => format!("{timing} · {method}"),
                },
            }
        })
        .collect()
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/households/{id}/checkins",
            get(worker_form).post(worker_submit),
        )
        .route("/households/{id}/checkin-slip", get(slip))
}

/// What the worker's page is told after a save.
#[derive(Debug, Default, Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}

async fn worker_page(
    s: &AppState,
    u: &PageUser,
    id: i64,
    posted: &Posted,
    problems: &[FieldProblem],
    index: &[usize],
    saved: Option<&'static str>,
) -> Result<Response, PageError> {
    let desk = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let due = desk.household_due(id).await.map_err(|e| u.fail(e))?;
    let list = desk
        .household_checkins(id, 14)
        .await
        .map_err(|e| u.fail(e))?;
    let (members, summary) = blocks(u.t, &due, u.ctx.now(), posted, problems, index);
    let key = match posted.get("idempotency_key") {
        k if k.is_empty() || saved.is_some() => {
            doorstep_app::auth::random_hex(16).map_err(|e| u.fail(e))?
        }
        k => k,
    };
    let method = match posted.get("method").as_str() {
        "door" => "door".to_string(),
        _ => "phone".to_string(),
    };
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = CheckinPage {
        t: u.t,
        nav: u.nav.clone(),
        address: due.household.address.clone(),
        action: format!("/households/{id}/checkins"),
        idempotency_key: key,
        worker: Some(WorkerParts {
            csrf: u.csrf.clone(),
            household_id: id,
            method,
            recent: recent(u.t, &list),
            supplies: super::supplies::worker_section(s, u, id).await?,
        }),
        members,
        summary,
        saved,
        notices: Vec::new(),
    };
    Ok((status, page).into_response())
}

async fn worker_form(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let saved = match q.saved.as_deref() {
        Some("abnormal") => Some(u.t.s("ci_saved_abnormal")),
        Some(_) => Some(u.t.s("ci_saved")),
        None => None,
    };
    worker_page(&s, &u, id, &Posted::default(), &[], &[], saved).await
}

async fn worker_submit(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let posted = Posted::of(form);
    u.check_csrf(&posted.get("csrf"))?;
    let desk = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let due = desk.household_due(id).await.map_err(|e| u.fail(e))?;
    let (input, index) = posted.input(&due);
    match desk
        .record_checkins(id, &posted.get("method"), &input)
        .await
    {
        Ok(done) => {
            let flag = if done.checkins.iter().any(|c| c.abnormal) {
                "abnormal"
            } else {
                "ok"
            };
            Ok(Redirect::to(&format!("/households/{id}/checkins?saved={flag}")).into_response())
        }
        Err(AppError::Validation(problems)) => {
            worker_page(&s, &u, id, &posted, &problems, &index, None).await
        }
        Err(e) => Err(u.fail(e)),
    }
}

/// The door slip.
#[derive(Template, WebTemplate)]
#[template(path = "checkin_slip.html")]
pub struct SlipPage {
    t: T,
    nav: Nav,
    id: i64,
    address: String,
    url: String,
    qr: String,
    until: String,
    /// The check-in windows: `07:00–11:00、15:00–19:00`.
    hours: String,
}

/// The household's door slip: its check-in QR code and how to use it, on A4 or A5.
async fn slip(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let desk = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let due = desk.household_due(id).await.map_err(|e| u.fail(e))?;
    let token = desk.checkin_link(id).await.map_err(|e| u.fail(e))?;
    let url = s.public_url.checkin_link(&token);
    let qr = super::reports::qr_svg_inline(&url, 260).map_err(|e| {
        PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            u.t,
            &e.to_string(),
            &u.ctx,
        )
    })?;
    let until = due
        .household
        .episodes
        .iter()
        .map(|e| e.last_day)
        .max()
        .map(|d| d.to_string())
        .unwrap_or_default();
    let hours = due
        .members
        .first()
        .map(|m| {
            m.today
                .iter()
                .map(|(_, o, c, _)| format!("{}–{}", hm(*o), hm(*c)))
                .collect::<Vec<_>>()
                .join(u.t.0.pick("、", ", "))
        })
        .unwrap_or_default();
    Ok(SlipPage {
        t: u.t,
        hours,
        nav: u.nav.clone(),
        id,
        address: due.household.address,
        url,
        qr,
        until,
    }
    .into_response())
}
