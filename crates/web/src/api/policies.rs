//! Quarantine policies as JSON (`/api/v1/policies`): the current version of each, a policy's
//! versions, one version, and saving a new version, through
//! `doorstep_app::quarantine::policies::PolicyDesk`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use doorstep_app::quarantine::policies::PolicyDesk;
use doorstep_core::policy::{PolicyDoc, ReleaseDoc, RulesDoc};
use doorstep_store::PolicyVersion;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiUser;
use super::dto::{List, rfc3339};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};

/// What releasing requires.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseBody {
    /// Every check-in done, or each missed one explained by a worker.
    #[serde(default)]
    pub checkins: bool,
    /// Every test day's test negative.
    #[serde(default)]
    pub negative_tests: bool,
}

/// One measure's rules.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesBody {
    /// How many days (1–366; day 1 is the start day).
    pub days: u32,
    /// The check-in windows of each day, China's time, `HH:MM-HH:MM`, in order (at most six;
    /// none for central quarantine).
    #[serde(default)]
    pub windows: Vec<String>,
    /// The days with a test (1-based, within `days`, each once).
    #[serde(default)]
    pub test_days: Vec<u32>,
    /// Whether the household's other members are placed under it with the person.
    #[serde(default)]
    pub co_residents: bool,
    /// What release requires.
    #[serde(default)]
    pub release: ReleaseBody,
}

impl From<&RulesDoc> for RulesBody {
    fn from(d: &RulesDoc) -> Self {
        RulesBody {
            days: d.days,
            windows: d.windows.clone(),
            test_days: d.test_days.clone(),
            co_residents: d.co_residents,
            release: ReleaseBody {
                checkins: d.release.checkins,
                negative_tests: d.release.negative_tests,
            },
        }
    }
}

impl From<RulesBody> for RulesDoc {
    fn from(b: RulesBody) -> Self {
        RulesDoc {
            days: b.days,
            windows: b.windows,
            test_days: b.test_days,
            co_residents: b.co_residents,
            release: ReleaseDoc {
                checkins: b.release.checkins,
                negative_tests: b.release.negative_tests,
            },
        }
    }
}

/// A version of a policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyResponse {
    /// The policy's key, the same across versions (`ninth_edition`, `nov_2022`, …).
    pub key: String,
    /// This version (1 is the first). An episode names `key@version`.
    pub version: u32,
    /// Its name.
    pub name: String,
    /// The rules of each measure it covers, by measure code (`home_quarantine`,
    /// `home_health_monitoring`, `central_quarantine`).
    pub rules: BTreeMap<String, RulesBody>,
    /// Who saved it (`system` for a shipped default).
    pub created_by: String,
    /// When (RFC 3339).
    pub created_at: String,
}

impl From<&PolicyVersion> for PolicyResponse {
    fn from(v: &PolicyVersion) -> Self {
        let doc = PolicyDoc::of(&v.policy);
        PolicyResponse {
            key: v.policy.key.clone(),
            version: v.version,
            name: doc.name,
            rules: doc
                .rules
                .iter()
                .map(|(k, r)| (k.clone(), RulesBody::from(r)))
                .collect(),
            created_by: v.created_by.clone(),
            created_at: rfc3339(v.created_at),
        }
    }
}

/// A new version of a policy.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyRequest {
    /// Its name as staff see it (at most 100 characters).
    pub name: String,
    /// The rules of each measure it covers, by measure code; a measure left out is not covered.
    pub rules: BTreeMap<String, RulesBody>,
    /// The version this edit started from: refused with 409 `policy_changed` when another
    /// version was saved since (0 to create a new policy, refused if the key exists). Left
    /// out: saved after whatever is current.
    pub based_on: Option<u32>,
}

fn desk<'a>(s: &'a AppState, u: &'a ApiUser) -> PolicyDesk<'a> {
    PolicyDesk::new(s.store.as_ref(), &u.who, &u.ctx)
}

/// The current version of every policy.
#[utoipa::path(get, path = "/policies", tag = "quarantine", security(("bearer" = [])),
    responses((status = 200, body = List<PolicyResponse>), (status = 403, body = ErrorBody)))]
pub async fn list_policies(
    State(s): State<AppState>,
    u: ApiUser,
) -> Result<Json<List<PolicyResponse>>, ApiError> {
    let all = desk(&s, &u)
        .list()
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: all.len() as i64,
        items: all.iter().map(PolicyResponse::from).collect(),
    }))
}

/// Every version of a policy, newest first; 404 for an unknown key.
#[utoipa::path(get, path = "/policies/{key}", tag = "quarantine", security(("bearer" = [])),
    params(("key" = String, Path, description = "The policy's key")),
    responses((status = 200, body = List<PolicyResponse>), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn policy_versions(
    State(s): State<AppState>,
    u: ApiUser,
    Path(key): Path<String>,
) -> Result<Json<List<PolicyResponse>>, ApiError> {
    let all = desk(&s, &u)
        .versions(&key)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: all.len() as i64,
        items: all.iter().map(PolicyResponse::from).collect(),
    }))
}

/// One version of a policy; 404 for an unknown key or version.
#[utoipa::path(get, path = "/policies/{key}/versions/{version}", tag = "quarantine",
    security(("bearer" = [])),
    params(("key" = String, Path, description = "The policy's key"),
           ("version" = u32, Path, description = "The version, from 1")),
    responses((status = 200, body = PolicyResponse), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn policy_version(
    State(s): State<AppState>,
    u: ApiUser,
    Path((key, version)): Path<(String, u32)>,
) -> Result<Json<PolicyResponse>, ApiError> {
    let v = desk(&s, &u)
        .show(&key, Some(version))
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(PolicyResponse::from(&v)))
}

/// Saves a new version of a policy (version 1 of a new key): 201 with it. Episodes already
/// started keep the version they were started under. 422 with the fields
/// (`name`, `rules.<measure>.days`, `.windows`, `.test_days`, `.release`, `key`); 409
/// `policy_changed`; 403 without the right to edit policies (district and up).
#[utoipa::path(post, path = "/policies/{key}/versions", tag = "quarantine",
    security(("bearer" = [])), request_body = PolicyRequest,
    params(("key" = String, Path, description = "The policy's key (a new one creates the policy)")),
    responses((status = 201, body = PolicyResponse), (status = 422, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn save_policy(
    State(s): State<AppState>,
    u: ApiUser,
    Path(key): Path<String>,
    Json(req): Json<PolicyRequest>,
) -> Result<(StatusCode, Json<PolicyResponse>), ApiError> {
    let doc = PolicyDoc {
        name: req.name,
        rules: req
            .rules
            .into_iter()
            .map(|(k, r)| (k, RulesDoc::from(r)))
            .collect(),
    };
    let v = desk(&s, &u)
        .save(&key, &doc, req.based_on)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok((StatusCode::CREATED, Json(PolicyResponse::from(&v))))
}

/// The routes.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(list_policies))
        .routes(routes!(policy_versions))
        .routes(routes!(policy_version))
        .routes(routes!(save_policy))
}
