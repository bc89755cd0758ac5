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
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use doorstep_store::{StoreError, StoreResult};
use sqlx::{Connection, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use crate::sql::util::db_err;

/// Jobs waiting for the writer; callers wait when it is full.
const QUEUE: usize = 1024;
/// Jobs committed together at most.
pub const GROUP: usize = 64;

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

/// What the writer runs: a job that answers its caller once told how the commit went.
struct Step {
    run: Run,
    /// The job's only write is one statement, which SQLite rolls back by itself when it
    /// fails: it needs no savepoint of its own.
    single: bool,
    /// Answers the caller without running (the group could not start).
    fail: Answer,
}

/// Answers a caller: `None` when the group committed, else why it did not.
type Answer = Box<dyn FnOnce(Option<String>) + Send>;

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
        let conn = pool.acquire().await.map_err(db_err)?.detach();
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(serve(conn, rx, group.max(1)));
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
        let answer_failed = {
            let tx = tx.clone();
            move |why: Option<String>| {
                if let Some(tx) = tx.lock().ok().and_then(|mut t| t.take()) {
                    let why = why.unwrap_or_else(|| "the write did not run".into());
                    let _ = tx.send(Err(StoreError::Other(why.into())));
                }
            }
        };
        let step = Step {
            run: Box::new(move |conn| {
                Box::pin(async move {
                    let out = job(conn).await;
                    let ok = out.is_ok();
                    let answer: Answer = Box::new(move |commit_failed: Option<String>| {
                        let out = match (out, commit_failed) {
                            (Ok(v), None) => Ok(v),
                            (Ok(_), Some(why)) => Err(StoreError::Other(why.into())),
                            (Err(e), _) => Err(e),
                        };
                        if let Some(tx) = tx.lock().ok().and_then(|mut t| t.take()) {
                            let _ = tx.send(out);
                        }
                    });
                    (ok, answer)
                })
            }),
            fail: Box::new(answer_failed),
            single,
        };
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

async fn serve(mut conn: SqliteConnection, mut rx: mpsc::Receiver<Msg>, group: usize) {
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
        run_group(&mut conn, steps).await;
    }
    let _ = conn.close().await;
}

/// Runs one group in one transaction and answers every job after the commit.
async fn run_group(conn: &mut SqliteConnection, steps: Vec<Step>) {
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE").await {
        let why = format!("cannot start a write: {e}");
        for s in steps {
            (s.fail)(Some(why.clone()));
        }
        return;
    }
    let mut answers: Vec<Answer> = Vec::with_capacity(steps.len());
    let mut broken: Option<String> = None;
    let mut steps = steps.into_iter();
    for step in steps.by_ref() {
        if step.single {
            // Rolled back by SQLite itself if it failed; nothing to end.
            let (_, answer) = (step.run)(conn).await;
            answers.push(answer);
            continue;
        }
        if let Err(e) = exec(conn, "SAVEPOINT job").await {
            broken = Some(format!("cannot start a write: {e}"));
            (step.fail)(broken.clone());
            break;
        }
        let (ok, answer) = (step.run)(conn).await;
        answers.push(answer);
        let end = if ok {
            exec(conn, "RELEASE job").await
        } else {
            match exec(conn, "ROLLBACK TO job").await {
                Ok(()) => exec(conn, "RELEASE job").await,
                Err(e) => Err(e),
            }
        };
        if let Err(e) = end {
            broken = Some(format!("a write failed: {e}"));
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
                Some(format!("the write could not be committed: {e}"))
            }
        },
    };
    for answer in answers {
        answer(outcome.clone());
    }
}

async fn exec(conn: &mut SqliteConnection, sql: &'static str) -> Result<(), sqlx::Error> {
    sqlx::query(sql).execute(&mut *conn).await.map(|_| ())
}
