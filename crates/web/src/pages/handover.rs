//! The transport group's and the lab's phone pages, and the printable handover slip:
//! `/transport` (sealed boxes waiting for pickup in the user's area, ticked onto a slip),
//! `/handovers/{id}` (the A4 交接单 with both signature lines), `/lab/receive` (scan a box,
//! see its sealed count, enter the lab's own). Every page goes through
//! `doorstep_app::rounds::HandoverDesk`, as the API does.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use doorstep_app::clock::china_minute;
use doorstep_app::error::AppError;
use doorstep_app::rounds::{HandoverDesk, HandoverForm};
use doorstep_core::BoxStatus;
use doorstep_store::TransportBox;
use serde::Deserialize;

use super::{Nav, PageError, PageUser, urlencode};
use crate::AppState;
use crate::i18n::T;

/// The routes of these pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/transport", get(transport).post(hand_over))
        .route("/handovers/{id}", get(slip))
        .route("/lab/receive", get(lab_receive).post(receive))
        .route("/static/handover.css", get(css))
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/handover.css"),
    )
}

fn desk<'a>(s: &'a AppState, u: &'a PageUser) -> HandoverDesk<'a> {
    HandoverDesk::new(s.store.as_ref(), &u.who, &u.ctx)
}

/// What a refusal says on the page itself (the form stays as typed); `None` for the ones that
/// are the error page's (not found, forbidden, failures).
fn refusal(e: &AppError, t: T) -> Option<String> {
    match e {
        AppError::Validation(problems) => Some(
            problems
                .iter()
                .map(|p| p.problem.message(t.0))
                .collect::<Vec<_>>()
                .join(t.0.pick("；", "; ")),
        ),
        AppError::Conflict(c) => Some(c.message(t.0).to_string()),
        _ => None,
    }
}

/// A box as the pages list it.
pub struct BoxLine {
    code: String,
    area: String,
    tubes: i64,
    persons: i64,
    sealed: String,
    sealed_by: String,
    checked: bool,
}

impl BoxLine {
    fn of(b: &TransportBox, checked: &[String]) -> BoxLine {
        BoxLine {
            code: b.code.to_string(),
            area: b.area_path.name().to_string(),
            tubes: b.tubes,
            persons: b.persons,
            sealed: b.sealed_at.map(china_minute).unwrap_or_default(),
            sealed_by: b.sealed_by.clone().unwrap_or_default(),
            checked: checked
                .iter()
                .any(|c| c.eq_ignore_ascii_case(b.code.as_str())),
        }
    }
}

/// The transport group's list: sealed boxes waiting, and the slip's form.
#[derive(Template, WebTemplate)]
#[template(path = "handover_transport.html")]
pub struct TransportPage {
    t: T,
    nav: Nav,
    csrf: String,
    boxes: Vec<BoxLine>,
    /// The latest slips: (id, lab, carrier, handed over, received).
    slips: Vec<(i64, String, String, String, bool)>,
    error: Option<String>,
    carrier: String,
    lab: String,
    temperature: String,
    packaging_intact: bool,
    disinfected: bool,
}

/// The slip's form as posted (`boxes` repeated, one per ticked box).
#[derive(Debug, Default)]
struct SlipForm {
    csrf: String,
    boxes: Vec<String>,
    carrier: String,
    lab: String,
    temperature: String,
    packaging_intact: Option<String>,
    disinfected: Option<String>,
}

impl SlipForm {
    fn of(pairs: Vec<(String, String)>) -> SlipForm {
        let mut f = SlipForm::default();
        for (name, value) in pairs {
            match name.as_str() {
                "csrf" => f.csrf = value,
                "boxes" => f.boxes.push(value),
                "carrier" => f.carrier = value,
                "lab" => f.lab = value,
                "temperature" => f.temperature = value,
                "packaging_intact" => f.packaging_intact = Some(value),
                "disinfected" => f.disinfected = Some(value),
                _ => {}
            }
        }
        f
    }
}

async fn transport_page(
    s: &AppState,
    u: &PageUser,
    form: &SlipForm,
    error: Option<String>,
) -> Result<Response, PageError> {
    let boxes = desk(s, u).waiting().await.map_err(|e| u.fail(e))?;
    let slips = desk(s, u).recent().await.map_err(|e| u.fail(e))?;
    Ok(TransportPage {
        slips: slips
            .iter()
            .map(|h| {
                (
                    h.id,
                    h.lab.clone(),
                    h.carrier.clone(),
                    china_minute(h.handed_at),
                    h.received_at.is_some(),
                )
            })
            .collect(),
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        boxes: boxes.iter().map(|b| BoxLine::of(b, &form.boxes)).collect(),
        error,
        carrier: form.carrier.clone(),
        lab: form.lab.clone(),
        temperature: form.temperature.clone(),
        packaging_intact: form.packaging_intact.is_some(),
        disinfected: form.disinfected.is_some(),
    }
    .into_response())
}

async fn transport(State(s): State<AppState>, u: PageUser) -> Result<Response, PageError> {
    let form = SlipForm {
        packaging_intact: Some("on".into()),
        disinfected: Some("on".into()),
        ..SlipForm::default()
    };
    transport_page(&s, &u, &form, None).await
}

async fn hand_over(
    State(s): State<AppState>,
    u: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = SlipForm::of(pairs);
    u.check_csrf(&f.csrf)?;
    let made = desk(&s, &u)
        .create(&HandoverForm {
            boxes: f.boxes.clone(),
            carrier: f.carrier.clone(),
            lab: f.lab.clone(),
            packaging_intact: f.packaging_intact.is_some(),
            disinfected: f.disinfected.is_some(),
            temperature: f.temperature.clone(),
        })
        .await;
    match made {
        Ok(h) => Ok(Redirect::to(&format!("/handovers/{}", h.id)).into_response()),
        Err(e) => match refusal(&e, u.t) {
            Some(message) => transport_page(&s, &u, &f, Some(message)).await,
            None => Err(u.fail(e)),
        },
    }
}

/// A box on the printed slip.
pub struct SlipBox {
    code: String,
    tubes: i64,
    persons: i64,
    sealed: String,
    received: String,
    mismatch: bool,
    note: String,
}

/// The printable handover slip (交接单).
#[derive(Template, WebTemplate)]
#[template(path = "handover_slip.html")]
pub struct SlipPage {
    t: T,
    /// The slip prints both languages, whichever the user reads.
    zh: T,
    en: T,
    nav: Nav,
    id: i64,
    round: String,
    from: String,
    lab: String,
    carrier: String,
    packaging_intact: bool,
    disinfected: bool,
    temperature: String,
    sent_by: String,
    handed_at: String,
    received_by: String,
    received_at: String,
    transport: String,
    boxes: Vec<SlipBox>,
    tubes: i64,
    persons: i64,
    received_tubes: String,
}

async fn slip(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (h, boxes) = desk(&s, &u).handover(id).await.map_err(|e| u.fail(e))?;
    let round = s
        .store
        .round(h.round_id)
        .await
        .map_err(|e| u.fail(e.into()))?
        .map(|r| r.name)
        .unwrap_or_default();
    let all_in = !boxes.is_empty() && boxes.iter().all(|b| b.received_tubes.is_some());
    Ok(SlipPage {
        t: u.t,
        zh: T(doorstep_core::Lang::Zh),
        en: T(doorstep_core::Lang::En),
        nav: u.nav.clone(),
        id: h.id,
        round,
        from: h.area_path.names().skip(2).collect::<Vec<_>>().join(" "),
        lab: h.lab.clone(),
        carrier: h.carrier.clone(),
        packaging_intact: h.packaging_intact,
        disinfected: h.disinfected,
        temperature: h.temperature.map(|t| t.to_string()).unwrap_or_default(),
        sent_by: h.sent_by.clone(),
        handed_at: china_minute(h.handed_at),
        received_by: h.received_by.clone().unwrap_or_default(),
        received_at: h.received_at.map(china_minute).unwrap_or_default(),
        transport: h
            .received_at
            .map(|r| {
                let m = (r - h.handed_at).whole_minutes();
                format!("{}:{:02}", m / 60, m % 60)
            })
            .unwrap_or_default(),
        tubes: boxes.iter().map(|b| b.tubes).sum(),
        persons: boxes.iter().map(|b| b.persons).sum(),
        received_tubes: if all_in {
            boxes
                .iter()
                .filter_map(|b| b.received_tubes)
                .sum::<i64>()
                .to_string()
        } else {
            String::new()
        },
        boxes: boxes
            .iter()
            .map(|b| SlipBox {
                code: b.code.to_string(),
                tubes: b.tubes,
                persons: b.persons,
                sealed: b.sealed_at.map(china_minute).unwrap_or_default(),
                received: b.received_tubes.map(|n| n.to_string()).unwrap_or_default(),
                mismatch: b.received_tubes.is_some_and(|n| n != b.tubes),
                note: b.mismatch_note.clone().unwrap_or_default(),
            })
            .collect(),
    }
    .into_response())
}

/// The box the lab scanned, as its page shows it.
pub struct LabBox {
    code: String,
    status: String,
    received: bool,
    tubes: i64,
    persons: i64,
    area: String,
    handover: Option<i64>,
    carrier: String,
    handed_at: String,
    received_tubes: String,
}

/// The lab's receiving page.
#[derive(Template, WebTemplate)]
#[template(path = "lab_receive.html")]
pub struct LabReceivePage {
    t: T,
    nav: Nav,
    csrf: String,
    code: String,
    found: Option<LabBox>,
    not_found: bool,
    error: Option<String>,
    /// Which field the refusal is about: `tubes`, `note` or `temperature` (empty: none).
    invalid: &'static str,
    done: String,
    tubes: String,
    note: String,
    temperature: String,
}

/// What the lab's page was asked.
#[derive(Debug, Default, Deserialize)]
struct LabQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    done: String,
}

/// The receive form.
#[derive(Debug, Default, Deserialize)]
struct ReceiveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    tubes: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    temperature: String,
}

async fn lab_page(
    s: &AppState,
    u: &PageUser,
    f: &ReceiveForm,
    done: &str,
    error: Option<(String, &'static str)>,
) -> Result<Response, PageError> {
    let d = desk(s, u);
    if !u.who.may(doorstep_app::access::Action::LabResults) {
        return Err(u.fail(AppError::Forbidden));
    }
    let code = f.code.trim().to_string();
    let (found, not_found) = if code.is_empty() {
        (None, false)
    } else {
        match d.lab_box(&code).await {
            Ok(b) => (
                Some(LabBox {
                    code: b.code.to_string(),
                    status: b.status.label(u.t.0).to_string(),
                    received: b.status == BoxStatus::Received,
                    tubes: b.tubes,
                    persons: b.persons,
                    area: b.area_path.name().to_string(),
                    handover: b.handover_id,
                    carrier: b.carrier.clone().unwrap_or_default(),
                    handed_at: b.handed_at.map(china_minute).unwrap_or_default(),
                    received_tubes: b.received_tubes.map(|n| n.to_string()).unwrap_or_default(),
                }),
                false,
            ),
            Err(AppError::NotFound) => (None, true),
            Err(e) => return Err(u.fail(e)),
        }
    };
    Ok(LabReceivePage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        code,
        found,
        not_found,
        invalid: error.as_ref().map_or("", |e| e.1),
        error: error.map(|e| e.0),
        done: done.to_string(),
        tubes: f.tubes.clone(),
        note: f.note.clone(),
        temperature: f.temperature.clone(),
    }
    .into_response())
}

async fn lab_receive(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<LabQuery>,
) -> Result<Response, PageError> {
    let f = ReceiveForm {
        code: q.code,
        ..ReceiveForm::default()
    };
    lab_page(&s, &u, &f, &q.done, None).await
}

async fn receive(
    State(s): State<AppState>,
    u: PageUser,
    Form(f): Form<ReceiveForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let Ok(tubes) = f.tubes.trim().parse::<i64>() else {
        let message = u.t.s("ho_count_needed").to_string();
        return lab_page(&s, &u, &f, "", Some((message, "tubes"))).await;
    };
    match desk(&s, &u)
        .receive_box(&f.code, tubes, &f.note, &f.temperature)
        .await
    {
        // Back to an empty scan field, ready for the next box.
        Ok(b) => Ok(
            Redirect::to(&format!("/lab/receive?done={}", urlencode(b.code.as_str())))
                .into_response(),
        ),
        Err(e) => {
            // The field the refusal is about gets the focus and is marked.
            let field = match &e {
                AppError::Conflict(_) => "note",
                AppError::Validation(p) if p.iter().any(|p| p.path == "temperature") => {
                    "temperature"
                }
                AppError::Validation(p) if p.iter().any(|p| p.path == "note") => "note",
                _ => "tubes",
            };
            match refusal(&e, u.t) {
                Some(message) => lab_page(&s, &u, &f, "", Some((message, field))).await,
                None => Err(u.fail(e)),
            }
        }
    }
}

/// One line of the board's alerts.
pub struct AlertLine {
    pub(crate) href: String,
    pub(crate) label: String,
    pub(crate) detail: String,
}

/// What the top of the community board shows: the households of positive pools (their
/// persons' re-sampling tasks grouped by household) and the boxes late to the lab.
#[derive(Default)]
pub struct BoardAlerts {
    pub(crate) households: Vec<AlertLine>,
    pub(crate) late: Vec<AlertLine>,
    /// Supplies requests past their deadline (`pages::supplies::board_lines`).
    pub(crate) supplies: Vec<AlertLine>,
}

impl BoardAlerts {
    /// Whether there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self.households.is_empty() && self.late.is_empty() && self.supplies.is_empty()
    }
}

/// The board's alerts for this user (through `doorstep_app::rounds::board_alerts`, which
/// checks the board's own permission).
pub(crate) async fn board_alerts(s: &AppState, u: &PageUser) -> Result<BoardAlerts, PageError> {
    let (positive, late) = doorstep_app::rounds::board_alerts(s.store.as_ref(), &u.who)
        .await
        .map_err(|e| u.fail(e))?;
    let mut households: Vec<((i64, String), AlertLine, usize)> = Vec::new();
    for task in &positive {
        let key = (task.area_id, task.room.clone());
        match households.iter_mut().find(|(k, _, _)| *k == key) {
            Some((_, _, n)) => *n += 1,
            None => {
                let place = task.area_path.names().skip(3).collect::<Vec<_>>().join(" ");
                households.push((
                    key,
                    AlertLine {
                        href: format!("/tasks/{}", task.id),
                        label: format!("{place} {}", task.room),
                        detail: String::new(),
                    },
                    1,
                ));
            }
        }
    }
    let persons = u.t.s("ho_persons_unit");
    let supplies = super::supplies::board_lines(s, u).await?;
    Ok(BoardAlerts {
        supplies,
        households: households
            .into_iter()
            .map(|(_, mut line, n)| {
                line.detail = format!("{n} {persons}");
                line
            })
            .collect(),
        late: late
            .iter()
            .map(|task| AlertLine {
                href: format!("/tasks/{}", task.id),
                label: task.note.clone(),
                detail: task.status.label(u.t.0).to_string(),
            })
            .collect(),
    })
}
