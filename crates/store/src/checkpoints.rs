//! Checkpoints at compound gates (卡口值守): the gates, their duty shifts (tasks with a start)
//! and the entry/exit register with its counts per hour.

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_core::checkpoints::{Direction, Hold, SubjectKind, Verdict};
use doorstep_core::task::TaskStatus;
use time::OffsetDateTime;

use crate::{Audit, Id, Idempotent, StoreResult};

/// A checkpoint to store.
#[derive(Debug, Clone)]
pub struct NewCheckpoint {
    /// The area it guards (a compound, usually).
    pub area_id: Id,
    /// That area's path.
    pub area_path: AreaPath,
    /// Its name (东门, 南门 …), unique in the area.
    pub name: String,
    /// Who set it up.
    pub by: String,
    /// When.
    pub at: OffsetDateTime,
}

/// A stored checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Its id.
    pub id: Id,
    /// The area it guards.
    pub area_id: Id,
    /// That area's path.
    pub area_path: AreaPath,
    /// Its name.
    pub name: String,
    /// Who set it up.
    pub created_by: String,
    /// When.
    pub created_at: OffsetDateTime,
}

/// A duty shift: the task it is and what a task lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    /// The task (kind `checkpoint_shift`).
    pub task_id: Id,
    /// The gate.
    pub checkpoint_id: Id,
    /// When the shift starts.
    pub starts_at: OffsetDateTime,
    /// When it ends (the task's due time).
    pub ends_at: OffsetDateTime,
    /// Who holds it (the task's assignee's name).
    pub assignee: Option<String>,
    /// The task's status.
    pub status: TaskStatus,
}

/// A passage to record.
#[derive(Debug, Clone)]
pub struct NewPassage {
    /// The gate.
    pub checkpoint_id: Id,
    /// The gate's area.
    pub area_path: AreaPath,
    /// The device's id for this scan (a resend answers the first).
    pub client_id: String,
    /// [`doorstep_core::idempotency::BodyHash`] of what was scanned.
    pub body_hash: String,
    /// Who passes.
    pub subject: SubjectKind,
    /// A resident's file.
    pub person_id: Option<Id>,
    /// A visitor's name.
    pub visitor_name: Option<String>,
    /// A vehicle's plate.
    pub plate: Option<String>,
    /// Which way.
    pub direction: Direction,
    /// Why (may be empty).
    pub reason: String,
    /// Temperature in tenths of a degree, when taken.
    pub temperature: Option<u16>,
    /// What the register decided.
    pub verdict: Verdict,
    /// What it heeded.
    pub holds: Vec<Hold>,
    /// An exception: who allowed it.
    pub allowed_by: Option<String>,
    /// An exception: why.
    pub exception_reason: Option<String>,
    /// The user who recorded it.
    pub recorded_by: String,
    /// `YYYY-MM-DD HH`, China's time.
    pub china_hour: String,
    /// When.
    pub at: OffsetDateTime,
}

/// A recorded passage, with the resident's file as stored (the app masks it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// Its id.
    pub id: Id,
    /// The gate.
    pub checkpoint_id: Id,
    /// The gate's area.
    pub area_path: AreaPath,
    /// Who passed.
    pub subject: SubjectKind,
    /// A resident's file.
    pub person_id: Option<Id>,
    /// A resident's name (from the file) or a visitor's.
    pub name: Option<String>,
    /// A resident's document number.
    pub id_number: Option<String>,
    /// A resident's address.
    pub address: Option<String>,
    /// A vehicle's plate.
    pub plate: Option<String>,
    /// Which way.
    pub direction: Direction,
    /// Why.
    pub reason: String,
    /// Tenths of a degree.
    pub temperature: Option<u16>,
    /// What the register decided.
    pub verdict: Verdict,
    /// What it heeded.
    pub holds: Vec<Hold>,
    /// An exception: who allowed it.
    pub allowed_by: Option<String>,
    /// An exception: why.
    pub exception_reason: Option<String>,
    /// The user who recorded it.
    pub recorded_by: String,
    /// When.
    pub at: OffsetDateTime,
}

/// Passages of one gate, hour and kind of outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourCount {
    /// The gate.
    pub checkpoint_id: Id,
    /// `YYYY-MM-DD HH`, China's time.
    pub china_hour: String,
    /// Which way.
    pub direction: Direction,
    /// What was decided.
    pub verdict: Verdict,
    /// How many.
    pub count: i64,
}

/// Checkpoints, shifts and the register.
#[async_trait]
pub trait Checkpoints: Send + Sync {
    /// Stores a checkpoint, audited (Conflict `checkpoint_name_unique` for a name the area
    /// has).
    async fn create_checkpoint(
        &self,
        new: &NewCheckpoint,
        audit: Audit<Checkpoint>,
    ) -> StoreResult<Checkpoint>;

    /// Reads a checkpoint.
    async fn checkpoint(&self, id: Id) -> StoreResult<Option<Checkpoint>>;

    /// The checkpoints under an area (everywhere when `None`), by area and name.
    async fn checkpoints(&self, area: Option<&AreaPath>) -> StoreResult<Vec<Checkpoint>>;

    /// Ties a duty-shift task to its gate and start (again: nothing new).
    async fn add_shift(
        &self,
        checkpoint_id: Id,
        task_id: Id,
        starts_at: OffsetDateTime,
        ends_at: OffsetDateTime,
    ) -> StoreResult<()>;

    /// A gate's shifts ending after `since`, by start.
    async fn shifts(&self, checkpoint_id: Id, since: OffsetDateTime) -> StoreResult<Vec<Shift>>;

    /// Records a passage in one transaction (audited), following the idempotency rule on
    /// `(checkpoint, client_id)`.
    async fn record_passage(
        &self,
        new: &NewPassage,
        audit: Audit<Idempotent<Passage>>,
    ) -> StoreResult<Idempotent<Passage>>;

    /// A gate's latest passages, newest first.
    async fn passages(&self, checkpoint_id: Id, limit: u32) -> StoreResult<Vec<Passage>>;

    /// Counts per gate, hour, direction and verdict of the gates under `area` (everywhere
    /// when `None`) for the hours from `from_hour` to `to_hour` (`YYYY-MM-DD HH`, both in).
    async fn passage_counts(
        &self,
        area: Option<&AreaPath>,
        from_hour: &str,
        to_hour: &str,
    ) -> StoreResult<Vec<HourCount>>;
}
