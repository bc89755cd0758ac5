//! 代报: a worker fills in a household's report on its behalf ("阿姨，您看不清的话我来帮您扫码"),
//! from the household's page. The system knows the address and the registered members, so the
//! worker only picks who is reported and answers the link's questions; registered members
//! stay masked to the worker (the server copies their files into the report). The report goes
//! through one of the open links covering the household, marked with the worker's user name
//! (shown in the review queue and in the export's 备注) and audited in its transaction.
//! It has no correction window: the resident never saw its receipt, so corrections are the
//! reviewer's (reject, file again).

use doorstep_core::idempotency::BodyHash;
use doorstep_core::problem::FieldProblem;
use doorstep_core::{Conflict, Problem};
use doorstep_store::{Household, Id, Idempotent, Person, Report, ReportLink, audit_with};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::submit::{Checked, Stored, check_content, idempotency_key, store_checked};
use super::{AnswersInput, MemberInput, PublicError, ReportDesk, Submitted, open_link};
use crate::access::Action;
use crate::error::{AppError, AppResult};

/// A household's report as a worker fills it in.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default)]
pub struct OnBehalfInput {
    /// The open report link it goes through (its purpose sets the questions); it must cover
    /// the household.
    pub link_id: Id,
    /// The client's key: a retry with the same key returns the first report.
    pub idempotency_key: String,
    /// The registered members reported, by file id; `None` for every member of the household
    /// (`Some` of none: only typed members).
    pub person_ids: Option<Vec<Id>>,
    /// Members not in the registry yet, typed as a resident would.
    pub members: Vec<MemberInput>,
    /// The purpose's answers.
    pub answers: AnswersInput,
}

impl OnBehalfInput {
    /// The hash stored with the key: the household and everything asked, the key left out.
    fn body_hash(&self, household: Id) -> BodyHash {
        let body = OnBehalfInput {
            idempotency_key: String::new(),
            ..self.clone()
        };
        BodyHash::of(&json!({ "household": household, "report": body }))
    }
}

/// What the household page offers for 代报: the open links covering the household.
pub struct OnBehalfChoices {
    /// The household.
    pub household: Household,
    /// Its registered members (masked).
    pub members: Vec<crate::registry::PersonView>,
    /// The links a report for it may go through, newest first.
    pub links: Vec<ReportLink>,
}

impl ReportDesk<'_> {
    /// The household, its members (masked) and the open links covering it, for a worker
    /// about to file its report.
    pub async fn on_behalf_choices(&self, household_id: Id) -> AppResult<OnBehalfChoices> {
        let household = self.household_to_file(household_id).await?;
        let members = self.store.household_members(household.id).await?;
        let now = self.ctx.now();
        let links = self
            .store
            .report_links(None)
            .await?
            .into_iter()
            .filter(|l| covers(l, &household))
            .filter(|l| l.revoked_at.is_none() && l.expires_at.is_none_or(|e| e > now))
            .collect();
        Ok(OnBehalfChoices {
            household,
            members: members
                .into_iter()
                .map(|p| crate::registry::PersonView::new(p, false))
                .collect(),
            links,
        })
    }

    /// Files a household's report on its behalf (代报): the household's address, the chosen
    /// registered members (copied from their files) and any typed ones, the answers checked
    /// as a resident's are. A retry with the same key answers the first report.
    pub async fn file_for_household(
        &self,
        household_id: Id,
        input: &OnBehalfInput,
    ) -> AppResult<Submitted> {
        let household = self.household_to_file(household_id).await?;
        let link = self
            .store
            .report_link(input.link_id)
            .await?
            .filter(|l| covers(l, &household))
            .ok_or_else(|| {
                AppError::Validation(vec![FieldProblem::new("link_id", Problem::Choice)])
            })?;
        let link = open_link(self.store, &link.token, self.ctx.now())
            .await
            .map_err(app_error)?;
        let key = idempotency_key(&input.idempotency_key).map_err(app_error)?;
        let registered = self.store.household_members(household.id).await?;
        let mut errors = Vec::new();
        let chosen = chosen_members(&registered, input.person_ids.as_deref(), &mut errors);
        let typed: Vec<&MemberInput> = input.members.iter().filter(|m| !m.is_blank()).collect();
        let all: Vec<MemberInput> = chosen
            .iter()
            .map(|p| as_member(p))
            .chain(typed.iter().map(|m| (*m).clone()))
            .collect();
        let mut problems = Vec::new();
        let (members, answers) =
            check_content(&link, &all, &input.answers, self.ctx.today(), &mut problems);
        errors.extend(problems.into_iter().map(|p| renumber(p, chosen.len())));
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let by = self.who.username().to_string();
        let entry = {
            let who = self.who.clone();
            let ctx = self.ctx.clone();
            let area = household.area_path.clone();
            let hid = household.id;
            let link_id = link.id;
            audit_with(move |o: &Idempotent<Report>| {
                match o {
                Idempotent::Created(r) => vec![who.audit_entry(
                    &ctx,
                    "report.file_on_behalf",
                    Some(("report", r.id)),
                    Some(&area),
                    json!({ "household": hid, "link": link_id, "members": r.members.as_array().map_or(0, Vec::len) }),
                )],
                _ => Vec::new(),
            }
            })
        };
        store_checked(
            self.store,
            &link,
            Stored {
                key,
                body_hash: input.body_hash(household.id),
                edit_secs: 0,
                filed_by: Some(by),
                at: self.ctx.now(),
            },
            Checked {
                area_id: household.area_id,
                room: household.room.clone(),
                address: household.address.clone(),
                members,
                answers,
            },
            entry,
        )
        .await
        .map_err(app_error)
    }

    /// The household, if this user may file reports for it.
    async fn household_to_file(&self, id: Id) -> AppResult<Household> {
        let h = self.store.household(id).await?.ok_or(AppError::NotFound)?;
        self.who.authorize(Action::FileReport, &h.area_path)?;
        Ok(h)
    }
}

/// Whether a link's area holds the household.
fn covers(link: &ReportLink, h: &Household) -> bool {
    link.area_path.contains(&h.area_path)
}

/// The registered members chosen (every one when `None`); an id not of this household is a
/// problem at `person_ids[i]`.
fn chosen_members<'p>(
    registered: &'p [Person],
    ids: Option<&[Id]>,
    errors: &mut Vec<FieldProblem>,
) -> Vec<&'p Person> {
    let Some(ids) = ids else {
        return registered.iter().collect();
    };
    let mut out = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        match registered.iter().find(|p| p.id == *id) {
            Some(p) if !out.iter().any(|q: &&Person| q.id == p.id) => out.push(p),
            Some(_) => errors.push(FieldProblem::new(
                format!("person_ids[{i}]"),
                Problem::DuplicateMember,
            )),
            None => errors.push(FieldProblem::new(
                format!("person_ids[{i}]"),
                Problem::Choice,
            )),
        }
    }
    out
}

/// A registered person as a report member.
fn as_member(p: &Person) -> MemberInput {
    let f = &p.fields;
    MemberInput {
        name: f.name().to_string(),
        id_type: f.doc().doc_type().code().to_string(),
        id_number: f.doc().number().to_string(),
        phone: f
            .phone()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        relation: f.relation().unwrap_or_default().to_string(),
    }
}

/// A refusal of the shared report path as the staff side answers it.
fn app_error(e: PublicError) -> AppError {
    match e {
        PublicError::NotFound => AppError::NotFound,
        PublicError::Closed => AppError::Conflict(Conflict::ReportLinkClosed),
        PublicError::Invalid(p) => AppError::Validation(p),
        PublicError::Locked => AppError::Conflict(Conflict::ReportAlreadyReviewed),
        PublicError::KeyReused => AppError::Conflict(Conflict::IdempotencyKeyReused),
        PublicError::Store(e) => AppError::Store(e),
        PublicError::Internal(e) => AppError::Internal(e),
    }
}

/// A problem of the combined member list at the field the worker filled: the first
/// `registered` members are the chosen files (`person_ids[i]`), the rest the typed ones.
fn renumber(p: FieldProblem, registered: usize) -> FieldProblem {
    let Some(rest) = p.path.strip_prefix("members[") else {
        return p;
    };
    let Some((index, tail)) = rest.split_once(']') else {
        return p;
    };
    let Ok(i) = index.parse::<usize>() else {
        return p;
    };
    let path = if i < registered {
        format!("person_ids[{i}]")
    } else {
        format!("members[{}]{tail}", i - registered)
    };
    FieldProblem::new(path, p.problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_land_on_the_field_the_worker_filled() {
        let p = |path: &str| FieldProblem::new(path, Problem::Required);
        assert_eq!(renumber(p("members[0].name"), 2).path, "person_ids[0]");
        assert_eq!(
            renumber(p("members[3].id_number"), 2).path,
            "members[1].id_number"
        );
        assert_eq!(renumber(p("members"), 2).path, "members");
        assert_eq!(renumber(p("answers.date"), 2).path, "answers.date");
    }
}
