//! Policies as data: a policy version's key (`ninth_edition`), how a form names a version
//! (`ninth_edition` for the current one, `ninth_edition@2` for that one), and the JSON form of
//! its rules, parsed into checked [`Rules`] with one problem per field.
//!
//! The JSON form of a version (what the API takes and gives, what the CLI reads from a file,
//! what the store keeps as text):
//!
//! ```json
//! {"name": "第九版防控方案 (9th edition)",
//!  "rules": {"home_quarantine": {"days": 7, "windows": ["07:00-11:00", "15:00-19:00"],
//!                                "test_days": [1, 4, 7], "co_residents": true,
//!                                "release": {"checkins": true, "negative_tests": true}}}}
//! ```
//!
//! `rules` is keyed by measure code; a measure left out is not covered by the version (an
//! episode of it cannot be started under it).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use time::Time;

use crate::problem::{FieldProblem, Problem};
use crate::quarantine::{Measure, Policy, ReleaseRule, Rules, RulesError, Window};

/// The most characters of a policy's name.
pub const NAME_MAX: usize = 100;

/// A policy's key, the same across its versions: 2–40 lowercase letters, digits or `_`,
/// starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PolicyKey(String);

impl PolicyKey {
    /// The key if it is one.
    pub fn parse(raw: &str) -> Result<PolicyKey, Problem> {
        let raw = raw.trim();
        let ok = (2..=40).contains(&raw.len())
            && raw.starts_with(|c: char| c.is_ascii_lowercase())
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(PolicyKey(raw.to_string()))
        } else {
            Err(Problem::PolicyKey)
        }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PolicyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A version as a form or the command line names it: `key` (its current version) or `key@N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRef {
    /// The policy.
    pub key: PolicyKey,
    /// The version; the current one when `None`.
    pub version: Option<u32>,
}

impl PolicyRef {
    /// The reference if it is one (a version is a whole number from 1).
    pub fn parse(raw: &str) -> Result<PolicyRef, Problem> {
        let raw = raw.trim();
        let (key, version) = match raw.split_once('@') {
            None => (raw, None),
            Some((k, v)) => {
                let v: u32 = v.trim().parse().map_err(|_| Problem::Choice)?;
                if v == 0 {
                    return Err(Problem::Choice);
                }
                (k, Some(v))
            }
        };
        let key = PolicyKey::parse(key).map_err(|_| Problem::Choice)?;
        Ok(PolicyRef { key, version })
    }
}

impl fmt::Display for PolicyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.version {
            Some(v) => write!(f, "{}@{v}", self.key),
            None => write!(f, "{}", self.key),
        }
    }
}

/// What releasing requires, as JSON.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseDoc {
    /// Every check-in done, or each missed one explained.
    #[serde(default)]
    pub checkins: bool,
    /// Every test day's test negative.
    #[serde(default)]
    pub negative_tests: bool,
}

/// One measure's rules as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesDoc {
    /// How many days (1–366; day 1 is the start day).
    pub days: u32,
    /// The check-in windows of each day, `HH:MM-HH:MM`, in order (none: no check-ins).
    #[serde(default)]
    pub windows: Vec<String>,
    /// The days with a test (1-based, within `days`, each once).
    #[serde(default)]
    pub test_days: Vec<u32>,
    /// Whether the household's other members are placed under it too.
    #[serde(default)]
    pub co_residents: bool,
    /// What release requires.
    #[serde(default)]
    pub release: ReleaseDoc,
}

/// A policy version's content as JSON: its name and its rules per measure code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDoc {
    /// Its name as staff see it.
    pub name: String,
    /// The rules of each measure it covers, by measure code.
    pub rules: BTreeMap<String, RulesDoc>,
}

/// A time of day as `HH:MM`.
pub fn hhmm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// A window as `HH:MM-HH:MM`.
pub fn window_text(w: &Window) -> String {
    format!("{}-{}", hhmm(w.start), hhmm(w.end))
}

fn parse_hhmm(raw: &str) -> Option<Time> {
    let (h, m) = raw.trim().split_once(':')?;
    let (h, m): (u8, u8) = (h.trim().parse().ok()?, m.trim().parse().ok()?);
    if h > 23 || m > 59 {
        return None;
    }
    Time::from_hms(h, m, 0).ok()
}

/// A window from `HH:MM-HH:MM` (a dash, an en dash or a tilde between).
pub fn parse_window(raw: &str) -> Option<Window> {
    let raw = raw.trim();
    let (a, b) = raw
        .split_once(['-', '–', '~', '～'])
        .filter(|(_, b)| !b.contains(['-', '–', '~', '～']))?;
    Some(Window {
        start: parse_hhmm(a)?,
        end: parse_hhmm(b)?,
    })
}

impl RulesDoc {
    /// The JSON form of `rules`.
    pub fn of(rules: &Rules) -> RulesDoc {
        RulesDoc {
            days: u32::from(rules.days),
            windows: rules.windows.iter().map(window_text).collect(),
            test_days: rules.test_days.iter().map(|&d| u32::from(d)).collect(),
            co_residents: rules.co_residents,
            release: ReleaseDoc {
                checkins: rules.release.checkins,
                negative_tests: rules.release.negative_tests,
            },
        }
    }

    /// The checked rules of `measure`, or every problem found, each at its field under
    /// `path` (`rules.home_quarantine.days`, `.windows`, `.test_days`, `.release`).
    pub fn parse(&self, measure: Measure, path: &str) -> Result<Rules, Vec<FieldProblem>> {
        let at = |field: &str| format!("{path}.{field}");
        let mut problems = Vec::new();
        let days = u16::try_from(self.days)
            .ok()
            .filter(|d| (1..=366).contains(d));
        if days.is_none() {
            problems.push(FieldProblem::new(at("days"), Problem::PolicyDays));
        }
        let windows: Option<Vec<Window>> = self.windows.iter().map(|w| parse_window(w)).collect();
        if windows.is_none() || self.windows.len() > 6 {
            problems.push(FieldProblem::new(at("windows"), Problem::PolicyWindows));
        }
        let mut tests = Vec::with_capacity(self.test_days.len());
        for &d in &self.test_days {
            match u16::try_from(d) {
                Ok(d) if d >= 1 && days.is_none_or(|n| d <= n) && !tests.contains(&d) => {
                    tests.push(d)
                }
                _ => {
                    problems.push(FieldProblem::new(at("test_days"), Problem::PolicyTestDays));
                    break;
                }
            }
        }
        if (self.release.negative_tests && self.test_days.is_empty())
            || (self.release.checkins && self.windows.is_empty())
        {
            problems.push(FieldProblem::new(at("release"), Problem::PolicyRelease));
        }
        let (Some(days), Some(windows), true) = (days, windows, problems.is_empty()) else {
            return Err(problems);
        };
        tests.sort_unstable();
        Rules {
            measure,
            days,
            windows,
            test_days: tests,
            co_residents: self.co_residents,
            release: ReleaseRule {
                checkins: self.release.checkins,
                negative_tests: self.release.negative_tests,
            },
        }
        .checked()
        .map_err(|e| {
            let (field, problem) = match e {
                RulesError::Days => ("days", Problem::PolicyDays),
                RulesError::TestDay(_) => ("test_days", Problem::PolicyTestDays),
                RulesError::Windows => ("windows", Problem::PolicyWindows),
            };
            vec![FieldProblem::new(at(field), problem)]
        })
    }

    /// The rules as a form types them: days and test days as numbers separated by commas or
    /// spaces, windows as `HH:MM-HH:MM` separated likewise; what cannot be read is a problem
    /// at its field under `path`, as [`RulesDoc::parse`] would report it.
    pub fn from_text(
        days: &str,
        windows: &str,
        test_days: &str,
        co_residents: bool,
        release: ReleaseDoc,
        path: &str,
    ) -> Result<RulesDoc, Vec<FieldProblem>> {
        let at = |field: &str| format!("{path}.{field}");
        let split = |s: &str| -> Vec<String> {
            s.split([',', '，', '、', ';', '；', ' ', '\n'])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        };
        let mut problems = Vec::new();
        let days = days.trim().parse::<u32>().unwrap_or_else(|_| {
            problems.push(FieldProblem::new(at("days"), Problem::PolicyDays));
            0
        });
        let tests: Option<Vec<u32>> = split(test_days).iter().map(|d| d.parse().ok()).collect();
        let tests = tests.unwrap_or_else(|| {
            problems.push(FieldProblem::new(at("test_days"), Problem::PolicyTestDays));
            Vec::new()
        });
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(RulesDoc {
            days,
            windows: split(windows),
            test_days: tests,
            co_residents,
            release,
        })
    }
}

impl PolicyDoc {
    /// The JSON form of `policy`.
    pub fn of(policy: &Policy) -> PolicyDoc {
        PolicyDoc {
            name: policy.name.clone(),
            rules: policy
                .rules
                .iter()
                .map(|r| (r.measure.code().to_string(), RulesDoc::of(r)))
                .collect(),
        }
    }

    /// The policy `key` these rules make, its rules in the order of [`Measure::ALL`], or every
    /// problem found: `name` (required, at most [`NAME_MAX`] characters), `rules` (at least one
    /// measure), `rules.<code>` (not a measure), and each measure's fields.
    pub fn parse(&self, key: &PolicyKey) -> Result<Policy, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let name = self.name.trim();
        if name.is_empty() {
            problems.push(FieldProblem::new("name", Problem::Required));
        } else if name.chars().count() > NAME_MAX {
            problems.push(FieldProblem::new(
                "name",
                Problem::TooLong { max: NAME_MAX },
            ));
        } else if name.chars().any(char::is_control) {
            problems.push(FieldProblem::new("name", Problem::NameChars));
        }
        if self.rules.is_empty() {
            problems.push(FieldProblem::new("rules", Problem::Required));
        }
        for code in self.rules.keys() {
            if Measure::ALL.iter().all(|m| m.code() != code) {
                problems.push(FieldProblem::new(format!("rules.{code}"), Problem::Choice));
            }
        }
        let mut rules = Vec::new();
        for m in Measure::ALL {
            if let Some(doc) = self.rules.get(m.code()) {
                match doc.parse(m, &format!("rules.{}", m.code())) {
                    Ok(r) => rules.push(r),
                    Err(p) => problems.extend(p),
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Policy {
            key: key.to_string(),
            name: name.to_string(),
            rules,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn paths(r: Result<Policy, Vec<FieldProblem>>) -> Vec<(String, &'static str)> {
        r.unwrap_err()
            .into_iter()
            .map(|p| (p.path, p.problem.code()))
            .collect()
    }

    #[test]
    fn the_defaults_read_back_from_their_json() {
        for p in Policy::defaults() {
            let doc = PolicyDoc::of(&p);
            let text = serde_json::to_string(&doc).unwrap();
            let back: PolicyDoc = serde_json::from_str(&text).unwrap();
            let key = PolicyKey::parse(&p.key).unwrap();
            assert_eq!(back.parse(&key).unwrap(), p);
        }
        let doc = PolicyDoc::of(&Policy::ninth_edition());
        assert_eq!(
            doc.rules["home_quarantine"].windows,
            ["07:00-11:00", "15:00-19:00"]
        );
    }

    #[test]
    fn each_mistake_is_reported_at_its_field() {
        let mut doc = PolicyDoc::of(&Policy::ninth_edition());
        doc.name = " ".into();
        let hq = doc.rules.get_mut("home_quarantine").unwrap();
        hq.days = 0;
        hq.windows = vec!["7:00-25:00".into()];
        let hm = doc.rules.get_mut("home_health_monitoring").unwrap();
        hm.test_days = vec![1, 1];
        let cq = doc.rules.get_mut("central_quarantine").unwrap();
        cq.test_days.clear();
        doc.rules
            .insert("lockdown".into(), doc.rules["home_quarantine"].clone());
        let key = PolicyKey::parse("ninth_edition").unwrap();
        assert_eq!(
            paths(doc.parse(&key)),
            [
                ("name".to_string(), "required"),
                ("rules.lockdown".to_string(), "choice_invalid"),
                (
                    "rules.home_quarantine.days".to_string(),
                    "policy_days_invalid"
                ),
                (
                    "rules.home_quarantine.windows".to_string(),
                    "policy_windows_invalid"
                ),
                (
                    "rules.home_health_monitoring.test_days".to_string(),
                    "policy_test_days_invalid"
                ),
                (
                    "rules.central_quarantine.release".to_string(),
                    "policy_release_invalid"
                ),
            ]
        );
    }

    #[test]
    fn windows_must_be_in_order_and_test_days_within_the_days() {
        let key = PolicyKey::parse("local_2022").unwrap();
        let mut doc = PolicyDoc::of(&Policy::nov_2022());
        doc.rules.get_mut("home_quarantine").unwrap().windows =
            vec!["15:00-19:00".into(), "07:00-11:00".into()];
        doc.rules
            .get_mut("home_health_monitoring")
            .unwrap()
            .test_days = vec![4];
        doc.rules.get_mut("central_quarantine").unwrap().days = 400;
        assert_eq!(
            paths(doc.parse(&key)),
            [
                (
                    "rules.home_quarantine.windows".to_string(),
                    "policy_windows_invalid"
                ),
                (
                    "rules.home_health_monitoring.test_days".to_string(),
                    "policy_test_days_invalid"
                ),
                (
                    "rules.central_quarantine.days".to_string(),
                    "policy_days_invalid"
                ),
            ]
        );
        assert!(
            PolicyDoc {
                name: "x".into(),
                rules: BTreeMap::new()
            }
            .parse(&key)
            .is_err()
        );
    }

    #[test]
    fn a_form_types_its_numbers_and_windows_as_text() {
        let doc = RulesDoc::from_text(
            "10",
            "07:00-11:00，15:00–19:00",
            "1、4 7",
            true,
            ReleaseDoc {
                checkins: true,
                negative_tests: true,
            },
            "rules.home_quarantine",
        )
        .unwrap();
        assert_eq!(doc.test_days, [1, 4, 7]);
        let r = doc.parse(Measure::HomeQuarantine, "x").unwrap();
        assert_eq!(r.days, 10);
        assert_eq!(r.windows.len(), 2);
        let bad =
            RulesDoc::from_text("ten", "", "a", false, ReleaseDoc::default(), "p").unwrap_err();
        let got: Vec<_> = bad.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(got, ["p.days", "p.test_days"]);
    }

    #[test]
    fn keys_and_references() {
        assert!(PolicyKey::parse("ninth_edition").is_ok());
        for bad in ["", "a", "Ninth", "9th", "a-b", "a@1", "政策"] {
            assert_eq!(PolicyKey::parse(bad), Err(Problem::PolicyKey), "{bad}");
        }
        let r = PolicyRef::parse("ninth_edition@2").unwrap();
        assert_eq!((r.key.as_str(), r.version), ("ninth_edition", Some(2)));
        assert_eq!(r.to_string(), "ninth_edition@2");
        assert_eq!(PolicyRef::parse("nov_2022").unwrap().version, None);
        for bad in [
            "ninth_edition@0",
            "ninth_edition@",
            "x@1",
            "ninth_edition@a",
        ] {
            assert!(PolicyRef::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        /// Any window of whole minutes reads back from its text.
        #[test]
        fn windows_read_back(a in 0u8..24, b in 0u8..60, c in 0u8..24, d in 0u8..60) {
            let w = Window {
                start: Time::from_hms(a, b, 0).unwrap(),
                end: Time::from_hms(c, d, 0).unwrap(),
            };
            prop_assert_eq!(parse_window(&window_text(&w)), Some(w));
        }

        /// Parsing text never panics, and what it accepts is a real time.
        #[test]
        fn window_parsing_never_panics(s in "\\PC{0,16}") {
            let _ = parse_window(&s);
        }
    }
}
