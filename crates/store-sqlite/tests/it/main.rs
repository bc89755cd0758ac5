//! The SQLite backend's integration tests, one binary (one link) for all: each module was a
//! test file.

#![allow(clippy::unwrap_used)]

mod bulk_load;
mod upgrade;

use doorstep_store_sqlite::SqliteStore;

/// A store in a new file in `dir`, not migrated yet.
async fn open(dir: &tempfile::TempDir) -> SqliteStore {
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    doorstep_store_sqlite::connect(&url).await.unwrap()
}
