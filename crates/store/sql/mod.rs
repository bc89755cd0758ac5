//! The SQL implementation of [`doorstep_store::Store`], shared by both backends.
//!
//! This folder is not a crate: `doorstep-store-sqlite` and `doorstep-store-postgres` each
//! compile it as their own module (`#[path = "../../store/sql/mod.rs"] mod sql;`) with
//! their own concrete `crate::backend::{Db, Pool}`. One SQL text with `$1..$n` runs on
//! both, without generic trait bounds over `sqlx::Database`; what differs (how a write
//! transaction starts, how a constraint is named, the migrations) lives in each crate's
//! `backend` module. See ARCHITECTURE.md, "Two databases".

mod areas;
mod persons;
mod rows;
mod util;

use async_trait::async_trait;
use doorstep_core::{AreaKind, AreaPath, DocType};
use doorstep_store::*;

use crate::backend::{self, Pool};

/// The store over one connection pool.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: Pool,
}

impl SqlStore {
    /// Wraps a pool; call [`Store::migrate`] before use.
    pub fn from_pool(pool: Pool) -> SqlStore {
        SqlStore { pool }
    }

    /// The pool, for backend-specific maintenance (tests, benchmarks).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        backend::NAME
    }

    async fn migrate(&self) -> StoreResult<()> {
        backend::migrate(&self.pool).await
    }

    async fn create_area(
        &self,
        parent: Option<&AreaPath>,
        kind: AreaKind,
        name: &str,
    ) -> StoreResult<Area> {
        areas::create_area(&self.pool, parent, kind, name).await
    }

    async fn ensure_child_area(
        &self,
        parent: &Area,
        kind: AreaKind,
        name: &str,
    ) -> StoreResult<Area> {
        areas::ensure_child_area(&self.pool, parent, kind, name).await
    }

    async fn area_by_path(&self, path: &AreaPath) -> StoreResult<Option<Area>> {
        areas::area_by_path(&self.pool, path).await
    }

    async fn root_areas(&self) -> StoreResult<Vec<Area>> {
        areas::root_areas(&self.pool).await
    }

    async fn area_by_id(&self, id: Id) -> StoreResult<Option<Area>> {
        areas::area_by_id(&self.pool, id).await
    }

    async fn area_tree(&self, path: &AreaPath) -> StoreResult<Vec<AreaCount>> {
        areas::area_tree(&self.pool, path).await
    }

    async fn areas_of_kind(&self, path: &AreaPath, kind: AreaKind) -> StoreResult<Vec<Area>> {
        areas::areas_of_kind(&self.pool, path, kind).await
    }

    async fn upsert_persons(
        &self,
        actor: &Actor,
        rows: &[PersonUpsert],
    ) -> StoreResult<UpsertReport> {
        persons::upsert_persons(&self.pool, actor, rows).await
    }

    async fn person(&self, id: Id) -> StoreResult<Option<Person>> {
        persons::person(&self.pool, id).await
    }

    async fn person_by_document(
        &self,
        doc_type: DocType,
        number: &str,
    ) -> StoreResult<Option<Person>> {
        persons::person_by_document(&self.pool, doc_type, number).await
    }

    async fn search_persons(&self, query: &PersonQuery) -> StoreResult<Page<Person>> {
        persons::search_persons(&self.pool, query).await
    }

    async fn person_history(&self, id: Id) -> StoreResult<Vec<HistoryEntry>> {
        persons::person_history(&self.pool, id).await
    }

    async fn household(&self, id: Id) -> StoreResult<Option<Household>> {
        areas::household(&self.pool, id).await
    }

    async fn households(
        &self,
        area: &AreaPath,
        room: Option<&str>,
        page: PageRequest,
    ) -> StoreResult<Page<Household>> {
        areas::households(&self.pool, area, room, page).await
    }

    async fn household_members(&self, household: Id) -> StoreResult<Vec<Person>> {
        persons::household_members(&self.pool, household).await
    }

    async fn persons_after(
        &self,
        area: &AreaPath,
        after: Id,
        limit: u32,
    ) -> StoreResult<Vec<PersonWithPlace>> {
        persons::persons_after(&self.pool, area, after, limit).await
    }

    async fn max_person_id(&self) -> StoreResult<Id> {
        persons::max_person_id(&self.pool).await
    }
}
