//! Daily check-ins (日常监测): a household in an at-home episode checks in every member
//! through its link (no login), or a worker records it for them (by phone or at the door);
//! an abnormal check-in and a missed window each become a follow-up task (监测随访) for the
//! owner of the building.
//!
//! A resent submission (the same idempotency key) stores nothing new and answers the first.
//! The key's holder is the household (or a worker of its area), who may see the household's
//! check-ins anyway, so the first answer goes back without comparing bodies.

use std::collections::{BTreeMap, HashSet};

use doorstep_core::Target;
use doorstep_core::checkin::{self, Antigen, Method, Symptom, Temperature, Timing};
use doorstep_core::problem::FieldProblem;
use doorstep_core::quarantine::{CHINA, Schedule};
use doorstep_core::text::{mask_name, tidy};
use doorstep_core::{Lang, Problem};
use doorstep_store::{
    Checkin, CheckinHousehold, Episode, NewCheckin, Recorded, Store, SweptWindow, audit_with,
    no_audit,
};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::policies::rules_for;
use crate::access::{Action, Ctx, Principal};
use crate::error::{AppError, AppResult};
use crate::tasks::{TaskDesk, TaskInput};

/// The task source of an abnormal check-in's follow-up (keyed by episode and day: one task a
/// person a day, however many abnormal check-ins).
pub const ABNORMAL_SOURCE: &str = "checkin_abnormal";
/// The task source of a missed window's follow-up (keyed by household, day and window).
pub const MISSED_SOURCE: &str = "checkin_missed";

/// The longest note.
const NOTE_MAX: usize = 200;

/// One member's answers, as a form or the API gives them.
#[derive(Debug, Clone, Default)]
pub struct MemberCheckin {
    /// The person's file id (one of the household's in an episode).
    pub person_id: i64,
    /// The temperature as typed.
    pub temperature: String,
    /// Symptom codes or names.
    pub symptoms: Vec<String>,
    /// The antigen self-test: `''`/`none`, `negative`, `positive`, `invalid`.
    pub antigen: String,
    /// A note.
    pub note: String,
}

/// A household's check-in.
#[derive(Debug, Clone, Default)]
pub struct CheckinInput {
    /// Chosen by the client (the page makes one with the form): 1–64 of `A-Za-z0-9_-`.
    pub idempotency_key: String,
    /// The members checking in (at least one).
    pub members: Vec<MemberCheckin>,
}

/// A member of the household as the check-in page shows them.
#[derive(Debug, Clone)]
pub struct DueMember {
    /// The person's file id.
    pub person_id: i64,
    /// Their name, masked (`张*丰`): the link may sit on a slip on the door.
    pub masked_name: String,
    /// Their episodes.
    pub episodes: Vec<Episode>,
    /// The window a check-in now would fill: (day, window number, timing); `None` before
    /// their episode's first day.
    pub now: Option<(u16, u8, Timing)>,
    /// Today's windows: (number, opens, closes, filled).
    pub today: Vec<(u8, OffsetDateTime, OffsetDateTime, bool)>,
}

/// The household's check-in as its page shows it.
#[derive(Debug, Clone)]
pub struct HouseholdDue {
    /// The household and its episodes.
    pub household: CheckinHousehold,
    /// Its members in an episode, in the registry's order.
    pub members: Vec<DueMember>,
}

/// The schedule an episode follows now (its policy version's windows, its own days).
pub async fn schedule_of(store: &dyn Store, e: &Episode) -> AppResult<Schedule> {
    let rules = rules_for(store, &e.policy_key, e.policy_version, e.measure).await?;
    Ok(rules.schedule_until(e.starts_on, e.last_day))
}

/// The household behind a check-in token, with what is due today; not found when the token is
/// unknown or the household's episodes are over.
pub async fn household_for_token(
    store: &dyn Store,
    ctx: &Ctx,
    token: &str,
) -> AppResult<HouseholdDue> {
    let hh = store
        .checkin_household_by_token(token, ctx.now())
        .await?
        .ok_or(AppError::NotFound)?;
    due(store, ctx, hh).await
}

async fn due(store: &dyn Store, ctx: &Ctx, hh: CheckinHousehold) -> AppResult<HouseholdDue> {
    let now = ctx.now();
    let today = now.to_offset(CHINA).date();
    let ids: Vec<i64> = hh.episodes.iter().map(|e| e.id).collect();
    let filled: HashSet<(i64, u8)> = store
        .filled_windows(&ids, today)
        .await?
        .into_iter()
        .collect();
    let mut by_person: BTreeMap<i64, Vec<Episode>> = BTreeMap::new();
    for e in &hh.episodes {
        by_person.entry(e.person_id).or_default().push(e.clone());
    }
    let mut members = Vec::new();
    for (person_id, episodes) in by_person {
        let mut now_window = None;
        let mut windows = Vec::new();
        for e in &episodes {
            let s = schedule_of(store, e).await?;
            let fills = checkin::fills(&s, now, |d, n| d == today && filled.contains(&(e.id, n)));
            if now_window.is_none() {
                now_window = fills.map(|(day, _, n, t)| (day, n, t));
            }
            if windows.is_empty() {
                windows = s
                    .windows
                    .iter()
                    .filter(|w| w.opens.to_offset(CHINA).date() == today)
                    .map(|w| (w.n, w.opens, w.closes, filled.contains(&(e.id, w.n))))
                    .collect();
            }
        }
        members.push(DueMember {
            person_id,
            masked_name: mask_name(&episodes[0].name),
            episodes,
            now: now_window,
            today: windows,
        });
    }
    Ok(HouseholdDue {
        household: hh,
        members,
    })
}

/// Stores a household's own check-in through its link.
pub async fn submit_by_token(
    store: &dyn Store,
    ctx: &Ctx,
    token: &str,
    input: &CheckinInput,
) -> AppResult<Recorded> {
    let hh = store
        .checkin_household_by_token(token, ctx.now())
        .await?
        .ok_or(AppError::NotFound)?;
    record(store, ctx, &hh, input, Method::SelfReport, None).await
}

/// Stores a household's own check-in for the household its link's page has just read
/// ([`household_for_token`]), without reading it again.
pub async fn submit_for(
    store: &dyn Store,
    ctx: &Ctx,
    due: &HouseholdDue,
    input: &CheckinInput,
) -> AppResult<Recorded> {
    record(store, ctx, &due.household, input, Method::SelfReport, None).await
}

/// Reads and stores one submission: every member's answers checked first (problems named
/// `members[i].field`), then one row per member and episode, then the follow-up tasks of the
/// abnormal ones.
async fn record(
    store: &dyn Store,
    ctx: &Ctx,
    hh: &CheckinHousehold,
    input: &CheckinInput,
    method: Method,
    by: Option<&Principal>,
) -> AppResult<Recorded> {
    let mut problems = Vec::new();
    let key = doorstep_core::idempotency::key(&input.idempotency_key)
        .map_err(|p| problems.push(FieldProblem::new("idempotency_key", p)))
        .unwrap_or_default();
    if input.members.is_empty() {
        problems.push(FieldProblem::new("members", Problem::Required));
    }
    // To the microsecond, as PostgreSQL keeps it: a resend's answer (read back) is the same.
    let now = ctx.now();
    let now = now
        .replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now);
    let today = now.to_offset(CHINA).date();
    let ids: Vec<i64> = hh.episodes.iter().map(|e| e.id).collect();
    let filled: HashSet<(i64, u8)> = store
        .filled_windows(&ids, today)
        .await?
        .into_iter()
        .collect();
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    for (i, m) in input.members.iter().enumerate() {
        let field = |f: &str| format!("members[{i}].{f}");
        let episodes: Vec<&Episode> = hh
            .episodes
            .iter()
            .filter(|e| e.person_id == m.person_id)
            .collect();
        if episodes.is_empty() || !seen.insert(m.person_id) {
            problems.push(FieldProblem::new(field("person_id"), Problem::Choice));
            continue;
        }
        let t = Temperature::parse(&m.temperature)
            .map_err(|p| problems.push(FieldProblem::new(field("temperature"), p)))
            .ok();
        let mut symptoms = Vec::new();
        for s in m.symptoms.iter().filter(|s| !s.trim().is_empty()) {
            match Symptom::parse(s) {
                Some(s) => symptoms.push(s),
                None => problems.push(FieldProblem::new(field("symptoms"), Problem::Choice)),
            }
        }
        let antigen = Antigen::parse(&m.antigen)
            .ok_or_else(|| problems.push(FieldProblem::new(field("antigen"), Problem::Choice)))
            .ok();
        let note = tidy(&m.note);
        if note.chars().count() > NOTE_MAX {
            problems.push(FieldProblem::new(
                field("note"),
                Problem::TooLong { max: NOTE_MAX },
            ));
        }
        let (Some(t), Some(antigen)) = (t, antigen) else {
            continue;
        };
        let mut any = false;
        for e in episodes {
            let s = schedule_of(store, e).await?;
            let Some((day, on_day, n, timing)) =
                checkin::fills(&s, now, |d, n| d == today && filled.contains(&(e.id, n)))
            else {
                continue;
            };
            any = true;
            rows.push(NewCheckin {
                episode_id: e.id,
                person_id: e.person_id,
                name: e.name.clone(),
                household_id: hh.household_id,
                day,
                on_day,
                window_n: n,
                timing: timing.code().into(),
                at: now,
                temperature: t.tenths(),
                symptoms: Symptom::write_list(&symptoms),
                antigen: antigen.code().into(),
                note: note.clone(),
                abnormal: checkin::abnormal(t, &symptoms, antigen),
                method: method.code().into(),
                recorded_by: by.map(|p| p.username().to_string()),
                client_key: key.clone(),
            });
        }
        if !any {
            // Every episode of theirs starts later: nothing is due yet.
            problems.push(FieldProblem::new(field("person_id"), Problem::NotDueYet));
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let audit = match by {
        Some(who) => {
            let entry = who.audit_entry(
                ctx,
                "checkin.record",
                Some(("household", hh.household_id)),
                Some(&hh.area_path),
                json!({"method": method.code(), "members": rows.len()}),
            );
            audit_with(move |_: &Recorded| vec![entry])
        }
        None => no_audit(),
    };
    let done = store.record_checkins(&rows, audit).await?;
    // Also on a resend: the tasks are keyed, so one lost with a crash after the commit is
    // made now and one made before is not made twice.
    abnormal_followups(store, ctx, hh, &done.checkins).await?;
    Ok(done)
}

/// One follow-up task a person a day with an abnormal check-in, on the person (routed to the
/// owner of their building).
async fn abnormal_followups(
    store: &dyn Store,
    ctx: &Ctx,
    hh: &CheckinHousehold,
    checkins: &[Checkin],
) -> AppResult<()> {
    let inputs: Vec<TaskInput> = checkins
        .iter()
        .filter(|c| c.abnormal)
        .map(|c| TaskInput {
            kind: "checkin_followup".into(),
            target: Target::Person(c.person_id),
            assignee_id: None,
            due: String::new(),
            priority: "high".into(),
            note: format!(
                "{}：监测异常（{}）/ abnormal check-in ({})",
                hh.address,
                describe(c, Lang::Zh),
                describe(c, Lang::En)
            ),
            source: ABNORMAL_SOURCE.into(),
            source_key: Some(format!("{}:{}", c.episode_id, c.on_day)),
        })
        .collect();
    if inputs.is_empty() {
        return Ok(());
    }
    let office = Principal::office();
    TaskDesk::new(store, &office, ctx)
        .create_many(&inputs)
        .await?;
    Ok(())
}

/// A check-in's answers in words: `37.8℃，咳嗽，抗原阳性`.
pub fn describe(c: &Checkin, lang: Lang) -> String {
    let mut parts = vec![format!(
        "{}.{}{}",
        c.temperature / 10,
        c.temperature % 10,
        lang.pick("℃", " °C")
    )];
    for s in Symptom::read_list(&c.symptoms) {
        let (zh, en) = s.names();
        parts.push(lang.pick(zh, en).to_string());
    }
    if let Some(a) = Antigen::parse(&c.antigen).filter(|a| *a != Antigen::NotDone) {
        let (zh, en) = a.names();
        parts.push(
            lang.pick(&format!("抗原{zh}"), &format!("antigen {en}"))
                .to_string(),
        );
    }
    parts.join(lang.pick("，", ", "))
}

impl super::QuarantineDesk<'_> {
    /// The household's check-in token for its slip, made when it has none open (only while
    /// the household has an active at-home episode).
    pub async fn checkin_link(&self, household_id: i64) -> AppResult<String> {
        let hh = self.household(household_id, Action::Read).await?;
        let fresh = crate::auth::random_hex(16)?;
        Ok(self
            .store
            .ensure_checkin_link(hh.household_id, &fresh, self.ctx.now())
            .await?)
    }

    /// The household's check-in token, if it has one (read only: for the API's answer).
    pub async fn checkin_token(&self, household_id: i64) -> AppResult<Option<String>> {
        let hh = self.household(household_id, Action::Read).await?;
        Ok(self.store.checkin_token(hh.household_id).await?)
    }

    /// What is due today for a household, for a worker who may record check-ins.
    pub async fn household_due(&self, household_id: i64) -> AppResult<HouseholdDue> {
        let hh = self.household(household_id, Action::Read).await?;
        due(self.store, self.ctx, hh).await
    }

    /// A worker records a household's check-in for those who cannot (by phone or at the
    /// door), marked as such and audited.
    pub async fn record_checkins(
        &self,
        household_id: i64,
        method: &str,
        input: &CheckinInput,
    ) -> AppResult<Recorded> {
        let hh = self.household(household_id, Action::RecordCheckins).await?;
        let method = match Method::parse(method) {
            Some(m @ (Method::Phone | Method::Door)) => m,
            _ => {
                return Err(AppError::Validation(vec![FieldProblem::new(
                    "method",
                    Problem::Choice,
                )]));
            }
        };
        record(self.store, self.ctx, &hh, input, method, Some(self.who)).await
    }

    /// The household's check-ins of the last `days` days, for whoever may read it.
    pub async fn household_checkins(
        &self,
        household_id: i64,
        days: i64,
    ) -> AppResult<Vec<Checkin>> {
        let household = self
            .store
            .household(household_id)
            .await?
            .filter(|h| self.who.covers(&h.area_path))
            .ok_or(AppError::NotFound)?;
        self.who.authorize(Action::Read, &household.area_path)?;
        let since = self.ctx.today() - Duration::days(days.max(1) - 1);
        Ok(self
            .store
            .checkins_of_household(household_id, since)
            .await?)
    }

    /// The household with its active at-home episodes, if the user may do `action` there (not
    /// found outside their area, and for a household with none).
    async fn household(&self, household_id: i64, action: Action) -> AppResult<CheckinHousehold> {
        if !self.who.may(action) {
            return Err(AppError::Forbidden);
        }
        let hh = self
            .store
            .checkin_household(household_id, self.ctx.now())
            .await?
            .filter(|h| self.who.covers(&h.area_path))
            .ok_or(AppError::NotFound)?;
        self.who.authorize(action, &hh.area_path)?;
        Ok(hh)
    }
}

/// Looks at every check-in window closed in the last day and a half that no sweep has looked
/// at yet, and makes one follow-up task per household with members who missed it (source
/// [`MISSED_SOURCE`], key `household:date:window`: any number of sweeps on any number of
/// servers make it once). Returns how many persons missed a window.
pub async fn sweep_missed_checkins(store: &dyn Store, ctx: &Ctx) -> AppResult<usize> {
    let now = ctx.now();
    let today = now.to_offset(CHINA).date();
    let yesterday = today - Duration::days(1);
    let mut total = 0;
    for (key, version, measure) in store.active_policies(yesterday, today).await? {
        let rules = rules_for(store, &key, version, measure).await?;
        for date in [yesterday, today] {
            for (n, opens, closes) in rules.windows_on(date) {
                if closes > now || now - closes > Duration::hours(36) {
                    continue;
                }
                let w = SweptWindow {
                    policy_key: key.clone(),
                    policy_version: version,
                    measure,
                    on_day: date,
                    window_n: n,
                };
                if store.window_swept(&w).await? {
                    continue;
                }
                let missed = store.missed_window(&w, opens).await?;
                total += missed.len();
                missed_followups(store, ctx, &w, opens, closes, &missed).await?;
                store.mark_window_swept(&w, missed.len(), now).await?;
            }
        }
    }
    Ok(total)
}

async fn missed_followups(
    store: &dyn Store,
    ctx: &Ctx,
    w: &SweptWindow,
    opens: OffsetDateTime,
    closes: OffsetDateTime,
    missed: &[doorstep_store::Missed],
) -> AppResult<()> {
    let mut by_household: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for m in missed {
        by_household
            .entry(m.household_id)
            .or_default()
            .push(mask_name(&m.name));
    }
    let hm = |t: OffsetDateTime| {
        let t = t.to_offset(CHINA);
        format!("{:02}:{:02}", t.hour(), t.minute())
    };
    let inputs: Vec<TaskInput> = by_household
        .into_iter()
        .map(|(h, names)| TaskInput {
            kind: "checkin_followup".into(),
            target: Target::Household(h),
            assignee_id: None,
            due: String::new(),
            priority: "high".into(),
            note: format!(
                "{} {}–{} 未按时打卡：{} / missed the {}–{} check-in on {}",
                w.on_day,
                hm(opens),
                hm(closes),
                names.join("、"),
                hm(opens),
                hm(closes),
                w.on_day
            ),
            source: MISSED_SOURCE.into(),
            source_key: Some(format!("{h}:{}:{}", w.on_day, w.window_n)),
        })
        .collect();
    for chunk in inputs.chunks(crate::tasks::MAX_BULK) {
        let office = Principal::office();
        TaskDesk::new(store, &office, ctx)
            .create_many(chunk)
            .await?;
    }
    Ok(())
}

/// How an episode's check-ins stand: for the release checklist and the episode's page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckinRecord {
    /// Windows closed so far (or all of them, once the episode is over).
    pub due: usize,
    /// Of those, filled by a check-in (on time, early or late).
    pub done: usize,
    /// The windows closed with no check-in: (China date, window number, explained — its
    /// follow-up task is done).
    pub missed: Vec<(time::Date, u8, bool)>,
}

impl CheckinRecord {
    /// Whether every window is checked in or its miss explained.
    pub fn complete(&self) -> bool {
        self.missed.iter().all(|m| m.2)
    }
}

/// An episode's check-in record at `now`. At home only; a central site's episode has none.
pub async fn checkin_record(
    store: &dyn Store,
    e: &Episode,
    now: OffsetDateTime,
) -> AppResult<CheckinRecord> {
    if !e.measure.at_home() {
        return Ok(CheckinRecord::default());
    }
    let s = schedule_of(store, e).await?;
    let filled: HashSet<(time::Date, u8)> = store
        .checkins_of_episode(e.id)
        .await?
        .into_iter()
        .filter(|c| c.window_n > 0)
        .map(|c| (c.on_day, c.window_n))
        .collect();
    // Windows the episode owed: closed by now, opened after it was started.
    let owed: Vec<(time::Date, u8)> = s
        .closed_by(now)
        .filter(|w| w.opens > e.created_at)
        .map(|w| (w.opens.to_offset(CHINA).date(), w.n))
        .collect();
    let missing: Vec<(time::Date, u8)> = owed
        .iter()
        .copied()
        .filter(|w| !filled.contains(w))
        .collect();
    let keys: Vec<String> = missing
        .iter()
        .map(|(d, n)| format!("{}:{d}:{n}", e.household_id))
        .collect();
    let done: HashSet<String> = store
        .task_states(MISSED_SOURCE, &keys)
        .await?
        .into_iter()
        .filter(|(_, status)| status == "done")
        .map(|(k, _)| k)
        .collect();
    Ok(CheckinRecord {
        due: owed.len(),
        done: owed.len() - missing.len(),
        missed: missing
            .iter()
            .zip(&keys)
            .map(|((d, n), k)| (*d, *n, done.contains(k)))
            .collect(),
    })
}
