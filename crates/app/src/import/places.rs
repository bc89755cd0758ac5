//! Finding the building or unit a roster row's address names, under the area being imported
//! into, with a cache so each area costs one lookup per import. A place not on file is planned,
//! not created: it gets a provisional id ([`NewPlace`]) and the first batch that writes a row
//! in it creates it in the batch's own transaction ([`Places::for_batch`]), so neither a killed
//! import nor a row the store refuses leaves an empty place behind ([`Places::stored`]). The
//! readable address is built from the names walked, never read back.

use std::collections::{BTreeSet, HashMap};

use doorstep_core::area::area_name;
use doorstep_core::person::Field;
use doorstep_core::roster::{AddressParts, readable_address};
use doorstep_core::{AreaKind, Problem};
use doorstep_store::{Area, Id, NewPlace, PersonUpsert, Store, StoreError};

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
    /// The places planned and not yet taken by a batch, by provisional id.
    planned: HashMap<Id, NewPlace>,
    /// The provisional id of the next place planned: -1, -2, … (so creation order is
    /// descending id order, parents first).
    next_id: Id,
    /// The provisional ids of the places batches have written, and the ids they were stored as.
    stored: HashMap<Id, Id>,
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
            planned: HashMap::new(),
            next_id: -1,
            stored: HashMap::new(),
        })
    }

    /// The building or unit of an address (its id), and the readable address of its room.
    /// A place not on file has a provisional id (negative) until [`Places::for_batch`].
    pub async fn resolve(
        &mut self,
        store: &dyn Store,
        addr: &AddressParts,
    ) -> Result<(Id, String), PlaceError> {
        let names = [&addr.compound, &addr.building, &addr.unit];
        let area = match &self.last {
            Some(last) if last.names.iter().zip(names).all(|(a, b)| a == b) => last.area,
            _ => {
                let area = self.walk(store, addr).await?;
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
    async fn walk(&mut self, store: &dyn Store, addr: &AddressParts) -> Result<Id, PlaceError> {
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
                cur = self.level(store, cur, kind, name, field).await?;
            }
        }
        if !cur.kind.holds_households() {
            return Err(PlaceError::Row(Field::Building, Problem::NoBuilding));
        }
        Ok(cur.id)
    }

    /// Steps from `cur` to the area of `kind` named `name`: met before, on file, or planned.
    async fn level(
        &mut self,
        store: &dyn Store,
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
        let outside = |_| PlaceError::Row(field, Problem::OutsideArea);
        let stored_name = area_name(name).map_err(outside)?;
        let path = cur.path.child(&stored_name).map_err(outside)?;
        // Under a planned place nothing is on file yet.
        let on_file = if cur.id >= 0 {
            store.area_by_path(&path).await?
        } else {
            None
        };
        let area = match on_file {
            Some(a) => a,
            None => {
                if !kind.may_be_child_of(cur.kind) {
                    return Err(PlaceError::Row(field, Problem::OutsideArea));
                }
                let id = self.next_id;
                self.next_id -= 1;
                self.planned.insert(
                    id,
                    NewPlace {
                        id,
                        parent: cur.clone(),
                        kind,
                        name: name.to_string(),
                    },
                );
                Area {
                    id,
                    parent_id: Some(cur.id),
                    kind,
                    name: stored_name,
                    path,
                }
            }
        };
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

    /// The planned places `rows` live in that no batch has taken yet, with their planned
    /// parents, in the order they must be created (parents first): the batch creates them.
    /// Ids of places an earlier batch stored, in `rows` and in the places' parents, are
    /// replaced by the stored ones.
    pub fn for_batch(&mut self, rows: &mut [PersonUpsert]) -> Vec<NewPlace> {
        let mut take = BTreeSet::new();
        for r in rows.iter_mut().filter(|r| r.area_id < 0) {
            if let Some(&id) = self.stored.get(&r.area_id) {
                r.area_id = id;
                continue;
            }
            let mut id = r.area_id;
            while let Some(p) = self.planned.get(&id) {
                if !take.insert(id) {
                    break;
                }
                id = p.parent.id;
            }
        }
        // Provisional ids count down: the highest was planned first.
        let mut places: Vec<NewPlace> = take
            .into_iter()
            .rev()
            .filter_map(|id| self.planned.remove(&id))
            .collect();
        for p in &mut places {
            if let Some(&id) = self.stored.get(&p.parent.id) {
                p.parent.id = id;
            }
        }
        places
    }

    /// Takes in the ids a batch stored its places as (`given`: the places it was given, in
    /// its order). A place the batch did not create (every row of it refused) is planned
    /// again, for a later batch with a row in it.
    pub fn stored(
        &mut self,
        given: Vec<NewPlace>,
        stored: &[Option<Area>],
    ) -> Result<(), StoreError> {
        if given.len() != stored.len() {
            return Err(StoreError::Other(
                "a batch stored a different number of places than it was given".into(),
            ));
        }
        for (p, a) in given.into_iter().zip(stored) {
            match a {
                Some(a) => {
                    self.stored.insert(p.id, a.id);
                }
                None => {
                    self.planned.insert(p.id, p);
                }
            }
        }
        Ok(())
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
