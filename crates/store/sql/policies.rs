//! [`doorstep_store::Policies`] over `policy_versions`: each version's rules kept as their JSON
//! form (`doorstep_core::policy::PolicyDoc`'s `rules`), parsed and checked on the way out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use doorstep_core::policy::{PolicyDoc, PolicyKey};
use doorstep_core::quarantine::Policy;
use doorstep_store::*;
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use super::SqlStore;
use super::util::{Conn, corrupt, db_err};

/// The versions read so far, by (key, version): a version never changes once made, so what is
/// read once is kept for as long as the store lives (a few rows per policy edit).
pub(crate) type PolicyCache = Arc<Mutex<HashMap<(String, u32), PolicyVersion>>>;

const COLS: &str = "key, version, name, rules, created_by, created_at";

#[derive(sqlx::FromRow)]
struct Row {
    key: String,
    version: i64,
    name: String,
    rules: String,
    created_by: String,
    created_at: OffsetDateTime,
}

impl Row {
    fn into_version(self) -> StoreResult<PolicyVersion> {
        let bad = || corrupt("policy", &format!("{}@{}", self.key, self.version));
        let key = PolicyKey::parse(&self.key).map_err(|_| bad())?;
        let doc = PolicyDoc {
            name: self.name.clone(),
            rules: serde_json::from_str(&self.rules).map_err(|_| bad())?,
        };
        Ok(PolicyVersion {
            policy: doc.parse(&key).map_err(|_| bad())?,
            version: u32::try_from(self.version).map_err(|_| bad())?,
            created_by: self.created_by,
            created_at: self.created_at,
        })
    }
}

fn rules_json(p: &Policy) -> StoreResult<String> {
    serde_json::to_string(&PolicyDoc::of(p).rules).map_err(|e| StoreError::Other(Box::new(e)))
}

async fn insert(
    c: &mut Conn,
    p: &Policy,
    version: u32,
    by: &str,
    now: OffsetDateTime,
    if_missing: bool,
) -> StoreResult<()> {
    let tail = if if_missing {
        " ON CONFLICT (key, version) DO NOTHING"
    } else {
        ""
    };
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO policy_versions ({COLS}) VALUES ($1, $2, $3, $4, $5, $6){tail}"
    )))
    .bind(&p.key)
    .bind(i64::from(version))
    .bind(&p.name)
    .bind(rules_json(p)?)
    .bind(by)
    .bind(now)
    .execute(&mut *c)
    .await
    .map_err(|e| match db_err(e) {
        // Another save took this number first (PostgreSQL; SQLite's one writer queues them).
        StoreError::Conflict(_) => StoreError::Conflict("policy_changed".into()),
        e => e,
    })?;
    Ok(())
}

/// Writes the shipped defaults as version 1 of their keys where missing (a stored version 1
/// is never rewritten: after the first start the database, not the code, holds it).
pub(crate) async fn ensure_defaults(store: &SqlStore) -> StoreResult<()> {
    store
        .write(no_audit(), move |c| {
            Box::pin(async move {
                let now = OffsetDateTime::now_utc();
                for p in Policy::defaults() {
                    insert(c, &p, 1, "system", now, true).await?;
                }
                Ok(())
            })
        })
        .await
}

impl SqlStore {
    fn cached_policy(&self, key: &str, version: u32) -> Option<PolicyVersion> {
        self.policies
            .lock()
            .ok()
            .and_then(|m| m.get(&(key.to_string(), version)).cloned())
    }

    fn keep_policy(&self, v: &PolicyVersion) {
        if let Ok(mut m) = self.policies.lock() {
            m.insert((v.policy.key.clone(), v.version), v.clone());
        }
    }
}

#[async_trait]
impl Policies for SqlStore {
    async fn current_policies(&self) -> StoreResult<Vec<PolicyVersion>> {
        let sql = format!(
            "SELECT {COLS} FROM policy_versions v WHERE version = \
             (SELECT MAX(version) FROM policy_versions w WHERE w.key = v.key) ORDER BY key"
        );
        sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(Row::into_version)
            .collect()
    }

    async fn policy_versions(&self, key: &PolicyKey) -> StoreResult<Vec<PolicyVersion>> {
        let sql =
            format!("SELECT {COLS} FROM policy_versions WHERE key = $1 ORDER BY version DESC");
        sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .bind(key.as_str())
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(Row::into_version)
            .collect()
    }

    async fn policy_version(
        &self,
        key: &PolicyKey,
        version: Option<u32>,
    ) -> StoreResult<Option<PolicyVersion>> {
        if let Some(v) = version.and_then(|v| self.cached_policy(key.as_str(), v)) {
            return Ok(Some(v));
        }
        // The current version is read every time: another process may have saved a new one.
        let row: Option<Row> = match version {
            Some(v) => {
                sqlx::query_as(AssertSqlSafe(format!(
                    "SELECT {COLS} FROM policy_versions WHERE key = $1 AND version = $2"
                )))
                .bind(key.as_str())
                .bind(i64::from(v))
                .fetch_optional(self.pool())
                .await
            }
            None => sqlx::query_as(AssertSqlSafe(format!(
                "SELECT {COLS} FROM policy_versions WHERE key = $1 ORDER BY version DESC LIMIT 1"
            )))
            .bind(key.as_str())
            .fetch_optional(self.pool())
            .await,
        }
        .map_err(db_err)?;
        let Some(row) = row else { return Ok(None) };
        let v = row.into_version()?;
        self.keep_policy(&v);
        Ok(Some(v))
    }

    async fn save_policy(
        &self,
        new: &NewPolicyVersion,
        audit: Audit<PolicyVersion>,
    ) -> StoreResult<PolicyVersion> {
        let new = new.clone();
        let saved = self
            .write(audit, move |c| {
                Box::pin(async move {
                    let (current,): (Option<i64>,) =
                        sqlx::query_as("SELECT MAX(version) FROM policy_versions WHERE key = $1")
                            .bind(&new.policy.key)
                            .fetch_one(&mut *c)
                            .await
                            .map_err(db_err)?;
                    let current = u32::try_from(current.unwrap_or(0))
                        .map_err(|_| corrupt("policy version", &new.policy.key))?;
                    if new.based_on.is_some_and(|b| b != current) {
                        return Err(StoreError::Conflict("policy_changed".into()));
                    }
                    let now = OffsetDateTime::now_utc();
                    let version = current + 1;
                    insert(c, &new.policy, version, &new.by, now, false).await?;
                    Ok(PolicyVersion {
                        policy: new.policy,
                        version,
                        created_by: new.by,
                        created_at: now,
                    })
                })
            })
            .await?;
        self.keep_policy(&saved);
        Ok(saved)
    }
}
