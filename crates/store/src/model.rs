//! The values that cross the store boundary.

use doorstep_core::{AreaKind, AreaPath, PersonFields};
use serde::Serialize;
use time::OffsetDateTime;

/// A database id.
pub type Id = i64;

/// One node of the area tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    /// Its id.
    pub id: Id,
    /// Its parent's id; `None` for a root.
    pub parent_id: Option<Id>,
    /// Its kind.
    pub kind: AreaKind,
    /// Its name (the last part of its path).
    pub name: String,
    /// Its path from the root.
    pub path: AreaPath,
}

/// An area with what its subtree holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaCount {
    /// The area.
    pub area: Area,
    /// Households in its subtree.
    pub households: i64,
    /// Persons in its subtree.
    pub persons: i64,
}

/// A household (一户): a room in a building or unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Household {
    /// Its id.
    pub id: Id,
    /// The building or unit it is in.
    pub area_id: Id,
    /// That area's path.
    pub area_path: AreaPath,
    /// 房号
    pub room: String,
    /// The readable address, e.g. `佳纷天地3号楼2单元1201`.
    pub address: String,
    /// How many persons live there.
    pub members: i64,
    /// Free notes (一户一账).
    pub notes: Option<String>,
}

/// A person's file as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Its id.
    pub id: Id,
    /// The household the person lives in.
    pub household_id: Id,
    /// That household's readable address.
    pub address: String,
    /// The path of the building or unit the household is in (what access is checked against).
    pub area_path: AreaPath,
    /// The validated fields.
    pub fields: PersonFields,
    /// When the file was created.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

/// A person with the names of the places above their room, for exports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonWithPlace {
    /// The person.
    pub person: Person,
    /// 小区 name, if the room lies in a compound.
    pub compound: Option<String>,
    /// 楼栋 name.
    pub building: Option<String>,
    /// 单元 name.
    pub unit: Option<String>,
    /// 房号
    pub room: String,
}

/// Who is making a change, for the history, and where they may make it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user name, or `cli` / `demo` for local tools.
    pub name: String,
    /// Through what: `import`, `api`, `form`, `demo`.
    pub source: String,
    /// The area the actor may change files in: a row whose document is on file outside it is
    /// refused ([`UpsertOutcome::Refused`]) and that file is neither moved nor changed.
    /// `None`: anywhere (the administrator, the office's own command line, demo data).
    pub within: Option<AreaPath>,
}

/// One person to create or update, with the household they live in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonUpsert {
    /// The building or unit area of the household.
    pub area_id: Id,
    /// 房号
    pub room: String,
    /// The readable address of the household (used when it is created).
    pub address: String,
    /// The person.
    pub fields: PersonFields,
}

/// A compound, building or unit an import batch creates in its own transaction, before its
/// persons, so a place is committed with the persons who live in it and never alone (a killed
/// import leaves no empty place). Until the batch is written the place has a provisional id,
/// negative, by which the batch's rows ([`PersonUpsert::area_id`]) and its later places
/// (`parent`) name it; an id of zero or above is an area on file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlace {
    /// Its provisional id (negative).
    pub id: Id,
    /// The area it goes under: on file, or an earlier place of the batch (its `id` provisional).
    pub parent: Area,
    /// Compound, building or unit.
    pub kind: AreaKind,
    /// Its name, as the roster wrote it.
    pub name: String,
}

/// What one import batch wrote: its places as stored, in order, and its persons.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BatchReport {
    /// One per [`NewPlace`] of the batch, in order (an area found on file meanwhile is answered
    /// as it is); `None` for a place not created because no row written lives in it (every
    /// one refused), which a later batch may create.
    pub places: Vec<Option<Area>>,
    /// What the batch's persons did.
    pub persons: UpsertReport,
}

/// What happened to one upserted person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UpsertOutcome {
    /// A new person file.
    Created,
    /// An existing file changed (and its history records how).
    Updated,
    /// An existing file already said exactly this.
    Unchanged,
    /// The document is on file outside the actor's area ([`Actor::within`]): nothing was
    /// written, and the row's id is 0 so the answer names no one.
    Refused,
}

/// What happened to one row of an upsert.
#[derive(Debug, Clone, PartialEq)]
pub struct RowOutcome {
    /// Created, updated, unchanged or refused.
    pub outcome: UpsertOutcome,
    /// The person's id (0 for a refused row).
    pub id: Id,
    /// For an update, the changed fields: `{"phone": ["old", "new"], …}`.
    pub changes: Option<serde_json::Value>,
}

/// What one upsert batch did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UpsertReport {
    /// One per row, in order.
    pub outcomes: Vec<RowOutcome>,
    /// Households the batch created.
    pub households_created: u64,
}

/// One change to a person file.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// When.
    pub at: OffsetDateTime,
    /// Who.
    pub actor: String,
    /// Through what.
    pub source: String,
    /// The changed fields: `{"phone": ["old", "new"], …}`.
    pub changes: serde_json::Value,
}

/// Which page of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Rows to skip.
    pub offset: u32,
    /// Rows to return (at most).
    pub limit: u32,
}

/// A page of a list with the total count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// How many rows the whole list has.
    pub total: i64,
}

/// A person search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonQuery {
    /// What was typed: a name or its start, an ID number or its last digits, a phone or
    /// its last digits, or a room. `None` lists everyone.
    pub text: Option<String>,
    /// Only persons under this area.
    pub area: Option<AreaPath>,
    /// Which page.
    pub page: PageRequest,
    /// Count at most this many matches (the total is then `cap + 1` when there are more):
    /// a page showing "1000+" need not count 60,000 persons named 陈. `None` counts all.
    pub count_cap: Option<u32>,
    /// Digits match only a whole ID number or a whole phone, never their last digits: for
    /// users who may not reveal, a tail longer than the mask shows would uncover hidden digits.
    pub exact_numbers: bool,
}
