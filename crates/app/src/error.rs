//! The errors of the use cases: what the web and CLI layers turn into answers.

use doorstep_core::Problem;
use doorstep_core::person::Field;
use doorstep_store::StoreError;

use crate::import::ImportError;

/// Why a use case did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No valid session (401).
    #[error("not logged in")]
    Unauthorized,
    /// Wrong user name or password (401); the same for both, on purpose.
    #[error("wrong user name or password")]
    BadLogin,
    /// A login came before its keys allow the next attempt (429); the password was not
    /// checked. Carries the seconds to wait (at least 1).
    #[error("too many login attempts; next in {0} s")]
    Throttled(u64),
    /// Too much hashing under way to take this request now (503); carries the seconds after
    /// which to try again.
    #[error("busy; try again in {0} s")]
    Busy(u64),
    /// Nothing there — or nothing this user may see there (404, on purpose the same).
    #[error("not found")]
    NotFound,
    /// The user may see it but not do this to it (403).
    #[error("not allowed")]
    Forbidden,
    /// The input is invalid; every problem against its field (422).
    #[error("invalid input")]
    Validation(Vec<(Field, Problem)>),
    /// It clashes with what exists (409); the code names the rule.
    #[error("conflict: {0}")]
    Conflict(String),
    /// An import could not run.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// Storage failed (500).
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => AppError::NotFound,
            StoreError::Conflict(c) => AppError::Conflict(c),
            other => AppError::Store(other),
        }
    }
}

/// Whole seconds to wait for `d`, rounded up, at least one: what a Retry-After says.
pub fn retry_secs(d: std::time::Duration) -> u64 {
    let whole = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    whole.max(1)
}

/// The result of a use case.
pub type AppResult<T> = Result<T, AppError>;
