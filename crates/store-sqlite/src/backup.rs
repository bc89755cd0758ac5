//! `doorstep backup` and `doorstep restore` on SQLite.
//!
//! A backup is `VACUUM INTO` on a read-only connection of its own: one read transaction, so
//! the copy is the database as of one moment while the server goes on writing (WAL: readers
//! never block the writer), compacted, in the same format. A restore checks the file first
//! (`PRAGMA quick_check`, a Doorstep schema no newer than this binary) and then copies it
//! page by page into the target through SQLite's online backup API, which takes the target's
//! locks like any writer, so it never leaves a half-copied file to a reader; the server is
//! meant to be stopped (its open connections would see the restored data at their next
//! transaction, but any request in flight would be lost with what it wrote).

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use doorstep_store::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags};
use sqlx::sqlite::SqliteConnectOptions;

/// What a backup or restore copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// The file's size in bytes.
    pub bytes: u64,
    /// The schema's latest migration.
    pub schema: i64,
    /// Persons in it.
    pub persons: i64,
}

fn other(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Other(Box::new(e))
}

fn refused(message: String) -> StoreError {
    StoreError::Invalid(message)
}

/// The database file a `sqlite:` URL names.
pub fn file_of(url: &str) -> StoreResult<PathBuf> {
    Ok(SqliteConnectOptions::from_str(url)
        .map_err(other)?
        .get_filename()
        .to_path_buf())
}

/// The latest migration this binary knows.
fn known_schema() -> i64 {
    crate::MIGRATIONS
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}

/// Checks a database file and says what is in it.
fn inspect(conn: &Connection, bytes: u64) -> StoreResult<Copied> {
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(other)?;
    if check != "ok" {
        return Err(refused(format!("quick_check: {check}")));
    }
    let schema: i64 = conn
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success",
            [],
            |r| r.get(0),
        )
        .map_err(|_| refused("not a Doorstep database (no migrations table)".into()))?;
    let persons: i64 = conn
        .query_row("SELECT COUNT(*) FROM persons", [], |r| r.get(0))
        .map_err(|_| refused("not a Doorstep database (no persons table)".into()))?;
    Ok(Copied {
        bytes,
        schema,
        persons,
    })
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Writes a consistent copy of the database at `url` to `dest` (which must not exist), while
/// it is in use.
pub fn backup(url: &str, dest: &Path) -> StoreResult<Copied> {
    let source = file_of(url)?;
    if !source.exists() {
        return Err(StoreError::NotFound(format!(
            "database {}",
            source.display()
        )));
    }
    if dest.exists() {
        return Err(StoreError::Conflict(format!(
            "{} exists already",
            dest.display()
        )));
    }
    let conn = Connection::open_with_flags(
        &source,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(other)?;
    conn.busy_timeout(Duration::from_secs(30)).map_err(other)?;
    let target = dest
        .to_str()
        .ok_or_else(|| refused(format!("{}: the file name is not UTF-8", dest.display())))?;
    conn.execute("VACUUM INTO ?1", [target]).map_err(other)?;
    drop(conn);
    let copy =
        Connection::open_with_flags(dest, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(other)?;
    inspect(&copy, size(dest))
}

/// Replaces the database at `url` (created when missing) with the backup `src`, after checking
/// it; the caller migrates the result to this binary's schema.
pub fn restore(url: &str, src: &Path) -> StoreResult<Copied> {
    if !src.exists() {
        return Err(StoreError::NotFound(src.display().to_string()));
    }
    let from = Connection::open_with_flags(src, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(other)?;
    let found =
        inspect(&from, size(src)).map_err(|e| refused(format!("{}: {e}", src.display())))?;
    if found.schema > known_schema() {
        return Err(refused(format!(
            "{}: made by a newer Doorstep (schema {} > {})",
            src.display(),
            found.schema,
            known_schema()
        )));
    }
    let target = file_of(url)?;
    let mut to = Connection::open(&target).map_err(other)?;
    to.busy_timeout(Duration::from_secs(30)).map_err(other)?;
    {
        let copy = rusqlite::backup::Backup::new(&from, &mut to).map_err(other)?;
        // All pages in one step: one read of the source, one write lock on the target.
        match copy.step(-1).map_err(other)? {
            rusqlite::backup::StepResult::Done => {}
            _ => {
                return Err(StoreError::Conflict(format!(
                    "{}: the database is in use; stop the server and try again",
                    target.display()
                )));
            }
        }
    }
    let after = inspect(&to, size(&target))?;
    Ok(Copied {
        bytes: after.bytes,
        ..found
    })
}
