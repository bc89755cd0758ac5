//! Reads on the busiest path straight through SQLite's C API, on connections of their own.
//!
//! A read through sqlx is a trip to the connection's worker thread and back (a wake-up each
//! way), which on a sample scan cost more than SQLite's own work: the profile of the scan
//! benchmark put half the server's time in sqlx's worker threads. The reads here (a scan's
//! person with their household: one statement by an index, microseconds) run on the calling
//! thread, on a small pool of rusqlite connections to the same file, each statement its own
//! read transaction as through sqlx. They are `query_only`: nothing writes through them (every
//! write stays with the one writer).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use doorstep_core::AreaPath;
use doorstep_store::{Id, PersonWithPlace, ScanPerson, ScanTarget, StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, named_params};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

use crate::sql::SqlStore;
use crate::sql::persons::{self, PlaceRow};
use crate::sql::rows::PersonRow;
use crate::sql::scan_person::{self, Key};
use crate::sql::util::{subtree_bounds, ymd};

/// Connections kept idle at most (more are opened while more reads run at once, then closed).
const IDLE: usize = 8;

/// Reader connections to the store's database.
#[derive(Debug, Clone)]
pub struct Reads(Arc<Readers>);

#[derive(Debug)]
struct Readers {
    target: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Reads {
    /// Readers of the database the pool's connections open.
    pub fn of(pool: &sqlx::SqlitePool) -> Reads {
        Reads(Arc::new(Readers {
            target: target_of(pool),
            idle: Mutex::new(Vec::new()),
        }))
    }

    /// Runs `f` on a reader connection, on this thread.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let taken = self.0.idle.lock().ok().and_then(|mut idle| idle.pop());
        let db = match taken {
            Some(db) => db,
            None => open(&self.0.target, true).map_err(other)?,
        };
        let out = f(&db);
        // A connection left inside a transaction (it never should be) is not used again.
        if db.is_autocommit()
            && let Ok(mut idle) = self.0.idle.lock()
            && idle.len() < IDLE
        {
            idle.push(db);
        }
        out
    }
}

/// What a connection of our own opens to reach the pool's database: its file, or an in-memory
/// database's shared name (sqlx names one `file:sqlx-in-memory-N`) as a URI.
pub fn target_of(pool: &sqlx::SqlitePool) -> PathBuf {
    let options = pool.connect_options();
    let name = options.get_filename();
    match name.to_str() {
        Some(n) if n.starts_with("file:") => PathBuf::from(format!("{n}?mode=memory&cache=shared")),
        _ => name.to_path_buf(),
    }
}

/// A connection of our own to `target`, set as the pool's are (`connect_grouped`), its
/// statements prepared once and kept.
pub fn open(target: &Path, query_only: bool) -> rusqlite::Result<Connection> {
    let db = Connection::open_with_flags(
        target,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    db.busy_timeout(crate::BUSY_TIMEOUT)?;
    db.execute_batch(
        "PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 1073741824;",
    )?;
    if query_only {
        db.execute_batch("PRAGMA query_only = ON")?;
    }
    db.set_prepared_statement_cache_capacity(32);
    Ok(db)
}

/// The person a scan names (`Rounds::scan_person`), read on a reader connection.
pub async fn scan_person(
    store: &SqlStore,
    who: &ScanPerson,
    day: Date,
) -> StoreResult<Option<ScanTarget>> {
    let sql = scan_person::sql(who);
    let day = ymd(day);
    let row = store.reads().read(|db| {
        let mut st = db.prepare_cached(sql).map_err(crate::rusqlite_err)?;
        let found = match Key::of(who) {
            Key::Id(id) => st.query_row(rusqlite::params![day, id], target_row),
            Key::Document(rev, t) => st.query_row(rusqlite::params![day, rev, t], target_row),
            Key::Code(code) => st.query_row(rusqlite::params![day, code], target_row),
        };
        found.optional().map_err(crate::rusqlite_err)
    })?;
    row.map(scan_person::Row::into_target).transpose()
}

/// A page of persons under `area` after the id `after` (`Registry::persons_after`: an export
/// reads the registry this way, a page at a time), read on a reader connection on a blocking
/// thread. Through sqlx every value of a page was copied on its worker thread and each row
/// decoded by column name: that was 44% of the CPU of exporting 900,000 persons.
pub async fn persons_after(
    store: &SqlStore,
    area: &AreaPath,
    after: Id,
    limit: u32,
) -> StoreResult<Vec<PersonWithPlace>> {
    let (a, b, c) = subtree_bounds(area);
    let reads = store.reads().clone();
    let rows = tokio::task::spawn_blocking(move || {
        reads.read(|db| {
            let mut st = db
                .prepare_cached(&persons::persons_after_sql())
                .map_err(crate::rusqlite_err)?;
            let rows = st
                .query_map(
                    named_params! {"$1": a, "$2": b, "$3": c, "$4": after, "$5": i64::from(limit)},
                    place_row,
                )
                .and_then(Iterator::collect::<rusqlite::Result<Vec<PlaceRow>>>)
                .map_err(crate::rusqlite_err)?;
            Ok(rows)
        })
    })
    .await
    .map_err(other)??;
    rows.into_iter().map(PlaceRow::into_place).collect()
}

/// Every person under `area` in pages (`Registry::persons_in`): keyset pages of
/// [`persons_after`], each read on a reader connection. SQLite joins a page's households by
/// their rowid, as fast as one statement would, and holds no read transaction open meanwhile.
pub async fn persons_in(
    store: &SqlStore,
    area: &AreaPath,
    page: u32,
    to: tokio::sync::mpsc::Sender<Vec<PersonWithPlace>>,
) -> StoreResult<()> {
    let mut after = 0;
    loop {
        let rows = persons_after(store, area, after, page).await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.person.id;
        if to.send(rows).await.is_err() {
            return Ok(());
        }
    }
}

/// A row of [`persons::persons_after_sql`].
fn place_row(r: &Row<'_>) -> rusqlite::Result<PlaceRow> {
    Ok(PlaceRow {
        person: person_row(r)?,
        room: r.get(15)?,
        k0: r.get(16)?,
        n0: r.get(17)?,
        k1: r.get(18)?,
        n1: r.get(19)?,
        k2: r.get(20)?,
        n2: r.get(21)?,
    })
}

/// The first columns of a row ([`crate::sql::rows::PERSON_COLS`]), its times decoded as sqlx
/// decodes them (stored as RFC 3339).
fn person_row(r: &Row<'_>) -> rusqlite::Result<PersonRow> {
    Ok(PersonRow {
        id: r.get(0)?,
        household_id: r.get(1)?,
        address: r.get(2)?,
        area_path: r.get(3)?,
        name: r.get(4)?,
        id_type: r.get(5)?,
        id_number: r.get(6)?,
        sex: r.get(7)?,
        birth_date: r
            .get::<_, Option<String>>(8)?
            .map(|d| day(8, &d))
            .transpose()?,
        phone: r.get(9)?,
        relation: r.get(10)?,
        residency: r.get(11)?,
        tags: r.get(12)?,
        created_at: time_at(13, &r.get::<_, String>(13)?)?,
        updated_at: time_at(14, &r.get::<_, String>(14)?)?,
    })
}

/// A row of [`scan_person::sql`].
fn target_row(r: &Row<'_>) -> rusqlite::Result<scan_person::Row> {
    Ok(scan_person::Row {
        person: person_row(r)?,
        h_area_id: r.get(15)?,
        at_home: r.get(16)?,
    })
}

fn day(col: usize, s: &str) -> rusqlite::Result<Date> {
    Date::parse(s, format_description!("[year]-[month]-[day]")).map_err(|e| bad(col, e))
}

fn time_at(col: usize, s: &str) -> rusqlite::Result<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|e| bad(col, e))
}

fn bad(col: usize, e: time::error::Parse) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e))
}

fn other(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Other(Box::new(e))
}
