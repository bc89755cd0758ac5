//! Self-report (报备): report links behind QR codes, the reports residents submit through them,
//! the review of those reports and what went up in the direct-report export.

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_core::idempotency::BodyHash;
pub use doorstep_core::report::{Purpose, ReportStatus};
use time::OffsetDateTime;

use crate::{Audit, Id, Page, PageRequest, StoreResult, UpsertReport};

/// A report link: the token a QR poster carries, for one area and one purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLink {
    /// Its id.
    pub id: Id,
    /// The unguessable token in `/r/{token}`.
    pub token: String,
    /// The area reports through it may name (community, compound or building).
    pub area_id: Id,
    /// That area's path.
    pub area_path: AreaPath,
    /// What it is for.
    pub purpose: Purpose,
    /// The risk places a resident chooses from (risk-visit links).
    pub risk_places: Vec<String>,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: OffsetDateTime,
    /// After this it takes no reports.
    pub expires_at: Option<OffsetDateTime>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<OffsetDateTime>,
}

/// A report link to create.
#[derive(Debug, Clone)]
pub struct NewReportLink {
    /// Its token.
    pub token: String,
    /// Its area.
    pub area_id: Id,
    /// Its purpose.
    pub purpose: Purpose,
    /// Risk places to choose from.
    pub risk_places: Vec<String>,
    /// Who creates it.
    pub created_by: String,
    /// When it stops taking reports.
    pub expires_at: Option<OffsetDateTime>,
}

/// A report as stored: one household's submission.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Its id.
    pub id: Id,
    /// The link it came through.
    pub link_id: Id,
    /// The client's idempotency key.
    pub idempotency_key: String,
    /// The receipt code the resident keeps (also the secret of their view-and-correct link).
    pub receipt: String,
    /// The link's purpose.
    pub purpose: Purpose,
    /// The building or unit of the address.
    pub area_id: Id,
    /// That area's path (what access is checked against).
    pub area_path: AreaPath,
    /// 房号
    pub room: String,
    /// The readable address, e.g. `佳纷天地3号楼2单元1201`.
    pub address: String,
    /// Whether the room was typed because it was not in the registry.
    pub room_new: bool,
    /// The members as validated: a JSON array of `{name, id_type, id_number, phone, relation}`.
    pub members: serde_json::Value,
    /// The purpose's answers, validated: a JSON object.
    pub answers: serde_json::Value,
    /// Where it stands.
    pub status: ReportStatus,
    /// When it was first stored.
    pub submitted_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
    /// Until when the resident may correct it.
    pub edit_until: OffsetDateTime,
    /// Who reviewed it.
    pub reviewed_by: Option<String>,
    /// When.
    pub reviewed_at: Option<OffsetDateTime>,
    /// Why it was rejected.
    pub reject_reason: Option<String>,
    /// The person files it was accepted into, in member order.
    pub person_ids: Vec<Id>,
    /// The existing files staff merged members into, in member order (`None`: not merged;
    /// shorter than the members when the last ones are not merged).
    pub merged: Vec<Option<Id>>,
    /// The user who filled it in on the household's behalf (代报); `None` when the resident
    /// did, through the link.
    pub filed_by: Option<String>,
}

impl Report {
    /// The file member `index` was merged into, if it was.
    pub fn merged_into(&self, index: usize) -> Option<Id> {
        self.merged.get(index).copied().flatten()
    }
}

/// A report to store.
#[derive(Debug, Clone)]
pub struct NewReport {
    /// The link it came through.
    pub link_id: Id,
    /// The client's idempotency key (unique per link).
    pub idempotency_key: String,
    /// The hash of the request's canonical body, stored with the key (a correction keeps
    /// the first one).
    pub body_hash: BodyHash,
    /// A fresh receipt code.
    pub receipt: String,
    /// The link's purpose.
    pub purpose: Purpose,
    /// The building or unit of the address.
    pub area_id: Id,
    /// 房号
    pub room: String,
    /// The readable address. (Whether the room is new, the store decides as it writes.)
    pub address: String,
    /// The validated members.
    pub members: serde_json::Value,
    /// The validated answers.
    pub answers: serde_json::Value,
    /// How long the resident may correct it, in seconds.
    pub edit_secs: i64,
    /// When it is written, by the app's clock: the submission time and the start of the edit
    /// window; for a correction, the moment checked against the window.
    pub at: OffsetDateTime,
    /// The user filling it in on the household's behalf (代报), if not the resident.
    pub filed_by: Option<String>,
}

/// What an idempotent write did. Every store method that takes a client's idempotency key
/// answers this, and follows [`BodyHash`]'s rule in the transaction that writes.
#[derive(Debug, Clone, PartialEq)]
pub enum Idempotent<T> {
    /// Written now.
    Created(T),
    /// The key was used before with the same body: the first result; nothing written.
    Replayed(T),
    /// The key was used before with another body (or before bodies were hashed): nothing
    /// written and nothing of the first request returned.
    KeyReused,
}

/// Which reports.
#[derive(Debug, Clone)]
pub struct ReportQuery {
    /// Only those whose address lies under this area (every one when `None`).
    pub area: Option<AreaPath>,
    /// Only those in this state.
    pub status: Option<ReportStatus>,
    /// Only those submitted in `[from, to)` (a China day's bounds: the daily report's
    /// `reports.new`).
    pub submitted: Option<(OffsetDateTime, OffsetDateTime)>,
    /// Which page, oldest first.
    pub page: PageRequest,
}

/// The decision of a review.
#[derive(Debug, Clone)]
pub struct ReviewDecision {
    /// Accepted or rejected.
    pub status: ReportStatus,
    /// Who decided.
    pub reviewer: String,
    /// Why (rejections).
    pub reason: Option<String>,
    /// The person files (acceptances).
    pub person_ids: Vec<Id>,
}

/// What accepting a report did.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    /// The members' files written.
    pub written: UpsertReport,
    /// The report's persons, in member order.
    pub person_ids: Vec<Id>,
}

/// What merging a report member into a file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeOutcome {
    /// The member is merged; the report is still pending (other members undecided).
    Merged,
    /// The member is merged and, every member being merged, the report is accepted.
    Accepted,
    /// The report is no longer pending: nothing changed.
    NotPending,
    /// The member was merged already (or there is no such member): nothing changed.
    MemberDecided,
}

/// Self-report links, reports, their review and what the export sent up.
#[async_trait]
pub trait Reports: Send + Sync {
    /// Stores a new report link, audited. Conflict `report_link_token_unique` if the token
    /// exists.
    async fn create_report_link(
        &self,
        link: &NewReportLink,
        audit: Audit<ReportLink>,
    ) -> StoreResult<ReportLink>;

    /// Reads a link by token (whatever its state).
    async fn report_link_by_token(&self, token: &str) -> StoreResult<Option<ReportLink>>;

    /// Reads a link by id.
    async fn report_link(&self, id: Id) -> StoreResult<Option<ReportLink>>;

    /// The links whose area lies under `area` (every link when `None`), newest first.
    async fn report_links(&self, area: Option<&AreaPath>) -> StoreResult<Vec<ReportLink>>;

    /// Revokes a link (keeping the first revocation time), audited. NotFound for an unknown id.
    async fn revoke_report_link(
        &self,
        id: Id,
        at: OffsetDateTime,
        audit: Audit<()>,
    ) -> StoreResult<()>;

    /// Stores a report in one transaction, unless the link already holds one with the same
    /// idempotency key: then nothing is written, and that first report is returned only if
    /// its stored body hash [matches](BodyHash::matches) this one (else `KeyReused`). The
    /// hash is compared in the same transaction as the insert-or-read, and the audit entries
    /// of a worker's 代报 (`filed_by`) are written in it too. A resident's report (no
    /// `filed_by`) takes the writer's single-statement path and writes no audit entry: pass
    /// `no_audit()`.
    async fn submit_report(
        &self,
        report: &NewReport,
        audit: Audit<Idempotent<Report>>,
    ) -> StoreResult<Idempotent<Report>>;

    /// Replaces the members, answers and address of a pending report still open for correction.
    /// Returns false when it is no longer pending or the window has closed.
    async fn correct_report(&self, id: Id, correction: &NewReport) -> StoreResult<bool>;

    /// Reads a report.
    async fn report(&self, id: Id) -> StoreResult<Option<Report>>;

    /// Reads a report by its link and receipt code.
    async fn report_by_receipt(&self, link_id: Id, receipt: &str) -> StoreResult<Option<Report>>;

    /// A page of reports, oldest first.
    async fn reports(&self, query: &ReportQuery) -> StoreResult<Page<Report>>;

    /// Records a review on a pending report, audited. Returns false (and changes nothing) when
    /// the report is no longer pending: two reviewers cannot both decide it.
    async fn review_report(
        &self,
        id: Id,
        decision: &ReviewDecision,
        audit: Audit<bool>,
    ) -> StoreResult<bool>;

    /// Accepts a pending report in one transaction: the members' files are written
    /// (`rows`, as [`Store::upsert_persons`]), the report records them as its persons
    /// (`merged` gives the files of members merged before, in member order; each `None` takes
    /// the next written row's file), and the audit entries are written. Conflict
    /// `report_already_reviewed` when it is no longer pending, `person_registered_elsewhere`
    /// when a member's file lies outside the actor's area: then nothing is written.
    async fn accept_report(
        &self,
        id: Id,
        actor: &crate::Actor,
        rows: &[crate::PersonUpsert],
        merged: &[Option<Id>],
        audit: Audit<Accepted>,
    ) -> StoreResult<Accepted>;

    /// Merges member `member` of a pending report into file `person_id` in one transaction:
    /// the file is written from `row` (which must land on that very file, else Conflict
    /// `person_changed`), the member marked merged (the report accepted when it was the last),
    /// and the audit entries written. Conflict `report_already_reviewed` or
    /// `report_member_decided` when that no longer applies: then nothing is written.
    async fn merge_into_file(
        &self,
        id: Id,
        member: usize,
        person_id: Id,
        actor: &crate::Actor,
        row: &crate::PersonUpsert,
        audit: Audit<MergeOutcome>,
    ) -> StoreResult<MergeOutcome>;

    /// The accepted reports under `area`, by id; with `only_new`, only those no export of
    /// exactly this area has sent up yet.
    async fn reports_for_export(&self, area: &AreaPath, only_new: bool)
    -> StoreResult<Vec<Report>>;

    /// Remembers that an export of `area` sent these reports up, audited.
    async fn mark_reports_exported(
        &self,
        area: &AreaPath,
        report_ids: &[Id],
        by: &str,
        audit: Audit<()>,
    ) -> StoreResult<()>;
}
