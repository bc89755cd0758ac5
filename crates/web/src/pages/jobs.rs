//! The roster imports of this server process: at most [`MAX_RUNNING`] at once (each holds an
//! upload of up to 64 MiB on disk and a database writer), and each finished one kept with its
//! rejected rows' file for [`KEEP_FINISHED`], then forgotten and its folder deleted. Expired
//! jobs are swept whenever a job starts or a job page is visited, so nothing runs in the
//! background to do it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use doorstep_app::import::{ImportReport, RowError};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Imports running (or uploading) at once; another is answered 503 with Retry-After.
pub const MAX_RUNNING: usize = 2;

/// How long a finished import's page and rejected rows stay.
pub const KEEP_FINISHED: Duration = Duration::from_secs(60 * 60);

/// Errors a finished job keeps for its page; the rest are only counted.
pub const ERRORS_SHOWN: usize = 200;

/// One import, running or finished.
pub struct ImportJob {
    /// The user who started it: only they see it.
    pub owner: i64,
    /// Where it imports to.
    pub area: String,
    /// Rows read so far.
    pub rows: u64,
    /// How far, 0–100.
    pub percent: u64,
    /// The outcome once finished: the counts and the first [`ERRORS_SHOWN`] errors, or why it
    /// failed.
    pub outcome: Option<Result<ImportReport, String>>,
    /// Errors beyond those kept.
    pub more_errors: usize,
    /// The rejected rows' workbook, when there are any.
    pub rejects: Option<PathBuf>,
    /// When it finished.
    finished_at: Option<Instant>,
    /// The job's folder (upload and rejected rows): deleted when the job is dropped.
    _dir: tempfile::TempDir,
}

impl ImportJob {
    /// A job just started, its files in `dir`.
    pub fn new(owner: i64, area: String, dir: tempfile::TempDir) -> ImportJob {
        ImportJob {
            owner,
            area,
            rows: 0,
            percent: 0,
            outcome: None,
            more_errors: 0,
            rejects: None,
            finished_at: None,
            _dir: dir,
        }
    }

    /// The errors a finished job shows (at most [`ERRORS_SHOWN`]).
    pub fn errors(&self) -> &[RowError] {
        match &self.outcome {
            Some(Ok(r)) => &r.errors,
            _ => &[],
        }
    }
}

/// The jobs of this process, by id, and the slots imports run in.
pub struct Jobs {
    all: Mutex<HashMap<String, ImportJob>>,
    slots: Arc<Semaphore>,
    keep: Duration,
}

impl Default for Jobs {
    fn default() -> Jobs {
        Jobs::new(MAX_RUNNING, KEEP_FINISHED)
    }
}

impl Jobs {
    /// At most `running` imports at once, finished ones kept for `keep`.
    pub fn new(running: usize, keep: Duration) -> Jobs {
        Jobs {
            all: Mutex::new(HashMap::new()),
            slots: Arc::new(Semaphore::new(running)),
            keep,
        }
    }

    /// The table; a panic while it was held left nothing half-written that matters here.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ImportJob>> {
        self.all.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A slot for one import, from its upload to its end (dropping it frees the slot), or
    /// `None` when all are taken.
    pub fn slot(&self) -> Option<OwnedSemaphorePermit> {
        self.slots.clone().try_acquire_owned().ok()
    }

    /// Adds a started job.
    pub fn insert(&self, id: String, job: ImportJob) {
        self.lock().insert(id, job);
    }

    /// Updates a running job's progress.
    pub fn progress(&self, id: &str, rows: u64, percent: u64) {
        if let Some(j) = self.lock().get_mut(id) {
            (j.rows, j.percent) = (rows, percent.min(100));
        }
    }

    /// Records a job's outcome, keeping only the errors its page shows.
    pub fn finish(
        &self,
        id: &str,
        outcome: Result<ImportReport, String>,
        rejects: Option<PathBuf>,
        now: Instant,
    ) {
        let mut outcome = outcome;
        let mut more = 0;
        if let Ok(r) = &mut outcome {
            more = r.errors.len().saturating_sub(ERRORS_SHOWN);
            r.errors.truncate(ERRORS_SHOWN);
            r.errors.shrink_to_fit();
        }
        if let Some(j) = self.lock().get_mut(id) {
            j.percent = 100;
            j.outcome = Some(outcome);
            j.more_errors = more;
            j.rejects = rejects;
            j.finished_at = Some(now);
        }
    }

    /// `f` of the job `id` if `owner` started it.
    pub fn with_own<R>(&self, id: &str, owner: i64, f: impl FnOnce(&ImportJob) -> R) -> Option<R> {
        self.lock().get(id).filter(|j| j.owner == owner).map(f)
    }

    /// Takes out the jobs finished at least the keeping time before `now` (running ones never
    /// expire). Dropping what it returns deletes their folders.
    pub fn sweep(&self, now: Instant) -> Vec<ImportJob> {
        let mut all = self.lock();
        let expired: Vec<String> = all
            .iter()
            .filter(|(_, j)| {
                j.finished_at
                    .is_some_and(|at| now.saturating_duration_since(at) >= self.keep)
            })
            .map(|(id, _)| id.clone())
            .collect();
        expired.iter().filter_map(|id| all.remove(id)).collect()
    }

    /// Sweeps expired jobs now, deleting their folders on a blocking thread.
    pub fn expire(&self) {
        let expired = self.sweep(Instant::now());
        if !expired.is_empty() {
            tokio::task::spawn_blocking(move || drop(expired));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn job(owner: i64) -> (ImportJob, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rejects.xlsx");
        std::fs::write(&file, b"rows").unwrap();
        (ImportJob::new(owner, "区/街/社区".into(), dir), file)
    }

    #[test]
    fn a_third_import_waits_for_a_slot() {
        let jobs = Jobs::default();
        let first = jobs.slot().unwrap();
        let _second = jobs.slot().unwrap();
        assert!(jobs.slot().is_none());
        drop(first);
        assert!(jobs.slot().is_some());
    }

    #[test]
    fn finished_jobs_go_after_an_hour_with_their_files_running_ones_stay() {
        let jobs = Jobs::default();
        let t = Instant::now();
        let (old, old_file) = job(1);
        let (recent, recent_file) = job(1);
        let (running, running_file) = job(1);
        jobs.insert("old".into(), old);
        jobs.insert("recent".into(), recent);
        jobs.insert("running".into(), running);
        jobs.finish("old", Err("failed".into()), Some(old_file.clone()), t);
        let later = t + Duration::from_secs(30 * 60);
        jobs.finish("recent", Ok(ImportReport::default()), None, later);

        assert!(jobs.sweep(t + Duration::from_secs(59 * 60)).is_empty());
        let gone = jobs.sweep(t + KEEP_FINISHED);
        assert_eq!(gone.len(), 1);
        assert!(old_file.exists(), "deleted when dropped, off the lock");
        drop(gone);
        assert!(!old_file.exists());
        assert!(jobs.with_own("old", 1, |_| ()).is_none());
        assert!(jobs.with_own("recent", 1, |_| ()).is_some());

        // Days later the running one is still there; the recent one has gone.
        let gone = jobs.sweep(t + Duration::from_secs(3 * 24 * 3600));
        assert_eq!(gone.len(), 1);
        drop(gone);
        assert!(!recent_file.exists());
        assert!(running_file.exists());
        assert!(
            jobs.with_own("running", 1, |j| j.outcome.is_none())
                .unwrap()
        );
        assert!(jobs.with_own("running", 2, |_| ()).is_none(), "not theirs");
    }

    #[test]
    fn a_finished_job_keeps_only_the_errors_its_page_shows() {
        let jobs = Jobs::default();
        let (j, _) = job(1);
        jobs.insert("j".into(), j);
        let error = RowError {
            row: 2,
            column: "身份证号".into(),
            code: "id_checksum".into(),
            message: "校验位错误".into(),
        };
        let report = ImportReport {
            errors: vec![error; ERRORS_SHOWN + 50],
            ..Default::default()
        };
        jobs.finish("j", Ok(report), None, Instant::now());
        let (kept, more) = jobs
            .with_own("j", 1, |j| (j.errors().len(), j.more_errors))
            .unwrap();
        assert_eq!((kept, more), (ERRORS_SHOWN, 50));
    }
}
