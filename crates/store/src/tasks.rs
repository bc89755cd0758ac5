//! Tasks: one model for every kind of field work, with each task's history.

use async_trait::async_trait;
use doorstep_core::{AreaPath, Duty, Priority, Target, TaskKind, TaskStatus};
use time::OffsetDateTime;

use crate::{Audit, Id, Page, PageRequest, StoreResult};

/// A task as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// Its id.
    pub id: Id,
    /// What kind of work.
    pub kind: TaskKind,
    /// What it is about.
    pub target: Target,
    /// The smallest area holding the target.
    pub area_id: Id,
    /// That area's path (what access is checked against).
    pub area_path: AreaPath,
    /// A household's room ('' otherwise), for the walking order.
    pub room: String,
    /// What a person reads: the address, with the person's name for a person.
    pub label: String,
    /// What to do, in words.
    pub note: String,
    /// The staff member doing it (`None`: a gap, on the community's board).
    pub assignee_id: Option<Id>,
    /// The assignee's name and phone, when assigned.
    pub assignee: Option<(String, String)>,
    /// When it is due.
    pub due_at: Option<OffsetDateTime>,
    /// How soon.
    pub priority: Priority,
    /// Where it stands.
    pub status: TaskStatus,
    /// The outcome's code (done) or the reason (cannot do, cancelled).
    pub outcome: Option<String>,
    /// A note with the outcome.
    pub outcome_note: String,
    /// The feature that made it (`''` by hand).
    pub source: String,
    /// Its key in that feature.
    pub source_key: Option<String>,
    /// Who made it.
    pub created_by: String,
    /// When.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

/// A task to create, placed and routed.
#[derive(Debug, Clone)]
pub struct NewTask {
    /// What kind of work.
    pub kind: TaskKind,
    /// What it is about.
    pub target: Target,
    /// The smallest area holding the target.
    pub area_id: Id,
    /// That area's path.
    pub area_path: AreaPath,
    /// A household's room.
    pub room: String,
    /// What a person reads.
    pub label: String,
    /// What to do.
    pub note: String,
    /// Who does it.
    pub assignee_id: Option<Id>,
    /// When it is due.
    pub due_at: Option<OffsetDateTime>,
    /// How soon.
    pub priority: Priority,
    /// The feature making it, and its key there (a second task with the same key is not made:
    /// the first is answered).
    pub source: String,
    /// See `source`.
    pub source_key: Option<String>,
}

/// A change to a task, made only if the task is still in `from` (else Conflict
/// `task_changed`); a status move must be allowed ([`TaskStatus::may_become`], else Conflict
/// `task_closed`).
#[derive(Debug, Clone, Default)]
pub struct TaskChange {
    /// The status it was read in.
    pub from: Option<TaskStatus>,
    /// The new status.
    pub status: Option<TaskStatus>,
    /// A new assignee (`Some(None)`: unassigned).
    pub assignee_id: Option<Option<Id>>,
    /// The outcome or reason.
    pub outcome: Option<String>,
    /// Its note.
    pub outcome_note: Option<String>,
    /// A new due time.
    pub due_at: Option<Option<OffsetDateTime>>,
    /// A new priority.
    pub priority: Option<Priority>,
}

/// Which tasks.
#[derive(Debug, Clone)]
pub struct TaskQuery {
    /// Under this area.
    pub area: Option<AreaPath>,
    /// Assigned to this staff member.
    pub assignee_id: Option<Id>,
    /// Only unassigned ones.
    pub unassigned: bool,
    /// In one of these statuses (any when empty).
    pub statuses: Vec<TaskStatus>,
    /// Of this kind.
    pub kind: Option<TaskKind>,
    /// Due before this time.
    pub due_before: Option<OffsetDateTime>,
    /// On a day, as the daily report counts its task figures.
    pub day: Option<TaskDay>,
    /// Which page (overdue first: by due time, then id).
    pub page: PageRequest,
}

/// Tasks on one day, `from`..`to` being the China day's bounds in UTC (end exclusive); the
/// daily report's `tasks.done` and `tasks.overdue` count the same rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskDay {
    /// Made during the day.
    Created {
        /// The day's start.
        from: OffsetDateTime,
        /// Its end.
        to: OffsetDateTime,
    },
    /// Due during the day.
    Due {
        /// The day's start.
        from: OffsetDateTime,
        /// Its end.
        to: OffsetDateTime,
    },
    /// Done during the day (a closed task's last change is its closing).
    Done {
        /// The day's start.
        from: OffsetDateTime,
        /// Its end.
        to: OffsetDateTime,
    },
    /// Overdue at `by` (the day's end, or now for today): due before it, made before the
    /// day's end `to`, and still open at `by`.
    Overdue {
        /// When it is looked at.
        by: OffsetDateTime,
        /// The day's end.
        to: OffsetDateTime,
    },
}

/// One step of a task's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskEvent {
    /// When.
    pub at: OffsetDateTime,
    /// Who.
    pub by: String,
    /// `created`, `assigned`, `started`, `done`, `cannot_do`, `cancelled`, `reopened`,
    /// `changed`.
    pub action: String,
    /// What changed: `{"field": [before, after]}`.
    pub details: serde_json::Value,
}

/// Tasks and their history.
#[async_trait]
pub trait Tasks: Send + Sync {
    /// Creates tasks in one transaction, each with its `created` event, audited. A task whose
    /// `(source, source_key)` exists is not made again: the existing one is answered in its
    /// place. Answers the tasks in the order given.
    async fn create_tasks(
        &self,
        tasks: &[NewTask],
        by: &str,
        audit: Audit<Vec<Task>>,
    ) -> StoreResult<Vec<Task>>;

    /// Reads a task.
    async fn task(&self, id: Id) -> StoreResult<Option<Task>>;

    /// A page of tasks: the soonest due first (no due time last), then by id.
    async fn tasks(&self, query: &TaskQuery) -> StoreResult<Page<Task>>;

    /// Changes a task in one transaction with its history event, audited (the audit gets the
    /// task as it was and as it is). NotFound for an unknown id; Conflict `task_changed`
    /// when it is no longer in `change.from`, `task_closed` for a move a closed task cannot make.
    async fn update_task(
        &self,
        id: Id,
        change: &TaskChange,
        by: &str,
        audit: Audit<(Task, Task)>,
    ) -> StoreResult<Task>;

    /// A task's history, oldest first.
    async fn task_events(&self, id: Id) -> StoreResult<Vec<TaskEvent>>;

    /// The routing table's changed rows: for each kind admins set, its duties in order (kinds
    /// not listed use their default).
    async fn task_routes(&self) -> StoreResult<Vec<(TaskKind, Vec<Duty>)>>;

    /// Sets a kind's duties in order (empty: back to the default), audited.
    async fn set_task_route(
        &self,
        kind: TaskKind,
        duties: &[Duty],
        audit: Audit<()>,
    ) -> StoreResult<()>;
}
