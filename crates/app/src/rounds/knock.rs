//! Tasks a round makes: door-knock tasks (入户敲门) from its door-knock list, one per
//! household still to sample, and a home-sampling task (上门采样) for a person excused as
//! bedridden — each keyed so that asking again makes nothing new. The API and the round's page
//! call these paths.

use doorstep_core::{AreaPath, Target};
use doorstep_store::{Round, Task};

use super::RoundDesk;
use crate::access::{Action, Principal};
use crate::error::AppResult;
use crate::tasks::{TaskDesk, TaskInput, TaskTemplate};

/// The source of home-sampling tasks made by excusing a bedridden person; keyed
/// `{round}:{person}`.
pub const HOME_SAMPLING_SOURCE: &str = "home_sampling";

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

    /// The home-sampling task (上门采样) of a person excused from `round` as bedridden: one
    /// per round and person (source [`HOME_SAMPLING_SOURCE`], key `{round}:{person}`, so
    /// excusing them again answers the same task), on the person, routed to the owner of
    /// their building like a door-knock task.
    pub(crate) async fn home_sampling_task(&self, round: &Round, person: i64) -> AppResult<Task> {
        let template = TaskTemplate {
            kind: "home_sampling".into(),
            due: String::new(),
            priority: "high".into(),
            note: format!(
                "{}：卧床，请上门采样 / bedridden: sample at home",
                round.name
            ),
        };
        let input = TaskInput {
            source: HOME_SAMPLING_SOURCE.into(),
            source_key: Some(format!("{}:{person}", round.id)),
            ..template.task(Target::Person(person), None)
        };
        // The excuse was authorized in the person's household's area, where the task goes;
        // an excuser whose role manages no tasks has it made by the office.
        let office = Principal::office();
        let who = if self.who.may(Action::ManageTasks) {
            self.who
        } else {
            &office
        };
        TaskDesk::new(self.store, who, self.ctx)
            .create(&input)
            .await
    }
}
