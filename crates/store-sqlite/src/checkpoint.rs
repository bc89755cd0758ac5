//! The WAL checkpoint, off the writer's path.
//!
//! SQLite copies the write-ahead log back into the database file (a checkpoint) when a commit
//! leaves the log at 1,000 pages or more (its default), on the committing connection, before the commit
//! returns: with one writer, every caller of the group waited for it, and so did the next group.
//! The writer's connection instead tells a [`Checkpointer`] (SQLite's WAL hook) how long the log
//! is after each commit, and the checkpointer, past [`PAGES`] (more than SQLite's 1,000), runs a passive
//! checkpoint on a connection of its own on a blocking thread while the writer goes on. A
//! passive checkpoint never waits for a lock and never blocks the writer or readers; what it
//! cannot copy now (pages a reader still needs) the next one copies. An acknowledged write is in
//! the log already, whatever the checkpoint does (`synchronous = FULL`: the log is synced at
//! each commit, so durable against a power cut as well as a killed process).

use std::ffi::{c_char, c_int, c_void};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

/// Log pages past which a checkpoint runs (80 MiB of 4 KiB pages; SQLite's own default,
/// `wal_autocheckpoint`, is 1,000). A testing day's scans write a few pages each at random
/// places of `samples`' indexes and the hot pages of `tubes` and `round_counts` again and
/// again; a checkpoint copies each page once, its last version, so fewer, larger checkpoints
/// copy far fewer pages: the server's CPU a scan fell from ~283 to ~250 µs (docs/performance.md).
pub const PAGES: i32 = 20_000;

/// What the writer's WAL hook and the checkpoint thread share.
#[derive(Debug)]
pub struct Checkpointer {
    target: PathBuf,
    /// Pages in the log after the last commit (set by the hook).
    pages: AtomicI32,
    /// A checkpoint is running.
    running: AtomicBool,
    /// The checkpoint's own connection, opened on first use.
    conn: Mutex<Option<Connection>>,
}

impl Checkpointer {
    /// A checkpointer of the database at `target` (as [`crate::read::Readers`] opens it).
    pub fn new(target: PathBuf) -> Arc<Checkpointer> {
        Arc::new(Checkpointer {
            target,
            pages: AtomicI32::new(0),
            running: AtomicBool::new(false),
            conn: Mutex::new(None),
        })
    }

    /// After a commit: starts a checkpoint on a blocking thread if the log has grown past
    /// [`PAGES`] and none is running.
    pub fn after_commit(self: &Arc<Self>) {
        if self.pages.load(Ordering::Relaxed) < PAGES || self.running.swap(true, Ordering::AcqRel) {
            return;
        }
        let me = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            if let Err(e) = me.run() {
                log::warn!("WAL checkpoint failed: {e}");
            }
            me.running.store(false, Ordering::Release);
        });
    }

    fn run(&self) -> rusqlite::Result<()> {
        let mut conn = match self.conn.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        let db = match &mut *conn {
            Some(db) => db,
            none => none.insert(crate::read::open(&self.target, false)?),
        };
        // (busy, log pages, pages copied): a busy answer is normal under load.
        db.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
    }
}

/// The type of [`wal_hook`], as `sqlite3_wal_hook` takes it.
pub type WalHook =
    unsafe extern "C" fn(*mut c_void, *mut rusqlite::ffi::sqlite3, *const c_char, c_int) -> c_int;

/// SQLite's WAL hook on the writer's connection: notes the log's length. Called on whichever
/// thread commits, after the commit.
pub extern "C" fn wal_hook(
    arg: *mut c_void,
    _db: *mut rusqlite::ffi::sqlite3,
    _name: *const c_char,
    pages: c_int,
) -> c_int {
    // SAFETY: `arg` is the `Checkpointer` the writer registered with this hook, kept alive by
    // the writer until it has taken the hook off again.
    #[allow(unsafe_code)]
    let me = unsafe { &*arg.cast::<Checkpointer>() };
    me.pages.store(pages, Ordering::Relaxed);
    rusqlite::ffi::SQLITE_OK
}
