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

/// The PostgreSQL store.
pub use sql::SqlStore as PgStore;

/// Connects to a `postgres://` URL. `schema`, when given, is put first on the search path
/// (tests use a fresh schema each). Does not migrate.
pub async fn connect(url: &str, schema: Option<&str>) -> StoreResult<PgStore> {
    let mut options =
        PgConnectOptions::from_str(url).map_err(|e| StoreError::Other(Box::new(e)))?;
    if let Some(s) = schema {
        options = options.options([("search_path", s)]);
    }
    // A slow statement would be logged with its whole text: multi-row inserts are huge.
    options = options.log_slow_statements(log::LevelFilter::Off, Duration::from_secs(60));
    let database = options.get_database().unwrap_or("postgres").to_string();
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(options)
        .await
        .map_err(|e| match &e {
            // invalid_catalog_name: the server is there, the database is not.
            sqlx::Error::Database(d) if d.code().as_deref() == Some("3D000") => {
                StoreError::NotFound(format!("database {database}"))
            }
            _ => StoreError::Other(Box::new(e)),
        })?;
    Ok(PgStore::from_pool(pool))
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

    pub use crate::fast::insert_new;

    /// What a write keeps across the batches of one load: nothing here.
    #[derive(Debug, Default)]
    pub struct LoadState {}

    impl LoadState {
        /// Whether every person on file is one this load wrote: never assumed here.
        pub fn registry_was_empty(&self) -> bool {
            false
        }
    }

    pub type Db = sqlx::Postgres;
    pub type Pool = sqlx::Pool<Db>;
    pub type Tx = sqlx::Transaction<'static, Db>;
    pub const NAME: &str = "postgres";
    /// Placeholders in generated lists: `$N`.
    pub fn placeholder(out: &mut String, n: usize) {
        out.push('$');
        out.push_str(&n.to_string());
    }

    /// Starts a write transaction. Row locks and unique constraints settle races here.
    pub async fn begin_write(pool: &Pool) -> Result<Tx, sqlx::Error> {
        pool.begin().await
    }

    /// Starts a bulk load on its own connection: one transaction; PostgreSQL keeps its
    /// indexes up as it goes (dropping them would lock readers out of the table).
    pub async fn bulk_begin(conn: &mut sqlx::PgConnection) -> Result<LoadState, sqlx::Error> {
        sqlx::query("BEGIN").execute(&mut *conn).await?;
        Ok(LoadState {})
    }

    /// Commits, then refreshes the planner's statistics, which a large load leaves stale (name
    /// searches on a freshly loaded million took 250 ms instead of 2 ms without), and marks the
    /// new pages all-visible, so searches read indexes only (migration 0008).
    pub async fn bulk_finish(
        conn: &mut sqlx::PgConnection,
        _state: LoadState,
    ) -> Result<(), sqlx::Error> {
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

    pub async fn migrate(pool: &Pool) -> StoreResult<()> {
        sqlx::migrate!("./migrations")
            .run(pool)
            .await
            .map_err(|e| StoreError::Other(Box::new(e)))
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
