//! Home quarantine and health monitoring (居家隔离医学观察、居家健康监测、集中隔离): the measures,
//! their rules as versioned policies, and the schedule an episode follows — its planned end,
//! its check-in windows and its test days — computed in China's time (UTC+8, no daylight
//! saving), day 1 being the start day.
//!
//! A policy is data: staff choose a version when they start an episode, and editing a policy
//! makes a new version (the store keeps every version; an episode keeps the one it started
//! with). The shipped defaults are the 9th edition of the national plan (第九版) and the
//! November 2022 variant (二十条: a close contact's 7 + 3 became 5 + 3).

use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// China's time, where every day, window and test day of an episode is counted.
pub const CHINA: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// A measure a person can be under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measure {
    /// 居家隔离医学观察: at home, not leaving, monitored twice a day, tested at the door.
    HomeQuarantine,
    /// 居家健康监测: at home, monitored, fewer restrictions.
    HomeHealthMonitoring,
    /// 集中隔离: at a central site, tracked here but monitored there.
    CentralQuarantine,
}

impl Measure {
    /// Every measure, in the order lists show them.
    pub const ALL: [Measure; 3] = [
        Measure::HomeQuarantine,
        Measure::HomeHealthMonitoring,
        Measure::CentralQuarantine,
    ];

    /// The stored and API code.
    pub fn code(self) -> &'static str {
        match self {
            Measure::HomeQuarantine => "home_quarantine",
            Measure::HomeHealthMonitoring => "home_health_monitoring",
            Measure::CentralQuarantine => "central_quarantine",
        }
    }

    /// A measure from its code or its Chinese name (as a sheet or a form gives it).
    pub fn parse(raw: &str) -> Option<Measure> {
        let raw = raw.trim();
        Measure::ALL
            .into_iter()
            .find(|m| m.code() == raw || m.name_zh() == raw || m.short_zh() == raw)
    }

    /// Its Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Measure::HomeQuarantine => "居家隔离医学观察",
            Measure::HomeHealthMonitoring => "居家健康监测",
            Measure::CentralQuarantine => "集中隔离医学观察",
        }
    }

    /// The short Chinese name workers use.
    pub fn short_zh(self) -> &'static str {
        match self {
            Measure::HomeQuarantine => "居家隔离",
            Measure::HomeHealthMonitoring => "健康监测",
            Measure::CentralQuarantine => "集中隔离",
        }
    }

    /// Its English name.
    pub fn name_en(self) -> &'static str {
        match self {
            Measure::HomeQuarantine => "home quarantine",
            Measure::HomeHealthMonitoring => "home health monitoring",
            Measure::CentralQuarantine => "central quarantine",
        }
    }

    /// Whether the person is at home (check-ins, door tests, supplies) rather than at a
    /// central site.
    pub fn at_home(self) -> bool {
        !matches!(self, Measure::CentralQuarantine)
    }
}

/// A time of day, China's time, during which a check-in is due (start inclusive, end
/// exclusive; an end at or before the start runs past midnight into the next day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// When it opens.
    pub start: Time,
    /// When it closes.
    pub end: Time,
}

/// What releasing a person requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReleaseRule {
    /// Every check-in done, or each missed one explained by a worker.
    pub checkins: bool,
    /// Every test day's test negative.
    pub negative_tests: bool,
}

/// A policy's rules for one measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// The measure.
    pub measure: Measure,
    /// How many days it lasts (day 1 is the start day).
    pub days: u16,
    /// The check-in windows of each day, in order (none for a central site).
    pub windows: Vec<Window>,
    /// The days with a test (1-based; within `days`).
    pub test_days: Vec<u16>,
    /// Whether the household's other members are placed under it too.
    pub co_residents: bool,
    /// What release requires.
    pub release: ReleaseRule,
}

/// Why a policy's rules cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    /// No day at all, or more than a year.
    #[error("a measure lasts 1 to 366 days")]
    Days,
    /// A test day outside the measure's days, or twice.
    #[error("test day {0} is not a day of the measure, or is given twice")]
    TestDay(u16),
    /// More than six windows a day, windows out of order or overlapping, or an empty one.
    #[error("check-in windows must be one to six a day, in order, not overlapping")]
    Windows,
}

impl Rules {
    /// The rules if they make sense: 1–366 days, test days within them and distinct, check-in
    /// windows (at most six) in order and apart; a window may run past midnight only as the
    /// day's last.
    pub fn checked(self) -> Result<Rules, RulesError> {
        if self.days == 0 || self.days > 366 {
            return Err(RulesError::Days);
        }
        let mut seen = Vec::new();
        for &d in &self.test_days {
            if d == 0 || d > self.days || seen.contains(&d) {
                return Err(RulesError::TestDay(d));
            }
            seen.push(d);
        }
        if self.windows.len() > 6 || self.windows.iter().any(|w| w.start == w.end) {
            return Err(RulesError::Windows);
        }
        for (i, pair) in self.windows.windows(2).enumerate() {
            let (a, b) = (pair[0], pair[1]);
            let a_wraps = a.end <= a.start;
            if a_wraps || b.start < a.end {
                return Err(RulesError::Windows);
            }
            // Only the last may wrap, and not into the first of the next day.
            if i + 2 == self.windows.len() && b.end <= b.start && b.end > self.windows[0].start {
                return Err(RulesError::Windows);
            }
        }
        Ok(self)
    }

    /// The schedule of an episode under these rules from `start` to `last_day` (an episode
    /// extended or shortened keeps its windows every day; test days after the new last day
    /// fall away).
    pub fn schedule_until(&self, start: Date, last_day: Date) -> Schedule {
        let days = (last_day - start).whole_days() + 1;
        let days = u16::try_from(days.clamp(1, 366)).unwrap_or(1);
        let mut r = self.clone();
        r.days = days;
        r.test_days.retain(|&d| d <= days);
        r.schedule(start)
    }

    /// The check-in windows of one day (China's date): (number, opens, closes).
    pub fn windows_on(&self, date: Date) -> Vec<(u8, OffsetDateTime, OffsetDateTime)> {
        self.windows
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let next = if w.end <= w.start {
                    add_days(date, 1)
                } else {
                    date
                };
                (i as u8 + 1, at(date, w.start), at(next, w.end))
            })
            .collect()
    }

    /// The schedule of an episode under these rules starting on `start` (China's date).
    pub fn schedule(&self, start: Date) -> Schedule {
        let last = add_days(start, i64::from(self.days) - 1);
        let ends_at = at(add_days(last, 1), Time::MIDNIGHT);
        let mut windows = Vec::with_capacity(usize::from(self.days) * self.windows.len());
        for day in 1..=self.days {
            let date = add_days(start, i64::from(day) - 1);
            for (n, w) in self.windows.iter().enumerate() {
                let opens = at(date, w.start);
                let next = if w.end <= w.start {
                    add_days(date, 1)
                } else {
                    date
                };
                windows.push(DueWindow {
                    day,
                    n: n as u8 + 1,
                    opens,
                    closes: at(next, w.end),
                });
            }
        }
        Schedule {
            start,
            last_day: last,
            ends_at,
            windows,
            test_days: self
                .test_days
                .iter()
                .map(|&d| (d, add_days(start, i64::from(d) - 1)))
                .collect(),
        }
    }
}

/// One check-in due: which day and which of the day's windows, when it opens and closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueWindow {
    /// The episode's day (1 is the start day).
    pub day: u16,
    /// Which window of the day (1-based).
    pub n: u8,
    /// When it opens.
    pub opens: OffsetDateTime,
    /// When it closes: a check-in after it is late, and a window with none is missed.
    pub closes: OffsetDateTime,
}

/// An episode's schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The start day (day 1).
    pub start: Date,
    /// The last day.
    pub last_day: Date,
    /// The planned end: midnight after the last day, China's time.
    pub ends_at: OffsetDateTime,
    /// Every check-in due, in time order.
    pub windows: Vec<DueWindow>,
    /// The test days: (day number, date).
    pub test_days: Vec<(u16, Date)>,
}

impl Schedule {
    /// The window open at `now`, if any.
    pub fn window_at(&self, now: OffsetDateTime) -> Option<DueWindow> {
        self.windows
            .iter()
            .copied()
            .find(|w| w.opens <= now && now < w.closes)
    }

    /// The windows closed by `now` (each missed unless a check-in came in it).
    pub fn closed_by(&self, now: OffsetDateTime) -> impl Iterator<Item = DueWindow> + '_ {
        self.windows
            .iter()
            .copied()
            .filter(move |w| w.closes <= now)
    }

    /// The episode's day at `now` (1 on the start day), or `None` before it starts or after
    /// its planned end.
    pub fn day_at(&self, now: OffsetDateTime) -> Option<u16> {
        let today = now.to_offset(CHINA).date();
        let n = (today - self.start).whole_days() + 1;
        (today <= self.last_day && n >= 1).then(|| u16::try_from(n).ok())?
    }
}

/// A policy: a named, versioned set of rules, one per measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Its key, the same across versions (`ninth_edition`, `nov_2022`, or staff's own).
    pub key: String,
    /// Its name as staff see it.
    pub name: String,
    /// The rules of each measure it covers.
    pub rules: Vec<Rules>,
}

impl Policy {
    /// Its rules for `measure`, if it covers it.
    pub fn rules(&self, measure: Measure) -> Option<&Rules> {
        self.rules.iter().find(|r| r.measure == measure)
    }

    /// The policies shipped: the 9th edition of the national plan and the November 2022
    /// variant.
    pub fn defaults() -> Vec<Policy> {
        vec![Policy::ninth_edition(), Policy::nov_2022()]
    }

    /// 第九版 (June 2022): home quarantine 7 days with tests on days 1, 4 and 7 and the
    /// household included; home health monitoring 7 days, tests on days 1, 4, 7 (3 days,
    /// test on day 3, after a close contact's central quarantine: staff shorten the episode);
    /// central quarantine 7 days, tests on days 1, 2, 3, 5 and 7.
    pub fn ninth_edition() -> Policy {
        Policy {
            key: "ninth_edition".into(),
            name: "第九版防控方案 (9th edition)".into(),
            rules: vec![
                home(Measure::HomeQuarantine, 7, &[1, 4, 7], true),
                home(Measure::HomeHealthMonitoring, 7, &[1, 4, 7], false),
                central(7, &[1, 2, 3, 5, 7]),
            ],
        }
    }

    /// 二十条 (November 2022): a close contact's 7 days central + 3 at home became 5 + 3:
    /// central quarantine 5 days (tests on days 1, 2, 3 and 5), then home quarantine 3 days
    /// (test on day 3); home health monitoring 3 days (test on day 3); the household is
    /// no longer placed under it with the person.
    pub fn nov_2022() -> Policy {
        Policy {
            key: "nov_2022".into(),
            name: "二十条优化措施 (November 2022)".into(),
            rules: vec![
                home(Measure::HomeQuarantine, 3, &[3], false),
                home(Measure::HomeHealthMonitoring, 3, &[3], false),
                central(5, &[1, 2, 3, 5]),
            ],
        }
    }
}

/// The twice-daily windows the defaults use: morning 07:00–11:00 and afternoon 15:00–19:00
/// (the plan says twice a day; the hours are ours, editable in a new version).
fn twice_a_day() -> Vec<Window> {
    let t = |h| Time::from_hms(h, 0, 0).unwrap_or(Time::MIDNIGHT);
    vec![
        Window {
            start: t(7),
            end: t(11),
        },
        Window {
            start: t(15),
            end: t(19),
        },
    ]
}

fn home(measure: Measure, days: u16, tests: &[u16], co_residents: bool) -> Rules {
    Rules {
        measure,
        days,
        windows: twice_a_day(),
        test_days: tests.to_vec(),
        co_residents,
        release: ReleaseRule {
            checkins: true,
            negative_tests: true,
        },
    }
}

fn central(days: u16, tests: &[u16]) -> Rules {
    Rules {
        measure: Measure::CentralQuarantine,
        days,
        windows: Vec::new(),
        test_days: tests.to_vec(),
        co_residents: false,
        release: ReleaseRule {
            checkins: false,
            negative_tests: true,
        },
    }
}

fn add_days(d: Date, n: i64) -> Date {
    d.checked_add(Duration::days(n)).unwrap_or(d)
}

fn at(d: Date, t: Time) -> OffsetDateTime {
    PrimitiveDateTime::new(d, t).assume_offset(CHINA)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;
    use time::macros::{date, datetime};

    #[test]
    fn a_ninth_edition_home_quarantine_runs_seven_days_from_the_start_day() {
        let p = Policy::ninth_edition();
        let r = p
            .rules(Measure::HomeQuarantine)
            .unwrap()
            .clone()
            .checked()
            .unwrap();
        let s = r.schedule(date!(2022 - 12 - 28));
        assert_eq!(
            s.last_day,
            date!(2023 - 01 - 03),
            "across the month and year end"
        );
        assert_eq!(s.ends_at, datetime!(2023-01-04 00:00 +8));
        assert_eq!(s.windows.len(), 14);
        assert_eq!(s.windows[0].opens, datetime!(2022-12-28 07:00 +8));
        assert_eq!(s.windows[13].closes, datetime!(2023-01-03 19:00 +8));
        assert_eq!(
            s.test_days,
            [
                (1, date!(2022 - 12 - 28)),
                (4, date!(2022 - 12 - 31)),
                (7, date!(2023 - 01 - 03))
            ]
        );
        assert!(r.co_residents);
    }

    #[test]
    fn days_and_windows_are_china_time() {
        let r = Policy::ninth_edition()
            .rules(Measure::HomeQuarantine)
            .unwrap()
            .clone();
        let s = r.schedule(date!(2022 - 02 - 27));
        // 23:30 UTC on the 27th is 07:30 on the 28th in China: day 2's first window.
        let now = datetime!(2022-02-27 23:30 UTC);
        let w = s.window_at(now).unwrap();
        assert_eq!((w.day, w.n), (2, 1));
        assert_eq!(s.day_at(now), Some(2));
        assert_eq!(s.day_at(datetime!(2022-02-26 15:59 UTC)), None, "before");
        assert_eq!(
            s.day_at(datetime!(2022-03-05 16:00 UTC)),
            None,
            "after the end"
        );
        assert_eq!(s.day_at(datetime!(2022-03-05 15:59 UTC)), Some(7));
        // Between windows nothing is open; the closed ones are counted.
        let noon = datetime!(2022-02-28 12:00 +8);
        assert_eq!(s.window_at(noon), None);
        assert_eq!(s.closed_by(noon).count(), 3);
    }

    #[test]
    fn a_window_may_run_past_midnight() {
        let t = |h| Time::from_hms(h, 0, 0).unwrap();
        let r = Rules {
            measure: Measure::HomeHealthMonitoring,
            days: 2,
            windows: vec![
                Window {
                    start: t(8),
                    end: t(10),
                },
                Window {
                    start: t(22),
                    end: t(2),
                },
            ],
            test_days: vec![2],
            co_residents: false,
            release: ReleaseRule {
                checkins: true,
                negative_tests: true,
            },
        }
        .checked()
        .unwrap();
        let s = r.schedule(date!(2022 - 01 - 31));
        assert_eq!(s.windows[1].closes, datetime!(2022-02-01 02:00 +8));
        let w = s.window_at(datetime!(2022-02-01 01:00 +8)).unwrap();
        assert_eq!((w.day, w.n), (1, 2), "01:00 still answers day 1's evening");
    }

    #[test]
    fn rules_that_make_no_sense_are_refused() {
        let base = Policy::ninth_edition()
            .rules(Measure::HomeQuarantine)
            .unwrap()
            .clone();
        let with = |f: &dyn Fn(&mut Rules)| {
            let mut r = base.clone();
            f(&mut r);
            r.checked()
        };
        assert_eq!(with(&|r| r.days = 0), Err(RulesError::Days));
        assert_eq!(
            with(&|r| r.test_days = vec![8]),
            Err(RulesError::TestDay(8))
        );
        assert_eq!(
            with(&|r| r.test_days = vec![1, 1]),
            Err(RulesError::TestDay(1))
        );
        assert_eq!(
            with(&|r| r.windows.reverse()),
            Err(RulesError::Windows),
            "out of order"
        );
        assert!(with(&|_| {}).is_ok());
    }

    #[test]
    fn the_november_2022_variant_is_five_plus_three() {
        let p = Policy::nov_2022();
        assert_eq!(p.rules(Measure::CentralQuarantine).unwrap().days, 5);
        assert_eq!(p.rules(Measure::HomeQuarantine).unwrap().days, 3);
        assert!(!p.rules(Measure::HomeQuarantine).unwrap().co_residents);
        for p in Policy::defaults() {
            for r in &p.rules {
                assert!(r.clone().checked().is_ok(), "{} {:?}", p.key, r.measure);
            }
        }
    }

    #[test]
    fn measures_read_back_from_code_and_chinese() {
        for m in Measure::ALL {
            assert_eq!(Measure::parse(m.code()), Some(m));
            assert_eq!(Measure::parse(m.name_zh()), Some(m));
            assert_eq!(Measure::parse(m.short_zh()), Some(m));
        }
        assert_eq!(Measure::parse("quarantine"), None);
    }

    proptest! {
        /// Any start day in any year and any length: the episode has `days` days of windows,
        /// each window inside its own day or running past midnight, in time order; every test
        /// day's date is its day; the planned end is midnight after the last day.
        #[test]
        fn schedules_hold_for_any_start_and_length(
            offset in 0i64..36_500, days in 1u16..=30, tests in proptest::collection::btree_set(1u16..=30, 0..5)
        ) {
            let start = date!(2000 - 01 - 01) + Duration::days(offset);
            let r = Rules {
                test_days: tests.into_iter().filter(|&d| d <= days).collect(),
                days,
                ..Policy::ninth_edition().rules(Measure::HomeQuarantine).unwrap().clone()
            }.checked().unwrap();
            let s = r.schedule(start);
            prop_assert_eq!(s.windows.len(), usize::from(days) * 2);
            prop_assert_eq!((s.last_day - start).whole_days() + 1, i64::from(days));
            prop_assert_eq!(s.ends_at.to_offset(CHINA).date(), s.last_day + Duration::days(1));
            prop_assert_eq!(s.ends_at.to_offset(CHINA).time(), Time::MIDNIGHT);
            for pair in s.windows.windows(2) {
                prop_assert!(pair[0].closes <= pair[1].opens);
            }
            for w in &s.windows {
                prop_assert!(w.opens < w.closes);
                prop_assert_eq!(s.day_at(w.opens), Some(w.day));
                prop_assert!(w.closes <= s.ends_at);
            }
            for (d, date) in &s.test_days {
                prop_assert_eq!((*date - start).whole_days() + 1, i64::from(*d));
            }
        }
    }
}
