//! Audit entries written in the transaction of the change they record.
//!
//! A use case's writes and its audit entry commit together or not at all: every store method
//! that makes an audited change takes an [`Audit`], which turns the method's outcome (the new
//! person's id, what an update changed) into the entries to write, and the store writes them
//! before it commits.

use crate::NewAudit;

/// How to audit a change, given what the change did: the entries to write with it.
pub type Audit<T> = Box<dyn FnOnce(&T) -> Vec<NewAudit> + Send + 'static>;

/// Nothing to audit (a resident's report, an import batch, a session touched).
pub fn no_audit<T>() -> Audit<T> {
    Box::new(|_| Vec::new())
}

/// One entry, whatever the outcome.
pub fn audit_entry<T>(entry: NewAudit) -> Audit<T> {
    Box::new(move |_| vec![entry])
}

/// Entries made from the outcome.
pub fn audit_with<T>(f: impl FnOnce(&T) -> Vec<NewAudit> + Send + 'static) -> Audit<T> {
    Box::new(f)
}
