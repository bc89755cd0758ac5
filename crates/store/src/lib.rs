//! The storage boundary of Doorstep: one trait, [`Store`], in use-case-sized operations over
//! core types, and the few errors callers branch on. No database type crosses it; each
//! backend crate (`doorstep-store-sqlite`, `doorstep-store-postgres`) implements it over its
//! own schema and migrations.
#![forbid(unsafe_code)]

mod accounts;
mod audit;
mod building_map;
mod checkins;
mod checkpoints;
mod custody;
mod daily;
mod emergency;
mod episodes;
mod error;
mod handover;
mod lists;
mod materials;
mod model;
mod monitoring;
mod notices;
mod policies;
mod reports;
mod rounds;
mod seals;
mod staff;
mod supplies;
mod tasks;
mod templates;

use async_trait::async_trait;
use doorstep_core::{AreaKind, AreaPath, DocType};

pub use accounts::*;
pub use audit::{Audit, audit_entry, audit_with, no_audit};
pub use building_map::*;
pub use checkins::*;
pub use checkpoints::*;
pub use custody::*;
pub use daily::*;
pub use emergency::*;
pub use episodes::*;
pub use error::{StoreError, StoreResult};
pub use handover::*;
pub use lists::*;
pub use materials::*;
pub use model::*;
pub use monitoring::*;
pub use notices::*;
pub use policies::*;
pub use reports::*;
pub use rounds::*;
pub use seals::*;
pub use staff::*;
pub use supplies::*;
pub use tasks::*;
pub use templates::*;

/// Where an import writes its areas, households and persons: straight into the store
/// ([`Direct`], each call its own transaction) or into a bulk load ([`Store::begin_bulk_load`]),
/// where nothing is visible, and nothing is kept if it fails, until [`Load::finish`].
#[async_trait]
pub trait Load: Send {
    /// The child area of `parent` named `name`, created (as `kind`) if missing.
    async fn ensure_child_area(
        &mut self,
        parent: &Area,
        kind: AreaKind,
        name: &str,
    ) -> StoreResult<Area>;

    /// Writes one batch, as [`Store::upsert_persons`].
    async fn upsert_persons(
        &mut self,
        actor: &Actor,
        rows: &[PersonUpsert],
    ) -> StoreResult<UpsertReport> {
        Ok(self
            .write_batch(actor, &[], rows, no_audit())
            .await?
            .persons)
    }

    /// Writes one import batch, as [`Store::import_batch`]: its new places, then its persons,
    /// with the entries `audit` makes of the outcome (in a bulk load, in its one transaction).
    async fn write_batch(
        &mut self,
        actor: &Actor,
        places: &[NewPlace],
        rows: &[PersonUpsert],
        audit: Audit<UpsertReport>,
    ) -> StoreResult<BatchReport>;

    /// Makes everything written durable and visible.
    async fn finish(self: Box<Self>) -> StoreResult<()>;
}

/// A [`Load`] straight onto a store: each call commits on its own (a batch with its places).
pub struct Direct<'a>(pub &'a dyn Store);

#[async_trait]
impl Load for Direct<'_> {
    async fn ensure_child_area(
        &mut self,
        parent: &Area,
        kind: AreaKind,
        name: &str,
    ) -> StoreResult<Area> {
        self.0.ensure_child_area(parent, kind, name).await
    }

    async fn write_batch(
        &mut self,
        actor: &Actor,
        places: &[NewPlace],
        rows: &[PersonUpsert],
        audit: Audit<UpsertReport>,
    ) -> StoreResult<BatchReport> {
        self.0.import_batch(actor, places, rows, audit).await
    }

    async fn finish(self: Box<Self>) -> StoreResult<()> {
        Ok(())
    }
}

/// Everything Doorstep keeps, as operations a use case needs. Each method is atomic.
/// The registry is here; users, sessions and the audit log are in [`Accounts`].
#[async_trait]
pub trait Store:
    Accounts
    + BuildingMaps
    + Checkins
    + Seals
    + Checkpoints
    + Supplies
    + Custody
    + DailyReports
    + Emergencies
    + Materials
    + Monitoring
    + Notices
    + Policies
    + Episodes
    + Handovers
    + Lists
    + Reports
    + Rounds
    + Staff
    + Tasks
    + Templates
    + Send
    + Sync
    + 'static
{
    /// The backend's name, `sqlite` or `postgres`, for logs and reports.
    fn backend(&self) -> &'static str;

    /// Brings the schema up to date. Safe to call on every start.
    async fn migrate(&self) -> StoreResult<()>;

    /// Creates an area under `parent` (a root when `None`).
    /// Conflict `area_path_unique` when it exists; NotFound when the parent does not;
    /// Invalid when the kind may not sit under the parent's kind.
    async fn create_area(
        &self,
        parent: Option<&AreaPath>,
        kind: AreaKind,
        name: &str,
    ) -> StoreResult<Area>;

    /// Returns the child of `parent` named `name`, creating it with `kind` if it is missing.
    async fn ensure_child_area(
        &self,
        parent: &Area,
        kind: AreaKind,
        name: &str,
    ) -> StoreResult<Area>;

    /// Reads an area by its path.
    async fn area_by_path(&self, path: &AreaPath) -> StoreResult<Option<Area>>;

    /// The areas without a parent, by name.
    async fn root_areas(&self) -> StoreResult<Vec<Area>>;

    /// Reads an area by id.
    async fn area_by_id(&self, id: Id) -> StoreResult<Option<Area>>;

    /// Every area of the subtree at `path` (itself first, then by path), with the number of
    /// households and persons each holds in its own subtree.
    async fn area_tree(&self, path: &AreaPath) -> StoreResult<Vec<AreaCount>>;

    /// Every area of kind `kind` in the subtree at `path`.
    async fn areas_of_kind(&self, path: &AreaPath, kind: AreaKind) -> StoreResult<Vec<Area>>;

    /// Creates or updates the persons of one import batch in one transaction, creating the
    /// households they name, with the entries `audit` makes of the outcome. Rows are applied in
    /// order and are distinct by document. Returns one outcome per row, in order.
    async fn upsert_persons(
        &self,
        actor: &Actor,
        rows: &[PersonUpsert],
        audit: Audit<UpsertReport>,
    ) -> StoreResult<UpsertReport>;

    /// Writes one import batch in one transaction: each of `places` in order that a row
    /// written lives in, or is above one (created, or found if it is on file by then), then
    /// the persons as [`Store::upsert_persons`], whose `area_id` may name a place of the batch
    /// by its provisional id (see [`NewPlace`]). A place whose every row is refused (its person
    /// on file outside the actor's area) is not created: [`BatchReport::places`] says `None`.
    async fn import_batch(
        &self,
        actor: &Actor,
        places: &[NewPlace],
        rows: &[PersonUpsert],
        audit: Audit<UpsertReport>,
    ) -> StoreResult<BatchReport>;

    /// Opens a bulk load for a large import (see [`Load`]): everything it writes lands in one
    /// transaction on one connection and becomes visible at [`Load::finish`]; the backend may
    /// defer index upkeep to the end (SQLite rebuilds its name and phone indexes once).
    async fn begin_bulk_load(&self) -> StoreResult<Box<dyn Load>>;

    /// Reads one person.
    async fn person(&self, id: Id) -> StoreResult<Option<Person>>;

    /// Reads one person by document.
    async fn person_by_document(
        &self,
        doc_type: DocType,
        number: &str,
    ) -> StoreResult<Option<Person>>;

    /// Searches persons: by name prefix, ID-number or phone suffix (or whole), or room;
    /// within an area; a page of them ordered by id.
    async fn search_persons(&self, query: &PersonQuery) -> StoreResult<Page<Person>>;

    /// The change history of a person, oldest first.
    async fn person_history(&self, id: Id) -> StoreResult<Vec<HistoryEntry>>;

    /// Reads one household with its area path.
    async fn household(&self, id: Id) -> StoreResult<Option<Household>>;

    /// The households with these ids, in no particular order; unknown ids are left out (a
    /// bulk's targets in one read).
    async fn households_by_ids(&self, ids: &[Id]) -> StoreResult<Vec<Household>>;

    /// The persons with these ids, in no particular order; unknown ids are left out.
    async fn persons_by_ids(&self, ids: &[Id]) -> StoreResult<Vec<Person>>;

    /// The households under an area, by address, a page of them; `room` filters exactly.
    async fn households(
        &self,
        area: &AreaPath,
        room: Option<&str>,
        page: PageRequest,
    ) -> StoreResult<Page<Household>>;

    /// The persons living in a household, by id.
    async fn household_members(&self, household: Id) -> StoreResult<Vec<Person>>;

    /// Persons under an area with id greater than `after`, at most `limit`, by id: the
    /// keyset pages of an export that never holds the whole area in memory.
    async fn persons_after(
        &self,
        area: &AreaPath,
        after: Id,
        limit: u32,
    ) -> StoreResult<Vec<PersonWithPlace>>;

    /// Every person under an area, by id, sent to `to` in pages of at most `page`: an export's
    /// one read, which never holds the whole area in memory and on PostgreSQL joins the
    /// households once for the area (keyset pages joined them again for every page: 25 ms a
    /// page of 2,000, 11 s for 900,000 persons, against 1.7 s for the one statement). Ends early,
    /// without an error, when `to` is closed (its reader stopped).
    async fn persons_in(
        &self,
        area: &AreaPath,
        page: u32,
        to: tokio::sync::mpsc::Sender<Vec<PersonWithPlace>>,
    ) -> StoreResult<()>;

    /// How many persons under an area carry each tag.
    async fn tag_counts(&self, area: &AreaPath) -> StoreResult<Vec<(String, i64)>>;

    /// Sets a household's notes, audited.
    async fn set_household_notes(
        &self,
        id: Id,
        notes: Option<&str>,
        audit: Audit<()>,
    ) -> StoreResult<()>;

    /// Creates an empty household (a room) in a building or unit, audited.
    /// Conflict `household_room_unique` when the room exists; Invalid for other area kinds.
    async fn create_household(
        &self,
        area_id: Id,
        room: &str,
        address: &str,
        audit: Audit<Household>,
    ) -> StoreResult<Household>;

    /// The highest person id so far (0 when there are none).
    async fn max_person_id(&self) -> StoreResult<Id>;
}
