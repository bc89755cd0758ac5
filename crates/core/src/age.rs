//! Ages, and the age band shown beside a masked ID number.
//!
//! The eight digits a masked resident ID hides (`410103********1234`) are the birth date, so a
//! birth date or an exact age shown beside the mask gives them back. Where a number is masked,
//! Doorstep shows an [`AgeBand`] instead: wide enough that the mask and the band together leave
//! hundreds to thousands of possible numbers (see the test below and docs/security.md).

use time::Date;

use crate::lang::Lang;

/// Completed years between `birth` and `today` (a birthday counts on its day).
pub fn years(birth: Date, today: Date) -> i32 {
    let mut years = today.year() - birth.year();
    if (today.month() as u8, today.day()) < (birth.month() as u8, birth.day()) {
        years -= 1;
    }
    years
}

/// The age bands the work needs (minors with a guardian, working age, the elderly) and no finer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AgeBand {
    /// Under 18 (未成年).
    Minor,
    /// 18 to 59.
    Adult,
    /// 60 and over (老年人).
    Senior,
}

impl AgeBand {
    /// The band of someone born on `birth`, on `today`.
    pub fn of(birth: Date, today: Date) -> AgeBand {
        match years(birth, today) {
            ..18 => AgeBand::Minor,
            18..60 => AgeBand::Adult,
            _ => AgeBand::Senior,
        }
    }

    /// The stable code used by the API: `0-17`, `18-59`, `60+`.
    pub fn code(self) -> &'static str {
        match self {
            AgeBand::Minor => "0-17",
            AgeBand::Adult => "18-59",
            AgeBand::Senior => "60+",
        }
    }

    /// The band as a person reads it.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            AgeBand::Minor => lang.pick("未满18岁", "under 18"),
            AgeBand::Adult => lang.pick("18–59岁", "18–59"),
            AgeBand::Senior => lang.pick("60岁及以上", "60 and over"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idnum::{IdDocument, make_resident_id};
    use time::macros::date;

    #[test]
    fn years_count_birthdays() {
        assert_eq!(years(date!(1990 - 06 - 15), date!(2022 - 06 - 14)), 31);
        assert_eq!(years(date!(1990 - 06 - 15), date!(2022 - 06 - 15)), 32);
        assert_eq!(years(date!(2008 - 12 - 02), date!(2026 - 12 - 01)), 17);
    }

    #[test]
    fn bands_have_their_edges() {
        let today = date!(2026 - 12 - 01);
        assert_eq!(AgeBand::of(date!(2008 - 12 - 02), today), AgeBand::Minor);
        assert_eq!(AgeBand::of(date!(2008 - 12 - 01), today), AgeBand::Adult);
        assert_eq!(AgeBand::of(date!(1966 - 12 - 02), today), AgeBand::Adult);
        assert_eq!(AgeBand::of(date!(1966 - 12 - 01), today), AgeBand::Senior);
    }

    /// The promise of the mask: for any masked number and band shown, the hidden digits
    /// could still be any of hundreds of birth dates. Counted here by brute force: every birth
    /// date in the band whose full number has the check character the mask shows.
    #[test]
    fn a_mask_and_a_band_leave_hundreds_of_candidates() {
        let today = date!(2026 - 12 - 01);
        let shown = make_resident_id("410103", date!(1990 - 03 - 07), 123);
        let mask = IdDocument::parse(crate::DocType::ResidentId, &shown, today)
            .map(|d| d.masked())
            .unwrap_or_default();
        assert_eq!(mask, format!("410103********{}", &shown[14..]));
        for band in [AgeBand::Minor, AgeBand::Adult, AgeBand::Senior] {
            let start = date!(1900 - 01 - 01);
            let candidates = (0..=(today - start).whole_days())
                .map(|n| start + time::Duration::days(n))
                .filter(|&d| {
                    AgeBand::of(d, today) == band
                        && make_resident_id("410103", d, 123).ends_with(&shown[14..])
                })
                .count();
            assert!(candidates >= 550, "{band:?}: {candidates} candidates");
        }
    }
}
