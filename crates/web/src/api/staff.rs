//! The working force and its duties (分包): the staff roster, assigning and removing duties,
//! who owns an area and where no one does. Every endpoint goes through
//! `doorstep_app::staff::StaffDesk`, which checks the caller's role and area.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use doorstep_app::staff::{Owners, StaffDesk};
use doorstep_core::staff::StaffInput;
use doorstep_core::{AreaKind, AreaPath, Duty, Lang, StaffKind};
use doorstep_store::{Area, DutyAssignment, Id, StaffMember};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiUser;
use super::dto::{List, Paging, rfc3339};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};

/// A staff member.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffResponse {
    /// Its id.
    pub id: i64,
    /// 姓名
    pub name: String,
    /// 手机号 (a work number: shown in full)
    pub phone: String,
    /// `committee`, `grid`, `property`, `party_member`, `volunteer`, `medical`, `police`,
    /// `cadre` or `other`.
    pub kind: String,
    /// 技能
    pub skills: Vec<String>,
    /// 可用时间
    pub availability: String,
    /// 备注
    pub notes: String,
    /// Working now.
    pub active: bool,
    /// The managing area.
    pub area: String,
    /// The linked user account's id.
    pub user_id: Option<i64>,
    /// The duties held (single reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duties: Option<Vec<DutyResponse>>,
}

impl From<&StaffMember> for StaffResponse {
    fn from(m: &StaffMember) -> Self {
        let f = &m.fields;
        StaffResponse {
            id: m.id,
            name: f.name.clone(),
            phone: f.phone.as_str().to_string(),
            kind: f.kind.code().to_string(),
            skills: f.skills.clone(),
            availability: f.availability.clone(),
            notes: f.notes.clone(),
            active: m.active,
            area: m.area_path.to_string(),
            user_id: m.user_id,
            duties: None,
        }
    }
}

/// Who holds a duty, in short.
#[derive(Debug, Serialize, ToSchema)]
pub struct Holder {
    /// The staff member's id.
    pub id: i64,
    /// 姓名
    pub name: String,
    /// 手机号
    pub phone: String,
}

/// A duty held in an area.
#[derive(Debug, Serialize, ToSchema)]
pub struct DutyResponse {
    /// Its id.
    pub id: i64,
    /// `area_lead`, `grid_leader`, `grid_worker`, `building_captain`, `unit_captain` or
    /// `volunteer`.
    pub duty: String,
    /// The area's path.
    pub area: String,
    /// The area's kind.
    pub area_kind: String,
    /// Who holds it.
    pub staff: Holder,
    /// Who assigned it.
    pub created_by: String,
    /// When (RFC 3339).
    pub created_at: String,
}

impl From<&DutyAssignment> for DutyResponse {
    fn from(a: &DutyAssignment) -> Self {
        DutyResponse {
            id: a.id,
            duty: a.duty.code().to_string(),
            area: a.area_path.to_string(),
            area_kind: a.area_kind.code().to_string(),
            staff: Holder {
                id: a.staff.id,
                name: a.staff.fields.name.clone(),
                phone: a.staff.fields.phone.as_str().to_string(),
            },
            created_by: a.created_by.clone(),
            created_at: rfc3339(a.created_at),
        }
    }
}

/// Which staff.
#[derive(Debug, Deserialize, IntoParams)]
pub struct StaffListQuery {
    /// Managed under this area (the caller's area when left out).
    pub area: Option<String>,
    /// Of this kind.
    pub kind: Option<String>,
    /// `true` for working ones only, `false` for inactive ones only.
    pub active: Option<bool>,
    /// Name contains, or phone ends with.
    pub q: Option<String>,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Rows per page, 1–200 (default 20).
    pub per_page: Option<u32>,
}

fn area_param(raw: Option<&str>, lang: Lang) -> Result<Option<AreaPath>, ApiError> {
    raw.filter(|s| !s.trim().is_empty())
        .map(|s| {
            AreaPath::parse(s).map_err(|p| ApiError::bad_request("bad_area", &p.message(lang)))
        })
        .transpose()
}

fn required_area(raw: Option<&str>, lang: Lang) -> Result<AreaPath, ApiError> {
    area_param(raw, lang)?.ok_or_else(|| {
        ApiError::bad_request("bad_area", lang.pick("请指定区域 area", "area is required"))
    })
}

/// Lists the staff managed in an area, by name.
#[utoipa::path(get, path = "/staff", tag = "staff", params(StaffListQuery), security(("bearer" = [])),
    responses((status = 200, body = List<StaffResponse>), (status = 404, body = ErrorBody)))]
pub async fn list_staff(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<StaffListQuery>,
) -> Result<Json<List<StaffResponse>>, ApiError> {
    let desk = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let kind = match q.kind.as_deref().filter(|k| !k.trim().is_empty()) {
        None => None,
        Some(k) => Some(StaffKind::parse(k).ok_or_else(|| {
            ApiError::bad_request("bad_kind", u.lang.pick("人员类别不正确", "unknown kind"))
        })?),
    };
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
    };
    let page = desk
        .list(
            area_param(q.area.as_deref(), u.lang)?,
            kind,
            q.active,
            q.q,
            paging.request(),
        )
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        items: page.items.iter().map(StaffResponse::from).collect(),
        total: page.total,
    }))
}

/// A staff member to add, or the fields to change (left out: unchanged).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct StaffRequest {
    /// The managing area (adding; the caller's area when left out).
    pub area: Option<String>,
    /// 姓名
    pub name: Option<String>,
    /// 手机号 (one staff record per phone)
    pub phone: Option<String>,
    /// A kind code or its Chinese name (`网格员`, `物业` …).
    pub kind: Option<String>,
    /// 技能, as a list.
    pub skills: Option<Vec<String>>,
    /// 可用时间
    pub availability: Option<String>,
    /// 备注
    pub notes: Option<String>,
    /// The user name of their account (`""` unlinks).
    pub username: Option<String>,
    /// Working or not (changing only).
    pub active: Option<bool>,
}

impl StaffRequest {
    /// The request over `base` (what is left out stays as it is).
    fn onto(self, mut base: doorstep_app::staff::StaffForm) -> doorstep_app::staff::StaffForm {
        let i = &mut base.input;
        let put = |slot: &mut String, v: Option<String>| {
            if let Some(v) = v {
                *slot = v;
            }
        };
        put(&mut i.name, self.name);
        put(&mut i.phone, self.phone);
        put(&mut i.kind, self.kind);
        put(&mut i.skills, self.skills.map(|s| s.join("、")));
        put(&mut i.availability, self.availability);
        put(&mut i.notes, self.notes);
        put(&mut base.area, self.area);
        if self.username.is_some() {
            base.username = self.username;
        }
        if self.active.is_some() {
            base.active = self.active;
        }
        base
    }
}

/// Adds a staff member to an area's roster (needs `manage_staff` in the area). 409
/// `staff_phone_unique` when the phone has a record already.
#[utoipa::path(post, path = "/staff", tag = "staff", request_body = StaffRequest, security(("bearer" = [])),
    responses((status = 201, body = StaffResponse), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_staff(
    State(s): State<AppState>,
    u: ApiUser,
    Json(req): Json<StaffRequest>,
) -> Result<(StatusCode, Json<StaffResponse>), ApiError> {
    let desk = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let form = req.onto(doorstep_app::staff::StaffForm {
        input: StaffInput::default(),
        ..Default::default()
    });
    let m = desk
        .create(&form)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok((StatusCode::CREATED, Json(StaffResponse::from(&m))))
}

/// One staff member with the duties they hold.
#[utoipa::path(get, path = "/staff/{id}", tag = "staff", params(("id" = i64, Path, description = "staff id")),
    security(("bearer" = [])), responses((status = 200, body = StaffResponse), (status = 404, body = ErrorBody)))]
pub async fn get_staff(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<Id>,
) -> Result<Json<StaffResponse>, ApiError> {
    let desk = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let (m, duties) = desk
        .member(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    let mut r = StaffResponse::from(&m);
    r.duties = Some(duties.iter().map(DutyResponse::from).collect());
    Ok(Json(r))
}

/// Changes a staff member (fields left out stay as they are); `"active": false` takes them
/// off work (they then own nothing: their areas show as gaps). Audited with before and after.
#[utoipa::path(patch, path = "/staff/{id}", tag = "staff", request_body = StaffRequest,
    params(("id" = i64, Path, description = "staff id")), security(("bearer" = [])),
    responses((status = 200, body = StaffResponse), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn update_staff(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<Id>,
    Json(req): Json<StaffRequest>,
) -> Result<Json<StaffResponse>, ApiError> {
    let desk = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let fail = |e| ApiError::from_app(e, u.lang);
    let (m, _) = desk.member(id).await.map_err(fail)?;
    let m = desk
        .update(id, &req.onto(StaffDesk::form_of(&m)))
        .await
        .map_err(fail)?;
    Ok(Json(StaffResponse::from(&m)))
}

/// Which duties.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DutyListQuery {
    /// The area (the caller's when left out): every duty on it and below (分包责任表).
    pub area: Option<String>,
}

/// The responsibility table: every duty held in an area and below, by area.
#[utoipa::path(get, path = "/duties", tag = "staff", params(DutyListQuery), security(("bearer" = [])),
    responses((status = 200, body = List<DutyResponse>), (status = 404, body = ErrorBody)))]
pub async fn list_duties(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<DutyListQuery>,
) -> Result<Json<List<DutyResponse>>, ApiError> {
    let desk = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let area = match area_param(q.area.as_deref(), u.lang)? {
        Some(a) => a,
        None => u.user.area_path.clone(),
    };
    let all = desk
        .table(&area)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: all.len() as i64,
        items: all.iter().map(DutyResponse::from).collect(),
    }))
}

/// A duty to give.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignRequest {
    /// The area's path (a grid, compound, building or unit).
    pub area: String,
    /// The duty's slug (`building_captain` …) or Chinese name (楼栋长 …).
    pub duty: String,
    /// The staff member, by id …
    #[serde(default)]
    pub staff_id: Option<i64>,
    /// … or by phone.
    #[serde(default)]
    pub phone: Option<String>,
}

/// Gives a staff member a duty in an area (needs `manage_staff` there); giving it again
/// answers the existing assignment. Audited as `duty.assign`.
#[utoipa::path(post, path = "/duties", tag = "staff", request_body = AssignRequest, security(("bearer" = [])),
    responses((status = 201, body = DutyResponse), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn assign_duty(
    State(s): State<AppState>,
    u: ApiUser,
    Json(req): Json<AssignRequest>,
) -> Result<(StatusCode, Json<DutyResponse>), ApiError> {
    let desk = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let fail = |e| ApiError::from_app(e, u.lang);
    let a = match (req.staff_id, req.phone.as_deref()) {
        (Some(id), _) => desk.assign(&req.area, &req.duty, id).await,
        (None, Some(phone)) => desk.assign_by_phone(&req.area, &req.duty, phone).await,
        (None, None) => Err(doorstep_app::error::AppError::Validation(vec![
            doorstep_core::problem::FieldProblem::new("staff_id", doorstep_core::Problem::Required),
        ])),
    }
    .map_err(fail)?;
    Ok((StatusCode::CREATED, Json(DutyResponse::from(&a))))
}

/// Takes a duty away. Audited as `duty.remove`.
#[utoipa::path(delete, path = "/duties/{id}", tag = "staff", params(("id" = i64, Path, description = "duty id")),
    security(("bearer" = [])), responses((status = 200, body = DutyResponse), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn remove_duty(
    State(s): State<AppState>,
    u: ApiUser,
    Path(id): Path<Id>,
) -> Result<Json<DutyResponse>, ApiError> {
    let desk = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let a = desk
        .unassign(id)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(DutyResponse::from(&a)))
}

/// Which area.
#[derive(Debug, Deserialize, IntoParams)]
pub struct OwnersQuery {
    /// The area's path.
    pub area: Option<String>,
}

/// Who owns an area for one duty.
#[derive(Debug, Serialize, ToSchema)]
pub struct OwnersResponse {
    /// The duty's slug.
    pub duty: String,
    /// The holders.
    pub holders: Vec<DutyResponse>,
    /// The area above whose holders these are, when the area has none of its own.
    pub inherited_from: Option<String>,
}

impl From<&Owners> for OwnersResponse {
    fn from(o: &Owners) -> Self {
        OwnersResponse {
            duty: o.duty.code().to_string(),
            holders: o.holders.iter().map(DutyResponse::from).collect(),
            inherited_from: o.inherited_from.as_ref().map(AreaPath::to_string),
        }
    }
}

/// Who owns an area, duty by duty (its own holders, else the nearest area above's).
#[utoipa::path(get, path = "/duties/owners", tag = "staff", params(OwnersQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<OwnersResponse>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn owners(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<OwnersQuery>,
) -> Result<Json<Vec<OwnersResponse>>, ApiError> {
    let desk = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let area = required_area(q.area.as_deref(), u.lang)?;
    let o = desk
        .owners(&area)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(o.iter().map(OwnersResponse::from).collect()))
}

/// Which gaps.
#[derive(Debug, Deserialize, IntoParams)]
pub struct GapsQuery {
    /// Under this area (the caller's when left out).
    pub area: Option<String>,
    /// `building` (default), `compound`, `grid` or `unit`.
    pub kind: Option<String>,
    /// The duty (default `building_captain`).
    pub duty: Option<String>,
}

/// An area without an owner.
#[derive(Debug, Serialize, ToSchema)]
pub struct GapResponse {
    /// Its id.
    pub id: i64,
    /// Its path.
    pub area: String,
    /// Its kind.
    pub kind: String,
}

impl From<&Area> for GapResponse {
    fn from(a: &Area) -> Self {
        GapResponse {
            id: a.id,
            area: a.path.to_string(),
            kind: a.kind.code().to_string(),
        }
    }
}

/// The gaps: areas of a kind with no working owner of a duty, on themselves or above.
#[utoipa::path(get, path = "/duties/gaps", tag = "staff", params(GapsQuery), security(("bearer" = [])),
    responses((status = 200, body = List<GapResponse>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn gaps(
    State(s): State<AppState>,
    u: ApiUser,
    Query(q): Query<GapsQuery>,
) -> Result<Json<List<GapResponse>>, ApiError> {
    let desk = StaffDesk::new(s.store.as_ref(), &u.who, &u.ctx);
    let area = match area_param(q.area.as_deref(), u.lang)? {
        Some(a) => a,
        None => u.user.area_path.clone(),
    };
    let kind = match q.kind.as_deref().filter(|k| !k.trim().is_empty()) {
        None => AreaKind::Building,
        Some(k) => {
            AreaKind::parse(k).map_err(|p| ApiError::bad_request("bad_kind", &p.message(u.lang)))?
        }
    };
    let duty = match q.duty.as_deref().filter(|d| !d.trim().is_empty()) {
        None => Duty::BuildingCaptain,
        Some(d) => Duty::parse(d).ok_or_else(|| {
            ApiError::bad_request("bad_duty", u.lang.pick("职责不正确", "unknown duty"))
        })?,
    };
    let g = desk
        .gaps(&area, kind, duty)
        .await
        .map_err(|e| ApiError::from_app(e, u.lang))?;
    Ok(Json(List {
        total: g.len() as i64,
        items: g.iter().map(GapResponse::from).collect(),
    }))
}

/// The routes of the staff API.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(list_staff, create_staff))
        .routes(routes!(get_staff, update_staff))
        .routes(routes!(list_duties, assign_duty))
        .routes(routes!(remove_duty))
        .routes(routes!(owners))
        .routes(routes!(gaps))
}
