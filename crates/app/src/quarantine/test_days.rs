//! Tests on set days (上门采样): each test day of an at-home episode becomes a home-sampling
//! task for the household (routed to the owner of its building), made once a day from 06:00
//! China's time and at once for episodes started on a test day; a test day that passed with no
//! sample of the person becomes an urgent follow-up. The sample itself goes through the
//! testing model (a single tube on the sampler's page), so its result reaches the episode from
//! the lab like any other.

use std::collections::BTreeMap;

use doorstep_core::Target;
use doorstep_core::quarantine::CHINA;
use doorstep_core::text::mask_name;
use doorstep_store::{Episode, Store};
use time::{Date, Duration, OffsetDateTime, Time};

use super::checkins::schedule_of;
use crate::access::{Ctx, Principal};
use crate::error::AppResult;
use crate::tasks::{TaskDesk, TaskInput};

/// The task source of a test day's home sampling (keyed by household and date).
pub const TEST_DAY_SOURCE: &str = "episode_test";
/// The task source of a missed test day (keyed by episode and date).
pub const MISSED_TEST_SOURCE: &str = "episode_test_missed";

const TASKS_JOB: &str = "test_day_tasks";
const MISSED_JOB: &str = "test_day_missed";

/// The hour (China's time) from which the day's test tasks are made.
const TASKS_FROM_HOUR: u8 = 6;

/// The midnight starting `day`, China's time.
fn day_start(day: Date) -> OffsetDateTime {
    day.with_time(Time::MIDNIGHT).assume_offset(CHINA)
}

/// The episodes of `episodes` with a test on `day`: (episode, its day number).
async fn testing_on(
    store: &dyn Store,
    episodes: &[Episode],
    day: Date,
) -> AppResult<Vec<(Episode, u16)>> {
    let mut out = Vec::new();
    for e in episodes.iter().filter(|e| e.measure.at_home()) {
        let s = schedule_of(store, e).await?;
        if let Some((n, _)) = s.test_days.iter().find(|(_, d)| *d == day) {
            out.push((e.clone(), *n));
        }
    }
    Ok(out)
}

/// Makes the home-sampling tasks of `day` for these episodes: one per household, naming its
/// members due (masked) and the episode day, due by the day's end. Returns how many were new.
pub async fn test_day_tasks(
    store: &dyn Store,
    ctx: &Ctx,
    episodes: &[Episode],
    day: Date,
) -> AppResult<usize> {
    let mut by_household: BTreeMap<i64, Vec<(String, u16)>> = BTreeMap::new();
    for (e, n) in testing_on(store, episodes, day).await? {
        let list = by_household.entry(e.household_id).or_default();
        if !list.iter().any(|(name, _)| *name == mask_name(&e.name)) {
            list.push((mask_name(&e.name), n));
        }
    }
    let inputs: Vec<TaskInput> = by_household
        .iter()
        .map(|(h, due)| {
            let names: Vec<String> = due
                .iter()
                .map(|(name, n)| format!("{name}（第{n}天）"))
                .collect();
            TaskInput {
                kind: "home_sampling".into(),
                target: Target::Household(*h),
                assignee_id: None,
                due: day.to_string(),
                priority: "high".into(),
                note: format!(
                    "居家隔离/监测核酸检测日，上门单管采样：{} / test day of home quarantine or monitoring: sample at the door, one tube each",
                    names.join("、")
                ),
                source: TEST_DAY_SOURCE.into(),
                source_key: Some(format!("{h}:{day}")),
            }
        })
        .collect();
    // Only the households whose task is not made yet (the daily job meets the ones made at the
    // start): one read instead of offering every task again.
    let keys: Vec<String> = inputs.iter().filter_map(|i| i.source_key.clone()).collect();
    let made: std::collections::HashSet<String> = store
        .task_states(TEST_DAY_SOURCE, &keys)
        .await?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let inputs: Vec<TaskInput> = inputs
        .into_iter()
        .filter(|i| i.source_key.as_ref().is_none_or(|k| !made.contains(k)))
        .collect();
    let office = Principal::office();
    for chunk in inputs.chunks(crate::tasks::MAX_BULK) {
        TaskDesk::new(store, &office, ctx)
            .create_many(chunk)
            .await?;
    }
    Ok(inputs.len())
}

/// The daily test-day work, once per date on any number of servers: from 06:00 the day's
/// home-sampling tasks; after midnight, the previous day's missed tests as urgent follow-ups.
/// Returns (tasks made, tests missed).
pub async fn sweep_test_days(store: &dyn Store, ctx: &Ctx) -> AppResult<(usize, usize)> {
    let now = ctx.now();
    let china = now.to_offset(CHINA);
    let today = china.date();
    let yesterday = today - Duration::days(1);
    let mut made = 0;
    if china.hour() >= TASKS_FROM_HOUR && !store.daily_sweep_done(TASKS_JOB, today).await? {
        let episodes = store.episodes_on(today).await?;
        made = test_day_tasks(store, ctx, &episodes, today).await?;
        store.mark_daily_sweep(TASKS_JOB, today, now).await?;
    }
    let mut missed = 0;
    if !store.daily_sweep_done(MISSED_JOB, yesterday).await? {
        let due = testing_on(store, &store.episodes_on(yesterday).await?, yesterday).await?;
        let persons: Vec<i64> = due.iter().map(|(e, _)| e.person_id).collect();
        let sampled = store
            .sampled_between(&persons, day_start(yesterday), day_start(today))
            .await?;
        let inputs: Vec<TaskInput> = due
            .iter()
            .filter(|(e, _)| !sampled.contains(&e.person_id))
            .map(|(e, n)| TaskInput {
                kind: "checkin_followup".into(),
                target: Target::Person(e.person_id),
                assignee_id: None,
                due: String::new(),
                priority: "urgent".into(),
                note: format!(
                    "{yesterday} 第{n}天核酸检测未采样 / no sample on test day {n} ({yesterday})"
                ),
                source: MISSED_TEST_SOURCE.into(),
                source_key: Some(format!("{}:{yesterday}", e.id)),
            })
            .collect();
        missed = inputs.len();
        let office = Principal::office();
        for chunk in inputs.chunks(crate::tasks::MAX_BULK) {
            TaskDesk::new(store, &office, ctx)
                .create_many(chunk)
                .await?;
        }
        store.mark_daily_sweep(MISSED_JOB, yesterday, now).await?;
    }
    Ok((made, missed))
}
