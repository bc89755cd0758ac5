//! Quarantine policies as versioned data (防控政策版本): every version of every policy, kept
//! for good. A version never changes once made; saving makes the next one. The shipped
//! defaults (`doorstep_core::quarantine::Policy::defaults`) are version 1 of their keys,
//! written by [`crate::Store::migrate`] when missing.

use async_trait::async_trait;
use doorstep_core::policy::PolicyKey;
use doorstep_core::quarantine::Policy;
use time::OffsetDateTime;

use crate::{Audit, StoreResult};

/// One version of a policy, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    /// The policy: its key, name and checked rules.
    pub policy: Policy,
    /// Its version (1 is the first).
    pub version: u32,
    /// Who saved it (`system` for a shipped default).
    pub created_by: String,
    /// When.
    pub created_at: OffsetDateTime,
}

/// A version to save.
#[derive(Debug, Clone)]
pub struct NewPolicyVersion {
    /// The policy's key, name and checked rules.
    pub policy: Policy,
    /// The version the editor started from: the save is refused (Conflict `policy_changed`)
    /// unless it is still the current one; `Some(0)` for a new key (refused if the key exists);
    /// `None` to append whatever is current.
    pub based_on: Option<u32>,
    /// Who saves it.
    pub by: String,
}

/// Policies and their versions.
#[async_trait]
pub trait Policies: Send + Sync {
    /// The current (highest) version of every policy, by key.
    async fn current_policies(&self) -> StoreResult<Vec<PolicyVersion>>;

    /// Every version of the policy `key`, newest first (empty when there is no such policy).
    async fn policy_versions(&self, key: &PolicyKey) -> StoreResult<Vec<PolicyVersion>>;

    /// The version `version` of `key`, or its current one when `None`. A version never
    /// changes, so a backend may keep what it read.
    async fn policy_version(
        &self,
        key: &PolicyKey,
        version: Option<u32>,
    ) -> StoreResult<Option<PolicyVersion>>;

    /// Saves the next version of `new.policy.key` (the highest + 1, or 1 for a new key) in one
    /// transaction, audited. Two saves at once never get the same number: the later is refused
    /// (Conflict `policy_changed`), as is a save not based on the current version.
    async fn save_policy(
        &self,
        new: &NewPolicyVersion,
        audit: Audit<PolicyVersion>,
    ) -> StoreResult<PolicyVersion>;
}
