//! The person a scan names, with their household (`Rounds::scan_person`): one statement by ID
//! number, file id or personal code, which also says whether an at-home episode is active for
//! them that day. Its text and its row are shared; each backend runs it its own way
//! (`crate::backend::scan_person`): PostgreSQL through sqlx ([`read`]), SQLite on a reader
//! connection of its own, without a trip to sqlx's worker thread (`store-sqlite/src/read.rs`).

use std::sync::LazyLock;

use doorstep_core::AreaPath;
use doorstep_store::{ScanHousehold, ScanPerson, ScanTarget, StoreResult};
use sqlx::AssertSqlSafe;
use time::Date;

use super::SqlStore;
use super::rows::{PERSON_COLS, PERSON_FROM, PersonRow};
use super::util::{db_err, reversed, ymd};

/// The statement for this kind of key (built once). Binds: `$1` the day (`YYYY-MM-DD`), then
/// [`Key`]'s. Columns: the person's ([`PERSON_COLS`]), then `h_area_id, at_home`.
pub fn sql(who: &ScanPerson) -> &'static str {
    static BY_KEY: LazyLock<[String; 3]> = LazyLock::new(|| {
        [
            statement("", "p.id = $2"),
            statement("", "p.id_rev = $2 AND p.id_type = $3"),
            statement(
                " JOIN person_codes pc ON pc.person_id = p.id",
                "pc.code = $2",
            ),
        ]
    });
    let i = match who {
        ScanPerson::Id(_) => 0,
        ScanPerson::Document(..) => 1,
        ScanPerson::Code(_) => 2,
    };
    &BY_KEY[i]
}

fn statement(join: &str, filter: &str) -> String {
    format!(
        "SELECT {PERSON_COLS}, h.area_id AS h_area_id, \
         EXISTS (SELECT 1 FROM episodes e WHERE e.person_id = p.id \
           AND e.measure IN ('home_quarantine', 'home_health_monitoring') \
           AND e.status = 'active' AND e.starts_on <= $1) AS at_home \
         FROM {PERSON_FROM}{join} WHERE {filter}"
    )
}

/// The values bound after the day (`$2`, `$3`).
pub enum Key<'a> {
    /// A file id.
    Id(i64),
    /// The number reversed (the `id_rev` index) and the document type's code.
    Document(String, &'a str),
    /// A personal code.
    Code(&'a str),
}

impl<'a> Key<'a> {
    /// The binds of `who`.
    pub fn of(who: &'a ScanPerson) -> Key<'a> {
        match who {
            ScanPerson::Id(id) => Key::Id(*id),
            ScanPerson::Document(t, number) => Key::Document(reversed(number), t.code()),
            ScanPerson::Code(code) => Key::Code(code.as_str()),
        }
    }
}

/// The statement's row: the person, and their household's own columns.
#[derive(sqlx::FromRow)]
pub struct Row {
    #[sqlx(flatten)]
    pub person: PersonRow,
    pub h_area_id: i64,
    pub at_home: bool,
}

impl Row {
    /// The scan's target.
    pub fn into_target(self) -> StoreResult<ScanTarget> {
        let household = ScanHousehold {
            id: self.person.household_id,
            area_id: self.h_area_id,
            area_path: AreaPath::from_stored(self.person.area_path.clone()),
            address: self.person.address.clone(),
        };
        Ok(ScanTarget {
            person: self.person.into_person()?,
            household,
            at_home: self.at_home,
        })
    }
}

/// The statement through sqlx, on a pooled connection.
#[allow(dead_code)] // SQLite reads on its own connections.
pub async fn read(
    store: &SqlStore,
    who: &ScanPerson,
    day: Date,
) -> StoreResult<Option<ScanTarget>> {
    let sql = sql(who);
    let q = sqlx::query_as::<_, Row>(AssertSqlSafe(sql)).bind(ymd(day));
    let q = match Key::of(who) {
        Key::Id(id) => q.bind(id),
        Key::Document(rev, t) => q.bind(rev).bind(t),
        Key::Code(code) => q.bind(code),
    };
    let row = q.fetch_optional(store.pool()).await.map_err(db_err)?;
    row.map(Row::into_target).transpose()
}
