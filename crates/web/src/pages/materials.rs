//! Sampling materials pages (物资): a point's page (its day reconciled per kind with what
//! runs low, the batches it received, the forms to record a batch, returns and spoilage, and
//! to change the point); and the transport group's page, every point's day with the low ones
//! first ("转运箱码够不够"). The list of points is in `points.rs`. Every read and write goes through `doorstep_app::rounds::RoundDesk`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use doorstep_app::access::Action;
use doorstep_app::error::AppError;
use doorstep_app::rounds::{BatchInput, CodesInput, CountInput, PointMaterials};
use doorstep_core::problem::FieldProblem;
use doorstep_core::{CodeSet, MaterialKind};
use serde::Deserialize;

use super::points::{Errors, PointPost, PointView, create, list, places, round_of, short_place};
use super::rounds::desk;
use super::{Nav, PageError, PageUser};
use crate::AppState;
use crate::i18n::T;

/// The routes of these pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/rounds/{id}/points", get(list).post(create))
        .route("/rounds/{id}/points/{point_id}", get(show).post(edit))
        .route("/rounds/{id}/points/{point_id}/batches", post(add_batch))
        .route("/rounds/{id}/points/{point_id}/counts", post(set_counts))
        .route("/rounds/{id}/materials", get(round_materials))
}

/// One kind's line of the day's reconciliation.
pub struct LedgerLine {
    label: &'static str,
    issued: i64,
    used: i64,
    returned: i64,
    spoiled: i64,
    remaining: i64,
    balanced: bool,
    low: bool,
    /// Nothing issued, used or counted: shown as a dash.
    empty: bool,
}

fn ledger_lines(m: &PointMaterials, t: T) -> Vec<LedgerLine> {
    m.ledgers
        .iter()
        .map(|l| LedgerLine {
            label: l.kind.label(t.0),
            issued: l.ledger.issued,
            used: l.ledger.used,
            returned: l.ledger.returned,
            spoiled: l.ledger.spoiled,
            remaining: l.ledger.remaining(),
            balanced: l.ledger.balanced(),
            low: l.low,
            empty: l.ledger == doorstep_core::Ledger::default(),
        })
        .collect()
}

/// The kinds that run low, named.
fn low_names(m: &PointMaterials, t: T) -> String {
    m.ledgers
        .iter()
        .filter(|l| l.low)
        .map(|l| l.kind.label(t.0))
        .collect::<Vec<_>>()
        .join(t.0.pick("、", ", "))
}

/// A batch as a line.
pub struct BatchLine {
    label: &'static str,
    codes: String,
    quantity: i64,
    used: i64,
    by: String,
}

/// The batch form as typed.
#[derive(Debug, Default)]
pub struct BatchView {
    kind: String,
    codes: String,
    quantity: String,
}

/// A point's page.
#[derive(Template, WebTemplate)]
#[template(path = "point.html")]
pub struct PointPage {
    t: T,
    nav: Nav,
    csrf: String,
    round_id: i64,
    round_name: String,
    id: i64,
    name: String,
    place: String,
    staff: String,
    day: String,
    low: String,
    ledgers: Vec<LedgerLine>,
    batches: Vec<BatchLine>,
    /// (code, label, selected).
    kinds: Vec<(&'static str, &'static str, bool)>,
    can_supply: bool,
    can_edit: bool,
    places: Vec<(String, String)>,
    edit: PointView,
    batch: BatchView,
    errors: Errors,
}

#[allow(clippy::too_many_arguments)]
async fn point_page(
    s: &AppState,
    u: &PageUser,
    id: i64,
    point_id: i64,
    day: &str,
    edit: Option<PointView>,
    batch: BatchView,
    errors: Errors,
) -> Result<PointPage, PageError> {
    let d = desk(s, u);
    let m = d
        .point_materials(id, point_id, day)
        .await
        .map_err(|e| u.fail(e))?;
    let r = round_of(s, u, id).await?;
    let p = &m.point;
    let can_edit = u.who.authorize(Action::ManageRounds, &p.place).is_ok();
    let can_supply = can_edit || u.who.authorize(Action::Transport, &p.place).is_ok();
    let edit = edit.unwrap_or_else(|| PointView {
        name: p.name.clone(),
        place: p.place.to_string(),
        staff: p.staff.join(" "),
    });
    Ok(PointPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        round_id: r.id,
        round_name: r.name.clone(),
        id: p.id,
        name: p.name.clone(),
        place: p.place.to_string(),
        staff: p.staff.join("、"),
        day: m.day.to_string(),
        low: low_names(&m, u.t),
        ledgers: ledger_lines(&m, u.t),
        batches: m
            .batches
            .iter()
            .map(|b| BatchLine {
                label: b.batch.kind.label(u.t.0),
                codes: b
                    .batch
                    .codes
                    .as_ref()
                    .map(CodeSet::describe)
                    .unwrap_or_default(),
                quantity: b.batch.quantity,
                used: b.used,
                by: b.batch.by.clone(),
            })
            .collect(),
        kinds: MaterialKind::ALL
            .into_iter()
            .map(|k| {
                let picked = MaterialKind::parse(&batch.kind).unwrap_or(MaterialKind::Tube);
                (k.code(), k.label(u.t.0), k == picked)
            })
            .collect(),
        can_supply,
        can_edit,
        places: if can_edit {
            places(s, u, &r).await?
        } else {
            Vec::new()
        },
        edit,
        batch,
        errors,
    })
}

/// Which day.
#[derive(Debug, Default, Deserialize)]
struct DayQuery {
    #[serde(default)]
    day: String,
}

async fn show(
    State(s): State<AppState>,
    u: PageUser,
    Path((id, point_id)): Path<(i64, i64)>,
    Query(q): Query<DayQuery>,
) -> Result<PointPage, PageError> {
    point_page(
        &s,
        &u,
        id,
        point_id,
        &q.day,
        None,
        BatchView::default(),
        Errors::default(),
    )
    .await
}

async fn edit(
    State(s): State<AppState>,
    u: PageUser,
    Path((id, point_id)): Path<(i64, i64)>,
    Form(f): Form<PointPost>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let back = format!("/rounds/{id}/points/{point_id}");
    let (status, errors) = match desk(&s, &u).update_point(id, point_id, &f.form()).await {
        Ok(_) => return Ok(Redirect::to(&back).into_response()),
        Err(AppError::Validation(problems)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, Errors::of(&problems, u.t))
        }
        Err(AppError::Conflict(c)) => (
            StatusCode::CONFLICT,
            Errors(vec![("name".into(), c.message(u.t.0).to_string())]),
        ),
        Err(e) => return Err(u.fail(e)),
    };
    let page = point_page(
        &s,
        &u,
        id,
        point_id,
        "",
        Some(f.view()),
        BatchView::default(),
        errors,
    )
    .await?;
    Ok((status, page).into_response())
}

/// The point's page again (422) with the problems of a batch or count form, as typed
/// (`batch`).
async fn refused(
    s: &AppState,
    u: &PageUser,
    id: i64,
    point_id: i64,
    day: &str,
    batch: BatchView,
    problems: &[FieldProblem],
) -> Result<Response, PageError> {
    let errors = Errors::of(problems, u.t);
    let page = point_page(s, u, id, point_id, day, None, batch, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// A batch as posted.
#[derive(Debug, Default, Deserialize)]
struct BatchPost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    codes: String,
    #[serde(default)]
    quantity: String,
}

async fn add_batch(
    State(s): State<AppState>,
    u: PageUser,
    Path((id, point_id)): Path<(i64, i64)>,
    Form(f): Form<BatchPost>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let swab = MaterialKind::parse(&f.kind) == Some(MaterialKind::Swab);
    let input = BatchInput {
        kind: f.kind.clone(),
        day: f.day.clone(),
        codes: if swab {
            CodesInput::None
        } else {
            CodesInput::Text(f.codes.clone())
        },
        quantity: f.quantity.clone(),
    };
    match desk(&s, &u).add_batch(id, point_id, &input).await {
        Ok(b) => Ok(
            Redirect::to(&format!("/rounds/{id}/points/{point_id}?day={}", b.day)).into_response(),
        ),
        Err(AppError::Validation(problems)) => {
            let view = BatchView {
                kind: f.kind,
                codes: f.codes,
                quantity: f.quantity,
            };
            refused(&s, &u, id, point_id, &f.day, view, &problems).await
        }
        Err(e) => Err(u.fail(e)),
    }
}

/// Returns and spoilage as posted.
#[derive(Debug, Default, Deserialize)]
struct CountPost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    returned: String,
    #[serde(default)]
    spoiled: String,
}

async fn set_counts(
    State(s): State<AppState>,
    u: PageUser,
    Path((id, point_id)): Path<(i64, i64)>,
    Form(f): Form<CountPost>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let input = CountInput {
        kind: f.kind.clone(),
        day: f.day.clone(),
        returned: f.returned.clone(),
        spoiled: f.spoiled.clone(),
    };
    match desk(&s, &u).set_counts(id, point_id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/rounds/{id}/points/{point_id}?day={}",
            f.day.trim()
        ))
        .into_response()),
        Err(AppError::Validation(problems)) => {
            refused(&s, &u, id, point_id, "", BatchView::default(), &problems).await
        }
        Err(e) => Err(u.fail(e)),
    }
}

/// One point on the transport group's page.
pub struct PointCard {
    href: String,
    name: String,
    place: String,
    low: String,
    ledgers: Vec<LedgerLine>,
}

/// Every point's day, the low ones first: the transport group's page.
#[derive(Template, WebTemplate)]
#[template(path = "round_materials.html")]
pub struct RoundMaterialsPage {
    t: T,
    nav: Nav,
    round_id: i64,
    round_name: String,
    day: String,
    cards: Vec<PointCard>,
}

async fn round_materials(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<DayQuery>,
) -> Result<RoundMaterialsPage, PageError> {
    let d = desk(&s, &u);
    let mut all = d.round_materials(id, &q.day).await.map_err(|e| u.fail(e))?;
    all.sort_by_key(|m| !m.low());
    let r = round_of(&s, &u, id).await?;
    let day = match all.first() {
        Some(m) => m.day.to_string(),
        None => doorstep_core::daily::day_or(&q.day, u.ctx.today())
            .unwrap_or_else(|_| u.ctx.today())
            .to_string(),
    };
    Ok(RoundMaterialsPage {
        t: u.t,
        nav: u.nav.clone(),
        round_id: r.id,
        round_name: r.name,
        day,
        cards: all
            .iter()
            .map(|m| PointCard {
                href: format!("/rounds/{id}/points/{}?day={}", m.point.id, m.day),
                name: m.point.name.clone(),
                place: short_place(&m.point.place),
                low: low_names(m, u.t),
                ledgers: ledger_lines(m, u.t),
            })
            .collect(),
    })
}
