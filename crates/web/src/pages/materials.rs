//! Sampling points and materials pages (采样点、物资): a round's points with the form to add
//! one; a point's page (its day reconciled per kind with what runs low, the batches it
//! received, the forms to record a batch, returns and spoilage, and to change the point);
//! and the transport group's page, every point's day with the low ones first
//! ("转运箱码够不够"). Every read and write goes through `doorstep_app::rounds::RoundDesk`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use doorstep_app::access::Action;
use doorstep_app::error::AppError;
use doorstep_app::rounds::{
    BatchInput, CodesInput, CountInput, PointForm, PointMaterials, RoundDesk,
};
use doorstep_core::problem::FieldProblem;
use doorstep_core::text::natural_cmp;
use doorstep_core::{AreaKind, AreaPath, CodeSet, MaterialKind};
use doorstep_store::{Round, SamplingPoint};
use serde::Deserialize;

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

fn desk<'a>(s: &'a AppState, u: &'a PageUser) -> RoundDesk<'a> {
    RoundDesk::new(s.store.as_ref(), &u.who, &u.ctx)
}

/// Field problems by field, in the page's language; the first problem of a field wins.
#[derive(Debug, Default)]
pub struct Errors(Vec<(String, String)>);

impl Errors {
    fn of(problems: &[FieldProblem], t: T) -> Errors {
        let mut out: Vec<(String, String)> = Vec::new();
        for p in problems {
            // `codes[3]` and `staff[0]` are shown at their box.
            let field = p.path.split('[').next().unwrap_or_default().to_string();
            let field = if field == "range" {
                "codes".into()
            } else {
                field
            };
            let text = match p.path.split_once('[') {
                Some((_, rest)) => format!(
                    "{} {}: {}",
                    t.0.pick("第", "item"),
                    rest.trim_end_matches(']')
                        .parse::<usize>()
                        .map_or(0, |i| i + 1),
                    p.problem.message(t.0)
                ),
                None => p.problem.message(t.0),
            };
            if !out.iter().any(|(f, _)| *f == field) {
                out.push((field, text));
            }
        }
        Errors(out)
    }

    /// The problem at `field`, if any.
    pub fn at(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every problem, (field, message), for the summary.
    pub fn list(&self) -> &[(String, String)] {
        &self.0
    }

    /// The id of the point page's control for `field` (the summary links to it).
    pub fn anchor(&self, field: &str) -> &'static str {
        match field {
            "codes" => "b-codes",
            "quantity" => "b-quantity",
            "kind" => "b-kind",
            "day" => "m-day",
            "returned" => "c-returned",
            "spoiled" => "c-spoiled",
            "name" => "e-name",
            "place" => "e-place",
            _ => "e-staff",
        }
    }
}

/// A point as a line of the list.
pub struct PointLine {
    href: String,
    name: String,
    place: String,
    staff: String,
}

fn line(round_id: i64, p: &SamplingPoint) -> PointLine {
    PointLine {
        href: format!("/rounds/{round_id}/points/{}", p.id),
        name: p.name.clone(),
        place: short_place(&p.place),
        staff: p.staff.join("、"),
    }
}

/// The last two names of a path: "佳纷天地 1号楼", or the compound alone.
fn short_place(path: &AreaPath) -> String {
    let names: Vec<&str> = path.names().collect();
    names[names.len().saturating_sub(2)..].join(" ")
}

/// The point form as typed.
#[derive(Debug, Default)]
pub struct PointView {
    name: String,
    place: String,
    staff: String,
}

/// The places a point may stand: the round's areas and their compounds inside the user's
/// area, as (path, name).
async fn places(s: &AppState, u: &PageUser, r: &Round) -> Result<Vec<(String, String)>, PageError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for a in &r.areas {
        if u.who.covers(a) {
            out.push((a.to_string(), short_place(a)));
        }
        let found = s
            .store
            .areas_of_kind(a, AreaKind::Compound)
            .await
            .map_err(|e| u.fail(e.into()))?;
        for c in found {
            if u.who.covers(&c.path) && !out.iter().any(|(p, _)| p == c.path.as_str()) {
                out.push((c.path.to_string(), short_place(&c.path)));
            }
        }
    }
    out.sort_by(|a, b| natural_cmp(&a.0, &b.0));
    Ok(out)
}

/// A round's sampling points, with the form to add one.
#[derive(Template, WebTemplate)]
#[template(path = "points.html")]
pub struct PointsPage {
    t: T,
    nav: Nav,
    csrf: String,
    round_id: i64,
    round_name: String,
    points: Vec<PointLine>,
    can_create: bool,
    places: Vec<(String, String)>,
    form: PointView,
    errors: Errors,
}

async fn points_page(
    s: &AppState,
    u: &PageUser,
    id: i64,
    form: PointView,
    errors: Errors,
) -> Result<PointsPage, PageError> {
    let d = desk(s, u);
    let points = d.points(id).await.map_err(|e| u.fail(e))?;
    let r = s
        .store
        .round(id)
        .await
        .map_err(|e| u.fail(e.into()))?
        .ok_or_else(|| u.fail(AppError::NotFound))?;
    let can_create = u.who.authorize(Action::ManageRounds, &r.area_path).is_ok();
    Ok(PointsPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        round_id: r.id,
        round_name: r.name.clone(),
        points: points.iter().map(|p| line(r.id, p)).collect(),
        can_create,
        places: if can_create {
            places(s, u, &r).await?
        } else {
            Vec::new()
        },
        form,
        errors,
    })
}

async fn list(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> Result<PointsPage, PageError> {
    points_page(&s, &u, id, PointView::default(), Errors::default()).await
}

/// The point form as posted.
#[derive(Debug, Default, Deserialize)]
struct PointPost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    staff: String,
}

impl PointPost {
    fn form(&self) -> PointForm {
        PointForm {
            name: self.name.clone(),
            place: self.place.clone(),
            staff: PointForm::staff_from_text(&self.staff),
        }
    }

    fn view(&self) -> PointView {
        PointView {
            name: self.name.clone(),
            place: self.place.clone(),
            staff: self.staff.clone(),
        }
    }
}

async fn create(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<PointPost>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    match desk(&s, &u).create_point(id, &f.form()).await {
        Ok(p) => Ok(Redirect::to(&format!("/rounds/{id}/points/{}", p.id)).into_response()),
        Err(AppError::Validation(problems)) => {
            let errors = Errors::of(&problems, u.t);
            let page = points_page(&s, &u, id, f.view(), errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(AppError::Conflict(c)) => {
            let errors = Errors(vec![("name".into(), c.message(u.t.0).to_string())]);
            let page = points_page(&s, &u, id, f.view(), errors).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(u.fail(e)),
    }
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
    let r = s
        .store
        .round(id)
        .await
        .map_err(|e| u.fail(e.into()))?
        .ok_or_else(|| u.fail(AppError::NotFound))?;
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
            let errors = Errors::of(&problems, u.t);
            let page = point_page(&s, &u, id, point_id, &f.day, None, view, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
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
            let errors = Errors::of(&problems, u.t);
            let page =
                point_page(&s, &u, id, point_id, "", None, BatchView::default(), errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
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
    let r = s
        .store
        .round(id)
        .await
        .map_err(|e| u.fail(e.into()))?
        .ok_or_else(|| u.fail(AppError::NotFound))?;
    let day = match all.first() {
        Some(m) => m.day.to_string(),
        None => doorstep_app::rounds::parse_day(&q.day, u.ctx.today())
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

/// The sampler page's choice of point: the round's points near the sampler, as (id, name),
/// and the one chosen (asked for, else the one the sampler is staff of).
pub(crate) async fn sampler_points(
    s: &AppState,
    u: &PageUser,
    round_id: i64,
    asked: Option<i64>,
) -> Result<(Vec<(i64, String)>, Option<i64>), PageError> {
    let points = desk(s, u).points(round_id).await.map_err(|e| u.fail(e))?;
    let me = u.user.username.as_str();
    let mine: Vec<i64> = points
        .iter()
        .filter(|p| p.staff.iter().any(|x| x == me))
        .map(|p| p.id)
        .collect();
    let chosen = asked
        .filter(|a| points.iter().any(|p| p.id == *a))
        .or(match mine.as_slice() {
            [one] => Some(*one),
            _ => None,
        });
    Ok((
        points.iter().map(|p| (p.id, p.name.clone())).collect(),
        chosen,
    ))
}
