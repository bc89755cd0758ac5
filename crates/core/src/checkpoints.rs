//! Checkpoints at compound gates (卡口值守): who goes in and out, and who may not.
//!
//! A passage is one person or vehicle through a gate in one direction. A resident is found by
//! their ID number or personal code; a visitor is noted by name, a vehicle by its plate. What
//! the person's status says about passing is [`holds_of`]: an active home-quarantine episode
//! forbids leaving (refused unless someone allows an exception, named, with a reason); home
//! health monitoring, central quarantine and a fever only warn. [`Verdict::of`] turns the
//! holds and the exception into what the register records.

use serde::{Deserialize, Serialize};

use crate::checkin::Temperature;
use crate::quarantine::Measure;
use crate::text::{tidy, to_half_width};
use crate::{Lang, Problem};

/// The longest checkpoint name, reason, visitor name or exception text.
pub const TEXT_MAX: usize = 60;

/// Which way through the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// 进: into the compound.
    In,
    /// 出: out of the compound.
    Out,
}

impl Direction {
    /// Both, in a form's order.
    pub const ALL: [Direction; 2] = [Direction::In, Direction::Out];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }

    /// The name in a language.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Direction::In => lang.pick("进", "In"),
            Direction::Out => lang.pick("出", "Out"),
        }
    }

    /// The direction a code or a name gives.
    pub fn parse(raw: &str) -> Option<Direction> {
        match raw.trim() {
            "in" | "进" | "入" | "IN" | "In" => Some(Direction::In),
            "out" | "出" | "OUT" | "Out" => Some(Direction::Out),
            _ => None,
        }
    }
}

/// Who passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// A person on file (scanned or typed ID number, or personal code).
    Resident,
    /// A visitor, noted by name.
    Visitor,
    /// A vehicle, noted by plate.
    Vehicle,
}

impl SubjectKind {
    /// Every kind.
    pub const ALL: [SubjectKind; 3] = [
        SubjectKind::Resident,
        SubjectKind::Visitor,
        SubjectKind::Vehicle,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            SubjectKind::Resident => "resident",
            SubjectKind::Visitor => "visitor",
            SubjectKind::Vehicle => "vehicle",
        }
    }

    /// The name in a language.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            SubjectKind::Resident => lang.pick("居民", "Resident"),
            SubjectKind::Visitor => lang.pick("访客", "Visitor"),
            SubjectKind::Vehicle => lang.pick("车辆", "Vehicle"),
        }
    }

    /// The kind a code names.
    pub fn parse(raw: &str) -> Option<SubjectKind> {
        SubjectKind::ALL
            .into_iter()
            .find(|k| k.code() == raw.trim())
    }
}

/// A Chinese vehicle plate: a province's character, a letter, then 5 letters or digits (6
/// for a new-energy plate), or 4 and one of 挂, 学, 警, 港, 澳. Spaces, dots and
/// dashes are dropped and letters upper-cased (`豫A·12345` → `豫A12345`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Plate(String);

/// The provinces' one-character abbreviations (the plate's first character).
const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领";

impl Plate {
    /// Reads a plate.
    pub fn parse(raw: &str) -> Result<Plate, Problem> {
        let s: String = to_half_width(raw)
            .chars()
            .filter(|c| !matches!(c, ' ' | '·' | '.' | '-' | '•'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if s.is_empty() {
            return Err(Problem::Required);
        }
        let mut chars = s.chars();
        let province = chars.next().is_some_and(|c| PROVINCES.contains(c));
        let letter = chars.next().is_some_and(|c| c.is_ascii_uppercase());
        let rest: String = chars.collect();
        let body = rest.trim_end_matches(['挂', '学', '警', '港', '澳']);
        let suffixed = body.len() != rest.len();
        let body_ok = body.chars().all(|c| c.is_ascii_alphanumeric())
            && rest.chars().count() - body.chars().count() <= 1
            && if suffixed {
                body.len() == 4
            } else {
                body.len() == 5 || body.len() == 6
            };
        if province && letter && body_ok {
            Ok(Plate(s))
        } else {
            Err(Problem::Plate)
        }
    }

    /// Rebuilds a plate storage validated.
    pub fn from_stored(s: String) -> Plate {
        Plate(s)
    }

    /// The plate as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A short text of a register (a reason, a visitor's name, who allowed): tidied, at most
/// [`TEXT_MAX`] characters, never starting like a formula.
pub fn short_text(raw: &str, required: bool) -> Result<String, Problem> {
    let t = tidy(raw);
    if t.is_empty() && required {
        return Err(Problem::Required);
    }
    if t.chars().count() > TEXT_MAX {
        return Err(Problem::TooLong { max: TEXT_MAX });
    }
    if t.starts_with(['=', '+', '-', '@']) || t.chars().any(char::is_control) {
        return Err(Problem::NameChars);
    }
    Ok(t)
}

/// Something about a person that a gate must heed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hold {
    /// In an active home-quarantine episode (居家隔离医学观察): may not leave.
    HomeQuarantine,
    /// Living in a sealed area (封控): may not leave.
    Sealed,
    /// In home health monitoring (居家健康监测): should not leave; warned.
    HealthMonitoring,
    /// In an active central-quarantine episode: should be at the central site; warned.
    CentralQuarantine,
    /// A temperature of 37.3 °C or more at the gate; warned.
    Fever,
}

impl Hold {
    /// Every hold.
    pub const ALL: [Hold; 5] = [
        Hold::HomeQuarantine,
        Hold::Sealed,
        Hold::HealthMonitoring,
        Hold::CentralQuarantine,
        Hold::Fever,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Hold::HomeQuarantine => "home_quarantine",
            Hold::Sealed => "sealed",
            Hold::HealthMonitoring => "health_monitoring",
            Hold::CentralQuarantine => "central_quarantine",
            Hold::Fever => "fever",
        }
    }

    /// The hold a code names.
    pub fn parse(raw: &str) -> Option<Hold> {
        Hold::ALL.into_iter().find(|h| h.code() == raw.trim())
    }

    /// What the guard reads.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Hold::HomeQuarantine => lang.pick(
                "居家隔离医学观察中，不得外出",
                "In home quarantine: may not go out",
            ),
            Hold::Sealed => lang.pick(
                "所在楼栋封控中，不得外出",
                "The building is sealed: may not go out",
            ),
            Hold::HealthMonitoring => lang.pick(
                "居家健康监测中，非必要不外出",
                "In home health monitoring: should not go out",
            ),
            Hold::CentralQuarantine => lang.pick(
                "应在集中隔离点，请联系社区",
                "Should be in central quarantine: call the community",
            ),
            Hold::Fever => lang.pick("体温异常（≥37.3℃）", "Fever (37.3 °C or more)"),
        }
    }

    /// Whether this hold refuses passing `direction` (only leaving, in home quarantine or
    /// from a sealed area).
    pub fn refuses(self, direction: Direction) -> bool {
        matches!(self, Hold::HomeQuarantine | Hold::Sealed) && direction == Direction::Out
    }
}

/// The holds on a person passing `direction`: from the measures of their active, begun
/// episodes, whether they live in a sealed area, and the temperature taken at the gate. A
/// person in home quarantine (or of a sealed area) coming *in* is warned (they should not have
/// been out), not refused.
pub fn holds_of(measures: &[Measure], sealed: bool, temperature: Option<Temperature>) -> Vec<Hold> {
    let mut out: Vec<Hold> = measures
        .iter()
        .map(|m| match m {
            Measure::HomeQuarantine => Hold::HomeQuarantine,
            Measure::HomeHealthMonitoring => Hold::HealthMonitoring,
            Measure::CentralQuarantine => Hold::CentralQuarantine,
        })
        .collect();
    if sealed {
        out.push(Hold::Sealed);
    }
    if temperature.is_some_and(Temperature::fever) {
        out.push(Hold::Fever);
    }
    out.sort();
    out.dedup();
    out
}

/// What the register records for a passage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Passed, nothing to heed.
    Passed,
    /// Passed with a warning (a hold that does not refuse).
    Warned,
    /// Refused (劝返): not counted as a passage.
    Refused,
    /// Refused by the rules, let through as an exception someone allowed, with a reason.
    Allowed,
}

impl Verdict {
    /// Every verdict.
    pub const ALL: [Verdict; 4] = [
        Verdict::Passed,
        Verdict::Warned,
        Verdict::Refused,
        Verdict::Allowed,
    ];

    /// The verdict for `holds` passing `direction`; `exception`: someone allowed it.
    pub fn of(holds: &[Hold], direction: Direction, exception: bool) -> Verdict {
        if holds.iter().any(|h| h.refuses(direction)) {
            if exception {
                Verdict::Allowed
            } else {
                Verdict::Refused
            }
        } else if holds.is_empty() {
            Verdict::Passed
        } else {
            Verdict::Warned
        }
    }

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Warned => "warned",
            Verdict::Refused => "refused",
            Verdict::Allowed => "allowed",
        }
    }

    /// The verdict a code names.
    pub fn parse(raw: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.code() == raw.trim())
    }

    /// The name in a language.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Verdict::Passed => lang.pick("通过", "Passed"),
            Verdict::Warned => lang.pick("通过（提醒）", "Passed (warning)"),
            Verdict::Refused => lang.pick("劝返", "Refused"),
            Verdict::Allowed => lang.pick("特批放行", "Allowed as an exception"),
        }
    }

    /// Whether the person or vehicle went through (counted in and out).
    pub fn passed(self) -> bool {
        self != Verdict::Refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plates() {
        assert_eq!(Plate::parse("豫A·12345").unwrap().as_str(), "豫A12345");
        assert_eq!(Plate::parse(" 豫a d12345 ").unwrap().as_str(), "豫AD12345");
        assert_eq!(Plate::parse("京B1234挂").unwrap().as_str(), "京B1234挂");
        assert!(Plate::parse("京B12345挂").is_err());
        assert_eq!(Plate::parse(""), Err(Problem::Required));
        assert_eq!(Plate::parse("AB12345"), Err(Problem::Plate));
        assert_eq!(Plate::parse("豫12345"), Err(Problem::Plate));
        assert_eq!(Plate::parse("豫A1234"), Err(Problem::Plate));
        assert_eq!(Plate::parse("豫A1234567"), Err(Problem::Plate));
    }

    #[test]
    fn directions_read_as_codes_and_names() {
        for d in Direction::ALL {
            assert_eq!(Direction::parse(d.code()), Some(d));
            assert_eq!(Direction::parse(d.label(Lang::Zh)), Some(d));
        }
        assert_eq!(Direction::parse("up"), None);
    }

    #[test]
    fn home_quarantine_refuses_leaving_only() {
        let hq = holds_of(&[Measure::HomeQuarantine], false, None);
        assert_eq!(hq, [Hold::HomeQuarantine]);
        assert_eq!(Verdict::of(&hq, Direction::Out, false), Verdict::Refused);
        assert_eq!(Verdict::of(&hq, Direction::Out, true), Verdict::Allowed);
        assert_eq!(Verdict::of(&hq, Direction::In, false), Verdict::Warned);
        let hm = holds_of(&[Measure::HomeHealthMonitoring], false, None);
        assert_eq!(Verdict::of(&hm, Direction::Out, false), Verdict::Warned);
        assert_eq!(Verdict::of(&[], Direction::Out, false), Verdict::Passed);
        // An exception for nothing refused is a plain pass.
        assert_eq!(Verdict::of(&[], Direction::Out, true), Verdict::Passed);
    }

    #[test]
    fn a_sealed_area_refuses_leaving_only() {
        let sealed = holds_of(&[], true, None);
        assert_eq!(sealed, [Hold::Sealed]);
        assert_eq!(
            Verdict::of(&sealed, Direction::Out, false),
            Verdict::Refused
        );
        assert_eq!(Verdict::of(&sealed, Direction::In, false), Verdict::Warned);
        let both = holds_of(&[Measure::HomeQuarantine], true, None);
        assert_eq!(both, [Hold::HomeQuarantine, Hold::Sealed]);
    }

    #[test]
    fn a_fever_warns() {
        let t = Temperature::parse("37.3").ok();
        assert_eq!(holds_of(&[], false, t), [Hold::Fever]);
        assert!(holds_of(&[], false, Temperature::parse("37.2").ok()).is_empty());
        let both = holds_of(
            &[Measure::HomeQuarantine, Measure::HomeQuarantine],
            false,
            t,
        );
        assert_eq!(both, [Hold::HomeQuarantine, Hold::Fever]);
    }

    #[test]
    fn short_texts() {
        assert_eq!(short_text("  访  友 ", true).unwrap(), "访 友");
        assert_eq!(short_text(" ", true), Err(Problem::Required));
        assert_eq!(short_text("", false).unwrap(), "");
        assert_eq!(short_text("=cmd", false), Err(Problem::NameChars));
        assert!(short_text(&"字".repeat(TEXT_MAX + 1), false).is_err());
    }
}
