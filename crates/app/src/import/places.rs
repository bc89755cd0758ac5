//! Finding (and creating) the building or unit a roster row's address names, under the
//! area being imported into, with a cache so each area costs one lookup per import.

use std::collections::HashMap;

use doorstep_core::person::Field;
use doorstep_core::roster::{AddressParts, readable_address};
use doorstep_core::{AreaKind, Problem};
use doorstep_store::{Area, Id, Store, StoreError};

/// Where rows land: the import's area and what has been found under it so far.
pub struct Places<'a> {
    store: &'a dyn Store,
    base: Area,
    compounds: HashMap<String, Area>,
    children: HashMap<(Id, String), Area>,
    prefixes: HashMap<Id, String>,
}

/// Why a row's address cannot be placed: a problem with one of its columns, or storage.
pub enum PlaceError {
    /// The row's address is wrong in this column.
    Row(Field, Problem),
    /// Storage failed.
    Store(StoreError),
}

impl From<StoreError> for PlaceError {
    fn from(e: StoreError) -> Self {
        PlaceError::Store(e)
    }
}

impl<'a> Places<'a> {
    /// Loads the compounds already under `base` (a compound is found by name anywhere below
    /// it, so rosters need not name the grid a compound belongs to).
    pub async fn new(store: &'a dyn Store, base: Area) -> Result<Places<'a>, StoreError> {
        let mut compounds: HashMap<String, Area> = HashMap::new();
        for c in store.areas_of_kind(&base.path, AreaKind::Compound).await? {
            // A direct child of the base wins over a namesake deeper down.
            let direct = c.parent_id == Some(base.id);
            if direct || !compounds.contains_key(&c.name) {
                compounds.insert(c.name.clone(), c);
            }
        }
        Ok(Places {
            store,
            base,
            compounds,
            children: HashMap::new(),
            prefixes: HashMap::new(),
        })
    }

    /// The building or unit of an address, and the readable address of its room.
    pub async fn resolve(&mut self, addr: &AddressParts) -> Result<(Area, String), PlaceError> {
        let mut cur = self.base.clone();
        if let Some(name) = &addr.compound {
            cur = self
                .level(cur, AreaKind::Compound, name, Field::Compound)
                .await?;
        }
        if let Some(name) = &addr.building {
            cur = self
                .level(cur, AreaKind::Building, name, Field::Building)
                .await?;
        }
        if let Some(name) = &addr.unit {
            cur = self.level(cur, AreaKind::Unit, name, Field::Unit).await?;
        }
        if !cur.kind.holds_households() {
            return Err(PlaceError::Row(Field::Building, Problem::NoBuilding));
        }
        let prefix = self.prefix(&cur).await?;
        let address = readable_address([prefix.as_str()], &addr.room);
        Ok((cur, address))
    }

    /// Steps from `cur` to the area of `kind` named `name`.
    async fn level(
        &mut self,
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
        let area = self
            .store
            .ensure_child_area(&cur, kind, name)
            .await
            .map_err(|e| match e {
                StoreError::Invalid(_) => PlaceError::Row(field, Problem::OutsideArea),
                other => PlaceError::Store(other),
            })?;
        if kind == AreaKind::Compound {
            self.compounds.insert(name.to_string(), area.clone());
        }
        self.children.insert(key, area.clone());
        Ok(area)
    }

    /// The compound, building and unit names above a room, joined (cached per area).
    async fn prefix(&mut self, area: &Area) -> Result<String, StoreError> {
        if let Some(p) = self.prefixes.get(&area.id) {
            return Ok(p.clone());
        }
        let p = address_prefix(self.store, area).await?;
        self.prefixes.insert(area.id, p.clone());
        Ok(p)
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
