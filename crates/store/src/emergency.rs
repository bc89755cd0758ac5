//! Peacetime ↔ emergency (平急转换) and the retention of an emergency's personal data.

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_core::emergency::{RetentionDays, RetentionKind, TaskForce};
use time::{Date, OffsetDateTime};

use crate::{Audit, Id, StoreResult};

/// A community switching into emergency mode.
#[derive(Debug, Clone)]
pub struct NewEmergency {
    /// The community.
    pub area_id: Id,
    /// Its path.
    pub area_path: AreaPath,
    /// The first day (China's).
    pub started_on: Date,
    /// Why.
    pub reason: String,
    /// The task forces' members: (force, staff id).
    pub members: Vec<(TaskForce, Id)>,
    /// Who switched.
    pub by: String,
    /// When.
    pub at: OffsetDateTime,
}

/// A community switching back to peacetime.
#[derive(Debug, Clone)]
pub struct EndEmergency {
    /// The last day (China's).
    pub ended_on: Date,
    /// A note (may be empty).
    pub note: String,
    /// How long its personal data is kept after this day.
    pub retention: RetentionDays,
    /// Who switched back.
    pub by: String,
    /// When.
    pub at: OffsetDateTime,
}

/// A change to a running emergency's task forces: one member added or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberChange {
    /// The force.
    pub force: TaskForce,
    /// The staff member.
    pub staff_id: Id,
    /// Added (`true`) or removed.
    pub add: bool,
}

/// The end of an emergency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    /// The last day.
    pub on: Date,
    /// The note.
    pub note: String,
    /// Who switched back.
    pub by: String,
    /// When.
    pub at: OffsetDateTime,
}

/// A member of a task force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForceMember {
    /// The force.
    pub force: TaskForce,
    /// The staff member.
    pub staff_id: Id,
    /// Their name.
    pub name: String,
}

/// An emergency, running or ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Emergency {
    /// Its id.
    pub id: Id,
    /// The community.
    pub area_id: Id,
    /// Its path.
    pub area_path: AreaPath,
    /// The first day.
    pub started_on: Date,
    /// Why.
    pub reason: String,
    /// Who switched in.
    pub started_by: String,
    /// When.
    pub started_at: OffsetDateTime,
    /// The end (`None`: running).
    pub ended: Option<Ended>,
    /// How long its personal data is kept after the end.
    pub retention: RetentionDays,
    /// The task forces' members, by force then name.
    pub members: Vec<ForceMember>,
}

/// Which rows one retention step covers: those of a community's subtree collected from `from`
/// until `to`, except any collected during another emergency of the community whose data must
/// stay (`spared`: (from, until; `None` while it runs)).
#[derive(Debug, Clone)]
pub struct RetentionScope {
    /// The community.
    pub area: AreaPath,
    /// The emergency's first moment.
    pub from: OffsetDateTime,
    /// Its end.
    pub to: OffsetDateTime,
    /// Spans left alone.
    pub spared: Vec<(OffsetDateTime, Option<OffsetDateTime>)>,
}

/// Emergencies and retention.
#[async_trait]
pub trait Emergencies: Send + Sync {
    /// Switches a community into emergency mode with its members, audited;
    /// `Conflict("emergency_running")` when one runs already.
    async fn start_emergency(
        &self,
        new: &NewEmergency,
        audit: Audit<Emergency>,
    ) -> StoreResult<Emergency>;

    /// Switches back, audited; an ended emergency is answered as it is (nothing written).
    /// `None` if there is no such emergency.
    async fn end_emergency(
        &self,
        id: Id,
        end: &EndEmergency,
        audit: Audit<Emergency>,
    ) -> StoreResult<Option<Emergency>>;

    /// Adds or removes a member of a running emergency's task force, audited; the emergency
    /// as it is then (adding one who is there, or removing one who is not, changes nothing).
    /// `None` if there is no such emergency; `Conflict("emergency_ended")` once it ended.
    async fn change_emergency_member(
        &self,
        id: Id,
        change: &MemberChange,
        audit: Audit<Emergency>,
    ) -> StoreResult<Option<Emergency>>;

    /// An emergency.
    async fn emergency(&self, id: Id) -> StoreResult<Option<Emergency>>;

    /// The emergencies of `area` and below (all when `None`), running first, newest first; at
    /// most 500.
    async fn emergencies(&self, area: Option<&AreaPath>) -> StoreResult<Vec<Emergency>>;

    /// The running emergencies on `path`, above it or below it (what a user's pages follow).
    async fn running_emergencies_near(
        &self,
        path: Option<&AreaPath>,
    ) -> StoreResult<Vec<Emergency>>;

    /// How many rows of `kind` in `scope` retention has still to treat.
    async fn retention_count(
        &self,
        scope: &RetentionScope,
        kind: RetentionKind,
    ) -> StoreResult<i64>;

    /// Treats at most `limit` rows of `kind` in `scope` in one transaction (anonymised at
    /// `at`, or deleted); the number treated by this call, 0 when none was left. Safe when
    /// another process runs the same: a row is treated, and counted, once.
    async fn retention_batch(
        &self,
        scope: &RetentionScope,
        kind: RetentionKind,
        at: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<RetentionStep>;
}

/// What one batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetentionStep {
    /// Rows found in scope (0: nothing left).
    pub found: u64,
    /// Rows this call treated (fewer than found when another process took some).
    pub treated: u64,
}
