//! Sampling materials (物资): what a sampling point receives before dawn — tube codes and box
//! codes as pre-printed batches (a range `T0001-T0500`, or a list of codes), swabs as a count —
//! and the day's reconciliation, issued = used + returned + spoiled, with "running low" when
//! what is left falls under a share of what was issued.
//!
//! A batch of codes is a [`CodeSet`]: a range keeps its prefix, its two ends and the width of
//! its number (both ends are written with the same number of digits, as printers print them),
//! so a range of 100,000 codes is four values and `contains` is arithmetic, never a list.

use crate::lang::Lang;
use crate::problem::{FieldProblem, Problem};
use crate::testing::TubeCode;

/// The most codes one batch holds (a range or a list).
pub const MAX_CODES: u64 = 100_000;
/// The most codes a pasted list holds (a range covers more).
pub const MAX_LIST: usize = 5_000;
/// The most swabs (or of any count) one entry records.
pub const MAX_QUANTITY: i64 = 1_000_000;

/// What a point receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MaterialKind {
    /// 试管 (each with its pre-printed tube code).
    Tube,
    /// 转运箱 (each with its box code).
    Box,
    /// 采样拭子, counted.
    Swab,
}

impl MaterialKind {
    /// Every kind, in the order pages list them.
    pub const ALL: [MaterialKind; 3] = [MaterialKind::Tube, MaterialKind::Box, MaterialKind::Swab];

    /// The stable code (API, CLI, database).
    pub fn code(self) -> &'static str {
        match self {
            MaterialKind::Tube => "tube",
            MaterialKind::Box => "box",
            MaterialKind::Swab => "swab",
        }
    }

    /// Reads a kind from its code or its Chinese name.
    pub fn parse(raw: &str) -> Option<MaterialKind> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "tube" | "tubes" | "试管" | "试管码" => Some(MaterialKind::Tube),
            "box" | "boxes" | "转运箱" | "转运箱码" | "箱码" => Some(MaterialKind::Box),
            "swab" | "swabs" | "拭子" | "采样拭子" => Some(MaterialKind::Swab),
            _ => None,
        }
    }

    /// Whether items of this kind carry codes (tubes, boxes) or are only counted (swabs).
    pub fn coded(self) -> bool {
        self != MaterialKind::Swab
    }

    /// The kind's name in a language.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            MaterialKind::Tube => lang.pick("试管码", "Tube codes"),
            MaterialKind::Box => lang.pick("转运箱码", "Box codes"),
            MaterialKind::Swab => lang.pick("拭子", "Swabs"),
        }
    }

    /// When what is left counts as low: under `percent` of what was issued, or under
    /// `at_least` items, whichever is more (a pool of 10 uses a tube per 10 persons; a
    /// compound's point seals a box every hour or so).
    pub fn low_rule(self) -> LowRule {
        match self {
            MaterialKind::Tube => LowRule {
                percent: 10,
                at_least: 20,
            },
            MaterialKind::Box => LowRule {
                percent: 10,
                at_least: 2,
            },
            MaterialKind::Swab => LowRule {
                percent: 10,
                at_least: 50,
            },
        }
    }
}

/// The threshold under which a point's remaining stock is "running low".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LowRule {
    /// A share of what was issued, in percent.
    pub percent: i64,
    /// An absolute floor.
    pub at_least: i64,
}

impl LowRule {
    /// The remaining count under which stock is low, for `issued` items.
    pub fn threshold(self, issued: i64) -> i64 {
        let share = (issued.max(0) * self.percent + 99) / 100;
        share.max(self.at_least)
    }
}

/// A batch of pre-printed codes: a range or a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeSet {
    /// `prefix` followed by every number `from..=to`, written with `width` digits.
    Range {
        /// What comes before the number (may be empty).
        prefix: String,
        /// The first number.
        from: u64,
        /// The last number.
        to: u64,
        /// Digits the number is written with (zero-padded).
        width: usize,
    },
    /// Codes as listed (sorted, each once).
    List(Vec<TubeCode>),
}

/// A code split into what comes before its trailing digits and those digits.
fn split_number(code: &str) -> Option<(&str, &str)> {
    let digits = code.bytes().rev().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 18 {
        return None;
    }
    let at = code.len() - digits;
    Some((&code[..at], &code[at..]))
}

/// The separators a range may be written with, besides a single `-`.
const RANGE_SEPARATORS: [&str; 6] = ["..", "~", "～", "至", "—", "–"];

impl CodeSet {
    /// Reads a range: two codes with the same prefix and the same number of digits,
    /// separated by `-`, `~`, `..` or `至` (`T2026000001-T2026000500`). The first may not be
    /// after the last, and a range holds at most [`MAX_CODES`].
    pub fn parse_range(raw: &str) -> Result<CodeSet, Problem> {
        let text: String = crate::text::to_half_width(raw)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if text.is_empty() {
            return Err(Problem::Required);
        }
        for sep in RANGE_SEPARATORS {
            if let Some((a, b)) = text.split_once(sep) {
                return Self::range_of(a, b);
            }
        }
        // A single `-` may also sit inside a code (`AB-0001`): try each, keep the first split
        // whose halves make a range; otherwise report the middle one's problem.
        let mut first_problem = None;
        for (i, _) in text.match_indices('-') {
            match Self::range_of(&text[..i], &text[i + 1..]) {
                Ok(r) => return Ok(r),
                Err(p) => {
                    first_problem.get_or_insert(p);
                }
            }
        }
        Err(first_problem.unwrap_or(Problem::CodeRange))
    }

    fn range_of(a: &str, b: &str) -> Result<CodeSet, Problem> {
        let a = TubeCode::parse(a)?;
        let b = TubeCode::parse(b)?;
        let (Some((pa, na)), Some((pb, nb))) = (split_number(a.as_str()), split_number(b.as_str()))
        else {
            return Err(Problem::CodeRange);
        };
        if pa != pb || na.len() != nb.len() {
            return Err(Problem::CodeRange);
        }
        let (Ok(from), Ok(to)) = (na.parse::<u64>(), nb.parse::<u64>()) else {
            return Err(Problem::CodeRange);
        };
        if from > to {
            return Err(Problem::CodeRange);
        }
        if to - from >= MAX_CODES {
            return Err(Problem::TooManyCodes {
                max: MAX_CODES as usize,
            });
        }
        Ok(CodeSet::Range {
            prefix: pa.to_string(),
            from,
            to,
            width: na.len(),
        })
    }

    /// Reads a list of codes (each as [`TubeCode::parse`] reads it; repeats count once); the
    /// problems name each bad code's place, `codes[3]`.
    pub fn parse_list<S: AsRef<str>>(items: &[S]) -> Result<CodeSet, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut codes = Vec::with_capacity(items.len());
        for (i, raw) in items.iter().enumerate() {
            match TubeCode::parse(raw.as_ref()) {
                Ok(c) => codes.push(c),
                Err(p) => problems.push(FieldProblem::new(format!("codes[{i}]"), p)),
            }
        }
        if items.is_empty() {
            problems.push(FieldProblem::new("codes", Problem::Required));
        }
        if items.len() > MAX_LIST {
            problems.push(FieldProblem::new(
                "codes",
                Problem::TooManyCodes { max: MAX_LIST },
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        codes.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        codes.dedup();
        Ok(CodeSet::List(codes))
    }

    /// Reads what a person pasted or typed into one box: a range when it reads as one
    /// (`T0001-T0500`), else a list of codes separated by spaces, new lines, commas or
    /// semicolons. Problems are at `codes` (the range's) or `codes[i]` (a listed code's).
    pub fn parse_text(raw: &str) -> Result<CodeSet, Vec<FieldProblem>> {
        let items: Vec<&str> = raw
            .split(|c: char| c.is_whitespace() || ",;，；、".contains(c))
            .filter(|s| !s.is_empty())
            .collect();
        let looks_like_range = items.len() <= 3
            && (RANGE_SEPARATORS.iter().any(|s| raw.contains(s))
                || items.len() == 3 && items[1] == "-"
                || items.len() == 1 && TubeCode::parse(items[0]).is_err());
        if looks_like_range {
            return Self::parse_range(raw).map_err(|p| vec![FieldProblem::new("codes", p)]);
        }
        if let [one] = items.as_slice() {
            // One code, or a range written with `-` whose halves are numbered codes.
            let text = crate::text::to_half_width(one);
            let halves = text.match_indices('-').any(|(i, _)| {
                [&text[..i], &text[i + 1..]]
                    .iter()
                    .all(|h| TubeCode::parse(h).is_ok_and(|c| split_number(c.as_str()).is_some()))
            });
            if halves {
                return Self::parse_range(one).map_err(|p| vec![FieldProblem::new("codes", p)]);
            }
        }
        Self::parse_list(&items)
    }

    /// How many codes.
    pub fn len(&self) -> u64 {
        match self {
            CodeSet::Range { from, to, .. } => to - from + 1,
            CodeSet::List(codes) => codes.len() as u64,
        }
    }

    /// Whether it holds no code (never, once parsed).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `code` is one of these.
    pub fn contains(&self, code: &TubeCode) -> bool {
        match self {
            CodeSet::Range {
                prefix,
                from,
                to,
                width,
            } => {
                let Some(number) = code.as_str().strip_prefix(prefix.as_str()) else {
                    return false;
                };
                number.len() == *width
                    && number.bytes().all(|b| b.is_ascii_digit())
                    && number
                        .parse::<u64>()
                        .is_ok_and(|n| (*from..=*to).contains(&n))
            }
            CodeSet::List(codes) => codes
                .binary_search_by(|c| c.as_str().cmp(code.as_str()))
                .is_ok(),
        }
    }

    /// The first and last code in byte order: every code of the set lies between them (a
    /// store reads the codes in use with one index range, then keeps those `contains`).
    pub fn bounds(&self) -> (String, String) {
        match self {
            CodeSet::Range {
                prefix,
                from,
                to,
                width,
            } => (
                format!("{prefix}{from:0width$}"),
                format!("{prefix}{to:0width$}"),
            ),
            CodeSet::List(codes) => (
                codes
                    .first()
                    .map(|c| c.as_str().to_string())
                    .unwrap_or_default(),
                codes
                    .last()
                    .map(|c| c.as_str().to_string())
                    .unwrap_or_default(),
            ),
        }
    }

    /// A short description for people: `T0001–T0500` or `A1, A2, A7 …` (the first three).
    pub fn describe(&self) -> String {
        match self {
            CodeSet::Range { .. } => {
                let (a, b) = self.bounds();
                format!("{a}–{b}")
            }
            CodeSet::List(codes) => {
                let shown: Vec<&str> = codes.iter().take(3).map(TubeCode::as_str).collect();
                let more = if codes.len() > 3 { " …" } else { "" };
                format!("{}{more}", shown.join(", "))
            }
        }
    }
}

/// A day's account of one kind of material at one point.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ledger {
    /// Received (issued to the point).
    pub issued: i64,
    /// Used: codes scanned (tubes opened, boxes opened), swabs by persons sampled.
    pub used: i64,
    /// Given back to the transport group.
    pub returned: i64,
    /// Spoiled (dropped, mislabelled, contaminated).
    pub spoiled: i64,
}

impl Ledger {
    /// What is still at the point: issued − used − returned − spoiled. At the end of the day
    /// this is the difference the reconciliation shows (0: it balances).
    pub fn remaining(&self) -> i64 {
        self.issued - self.used - self.returned - self.spoiled
    }

    /// Whether issued = used + returned + spoiled.
    pub fn balanced(&self) -> bool {
        self.remaining() == 0
    }

    /// Whether what is left is under the kind's threshold. Nothing issued is not low, and
    /// neither is a day the point closed by giving back what it had left (something
    /// returned): only a point still working runs short.
    pub fn low(&self, kind: MaterialKind) -> bool {
        self.issued > 0
            && self.returned == 0
            && self.remaining() < kind.low_rule().threshold(self.issued)
    }
}

/// Reads a hand-entered count (returned, spoiled, swabs received): a whole number from 0 to
/// [`MAX_QUANTITY`]; blank is 0.
pub fn parse_quantity(raw: &str) -> Result<i64, Problem> {
    let s = crate::text::to_half_width(raw.trim());
    if s.is_empty() {
        return Ok(0);
    }
    match s.parse::<i64>() {
        Ok(n) if (0..=MAX_QUANTITY).contains(&n) => Ok(n),
        _ => Err(Problem::Quantity),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn code(s: &str) -> TubeCode {
        TubeCode::parse(s).unwrap()
    }

    #[test]
    fn ranges_read_as_printers_write_them() {
        let r = CodeSet::parse_range("T2026000001-T2026000500").unwrap();
        assert_eq!(r.len(), 500);
        assert!(r.contains(&code("T2026000001")));
        assert!(r.contains(&code("t2026000500")));
        assert!(!r.contains(&code("T2026000501")));
        assert!(!r.contains(&code("T202600001")));
        assert!(!r.contains(&code("X2026000002")));
        assert_eq!(
            r.bounds(),
            ("T2026000001".to_string(), "T2026000500".to_string())
        );
        for raw in [
            "A0001 ~ A0010",
            "A0001..A0010",
            "A0001至A0010",
            "ａ0001－a0010",
        ] {
            assert_eq!(CodeSet::parse_range(raw).unwrap().len(), 10, "{raw}");
        }
        // A dash inside the codes themselves.
        let r = CodeSet::parse_range("AB-0001-AB-0100").unwrap();
        assert_eq!(r.len(), 100);
        assert!(r.contains(&code("AB-0042")));
        assert_eq!(r.describe(), "AB-0001–AB-0100");
    }

    #[test]
    fn bad_ranges_say_why() {
        assert_eq!(CodeSet::parse_range(""), Err(Problem::Required));
        assert_eq!(CodeSet::parse_range("A0010-A0001"), Err(Problem::CodeRange));
        assert_eq!(CodeSet::parse_range("A0001-B0010"), Err(Problem::CodeRange));
        assert_eq!(
            CodeSet::parse_range("ABC1-ABC0010"),
            Err(Problem::CodeRange)
        );
        assert_eq!(CodeSet::parse_range("ABCD-ABCE"), Err(Problem::CodeRange));
        assert_eq!(CodeSet::parse_range("A0001-A;10"), Err(Problem::TubeCode));
        assert_eq!(
            CodeSet::parse_range("A000000-A999999"),
            Err(Problem::TooManyCodes { max: 100_000 })
        );
    }

    #[test]
    fn pasted_text_is_a_range_or_a_list() {
        assert!(matches!(
            CodeSet::parse_text("T0001 - T0050").unwrap(),
            CodeSet::Range { .. }
        ));
        assert!(matches!(
            CodeSet::parse_text("T0001-T0050").unwrap(),
            CodeSet::Range { .. }
        ));
        let l = CodeSet::parse_text("B001\nB002, B007；B002").unwrap();
        assert_eq!(l.len(), 3);
        assert!(l.contains(&code("B007")));
        assert!(!l.contains(&code("B003")));
        assert_eq!(l.describe(), "B001, B002, B007");
        let one = CodeSet::parse_text("BOX-0009").unwrap();
        assert_eq!(one.len(), 1);
        let bad = CodeSet::parse_text("B001 B@02 B003").unwrap_err();
        assert_eq!(bad, vec![FieldProblem::new("codes[1]", Problem::TubeCode)]);
        let bad = CodeSet::parse_text("T0050-T0001").unwrap_err();
        assert_eq!(bad, vec![FieldProblem::new("codes", Problem::CodeRange)]);
        assert_eq!(
            CodeSet::parse_text("  ").unwrap_err(),
            vec![FieldProblem::new("codes", Problem::Required)]
        );
    }

    #[test]
    fn the_ledger_balances_and_warns_when_low() {
        let l = Ledger {
            issued: 500,
            used: 450,
            returned: 0,
            spoiled: 5,
        };
        assert_eq!(l.remaining(), 45);
        assert!(!l.balanced());
        assert!(l.low(MaterialKind::Tube)); // under 50 (10 %)
        let back = Ledger { returned: 30, ..l };
        assert_eq!(back.remaining(), 15);
        assert!(
            !back.low(MaterialKind::Tube),
            "returned: the day is closing"
        );
        let boxes = Ledger {
            issued: 10,
            used: 8,
            ..Ledger::default()
        };
        assert!(!boxes.low(MaterialKind::Box)); // 2 left: not under 2
        let boxes = Ledger { used: 9, ..boxes };
        assert!(boxes.low(MaterialKind::Box));
        assert!(!Ledger::default().low(MaterialKind::Swab));
        let done = Ledger {
            issued: 100,
            used: 90,
            returned: 8,
            spoiled: 2,
        };
        assert!(done.balanced());
        assert!(
            !done.low(MaterialKind::Tube),
            "a day closed with returns is not low"
        );
        let out = Ledger {
            issued: 100,
            used: 100,
            ..Ledger::default()
        };
        assert!(
            out.balanced() && out.low(MaterialKind::Tube),
            "all used: out of stock"
        );
    }

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity(""), Ok(0));
        assert_eq!(parse_quantity(" １２ "), Ok(12));
        assert_eq!(parse_quantity("-1"), Err(Problem::Quantity));
        assert_eq!(parse_quantity("1.5"), Err(Problem::Quantity));
        assert_eq!(parse_quantity("1000001"), Err(Problem::Quantity));
        assert_eq!(MaterialKind::parse("转运箱码"), Some(MaterialKind::Box));
        assert_eq!(MaterialKind::parse("Swab"), Some(MaterialKind::Swab));
        assert_eq!(MaterialKind::parse("glove"), None);
    }

    proptest! {
        /// Every code of a range written out is in it, its neighbours outside are not, and
        /// the written range reads back as itself.
        #[test]
        fn a_range_holds_exactly_its_codes(prefix in "[A-Z]{0,4}", from in 0u64..5_000, len in 1u64..2_000, width in 4usize..9) {
            let to = from + len - 1;
            prop_assume!(prefix.len() + width >= 4);
            let a = format!("{prefix}{from:0width$}");
            let b = format!("{prefix}{to:0width$}");
            let r = CodeSet::parse_range(&format!("{a}-{b}")).unwrap();
            prop_assert_eq!(r.len(), len);
            prop_assert_eq!(r.bounds(), (a.clone(), b.clone()));
            let mid = from + len / 2;
            let mid = code(&format!("{prefix}{mid:0width$}"));
            prop_assert!(r.contains(&mid));
            let after = to + 1;
            if after.to_string().len() <= width {
                let after = code(&format!("{prefix}{after:0width$}"));
                prop_assert!(!r.contains(&after));
            }
            if from > 0 {
                let before = from - 1;
                let before = code(&format!("{prefix}{before:0width$}"));
                prop_assert!(!r.contains(&before));
            }
        }

        /// Whatever is pasted, reading it never panics, and a list holds what it lists.
        #[test]
        fn any_text_reads_or_says_why(raw in "\\PC{0,60}") {
            if let Ok(set) = CodeSet::parse_text(&raw) {
                prop_assert!(!set.is_empty());
            }
        }
    }
}
