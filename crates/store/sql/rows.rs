//! Rows as the database returns them, and their conversion into store values.

use doorstep_core::person::PersonFields;
use doorstep_core::{AreaKind, AreaPath, DocType, IdDocument, Phone, Residency, Sex, Tags};
use doorstep_store::{Area, Household, Person, StoreResult};
use time::{Date, OffsetDateTime};

use super::util::corrupt;

/// The columns of an area, in this order.
pub const AREA_COLS: &str = "a.id, a.parent_id, a.kind, a.name, a.path";

/// An `areas` row.
#[derive(sqlx::FromRow)]
pub struct AreaRow {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: String,
    pub name: String,
    pub path: String,
}

impl AreaRow {
    pub fn into_area(self) -> StoreResult<Area> {
        let kind = AreaKind::parse(&self.kind).map_err(|_| corrupt("area kind", &self.kind))?;
        Ok(Area {
            id: self.id,
            parent_id: self.parent_id,
            kind,
            name: self.name,
            path: AreaPath::from_stored(self.path),
        })
    }
}

/// The columns of a household with its area path and member count, in this order.
pub const HOUSEHOLD_COLS: &str = "h.id, h.area_id, a.path AS area_path, h.room, h.address, h.notes, \
     (SELECT COUNT(*) FROM persons m WHERE m.household_id = h.id) AS members";

/// A `households` row with its area path.
#[derive(sqlx::FromRow)]
pub struct HouseholdRow {
    pub id: i64,
    pub area_id: i64,
    pub area_path: String,
    pub room: String,
    pub address: String,
    pub notes: Option<String>,
    pub members: i64,
}

impl From<HouseholdRow> for Household {
    fn from(r: HouseholdRow) -> Household {
        Household {
            id: r.id,
            area_id: r.area_id,
            area_path: AreaPath::from_stored(r.area_path),
            room: r.room,
            address: r.address,
            members: r.members,
            notes: r.notes,
        }
    }
}

/// The tables a person is read from: the person, their household and its area.
pub const PERSON_FROM: &str =
    "persons p JOIN households h ON h.id = p.household_id JOIN areas ha ON ha.id = h.area_id";

/// The columns of a person with their address, in this order (see [`PERSON_FROM`]).
pub const PERSON_COLS: &str = "p.id, p.household_id, h.address, ha.path AS area_path, p.name, p.id_type, p.id_number, \
     p.sex, p.birth_date, p.phone, p.relation, p.residency, p.tags, p.created_at, p.updated_at";

/// A `persons` row with its household's address.
#[derive(sqlx::FromRow)]
pub struct PersonRow {
    pub id: i64,
    pub household_id: i64,
    pub address: String,
    pub area_path: String,
    pub name: String,
    pub id_type: String,
    pub id_number: String,
    pub sex: Option<String>,
    pub birth_date: Option<Date>,
    pub phone: Option<String>,
    pub relation: Option<String>,
    pub residency: Option<String>,
    pub tags: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl PersonRow {
    pub fn into_person(self) -> StoreResult<Person> {
        let doc_type =
            DocType::parse(&self.id_type).map_err(|_| corrupt("document type", &self.id_type))?;
        let sex = match self.sex.as_deref() {
            None => None,
            Some(s) => Some(
                Sex::parse_optional(s)
                    .ok()
                    .flatten()
                    .ok_or_else(|| corrupt("sex", s))?,
            ),
        };
        let residency = match self.residency.as_deref() {
            None => None,
            Some(s) => Some(
                Residency::parse_optional(s)
                    .ok()
                    .flatten()
                    .ok_or_else(|| corrupt("residency", s))?,
            ),
        };
        let tags: Vec<String> =
            serde_json::from_str(&self.tags).map_err(|_| corrupt("tags", &self.tags))?;
        let fields = PersonFields::from_stored(
            self.name,
            IdDocument::from_stored(doc_type, self.id_number),
            sex,
            self.birth_date,
            self.phone.map(Phone::from_stored),
            self.relation,
            residency,
            Tags::from_stored(tags),
        );
        Ok(Person {
            id: self.id,
            household_id: self.household_id,
            address: self.address,
            area_path: AreaPath::from_stored(self.area_path),
            fields,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// Converts many person rows.
pub fn persons(rows: Vec<PersonRow>) -> StoreResult<Vec<Person>> {
    rows.into_iter().map(PersonRow::into_person).collect()
}

/// The stored text of a person's tags.
pub fn tags_json(tags: &Tags) -> String {
    serde_json::to_string(tags.as_slice()).unwrap_or_else(|_| "[]".to_string())
}
