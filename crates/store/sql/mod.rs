//! The SQL implementation of [`doorstep_store::Store`], shared by both backends.
//!
//! This folder is not a crate: `doorstep-store-sqlite` and `doorstep-store-postgres` each
//! compile it as their own module (`#[path = "../../store/sql/mod.rs"] mod sql;`) with
//! their own concrete `crate::backend::{Db, Pool}`. One SQL text with `$1..$n` runs on
//! both, without generic trait bounds over `sqlx::Database`; what differs (how a write
//! transaction starts, how a constraint is named, the migrations) lives in each crate's
//! `backend` module. See ARCHITECTURE.md, "Two databases".

mod accounts;
mod areas;
mod counts;
pub(crate) mod doc_table;
mod load;
pub(crate) mod persons;
mod reports;
mod rows;
pub(crate) mod util;

use async_trait::async_trait;
use doorstep_core::{AreaKind, AreaPath, DocType};
use doorstep_store::*;
use time::OffsetDateTime;

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

    async fn begin_bulk_load(&self) -> StoreResult<Box<dyn Load>> {
        Ok(Box::new(load::BulkLoad::begin(&self.pool).await?))
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

    async fn tag_counts(&self, area: &AreaPath) -> StoreResult<Vec<(String, i64)>> {
        persons::tag_counts(&self.pool, area).await
    }

    async fn create_household(
        &self,
        area_id: Id,
        room: &str,
        address: &str,
    ) -> StoreResult<Household> {
        areas::create_household(&self.pool, area_id, room, address).await
    }

    async fn set_household_notes(&self, id: Id, notes: Option<&str>) -> StoreResult<()> {
        areas::set_household_notes(&self.pool, id, notes).await
    }

    async fn max_person_id(&self) -> StoreResult<Id> {
        persons::max_person_id(&self.pool).await
    }
}

#[async_trait]
impl Accounts for SqlStore {
    async fn create_user(&self, user: &NewUser) -> StoreResult<User> {
        accounts::create_user(&self.pool, user).await
    }

    async fn user_for_login(&self, username: &str) -> StoreResult<Option<(User, String)>> {
        accounts::user_for_login(&self.pool, username).await
    }

    async fn users(&self, area: Option<&AreaPath>) -> StoreResult<Vec<User>> {
        accounts::users(&self.pool, area).await
    }

    async fn set_user_disabled(&self, username: &str, disabled: bool) -> StoreResult<()> {
        accounts::set_user_disabled(&self.pool, username, disabled).await
    }

    async fn set_user_phone(&self, username: &str, phone: Option<&str>) -> StoreResult<()> {
        accounts::set_user_phone(&self.pool, username, phone).await
    }

    async fn set_password(&self, username: &str, password_hash: &str) -> StoreResult<()> {
        accounts::set_password(&self.pool, username, password_hash).await
    }

    async fn create_session(&self, session: &NewSession) -> StoreResult<()> {
        accounts::create_session(&self.pool, session).await
    }

    async fn session(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<Session>> {
        accounts::session(&self.pool, token_hash, now).await
    }

    async fn touch_session(
        &self,
        id: Id,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> StoreResult<()> {
        accounts::touch_session(&self.pool, id, now, expires_at).await
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        accounts::delete_session(&self.pool, token_hash).await
    }

    async fn login_attempt(
        &self,
        keys: &[LoginKey],
        now: OffsetDateTime,
    ) -> StoreResult<Option<OffsetDateTime>> {
        accounts::login_attempt(&self.pool, keys, now).await
    }

    async fn login_refund(&self, keys: &[LoginKey]) -> StoreResult<()> {
        accounts::login_refund(&self.pool, keys).await
    }

    async fn login_forget(&self, key: &str) -> StoreResult<()> {
        accounts::login_forget(&self.pool, key).await
    }

    async fn login_prune(&self, before: OffsetDateTime) -> StoreResult<u64> {
        accounts::login_prune(&self.pool, before).await
    }

    async fn audit(&self, entry: &NewAudit) -> StoreResult<()> {
        accounts::audit(&self.pool, entry).await
    }

    async fn audit_entries(&self, query: &AuditQuery) -> StoreResult<Page<AuditEntry>> {
        accounts::audit_entries(&self.pool, query).await
    }
}

#[async_trait]
impl Reports for SqlStore {
    async fn create_report_link(&self, link: &NewReportLink) -> StoreResult<ReportLink> {
        reports::create_report_link(&self.pool, link).await
    }

    async fn report_link_by_token(&self, token: &str) -> StoreResult<Option<ReportLink>> {
        reports::report_link_by_token(&self.pool, token).await
    }

    async fn report_link(&self, id: Id) -> StoreResult<Option<ReportLink>> {
        reports::report_link(&self.pool, id).await
    }

    async fn report_links(&self, area: Option<&AreaPath>) -> StoreResult<Vec<ReportLink>> {
        reports::report_links(&self.pool, area).await
    }

    async fn revoke_report_link(&self, id: Id, at: OffsetDateTime) -> StoreResult<()> {
        reports::revoke_report_link(&self.pool, id, at).await
    }

    async fn submit_report(&self, report: &NewReport) -> StoreResult<Idempotent<Report>> {
        reports::submit_report(&self.pool, report).await
    }

    async fn correct_report(&self, id: Id, correction: &NewReport) -> StoreResult<bool> {
        reports::correct_report(&self.pool, id, correction).await
    }

    async fn report(&self, id: Id) -> StoreResult<Option<Report>> {
        reports::report(&self.pool, id).await
    }

    async fn report_by_receipt(&self, link_id: Id, receipt: &str) -> StoreResult<Option<Report>> {
        reports::report_by_receipt(&self.pool, link_id, receipt).await
    }

    async fn reports(&self, query: &ReportQuery) -> StoreResult<Page<Report>> {
        reports::reports_page(&self.pool, query).await
    }

    async fn review_report(&self, id: Id, decision: &ReviewDecision) -> StoreResult<bool> {
        reports::review_report(&self.pool, id, decision).await
    }

    async fn merge_report_member(
        &self,
        id: Id,
        member: usize,
        person_id: Id,
        reviewer: &str,
    ) -> StoreResult<MergeOutcome> {
        reports::merge_report_member(&self.pool, id, member, person_id, reviewer).await
    }

    async fn reports_for_export(
        &self,
        area: &AreaPath,
        only_new: bool,
    ) -> StoreResult<Vec<Report>> {
        reports::reports_for_export(&self.pool, area, only_new).await
    }

    async fn mark_reports_exported(
        &self,
        area: &AreaPath,
        report_ids: &[Id],
        by: &str,
    ) -> StoreResult<()> {
        reports::mark_reports_exported(&self.pool, area, report_ids, by).await
    }
}
