//! The handover slip's rules (交接单): the transport temperature and when it must be given.
//!
//! Samples travel at room temperature for at most 4 hours, and a transport of 2 hours or more
//! must show the temperature in the box; the slip is refused without it.

use time::{Duration, OffsetDateTime};

use crate::problem::Problem;

/// A transport of this long or longer needs a recorded temperature.
pub const TEMPERATURE_AFTER: Duration = Duration::hours(2);

/// The temperature in a transport box, in tenths of a degree Celsius (−40.0 to 40.0 °C).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Temperature(i64);

impl Temperature {
    /// Reads what a person typed: `4`, `4.5`, `-2,5`, `４．５` (full-width), `4.5℃`; one
    /// decimal at most is kept (rounded).
    pub fn parse(raw: &str) -> Result<Temperature, Problem> {
        let folded: String = raw
            .trim()
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
                '．' | ',' | '，' => '.',
                '－' | '−' => '-',
                _ => c,
            })
            .collect();
        let number = folded
            .trim_end_matches(['℃', 'C', 'c', '°', ' '])
            .trim_end_matches('°');
        let value: f64 = number.parse().map_err(|_| Problem::TransportTemperature)?;
        if !value.is_finite() || !(-40.0..=40.0).contains(&value) {
            return Err(Problem::TransportTemperature);
        }
        // In range, so the cast cannot overflow.
        #[allow(clippy::cast_possible_truncation)]
        Ok(Temperature((value * 10.0).round() as i64))
    }

    /// From the stored tenths.
    pub fn from_tenths(tenths: i64) -> Temperature {
        Temperature(tenths)
    }

    /// The stored tenths of a degree.
    pub fn tenths(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for Temperature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{}", self.0.abs() / 10, self.0.abs() % 10)
    }
}

/// Whether a transport from `handed_at` to `received_at` needs a temperature (2 hours or
/// more).
pub fn needs_temperature(handed_at: OffsetDateTime, received_at: OffsetDateTime) -> bool {
    received_at - handed_at >= TEMPERATURE_AFTER
}

/// Checks the temperature rule at receipt: the slip's own temperature, else the one given
/// now; refused (`temperature_required`) when the transport took 2 hours or more and neither
/// is there.
pub fn check_temperature(
    handed_at: OffsetDateTime,
    received_at: OffsetDateTime,
    recorded: Option<Temperature>,
    given: Option<Temperature>,
) -> Result<Option<Temperature>, Problem> {
    match given.or(recorded) {
        Some(t) => Ok(Some(t)),
        None if needs_temperature(handed_at, received_at) => Err(Problem::TemperatureRequired),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    #[test]
    fn reads_what_people_type() {
        for (raw, tenths) in [
            ("4", 40),
            ("4.5", 45),
            ("-2,5", -25),
            ("４．５", 45),
            ("4.5℃", 45),
            (" 20 ", 200),
            ("4.56", 46),
        ] {
            assert_eq!(
                Temperature::parse(raw).map(Temperature::tenths),
                Ok(tenths),
                "{raw}"
            );
        }
        for raw in ["", "warm", "41", "-40.1", "NaN", "inf"] {
            assert_eq!(
                Temperature::parse(raw),
                Err(Problem::TransportTemperature),
                "{raw}"
            );
        }
        assert_eq!(Temperature::from_tenths(-25).to_string(), "-2.5");
        assert_eq!(Temperature::from_tenths(40).to_string(), "4.0");
    }

    #[test]
    fn two_hours_or_more_needs_a_temperature() {
        let handed = datetime!(2026-12-01 08:00 UTC);
        let t = Temperature::from_tenths(45);
        assert_eq!(
            check_temperature(handed, datetime!(2026-12-01 09:59 UTC), None, None),
            Ok(None)
        );
        assert_eq!(
            check_temperature(handed, datetime!(2026-12-01 10:00 UTC), None, None),
            Err(Problem::TemperatureRequired)
        );
        assert_eq!(
            check_temperature(handed, datetime!(2026-12-01 12:00 UTC), Some(t), None),
            Ok(Some(t))
        );
        assert_eq!(
            check_temperature(handed, datetime!(2026-12-01 12:00 UTC), None, Some(t)),
            Ok(Some(t))
        );
    }

    proptest! {
        #[test]
        fn any_tenth_in_range_reads_back(tenths in -400i64..=400) {
            let t = Temperature::from_tenths(tenths);
            prop_assert_eq!(Temperature::parse(&t.to_string()), Ok(t));
        }

        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Temperature::parse(&s);
        }
    }
}
