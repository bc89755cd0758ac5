//! Peacetime ↔ emergency (平急转换) and the retention of what an emergency collected.
//!
//! A community is in **emergency mode** from the day it switches in until the day it switches
//! back; meanwhile its task forces (专班) hold named staff. Personal data collected during an
//! emergency is kept for a period after it ends ([`DEFAULT_RETENTION_DAYS`] unless the
//! community chose another when switching back), then anonymised or deleted per kind
//! ([`RetentionKind::treatment`]). The registry (persons, households) is never touched.

use time::{Date, Duration, OffsetDateTime};

use crate::daily::day_bounds;

/// Days personal data of an ended emergency is kept, unless the community chose another period.
pub const DEFAULT_RETENTION_DAYS: u16 = 30;

/// The longest retention period a community may choose (ten years).
pub const MAX_RETENTION_DAYS: u16 = 3650;

/// The four task forces of an emergency (the source's 专班).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaskForce {
    /// 信息核查: checking lists and reports, the registry's figures.
    InfoCheck,
    /// 防控值守: gates, rounds, quarantine.
    Duty,
    /// 消毒消杀: disinfection.
    Disinfection,
    /// 服务保障: supplies and services to households.
    Service,
}

impl TaskForce {
    /// Every task force, in the order pages show them.
    pub const ALL: [TaskForce; 4] = [
        TaskForce::InfoCheck,
        TaskForce::Duty,
        TaskForce::Disinfection,
        TaskForce::Service,
    ];

    /// The stable code (API, database, CLI).
    pub fn code(self) -> &'static str {
        match self {
            TaskForce::InfoCheck => "info_check",
            TaskForce::Duty => "duty",
            TaskForce::Disinfection => "disinfection",
            TaskForce::Service => "service",
        }
    }

    /// A code as stored or typed; `None` for an unknown one.
    pub fn from_stored(code: &str) -> Option<TaskForce> {
        TaskForce::ALL.into_iter().find(|f| f.code() == code.trim())
    }

    /// The name in a language.
    pub fn label(self, lang: crate::Lang) -> &'static str {
        let (zh, en) = match self {
            TaskForce::InfoCheck => ("信息核查", "Information check"),
            TaskForce::Duty => ("防控值守", "Prevention duty"),
            TaskForce::Disinfection => ("消毒消杀", "Disinfection"),
            TaskForce::Service => ("服务保障", "Service support"),
        };
        lang.pick(zh, en)
    }
}

/// What retention does to a kind of row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Treatment {
    /// Names, ID numbers, phones and free text dropped; area, day and the facts the counts
    /// need kept.
    Anonymise,
    /// The row removed.
    Delete,
}

/// A kind of personal data an emergency collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RetentionKind {
    /// Residents' self-reports (报备).
    SelfReports,
    /// Check-ins of persons in home quarantine or monitoring.
    Checkins,
    /// Investigation lists' rows and their call outcomes (流调).
    CallOutcomes,
    /// Checkpoint register entries (卡口).
    CheckpointPassages,
    /// Test scans binding a person to a tube, and positive flags.
    TestResults,
}

impl RetentionKind {
    /// Every kind, in the order pages and reports show them.
    pub const ALL: [RetentionKind; 5] = [
        RetentionKind::SelfReports,
        RetentionKind::Checkins,
        RetentionKind::CallOutcomes,
        RetentionKind::CheckpointPassages,
        RetentionKind::TestResults,
    ];

    /// The stable code (JSON, audit entries).
    pub fn code(self) -> &'static str {
        match self {
            RetentionKind::SelfReports => "self_reports",
            RetentionKind::Checkins => "checkins",
            RetentionKind::CallOutcomes => "call_outcomes",
            RetentionKind::CheckpointPassages => "checkpoint_passages",
            RetentionKind::TestResults => "test_results",
        }
    }

    /// What happens to it once its period is over. Anonymised where the daily report or the
    /// counts per gate and hour count the rows (reports per day, check-ins done and abnormal,
    /// a list's progress, passages per hour); deleted where what counts is kept elsewhere
    /// (a round's coverage is kept in `round_counts`, a tube's result on the tube).
    pub fn treatment(self) -> Treatment {
        match self {
            RetentionKind::TestResults => Treatment::Delete,
            _ => Treatment::Anonymise,
        }
    }

    /// The name in a language.
    pub fn label(self, lang: crate::Lang) -> &'static str {
        let (zh, en) = match self {
            RetentionKind::SelfReports => ("居民报备", "Self-reports"),
            RetentionKind::Checkins => ("健康打卡", "Check-ins"),
            RetentionKind::CallOutcomes => {
                ("流调名单及电话结果", "Investigation list rows and calls")
            }
            RetentionKind::CheckpointPassages => ("卡口登记", "Checkpoint register"),
            RetentionKind::TestResults => ("核酸采样记录", "Test scans"),
        };
        lang.pick(zh, en)
    }
}

/// A retention period in days (1 to [`MAX_RETENTION_DAYS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionDays(u16);

impl RetentionDays {
    /// The period from what a person typed (blank: the default).
    pub fn parse(raw: &str) -> Result<RetentionDays, crate::Problem> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(RetentionDays::default());
        }
        match raw.parse::<u16>() {
            Ok(n) if (1..=MAX_RETENTION_DAYS).contains(&n) => Ok(RetentionDays(n)),
            _ => Err(crate::Problem::RetentionDays),
        }
    }

    /// A stored period (a value outside the range reads as the default).
    pub fn from_stored(n: i64) -> RetentionDays {
        u16::try_from(n)
            .ok()
            .filter(|n| (1..=MAX_RETENTION_DAYS).contains(n))
            .map_or_else(RetentionDays::default, RetentionDays)
    }

    /// The days.
    pub fn days(self) -> u16 {
        self.0
    }
}

impl Default for RetentionDays {
    fn default() -> Self {
        RetentionDays(DEFAULT_RETENTION_DAYS)
    }
}

/// The first day an ended emergency's data may go: the period counted from the day after the
/// end (ended on 1 March with 30 days: kept through 31 March, gone from 1 April).
pub fn purge_from(ended_on: Date, days: RetentionDays) -> Date {
    ended_on.saturating_add(Duration::days(i64::from(days.days()) + 1))
}

/// The span of time an emergency covers: from its first day's start to its last day's end
/// (China's days), `None` at the end while it runs.
pub fn window(
    started_on: Date,
    ended_on: Option<Date>,
) -> (OffsetDateTime, Option<OffsetDateTime>) {
    (day_bounds(started_on).0, ended_on.map(|d| day_bounds(d).1))
}

/// The day count shown on the banner: the first day is day 1.
pub fn day_number(started_on: Date, today: Date) -> i64 {
    (today - started_on).whole_days() + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn codes_round_trip() {
        for f in TaskForce::ALL {
            assert_eq!(TaskForce::from_stored(f.code()), Some(f));
        }
        assert_eq!(TaskForce::from_stored("police"), None);
    }

    #[test]
    fn the_period_starts_the_day_after_the_end() {
        let d = RetentionDays::default();
        assert_eq!(d.days(), 30);
        assert_eq!(purge_from(date!(2026 - 03 - 01), d), date!(2026 - 04 - 01));
        let one = RetentionDays::parse("1").unwrap();
        assert_eq!(
            purge_from(date!(2026 - 03 - 01), one),
            date!(2026 - 03 - 03)
        );
    }

    #[test]
    fn days_are_checked() {
        assert_eq!(RetentionDays::parse(" ").unwrap().days(), 30);
        assert_eq!(RetentionDays::parse("90").unwrap().days(), 90);
        for bad in ["0", "-1", "3651", "x", "1.5"] {
            assert_eq!(
                RetentionDays::parse(bad),
                Err(crate::Problem::RetentionDays),
                "{bad}"
            );
        }
        assert_eq!(RetentionDays::from_stored(0).days(), 30);
    }

    #[test]
    fn the_window_is_china_days() {
        let (a, b) = window(date!(2026 - 03 - 01), Some(date!(2026 - 03 - 02)));
        assert_eq!(a, datetime!(2026-02-28 16:00 UTC));
        assert_eq!(b, Some(datetime!(2026-03-02 16:00 UTC)));
        assert_eq!(window(date!(2026 - 03 - 01), None).1, None);
        assert_eq!(day_number(date!(2026 - 03 - 01), date!(2026 - 03 - 01)), 1);
        assert_eq!(day_number(date!(2026 - 03 - 01), date!(2026 - 03 - 10)), 10);
    }
}
