//! The errors of the use cases: what the web and CLI layers turn into answers.

use doorstep_core::Conflict;
use doorstep_core::problem::FieldProblem;
use doorstep_store::StoreError;

use crate::export::ExportError;
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
    Validation(Vec<FieldProblem>),
    /// It clashes with what exists (409): which rule, with its message in both languages.
    #[error("conflict: {0}")]
    Conflict(Conflict),
    /// An import could not run.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// Storage failed (500).
    #[error(transparent)]
    Store(StoreError),
    /// Something other than storage failed inside the server: a blocking task that panicked,
    /// the system's random source, a temporary file (500: the cause goes to the log, the
    /// caller gets a generic answer and the request id).
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    /// Invalid input: these problems, each at its field.
    pub fn invalid<P: Into<FieldProblem>>(problems: impl IntoIterator<Item = P>) -> AppError {
        AppError::Validation(problems.into_iter().map(Into::into).collect())
    }

    /// An internal failure with its cause.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> AppError {
        AppError::Internal(cause.into())
    }
}

impl From<ExportError> for AppError {
    /// A store failure stays one; writing the file is the server's own failure.
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::Store(s) => AppError::from(s),
            other => AppError::internal(other),
        }
    }
}

impl From<tokio::task::JoinError> for AppError {
    /// A blocking task that panicked or was cancelled.
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::internal(e)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => AppError::NotFound,
            StoreError::Conflict(c) => AppError::Conflict(Conflict::from_code(&c)),
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    #[test]
    fn only_storage_failures_are_storage_errors() {
        let io = ExportError::Io(std::io::Error::from(std::io::ErrorKind::StorageFull));
        match AppError::from(io) {
            AppError::Internal(cause) => {
                assert!(cause.downcast_ref::<ExportError>().is_some());
            }
            other => panic!("{other:?}"),
        }
        let store = ExportError::Store(StoreError::Other("disk".into()));
        assert!(matches!(AppError::from(store), AppError::Store(_)));
        let gone = ExportError::Store(StoreError::NotFound("area".into()));
        assert!(matches!(AppError::from(gone), AppError::NotFound));
    }

    #[tokio::test]
    async fn a_panicked_task_is_internal() {
        let join = tokio::task::spawn(async { panic!("boom") })
            .await
            .unwrap_err();
        let e = AppError::from(join);
        assert!(matches!(e, AppError::Internal(_)));
        assert_eq!(e.to_string(), "internal error");
    }
}
