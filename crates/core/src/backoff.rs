//! How long a login key waits after failed attempts: a few attempts free, then a wait that
//! doubles with each further failure up to a cap, forgotten after a quiet spell.
//!
//! Waits instead of locks: a lock hands whoever can type a user name (or share an address)
//! the power to shut its owner out; a capped wait only slows them down. The three keys a login
//! is counted under and why their numbers differ are in ARCHITECTURE.md ("Accounts and access").

use time::Duration;

/// One key's rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Attempts counted before any wait.
    pub free: i64,
    /// The wait after the first attempt past the free ones; each further one doubles it.
    pub first: Duration,
    /// The longest wait.
    pub max: Duration,
    /// Counted attempts are forgotten after this long without one.
    pub forget: Duration,
}

impl Backoff {
    /// A user name from one address: the attacker at one machine. Strict: three attempts free,
    /// then 1 s, 2 s, 4 s … up to 15 minutes (from the fourteenth on), remembered for a day.
    pub const PAIR: Backoff = Backoff {
        free: 3,
        first: Duration::seconds(1),
        max: Duration::minutes(15),
        forget: Duration::days(1),
    };

    /// A user name from anywhere: bounds guessing from many addresses, while its owner, elsewhere,
    /// waits at most a minute. Ten free, then 1 s doubling up to 60 s, forgotten after an hour.
    pub const USER: Backoff = Backoff {
        free: 10,
        first: Duration::seconds(1),
        max: Duration::minutes(1),
        forget: Duration::hours(1),
    };

    /// An address, whatever the names: bounds one machine trying one password on many names,
    /// while the colleagues behind the same NAT wait at most a minute. Twenty free, then 1 s
    /// doubling up to 60 s, forgotten after an hour.
    pub const ADDRESS: Backoff = Backoff {
        free: 20,
        first: Duration::seconds(1),
        max: Duration::minutes(1),
        forget: Duration::hours(1),
    };

    /// How long the key waits after `attempts` counted attempts: nothing while they are free,
    /// then `first`, doubled for each one more, at most `max`.
    pub fn wait_after(&self, attempts: i64) -> Duration {
        let past = attempts - self.free;
        if past <= 0 {
            return Duration::ZERO;
        }
        // 2^62 seconds overflows a Duration; any cap we use is reached long before 2^30.
        let doublings = u32::try_from(past - 1).unwrap_or(u32::MAX).min(30);
        let wait = self.first.saturating_mul(1i32 << doublings);
        wait.min(self.max)
    }

    /// The attempts still counted at `now` for a key that counted `attempts`, the last at `last`:
    /// all of them, or none after a quiet spell of `forget`.
    pub fn still_counted(
        &self,
        attempts: i64,
        last: time::OffsetDateTime,
        now: time::OffsetDateTime,
    ) -> i64 {
        if now - last >= self.forget {
            0
        } else {
            attempts.max(0)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    #[test]
    fn pair_waits_grow_after_three_free_attempts_up_to_fifteen_minutes() {
        let waits: Vec<i64> = (1..=15)
            .map(|n| Backoff::PAIR.wait_after(n).whole_seconds())
            .collect();
        assert_eq!(
            waits,
            [0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
        );
    }

    #[test]
    fn user_and_address_waits_stop_at_a_minute() {
        assert_eq!(Backoff::USER.wait_after(10), Duration::ZERO);
        assert_eq!(Backoff::USER.wait_after(11), Duration::seconds(1));
        assert_eq!(Backoff::USER.wait_after(17), Duration::seconds(60));
        assert_eq!(Backoff::ADDRESS.wait_after(20), Duration::ZERO);
        assert_eq!(Backoff::ADDRESS.wait_after(21), Duration::seconds(1));
        assert_eq!(Backoff::ADDRESS.wait_after(1000), Duration::seconds(60));
    }

    #[test]
    fn a_quiet_spell_forgets() {
        let t = datetime!(2026-01-01 12:00 UTC);
        let b = Backoff::USER;
        assert_eq!(b.still_counted(15, t, t + Duration::minutes(59)), 15);
        assert_eq!(b.still_counted(15, t, t + Duration::hours(1)), 0);
    }

    proptest! {
        #[test]
        fn waits_never_shrink_and_never_pass_the_cap(n in 0i64..10_000) {
            for b in [Backoff::PAIR, Backoff::USER, Backoff::ADDRESS] {
                let (w, next) = (b.wait_after(n), b.wait_after(n + 1));
                prop_assert!(w <= next);
                prop_assert!(next <= b.max);
                prop_assert!(w >= Duration::ZERO);
            }
        }
    }
}
