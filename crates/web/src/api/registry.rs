//! Registry endpoints: areas, households, persons. Every one goes through
//! `doorstep_app::registry::Registry`, which checks the caller's role and area.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use doorstep_app::registry::Registry;
use doorstep_core::{AreaPath, Lang};
use doorstep_store::{AuditQuery, Id};
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::IntoParams;

use super::auth::ApiUser;
use super::dto::*;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};

fn area_param(raw: Option<&str>, lang: Lang) -> Result<Option<AreaPath>, ApiError> {
    raw.filter(|s| !s.trim().is_empty())
        .map(|s| {
            AreaPath::parse(s).map_err(|p| ApiError::bad_request("bad_area", &p.message(lang)))
        })
        .transpose()
}

/// Which subtree of areas.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AreaListQuery {
    /// The subtree's root path; the caller's own area when left out.
    pub path: Option<String>,
}

/// Lists a subtree of areas (itself first, then by path) with household and person counts.
#[utoipa::path(get, path = "/areas", tag = "registry", params(AreaListQuery), security(("bearer" = [])),
    responses((status = 200, body = List<AreaResponse>), (status = 404, body = ErrorBody)))]
pub async fn list_areas(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<AreaListQuery>,
) -> Result<Json<List<AreaResponse>>, ApiError> {
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let e = |e| ApiError::from_app(e, u.lang);
    let roots = match area_param(q.path.as_deref(), u.lang)? {
        Some(p) => vec![reg.area_by_path(&p).await.map_err(e)?],
        None => reg.home_areas().await.map_err(e)?,
    };
    let mut items = Vec::new();
    for r in roots {
        items.extend(
            reg.area_tree(&r.path)
                .await
                .map_err(e)?
                .iter()
                .map(AreaResponse::from),
        );
    }
    Ok(Json(List {
        total: items.len() as i64,
        items,
    }))
}

/// Reads one area with its counts.
#[utoipa::path(get, path = "/areas/{id}", tag = "registry", params(("id" = i64, Path, description = "area id")),
    security(("bearer" = [])), responses((status = 200, body = AreaResponse), (status = 404, body = ErrorBody)))]
pub async fn get_area(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<Id>,
) -> Result<Json<AreaResponse>, ApiError> {
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let e = |e| ApiError::from_app(e, u.lang);
    let area = reg.area(id).await.map_err(e)?;
    let tree = reg.area_tree(&area.path).await.map_err(e)?;
    let first = tree.first().ok_or_else(|| ApiError::not_found("area"))?;
    Ok(Json(AreaResponse::from(first)))
}

/// Which households.
#[derive(Debug, Deserialize, IntoParams)]
pub struct HouseholdListQuery {
    /// Only households under this area path (the caller's area when left out).
    pub area: Option<String>,
    /// Only this room number.
    pub room: Option<String>,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Rows per page, 1–200 (default 20).
    pub per_page: Option<u32>,
}

/// Lists the households under an area, by address.
#[utoipa::path(get, path = "/households", tag = "registry", params(HouseholdListQuery), security(("bearer" = [])),
    responses((status = 200, body = List<HouseholdResponse>), (status = 400, body = ErrorBody)))]
pub async fn list_households(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<HouseholdListQuery>,
) -> Result<Json<List<HouseholdResponse>>, ApiError> {
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let area = area_param(q.area.as_deref(), u.lang)?.unwrap_or_else(|| u.user.area_path.clone());
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
    };
    let page = reg
        .households(&area, q.room.as_deref().map(str::trim), paging.request())
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        items: page.items.iter().map(HouseholdResponse::from).collect(),
        total: page.total,
    }))
}

/// Reads one household with its members.
#[utoipa::path(get, path = "/households/{id}", tag = "registry", params(("id" = i64, Path, description = "household id")),
    security(("bearer" = [])), responses((status = 200, body = HouseholdDetail), (status = 404, body = ErrorBody)))]
pub async fn get_household(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<Id>,
) -> Result<Json<HouseholdDetail>, ApiError> {
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let (h, members) = reg
        .household(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(HouseholdDetail {
        household: HouseholdResponse::from(&h),
        persons: members.iter().map(PersonResponse::from).collect(),
    }))
}

/// Adds a person to a household (or moves their file here, found by document). The import's
/// validation applies; problems come back as 422 with `fields`.
#[utoipa::path(post, path = "/households/{id}/persons", tag = "registry", request_body = PersonRequest,
    params(("id" = i64, Path, description = "household id")), security(("bearer" = [])),
    responses((status = 201, body = PersonResponse), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_person(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<Id>,
    Json(req): Json<PersonRequest>,
) -> Result<(StatusCode, Json<PersonResponse>), ApiError> {
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let p = reg
        .add_person(id, &req.into())
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok((StatusCode::CREATED, Json(PersonResponse::from(&p))))
}

/// A person search.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PersonListQuery {
    /// A name or its start, an ID number or its last digits, a phone or its last digits, or a
    /// room. Roles that may not reveal find by whole numbers or by at most the last 4 digits.
    pub q: Option<String>,
    /// Only persons under this area path (inside the caller's area).
    pub area: Option<String>,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Rows per page, 1–200 (default 20).
    pub per_page: Option<u32>,
}

/// Searches persons by name, ID number, phone or room within the caller's area. ID numbers and
/// phones are masked.
#[utoipa::path(get, path = "/persons", tag = "registry", params(PersonListQuery), security(("bearer" = [])),
    responses((status = 200, body = List<PersonResponse>), (status = 400, body = ErrorBody)))]
pub async fn list_persons(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<PersonListQuery>,
) -> Result<Json<List<PersonResponse>>, ApiError> {
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
    };
    let area = area_param(q.area.as_deref(), u.lang)?;
    let page = reg
        .search(q.q, area, paging.request(), None)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        items: page.items.iter().map(PersonResponse::from).collect(),
        total: page.total,
    }))
}

/// Whether to reveal.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RevealQuery {
    /// `true` shows the full ID number and phone (roles allowed to; every reveal is audited).
    pub reveal: Option<bool>,
}

/// Reads one person file; masked unless `reveal=true`.
#[utoipa::path(get, path = "/persons/{id}", tag = "registry", params(("id" = i64, Path, description = "person id"), RevealQuery),
    security(("bearer" = [])),
    responses((status = 200, body = PersonResponse), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_person(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<Id>,
    Query(q): Query<RevealQuery>,
) -> Result<Json<PersonResponse>, ApiError> {
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let p = reg
        .person(id, q.reveal.unwrap_or(false))
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(PersonResponse::from(&p)))
}

/// Changes a person's fields (not the document). Problems come back as 422 with `fields`.
#[utoipa::path(put, path = "/persons/{id}", tag = "registry", request_body = PersonRequest,
    params(("id" = i64, Path, description = "person id")), security(("bearer" = [])),
    responses((status = 200, body = PersonResponse), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn edit_person(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<Id>,
    Json(req): Json<PersonRequest>,
) -> Result<Json<PersonResponse>, ApiError> {
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let p = reg
        .edit_person(id, &req.into())
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(PersonResponse::from(&p)))
}

/// The change history of a person file, oldest first. Phone numbers in it are masked unless
/// `reveal=true` (allowed roles; audited as a reveal).
#[utoipa::path(get, path = "/persons/{id}/history", tag = "registry", params(("id" = i64, Path, description = "person id"), RevealQuery),
    security(("bearer" = [])), responses((status = 200, body = List<HistoryResponse>), (status = 404, body = ErrorBody)))]
pub async fn person_history(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<Id>,
    Query(q): Query<RevealQuery>,
) -> Result<Json<List<HistoryResponse>>, ApiError> {
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let fail = |e| ApiError::from_app(e, u.lang);
    let reveal = q.reveal.unwrap_or(false);
    if reveal {
        reg.person(id, true).await.map_err(fail)?;
    }
    let h = reg.history(id, reveal).await.map_err(fail)?;
    Ok(Json(List {
        total: h.len() as i64,
        items: h.iter().map(HistoryResponse::from).collect(),
    }))
}

/// Which audit entries.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditListQuery {
    /// Only this user's.
    pub user: Option<String>,
    /// Only this action (`login`, `person.reveal`) or family (`person`).
    pub action: Option<String>,
    /// Only this area's subtree (inside the caller's area).
    pub area: Option<String>,
    /// Only at or after (RFC 3339).
    pub since: Option<String>,
    /// Only before (RFC 3339).
    pub until: Option<String>,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Rows per page, 1–200 (default 20).
    pub per_page: Option<u32>,
}

fn time_param(raw: Option<&str>) -> Result<Option<OffsetDateTime>, ApiError> {
    raw.filter(|s| !s.is_empty())
        .map(|s| {
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).map_err(|_| {
                ApiError::bad_request("bad_time", "use RFC 3339, e.g. 2026-11-29T08:00:00+08:00")
            })
        })
        .transpose()
}

/// Reads the audit log of the caller's area, newest first (admin roles only).
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditListQuery), security(("bearer" = [])),
    responses((status = 200, body = List<AuditResponse>), (status = 403, body = ErrorBody)))]
pub async fn audit(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<AuditListQuery>,
) -> Result<Json<List<AuditResponse>>, ApiError> {
    let reg = Registry::new(s.store.as_ref(), &u.who, &u.ctx);
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
    };
    let query = AuditQuery {
        area: area_param(q.area.as_deref(), u.lang)?,
        username: q.user,
        action: q.action,
        since: time_param(q.since.as_deref())?,
        until: time_param(q.until.as_deref())?,
        page: Some(paging.request()),
    };
    let page = reg
        .audit_log(query)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        items: page.items.iter().map(AuditResponse::from).collect(),
        total: page.total,
    }))
}

/// This module's `/api/v1` routes.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(list_areas))
        .routes(routes!(get_area))
        .routes(routes!(list_households))
        .routes(routes!(get_household))
        .routes(routes!(add_person))
        .routes(routes!(list_persons))
        .routes(routes!(get_person, edit_person))
        .routes(routes!(person_history))
        .routes(routes!(audit))
}
