//! The staff side of self-report: links, the review queue, accept and reject. Every use case
//! checks the user's role and area first (`Principal::authorize`) and audits what it changes.

use doorstep_core::Conflict;
use doorstep_core::person::PersonInput;
use doorstep_core::problem::FieldProblem;
use doorstep_core::{AreaKind, AreaPath, PersonFields, Problem, Tags};
use doorstep_store::{
    Accepted, Audit, Id, MergeOutcome, NewAudit, NewReportLink, Page, PageRequest, Person,
    PersonUpsert, Report, ReportLink, ReportQuery, ReportStatus, ReviewDecision, Store,
    UpsertOutcome, audit_entry, audit_with,
};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{Purpose, stored_members};
use crate::access::{Action, Ctx, Principal};
use crate::daily::DayFilter;
use crate::error::{AppError, AppResult};
use crate::registry::PersonView;
use crate::today;

/// A report link as a person asks for it, before it is read: the one input the link form, the
/// API and the command line fill in.
#[derive(Debug, Clone, Default)]
pub struct LinkInput {
    /// The area's path, e.g. `二七区/京广路街道/祥云社区`.
    pub area: String,
    /// `home_quarantine`, `risk_visit`, `returnee`, `census` or the Chinese name.
    pub purpose: String,
    /// Hours until it stops taking reports; blank for never.
    pub expires_in_hours: String,
    /// The risk places residents choose from (risk-visit links); blanks are dropped.
    pub risk_places: Vec<String>,
}

/// A [`LinkInput`] read.
#[derive(Debug, Clone)]
pub struct LinkRequest {
    /// The area.
    pub area: AreaPath,
    /// The purpose.
    pub purpose: Purpose,
    /// When it stops taking reports.
    pub expires_at: Option<OffsetDateTime>,
    /// The risk places.
    pub risk_places: Vec<String>,
}

impl LinkInput {
    /// Reads the input at `now`; every problem at its field (`area`, `purpose`,
    /// `expires_in_hours`).
    pub fn parse(&self, now: OffsetDateTime) -> Result<LinkRequest, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let area = AreaPath::parse(&self.area)
            .map_err(|p| problems.push(FieldProblem::new("area", p)))
            .ok();
        let purpose = Purpose::parse(&self.purpose);
        if purpose.is_none() {
            problems.push(FieldProblem::new("purpose", Problem::Choice));
        }
        let hours = self.expires_in_hours.trim();
        let expires_at = match hours {
            "" => None,
            h => match h.parse::<i64>() {
                Ok(h) if (1..=24 * 366).contains(&h) => Some(now + time::Duration::hours(h)),
                _ => {
                    problems.push(FieldProblem::new("expires_in_hours", Problem::Hours));
                    None
                }
            },
        };
        match (area, purpose) {
            (Some(area), Some(purpose)) if problems.is_empty() => Ok(LinkRequest {
                area,
                purpose,
                expires_at,
                risk_places: self.risk_places.clone(),
            }),
            _ => Err(problems),
        }
    }
}

/// A report member next to the file it matches.
#[derive(Debug, Clone)]
pub struct MemberMatch {
    /// The member as reported (validated).
    pub reported: PersonFields,
    /// The existing file with the same document, masked unless revealed.
    pub file: Option<PersonView>,
    /// The existing file lies outside the reviewer's area (it is not shown).
    pub elsewhere: bool,
    /// What differs between the file and the report: (field key, file's value, reported value).
    pub differences: Vec<(&'static str, String, String)>,
    /// The existing file staff merged this member into (then `file` is that file).
    pub merged_into: Option<Id>,
}

impl MemberMatch {
    /// Whether accepting would need a person's judgement: another name on the same document,
    /// a move from another household, or a file outside the reviewer's area (never once the
    /// member is merged into a file).
    pub fn conflicting(&self) -> bool {
        self.merged_into.is_none()
            && (self.elsewhere
                || self
                    .differences
                    .iter()
                    .any(|(k, _, _)| *k == "name" || *k == "address"))
    }
}

/// A report with its members matched to the registry.
#[derive(Debug, Clone)]
pub struct ReportReview {
    /// The report.
    pub report: Report,
    /// Its members, matched.
    pub members: Vec<MemberMatch>,
}

impl ReportReview {
    /// Whether any member conflicts with the registry.
    pub fn conflicting(&self) -> bool {
        self.members.iter().any(MemberMatch::conflicting)
    }
}

/// What a bulk acceptance did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BulkOutcome {
    /// Reports accepted.
    pub accepted: u64,
    /// Reports left for a person to review (conflicts).
    pub skipped: u64,
}

/// Self-report as one staff user may use it.
pub struct ReportDesk<'a> {
    pub(super) store: &'a dyn Store,
    pub(super) who: &'a Principal,
    pub(super) ctx: &'a Ctx,
}

impl<'a> ReportDesk<'a> {
    /// The desk for `who`, auditing with `ctx`.
    pub fn new(store: &'a dyn Store, who: &'a Principal, ctx: &'a Ctx) -> ReportDesk<'a> {
        ReportDesk { store, who, ctx }
    }

    /// This reviewer's audit entry about `object` in `area`.
    fn entry(&self, action: &str, object: (&str, Id), area: &AreaPath, details: Value) -> NewAudit {
        self.who
            .audit_entry(self.ctx, action, Some(object), Some(area), details)
    }

    /// Creates a report link from what a person typed (the form, the API and the command line
    /// all give a [`LinkInput`]): every problem comes back at its field.
    pub async fn create_link_from(&self, input: &LinkInput) -> AppResult<ReportLink> {
        let link = input.parse(self.ctx.now()).map_err(AppError::Validation)?;
        self.create_link(&link.area, link.purpose, link.expires_at, link.risk_places)
            .await
    }

    /// Creates a report link for an area (a community or lower) and a purpose.
    pub async fn create_link(
        &self,
        area: &AreaPath,
        purpose: Purpose,
        expires_at: Option<OffsetDateTime>,
        risk_places: Vec<String>,
    ) -> AppResult<ReportLink> {
        self.who.authorize(Action::Write, area)?;
        let (auditor, path) = (self.who.auditor(self.ctx), area.clone());
        let audit = audit_with(move |link: &ReportLink| {
            vec![auditor.entry(
                "report_link.create",
                Some(("report_link", link.id)),
                Some(&path),
                json!({"purpose": purpose.code(), "expires_at": link.expires_at.map(|t| t.to_string())}),
            )]
        });
        create_link(
            self.store,
            area,
            purpose,
            expires_at,
            risk_places,
            self.who.username(),
            audit,
        )
        .await
    }

    /// The links in an area (the user's own when none is asked for).
    pub async fn links(&self, area: Option<AreaPath>) -> AppResult<Vec<ReportLink>> {
        let scope = self.who.scope(area).ok_or(AppError::NotFound)?;
        if let Some(a) = &scope {
            self.who.authorize(Action::Read, a)?;
        } else if !self.who.may(Action::Read) {
            return Err(AppError::NotFound);
        }
        Ok(self.store.report_links(scope.as_ref()).await?)
    }

    /// One link.
    pub async fn link(&self, id: Id) -> AppResult<ReportLink> {
        let link = self
            .store
            .report_link(id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.who.authorize(Action::Read, &link.area_path)?;
        Ok(link)
    }

    /// One link by its token (what a poster prints).
    pub async fn link_by_token(&self, token: &str) -> AppResult<ReportLink> {
        let link = self
            .store
            .report_link_by_token(token)
            .await?
            .ok_or(AppError::NotFound)?;
        self.who.authorize(Action::Read, &link.area_path)?;
        Ok(link)
    }

    /// Revokes a link: its QR code takes no more reports.
    pub async fn revoke_link(&self, id: Id) -> AppResult<ReportLink> {
        let link = self.link(id).await?;
        self.who.authorize(Action::Write, &link.area_path)?;
        let entry = self.entry(
            "report_link.revoke",
            ("report_link", id),
            &link.area_path,
            json!({}),
        );
        self.store
            .revoke_report_link(id, self.ctx.now(), audit_entry(entry))
            .await?;
        self.link(id).await
    }

    /// A page of the reports in an area, oldest first; with a `day`, those submitted that
    /// day (the daily report's `reports.new`; `on` is only `submitted`).
    pub async fn list(
        &self,
        status: Option<ReportStatus>,
        area: Option<AreaPath>,
        day: &DayFilter,
        page: PageRequest,
    ) -> AppResult<Page<Report>> {
        let scope = self.who.scope(area).ok_or(AppError::NotFound)?;
        match &scope {
            Some(a) => self.who.authorize(Action::Read, a)?,
            None if !self.who.may(Action::Read) => return Err(AppError::NotFound),
            None => {}
        }
        let submitted = day.read(&["submitted"])?.map(|d| (d.from, d.to));
        Ok(self
            .store
            .reports(&ReportQuery {
                area: scope,
                status,
                submitted,
                page,
            })
            .await?)
    }

    /// One report, checked against the user's area.
    pub async fn report(&self, id: Id) -> AppResult<Report> {
        let r = self.store.report(id).await?.ok_or(AppError::NotFound)?;
        self.who.authorize(Action::Read, &r.area_path)?;
        Ok(r)
    }

    /// A report with each member matched to the registry by document, side by side.
    pub async fn review(&self, id: Id) -> AppResult<ReportReview> {
        let report = self.report(id).await?;
        let members = self.match_members(&report).await?;
        Ok(ReportReview { report, members })
    }

    async fn match_members(&self, report: &Report) -> AppResult<Vec<MemberMatch>> {
        let mut out = Vec::new();
        for (i, m) in stored_members(report).into_iter().enumerate() {
            let Ok(reported) = m else {
                return Err(AppError::Conflict(Conflict::ReportMemberInvalid));
            };
            if let Some(pid) = report.merged_into(i) {
                let file = self.store.person(pid).await?;
                let elsewhere = file
                    .as_ref()
                    .is_some_and(|p| !self.who.covers(&p.area_path));
                out.push(MemberMatch {
                    reported,
                    file: file
                        .filter(|_| !elsewhere)
                        .map(|p| PersonView::new(p, false)),
                    elsewhere,
                    differences: Vec::new(),
                    merged_into: Some(pid),
                });
                continue;
            }
            let doc = reported.doc();
            let existing = self
                .store
                .person_by_document(doc.doc_type(), doc.number())
                .await?;
            let m = match existing {
                None => MemberMatch {
                    reported,
                    file: None,
                    elsewhere: false,
                    differences: Vec::new(),
                    merged_into: None,
                },
                Some(p) if !self.who.covers(&p.area_path) => MemberMatch {
                    reported,
                    file: None,
                    elsewhere: true,
                    differences: Vec::new(),
                    merged_into: None,
                },
                Some(p) => {
                    let differences = differences(&p, &reported, report);
                    MemberMatch {
                        reported,
                        file: Some(PersonView::new(p, false)),
                        elsewhere: false,
                        differences,
                        merged_into: None,
                    }
                }
            };
            out.push(m);
        }
        Ok(out)
    }

    /// Accepts a report: each member's file is created or updated (with history) in the
    /// report's household, and marked for the purpose (居家隔离, 赋码, 返郑).
    pub async fn accept(&self, id: Id) -> AppResult<Report> {
        let review = self.review(id).await?;
        let report = &review.report;
        self.who.authorize(Action::Write, &report.area_path)?;
        if report.status != ReportStatus::Pending {
            return Err(AppError::Conflict(Conflict::ReportAlreadyReviewed));
        }
        if review
            .members
            .iter()
            .any(|m| m.elsewhere && m.merged_into.is_none())
        {
            return Err(AppError::Conflict(Conflict::PersonRegisteredElsewhere));
        }
        let purpose = report.purpose;
        let mut rows = Vec::new();
        // Members merged into a file already were written then; the others are upserted.
        for m in review.members.iter().filter(|m| m.merged_into.is_none()) {
            let file = m.file.as_ref().map(|v| &v.person);
            rows.push(PersonUpsert {
                area_id: report.area_id,
                room: report.room.clone(),
                address: report.address.clone(),
                fields: merged(&m.reported, file, purpose)?,
            });
        }
        let actor = self.who.actor("report");
        let merged: Vec<Option<Id>> = review.members.iter().map(|m| m.merged_into).collect();
        let (auditor, path) = (self.who.auditor(self.ctx), report.area_path.clone());
        let audit = audit_with(move |a: &Accepted| {
            let count =
                |o: UpsertOutcome| a.written.outcomes.iter().filter(|r| r.outcome == o).count();
            vec![auditor.entry(
                "report.accept",
                Some(("report", id)),
                Some(&path),
                json!({
                    "persons": a.person_ids,
                    "created": count(UpsertOutcome::Created),
                    "updated": count(UpsertOutcome::Updated),
                    "unchanged": count(UpsertOutcome::Unchanged),
                }),
            )]
        });
        // One transaction: the files, the decision and its audit entry, or none of them (a
        // member's file moved out of the area, or someone decided the report meanwhile).
        self.store
            .accept_report(id, &actor, &rows, &merged, audit)
            .await?;
        self.report(id).await
    }

    /// Merges member `member` (from 0) of a pending report into the existing file `person_id`
    /// (found by search in the reviewer's area) when the member's document does not match the
    /// file's, e.g. a mistyped ID number or a passport where the file has the ID card. The
    /// file keeps its own name and document and takes the report's phone and relation (where
    /// given), the report's household, and the purpose's tag, with history (source `report`);
    /// audited as `report.merge` with before and after. When every member is merged the
    /// report is accepted; otherwise `accept` decides the rest. A person outside the
    /// reviewer's area is NotFound, like an unknown one.
    pub async fn merge(&self, id: Id, member: usize, person_id: Id) -> AppResult<Report> {
        let report = self.report(id).await?;
        self.who.authorize(Action::Write, &report.area_path)?;
        if report.status != ReportStatus::Pending {
            return Err(AppError::Conflict(Conflict::ReportAlreadyReviewed));
        }
        let members = stored_members(&report);
        let Some(reported) = members.into_iter().nth(member) else {
            return Err(AppError::Conflict(Conflict::ReportMemberUnknown));
        };
        let Ok(reported) = reported else {
            return Err(AppError::Conflict(Conflict::ReportMemberInvalid));
        };
        if report.merged_into(member).is_some() {
            return Err(AppError::Conflict(Conflict::ReportMemberDecided));
        }
        let file = self
            .store
            .person(person_id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.who.authorize(Action::Write, &file.area_path)?;
        let purpose = report.purpose;
        let fields = merged_into_file(&reported, &file, purpose)?;
        let actor = self.who.actor("report");
        let row = PersonUpsert {
            area_id: report.area_id,
            room: report.room.clone(),
            address: report.address.clone(),
            fields,
        };
        let after = json!({
            "address": row.address,
            "phone": row.fields.phone().map(|x| x.masked()),
            "relation": row.fields.relation(),
            "tags": row.fields.tags().as_slice(),
        });
        let (auditor, path, before) = (
            self.who.auditor(self.ctx),
            report.area_path.clone(),
            audit_view(&file),
        );
        let document = reported.doc().masked();
        let audit = audit_with(move |outcome: &MergeOutcome| {
            vec![auditor.entry(
                "report.merge",
                Some(("report", id)),
                Some(&path),
                json!({
                    "member": member,
                    "person": person_id,
                    "reported_document": document,
                    "before": before,
                    "after": after,
                    "report_accepted": *outcome == MergeOutcome::Accepted,
                }),
            )]
        });
        self.store
            .merge_into_file(id, member, person_id, &actor, &row, audit)
            .await?;
        self.report(id).await
    }

    /// Rejects a report with a reason (required).
    pub async fn reject(&self, id: Id, reason: &str) -> AppResult<Report> {
        let report = self.report(id).await?;
        self.who.authorize(Action::Write, &report.area_path)?;
        let reason = doorstep_core::text::tidy(reason);
        if reason.is_empty() {
            return Err(AppError::Conflict(Conflict::ReasonRequired));
        }
        let reason: String = reason.chars().take(200).collect();
        let entry = self.entry(
            "report.reject",
            ("report", id),
            &report.area_path,
            json!({ "reason": reason }),
        );
        let decided = self
            .store
            .review_report(
                id,
                &ReviewDecision {
                    status: ReportStatus::Rejected,
                    reviewer: self.who.username().to_string(),
                    reason: Some(reason.clone()),
                    person_ids: Vec::new(),
                },
                audit_with(move |decided: &bool| if *decided { vec![entry] } else { Vec::new() }),
            )
            .await?;
        if !decided {
            return Err(AppError::Conflict(Conflict::ReportAlreadyReviewed));
        }
        self.report(id).await
    }

    /// Accepts every pending report in an area that has no conflict with the registry (at most
    /// 500 per call); the others stay for a person to review.
    pub async fn bulk_accept(&self, area: Option<AreaPath>) -> AppResult<BulkOutcome> {
        // The role first, even when nothing is pending (each report's area is checked below).
        self.who.area_for("", Action::Write)?;
        let page = self
            .list(
                Some(ReportStatus::Pending),
                area,
                &DayFilter::default(),
                PageRequest {
                    offset: 0,
                    limit: 500,
                },
            )
            .await?;
        let mut out = BulkOutcome::default();
        for r in page.items {
            self.who.authorize(Action::Write, &r.area_path)?;
            let review = self.review(r.id).await?;
            if review.conflicting() {
                out.skipped += 1;
                continue;
            }
            match self.accept(r.id).await {
                Ok(_) => out.accepted += 1,
                // Someone else decided it meanwhile, or a member moved elsewhere.
                Err(AppError::Conflict(_)) => out.skipped += 1,
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}

/// Creates a link, audited as `audit` says (fixtures and benchmarks audit nothing). Users and
/// the command line go through [`ReportDesk::create_link`].
pub async fn create_link(
    store: &dyn Store,
    area: &AreaPath,
    purpose: Purpose,
    expires_at: Option<OffsetDateTime>,
    risk_places: Vec<String>,
    created_by: &str,
    audit: Audit<ReportLink>,
) -> AppResult<ReportLink> {
    let a = store.area_by_path(area).await?.ok_or(AppError::NotFound)?;
    if a.kind < AreaKind::Community {
        return Err(AppError::Conflict(Conflict::LinkAreaTooHigh));
    }
    let risk_places: Vec<String> = risk_places
        .iter()
        .map(|p| doorstep_core::text::tidy(p))
        .filter(|p| !p.is_empty())
        .collect();
    let token = crate::auth::random_hex(12)?;
    Ok(store
        .create_report_link(
            &NewReportLink {
                token,
                area_id: a.id,
                purpose,
                risk_places,
                created_by: created_by.to_string(),
                expires_at,
            },
            audit,
        )
        .await?)
}

/// What the merge audit keeps of a file (phone masked).
fn audit_view(p: &Person) -> Value {
    json!({
        "address": p.address,
        "phone": p.fields.phone().map(|x| x.masked()),
        "relation": p.fields.relation(),
        "tags": p.fields.tags().as_slice(),
    })
}

/// The file a merge writes: the file's own name, document, sex, birth date and residency; the
/// report's phone and relation where given; the purpose's tag added.
fn merged_into_file(
    reported: &PersonFields,
    file: &Person,
    purpose: Purpose,
) -> AppResult<PersonFields> {
    let f = &file.fields;
    let mut tags: Vec<String> = f.tags().as_slice().to_vec();
    if let Some(t) = purpose.tag()
        && !tags.iter().any(|x| x == t)
    {
        tags.push(t.to_string());
    }
    let input = PersonInput {
        name: f.name().to_string(),
        id_type: f.doc().doc_type().code().to_string(),
        id_number: f.doc().number().to_string(),
        sex: f
            .sex()
            .filter(|_| f.doc().sex().is_none())
            .map(|s| s.code().to_string())
            .unwrap_or_default(),
        birth_date: f
            .birth_date()
            .filter(|_| f.doc().birth_date().is_none())
            .map(|d| d.to_string())
            .unwrap_or_default(),
        phone: reported
            .phone()
            .or_else(|| f.phone())
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        relation: reported
            .relation()
            .or_else(|| f.relation())
            .unwrap_or_default()
            .to_string(),
        residency: f
            .residency()
            .map(|r| r.code().to_string())
            .unwrap_or_default(),
        tags: Tags::from_stored(tags).joined(),
    };
    PersonFields::parse(&input, today()).map_err(AppError::invalid)
}

/// What differs between a file and a reported member: name, phone, relation, address.
fn differences(
    file: &Person,
    reported: &PersonFields,
    report: &Report,
) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    let f = &file.fields;
    if f.name() != reported.name() {
        out.push(("name", f.name().to_string(), reported.name().to_string()));
    }
    if let Some(p) = reported.phone()
        && f.phone() != Some(p)
    {
        out.push((
            "phone",
            f.phone().map(|p| p.masked()).unwrap_or_default(),
            p.masked(),
        ));
    }
    if let Some(r) = reported.relation()
        && f.relation() != Some(r)
    {
        out.push((
            "relation",
            f.relation().unwrap_or_default().to_string(),
            r.to_string(),
        ));
    }
    if file.address != report.address {
        out.push(("address", file.address.clone(), report.address.clone()));
    }
    out
}

/// The file a member's acceptance writes: the report's values, the file's where the report is
/// blank (a child's missing phone does not erase the parent's), and the purpose's tag added.
fn merged(
    reported: &PersonFields,
    file: Option<&Person>,
    purpose: Purpose,
) -> AppResult<PersonFields> {
    let old = file.map(|p| &p.fields);
    let mut tags: Vec<String> = old
        .map(|f| f.tags().as_slice().to_vec())
        .unwrap_or_default();
    if let Some(t) = purpose.tag()
        && !tags.iter().any(|x| x == t)
    {
        tags.push(t.to_string());
    }
    let phone = reported
        .phone()
        .or_else(|| old.and_then(|f| f.phone()))
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let relation = reported
        .relation()
        .or_else(|| old.and_then(|f| f.relation()))
        .unwrap_or_default()
        .to_string();
    let input = PersonInput {
        name: reported.name().to_string(),
        id_type: reported.doc().doc_type().code().to_string(),
        id_number: reported.doc().number().to_string(),
        sex: old
            .and_then(|f| f.sex())
            .filter(|_| reported.doc().sex().is_none())
            .map(|s| s.code().to_string())
            .unwrap_or_default(),
        birth_date: old
            .and_then(|f| f.birth_date())
            .filter(|_| reported.doc().birth_date().is_none())
            .map(|d| d.to_string())
            .unwrap_or_default(),
        phone,
        relation,
        residency: old
            .and_then(|f| f.residency())
            .map(|r| r.code().to_string())
            .unwrap_or_default(),
        tags: Tags::from_stored(tags).joined(),
    };
    PersonFields::parse(&input, today()).map_err(AppError::invalid)
}
