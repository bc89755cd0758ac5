//! Home quarantine and health monitoring: starting episodes from a policy version and listing
//! them by area. Starting one is `Action::Quarantine` where the person lives; reading them is
//! `Action::Read`.

use doorstep_core::idnum::IdDocument;
use doorstep_core::policy::PolicyRef;
use doorstep_core::problem::FieldProblem;
use doorstep_core::quarantine::Measure;
use doorstep_core::{AreaPath, DocType, Problem};
use doorstep_store::{Episode, NewEpisode, Page, PageRequest, audit_with};
use serde_json::json;

use crate::access::{Action, Ctx, Principal};
use crate::error::{AppError, AppResult};

pub mod checkins;
pub mod from_report;
pub mod lifecycle;
pub mod map;
pub mod policies;
pub mod test_days;
pub mod today;

pub use lifecycle::{ChangeForm, EpisodeView, ListFilter, Notice, ReleaseForm, TransferForm};

/// The policy an episode follows when none is named.
pub const DEFAULT_POLICY: &str = "ninth_edition";

/// An episode to start, as a form or the API gives it.
#[derive(Debug, Clone, Default)]
pub struct EpisodeForm {
    /// The person's file id, or
    pub person_id: Option<i64>,
    /// their resident ID number.
    pub id_number: String,
    /// Start it for the whole household (also when the policy includes co-residents).
    pub household: bool,
    /// `home_quarantine`, `home_health_monitoring`, `central_quarantine` (or the Chinese name).
    pub measure: String,
    /// Why.
    pub reason: String,
    /// Day 1 (YYYY-MM-DD, China's date); today when empty.
    pub start: String,
    /// The policy: its key (the current version) or `key@N` (that version);
    /// [`DEFAULT_POLICY`] when empty.
    pub policy: String,
}

/// The quarantine desk.
pub struct QuarantineDesk<'a> {
    store: &'a dyn doorstep_store::Store,
    who: &'a Principal,
    ctx: &'a Ctx,
}

impl<'a> QuarantineDesk<'a> {
    /// The desk for `who`.
    pub fn new(store: &'a dyn doorstep_store::Store, who: &'a Principal, ctx: &'a Ctx) -> Self {
        QuarantineDesk { store, who, ctx }
    }

    /// Starts an episode for a person, or for every member of their household when asked or
    /// when the policy includes co-residents; the planned end and days come from the policy
    /// (day 1 is the start day). A person outside the user's area is not found.
    pub async fn start(&self, form: &EpisodeForm) -> AppResult<Vec<Episode>> {
        if !self.who.may(Action::Quarantine) {
            return Err(AppError::Forbidden);
        }
        let mut problems = Vec::new();
        let measure = Measure::parse(&form.measure);
        if measure.is_none() {
            problems.push(FieldProblem::new("measure", Problem::Choice));
        }
        let reason = form.reason.trim().to_string();
        if reason.is_empty() {
            problems.push(FieldProblem::new("reason", Problem::Required));
        } else if reason.chars().count() > 100 {
            problems.push(FieldProblem::new("reason", Problem::TooLong { max: 100 }));
        }
        let start = doorstep_core::daily::day_or(&form.start, self.ctx.today())
            .map_err(|p| problems.push(FieldProblem::new("start", p)))
            .ok();
        // `key` names the current version, `key@N` that version.
        let wanted = match form.policy.trim() {
            "" => PolicyRef::parse(DEFAULT_POLICY).ok(),
            k => PolicyRef::parse(k).ok(),
        };
        let policy = match &wanted {
            Some(w) => policies::policy(self.store, w.key.as_str(), w.version)
                .await
                .ok(),
            None => None,
        };
        let key = policy
            .as_ref()
            .map(|(p, _)| p.key.clone())
            .unwrap_or_default();
        if policy.is_none() {
            problems.push(FieldProblem::new("policy", Problem::Choice));
        }
        let rules = match (&policy, measure) {
            (Some((p, _)), Some(m)) => p.rules(m).cloned(),
            _ => None,
        };
        if rules.is_none() && policy.is_some() && measure.is_some() {
            problems.push(FieldProblem::new("measure", Problem::Choice));
        }
        let (Some(rules), Some(start), Some(measure), Some((_, version)), true) =
            (rules, start, measure, policy, problems.is_empty())
        else {
            return Err(AppError::Validation(problems));
        };
        let person = match form.person_id {
            Some(id) => self.store.person(id).await?,
            None => {
                let doc = IdDocument::parse(DocType::ResidentId, &form.id_number, self.ctx.today())
                    .map_err(|p| AppError::Validation(vec![FieldProblem::new("id_number", p)]))?;
                self.store
                    .person_by_document(DocType::ResidentId, doc.number())
                    .await?
            }
        };
        let person = person
            .filter(|p| self.who.covers(&p.area_path))
            .ok_or(AppError::NotFound)?;
        self.who.authorize(Action::Quarantine, &person.area_path)?;
        let members = if form.household || rules.co_residents {
            self.store.household_members(person.household_id).await?
        } else {
            vec![person.clone()]
        };
        if measure.at_home() {
            // The household's check-in link (its QR on the door slip): the one it has while
            // in an episode, else a new one.
            let fresh = crate::auth::random_hex(16)?;
            self.store
                .ensure_checkin_link(person.household_id, &fresh, self.ctx.now())
                .await?;
        }
        let schedule = rules.schedule(start);
        let by = self.who.username().to_string();
        let new: Vec<NewEpisode> = members
            .iter()
            .map(|m| NewEpisode {
                person_id: m.id,
                household_id: m.household_id,
                area_path: m.area_path.clone(),
                measure,
                reason: reason.clone(),
                policy_key: key.clone(),
                policy_version: version,
                starts_on: schedule.start,
                last_day: schedule.last_day,
                ends_at: schedule.ends_at,
                by: by.clone(),
                at: self.ctx.now(),
            })
            .collect();
        let policy_used = format!("{key}@{version}");
        let entry = self.who.audit_entry(
            self.ctx,
            "episode.start",
            Some(("person", person.id)),
            Some(&person.area_path),
            serde_json::Value::Null,
        );
        let started = self
            .store
            .start_episodes(
                &new,
                audit_with(move |done: &Vec<Episode>| {
                    let mut e = entry;
                    e.details = json!({"measure": measure.code(), "policy": policy_used,
                                       "episodes": done.iter().map(|x| x.id).collect::<Vec<_>>()});
                    vec![e]
                }),
            )
            .await?;
        // Started on a test day (day 1 is one under the shipped policies): its home sampling
        // is today's work already.
        test_days::test_day_tasks(self.store, self.ctx, &started, self.ctx.today()).await?;
        Ok(started)
    }

    /// A person's episodes, newest first, for whoever may read their file.
    pub async fn of_person(&self, person: &doorstep_store::Person) -> AppResult<Vec<Episode>> {
        self.who.authorize(Action::Read, &person.area_path)?;
        Ok(self.store.episodes_of_person(person.id).await?)
    }

    /// The episodes of persons living under `area` (the user's own area when `None`).
    pub async fn list(&self, area: Option<&str>, page: PageRequest) -> AppResult<Page<Episode>> {
        let area = match area.map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) => AreaPath::parse(a).map_err(|_| AppError::NotFound)?,
            // The admin of everything names the area: a whole system's list is no one's work.
            None => self.who.area().cloned().ok_or_else(area_required)?,
        };
        if !self.who.covers(&area) {
            return Err(AppError::NotFound);
        }
        self.who.authorize(Action::Read, &area)?;
        Ok(self
            .store
            .episodes_under(&area, &doorstep_store::EpisodeFilter::default(), page)
            .await?)
    }
}

/// The refusal of a list or an overview asked of the whole system without an area: the
/// admin of everything names one (422 `area` required, not a 403 the role table does not
/// say).
pub(crate) fn area_required() -> AppError {
    AppError::Validation(vec![FieldProblem::new("area", Problem::Required)])
}
