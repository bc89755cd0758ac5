//! The building map (楼栋图): which floor a room is on, read from its number as people write
//! it, and the state a household shows on a layer of the map (the testing round's first).
//!
//! A room number is usually the floor followed by the room on that floor ("1201": floor 12,
//! room 01). How many trailing digits are the room is the building's [`RoomDigits`] (2
//! unless the building says otherwise: a building with 3 writes 10101 for floor 10).

use crate::Lang;

/// How many trailing digits of a room number are the room on its floor (1 to 4; 2 unless a
/// building says otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RoomDigits(u8);

impl RoomDigits {
    /// The usual: "1201" is floor 12, room 01.
    pub const DEFAULT: RoomDigits = RoomDigits(2);

    /// The fewest and most a building may say.
    pub const MIN: u8 = 1;
    /// See `MIN`.
    pub const MAX: u8 = 4;

    /// A count of digits, if it is one a building may have (1 to 4).
    pub fn new(n: u8) -> Option<RoomDigits> {
        (Self::MIN..=Self::MAX)
            .contains(&n)
            .then_some(RoomDigits(n))
    }

    /// A count as a form writes it ("3", " 3 ").
    pub fn parse(s: &str) -> Option<RoomDigits> {
        s.trim().parse::<u8>().ok().and_then(RoomDigits::new)
    }

    /// The count.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl Default for RoomDigits {
    fn default() -> Self {
        RoomDigits::DEFAULT
    }
}

/// ASCII digits of `s` with full-width digits folded (１２０１ → 1201).
fn fold(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            'Ｂ' | 'ｂ' | 'b' => 'B',
            '－' | '—' | '–' => '-',
            _ => c,
        })
        .collect()
}

/// The leading run of ASCII digits of `s` and what follows it.
fn leading_digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

/// The floor of a digits-only room number: everything before the last `digits` digits.
fn floor_of_digits(d: &str, digits: RoomDigits) -> Option<i32> {
    let keep = d.len().checked_sub(usize::from(digits.get()))?;
    if keep == 0 || keep > 3 {
        return None;
    }
    let f: i32 = d[..keep].parse().ok()?;
    (f > 0).then_some(f)
}

/// The floor of a room as people write it: "1201" → 12, "302" → 3, "12-01" and "12楼01" →
/// 12, "101室" → 1, "B101", "B1-01" and "-101" → −1 (a basement), "1-1201" (unit 1, room
/// 1201) → 12; `None` when it cannot tell ("商铺", "01", "A").
pub fn floor_of(room: &str, digits: RoomDigits) -> Option<i32> {
    let s = fold(room);
    let s = s
        .trim_end_matches(['室', '号', '户'])
        .trim_start_matches(['第']);
    // A basement: B or a minus sign before the number.
    if let Some(rest) = s.strip_prefix('B').or_else(|| s.strip_prefix('-')) {
        let (d, tail) = leading_digits(rest);
        if d.is_empty() {
            return None;
        }
        let f = if tail.starts_with(['-', '楼', '层']) || d.len() < usize::from(digits.get()) {
            d.parse::<i32>().ok().filter(|f| (1..=9).contains(f))?
        } else {
            floor_of_digits(d, digits)?
        };
        return (f <= 9).then_some(-f);
    }
    let (d, tail) = leading_digits(s);
    if d.is_empty() {
        return None;
    }
    // "12楼01", "12层01": the floor is written out.
    if tail.starts_with(['楼', '层', 'F', 'f']) {
        let f: i32 = d.parse().ok()?;
        return (1..=999).contains(&f).then_some(f);
    }
    // "12-01" is floor 12; "1-1201" is unit 1, room 1201.
    if let Some(after) = tail.strip_prefix('-') {
        let (d2, _) = leading_digits(after);
        if d2.len() > usize::from(digits.get()) {
            return floor_of_digits(d2, digits);
        }
        let f: i32 = d.parse().ok()?;
        return (1..=999).contains(&f).then_some(f);
    }
    floor_of_digits(d, digits)
}

/// A household's state on the testing round's layer of the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TestState {
    /// A member in a positive pool (flagged, not yet settled).
    Positive,
    /// Nobody sampled nor excused.
    NoneSampled,
    /// Some sampled or excused, some not.
    Partial,
    /// Everyone sampled (or excused, with at least one sampled).
    Sampled,
    /// Everyone excused.
    Excused,
    /// Nobody registered there.
    Empty,
}

impl TestState {
    /// Every state, in the legend's order (what needs a visit first).
    pub const ALL: [TestState; 6] = [
        TestState::Positive,
        TestState::NoneSampled,
        TestState::Partial,
        TestState::Sampled,
        TestState::Excused,
        TestState::Empty,
    ];

    /// The state of a household of `members` persons with `sampled` of them sampled,
    /// `excused` excused and `flagged` in a positive pool.
    pub fn of(members: i64, sampled: i64, excused: i64, flagged: i64) -> TestState {
        if members <= 0 {
            TestState::Empty
        } else if flagged > 0 {
            TestState::Positive
        } else if sampled + excused >= members {
            if sampled == 0 {
                TestState::Excused
            } else {
                TestState::Sampled
            }
        } else if sampled + excused == 0 {
            TestState::NoneSampled
        } else {
            TestState::Partial
        }
    }

    /// Its stable code, for the API and CSS classes.
    pub fn code(self) -> &'static str {
        match self {
            TestState::Positive => "positive",
            TestState::NoneSampled => "none",
            TestState::Partial => "partial",
            TestState::Sampled => "sampled",
            TestState::Excused => "excused",
            TestState::Empty => "empty",
        }
    }

    /// A symbol that tells the states apart without colour (print, colour-blind readers).
    pub fn symbol(self) -> &'static str {
        match self {
            TestState::Positive => "!",
            TestState::NoneSampled => "○",
            TestState::Partial => "◐",
            TestState::Sampled => "✓",
            TestState::Excused => "—",
            TestState::Empty => "·",
        }
    }

    /// Its name.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            TestState::Positive => lang.pick("混管阳性", "In a positive pool"),
            TestState::NoneSampled => lang.pick("全未采", "None sampled"),
            TestState::Partial => lang.pick("部分未采", "Some missing"),
            TestState::Sampled => lang.pick("已采完", "All sampled"),
            TestState::Excused => lang.pick("全部免采", "All excused"),
            TestState::Empty => lang.pick("空户", "Empty"),
        }
    }
}

/// A household's state on the quarantine layer of the map, the most pressing first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QuarantineState {
    /// An abnormal check-in not yet followed up.
    Abnormal,
    /// A missed check-in or test day not yet followed up.
    Overdue,
    /// A supply request (delivery) open.
    Supply,
    /// In an episode, nothing open.
    InEpisode,
    /// Not in an episode.
    None,
}

impl QuarantineState {
    /// Every state, in the legend's order.
    pub const ALL: [QuarantineState; 5] = [
        QuarantineState::Abnormal,
        QuarantineState::Overdue,
        QuarantineState::Supply,
        QuarantineState::InEpisode,
        QuarantineState::None,
    ];

    /// The state of a household with `in_episode` members in an at-home episode and these
    /// open follow-ups.
    pub fn of(in_episode: i64, abnormal: i64, overdue: i64, supply: i64) -> QuarantineState {
        if abnormal > 0 {
            QuarantineState::Abnormal
        } else if overdue > 0 {
            QuarantineState::Overdue
        } else if supply > 0 {
            QuarantineState::Supply
        } else if in_episode > 0 {
            QuarantineState::InEpisode
        } else {
            QuarantineState::None
        }
    }

    /// The code (a CSS class too: the colours are the testing layer's, most pressing red).
    pub fn code(self) -> &'static str {
        match self {
            QuarantineState::Abnormal => "positive",
            QuarantineState::Overdue => "none",
            QuarantineState::Supply => "partial",
            QuarantineState::InEpisode => "sampled",
            QuarantineState::None => "empty",
        }
    }

    /// A symbol that reads without colour.
    pub fn symbol(self) -> &'static str {
        match self {
            QuarantineState::Abnormal => "!",
            QuarantineState::Overdue => "×",
            QuarantineState::Supply => "▲",
            QuarantineState::InEpisode => "●",
            QuarantineState::None => "·",
        }
    }

    /// Its name.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            QuarantineState::Abnormal => lang.pick("监测异常", "Abnormal check-in"),
            QuarantineState::Overdue => lang.pick("未打卡或未采样", "Missed check-in or test"),
            QuarantineState::Supply => lang.pick("物资待送", "Supplies requested"),
            QuarantineState::InEpisode => {
                lang.pick("居家隔离或监测中", "In quarantine or monitoring")
            }
            QuarantineState::None => lang.pick("无", "None"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn f(s: &str) -> Option<i32> {
        floor_of(s, RoomDigits::DEFAULT)
    }

    #[test]
    fn the_most_pressing_quarantine_state_shows() {
        assert_eq!(QuarantineState::of(2, 1, 1, 1), QuarantineState::Abnormal);
        assert_eq!(QuarantineState::of(2, 0, 1, 1), QuarantineState::Overdue);
        assert_eq!(QuarantineState::of(2, 0, 0, 1), QuarantineState::Supply);
        assert_eq!(QuarantineState::of(2, 0, 0, 0), QuarantineState::InEpisode);
        assert_eq!(QuarantineState::of(0, 0, 0, 0), QuarantineState::None);
    }

    #[test]
    fn the_forms_people_write() {
        assert_eq!(f("1201"), Some(12));
        assert_eq!(f("302"), Some(3));
        assert_eq!(f("101"), Some(1));
        assert_eq!(f("12-01"), Some(12));
        assert_eq!(f("12楼01"), Some(12));
        assert_eq!(f("12层01"), Some(12));
        assert_eq!(f("101室"), Some(1));
        assert_eq!(f("１２０１"), Some(12));
        assert_eq!(f("B101"), Some(-1));
        assert_eq!(f("b201"), Some(-2));
        assert_eq!(f("B1-01"), Some(-1));
        assert_eq!(f("-101"), Some(-1));
        assert_eq!(f("1-1201"), Some(12));
        assert_eq!(f("3301"), Some(33));
    }

    #[test]
    fn unknown_forms_have_no_floor() {
        for s in [
            "", "商铺", "01", "1", "A", "B", "-", "楼", "12345678", "0001", "B", "--1",
        ] {
            assert_eq!(f(s), None, "{s}");
        }
    }

    #[test]
    fn a_building_with_three_room_digits() {
        let three = RoomDigits::new(3).unwrap();
        assert_eq!(floor_of("10101", three), Some(10));
        assert_eq!(floor_of("1201", three), Some(1));
        assert_eq!(floor_of("101", three), None);
        assert_eq!(floor_of("12-01", three), Some(12));
        assert_eq!(RoomDigits::parse(" 3 "), Some(three));
        assert_eq!(RoomDigits::parse("0"), None);
        assert_eq!(RoomDigits::parse("5"), None);
        assert_eq!(RoomDigits::parse("x"), None);
    }

    #[test]
    fn states() {
        assert_eq!(TestState::of(0, 0, 0, 0), TestState::Empty);
        assert_eq!(TestState::of(3, 3, 0, 0), TestState::Sampled);
        assert_eq!(TestState::of(3, 2, 1, 0), TestState::Sampled);
        assert_eq!(TestState::of(3, 0, 3, 0), TestState::Excused);
        assert_eq!(TestState::of(3, 1, 0, 0), TestState::Partial);
        assert_eq!(TestState::of(3, 0, 1, 0), TestState::Partial);
        assert_eq!(TestState::of(3, 0, 0, 0), TestState::NoneSampled);
        assert_eq!(TestState::of(3, 3, 0, 1), TestState::Positive);
        let codes: std::collections::HashSet<_> = TestState::ALL.iter().map(|s| s.code()).collect();
        let symbols: std::collections::HashSet<_> =
            TestState::ALL.iter().map(|s| s.symbol()).collect();
        assert_eq!((codes.len(), symbols.len()), (6, 6));
    }

    proptest! {
        #[test]
        fn floor_then_room_reads_back(floor in 1i32..=99, room in 1u32..=99, digits in 1u8..=3) {
            let d = RoomDigits::new(digits).unwrap();
            prop_assume!(room < 10u32.pow(u32::from(digits)));
            let written = format!("{floor}{room:0w$}", w = usize::from(digits));
            prop_assert_eq!(floor_of(&written, d), Some(floor));
            prop_assert_eq!(floor_of(&format!("{written}室"), d), Some(floor));
            prop_assert_eq!(floor_of(&format!("{floor}-{room:02}"), RoomDigits::DEFAULT), Some(floor));
            prop_assert_eq!(floor_of(&format!("{floor}楼{room:02}"), RoomDigits::DEFAULT), Some(floor));
        }

        #[test]
        fn basements_are_below_ground(floor in 1i32..=9, room in 1u32..=99) {
            prop_assert_eq!(f(&format!("B{floor}{room:02}")), Some(-floor));
            prop_assert_eq!(f(&format!("-{floor}{room:02}")), Some(-floor));
        }

        #[test]
        fn never_panics_and_never_floor_zero(s in "\\PC{0,12}", digits in 1u8..=4) {
            let r = floor_of(&s, RoomDigits::new(digits).unwrap());
            prop_assert_ne!(r, Some(0));
        }
    }
}
