//! The daily report (日报): figures computed per community for one China day, never typed,
//! rolled up per street and district, and signed off by the community.
//!
//! The figures are a registry ([`FIGURES`]): each has its key, its two labels, the section it
//! is shown in and the link to the list behind it. How a figure is counted lives beside it in
//! the store (`store/sql/daily.rs`, one query per key); a new feature (investigation lists,
//! checkpoints) adds its figures by one entry here and one there.

use std::collections::BTreeMap;

use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

use crate::Problem;
use crate::lang::Lang;
use crate::quarantine::CHINA;

/// Where a figure is shown on the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    /// 人口
    Population,
    /// 管控措施
    Measures,
    /// 报备
    Reports,
    /// 健康打卡
    Checkins,
    /// 核酸检测
    Testing,
    /// 后勤供给
    Supplies,
    /// 任务
    Tasks,
    /// 流调协查
    Lists,
    /// 卡口值守
    Checkpoints,
}

impl Section {
    /// Every section, in the report's order.
    pub const ALL: [Section; 9] = [
        Section::Population,
        Section::Measures,
        Section::Reports,
        Section::Checkins,
        Section::Testing,
        Section::Supplies,
        Section::Tasks,
        Section::Lists,
        Section::Checkpoints,
    ];

    /// Its heading.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Section::Population => lang.pick("人口", "Population"),
            Section::Measures => lang.pick("管控措施", "Measures"),
            Section::Reports => lang.pick("报备", "Self-reports"),
            Section::Checkins => lang.pick("健康打卡", "Check-ins"),
            Section::Testing => lang.pick("核酸检测", "Testing"),
            Section::Supplies => lang.pick("后勤供给", "Supplies"),
            Section::Tasks => lang.pick("任务", "Tasks"),
            Section::Lists => lang.pick("流调协查", "Investigation lists"),
            Section::Checkpoints => lang.pick("卡口值守", "Checkpoints"),
        }
    }
}

/// One figure of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figure {
    /// Its stable key (API, XLSX, the signed record).
    pub key: &'static str,
    /// Chinese label.
    pub zh: &'static str,
    /// English label.
    pub en: &'static str,
    /// Where it is shown.
    pub section: Section,
    /// The list behind it: `{path}` is the community's path, `{area_id}` its id, `{day}` the
    /// report's day (`YYYY-MM-DD`); the web layer fills them in, URL-encoded.
    pub link: &'static str,
}

impl Figure {
    /// Its label in `lang`.
    pub fn label(&self, lang: Lang) -> &'static str {
        lang.pick(self.zh, self.en)
    }
}

/// Every figure, in the report's order.
pub const FIGURES: &[Figure] = &[
    Figure {
        key: "persons",
        zh: "人数",
        en: "Persons",
        section: Section::Population,
        link: "/areas/{area_id}",
    },
    Figure {
        key: "households",
        zh: "户数",
        en: "Households",
        section: Section::Population,
        link: "/areas/{area_id}",
    },
    Figure {
        key: "home_quarantine.new",
        zh: "居家隔离 新增",
        en: "Home quarantine, new",
        section: Section::Measures,
        link: "/episodes?area={path}&measure=home_quarantine&day={day}&on=new",
    },
    Figure {
        key: "home_quarantine.ongoing",
        zh: "居家隔离 在管",
        en: "Home quarantine, ongoing",
        section: Section::Measures,
        link: "/episodes?area={path}&measure=home_quarantine&day={day}&on=ongoing",
    },
    Figure {
        key: "home_quarantine.released",
        zh: "居家隔离 解除",
        en: "Home quarantine, released",
        section: Section::Measures,
        link: "/episodes?area={path}&measure=home_quarantine&day={day}&on=released",
    },
    Figure {
        key: "home_health_monitoring.new",
        zh: "居家健康监测 新增",
        en: "Home health monitoring, new",
        section: Section::Measures,
        link: "/episodes?area={path}&measure=home_health_monitoring&day={day}&on=new",
    },
    Figure {
        key: "home_health_monitoring.ongoing",
        zh: "居家健康监测 在管",
        en: "Home health monitoring, ongoing",
        section: Section::Measures,
        link: "/episodes?area={path}&measure=home_health_monitoring&day={day}&on=ongoing",
    },
    Figure {
        key: "home_health_monitoring.released",
        zh: "居家健康监测 解除",
        en: "Home health monitoring, released",
        section: Section::Measures,
        link: "/episodes?area={path}&measure=home_health_monitoring&day={day}&on=released",
    },
    Figure {
        key: "central_quarantine.new",
        zh: "集中隔离 新增",
        en: "Central quarantine, new",
        section: Section::Measures,
        link: "/episodes?area={path}&measure=central_quarantine&day={day}&on=new",
    },
    Figure {
        key: "central_quarantine.ongoing",
        zh: "集中隔离 在管",
        en: "Central quarantine, ongoing",
        section: Section::Measures,
        link: "/episodes?area={path}&measure=central_quarantine&day={day}&on=ongoing",
    },
    Figure {
        key: "central_quarantine.released",
        zh: "集中隔离 解除",
        en: "Central quarantine, released",
        section: Section::Measures,
        link: "/episodes?area={path}&measure=central_quarantine&day={day}&on=released",
    },
    Figure {
        key: "reports.new",
        zh: "新增报备",
        en: "New self-reports",
        section: Section::Reports,
        link: "/reports?area={path}&status=all&day={day}",
    },
    Figure {
        key: "checkins.done",
        zh: "已打卡（人次）",
        en: "Check-ins done",
        section: Section::Checkins,
        link: "/quarantine",
    },
    Figure {
        key: "checkins.missed",
        zh: "漏打卡（户次）",
        en: "Check-ins missed (households)",
        section: Section::Checkins,
        link: "/tasks?area={area_id}&status=all&kind=checkin_followup",
    },
    Figure {
        key: "checkins.abnormal",
        zh: "打卡异常（人次）",
        en: "Abnormal check-ins",
        section: Section::Checkins,
        link: "/tasks?area={area_id}&status=all&kind=checkin_followup",
    },
    Figure {
        key: "testing.sampled",
        zh: "本轮已采样",
        en: "Sampled, current round",
        section: Section::Testing,
        link: "/rounds",
    },
    Figure {
        key: "testing.positive",
        zh: "阳性",
        en: "Positive",
        section: Section::Testing,
        link: "/tasks?area={area_id}&status=all&kind=home_sampling",
    },
    Figure {
        key: "supplies.requested",
        zh: "物资需求",
        en: "Supplies requested",
        section: Section::Supplies,
        link: "/supplies?area={path}&status=all&day={day}",
    },
    Figure {
        key: "supplies.delivered",
        zh: "物资已送达",
        en: "Supplies delivered",
        section: Section::Supplies,
        link: "/supplies?area={path}&status=all&day={day}&on=delivered",
    },
    Figure {
        key: "tasks.done",
        zh: "任务完成",
        en: "Tasks done",
        section: Section::Tasks,
        link: "/tasks?area={area_id}&status=all&day={day}&on=done",
    },
    Figure {
        key: "tasks.overdue",
        zh: "任务逾期",
        en: "Tasks overdue",
        section: Section::Tasks,
        link: "/tasks?area={area_id}&status=all&day={day}&on=overdue",
    },
    Figure {
        key: "lists.rows",
        zh: "协查名单新收人员",
        en: "Persons on lists received",
        section: Section::Lists,
        link: "/lists",
    },
    Figure {
        key: "lists.calls_done",
        zh: "协查电话完成",
        en: "List calls done",
        section: Section::Lists,
        link: "/lists",
    },
    Figure {
        key: "checkpoints.entered",
        zh: "卡口进入",
        en: "Checkpoint: in",
        section: Section::Checkpoints,
        link: "/checkpoints/counts?area={path}&date={day}",
    },
    Figure {
        key: "checkpoints.left",
        zh: "卡口外出",
        en: "Checkpoint: out",
        section: Section::Checkpoints,
        link: "/checkpoints/counts?area={path}&date={day}",
    },
    Figure {
        key: "checkpoints.refused",
        zh: "卡口劝返",
        en: "Checkpoint: turned back",
        section: Section::Checkpoints,
        link: "/checkpoints/counts?area={path}&date={day}",
    },
];

/// The figure with `key`.
pub fn figure(key: &str) -> Option<&'static Figure> {
    FIGURES.iter().find(|f| f.key == key)
}

/// One area's figures for a day: key → value (a figure not counted reads 0).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Figures(pub BTreeMap<String, i64>);

impl Figures {
    /// The value of `key` (0 when absent).
    pub fn get(&self, key: &str) -> i64 {
        self.0.get(key).copied().unwrap_or(0)
    }

    /// Adds `n` to `key`.
    pub fn add(&mut self, key: &str, n: i64) {
        *self.0.entry(key.to_string()).or_insert(0) += n;
    }

    /// Adds every figure of `other`.
    pub fn add_all(&mut self, other: &Figures) {
        for (k, v) in &other.0 {
            self.add(k, *v);
        }
    }

    /// The keys of the registry whose value differs between `self` (as signed) and `now`.
    pub fn changed_since(&self, now: &Figures) -> Vec<&'static str> {
        FIGURES
            .iter()
            .filter(|f| self.get(f.key) != now.get(f.key))
            .map(|f| f.key)
            .collect()
    }

    /// Testing coverage of the current round in tenths of a percent (sampled / persons).
    pub fn coverage_permille(&self) -> Option<i64> {
        let persons = self.get("persons");
        (persons > 0).then(|| self.get("testing.sampled") * 1000 / persons)
    }
}

/// A day as people type it, `YYYY-MM-DD`; blank is [`Problem::Required`].
pub fn parse_day(raw: &str) -> Result<Date, Problem> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Problem::Required);
    }
    let f = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(raw, f).map_err(|_| Problem::DateValue)
}

/// A day as [`parse_day`] reads it, blank being `today`.
pub fn day_or(raw: &str, today: Date) -> Result<Date, Problem> {
    if raw.trim().is_empty() {
        return Ok(today);
    }
    parse_day(raw)
}

/// A China day's bounds in UTC: `[midnight, next midnight)`.
pub fn day_bounds(day: Date) -> (OffsetDateTime, OffsetDateTime) {
    let from = PrimitiveDateTime::new(day, Time::MIDNIGHT).assume_offset(CHINA);
    let to = from + time::Duration::days(1);
    (
        from.to_offset(time::UtcOffset::UTC),
        to.to_offset(time::UtcOffset::UTC),
    )
}

/// The most days one range of days may span (a leap year).
pub const MAX_RANGE_DAYS: u16 = 366;

/// The days from `from` to `to` (both `YYYY-MM-DD`, both included), oldest first, as a form
/// or a query gives them: `to` blank is `today`, `from` blank is the `default_days` ending
/// with `to`. A day that does not read, a `to` before `from` or a range over
/// [`MAX_RANGE_DAYS`] is a problem at its field (`from` or `to`).
pub fn day_range(
    from: &str,
    to: &str,
    today: Date,
    default_days: u16,
) -> Result<Vec<Date>, Vec<crate::problem::FieldProblem>> {
    use crate::problem::FieldProblem;
    let last = day_or(to, today).map_err(|p| FieldProblem::new("to", p));
    let first = match (from.trim(), &last) {
        ("", Ok(last)) => Ok(days_ending(*last, default_days)[0]),
        ("", Err(_)) => Ok(today),
        (raw, _) => parse_day(raw).map_err(|p| FieldProblem::new("from", p)),
    };
    let (first, last) = match (first, last) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => return Err([a.err(), b.err()].into_iter().flatten().collect()),
    };
    let span = (last - first).whole_days() + 1;
    if span < 1 {
        return Err(vec![FieldProblem::new("to", Problem::DayOrder)]);
    }
    if span > i64::from(MAX_RANGE_DAYS) {
        return Err(vec![FieldProblem::new(
            "to",
            Problem::TooManyDays {
                max: usize::from(MAX_RANGE_DAYS),
            },
        )]);
    }
    Ok(days_ending(last, span as u16))
}

/// The `n` days ending with `last`, oldest first.
pub fn days_ending(last: Date, n: u16) -> Vec<Date> {
    let mut out: Vec<Date> = Vec::with_capacity(usize::from(n));
    let mut d = last;
    for _ in 0..n {
        out.push(d);
        match d.previous_day() {
            Some(p) => d = p,
            None => break,
        }
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn keys_are_unique_and_links_name_known_places() {
        let mut keys: Vec<&str> = FIGURES.iter().map(|f| f.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), FIGURES.len());
        for f in FIGURES {
            assert!(f.link.starts_with('/'), "{}", f.key);
            assert!(!f.zh.is_empty() && !f.en.is_empty());
        }
    }

    #[test]
    fn a_china_day_starts_at_four_pm_utc_the_day_before() {
        let (a, b) = day_bounds(date!(2026 - 01 - 01));
        assert_eq!(a, datetime!(2025-12-31 16:00 UTC));
        assert_eq!(b, datetime!(2026-01-01 16:00 UTC));
    }

    #[test]
    fn a_range_of_days_defaults_to_the_days_ending_today_and_refuses_reversed_or_long_ones() {
        let today = date!(2026 - 03 - 02);
        let d = day_range("", "", today, 14).unwrap();
        assert_eq!((d.len(), d[0], d[13]), (14, date!(2026 - 02 - 17), today));
        let d = day_range("2026-02-27", "2026-03-01", today, 14).unwrap();
        assert_eq!(
            d,
            [
                date!(2026 - 02 - 27),
                date!(2026 - 02 - 28),
                date!(2026 - 03 - 01)
            ]
        );
        assert_eq!(
            day_range("2026-03-01", "2026-03-01", today, 14)
                .unwrap()
                .len(),
            1
        );
        let d = day_range("", "2026-01-10", today, 14).unwrap();
        assert_eq!((d.len(), d[13]), (14, date!(2026 - 01 - 10)));
        let d = day_range("2025-03-02", "", today, 14).unwrap();
        assert_eq!(d.len(), 366);
        let at = |e: Vec<crate::problem::FieldProblem>| {
            e.into_iter()
                .map(|p| (p.path, p.problem))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            at(day_range("2026-03-02", "2026-03-01", today, 14).unwrap_err()),
            [("to".to_string(), Problem::DayOrder)]
        );
        assert_eq!(
            at(day_range("2025-02-28", "2026-03-01", today, 14).unwrap_err()),
            [("to".to_string(), Problem::TooManyDays { max: 366 })]
        );
        assert_eq!(
            at(day_range("3月1日", "2026-13-01", today, 14).unwrap_err()),
            [
                ("from".to_string(), Problem::DateValue),
                ("to".to_string(), Problem::DateValue)
            ]
        );
    }

    #[test]
    fn fourteen_days_end_with_the_day() {
        let d = days_ending(date!(2026 - 03 - 02), 14);
        assert_eq!(d.len(), 14);
        assert_eq!(d[0], date!(2026 - 02 - 17));
        assert_eq!(d[13], date!(2026 - 03 - 02));
    }

    #[test]
    fn a_changed_figure_is_named_and_a_missing_one_reads_zero() {
        let mut signed = Figures::default();
        signed.add("persons", 5);
        let mut now = signed.clone();
        assert!(signed.changed_since(&now).is_empty());
        now.add("reports.new", 1);
        assert_eq!(signed.changed_since(&now), vec!["reports.new"]);
        assert_eq!(now.coverage_permille(), Some(0));
    }
}
