//! Areas and households.

use std::collections::HashMap;

use doorstep_core::area::area_name;
use doorstep_core::{AreaKind, AreaPath};
use doorstep_store::*;
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use super::rows::{AREA_COLS, AreaRow, HOUSEHOLD_COLS, HouseholdRow};
use super::util::{Conn, MAX_PARAMS, db_err, list_clause, subtree_bounds};
use crate::backend::Pool;

/// `WHERE` condition selecting the subtree of areas `a` at `$1`, `$2`, `$3`.
const SUBTREE: &str = "(a.path = $1 OR (a.path >= $2 AND a.path < $3))";

pub async fn area_by_path(pool: &Pool, path: &AreaPath) -> StoreResult<Option<Area>> {
    let mut conn = pool.acquire().await.map_err(db_err)?;
    area_by_path_in(&mut conn, path).await
}

pub async fn root_areas(pool: &Pool) -> StoreResult<Vec<Area>> {
    let sql = format!("SELECT {AREA_COLS} FROM areas a WHERE a.parent_id IS NULL ORDER BY a.path");
    let rows: Vec<AreaRow> = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.into_iter().map(AreaRow::into_area).collect()
}

pub async fn area_by_id(pool: &Pool, id: Id) -> StoreResult<Option<Area>> {
    let sql = format!("SELECT {AREA_COLS} FROM areas a WHERE a.id = $1");
    let row: Option<AreaRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    row.map(AreaRow::into_area).transpose()
}

pub async fn create_area(
    conn: &mut Conn,
    parent: Option<&AreaPath>,
    kind: AreaKind,
    name: &str,
) -> StoreResult<Area> {
    let name = area_name(name).map_err(|p| StoreError::Invalid(p.code().to_string()))?;
    let (parent_id, path) = match parent {
        None => (
            None,
            AreaPath::root(&name).map_err(|p| StoreError::Invalid(p.code().to_string()))?,
        ),
        Some(pp) => {
            let parent = area_by_path_in(conn, pp)
                .await?
                .ok_or_else(|| StoreError::NotFound(pp.to_string()))?;
            check_kind(&parent, kind)?;
            (
                Some(parent.id),
                pp.child(&name)
                    .map_err(|p| StoreError::Invalid(p.code().to_string()))?,
            )
        }
    };
    insert_area(conn, parent_id, kind, name, path).await
}

async fn area_by_path_in(conn: &mut Conn, path: &AreaPath) -> StoreResult<Option<Area>> {
    let sql = format!("SELECT {AREA_COLS} FROM areas a WHERE a.path = $1");
    let row: Option<AreaRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(path.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
    row.map(AreaRow::into_area).transpose()
}

async fn insert_area(
    conn: &mut Conn,
    parent_id: Option<Id>,
    kind: AreaKind,
    name: String,
    path: AreaPath,
) -> StoreResult<Area> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO areas (parent_id, kind, name, path, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(parent_id)
    .bind(kind.code())
    .bind(&name)
    .bind(path.as_str())
    .bind(OffsetDateTime::now_utc())
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(Area {
        id,
        parent_id,
        kind,
        name,
        path,
    })
}

/// The child area named `name` of `parent`, created if missing, inside a write transaction the
/// caller holds (and so without racing another writer).
pub async fn ensure_child_area_in(
    conn: &mut Conn,
    parent: &Area,
    kind: AreaKind,
    name: &str,
) -> StoreResult<Area> {
    let name = area_name(name).map_err(|p| StoreError::Invalid(p.code().to_string()))?;
    let path = parent
        .path
        .child(&name)
        .map_err(|p| StoreError::Invalid(p.code().to_string()))?;
    if let Some(a) = area_by_path_in(conn, &path).await? {
        return Ok(a);
    }
    check_kind(parent, kind)?;
    insert_area(conn, Some(parent.id), kind, name, path).await
}

fn check_kind(parent: &Area, kind: AreaKind) -> StoreResult<()> {
    if kind.may_be_child_of(parent.kind) {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "a {kind} cannot be placed under a {}",
            parent.kind
        )))
    }
}

pub async fn areas_of_kind(pool: &Pool, path: &AreaPath, kind: AreaKind) -> StoreResult<Vec<Area>> {
    let (a, b, c) = subtree_bounds(path);
    let sql =
        format!("SELECT {AREA_COLS} FROM areas a WHERE {SUBTREE} AND a.kind = $4 ORDER BY a.path");
    let rows: Vec<AreaRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(a)
        .bind(b)
        .bind(c)
        .bind(kind.code())
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.into_iter().map(AreaRow::into_area).collect()
}

pub async fn area_tree(pool: &Pool, path: &AreaPath) -> StoreResult<Vec<AreaCount>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        area: AreaRow,
        households_here: i64,
        persons_here: i64,
    }
    let (a, b, c) = subtree_bounds(path);
    let sql = format!(
        "SELECT {AREA_COLS}, a.households_here, a.persons_here FROM areas a WHERE {SUBTREE} ORDER BY a.path"
    );
    let rows: Vec<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(&a)
        .bind(&b)
        .bind(&c)
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    let mut areas = Vec::with_capacity(rows.len());
    let mut own = Vec::with_capacity(rows.len());
    for r in rows {
        own.push((r.households_here, r.persons_here));
        areas.push(r.area.into_area()?);
    }
    // Roll each area's own counts up through its ancestors inside the subtree.
    let index: HashMap<Id, usize> = areas.iter().enumerate().map(|(i, a)| (a.id, i)).collect();
    let mut counts = vec![(0i64, 0i64); areas.len()];
    for (i, (h, p)) in own.into_iter().enumerate() {
        let mut cur = Some(i);
        while let Some(j) = cur {
            counts[j].0 += h;
            counts[j].1 += p;
            cur = areas[j].parent_id.and_then(|pid| index.get(&pid).copied());
        }
    }
    Ok(areas
        .into_iter()
        .zip(counts)
        .map(|(area, (households, persons))| AreaCount {
            area,
            households,
            persons,
        })
        .collect())
}

pub async fn household(pool: &Pool, id: Id) -> StoreResult<Option<Household>> {
    let mut conn = pool.acquire().await.map_err(db_err)?;
    household_in(&mut conn, id).await
}

/// The households with these ids, in no particular order (unknown ids are left out).
pub async fn households_by_ids(pool: &Pool, ids: &[Id]) -> StoreResult<Vec<Household>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_PARAMS) {
        let sql = format!(
            "SELECT {HOUSEHOLD_COLS} FROM households h JOIN areas a ON a.id = h.area_id WHERE h.id IN ({})",
            list_clause(chunk.len(), 1)
        );
        let mut q = sqlx::query_as::<_, HouseholdRow>(AssertSqlSafe(sql)).persistent(false);
        for id in chunk {
            q = q.bind(id);
        }
        out.extend(
            q.fetch_all(pool)
                .await
                .map_err(db_err)?
                .into_iter()
                .map(Household::from),
        );
    }
    Ok(out)
}

async fn household_in(conn: &mut Conn, id: Id) -> StoreResult<Option<Household>> {
    let sql = format!(
        "SELECT {HOUSEHOLD_COLS} FROM households h JOIN areas a ON a.id = h.area_id WHERE h.id = $1"
    );
    let row: Option<HouseholdRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(row.map(Household::from))
}

pub async fn households(
    pool: &Pool,
    area: &AreaPath,
    room: Option<&str>,
    page: PageRequest,
) -> StoreResult<Page<Household>> {
    let (a, b, c) = subtree_bounds(area);
    let room_cond = if room.is_some() {
        " AND h.room = $4"
    } else {
        ""
    };
    let from =
        format!("FROM households h JOIN areas a ON a.id = h.area_id WHERE {SUBTREE}{room_cond}");
    let count_sql = format!("SELECT COUNT(*) {from}");
    let mut count = sqlx::query_scalar(AssertSqlSafe(count_sql))
        .bind(&a)
        .bind(&b)
        .bind(&c);
    if let Some(r) = room {
        count = count.bind(r);
    }
    let total: i64 = count.fetch_one(pool).await.map_err(db_err)?;
    let (lim, off) = if room.is_some() {
        ("$5", "$6")
    } else {
        ("$4", "$5")
    };
    let sql =
        format!("SELECT {HOUSEHOLD_COLS} {from} ORDER BY h.address, h.id LIMIT {lim} OFFSET {off}");
    let mut q = sqlx::query_as(AssertSqlSafe(sql))
        .bind(&a)
        .bind(&b)
        .bind(&c);
    if let Some(r) = room {
        q = q.bind(r);
    }
    let rows: Vec<HouseholdRow> = q
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    Ok(Page {
        items: rows.into_iter().map(Household::from).collect(),
        total,
    })
}

pub async fn set_household_notes(conn: &mut Conn, id: Id, notes: Option<&str>) -> StoreResult<()> {
    let done = sqlx::query("UPDATE households SET notes = $1, updated_at = $2 WHERE id = $3")
        .bind(notes)
        .bind(OffsetDateTime::now_utc())
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("household {id}")));
    }
    Ok(())
}

pub async fn create_household(
    conn: &mut Conn,
    area_id: Id,
    room: &str,
    address: &str,
) -> StoreResult<Household> {
    let sql = format!("SELECT {AREA_COLS} FROM areas a WHERE a.id = $1");
    let area: Option<AreaRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(area_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
    let area = area
        .ok_or_else(|| StoreError::NotFound(format!("area {area_id}")))?
        .into_area()?;
    if !area.kind.holds_households() {
        return Err(StoreError::Invalid(format!(
            "a {} holds no rooms",
            area.kind
        )));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO households (area_id, room, address, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(area_id)
    .bind(room)
    .bind(address)
    .bind(OffsetDateTime::now_utc())
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)?;
    let mut counts = super::counts::CountDeltas::default();
    counts.household(area_id, 1);
    counts.apply(conn).await?;
    household_in(conn, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("household {id}")))
}
