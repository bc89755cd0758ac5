//! Abuse and overload control for the public report pages and endpoint: token buckets per
//! client address (as [`client_addr`] finds it: behind a trusted proxy the resident's, not the
//! proxy's) and per report link (429 with Retry-After), and a cap on submissions in flight (503
//! with Retry-After), so an overload is shed at the door instead of slowing every resident down
//! or failing writes that were already acknowledged.
//!
//! The buckets live in this process's memory: a restart forgets them, which only forgives. They
//! are bounded (at most twice [`KEYS_PER_GENERATION`] keys per limit, see [`Buckets`]) and fail
//! closed: a poisoned lock is taken over, never a reason to stop limiting.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{RawPathParams, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::context::{client_addr, lang_of};
use crate::error::ApiError;

/// A token bucket's size and refill.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Requests allowed at once.
    pub burst: f64,
    /// Requests added back per second.
    pub per_sec: f64,
}

/// The limits of the public report pages and endpoint (`doorstep serve --public-…`). Why the
/// defaults are what they are: ARCHITECTURE.md, "Abuse and overload".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PublicLimits {
    /// Per client address. Many phones share one address (a carrier's NAT, a compound's
    /// Wi-Fi): the burst holds a hundred households' whole reports at once, the rate a
    /// compound of ≈450 households within ten minutes.
    pub per_ip: Rate,
    /// Per report link: a community's whole rush, while a flood at one link leaves the
    /// server to the others.
    pub per_token: Rate,
    /// Submissions being written at once; more are refused with 503 (load shedding).
    pub max_in_flight: usize,
}

impl Default for PublicLimits {
    fn default() -> Self {
        PublicLimits {
            per_ip: Rate {
                burst: 1000.0,
                per_sec: 5.0,
            },
            per_token: Rate {
                burst: 3000.0,
                per_sec: 300.0,
            },
            max_in_flight: 64,
        }
    }
}

impl PublicLimits {
    /// Limits so high they never bite (benchmarks measuring raw capacity).
    pub fn unlimited() -> PublicLimits {
        let r = Rate {
            burst: 1e12,
            per_sec: 1e12,
        };
        PublicLimits {
            per_ip: r,
            per_token: r,
            max_in_flight: 1 << 20,
        }
    }
}

/// Keys per generation of a bucket map: at most twice this many are remembered per limit.
const KEYS_PER_GENERATION: usize = 50_000;

/// Buckets by key, bounded and in constant time per request whatever keys arrive (a token in
/// a public path is whatever the sender writes). Keys are kept as a keyed hash (SipHash with
/// this process's random key, so no one can aim at a collision), in two generations: a key is
/// looked up in the current map, then in the previous one (and moved to the current); when
/// the current map holds [`KEYS_PER_GENERATION`] keys, or has been filling for as long as an
/// empty bucket takes to refill, it becomes the previous one and the old previous one is
/// dropped. A key is therefore forgotten only after that long without a request, when its
/// bucket would be full anyway, or in a flood of new keys, when it has been quiet for at
/// least [`KEYS_PER_GENERATION`] of them; a key that keeps asking stays remembered.
struct Buckets {
    rate: Rate,
    hasher: RandomState,
    per_generation: usize,
    window: Duration,
    maps: Mutex<Generations>,
}

/// A bucket: tokens left at an instant.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

struct Generations {
    current: HashMap<u64, Bucket>,
    previous: HashMap<u64, Bucket>,
    started: Instant,
}

impl Buckets {
    fn new(rate: Rate) -> Buckets {
        Buckets::with_generation(rate, KEYS_PER_GENERATION)
    }

    fn with_generation(rate: Rate, per_generation: usize) -> Buckets {
        // As long as an empty bucket takes to fill: a key quiet that long is as good as new.
        let refill = rate.burst / rate.per_sec;
        let window = Duration::try_from_secs_f64(refill)
            .unwrap_or(Duration::MAX)
            .clamp(Duration::from_secs(1), Duration::from_secs(3600));
        Buckets {
            rate,
            hasher: RandomState::new(),
            per_generation: per_generation.max(1),
            window,
            maps: Mutex::new(Generations {
                current: HashMap::new(),
                previous: HashMap::new(),
                started: Instant::now(),
            }),
        }
    }

    /// Takes one token for `key`, or says in how many seconds one is back.
    fn take(&self, key: &str, now: Instant) -> Result<(), u64> {
        let per_sec = self.rate.per_sec;
        self.update(key, now, |tokens| {
            if tokens >= 1.0 {
                (tokens - 1.0, Ok(()))
            } else {
                let wait = (1.0 - tokens) / per_sec.max(1e-9);
                (tokens, Err(wait.ceil().max(1.0) as u64))
            }
        })
    }

    /// Takes `cost` more tokens from `key` (none below zero), for a request that turned out
    /// to cost more than one.
    fn charge(&self, key: &str, cost: f64, now: Instant) {
        self.update(key, now, |tokens| ((tokens - cost).max(0.0), ()));
    }

    /// Refills `key`'s bucket to `now` and sets its tokens to what `f` makes of them.
    fn update<R>(&self, key: &str, now: Instant, f: impl FnOnce(f64) -> (f64, R)) -> R {
        let h = self.hasher.hash_one(key);
        // A panic elsewhere while holding the lock leaves nothing half-done that matters
        // here: carry on limiting rather than let everything through.
        let mut maps = self.maps.lock().unwrap_or_else(PoisonError::into_inner);
        let full = maps.current.len() >= self.per_generation;
        let retired = if full || now.saturating_duration_since(maps.started) >= self.window {
            let current = std::mem::take(&mut maps.current);
            maps.started = now;
            Some(std::mem::replace(&mut maps.previous, current))
        } else {
            None
        };
        let found = match maps.current.get(&h) {
            Some(b) => Some(*b),
            None => maps.previous.remove(&h),
        };
        let rate = self.rate;
        let b = found.unwrap_or(Bucket {
            tokens: rate.burst,
            at: now,
        });
        let refilled = (b.tokens
            + now.saturating_duration_since(b.at).as_secs_f64() * rate.per_sec)
            .min(rate.burst);
        let (tokens, answer) = f(refilled);
        maps.current.insert(h, Bucket { tokens, at: now });
        drop(maps);
        // The retired generation is freed outside the lock.
        drop(retired);
        answer
    }

    /// Keys remembered, in both generations.
    #[cfg(test)]
    fn keys(&self) -> usize {
        let maps = self.maps.lock().unwrap_or_else(PoisonError::into_inner);
        maps.current.len() + maps.previous.len()
    }
}

/// The limiter shared by every request of the server.
pub struct Limiter {
    per_ip: Buckets,
    per_token: Buckets,
    in_flight: Arc<Semaphore>,
}

impl Limiter {
    /// A limiter with these limits.
    pub fn new(l: PublicLimits) -> Limiter {
        Limiter {
            per_ip: Buckets::new(l.per_ip),
            per_token: Buckets::new(l.per_token),
            in_flight: Arc::new(Semaphore::new(l.max_in_flight)),
        }
    }
}

/// The report-link token a public path carries: `/r/{token}…` or `/api/v1/public/reports/{token}…`.
/// Middleware on the public routes (`route_layer`, so the path's `{token}` is known): limits
/// by client address and by link, and caps the writes in flight.
pub async fn limit(
    State(l): State<Arc<Limiter>>,
    params: RawPathParams,
    req: Request,
    next: Next,
) -> Response {
    let token = params
        .iter()
        .find(|(k, _)| *k == "token")
        .map_or_else(String::new, |(_, v)| v.to_string());
    // Nested under `/api/v1`, the router sees the path without its prefix: the original tells.
    let api = req
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or(req.uri(), |o| &o.0)
        .path()
        .starts_with("/api/");
    let lang = lang_of(req.headers());
    let ip = client_addr(req.extensions(), req.headers())
        .map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
    let now = Instant::now();
    let limited = l
        .per_ip
        .take(&ip, now)
        .and_then(|()| l.per_token.take(&token, now));
    if let Err(secs) = limited {
        return refuse(
            api,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            lang.pick(
                "提交的人太多，请稍等片刻再试",
                "too many requests; please wait a moment and try again",
            ),
            secs,
        );
    }
    let write = req.method() == Method::POST || req.method() == Method::PUT;
    // Writes wait for the database; past the cap they are turned away at once instead of
    // queueing until every resident's request is slow.
    let permit = if write {
        l.in_flight.clone().try_acquire_owned().ok()
    } else {
        None
    };
    if write && permit.is_none() {
        return refuse(
            api,
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            lang.pick(
                "系统繁忙，请稍后再提交，您填写的内容不会丢失",
                "the system is busy; submit again in a moment, nothing you typed is lost",
            ),
            1,
        );
    }
    let res = next.run(req).await;
    drop(permit);
    // No such link or receipt: a resident scanned a poster and got it right; a scanner
    // guessing tokens did not. Each miss costs its address [`MISS_COST`] requests.
    if res.status() == StatusCode::NOT_FOUND {
        l.per_ip.charge(&ip, MISS_COST, Instant::now());
    }
    res
}

/// What a public request answered 404 (an unknown link or receipt) costs its address beyond
/// the request itself: guessing tokens from one address runs at a twentieth of the
/// address's rate (with the defaults about one guess every 4 s after the first 47).
pub const MISS_COST: f64 = 20.0;

pub(crate) fn refuse(
    api: bool,
    status: StatusCode,
    code: &str,
    message: &str,
    secs: u64,
) -> Response {
    let mut res = if api {
        ApiError::new(status, code, message).into_response()
    } else {
        (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            format!(
                "<!doctype html><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
                 <link rel=\"stylesheet\" href=\"/static/app.css\"><main><h1>{message}</h1><p>{secs} s</p></main>"
            ),
        )
            .into_response()
    };
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    #[test]
    fn bucket_refuses_past_the_burst_and_refills() {
        let b = Buckets::new(Rate {
            burst: 2.0,
            per_sec: 1.0,
        });
        let t = Instant::now();
        assert!(b.take("a", t).is_ok());
        assert!(b.take("a", t).is_ok());
        assert_eq!(b.take("a", t), Err(1));
        assert!(b.take("b", t).is_ok());
        assert!(b.take("a", t + Duration::from_millis(1100)).is_ok());
    }

    /// A bucket that refills about never within a test.
    const SLOW: Rate = Rate {
        burst: 2.0,
        per_sec: 0.001,
    };

    #[test]
    fn a_flood_of_new_keys_is_bounded_and_does_not_free_a_key_that_keeps_asking() {
        let b = Buckets::with_generation(SLOW, 100);
        let t = Instant::now();
        assert!(b.take("busy", t).is_ok());
        assert!(b.take("busy", t).is_ok());
        for i in 0..10_000 {
            let _ = b.take(&format!("made-up-{i}"), t);
            assert!(b.keys() <= 200, "{} keys", b.keys());
            if i % 50 == 0 {
                assert!(b.take("busy", t).is_err(), "freed after {i} new keys");
            }
        }
    }

    #[test]
    fn a_key_is_forgotten_only_once_its_bucket_would_be_full() {
        let r = Rate {
            burst: 2.0,
            per_sec: 1.0,
        };
        let b = Buckets::new(r);
        let t = Instant::now();
        assert!(b.take("a", t).is_ok());
        assert!(b.take("a", t).is_ok());
        // Other keys come and go for a long time; "a" waits its refill, no less.
        assert!(b.take("b", t + Duration::from_millis(900)).is_ok());
        assert_eq!(b.take("a", t + Duration::from_millis(950)), Err(1));
        for s in 2..10 {
            let _ = b.take("c", t + Duration::from_secs(s));
        }
        assert!(b.keys() <= 2, "quiet keys are dropped: {}", b.keys());
        assert!(b.take("a", t + Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn a_poisoned_lock_still_limits() {
        let b = Buckets::new(SLOW);
        let t = Instant::now();
        assert!(b.take("a", t).is_ok());
        assert!(b.take("a", t).is_ok());
        std::thread::scope(|s| {
            let poisoner = s.spawn(|| {
                let _held = b.maps.lock().unwrap();
                panic!("poisoning the limiter's lock on purpose");
            });
            assert!(poisoner.join().is_err());
        });
        assert!(b.maps.is_poisoned());
        assert!(
            b.take("a", t).is_err(),
            "a poisoned limiter must not let all through"
        );
        assert!(b.take("b", t).is_ok());
    }

    /// Requests one household's report takes on the form, with room to spare: the link, the
    /// compound, building and unit steps, a member added, the submit, a submit refused for a
    /// typo and sent again, the receipt.
    const REQUESTS_PER_HOUSEHOLD: usize = 9;

    /// The evening the poster goes up, with the default limits: the demo community's 4,812
    /// households from 50 addresses (carrier NAT, ≈97 households each), all starting within
    /// ten minutes and each taking [`REQUESTS_PER_HOUSEHOLD`] requests over a minute and a
    /// half. None is refused. Then what one address and one link can take at most.
    #[test]
    fn the_defaults_let_a_community_report_in_ten_minutes_from_50_addresses() {
        let l = PublicLimits::default();
        let (ip, link) = (Buckets::new(l.per_ip), Buckets::new(l.per_token));
        let t0 = Instant::now();
        let mut rng = 0x2545_f491_4f6c_dd1d_u64;
        let mut events: Vec<(Duration, String)> = Vec::new();
        for household in 0..4812 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            // Busiest first: start times bunch up early (the square of a uniform number).
            let u = (rng % 10_000) as f64 / 10_000.0;
            let start = 510.0 * u * u;
            let address = format!("100.64.0.{}", household % 50);
            for k in 0..REQUESTS_PER_HOUSEHOLD {
                let at = Duration::from_secs_f64(start + 10.0 * k as f64);
                events.push((at, address.clone()));
            }
        }
        events.sort();
        let mut refused = 0;
        for (at, address) in &events {
            let now = t0 + *at;
            if ip
                .take(address, now)
                .and_then(|()| link.take("the-link", now))
                .is_err()
            {
                refused += 1;
            }
        }
        assert_eq!(refused, 0, "of {} requests", events.len());

        // One address sending 100 requests a second for ten minutes gets its burst and its rate.
        let ip = Buckets::new(l.per_ip);
        let passed = (0..60_000)
            .filter(|i| {
                ip.take("abuser", t0 + Duration::from_millis(10 * *i))
                    .is_ok()
            })
            .count() as f64;
        let most = l.per_ip.burst + 600.0 * l.per_ip.per_sec;
        assert!(passed <= most + 1.0, "{passed} > {most}");
        assert!(passed >= most - 5.0, "{passed}");
        // Many addresses at one link: its burst and its rate, whatever the addresses.
        let link = Buckets::new(l.per_token);
        let passed = (0..60_000)
            .filter(|i| {
                link.take("one-link", t0 + Duration::from_millis(*i))
                    .is_ok()
            })
            .count() as f64;
        let most = l.per_token.burst + 60.0 * l.per_token.per_sec;
        assert!(passed <= most + 1.0, "{passed} > {most}");
    }

    #[test]
    fn a_miss_costs_its_address_more_than_a_request() {
        let b = Buckets::new(Rate {
            burst: 100.0,
            per_sec: 0.001,
        });
        let t = Instant::now();
        let mut guesses = 0;
        while b.take("scanner", t).is_ok() {
            b.charge("scanner", MISS_COST, t);
            guesses += 1;
        }
        assert_eq!(guesses, 5, "100 tokens at 21 a guess");
        assert!(b.take("resident", t).is_ok());
    }
}
