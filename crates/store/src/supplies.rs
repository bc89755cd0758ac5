//! Supplies and services requests (后勤供给) of households at home. A request's status is its
//! delivery task's (read with it, never stored twice).

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_core::supplies::{SupplyKind, SupplyStatus, Urgency};
use doorstep_core::task::TaskStatus;
use time::OffsetDateTime;

use crate::{Audit, Id, Idempotent, StoreResult};

/// A request to store.
#[derive(Debug, Clone)]
pub struct NewSupplyRequest {
    /// The household.
    pub household_id: Id,
    /// Its building or unit (what access is checked against).
    pub area_path: AreaPath,
    /// What.
    pub kind: SupplyKind,
    /// The detail.
    pub detail: String,
    /// How soon.
    pub urgency: Urgency,
    /// The worker who filed it (`None`: the household through its link).
    pub asked_by: Option<String>,
    /// The client's idempotency key.
    pub client_key: String,
    /// [`doorstep_core::idempotency::BodyHash`] of the request.
    pub body_hash: String,
    /// When it becomes overdue.
    pub due_at: OffsetDateTime,
    /// When it was asked.
    pub at: OffsetDateTime,
}

/// A stored request with its delivery task's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplyRequest {
    /// Its id.
    pub id: Id,
    /// The household.
    pub household_id: Id,
    /// Its address.
    pub address: String,
    /// Its building or unit.
    pub area_path: AreaPath,
    /// What.
    pub kind: SupplyKind,
    /// The detail.
    pub detail: String,
    /// How soon.
    pub urgency: Urgency,
    /// The worker who filed it (`None`: the household).
    pub asked_by: Option<String>,
    /// When it becomes overdue.
    pub due_at: OffsetDateTime,
    /// When it was asked.
    pub created_at: OffsetDateTime,
    /// Its delivery task, once made.
    pub task: Option<SupplyTask>,
}

/// What a request shows of its delivery task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplyTask {
    /// The task's id.
    pub id: Id,
    /// Its status.
    pub status: TaskStatus,
    /// The assignee's name.
    pub assignee: Option<String>,
    /// The outcome's code (done).
    pub outcome: Option<String>,
    /// The outcome's note, or the reason (cannot do, cancelled).
    pub outcome_note: String,
    /// Who closed it (the user of its last closing step).
    pub closed_by: Option<String>,
    /// When it last changed (for a closed task: when it was closed).
    pub updated_at: OffsetDateTime,
}

impl SupplyRequest {
    /// Where the request stands (from its task).
    pub fn status(&self) -> SupplyStatus {
        SupplyStatus::of_task(
            self.task
                .as_ref()
                .map(|t| (t.status, t.assignee.is_some(), t.outcome.as_deref())),
        )
    }
}

/// Which requests.
#[derive(Debug, Clone)]
pub struct SupplyQuery {
    /// Of households under this area (everywhere when `None`).
    pub area: Option<AreaPath>,
    /// Only open ones (task open or in progress, or none yet); else every one.
    pub open_only: bool,
    /// On a day, as the daily report counts its supplies figures.
    pub day: Option<SupplyDay>,
    /// At most this many, the soonest due first.
    pub limit: u32,
}

/// Requests on one day, `from`..`to` being the China day's bounds in UTC (end exclusive);
/// the daily report's `supplies.requested` and `supplies.delivered` count the same rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupplyDay {
    /// Asked during the day.
    Requested {
        /// The day's start.
        from: OffsetDateTime,
        /// Its end.
        to: OffsetDateTime,
    },
    /// Delivered during the day (its task done as delivered then).
    Delivered {
        /// The day's start.
        from: OffsetDateTime,
        /// Its end.
        to: OffsetDateTime,
    },
}

/// Supplies requests.
#[async_trait]
pub trait Supplies: Send + Sync {
    /// Stores a request in one transaction (audited for a worker's), following the
    /// idempotency rule on `(household, client_key)`.
    async fn file_supply_request(
        &self,
        new: &NewSupplyRequest,
        audit: Audit<Idempotent<SupplyRequest>>,
    ) -> StoreResult<Idempotent<SupplyRequest>>;

    /// Ties a request to its delivery task (when it has none yet).
    async fn set_supply_task(&self, id: Id, task_id: Id) -> StoreResult<()>;

    /// Reads a request.
    async fn supply_request(&self, id: Id) -> StoreResult<Option<SupplyRequest>>;

    /// A household's requests, newest first (at most 100).
    async fn supply_requests_of_household(
        &self,
        household_id: Id,
    ) -> StoreResult<Vec<SupplyRequest>>;

    /// Requests under an area, the soonest due first.
    async fn supply_requests(&self, query: &SupplyQuery) -> StoreResult<Vec<SupplyRequest>>;
}
