//! Sealed areas (封控): a building, unit or compound closed by the command until lifted.

use async_trait::async_trait;
use doorstep_core::AreaPath;
use time::OffsetDateTime;

use crate::{Audit, Id, StoreResult};

/// A seal to make.
#[derive(Debug, Clone)]
pub struct NewSeal {
    /// The area sealed.
    pub area_id: Id,
    /// Its path.
    pub area_path: AreaPath,
    /// Why (a case in the building, a close contact's home…).
    pub reason: String,
    /// Who sealed it.
    pub by: String,
    /// When.
    pub at: OffsetDateTime,
}

/// A seal, active or lifted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal {
    /// Its id.
    pub id: Id,
    /// The area sealed.
    pub area_id: Id,
    /// Its path.
    pub area_path: AreaPath,
    /// Why.
    pub reason: String,
    /// Who sealed it.
    pub sealed_by: String,
    /// When.
    pub sealed_at: OffsetDateTime,
    /// Who lifted it, when (`None`: active).
    pub lifted: Option<(String, OffsetDateTime)>,
}

/// Sealed areas.
#[async_trait]
pub trait Seals: Send + Sync {
    /// Seals an area, audited; `Conflict("area_sealed")` when it is sealed already.
    async fn seal_area(&self, seal: &NewSeal, audit: Audit<Seal>) -> StoreResult<Seal>;

    /// Lifts a seal, audited; a seal lifted already is answered as it is (nothing written,
    /// no audit entry). `None` if there is no such seal.
    async fn lift_seal(
        &self,
        id: Id,
        by: &str,
        at: OffsetDateTime,
        audit: Audit<Seal>,
    ) -> StoreResult<Option<Seal>>;

    /// A seal.
    async fn seal(&self, id: Id) -> StoreResult<Option<Seal>>;

    /// The seals of `area` and below (all areas when `None`), active first, newest first;
    /// at most 500.
    async fn seals(&self, area: Option<&AreaPath>, active_only: bool) -> StoreResult<Vec<Seal>>;

    /// The active seal over `path`: on it or on one of the areas above it.
    async fn seal_over(&self, path: &AreaPath) -> StoreResult<Option<Seal>>;
}
