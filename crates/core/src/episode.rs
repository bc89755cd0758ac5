//! An episode's life after its start: its status and the moves between them (transfer,
//! a new last day, release), and the release checklist's items, computed from what is stored.
//!
//! Statuses: `active` → `transferred` (to central quarantine or a hospital: the episode ends
//! there) or `released` (解除, on time or early with a reason). Both ends are final. We keep no
//! `ended_early` (an early release is a release whose checklist says the end was not reached,
//! with the reason recorded) and no `cancelled` (an episode started by mistake is shortened
//! or released with a reason, and the history says so).

use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

use crate::conflict::Conflict;
use crate::lang::Lang;
use crate::quarantine::CHINA;
use crate::testing::TubeResult;

/// Where an episode stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EpisodeStatus {
    /// Under the measure now (or from its start day).
    Active,
    /// Moved to central quarantine or a hospital; the episode ended there.
    Transferred,
    /// Released (解除).
    Released,
}

impl EpisodeStatus {
    /// Every status, in the order filters show them.
    pub const ALL: [EpisodeStatus; 3] = [
        EpisodeStatus::Active,
        EpisodeStatus::Transferred,
        EpisodeStatus::Released,
    ];

    /// The stored and API code.
    pub fn code(self) -> &'static str {
        match self {
            EpisodeStatus::Active => "active",
            EpisodeStatus::Transferred => "transferred",
            EpisodeStatus::Released => "released",
        }
    }

    /// The status a stored code names.
    pub fn from_stored(code: &str) -> Option<EpisodeStatus> {
        EpisodeStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The label a person reads.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            EpisodeStatus::Active => lang.pick("进行中", "ongoing"),
            EpisodeStatus::Transferred => lang.pick("已转出", "transferred"),
            EpisodeStatus::Released => lang.pick("已解除", "released"),
        }
    }

    /// Whether the episode still runs.
    pub fn is_active(self) -> bool {
        self == EpisodeStatus::Active
    }

    /// The status after a transfer: only an active episode is transferred.
    pub fn transfer(self) -> Result<EpisodeStatus, Conflict> {
        self.only_active(EpisodeStatus::Transferred)
    }

    /// The status after a release: only an active episode is released.
    pub fn release(self) -> Result<EpisodeStatus, Conflict> {
        self.only_active(EpisodeStatus::Released)
    }

    /// Whether the days may change: only while active (a released episode is not extended).
    pub fn change_days(self) -> Result<EpisodeStatus, Conflict> {
        self.only_active(EpisodeStatus::Active)
    }

    fn only_active(self, to: EpisodeStatus) -> Result<EpisodeStatus, Conflict> {
        if self.is_active() {
            Ok(to)
        } else {
            Err(Conflict::EpisodeNotActive)
        }
    }
}

/// Where a transferred person went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Destination {
    /// A central quarantine site (集中隔离点).
    Central,
    /// A hospital (医院).
    Hospital,
}

impl Destination {
    /// Both, in the order forms show them.
    pub const ALL: [Destination; 2] = [Destination::Central, Destination::Hospital];

    /// The stored and API code.
    pub fn code(self) -> &'static str {
        match self {
            Destination::Central => "central",
            Destination::Hospital => "hospital",
        }
    }

    /// A destination from its code or its Chinese name.
    pub fn parse(raw: &str) -> Option<Destination> {
        let raw = raw.trim();
        Destination::ALL
            .into_iter()
            .find(|d| d.code() == raw || d.label(Lang::Zh) == raw)
    }

    /// The label a person reads.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Destination::Central => lang.pick("集中隔离点", "central quarantine"),
            Destination::Hospital => lang.pick("医院", "hospital"),
        }
    }
}

/// What a change of an episode changed (the history's `what`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// The last day moved later.
    Extend,
    /// The last day moved earlier.
    Shorten,
    /// Transferred.
    Transfer,
    /// Released.
    Release,
}

impl ChangeKind {
    /// Every kind.
    pub const ALL: [ChangeKind; 4] = [
        ChangeKind::Extend,
        ChangeKind::Shorten,
        ChangeKind::Transfer,
        ChangeKind::Release,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            ChangeKind::Extend => "extend",
            ChangeKind::Shorten => "shorten",
            ChangeKind::Transfer => "transfer",
            ChangeKind::Release => "release",
        }
    }

    /// The kind a stored code names.
    pub fn from_stored(code: &str) -> Option<ChangeKind> {
        ChangeKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The label a person reads.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            ChangeKind::Extend => lang.pick("延长", "extended"),
            ChangeKind::Shorten => lang.pick("缩短", "shortened"),
            ChangeKind::Transfer => lang.pick("转出", "transferred"),
            ChangeKind::Release => lang.pick("解除", "released"),
        }
    }
}

/// Checks a new last day of an active episode from `start` whose last day is `old`, on
/// `today` (China's date): never before the start day, never shortened to before today, and
/// a change at all. Answers whether it extends or shortens.
pub fn new_last_day(
    start: Date,
    old: Date,
    new: Date,
    today: Date,
) -> Result<ChangeKind, Conflict> {
    if new < start {
        return Err(Conflict::EpisodeBeforeStart);
    }
    if new == old {
        return Err(Conflict::EpisodeUnchanged);
    }
    if new < old && new < today {
        return Err(Conflict::EpisodeShortenPast);
    }
    Ok(if new > old {
        ChangeKind::Extend
    } else {
        ChangeKind::Shorten
    })
}

/// The planned end of an episode whose last day is `last`: midnight after it, China's time.
pub fn planned_end(last: Date) -> OffsetDateTime {
    let next = last.next_day().unwrap_or(last);
    PrimitiveDateTime::new(next, Time::MIDNIGHT).assume_offset(CHINA)
}

/// The China date of a moment.
pub fn china_date(at: OffsetDateTime) -> Date {
    at.to_offset(CHINA).date()
}

/// How a test day stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TestState {
    /// A sample of that day came back negative.
    Negative,
    /// A sample of that day came back positive (flagged red).
    Positive,
    /// Sampled, no result yet (or only an invalid one).
    Pending,
    /// No sample that day.
    Missing,
}

impl TestState {
    /// What the person's samples of one day say: a positive wins, then a negative, then a
    /// pending one (no result, or invalid); none is missing.
    pub fn of(results: &[Option<TubeResult>]) -> TestState {
        if results.contains(&Some(TubeResult::Positive)) {
            TestState::Positive
        } else if results.contains(&Some(TubeResult::Negative)) {
            TestState::Negative
        } else if results.is_empty() {
            TestState::Missing
        } else {
            TestState::Pending
        }
    }

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            TestState::Negative => "negative",
            TestState::Positive => "positive",
            TestState::Pending => "pending",
            TestState::Missing => "missing",
        }
    }

    /// The label a person reads.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            TestState::Negative => lang.pick("阴性", "negative"),
            TestState::Positive => lang.pick("阳性", "positive"),
            TestState::Pending => lang.pick("待出结果", "pending"),
            TestState::Missing => lang.pick("未采样", "not sampled"),
        }
    }
}

/// One test day of the checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestDayCheck {
    /// The episode's day (1 is the start day).
    pub day: u16,
    /// Its date (China's).
    pub date: Date,
    /// What the person's samples of that date say.
    pub state: TestState,
}

/// The check-ins item: filled by the check-ins feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckinsCheck {
    /// Windows closed so far.
    pub due: u32,
    /// Of them, checked in.
    pub done: u32,
    /// Of them, missed and explained by a worker.
    pub explained: u32,
}

impl CheckinsCheck {
    /// Every closed window checked in or explained.
    pub fn met(&self) -> bool {
        self.done + self.explained >= self.due
    }
}

/// What releasing an episode asks, computed once (`app::quarantine::lifecycle`), shown before
/// the release is confirmed and recorded with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checklist {
    /// The planned end is reached (else an early release, which needs a reason).
    pub end_reached: bool,
    /// Every test day's test (up to the last day).
    pub tests: Vec<TestDayCheck>,
    /// Whether the policy asks for negative tests.
    pub tests_required: bool,
    /// The check-ins item; `None` until check-ins are counted (shown as "—").
    pub checkins: Option<CheckinsCheck>,
}

impl Checklist {
    /// Every test day negative (or the policy does not ask).
    pub fn tests_met(&self) -> bool {
        !self.tests_required || self.tests.iter().all(|t| t.state == TestState::Negative)
    }

    /// Some test positive.
    pub fn any_positive(&self) -> bool {
        self.tests.iter().any(|t| t.state == TestState::Positive)
    }

    /// The codes of the unmet items (`end`, `tests`, `checkins`), empty when all are met.
    pub fn unmet(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if !self.end_reached {
            out.push("end");
        }
        if !self.tests_met() {
            out.push("tests");
        }
        if self.checkins.is_some_and(|c| !c.met()) {
            out.push("checkins");
        }
        out
    }

    /// Whether a release needs a reason (an early release or an unmet item).
    pub fn needs_reason(&self) -> bool {
        !self.unmet().is_empty()
    }

    /// Refuses a release without a reason when one is needed.
    pub fn release_with(&self, reason: &str) -> Result<(), Conflict> {
        if self.needs_reason() && reason.trim().is_empty() {
            Err(Conflict::ReleaseUnmet)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use time::macros::date;

    #[test]
    fn only_an_active_episode_moves() {
        let a = EpisodeStatus::Active;
        assert_eq!(a.transfer(), Ok(EpisodeStatus::Transferred));
        assert_eq!(a.release(), Ok(EpisodeStatus::Released));
        assert_eq!(a.change_days(), Ok(EpisodeStatus::Active));
        for s in [EpisodeStatus::Transferred, EpisodeStatus::Released] {
            assert_eq!(s.transfer(), Err(Conflict::EpisodeNotActive));
            assert_eq!(s.release(), Err(Conflict::EpisodeNotActive));
            assert_eq!(s.change_days(), Err(Conflict::EpisodeNotActive));
        }
        for s in EpisodeStatus::ALL {
            assert_eq!(EpisodeStatus::from_stored(s.code()), Some(s));
        }
        for k in ChangeKind::ALL {
            assert_eq!(ChangeKind::from_stored(k.code()), Some(k));
        }
        assert_eq!(Destination::parse("医院"), Some(Destination::Hospital));
        assert_eq!(Destination::parse("central"), Some(Destination::Central));
    }

    #[test]
    fn a_new_last_day_is_checked() {
        let (start, old, today) = (
            date!(2026 - 12 - 01),
            date!(2026 - 12 - 07),
            date!(2026 - 12 - 04),
        );
        assert_eq!(
            new_last_day(start, old, date!(2026 - 12 - 10), today),
            Ok(ChangeKind::Extend)
        );
        assert_eq!(
            new_last_day(start, old, date!(2026 - 12 - 04), today),
            Ok(ChangeKind::Shorten)
        );
        assert_eq!(
            new_last_day(start, old, date!(2026 - 12 - 03), today),
            Err(Conflict::EpisodeShortenPast)
        );
        assert_eq!(
            new_last_day(start, old, date!(2026 - 11 - 30), today),
            Err(Conflict::EpisodeBeforeStart)
        );
        assert_eq!(
            new_last_day(start, old, old, today),
            Err(Conflict::EpisodeUnchanged)
        );
        // Midnight after the last day, China's time, across a year end.
        assert_eq!(
            planned_end(date!(2026 - 12 - 31)).to_offset(time::UtcOffset::UTC),
            time::macros::datetime!(2026-12-31 16:00 UTC)
        );
    }

    #[test]
    fn the_checklist_says_what_is_unmet() {
        use TubeResult::*;
        assert_eq!(TestState::of(&[]), TestState::Missing);
        assert_eq!(TestState::of(&[None]), TestState::Pending);
        assert_eq!(TestState::of(&[Some(Invalid)]), TestState::Pending);
        assert_eq!(TestState::of(&[None, Some(Negative)]), TestState::Negative);
        assert_eq!(
            TestState::of(&[Some(Negative), Some(Positive)]),
            TestState::Positive
        );
        let day = |day, state| TestDayCheck {
            day,
            date: date!(2026 - 12 - 01),
            state,
        };
        let mut c = Checklist {
            end_reached: true,
            tests: vec![day(1, TestState::Negative), day(4, TestState::Negative)],
            tests_required: true,
            checkins: None,
        };
        assert!(c.unmet().is_empty() && c.release_with("").is_ok());
        c.tests[1].state = TestState::Positive;
        assert!(c.any_positive());
        assert_eq!(c.unmet(), ["tests"]);
        assert_eq!(c.release_with(" "), Err(Conflict::ReleaseUnmet));
        assert!(c.release_with("医生评估").is_ok());
        c.end_reached = false;
        c.checkins = Some(CheckinsCheck {
            due: 4,
            done: 2,
            explained: 1,
        });
        assert_eq!(c.unmet(), ["end", "tests", "checkins"]);
        c.tests_required = false;
        c.checkins = Some(CheckinsCheck {
            due: 4,
            done: 3,
            explained: 1,
        });
        assert_eq!(c.unmet(), ["end"]);
    }
}
