//! Tasks a round makes: door-knock tasks (入户敲门) from its door-knock list, one per
//! household still to sample, and a home-sampling task (上门采样) for a person excused as
//! bedridden — each keyed so that asking again makes nothing new. The API and the round's page
//! call these paths.

use doorstep_core::{AreaPath, RoundStatus, Target, TaskKind};
use doorstep_store::{Household, Round, Task};

use super::RoundDesk;
use crate::access::{Action, Principal};
use crate::error::{AppError, AppResult};
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

    /// A household to sample at its door: its members as the sampler picks them (file id,
    /// name, ID number masked), if it lives in one of the round's areas and this user's.
    pub async fn household_to_sample(
        &self,
        round_id: i64,
        household: i64,
    ) -> AppResult<(Household, Vec<(i64, String, String)>)> {
        let r = self.round(round_id).await?;
        if !self.who.may(Action::Sample) {
            return Err(AppError::Forbidden);
        }
        let h = self
            .store
            .household(household)
            .await?
            .ok_or(AppError::NotFound)?;
        if !r.areas.iter().any(|a| a.contains(&h.area_path)) || !self.who.covers(&h.area_path) {
            return Err(AppError::NotFound);
        }
        let members = self.store.household_members(h.id).await?;
        let members = members
            .into_iter()
            .map(|p| (p.id, p.fields.name().to_string(), p.fields.doc().masked()))
            .collect();
        Ok((h, members))
    }

    /// Where a home-sampling task (上门采样) is done: (open round, household) — the round
    /// that excused the bedridden person, or for a test day of home quarantine every open
    /// round covering the household (empty: none open, the community opens one).
    pub async fn rounds_for_task(&self, task: &Task) -> AppResult<Vec<(Round, i64)>> {
        if task.kind != TaskKind::HomeSampling || !self.who.may(Action::Sample) {
            return Ok(Vec::new());
        }
        let household = match task.target {
            Target::Household(h) => h,
            Target::Person(p) => match self.store.person(p).await? {
                Some(p) => p.household_id,
                None => return Ok(Vec::new()),
            },
            Target::Area(_) => return Ok(Vec::new()),
        };
        let excused_in = (task.source == HOME_SAMPLING_SOURCE)
            .then(|| {
                task.source_key
                    .as_deref()?
                    .split(':')
                    .next()?
                    .parse::<i64>()
                    .ok()
            })
            .flatten();
        let rounds = self.store.rounds_near(Some(&task.area_path)).await?;
        Ok(rounds
            .into_iter()
            .filter(|r| r.status == RoundStatus::Open)
            .filter(|r| r.areas.iter().any(|a| a.contains(&task.area_path)))
            .filter(|r| excused_in.is_none_or(|id| id == r.id))
            .map(|r| (r, household))
            .collect())
    }
}
