//! The entry/exit register of a gate: a resident scanned (ID number or personal code, the
//! sampler's lookup), a visitor or a vehicle noted; direction, reason, temperature; the
//! person's holds (active home quarantine refuses leaving) and an exception someone allowed.

use doorstep_core::checkin::Temperature;
use doorstep_core::checkpoints::{
    Direction, Hold, Plate, SubjectKind, Verdict, holds_of, short_text,
};
use doorstep_core::idempotency::BodyHash;
use doorstep_core::idnum::mask_middle;
use doorstep_core::problem::FieldProblem;
use doorstep_core::text::mask_name;
use doorstep_core::{Conflict, Problem};
use doorstep_store::{Idempotent, NewPassage, Passage, audit_with};
use serde_json::json;
use time::OffsetDateTime;

use super::CheckpointDesk;
use crate::access::Action;
use crate::clock::CHINA;
use crate::error::{AppError, AppResult};
use crate::rounds::PersonRef;

/// The most passages a register page or answer shows.
pub const RECENT: u32 = 50;

/// One passage as the phone sends it.
#[derive(Debug, Clone, Default)]
pub struct PassageInput {
    /// The device's id for this scan, 1–64 of `A-Za-z0-9_-`: a resend answers the first.
    pub client_id: String,
    /// `resident`, `visitor` or `vehicle`; blank: a resident when `scan` is given, a vehicle
    /// when `plate` is, else a visitor.
    pub subject: String,
    /// A resident's ID number or personal code, as scanned or typed.
    pub scan: String,
    /// A visitor's name.
    pub visitor_name: String,
    /// A vehicle's plate.
    pub plate: String,
    /// `in` or `out`.
    pub direction: String,
    /// Why (optional, at most 60 characters).
    pub reason: String,
    /// The temperature taken at the gate (optional): 35.0–42.0.
    pub temperature: String,
    /// An exception for a refusal: who allowed it (a name and post).
    pub allowed_by: String,
    /// An exception: why.
    pub exception_reason: String,
}

/// A passage as a guard may see it: names and ID numbers masked.
#[derive(Debug, Clone)]
pub struct PassageView {
    /// The stored passage (its `name` and `id_number` masked).
    pub passage: Passage,
    /// The temperature as read.
    pub temperature: Option<String>,
}

impl PassageView {
    /// The masked view of a stored passage.
    pub fn of(mut p: Passage) -> PassageView {
        p.name = p.name.as_deref().map(mask_name);
        p.id_number = p.id_number.as_deref().map(|n| mask_middle(n, 6, 4));
        let temperature = p
            .temperature
            .and_then(Temperature::from_tenths)
            .map(|t| t.to_string());
        PassageView {
            passage: p,
            temperature,
        }
    }
}

/// A recorded passage and whether this was a resend.
#[derive(Debug, Clone)]
pub struct Registered {
    /// The passage, masked.
    pub view: PassageView,
    /// Whether the same scan was stored before under this id (nothing new written).
    pub replayed: bool,
}

/// Who, once read.
enum Subject {
    /// A resident's file id and their household's area.
    Resident(i64, doorstep_core::AreaPath),
    Visitor(String),
    Vehicle(Plate),
}

/// `YYYY-MM-DD HH` in China's time: what the counts group by.
pub fn china_hour(t: OffsetDateTime) -> String {
    let l = t.to_offset(CHINA);
    format!(
        "{:04}-{:02}-{:02} {:02}",
        l.year(),
        l.month() as u8,
        l.day(),
        l.hour()
    )
}

impl CheckpointDesk<'_> {
    /// Records one passage at gate `id`. A resident in active home quarantine going out is
    /// recorded as refused (劝返, not counted) unless `allowed_by` and `exception_reason`
    /// name who allowed it and why; other holds (monitoring, central quarantine, a fever)
    /// pass with a warning. Refusals and exceptions are audited (`checkpoint.refused`,
    /// `checkpoint.exception`); the register itself keeps who recorded every passage.
    pub async fn register(&self, id: i64, input: &PassageInput) -> AppResult<Registered> {
        let cp = self.get(id).await?;
        let mut problems = Vec::new();
        let client_id = doorstep_core::idempotency::key(&input.client_id)
            .map_err(|p| problems.push(FieldProblem::new("client_id", p)))
            .unwrap_or_default();
        let direction = Direction::parse(&input.direction);
        if direction.is_none() {
            problems.push(FieldProblem::new("direction", Problem::Choice));
        }
        let mut text = |raw: &str, field: &'static str, required: bool| {
            short_text(raw, required)
                .map_err(|p| problems.push(FieldProblem::new(field, p)))
                .unwrap_or_default()
        };
        let reason = text(&input.reason, "reason", false);
        let allowed_by = text(&input.allowed_by, "allowed_by", false);
        let exception_reason = text(&input.exception_reason, "exception_reason", false);
        match (allowed_by.is_empty(), exception_reason.is_empty()) {
            (false, true) => {
                problems.push(FieldProblem::new("exception_reason", Problem::Required))
            }
            (true, false) => problems.push(FieldProblem::new("allowed_by", Problem::Required)),
            _ => {}
        }
        let temperature = match input.temperature.trim() {
            "" => None,
            t => Temperature::parse(t)
                .map_err(|p| problems.push(FieldProblem::new("temperature", p)))
                .ok(),
        };
        let kind = match input.subject.trim() {
            "" if !input.scan.trim().is_empty() => Some(SubjectKind::Resident),
            "" if !input.plate.trim().is_empty() => Some(SubjectKind::Vehicle),
            "" => Some(SubjectKind::Visitor),
            s => SubjectKind::parse(s),
        };
        let subject = match kind {
            None => {
                problems.push(FieldProblem::new("subject", Problem::Choice));
                None
            }
            Some(SubjectKind::Visitor) => short_text(&input.visitor_name, true)
                .map(Subject::Visitor)
                .map_err(|p| problems.push(FieldProblem::new("visitor_name", p)))
                .ok(),
            Some(SubjectKind::Vehicle) => Plate::parse(&input.plate)
                .map(Subject::Vehicle)
                .map_err(|p| problems.push(FieldProblem::new("plate", p)))
                .ok(),
            Some(SubjectKind::Resident) => match self.resident(&input.scan).await {
                Ok(p) => Some(Subject::Resident(p.id, p.area_path)),
                Err(AppError::Validation(ps)) => {
                    problems.extend(ps);
                    None
                }
                Err(e) => return Err(e),
            },
        };
        let (Some(direction), Some(subject), true) = (direction, subject, problems.is_empty())
        else {
            return Err(AppError::Validation(problems));
        };
        let (measures, sealed) = match &subject {
            Subject::Resident(person, area) => {
                let today = self.ctx.today();
                let measures = self
                    .store
                    .episodes_of_person(*person)
                    .await?
                    .into_iter()
                    .filter(|e| e.status.is_active() && e.starts_on <= today)
                    .map(|e| e.measure)
                    .collect();
                let sealed = crate::seals::seal_over(self.store, area).await?.is_some();
                (measures, sealed)
            }
            _ => (Vec::new(), false),
        };
        // A vehicle has no temperature of its own to heed.
        let holds: Vec<Hold> = holds_of(&measures, sealed, temperature);
        let exception = !allowed_by.is_empty();
        let verdict = Verdict::of(&holds, direction, exception);
        let (allowed_by, exception_reason) = if verdict == Verdict::Allowed {
            (Some(allowed_by), Some(exception_reason))
        } else {
            (None, None)
        };
        let (person_id, visitor_name, plate) = match &subject {
            Subject::Resident(p, _) => (Some(*p), None, None),
            Subject::Visitor(n) => (None, Some(n.clone()), None),
            Subject::Vehicle(pl) => (None, None, Some(pl.as_str().to_string())),
        };
        let kind = kind.unwrap_or(SubjectKind::Visitor);
        let now = self.ctx.now();
        let hash = BodyHash::of(&json!({
            "subject": kind.code(), "person": person_id, "visitor": visitor_name,
            "plate": plate, "direction": direction.code(), "reason": reason,
            "temperature": temperature.map(Temperature::tenths),
            "allowed_by": allowed_by, "exception_reason": exception_reason,
        }));
        let new = NewPassage {
            checkpoint_id: cp.id,
            area_path: cp.area_path.clone(),
            client_id,
            body_hash: hash.as_str().to_string(),
            subject: kind,
            person_id,
            visitor_name,
            plate,
            direction,
            reason,
            temperature: temperature.map(Temperature::tenths),
            verdict,
            holds: holds.clone(),
            allowed_by: allowed_by.clone(),
            exception_reason,
            recorded_by: self.who.username().to_string(),
            china_hour: china_hour(now),
            at: now,
        };
        let action = match verdict {
            Verdict::Refused => Some("checkpoint.refused"),
            Verdict::Allowed => Some("checkpoint.exception"),
            Verdict::Passed | Verdict::Warned => None,
        };
        let entry = action.map(|a| {
            self.who.audit_entry(
                self.ctx,
                a,
                person_id.map(|p| ("person", p)),
                Some(&cp.area_path),
                json!({"checkpoint": cp.id, "direction": direction.code(),
                       "holds": holds.iter().map(|h| h.code()).collect::<Vec<_>>(),
                       "allowed_by": allowed_by}),
            )
        });
        let audit = audit_with(move |done: &Idempotent<Passage>| match (done, entry) {
            (Idempotent::Created(p), Some(mut e)) => {
                e.details["passage"] = json!(p.id);
                vec![e]
            }
            _ => Vec::new(),
        });
        let (passage, replayed) = match self.store.record_passage(&new, audit).await? {
            Idempotent::Created(p) => (p, false),
            Idempotent::Replayed(p) => (p, true),
            Idempotent::KeyReused => {
                return Err(AppError::Conflict(Conflict::IdempotencyKeyReused));
            }
        };
        Ok(Registered {
            view: PassageView::of(passage),
            replayed,
        })
    }

    /// The resident a scan names: found by ID number or personal code and living inside the
    /// user's area, else a problem at `scan` (note them as a visitor).
    async fn resident(&self, raw: &str) -> AppResult<doorstep_store::Person> {
        let not_on_file =
            || AppError::Validation(vec![FieldProblem::new("scan", Problem::NotOnFile)]);
        if raw.trim().is_empty() {
            return Err(AppError::Validation(vec![FieldProblem::new(
                "scan",
                Problem::Required,
            )]));
        }
        let key = match PersonRef::from_scan(raw).lookup("scan") {
            Err(AppError::NotFound) => return Err(not_on_file()),
            other => other?,
        };
        let person = self
            .store
            .scan_person(&key, self.ctx.today())
            .await?
            .map(|t| t.person)
            .filter(|p| self.who.covers(&p.area_path))
            .ok_or_else(not_on_file)?;
        self.who.authorize(Action::GuardGate, &person.area_path)?;
        Ok(person)
    }

    /// A gate's latest passages, newest first, masked.
    pub async fn passages(&self, id: i64) -> AppResult<Vec<PassageView>> {
        let cp = self.get(id).await?;
        Ok(self
            .store
            .passages(cp.id, RECENT)
            .await?
            .into_iter()
            .map(PassageView::of)
            .collect())
    }
}
