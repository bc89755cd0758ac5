//! The SQL implementation of [`doorstep_store::Store`], shared by both backends.
//!
//! This folder is not a crate: `doorstep-store-sqlite` and `doorstep-store-postgres` each
//! compile it as their own module (`#[path = "../../store/sql/mod.rs"] mod sql;`) with
//! their own concrete `crate::backend::{Db, Pool}`. One SQL text with `$1..$n` runs on
//! both, without generic trait bounds over `sqlx::Database`; what differs (how a write
//! transaction starts, how a constraint is named, the migrations) lives in each crate's
//! `backend` module. See ARCHITECTURE.md, "Two databases".

mod accounts;
mod areas;
mod building_map;
mod checkins;
mod checkpoints;
mod counts;
mod custody;
mod daily;
pub(crate) mod doc_table;
mod emergency;
mod episodes;
mod handover;
pub(crate) mod lists;
mod load;
mod materials;
mod monitoring;
mod notices;
pub(crate) mod persons;
pub(crate) mod policies;
mod registry;
mod reports;
pub(crate) mod rounds;
pub(crate) mod rows;
pub(crate) mod scan_person;
mod seals;
mod session_cache;
mod staff;
mod supplies;
mod tasks;
mod templates;
pub(crate) mod util;

use doorstep_store::{Audit, StoreResult};

use self::util::Conn;
use crate::backend::{JobFuture, Pool, Reads, Writer};

/// The store: reads from a pool of connections, every write through the backend's
/// [`Writer`]. Each feature's trait is implemented in the feature's own file
/// (`registry.rs`, `accounts.rs`, `reports.rs`).
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: Pool,
    writer: Writer,
    /// What the backend reads on the busiest path without the pool (SQLite: its own
    /// connections; nothing on PostgreSQL).
    reads: Reads,
    /// Each round as last read: its areas, groups and pool size never change once it is made,
    /// so they are read once, not on every scan.
    rounds_made:
        std::sync::Arc<std::sync::Mutex<std::collections::HashMap<i64, doorstep_store::Round>>>,
    /// Each round's sampling points with their batches, which a scan checks its tube
    /// against: read once a while, not on every scan (see `materials.rs`).
    points: materials::PointCache,
    /// Each policy version as read or saved (see `policies.rs`).
    policies: policies::PolicyCache,
    /// Live sessions as last read, for a couple of seconds (see `session_cache.rs`).
    sessions: session_cache::SessionCache,
    /// The running emergencies as last read, for a couple of seconds (see `emergency.rs`).
    running: emergency::RunningCache,
}

impl SqlStore {
    /// The store over `pool`, its writer committing at most `group` jobs together (SQLite);
    /// call `Store::migrate` before use.
    pub async fn open(pool: Pool, group: usize) -> StoreResult<SqlStore> {
        let writer = Writer::start(&pool, group).await?;
        Ok(SqlStore {
            reads: Reads::of(&pool),
            pool,
            writer,
            rounds_made: Default::default(),
            points: Default::default(),
            policies: Default::default(),
            sessions: Default::default(),
            running: Default::default(),
        })
    }

    /// The pool, for backend-specific maintenance (tests, benchmarks).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The writer, for a backend's own ways of writing through it.
    pub(crate) fn writer(&self) -> &Writer {
        &self.writer
    }

    /// The backend's own readers, for its own ways of reading.
    #[allow(dead_code)] // PostgreSQL reads through the pool.
    pub(crate) fn reads(&self) -> &Reads {
        &self.reads
    }

    /// Runs `job` as one write, with the entries `audit` makes of its outcome written in the
    /// same transaction: the unit of work every audited change goes through.
    pub(crate) async fn write<T, F>(&self, audit: Audit<T>, job: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut Conn) -> JobFuture<'c, T> + Send + 'static,
    {
        self.writer
            .run(move |c| {
                Box::pin(async move {
                    let out = job(&mut *c).await?;
                    for entry in audit(&out) {
                        accounts::audit(&mut *c, &entry).await?;
                    }
                    Ok(out)
                })
            })
            .await
    }
}
