//! Daily check-ins of persons in an episode (日常监测): the body temperature, the symptoms, an
//! antigen self-test, and which of the day's windows a check-in fills.
//!
//! A check-in is abnormal at 37.3 °C or more, with any symptom, or with a positive antigen
//! test; an abnormal check-in becomes a follow-up task for the owner of the building.

use time::{Date, OffsetDateTime};

use crate::Problem;
use crate::quarantine::{CHINA, Schedule};
use crate::text::{tidy, to_half_width};

/// A body temperature in tenths of a degree Celsius, 35.0–42.0 °C (what a thermometer at home
/// can read; anything else is a typo).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Temperature(u16);

impl Temperature {
    /// The lowest accepted, in tenths.
    pub const MIN: u16 = 350;
    /// The highest accepted, in tenths.
    pub const MAX: u16 = 420;
    /// From here on, abnormal (37.3 °C).
    pub const FEVER: u16 = 373;

    /// A temperature as typed: `36.5`, `36,5`, `３６．５`, `36.5℃`; one decimal at most.
    pub fn parse(raw: &str) -> Result<Temperature, Problem> {
        let t = tidy(&to_half_width(raw)).replace(',', ".");
        let t = t.trim_end_matches(['℃', 'C', 'c', '°', ' ']).trim();
        if t.is_empty() {
            return Err(Problem::Required);
        }
        let (whole, tenth) = match t.split_once('.') {
            Some((w, f)) if f.len() == 1 => (w, f),
            Some((w, "")) => (w, "0"),
            Some(_) => return Err(Problem::CheckinTemperature),
            None => (t, "0"),
        };
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || !digits(tenth) {
            return Err(Problem::CheckinTemperature);
        }
        let v = whole.parse::<u16>().unwrap_or(0) * 10 + tenth.parse::<u16>().unwrap_or(0);
        Temperature::from_tenths(v).ok_or(Problem::CheckinTemperature)
    }

    /// From tenths of a degree, if in range.
    pub fn from_tenths(v: u16) -> Option<Temperature> {
        (Temperature::MIN..=Temperature::MAX)
            .contains(&v)
            .then_some(Temperature(v))
    }

    /// In tenths of a degree.
    pub fn tenths(self) -> u16 {
        self.0
    }

    /// Whether it is a fever (37.3 °C or more).
    pub fn fever(self) -> bool {
        self.0 >= Temperature::FEVER
    }
}

impl std::fmt::Display for Temperature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

/// A symptom a check-in may report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Symptom {
    /// 发热
    Fever,
    /// 咳嗽
    Cough,
    /// 咽痛
    SoreThroat,
    /// 嗅（味）觉减退
    TasteSmell,
    /// 乏力
    Fatigue,
    /// 腹泻
    Diarrhoea,
    /// 其他
    Other,
}

impl Symptom {
    /// Every symptom, in the form's order.
    pub const ALL: [Symptom; 7] = [
        Symptom::Fever,
        Symptom::Cough,
        Symptom::SoreThroat,
        Symptom::TasteSmell,
        Symptom::Fatigue,
        Symptom::Diarrhoea,
        Symptom::Other,
    ];

    /// The stored and API code.
    pub fn code(self) -> &'static str {
        match self {
            Symptom::Fever => "fever",
            Symptom::Cough => "cough",
            Symptom::SoreThroat => "sore_throat",
            Symptom::TasteSmell => "taste_smell",
            Symptom::Fatigue => "fatigue",
            Symptom::Diarrhoea => "diarrhoea",
            Symptom::Other => "other",
        }
    }

    /// Its names: (中文, English).
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Symptom::Fever => ("发热", "fever"),
            Symptom::Cough => ("咳嗽", "cough"),
            Symptom::SoreThroat => ("咽痛", "sore throat"),
            Symptom::TasteSmell => ("嗅觉或味觉减退", "loss of taste or smell"),
            Symptom::Fatigue => ("乏力", "fatigue"),
            Symptom::Diarrhoea => ("腹泻", "diarrhoea"),
            Symptom::Other => ("其他不适", "other"),
        }
    }

    /// A symptom from its code or Chinese name.
    pub fn parse(raw: &str) -> Option<Symptom> {
        let raw = raw.trim();
        Symptom::ALL
            .into_iter()
            .find(|s| s.code() == raw || s.names().0 == raw)
    }

    /// Symptoms as stored (codes joined by `,`), skipping what is not one.
    pub fn read_list(stored: &str) -> Vec<Symptom> {
        stored.split(',').filter_map(Symptom::parse).collect()
    }

    /// Symptoms as stored: their codes in the form's order, joined by `,`.
    pub fn write_list(list: &[Symptom]) -> String {
        let mut l = list.to_vec();
        l.sort();
        l.dedup();
        l.iter().map(|s| s.code()).collect::<Vec<_>>().join(",")
    }
}

/// An antigen self-test's result, if one was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Antigen {
    /// Not done.
    NotDone,
    /// 阴性
    Negative,
    /// 阳性
    Positive,
    /// 无效
    Invalid,
}

impl Antigen {
    /// Every answer, in the form's order.
    pub const ALL: [Antigen; 4] = [
        Antigen::NotDone,
        Antigen::Negative,
        Antigen::Positive,
        Antigen::Invalid,
    ];

    /// The stored and API code (`''` when not done).
    pub fn code(self) -> &'static str {
        match self {
            Antigen::NotDone => "",
            Antigen::Negative => "negative",
            Antigen::Positive => "positive",
            Antigen::Invalid => "invalid",
        }
    }

    /// Its names: (中文, English).
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Antigen::NotDone => ("未做", "not done"),
            Antigen::Negative => ("阴性", "negative"),
            Antigen::Positive => ("阳性", "positive"),
            Antigen::Invalid => ("无效", "invalid"),
        }
    }

    /// An answer from its code or Chinese name (`''`, `none`, 未做: not done).
    pub fn parse(raw: &str) -> Option<Antigen> {
        match raw.trim() {
            "" | "none" | "not_done" => Some(Antigen::NotDone),
            r => Antigen::ALL
                .into_iter()
                .find(|a| a.code() == r || a.names().0 == r),
        }
    }
}

/// How a check-in came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The household itself, through its link.
    SelfReport,
    /// A worker, by phone.
    Phone,
    /// A worker, at the door.
    Door,
}

impl Method {
    /// The stored and API code.
    pub fn code(self) -> &'static str {
        match self {
            Method::SelfReport => "self",
            Method::Phone => "phone",
            Method::Door => "door",
        }
    }

    /// From its code.
    pub fn parse(raw: &str) -> Option<Method> {
        [Method::SelfReport, Method::Phone, Method::Door]
            .into_iter()
            .find(|m| m.code() == raw.trim())
    }

    /// Its names: (中文, English).
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Method::SelfReport => ("本人填报", "by the household"),
            Method::Phone => ("工作人员电话代填", "by a worker, by phone"),
            Method::Door => ("工作人员上门代填", "by a worker, at the door"),
        }
    }
}

/// Whether a check-in with these answers is abnormal.
pub fn abnormal(t: Temperature, symptoms: &[Symptom], antigen: Antigen) -> bool {
    t.fever() || !symptoms.is_empty() || antigen == Antigen::Positive
}

/// How a check-in stands against the window it fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// In the window.
    OnTime,
    /// Before the window (the day's first window, before it opens; or the next window,
    /// between two).
    Early,
    /// After the window closed, filling it since nothing else did.
    Late,
    /// Every window of the day is filled or past: recorded, fills nothing.
    Extra,
}

impl Timing {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Timing::OnTime => "on_time",
            Timing::Early => "early",
            Timing::Late => "late",
            Timing::Extra => "extra",
        }
    }
}

/// Which window a check-in at `at` fills: (the episode's day, the China date, the window's
/// number — 0 for none —, timing), or `None` when `at` is outside the episode's days.
///
/// The window open at `at`, if any; else, before the day's first window, that window (early);
/// else the day's last window that closed without a check-in (late, as a worker may record
/// one after a missed window); else the day's next window (early); else none (extra).
/// `filled(date, n)` says whether a window already has a check-in.
pub fn fills(
    schedule: &Schedule,
    at: OffsetDateTime,
    filled: impl Fn(Date, u8) -> bool,
) -> Option<(u16, Date, u8, Timing)> {
    let day = schedule.day_at(at)?;
    let date = at.to_offset(CHINA).date();
    if let Some(w) = schedule.window_at(at) {
        // A window past midnight belongs to the day it opened.
        let on = w.opens.to_offset(CHINA).date();
        return Some((w.day, on, w.n, Timing::OnTime));
    }
    let today: Vec<_> = schedule
        .windows
        .iter()
        .filter(|w| w.day == day)
        .copied()
        .collect();
    let Some(first) = today.first() else {
        return Some((day, date, 0, Timing::Extra));
    };
    if at < first.opens {
        return Some((day, date, first.n, Timing::Early));
    }
    if let Some(w) = today
        .iter()
        .rev()
        .find(|w| w.closes <= at && !filled(date, w.n))
    {
        return Some((day, date, w.n, Timing::Late));
    }
    if let Some(w) = today.iter().find(|w| w.opens > at && !filled(date, w.n)) {
        return Some((day, date, w.n, Timing::Early));
    }
    Some((day, date, 0, Timing::Extra))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quarantine::{Measure, Policy};
    use time::macros::{date, datetime};

    #[test]
    fn temperatures_as_people_type_them() {
        for (raw, tenths) in [
            ("36.5", 365),
            ("36,5", 365),
            ("３６．５", 365),
            ("37.3℃", 373),
            ("37", 370),
            ("37.", 370),
            ("35.0", 350),
            ("42.0", 420),
        ] {
            assert_eq!(
                Temperature::parse(raw).map(|t| t.tenths()),
                Ok(tenths),
                "{raw}"
            );
        }
        for raw in ["34.9", "42.1", "365", "36.55", "abc", "-36", "3 6"] {
            assert_eq!(
                Temperature::parse(raw),
                Err(Problem::CheckinTemperature),
                "{raw}"
            );
        }
        assert_eq!(Temperature::parse(" "), Err(Problem::Required));
        assert!(Temperature::parse("37.3").is_ok_and(Temperature::fever));
        assert!(!Temperature::parse("37.2").is_ok_and(Temperature::fever));
        assert_eq!(Temperature(365).to_string(), "36.5");
    }

    #[test]
    fn abnormal_is_fever_or_a_symptom_or_a_positive_antigen() {
        let ok = Temperature(365);
        assert!(!abnormal(ok, &[], Antigen::Negative));
        assert!(abnormal(Temperature(373), &[], Antigen::NotDone));
        assert!(abnormal(ok, &[Symptom::Cough], Antigen::NotDone));
        assert!(abnormal(ok, &[], Antigen::Positive));
    }

    #[test]
    fn symptoms_round_trip_in_the_forms_order() {
        let s = Symptom::write_list(&[Symptom::Other, Symptom::Cough, Symptom::Cough]);
        assert_eq!(s, "cough,other");
        assert_eq!(Symptom::read_list(&s), vec![Symptom::Cough, Symptom::Other]);
        assert_eq!(Symptom::parse("咳嗽"), Some(Symptom::Cough));
        assert_eq!(Antigen::parse("阳性"), Some(Antigen::Positive));
        assert_eq!(Antigen::parse(""), Some(Antigen::NotDone));
        assert_eq!(Antigen::parse("maybe"), None);
    }

    #[test]
    fn a_check_in_fills_the_window_it_falls_in_or_the_nearest_one_that_needs_it() {
        // Windows 07–11 and 15–19, China's time; day 1 is 1 March.
        let rules = Policy::ninth_edition()
            .rules(Measure::HomeQuarantine)
            .cloned()
            .unwrap_or_else(|| panic!("rules"));
        let s = rules.schedule(date!(2026 - 03 - 01));
        let none = |_: Date, _: u8| false;
        let d1 = date!(2026 - 03 - 01);
        // 08:00 China = 00:00 UTC.
        assert_eq!(
            fills(&s, datetime!(2026-03-01 00:00 UTC), none),
            Some((1, d1, 1, Timing::OnTime))
        );
        // 06:30 China: the morning window, early.
        assert_eq!(
            fills(&s, datetime!(2026-02-28 22:30 UTC), none),
            Some((1, d1, 1, Timing::Early))
        );
        // 12:00 China: the morning, late, when it has nothing; else the afternoon, early.
        let noon = datetime!(2026-03-01 04:00 UTC);
        assert_eq!(fills(&s, noon, none), Some((1, d1, 1, Timing::Late)));
        assert_eq!(
            fills(&s, noon, |_, n| n == 1),
            Some((1, d1, 2, Timing::Early))
        );
        // 21:00 China with both filled: extra.
        assert_eq!(
            fills(&s, datetime!(2026-03-01 13:00 UTC), |_, _| true),
            Some((1, d1, 0, Timing::Extra))
        );
        // Before day 1 or after the last day: not in the episode.
        assert_eq!(fills(&s, datetime!(2026-02-28 15:00 UTC), none), None);
        assert_eq!(fills(&s, datetime!(2026-03-07 16:00 UTC), none), None);
        // Day 7, 16:00 China: the afternoon window of the last day.
        assert_eq!(
            fills(&s, datetime!(2026-03-07 08:00 UTC), none),
            Some((7, date!(2026 - 03 - 07), 2, Timing::OnTime))
        );
    }
}
