//! The building map (楼栋图) pages: a building's (or unit's) households as a grid of floors ×
//! rooms coloured by their state in a round, with a legend that also reads without colour,
//! printable on A4; the form that sets how the building numbers its rooms; and the list of
//! a round's buildings under an area with links to their maps. Every read goes through
//! `doorstep_app::rounds::RoundDesk`; the map shows rooms and states, never persons.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use doorstep_app::error::AppError;
use doorstep_app::quarantine::QuarantineDesk;
use doorstep_app::rounds::{BuildingMap, MapSection, RoundDesk};
use doorstep_core::building::{QuarantineState, RoomDigits, TestState};
use doorstep_core::{AreaPath, Lang};
use serde::Deserialize;

use super::{PageError, PageUser, urlencode};
use crate::AppState;
use crate::i18n::T;

/// The routes of these pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/rounds/{id}/maps", get(buildings))
        .route("/rounds/{id}/map/{area_id}", get(map))
        .route("/rounds/{id}/map/{area_id}/digits", post(set_digits))
        .route("/quarantine/map", get(quarantine_buildings))
        .route("/quarantine/map/{area_id}", get(quarantine_map))
        .route("/static/building_map.css", get(css))
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/building_map.css"),
    )
}

/// A state as the legend and the cells show it.
pub struct StateView {
    code: &'static str,
    symbol: &'static str,
    label: &'static str,
    count: i64,
}

fn state_view(s: TestState, lang: Lang, count: i64) -> StateView {
    StateView {
        code: s.code(),
        symbol: s.symbol(),
        label: s.label(lang),
        count,
    }
}

fn quarantine_state_view(s: QuarantineState, lang: Lang, count: i64) -> StateView {
    StateView {
        code: s.code(),
        symbol: s.symbol(),
        label: s.label(lang),
        count,
    }
}

/// A layer's sections as the grid shows them, each cell by `cell`.
fn sections_view<C>(
    sections: &[MapSection<C>],
    t: T,
    cell: impl Fn(&C) -> CellView,
) -> Vec<SectionView> {
    sections
        .iter()
        .map(|s| SectionView {
            name: s.name.clone(),
            floors: s
                .floors
                .iter()
                .map(|f| FloorView {
                    label: floor_label(f.floor, t),
                    cells: f.cells.iter().map(&cell).collect(),
                })
                .collect(),
        })
        .collect()
}

/// One room's cell.
pub struct CellView {
    href: String,
    room: String,
    state: StateView,
    sampled: i64,
    members: i64,
}

/// One floor's row.
pub struct FloorView {
    label: String,
    cells: Vec<CellView>,
}

/// One unit's grid.
pub struct SectionView {
    name: String,
    floors: Vec<FloorView>,
}

fn floor_label(floor: Option<i32>, t: T) -> String {
    match floor {
        None => t.s("bm_floor_unknown").to_string(),
        Some(f) if f < 0 => format!("B{}", -f),
        Some(f) => match t.0 {
            Lang::Zh => format!("{f}层"),
            Lang::En => format!("F{f}"),
        },
    }
}

/// The last `n` names of a path, joined by a space: "佳纷天地 1号楼".
fn tail(path: &AreaPath, n: usize) -> String {
    let names: Vec<&str> = path.names().collect();
    names[names.len().saturating_sub(n)..].join(" ")
}

/// The map of a building in a round.
#[derive(Template, WebTemplate)]
#[template(path = "building_map.html")]
pub struct BuildingMapPage {
    t: T,
    nav: super::Nav,
    csrf: String,
    round_id: i64,
    round_name: String,
    area_id: i64,
    title: String,
    parent: String,
    legend: Vec<StateView>,
    households: usize,
    sections: Vec<SectionView>,
    may_set_digits: bool,
    digits: u8,
    digits_set: bool,
    digit_choices: Vec<u8>,
    error: Option<String>,
}

fn page(u: &PageUser, m: &BuildingMap, error: Option<String>) -> BuildingMapPage {
    let lang = u.t.0;
    let sections = sections_view(&m.sections, u.t, |c| CellView {
        href: format!("/households/{}", c.household_id),
        room: c.room.clone(),
        state: state_view(c.state, lang, 0),
        sampled: c.sampled,
        members: c.members,
    });
    let parent = maps_link(
        m.round.id,
        &m.area.path.parent().unwrap_or_else(|| m.area.path.clone()),
    );
    BuildingMapPage {
        t: u.t,
        nav: u.nav.clone(),
        csrf: u.csrf.clone(),
        round_id: m.round.id,
        round_name: m.round.name.clone(),
        area_id: m.area.id,
        title: tail(&m.area.path, 2),
        parent,
        legend: m
            .counts
            .iter()
            .map(|(s, n)| state_view(*s, lang, *n))
            .collect(),
        households: m.counts.iter().map(|(_, n)| *n as usize).sum(),
        sections,
        may_set_digits: m.may_set_digits,
        digits: m.digits.get(),
        digits_set: m.digits_set,
        digit_choices: (RoomDigits::MIN..=RoomDigits::MAX).collect(),
        error,
    }
}

async fn map(
    State(s): State<AppState>,
    u: PageUser,
    Path((id, area_id)): Path<(i64, i64)>,
) -> Result<BuildingMapPage, PageError> {
    let m = RoundDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .building_map(id, area_id)
        .await
        .map_err(|e| u.fail(e))?;
    Ok(page(&u, &m, None))
}

/// The room numbering form.
#[derive(Debug, Deserialize)]
struct DigitsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    room_digits: String,
}

async fn set_digits(
    State(s): State<AppState>,
    u: PageUser,
    Path((id, area_id)): Path<(i64, i64)>,
    Form(f): Form<DigitsForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    let desk = RoundDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    match desk.set_room_digits(id, area_id, &f.room_digits).await {
        Ok(()) => Ok(Redirect::to(&format!("/rounds/{id}/map/{area_id}")).into_response()),
        Err(AppError::Validation(problems)) => {
            let m = desk
                .building_map(id, area_id)
                .await
                .map_err(|e| u.fail(e))?;
            let error = u.problems_text(&problems);
            Ok(page(&u, &m, Some(error)).into_response())
        }
        Err(e) => Err(u.fail(e)),
    }
}

/// A building as a line of the list.
pub struct BuildingLine {
    href: String,
    name: String,
    persons: i64,
    sampled: i64,
    excluded: i64,
    missing: i64,
}

/// A round's buildings under an area, each linking to its map.
#[derive(Template, WebTemplate)]
#[template(path = "building_maps.html")]
pub struct BuildingsPage {
    t: T,
    nav: super::Nav,
    round_name: String,
    area: String,
    rows: Vec<BuildingLine>,
}

/// The list's area.
#[derive(Debug, Default, Deserialize)]
struct AreaQuery {
    #[serde(default)]
    area: String,
}

async fn buildings(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<AreaQuery>,
) -> Result<BuildingsPage, PageError> {
    let desk = RoundDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let area = match q.area.trim() {
        "" => None,
        a => Some(AreaPath::parse(a).map_err(|_| u.fail(AppError::NotFound))?),
    };
    let round = desk.round(id).await.map_err(|e| u.fail(e))?;
    let rows = desk
        .map_buildings(id, area.clone())
        .await
        .map_err(|e| u.fail(e))?;
    Ok(BuildingsPage {
        t: u.t,
        nav: u.nav.clone(),
        round_name: round.name,
        area: area.map(|a| a.to_string()).unwrap_or_default(),
        rows: rows
            .into_iter()
            .map(|b| BuildingLine {
                href: format!("/rounds/{id}/map/{}", b.area_id),
                name: tail(&b.path, 2),
                persons: b.persons,
                sampled: b.sampled,
                excluded: b.excluded,
                missing: (b.persons - b.sampled - b.excluded).max(0),
            })
            .collect(),
    })
}

/// The list of maps of a round under an area, as a link.
pub fn maps_link(round_id: i64, area: &AreaPath) -> String {
    format!("/rounds/{round_id}/maps?area={}", urlencode(area.as_str()))
}

/// A building's quarantine layer.
#[derive(Template, WebTemplate)]
#[template(path = "quarantine_map.html")]
pub struct QuarantineMapPage {
    t: T,
    nav: super::Nav,
    title: String,
    parent: String,
    legend: Vec<StateView>,
    households: usize,
    sections: Vec<SectionView>,
}

async fn quarantine_map(
    State(s): State<AppState>,
    u: PageUser,
    Path(area_id): Path<i64>,
) -> Result<QuarantineMapPage, PageError> {
    let m = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .building_map(area_id)
        .await
        .map_err(|e| u.fail(e))?;
    let lang = u.t.0;
    let sections = sections_view(&m.sections, u.t, |c| CellView {
        href: if c.in_episode > 0 {
            format!("/households/{}/checkins", c.household_id)
        } else {
            format!("/households/{}", c.household_id)
        },
        room: c.room.clone(),
        state: quarantine_state_view(c.state, lang, 0),
        sampled: c.in_episode,
        members: c.members,
    });
    let parent = m.area.path.parent().unwrap_or_else(|| m.area.path.clone());
    Ok(QuarantineMapPage {
        t: u.t,
        nav: u.nav.clone(),
        title: tail(&m.area.path, 2),
        parent: format!("/quarantine/map?area={}", urlencode(parent.as_str())),
        legend: m
            .counts
            .iter()
            .map(|(s, n)| quarantine_state_view(*s, lang, *n))
            .collect(),
        households: m.counts.iter().map(|(_, n)| *n as usize).sum(),
        sections,
    })
}

/// The buildings of an area with households in an episode.
#[derive(Template, WebTemplate)]
#[template(path = "quarantine_maps.html")]
pub struct QuarantineBuildingsPage {
    t: T,
    nav: super::Nav,
    area: String,
    /// (href, name, households in an episode).
    rows: Vec<(String, String, i64)>,
}

async fn quarantine_buildings(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<AreaQuery>,
) -> Result<QuarantineBuildingsPage, PageError> {
    let rows = QuarantineDesk::new(s.store.as_ref(), &u.who, &u.ctx)
        .map_buildings(Some(q.area.as_str()))
        .await
        .map_err(|e| u.fail(e))?;
    Ok(QuarantineBuildingsPage {
        t: u.t,
        nav: u.nav.clone(),
        area: q.area.trim().to_string(),
        rows: rows
            .into_iter()
            .map(|(b, n)| (format!("/quarantine/map/{}", b.id), tail(&b.path, 2), n))
            .collect(),
    })
}
