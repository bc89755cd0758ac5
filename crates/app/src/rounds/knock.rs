//! Door-knock tasks (入户敲门) from a round's door-knock list: one per household still to
//! sample, keyed so that asking again makes nothing new. The API and the round's page call
//! this one path.

use doorstep_core::{AreaPath, Target};

use super::RoundDesk;
use crate::error::AppResult;
use crate::tasks::{TaskDesk, TaskInput, TaskTemplate};

/// What one "door-knock tasks" call made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Knocked {
    /// Households with someone still to sample: one task each (made now or before).
    pub tasks: usize,
    /// Of those, how many have no owner to go to.
    pub unassigned: usize,
}

impl RoundDesk<'_> {
    /// Turns the door-knock list of `area` (as [`RoundDesk::missing`] scopes it) into
    /// door-knock tasks, one per household, keyed `{round}:knock:{household}` with source
    /// `round`, routed as any task (needs `manage_tasks`).
    pub async fn knock(&self, id: i64, area: Option<AreaPath>) -> AppResult<Knocked> {
        let round = self.round(id).await?;
        let list = self.missing(id, area).await?;
        let mut households: Vec<i64> = Vec::new();
        for p in &list {
            if !households.contains(&p.person.household_id) {
                households.push(p.person.household_id);
            }
        }
        let template = TaskTemplate {
            kind: "door_knock".into(),
            due: String::new(),
            priority: "high".into(),
            note: format!("{}：未采样，请入户敲门", round.name),
        };
        let inputs: Vec<TaskInput> = households
            .iter()
            .map(|h| TaskInput {
                source: "round".into(),
                source_key: Some(format!("{}:knock:{h}", round.id)),
                ..template.task(Target::Household(*h), None)
            })
            .collect();
        if inputs.is_empty() {
            return Ok(Knocked::default());
        }
        let made = TaskDesk::new(self.store, self.who, self.ctx)
            .create_many(&inputs)
            .await?;
        Ok(Knocked {
            tasks: made.len(),
            unassigned: made.iter().filter(|t| t.assignee_id.is_none()).count(),
        })
    }
}
