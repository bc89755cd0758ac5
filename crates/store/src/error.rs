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
    /// The database cannot take this now: its disk is full, it is read-only, it is starting,
    /// stopping or failing over. Nothing was written; the same request may succeed in a moment
    /// (503 with Retry-After).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a broken connection mid-answer, a bug.
    #[error("storage failed: {0}")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;
