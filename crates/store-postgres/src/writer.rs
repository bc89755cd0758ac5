//! PostgreSQL's writes: each job in its own transaction on a pooled connection. PostgreSQL lets
//! transactions write side by side and groups the flushes of concurrent commits itself, so
//! there is no queue here; the interface is SQLite's (`store-sqlite/src/writer.rs`), so the
//! shared SQL runs every write the same way on both.

use std::future::Future;
use std::pin::Pin;

use doorstep_store::StoreResult;
use sqlx::{PgConnection, PgPool};

use crate::sql::util::db_err;

/// A write job's future, borrowing its transaction's connection.
pub type JobFuture<'c, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'c>>;

/// The handle every write goes through.
#[derive(Debug, Clone)]
pub struct Writer {
    pool: PgPool,
}

/// A bulk load's hold on the writer: nothing to hold here.
#[derive(Debug)]
pub struct Lease;

impl Writer {
    /// The writer over `pool` (`_group` is SQLite's; PostgreSQL needs none).
    pub async fn start(pool: &PgPool, _group: usize) -> StoreResult<Writer> {
        Ok(Writer { pool: pool.clone() })
    }

    /// Runs `job` in a transaction of its own and answers once it has committed.
    pub async fn run<T, F>(&self, job: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut PgConnection) -> JobFuture<'c, T> + Send + 'static,
    {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let out = job(&mut tx).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }

    /// Runs `job`, whose only write is one statement (atomic by itself; it may read after
    /// it), on a pooled connection without a transaction around it: the statement commits on
    /// its own, and the BEGIN and COMMIT round trips (half of a self-report's statements) are
    /// saved. A job that fails has written nothing.
    pub async fn run_single<T, F>(&self, job: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut PgConnection) -> JobFuture<'c, T> + Send + 'static,
    {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        job(&mut conn).await
    }

    /// Nothing to wait for: PostgreSQL's bulk load and other writes run side by side.
    pub async fn lease(&self) -> StoreResult<Lease> {
        Ok(Lease)
    }
}
