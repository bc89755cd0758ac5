//! The sampling points pages (采样点): a round's points with the form to add one, the
//! field problems these pages show, and the sampler page's choice of point. A point's own
//! page, with its materials, is in `materials.rs`. Every read and write goes through
//! `doorstep_app::rounds::RoundDesk`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use doorstep_app::access::Action;
use doorstep_app::error::AppError;
use doorstep_app::rounds::PointForm;
use doorstep_core::problem::FieldProblem;
use doorstep_core::text::natural_cmp;
use doorstep_core::{AreaKind, AreaPath};
use doorstep_store::{Round, SamplingPoint};
use serde::Deserialize;

use super::rounds::desk;
use super::{Nav, PageError, PageUser};
use crate::AppState;
use crate::i18n::T;

/// The round a points or materials page is about, read after the desk has answered for
/// its points (which checked the caller's area): 404 when it is gone.
pub(super) async fn round_of(s: &AppState, u: &PageUser, id: i64) -> Result<Round, PageError> {
    s.store
        .round(id)
        .await
        .map_err(|e| u.fail(e.into()))?
        .ok_or_else(|| u.fail(AppError::NotFound))
}

/// Field problems by field, in the page's language; the first problem of a field wins.
#[derive(Debug, Default)]
pub struct Errors(pub(super) Vec<(String, String)>);

impl Errors {
    pub(super) fn of(problems: &[FieldProblem], t: T) -> Errors {
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
pub(super) fn short_place(path: &AreaPath) -> String {
    let names: Vec<&str> = path.names().collect();
    names[names.len().saturating_sub(2)..].join(" ")
}

/// The point form as typed.
#[derive(Debug, Default)]
pub struct PointView {
    pub(super) name: String,
    pub(super) place: String,
    pub(super) staff: String,
}

/// The places a point may stand: the round's areas and their compounds inside the user's
/// area, as (path, name).
pub(super) async fn places(
    s: &AppState,
    u: &PageUser,
    r: &Round,
) -> Result<Vec<(String, String)>, PageError> {
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
    let r = round_of(s, u, id).await?;
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

pub(super) async fn list(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
) -> Result<PointsPage, PageError> {
    points_page(&s, &u, id, PointView::default(), Errors::default()).await
}

/// The point form as posted.
#[derive(Debug, Default, Deserialize)]
pub(super) struct PointPost {
    #[serde(default)]
    pub(super) csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    staff: String,
}

impl PointPost {
    pub(super) fn form(&self) -> PointForm {
        PointForm {
            name: self.name.clone(),
            place: self.place.clone(),
            staff: PointForm::staff_from_text(&self.staff),
        }
    }

    pub(super) fn view(&self) -> PointView {
        PointView {
            name: self.name.clone(),
            place: self.place.clone(),
            staff: self.staff.clone(),
        }
    }
}

pub(super) async fn create(
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
