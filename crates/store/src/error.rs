//! The errors of the store: few, and the ones callers branch on.

/// What went wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing (or its parent) does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A uniqueness rule was broken; the string names the rule (e.g. `area_path_unique`).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The request breaks a rule of the data (e.g. a street under a community).
    #[error("invalid: {0}")]
    Invalid(String),
    /// The database cannot be reached or takes no writes for now (the connection lost or
    /// refused, no pooled connection within the wait, a failover under way, a read-only or
    /// full database): nothing was written, and the same request may succeed in a few seconds.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Anything else: a bug, a corrupt value, an unclassified failure.
    #[error("storage failed: {0}")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;
