//! The PostgreSQL backend of the Doorstep store: the path for a street, a district or a city.
//!
//! The SQL itself is shared with SQLite (`crates/store/sql`); this crate owns the
//! connection, constraint names and the migrations. Text columns that are searched by
//! prefix use `COLLATE "C"` so a range scan means the same as it does in SQLite.
#![forbid(unsafe_code)]

use std::str::FromStr;
use std::time::Duration;

use doorstep_store::{StoreError, StoreResult};
use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

#[path = "../../store/sql/mod.rs"]
#[allow(missing_docs)]
mod sql;

mod fast;
mod hosts;
mod scan;
mod writer;

/// The PostgreSQL store.
pub use sql::SqlStore as PgStore;

/// How long a request waits for a pooled connection before it is answered 503
/// `db_unavailable`: under load the pool's connections turn over in milliseconds, so a wait
/// this long means the server is out of reach (a failover), which a client should hear about
/// rather than hang.
const ACQUIRE_WAIT: Duration = Duration::from_secs(5);

/// Connections a server keeps to PostgreSQL. Writes running at once are capped below it
/// (`doorstep_web::WriteLimits::for_database`), so a page's reads find a connection however
/// many writes wait.
pub const POOL: u32 = 20;

/// Connects to a `postgres://` URL, which may name several servers as libpq does
/// (`host1:port1,host2:port2`, with `target_session_attrs=read-write`: see `hosts.rs`).
/// `schema`, when given, is put first on the search path (tests use a fresh schema each). Does
/// not migrate.
pub async fn connect(url: &str, schema: Option<&str>) -> StoreResult<PgStore> {
    let mut hosts = hosts::parse(url)?;
    for o in &mut hosts.each {
        if let Some(s) = schema {
            *o = o.clone().options([("search_path", s)]);
        }
        // A slow statement would be logged with its whole text: multi-row inserts are huge.
        *o = o
            .clone()
            .log_slow_statements(log::LevelFilter::Off, Duration::from_secs(60));
    }
    let several = hosts.each.len() > 1 || hosts.read_write;
    let options = match hosts.each.first() {
        Some(o) if !several => o.clone(),
        _ => hosts::first_usable(&hosts).await.ok_or_else(|| {
            StoreError::Unavailable(
                "no PostgreSQL server of the URL answers (or takes writes)".into(),
            )
        })?,
    };
    let database = options.get_database().unwrap_or("postgres").to_string();
    let read_write = hosts.read_write;
    let pool = PgPoolOptions::new()
        .max_connections(POOL)
        // No ping before each use: it was a round trip per statement's checkout (two per
        // self-report). A connection the server dropped fails its next statement instead,
        // and the pool replaces it.
        .test_before_acquire(false)
        .acquire_timeout(ACQUIRE_WAIT)
        // With read-write asked, a connection to a standby (a server demoted, or not yet
        // promoted) never enters the pool.
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if read_write && !hosts::takes_writes(conn).await? {
                    return Err(sqlx::Error::Protocol(
                        "the server is a standby (target_session_attrs=read-write)".into(),
                    ));
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(|e| match &e {
            // invalid_catalog_name: the server is there, the database is not.
            sqlx::Error::Database(d) if d.code().as_deref() == Some("3D000") => {
                StoreError::NotFound(format!("database {database}"))
            }
            _ => StoreError::Other(Box::new(e)),
        })?;
    if several {
        hosts::watch(pool.clone(), hosts);
    }
    PgStore::open(pool, 1).await
}

/// Creates the database a `postgres://` URL names, connecting to the server's `postgres`
/// database as the same user. Fails when the user may not create databases.
pub async fn create_database(url: &str) -> StoreResult<()> {
    let options = PgConnectOptions::from_str(url).map_err(|e| StoreError::Other(Box::new(e)))?;
    let name = options
        .get_database()
        .ok_or_else(|| StoreError::Invalid("the URL names no database".into()))?
        .to_string();
    let mut conn = options
        .database("postgres")
        .connect()
        .await
        .map_err(|e| StoreError::Other(Box::new(e)))?;
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {quoted}")))
        .execute(&mut conn)
        .await
        .map_err(|e| StoreError::Other(Box::new(e)))?;
    Ok(())
}

/// What the shared SQL needs to know about PostgreSQL.
mod backend {
    use doorstep_store::{StoreError, StoreResult};

    pub use crate::fast::{insert_list_rows, insert_new};
    pub use crate::scan::record_scan;
    pub use crate::sql::scan_person::read as scan_person;

    /// Every person under an area (`Registry::persons_in`): one statement, streamed, its rows
    /// sent on in pages (PostgreSQL then joins the households once, by hash, instead of once
    /// per keyset page by index).
    pub async fn persons_in(
        store: &crate::sql::SqlStore,
        area: &doorstep_core::AreaPath,
        page: u32,
        to: tokio::sync::mpsc::Sender<Vec<doorstep_store::PersonWithPlace>>,
    ) -> StoreResult<()> {
        use futures::TryStreamExt;

        use crate::sql::persons::{PlaceRow, persons_in_sql};
        use crate::sql::util::{db_err, subtree_bounds};
        let (a, b, c) = subtree_bounds(area);
        let sql = persons_in_sql();
        let mut conn = store.pool().acquire().await.map_err(db_err)?;
        let mut rows = sqlx::query_as::<_, PlaceRow>(sqlx::AssertSqlSafe(sql))
            .bind(a)
            .bind(b)
            .bind(c)
            .fetch(&mut *conn);
        let size = usize::try_from(page.max(1)).unwrap_or(1);
        let mut chunk = Vec::with_capacity(size);
        while let Some(row) = rows.try_next().await.map_err(db_err)? {
            chunk.push(row.into_place()?);
            if chunk.len() == size
                && to
                    .send(std::mem::replace(&mut chunk, Vec::with_capacity(size)))
                    .await
                    .is_err()
            {
                return Ok(());
            }
        }
        if !chunk.is_empty() {
            let _ = to.send(chunk).await;
        }
        Ok(())
    }

    /// A page of persons under an area (`Registry::persons_after`), through the pool.
    pub async fn persons_after(
        store: &crate::sql::SqlStore,
        area: &doorstep_core::AreaPath,
        after: doorstep_store::Id,
        limit: u32,
    ) -> StoreResult<Vec<doorstep_store::PersonWithPlace>> {
        crate::sql::persons::persons_after(store.pool(), area, after, limit).await
    }
    pub use crate::writer::{JobFuture, Lease, Writer};

    /// Reads of the busiest path that SQLite runs on connections of its own; PostgreSQL's go
    /// through the pool like every other.
    #[derive(Debug, Clone)]
    pub struct Reads;

    impl Reads {
        /// Nothing to open.
        pub fn of(_pool: &Pool) -> Reads {
            Reads
        }
    }

    /// What a write keeps across the batches of one load.
    #[derive(Debug, Default)]
    pub struct LoadState {
        /// While the document rule and the secondary indexes are deferred (a bulk load into an
        /// empty registry, see [`bulk_begin`]): every document written so far with its person.
        pub deferred_documents: Option<crate::sql::doc_table::DocTable>,
        /// In such a load, every household met so far by (area, room): a roster in no
        /// particular order names most rooms many times, and each look-up on the server cost
        /// as much as writing a person.
        pub households: Households,
    }

    /// Households by area and room.
    #[derive(Debug, Default)]
    pub struct Households(std::collections::HashMap<i64, std::collections::HashMap<String, i64>>);

    impl Households {
        /// The household of `room` in `area`, if met.
        pub fn get(&self, area: i64, room: &str) -> Option<i64> {
            self.0.get(&area)?.get(room).copied()
        }

        /// Records a household (the first one recorded for a room stays).
        pub fn note(&mut self, area: i64, room: &str, id: i64) {
            let rooms = self.0.entry(area).or_default();
            if !rooms.contains_key(room) {
                rooms.insert(room.to_string(), id);
            }
        }
    }

    impl LoadState {
        /// Whether the registry held no person when this load began (every person on file is
        /// one this load wrote).
        pub fn registry_was_empty(&self) -> bool {
            self.deferred_documents.is_some()
        }
    }

    /// What a bulk load into an empty registry drops at its start and builds at its end, as
    /// the migrations define them (a test compares the schema after such a load with a fresh
    /// one): `(drop, create)`. Kept up row by row in a roster in no particular order they cost
    /// most of a load; built once they cost a few seconds a million.
    pub const DEFERRED: &[(&str, &str)] = &[
        // Checked row by row, a person's household cost as much as writing the person; added
        // back at the end, the rule is checked once for every row.
        (
            "ALTER TABLE persons DROP CONSTRAINT persons_household_id_fkey",
            "ALTER TABLE persons ADD CONSTRAINT persons_household_id_fkey \
             FOREIGN KEY (household_id) REFERENCES households(id)",
        ),
        (
            "ALTER TABLE persons DROP CONSTRAINT person_document_unique",
            "ALTER TABLE persons ADD CONSTRAINT person_document_unique UNIQUE (id_rev, id_type)",
        ),
        (
            "DROP INDEX persons_name",
            "CREATE INDEX persons_name ON persons(name, household_id, id)",
        ),
        (
            "DROP INDEX persons_phone_rev",
            "CREATE INDEX persons_phone_rev ON persons(phone_rev)",
        ),
        (
            "DROP INDEX persons_household",
            "CREATE INDEX persons_household ON persons(household_id)",
        ),
        (
            "DROP INDEX households_room",
            "CREATE INDEX households_room ON households(room)",
        ),
        (
            "DROP INDEX households_area_of",
            "CREATE INDEX households_area_of ON households(id) INCLUDE (area_id)",
        ),
    ];

    pub type Db = sqlx::Postgres;
    pub type Pool = sqlx::Pool<Db>;
    pub const NAME: &str = "postgres";
    /// The clause that locks the rows of `alias` a read in a write transaction decides on:
    /// transactions write side by side here, and a check on a row read unlocked can be
    /// overtaken by another transaction's write of the same row (a task started twice when a
    /// killed server's transaction committed while its resend was being checked).
    pub fn for_update(alias: &str) -> String {
        format!(" FOR UPDATE OF {alias}")
    }

    /// Placeholders in generated lists: `$N`.
    pub fn placeholder(out: &mut String, n: usize) {
        out.push('$');
        out.push_str(&n.to_string());
    }

    /// Starts a bulk load on its own connection: one transaction. Into an empty registry the
    /// document rule and the secondary indexes are dropped inside it and built at its end;
    /// that locks the tables for the load's length, which only matters to someone waiting to
    /// add a first person meanwhile. Into a registry that holds persons the indexes stay up
    /// (dropping them would lock every reader out).
    pub async fn bulk_begin(conn: &mut sqlx::PgConnection) -> Result<LoadState, sqlx::Error> {
        sqlx::query("BEGIN").execute(&mut *conn).await?;
        const EMPTY: &str = "SELECT NOT EXISTS (SELECT 1 FROM persons)";
        let mut empty: bool = sqlx::query_scalar(EMPTY).fetch_one(&mut *conn).await?;
        if empty {
            // The drops take this lock anyway; taken first, the registry is looked at again once
            // no one else can be adding a first person.
            sqlx::query("LOCK TABLE persons, households IN ACCESS EXCLUSIVE MODE")
                .execute(&mut *conn)
                .await?;
            empty = sqlx::query_scalar(EMPTY).fetch_one(&mut *conn).await?;
        }
        let mut state = LoadState::default();
        // The load's statements are planned afresh for every batch; compiling them costs more
        // than it saves.
        sqlx::query("SET LOCAL jit = off")
            .execute(&mut *conn)
            .await?;
        if empty {
            for (drop, _) in DEFERRED {
                sqlx::query(*drop).execute(&mut *conn).await?;
            }
            state.deferred_documents = Some(crate::sql::doc_table::DocTable::new());
        }
        Ok(state)
    }

    /// Builds what the load deferred and commits, then refreshes the planner's statistics,
    /// which a large load leaves stale (name searches on a freshly loaded million took 250 ms
    /// instead of 2 ms without), and marks the new pages all-visible, so searches read indexes
    /// only (migration 0008).
    pub async fn bulk_finish(
        conn: &mut sqlx::PgConnection,
        state: LoadState,
    ) -> Result<(), sqlx::Error> {
        if state.deferred_documents.is_some() {
            // The index builds sort in this much of the server's memory each.
            sqlx::query("SET LOCAL maintenance_work_mem = '128MB'")
                .execute(&mut *conn)
                .await?;
            for (_, create) in DEFERRED {
                sqlx::query(*create).execute(&mut *conn).await?;
            }
        }
        sqlx::query("COMMIT").execute(&mut *conn).await?;
        // The load is committed: stale statistics make searches slow, not the load lost.
        if let Err(e) = sqlx::query("VACUUM (ANALYZE) areas, households, persons")
            .execute(&mut *conn)
            .await
        {
            tracing::warn!(error = %e, "VACUUM ANALYZE after a bulk load failed");
        }
        Ok(())
    }

    /// Applies the migrations not yet applied. When every one is applied already (a server
    /// of a fleet starting, or one behind PgBouncer) nothing is locked: sqlx's migrator takes
    /// a session advisory lock, which several servers starting at once would queue on, and
    /// which PgBouncer's transaction mode could take on one server connection and release on
    /// another. Pending migrations are run with the lock (run `doorstep migrate` against the
    /// database itself, not through PgBouncer: docs/deployment.md).
    pub async fn migrate(pool: &Pool) -> StoreResult<()> {
        let migrator = sqlx::migrate!("./migrations");
        // A version applied that this binary does not know falls through to the migrator,
        // which refuses it as before.
        let applied: Result<Vec<i64>, sqlx::Error> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(pool)
                .await;
        if let Ok(applied) = applied
            && migrator
                .iter()
                .filter(|m| m.migration_type.is_up_migration())
                .all(|m| applied.contains(&m.version))
            && applied
                .iter()
                .all(|v| migrator.iter().any(|m| m.version == *v))
        {
            return Ok(());
        }
        migrator
            .run(pool)
            .await
            .map_err(|e| StoreError::Other(Box::new(e)))
    }

    /// Whether a database error says the server cannot take the statement for now: a
    /// connection exception (class 08), the server shutting down or starting up (57P01–57P03),
    /// a read-only transaction (25006: a standby, or a primary being demoted), insufficient
    /// resources (class 53: disk full, too many connections).
    pub fn is_unavailable(e: &dyn sqlx::error::DatabaseError) -> bool {
        let code = e.code();
        let code = code.as_deref().unwrap_or("");
        code.starts_with("08")
            || code.starts_with("53")
            || matches!(code, "57P01" | "57P02" | "57P03" | "25006")
    }

    /// PostgreSQL names the constraint itself.
    pub fn constraint_name(e: &dyn sqlx::error::DatabaseError) -> String {
        match e.constraint() {
            Some(c) if c.ends_with("_fkey") => "foreign_key".to_string(),
            Some(c) => c.to_string(),
            None => e.message().to_string(),
        }
    }
}
