//! The bound on password hashing: at most one argon2 hash per core at once.
//!
//! Each argon2id hash holds ~19 MiB for its whole run. Unbounded, every login in a flood got its
//! own blocking thread and its own 19 MiB (64 at once took the server past a gigabyte), and no
//! account is needed to send logins. With a permit per core, memory stays flat and throughput
//! is what the cores give anyway; a login that cannot get a permit soon is turned away
//! (`AppError::Busy`, 503) instead of queueing without end.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult, retry_secs};

/// How long a hash waits for a permit before the request is turned away.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(2);

/// Permits for hashing, and counts of hashes running.
#[derive(Debug)]
pub struct Hashing {
    permits: Arc<Semaphore>,
    size: usize,
    wait: Duration,
    counts: Arc<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    running: AtomicUsize,
    peak: AtomicUsize,
}

/// Held by a running hash; it counts the hash as running until dropped.
struct Running {
    counts: Arc<Counts>,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.counts.running.fetch_sub(1, Ordering::SeqCst);
    }
}

static GLOBAL: LazyLock<Arc<Hashing>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    Arc::new(Hashing::new(cores, DEFAULT_WAIT))
});

impl Hashing {
    /// At most `permits` hashes at once (at least one); a hash waits at most `wait` for a permit.
    pub fn new(permits: usize, wait: Duration) -> Hashing {
        let size = permits.max(1);
        Hashing {
            permits: Arc::new(Semaphore::new(size)),
            size,
            wait,
            counts: Arc::default(),
        }
    }

    /// The process's one bound, a permit per core: logins, user creation and password changes
    /// all hash through it.
    pub fn global() -> Arc<Hashing> {
        GLOBAL.clone()
    }

    /// How many hashes may run at once.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The most hashes that ran at once so far (for tests and measurements).
    pub fn peak(&self) -> usize {
        self.counts.peak.load(Ordering::SeqCst)
    }

    /// Runs `work` on a blocking thread once a permit is free; `Busy` when none is free within
    /// the wait.
    pub async fn run<T, F>(&self, work: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| AppError::Busy(retry_secs(self.wait)))?
            .map_err(|_| AppError::Busy(retry_secs(self.wait)))?;
        let now = self.counts.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.counts.peak.fetch_max(now, Ordering::SeqCst);
        let running = Running {
            counts: self.counts.clone(),
            _permit: permit,
        };
        // The permit moves into the blocking task: a client that hangs up does not free it
        // while the hash still runs.
        tokio::task::spawn_blocking(move || {
            let _running = running;
            work()
        })
        .await
        .map_err(AppError::from)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn never_more_than_the_permits_and_the_rest_turned_away() {
        let h = Arc::new(Hashing::new(2, Duration::from_millis(50)));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let h = h.clone();
                tokio::spawn(async move {
                    h.run(|| std::thread::sleep(Duration::from_millis(200)))
                        .await
                })
            })
            .collect();
        let mut busy = 0;
        for t in tasks {
            if matches!(t.await.unwrap(), Err(AppError::Busy(_))) {
                busy += 1;
            }
        }
        assert_eq!(h.peak(), 2);
        assert_eq!(busy, 10);
        assert_eq!(h.size(), 2);
    }
}
