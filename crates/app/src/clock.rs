//! The one clock, and China's time of day.
//!
//! Use cases read the time from the request's [`Ctx`](crate::access::Ctx) (`ctx.now()`), which
//! carries a [`Clock`]: the system's in a server, a [`FixedClock`] a test moves by hand, so what
//! depends on the day (edit windows, quarantine days, daily reports) can be tested at any
//! moment. Days are China's: UTC+8 all year ([`CHINA`]); times shown to people are written by
//! [`china_minute`] and [`china_second`].

use std::fmt;
use std::sync::{Arc, Mutex};

use time::{Date, Duration, OffsetDateTime, UtcOffset};

/// China Standard Time: the day a community worker lives in decides "today".
pub const CHINA: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// Where the time comes from.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now.
    fn now(&self) -> OffsetDateTime;

    /// Today, in China.
    fn today(&self) -> Date {
        self.now().to_offset(CHINA).date()
    }
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stands still until moved (tests).
#[derive(Debug)]
pub struct FixedClock(Mutex<OffsetDateTime>);

impl FixedClock {
    /// A clock showing `at`.
    pub fn at(at: OffsetDateTime) -> Arc<FixedClock> {
        Arc::new(FixedClock(Mutex::new(at)))
    }

    /// Moves the clock on (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }

    /// Sets the clock.
    pub fn set(&self, at: OffsetDateTime) {
        if let Ok(mut t) = self.0.lock() {
            *t = at;
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0.lock().map_or_else(|p| *p.into_inner(), |t| *t)
    }
}

/// The system clock, shared.
pub fn system() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// A time as people read it in China, to the minute: `2026-12-01 08:58`.
pub fn china_minute(t: OffsetDateTime) -> String {
    let l = t.to_offset(CHINA);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        l.year(),
        l.month() as u8,
        l.day(),
        l.hour(),
        l.minute()
    )
}

/// A time as people read it in China, to the second (the audit log).
pub fn china_second(t: OffsetDateTime) -> String {
    format!("{}:{:02}", china_minute(t), t.to_offset(CHINA).second())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn china_is_eight_hours_ahead_and_its_day_turns_at_midnight_there() {
        let t = datetime!(2026-11-30 16:30:05 UTC);
        assert_eq!(china_minute(t), "2026-12-01 00:30");
        assert_eq!(china_second(t), "2026-12-01 00:30:05");
        let clock = FixedClock::at(datetime!(2026-11-30 15:59:59 UTC));
        assert_eq!(clock.today(), time::macros::date!(2026 - 11 - 30));
        clock.advance(Duration::seconds(1));
        assert_eq!(clock.today(), time::macros::date!(2026 - 12 - 01));
    }
}
