//! The writer's disk syncs, beside it instead of in its way.
//!
//! A group's `COMMIT` with `synchronous = FULL` waits for the log's sync (~4 ms on this
//! machine's disk), and while it waits the one writer can run nothing: under a testing day's
//! scans that was a seventh of the writer's time. The writer's own connection now commits with
//! `synchronous = NORMAL` (the log written, not synced), hands the group's answers to a
//! [`Syncer`], and goes on with the next group; the syncer's thread syncs the log file (one
//! `fdatasync` for every group committed meanwhile) and only then answers their callers. A write
//! is still acknowledged only once it is on the disk: the log is appended in commit order, so a
//! sync covers every group committed before it.
//!
//! A sync that fails (the disk failing or gone read-only) leaves commits that other connections
//! may already see but that may not be on the disk, and a second sync of the same file can
//! report success for pages the kernel has dropped. So a failed sync answers its groups 503 and
//! stops every later write of this process (each answered 503) until the server is restarted,
//! when SQLite's recovery reads the log as the disk has it. Nothing is acknowledged that the
//! disk did not confirm.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};

use super::writer::{Answer, Failure};

/// Syncs the log of one database and answers the callers of groups committed before each sync.
#[derive(Debug)]
pub struct Syncer {
    groups: mpsc::Sender<Vec<Answer>>,
    broken: Arc<AtomicBool>,
}

impl Syncer {
    /// A syncer of the log of the database file `db` (its `-wal` file), on a thread of its
    /// own. `None` for a database with no log file of its own to sync (in memory).
    pub fn start(db: &Path) -> Option<Syncer> {
        let name = db.to_str()?;
        if name.starts_with("file:") || name.is_empty() || name == ":memory:" {
            return None;
        }
        let log = PathBuf::from(format!("{name}-wal"));
        let (groups, rx) = mpsc::channel::<Vec<Answer>>();
        let broken = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&broken);
        std::thread::Builder::new()
            .name("doorstep-sync".into())
            .spawn(move || run(&log, &rx, &flag))
            .ok()?;
        Some(Syncer { groups, broken })
    }

    /// Whether a sync has failed: no write may be acknowledged any more.
    pub fn broken(&self) -> bool {
        self.broken.load(Ordering::Acquire)
    }

    /// What a write is told once a sync has failed.
    pub fn why_stopped(&self) -> String {
        STOPPED.into()
    }

    /// Answers `answers` (a committed group's) once the log is on the disk.
    pub fn after_sync(&self, answers: Vec<Answer>) {
        if let Err(mpsc::SendError(answers)) = self.groups.send(answers) {
            // The thread is gone (it never ends while the syncer lives): nothing can be confirmed.
            answer(answers, &Some(Failure::unavailable(STOPPED.into())));
        }
    }
}

const STOPPED: &str = "the database's log could not be synced to the disk: writes are stopped until the server is restarted";

fn run(log: &Path, groups: &mpsc::Receiver<Vec<Answer>>, broken: &AtomicBool) {
    // Opened once and kept: an error the kernel met writing the log back is reported to every
    // descriptor open at the time, so one opened after it could sync "successfully".
    let mut file: Option<File> = None;
    while let Ok(first) = groups.recv() {
        let mut waiting = vec![first];
        while let Ok(more) = groups.try_recv() {
            waiting.push(more);
        }
        let outcome = if broken.load(Ordering::Acquire) {
            Some(Failure::unavailable(STOPPED.into()))
        } else {
            match sync(log, &mut file) {
                Ok(()) => None,
                Err(e) => {
                    broken.store(true, Ordering::Release);
                    log::error!("database log sync failed, writes stopped until restart: {e}");
                    Some(Failure::unavailable(format!("{STOPPED} ({e})")))
                }
            }
        };
        for group in waiting {
            answer(group, &outcome);
        }
    }
}

fn sync(log: &Path, file: &mut Option<File>) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    // The log is the same file while the writer's connection is open (SQLite removes it only
    // when the last connection closes); a new one is opened if it ever is not.
    let now = std::fs::metadata(log)?.ino();
    let same = match file {
        Some(f) => f.metadata()?.ino() == now,
        None => false,
    };
    if !same {
        *file = Some(File::open(log)?);
    }
    file.as_ref().map_or(Ok(()), File::sync_data)
}

fn answer(group: Vec<Answer>, outcome: &Option<Failure>) {
    for a in group {
        a(outcome.clone());
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::{Receiver, channel};
    use std::time::Duration;

    use super::*;

    /// An answer that reports what it was told.
    fn told() -> (Answer, Receiver<Option<Failure>>) {
        let (tx, rx) = channel();
        let answer: Answer = Box::new(move |outcome| {
            let _ = tx.send(outcome);
        });
        (answer, rx)
    }

    fn outcome(rx: &Receiver<Option<Failure>>) -> Option<Failure> {
        rx.recv_timeout(Duration::from_secs(10))
            .expect("the syncer answers")
    }

    #[test]
    fn a_group_is_answered_once_its_log_is_synced() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("d.db");
        std::fs::write(dir.path().join("d.db-wal"), b"frames").unwrap();
        let syncer = Syncer::start(&db).expect("a file database is synced beside the writer");
        let (a, rx_a) = told();
        let (b, rx_b) = told();
        syncer.after_sync(vec![a, b]);
        assert!(outcome(&rx_a).is_none());
        assert!(outcome(&rx_b).is_none());
        assert!(!syncer.broken());
    }

    #[test]
    fn a_failed_sync_fails_its_group_and_stops_every_later_write() {
        let dir = tempfile::tempdir().unwrap();
        // No log file to sync: the sync fails as a failing disk's would.
        let syncer = Syncer::start(&dir.path().join("gone.db")).unwrap();
        let (a, rx_a) = told();
        syncer.after_sync(vec![a]);
        let why = outcome(&rx_a).expect("a failed sync is not a commit");
        assert!(why.unavailable, "answered 503, retried later: {why:?}");
        assert!(syncer.broken());
        // The log appears (the disk is back): still nothing is confirmed until a restart.
        std::fs::write(dir.path().join("gone.db-wal"), b"frames").unwrap();
        let (b, rx_b) = told();
        syncer.after_sync(vec![b]);
        assert!(outcome(&rx_b).is_some_and(|f| f.unavailable));
    }

    #[test]
    fn a_database_in_memory_has_no_log_to_sync() {
        assert!(
            Syncer::start(Path::new("file:sqlx-in-memory-1?mode=memory&cache=shared")).is_none()
        );
        assert!(Syncer::start(Path::new(":memory:")).is_none());
    }
}
