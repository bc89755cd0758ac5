//! Abuse and overload control for the public report pages and endpoint: token buckets per
//! client address (as [`client_addr`] finds it: behind a trusted proxy the resident's, not the
//! proxy's) and per report link (429 with Retry-After), and a cap on submissions in flight (503
//! with Retry-After), so an overload is shed at the door instead of slowing every resident down
//! or failing writes that were already acknowledged.
//!
//! The buckets live in this process's memory: a restart forgets them, which only forgives.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Request, State};
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

/// Buckets by key.
struct Buckets {
    rate: Rate,
    map: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Buckets {
    fn new(rate: Rate) -> Buckets {
        Buckets {
            rate,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`, or says in how many seconds one is back.
    fn take(&self, key: &str, now: Instant) -> Result<(), u64> {
        let Ok(mut map) = self.map.lock() else {
            return Ok(());
        };
        if map.len() > 100_000 {
            // Forget the keys that have refilled: they are as good as new.
            let rate = self.rate;
            map.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate.per_sec < rate.burst
            });
        }
        let (tokens, at) = map.entry(key.to_string()).or_insert((self.rate.burst, now));
        let refilled = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate.per_sec)
            .min(self.rate.burst);
        *at = now;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            Ok(())
        } else {
            *tokens = refilled;
            let wait = (1.0 - refilled) / self.rate.per_sec.max(1e-9);
            Err(wait.ceil().max(1.0) as u64)
        }
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
fn public_token(path: &str) -> Option<&str> {
    let rest = path
        .strip_prefix("/r/")
        .or_else(|| path.strip_prefix("/api/v1/public/reports/"))?;
    Some(rest.split('/').next().unwrap_or(rest))
}

/// Middleware: limits the public report paths and passes everything else through untouched.
pub async fn limit(State(l): State<Arc<Limiter>>, req: Request, next: Next) -> Response {
    let Some(token) = public_token(req.uri().path()).map(str::to_string) else {
        return next.run(req).await;
    };
    let api = req.uri().path().starts_with("/api/");
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
    use super::*;
    use std::time::Duration;

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

    #[test]
    fn tokens_of_public_paths() {
        assert_eq!(public_token("/r/abc"), Some("abc"));
        assert_eq!(public_token("/r/abc/receipt/X"), Some("abc"));
        assert_eq!(public_token("/api/v1/public/reports/abc"), Some("abc"));
        assert_eq!(public_token("/reports"), None);
    }
}
