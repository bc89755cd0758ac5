//! Registry endpoints: areas, households, persons.

use axum::Json;
use axum::extract::{Path, Query, State};
use doorstep_core::AreaPath;
use doorstep_store::{Id, PersonQuery};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::*;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};

fn area_param(raw: Option<&str>) -> Result<Option<AreaPath>, ApiError> {
    raw.filter(|s| !s.trim().is_empty())
        .map(|s| {
            AreaPath::parse(s)
                .map_err(|p| ApiError::bad_request("bad_area", &p.message(doorstep_core::Lang::En)))
        })
        .transpose()
}

/// Which subtree of areas.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AreaListQuery {
    /// The subtree's root path; all roots when left out.
    pub path: Option<String>,
}

/// Lists a subtree of areas (itself first, then by path) with household and person counts.
#[utoipa::path(get, path = "/areas", tag = "registry", params(AreaListQuery),
    responses((status = 200, body = List<AreaResponse>), (status = 404, body = ErrorBody)))]
pub async fn list_areas(
    State(s): State<AppState>,
    Query(q): Query<AreaListQuery>,
) -> Result<Json<List<AreaResponse>>, ApiError> {
    let roots = match area_param(q.path.as_deref())? {
        Some(p) => vec![
            s.store
                .area_by_path(&p)
                .await?
                .ok_or_else(|| ApiError::not_found("area"))?,
        ],
        None => s.store.root_areas().await?,
    };
    let mut items = Vec::new();
    for r in roots {
        items.extend(
            s.store
                .area_tree(&r.path)
                .await?
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
    responses((status = 200, body = AreaResponse), (status = 404, body = ErrorBody)))]
pub async fn get_area(
    State(s): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Json<AreaResponse>, ApiError> {
    let area = s
        .store
        .area_by_id(id)
        .await?
        .ok_or_else(|| ApiError::not_found("area"))?;
    let tree = s.store.area_tree(&area.path).await?;
    let first = tree.first().ok_or_else(|| ApiError::not_found("area"))?;
    Ok(Json(AreaResponse::from(first)))
}

/// Which households.
#[derive(Debug, Deserialize, IntoParams)]
pub struct HouseholdListQuery {
    /// Only households under this area path (required).
    pub area: String,
    /// Only this room number.
    pub room: Option<String>,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Rows per page, 1–200 (default 20).
    pub per_page: Option<u32>,
}

/// Lists the households under an area, by address.
#[utoipa::path(get, path = "/households", tag = "registry", params(HouseholdListQuery),
    responses((status = 200, body = List<HouseholdResponse>), (status = 400, body = ErrorBody)))]
pub async fn list_households(
    State(s): State<AppState>,
    Query(q): Query<HouseholdListQuery>,
) -> Result<Json<List<HouseholdResponse>>, ApiError> {
    let area = area_param(Some(&q.area))?
        .ok_or_else(|| ApiError::bad_request("area_required", "area is required"))?;
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
    };
    let page = s
        .store
        .households(&area, q.room.as_deref().map(str::trim), paging.request())
        .await?;
    Ok(Json(List {
        items: page.items.iter().map(HouseholdResponse::from).collect(),
        total: page.total,
    }))
}

/// Reads one household with its members.
#[utoipa::path(get, path = "/households/{id}", tag = "registry", params(("id" = i64, Path, description = "household id")),
    responses((status = 200, body = HouseholdDetail), (status = 404, body = ErrorBody)))]
pub async fn get_household(
    State(s): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Json<HouseholdDetail>, ApiError> {
    let h = s
        .store
        .household(id)
        .await?
        .ok_or_else(|| ApiError::not_found("household"))?;
    let members = s.store.household_members(id).await?;
    Ok(Json(HouseholdDetail {
        household: HouseholdResponse::from(&h),
        persons: members.iter().map(PersonResponse::from).collect(),
    }))
}

/// A person search.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PersonListQuery {
    /// A name or its start, an ID number or its last digits, a phone or its last digits, or a room.
    pub q: Option<String>,
    /// Only persons under this area path.
    pub area: Option<String>,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Rows per page, 1–200 (default 20).
    pub per_page: Option<u32>,
}

/// Searches persons by name, ID number, phone or room, optionally within an area.
#[utoipa::path(get, path = "/persons", tag = "registry", params(PersonListQuery),
    responses((status = 200, body = List<PersonResponse>), (status = 400, body = ErrorBody)))]
pub async fn list_persons(
    State(s): State<AppState>,
    Query(q): Query<PersonListQuery>,
) -> Result<Json<List<PersonResponse>>, ApiError> {
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
    };
    let query = PersonQuery {
        text: q.q,
        area: area_param(q.area.as_deref())?,
        page: paging.request(),
    };
    let page = s.store.search_persons(&query).await?;
    Ok(Json(List {
        items: page.items.iter().map(PersonResponse::from).collect(),
        total: page.total,
    }))
}

/// Reads one person file.
#[utoipa::path(get, path = "/persons/{id}", tag = "registry", params(("id" = i64, Path, description = "person id")),
    responses((status = 200, body = PersonResponse), (status = 404, body = ErrorBody)))]
pub async fn get_person(
    State(s): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Json<PersonResponse>, ApiError> {
    let p = s
        .store
        .person(id)
        .await?
        .ok_or_else(|| ApiError::not_found("person"))?;
    Ok(Json(PersonResponse::from(&p)))
}

/// The change history of a person file, oldest first.
#[utoipa::path(get, path = "/persons/{id}/history", tag = "registry", params(("id" = i64, Path, description = "person id")),
    responses((status = 200, body = List<HistoryResponse>), (status = 404, body = ErrorBody)))]
pub async fn person_history(
    State(s): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Json<List<HistoryResponse>>, ApiError> {
    s.store
        .person(id)
        .await?
        .ok_or_else(|| ApiError::not_found("person"))?;
    let h = s.store.person_history(id).await?;
    Ok(Json(List {
        total: h.len() as i64,
        items: h.iter().map(HistoryResponse::from).collect(),
    }))
}
