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

/// The limits of the public report pages and endpoint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PublicLimits {
    /// Per client address. A compound of 300–500 households behind one carrier NAT must fit:
    /// every household opening the form and submitting within an hour is ~4 requests each.
    pub per_ip: Rate,
    /// Per report link: the whole community (≈4,800 households) within a few minutes.
    pub per_token: Rate,
    /// Submissions being written at once; more are refused with 503 (load shedding).
    pub max_in_flight: usize,
}

impl Default for PublicLimits {
    fn default() -> Self {
        PublicLimits {
            per_ip: Rate {
                burst: 600.0,
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
        let (tokens, answer) = if refilled >= 1.0 {
            (refilled - 1.0, Ok(()))
        } else {
            let wait = (1.0 - refilled) / rate.per_sec.max(1e-9);
            (refilled, Err(wait.ceil().max(1.0) as u64))
        };
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
    if req.method() != Method::POST && req.method() != Method::PUT {
        return next.run(req).await;
    }
    // Writes wait for the database; past the cap they are turned away at once instead of
    // queueing until every resident's request is slow.
    let Ok(_permit) = l.in_flight.clone().try_acquire_owned() else {
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
    };
    next.run(req).await
}

fn refuse(api: bool, status: StatusCode, code: &str, message: &str, secs: u64) -> Response {
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
}
