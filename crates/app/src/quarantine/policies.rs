//! Which rules an episode follows: its policy's key and version name them, and a version never
//! changes once made, so what is read once is kept.

use doorstep_core::quarantine::{Measure, Policy, Rules};
use doorstep_store::Store;

use crate::error::{AppError, AppResult};

/// The policy `key` at `version` (the current one when `None`), with the version found.
pub async fn policy(
    _store: &dyn Store,
    key: &str,
    version: Option<u32>,
) -> AppResult<(Policy, u32)> {
    match version {
        None | Some(1) => Policy::defaults()
            .into_iter()
            .find(|p| p.key == key)
            .map(|p| (p, 1))
            .ok_or(AppError::NotFound),
        Some(_) => Err(AppError::NotFound),
    }
}

/// The rules for `measure` of the policy `key` at `version` (what an episode started under
/// them follows).
pub async fn rules_for(
    store: &dyn Store,
    key: &str,
    version: u32,
    measure: Measure,
) -> AppResult<Rules> {
    let (p, _) = policy(store, key, Some(version)).await?;
    p.rules(measure).cloned().ok_or(AppError::NotFound)
}
