//! The chain of custody of a round's samples: boxes, lab receipt, tube results, the persons a
//! positive pool flags, and the append-only log of custody events.

use async_trait::async_trait;
use doorstep_core::{AreaPath, BoxStatus, TubeCode, TubeResult};
use time::OffsetDateTime;

use crate::{Audit, Id, StoreResult, Tube};

/// A transport box (转运箱) as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportBox {
    /// Its id.
    pub id: Id,
    /// Its round.
    pub round_id: Id,
    /// Its code (转运箱码), unique across rounds.
    pub code: TubeCode,
    /// The area of whoever opened it.
    pub area_path: AreaPath,
    /// Where it stands.
    pub status: BoxStatus,
    /// Tubes in it (live while open, as counted at sealing after).
    pub tubes: i64,
    /// Persons in its tubes.
    pub persons: i64,
    /// Who opened it, when.
    pub opened_by: String,
    /// See `opened_by`.
    pub opened_at: OffsetDateTime,
    /// Who sealed it, when.
    pub sealed_by: Option<String>,
    /// See `sealed_by`.
    pub sealed_at: Option<OffsetDateTime>,
    /// Who carries it, to which lab, handed over when.
    pub carrier: Option<String>,
    /// See `carrier`.
    pub lab: Option<String>,
    /// See `carrier`.
    pub handed_at: Option<OffsetDateTime>,
    /// Who received it at the lab, when, counting how many tubes.
    pub received_by: Option<String>,
    /// See `received_by`.
    pub received_at: Option<OffsetDateTime>,
    /// See `received_by`.
    pub received_tubes: Option<i64>,
    /// Why the lab's count differs from the seal's.
    pub mismatch_note: Option<String>,
    /// The earliest sample in it (for timeliness).
    pub first_sample_at: Option<OffsetDateTime>,
    /// The handover slip it travels on, once handed over with one.
    pub handover_id: Option<Id>,
}

/// One event of a tube's or box's custody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustodyEvent {
    /// `sampled`, `closed`, `boxed`, `sealed`, `handed_over`, `received`, `resulted`.
    pub action: String,
    /// Who.
    pub by: String,
    /// When.
    pub at: OffsetDateTime,
    /// What else: counts, the carrier and lab, the result.
    pub details: serde_json::Value,
}

/// One tube's result from the lab.
#[derive(Debug, Clone)]
pub struct NewResult {
    /// The tube.
    pub tube: TubeCode,
    /// The result.
    pub result: TubeResult,
    /// When the lab tested it.
    pub tested_at: OffsetDateTime,
}

/// What one result did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultOutcome {
    /// Recorded on the tube of this round, reaching every person in it.
    Recorded {
        /// The tube's round.
        round_id: Id,
        /// Persons newly flagged by this (positive, pooled) result.
        flagged: Vec<Id>,
    },
    /// The same result was recorded before (a resent file): nothing new.
    Unchanged,
    /// The tube has a different result already (Conflict `result_recorded`).
    Different,
    /// No such tube, or not one this lab may see.
    UnknownTube,
}

/// A person flagged by a positive pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// The person.
    pub person_id: Id,
    /// The positive pool's tube.
    pub tube: TubeCode,
    /// `flagged` (to re-sample), `negative` (released) or `positive` (to transfer).
    pub status: String,
    /// When flagged.
    pub flagged_at: OffsetDateTime,
}

/// Boxes, the lab and results.
#[async_trait]
pub trait Custody: Send + Sync {
    /// Opens a box in a round (or answers the open box with this code in the round); Conflict
    /// `box_in_other_round` for a code used elsewhere.
    async fn open_box(
        &self,
        round_id: Id,
        code: &TubeCode,
        area: &AreaPath,
        by: &str,
    ) -> StoreResult<TransportBox>;

    /// A box of a round with its tubes, in the order they went in.
    async fn transport_box(
        &self,
        round_id: Id,
        code: &TubeCode,
    ) -> StoreResult<Option<(TransportBox, Vec<Tube>)>>;

    /// A box by code alone (the lab's view).
    async fn box_by_code(&self, code: &TubeCode) -> StoreResult<Option<TransportBox>>;

    /// Puts a closed tube of the round into an open box (again: nothing new). Conflict
    /// `box_closed`, `tube_open`, `tube_boxed`; NotFound for a tube not in the round.
    async fn box_tube(
        &self,
        round_id: Id,
        box_code: &TubeCode,
        tube: &TubeCode,
        by: &str,
    ) -> StoreResult<TransportBox>;

    /// The round's tubes opened under `area` that are still open or in no box: what must be
    /// dealt with before a box is sealed.
    async fn unboxed_tubes(&self, round_id: Id, area: &AreaPath) -> StoreResult<Vec<Tube>>;

    /// Moves a box on (seal, hand over, receive), counting its tubes and persons at sealing;
    /// Conflict `box_status` for a move it cannot make, `box_empty` for sealing an empty box.
    /// Audited.
    async fn move_box(
        &self,
        round_id: Id,
        code: &TubeCode,
        step: &BoxStep,
        audit: Audit<TransportBox>,
    ) -> StoreResult<TransportBox>;

    /// Records lab results, one outcome per result in order, in one transaction; a positive
    /// pooled tube flags its persons, a result on a flagged person's re-sample closes the
    /// flag. Audited.
    async fn record_results(
        &self,
        results: &[NewResult],
        by: &str,
        audit: Audit<Vec<ResultOutcome>>,
    ) -> StoreResult<Vec<ResultOutcome>>;

    /// A tube's custody timeline (sampled, closed, boxed, sealed, handed over, received,
    /// resulted), oldest first.
    async fn tube_timeline(&self, tube_id: Id) -> StoreResult<Vec<CustodyEvent>>;

    /// A box's custody events, oldest first.
    async fn box_timeline(&self, box_id: Id) -> StoreResult<Vec<CustodyEvent>>;

    /// The round's flagged persons (all statuses), newest first.
    async fn flags(&self, round_id: Id) -> StoreResult<Vec<Flag>>;

    /// The round's boxes, newest first.
    async fn boxes(&self, round_id: Id) -> StoreResult<Vec<TransportBox>>;

    /// For each known tube code: its round and the round's area (what a lab's access is
    /// checked against), in one read.
    async fn tube_rounds(&self, codes: &[TubeCode]) -> StoreResult<Vec<(TubeCode, Id, AreaPath)>>;
}

/// A box's next step, with what it records.
#[derive(Debug, Clone)]
pub enum BoxStep {
    /// 封箱
    Seal {
        /// Who seals.
        by: String,
    },
    /// 交接: from the sampling point to a carrier, for a lab.
    HandOver {
        /// Who hands it over.
        by: String,
        /// Who carries it.
        carrier: String,
        /// To which lab.
        lab: String,
    },
    /// 接收 at the lab, with the lab's own count of tubes (a difference needs a note).
    Receive {
        /// Who receives.
        by: String,
        /// Tubes counted.
        tubes: i64,
        /// Why the count differs, if it does.
        note: String,
    },
}
