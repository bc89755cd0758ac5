//! Mass-testing rounds: the round, its areas and groups, exclusions, tubes, the samples that
//! bind persons to tubes, coverage counts and personal codes.

use async_trait::async_trait;
use doorstep_core::{
    AreaPath, DocType, Exclusion, PersonCode, PoolSize, RoundStatus, SampleMode, TubeCode,
};
use time::{Date, OffsetDateTime};

use crate::{Audit, Id, Person, PersonWithPlace, StoreResult};

/// A group of persons sampled apart from the pool: under an area, or carrying a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundGroup {
    /// Persons living under this area…
    pub area_path: Option<AreaPath>,
    /// …or carrying this tag (e.g. 居家隔离).
    pub tag: Option<String>,
    /// How they are sampled.
    pub mode: SampleMode,
}

/// A round as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    /// Its id.
    pub id: Id,
    /// The area running it.
    pub area_id: Id,
    /// That area's path (who may manage it).
    pub area_path: AreaPath,
    /// Its name, e.g. 第3轮全员核酸.
    pub name: String,
    /// The default pool size.
    pub pool_size: PoolSize,
    /// Minutes from a box's first sample to the lab before the box is late.
    pub lab_deadline_minutes: i64,
    /// Where it stands.
    pub status: RoundStatus,
    /// When sampling is planned to start and end.
    pub starts_at: Option<OffsetDateTime>,
    /// See `starts_at`.
    pub ends_at: Option<OffsetDateTime>,
    /// The areas it samples (the running area itself, or some areas in it).
    pub areas: Vec<AreaPath>,
    /// Groups sampled single-tube or one tube per household.
    pub groups: Vec<RoundGroup>,
    /// Who made it.
    pub created_by: String,
    /// When.
    pub created_at: OffsetDateTime,
}

/// A round to create.
#[derive(Debug, Clone)]
pub struct NewRound {
    /// The area running it.
    pub area_id: Id,
    /// Its name.
    pub name: String,
    /// The default pool size.
    pub pool_size: PoolSize,
    /// Minutes from a box's first sample to the lab before the box is late.
    pub lab_deadline_minutes: i64,
    /// Planned start.
    pub starts_at: Option<OffsetDateTime>,
    /// Planned end.
    pub ends_at: Option<OffsetDateTime>,
    /// The areas it samples (ids), the running area when empty.
    pub areas: Vec<Id>,
    /// Groups sampled apart.
    pub groups: Vec<RoundGroup>,
}

/// A tube as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tube {
    /// Its id.
    pub id: Id,
    /// Its round.
    pub round_id: Id,
    /// Its code.
    pub code: TubeCode,
    /// The area of whoever opened it (the sampling point's).
    pub area_path: AreaPath,
    /// How it is filled.
    pub mode: SampleMode,
    /// How many it holds when full.
    pub capacity: u32,
    /// How many it holds.
    pub count: u32,
    /// Whether it was closed (full, or by hand).
    pub closed: bool,
    /// Who opened it (its first scan), when.
    pub opened_by: String,
    /// See `opened_by`.
    pub opened_at: OffsetDateTime,
    /// Who closed it, when.
    pub closed_by: Option<String>,
    /// See `closed_by`.
    pub closed_at: Option<OffsetDateTime>,
}

/// One scan to record: a person into a tube.
#[derive(Debug, Clone)]
pub struct NewScan {
    /// The round (open).
    pub round_id: Id,
    /// The scanning device's id for this scan: a resend answers the stored scan.
    pub client_id: String,
    /// The tube.
    pub tube: TubeCode,
    /// The area a new tube is opened in (the sampler's).
    pub point_area: AreaPath,
    /// How a new tube is filled, and its capacity (the round's pool size, 1, or the
    /// household's members); a tube already open keeps its own.
    pub mode: SampleMode,
    /// See `mode`.
    pub capacity: u32,
    /// The person.
    pub person_id: Id,
    /// Their household (a tube of one household takes only its members).
    pub household_id: Id,
    /// The person's building or unit.
    pub area_id: Id,
    /// That area's path.
    pub area_path: AreaPath,
    /// A second sample of a person sampled already (asked for).
    pub retest: bool,
    /// Who scans.
    pub by: String,
}

/// A recorded scan, as its answer shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// The sample's id.
    pub id: Id,
    /// The person.
    pub person_id: Id,
    /// The tube's code.
    pub tube: TubeCode,
    /// The tube's count after this scan.
    pub count: u32,
    /// Its capacity.
    pub capacity: u32,
    /// Whether the tube is closed after this scan (this scan filled it).
    pub closed: bool,
    /// Whether this was a retest.
    pub retest: bool,
    /// When it was recorded.
    pub at: OffsetDateTime,
    /// Whether this answer is a resend's (the scan was recorded before).
    pub replayed: bool,
}

/// A sample in a tube, for the tube's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TubeSample {
    /// The person.
    pub person_id: Id,
    /// Their building or unit.
    pub area_path: AreaPath,
    /// A retest.
    pub retest: bool,
    /// Who scanned, when.
    pub by: String,
    /// See `by`.
    pub at: OffsetDateTime,
}

/// A person excused from a round.
#[derive(Debug, Clone)]
pub struct NewExclusion {
    /// The round.
    pub round_id: Id,
    /// The person.
    pub person_id: Id,
    /// Their building or unit.
    pub area_id: Id,
    /// That area's path.
    pub area_path: AreaPath,
    /// Why.
    pub reason: Exclusion,
    /// A note.
    pub note: String,
    /// Who excused them.
    pub by: String,
}

/// Counts of one building or unit in a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaRoundCount {
    /// The area.
    pub area_id: Id,
    /// Its path.
    pub area_path: AreaPath,
    /// Persons registered there (expected).
    pub persons: i64,
    /// Persons sampled (once each).
    pub sampled: i64,
    /// Persons excused.
    pub excluded: i64,
}

/// A round's tubes counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TubeTotals {
    /// Tubes opened.
    pub tubes: i64,
    /// Of those, closed.
    pub closed: i64,
    /// Closed under their pool size.
    pub short: i64,
    /// With a result.
    pub resulted: i64,
    /// Positive.
    pub positive: i64,
    /// Samples taken (persons in tubes, retests included).
    pub samples: i64,
}

/// Whom a scan names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanPerson {
    /// A person's file id.
    Id(Id),
    /// A document and its number (as the document reads: see `IdDocument::number`).
    Document(DocType, String),
    /// A personal code.
    Code(PersonCode),
}

/// The household of the person a scan names: where they live. Its members are not counted
/// here (a descent of one more index a scan): only a one-tube-per-household scan needs them,
/// and reads them (`Registry::household`, which counts them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanHousehold {
    /// Its id.
    pub id: Id,
    /// The building or unit it is in.
    pub area_id: Id,
    /// That area's path.
    pub area_path: AreaPath,
    /// The readable address.
    pub address: String,
}

/// The person a scan names, as the scan needs them.
#[derive(Debug, Clone)]
pub struct ScanTarget {
    /// The person.
    pub person: Person,
    /// Their household.
    pub household: ScanHousehold,
    /// An at-home episode is active for them on the scan's day.
    pub at_home: bool,
}

/// Rounds and their samples.
#[async_trait]
pub trait Rounds: Send + Sync {
    /// Creates a round (planned) with its areas and groups, audited.
    async fn create_round(
        &self,
        round: &NewRound,
        by: &str,
        audit: Audit<Round>,
    ) -> StoreResult<Round>;

    /// Reads a round.
    async fn round(&self, id: Id) -> StoreResult<Option<Round>>;

    /// A round as it was made, for the busiest reads (every scan): its areas, groups and pool
    /// size, which never change, are kept in memory after the first read; its status may be
    /// stale (a scan's write checks the status itself).
    async fn round_as_made(&self, id: Id) -> StoreResult<Option<Round>>;

    /// The person a scan names, with their household, in one read; and whether an at-home
    /// episode (home quarantine or home health monitoring) is active for them on `day`
    /// (sampled single-tube whatever the round's groups say).
    async fn scan_person(&self, who: &ScanPerson, day: Date) -> StoreResult<Option<ScanTarget>>;

    /// The rounds touching an area: run in it or below it, or run above it; newest first
    /// (all rounds when `None`).
    async fn rounds_near(&self, area: Option<&AreaPath>) -> StoreResult<Vec<Round>>;

    /// Moves a round to `to` if it may ([`RoundStatus::may_become`], else Conflict
    /// `round_status`), audited.
    async fn set_round_status(
        &self,
        id: Id,
        to: RoundStatus,
        audit: Audit<Round>,
    ) -> StoreResult<Round>;

    /// Records a scan in one transaction: a resend (same round and client id) answers the
    /// stored scan; else Conflict `round_not_open`, `tube_in_other_round`, `tube_closed`,
    /// `tube_full` or `already_sampled`, or the sample with the tube's new count (the tube
    /// opened by its first scan, closed by the one that fills it). A person excused and then
    /// sampled is no longer excused. Not audited one by one: the sample row records who and
    /// when.
    async fn record_scan(&self, scan: &NewScan) -> StoreResult<Scan>;

    /// Closes an open tube by hand (NotFound outside the round; closing a closed tube
    /// answers it), audited.
    async fn close_tube(
        &self,
        round_id: Id,
        code: &TubeCode,
        by: &str,
        audit: Audit<Tube>,
    ) -> StoreResult<Tube>;

    /// A tube of a round with its samples, in scan order.
    async fn tube(
        &self,
        round_id: Id,
        code: &TubeCode,
    ) -> StoreResult<Option<(Tube, Vec<TubeSample>)>>;

    /// The round's open tubes (by code), for the sampler and the packer.
    async fn open_tubes(&self, round_id: Id) -> StoreResult<Vec<Tube>>;

    /// Excuses a person from a round (replacing an earlier reason); Conflict `already_sampled`
    /// for a person sampled in it. Audited.
    async fn exclude(&self, excuse: &NewExclusion, audit: Audit<()>) -> StoreResult<()>;

    /// Counts of every building or unit under `area` holding persons, with the round's
    /// sampled and excused persons there.
    async fn round_counts(&self, round_id: Id, area: &AreaPath)
    -> StoreResult<Vec<AreaRoundCount>>;

    /// Persons under `area` neither sampled nor excused in the round, with their place, at
    /// most `limit`.
    async fn round_missing(
        &self,
        round_id: Id,
        area: &AreaPath,
        limit: u32,
    ) -> StoreResult<Vec<PersonWithPlace>>;

    /// The round's tubes counted, in one read.
    async fn tube_totals(&self, round_id: Id) -> StoreResult<TubeTotals>;

    /// A person's personal code, made on first use.
    async fn person_code(&self, person_id: Id, fresh: PersonCode) -> StoreResult<PersonCode>;

    /// The person a personal code belongs to.
    async fn person_by_code(&self, code: &PersonCode) -> StoreResult<Option<Id>>;
}
