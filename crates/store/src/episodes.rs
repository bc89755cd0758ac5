//! Episodes of home quarantine, home health monitoring and central quarantine (隔离、监测):
//! a person under a measure from a start day to a planned end, under a policy version.

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_core::quarantine::Measure;
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
    /// `active` (the only state this slice writes; transfer and release come next).
    pub status: String,
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

    /// The episodes of persons living under `area` (active first, then newest), a page.
    async fn episodes_under(
        &self,
        area: &AreaPath,
        page: PageRequest,
    ) -> StoreResult<Page<Episode>>;
}
