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
use super::util::{
    MAX_PARAMS, db_err, list_clause, prefix_upper, reversed, subtree_bounds, values_clause,
};
use crate::backend::{Pool, Tx, begin_write};

/// Columns written for a new person, in bind order.
const INSERT_COLS: &str = "household_id, name, id_type, id_number, id_rev, sex, birth_date, phone, phone_rev, \
     relation, residency, tags, created_at, updated_at";
const INSERT_COL_COUNT: usize = 14;

pub async fn upsert_persons(
    pool: &Pool,
    actor: &Actor,
    rows: &[PersonUpsert],
) -> StoreResult<UpsertReport> {
    if rows.is_empty() {
        return Ok(UpsertReport::default());
    }
    let now = OffsetDateTime::now_utc();
    let mut tx = begin_write(pool).await.map_err(db_err)?;
    let mut counts = CountDeltas::default();
    let (households, households_created) =
        ensure_households(&mut tx, rows, now, &mut counts).await?;
    let existing = existing_persons(&mut tx, rows).await?;

    let mut outcomes: Vec<Option<RowOutcome>> = vec![None; rows.len()];
    let mut to_insert: Vec<(usize, Id)> = Vec::new();
    let mut history: Vec<(Id, String)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let household_id = households[&(row.area_id, row.room.clone())];
        let doc = row.fields.doc();
        match existing.get(&(doc.doc_type().code(), doc.number().to_string())) {
            None => {
                counts.person(row.area_id, row.fields.tags(), 1);
                to_insert.push((i, household_id));
            }
            Some((old, old_household)) => {
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
                                .fetch_one(&mut *tx)
                                .await
                                .map_err(db_err)?;
                        counts.person(old_area, old.fields.tags(), -1);
                        counts.person(row.area_id, row.fields.tags(), 1);
                    }
                    update_person(&mut tx, old.id, household_id, &row.fields, now).await?;
                    let changes = Value::Object(changes);
                    history.push((old.id, changes.to_string()));
                    outcomes[i] = Some(RowOutcome {
                        outcome: UpsertOutcome::Updated,
                        id: old.id,
                        changes: Some(changes),
                    });
                }
            }
        }
    }
    for chunk in to_insert.chunks(MAX_PARAMS / INSERT_COL_COUNT) {
        let ids = insert_persons(&mut tx, rows, chunk, now).await?;
        for (&(i, _), id) in chunk.iter().zip(ids) {
            outcomes[i] = Some(RowOutcome {
                outcome: UpsertOutcome::Created,
                id,
                changes: None,
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
        q.execute(&mut *tx).await.map_err(db_err)?;
    }
    counts.apply(&mut tx).await?;
    tx.commit().await.map_err(db_err)?;
    let outcomes = outcomes
        .into_iter()
        .map(|o| o.ok_or_else(|| StoreError::Other("a row of the batch was not written".into())))
        .collect::<StoreResult<_>>()?;
    Ok(UpsertReport {
        outcomes,
        households_created,
    })
}

type HouseholdKey = (Id, String);

/// Finds or creates the household of every row; returns their ids and how many were created.
async fn ensure_households(
    tx: &mut Tx,
    rows: &[PersonUpsert],
    now: OffsetDateTime,
    counts: &mut CountDeltas,
) -> StoreResult<(HashMap<HouseholdKey, Id>, u64)> {
    let mut wanted: HashMap<HouseholdKey, &str> = HashMap::new();
    for r in rows {
        wanted
            .entry((r.area_id, r.room.clone()))
            .or_insert(&r.address);
    }
    // Row values, so the lookup walks the (area_id, room) index: a plain `room IN (…)` would
    // let the planner pick the room index and scan every "101" of the city.
    let keys: Vec<&HouseholdKey> = wanted.keys().collect();
    let mut rows_found = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(MAX_PARAMS / 2) {
        let sql = format!(
            "SELECT id, area_id, room FROM households WHERE (area_id, room) IN (VALUES {})",
            values_clause(chunk.len(), 2, 1)
        );
        let mut q = sqlx::query_as::<_, (i64, i64, String)>(AssertSqlSafe(sql)).persistent(false);
        for (area_id, room) in chunk {
            q = q.bind(*area_id).bind(room.as_str());
        }
        rows_found.extend(q.fetch_all(&mut **tx).await.map_err(db_err)?);
    }
    let mut found: HashMap<HouseholdKey, Id> = HashMap::new();
    for (id, area_id, room) in rows_found {
        if wanted.contains_key(&(area_id, room.clone())) {
            found.insert((area_id, room), id);
        }
    }
    let missing: Vec<(&HouseholdKey, &&str)> = wanted
        .iter()
        .filter(|(k, _)| !found.contains_key(*k))
        .collect();
    let created = missing.len() as u64;
    for chunk in missing.chunks(MAX_PARAMS / 4) {
        let sql = format!(
            "INSERT INTO households (area_id, room, address, created_at) VALUES {} RETURNING id, area_id, room",
            values_clause(chunk.len(), 4, 1)
        );
        let mut q = sqlx::query_as::<_, (i64, i64, String)>(AssertSqlSafe(sql)).persistent(false);
        for ((area_id, room), address) in chunk {
            q = q.bind(*area_id).bind(room).bind(**address).bind(now);
        }
        for (id, area_id, room) in q.fetch_all(&mut **tx).await.map_err(db_err)? {
            counts.household(area_id, 1);
            found.insert((area_id, room), id);
        }
    }
    Ok((found, created))
}

/// The stored persons with the documents of `rows`, by (type code, number), with their household.
async fn existing_persons(
    tx: &mut Tx,
    rows: &[PersonUpsert],
) -> StoreResult<HashMap<(&'static str, String), (Person, Id)>> {
    let revs: Vec<String> = rows
        .iter()
        .map(|r| reversed(r.fields.doc().number()))
        .collect();
    let mut out = HashMap::new();
    for chunk in revs.chunks(MAX_PARAMS) {
        let sql = format!(
            "SELECT {PERSON_COLS} FROM {PERSON_FROM} WHERE p.id_rev IN ({})",
            list_clause(chunk.len(), 1)
        );
        let mut q = sqlx::query_as::<_, PersonRow>(AssertSqlSafe(sql)).persistent(false);
        for r in chunk {
            q = q.bind(r);
        }
        for row in q.fetch_all(&mut **tx).await.map_err(db_err)? {
            let p = row.into_person()?;
            let key = (
                p.fields.doc().doc_type().code(),
                p.fields.doc().number().to_string(),
            );
            let household = p.household_id;
            out.insert(key, (p, household));
        }
    }
    Ok(out)
}

async fn insert_persons(
    tx: &mut Tx,
    rows: &[PersonUpsert],
    chunk: &[(usize, Id)],
    now: OffsetDateTime,
) -> StoreResult<Vec<Id>> {
    let sql = format!(
        "INSERT INTO persons ({INSERT_COLS}) VALUES {} RETURNING id, id_rev, id_type",
        values_clause(chunk.len(), INSERT_COL_COUNT, 1)
    );
    let mut q = sqlx::query_as::<_, (i64, String, String)>(AssertSqlSafe(sql)).persistent(false);
    for &(i, household_id) in chunk {
        let f = &rows[i].fields;
        let phone = f.phone().map(|p| p.as_str().to_string());
        q = q
            .bind(household_id)
            .bind(f.name().to_string())
            .bind(f.doc().doc_type().code())
            .bind(f.doc().number().to_string())
            .bind(reversed(f.doc().number()))
            .bind(f.sex().map(|s| s.code()))
            .bind(f.birth_date())
            .bind(phone.clone())
            .bind(phone.as_deref().map(reversed))
            .bind(f.relation().map(str::to_string))
            .bind(f.residency().map(|r| r.code()))
            .bind(tags_json(f.tags()))
            .bind(now)
            .bind(now);
    }
    let returned = q.fetch_all(&mut **tx).await.map_err(db_err)?;
    // RETURNING does not promise row order: match the ids back by document.
    let by_doc: HashMap<(String, String), i64> = returned
        .into_iter()
        .map(|(id, rev, t)| ((reversed(&rev), t), id))
        .collect();
    chunk
        .iter()
        .map(|&(i, _)| {
            let d = rows[i].fields.doc();
            by_doc
                .get(&(d.number().to_string(), d.doc_type().code().to_string()))
                .copied()
                .ok_or_else(|| StoreError::Other("inserted person not returned".into()))
        })
        .collect()
}

async fn update_person(
    tx: &mut Tx,
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
    .execute(&mut **tx)
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
        put(
            "address",
            Some(old.address.clone()),
            Some(new_address.to_string()),
        );
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
    // Each way a text can match is its own index range; their union is the candidate set, joined
    // to the person rows (as a join, not `p.id IN (…)`, which PostgreSQL answered with a scan).
    let mut binds: Vec<String> = Vec::new();
    let mut bind = |v: String| {
        binds.push(v);
        format!("${}", binds.len())
    };
    let mut conds: Vec<String> = Vec::new();
    let mut candidates: Option<String> = None;
    if let Some(area) = &query.area {
        let (a, b, c) = subtree_bounds(area);
        conds.push(format!(
            "(ha.path = {} OR (ha.path >= {} AND ha.path < {}))",
            bind(a),
            bind(b),
            bind(c)
        ));
    }
    if let Some(text) = query.text.as_deref().map(tidy).filter(|t| !t.is_empty()) {
        let code = compact(&text).to_uppercase();
        let mut parts = vec![format!(
            "SELECT id FROM persons WHERE name >= {} AND name < {}",
            bind(text.clone()),
            bind(prefix_upper(&text))
        )];
        if code.len() >= 3 && code.bytes().all(|b| b.is_ascii_digit() || b == b'X') {
            let rev = reversed(&code);
            let (lo, hi) = (bind(rev.clone()), bind(prefix_upper(&rev)));
            parts.push(format!(
                "SELECT id FROM persons WHERE id_rev >= {lo} AND id_rev < {hi}"
            ));
            if !code.contains('X') {
                parts.push(format!(
                    "SELECT id FROM persons WHERE phone_rev >= {lo} AND phone_rev < {hi}"
                ));
            }
        }
        parts.push(format!(
            "SELECT r.id FROM persons r JOIN households rh ON rh.id = r.household_id WHERE rh.room = {}",
            bind(text)
        ));
        candidates = Some(parts.join(" UNION "));
    }
    let where_ = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    let from = match candidates {
        Some(union) => format!(
            "FROM ({union}) m JOIN persons p ON p.id = m.id JOIN households h ON h.id = p.household_id \
             JOIN areas ha ON ha.id = h.area_id {where_}"
        ),
        None => format!("FROM {PERSON_FROM} {where_}"),
    };
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
struct PlaceRow {
    #[sqlx(flatten)]
    person: PersonRow,
    room: String,
    k0: String,
    n0: String,
    k1: Option<String>,
    n1: Option<String>,
    k2: Option<String>,
    n2: Option<String>,
}

pub async fn persons_after(
    pool: &Pool,
    area: &AreaPath,
    after: Id,
    limit: u32,
) -> StoreResult<Vec<PersonWithPlace>> {
    let (a, b, c) = subtree_bounds(area);
    let sql = format!(
        "SELECT {PERSON_COLS}, h.room, ha.kind AS k0, ha.name AS n0, a1.kind AS k1, a1.name AS n1, a2.kind AS k2, a2.name AS n2 \
         FROM {PERSON_FROM} LEFT JOIN areas a1 ON a1.id = ha.parent_id LEFT JOIN areas a2 ON a2.id = a1.parent_id \
         WHERE (ha.path = $1 OR (ha.path >= $2 AND ha.path < $3)) AND p.id > $4 ORDER BY p.id LIMIT $5"
    );
    let rows: Vec<PlaceRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(a)
        .bind(b)
        .bind(c)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.into_iter()
        .map(|r| {
            let mut place = PersonWithPlace {
                person: r.person.into_person()?,
                compound: None,
                building: None,
                unit: None,
                room: r.room,
            };
            let levels = [(Some(r.k0), Some(r.n0)), (r.k1, r.n1), (r.k2, r.n2)];
            for (kind, name) in levels {
                match kind.as_deref() {
                    Some("unit") if place.unit.is_none() => place.unit = name,
                    Some("building") if place.building.is_none() => place.building = name,
                    Some("compound") if place.compound.is_none() => place.compound = name,
                    _ => {}
                }
            }
            Ok(place)
        })
        .collect()
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
