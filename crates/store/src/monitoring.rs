//! Reads and bookkeeping of the daily monitoring work across episodes: who is in an episode
//! on a day, who gave a sample when, a worker's day and the community's overview, and the
//! once-a-day jobs.

use async_trait::async_trait;
use doorstep_core::AreaPath;
use time::{Date, OffsetDateTime};

use crate::{Episode, Id, StoreResult};

/// Episodes under an area, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EpisodeCounts {
    /// (measure code, status, how many).
    pub by_measure: Vec<(String, String, i64)>,
    /// Active at-home episodes whose days hold the day asked about, by policy version and
    /// measure (whose windows say how many check-ins are due): (key, version, measure, how
    /// many).
    pub in_days: Vec<(String, u32, String, i64)>,
    /// Check-in windows of that day filled (one per episode and window).
    pub windows_done: i64,
    /// Active episodes whose last day is that day.
    pub ending: i64,
}

/// Monitoring across episodes.
#[async_trait]
pub trait Monitoring: Send + Sync {
    /// The active at-home episodes whose days hold `day`.
    async fn episodes_on(&self, day: Date) -> StoreResult<Vec<Episode>>;

    /// Of `persons`, those with a sample taken in `[from, to)`.
    async fn sampled_between(
        &self,
        persons: &[Id],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> StoreResult<Vec<Id>>;

    /// Whether the job ran for `day`.
    async fn daily_sweep_done(&self, job: &str, day: Date) -> StoreResult<bool>;

    /// Records that the job ran for `day` (false when another server did first).
    async fn mark_daily_sweep(&self, job: &str, day: Date, at: OffsetDateTime)
    -> StoreResult<bool>;

    /// Active episodes under `area` whose last day is in `from..=to`, by building and room.
    async fn episodes_ending(
        &self,
        area: &AreaPath,
        from: Date,
        to: Date,
    ) -> StoreResult<Vec<Episode>>;

    /// The building or unit paths under `area` with households in an active at-home episode
    /// whose planned end is after `now`: (path, households).
    async fn episode_areas(
        &self,
        area: &AreaPath,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<(AreaPath, i64)>>;

    /// The tasks a feature made under these keys: (key, status code).
    async fn task_states(
        &self,
        source: &str,
        keys: &[String],
    ) -> StoreResult<Vec<(String, String)>>;

    /// The episodes under `area` counted by measure and status, and for `day`: the active
    /// at-home ones in their days, their check-in windows filled, and those ending.
    async fn episode_counts(&self, area: &AreaPath, day: Date) -> StoreResult<EpisodeCounts>;
}
