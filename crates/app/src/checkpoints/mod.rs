//! Checkpoints at compound gates (卡口值守): the area's gates (`Action::ManageCheckpoints`
//! sets them up), their duty shifts — tasks of kind `checkpoint_shift` for the staff on duty,
//! with the start kept beside the task — and the entry/exit register kept on a phone by
//! whoever guards the gate (`Action::GuardGate`, in `register`), with counts per gate and hour
//! (`counts`).

mod counts;
mod register;

use doorstep_core::checkpoints::short_text;
use doorstep_core::problem::FieldProblem;
use doorstep_core::{AreaPath, Problem, Target};
use doorstep_store::{Checkpoint, NewCheckpoint, Shift, Store, audit_with};
use serde_json::json;
use time::OffsetDateTime;

use crate::access::{Action, Ctx, Principal};
use crate::error::{AppError, AppResult};
use crate::tasks::{TaskDesk, TaskInput, parse_due};

pub use counts::{GateCounts, HourRow};
pub use register::{PassageInput, PassageView, Registered};

/// The task source of a duty shift (keyed `{checkpoint}:{start}:{assignee}`).
pub const SHIFT_SOURCE: &str = "checkpoint";

/// A duty shift as a form or the API gives it.
#[derive(Debug, Clone, Default)]
pub struct ShiftInput {
    /// The staff member on duty (`None`: routed like any checkpoint shift task).
    pub assignee_id: Option<i64>,
    /// The start: `YYYY-MM-DDTHH:MM` (China's time) or RFC 3339.
    pub starts: String,
    /// The end, as the start.
    pub ends: String,
    /// What to heed (optional).
    pub note: String,
}

/// The checkpoints of an area as one user may use them.
pub struct CheckpointDesk<'a> {
    store: &'a dyn Store,
    who: &'a Principal,
    ctx: &'a Ctx,
}

impl<'a> CheckpointDesk<'a> {
    /// The desk for `who`.
    pub fn new(store: &'a dyn Store, who: &'a Principal, ctx: &'a Ctx) -> Self {
        CheckpointDesk { store, who, ctx }
    }

    /// Sets up a gate of `area` (a path) named `name` (audited `checkpoint.create`); a name
    /// the area has is Conflict `checkpoint_name_unique`.
    pub async fn add(&self, area: &str, name: &str) -> AppResult<Checkpoint> {
        let path = AreaPath::parse(area).map_err(|_| AppError::NotFound)?;
        if !self.who.covers(&path) {
            return Err(AppError::NotFound);
        }
        self.who.authorize(Action::ManageCheckpoints, &path)?;
        let name = short_text(name, true)
            .map_err(|p| AppError::Validation(vec![FieldProblem::new("name", p)]))?;
        let a = self
            .store
            .area_by_path(&path)
            .await?
            .ok_or(AppError::NotFound)?;
        let entry = self.who.audit_entry(
            self.ctx,
            "checkpoint.create",
            None,
            Some(&path),
            json!({"name": name}),
        );
        let new = NewCheckpoint {
            area_id: a.id,
            area_path: a.path,
            name,
            by: self.who.username().to_string(),
            at: self.ctx.now(),
        };
        Ok(self
            .store
            .create_checkpoint(
                &new,
                audit_with(move |c: &Checkpoint| {
                    let mut e = entry;
                    e.object_type = Some("checkpoint".into());
                    e.object_id = Some(c.id);
                    vec![e]
                }),
            )
            .await?)
    }

    /// The gates under `area` (the user's own when blank).
    pub async fn list(&self, area: &str) -> AppResult<Vec<Checkpoint>> {
        let area = self.scope(area)?;
        Ok(self.store.checkpoints(area.as_ref()).await?)
    }

    /// The area a list reads (`area` or the user's own), authorized for `GuardGate`.
    fn scope(&self, area: &str) -> AppResult<Option<AreaPath>> {
        self.who.area_for(area, Action::GuardGate)
    }

    /// One gate (not found outside the user's area).
    pub async fn get(&self, id: i64) -> AppResult<Checkpoint> {
        let c = self
            .store
            .checkpoint(id)
            .await?
            .filter(|c| self.who.covers(&c.area_path))
            .ok_or(AppError::NotFound)?;
        self.who.authorize(Action::GuardGate, &c.area_path)?;
        Ok(c)
    }

    /// Puts a staff member on duty at a gate: a `checkpoint_shift` task on the gate's area,
    /// due at the shift's end (through the task model: routed when nobody is named, audited
    /// `task.create`), and its start kept beside it. The same shift again answers the first.
    pub async fn add_shift(&self, id: i64, input: &ShiftInput) -> AppResult<Shift> {
        let cp = self.get(id).await?;
        self.who
            .authorize(Action::ManageCheckpoints, &cp.area_path)?;
        let mut problems = Vec::new();
        let mut time = |raw: &str, field: &'static str| match parse_due(raw) {
            Ok(Some(t)) => Some(t),
            Ok(None) => {
                problems.push(FieldProblem::new(field, Problem::Required));
                None
            }
            Err(p) => {
                problems.push(FieldProblem::new(field, p));
                None
            }
        };
        let starts = time(&input.starts, "starts");
        let ends = time(&input.ends, "ends");
        let (Some(starts), Some(ends)) = (starts, ends) else {
            return Err(AppError::Validation(problems));
        };
        if ends <= starts || ends - starts > time::Duration::hours(24) {
            return Err(AppError::Validation(vec![FieldProblem::new(
                "ends",
                Problem::TimeSpan,
            )]));
        }
        let rfc = |t: OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .map_err(|e| AppError::Internal(e.into()))
        };
        let start_label = crate::clock::china_minute(starts);
        let note = [
            format!(
                "{} {start_label}–{}",
                cp.name,
                crate::clock::china_minute(ends)
            ),
            input.note.trim().to_string(),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
        .chars()
        .take(200)
        .collect();
        let task = TaskDesk::new(self.store, self.who, self.ctx)
            .create(&TaskInput {
                kind: "checkpoint_shift".into(),
                target: Target::Area(cp.area_id),
                assignee_id: input.assignee_id,
                due: rfc(ends)?,
                priority: String::new(),
                note,
                source: SHIFT_SOURCE.into(),
                source_key: Some(format!(
                    "{}:{}:{}",
                    cp.id,
                    starts.unix_timestamp(),
                    input
                        .assignee_id
                        .map_or_else(String::new, |a| a.to_string())
                )),
            })
            .await?;
        self.store.add_shift(cp.id, task.id, starts, ends).await?;
        self.store
            .shifts(cp.id, starts - time::Duration::seconds(1))
            .await?
            .into_iter()
            .find(|s| s.task_id == task.id)
            .ok_or(AppError::NotFound)
    }

    /// A gate's shifts that have not ended 12 hours ago, by start.
    pub async fn shifts(&self, id: i64) -> AppResult<Vec<Shift>> {
        let cp = self.get(id).await?;
        Ok(self
            .store
            .shifts(cp.id, self.ctx.now() - time::Duration::hours(12))
            .await?)
    }
}
