//! Episodes of home quarantine, home health monitoring and central quarantine (隔离、监测):
//! a person under a measure from a start day to a planned end, under a policy version.

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_core::episode::{ChangeKind, EpisodeStatus};
use doorstep_core::quarantine::Measure;
use doorstep_core::testing::TubeResult;
use time::{Date, OffsetDateTime};

use crate::{Audit, Id, Page, PageRequest, StoreResult};

/// An episode to start.
#[derive(Debug, Clone)]
pub struct NewEpisode {
    /// The person.
    pub person_id: Id,
    /// Their household.
    pub household_id: Id,
    /// The household's building or unit.
    pub area_path: AreaPath,
    /// The measure.
    pub measure: Measure,
    /// Why (close contact, risk-place visit, returnee, sealed building …).
    pub reason: String,
    /// The policy's key and version.
    pub policy_key: String,
    /// See `policy_key`.
    pub policy_version: u32,
    /// Day 1.
    pub starts_on: Date,
    /// The last day.
    pub last_day: Date,
    /// The planned end (midnight after the last day, China's time).
    pub ends_at: OffsetDateTime,
    /// Who starts it.
    pub by: String,
    /// When (the request's clock).
    pub at: OffsetDateTime,
}

/// An episode as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Episode {
    /// Its id.
    pub id: Id,
    /// The person.
    pub person_id: Id,
    /// Their name.
    pub name: String,
    /// Their household.
    pub household_id: Id,
    /// The household's address.
    pub address: String,
    /// The household's building or unit.
    pub area_path: AreaPath,
    /// The measure.
    pub measure: Measure,
    /// Why.
    pub reason: String,
    /// The policy's key.
    pub policy_key: String,
    /// The policy's version.
    pub policy_version: u32,
    /// Day 1.
    pub starts_on: Date,
    /// The last day.
    pub last_day: Date,
    /// The planned end.
    pub ends_at: OffsetDateTime,
    /// Active, transferred or released.
    pub status: EpisodeStatus,
    /// When it was transferred or released.
    pub ended_at: Option<OffsetDateTime>,
    /// By whom.
    pub ended_by: Option<String>,
    /// Who started it.
    pub created_by: String,
    /// When.
    pub created_at: OffsetDateTime,
}

/// Episodes.
#[async_trait]
pub trait Episodes: Send + Sync {
    /// Starts episodes in one transaction (a household's members at once), audited. A person
    /// already in an active episode of the same measure whose days meet the new one's is
    /// refused (Conflict `episode_overlap`) and nothing is started.
    async fn start_episodes(
        &self,
        episodes: &[NewEpisode],
        audit: Audit<Vec<Episode>>,
    ) -> StoreResult<Vec<Episode>>;

    /// A person's episodes, newest first.
    async fn episodes_of_person(&self, person_id: Id) -> StoreResult<Vec<Episode>>;

    /// The episodes of persons living under `area` that pass `filter` (active first, then
    /// newest), a page.
    async fn episodes_under(
        &self,
        area: &AreaPath,
        filter: &EpisodeFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Episode>>;

    /// One episode.
    async fn episode(&self, id: Id) -> StoreResult<Option<Episode>>;

    /// A household's episodes (its members'), newest first.
    async fn episodes_of_household(&self, household_id: Id) -> StoreResult<Vec<Episode>>;

    /// Moves an episode's last day (and its planned end), keeping the change; refused unless
    /// active (`episode_not_active`), before the start (`episode_before_start`), shortened to
    /// before `today` (`episode_shorten_past`), unchanged (`episode_unchanged`), or meeting
    /// another active episode of the same measure (`episode_overlap`). Audited.
    async fn change_last_day(
        &self,
        change: &DayChange,
        audit: Audit<Episode>,
    ) -> StoreResult<Episode>;

    /// Transfers an active episode (it ends there), and starts `then` (a central quarantine
    /// episode) in the same transaction when given. Audited.
    async fn transfer_episode(
        &self,
        transfer: &Transfer,
        then: Option<NewEpisode>,
        audit: Audit<(Episode, Option<Episode>)>,
    ) -> StoreResult<(Episode, Option<Episode>)>;

    /// Releases active episodes together (a household's members), each with its reason;
    /// `episode_not_active` if one of them is not active (nothing is released). Audited.
    async fn release_episodes(
        &self,
        releases: &[Release],
        audit: Audit<Vec<Episode>>,
    ) -> StoreResult<Vec<Episode>>;

    /// An episode's changes, oldest first.
    async fn episode_changes(&self, episode_id: Id) -> StoreResult<Vec<EpisodeChange>>;

    /// A person's samples taken at or after `since`: when, and their tube's result (none
    /// while pending), oldest first.
    async fn person_samples(
        &self,
        person_id: Id,
        since: OffsetDateTime,
    ) -> StoreResult<Vec<(OffsetDateTime, Option<TubeResult>)>>;
}

/// Which episodes a list shows.
#[derive(Debug, Clone, Default)]
pub struct EpisodeFilter {
    /// Under this measure only.
    pub measure: Option<Measure>,
    /// In this status only.
    pub status: Option<EpisodeStatus>,
    /// Active with a last day on or before this day (release due).
    pub last_day_by: Option<Date>,
    /// Active with a last day on or after this day (with `last_day_by`: a range).
    pub last_day_from: Option<Date>,
    /// Started on this day (the daily report's "new").
    pub started_on: Option<Date>,
    /// Under the measure during this day and not ended before its end, which is given too
    /// (the daily report's "ongoing").
    pub during: Option<(Date, OffsetDateTime)>,
    /// Ended from the first time up to the second (the daily report's "released").
    pub ended_between: Option<(OffsetDateTime, OffsetDateTime)>,
}

/// A new last day.
#[derive(Debug, Clone)]
pub struct DayChange {
    /// The episode.
    pub episode_id: Id,
    /// The new last day.
    pub last_day: Date,
    /// The planned end it makes.
    pub ends_at: OffsetDateTime,
    /// Why.
    pub reason: String,
    /// China's date today (a shortened episode ends no earlier).
    pub today: Date,
    /// Who.
    pub by: String,
    /// When (the request's clock).
    pub at: OffsetDateTime,
}

/// A transfer.
#[derive(Debug, Clone)]
pub struct Transfer {
    /// The episode.
    pub episode_id: Id,
    /// Where to, as the history shows it (`central: 某酒店`, `hospital: 某医院`).
    pub to: String,
    /// When (the episode ends then).
    pub at: OffsetDateTime,
    /// Why.
    pub reason: String,
    /// Who.
    pub by: String,
}

/// A release.
#[derive(Debug, Clone)]
pub struct Release {
    /// The episode.
    pub episode_id: Id,
    /// The reason (an early release's, or the override of unmet items); may be empty.
    pub reason: String,
    /// The checklist as recorded (its unmet items' codes, comma-separated; empty when met).
    pub unmet: String,
    /// When.
    pub at: OffsetDateTime,
    /// Who.
    pub by: String,
}

/// One change of an episode, as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpisodeChange {
    /// Its id.
    pub id: Id,
    /// What changed.
    pub what: ChangeKind,
    /// Before (a last day, or a status).
    pub before: String,
    /// After (a last day, a destination, or `released`).
    pub after: String,
    /// Why.
    pub reason: String,
    /// Who.
    pub by: String,
    /// When.
    pub at: OffsetDateTime,
}
