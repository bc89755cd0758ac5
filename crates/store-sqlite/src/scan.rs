//! A sample scan on SQLite, the busiest write of a testing day: five statements run through
//! rusqlite on the writer's own connection ([`Writer::run_raw`]), each without a trip to sqlx's
//! worker thread and prepared once for every later scan. The statements and their order are
//! PostgreSQL's (`store-postgres/src/scan.rs`): the resend check, the tube fill (a new code
//! opens the tube in an open round; a code in use takes one more if open, not full and of this
//! round), the sample (one per person and round, held by the unique index `sample_once`), the
//! building's count, and the end of an exclusion of someone who came after all.

use doorstep_store::{NewScan, Scan, StoreError, StoreResult};
use rusqlite::{OptionalExtension, named_params};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::sql::SqlStore;
use crate::sql::rounds::{
    FILL_TUBE, STORED_SCAN, StoredScanRow, TUBE_STATE, TubeState, refusal, replayed,
};

/// Records a scan through the store's writer.
pub async fn record_scan(store: &SqlStore, scan: NewScan) -> StoreResult<Scan> {
    let now = OffsetDateTime::now_utc();
    store
        .writer()
        .run_raw(Box::new(move |db| record(db, &scan, now)))
        .await
}

fn record(db: &rusqlite::Connection, s: &NewScan, now: OffsetDateTime) -> StoreResult<Scan> {
    if let Some(found) = stored(db, s)? {
        return Ok(found);
    }
    let at = now.format(&Rfc3339).map_err(other)?;
    let filled: Option<(i64, i64, i64)> = db
        .prepare_cached(FILL_TUBE)
        .and_then(|mut st| {
            st.query_row(
                named_params! {
                    "$1": s.round_id, "$2": s.tube.as_str(), "$3": s.point_area.as_str(),
                    "$4": s.mode.code(), "$5": i64::from(s.capacity), "$6": &s.by, "$7": &at,
                    "$8": s.household_id,
                },
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        })
        .map_err(crate::rusqlite_err)?;
    let Some((tube_id, count, capacity)) = filled else {
        let status: Option<String> = db
            .prepare_cached("SELECT status FROM rounds WHERE id = ?1")
            .and_then(|mut st| st.query_row([s.round_id], |r| r.get(0)).optional())
            .map_err(crate::rusqlite_err)?;
        let tube: Option<TubeState> = db
            .prepare_cached(TUBE_STATE)
            .and_then(|mut st| {
                st.query_row([s.tube.as_str()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .optional()
            })
            .map_err(crate::rusqlite_err)?;
        return Err(refusal(s.round_id, s.mode, status, tube));
    };
    let closed = count >= capacity;
    let id: i64 = db
        .prepare_cached(
            "INSERT INTO samples (round_id, tube_id, person_id, area_path, client_id, retest, position, closed_tube, by_user, at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
        )
        .and_then(|mut st| {
            st.query_row(
                rusqlite::params![
                    s.round_id,
                    tube_id,
                    s.person_id,
                    s.area_path.as_str(),
                    &s.client_id,
                    s.retest,
                    count,
                    closed,
                    &s.by,
                    &at
                ],
                |r| r.get(0),
            )
        })
        .map_err(|e| match crate::rusqlite_err(e) {
            StoreError::Conflict(c) if c == "sample_once" => {
                StoreError::Conflict("already_sampled".into())
            }
            other => other,
        })?;
    if !s.retest {
        bump(db, s.round_id, s.area_id, 1, 0)?;
        // Someone excused who came after all is no longer excused.
        let excused: Option<String> = db
            .prepare_cached(
                "DELETE FROM round_exclusions WHERE round_id = ?1 AND person_id = ?2 RETURNING area_path",
            )
            .and_then(|mut st| {
                st.query_row([s.round_id, s.person_id], |r| r.get(0))
                    .optional()
            })
            .map_err(crate::rusqlite_err)?;
        if let Some(path) = excused {
            let area: i64 = db
                .prepare_cached("SELECT id FROM areas WHERE path = ?1")
                .and_then(|mut st| st.query_row([path], |r| r.get(0)))
                .map_err(crate::rusqlite_err)?;
            bump(db, s.round_id, area, 0, -1)?;
        }
    }
    Ok(Scan {
        id,
        person_id: s.person_id,
        tube: s.tube.clone(),
        count: count as u32,
        capacity: capacity as u32,
        closed,
        retest: s.retest,
        at: now,
        replayed: false,
    })
}

/// The scan stored under this client id, answered as a resend.
fn stored(db: &rusqlite::Connection, s: &NewScan) -> StoreResult<Option<Scan>> {
    let row: Option<StoredScanRow<String>> = db
        .prepare_cached(STORED_SCAN)
        .and_then(|mut st| {
            st.query_row(
                named_params! { "$1": s.round_id, "$2": &s.client_id },
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ))
                },
            )
            .optional()
        })
        .map_err(crate::rusqlite_err)?;
    let Some((id, person, code, position, capacity, closed, retest, at)) = row else {
        return Ok(None);
    };
    let at = OffsetDateTime::parse(&at, &Rfc3339).map_err(other)?;
    Ok(Some(replayed((
        id, person, code, position, capacity, closed, retest, at,
    ))))
}

/// Adds to a building's sampled and excused counts in a round.
fn bump(
    db: &rusqlite::Connection,
    round: i64,
    area: i64,
    sampled: i64,
    excluded: i64,
) -> StoreResult<()> {
    db.prepare_cached(
        "INSERT INTO round_counts (round_id, area_id, sampled, excluded) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (round_id, area_id) DO UPDATE SET sampled = round_counts.sampled + ?3, \
         excluded = round_counts.excluded + ?4",
    )
    .and_then(|mut st| st.execute([round, area, sampled, excluded]))
    .map_err(crate::rusqlite_err)?;
    Ok(())
}

fn other(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Other(Box::new(e))
}
