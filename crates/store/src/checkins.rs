//! Daily check-ins (日常监测) of persons in an at-home episode, the household links they come
//! through, and the record of which closed windows the missed-check-in sweep has looked at.

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_core::quarantine::Measure;
use time::{Date, OffsetDateTime};

use crate::{Audit, Episode, Id, StoreResult};

/// A household with its active at-home episodes (the planned end still ahead): who a check-in
/// link or a worker checks in.
#[derive(Debug, Clone)]
pub struct CheckinHousehold {
    /// The household.
    pub household_id: Id,
    /// Its address.
    pub address: String,
    /// Its building or unit.
    pub area_path: AreaPath,
    /// The active at-home episodes of its members, by person then measure.
    pub episodes: Vec<Episode>,
}

/// A check-in to store: one person's answers, under one of their episodes.
#[derive(Debug, Clone)]
pub struct NewCheckin {
    /// The episode.
    pub episode_id: Id,
    /// Its person (not stored: the episode names them; for the answer).
    pub person_id: Id,
    /// Their name (likewise).
    pub name: String,
    /// The household.
    pub household_id: Id,
    /// The episode's day (1 is the start day).
    pub day: u16,
    /// The China date of the window it fills.
    pub on_day: Date,
    /// The window's number that day (0: none, an extra check-in).
    pub window_n: u8,
    /// `on_time`, `early`, `late` or `extra` ([`doorstep_core::checkin::Timing`]).
    pub timing: String,
    /// When.
    pub at: OffsetDateTime,
    /// Tenths of a degree Celsius.
    pub temperature: u16,
    /// Symptom codes, joined by `,`.
    pub symptoms: String,
    /// The antigen test's code (`''` when not done).
    pub antigen: String,
    /// A note.
    pub note: String,
    /// Whether it is abnormal.
    pub abnormal: bool,
    /// `self`, `phone` or `door`.
    pub method: String,
    /// The worker who recorded it (`None` for the household's own).
    pub recorded_by: Option<String>,
    /// The submission's idempotency key (the same for every member of one submission).
    pub client_key: String,
}

/// A stored check-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkin {
    /// Its id.
    pub id: Id,
    /// The episode.
    pub episode_id: Id,
    /// The person.
    pub person_id: Id,
    /// Their name.
    pub name: String,
    /// The household.
    pub household_id: Id,
    /// The episode's day.
    pub day: u16,
    /// The China date of the window it fills.
    pub on_day: Date,
    /// The window's number (0: none).
    pub window_n: u8,
    /// `on_time`, `early`, `late` or `extra`.
    pub timing: String,
    /// When.
    pub at: OffsetDateTime,
    /// Tenths of a degree Celsius.
    pub temperature: u16,
    /// Symptom codes, joined by `,`.
    pub symptoms: String,
    /// The antigen test's code.
    pub antigen: String,
    /// A note.
    pub note: String,
    /// Whether it is abnormal.
    pub abnormal: bool,
    /// `self`, `phone` or `door`.
    pub method: String,
    /// The worker who recorded it.
    pub recorded_by: Option<String>,
}

/// Check-ins stored by one submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The check-ins of the submission (all of it, also when resent).
    pub checkins: Vec<Checkin>,
    /// Whether the submission was stored before (a resend: nothing new written).
    pub replayed: bool,
}

/// A window of an episode closed with no check-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missed {
    /// The episode.
    pub episode_id: Id,
    /// The person.
    pub person_id: Id,
    /// Their name.
    pub name: String,
    /// The household.
    pub household_id: Id,
}

/// A closed window of one policy version and measure, as the sweep looks at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweptWindow {
    /// The policy's key.
    pub policy_key: String,
    /// Its version.
    pub policy_version: u32,
    /// The measure.
    pub measure: Measure,
    /// The China date.
    pub on_day: Date,
    /// The window's number.
    pub window_n: u8,
}

/// Check-ins and their links.
#[async_trait]
pub trait Checkins: Send + Sync {
    /// The household's check-in token: the one it has while it has an active at-home episode
    /// with its planned end after `now`, else `fresh` (stored from now on, so a slip printed
    /// for an earlier episode no longer opens anything).
    async fn ensure_checkin_link(
        &self,
        household_id: Id,
        fresh: &str,
        now: OffsetDateTime,
    ) -> StoreResult<String>;

    /// The household's check-in token, if it has one (open or not).
    async fn checkin_token(&self, household_id: Id) -> StoreResult<Option<String>>;

    /// The household behind `token`, with its active at-home episodes whose planned end is
    /// after `now`; `None` when the token is unknown or no such episode is left.
    async fn checkin_household_by_token(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<CheckinHousehold>>;

    /// The household with its active at-home episodes whose planned end is after `now`.
    async fn checkin_household(
        &self,
        household_id: Id,
        now: OffsetDateTime,
    ) -> StoreResult<Option<CheckinHousehold>>;

    /// The windows of `on_day` already filled, per episode: (episode, window number).
    async fn filled_windows(&self, episodes: &[Id], on_day: Date) -> StoreResult<Vec<(Id, u8)>>;

    /// Stores one submission's check-ins in one transaction: a submission whose key its
    /// episodes have seen before stores nothing and answers the first (`replayed`). The
    /// household's own (no audit entry) is the writer's cheapest job; a worker's is audited.
    async fn record_checkins(
        &self,
        rows: &[NewCheckin],
        audit: Audit<Recorded>,
    ) -> StoreResult<Recorded>;

    /// The check-ins of a household's members since `since` (China's date), newest first.
    async fn checkins_of_household(
        &self,
        household_id: Id,
        since: Date,
    ) -> StoreResult<Vec<Checkin>>;

    /// The check-ins of one episode, oldest first.
    async fn checkins_of_episode(&self, episode_id: Id) -> StoreResult<Vec<Checkin>>;

    /// The (policy key, version, measure) of active at-home episodes whose days meet
    /// `from..=to`: the schedules the sweep has to look at.
    async fn active_policies(
        &self,
        from: Date,
        to: Date,
    ) -> StoreResult<Vec<(String, u32, Measure)>>;

    /// Whether the sweep has looked at this window.
    async fn window_swept(&self, w: &SweptWindow) -> StoreResult<bool>;

    /// The active episodes under `w`'s policy version and measure whose days hold `w.on_day`,
    /// started before `opened` (an episode started during a window does not owe it), with no
    /// check-in filling the window.
    async fn missed_window(
        &self,
        w: &SweptWindow,
        opened: OffsetDateTime,
    ) -> StoreResult<Vec<Missed>>;

    /// Records that the sweep looked at `w` and found `missed` (false when another sweep did
    /// first).
    async fn mark_window_swept(
        &self,
        w: &SweptWindow,
        missed: usize,
        at: OffsetDateTime,
    ) -> StoreResult<bool>;
}
