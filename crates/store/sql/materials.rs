//! Sampling points and their materials: [`doorstep_store::Materials`] over `sampling_points`,
//! `material_batches` and `material_counts`, with what was used counted from `tubes` and
//! `boxes`.
//!
//! A scan checks its tube against its point's batches, so each server keeps every round's
//! points with their batches in memory ([`PointCache`]): a change made through this store
//! empties it, and an entry older than [`FRESH`] is read again (a change made by another
//! server on the same PostgreSQL shows within that time; the check only ever warns).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use doorstep_core::{AreaPath, CodeSet, MaterialKind, TubeCode};
use doorstep_store::*;
use time::{Date, OffsetDateTime};

use super::SqlStore;
use super::util::{Conn, corrupt, day, db_err, ymd};

/// How long a round's points are believed without reading them again.
const FRESH: Duration = Duration::from_secs(30);

/// Each round's points with their batches, and when they were read.
pub(super) type PointCache = Arc<Mutex<HashMap<i64, (Instant, Arc<Vec<SamplingPoint>>)>>>;

#[derive(sqlx::FromRow)]
struct PointRow {
    id: i64,
    round_id: i64,
    name: String,
    area_path: String,
    staff: String,
}

#[derive(sqlx::FromRow)]
struct BatchRow {
    id: i64,
    point_id: i64,
    day: String,
    kind: String,
    prefix: Option<String>,
    first_no: Option<i64>,
    last_no: Option<i64>,
    width: Option<i64>,
    codes: Option<String>,
    quantity: i64,
    by_user: String,
    at: OffsetDateTime,
}

const BATCH_COLS: &str = "b.id, b.point_id, b.day, b.kind, b.prefix, b.first_no, b.last_no, b.width, b.codes, \
     b.quantity, b.by_user, b.at";

impl BatchRow {
    fn into_batch(self) -> StoreResult<MaterialBatch> {
        let kind = MaterialKind::parse(&self.kind).ok_or_else(|| corrupt("kind", &self.kind))?;
        let codes = match (
            self.prefix,
            self.first_no,
            self.last_no,
            self.width,
            self.codes,
        ) {
            (Some(prefix), Some(from), Some(to), Some(width), _) => Some(CodeSet::Range {
                prefix,
                from: u64::try_from(from).map_err(|_| corrupt("range", &from.to_string()))?,
                to: u64::try_from(to).map_err(|_| corrupt("range", &to.to_string()))?,
                width: usize::try_from(width).map_err(|_| corrupt("width", &width.to_string()))?,
            }),
            (_, _, _, _, Some(list)) => {
                let codes: Vec<String> =
                    serde_json::from_str(&list).map_err(|_| corrupt("code list", &list))?;
                let mut codes: Vec<TubeCode> =
                    codes.into_iter().map(TubeCode::from_stored).collect();
                codes.sort_by(|a, b| a.as_str().cmp(b.as_str()));
                Some(CodeSet::List(codes))
            }
            _ => None,
        };
        Ok(MaterialBatch {
            id: self.id,
            point_id: self.point_id,
            day: day(&self.day)?,
            kind,
            codes,
            quantity: self.quantity,
            by: self.by_user,
            at: self.at,
        })
    }
}

fn point_of(row: PointRow, batches: Vec<MaterialBatch>) -> StoreResult<SamplingPoint> {
    let staff: Vec<String> =
        serde_json::from_str(&row.staff).map_err(|_| corrupt("point staff", &row.staff))?;
    Ok(SamplingPoint {
        id: row.id,
        round_id: row.round_id,
        name: row.name,
        place: AreaPath::from_stored(row.area_path),
        staff,
        batches,
    })
}

/// A round's points with their batches, read in two statements.
async fn read_points(conn: &mut Conn, round_id: Id) -> StoreResult<Vec<SamplingPoint>> {
    let rows: Vec<PointRow> = sqlx::query_as(
        "SELECT id, round_id, name, area_path, staff FROM sampling_points WHERE round_id = $1 ORDER BY name, id",
    )
    .bind(round_id)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    let sql = format!(
        "SELECT {BATCH_COLS} FROM material_batches b JOIN sampling_points p ON p.id = b.point_id \
         WHERE p.round_id = $1 ORDER BY b.id"
    );
    let batches: Vec<BatchRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(round_id)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
    let mut by_point: HashMap<i64, Vec<MaterialBatch>> = HashMap::new();
    for b in batches {
        let b = b.into_batch()?;
        by_point.entry(b.point_id).or_default().push(b);
    }
    rows.into_iter()
        .map(|r| {
            let mine = by_point.remove(&r.id).unwrap_or_default();
            point_of(r, mine)
        })
        .collect()
}

async fn read_point(conn: &mut Conn, id: Id) -> StoreResult<SamplingPoint> {
    let row: PointRow = sqlx::query_as(
        "SELECT id, round_id, name, area_path, staff FROM sampling_points WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?
    .ok_or_else(|| StoreError::NotFound(format!("point {id}")))?;
    let sql =
        format!("SELECT {BATCH_COLS} FROM material_batches b WHERE b.point_id = $1 ORDER BY b.id");
    let batches = sqlx::query_as::<_, BatchRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?
        .into_iter()
        .map(BatchRow::into_batch)
        .collect::<StoreResult<Vec<_>>>()?;
    point_of(row, batches)
}

/// Conflict `point_name_unique` when another point of the round has this name (checked in
/// the write, so the same code comes from both databases; the constraint holds it too).
async fn check_name(conn: &mut Conn, round_id: Id, name: &str, other_than: Id) -> StoreResult<()> {
    let taken: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM sampling_points WHERE round_id = $1 AND name = $2 AND id <> $3",
    )
    .bind(round_id)
    .bind(name)
    .bind(other_than)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    match taken {
        Some(_) => Err(StoreError::Conflict("point_name_unique".into())),
        None => Ok(()),
    }
}

fn staff_json(staff: &[String]) -> String {
    serde_json::Value::from(staff.to_vec()).to_string()
}

impl SqlStore {
    /// Forgets every round's points: after any change (changes are rare; scans are not).
    fn forget_points(&self) {
        if let Ok(mut m) = self.points.lock() {
            m.clear();
        }
    }
}

#[async_trait]
impl Materials for SqlStore {
    async fn create_point(
        &self,
        point: &NewPoint,
        by: &str,
        audit: Audit<SamplingPoint>,
    ) -> StoreResult<SamplingPoint> {
        let p = point.clone();
        let by = by.to_string();
        let out = self
            .write(audit, move |c| {
                Box::pin(async move {
                    check_name(c, p.round_id, &p.name, 0).await?;
                    let now = OffsetDateTime::now_utc();
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO sampling_points (round_id, name, area_path, staff, created_by, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                    )
                    .bind(p.round_id)
                    .bind(&p.name)
                    .bind(p.place.as_str())
                    .bind(staff_json(&p.staff))
                    .bind(&by)
                    .bind(now)
                    .fetch_one(&mut *c)
                    .await
                    .map_err(db_err)?;
                    read_point(c, id).await
                })
            })
            .await;
        self.forget_points();
        out
    }

    async fn update_point(
        &self,
        id: Id,
        point: &NewPoint,
        audit: Audit<SamplingPoint>,
    ) -> StoreResult<SamplingPoint> {
        let p = point.clone();
        let out = self
            .write(audit, move |c| {
                Box::pin(async move {
                    check_name(c, p.round_id, &p.name, id).await?;
                    let n = sqlx::query(
                        "UPDATE sampling_points SET name = $1, area_path = $2, staff = $3, updated_at = $4 \
                         WHERE id = $5 AND round_id = $6",
                    )
                    .bind(&p.name)
                    .bind(p.place.as_str())
                    .bind(staff_json(&p.staff))
                    .bind(OffsetDateTime::now_utc())
                    .bind(id)
                    .bind(p.round_id)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                    if n == 0 {
                        return Err(StoreError::NotFound(format!("point {id}")));
                    }
                    read_point(c, id).await
                })
            })
            .await;
        self.forget_points();
        out
    }

    async fn round_points(&self, round_id: Id) -> StoreResult<Arc<Vec<SamplingPoint>>> {
        let known = self.points.lock().ok().and_then(|m| {
            m.get(&round_id)
                .filter(|(at, _)| at.elapsed() < FRESH)
                .map(|(_, p)| Arc::clone(p))
        });
        if let Some(p) = known {
            return Ok(p);
        }
        let read_at = Instant::now();
        let mut c = self.pool().acquire().await.map_err(db_err)?;
        let points = Arc::new(read_points(&mut c, round_id).await?);
        if let Ok(mut m) = self.points.lock() {
            m.insert(round_id, (read_at, Arc::clone(&points)));
        }
        Ok(points)
    }

    async fn add_batch(
        &self,
        batch: &NewBatch,
        by: &str,
        audit: Audit<MaterialBatch>,
    ) -> StoreResult<MaterialBatch> {
        let b = batch.clone();
        let by = by.to_string();
        let out = self
            .write(audit, move |c| {
                Box::pin(async move {
                    let (prefix, first, last, width, list) = match &b.codes {
                        Some(CodeSet::Range {
                            prefix,
                            from,
                            to,
                            width,
                        }) => (
                            Some(prefix.clone()),
                            i64::try_from(*from).ok(),
                            i64::try_from(*to).ok(),
                            i64::try_from(*width).ok(),
                            None,
                        ),
                        Some(CodeSet::List(codes)) => (
                            None,
                            None,
                            None,
                            None,
                            Some(
                                serde_json::Value::from(
                                    codes.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                                )
                                .to_string(),
                            ),
                        ),
                        None => (None, None, None, None, None),
                    };
                    let at = OffsetDateTime::now_utc();
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO material_batches (point_id, day, kind, prefix, first_no, last_no, width, codes, quantity, by_user, at) \
                         SELECT p.id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM sampling_points p WHERE p.id = $1 \
                         RETURNING id",
                    )
                    .bind(b.point_id)
                    .bind(ymd(b.day))
                    .bind(b.kind.code())
                    .bind(prefix)
                    .bind(first)
                    .bind(last)
                    .bind(width)
                    .bind(list)
                    .bind(b.quantity)
                    .bind(&by)
                    .bind(at)
                    .fetch_optional(&mut *c)
                    .await
                    .map_err(db_err)?
                    .ok_or_else(|| StoreError::NotFound(format!("point {}", b.point_id)))?;
                    Ok(MaterialBatch {
                        id,
                        point_id: b.point_id,
                        day: b.day,
                        kind: b.kind,
                        codes: b.codes,
                        quantity: b.quantity,
                        by,
                        at,
                    })
                })
            })
            .await;
        self.forget_points();
        out
    }

    async fn set_material_count(
        &self,
        point_id: Id,
        day: Date,
        kind: MaterialKind,
        count: MaterialCount,
        by: &str,
        audit: Audit<()>,
    ) -> StoreResult<()> {
        let by = by.to_string();
        self.write(audit, move |c| {
            Box::pin(async move {
                let n = sqlx::query(
                    "INSERT INTO material_counts (point_id, day, kind, returned, spoiled, by_user, at) \
                     SELECT p.id, $2, $3, $4, $5, $6, $7 FROM sampling_points p WHERE p.id = $1 \
                     ON CONFLICT (point_id, day, kind) DO UPDATE SET returned = excluded.returned, \
                     spoiled = excluded.spoiled, by_user = excluded.by_user, at = excluded.at",
                )
                .bind(point_id)
                .bind(ymd(day))
                .bind(kind.code())
                .bind(count.returned)
                .bind(count.spoiled)
                .bind(&by)
                .bind(OffsetDateTime::now_utc())
                .execute(&mut *c)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n == 0 {
                    return Err(StoreError::NotFound(format!("point {point_id}")));
                }
                Ok(())
            })
        })
        .await
    }

    async fn point_day(&self, point: &SamplingPoint, day: Date) -> StoreResult<PointDay> {
        let mut c = self.pool().acquire().await.map_err(db_err)?;
        let mut batches = Vec::new();
        for b in point.batches.iter().filter(|b| b.day == day) {
            let (mut used, mut persons) = (0, 0);
            if let Some(codes) = &b.codes {
                // One index range over the codes in use, then only those of the set.
                let (lo, hi) = codes.bounds();
                let sql = match b.kind {
                    MaterialKind::Box => {
                        "SELECT code, CAST(0 AS BIGINT) FROM boxes WHERE code >= $1 AND code <= $2"
                    }
                    _ => "SELECT code, count FROM tubes WHERE code >= $1 AND code <= $2",
                };
                let rows: Vec<(String, i64)> = sqlx::query_as(sql)
                    .bind(lo)
                    .bind(hi)
                    .fetch_all(&mut *c)
                    .await
                    .map_err(db_err)?;
                for (code, count) in rows {
                    if codes.contains(&TubeCode::from_stored(code)) {
                        used += 1;
                        persons += count;
                    }
                }
            }
            batches.push(BatchUse {
                batch: b.clone(),
                used,
                persons,
            });
        }
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT kind, returned, spoiled FROM material_counts WHERE point_id = $1 AND day = $2 ORDER BY kind",
        )
        .bind(point.id)
        .bind(ymd(day))
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
        let counts = rows
            .into_iter()
            .map(|(kind, returned, spoiled)| {
                let k = MaterialKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?;
                Ok((k, MaterialCount { returned, spoiled }))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(PointDay { batches, counts })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn days_read_back() {
        let d = Date::from_calendar_date(2026, time::Month::March, 7).unwrap();
        assert_eq!(ymd(d), "2026-03-07");
        assert_eq!(day("2026-03-07").unwrap(), d);
        assert!(day("2026-13-07").is_err());
    }
}
