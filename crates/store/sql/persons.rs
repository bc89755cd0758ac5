//! Person files: batch upsert with history, reads, search and export pages.

use std::collections::HashMap;

use doorstep_core::text::{compact, tidy};
use doorstep_core::{AreaPath, DocType, Lang, PersonFields};
use doorstep_store::*;
use serde_json::{Map, Value, json};
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use super::counts::CountDeltas;
use super::rows::{PERSON_COLS, PERSON_FROM, PersonRow, persons, tags_json};
use super::util::Conn;
use super::util::{
    MAX_PARAMS, db_err, list_clause, prefix_upper, reversed, subtree_bounds, values_clause,
};
use crate::backend::{LoadState, Pool, insert_new};

/// Columns written for a new person, in bind order.
pub const INSERT_COLS: &str = "household_id, name, id_type, id_number, id_rev, sex, birth_date, phone, phone_rev, \
     relation, residency, tags, created_at, updated_at";

/// Creates or updates one batch of persons inside the write transaction the caller holds.
pub async fn upsert_persons(
    conn: &mut Conn,
    actor: &Actor,
    rows: &[PersonUpsert],
) -> StoreResult<UpsertReport> {
    if rows.is_empty() {
        return Ok(UpsertReport::default());
    }
    let mut state = LoadState::default();
    let mut counts = CountDeltas::default();
    let report = upsert_persons_in(conn, actor, rows, &mut state, &mut counts).await?;
    counts.apply(conn).await?;
    Ok(report)
}

/// [`upsert_persons`] inside a transaction the caller holds; `state` is what the backend keeps
/// across the batches of one load. Rows whose document is on file outside the actor's area
/// ([`refused_rows`]) are refused before anything is written, so such a file is neither moved
/// nor changed and no household is created for the row. The changes to the area totals are
/// added to `counts`, which the caller applies in the same transaction.
pub async fn upsert_persons_in(
    conn: &mut Conn,
    actor: &Actor,
    rows: &[PersonUpsert],
    state: &mut LoadState,
    counts: &mut CountDeltas,
) -> StoreResult<UpsertReport> {
    let refused = refused_rows(conn, actor, rows, state).await?;
    upsert_kept(conn, actor, rows, &refused, state, counts).await
}

/// The indexes (ascending) of the rows an actor limited to an area ([`Actor::within`]) may not
/// write: their document is on file in a household outside it. A load into an empty registry
/// writes only inside the actor's area, and refuses none.
pub async fn refused_rows(
    conn: &mut Conn,
    actor: &Actor,
    rows: &[PersonUpsert],
    state: &LoadState,
) -> StoreResult<Vec<usize>> {
    match &actor.within {
        Some(area) if !state.registry_was_empty() => filed_outside(conn, rows, area).await,
        _ => Ok(Vec::new()),
    }
}

/// [`upsert_persons_in`] with its refused rows known (`refused`, ascending indexes): those
/// are answered [`UpsertOutcome::Refused`] and not written.
pub async fn upsert_kept(
    conn: &mut Conn,
    actor: &Actor,
    rows: &[PersonUpsert],
    refused: &[usize],
    state: &mut LoadState,
    counts: &mut CountDeltas,
) -> StoreResult<UpsertReport> {
    if refused.is_empty() {
        return write_rows(conn, actor, rows, state, counts).await;
    }
    let kept: Vec<PersonUpsert> = rows
        .iter()
        .enumerate()
        .filter(|(i, _)| refused.binary_search(i).is_err())
        .map(|(_, r)| r.clone())
        .collect();
    let written = write_rows(conn, actor, &kept, state, counts).await?;
    let mut written_outcomes = written.outcomes.into_iter();
    let mut outcomes = Vec::with_capacity(rows.len());
    for i in 0..rows.len() {
        if refused.binary_search(&i).is_ok() {
            outcomes.push(RowOutcome {
                outcome: UpsertOutcome::Refused,
                id: 0,
                changes: None,
            });
        } else {
            outcomes.push(written_outcomes.next().ok_or_else(|| {
                StoreError::Other("a kept row of the batch has no outcome".into())
            })?);
        }
    }
    Ok(UpsertReport {
        outcomes,
        households_created: written.households_created,
    })
}

/// The indexes (ascending) of the rows whose document is on file in a household outside `area`.
async fn filed_outside(
    conn: &mut Conn,
    rows: &[PersonUpsert],
    area: &AreaPath,
) -> StoreResult<Vec<usize>> {
    let (a, b, c) = subtree_bounds(area);
    let mut outside: std::collections::HashSet<(String, String)> = Default::default();
    let mut revs: Vec<String> = rows
        .iter()
        .map(|r| reversed(r.fields.doc().number()))
        .collect();
    revs.sort_unstable();
    revs.dedup();
    for chunk in revs.chunks(MAX_PARAMS) {
        let n = chunk.len();
        let sql = format!(
            "SELECT p.id_type, p.id_rev FROM persons p CROSS JOIN households h CROSS JOIN areas ha \
             WHERE p.id_rev IN ({}) AND h.id = p.household_id AND ha.id = h.area_id \
             AND NOT (ha.path = {} OR (ha.path >= {} AND ha.path < {}))",
            list_clause(n, 1),
            list_clause(1, n + 1),
            list_clause(1, n + 2),
            list_clause(1, n + 3),
        );
        let mut q = sqlx::query_as::<_, (String, String)>(AssertSqlSafe(sql)).persistent(false);
        for r in chunk {
            q = q.bind(r);
        }
        q = q.bind(&a).bind(&b).bind(&c);
        outside.extend(q.fetch_all(&mut *conn).await.map_err(db_err)?);
    }
    Ok(rows
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            let doc = r.fields.doc();
            outside.contains(&(doc.doc_type().code().to_string(), reversed(doc.number())))
        })
        .map(|(i, _)| i)
        .collect())
}

/// Writes rows none of which is refused: new ones by the backend's writer, the rest by diff.
async fn write_rows(
    conn: &mut Conn,
    actor: &Actor,
    rows: &[PersonUpsert],
    state: &mut LoadState,
    counts: &mut CountDeltas,
) -> StoreResult<UpsertReport> {
    if rows.is_empty() {
        return Ok(UpsertReport::default());
    }
    let now = OffsetDateTime::now_utc();
    let mut outcomes: Vec<Option<RowOutcome>> = vec![None; rows.len()];
    // The backend's own writer (`store-*/src/fast.rs`) writes every row's household and every
    // new person in bulk; what is left are the persons already on file.
    let Inserted {
        households,
        persons,
        new_households,
        known,
    } = insert_new(conn, rows, now, state).await?;
    let households_created = new_households.len() as u64;
    for area in new_households {
        counts.household(area, 1);
    }
    for (i, id) in persons {
        counts.person(rows[i].area_id, rows[i].fields.tags(), 1);
        outcomes[i] = Some(RowOutcome {
            outcome: UpsertOutcome::Created,
            id,
            changes: None,
        });
    }
    let pending: Vec<usize> = (0..rows.len()).filter(|&i| outcomes[i].is_none()).collect();
    let mut existing = existing_persons(conn, rows, &pending, &known).await?;
    lock_changing(conn, rows, &pending, &households, &mut existing).await?;

    let mut history: Vec<(Id, String)> = Vec::new();
    for &i in &pending {
        let row = &rows[i];
        let doc = row.fields.doc();
        let household_id = households[i];
        let Some((old, old_household)) =
            existing.get(&(doc.doc_type().code(), doc.number().to_string()))
        else {
            return Err(StoreError::Other(
                "a row was neither written as new nor found on file".into(),
            ));
        };
        let changes = diff(old, *old_household, &row.fields, household_id, &row.address);
        if changes.is_empty() {
            outcomes[i] = Some(RowOutcome {
                outcome: UpsertOutcome::Unchanged,
                id: old.id,
                changes: None,
            });
        } else {
            if *old_household != household_id || old.fields.tags() != row.fields.tags() {
                let old_area: i64 =
                    sqlx::query_scalar("SELECT area_id FROM households WHERE id = $1")
                        .bind(*old_household)
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(db_err)?;
                counts.person(old_area, old.fields.tags(), -1);
                counts.person(row.area_id, row.fields.tags(), 1);
            }
            update_person(conn, old.id, household_id, &row.fields, now).await?;
            let changes = Value::Object(changes);
            history.push((old.id, changes.to_string()));
            outcomes[i] = Some(RowOutcome {
                outcome: UpsertOutcome::Updated,
                id: old.id,
                changes: Some(changes),
            });
        }
    }
    for chunk in history.chunks(MAX_PARAMS / 5) {
        let sql = format!(
            "INSERT INTO person_history (person_id, at, actor, source, changes) VALUES {}",
            values_clause(chunk.len(), 5, 1)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).persistent(false);
        for (id, changes) in chunk {
            q = q
                .bind(*id)
                .bind(now)
                .bind(&actor.name)
                .bind(&actor.source)
                .bind(changes);
        }
        q.execute(&mut *conn).await.map_err(db_err)?;
    }
    let outcomes = outcomes
        .into_iter()
        .map(|o| o.ok_or_else(|| StoreError::Other("a row of the batch was not written".into())))
        .collect::<StoreResult<_>>()?;
    Ok(UpsertReport {
        outcomes,
        households_created,
    })
}

/// The stored persons found on file.
type OnFile = HashMap<(&'static str, String), (Person, Id)>;

/// Locks the files the batch changes until the commit, and reads them again (PostgreSQL;
/// nothing on SQLite, whose one writer serializes writes): a change is then diffed against the
/// file as it is, not as another write left it meanwhile, so its history's old values and the
/// area totals it moves a person out of are right. Only the files that change are locked
/// (a re-import of an unchanged roster locks nothing), in id order so two batches cannot
/// deadlock; the lock is a statement of its own, and the read after it sees what the writes
/// it waited for committed.
async fn lock_changing(
    conn: &mut Conn,
    rows: &[PersonUpsert],
    pending: &[usize],
    households: &[Id],
    existing: &mut OnFile,
) -> StoreResult<()> {
    let lock = crate::backend::for_update("p");
    if lock.is_empty() {
        return Ok(());
    }
    let mut ids: Vec<Id> = pending
        .iter()
        .filter_map(|&i| {
            let row = &rows[i];
            let doc = row.fields.doc();
            let (old, old_household) =
                existing.get(&(doc.doc_type().code(), doc.number().to_string()))?;
            let same = diff(
                old,
                *old_household,
                &row.fields,
                households[i],
                &row.address,
            )
            .is_empty();
            (!same).then_some(old.id)
        })
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(MAX_PARAMS) {
        let sql = format!(
            "SELECT p.id FROM persons p WHERE p.id IN ({}) ORDER BY p.id{lock}",
            list_clause(chunk.len(), 1)
        );
        let mut q = sqlx::query_scalar::<_, Id>(AssertSqlSafe(sql)).persistent(false);
        for id in chunk {
            q = q.bind(id);
        }
        q.fetch_all(&mut *conn).await.map_err(db_err)?;
    }
    read_on_file(conn, &ids, existing).await
}

/// Reads the persons `ids` into `out`, by (type code, number), with their household.
async fn read_on_file(conn: &mut Conn, ids: &[Id], out: &mut OnFile) -> StoreResult<()> {
    for chunk in ids.chunks(MAX_PARAMS) {
        let sql = format!(
            "SELECT {PERSON_COLS} FROM {PERSON_FROM} WHERE p.id IN ({})",
            list_clause(chunk.len(), 1)
        );
        let mut q = sqlx::query_as::<_, PersonRow>(AssertSqlSafe(sql)).persistent(false);
        for id in chunk {
            q = q.bind(id);
        }
        for row in q.fetch_all(&mut *conn).await.map_err(db_err)? {
            let p = row.into_person()?;
            let key = (
                p.fields.doc().doc_type().code(),
                p.fields.doc().number().to_string(),
            );
            let household = p.household_id;
            out.insert(key, (p, household));
        }
    }
    Ok(())
}

/// The stored persons with the documents of the `pending` rows, by (type code, number), with
/// their household. `known` gives the ids of some of them already.
async fn existing_persons(
    conn: &mut Conn,
    rows: &[PersonUpsert],
    pending: &[usize],
    known: &[(usize, Id)],
) -> StoreResult<OnFile> {
    // First the ids alone, from the document index (sorted, so the index is walked in order);
    // then the few full rows that exist.
    let known_rows: std::collections::HashSet<usize> = known.iter().map(|&(i, _)| i).collect();
    let mut revs: Vec<String> = pending
        .iter()
        .filter(|i| !known_rows.contains(i))
        .map(|&i| reversed(rows[i].fields.doc().number()))
        .collect();
    revs.sort_unstable();
    revs.dedup();
    let mut ids: Vec<Id> = known.iter().map(|&(_, id)| id).collect();
    for chunk in revs.chunks(MAX_PARAMS) {
        let sql = format!(
            "SELECT id FROM persons WHERE id_rev IN ({})",
            list_clause(chunk.len(), 1)
        );
        let mut q = sqlx::query_scalar::<_, Id>(AssertSqlSafe(sql)).persistent(false);
        for r in chunk {
            q = q.bind(r);
        }
        ids.extend(q.fetch_all(&mut *conn).await.map_err(db_err)?);
    }
    let mut out = HashMap::new();
    read_on_file(conn, &ids, &mut out).await?;
    Ok(out)
}

/// What a backend's own writer for new rows ([`crate::backend::insert_new`]) wrote.
#[derive(Debug, Default)]
pub struct Inserted {
    /// Each row's household, created or found, in row order.
    pub households: Vec<Id>,
    /// The rows written as new persons: their index in the batch and their new id.
    pub persons: Vec<(usize, Id)>,
    /// The area of each household created.
    pub new_households: Vec<Id>,
    /// Rows whose person the writer found on file without the document index (a bulk load
    /// that defers it): their index in the batch and the person's id.
    pub known: Vec<(usize, Id)>,
}

/// A new person's values as stored, in the order of [`INSERT_COLS`] from `name` on: the one
/// place that knows how a person's fields map to columns, for every writer.
pub struct NewPerson<'a> {
    pub name: &'a str,
    pub id_type: &'static str,
    pub id_number: &'a str,
    pub id_rev: String,
    pub sex: Option<&'static str>,
    /// `YYYY-MM-DD`, as sqlx writes a date to SQLite and PostgreSQL reads one.
    pub birth_date: Option<String>,
    pub phone: Option<&'a str>,
    pub phone_rev: Option<String>,
    pub relation: Option<&'a str>,
    pub residency: Option<&'static str>,
    pub tags: String,
}

impl<'a> NewPerson<'a> {
    pub fn of(f: &'a PersonFields) -> NewPerson<'a> {
        let phone = f.phone().map(|p| p.as_str());
        NewPerson {
            name: f.name(),
            id_type: f.doc().doc_type().code(),
            id_number: f.doc().number(),
            id_rev: reversed(f.doc().number()),
            sex: f.sex().map(|s| s.code()),
            birth_date: f.birth_date().map(|d| d.to_string()),
            phone,
            phone_rev: phone.map(reversed),
            relation: f.relation(),
            residency: f.residency().map(|r| r.code()),
            tags: tags_json(f.tags()),
        }
    }
}

async fn update_person(
    conn: &mut Conn,
    id: Id,
    household_id: Id,
    f: &PersonFields,
    now: OffsetDateTime,
) -> StoreResult<()> {
    let phone = f.phone().map(|p| p.as_str().to_string());
    sqlx::query(
        "UPDATE persons SET household_id = $1, name = $2, sex = $3, birth_date = $4, phone = $5, phone_rev = $6, \
         relation = $7, residency = $8, tags = $9, updated_at = $10, version = version + 1 WHERE id = $11",
    )
    .bind(household_id)
    .bind(f.name().to_string())
    .bind(f.sex().map(|s| s.code()))
    .bind(f.birth_date())
    .bind(phone.clone())
    .bind(phone.as_deref().map(reversed))
    .bind(f.relation().map(str::to_string))
    .bind(f.residency().map(|r| r.code()))
    .bind(tags_json(f.tags()))
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// The fields that differ, as `{"field": [old, new]}` in readable Chinese values.
fn diff(
    old: &Person,
    old_household: Id,
    new: &PersonFields,
    new_household: Id,
    new_address: &str,
) -> Map<String, Value> {
    let mut m = Map::new();
    let o = &old.fields;
    let mut put = |k: &str, a: Option<String>, b: Option<String>| {
        if a != b {
            m.insert(k.to_string(), json!([a, b]));
        }
    };
    put("name", Some(o.name().into()), Some(new.name().into()));
    put(
        "sex",
        o.sex().map(|s| s.label(Lang::Zh).into()),
        new.sex().map(|s| s.label(Lang::Zh).into()),
    );
    put(
        "birth_date",
        o.birth_date().map(|d| d.to_string()),
        new.birth_date().map(|d| d.to_string()),
    );
    put(
        "phone",
        o.phone().map(|p| p.as_str().into()),
        new.phone().map(|p| p.as_str().into()),
    );
    put(
        "relation",
        o.relation().map(Into::into),
        new.relation().map(Into::into),
    );
    put(
        "residency",
        o.residency().map(|r| r.label(Lang::Zh).into()),
        new.residency().map(|r| r.label(Lang::Zh).into()),
    );
    put("tags", Some(o.tags().joined()), Some(new.tags().joined()));
    if old_household != new_household {
        if old.address == new_address {
            // Another community's namesake room: the readable address alone would not show it.
            m.insert(
                "household_id".to_string(),
                json!([old_household, new_household]),
            );
        } else {
            put(
                "address",
                Some(old.address.clone()),
                Some(new_address.to_string()),
            );
        }
    }
    m
}

pub async fn person(pool: &Pool, id: Id) -> StoreResult<Option<Person>> {
    let sql = format!("SELECT {PERSON_COLS} FROM {PERSON_FROM} WHERE p.id = $1");
    let row: Option<PersonRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    row.map(PersonRow::into_person).transpose()
}

/// The persons with these ids, in no particular order (unknown ids are left out).
pub async fn persons_by_ids(pool: &Pool, ids: &[Id]) -> StoreResult<Vec<Person>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_PARAMS) {
        let sql = format!(
            "SELECT {PERSON_COLS} FROM {PERSON_FROM} WHERE p.id IN ({})",
            list_clause(chunk.len(), 1)
        );
        let mut q = sqlx::query_as::<_, PersonRow>(AssertSqlSafe(sql)).persistent(false);
        for id in chunk {
            q = q.bind(id);
        }
        out.extend(persons(q.fetch_all(pool).await.map_err(db_err)?)?);
    }
    Ok(out)
}

pub async fn person_by_document(
    pool: &Pool,
    doc_type: DocType,
    number: &str,
) -> StoreResult<Option<Person>> {
    let sql =
        format!("SELECT {PERSON_COLS} FROM {PERSON_FROM} WHERE p.id_rev = $1 AND p.id_type = $2");
    let row: Option<PersonRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(reversed(number))
        .bind(doc_type.code())
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    row.map(PersonRow::into_person).transpose()
}

pub async fn household_members(pool: &Pool, household: Id) -> StoreResult<Vec<Person>> {
    let sql =
        format!("SELECT {PERSON_COLS} FROM {PERSON_FROM} WHERE p.household_id = $1 ORDER BY p.id");
    let rows: Vec<PersonRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(household)
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    persons(rows)
}

pub async fn search_persons(pool: &Pool, query: &PersonQuery) -> StoreResult<Page<Person>> {
    let text = query.text.as_deref().map(tidy).filter(|t| !t.is_empty());
    match text {
        Some(text) => search_text(pool, query, &text).await,
        None => list_in_area(pool, query).await,
    }
}

/// Everyone under the query's area (or everyone), in id order.
async fn list_in_area(pool: &Pool, query: &PersonQuery) -> StoreResult<Page<Person>> {
    let (where_, binds) = match &query.area {
        Some(area) => {
            let (a, b, c) = subtree_bounds(area);
            (
                "WHERE (ha.path = $1 OR (ha.path >= $2 AND ha.path < $3))",
                vec![a, b, c],
            )
        }
        None => ("", Vec::new()),
    };
    let from = format!("FROM {PERSON_FROM} {where_}");
    let count_sql = match query.count_cap {
        Some(cap) => format!(
            "SELECT COUNT(*) FROM (SELECT 1 {from} LIMIT {}) capped",
            u64::from(cap) + 1
        ),
        None => format!("SELECT COUNT(*) {from}"),
    };
    let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count_sql));
    for b in &binds {
        count = count.bind(b);
    }
    let total = count.fetch_one(pool).await.map_err(db_err)?;
    let n = binds.len();
    let sql = format!(
        "SELECT {PERSON_COLS} {from} ORDER BY p.id LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut q = sqlx::query_as::<_, PersonRow>(AssertSqlSafe(sql));
    for b in &binds {
        q = q.bind(b);
    }
    let rows = q
        .bind(i64::from(query.page.limit))
        .bind(i64::from(query.page.offset))
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    Ok(Page {
        items: persons(rows)?,
        total,
    })
}

/// One way a search text can match: a column that one index answers (a prefix range, or
/// equality when `hi` is `None`) and the order that index yields.
struct Source {
    column: &'static str,
    order: &'static str,
    lo: String,
    hi: Option<String>,
}

impl Source {
    /// The values starting with `prefix`.
    fn prefix(column: &'static str, order: &'static str, prefix: String) -> Source {
        Source {
            column,
            order,
            hi: Some(prefix_upper(&prefix)),
            lo: prefix,
        }
    }

    /// Whether the column is the household's (`h`) rather than the person's (`p`).
    fn household(&self) -> bool {
        self.column.starts_with("h.")
    }

    /// The condition on `$1` (and `$2`); `indexed: false` hides the column from the planner
    /// (`|| ''`), for walking the area instead.
    fn cond(&self, indexed: bool) -> String {
        let col = if indexed {
            self.column.to_string()
        } else {
            format!("{} || ''", self.column)
        };
        match self.hi {
            Some(_) => format!("{col} >= $1 AND {col} < $2"),
            None => format!("{col} = $1"),
        }
    }
}

/// The ways `text` can match, in the order their results are listed: names (by name), ID
/// numbers ending in it, phones ending in it (by the reversed value), then rooms.
/// With `exact_numbers`, digits match whole ID numbers and phones only.
fn sources(text: &str, exact_numbers: bool) -> Vec<Source> {
    let mut out = vec![Source::prefix(
        "p.name",
        "p.name, p.household_id, p.id",
        text.to_string(),
    )];
    let code = compact(text).to_uppercase();
    if code.len() >= 3 && code.bytes().all(|b| b.is_ascii_digit() || b == b'X') {
        let rev = reversed(&code);
        let number = |column, order, rev| match exact_numbers {
            false => Source::prefix(column, order, rev),
            true => Source {
                column,
                order,
                lo: rev,
                hi: None,
            },
        };
        out.push(number("p.id_rev", "p.id_rev, p.id", rev.clone()));
        if !code.contains('X') && (!exact_numbers || code.len() == 11) {
            out.push(number("p.phone_rev", "p.phone_rev, p.id", rev));
        }
    }
    out.push(Source {
        column: "h.room",
        order: "h.id, p.id",
        lo: text.to_string(),
        hi: None,
    });
    out
}

/// Areas holding at most this many persons are searched by walking their households when a
/// text matches more persons than the area holds (a grid worker looking for 陈).
const WALK_AREA_UP_TO: i64 = 50_000;

/// A text search. Each way of matching is its own query that walks one index in its order and
/// stops as soon as enough matches are found inside the area, so a page of the 60,000 persons
/// named 陈 costs what a page costs, not what 60,000 do. When the area is small and the text
/// common, the query walks the area's households instead: the cost is whichever is smaller.
/// The matches are listed source after source without repeats; only the page's persons are
/// read in full.
async fn search_text(pool: &Pool, query: &PersonQuery, text: &str) -> StoreResult<Page<Person>> {
    let wanted = u64::from(query.page.offset) + u64::from(query.page.limit);
    // Enough ids for the page and for the (capped) count.
    let enough = query.count_cap.map(|cap| (u64::from(cap) + 1).max(wanted));
    let scope = query.area.as_ref().map(subtree_bounds);
    let scope_persons = match &scope {
        Some(bounds) => small_area_persons(pool, bounds).await?,
        None => None,
    };
    let mut ids: Vec<Id> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for source in sources(text, query.exact_numbers) {
        if enough.is_some_and(|e| ids.len() as u64 >= e) {
            break;
        }
        let walk_area = match scope_persons {
            Some(n) => matches_more_than(pool, &source, n).await?,
            None => false,
        };
        let n = if source.hi.is_some() { 2 } else { 1 };
        let (a, b, c) = (n + 1, n + 2, n + 3);
        let mut sql = match (&scope, walk_area) {
            // Without an area, a name, ID or phone match is read from its index alone.
            (None, _) if !source.household() => {
                format!("SELECT p.id FROM persons p WHERE {}", source.cond(true))
            }
            (None, _) => format!(
                "SELECT p.id FROM households h CROSS JOIN persons p WHERE {} AND p.household_id = h.id",
                source.cond(true)
            ),
            // The text's index leads (CROSS JOIN fixes SQLite's join order), each match's area
            // is checked on the way, and the walk stops at the limit.
            (Some(_), false) => {
                let from = if source.household() {
                    "households h CROSS JOIN persons p"
                } else {
                    "persons p CROSS JOIN households h"
                };
                format!(
                    "SELECT p.id FROM {from} CROSS JOIN areas ha WHERE {} AND h.id = p.household_id \
                     AND ha.id = h.area_id AND (ha.path = ${a} OR (ha.path >= ${b} AND ha.path < ${c}))",
                    source.cond(true)
                )
            }
            // A small area and a common text: walk the area's households.
            (Some(_), true) => format!(
                "SELECT p.id FROM persons p JOIN households h ON h.id = p.household_id WHERE {} \
                 AND h.area_id IN (SELECT id FROM areas WHERE path = ${a} OR (path >= ${b} AND path < ${c}))",
                source.cond(false)
            ),
        };
        sql.push_str(&format!(" ORDER BY {}", source.order));
        if let Some(e) = enough {
            sql.push_str(&format!(" LIMIT {}", e - ids.len() as u64));
        }
        // Not kept prepared: PostgreSQL would settle on one generic plan for every text, and a
        // plan fit for "陈" is a disaster for "1234" (1.6 s instead of 3 ms).
        let mut q = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql))
            .persistent(false)
            .bind(&source.lo);
        if let Some(hi) = &source.hi {
            q = q.bind(hi);
        }
        if let Some((a, b, c)) = &scope {
            q = q.bind(a).bind(b).bind(c);
        }
        for id in q.fetch_all(pool).await.map_err(db_err)? {
            if seen.insert(id) {
                ids.push(id);
            }
        }
    }
    let total = match query.count_cap {
        Some(cap) => ids.len().min(cap as usize + 1),
        None => ids.len(),
    } as i64;
    let from = (query.page.offset as usize).min(ids.len());
    let to = (from + query.page.limit as usize).min(ids.len());
    let page = &ids[from..to];
    if page.is_empty() {
        return Ok(Page {
            items: Vec::new(),
            total,
        });
    }
    let sql = format!(
        "SELECT {PERSON_COLS} FROM {PERSON_FROM} WHERE p.id IN ({})",
        list_clause(page.len(), 1)
    );
    let mut q = sqlx::query_as::<_, PersonRow>(AssertSqlSafe(sql)).persistent(false);
    for id in page {
        q = q.bind(*id);
    }
    let mut by_id: HashMap<Id, Person> = persons(q.fetch_all(pool).await.map_err(db_err)?)?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    Ok(Page {
        items: page.iter().filter_map(|id| by_id.remove(id)).collect(),
        total,
    })
}

/// Areas (the area and everything below it) a small area has at most: a compound's buildings
/// and units, a grid's compounds. More, and the area counts as large without summing.
const SMALL_AREA_AREAS: i64 = 500;

/// The persons of the area with subtree `bounds`, if it is small enough that walking it could be
/// cheaper than walking a text's matches (at most [`WALK_AREA_UP_TO`] persons).
async fn small_area_persons(
    pool: &Pool,
    (a, b, c): &(String, String, String),
) -> StoreResult<Option<i64>> {
    let (areas, persons): (i64, i64) = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT COUNT(*), CAST(COALESCE(SUM(persons_here), 0) AS BIGINT) FROM \
         (SELECT persons_here FROM areas WHERE path = $1 OR (path >= $2 AND path < $3) LIMIT {}) s",
        SMALL_AREA_AREAS + 1
    )))
    .bind(a)
    .bind(b)
    .bind(c)
    .fetch_one(pool)
    .await
    .map_err(db_err)?;
    Ok((areas <= SMALL_AREA_AREAS && persons <= WALK_AREA_UP_TO).then_some(persons))
}

/// Whether `source` matches more than `n` persons in the whole registry, read from its index
/// alone and stopping at `n + 1`.
async fn matches_more_than(pool: &Pool, source: &Source, n: i64) -> StoreResult<bool> {
    let from = if source.household() {
        "persons p JOIN households h ON h.id = p.household_id"
    } else {
        "persons p"
    };
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM {from} WHERE {} LIMIT {}) m",
        source.cond(true),
        n + 1
    );
    let mut q = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql))
        .persistent(false)
        .bind(&source.lo);
    if let Some(hi) = &source.hi {
        q = q.bind(hi);
    }
    Ok(q.fetch_one(pool).await.map_err(db_err)? > n)
}

pub async fn person_history(pool: &Pool, id: Id) -> StoreResult<Vec<HistoryEntry>> {
    let rows: Vec<(OffsetDateTime, String, String, String)> = sqlx::query_as(
        "SELECT at, actor, source, changes FROM person_history WHERE person_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    Ok(rows
        .into_iter()
        .map(|(at, actor, source, changes)| HistoryEntry {
            at,
            actor,
            source,
            changes: serde_json::from_str(&changes).unwrap_or(Value::String(changes)),
        })
        .collect())
}

/// A person row with the kinds and names of its household's area and the two above it.
#[derive(sqlx::FromRow)]
pub(crate) struct PlaceRow {
    #[sqlx(flatten)]
    pub person: PersonRow,
    pub room: String,
    pub k0: String,
    pub n0: String,
    pub k1: Option<String>,
    pub n1: Option<String>,
    pub k2: Option<String>,
    pub n2: Option<String>,
}

/// The columns and joins of a person with their place ([`PlaceRow`]).
const PLACE_SELECT: &str = "h.room, ha.kind AS k0, ha.name AS n0, a1.kind AS k1, a1.name AS n1, a2.kind AS k2, a2.name AS n2";
const PLACE_JOINS: &str =
    "LEFT JOIN areas a1 ON a1.id = ha.parent_id LEFT JOIN areas a2 ON a2.id = a1.parent_id";

/// Persons under an area with their places ([`PlaceRow`]s), `$1`–`$3` the area's
/// [`subtree_bounds`], then `rest` (more conditions, the order, a limit).
fn persons_under(rest: &str) -> String {
    format!(
        "SELECT {PERSON_COLS}, {PLACE_SELECT} FROM {PERSON_FROM} {PLACE_JOINS} \
         WHERE (ha.path = $1 OR (ha.path >= $2 AND ha.path < $3)){rest}"
    )
}

/// A page of persons under an area after an id: `$4` the last id of the page before, `$5` the
/// page's length ([`persons_under`]).
pub(crate) fn persons_after_sql() -> String {
    persons_under(" AND p.id > $4 ORDER BY p.id LIMIT $5")
}

/// Every person under an area, by id ([`persons_under`]).
#[allow(dead_code)] // SQLite reads keyset pages (`store-sqlite/src/read.rs`).
pub(crate) fn persons_in_sql() -> String {
    persons_under(" ORDER BY p.id")
}

#[allow(dead_code)] // SQLite reads these pages on its own readers (`store-sqlite/src/read.rs`).
pub async fn persons_after(
    pool: &Pool,
    area: &AreaPath,
    after: Id,
    limit: u32,
) -> StoreResult<Vec<PersonWithPlace>> {
    let (a, b, c) = subtree_bounds(area);
    let rows: Vec<PlaceRow> = sqlx::query_as(AssertSqlSafe(persons_after_sql()))
        .bind(a)
        .bind(b)
        .bind(c)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.into_iter().map(PlaceRow::into_place).collect()
}

/// Persons under `area` neither sampled (once, not as a retest) nor excused in a round, by
/// area path and room (the caller puts them in walking order), at most `limit`.
pub async fn round_missing(
    pool: &Pool,
    round: Id,
    area: &AreaPath,
    limit: u32,
) -> StoreResult<Vec<PersonWithPlace>> {
    let (a, b, c) = subtree_bounds(area);
    let sql = format!(
        "SELECT {PERSON_COLS}, {PLACE_SELECT} FROM {PERSON_FROM} {PLACE_JOINS} \
         WHERE (ha.path = $1 OR (ha.path >= $2 AND ha.path < $3)) \
         AND NOT EXISTS (SELECT 1 FROM samples s WHERE s.round_id = $4 AND s.person_id = p.id AND s.retest = FALSE) \
         AND NOT EXISTS (SELECT 1 FROM round_exclusions x WHERE x.round_id = $4 AND x.person_id = p.id) \
         ORDER BY ha.path, h.room, p.id LIMIT $5"
    );
    let rows: Vec<PlaceRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(a)
        .bind(b)
        .bind(c)
        .bind(round)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.into_iter().map(PlaceRow::into_place).collect()
}

impl PlaceRow {
    pub(crate) fn into_place(self) -> StoreResult<PersonWithPlace> {
        let mut place = PersonWithPlace {
            person: self.person.into_person()?,
            compound: None,
            building: None,
            unit: None,
            room: self.room,
        };
        let levels = [
            (Some(self.k0), Some(self.n0)),
            (self.k1, self.n1),
            (self.k2, self.n2),
        ];
        for (kind, name) in levels {
            match kind.as_deref() {
                Some("unit") if place.unit.is_none() => place.unit = name,
                Some("building") if place.building.is_none() => place.building = name,
                Some("compound") if place.compound.is_none() => place.compound = name,
                _ => {}
            }
        }
        Ok(place)
    }
}

pub async fn max_person_id(pool: &Pool) -> StoreResult<Id> {
    sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM persons")
        .fetch_one(pool)
        .await
        .map_err(db_err)
}

pub async fn tag_counts(pool: &Pool, area: &AreaPath) -> StoreResult<Vec<(String, i64)>> {
    let (a, b, c) = subtree_bounds(area);
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT t.tag, CAST(SUM(t.persons) AS BIGINT) FROM area_tag_counts t JOIN areas a ON a.id = t.area_id \
         WHERE (a.path = $1 OR (a.path >= $2 AND a.path < $3)) GROUP BY t.tag HAVING SUM(t.persons) > 0 \
         ORDER BY 2 DESC, 1",
    )
    .bind(a)
    .bind(b)
    .bind(c)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use time::macros::{date, format_description};

    /// `NewPerson` writes a birth date as its `Display` text: the text sqlx writes for a
    /// `time::Date` (so SQLite rows read back), and one PostgreSQL's `COPY` reads.
    #[test]
    fn dates_read_as_sqlx_writes_them() {
        let sqlx_format = format_description!("[year]-[month]-[day]");
        for d in [
            date!(1940 - 01 - 01),
            date!(2026 - 11 - 29),
            date!(0987 - 12 - 31),
        ] {
            assert_eq!(Some(d.to_string()), d.format(&sqlx_format).ok());
        }
    }
}
