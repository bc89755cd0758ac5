//! Admission control of writes (issue 17, "Load and overload"): at most
//! [`WriteLimits::max_in_flight`] writes (any method but GET, HEAD and OPTIONS) run at once;
//! up to [`WriteLimits::max_queued`] more wait for a turn, each at most
//! [`WriteLimits::max_wait`]; the rest, and those whose wait runs out, are answered 503 `busy`
//! with Retry-After. Without it a write beyond the store's capacity waited without end (the
//! SQLite writer's full queue makes its callers wait; each waiting request holds a task, a
//! connection and its body), so an overload grew memory and latency for everyone instead of
//! being shed at the door.
//!
//! Exempt: reads (pages, lists, `/healthz`, so staff keep working while writes are shed);
//! logins, which have their own bound on password hashing (503 `busy`, `doorstep_app::hashing`);
//! and the public report, check-in and notice routes, which have their own limits and cap
//! ([`crate::public::limits`]). The cap is per process, like those.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::Semaphore;

use crate::context::lang_of;

/// The cap on writes (`doorstep serve --write-…`). Why the defaults: ARCHITECTURE.md, "Abuse
/// and overload".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteLimits {
    /// Writes running at once.
    pub max_in_flight: usize,
    /// Writes waiting for a turn; more are answered 503 at once.
    pub max_queued: usize,
    /// How long a write waits for a turn before it is answered 503.
    pub max_wait: Duration,
}

impl Default for WriteLimits {
    fn default() -> Self {
        WriteLimits {
            max_in_flight: 64,
            max_queued: 256,
            max_wait: Duration::from_secs(2),
        }
    }
}

/// Writes running at once on PostgreSQL by default: four fewer than the pool's connections.
pub const POSTGRES_WRITES: usize = 16;

impl WriteLimits {
    /// The defaults for a server on this database. SQLite's writes queue at its one writer,
    /// which commits up to 256 of them together (`doorstep_store_sqlite::GROUP`): a waiting
    /// write there costs a task, and more running at once fill larger groups, one disk sync
    /// each (a quiet machine's scans: ~6,100/s at 64, ~7,300/s at 256). On PostgreSQL each
    /// running write holds one of the pool's 20 connections (`doorstep_store_postgres::POOL`):
    /// [`POSTGRES_WRITES`] run at once, so that reads always find a connection. With 64, writes
    /// waited in the pool's queue and the pages' reads behind them: at 10x the saturation rate
    /// a page took 2.6 s at the median, 5.5 s at p99; with 12 of 16, 0.58 s and 1.2 s, and more
    /// writes were answered (docs/performance.md, "Overload on PostgreSQL"). 16 of 20 since:
    /// scans 3,216/s for 60 s against 2,299/s at 12 (more commits share each disk sync;
    /// "PostgreSQL: no ping per pooled statement").
    pub fn for_database(postgres: bool) -> WriteLimits {
        WriteLimits {
            max_in_flight: if postgres { POSTGRES_WRITES } else { 256 },
            ..WriteLimits::default()
        }
    }

    /// Limits so high they never bite (benchmarks measuring raw capacity).
    pub fn unlimited() -> WriteLimits {
        WriteLimits {
            max_in_flight: Semaphore::MAX_PERMITS,
            max_queued: 0,
            max_wait: Duration::ZERO,
        }
    }
}

/// The permits of one router.
pub(crate) struct Admission {
    /// Writes admitted: running or waiting (`max_in_flight + max_queued`).
    admitted: Arc<Semaphore>,
    /// Writes running.
    running: Arc<Semaphore>,
    max_wait: Duration,
}

impl Admission {
    /// The permits for `limits`.
    pub(crate) fn new(limits: WriteLimits) -> Admission {
        let running = limits.max_in_flight.clamp(1, Semaphore::MAX_PERMITS);
        let admitted = running
            .saturating_add(limits.max_queued)
            .min(Semaphore::MAX_PERMITS);
        Admission {
            admitted: Arc::new(Semaphore::new(admitted)),
            running: Arc::new(Semaphore::new(running)),
            max_wait: limits.max_wait,
        }
    }
}

/// Whether the request is a write this cap governs.
fn governed(req: &Request) -> bool {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    let path = req.uri().path();
    let exempt = path == "/login"
        || path == "/api/v1/auth/login"
        || path.starts_with("/api/v1/public/")
        || ["/r/", "/c/", "/n/"].iter().any(|p| path.starts_with(p));
    !exempt
}

/// Middleware of the whole router: admits a write, makes it wait its turn (bounded), or answers
/// 503 `busy` with Retry-After 1.
pub(crate) async fn admit(State(a): State<Arc<Admission>>, req: Request, next: Next) -> Response {
    if !governed(&req) {
        return next.run(req).await;
    }
    let Ok(_admitted) = a.admitted.clone().try_acquire_owned() else {
        return busy(&req);
    };
    let running = match a.running.clone().try_acquire_owned() {
        Ok(p) => p,
        Err(_) => match tokio::time::timeout(a.max_wait, a.running.clone().acquire_owned()).await {
            Ok(Ok(p)) => p,
            // Timed out (or the semaphore closed, which it never is).
            _ => return busy(&req),
        },
    };
    let res = next.run(req).await;
    drop(running);
    res
}

/// The refusal, as JSON under `/api`, as a page elsewhere.
fn busy(req: &Request) -> Response {
    let lang = lang_of(req.headers());
    crate::public::limits::refuse(
        req.uri().path().starts_with("/api/"),
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        lang.pick(
            "系统繁忙，请稍后再提交，您填写的内容不会丢失",
            "the system is busy; submit again in a moment, nothing you typed is lost",
        ),
        1,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::body::Body;

    fn req(method: Method, path: &str) -> Request {
        Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap()
    }

    #[test]
    fn only_staff_writes_are_governed() {
        assert!(governed(&req(Method::POST, "/api/v1/rounds/1/scans")));
        assert!(governed(&req(Method::PUT, "/api/v1/tasks/3")));
        assert!(governed(&req(Method::POST, "/persons/4/edit")));
        assert!(!governed(&req(Method::GET, "/api/v1/persons")));
        assert!(!governed(&req(Method::GET, "/healthz")));
        assert!(!governed(&req(Method::POST, "/api/v1/auth/login")));
        assert!(!governed(&req(Method::POST, "/login")));
        assert!(!governed(&req(Method::POST, "/api/v1/public/reports/t")));
        assert!(!governed(&req(Method::POST, "/r/t")));
        assert!(!governed(&req(Method::POST, "/c/t")));
    }

    #[test]
    fn the_unlimited_cap_fits_a_semaphore() {
        let a = Admission::new(WriteLimits::unlimited());
        assert_eq!(a.running.available_permits(), Semaphore::MAX_PERMITS);
        let a = Admission::new(WriteLimits {
            max_in_flight: 2,
            max_queued: 3,
            max_wait: Duration::ZERO,
        });
        assert_eq!(a.admitted.available_permits(), 5);
    }
}
