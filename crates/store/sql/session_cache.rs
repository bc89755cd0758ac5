//! Live sessions as last read, so that a request does not read its session from the database
//! each time (a sampler's scans come several a second per phone, each with its bearer token).
//!
//! The cache only ever answers "live": an entry older than [`FRESH`], or one whose end has
//! passed, is read again, and a token not found is never kept. Every change this store makes
//! to sessions or users (logout, disabling a user, a new password, a new phone) empties it in
//! the same call, after the commit, and a read that began before such a change is not kept
//! (the generation moved on meanwhile). So a logout or a disabled user through this server
//! takes effect at once; a change made by another process on the same database (the CLI,
//! another server on the same PostgreSQL) within [`FRESH`]. A touch (the idle end moved on)
//! is written through to the entry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use doorstep_store::Session;
use time::OffsetDateTime;

/// How long a session read from the database is believed without reading it again.
pub const FRESH: Duration = Duration::from_secs(2);

/// Entries kept at most before stale ones are swept (one per live token).
const SWEEP_OVER: usize = 4096;

/// The sessions of this store, by token hash.
#[derive(Debug, Clone, Default)]
pub struct SessionCache(Arc<Mutex<Inner>>);

#[derive(Debug, Default)]
struct Inner {
    /// Moves on at every change; a read that began under another generation is not kept.
    generation: u64,
    by_token: HashMap<String, (Instant, Session)>,
}

impl SessionCache {
    /// The live session of a token hash, if read within [`FRESH`] and not ended at `now`.
    pub fn get(&self, token_hash: &str, now: OffsetDateTime) -> Option<Session> {
        let inner = self.0.lock().ok()?;
        let (at, s) = inner.by_token.get(token_hash)?;
        (at.elapsed() < FRESH && s.expires_at > now && !s.user.disabled).then(|| s.clone())
    }

    /// The generation before a read from the database, for [`SessionCache::keep`].
    pub fn generation(&self) -> u64 {
        self.0.lock().map_or(u64::MAX, |i| i.generation)
    }

    /// Keeps a session read from the database when nothing changed since `generation`.
    pub fn keep(&self, token_hash: &str, generation: u64, read_at: Instant, session: &Session) {
        let Ok(mut inner) = self.0.lock() else { return };
        if inner.generation != generation {
            return;
        }
        if inner.by_token.len() >= SWEEP_OVER {
            inner.by_token.retain(|_, (at, _)| at.elapsed() < FRESH);
        }
        inner
            .by_token
            .insert(token_hash.to_string(), (read_at, session.clone()));
    }

    /// A touch written: the entry of session `id` moves its times on as the database did.
    pub fn touched(&self, id: i64, now: OffsetDateTime, expires_at: OffsetDateTime) {
        if let Ok(mut inner) = self.0.lock() {
            for (_, s) in inner.by_token.values_mut().filter(|(_, s)| s.id == id) {
                s.last_seen_at = now;
                s.expires_at = expires_at;
            }
        }
    }

    /// Forgets every session: a change to sessions or users was committed.
    pub fn clear(&self) {
        if let Ok(mut inner) = self.0.lock() {
            inner.generation += 1;
            inner.by_token.clear();
        }
    }
}
