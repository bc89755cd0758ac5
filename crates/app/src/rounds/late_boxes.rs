//! Alerts on the community board: a box the lab has not received within the deadline of its
//! first sample becomes an urgent task for the community desk (source `late_box`, keyed by
//! the box, so the periodic sweep may run any number of times, on any number of servers);
//! the households of positive pools (source `positive`, made with the results) and the late
//! boxes are read back for the top of the board.

use std::collections::HashMap;

use doorstep_core::{AreaKind, AreaPath, Target};
use doorstep_store::{Id, Round, Store, Task};
use time::Duration;

use crate::access::{Action, Ctx, Principal};
use crate::clock::china_minute;
use crate::error::{AppError, AppResult};
use crate::tasks::{TaskDesk, TaskInput};

/// How long a box may take from its first sample to the lab. The one place the deadline is
/// read: the round's own (`rounds.lab_deadline_minutes`, set when it is made; the published
/// rule's [`super::LAB_DEADLINE_MINUTES`] by default).
pub fn lab_deadline(round: &Round) -> Duration {
    Duration::minutes(round.lab_deadline_minutes)
}

/// The community holding `path` (the desk late boxes go to), else the round's own area.
async fn desk_area(store: &dyn Store, path: &AreaPath, round: &Round) -> AppResult<Id> {
    let mut at = Some(path.clone());
    while let Some(p) = at {
        if let Some(a) = store.area_by_path(&p).await?
            && a.kind == AreaKind::Community
        {
            return Ok(a.id);
        }
        at = p.parent();
    }
    Ok(round.area_id)
}

/// Makes an urgent task on the community board for every box not at the lab within its
/// round's deadline of its first sample (source `late_box`, key the box's id: a box already
/// alerted makes nothing new). Returns how many boxes are late now.
pub async fn sweep_late_boxes(store: &dyn Store, ctx: &Ctx) -> AppResult<usize> {
    let now = ctx.now();
    let mut rounds: HashMap<Id, Round> = HashMap::new();
    let mut desks: HashMap<String, Id> = HashMap::new();
    let mut inputs = Vec::new();
    for b in store.unreceived_boxes().await? {
        let Some(first) = b.first_sample_at else {
            continue;
        };
        let round = match rounds.entry(b.round_id) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => match store.round(b.round_id).await? {
                Some(r) => v.insert(r),
                None => continue,
            },
        };
        let round: &Round = round;
        if now - first < lab_deadline(round) {
            continue;
        }
        let desk = match desks.get(b.area_path.as_str()) {
            Some(id) => *id,
            None => {
                let id = desk_area(store, &b.area_path, round).await?;
                desks.insert(b.area_path.to_string(), id);
                id
            }
        };
        let minutes = lab_deadline(round).whole_minutes();
        inputs.push(TaskInput {
            kind: "other".into(),
            target: Target::Area(desk),
            assignee_id: None,
            due: String::new(),
            priority: "urgent".into(),
            note: format!(
                "{}：转运箱 {}（{}，{}）首个样本 {} 采集，超过 {} 分钟仍未送达实验室 / box {} not at the lab {} minutes after its first sample",
                round.name,
                b.code,
                b.area_path.name(),
                b.status.label(doorstep_core::Lang::Zh),
                china_minute(first),
                minutes,
                b.code,
                minutes
            ),
            source: "late_box".into(),
            source_key: Some(b.id.to_string()),
        });
    }
    if inputs.is_empty() {
        return Ok(0);
    }
    let office = Principal::office();
    TaskDesk::new(store, &office, ctx)
        .create_many(&inputs)
        .await?;
    Ok(inputs.len())
}

/// The open alerts of this user's board, most urgent first (at most 50 of each): the
/// positive pools' re-sampling tasks (one per person; the page groups them by household)
/// and the late boxes.
pub async fn board_alerts(store: &dyn Store, who: &Principal) -> AppResult<(Vec<Task>, Vec<Task>)> {
    if !who.may(Action::ManageTasks) {
        return Err(AppError::Forbidden);
    }
    let mut out = (Vec::new(), Vec::new());
    for (source, into) in [("positive", &mut out.0), ("late_box", &mut out.1)] {
        for id in store.alert_task_ids(who.area(), &[source], 50).await? {
            if let Some(t) = store.task(id).await? {
                into.push(t);
            }
        }
    }
    Ok(out)
}
