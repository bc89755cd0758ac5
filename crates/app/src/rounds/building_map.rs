//! The building map (楼栋图) of a round: a building's households laid out as floors × rooms,
//! each showing its state on the testing layer, and the building's room numbering.
//!
//! The mechanism is the layout (`lay_out`: sections per unit, floors top to bottom from
//! `doorstep_core::building::floor_of`, rooms in natural order); a layer is a store read
//! giving one value per household and a state enum. Quarantine will add its own layer the
//! same way.

use std::collections::{BTreeMap, HashMap};

use doorstep_core::building::{RoomDigits, TestState, floor_of};
use doorstep_core::problem::FieldProblem;
use doorstep_core::text::natural_cmp;
use doorstep_core::{AreaKind, AreaPath, Problem};
use doorstep_store::{Area, Id, Round, audit_with};
use serde_json::json;

use super::RoundDesk;
use crate::access::Action;
use crate::error::{AppError, AppResult};

/// One household on the map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapCell {
    /// The household.
    pub household_id: Id,
    /// Its room as written.
    pub room: String,
    /// Its floor, when the room number tells.
    pub floor: Option<i32>,
    /// Its state on the testing layer.
    pub state: TestState,
    /// Persons registered there.
    pub members: i64,
    /// Of those, sampled.
    pub sampled: i64,
    /// Excused.
    pub excused: i64,
}

/// One floor of a section (`floor` `None`: rooms whose floor the number does not tell), its
/// cells a layer's (the testing round's by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapFloor<C = MapCell> {
    /// The floor.
    pub floor: Option<i32>,
    /// Its rooms in natural order.
    pub cells: Vec<C>,
}

/// A unit of the building (or the building itself, for households registered on it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapSection<C = MapCell> {
    /// The unit's (or building's) area.
    pub area_id: Id,
    /// Its name.
    pub name: String,
    /// Its floors, top to bottom, the unknown floor last.
    pub floors: Vec<MapFloor<C>>,
}

/// A building's map in a round.
#[derive(Debug, Clone)]
pub struct BuildingMap {
    /// The round.
    pub round: Round,
    /// The area asked for (a building or a unit).
    pub area: Area,
    /// How many trailing digits are the room, and whether the building set it.
    pub digits: RoomDigits,
    /// See `digits`.
    pub digits_set: bool,
    /// Its units (or itself), side by side in the data, one after another on a phone.
    pub sections: Vec<MapSection>,
    /// Households per state, in the legend's order.
    pub counts: Vec<(TestState, i64)>,
    /// Whether this user may change the room numbering (`Action::Write` there).
    pub may_set_digits: bool,
}

/// A building under an area, with its round counts, for the list of maps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapBuilding {
    /// The building.
    pub area_id: Id,
    /// Its path.
    pub path: AreaPath,
    /// Persons registered.
    pub persons: i64,
    /// Sampled.
    pub sampled: i64,
    /// Excused.
    pub excluded: i64,
}

/// Lays households out as sections (per unit) × floors (top to bottom) × rooms (natural
/// order), each household's floor read with its area's digits (`digits_of`): `place` gives a
/// household's area and room, `cell` its cell on the layer.
pub fn lay_out<H, C>(
    households: &[H],
    names: &HashMap<Id, String>,
    digits_of: impl Fn(Id) -> RoomDigits,
    place: impl Fn(&H) -> (Id, &str),
    cell: impl Fn(&H, Option<i32>) -> C,
) -> Vec<MapSection<C>> {
    let mut by_area: BTreeMap<Id, Vec<&H>> = BTreeMap::new();
    for h in households {
        by_area.entry(place(h).0).or_default().push(h);
    }
    let mut sections: Vec<MapSection<C>> = by_area
        .into_iter()
        .map(|(area_id, hs)| {
            let digits = digits_of(area_id);
            let mut floors: BTreeMap<Option<i32>, Vec<&H>> = BTreeMap::new();
            for h in hs {
                floors
                    .entry(floor_of(place(h).1, digits))
                    .or_default()
                    .push(h);
            }
            // Top to bottom; the rooms whose floor is unknown (None sorts first) go last.
            let mut floors: Vec<MapFloor<C>> = floors
                .into_iter()
                .map(|(floor, mut hs)| {
                    hs.sort_by(|a, b| natural_cmp(place(a).1, place(b).1));
                    MapFloor {
                        floor,
                        cells: hs.into_iter().map(|h| cell(h, floor)).collect(),
                    }
                })
                .collect();
            floors.sort_by_key(|f| (f.floor.is_none(), std::cmp::Reverse(f.floor)));
            MapSection {
                area_id,
                name: names.get(&area_id).cloned().unwrap_or_default(),
                floors,
            }
        })
        .collect();
    sections.sort_by(|a, b| natural_cmp(&a.name, &b.name));
    sections
}

/// How the rooms of a building and its units give their floors: what each area set, the
/// building's own for units that set nothing.
pub struct Digits {
    set: HashMap<Id, u8>,
    base: Option<RoomDigits>,
}

impl Digits {
    /// The digits set under the building of `area` (a building or a unit).
    pub async fn read(store: &dyn doorstep_store::Store, area: &Area) -> AppResult<Digits> {
        // A unit reads its floors as its building does unless it says otherwise.
        let building = match (area.kind, area.parent_id) {
            (AreaKind::Unit, Some(p)) => store.area_by_id(p).await?.unwrap_or(area.clone()),
            _ => area.clone(),
        };
        let set: HashMap<Id, u8> = store
            .room_digits_under(&building.path)
            .await?
            .into_iter()
            .collect();
        let base = set.get(&building.id).and_then(|d| RoomDigits::new(*d));
        Ok(Digits { set, base })
    }

    /// What `id` set, else its building's; `None` when neither did.
    pub fn here(&self, id: Id) -> Option<RoomDigits> {
        self.set
            .get(&id)
            .and_then(|d| RoomDigits::new(*d))
            .or(self.base)
    }

    /// The digits `id` reads its rooms with.
    pub fn of(&self, id: Id) -> RoomDigits {
        self.here(id).unwrap_or_default()
    }
}

impl RoundDesk<'_> {
    /// The building or unit `area_id`, in the round and this user's area (NotFound else).
    async fn map_area(&self, r: &Round, area_id: Id) -> AppResult<Area> {
        let area = self
            .store
            .area_by_id(area_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !matches!(area.kind, AreaKind::Building | AreaKind::Unit)
            || !r.areas.iter().any(|a| a.contains(&area.path))
        {
            return Err(AppError::NotFound);
        }
        self.scope_in(r, Some(area.path.clone()))?;
        Ok(area)
    }

    /// The map of a building (or one unit) in the round: its households as floors × rooms,
    /// each with its state, and the counts per state.
    pub async fn building_map(&self, round_id: Id, area_id: Id) -> AppResult<BuildingMap> {
        let r = self.round(round_id).await?;
        let area = self.map_area(&r, area_id).await?;
        let digits = Digits::read(self.store, &area).await?;
        let households = self.store.round_map_households(r.id, &area.path).await?;
        let mut names: HashMap<Id, String> = HashMap::new();
        for h in &households {
            names
                .entry(h.area_id)
                .or_insert_with(|| h.area_path.name().to_string());
        }
        let sections = lay_out(
            &households,
            &names,
            |id| digits.of(id),
            |h| (h.area_id, h.room.as_str()),
            |h, floor| MapCell {
                household_id: h.household_id,
                room: h.room.clone(),
                floor,
                state: TestState::of(h.members, h.sampled, h.excused, h.flagged),
                members: h.members,
                sampled: h.sampled,
                excused: h.excused,
            },
        );
        let mut counts: Vec<(TestState, i64)> = TestState::ALL.iter().map(|s| (*s, 0)).collect();
        for c in sections
            .iter()
            .flat_map(|s| &s.floors)
            .flat_map(|f| &f.cells)
        {
            if let Some(n) = counts.iter_mut().find(|(s, _)| *s == c.state) {
                n.1 += 1;
            }
        }
        let digits_here = digits.here(area.id);
        let may_set_digits = self.who.authorize(Action::Write, &area.path).is_ok();
        Ok(BuildingMap {
            round: r,
            digits: digits_here.unwrap_or_default(),
            digits_set: digits_here.is_some(),
            area,
            sections,
            counts,
            may_set_digits,
        })
    }

    /// The buildings under `area` (the user's or the round's when `None`) the round samples,
    /// with their counts, in natural order.
    pub async fn map_buildings(
        &self,
        round_id: Id,
        area: Option<AreaPath>,
    ) -> AppResult<Vec<MapBuilding>> {
        let r = self.round(round_id).await?;
        let area = self.scope_in(&r, area)?;
        let buildings = self.store.areas_of_kind(&area, AreaKind::Building).await?;
        let by_path: HashMap<&str, &Area> =
            buildings.iter().map(|b| (b.path.as_str(), b)).collect();
        let mut out: BTreeMap<Id, MapBuilding> = BTreeMap::new();
        for row in self.store.round_counts(r.id, &area).await? {
            if !r.areas.iter().any(|a| a.contains(&row.area_path)) {
                continue;
            }
            // The row's building: itself or its nearest ancestor that is one.
            let mut at = Some(row.area_path.clone());
            let b = loop {
                match at {
                    None => break None,
                    Some(p) => match by_path.get(p.as_str()) {
                        Some(b) => break Some(*b),
                        None => at = p.parent(),
                    },
                }
            };
            let Some(b) = b else {
                continue;
            };
            let e = out.entry(b.id).or_insert_with(|| MapBuilding {
                area_id: b.id,
                path: b.path.clone(),
                persons: 0,
                sampled: 0,
                excluded: 0,
            });
            e.persons += row.persons;
            e.sampled += row.sampled;
            e.excluded += row.excluded;
        }
        let mut out: Vec<MapBuilding> = out.into_values().collect();
        out.sort_by(|a, b| natural_cmp(a.path.as_str(), b.path.as_str()));
        Ok(out)
    }

    /// Sets (or with a blank clears) how many trailing digits of a room number are the room
    /// in a building or unit of the round (`Action::Write` there), audited.
    pub async fn set_room_digits(&self, round_id: Id, area_id: Id, raw: &str) -> AppResult<()> {
        let r = self.round(round_id).await?;
        let area = self.map_area(&r, area_id).await?;
        self.who.authorize(Action::Write, &area.path)?;
        let digits = match raw.trim() {
            "" => None,
            s => Some(RoomDigits::parse(s).ok_or_else(|| {
                AppError::Validation(vec![FieldProblem::new("room_digits", Problem::Choice)])
            })?),
        };
        let entry = self.who.audit_entry(
            self.ctx,
            "area.room_digits",
            Some(("area", area.id)),
            Some(&area.path),
            json!({"room_digits": digits.map(RoomDigits::get)}),
        );
        self.store
            .set_room_digits(
                area.id,
                digits.map(RoomDigits::get),
                audit_with(move |_| vec![entry]),
            )
            .await?;
        Ok(())
    }
}
