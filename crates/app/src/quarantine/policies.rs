//! Quarantine policies as versioned data: listing them, reading a version, saving a new one
//! (`Action::EditPolicies`, district and up), and the seam every episode reads its rules
//! through ([`policy`], [`rules_for`]).
//!
//! A version never changes once made, so the store keeps each version it has read in memory
//! (per store, so two databases in one process never share one); the *current* version of a
//! key is read from the database each time, as another process may have saved a newer one.

use doorstep_core::policy::{PolicyDoc, PolicyKey};
use doorstep_core::problem::FieldProblem;
use doorstep_core::quarantine::{Measure, Policy, Rules};
use doorstep_store::{NewPolicyVersion, PolicyVersion, Store, audit_with};
use serde_json::json;

use crate::access::{Action, Ctx, Principal};
use crate::error::{AppError, AppResult};

/// The policy `key` at `version` (the current one when `None`), with the version found;
/// NotFound for an unknown key or version.
pub async fn policy(
    store: &dyn Store,
    key: &str,
    version: Option<u32>,
) -> AppResult<(Policy, u32)> {
    let key = PolicyKey::parse(key).map_err(|_| AppError::NotFound)?;
    store
        .policy_version(&key, version)
        .await?
        .map(|v| (v.policy, v.version))
        .ok_or(AppError::NotFound)
}

/// The rules for `measure` of the policy `key` at `version` (what an episode started under
/// them follows). Read from memory after the first time.
pub async fn rules_for(
    store: &dyn Store,
    key: &str,
    version: u32,
    measure: Measure,
) -> AppResult<Rules> {
    let (p, _) = policy(store, key, Some(version)).await?;
    p.rules(measure).cloned().ok_or(AppError::NotFound)
}

/// The policy desk: who may read policies (`Read` or `Quarantine`) lists and reads them;
/// `EditPolicies` saves new versions.
pub struct PolicyDesk<'a> {
    store: &'a dyn Store,
    who: &'a Principal,
    ctx: &'a Ctx,
}

impl<'a> PolicyDesk<'a> {
    /// The desk for `who`.
    pub fn new(store: &'a dyn Store, who: &'a Principal, ctx: &'a Ctx) -> Self {
        PolicyDesk { store, who, ctx }
    }

    fn may_read(&self) -> AppResult<()> {
        if self.who.may(Action::Read) || self.who.may(Action::Quarantine) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Whether this user may save new versions.
    pub fn may_edit(&self) -> bool {
        self.who.may(Action::EditPolicies)
    }

    /// The current version of every policy, by key.
    pub async fn list(&self) -> AppResult<Vec<PolicyVersion>> {
        self.may_read()?;
        Ok(self.store.current_policies().await?)
    }

    /// Every version of `key`, newest first; NotFound for an unknown key.
    pub async fn versions(&self, key: &str) -> AppResult<Vec<PolicyVersion>> {
        self.may_read()?;
        let key = PolicyKey::parse(key).map_err(|_| AppError::NotFound)?;
        let all = self.store.policy_versions(&key).await?;
        if all.is_empty() {
            return Err(AppError::NotFound);
        }
        Ok(all)
    }

    /// The version `version` of `key` (the current one when `None`).
    pub async fn show(&self, key: &str, version: Option<u32>) -> AppResult<PolicyVersion> {
        self.may_read()?;
        let key = PolicyKey::parse(key).map_err(|_| AppError::NotFound)?;
        self.store
            .policy_version(&key, version)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Saves `doc` as the next version of `key` (version 1 of a new key), audited
    /// (`policy.save`). `based_on` is the version the editor started from (see
    /// [`NewPolicyVersion::based_on`]). Episodes already started keep the version they name.
    pub async fn save(
        &self,
        key: &str,
        doc: &PolicyDoc,
        based_on: Option<u32>,
    ) -> AppResult<PolicyVersion> {
        if !self.may_edit() {
            return Err(AppError::Forbidden);
        }
        let key = PolicyKey::parse(key)
            .map_err(|p| AppError::Validation(vec![FieldProblem::new("key", p)]))?;
        let policy = doc.parse(&key).map_err(AppError::Validation)?;
        let entry =
            self.who
                .audit_entry(self.ctx, "policy.save", None, None, serde_json::Value::Null);
        let new = NewPolicyVersion {
            policy,
            based_on,
            by: self.who.username().to_string(),
        };
        Ok(self
            .store
            .save_policy(
                &new,
                audit_with(move |v: &PolicyVersion| {
                    let mut e = entry;
                    e.details = json!({"key": v.policy.key, "version": v.version,
                                       "name": v.policy.name, "based_on": based_on});
                    vec![e]
                }),
            )
            .await?)
    }
}
