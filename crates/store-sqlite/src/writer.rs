//! SQLite's one writer: every write transaction of the store runs on one connection, in the
//! order it was asked for, several per `BEGIN IMMEDIATE … COMMIT` (group commit).
//!
//! SQLite lets one transaction write at a time. With each writer on its own pooled connection
//! they raced for the lock and slept in the busy handler; here they queue (a bounded queue: a
//! full one makes callers wait, never grows without end), and whatever has queued while the
//! last group committed goes into the next group. Each job runs inside a savepoint, so a job
//! that fails is rolled back alone and the rest of its group commits; every caller is answered
//! only after the group's `COMMIT` (a failed commit fails every job of the group). A bulk load
//! takes a [`Lease`]: the writer stands still while it holds its own write transaction.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use doorstep_store::{StoreError, StoreResult};
use sqlx::{Connection, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use crate::checkpoint::{self, Checkpointer};
use crate::sql::util::db_err;
use crate::sync::Syncer;

/// Jobs waiting for the writer; callers wait when it is full.
const QUEUE: usize = 1024;
/// Jobs committed together at most. Each group's callers wait for one disk sync (~4 ms here),
/// which the [`Syncer`] runs beside the writer: larger groups share a sync among more callers
/// and write a page the group's jobs all change once (a quiet machine, 192 connections: ~5,600
/// scans/s at 64 a group, ~7,100/s at 256, when the writer itself still waited for the sync).
/// The admission cap lets as many run on SQLite (`doorstep_web::WriteLimits::for_database`).
pub const GROUP: usize = 256;

/// A write job's future, borrowing the writer's connection.
pub type JobFuture<'c, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'c>>;

/// A job as the writer runs it: whether it succeeded, and how to answer its caller once the
/// commit is known.
type Run = Box<
    dyn for<'c> FnOnce(
            &'c mut SqliteConnection,
        ) -> Pin<Box<dyn Future<Output = (bool, Answer)> + Send + 'c>>
        + Send,
>;

/// A job written straight against SQLite's C API (through rusqlite, on the writer's own
/// connection): it runs on the writer's task, each statement without a trip to sqlx's worker
/// thread, with the statements it prepares kept for the next job.
pub type RawJob<T> = Box<dyn FnOnce(&rusqlite::Connection) -> StoreResult<T> + Send>;

/// A raw job as the writer runs it.
type RawRun = Box<dyn FnOnce(&rusqlite::Connection) -> (bool, Answer) + Send>;

/// How a job runs.
enum Work {
    /// Through sqlx, in a savepoint of its own unless `single`.
    Sqlx {
        run: Run,
        /// The job's only write is one statement, which SQLite rolls back by itself when it
        /// fails: it needs no savepoint of its own.
        single: bool,
    },
    /// Through rusqlite, in a savepoint of its own taken on the same thread.
    Raw(RawRun),
}

/// What the writer runs: a job that answers its caller once told how the commit went.
struct Step {
    work: Work,
    /// Answers the caller without running (the group could not start).
    fail: Answer,
}

/// Answers a caller: `None` when the group committed, else why it did not.
pub(crate) type Answer = Box<dyn FnOnce(Option<Failure>) + Send>;

/// Why a group's writes did not happen, as each of its callers is told: SQLite's reason, and
/// whether the disk or the lock was out of reach (the caller answers 503 and may retry) rather
/// than the write being wrong.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    why: String,
    pub(crate) unavailable: bool,
}

impl Failure {
    /// A failure of the writer itself, not of the database.
    fn new(why: impl Into<String>) -> Failure {
        Failure {
            why: why.into(),
            unavailable: false,
        }
    }

    /// The database out of reach: the caller answers 503.
    pub(crate) fn unavailable(why: String) -> Failure {
        Failure {
            why,
            unavailable: true,
        }
    }

    /// `context: e`, unavailable when the store would call `e` so.
    fn of(context: &str, e: impl std::fmt::Display, as_store: StoreError) -> Failure {
        Failure {
            why: format!("{context}: {e}"),
            unavailable: matches!(as_store, StoreError::Unavailable(_)),
        }
    }

    fn sqlx(context: &str, e: sqlx::Error) -> Failure {
        let why = e.to_string();
        Failure::of(context, why, db_err(e))
    }

    fn sqlite(context: &str, e: rusqlite::Error) -> Failure {
        let why = e.to_string();
        Failure::of(context, why, crate::rusqlite_err(e))
    }

    /// The same failure, said of a larger step.
    fn within(self, context: &str) -> Failure {
        Failure {
            why: format!("{context}: {}", self.why),
            ..self
        }
    }

    fn into_error(self) -> StoreError {
        if self.unavailable {
            StoreError::Unavailable(self.why.into())
        } else {
            StoreError::Other(self.why.into())
        }
    }
}

enum Msg {
    Step(Step),
    /// A bulk load's turn: the writer says when it is idle, then waits for the lease to end.
    Lease(oneshot::Sender<()>, oneshot::Receiver<()>),
}

/// The handle every write goes through.
#[derive(Debug, Clone)]
pub struct Writer {
    queue: mpsc::Sender<Msg>,
}

/// A bulk load's hold on the writer: no job runs until it is dropped.
#[derive(Debug)]
pub struct Lease {
    _done: oneshot::Sender<()>,
}

impl Writer {
    /// Starts the writer on a connection of its own, committing at most `group` jobs together.
    pub async fn start(pool: &sqlx::SqlitePool, group: usize) -> StoreResult<Writer> {
        let mut conn = pool.acquire().await.map_err(db_err)?.detach();
        grow_in_chunks(&mut conn).await?;
        let target = crate::read::target_of(pool);
        let checkpoints = Checkpointer::new(target.clone());
        checkpoint_elsewhere(&mut conn, Some(&checkpoints)).await?;
        let syncer = sync_beside(&mut conn, &target).await?;
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(serve(conn, rx, group.max(1), checkpoints, syncer));
        Ok(Writer { queue })
    }

    /// Runs `job` in a write transaction (with other jobs, each in its own savepoint) and
    /// answers once that transaction has committed.
    pub async fn run<T, F>(&self, job: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> JobFuture<'c, T> + Send + 'static,
    {
        self.queue_job(job, false).await
    }

    /// Runs `job`, whose only write is one statement (it may read after it), in a write
    /// transaction with other jobs but without a savepoint: a failing statement is rolled
    /// back by SQLite alone, so the job has written nothing, and the SAVEPOINT and RELEASE
    /// (two of a self-report's three statements) are saved. Answers after the commit.
    pub async fn run_single<T, F>(&self, job: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> JobFuture<'c, T> + Send + 'static,
    {
        self.queue_job(job, true).await
    }

    async fn queue_job<T, F>(&self, job: F, single: bool) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> JobFuture<'c, T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<StoreResult<T>>();
        let tx = Arc::new(Mutex::new(Some(tx)));
        let answer_tx = tx.clone();
        let step = Step {
            work: Work::Sqlx {
                single,
                run: Box::new(move |conn| {
                    Box::pin(async move {
                        let out = job(conn).await;
                        let ok = out.is_ok();
                        (ok, answer_after_commit(out, answer_tx))
                    })
                }),
            },
            fail: answer_failed(tx),
        };
        self.send(step, rx).await
    }

    /// Runs `job` on the writer's own connection through rusqlite, in a savepoint of its own
    /// inside a group's transaction, and answers once that transaction has committed. For the
    /// busiest writes (a sample scan: five statements), where sqlx's trip to its worker thread
    /// per statement would cost more than the statements themselves.
    pub async fn run_raw<T>(&self, job: RawJob<T>) -> StoreResult<T>
    where
        T: Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<StoreResult<T>>();
        let tx = Arc::new(Mutex::new(Some(tx)));
        let answer_tx = tx.clone();
        let step = Step {
            work: Work::Raw(Box::new(move |db| {
                let out = job(db);
                let ok = out.is_ok();
                (ok, answer_after_commit(out, answer_tx))
            })),
            fail: answer_failed(tx),
        };
        self.send(step, rx).await
    }

    async fn send<T>(&self, step: Step, rx: oneshot::Receiver<StoreResult<T>>) -> StoreResult<T> {
        self.queue
            .send(Msg::Step(step))
            .await
            .map_err(|_| StoreError::Other("the writer has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Other("the writer dropped a write".into()))?
    }

    /// Waits until the writer is idle and holds it there until the lease is dropped.
    pub async fn lease(&self) -> StoreResult<Lease> {
        let (granted, on_grant) = oneshot::channel();
        let (done, on_done) = oneshot::channel();
        self.queue
            .send(Msg::Lease(granted, on_done))
            .await
            .map_err(|_| StoreError::Other("the writer has stopped".into()))?;
        on_grant
            .await
            .map_err(|_| StoreError::Other("the writer has stopped".into()))?;
        Ok(Lease { _done: done })
    }
}

/// The database file grows by this much at a time (when the writer's checkpoints copy new
/// pages into it). Every reader maps the file into memory (`mmap_size`) and maps it again
/// whenever its size has changed: grown page by page during a testing day, that was an
/// unmap and a run of page faults on nearly every read.
const CHUNK_BYTES: std::ffi::c_int = 32 << 20;

async fn grow_in_chunks(conn: &mut SqliteConnection) -> StoreResult<()> {
    let mut handle = conn.lock_handle().await.map_err(db_err)?;
    let db = handle.as_raw_handle().as_ptr();
    let mut bytes = CHUNK_BYTES;
    // SAFETY: `db` is the open connection behind `conn`, held from sqlx's worker by `handle`
    // for the call; the call reads the size from `bytes`, which outlives it.
    #[allow(unsafe_code)]
    let rc = unsafe {
        rusqlite::ffi::sqlite3_file_control(
            db.cast(),
            c"main".as_ptr(),
            rusqlite::ffi::SQLITE_FCNTL_CHUNK_SIZE,
            (&raw mut bytes).cast(),
        )
    };
    // An in-memory database has no file to grow (SQLITE_NOTFOUND).
    if rc != rusqlite::ffi::SQLITE_OK && rc != rusqlite::ffi::SQLITE_NOTFOUND {
        return Err(StoreError::Other(
            format!("cannot set the database's growth step (SQLite code {rc})").into(),
        ));
    }
    Ok(())
}

/// When the database syncs every commit (`synchronous = FULL`, [`crate::Durability::Disk`]) and
/// is a file: the writer's connection commits without the sync and a [`Syncer`] syncs the log
/// beside it, answering each group's callers after the sync (`sync.rs`).
async fn sync_beside(conn: &mut SqliteConnection, target: &Path) -> StoreResult<Option<Syncer>> {
    let level: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
    // 2 = FULL, 3 = EXTRA; NORMAL (1) is a throwaway database's: nothing to sync.
    if level < 2 {
        return Ok(None);
    }
    let Some(syncer) = Syncer::start(target) else {
        return Ok(None);
    };
    exec(conn, "PRAGMA synchronous = NORMAL")
        .await
        .map_err(db_err)?;
    Ok(Some(syncer))
}

/// Hands the checkpoints after this connection's commits to `to` (SQLite's WAL hook; see
/// `checkpoint.rs`), or with `None` takes the hook off again (before `to` is dropped).
async fn checkpoint_elsewhere(
    conn: &mut SqliteConnection,
    to: Option<&Arc<Checkpointer>>,
) -> StoreResult<()> {
    let mut handle = conn.lock_handle().await.map_err(db_err)?;
    let db = handle.as_raw_handle().as_ptr();
    let (hook, arg) = match to {
        Some(c) => (
            Some(checkpoint::wal_hook as checkpoint::WalHook),
            Arc::as_ptr(c).cast_mut().cast(),
        ),
        None => (None, std::ptr::null_mut()),
    };
    // SAFETY: `db` is the open connection behind `conn`, held from sqlx's worker by `handle`
    // for the call. `arg` points to the `Checkpointer`, which the writer keeps (`serve`) until
    // it has called this again with `None`, so the hook never sees it dropped.
    #[allow(unsafe_code)]
    unsafe {
        rusqlite::ffi::sqlite3_wal_hook(db.cast(), hook, arg);
    }
    Ok(())
}

/// A caller's answer slot, taken by whichever answers first.
type Slot<T> = Arc<Mutex<Option<oneshot::Sender<StoreResult<T>>>>>;

/// Answers a job's caller once the commit is known: its own result if the group committed.
fn answer_after_commit<T: Send + 'static>(out: StoreResult<T>, tx: Slot<T>) -> Answer {
    Box::new(move |commit_failed: Option<Failure>| {
        let out = match (out, commit_failed) {
            (Ok(v), None) => Ok(v),
            (Ok(_), Some(why)) => Err(why.into_error()),
            (Err(e), _) => Err(e),
        };
        if let Some(tx) = tx.lock().ok().and_then(|mut t| t.take()) {
            let _ = tx.send(out);
        }
    })
}

/// Answers a job's caller that it did not run.
fn answer_failed<T: Send + 'static>(tx: Slot<T>) -> Answer {
    Box::new(move |why: Option<Failure>| {
        if let Some(tx) = tx.lock().ok().and_then(|mut t| t.take()) {
            let why = why.unwrap_or_else(|| Failure::new("the write did not run"));
            let _ = tx.send(Err(why.into_error()));
        }
    })
}

async fn serve(
    mut conn: SqliteConnection,
    mut rx: mpsc::Receiver<Msg>,
    group: usize,
    checkpoints: Arc<Checkpointer>,
    syncer: Option<Syncer>,
) {
    let mut raw: Option<rusqlite::Connection> = None;
    let mut next: Option<Msg> = None;
    loop {
        let first = match next.take() {
            Some(m) => m,
            None => match rx.recv().await {
                Some(m) => m,
                None => break,
            },
        };
        let first = match first {
            Msg::Lease(granted, done) => {
                if granted.send(()).is_ok() {
                    let _ = done.await;
                }
                continue;
            }
            Msg::Step(s) => s,
        };
        let mut steps = vec![first];
        while steps.len() < group {
            match rx.try_recv() {
                Ok(Msg::Step(s)) => steps.push(s),
                Ok(lease) => {
                    next = Some(lease);
                    break;
                }
                Err(_) => break,
            }
        }
        if let Some(s) = syncer.as_ref().filter(|s| s.broken()) {
            let why = Failure::unavailable(s.why_stopped());
            for step in steps {
                (step.fail)(Some(why.clone()));
            }
            continue;
        }
        run_group(&mut conn, &mut raw, steps, syncer.as_ref()).await;
        checkpoints.after_commit();
    }
    // The raw view first: it finalizes its statements, then the connection closes.
    drop(raw);
    let _ = checkpoint_elsewhere(&mut conn, None).await;
    drop(checkpoints);
    let _ = conn.close().await;
}

/// Runs one group in one transaction and answers every job after the commit.
async fn run_group(
    conn: &mut SqliteConnection,
    raw: &mut Option<rusqlite::Connection>,
    steps: Vec<Step>,
    syncer: Option<&Syncer>,
) {
    if steps.iter().all(|s| matches!(s.work, Work::Raw(_))) {
        return run_raw_group(conn, raw, steps, syncer).await;
    }
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE").await {
        let why = Failure::sqlx("cannot start a write", e);
        for s in steps {
            (s.fail)(Some(why.clone()));
        }
        return;
    }
    let mut answers: Vec<Answer> = Vec::with_capacity(steps.len());
    let mut broken: Option<Failure> = None;
    let mut steps = steps.into_iter().peekable();
    while let Some(step) = steps.next() {
        let done = match step.work {
            Work::Sqlx { run, single: true } => {
                // Rolled back by SQLite itself if it failed; nothing to end.
                let (_, answer) = run(conn).await;
                answers.push(answer);
                Ok(())
            }
            Work::Sqlx { run, single: false } => {
                if let Err(e) = exec(conn, "SAVEPOINT job").await {
                    broken = Some(Failure::sqlx("cannot start a write", e));
                    (step.fail)(broken.clone());
                    break;
                }
                let (ok, answer) = run(conn).await;
                answers.push(answer);
                if ok {
                    exec(conn, "RELEASE job").await
                } else {
                    match exec(conn, "ROLLBACK TO job").await {
                        Ok(()) => exec(conn, "RELEASE job").await,
                        Err(e) => Err(e),
                    }
                }
                .map_err(|e| Failure::sqlx("a savepoint could not be ended", e))
            }
            Work::Raw(run) => {
                // This raw job and the raw jobs right after it, on one hold of the handle.
                let mut batch = vec![(run, step.fail)];
                while let Some(Step {
                    work: Work::Raw(_), ..
                }) = steps.peek()
                {
                    if let Some(Step {
                        work: Work::Raw(run),
                        fail,
                    }) = steps.next()
                    {
                        batch.push((run, fail));
                    }
                }
                run_raw(conn, raw, batch, &mut answers).await
            }
        };
        if let Err(e) = done {
            broken = Some(e.within("a write failed"));
            break;
        }
    }
    // Jobs never started, after a broken savepoint.
    for step in steps {
        (step.fail)(broken.clone());
    }
    let outcome = match broken {
        Some(why) => {
            let _ = exec(conn, "ROLLBACK").await;
            Some(why)
        }
        None => match exec(conn, "COMMIT").await {
            Ok(()) => None,
            Err(e) => {
                let _ = exec(conn, "ROLLBACK").await;
                Some(Failure::sqlx("the write could not be committed", e))
            }
        },
    };
    answer_group(answers, outcome, syncer);
}

/// Answers a group's callers: after the log's sync if it committed and a [`Syncer`] syncs it,
/// else now.
fn answer_group(answers: Vec<Answer>, outcome: Option<Failure>, syncer: Option<&Syncer>) {
    match (outcome, syncer) {
        (None, Some(s)) => s.after_sync(answers),
        (outcome, _) => {
            for answer in answers {
                answer(outcome.clone());
            }
        }
    }
}

/// Runs raw jobs one after another, each in a savepoint, on the writer's connection held from
/// sqlx's worker meanwhile. A savepoint that cannot be taken or ended breaks the group: the
/// answers of its job and of those after it then say the group failed.
async fn run_raw(
    conn: &mut SqliteConnection,
    raw: &mut Option<rusqlite::Connection>,
    batch: Vec<(RawRun, Answer)>,
    answers: &mut Vec<Answer>,
) -> Result<(), Failure> {
    let batch = batch.into_iter();
    let broke = |why: Failure, rest: std::vec::IntoIter<(RawRun, Answer)>| {
        for (_, fail) in rest {
            fail(Some(why.clone()));
        }
        Err(why)
    };
    let mut handle = match conn.lock_handle().await {
        Ok(h) => h,
        Err(e) => return broke(Failure::sqlx("cannot reach the connection", e), batch),
    };
    let db = match view(&mut handle, raw) {
        Ok(db) => db,
        Err(why) => return broke(why, batch),
    };
    jobs(db, batch, answers)?;
    drop(handle);
    Ok(())
}

/// A group of raw jobs alone (a run of scans): its `BEGIN IMMEDIATE`, jobs and `COMMIT` on one
/// hold of the handle, one trip to sqlx's worker thread for the group instead of three. The
/// begin waits for no lock on this thread: if another connection holds the write lock (a
/// command on the same file), it is taken again through sqlx, which waits on its own thread.
async fn run_raw_group(
    conn: &mut SqliteConnection,
    raw: &mut Option<rusqlite::Connection>,
    steps: Vec<Step>,
    syncer: Option<&Syncer>,
) {
    let mut batch = Vec::with_capacity(steps.len());
    for s in steps {
        match s.work {
            Work::Raw(run) => batch.push((run, s.fail)),
            Work::Sqlx { .. } => (s.fail)(Some(Failure::new("not a raw job"))),
        }
    }
    let fail_all = |why: Failure, batch: Vec<(RawRun, Answer)>| {
        for (_, fail) in batch {
            fail(Some(why.clone()));
        }
    };
    let mut handle = match conn.lock_handle().await {
        Ok(h) => h,
        Err(e) => return fail_all(Failure::sqlx("cannot start a write", e), batch),
    };
    let began = match view(&mut handle, raw) {
        Ok(db) => begin_now(db),
        Err(why) => return fail_all(why.within("cannot start a write"), batch),
    };
    if let Err(busy) = began {
        drop(handle);
        if let Err(e) = exec(conn, "BEGIN IMMEDIATE").await {
            let context = format!("cannot start a write ({})", busy.why);
            return fail_all(Failure::sqlx(&context, e), batch);
        }
        // Only a connection whose worker has stopped cannot be locked: nothing to roll back.
        handle = match conn.lock_handle().await {
            Ok(h) => h,
            Err(e) => return fail_all(Failure::sqlx("cannot start a write", e), batch),
        };
    }
    let Ok(db) = view(&mut handle, raw) else {
        // The view was made above and is kept: this does not happen.
        return fail_all(Failure::new("the writer lost its connection"), batch);
    };
    let mut answers: Vec<Answer> = Vec::with_capacity(batch.len());
    let outcome = off_the_workers(|| match jobs(db, batch.into_iter(), &mut answers) {
        Err(why) => {
            let _ = sql(db, "ROLLBACK");
            Some(why.within("a write failed"))
        }
        Ok(()) => match sql(db, "COMMIT") {
            Ok(()) => None,
            Err(e) => {
                let _ = sql(db, "ROLLBACK");
                Some(e.within("the write could not be committed"))
            }
        },
    });
    drop(handle);
    answer_group(answers, outcome, syncer);
}

/// Runs `f` (a group's jobs and its `COMMIT`: milliseconds of work, and a sync of the disk
/// when no [`Syncer`] runs beside the writer) on this thread; on a multi-threaded runtime the
/// runtime is told first, so its other tasks move to another thread meanwhile. With two
/// workers on two cores, a worker held by the group halved what the server could answer while
/// the writer committed, which it does nearly all the time under a testing day's scans.
fn off_the_workers<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// `BEGIN IMMEDIATE` without waiting: an error if another connection holds the write lock.
fn begin_now(db: &rusqlite::Connection) -> Result<(), Failure> {
    let zero = db.busy_timeout(std::time::Duration::ZERO);
    let began = zero
        .map_err(|e| Failure::sqlite("busy_timeout", e))
        .and_then(|()| sql(db, "BEGIN IMMEDIATE"));
    let restored = db
        .busy_timeout(crate::BUSY_TIMEOUT)
        .map_err(|e| Failure::sqlite("busy_timeout", e));
    match (began, restored) {
        (Ok(()), Err(why)) => {
            let _ = sql(db, "ROLLBACK");
            Err(why)
        }
        (began, _) => began,
    }
}

/// The rusqlite view of the writer's connection, made on first use and kept.
fn view<'r>(
    handle: &mut sqlx::sqlite::LockedSqliteHandle<'_>,
    raw: &'r mut Option<rusqlite::Connection>,
) -> Result<&'r rusqlite::Connection, Failure> {
    match raw {
        Some(db) => Ok(db),
        None => {
            let ptr = handle.as_raw_handle().as_ptr();
            // SAFETY: `ptr` is the open connection behind the writer's `conn`, which lives
            // until `serve` ends, after this view is dropped. The view does not own it
            // (dropping it finalizes its statements, never closes the connection), and it is
            // only used while a `handle` keeps sqlx's worker off the connection.
            #[allow(unsafe_code)]
            match unsafe { rusqlite::Connection::from_handle(ptr) } {
                Ok(db) => Ok(raw.insert(db)),
                Err(e) => Err(Failure::sqlite("cannot reach the connection", e)),
            }
        }
    }
}

/// One statement without parameters, prepared once.
fn sql(db: &rusqlite::Connection, s: &str) -> Result<(), Failure> {
    db.prepare_cached(s)
        .and_then(|mut st| st.execute([]))
        .map(|_| ())
        .map_err(|e| Failure::sqlite(s, e))
}

/// Runs raw jobs one after another, each in a savepoint. A savepoint that cannot be taken or
/// ended breaks the group: the answers of its job and of those after it say why.
fn jobs(
    db: &rusqlite::Connection,
    mut batch: std::vec::IntoIter<(RawRun, Answer)>,
    answers: &mut Vec<Answer>,
) -> Result<(), Failure> {
    let broke = |why: Failure, rest: std::vec::IntoIter<(RawRun, Answer)>| {
        for (_, fail) in rest {
            fail(Some(why.clone()));
        }
        Err(why)
    };
    while let Some((run, fail)) = batch.next() {
        if let Err(why) = sql(db, "SAVEPOINT job") {
            fail(Some(why.clone()));
            return broke(why, batch);
        }
        let (ok, answer) = run(db);
        answers.push(answer);
        let end = if ok {
            Ok(())
        } else {
            sql(db, "ROLLBACK TO job")
        };
        if let Err(why) = end.and_then(|()| sql(db, "RELEASE job")) {
            return broke(why, batch);
        }
    }
    Ok(())
}

async fn exec(conn: &mut SqliteConnection, sql: &'static str) -> Result<(), sqlx::Error> {
    sqlx::query(sql).execute(&mut *conn).await.map(|_| ())
}
