//! Rounds, tubes and samples: [`doorstep_store::Rounds`] over `rounds`, `round_areas`,
//! `round_groups`, `round_exclusions`, `tubes`, `samples`, `round_counts` and `person_codes`.
//!
//! A scan is one write job: the tube is filled by a conditional `UPDATE … WHERE count <
//! capacity` (so two scans racing for the last place in a tube on PostgreSQL cannot both get
//! it), and a person's one sample per round is held by the partial unique index `sample_once`.

use async_trait::async_trait;
use doorstep_core::{AreaPath, PersonCode, PoolSize, RoundStatus, SampleMode, TubeCode};
use doorstep_store::*;
use sqlx::AssertSqlSafe;
use time::{Date, OffsetDateTime};

use super::SqlStore;
use super::util::{
    Conn, already_done, corrupt, db_err, is_already_done, lock_person, subtree_bounds,
};

const ROUND_COLS: &str = "r.id, r.area_id, r.area_path, r.name, r.pool_size, r.status, r.starts_at, r.ends_at, \
     r.created_by, r.created_at, r.lab_deadline_minutes";
pub(super) const TUBE_COLS: &str = "t.id, t.round_id, t.code, t.area_path, t.mode, t.capacity, t.count, t.status, t.opened_by, t.opened_at, \
     t.closed_by, t.closed_at";

#[derive(sqlx::FromRow)]
struct RoundRow {
    id: i64,
    area_id: i64,
    area_path: String,
    name: String,
    pool_size: i64,
    status: String,
    starts_at: Option<OffsetDateTime>,
    ends_at: Option<OffsetDateTime>,
    created_by: String,
    created_at: OffsetDateTime,
    lab_deadline_minutes: i64,
}

#[derive(sqlx::FromRow)]
pub(super) struct TubeRow {
    id: i64,
    round_id: i64,
    code: String,
    area_path: String,
    mode: String,
    capacity: i64,
    count: i64,
    status: String,
    opened_by: String,
    opened_at: OffsetDateTime,
    closed_by: Option<String>,
    closed_at: Option<OffsetDateTime>,
}

impl TubeRow {
    pub(super) fn into_tube(self) -> StoreResult<Tube> {
        Ok(Tube {
            id: self.id,
            round_id: self.round_id,
            mode: SampleMode::parse(&self.mode).ok_or_else(|| corrupt("tube mode", &self.mode))?,
            code: TubeCode::from_stored(self.code),
            area_path: AreaPath::from_stored(self.area_path),
            capacity: self.capacity as u32,
            count: self.count as u32,
            closed: self.status == "closed",
            opened_by: self.opened_by,
            opened_at: self.opened_at,
            closed_by: self.closed_by,
            closed_at: self.closed_at,
        })
    }
}

/// A round's areas and groups: fixed once the round is made.
#[derive(Debug, Clone)]
pub(super) struct RoundParts {
    areas: Vec<AreaPath>,
    groups: Vec<RoundGroup>,
}

async fn read_round(conn: &mut Conn, id: Id) -> StoreResult<Option<Round>> {
    read_round_as(conn, id, String::new()).await
}

/// A round read in the write that changes its status, its row locked until the commit: the
/// change is checked against the status no other write can change meanwhile.
async fn read_round_to_change(conn: &mut Conn, id: Id) -> StoreResult<Option<Round>> {
    read_round_as(conn, id, crate::backend::for_update("r")).await
}

async fn read_round_as(conn: &mut Conn, id: Id, lock: String) -> StoreResult<Option<Round>> {
    let sql = format!("SELECT {ROUND_COLS} FROM rounds r WHERE r.id = $1{lock}");
    let Some(row) = sqlx::query_as::<_, RoundRow>(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
    else {
        return Ok(None);
    };
    let parts = read_parts(conn, row.id).await?;
    complete(row, parts).map(Some)
}

async fn read_parts(conn: &mut Conn, id: Id) -> StoreResult<RoundParts> {
    let areas: Vec<(String,)> =
        sqlx::query_as("SELECT area_path FROM round_areas WHERE round_id = $1 ORDER BY area_path")
            .bind(id)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
    let groups: Vec<(Option<String>, Option<String>, String)> = sqlx::query_as(
        "SELECT area_path, tag, mode FROM round_groups WHERE round_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(RoundParts {
        areas: areas
            .into_iter()
            .map(|(p,)| AreaPath::from_stored(p))
            .collect(),
        groups: groups
            .into_iter()
            .map(|(area, tag, mode)| {
                Ok(RoundGroup {
                    area_path: area.map(AreaPath::from_stored),
                    tag,
                    mode: SampleMode::parse(&mode).ok_or_else(|| corrupt("group mode", &mode))?,
                })
            })
            .collect::<StoreResult<_>>()?,
    })
}

/// A round row with its areas and groups.
fn complete(row: RoundRow, parts: RoundParts) -> StoreResult<Round> {
    Ok(Round {
        id: row.id,
        area_id: row.area_id,
        area_path: AreaPath::from_stored(row.area_path),
        name: row.name,
        pool_size: u32::try_from(row.pool_size)
            .ok()
            .and_then(|n| PoolSize::parse(n).ok())
            .ok_or_else(|| corrupt("pool size", &row.pool_size.to_string()))?,
        lab_deadline_minutes: row.lab_deadline_minutes,
        status: RoundStatus::from_stored(&row.status)
            .ok_or_else(|| corrupt("round status", &row.status))?,
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        areas: parts.areas,
        groups: parts.groups,
        created_by: row.created_by,
        created_at: row.created_at,
    })
}

pub(super) async fn read_tube(conn: &mut Conn, code: &TubeCode) -> StoreResult<Option<Tube>> {
    let sql = format!("SELECT {TUBE_COLS} FROM tubes t WHERE t.code = $1");
    sqlx::query_as::<_, TubeRow>(AssertSqlSafe(sql))
        .bind(code.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .map(TubeRow::into_tube)
        .transpose()
}

// The text of [`FILL_TUBE`], with more conditions on the row it inserts (`$guard`) and on the
// tube it adds to (`$tube`: [`household_only!`] or nothing).
macro_rules! fill_tube {
    ($guard:expr, $tube:expr) => {
        concat!(
            "INSERT INTO tubes (round_id, code, area_path, mode, capacity, count, status, opened_by, opened_at, closed_by, closed_at) \
     SELECT r.id, $2, $3, $4, $5, 1, CASE WHEN $5 <= 1 THEN 'closed' ELSE 'open' END, $6, $7, \
            CASE WHEN $5 <= 1 THEN $6 END, CASE WHEN $5 <= 1 THEN $7 END \
     FROM rounds r WHERE r.id = $1 AND r.status = 'open'",
            $guard,
            " ON CONFLICT (code) DO UPDATE SET count = tubes.count + 1, \
       status = CASE WHEN tubes.count + 1 >= tubes.capacity THEN 'closed' ELSE tubes.status END, \
       closed_by = CASE WHEN tubes.count + 1 >= tubes.capacity THEN excluded.opened_by ELSE tubes.closed_by END, \
       closed_at = CASE WHEN tubes.count + 1 >= tubes.capacity THEN excluded.opened_at ELSE tubes.closed_at END \
     WHERE tubes.round_id = excluded.round_id AND tubes.status = 'open' AND tubes.count < tubes.capacity \
       AND tubes.mode = excluded.mode",
            $tube,
            " RETURNING id, count, capacity"
        )
    };
}

// The guard of PostgreSQL's fill: no scan stored under the client id (CTE `prior`), the person
// locked (CTE `person`).
macro_rules! unless_prior {
    () => {
        " AND NOT EXISTS (SELECT 1 FROM prior) AND EXISTS (SELECT 1 FROM person)"
    };
}

// A household's tube takes its own members only (bind `$8`: the person's household). Needed
// by a scan in household mode alone: any other scan's tube is of its own mode (`tubes.mode =
// excluded.mode`), never a household's.
macro_rules! household_only {
    () => {
        " AND (tubes.mode <> 'household' OR NOT EXISTS (SELECT 1 FROM samples o JOIN persons op ON op.id = o.person_id \
            WHERE o.tube_id = tubes.id AND op.household_id <> $8))"
    };
}

/// The tube fill, one statement: a new code opens the tube (in an open round only), a code in
/// use takes one more if it is open, not full, of this round and filled the same way (a person
/// sampled single-tube never goes into a pool, nor a pooled person into a single tube), and a
/// household's tube only takes its own members. No row back: a refusal,
/// diagnosed by [`refusal`] (the scan writes nothing then). Binds: round, code, the sampling
/// point's area, mode, capacity, who, when, the person's household.
#[allow(dead_code)] // PostgreSQL fills with its resend check.
pub(crate) const FILL_TUBE: &str = fill_tube!("", household_only!());

/// [`FILL_TUBE`] inside a statement whose CTE `prior` holds the scan already stored under the
/// client id (with one there, nothing is filled) and whose CTE `person` locks the person
/// before anything is written (PostgreSQL's scan, one round trip with its resend check), for a
/// scan in household mode ([`FILL_TUBE_UNLESS_PRIOR`] for the others: its plan, without the
/// household check's join, is quicker to set up, and `$8` goes unused).
#[allow(dead_code)] // SQLite checks for a resend first, in the same raw job.
pub(crate) const FILL_HOUSEHOLD_TUBE_UNLESS_PRIOR: &str =
    fill_tube!(unless_prior!(), household_only!());

/// [`FILL_HOUSEHOLD_TUBE_UNLESS_PRIOR`] for a pooled or single-tube scan.
#[allow(dead_code)] // SQLite checks for a resend first, in the same raw job.
pub(crate) const FILL_TUBE_UNLESS_PRIOR: &str = fill_tube!(unless_prior!(), "");

/// The scan stored under a client id (binds: round, client id): id, person, tube code,
/// position, capacity, whether it closed the tube, retest, when.
pub(crate) const STORED_SCAN: &str = "SELECT s.id, s.person_id, t.code, s.position, t.capacity, s.closed_tube, s.retest, s.at \
     FROM samples s JOIN tubes t ON t.id = s.tube_id WHERE s.round_id = $1 AND s.client_id = $2";

/// A row of [`STORED_SCAN`], its time as the backend reads it.
pub(crate) type StoredScanRow<At> = (Id, Id, String, i64, i64, bool, bool, At);

/// A stored scan as its resend answers it.
pub(crate) fn replayed(row: StoredScanRow<OffsetDateTime>) -> Scan {
    let (id, person_id, code, position, capacity, closed, retest, at) = row;
    Scan {
        id,
        person_id,
        tube: TubeCode::from_stored(code),
        count: position as u32,
        capacity: capacity as u32,
        closed,
        retest,
        at,
        replayed: true,
    }
}

/// The tube as [`refusal`] needs it (bind: its code): round, count, capacity, status, mode.
pub(crate) const TUBE_STATE: &str =
    "SELECT round_id, count, capacity, status, mode FROM tubes WHERE code = $1";

/// A row of [`TUBE_STATE`].
pub(crate) type TubeState = (Id, i64, i64, String, String);

/// Why a tube fill of a scan in `mode` wrote nothing, from the round's status and the tube as
/// it is now.
pub(crate) fn refusal(
    round_id: Id,
    mode: SampleMode,
    round_status: Option<String>,
    tube: Option<TubeState>,
) -> StoreError {
    match round_status {
        None => StoreError::NotFound(format!("round {round_id}")),
        Some(st) if st != RoundStatus::Open.code() => conflict("round_not_open"),
        Some(_) => match tube {
            Some((round, ..)) if round != round_id => conflict("tube_in_other_round"),
            Some((_, count, capacity, ..)) if count >= capacity => conflict("tube_full"),
            Some((_, _, _, status, m)) if status == "open" && m != mode.code() => {
                conflict("tube_mode")
            }
            Some((_, _, _, status, _)) if status == "open" => conflict("tube_other_household"),
            _ => conflict("tube_closed"),
        },
    }
}

pub(super) fn conflict(code: &str) -> StoreError {
    StoreError::Conflict(code.into())
}

/// Adds to a building's sampled and excused counts in a round.
async fn bump(
    conn: &mut Conn,
    round: Id,
    area: Id,
    sampled: i64,
    excluded: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO round_counts (round_id, area_id, sampled, excluded) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (round_id, area_id) DO UPDATE SET sampled = round_counts.sampled + $3, \
         excluded = round_counts.excluded + $4",
    )
    .bind(round)
    .bind(area)
    .bind(sampled)
    .bind(excluded)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl Rounds for SqlStore {
    async fn create_round(
        &self,
        round: &NewRound,
        by: &str,
        audit: Audit<Round>,
    ) -> StoreResult<Round> {
        let r = round.clone();
        let by = by.to_string();
        self.write(audit, move |c| {
            Box::pin(async move {
                let now = OffsetDateTime::now_utc();
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO rounds (area_id, area_path, name, pool_size, status, starts_at, ends_at, \
                     created_by, created_at, updated_at, lab_deadline_minutes) \
                     SELECT a.id, a.path, $2, $3, 'planned', $4, $5, $6, $7, $7, $8 FROM areas a WHERE a.id = $1 \
                     RETURNING id",
                )
                .bind(r.area_id)
                .bind(&r.name)
                .bind(i64::from(r.pool_size.get()))
                .bind(r.starts_at)
                .bind(r.ends_at)
                .bind(&by)
                .bind(now)
                .bind(r.lab_deadline_minutes)
                .fetch_optional(&mut *c)
                .await
                .map_err(db_err)?
                .ok_or_else(|| StoreError::NotFound(format!("area {}", r.area_id)))?;
                let areas = if r.areas.is_empty() {
                    vec![r.area_id]
                } else {
                    r.areas.clone()
                };
                for a in areas {
                    sqlx::query(
                        "INSERT INTO round_areas (round_id, area_id, area_path) \
                         SELECT $1, a.id, a.path FROM areas a WHERE a.id = $2 ON CONFLICT DO NOTHING",
                    )
                    .bind(id)
                    .bind(a)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err)?;
                }
                for g in &r.groups {
                    sqlx::query(
                        "INSERT INTO round_groups (round_id, area_path, tag, mode) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(id)
                    .bind(g.area_path.as_ref().map(AreaPath::as_str))
                    .bind(&g.tag)
                    .bind(g.mode.code())
                    .execute(&mut *c)
                    .await
                    .map_err(db_err)?;
                }
                read_round(c, id)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("round {id}")))
            })
        })
        .await
    }

    async fn round(&self, id: Id) -> StoreResult<Option<Round>> {
        let mut c = self.pool().acquire().await.map_err(db_err)?;
        let sql = format!("SELECT {ROUND_COLS} FROM rounds r WHERE r.id = $1");
        let Some(row) = sqlx::query_as::<_, RoundRow>(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        let known = self
            .rounds_made
            .lock()
            .ok()
            .and_then(|m| m.get(&id).map(|r| (r.areas.clone(), r.groups.clone())));
        let parts = match known {
            Some((areas, groups)) => RoundParts { areas, groups },
            None => read_parts(&mut c, id).await?,
        };
        let round = complete(row, parts)?;
        if let Ok(mut m) = self.rounds_made.lock() {
            m.insert(id, round.clone());
        }
        Ok(Some(round))
    }

    async fn round_as_made(&self, id: Id) -> StoreResult<Option<Round>> {
        let known = self
            .rounds_made
            .lock()
            .ok()
            .and_then(|m| m.get(&id).cloned());
        match known {
            Some(r) => Ok(Some(r)),
            None => self.round(id).await,
        }
    }

    async fn scan_person(&self, who: &ScanPerson, day: Date) -> StoreResult<Option<ScanTarget>> {
        crate::backend::scan_person(self, who, day).await
    }

    async fn rounds_near(&self, area: Option<&AreaPath>) -> StoreResult<Vec<Round>> {
        let mut c = self.pool().acquire().await.map_err(db_err)?;
        let rows: Vec<RoundRow> = match area {
            None => {
                let sql = format!("SELECT {ROUND_COLS} FROM rounds r ORDER BY r.id DESC LIMIT 200");
                sqlx::query_as(AssertSqlSafe(sql))
                    .fetch_all(&mut *c)
                    .await
                    .map_err(db_err)?
            }
            Some(area) => {
                let (a, b, cc) = subtree_bounds(area);
                let mut above: Vec<String> = std::iter::successors(area.parent(), AreaPath::parent)
                    .map(|p| p.as_str().to_string())
                    .collect();
                above.resize(8, String::new());
                let sql = format!(
                    "SELECT {ROUND_COLS} FROM rounds r WHERE r.area_path = $1 OR (r.area_path >= $2 AND r.area_path < $3) \
                     OR r.area_path IN ($4, $5, $6, $7, $8, $9, $10, $11) ORDER BY r.id DESC LIMIT 200"
                );
                let mut q = sqlx::query_as(AssertSqlSafe(sql)).bind(a).bind(b).bind(cc);
                for p in above {
                    q = q.bind(p);
                }
                q.fetch_all(&mut *c).await.map_err(db_err)?
            }
        };
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let parts = read_parts(&mut c, row.id).await?;
            out.push(complete(row, parts)?);
        }
        Ok(out)
    }

    async fn set_round_status(
        &self,
        id: Id,
        to: RoundStatus,
        audit: Audit<Round>,
    ) -> StoreResult<Round> {
        self.write(audit, move |c| {
            Box::pin(async move {
                let before = read_round_to_change(c, id)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("round {id}")))?;
                if !before.status.may_become(to) {
                    return Err(conflict("round_status"));
                }
                sqlx::query("UPDATE rounds SET status = $1, updated_at = $2 WHERE id = $3")
                    .bind(to.code())
                    .bind(OffsetDateTime::now_utc())
                    .bind(id)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err)?;
                Ok(Round {
                    status: to,
                    ..before
                })
            })
        })
        .await
    }

    async fn record_scan(&self, scan: &NewScan) -> StoreResult<Scan> {
        crate::backend::record_scan(self, scan.clone()).await
    }

    async fn close_tube(
        &self,
        round_id: Id,
        code: &TubeCode,
        by: &str,
        audit: Audit<Tube>,
    ) -> StoreResult<Tube> {
        let code = code.clone();
        let by = by.to_string();
        let asked = code.clone();
        let closed = self
            .write(audit, move |c| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE tubes SET status = 'closed', closed_by = $1, closed_at = $2 \
                         WHERE code = $3 AND round_id = $4 AND status = 'open'",
                    )
                    .bind(&by)
                    .bind(OffsetDateTime::now_utc())
                    .bind(code.as_str())
                    .bind(round_id)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                    // Closed already (full, or by a close that committed first): answered as
                    // it is, without an entry of its own.
                    if done == 0 {
                        return Err(already_done());
                    }
                    match read_tube(c, &code).await? {
                        Some(t) if t.round_id == round_id => Ok(t),
                        _ => Err(StoreError::NotFound(format!("tube {code}"))),
                    }
                })
            })
            .await;
        match closed {
            Err(e) if is_already_done(&e) => {
                let mut c = self.pool().acquire().await.map_err(db_err)?;
                match read_tube(&mut c, &asked).await? {
                    Some(t) if t.round_id == round_id => Ok(t),
                    _ => Err(StoreError::NotFound(format!("tube {asked}"))),
                }
            }
            other => other,
        }
    }

    async fn tube(
        &self,
        round_id: Id,
        code: &TubeCode,
    ) -> StoreResult<Option<(Tube, Vec<TubeSample>)>> {
        let mut c = self.pool().acquire().await.map_err(db_err)?;
        let Some(tube) = read_tube(&mut c, code).await? else {
            return Ok(None);
        };
        if tube.round_id != round_id {
            return Ok(None);
        }
        let rows: Vec<(i64, String, bool, String, OffsetDateTime)> = sqlx::query_as(
            "SELECT person_id, area_path, retest, by_user, at FROM samples WHERE tube_id = $1 ORDER BY id",
        )
        .bind(tube.id)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
        let samples = rows
            .into_iter()
            .map(|(person_id, path, retest, by, at)| TubeSample {
                person_id,
                area_path: AreaPath::from_stored(path),
                retest,
                by,
                at,
            })
            .collect();
        Ok(Some((tube, samples)))
    }

    async fn open_tubes(&self, round_id: Id) -> StoreResult<Vec<Tube>> {
        let sql = format!(
            "SELECT {TUBE_COLS} FROM tubes t WHERE t.round_id = $1 AND t.status = 'open' ORDER BY t.code"
        );
        sqlx::query_as::<_, TubeRow>(AssertSqlSafe(sql))
            .bind(round_id)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(TubeRow::into_tube)
            .collect()
    }

    async fn exclude(&self, excuse: &NewExclusion, audit: Audit<()>) -> StoreResult<()> {
        let x = excuse.clone();
        let (round_id, person_id) = (x.round_id, x.person_id);
        self.write(audit, move |c| {
            Box::pin(async move {
                // A sample committing meanwhile is seen, and a second excuse of the person
                // replaces the first (as on SQLite) instead of breaking the primary key.
                lock_person(c, person_id).await?;
                let done: Option<(i64,)> = sqlx::query_as(
                    "SELECT id FROM samples WHERE round_id = $1 AND person_id = $2 AND retest = FALSE",
                )
                .bind(round_id)
                .bind(person_id)
                .fetch_optional(&mut *c)
                .await
                .map_err(db_err)?;
                if done.is_some() {
                    return Err(conflict("already_sampled"));
                }
                let gone = sqlx::query(
                    "DELETE FROM round_exclusions WHERE round_id = $1 AND person_id = $2",
                )
                .bind(round_id)
                .bind(person_id)
                .execute(&mut *c)
                .await
                .map_err(db_err)?
                .rows_affected();
                sqlx::query(
                    "INSERT INTO round_exclusions (round_id, person_id, area_path, reason, note, by_user, at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(round_id)
                .bind(person_id)
                .bind(x.area_path.as_str())
                .bind(x.reason.code())
                .bind(&x.note)
                .bind(&x.by)
                .bind(OffsetDateTime::now_utc())
                .execute(&mut *c)
                .await
                .map_err(db_err)?;
                if gone == 0 {
                    bump(c, round_id, x.area_id, 0, 1).await?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn round_counts(
        &self,
        round_id: Id,
        area: &AreaPath,
    ) -> StoreResult<Vec<AreaRoundCount>> {
        let (a, b, c) = subtree_bounds(area);
        let rows: Vec<(i64, String, i64, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT a.id, a.path, a.persons_here, rc.sampled, rc.excluded FROM areas a \
             LEFT JOIN round_counts rc ON rc.area_id = a.id AND rc.round_id = $4 \
             WHERE (a.path = $1 OR (a.path >= $2 AND a.path < $3)) \
             AND (a.persons_here > 0 OR rc.sampled > 0 OR rc.excluded > 0) ORDER BY a.path",
        )
        .bind(a)
        .bind(b)
        .bind(c)
        .bind(round_id)
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(
                |(area_id, path, persons, sampled, excluded)| AreaRoundCount {
                    area_id,
                    area_path: AreaPath::from_stored(path),
                    persons,
                    sampled: sampled.unwrap_or(0),
                    excluded: excluded.unwrap_or(0),
                },
            )
            .collect())
    }

    async fn round_missing(
        &self,
        round_id: Id,
        area: &AreaPath,
        limit: u32,
    ) -> StoreResult<Vec<PersonWithPlace>> {
        super::persons::round_missing(self.pool(), round_id, area, limit).await
    }

    async fn tube_totals(&self, round_id: Id) -> StoreResult<TubeTotals> {
        let (tubes, closed, short, resulted, positive, samples): (i64, i64, i64, i64, i64, i64) =
            sqlx::query_as(
                "SELECT COUNT(*), \
                 CAST(COALESCE(SUM(CASE WHEN status = 'closed' THEN 1 ELSE 0 END), 0) AS BIGINT), \
                 CAST(COALESCE(SUM(CASE WHEN status = 'closed' AND count < capacity THEN 1 ELSE 0 END), 0) AS BIGINT), \
                 CAST(COALESCE(SUM(CASE WHEN result IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
                 CAST(COALESCE(SUM(CASE WHEN result = 'positive' THEN 1 ELSE 0 END), 0) AS BIGINT), \
                 CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM tubes WHERE round_id = $1",
            )
            .bind(round_id)
            .fetch_one(self.pool())
            .await
            .map_err(db_err)?;
        Ok(TubeTotals {
            tubes,
            closed,
            short,
            resulted,
            positive,
            samples,
        })
    }

    async fn person_code(&self, person_id: Id, fresh: PersonCode) -> StoreResult<PersonCode> {
        self.write(no_audit(), move |c| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO person_codes (person_id, code, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (person_id) DO NOTHING",
                )
                .bind(person_id)
                .bind(fresh.as_str())
                .bind(OffsetDateTime::now_utc())
                .execute(&mut *c)
                .await
                .map_err(db_err)?;
                let (code,): (String,) =
                    sqlx::query_as("SELECT code FROM person_codes WHERE person_id = $1")
                        .bind(person_id)
                        .fetch_one(&mut *c)
                        .await
                        .map_err(db_err)?;
                PersonCode::parse(&code).ok_or_else(|| corrupt("person code", &code))
            })
        })
        .await
    }

    async fn person_by_code(&self, code: &PersonCode) -> StoreResult<Option<Id>> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT person_id FROM person_codes WHERE code = $1")
                .bind(code.as_str())
                .fetch_optional(self.pool())
                .await
                .map_err(db_err)?;
        Ok(row.map(|(id,)| id))
    }
}
