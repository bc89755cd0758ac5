//! Handover slips, the pickup list, the seal notifications' outbox and the board's alert
//! reads: [`doorstep_store::Handovers`] over `handovers`, `boxes.handover_id` and
//! `seal_outbox`.

use async_trait::async_trait;
use doorstep_core::handover::Temperature;
use doorstep_core::{AreaPath, BoxStatus, TubeCode};
use doorstep_store::*;
use serde_json::{Value, json};
use sqlx::AssertSqlSafe;
use time::{Duration, OffsetDateTime};

use super::SqlStore;
use super::custody::{BOX_COLS, BoxRow, lock_in_code_order, log_at, read_box};
use super::rounds::conflict;
use super::util::{Conn, db_err, list_clause, subtree_bounds};

const HANDOVER_COLS: &str = "id, round_id, area_path, lab, carrier, packaging_intact, disinfected, \
     temperature_tenths, sent_by, handed_at, received_by, received_at";

#[derive(sqlx::FromRow)]
struct HandoverRow {
    id: i64,
    round_id: i64,
    area_path: String,
    lab: String,
    carrier: String,
    packaging_intact: bool,
    disinfected: bool,
    temperature_tenths: Option<i64>,
    sent_by: String,
    handed_at: OffsetDateTime,
    received_by: Option<String>,
    received_at: Option<OffsetDateTime>,
}

impl HandoverRow {
    fn into_handover(self) -> Handover {
        Handover {
            id: self.id,
            round_id: self.round_id,
            area_path: AreaPath::from_stored(self.area_path),
            lab: self.lab,
            carrier: self.carrier,
            packaging_intact: self.packaging_intact,
            disinfected: self.disinfected,
            temperature: self.temperature_tenths.map(Temperature::from_tenths),
            sent_by: self.sent_by,
            handed_at: self.handed_at,
            received_by: self.received_by,
            received_at: self.received_at,
        }
    }
}

async fn read_handover(conn: &mut Conn, id: Id) -> StoreResult<Option<Handover>> {
    let sql = format!("SELECT {HANDOVER_COLS} FROM handovers WHERE id = $1");
    Ok(sqlx::query_as::<_, HandoverRow>(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .map(HandoverRow::into_handover))
}

async fn boxes_of(conn: &mut Conn, handover: Id) -> StoreResult<Vec<TransportBox>> {
    let sql = format!("SELECT {BOX_COLS} FROM boxes b WHERE b.handover_id = $1 ORDER BY b.code");
    sqlx::query_as::<_, BoxRow>(AssertSqlSafe(sql))
        .bind(handover)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?
        .into_iter()
        .map(BoxRow::into_box)
        .collect()
}

/// Appends a custody event of a box at `at`.
async fn log_box(
    conn: &mut Conn,
    b: &TransportBox,
    action: &str,
    by: &str,
    at: OffsetDateTime,
    details: &Value,
) -> StoreResult<()> {
    log_at(conn, b.round_id, None, Some(b.id), action, by, at, details).await
}

/// Queues the seal's notification in the seal's own transaction (the webhook's outbox): one
/// row per box, keyed by it, so a retried seal cannot queue two.
pub(super) async fn queue_seal_note(conn: &mut Conn, b: &TransportBox) -> StoreResult<()> {
    let now = OffsetDateTime::now_utc();
    let key = format!("box-sealed-{}", b.id);
    let payload = json!({
        "event": "box.sealed",
        "idempotency_key": key,
        "round_id": b.round_id,
        "box": b.code.as_str(),
        "area": b.area_path.as_str(),
        "tubes": b.tubes,
        "persons": b.persons,
        "sealed_by": b.sealed_by,
        "sealed_at": b.sealed_at.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
    });
    sqlx::query(
        "INSERT INTO seal_outbox (box_id, idem_key, payload, created_at, next_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idem_key) DO NOTHING",
    )
    .bind(b.id)
    .bind(&key)
    .bind(payload.to_string())
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Signs each slip of `boxes` whose boxes are all received now, by `by` at `at`.
async fn sign_receipts(
    conn: &mut Conn,
    boxes: &[TransportBox],
    temperature: Option<Temperature>,
    by: &str,
    at: OffsetDateTime,
) -> StoreResult<()> {
    let mut slips: Vec<Id> = boxes.iter().filter_map(|b| b.handover_id).collect();
    slips.sort_unstable();
    slips.dedup();
    let lock = crate::backend::for_update("h");
    for slip in slips {
        // The slip locked first, its check then a statement of its own: two receipts of the
        // slip's last boxes side by side (PostgreSQL) take turns, and the second sees the
        // first's box received, instead of each seeing the other's box still on the way and
        // neither signing.
        if !lock.is_empty() {
            let sql = format!("SELECT h.id FROM handovers h WHERE h.id = $1{lock}");
            sqlx::query(AssertSqlSafe(sql))
                .bind(slip)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?;
        }
        let signed = sqlx::query(
            "UPDATE handovers SET received_by = $1, received_at = $2, \
             temperature_tenths = COALESCE(temperature_tenths, $3) \
             WHERE id = $4 AND received_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM boxes b WHERE b.handover_id = $4 AND b.status <> 'received')",
        )
        .bind(by)
        .bind(at)
        .bind(temperature.map(Temperature::tenths))
        .bind(slip)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?
        .rows_affected();
        if signed == 0 {
            continue;
        }
        for b in boxes_of(conn, slip).await? {
            log_box(
                conn,
                &b,
                "receipt_signed",
                by,
                at,
                &json!({"handover": slip, "temperature": temperature.map(|t| t.to_string())}),
            )
            .await?;
        }
    }
    Ok(())
}

#[async_trait]
impl Handovers for SqlStore {
    async fn create_handover(
        &self,
        new: &NewHandover,
        audit: Audit<Handover>,
    ) -> StoreResult<Handover> {
        let new = new.clone();
        self.write(audit, move |c| {
            Box::pin(async move {
                lock_in_code_order(c, "boxes", &new.boxes.iter().collect::<Vec<_>>()).await?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO handovers (round_id, area_path, lab, carrier, packaging_intact, disinfected, \
                     temperature_tenths, sent_by, handed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                )
                .bind(new.round_id)
                .bind(new.area_path.as_str())
                .bind(&new.lab)
                .bind(&new.carrier)
                .bind(new.packaging_intact)
                .bind(new.disinfected)
                .bind(new.temperature.map(Temperature::tenths))
                .bind(&new.sent_by)
                .bind(new.at)
                .fetch_one(&mut *c)
                .await
                .map_err(db_err)?;
                for code in &new.boxes {
                    let b = read_box(c, code)
                        .await?
                        .filter(|b| b.round_id == new.round_id)
                        .ok_or_else(|| StoreError::NotFound(format!("box {code}")))?;
                    // Only a sealed box, and only once: two slips racing for one box cannot
                    // both take it.
                    let moved = sqlx::query(
                        "UPDATE boxes SET status = 'handed_over', carrier = $1, lab = $2, handed_at = $3, \
                         handover_id = $4 WHERE id = $5 AND status = 'sealed'",
                    )
                    .bind(&new.carrier)
                    .bind(&new.lab)
                    .bind(new.at)
                    .bind(id)
                    .bind(b.id)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                    if moved == 0 {
                        return Err(conflict("box_status"));
                    }
                    log_box(
                        c,
                        &b,
                        BoxStatus::HandedOver.code(),
                        &new.sent_by,
                        new.at,
                        &json!({"carrier": new.carrier, "lab": new.lab, "handover": id,
                                "tubes": b.tubes, "signed_by": new.sent_by}),
                    )
                    .await?;
                }
                read_handover(c, id)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("handover {id}")))
            })
        })
        .await
    }

    async fn handover(&self, id: Id) -> StoreResult<Option<(Handover, Vec<TransportBox>)>> {
        let mut c = self.pool().acquire().await.map_err(db_err)?;
        let Some(h) = read_handover(&mut c, id).await? else {
            return Ok(None);
        };
        let boxes = boxes_of(&mut c, id).await?;
        Ok(Some((h, boxes)))
    }

    async fn handovers(&self, round_id: Id) -> StoreResult<Vec<Handover>> {
        let sql =
            format!("SELECT {HANDOVER_COLS} FROM handovers WHERE round_id = $1 ORDER BY id DESC");
        Ok(sqlx::query_as::<_, HandoverRow>(AssertSqlSafe(sql))
            .bind(round_id)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(HandoverRow::into_handover)
            .collect())
    }

    async fn recent_handovers(
        &self,
        area: Option<&AreaPath>,
        limit: i64,
    ) -> StoreResult<Vec<Handover>> {
        let rows = match area {
            Some(area) => {
                let (a, lo, hi) = subtree_bounds(area);
                let sql = format!(
                    "SELECT {HANDOVER_COLS} FROM handovers \
                     WHERE area_path = $1 OR (area_path >= $2 AND area_path < $3) ORDER BY id DESC LIMIT $4"
                );
                sqlx::query_as::<_, HandoverRow>(AssertSqlSafe(sql))
                    .bind(a)
                    .bind(lo)
                    .bind(hi)
                    .bind(limit)
                    .fetch_all(self.pool())
                    .await
            }
            None => {
                let sql =
                    format!("SELECT {HANDOVER_COLS} FROM handovers ORDER BY id DESC LIMIT $1");
                sqlx::query_as::<_, HandoverRow>(AssertSqlSafe(sql))
                    .bind(limit)
                    .fetch_all(self.pool())
                    .await
            }
        };
        Ok(rows
            .map_err(db_err)?
            .into_iter()
            .map(HandoverRow::into_handover)
            .collect())
    }

    async fn receive_boxes(
        &self,
        receipts: &[BoxReceipt],
        temperature: Option<Temperature>,
        by: &str,
        at: OffsetDateTime,
        audit: Audit<Vec<TransportBox>>,
    ) -> StoreResult<Vec<TransportBox>> {
        let (receipts, by) = (receipts.to_vec(), by.to_string());
        self.write(audit, move |c| {
            Box::pin(async move {
                let codes: Vec<&TubeCode> = receipts.iter().map(|r| &r.code).collect();
                lock_in_code_order(c, "boxes", &codes).await?;
                let mut out = Vec::with_capacity(receipts.len());
                for r in &receipts {
                    let b = read_box(c, &r.code)
                        .await?
                        .ok_or_else(|| StoreError::NotFound(format!("box {}", r.code)))?;
                    if !b.status.may_become(BoxStatus::Received) {
                        return Err(conflict("box_status"));
                    }
                    let moved = sqlx::query(
                        "UPDATE boxes SET status = 'received', received_by = $1, received_at = $2, \
                         received_tubes = $3, mismatch_note = $4 WHERE id = $5 AND status IN ('sealed', 'handed_over')",
                    )
                    .bind(&by)
                    .bind(at)
                    .bind(r.tubes)
                    .bind(Some(r.note.clone()).filter(|n| !n.is_empty()))
                    .bind(b.id)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                    if moved == 0 {
                        return Err(conflict("box_status"));
                    }
                    log_box(
                        c,
                        &b,
                        BoxStatus::Received.code(),
                        &by,
                        at,
                        &json!({"tubes": r.tubes, "sealed_tubes": b.tubes, "note": r.note,
                                "handover": b.handover_id}),
                    )
                    .await?;
                    out.push(
                        read_box(c, &r.code)
                            .await?
                            .ok_or_else(|| StoreError::NotFound(format!("box {}", r.code)))?,
                    );
                }
                sign_receipts(c, &out, temperature, &by, at).await?;
                Ok(out)
            })
        })
        .await
    }

    async fn waiting_boxes(&self, area: Option<&AreaPath>) -> StoreResult<Vec<TransportBox>> {
        let rows = match area {
            Some(area) => {
                let (a, lo, hi) = subtree_bounds(area);
                let sql = format!(
                    "SELECT {BOX_COLS} FROM boxes b WHERE b.status = 'sealed' \
                     AND (b.area_path = $1 OR (b.area_path >= $2 AND b.area_path < $3)) \
                     ORDER BY b.sealed_at, b.id"
                );
                sqlx::query_as::<_, BoxRow>(AssertSqlSafe(sql))
                    .bind(a)
                    .bind(lo)
                    .bind(hi)
                    .fetch_all(self.pool())
                    .await
            }
            None => {
                let sql = format!(
                    "SELECT {BOX_COLS} FROM boxes b WHERE b.status = 'sealed' ORDER BY b.sealed_at, b.id"
                );
                sqlx::query_as::<_, BoxRow>(AssertSqlSafe(sql))
                    .fetch_all(self.pool())
                    .await
            }
        };
        rows.map_err(db_err)?
            .into_iter()
            .map(BoxRow::into_box)
            .collect()
    }

    async fn unreceived_boxes(&self) -> StoreResult<Vec<TransportBox>> {
        let sql =
            format!("SELECT {BOX_COLS} FROM boxes b WHERE b.status <> 'received' ORDER BY b.id");
        let all = sqlx::query_as::<_, BoxRow>(AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(BoxRow::into_box)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(all
            .into_iter()
            .filter(|b| b.first_sample_at.is_some())
            .collect())
    }

    async fn claim_seal_notes(
        &self,
        now: OffsetDateTime,
        since: OffsetDateTime,
        lease: Duration,
        limit: i64,
    ) -> StoreResult<Vec<SealNote>> {
        self.write(no_audit(), move |c| {
            Box::pin(async move {
                // The lease condition is in the outer WHERE too: on PostgreSQL a second server
                // blocked on the same rows re-reads them after the first commits and finds
                // them claimed (READ COMMITTED re-checks the outer condition on the new row).
                let rows: Vec<(i64, i64, String, String, i64)> = sqlx::query_as(
                    "UPDATE seal_outbox SET claimed_until = $1, attempts = attempts + 1 \
                     WHERE id IN (SELECT id FROM seal_outbox WHERE delivered_at IS NULL AND next_at <= $2 \
                        AND created_at >= $3 AND (claimed_until IS NULL OR claimed_until <= $2) \
                        ORDER BY id LIMIT $4) \
                     AND delivered_at IS NULL AND (claimed_until IS NULL OR claimed_until <= $2) \
                     RETURNING id, box_id, idem_key, payload, attempts",
                )
                .bind(now + lease)
                .bind(now)
                .bind(since)
                .bind(limit)
                .fetch_all(&mut *c)
                .await
                .map_err(db_err)?;
                let mut notes: Vec<SealNote> = rows
                    .into_iter()
                    .map(|(id, box_id, idem_key, payload, attempts)| SealNote {
                        id,
                        box_id,
                        idem_key,
                        payload,
                        attempts,
                    })
                    .collect();
                notes.sort_by_key(|n| n.id);
                Ok(notes)
            })
        })
        .await
    }

    async fn seal_note_delivered(&self, id: Id, at: OffsetDateTime) -> StoreResult<()> {
        self.write(no_audit(), move |c| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE seal_outbox SET delivered_at = $1, claimed_until = NULL, last_error = NULL WHERE id = $2",
                )
                .bind(at)
                .bind(id)
                .execute(&mut *c)
                .await
                .map_err(db_err)?;
                Ok(())
            })
        })
        .await
    }

    async fn seal_note_failed(
        &self,
        id: Id,
        next_at: OffsetDateTime,
        error: &str,
    ) -> StoreResult<()> {
        let error: String = error.chars().take(500).collect();
        self.write(no_audit(), move |c| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE seal_outbox SET next_at = $1, claimed_until = NULL, last_error = $2 \
                     WHERE id = $3 AND delivered_at IS NULL",
                )
                .bind(next_at)
                .bind(error)
                .bind(id)
                .execute(&mut *c)
                .await
                .map_err(db_err)?;
                Ok(())
            })
        })
        .await
    }

    async fn alert_task_ids(
        &self,
        area: Option<&AreaPath>,
        sources: &[&str],
        limit: i64,
    ) -> StoreResult<Vec<Id>> {
        if sources.is_empty() {
            return Ok(Vec::new());
        }
        // Generated: the sources' list takes the backend's plain placeholders, so every value
        // here is bound in order.
        let mut sql = format!(
            "SELECT id FROM tasks WHERE source IN ({}) AND status IN ('open', 'in_progress')",
            list_clause(sources.len(), 1)
        );
        let mut n = sources.len() + 1;
        if area.is_some() {
            sql += &format!(
                " AND (area_path = {} OR (area_path >= {} AND area_path < {}))",
                list_clause(1, n),
                list_clause(1, n + 1),
                list_clause(1, n + 2)
            );
            n += 3;
        }
        sql += &format!(
            " ORDER BY CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END, id LIMIT {}",
            list_clause(1, n)
        );
        let mut q = sqlx::query_as::<_, (i64,)>(AssertSqlSafe(sql)).persistent(false);
        for s in sources {
            q = q.bind(*s);
        }
        if let Some(area) = area {
            let (a, lo, hi) = subtree_bounds(area);
            q = q.bind(a).bind(lo).bind(hi);
        }
        let rows = q.bind(limit).fetch_all(self.pool()).await.map_err(db_err)?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}
