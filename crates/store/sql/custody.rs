//! Boxes, the lab and results: [`doorstep_store::Custody`] over `boxes`, the tubes' result
//! columns, `sample_flags` and the append-only `custody_events`.

use async_trait::async_trait;
use doorstep_core::{AreaPath, BoxStatus, TubeCode, TubeResult};
use doorstep_store::*;
use serde_json::{Value, json};
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use super::SqlStore;
use super::rounds::{TUBE_COLS, TubeRow, conflict, read_tube};
use super::util::{Conn, MAX_PARAMS, corrupt, db_err, list_clause, subtree_bounds, values_clause};

pub(super) const BOX_COLS: &str = "b.id, b.round_id, b.code, b.area_path, b.status, b.tubes, b.persons, b.opened_by, b.opened_at, \
     b.sealed_by, b.sealed_at, b.carrier, b.lab, b.handed_at, b.received_by, b.received_at, b.received_tubes, \
     b.mismatch_note, b.handover_id, \
     (SELECT MIN(s.at) FROM samples s JOIN tubes t ON t.id = s.tube_id WHERE t.box_id = b.id) AS first_sample_at, \
     (SELECT COUNT(*) FROM tubes t WHERE t.box_id = b.id) AS live_tubes, \
     (SELECT CAST(COALESCE(SUM(t.count), 0) AS BIGINT) FROM tubes t WHERE t.box_id = b.id) AS live_persons";

#[derive(sqlx::FromRow)]
pub(super) struct BoxRow {
    id: i64,
    round_id: i64,
    code: String,
    area_path: String,
    status: String,
    tubes: i64,
    persons: i64,
    opened_by: String,
    opened_at: OffsetDateTime,
    sealed_by: Option<String>,
    sealed_at: Option<OffsetDateTime>,
    carrier: Option<String>,
    lab: Option<String>,
    handed_at: Option<OffsetDateTime>,
    received_by: Option<String>,
    received_at: Option<OffsetDateTime>,
    received_tubes: Option<i64>,
    mismatch_note: Option<String>,
    handover_id: Option<i64>,
    first_sample_at: Option<OffsetDateTime>,
    live_tubes: i64,
    live_persons: i64,
}

impl BoxRow {
    pub(super) fn into_box(self) -> StoreResult<TransportBox> {
        let status = BoxStatus::from_stored(&self.status)
            .ok_or_else(|| corrupt("box status", &self.status))?;
        let open = status == BoxStatus::Open;
        Ok(TransportBox {
            id: self.id,
            round_id: self.round_id,
            code: TubeCode::from_stored(self.code),
            area_path: AreaPath::from_stored(self.area_path),
            status,
            tubes: if open { self.live_tubes } else { self.tubes },
            persons: if open {
                self.live_persons
            } else {
                self.persons
            },
            opened_by: self.opened_by,
            opened_at: self.opened_at,
            sealed_by: self.sealed_by,
            sealed_at: self.sealed_at,
            carrier: self.carrier,
            lab: self.lab,
            handed_at: self.handed_at,
            received_by: self.received_by,
            received_at: self.received_at,
            received_tubes: self.received_tubes,
            mismatch_note: self.mismatch_note,
            first_sample_at: self.first_sample_at,
            handover_id: self.handover_id,
        })
    }
}

pub(super) async fn read_box(
    conn: &mut Conn,
    code: &TubeCode,
) -> StoreResult<Option<TransportBox>> {
    let sql = format!("SELECT {BOX_COLS} FROM boxes b WHERE b.code = $1");
    sqlx::query_as::<_, BoxRow>(AssertSqlSafe(sql))
        .bind(code.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .map(BoxRow::into_box)
        .transpose()
}

/// A box read in the write that changes it or fills it, its row locked until the commit: a
/// seal counts the tubes no tube-boxing can add to meanwhile, and a tube is boxed only into a
/// box that stays open until the commit. The lock is its own statement before the read: the
/// read's counts of the box's tubes are subqueries, which a locking read would have evaluated
/// before waiting for the lock (on the rows as they were before the write it waited for).
pub(super) async fn read_box_to_change(
    conn: &mut Conn,
    code: &TubeCode,
) -> StoreResult<Option<TransportBox>> {
    let lock = crate::backend::for_update("b");
    if !lock.is_empty() {
        let sql = format!("SELECT b.id FROM boxes b WHERE b.code = $1{lock}");
        sqlx::query(AssertSqlSafe(sql))
            .bind(code.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    read_box(conn, code).await
}

/// Locks the rows of `table` (`boxes` or `tubes`) named by `codes` until the commit, in one
/// order (by code, unique in both), before a write that changes several: two such writes
/// naming the same rows in different orders, side by side (PostgreSQL), would otherwise each
/// lock a row the other waits for, and one would be ended as a deadlock (a slip's hand-over
/// and a lab's receipt of boxes; a lab's results for tubes, whose positive pools are read
/// locked one by one). A statement locks its rows in the order it returns them; a long list
/// goes in chunks of codes taken in that same order. Nothing on SQLite, whose one writer runs
/// one write at a time.
pub(super) async fn lock_in_code_order(
    conn: &mut Conn,
    table: &str,
    codes: &[&TubeCode],
) -> StoreResult<()> {
    let lock = crate::backend::for_update("x");
    if lock.is_empty() {
        return Ok(());
    }
    let mut codes: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    for part in codes.chunks(MAX_PARAMS) {
        let sql = format!(
            "SELECT x.id FROM {table} x WHERE x.code IN ({}) ORDER BY x.code{lock}",
            list_clause(part.len(), 1)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).persistent(false);
        for code in part {
            q = q.bind(*code);
        }
        q.fetch_all(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}

/// Appends a custody event, now.
pub(super) async fn log(
    conn: &mut Conn,
    round: Id,
    tube: Option<Id>,
    boxed: Option<Id>,
    action: &str,
    by: &str,
    details: &Value,
) -> StoreResult<()> {
    let now = OffsetDateTime::now_utc();
    log_at(conn, round, tube, boxed, action, by, now, details).await
}

/// Appends a custody event at `at` (a handover's steps carry their own time).
#[allow(clippy::too_many_arguments)]
pub(super) async fn log_at(
    conn: &mut Conn,
    round: Id,
    tube: Option<Id>,
    boxed: Option<Id>,
    action: &str,
    by: &str,
    at: OffsetDateTime,
    details: &Value,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO custody_events (round_id, tube_id, box_id, action, by_user, at, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(round)
    .bind(tube)
    .bind(boxed)
    .bind(action)
    .bind(by)
    .bind(at)
    .bind(details.to_string())
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

async fn events(conn: &mut Conn, column: &str, id: Id) -> StoreResult<Vec<CustodyEvent>> {
    let sql = format!(
        "SELECT action, by_user, at, details FROM custody_events WHERE {column} = $1 ORDER BY id"
    );
    let rows: Vec<(String, String, OffsetDateTime, String)> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
    rows.into_iter()
        .map(|(action, by, at, details)| {
            Ok(CustodyEvent {
                action,
                by,
                at,
                details: serde_json::from_str(&details)
                    .map_err(|_| corrupt("custody event", &details))?,
            })
        })
        .collect()
}

/// Records one result in the open transaction.
async fn record_one(conn: &mut Conn, r: &NewResult, by: &str) -> StoreResult<ResultOutcome> {
    let Some(tube) = read_tube(conn, &r.tube).await? else {
        return Ok(ResultOutcome::UnknownTube);
    };
    // Locked until the commit: two batches naming the tube record its result once.
    let sql = format!(
        "SELECT t.result FROM tubes t WHERE t.id = $1{}",
        crate::backend::for_update("t")
    );
    let (before,): (Option<String>,) = sqlx::query_as(AssertSqlSafe(sql))
        .bind(tube.id)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
    match before {
        Some(b) if b == r.result.code() => return Ok(ResultOutcome::Unchanged),
        Some(_) => return Ok(ResultOutcome::Different),
        None => {}
    }
    sqlx::query("UPDATE tubes SET result = $1, result_at = $2, result_by = $3 WHERE id = $4")
        .bind(r.result.code())
        .bind(r.tested_at)
        .bind(by)
        .bind(tube.id)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    log(
        conn,
        tube.round_id,
        Some(tube.id),
        None,
        "resulted",
        by,
        &json!({"result": r.result.code()}),
    )
    .await?;
    let persons: Vec<(i64,)> =
        sqlx::query_as("SELECT s.person_id FROM samples s WHERE s.tube_id = $1 ORDER BY s.id")
            .bind(tube.id)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
    let now = OffsetDateTime::now_utc();
    let mut flagged = Vec::new();
    let pooled = persons.len() > 1;
    for (person,) in &persons {
        // A flagged person's single-tube re-sample settles the flag.
        let open_flag: Option<(i64,)> = sqlx::query_as(
            "SELECT tube_id FROM sample_flags WHERE round_id = $1 AND person_id = $2 AND status = 'flagged'",
        )
        .bind(tube.round_id)
        .bind(person)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
        match open_flag {
            Some((flag_tube,)) if flag_tube != tube.id && !pooled => {
                let status = match r.result {
                    TubeResult::Negative => "negative",
                    TubeResult::Positive => "positive",
                    TubeResult::Invalid => continue,
                };
                sqlx::query(
                    "UPDATE sample_flags SET status = $1, closed_at = $2 WHERE round_id = $3 AND person_id = $4",
                )
                .bind(status)
                .bind(now)
                .bind(tube.round_id)
                .bind(person)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            }
            Some(_) => {}
            None if r.result == TubeResult::Positive => {
                let done = sqlx::query(
                    "INSERT INTO sample_flags (round_id, person_id, tube_id, status, flagged_at) \
                     VALUES ($1, $2, $3, 'flagged', $4) ON CONFLICT (round_id, person_id) DO NOTHING",
                )
                .bind(tube.round_id)
                .bind(person)
                .bind(tube.id)
                .bind(now)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?
                .rows_affected();
                if done > 0 {
                    flagged.push(*person);
                }
            }
            None => {}
        }
    }
    Ok(ResultOutcome::Recorded {
        round_id: tube.round_id,
        flagged,
    })
}

/// Results recorded with a few statements per thousand tubes: the common case (a negative or
/// invalid result for a tube seen for the first time, none of whose persons awaits a
/// re-sample) as one read, one `UPDATE … FROM (VALUES …)` and one multi-row insert into the
/// custody log per chunk. A positive, a tube holding a flagged person, or a tube named twice in
/// one batch goes through [`record_one`], in order, after the chunk.
async fn record_all(
    conn: &mut Conn,
    results: &[NewResult],
    by: &str,
) -> StoreResult<Vec<ResultOutcome>> {
    /// Rows per chunk: the update binds three values a row, the log six.
    const CHUNK: usize = 2_000;
    let codes: Vec<&TubeCode> = results.iter().map(|r| &r.tube).collect();
    lock_in_code_order(conn, "tubes", &codes).await?;
    let mut out = vec![ResultOutcome::UnknownTube; results.len()];
    let mut seen = std::collections::HashSet::new();
    let mut slow = Vec::new();
    let now = OffsetDateTime::now_utc();
    for (c, chunk) in results.chunks(CHUNK).enumerate() {
        let base = c * CHUNK;
        let sql = format!(
            "SELECT t.id, t.code, t.round_id, t.result, EXISTS (SELECT 1 FROM samples s JOIN sample_flags f \
               ON f.round_id = s.round_id AND f.person_id = s.person_id AND f.status = 'flagged' \
               WHERE s.tube_id = t.id) AS awaited \
             FROM tubes t WHERE t.code IN ({})",
            list_clause(chunk.len(), 1)
        );
        let mut q =
            sqlx::query_as::<_, (i64, String, i64, Option<String>, bool)>(AssertSqlSafe(sql))
                .persistent(false);
        for r in chunk {
            q = q.bind(r.tube.as_str());
        }
        let tubes: std::collections::HashMap<String, (i64, i64, Option<String>, bool)> = q
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|(id, code, round, result, awaited)| (code, (id, round, result, awaited)))
            .collect();
        // (tube id, round, result, tested at) of the common case.
        let mut fast: Vec<(i64, i64, &NewResult)> = Vec::new();
        for (i, r) in chunk.iter().enumerate() {
            let Some((id, round, before, awaited)) = tubes.get(r.tube.as_str()) else {
                continue;
            };
            if !seen.insert(r.tube.as_str()) || r.result == TubeResult::Positive || *awaited {
                slow.push(base + i);
                continue;
            }
            out[base + i] = match before {
                Some(b) if b == r.result.code() => ResultOutcome::Unchanged,
                Some(_) => ResultOutcome::Different,
                None => {
                    fast.push((*id, *round, r));
                    ResultOutcome::Recorded {
                        round_id: *round,
                        flagged: Vec::new(),
                    }
                }
            };
        }
        if fast.is_empty() {
            continue;
        }
        // Only a tube still without a result: one another batch resulted since the read above
        // (PostgreSQL writes side by side) is not written again here but goes the slow way,
        // which reads it locked and answers what it finds.
        let sql = format!(
            "UPDATE tubes SET result = v.column2, result_at = v.column3, result_by = {} \
             FROM (VALUES {}) AS v WHERE tubes.id = v.column1 AND tubes.result IS NULL \
             RETURNING tubes.id",
            list_clause(1, 1),
            values_clause(fast.len(), 3, 2)
        );
        let mut q = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql))
            .persistent(false)
            .bind(by);
        for (id, _, r) in &fast {
            q = q.bind(*id).bind(r.result.code()).bind(r.tested_at);
        }
        let written: std::collections::HashSet<i64> = q
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?
            .into_iter()
            .collect();
        if written.len() < fast.len() {
            for (i, r) in chunk.iter().enumerate() {
                if let Some((id, ..)) = tubes.get(r.tube.as_str())
                    && matches!(out[base + i], ResultOutcome::Recorded { .. })
                    && !written.contains(id)
                {
                    slow.push(base + i);
                }
            }
            fast.retain(|(id, ..)| written.contains(id));
            if fast.is_empty() {
                continue;
            }
        }
        let sql = format!(
            "INSERT INTO custody_events (round_id, tube_id, action, by_user, at, details) VALUES {}",
            values_clause(fast.len(), 6, 1)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).persistent(false);
        for (id, round, r) in &fast {
            q = q
                .bind(*round)
                .bind(*id)
                .bind("resulted")
                .bind(by)
                .bind(now)
                .bind(json!({"result": r.result.code()}).to_string());
        }
        q.execute(&mut *conn).await.map_err(db_err)?;
    }
    slow.sort_unstable();
    for i in slow {
        out[i] = record_one(conn, &results[i], by).await?;
    }
    Ok(out)
}

#[async_trait]
impl Custody for SqlStore {
    async fn open_box(
        &self,
        round_id: Id,
        code: &TubeCode,
        area: &AreaPath,
        by: &str,
    ) -> StoreResult<TransportBox> {
        let code = code.clone();
        let area = area.clone();
        let by = by.to_string();
        self.write(no_audit(), move |c| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO boxes (round_id, code, area_path, status, opened_by, opened_at) \
                     VALUES ($1, $2, $3, 'open', $4, $5) ON CONFLICT (code) DO NOTHING",
                )
                .bind(round_id)
                .bind(code.as_str())
                .bind(area.as_str())
                .bind(&by)
                .bind(OffsetDateTime::now_utc())
                .execute(&mut *c)
                .await
                .map_err(db_err)?;
                let b = read_box(c, &code)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("box {code}")))?;
                if b.round_id != round_id {
                    return Err(conflict("box_in_other_round"));
                }
                Ok(b)
            })
        })
        .await
    }

    async fn transport_box(
        &self,
        round_id: Id,
        code: &TubeCode,
    ) -> StoreResult<Option<(TransportBox, Vec<Tube>)>> {
        let mut c = self.pool().acquire().await.map_err(db_err)?;
        let Some(b) = read_box(&mut c, code).await? else {
            return Ok(None);
        };
        if b.round_id != round_id {
            return Ok(None);
        }
        let sql = format!("SELECT {TUBE_COLS} FROM tubes t WHERE t.box_id = $1 ORDER BY t.code");
        let tubes = sqlx::query_as::<_, TubeRow>(AssertSqlSafe(sql))
            .bind(b.id)
            .fetch_all(&mut *c)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(TubeRow::into_tube)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Some((b, tubes)))
    }

    async fn box_by_code(&self, code: &TubeCode) -> StoreResult<Option<TransportBox>> {
        let mut c = self.pool().acquire().await.map_err(db_err)?;
        read_box(&mut c, code).await
    }

    async fn box_tube(
        &self,
        round_id: Id,
        box_code: &TubeCode,
        tube: &TubeCode,
        by: &str,
    ) -> StoreResult<TransportBox> {
        let (box_code, tube_code, by) = (box_code.clone(), tube.clone(), by.to_string());
        self.write(no_audit(), move |c| {
            Box::pin(async move {
                // The box, then the tube, locked until the commit (always in this order): a
                // seal cannot count the box while a tube goes in, and two boxes cannot both
                // take the tube.
                let b = read_box_to_change(c, &box_code)
                    .await?
                    .filter(|b| b.round_id == round_id)
                    .ok_or_else(|| StoreError::NotFound(format!("box {box_code}")))?;
                let t = read_tube(c, &tube_code)
                    .await?
                    .filter(|t| t.round_id == round_id)
                    .ok_or_else(|| StoreError::NotFound(format!("tube {tube_code}")))?;
                let sql = format!(
                    "SELECT t.box_id, t.status FROM tubes t WHERE t.id = $1{}",
                    crate::backend::for_update("t")
                );
                let (in_box, status): (Option<i64>, String) = sqlx::query_as(AssertSqlSafe(sql))
                    .bind(t.id)
                    .fetch_one(&mut *c)
                    .await
                    .map_err(db_err)?;
                match in_box {
                    Some(id) if id == b.id => return Ok(b),
                    Some(_) => return Err(conflict("tube_boxed")),
                    None => {}
                }
                if b.status != BoxStatus::Open {
                    return Err(conflict("box_closed"));
                }
                if status != "closed" {
                    return Err(conflict("tube_open"));
                }
                sqlx::query("UPDATE tubes SET box_id = $1 WHERE id = $2 AND box_id IS NULL")
                    .bind(b.id)
                    .bind(t.id)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err)?;
                log(
                    c,
                    round_id,
                    Some(t.id),
                    Some(b.id),
                    "boxed",
                    &by,
                    &json!({"box": b.code.as_str(), "tube": t.code.as_str()}),
                )
                .await?;
                read_box(c, &box_code)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("box {box_code}")))
            })
        })
        .await
    }

    async fn unboxed_tubes(&self, round_id: Id, area: &AreaPath) -> StoreResult<Vec<Tube>> {
        let (a, b, c) = subtree_bounds(area);
        let sql = format!(
            "SELECT {TUBE_COLS} FROM tubes t WHERE t.round_id = $1 AND t.box_id IS NULL \
             AND (t.area_path = $2 OR (t.area_path >= $3 AND t.area_path < $4)) ORDER BY t.code"
        );
        sqlx::query_as::<_, TubeRow>(AssertSqlSafe(sql))
            .bind(round_id)
            .bind(a)
            .bind(b)
            .bind(c)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(TubeRow::into_tube)
            .collect()
    }

    async fn move_box(
        &self,
        round_id: Id,
        code: &TubeCode,
        step: &BoxStep,
        audit: Audit<TransportBox>,
    ) -> StoreResult<TransportBox> {
        let (code, step) = (code.clone(), step.clone());
        self.write(audit, move |c| {
            Box::pin(async move {
                let b = read_box_to_change(c, &code)
                    .await?
                    .filter(|b| b.round_id == round_id)
                    .ok_or_else(|| StoreError::NotFound(format!("box {code}")))?;
                let now = OffsetDateTime::now_utc();
                let (to, by, details) = match &step {
                    BoxStep::Seal { by } => {
                        if b.tubes == 0 {
                            return Err(conflict("box_empty"));
                        }
                        (BoxStatus::Sealed, by, json!({"tubes": b.tubes, "persons": b.persons}))
                    }
                    BoxStep::HandOver { by, carrier, lab } => (
                        BoxStatus::HandedOver,
                        by,
                        json!({"carrier": carrier, "lab": lab}),
                    ),
                    BoxStep::Receive { by, tubes, note } => (
                        BoxStatus::Received,
                        by,
                        json!({"tubes": tubes, "sealed_tubes": b.tubes, "note": note}),
                    ),
                };
                if !b.status.may_become(to) {
                    return Err(conflict("box_status"));
                }
                let moved = match &step {
                    BoxStep::Seal { by } => sqlx::query(
                        "UPDATE boxes SET status = 'sealed', tubes = $1, persons = $2, sealed_by = $3, sealed_at = $4 \
                         WHERE id = $5 AND status = 'open'",
                    )
                    .bind(b.tubes)
                    .bind(b.persons)
                    .bind(by)
                    .bind(now)
                    .bind(b.id),
                    BoxStep::HandOver { carrier, lab, .. } => sqlx::query(
                        "UPDATE boxes SET status = 'handed_over', carrier = $1, lab = $2, handed_at = $3 \
                         WHERE id = $4 AND status = 'sealed'",
                    )
                    .bind(carrier)
                    .bind(lab)
                    .bind(now)
                    .bind(b.id),
                    BoxStep::Receive { by, tubes, note } => sqlx::query(
                        "UPDATE boxes SET status = 'received', received_by = $1, received_at = $2, \
                         received_tubes = $3, mismatch_note = $4 WHERE id = $5 AND status IN ('sealed', 'handed_over')",
                    )
                    .bind(by)
                    .bind(now)
                    .bind(tubes)
                    .bind(Some(note.clone()).filter(|n| !n.is_empty()))
                    .bind(b.id),
                }
                .execute(&mut *c)
                .await
                .map_err(db_err)?
                .rows_affected();
                if moved == 0 {
                    return Err(conflict("box_status"));
                }
                log(c, round_id, None, Some(b.id), to.code(), by, &details).await?;
                let after = read_box(c, &code)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("box {code}")))?;
                if to == BoxStatus::Sealed {
                    // The transport group's notification, in the seal's own transaction.
                    super::handover::queue_seal_note(c, &after).await?;
                }
                Ok(after)
            })
        })
        .await
    }

    async fn record_results(
        &self,
        results: &[NewResult],
        by: &str,
        audit: Audit<Vec<ResultOutcome>>,
    ) -> StoreResult<Vec<ResultOutcome>> {
        let (results, by) = (results.to_vec(), by.to_string());
        self.write(audit, move |c| {
            Box::pin(async move { record_all(c, &results, &by).await })
        })
        .await
    }

    async fn tube_timeline(&self, tube_id: Id) -> StoreResult<Vec<CustodyEvent>> {
        let mut c = self.pool().acquire().await.map_err(db_err)?;
        // Sampling and closing are the tube's own rows; the rest is the custody log.
        let sampled: Vec<(String, OffsetDateTime, i64)> = sqlx::query_as(
            "SELECT by_user, at, position FROM samples WHERE tube_id = $1 ORDER BY id",
        )
        .bind(tube_id)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
        let mut out: Vec<CustodyEvent> = sampled
            .into_iter()
            .map(|(by, at, position)| CustodyEvent {
                action: "sampled".into(),
                by,
                at,
                details: json!({"count": position}),
            })
            .collect();
        let closed: Option<(Option<String>, Option<OffsetDateTime>, i64)> =
            sqlx::query_as("SELECT closed_by, closed_at, count FROM tubes WHERE id = $1")
                .bind(tube_id)
                .fetch_optional(&mut *c)
                .await
                .map_err(db_err)?;
        if let Some((Some(by), Some(at), count)) = closed {
            out.push(CustodyEvent {
                action: "closed".into(),
                by,
                at,
                details: json!({"count": count}),
            });
        }
        let (box_id,): (Option<i64>,) = sqlx::query_as("SELECT box_id FROM tubes WHERE id = $1")
            .bind(tube_id)
            .fetch_optional(&mut *c)
            .await
            .map_err(db_err)?
            .unwrap_or((None,));
        out.extend(events(&mut c, "tube_id", tube_id).await?);
        if let Some(b) = box_id {
            // The box's own steps (sealed, handed over, received) belong to its tubes too.
            out.extend(
                events(&mut c, "box_id", b)
                    .await?
                    .into_iter()
                    .filter(|e| e.action != "boxed"),
            );
        }
        out.sort_by_key(|e| e.at);
        Ok(out)
    }

    async fn box_timeline(&self, box_id: Id) -> StoreResult<Vec<CustodyEvent>> {
        let mut c = self.pool().acquire().await.map_err(db_err)?;
        events(&mut c, "box_id", box_id).await
    }

    async fn flags(&self, round_id: Id) -> StoreResult<Vec<Flag>> {
        let rows: Vec<(i64, String, String, OffsetDateTime)> = sqlx::query_as(
            "SELECT f.person_id, t.code, f.status, f.flagged_at FROM sample_flags f JOIN tubes t ON t.id = f.tube_id \
             WHERE f.round_id = $1 ORDER BY f.flagged_at DESC, f.person_id",
        )
        .bind(round_id)
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(person_id, code, status, flagged_at)| Flag {
                person_id,
                tube: TubeCode::from_stored(code),
                status,
                flagged_at,
            })
            .collect())
    }

    async fn boxes(&self, round_id: Id) -> StoreResult<Vec<TransportBox>> {
        let sql =
            format!("SELECT {BOX_COLS} FROM boxes b WHERE b.round_id = $1 ORDER BY b.id DESC");
        sqlx::query_as::<_, BoxRow>(AssertSqlSafe(sql))
            .bind(round_id)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(BoxRow::into_box)
            .collect()
    }

    async fn tube_rounds(&self, codes: &[TubeCode]) -> StoreResult<Vec<(TubeCode, Id, AreaPath)>> {
        let mut out = Vec::with_capacity(codes.len());
        for chunk in codes.chunks(MAX_PARAMS) {
            let sql = format!(
                "SELECT t.code, r.id, r.area_path FROM tubes t JOIN rounds r ON r.id = t.round_id WHERE t.code IN ({})",
                list_clause(chunk.len(), 1)
            );
            let mut q =
                sqlx::query_as::<_, (String, i64, String)>(AssertSqlSafe(sql)).persistent(false);
            for c in chunk {
                q = q.bind(c.as_str());
            }
            for (code, round, path) in q.fetch_all(self.pool()).await.map_err(db_err)? {
                out.push((
                    TubeCode::from_stored(code),
                    round,
                    AreaPath::from_stored(path),
                ));
            }
        }
        Ok(out)
    }
}
