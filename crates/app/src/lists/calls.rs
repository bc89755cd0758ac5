//! A list's calls as the worker makes them: the calls assigned to me, one call with its row,
//! and its outcome — reached at home; reached elsewhere (where); not reached (called again,
//! up to the list's calls, then a door-knock at the household); not a resident here; placed
//! into home quarantine (the episode starts through the quarantine desk, as a staff member
//! starting it by hand would).
//!
//! The outcome is the task's (`TaskDesk::finish`: its assignee or a manager of its area,
//! audited as `task.done`); the follow-up task is made as the office, keyed, like every
//! feature's tasks.

use doorstep_core::lists::{AfterNotReached, CallOutcome, ListStatus, NOTE_MAX, after_not_reached};
use doorstep_core::problem::FieldProblem;
use doorstep_core::{Conflict, Problem, Target};
use doorstep_store::{
    Id, InvestigationList, LIST_CALL_SOURCE, LIST_KNOCK_SOURCE, ListRow, Store, Task,
};

use super::{call_task, due_today};
use crate::access::{Action, Ctx, Principal};
use crate::error::{AppError, AppResult};
use crate::quarantine::{EpisodeForm, QuarantineDesk};
use crate::tasks::{Finish, TaskDesk, TaskInput};

/// A call's outcome as a form or the API gives it.
#[derive(Debug, Clone, Default)]
pub struct CallInput {
    /// `reached_home`, `reached_away`, `not_reached`, `not_resident`, `quarantined`.
    pub outcome: String,
    /// Where the person is (required for `reached_away`).
    pub place: String,
    /// A note.
    pub note: String,
}

/// One call: the task, its row and its list.
#[derive(Debug, Clone)]
pub struct Call {
    /// The task.
    pub task: Task,
    /// The row.
    pub row: ListRow,
    /// The list.
    pub list: InvestigationList,
}

/// The row a task of a list is about (its key's first part).
fn row_id(task: &Task) -> Option<Id> {
    if task.source != LIST_CALL_SOURCE && task.source != LIST_KNOCK_SOURCE {
        return None;
    }
    task.source_key.as_deref()?.split(':').next()?.parse().ok()
}

/// Calls as one user makes them.
pub struct CallDesk<'a> {
    store: &'a dyn Store,
    who: &'a Principal,
    ctx: &'a Ctx,
}

impl<'a> CallDesk<'a> {
    /// The desk for `who`.
    pub fn new(store: &'a dyn Store, who: &'a Principal, ctx: &'a Ctx) -> Self {
        CallDesk { store, who, ctx }
    }

    /// A call this user may see (its assignee, or a manager of its area); not found otherwise.
    pub async fn call(&self, task_id: Id) -> AppResult<Call> {
        let (task, _) = TaskDesk::new(self.store, self.who, self.ctx)
            .task(task_id)
            .await?;
        let row = match row_id(&task) {
            Some(r) => self.store.list_row(r).await?,
            None => None,
        }
        .ok_or(AppError::NotFound)?;
        let list = self
            .store
            .investigation_list(row.list_id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(Call { task, row, list })
    }

    /// My calls to make today (open, assigned to me), in walking order.
    pub async fn mine(&self) -> AppResult<Vec<Call>> {
        let tasks = TaskDesk::new(self.store, self.who, self.ctx).mine().await?;
        let mut out = Vec::new();
        for task in tasks {
            let Some(r) = row_id(&task).filter(|_| task.source == LIST_CALL_SOURCE) else {
                continue;
            };
            let Some(row) = self.store.list_row(r).await? else {
                continue;
            };
            let Some(list) = self.store.investigation_list(row.list_id).await? else {
                continue;
            };
            out.push(Call { task, row, list });
        }
        Ok(out)
    }

    /// The row's phone in full, for whoever makes the call while it is open (its assignee, or
    /// a manager who may reveal), audited as `list.reveal_phone`; a closed call reveals
    /// nothing (Conflict `task_closed`).
    pub async fn phone(&self, task_id: Id) -> AppResult<String> {
        let call = self.call(task_id).await?;
        let mine = match (
            TaskDesk::new(self.store, self.who, self.ctx).me().await?,
            call.task.assignee_id,
        ) {
            (Some(me), Some(a)) => me.id == a,
            _ => false,
        };
        if !mine {
            self.who.authorize(Action::Reveal, &call.task.area_path)?;
        }
        if !call.task.status.is_active() {
            return Err(AppError::Conflict(Conflict::TaskClosed));
        }
        self.store
            .audit(&self.who.audit_entry(
                self.ctx,
                "list.reveal_phone",
                Some(("list_row", call.row.id)),
                Some(&call.task.area_path),
                serde_json::json!({"task": task_id, "list": call.list.id}),
            ))
            .await?;
        Ok(call.row.phone)
    }

    /// Records a call's outcome on its task and makes what follows: the next call or the
    /// door-knock after a not-reached call, the home-quarantine episode for `quarantined`.
    /// Conflict `list_status` for a closed list; `task_closed` for a call already recorded.
    pub async fn record(&self, task_id: Id, input: &CallInput) -> AppResult<Call> {
        let call = self.call(task_id).await?;
        if call.list.status != ListStatus::Open {
            return Err(AppError::Conflict(Conflict::ListStatus));
        }
        if call.task.source != LIST_CALL_SOURCE {
            return Err(AppError::NotFound);
        }
        if !call.task.status.is_active() {
            return Err(AppError::Conflict(Conflict::TaskClosed));
        }
        let mut problems = Vec::new();
        let outcome = CallOutcome::parse(&input.outcome);
        if outcome.is_none() {
            problems.push(FieldProblem::new("outcome", Problem::Choice));
        }
        let place = doorstep_core::text::tidy(&input.place);
        let note = doorstep_core::text::tidy(&input.note);
        if place.chars().count() > NOTE_MAX {
            problems.push(FieldProblem::new(
                "place",
                Problem::TooLong { max: NOTE_MAX },
            ));
        }
        if note.chars().count() > NOTE_MAX {
            problems.push(FieldProblem::new(
                "note",
                Problem::TooLong { max: NOTE_MAX },
            ));
        }
        if outcome == Some(CallOutcome::ReachedAway) && place.is_empty() {
            problems.push(FieldProblem::new("place", Problem::Required));
        }
        if outcome == Some(CallOutcome::Quarantined) && call.row.person_id.is_none() {
            // A person not in the registry has no file to start an episode on.
            problems.push(FieldProblem::new("outcome", Problem::Choice));
        }
        let Some(outcome) = outcome.filter(|_| problems.is_empty()) else {
            return Err(AppError::Validation(problems));
        };
        if outcome == CallOutcome::Quarantined {
            self.who
                .authorize(Action::Quarantine, &call.task.area_path)?;
            let form = EpisodeForm {
                person_id: call.row.person_id,
                measure: "home_quarantine".into(),
                reason: format!("流调协查：{}", call.list.name)
                    .chars()
                    .take(100)
                    .collect(),
                ..EpisodeForm::default()
            };
            match QuarantineDesk::new(self.store, self.who, self.ctx)
                .start(&form)
                .await
            {
                // Already in home quarantine: that is what the outcome says.
                Ok(_) | Err(AppError::Conflict(Conflict::EpisodeOverlap)) => {}
                Err(e) => return Err(e),
            }
        }
        let text = [place.as_str(), note.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
        TaskDesk::new(self.store, self.who, self.ctx)
            .finish_task(
                task_id,
                &Finish {
                    outcome: outcome.code().into(),
                    note: text.chars().take(NOTE_MAX).collect(),
                },
            )
            .await?;
        if outcome == CallOutcome::NotReached {
            self.follow_up(&call).await?;
        }
        self.call(task_id).await
    }

    /// An outcome chosen on the generic task board (one note field): the note is the place of
    /// a `reached_away`, and a missing place is the note's problem.
    pub async fn record_from_board(&self, task_id: Id, f: &Finish) -> AppResult<Call> {
        let away = f.outcome.trim() == CallOutcome::ReachedAway.code();
        let input = CallInput {
            outcome: f.outcome.trim().to_string(),
            place: if away { f.note.clone() } else { String::new() },
            note: if away { String::new() } else { f.note.clone() },
        };
        self.record(task_id, &input).await.map_err(|e| match e {
            AppError::Validation(problems) => AppError::Validation(
                problems
                    .into_iter()
                    .map(|p| {
                        if p.path == "place" {
                            FieldProblem::new("note", p.problem)
                        } else {
                            p
                        }
                    })
                    .collect(),
            ),
            e => e,
        })
    }

    /// After a not-reached call: the next call, or — the calls used up — a door-knock at the
    /// household (a row not found has no door: it stays not reached, on the desk's record).
    async fn follow_up(&self, call: &Call) -> AppResult<()> {
        let row = &call.row;
        let office = Principal::office();
        let tasks = TaskDesk::new(self.store, &office, self.ctx);
        let due = due_today(self.ctx);
        match after_not_reached(row.calls, call.list.max_calls) {
            AfterNotReached::Call(n) => {
                tasks.create(&call_task(&call.list, row, n, &due)).await?;
                self.store.set_list_row_stage(row.id, n, false).await?;
            }
            AfterNotReached::DoorKnock => {
                let Some(household) = row.household_id else {
                    return Ok(());
                };
                let input = TaskInput {
                    kind: "door_knock".into(),
                    target: Target::Household(household),
                    assignee_id: None,
                    due,
                    priority: "high".into(),
                    note: format!(
                        "流调协查「{}」第{}行：电话{}次未接通，请入户核实",
                        call.list.name, row.row_no, row.calls
                    )
                    .chars()
                    .take(200)
                    .collect(),
                    source: LIST_KNOCK_SOURCE.into(),
                    source_key: Some(row.id.to_string()),
                };
                tasks.create(&input).await?;
                self.store
                    .set_list_row_stage(row.id, row.calls, true)
                    .await?;
            }
        }
        Ok(())
    }
}
