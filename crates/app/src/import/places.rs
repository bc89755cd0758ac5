//! Finding (and creating) the building or unit a roster row's address names, under the
//! area being imported into, with a cache so each area costs one lookup per import.
//! Areas are created through the import's [`Load`], so a bulk load creates them in its own
//! transaction; the readable address is built from the names walked, never read back.

use std::collections::HashMap;

use doorstep_core::person::Field;
use doorstep_core::roster::{AddressParts, readable_address};
use doorstep_core::{AreaKind, Problem};
use doorstep_store::{Area, Id, Load, Store, StoreError};

/// Where rows land: the import's area and what has been found under it so far.
pub struct Places {
    base: Area,
    compounds: HashMap<String, Area>,
    children: HashMap<(Id, String), Area>,
    /// The readable address prefix of each area walked (`佳纷天地3号楼2单元`).
    prefixes: HashMap<Id, String>,
    /// The last place resolved: a roster lists a building's rooms together, so most rows
    /// repeat the row before's compound, building and unit.
    last: Option<Last>,
}

/// A resolved place, kept for the next row.
struct Last {
    names: [Option<String>; 3],
    area: Id,
}

/// Why a row's address cannot be placed: a problem with one of its columns, or storage.
pub enum PlaceError {
    /// The row's address is wrong in this column.
    Row(Field, Problem),
    /// The address names an area not met yet, and no [`Load`] was given to find or make it.
    NeedLoad,
    /// Storage failed.
    Store(StoreError),
}

impl From<StoreError> for PlaceError {
    fn from(e: StoreError) -> Self {
        PlaceError::Store(e)
    }
}

impl Places {
    /// Loads the compounds already under `base` (a compound is found by name anywhere below
    /// it, so rosters need not name the grid a compound belongs to).
    pub async fn new(store: &dyn Store, base: Area) -> Result<Places, StoreError> {
        let mut compounds: HashMap<String, Area> = HashMap::new();
        for c in store.areas_of_kind(&base.path, AreaKind::Compound).await? {
            // A direct child of the base wins over a namesake deeper down.
            let direct = c.parent_id == Some(base.id);
            if direct || !compounds.contains_key(&c.name) {
                compounds.insert(c.name.clone(), c);
            }
        }
        let mut prefixes = HashMap::new();
        prefixes.insert(base.id, address_prefix(store, &base).await?);
        for c in compounds.values() {
            prefixes.insert(c.id, c.name.clone());
        }
        Ok(Places {
            base,
            compounds,
            children: HashMap::new(),
            prefixes,
            last: None,
        })
    }

    /// The building or unit of an address (its id), and the readable address of its room.
    /// Without a `load`, only places met before are found ([`PlaceError::NeedLoad`] otherwise).
    pub async fn resolve(
        &mut self,
        load: Option<&mut (dyn Load + '_)>,
        addr: &AddressParts,
    ) -> Result<(Id, String), PlaceError> {
        let names = [&addr.compound, &addr.building, &addr.unit];
        let area = match &self.last {
            Some(last) if last.names.iter().zip(names).all(|(a, b)| a == b) => last.area,
            _ => {
                let area = self.walk(load, addr).await?;
                self.last = Some(Last {
                    names: names.map(Clone::clone),
                    area,
                });
                area
            }
        };
        let prefix = self.prefixes.get(&area).map_or("", String::as_str);
        Ok((area, readable_address([prefix], &addr.room)))
    }

    /// Walks from the import's area down the address's compound, building and unit.
    async fn walk(
        &mut self,
        mut load: Option<&mut (dyn Load + '_)>,
        addr: &AddressParts,
    ) -> Result<Id, PlaceError> {
        let mut cur = self.base.clone();
        let levels = [
            (&addr.compound, AreaKind::Compound, Field::Compound),
            (&addr.building, AreaKind::Building, Field::Building),
            (&addr.unit, AreaKind::Unit, Field::Unit),
        ];
        for (name, kind, field) in levels {
            if let Some(name) = name {
                // A unit is always in a building: a unit named without one is a missing cell,
                // not a compound whose units stand on their own.
                if kind == AreaKind::Unit && cur.kind < AreaKind::Building {
                    return Err(PlaceError::Row(Field::Building, Problem::NoBuilding));
                }
                cur = self
                    .level(load.as_deref_mut(), cur, kind, name, field)
                    .await?;
            }
        }
        if !cur.kind.holds_households() {
            return Err(PlaceError::Row(Field::Building, Problem::NoBuilding));
        }
        Ok(cur.id)
    }

    /// Steps from `cur` to the area of `kind` named `name`.
    async fn level(
        &mut self,
        load: Option<&mut (dyn Load + '_)>,
        cur: Area,
        kind: AreaKind,
        name: &str,
        field: Field,
    ) -> Result<Area, PlaceError> {
        if cur.kind == kind {
            // Importing into this very compound/building: the column just repeats it.
            return if cur.name == name {
                Ok(cur)
            } else {
                Err(PlaceError::Row(field, Problem::OutsideArea))
            };
        }
        if cur.kind > kind {
            return Err(PlaceError::Row(field, Problem::OutsideArea));
        }
        if let (AreaKind::Compound, Some(c)) = (kind, self.compounds.get(name)) {
            return Ok(c.clone());
        }
        let key = (cur.id, name.to_string());
        if let Some(a) = self.children.get(&key) {
            return Ok(a.clone());
        }
        let Some(load) = load else {
            return Err(PlaceError::NeedLoad);
        };
        let area = load
            .ensure_child_area(&cur, kind, name)
            .await
            .map_err(|e| match e {
                StoreError::Invalid(_) => PlaceError::Row(field, Problem::OutsideArea),
                other => PlaceError::Store(other),
            })?;
        let prefix = match kind {
            AreaKind::Compound => area.name.clone(),
            _ => format!(
                "{}{}",
                self.prefixes.get(&cur.id).map_or("", String::as_str),
                area.name
            ),
        };
        self.prefixes.insert(area.id, prefix);
        if kind == AreaKind::Compound {
            self.compounds.insert(name.to_string(), area.clone());
        }
        self.children.insert(key, area.clone());
        Ok(area)
    }
}

/// The compound, building and unit names above a room in `area`, joined: `佳纷天地3号楼2单元`.
pub async fn address_prefix(store: &dyn Store, area: &Area) -> Result<String, StoreError> {
    let mut names = Vec::new();
    let mut cur = Some(area.clone());
    while let Some(a) = cur {
        if a.kind < AreaKind::Compound {
            break;
        }
        names.push(a.name.clone());
        cur = match a.parent_id {
            Some(pid) => store.area_by_id(pid).await?,
            None => None,
        };
    }
    names.reverse();
    Ok(names.concat())
}
