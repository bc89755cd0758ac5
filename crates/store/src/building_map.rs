//! The building map (楼栋图): a building's households with what a layer shows of each, and
//! the building's own way of numbering rooms (how many trailing digits are the room).

use async_trait::async_trait;
use doorstep_core::AreaPath;

use crate::{Audit, Id, StoreResult};

/// A household on the testing round's layer: its place and its members counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapHousehold {
    /// The household.
    pub household_id: Id,
    /// Its building or unit.
    pub area_id: Id,
    /// That area's path.
    pub area_path: AreaPath,
    /// Its room as written.
    pub room: String,
    /// Persons registered there.
    pub members: i64,
    /// Of those, sampled in the round (once each; retests not again).
    pub sampled: i64,
    /// Excused from the round.
    pub excused: i64,
    /// In a positive pool, not yet settled (`sample_flags` still `flagged`).
    pub flagged: i64,
}

/// A household on the quarantine layer: its place, its members in an at-home episode, and its
/// open follow-ups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineHousehold {
    /// The household.
    pub household_id: Id,
    /// Its building or unit.
    pub area_id: Id,
    /// That area's path.
    pub area_path: AreaPath,
    /// Its room as written.
    pub room: String,
    /// Persons registered there.
    pub members: i64,
    /// Of those, in an active at-home episode.
    pub in_episode: i64,
    /// Open follow-ups of abnormal check-ins.
    pub abnormal: i64,
    /// Open follow-ups of missed check-ins or test days.
    pub overdue: i64,
    /// Open deliveries.
    pub supply: i64,
}

/// The building map's reads and its one setting.
#[async_trait]
pub trait BuildingMaps: Send + Sync {
    /// Every household under `area` with its members counted for `round_id`, in one read.
    async fn round_map_households(
        &self,
        round_id: Id,
        area: &AreaPath,
    ) -> StoreResult<Vec<MapHousehold>>;

    /// Every household under `area` on the quarantine layer at `now`, in two reads.
    async fn quarantine_map_households(
        &self,
        area: &AreaPath,
        now: time::OffsetDateTime,
    ) -> StoreResult<Vec<QuarantineHousehold>>;

    /// The room digits set for the areas under `area` (itself included): (area id, digits).
    async fn room_digits_under(&self, area: &AreaPath) -> StoreResult<Vec<(Id, u8)>>;

    /// Sets (or with `None` clears) how many trailing digits of a room number are the room
    /// in this building or unit, audited. NotFound for an unknown area.
    async fn set_room_digits(
        &self,
        area_id: Id,
        digits: Option<u8>,
        audit: Audit<()>,
    ) -> StoreResult<()>;
}
