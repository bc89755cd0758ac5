//! A sample scan on PostgreSQL, the busiest write of a testing day: one statement, one round
//! trip, committed on its own ([`Writer::run_single`]): the resend check (a scan stored under
//! the client id is the answer, and nothing else runs), the tube fill (shared with
//! SQLite's `store-sqlite/src/scan.rs`: a new code opens the tube in an open round; a code in
//! use takes one more if open, not full and of this round), the sample (one per person and
//! round, held by the unique index `sample_once`) and the building's count, chained as
//! data-modifying CTEs. A refusal of any part fails the whole statement, which then has
//! written nothing.
//!
//! The statement's reads see the database as it was when it began; the deferred trigger
//! `sample_at_commit` (migration 0036) runs as it commits, still within the one round trip,
//! and sees what a write committing meanwhile changed: a round closed meanwhile refuses the
//! scan (`round_not_open`), and an excuse of the person, written before or meanwhile, is
//! ended, its building's excused count taken back.

use std::sync::LazyLock;

use doorstep_core::SampleMode;
use doorstep_store::{Id, NewScan, Scan, StoreError, StoreResult};
use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::sql::SqlStore;
use crate::sql::rounds::{
    FILL_HOUSEHOLD_TUBE_UNLESS_PRIOR, FILL_TUBE_UNLESS_PRIOR, STORED_SCAN, StoredScanRow,
    TUBE_STATE, TubeState, refusal, replayed,
};
use crate::sql::util::db_err;

/// A scan's answer as the statement returns it: (a resend, the sample, the tube, its code,
/// count, capacity, full, retest, when).
type Answered = (bool, Id, Id, String, i64, i64, bool, bool, OffsetDateTime);

/// The scan's statement with `fill`, the tube fill it runs (by the scan's mode). The scan
/// stored under this client id, if any (`prior`: then nothing is filled and it is the answer),
/// so that a scan is one round trip. The person locked as the sample's foreign key would lock
/// them, but before the fill writes anything (`person`): an excuse holding the person's lock
/// is waited for before this takes the building's counts, which the excuse updates next (the
/// foreign key's own check at the statement's end came after them, and the two deadlocked).
/// The building's count of sampled persons (a retest is not counted again). An excuse of the
/// person is ended by the trigger `sample_at_commit` as the statement commits (migration
/// 0036), with the excused count taken back: there it also sees an excuse committed while
/// this statement waited for the person.
fn scan_sql(fill: &str) -> String {
    format!(
        "WITH prior AS (SELECT s.id, s.person_id, t.code, s.position, t.capacity, s.closed_tube, s.retest, s.at \
            FROM samples s JOIN tubes t ON t.id = s.tube_id WHERE s.round_id = $1 AND s.client_id = $11), \
         person AS (SELECT p.id FROM persons p WHERE p.id = $9 FOR KEY SHARE), \
         fill AS ({fill}), \
         sample AS (INSERT INTO samples (round_id, tube_id, person_id, area_path, client_id, retest, position, closed_tube, by_user, at) \
            SELECT $1, fill.id, $9, $10, $11, $12, fill.count, fill.count >= fill.capacity, $6, $7 FROM fill \
            RETURNING id), \
         counted AS (INSERT INTO round_counts (round_id, area_id, sampled, excluded) \
            SELECT $1, $13, 1, 0 FROM sample WHERE NOT $12 \
            ON CONFLICT (round_id, area_id) DO UPDATE SET sampled = round_counts.sampled + 1) \
         SELECT FALSE, sample.id, CAST($9 AS BIGINT), CAST($2 AS TEXT), fill.count, fill.capacity, \
            fill.count >= fill.capacity, CAST($12 AS BOOLEAN), CAST($7 AS TIMESTAMPTZ) FROM sample, fill \
         UNION ALL SELECT TRUE, prior.* FROM prior"
    )
}

/// A pooled or single-tube scan's statement.
static SCAN: LazyLock<String> = LazyLock::new(|| scan_sql(FILL_TUBE_UNLESS_PRIOR));

/// A household-tube scan's statement.
static HOUSEHOLD_SCAN: LazyLock<String> =
    LazyLock::new(|| scan_sql(FILL_HOUSEHOLD_TUBE_UNLESS_PRIOR));

/// Records a scan through the store's writer.
pub async fn record_scan(store: &SqlStore, scan: NewScan) -> StoreResult<Scan> {
    let first = scan.clone();
    let out = store
        .writer()
        .run_single(move |c| Box::pin(async move { record(c, &first).await }))
        .await;
    match out {
        // The same client id racing itself: the first one's answer.
        Err(StoreError::Conflict(c)) if c == "sample_client_unique" => {
            let mut conn = store.pool().acquire().await.map_err(db_err)?;
            stored(&mut conn, &scan)
                .await?
                .ok_or(StoreError::Conflict(c))
        }
        other => other,
    }
}

async fn record(conn: &mut PgConnection, s: &NewScan) -> StoreResult<Scan> {
    let now = OffsetDateTime::now_utc();
    let sql = match s.mode {
        SampleMode::Household => &*HOUSEHOLD_SCAN,
        SampleMode::Pooled | SampleMode::Single => &*SCAN,
    };
    let answered: Option<Answered> = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(s.round_id)
        .bind(s.tube.as_str())
        .bind(s.point_area.as_str())
        .bind(s.mode.code())
        .bind(i64::from(s.capacity))
        .bind(&s.by)
        .bind(now)
        .bind(s.household_id)
        .bind(s.person_id)
        .bind(s.area_path.as_str())
        .bind(&s.client_id)
        .bind(s.retest)
        .bind(s.area_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| match db_err(e) {
            StoreError::Conflict(c) if c == "sample_once" => {
                StoreError::Conflict("already_sampled".into())
            }
            other => other,
        })?;
    let filled = match answered {
        Some((true, id, person, code, position, capacity, closed, retest, at)) => {
            return Ok(replayed((
                id, person, code, position, capacity, closed, retest, at,
            )));
        }
        Some((false, id, _, _, count, capacity, ..)) => Some((id, count, capacity)),
        None => None,
    };
    let Some((id, count, capacity)) = filled else {
        let status: Option<(String,)> = sqlx::query_as("SELECT status FROM rounds WHERE id = $1")
            .bind(s.round_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
        let tube: Option<TubeState> = sqlx::query_as(TUBE_STATE)
            .bind(s.tube.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
        return Err(refusal(s.round_id, s.mode, status.map(|(st,)| st), tube));
    };
    Ok(Scan {
        id,
        person_id: s.person_id,
        tube: s.tube.clone(),
        count: count as u32,
        capacity: capacity as u32,
        closed: count >= capacity,
        retest: s.retest,
        at: now,
        replayed: false,
    })
}

/// The scan stored under this client id, answered as a resend.
async fn stored(conn: &mut PgConnection, s: &NewScan) -> StoreResult<Option<Scan>> {
    let row: Option<StoredScanRow<OffsetDateTime>> = sqlx::query_as(STORED_SCAN)
        .bind(s.round_id)
        .bind(&s.client_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(row.map(replayed))
}
