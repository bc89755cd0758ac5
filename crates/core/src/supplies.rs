//! Supplies and services for households at home (后勤供给): what a household may ask for, how
//! urgently, where a request stands and when it is overdue.
//!
//! A request's status is not stored: it is read from its delivery task (one truth, no drift).
//! [`SupplyStatus::of_task`] is that reading, and [`SupplyStatus::may_become`] the moves a
//! request may make through its task.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::task::TaskStatus;
use crate::text::tidy;
use crate::{Lang, Problem};

/// The longest detail (what, how much, the medicine's name).
pub const DETAIL_MAX: usize = 200;

/// What a household asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplyKind {
    /// 食品: food and daily necessities.
    Food,
    /// 药品: a medicine, named.
    Medicine,
    /// 就医: a medical visit (to a clinic or a doctor at the door).
    MedicalVisit,
    /// 垃圾清运: garbage pickup.
    Garbage,
    /// 其他: something else, described.
    Other,
}

impl SupplyKind {
    /// Every kind, in a form's order.
    pub const ALL: [SupplyKind; 5] = [
        SupplyKind::Food,
        SupplyKind::Medicine,
        SupplyKind::MedicalVisit,
        SupplyKind::Garbage,
        SupplyKind::Other,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            SupplyKind::Food => "food",
            SupplyKind::Medicine => "medicine",
            SupplyKind::MedicalVisit => "medical_visit",
            SupplyKind::Garbage => "garbage",
            SupplyKind::Other => "other",
        }
    }

    /// The names: (Chinese, English).
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            SupplyKind::Food => ("食品", "Food"),
            SupplyKind::Medicine => ("药品", "Medicine"),
            SupplyKind::MedicalVisit => ("就医", "Medical visit"),
            SupplyKind::Garbage => ("垃圾清运", "Garbage pickup"),
            SupplyKind::Other => ("其他", "Other"),
        }
    }

    /// The name in a language.
    pub fn label(self, lang: Lang) -> &'static str {
        let (zh, en) = self.names();
        lang.pick(zh, en)
    }

    /// The kind a code or a name (Chinese or English) gives.
    pub fn parse(raw: &str) -> Option<SupplyKind> {
        let s = raw.trim();
        SupplyKind::ALL.into_iter().find(|k| {
            let (zh, en) = k.names();
            k.code() == s || zh == s || en.eq_ignore_ascii_case(s)
        })
    }

    /// How long a request of this kind may wait for delivery: a medical visit 2 hours; an
    /// urgent request 4 hours; anything else 24 hours (our choice; the plans say "promptly").
    pub fn deadline(self, urgency: Urgency) -> Duration {
        const HOUR: u64 = 3600;
        match (self, urgency) {
            (SupplyKind::MedicalVisit, _) => Duration::from_secs(2 * HOUR),
            (_, Urgency::Urgent) => Duration::from_secs(4 * HOUR),
            (_, Urgency::Normal) => Duration::from_secs(24 * HOUR),
        }
    }

    /// Whether the detail must say something (the medicine's name, what "other" is).
    pub fn needs_detail(self) -> bool {
        matches!(self, SupplyKind::Medicine | SupplyKind::Other)
    }
}

/// How soon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// 一般: within a day.
    Normal,
    /// 紧急: within hours.
    Urgent,
}

impl Urgency {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Urgency::Normal => "normal",
            Urgency::Urgent => "urgent",
        }
    }

    /// The name in a language.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Urgency::Normal => lang.pick("一般", "Normal"),
            Urgency::Urgent => lang.pick("紧急", "Urgent"),
        }
    }

    /// The urgency a code or name gives (blank: normal).
    pub fn parse(raw: &str) -> Option<Urgency> {
        match raw.trim() {
            "" | "normal" | "一般" => Some(Urgency::Normal),
            "urgent" | "紧急" => Some(Urgency::Urgent),
            _ => None,
        }
    }

    /// The delivery task's priority code.
    pub fn priority(self) -> &'static str {
        match self {
            Urgency::Normal => "normal",
            Urgency::Urgent => "urgent",
        }
    }
}

/// Where a request stands: requested → assigned → delivered, or cancelled (from either open
/// state). Read from the delivery task, never stored on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplyStatus {
    /// Asked for; nobody holds the task yet.
    Requested,
    /// Someone holds the task.
    Assigned,
    /// Delivered (who and when are the task's closing step).
    Delivered,
    /// Cancelled, with a reason.
    Cancelled,
}

impl SupplyStatus {
    /// Every status, in a list's order.
    pub const ALL: [SupplyStatus; 4] = [
        SupplyStatus::Requested,
        SupplyStatus::Assigned,
        SupplyStatus::Delivered,
        SupplyStatus::Cancelled,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            SupplyStatus::Requested => "requested",
            SupplyStatus::Assigned => "assigned",
            SupplyStatus::Delivered => "delivered",
            SupplyStatus::Cancelled => "cancelled",
        }
    }

    /// The name in a language.
    pub fn label(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            SupplyStatus::Requested => ("已申请", "Requested"),
            SupplyStatus::Assigned => ("已派单", "Assigned"),
            SupplyStatus::Delivered => ("已送达", "Delivered"),
            SupplyStatus::Cancelled => ("已取消", "Cancelled"),
        };
        lang.pick(zh, en)
    }

    /// The status a code names.
    pub fn parse(raw: &str) -> Option<SupplyStatus> {
        SupplyStatus::ALL
            .into_iter()
            .find(|s| s.code() == raw.trim())
    }

    /// Whether the request still waits (requested or assigned).
    pub fn is_open(self) -> bool {
        matches!(self, SupplyStatus::Requested | SupplyStatus::Assigned)
    }

    /// Whether a request may move from this status to `to`: requested ↔ assigned, either to
    /// delivered or cancelled; a delivered or cancelled request stays so (a new one is asked).
    pub fn may_become(self, to: SupplyStatus) -> bool {
        self.is_open() && self != to
    }

    /// The request's status, read from its delivery task: an open task with nobody on it is
    /// requested, with somebody assigned; done as `delivered` is delivered; any other end
    /// (done as nobody home or not needed, cannot do, cancelled) is cancelled, the task's
    /// outcome and note being the reason. No task yet (a crash between the request and its
    /// task, healed by the next resend or worker view): requested.
    pub fn of_task(task: Option<(TaskStatus, bool, Option<&str>)>) -> SupplyStatus {
        match task {
            None => SupplyStatus::Requested,
            Some((s, assigned, outcome)) => match s {
                TaskStatus::Open | TaskStatus::InProgress if assigned => SupplyStatus::Assigned,
                TaskStatus::Open | TaskStatus::InProgress => SupplyStatus::Requested,
                TaskStatus::Done if outcome == Some("delivered") => SupplyStatus::Delivered,
                TaskStatus::Done | TaskStatus::CannotDo | TaskStatus::Cancelled => {
                    SupplyStatus::Cancelled
                }
            },
        }
    }
}

/// Whether an open request is overdue: past its deadline (`due`, set from
/// [`SupplyKind::deadline`] when asked) and still waiting.
pub fn is_overdue(
    status: SupplyStatus,
    due: Option<time::OffsetDateTime>,
    now: time::OffsetDateTime,
) -> bool {
    status.is_open() && due.is_some_and(|d| d < now)
}

/// A request as read from a form: kind, detail (tidied), urgency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplyAsk {
    /// What.
    pub kind: SupplyKind,
    /// The detail.
    pub detail: String,
    /// How soon.
    pub urgency: Urgency,
}

impl SupplyAsk {
    /// Reads a request; each problem at its field (`kind`, `detail`, `urgency`).
    pub fn parse(
        kind: &str,
        detail: &str,
        urgency: &str,
    ) -> Result<SupplyAsk, Vec<(&'static str, Problem)>> {
        let mut problems = Vec::new();
        let kind = SupplyKind::parse(kind);
        if kind.is_none() {
            problems.push(("kind", Problem::Choice));
        }
        let urgency = Urgency::parse(urgency);
        if urgency.is_none() {
            problems.push(("urgency", Problem::Choice));
        }
        let detail = tidy(detail);
        if detail.chars().count() > DETAIL_MAX {
            problems.push(("detail", Problem::TooLong { max: DETAIL_MAX }));
        }
        match kind {
            Some(SupplyKind::Medicine) if detail.is_empty() => {
                problems.push(("detail", Problem::MedicineName));
            }
            Some(SupplyKind::Other) if detail.is_empty() => {
                problems.push(("detail", Problem::SupplyDetail));
            }
            _ => {}
        }
        match (kind, urgency, problems.is_empty()) {
            (Some(kind), Some(urgency), true) => Ok(SupplyAsk {
                kind,
                detail,
                urgency,
            }),
            _ => Err(problems),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_as_codes_and_names() {
        for k in SupplyKind::ALL {
            assert_eq!(SupplyKind::parse(k.code()), Some(k));
            assert_eq!(SupplyKind::parse(k.names().0), Some(k));
        }
        assert_eq!(
            SupplyKind::parse("garbage pickup"),
            Some(SupplyKind::Garbage)
        );
        assert_eq!(SupplyKind::parse("cake"), None);
    }

    #[test]
    fn deadlines() {
        let h = |n: u64| Duration::from_secs(n * 3600);
        assert_eq!(SupplyKind::MedicalVisit.deadline(Urgency::Normal), h(2));
        assert_eq!(SupplyKind::Medicine.deadline(Urgency::Urgent), h(4));
        assert_eq!(SupplyKind::Food.deadline(Urgency::Normal), h(24));
    }

    #[test]
    fn status_follows_the_task() {
        use TaskStatus::*;
        assert_eq!(SupplyStatus::of_task(None), SupplyStatus::Requested);
        assert_eq!(
            SupplyStatus::of_task(Some((Open, false, None))),
            SupplyStatus::Requested
        );
        assert_eq!(
            SupplyStatus::of_task(Some((InProgress, true, None))),
            SupplyStatus::Assigned
        );
        assert_eq!(
            SupplyStatus::of_task(Some((Done, true, Some("delivered")))),
            SupplyStatus::Delivered
        );
        assert_eq!(
            SupplyStatus::of_task(Some((Done, true, Some("not_home")))),
            SupplyStatus::Cancelled
        );
        assert_eq!(
            SupplyStatus::of_task(Some((Cancelled, true, None))),
            SupplyStatus::Cancelled
        );
    }

    #[test]
    fn moves() {
        use SupplyStatus::*;
        assert!(Requested.may_become(Assigned));
        assert!(Assigned.may_become(Requested));
        assert!(Assigned.may_become(Delivered));
        assert!(Requested.may_become(Cancelled));
        assert!(!Delivered.may_become(Cancelled));
        assert!(!Cancelled.may_become(Assigned));
        assert!(!Requested.may_become(Requested));
    }

    #[test]
    fn overdue_only_while_open() {
        let now = time::macros::datetime!(2027-03-01 12:00 UTC);
        let past = Some(now - time::Duration::minutes(1));
        assert!(is_overdue(SupplyStatus::Requested, past, now));
        assert!(is_overdue(SupplyStatus::Assigned, past, now));
        assert!(!is_overdue(SupplyStatus::Delivered, past, now));
        assert!(!is_overdue(
            SupplyStatus::Requested,
            Some(now + time::Duration::minutes(1)),
            now
        ));
    }

    #[test]
    fn asks() {
        let a = SupplyAsk::parse("food", "  米 5 斤 ", "").unwrap();
        assert_eq!(
            (a.kind, a.detail.as_str(), a.urgency),
            (SupplyKind::Food, "米 5 斤", Urgency::Normal)
        );
        let e = SupplyAsk::parse("medicine", " ", "urgent").unwrap_err();
        assert_eq!(e, vec![("detail", Problem::MedicineName)]);
        let e = SupplyAsk::parse("other", "", "soon").unwrap_err();
        assert_eq!(
            e,
            vec![
                ("urgency", Problem::Choice),
                ("detail", Problem::SupplyDetail)
            ]
        );
        let long = "药".repeat(DETAIL_MAX + 1);
        assert!(SupplyAsk::parse("medicine", &long, "").is_err());
    }
}
