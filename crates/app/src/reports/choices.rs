//! A report link's address choices in the report's own structure: compounds → buildings →
//! units → rooms, each level in natural order (`2号楼` before `10号楼`, room `102` before
//! `1001`), with exactly the names a report's address takes. The resident's form walks it
//! step by step; `GET /api/v1/public/reports/{token}/places` sends it whole.

use std::collections::{HashMap, HashSet};

use doorstep_core::AreaKind;
use doorstep_core::text::sort_natural;
use doorstep_store::{Area, Id, PageRequest, ReportLink, Store, StoreError};

use super::{PlaceCache, PlaceTree};

/// The most rooms read for one link's choices (a community holds a few thousand households).
pub const MAX_ROOMS: u32 = 50_000;

/// Where a link's residents may live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressChoices {
    /// The compounds, in natural order.
    pub compounds: Vec<CompoundChoice>,
}

/// A compound (小区/楼院) and its buildings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompoundChoice {
    /// The area's id (0 for buildings that lie under no compound).
    pub id: Id,
    /// Its name, as a report's `address.compound` (empty for buildings under no compound).
    pub name: String,
    /// Its buildings, in natural order.
    pub buildings: Vec<BuildingChoice>,
}

/// A building (楼栋): households in it, or in its units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildingChoice {
    /// The area's id.
    pub id: Id,
    /// Its name, as a report's `address.building`.
    pub name: String,
    /// Its units, in natural order; empty when its households are in the building itself.
    pub units: Vec<UnitChoice>,
    /// The rooms on file in the building itself (when it has no units), in natural order.
    pub rooms: Vec<String>,
}

/// A unit (单元) of a building.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitChoice {
    /// The area's id.
    pub id: Id,
    /// Its name, as a report's `address.unit`.
    pub name: String,
    /// The rooms on file in it, in natural order.
    pub rooms: Vec<String>,
}

/// How far a resident has got: the levels picked (or left without a choice, because there
/// was only one), down to the building or unit that holds households.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pick<'a> {
    /// The compound, once picked or the only one.
    pub compound: Option<&'a CompoundChoice>,
    /// The building, once picked or the only one.
    pub building: Option<&'a BuildingChoice>,
    /// The unit, once picked or the only one.
    pub unit: Option<&'a UnitChoice>,
}

impl Pick<'_> {
    /// The building or unit the household is in, once the picking is done.
    pub fn place(&self) -> Option<Id> {
        match (self.building, self.unit) {
            (_, Some(u)) => Some(u.id),
            (Some(b), None) if b.units.is_empty() => Some(b.id),
            _ => None,
        }
    }

    /// The rooms on file at the picked place.
    pub fn rooms(&self) -> &[String] {
        match (self.building, self.unit) {
            (_, Some(u)) => &u.rooms,
            (Some(b), None) => &b.rooms,
            _ => &[],
        }
    }
}

impl AddressChoices {
    /// The choices of a tree: its buildings and units that hold households (a building with
    /// units is offered by its units), with `rooms` by building or unit id.
    pub fn of(tree: &PlaceTree, rooms: &mut HashMap<Id, Vec<String>>) -> AddressChoices {
        let holders = tree.holders();
        let has_units: HashSet<&str> = holders
            .iter()
            .filter(|h| h.kind == AreaKind::Unit)
            .filter_map(|h| h.path.as_str().rsplit_once('/').map(|(p, _)| p))
            .collect();
        let mut compounds: Vec<CompoundChoice> = Vec::new();
        for h in holders {
            if h.kind == AreaKind::Building && has_units.contains(h.path.as_str()) {
                continue;
            }
            let above = |kind: AreaKind| {
                let mut p = Some(h.path.clone());
                while let Some(path) = p {
                    match tree.area(&path) {
                        Some(a) if a.kind == kind => return Some(a),
                        Some(a) if a.kind < kind => return None,
                        _ => {}
                    }
                    p = path.parent();
                }
                None
            };
            let (Some(building), unit) = (above(AreaKind::Building), above(AreaKind::Unit)) else {
                continue;
            };
            let (cid, cname) = above(AreaKind::Compound).map_or((0, ""), |c| (c.id, &c.name));
            let ci = match compounds.iter().position(|c| c.id == cid) {
                Some(i) => i,
                None => {
                    compounds.push(CompoundChoice {
                        id: cid,
                        name: cname.to_string(),
                        buildings: Vec::new(),
                    });
                    compounds.len() - 1
                }
            };
            let buildings = &mut compounds[ci].buildings;
            let bi = match buildings.iter().position(|b| b.id == building.id) {
                Some(i) => i,
                None => {
                    buildings.push(BuildingChoice {
                        id: building.id,
                        name: building.name.clone(),
                        units: Vec::new(),
                        rooms: Vec::new(),
                    });
                    buildings.len() - 1
                }
            };
            let b = &mut buildings[bi];
            let mut at = |id: Id| {
                let mut r = rooms.remove(&id).unwrap_or_default();
                sort_natural(&mut r, |s| s.as_str());
                r.dedup();
                r
            };
            match unit {
                Some(u) => b.units.push(UnitChoice {
                    id: u.id,
                    name: u.name.clone(),
                    rooms: at(u.id),
                }),
                None => b.rooms = at(b.id),
            }
        }
        sort_natural(&mut compounds, |c| c.name.as_str());
        for c in &mut compounds {
            sort_natural(&mut c.buildings, |b| b.name.as_str());
            for b in &mut c.buildings {
                sort_natural(&mut b.units, |u| u.name.as_str());
            }
        }
        AddressChoices { compounds }
    }

    /// What `place` (an id of a compound, building or unit, or none yet) has picked, going
    /// on by itself wherever a level offers only one choice.
    pub fn pick(&self, place: Option<Id>) -> Pick<'_> {
        let mut pick = Pick::default();
        'found: for c in &self.compounds {
            if Some(c.id) == place && c.id != 0 {
                pick.compound = Some(c);
                break;
            }
            for b in &c.buildings {
                if Some(b.id) == place {
                    (pick.compound, pick.building) = (Some(c), Some(b));
                    break 'found;
                }
                if let Some(u) = b.units.iter().find(|u| Some(u.id) == place) {
                    (pick.compound, pick.building, pick.unit) = (Some(c), Some(b), Some(u));
                    break 'found;
                }
            }
        }
        if pick.compound.is_none() {
            pick.compound = only(&self.compounds);
        }
        if let (Some(c), None) = (pick.compound, pick.building) {
            pick.building = only(&c.buildings);
        }
        if let (Some(b), None) = (pick.building, pick.unit) {
            pick.unit = only(&b.units);
        }
        pick
    }
}

fn only<T>(items: &[T]) -> Option<&T> {
    match items {
        [one] => Some(one),
        _ => None,
    }
}

/// A link's whole choices, with the rooms on file at every building and unit (what JSON
/// clients get).
pub async fn address_choices(
    store: &dyn Store,
    places: &PlaceCache,
    link: &ReportLink,
) -> Result<AddressChoices, StoreError> {
    let tree = places.tree(store, link.area_id).await?;
    let mut rooms = rooms_under(store, &tree.base).await?;
    Ok(AddressChoices::of(&tree, &mut rooms))
}

/// A link's choices without rooms (what placing a picked address needs).
pub async fn address_names(
    store: &dyn Store,
    places: &PlaceCache,
    link: &ReportLink,
) -> Result<AddressChoices, StoreError> {
    let tree = places.tree(store, link.area_id).await?;
    Ok(AddressChoices::of(&tree, &mut HashMap::new()))
}

/// A link's choices as the form walks them: the rooms are read only at the building or unit
/// that `place` picks (see [`AddressChoices::pick`]), and only once one is picked.
pub async fn address_choices_at(
    store: &dyn Store,
    places: &PlaceCache,
    link: &ReportLink,
    place: Option<Id>,
) -> Result<AddressChoices, StoreError> {
    let tree = places.tree(store, link.area_id).await?;
    let choices = AddressChoices::of(&tree, &mut HashMap::new());
    let picked = choices.pick(place).place();
    let at = picked.and_then(|id| {
        std::iter::once(&tree.base)
            .chain(tree.holders())
            .find(|a| a.id == id)
    });
    match at {
        Some(area) => {
            let mut rooms = rooms_under(store, area).await?;
            Ok(AddressChoices::of(&tree, &mut rooms))
        }
        None => Ok(choices),
    }
}

/// The rooms on file under an area, by the building or unit they are in.
async fn rooms_under(
    store: &dyn Store,
    area: &Area,
) -> Result<HashMap<Id, Vec<String>>, StoreError> {
    let page = PageRequest {
        offset: 0,
        limit: MAX_ROOMS,
    };
    let mut rooms: HashMap<Id, Vec<String>> = HashMap::new();
    for h in store.households(&area.path, None, page).await?.items {
        rooms.entry(h.area_id).or_default().push(h.room);
    }
    Ok(rooms)
}
