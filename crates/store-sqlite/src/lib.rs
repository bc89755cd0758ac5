//! The embedded SQLite backend of the Doorstep store: one file, no server, the default.
//!
//! The SQL itself is shared with PostgreSQL (`crates/store/sql`); this crate owns what is
//! SQLite's own: connection settings (WAL, `synchronous=FULL`, foreign keys, a busy
//! timeout, a memory map), `BEGIN IMMEDIATE` for writes, constraint names, what a bulk load
//! defers, the writer of new rows (`fast.rs`) and the migrations.
#![deny(unsafe_code)]

use std::str::FromStr;
use std::time::Duration;

use doorstep_store::{StoreError, StoreResult};
use sqlx::ConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

#[path = "../../store/sql/mod.rs"]
#[allow(missing_docs)]
mod sql;

pub mod backup;
mod checkpoint;
mod fast;
mod read;
mod scan;
mod sync;
mod writer;

/// This binary's migrations (the schema `migrate` brings a database to, and the newest a
/// restore accepts).
static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The SQLite store.
pub use sql::SqlStore as SqliteStore;
/// Jobs the writer commits together at most.
pub use writer::GROUP;

/// How long a statement waits for another connection's lock (every connection of ours).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// When a commit counts as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// On the disk: the log is synced at every commit (`synchronous = FULL`), so an
    /// acknowledged write survives a power cut or a disk that fails read-only. What the server
    /// runs with; group commit shares one sync among the jobs of a group.
    Disk,
    /// In the operating system: survives a killed process, not a power cut
    /// (`synchronous = NORMAL`). For tests and throwaway databases only.
    Process,
}

/// Opens (creating if needed) the database at a `sqlite://` URL, every commit synced to the
/// disk. Does not migrate.
pub async fn connect(url: &str) -> StoreResult<SqliteStore> {
    connect_with(url, writer::GROUP, Durability::Disk).await
}

/// [`connect`], with the writer committing at most `group` jobs per transaction (benchmarks
/// compare 1 with the default).
pub async fn connect_grouped(url: &str, group: usize) -> StoreResult<SqliteStore> {
    connect_with(url, group, Durability::Disk).await
}

/// [`connect_grouped`] with a chosen [`Durability`].
pub async fn connect_with(
    url: &str,
    group: usize,
    durability: Durability,
) -> StoreResult<SqliteStore> {
    let synchronous = match durability {
        Durability::Disk => SqliteSynchronous::Full,
        Durability::Process => SqliteSynchronous::Normal,
    };
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::Other(Box::new(e)))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(synchronous)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT)
        // 32 MiB of page cache per connection: eight connections stay within 256 MiB.
        .pragma("cache_size", "-32768")
        .pragma("temp_store", "memory")
        // Pages are read through a shared memory map instead of a `pread` each (a name search
        // within an area reads hundreds of random household pages): no copy, no system call.
        // Address space only; the bulk load turns it off (its own reads would count as memory).
        .pragma("mmap_size", "1073741824")
        // A slow statement would be logged with its whole text: multi-row inserts are huge.
        .log_slow_statements(log::LevelFilter::Off, Duration::from_secs(60));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .map_err(|e| StoreError::Other(Box::new(e)))?;
    SqliteStore::open(pool, group).await
}

/// What the shared SQL needs to know about SQLite.
/// A rusqlite error as the store reports it: a unique or primary key violation is a conflict
/// named as PostgreSQL names it, a foreign key violation a missing row, a full or read-only
/// disk [`StoreError::Unavailable`].
pub(crate) fn rusqlite_err(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, Some(message)) = &e {
        match f.extended_code {
            rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                return StoreError::Conflict(backend::constraint_name_of(message));
            }
            rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => {
                return StoreError::NotFound(backend::constraint_name_of(message));
            }
            code if backend::unavailable_code(code) => {
                return StoreError::Unavailable(Box::new(e));
            }
            _ => {}
        }
    }
    StoreError::Other(Box::new(e))
}

mod backend {
    use doorstep_store::{StoreError, StoreResult};

    pub use crate::fast::insert_new;
    pub use crate::read::{Reads, persons_after, persons_in, scan_person};
    pub use crate::scan::record_scan;
    pub(crate) use crate::sql::lists::insert_rows as insert_list_rows;
    pub use crate::writer::{JobFuture, Lease, Writer};

    pub type Db = sqlx::Sqlite;
    pub type Pool = sqlx::Pool<Db>;
    pub const NAME: &str = "sqlite";
    /// Nothing: the one writer runs write transactions one at a time, so a row read in one
    /// cannot change under it (PostgreSQL's locks the row).
    pub fn for_update(_alias: &str) -> String {
        String::new()
    }

    /// Placeholders in generated lists: plain `?`, bound in order (see `sql::util`).
    pub fn placeholder(out: &mut String, _n: usize) {
        out.push('?');
    }

    /// Indexes a bulk load drops at its start and builds once at its end: sorting a million
    /// names once costs a fraction of keeping the index up row by row. The statements are the
    /// migrations' own (a test compares the schema after a bulk load with a fresh one).
    pub const DEFERRED_INDEXES: &[(&str, &str)] = &[
        (
            "persons_name",
            "CREATE INDEX persons_name ON persons(name, household_id)",
        ),
        (
            "persons_phone_rev",
            "CREATE INDEX persons_phone_rev ON persons(phone_rev)",
        ),
        (
            "households_room",
            "CREATE INDEX households_room ON households(room)",
        ),
        // In a roster in no particular order each new person joins a household anywhere in
        // this index: kept up row by row it was the load's busiest index.
        (
            "persons_household",
            "CREATE INDEX persons_household ON persons(household_id)",
        ),
    ];

    /// The one-person-per-document index. A bulk load into an empty registry defers it too
    /// (see [`LoadState`]); otherwise it finds the persons already on file.
    pub const DOCUMENT_INDEX: (&str, &str) = (
        "persons_document",
        "CREATE UNIQUE INDEX persons_document ON persons(id_rev, id_type)",
    );

    /// What a write keeps across the batches of one load.
    #[derive(Debug, Default)]
    pub struct LoadState {
        /// While [`DOCUMENT_INDEX`] is deferred (a load into an empty registry): every
        /// document written so far with its person, so a person listed twice is found without
        /// the index, which is built once at the end.
        pub deferred_documents: Option<crate::sql::doc_table::DocTable>,
    }

    impl LoadState {
        /// Whether the registry held no person when this load began (every person on file is
        /// one this load wrote).
        pub fn registry_was_empty(&self) -> bool {
            self.deferred_documents.is_some()
        }
    }

    /// Starts a bulk load on its own connection: a larger page cache, two sorter threads for
    /// the index builds (SQLite uses them only with file-backed temporary storage), no
    /// foreign key checks, the write lock, and the deferred indexes dropped. Readers keep
    /// seeing the indexes until commit. The connection is closed after the load.
    pub async fn bulk_begin(conn: &mut sqlx::SqliteConnection) -> Result<LoadState, sqlx::Error> {
        for sql in [
            "PRAGMA cache_size = -32768",
            "PRAGMA mmap_size = 0",
            "PRAGMA temp_store = FILE",
            "PRAGMA threads = 2",
            // Each new row's foreign keys would be looked up (a household per person, an area
            // per household). The load writes only household ids it has just read or created
            // in its own transaction; tests check the keys after a load.
            "PRAGMA foreign_keys = OFF",
            "BEGIN IMMEDIATE",
        ] {
            sqlx::query(sql).execute(&mut *conn).await?;
        }
        let mut drop: Vec<&str> = DEFERRED_INDEXES.iter().map(|(name, _)| *name).collect();
        let empty: bool = sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM persons)")
            .fetch_one(&mut *conn)
            .await?;
        let mut state = LoadState::default();
        if empty {
            drop.push(DOCUMENT_INDEX.0);
            state.deferred_documents = Some(crate::sql::doc_table::DocTable::new());
        }
        for name in drop {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX {name}")))
                .execute(&mut *conn)
                .await?;
        }
        Ok(state)
    }

    /// Builds the deferred indexes and commits.
    pub async fn bulk_finish(
        conn: &mut sqlx::SqliteConnection,
        state: LoadState,
    ) -> Result<(), sqlx::Error> {
        let document = state.deferred_documents.map(|_| &DOCUMENT_INDEX);
        // The sorters take their memory budget from the page cache size: 16 MiB sorts faster
        // here than 64 MiB (7.1–7.3 s against 8.4 s for a million rows) and holds less.
        sqlx::query("PRAGMA cache_size = -16384")
            .execute(&mut *conn)
            .await?;
        for (_, create) in DEFERRED_INDEXES.iter().chain(document) {
            sqlx::query(*create).execute(&mut *conn).await?;
        }
        sqlx::query("COMMIT").execute(&mut *conn).await?;
        Ok(())
    }

    pub async fn migrate(pool: &Pool) -> StoreResult<()> {
        crate::MIGRATIONS
            .run(pool)
            .await
            .map_err(|e| StoreError::Other(Box::new(e)))
    }

    /// Whether a database error says the database cannot take the statement for now: busy
    /// past the wait (another process writing), read-only, full, or its disk failing (SQLite's
    /// primary result codes `BUSY`, `READONLY`, `FULL`, `IOERR` and `CANTOPEN`, under any
    /// extended code).
    pub fn is_unavailable(e: &dyn sqlx::error::DatabaseError) -> bool {
        e.code()
            .and_then(|c| c.parse::<i32>().ok())
            .is_some_and(unavailable_code)
    }

    /// [`is_unavailable`] for an extended result code.
    pub fn unavailable_code(extended: i32) -> bool {
        use rusqlite::ffi;
        matches!(
            extended & 0xff,
            ffi::SQLITE_BUSY
                | ffi::SQLITE_READONLY
                | ffi::SQLITE_FULL
                | ffi::SQLITE_IOERR
                | ffi::SQLITE_CANTOPEN
        )
    }

    /// SQLite reports `UNIQUE constraint failed: persons.id_rev, persons.id_type`; map the
    /// columns to the constraint names PostgreSQL reports, so callers see one name.
    pub fn constraint_name(e: &dyn sqlx::error::DatabaseError) -> String {
        constraint_name_of(e.message())
    }

    /// [`constraint_name`] from SQLite's message alone.
    pub fn constraint_name_of(m: &str) -> String {
        let name = if m.contains("areas.path") {
            "area_path_unique"
        } else if m.contains("households.area_id") {
            "household_room_unique"
        } else if m.contains("persons.id_rev") {
            "person_document_unique"
        } else if m.contains("users.username") {
            "user_username_unique"
        } else if m.contains("sessions.token_hash") {
            "session_token_unique"
        } else if m.contains("staff.phone") {
            "staff_phone_unique"
        } else if m.contains("staff.user_id") {
            "staff_user_unique"
        } else if m.contains("samples.person_id, samples.round_id") {
            "sample_once"
        } else if m.contains("samples.round_id, samples.client_id") {
            "sample_client_unique"
        } else if m.contains("tubes.code") {
            "tube_code_unique"
        } else if m.contains("person_codes.code") {
            "person_code_unique"
        } else if m.contains("area_seals.area_id") {
            "area_sealed"
        } else if m.contains("emergencies.area_id") {
            "emergency_running"
        } else if m.contains("checkpoints.area_id, checkpoints.name") {
            "checkpoint_name_unique"
        } else if m.contains("export_templates.area_path, export_templates.name") {
            "template_name_unique"
        } else if m.contains("FOREIGN KEY") {
            "foreign_key"
        } else {
            return m.to_string();
        };
        name.to_string()
    }
}
