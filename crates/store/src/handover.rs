//! Handover slips (交接单), the transport group's pickup list, the seal notifications' outbox
//! and the reads the community board's alerts need.

use async_trait::async_trait;
use doorstep_core::handover::Temperature;
use doorstep_core::{AreaPath, TubeCode};
use time::{Duration, OffsetDateTime};

use crate::{Audit, Id, StoreResult, TransportBox};

/// A handover slip as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handover {
    /// Its id (the slip's number).
    pub id: Id,
    /// Its round.
    pub round_id: Id,
    /// The sampling point (from).
    pub area_path: AreaPath,
    /// The lab (to).
    pub lab: String,
    /// Who carries the boxes.
    pub carrier: String,
    /// The packaging was intact at handover.
    pub packaging_intact: bool,
    /// The boxes were disinfected at handover.
    pub disinfected: bool,
    /// The temperature in the boxes, if recorded.
    pub temperature: Option<Temperature>,
    /// The sender's signature: who, when.
    pub sent_by: String,
    /// See `sent_by`.
    pub handed_at: OffsetDateTime,
    /// The receiver's signature at the lab, once every box is received.
    pub received_by: Option<String>,
    /// See `received_by`.
    pub received_at: Option<OffsetDateTime>,
}

/// A slip to write: its sealed boxes go to `handed_over` with it.
#[derive(Debug, Clone)]
pub struct NewHandover {
    /// The round.
    pub round_id: Id,
    /// The sampling point.
    pub area_path: AreaPath,
    /// The sealed boxes (at least one).
    pub boxes: Vec<TubeCode>,
    /// To which lab.
    pub lab: String,
    /// Who carries them.
    pub carrier: String,
    /// Packaging intact.
    pub packaging_intact: bool,
    /// Disinfected.
    pub disinfected: bool,
    /// The temperature, if measured at handover.
    pub temperature: Option<Temperature>,
    /// The sender (signs now).
    pub sent_by: String,
    /// When.
    pub at: OffsetDateTime,
}

/// One box as the lab counted it.
#[derive(Debug, Clone)]
pub struct BoxReceipt {
    /// The box.
    pub code: TubeCode,
    /// Tubes counted.
    pub tubes: i64,
    /// Why the count differs from the seal's (checked by the caller: needed when it does).
    pub note: String,
}

/// A seal notification waiting for the webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealNote {
    /// Its row.
    pub id: Id,
    /// The box sealed.
    pub box_id: Id,
    /// Sent as `Idempotency-Key`: the same for every attempt.
    pub idem_key: String,
    /// The JSON body.
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// Handover slips and what the transport group and the board read.
#[async_trait]
pub trait Handovers: Send + Sync {
    /// Writes a slip and hands its boxes over (each `sealed` → `handed_over`, with the carrier,
    /// lab and the slip; a custody event each, signed by the sender), in one transaction.
    /// NotFound for a box not in the round; Conflict `box_status` for a box not sealed.
    /// Audited.
    async fn create_handover(
        &self,
        new: &NewHandover,
        audit: Audit<Handover>,
    ) -> StoreResult<Handover>;

    /// A slip with its boxes (in code order).
    async fn handover(&self, id: Id) -> StoreResult<Option<(Handover, Vec<TransportBox>)>>;

    /// A round's slips, newest first.
    async fn handovers(&self, round_id: Id) -> StoreResult<Vec<Handover>>;

    /// The latest `limit` slips from sampling points under `area` (everywhere for `None`),
    /// newest first: the transport group's way back to a slip.
    async fn recent_handovers(
        &self,
        area: Option<&AreaPath>,
        limit: i64,
    ) -> StoreResult<Vec<Handover>>;

    /// Receives boxes at the lab in one transaction (each `sealed`/`handed_over` →
    /// `received` with its count and note, a custody event each); then each slip whose boxes
    /// are all received is signed by `by` at `at`, keeping `temperature` when the slip had
    /// none (a `receipt_signed` event per box). Conflict `box_status` for a box received
    /// already or still open; NotFound for an unknown box. Audited.
    async fn receive_boxes(
        &self,
        receipts: &[BoxReceipt],
        temperature: Option<Temperature>,
        by: &str,
        at: OffsetDateTime,
        audit: Audit<Vec<TransportBox>>,
    ) -> StoreResult<Vec<TransportBox>>;

    /// Sealed boxes waiting for pickup under `area` (everywhere for `None`), oldest seal first.
    async fn waiting_boxes(&self, area: Option<&AreaPath>) -> StoreResult<Vec<TransportBox>>;

    /// Every box the lab has not received yet that holds a sample (what the late-box sweep
    /// reads).
    async fn unreceived_boxes(&self) -> StoreResult<Vec<TransportBox>>;

    /// Claims up to `limit` seal notifications due at `now` and made after `since`, for
    /// `lease` (no other server claims them meanwhile), counting the attempt.
    async fn claim_seal_notes(
        &self,
        now: OffsetDateTime,
        since: OffsetDateTime,
        lease: Duration,
        limit: i64,
    ) -> StoreResult<Vec<SealNote>>;

    /// Marks a notification delivered.
    async fn seal_note_delivered(&self, id: Id, at: OffsetDateTime) -> StoreResult<()>;

    /// Puts a notification back for another attempt at `next_at`, with what went wrong.
    async fn seal_note_failed(
        &self,
        id: Id,
        next_at: OffsetDateTime,
        error: &str,
    ) -> StoreResult<()>;

    /// Open (or in progress) tasks of these sources under `area`, most urgent first: the
    /// board's alerts.
    async fn alert_task_ids(
        &self,
        area: Option<&AreaPath>,
        sources: &[&str],
        limit: i64,
    ) -> StoreResult<Vec<Id>>;
}
