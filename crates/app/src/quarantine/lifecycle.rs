//! An episode's life after its start: its page's view (days, test days and their results, the
//! release checklist, the change history), a new last day (extend or shorten), a transfer
//! (to central quarantine, optionally starting a central episode at once, or to a hospital),
//! a release (alone or with the household's members) and the release notice. Reading is
//! `Action::Read` where the person lives, every change `Action::Quarantine`; outside the
//! user's area an episode is not found.

use doorstep_core::Problem;
use doorstep_core::episode::{
    CheckinsCheck, Checklist, Destination, EpisodeStatus, TestDayCheck, TestState, china_date,
    planned_end,
};
use doorstep_core::problem::FieldProblem;
use doorstep_core::quarantine::{CHINA, Measure, Rules};
use doorstep_store::{
    DayChange, Episode, EpisodeChange, NewEpisode, Release, Transfer, audit_with,
};
use serde_json::json;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

mod list;
mod notice;

pub use list::ListFilter;
pub use notice::Notice;

use super::{QuarantineDesk, policies};
use crate::access::Action;
use crate::error::{AppError, AppResult};

/// An episode as its page shows it.
#[derive(Debug, Clone)]
pub struct EpisodeView {
    /// The episode.
    pub episode: Episode,
    /// The name of its policy (its key when the version is gone).
    pub policy_name: String,
    /// Its rules (none when the version cannot be read).
    pub rules: Option<Rules>,
    /// Today's day number (1 is the start day), while it runs.
    pub day_today: Option<u16>,
    /// The release checklist as of now.
    pub checklist: Checklist,
    /// Every change, oldest first.
    pub changes: Vec<EpisodeChange>,
    /// The household's other active episodes of the same measure (released together when
    /// asked).
    pub household_active: Vec<Episode>,
}

/// A new last day, as a form gives it.
#[derive(Debug, Clone, Default)]
pub struct ChangeForm {
    /// YYYY-MM-DD.
    pub last_day: String,
    /// Why.
    pub reason: String,
}

/// A transfer, as a form gives it.
#[derive(Debug, Clone, Default)]
pub struct TransferForm {
    /// `central` or `hospital`.
    pub to: String,
    /// The site or hospital's name.
    pub place: String,
    /// When (YYYY-MM-DD HH:MM, China's time); now when empty.
    pub at: String,
    /// Why.
    pub reason: String,
    /// To central quarantine: start a central quarantine episode from that day at once.
    pub start_central: bool,
}

/// A release, as a form gives it.
#[derive(Debug, Clone, Default)]
pub struct ReleaseForm {
    /// The reason: needed for an early release or unmet items (the override).
    pub reason: String,
    /// Release the household's other active episodes of the same measure too.
    pub household: bool,
}

fn reason_of(raw: &str, required: bool, problems: &mut Vec<FieldProblem>) -> String {
    let reason = raw.trim().to_string();
    if required && reason.is_empty() {
        problems.push(FieldProblem::new("reason", Problem::Required));
    } else if reason.chars().count() > 200 {
        problems.push(FieldProblem::new("reason", Problem::TooLong { max: 200 }));
    }
    reason
}

/// Midnight starting a China date.
fn day_start(d: Date) -> OffsetDateTime {
    PrimitiveDateTime::new(d, Time::MIDNIGHT).assume_offset(CHINA)
}

/// A time as forms give it: `YYYY-MM-DD HH:MM` (or with `T`), or a day alone (its noon is
/// not assumed: midnight), China's time.
fn parse_moment(raw: &str) -> Option<OffsetDateTime> {
    let s = raw.trim().replace('T', " ");
    let full = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    let day = time::macros::format_description!("[year]-[month]-[day]");
    PrimitiveDateTime::parse(&s, full)
        .map(|p| p.assume_offset(CHINA))
        .ok()
        .or_else(|| Date::parse(&s, day).ok().map(day_start))
}

/// Whether `other` is released with `e` when the household goes together: another member's
/// active episode of the same measure, begun by `today` (a later episode of the same person,
/// or one not begun, stays).
fn released_with(e: &Episode, other: &Episode, today: Date) -> bool {
    other.person_id != e.person_id
        && other.status == EpisodeStatus::Active
        && other.measure == e.measure
        && other.starts_on <= today
}

impl QuarantineDesk<'_> {
    /// An episode this user may read (not found outside their area).
    async fn visible(&self, id: i64) -> AppResult<Episode> {
        let e = self
            .store
            .episode(id)
            .await?
            .filter(|e| self.who.covers(&e.area_path))
            .ok_or(AppError::NotFound)?;
        self.who.authorize(Action::Read, &e.area_path)?;
        Ok(e)
    }

    /// An episode this user may change.
    async fn changeable(&self, id: i64) -> AppResult<Episode> {
        if !self.who.may(Action::Quarantine) {
            // Seen or not, a role without the verb is refused the same way as at the start.
            let _ = self.visible(id).await?;
            return Err(AppError::Forbidden);
        }
        let e = self.visible(id).await?;
        self.who.authorize(Action::Quarantine, &e.area_path)?;
        Ok(e)
    }

    async fn rules_of(&self, e: &Episode) -> Option<Rules> {
        policies::rules_for(self.store, &e.policy_key, e.policy_version, e.measure)
            .await
            .ok()
    }

    async fn policy_name(&self, e: &Episode) -> String {
        policies::policy(self.store, &e.policy_key, Some(e.policy_version))
            .await
            .map_or_else(|_| e.policy_key.clone(), |(p, _)| p.name)
    }

    /// The release checklist of an episode, as of now: the planned end reached; each test day
    /// (of its rules, up to its last day) negative by a sample of that China date; every
    /// check-in window closed so far checked in or its miss followed up (`None` where the
    /// policy does not ask, or away from home).
    pub async fn checklist(&self, e: &Episode) -> AppResult<Checklist> {
        let rules = self.rules_of(e).await;
        let samples = self
            .store
            .person_samples(e.person_id, day_start(e.starts_on))
            .await?;
        let tests = rules
            .as_ref()
            .map(|r| r.schedule(e.starts_on).test_days)
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, date)| *date <= e.last_day)
            .map(|(day, date)| {
                let of_day: Vec<_> = samples
                    .iter()
                    .filter(|(at, _)| china_date(*at) == date)
                    .map(|(_, r)| *r)
                    .collect();
                TestDayCheck {
                    day,
                    date,
                    state: TestState::of(&of_day),
                }
            })
            .collect();
        // Check-ins, where the policy asks for them and the person is at home: every window
        // closed so far checked in, or its miss followed up by a worker.
        let checkins = match &rules {
            Some(r) if r.release.checkins && e.measure.at_home() => {
                let record = super::checkins::checkin_record(self.store, e, self.ctx.now()).await?;
                let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
                Some(CheckinsCheck {
                    due: count(record.due),
                    done: count(record.done),
                    explained: count(record.missed.iter().filter(|m| m.2).count()),
                })
            }
            _ => None,
        };
        Ok(Checklist {
            end_reached: self.ctx.now() >= e.ends_at,
            tests,
            tests_required: rules.as_ref().is_none_or(|r| r.release.negative_tests),
            checkins,
        })
    }

    /// An episode with its days, test days, checklist and history.
    pub async fn episode(&self, id: i64) -> AppResult<EpisodeView> {
        let e = self.visible(id).await?;
        let today = self.ctx.today();
        let n = (today - e.starts_on).whole_days() + 1;
        let day_today = (e.status.is_active() && today <= e.last_day && n >= 1)
            .then(|| u16::try_from(n).ok())
            .flatten();
        let household_active = self
            .store
            .episodes_of_household(e.household_id)
            .await?
            .into_iter()
            .filter(|x| released_with(&e, x, today))
            .collect();
        Ok(EpisodeView {
            policy_name: self.policy_name(&e).await,
            rules: self.rules_of(&e).await,
            day_today,
            checklist: self.checklist(&e).await?,
            changes: self.store.episode_changes(e.id).await?,
            household_active,
            episode: e,
        })
    }

    /// Extends or shortens an episode to a new last day, with a reason; the planned end is
    /// recomputed (midnight after it, China's time). Refused: before the start day, shortened
    /// to before today, overlapping another active episode of the measure, not active.
    pub async fn change(&self, id: i64, form: &ChangeForm) -> AppResult<Episode> {
        let e = self.changeable(id).await?;
        let mut problems = Vec::new();
        let day = time::macros::format_description!("[year]-[month]-[day]");
        let last_day = Date::parse(form.last_day.trim(), day)
            .map_err(|_| problems.push(FieldProblem::new("last_day", Problem::DateValue)))
            .ok();
        let reason = reason_of(&form.reason, true, &mut problems);
        let (Some(last_day), true) = (last_day, problems.is_empty()) else {
            return Err(AppError::Validation(problems));
        };
        let entry = self.who.audit_entry(
            self.ctx,
            "episode.change",
            Some(("episode", e.id)),
            Some(&e.area_path),
            json!({"from": e.last_day.to_string(), "to": last_day.to_string(), "reason": reason}),
        );
        Ok(self
            .store
            .change_last_day(
                &DayChange {
                    episode_id: e.id,
                    last_day,
                    ends_at: planned_end(last_day),
                    reason,
                    today: self.ctx.today(),
                    by: self.who.username().to_string(),
                    at: self.ctx.now(),
                },
                audit_with(move |_| vec![entry]),
            )
            .await?)
    }

    /// Transfers an episode to central quarantine or a hospital (it ends then); to central
    /// quarantine, a central quarantine episode under the same policy starts on that day in
    /// the same transaction when asked.
    pub async fn transfer(
        &self,
        id: i64,
        form: &TransferForm,
    ) -> AppResult<(Episode, Option<Episode>)> {
        let e = self.changeable(id).await?;
        let mut problems = Vec::new();
        let to = Destination::parse(&form.to);
        if to.is_none() {
            problems.push(FieldProblem::new("to", Problem::Choice));
        }
        let place = form.place.trim().to_string();
        if place.chars().count() > 100 {
            problems.push(FieldProblem::new("place", Problem::TooLong { max: 100 }));
        }
        let now = self.ctx.now();
        let at = match form.at.trim() {
            "" => Some(now),
            raw => match parse_moment(raw) {
                Some(at) if at <= now + time::Duration::hours(1) => Some(at),
                Some(_) => {
                    problems.push(FieldProblem::new("at", Problem::FutureDate));
                    None
                }
                None => {
                    problems.push(FieldProblem::new("at", Problem::DateValue));
                    None
                }
            },
        };
        let reason = reason_of(&form.reason, true, &mut problems);
        let (Some(to), Some(at), true) = (to, at, problems.is_empty()) else {
            return Err(AppError::Validation(problems));
        };
        let then = if to == Destination::Central && form.start_central {
            let (policy, version) = policies::policy(self.store, &e.policy_key, None).await?;
            let rules = policy
                .rules(Measure::CentralQuarantine)
                .cloned()
                .ok_or_else(|| {
                    AppError::Validation(vec![FieldProblem::new("start_central", Problem::Choice)])
                })?;
            let schedule = rules.schedule(china_date(at));
            Some(NewEpisode {
                person_id: e.person_id,
                household_id: e.household_id,
                area_path: e.area_path.clone(),
                measure: Measure::CentralQuarantine,
                reason: e.reason.clone(),
                policy_key: e.policy_key.clone(),
                policy_version: version,
                starts_on: schedule.start,
                last_day: schedule.last_day,
                ends_at: schedule.ends_at,
                by: self.who.username().to_string(),
                at: now,
            })
        } else {
            None
        };
        let dest = if place.is_empty() {
            to.code().to_string()
        } else {
            format!("{}: {place}", to.code())
        };
        let entry = self.who.audit_entry(
            self.ctx,
            "episode.transfer",
            Some(("episode", e.id)),
            Some(&e.area_path),
            serde_json::Value::Null,
        );
        let details = json!({"to": to.code(), "place": place, "reason": reason});
        Ok(self
            .store
            .transfer_episode(
                &Transfer {
                    episode_id: e.id,
                    to: dest,
                    at,
                    reason: reason.clone(),
                    by: self.who.username().to_string(),
                },
                then,
                audit_with(move |done: &(Episode, Option<Episode>)| {
                    let mut entry = entry;
                    let mut details = details;
                    details["central_episode"] = json!(done.1.as_ref().map(|x| x.id));
                    entry.details = details;
                    vec![entry]
                }),
            )
            .await?)
    }

    /// Releases an episode (and, when asked, the household's other active episodes of the
    /// same measure), each after its checklist: an early release or an unmet item needs a
    /// reason, recorded with the unmet items.
    pub async fn release(&self, id: i64, form: &ReleaseForm) -> AppResult<Vec<Episode>> {
        let e = self.changeable(id).await?;
        let mut problems = Vec::new();
        let reason = reason_of(&form.reason, false, &mut problems);
        if !problems.is_empty() {
            return Err(AppError::Validation(problems));
        }
        e.status.release().map_err(AppError::Conflict)?;
        let mut all = vec![e.clone()];
        if form.household {
            for x in self.store.episodes_of_household(e.household_id).await? {
                if released_with(&e, &x, self.ctx.today())
                    && self.who.authorize(Action::Quarantine, &x.area_path).is_ok()
                {
                    all.push(x);
                }
            }
        }
        let (now, by) = (self.ctx.now(), self.who.username().to_string());
        let mut releases = Vec::with_capacity(all.len());
        let mut unmet_all = Vec::new();
        for x in &all {
            let checklist = self.checklist(x).await?;
            checklist
                .release_with(&reason)
                .map_err(AppError::Conflict)?;
            let unmet = checklist.unmet().join(",");
            unmet_all.push(json!({"episode": x.id, "unmet": unmet}));
            releases.push(Release {
                episode_id: x.id,
                reason: reason.clone(),
                unmet,
                at: now,
                by: by.clone(),
            });
        }
        let entry = self.who.audit_entry(
            self.ctx,
            "episode.release",
            Some(("episode", e.id)),
            Some(&e.area_path),
            json!({"episodes": unmet_all, "reason": reason}),
        );
        Ok(self
            .store
            .release_episodes(&releases, audit_with(move |_| vec![entry]))
            .await?)
    }

    /// A household's episodes (its members'), newest first, for whoever may read it.
    pub async fn of_household(
        &self,
        household: &doorstep_store::Household,
    ) -> AppResult<Vec<Episode>> {
        self.who.authorize(Action::Read, &household.area_path)?;
        Ok(self.store.episodes_of_household(household.id).await?)
    }
}
