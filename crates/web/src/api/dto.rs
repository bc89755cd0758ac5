//! JSON shapes of the API.

use doorstep_app::registry::{Age, PersonView};
use doorstep_core::Lang;
use doorstep_store::{AreaCount, AuditEntry, HistoryEntry, Household};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A list answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T: ToSchema> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// How many rows the whole list has.
    pub total: i64,
}

/// Paging parameters: `page` from 1, `per_page` up to 200 (default 20).
#[derive(Debug, Deserialize, IntoParams)]
pub struct Paging {
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Rows per page, 1–200 (default 20).
    pub per_page: Option<u32>,
}

impl Paging {
    /// The store's page request.
    pub fn request(&self) -> doorstep_store::PageRequest {
        let limit = self.per_page.unwrap_or(20).clamp(1, 200);
        let page = self.page.unwrap_or(1).max(1);
        doorstep_store::PageRequest {
            offset: (page - 1).saturating_mul(limit),
            limit,
        }
    }
}

/// An area with what its subtree holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct AreaResponse {
    /// Its id.
    pub id: i64,
    /// Its parent's id.
    pub parent_id: Option<i64>,
    /// district, street, community, grid, compound, building or unit.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// Its path, e.g. `二七区/京广路街道/祥云社区`.
    pub path: String,
    /// Households in its subtree.
    pub households: i64,
    /// Persons in its subtree.
    pub persons: i64,
}

impl From<&AreaCount> for AreaResponse {
    fn from(c: &AreaCount) -> Self {
        AreaResponse {
            id: c.area.id,
            parent_id: c.area.parent_id,
            kind: c.area.kind.code().to_string(),
            name: c.area.name.clone(),
            path: c.area.path.to_string(),
            households: c.households,
            persons: c.persons,
        }
    }
}

/// A household (一户一账).
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdResponse {
    /// Its id.
    pub id: i64,
    /// The building or unit it is in.
    pub area_id: i64,
    /// That area's path.
    pub area_path: String,
    /// 房号
    pub room: String,
    /// The readable address, e.g. `佳纷天地3号楼2单元1201`.
    pub address: String,
    /// How many persons live there.
    pub members: i64,
    /// Notes.
    pub notes: Option<String>,
}

impl From<&Household> for HouseholdResponse {
    fn from(h: &Household) -> Self {
        HouseholdResponse {
            id: h.id,
            area_id: h.area_id,
            area_path: h.area_path.to_string(),
            room: h.room.clone(),
            address: h.address.clone(),
            members: h.members,
            notes: h.notes.clone(),
        }
    }
}

/// A household with its members.
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdDetail {
    /// The household.
    #[serde(flatten)]
    pub household: HouseholdResponse,
    /// The persons living there.
    pub persons: Vec<PersonResponse>,
}

/// A person file (一人一档). Enumerations are given in Chinese, as rosters write them.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonResponse {
    /// Its id.
    pub id: i64,
    /// 姓名
    pub name: String,
    /// 证件类型, e.g. `居民身份证`.
    pub id_type: String,
    /// 证件号码, masked (`410103********1234`) unless `revealed`.
    pub id_number: String,
    /// 性别: `男` or `女`.
    pub sex: Option<String>,
    /// 出生日期, `YYYY-MM-DD`: only when `revealed` (the hidden digits of an ID number are
    /// the birth date).
    pub birth_date: Option<String>,
    /// Age in completed years: only when `revealed`.
    pub age: Option<i32>,
    /// 年龄段: `0-17`, `18-59` or `60+`, shown whether revealed or not.
    pub age_band: Option<String>,
    /// 联系电话, masked (`138****1234`) unless `revealed`.
    pub phone: Option<String>,
    /// Whether `id_number` and `phone` are the full values.
    pub revealed: bool,
    /// 与户主关系
    pub relation: Option<String>,
    /// 居住类型: `常住`, `租住` or `暂住`.
    pub residency: Option<String>,
    /// 标签
    pub tags: Vec<String>,
    /// The household.
    pub household_id: i64,
    /// The readable address, e.g. `佳纷天地3号楼2单元1201`.
    pub address: String,
    /// When the file was created (RFC 3339).
    pub created_at: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

/// A time as RFC 3339.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl From<&PersonView> for PersonResponse {
    fn from(v: &PersonView) -> Self {
        let p = &v.person;
        let f = &p.fields;
        PersonResponse {
            id: p.id,
            name: f.name().to_string(),
            id_type: f.doc().doc_type().label_zh().to_string(),
            id_number: v.id_number.clone(),
            sex: f.sex().map(|s| s.label(Lang::Zh).to_string()),
            birth_date: v.birth_date.map(|d| d.to_string()),
            age: match v.age {
                Some(Age::Years(y)) => Some(y),
                _ => None,
            },
            age_band: v.age_band().map(|b| b.code().to_string()),
            phone: v.phone.clone(),
            revealed: v.revealed,
            relation: f.relation().map(str::to_string),
            residency: f.residency().map(|r| r.label(Lang::Zh).to_string()),
            tags: f.tags().as_slice().to_vec(),
            household_id: p.household_id,
            address: p.address.clone(),
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
        }
    }
}

/// One change to a person file.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryResponse {
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub actor: String,
    /// Through what: import, api, form, demo.
    pub source: String,
    /// Changed fields: `{"phone": ["old", "new"]}`.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

impl From<&HistoryEntry> for HistoryResponse {
    fn from(h: &HistoryEntry) -> Self {
        HistoryResponse {
            at: rfc3339(h.at),
            actor: h.actor.clone(),
            source: h.source.clone(),
            changes: h.changes.clone(),
        }
    }
}

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditResponse {
    /// Its id.
    pub id: i64,
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub username: String,
    /// From which address.
    pub ip: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
    /// What happened.
    pub action: String,
    /// The kind of object.
    pub object_type: Option<String>,
    /// Its id.
    pub object_id: Option<i64>,
    /// Its area.
    pub area_path: Option<String>,
    /// Details (changed fields with before and after, counts).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<&AuditEntry> for AuditResponse {
    fn from(e: &AuditEntry) -> Self {
        AuditResponse {
            id: e.id,
            at: rfc3339(e.at),
            username: e.username.clone(),
            ip: e.ip.clone(),
            request_id: e.request_id.clone(),
            action: e.action.clone(),
            object_type: e.object_type.clone(),
            object_id: e.object_id,
            area_path: e.area_path.clone(),
            details: e.details.clone(),
        }
    }
}

/// The fields of a person for a form or an API write (the import's rules apply).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PersonRequest {
    /// 姓名
    #[serde(default)]
    pub name: String,
    /// 证件类型 (default 居民身份证); ignored when editing.
    #[serde(default)]
    pub id_type: String,
    /// 证件号码; ignored when editing.
    #[serde(default)]
    pub id_number: String,
    /// 性别 (derived from a resident ID; a contradiction is an error).
    #[serde(default)]
    pub sex: String,
    /// 出生日期 (other documents only).
    #[serde(default)]
    pub birth_date: String,
    /// 联系电话
    #[serde(default)]
    pub phone: String,
    /// 与户主关系
    #[serde(default)]
    pub relation: String,
    /// 居住类型: 常住, 租住 or 暂住.
    #[serde(default)]
    pub residency: String,
    /// 标签, separated by 、 or commas.
    #[serde(default)]
    pub tags: String,
}

impl From<PersonRequest> for doorstep_core::person::PersonInput {
    fn from(r: PersonRequest) -> Self {
        doorstep_core::person::PersonInput {
            name: r.name,
            id_type: r.id_type,
            id_number: r.id_number,
            sex: r.sex,
            birth_date: r.birth_date,
            phone: r.phone,
            relation: r.relation,
            residency: r.residency,
            tags: r.tags,
        }
    }
}
