//! Checkpoints at compound gates (卡口值守) for staff: the area's gates (`/checkpoints`), a
//! gate's register on the phone (`/checkpoints/{id}`: scan or note, the verdict in large
//! type, a refusal's exception form, the latest passages, the duty shifts) and the counts per
//! gate and hour (`/checkpoints/counts`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use doorstep_app::access::Action;
use doorstep_app::checkpoints::{
    CheckpointDesk, GateCounts, PassageInput, PassageView, ShiftInput,
};
use doorstep_app::clock::china_minute;
use doorstep_app::error::AppError;
use doorstep_app::staff::StaffDesk;
use doorstep_core::checkpoints::{Direction, SubjectKind, Verdict};
use doorstep_store::{Checkpoint, PageRequest};
use serde::Deserialize;

use super::{Nav, PageError, PageUser};
use crate::AppState;
use crate::i18n::T;

/// One passage as a line of the register.
pub struct PassageLine {
    pub id: i64,
    pub at: String,
    pub direction: &'static str,
    /// Who: a masked name with a masked ID number, a plate.
    pub who: String,
    pub kind: &'static str,
    pub verdict_code: &'static str,
    pub verdict: &'static str,
    /// What it heeded, in words.
    pub holds: Vec<&'static str>,
    pub temperature: String,
    pub reason: String,
    /// An exception: who allowed it and why.
    pub exception: String,
    pub recorded_by: String,
}

fn line(t: T, v: &PassageView) -> PassageLine {
    let p = &v.passage;
    let who = match p.subject {
        SubjectKind::Vehicle => p.plate.clone().unwrap_or_default(),
        _ => [
            p.name.clone().unwrap_or_default(),
            p.id_number.clone().unwrap_or_default(),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" "),
    };
    PassageLine {
        id: p.id,
        at: china_minute(p.at),
        direction: p.direction.label(t.0),
        who,
        kind: p.subject.label(t.0),
        verdict_code: p.verdict.code(),
        verdict: p.verdict.label(t.0),
        holds: p.holds.iter().map(|h| h.label(t.0)).collect(),
        temperature: v.temperature.clone().unwrap_or_default(),
        reason: p.reason.clone(),
        exception: match (&p.allowed_by, &p.exception_reason) {
            (Some(by), Some(why)) => format!("{by} · {why}"),
            _ => String::new(),
        },
        recorded_by: p.recorded_by.clone(),
    }
}

/// A gate in the list, with today's totals.
pub struct GateLine {
    pub id: i64,
    pub name: String,
    pub area: String,
    pub entered: i64,
    pub left: i64,
    pub refused: i64,
}

/// The area's gates.
#[derive(Template, WebTemplate)]
#[template(path = "checkpoints.html")]
pub struct CheckpointsPage {
    t: T,
    nav: Nav,
    csrf: String,
    area: String,
    gates: Vec<GateLine>,
    may_manage: bool,
}

/// A list's area.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AreaQuery {
    area: String,
    date: String,
}

/// `GET /checkpoints`: the gates under the user's area (or `area`) with today's counts.
async fn list(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<AreaQuery>,
) -> Result<Response, PageError> {
    let (_, counts) = CheckpointDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .counts(&q.area, "")
        .await
        .map_err(|e| u.fail(e))?;
    let gates = counts
        .iter()
        .map(|g| GateLine {
            id: g.checkpoint.id,
            name: g.checkpoint.name.clone(),
            area: g.checkpoint.area_path.to_string(),
            entered: g.total.entered,
            left: g.total.left,
            refused: g.total.refused,
        })
        .collect();
    Ok(CheckpointsPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        area: if q.area.is_empty() {
            u.user.area_path.to_string()
        } else {
            q.area.clone()
        },
        gates,
        may_manage: u.who.may(Action::ManageCheckpoints),
    }
    .into_response())
}

/// A new gate.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AddForm {
    csrf: String,
    area: String,
    name: String,
}

/// `POST /checkpoints`: sets up a gate and opens its register.
async fn add(
    State(s): State<AppState>,
    u: PageUser,
    Form(f): Form<AddForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let c = CheckpointDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .add(&f.area, &f.name)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(Redirect::to(&format!("/checkpoints/{}", c.id)).into_response())
}

/// A shift as a line.
pub struct ShiftLine {
    pub task_id: i64,
    pub when: String,
    pub assignee: String,
    pub status: &'static str,
}

/// What the last scan gave, shown large at the top.
pub struct Outcome {
    pub line: PassageLine,
    pub refused: bool,
}

/// A gate's register.
#[derive(Template, WebTemplate)]
#[template(path = "checkpoint.html")]
pub struct CheckpointPage {
    t: T,
    nav: Nav,
    csrf: String,
    gate: Checkpoint,
    client_id: String,
    /// The form as sent (kept after a problem).
    form: RegisterForm,
    /// What a refusal's exception form carries again (the refused scan).
    held: RegisterForm,
    directions: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    outcome: Option<Outcome>,
    lines: Vec<PassageLine>,
    shifts: Vec<ShiftLine>,
    staff: Vec<(i64, String)>,
    may_manage: bool,
}

/// The register form.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
struct RegisterForm {
    csrf: String,
    client_id: String,
    subject: String,
    scan: String,
    visitor_name: String,
    plate: String,
    direction: String,
    reason: String,
    temperature: String,
    allowed_by: String,
    exception_reason: String,
}

/// The last passage to show (`?last=`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct GateQuery {
    last: Option<i64>,
}

async fn gate_page(
    s: &AppState,
    u: &PageUser,
    id: i64,
    form: RegisterForm,
    error: Option<String>,
    outcome: Option<Outcome>,
) -> Result<CheckpointPage, PageError> {
    let desk = CheckpointDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let gate = desk.get(id).await.map_err(|e| u.fail(e))?;
    let lines = desk
        .passages(id)
        .await
        .map_err(|e| u.fail(e))?
        .iter()
        .map(|v| line(u.t, v))
        .collect();
    let shifts = desk
        .shifts(id)
        .await
        .map_err(|e| u.fail(e))?
        .iter()
        .map(|s| ShiftLine {
            task_id: s.task_id,
            when: format!(
                "{} – {}",
                china_minute(s.starts_at),
                china_minute(s.ends_at)
            ),
            assignee: s
                .assignee
                .clone()
                .unwrap_or_else(|| u.t.s("cp_unassigned").to_string()),
            status: s.status.label(u.t.0),
        })
        .collect();
    let may_manage = u.who.may(Action::ManageCheckpoints);
    let staff = if may_manage {
        StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx)
            .list(
                None,
                None,
                Some(true),
                None,
                PageRequest {
                    offset: 0,
                    limit: 200,
                },
            )
            .await
            .map_err(|e| u.fail(e))?
            .items
            .into_iter()
            .map(|m| (m.id, m.fields.name))
            .collect()
    } else {
        Vec::new()
    };
    Ok(CheckpointPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        gate,
        client_id: doorstep_app::auth::random_hex(16).map_err(|e| u.fail(e))?,
        held: RegisterForm::default(),
        form,
        directions: Direction::ALL
            .iter()
            .map(|d| (d.code(), d.label(u.t.0)))
            .collect(),
        error,
        outcome,
        lines,
        shifts,
        staff,
        may_manage,
    })
}

/// `GET /checkpoints/{id}`: the register, with the last passage (`?last=`) shown large.
async fn gate(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<GateQuery>,
) -> Result<Response, PageError> {
    let mut page = gate_page(&s, &u, id, RegisterForm::default(), None, None).await?;
    if let Some(last) = q.last {
        // The line is on the page already (the newest 50); a passage elsewhere shows nothing.
        let desk = CheckpointDesk::new(s.store.as_ref(), &u.who, &u.ctx);
        if let Some(v) = desk
            .passages(id)
            .await
            .map_err(|e| u.fail(e))?
            .iter()
            .find(|v| v.passage.id == last)
        {
            page.outcome = Some(Outcome {
                refused: v.passage.verdict == Verdict::Refused,
                line: line(u.t, v),
            });
        }
    }
    // The direction chosen last stays chosen (a guard scans a queue one way).
    page.form.direction = page
        .outcome
        .as_ref()
        .map(|o| {
            if o.line.direction == Direction::Out.label(u.t.0) {
                "out".to_string()
            } else {
                "in".to_string()
            }
        })
        .unwrap_or_else(|| "in".into());
    Ok(page.into_response())
}

/// `POST /checkpoints/{id}/register`: records a passage. Passed: back to the register with
/// it shown; refused: the register again with the exception form holding what was scanned.
async fn register(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<RegisterForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let input = PassageInput {
        client_id: f.client_id.clone(),
        subject: f.subject.clone(),
        scan: f.scan.clone(),
        visitor_name: f.visitor_name.clone(),
        plate: f.plate.clone(),
        direction: f.direction.clone(),
        reason: f.reason.clone(),
        temperature: f.temperature.clone(),
        allowed_by: f.allowed_by.clone(),
        exception_reason: f.exception_reason.clone(),
    };
    match CheckpointDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .register(id, &input)
        .await
    {
        Ok(done) if done.view.passage.verdict == Verdict::Refused => {
            let outcome = Outcome {
                line: line(u.t, &done.view),
                refused: true,
            };
            // The register is clear for the next person; the exception form holds the scan.
            let next = RegisterForm {
                direction: f.direction.clone(),
                ..RegisterForm::default()
            };
            let mut page = gate_page(&s, &u, id, next, None, Some(outcome)).await?;
            page.held = f;
            Ok(page.into_response())
        }
        Ok(done) => Ok(Redirect::to(&format!(
            "/checkpoints/{id}?last={}#outcome",
            done.view.passage.id
        ))
        .into_response()),
        Err(AppError::Validation(problems)) => {
            let msg = problems
                .iter()
                .map(|p| {
                    format!(
                        "{}：{}",
                        field_label(u.t, &p.path),
                        p.problem.message(u.t.0)
                    )
                })
                .collect::<Vec<_>>()
                .join("；");
            Ok(gate_page(&s, &u, id, f, Some(msg), None)
                .await?
                .into_response())
        }
        Err(e) => Err(u.fail(e)),
    }
}

/// A register field's name, for a problem's message.
fn field_label(t: T, path: &str) -> &'static str {
    match path {
        "scan" => t.s("cp_scan"),
        "visitor_name" => t.s("cp_visitor_name"),
        "plate" => t.s("cp_plate"),
        "direction" => t.s("cp_direction"),
        "reason" => t.s("cp_reason"),
        "temperature" => t.s("cp_temperature"),
        "allowed_by" => t.s("cp_allowed_by"),
        "exception_reason" => t.s("cp_exception_reason"),
        "subject" => t.s("cp_subject"),
        _ => t.s("cp_resend"),
    }
}

/// A shift form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ShiftForm {
    csrf: String,
    assignee_id: String,
    starts: String,
    ends: String,
    note: String,
}

/// `POST /checkpoints/{id}/shifts`: puts someone on duty at the gate (a task).
async fn add_shift(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<ShiftForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    CheckpointDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .add_shift(
            id,
            &ShiftInput {
                assignee_id: f.assignee_id.trim().parse().ok(),
                starts: f.starts,
                ends: f.ends,
                note: f.note,
            },
        )
        .await
        .map_err(|e| u.fail(e))?;
    Ok(Redirect::to(&format!("/checkpoints/{id}#shifts")).into_response())
}

/// The counts of a day.
#[derive(Template, WebTemplate)]
#[template(path = "checkpoint_counts.html")]
pub struct CountsPage {
    t: T,
    nav: Nav,
    area: String,
    date: String,
    gates: Vec<GateCounts>,
}

/// `GET /checkpoints/counts`: passages per gate and hour of a day.
async fn counts(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<AreaQuery>,
) -> Result<Response, PageError> {
    let (day, gates) = CheckpointDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .counts(&q.area, &q.date)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(CountsPage {
        t: u.t,
        nav: u.nav.clone(),
        area: q.area.clone(),
        date: day.to_string(),
        gates,
    }
    .into_response())
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/checkpoints", get(list).post(add))
        .route("/checkpoints/counts", get(counts))
        .route("/checkpoints/{id}", get(gate))
        .route("/checkpoints/{id}/register", post(register))
        .route("/checkpoints/{id}/shifts", post(add_shift))
        .route("/static/checkpoints.css", get(css))
}

async fn css() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/checkpoints.css"),
    )
}
