//! Doorstep's use cases, shared by the web server and the CLI: opening the store, importing
//! and exporting rosters, demo data. Nothing here knows HTTP or the terminal.
#![forbid(unsafe_code)]

pub mod access;
pub mod auth;
pub mod demo;
pub mod error;
pub mod export;
pub mod hashing;
pub mod import;
pub mod registry;
pub mod reports;
pub mod users;

use std::sync::Arc;

use doorstep_store::{Store, StoreError};
use time::{Date, OffsetDateTime, UtcOffset};

/// China Standard Time: the day a community worker lives in decides "today".
pub const CHINA: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// Today's date in China.
pub fn today() -> Date {
    OffsetDateTime::now_utc().to_offset(CHINA).date()
}

/// Opens the store a URL names: `sqlite://…` (the default) or `postgres://…`, and migrates it.
pub async fn open_store(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let store: Arc<dyn Store> =
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Arc::new(doorstep_store_postgres::connect(url, None).await?)
        } else if url.starts_with("sqlite:") {
            Arc::new(doorstep_store_sqlite::connect(url).await?)
        } else {
            return Err(StoreError::Invalid(format!(
                "unknown database URL {url:?}: use sqlite://FILE or postgres://…"
            )));
        };
    store.migrate().await?;
    Ok(store)
}
