//! [`doorstep_store::Emergencies`] over `emergencies` and `emergency_members`, and retention
//! over the tables an emergency fills (see `core::emergency::RetentionKind::treatment`).
//!
//! Every staff page's bar asks whether an emergency runs near its user, so the running
//! emergencies (one per community at most) are kept in memory ([`RunningCache`]): starting
//! or ending one through this store empties it after the commit, a read that began before
//! such a change is not kept, and a copy older than [`FRESH`] is read again (a switch made
//! by another process on the same database shows within that time).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_core::emergency::{RetentionDays, RetentionKind, TaskForce};
use doorstep_store::*;
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use super::SqlStore;
use super::episodes::day;
use super::util::{
    Conn, already_done, corrupt, db_err, is_already_done, list_clause, utc, within, ymd,
};

const COLS: &str = "id, area_id, area_path, started_on, reason, started_by, started_at, \
     ended_on, end_note, ended_by, ended_at, retention_days FROM emergencies";

/// How long the running emergencies are believed without reading them again.
const FRESH: Duration = Duration::from_secs(2);

/// The running emergencies as last read: (generation, when read and what).
pub(super) type RunningCache = Arc<Mutex<(u64, Option<(Instant, Arc<Vec<Emergency>>)>)>>;

/// Forgets the running emergencies: one started or ended.
fn forget_running(cache: &RunningCache) {
    if let Ok(mut c) = cache.lock() {
        c.0 += 1;
        c.1 = None;
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    area_id: i64,
    area_path: String,
    started_on: String,
    reason: String,
    started_by: String,
    started_at: OffsetDateTime,
    ended_on: Option<String>,
    end_note: String,
    ended_by: Option<String>,
    ended_at: Option<OffsetDateTime>,
    retention_days: i64,
}

impl Row {
    fn into_emergency(self, members: Vec<ForceMember>) -> StoreResult<Emergency> {
        let ended = match (self.ended_on, self.ended_by, self.ended_at) {
            (Some(on), Some(by), Some(at)) => Some(Ended {
                on: day(&on)?,
                note: self.end_note,
                by,
                at,
            }),
            _ => None,
        };
        Ok(Emergency {
            id: self.id,
            area_id: self.area_id,
            area_path: AreaPath::from_stored(self.area_path),
            started_on: day(&self.started_on)?,
            reason: self.reason,
            started_by: self.started_by,
            started_at: self.started_at,
            ended,
            retention: RetentionDays::from_stored(self.retention_days),
            members,
        })
    }
}

/// The members of the emergencies `ids`, by emergency.
async fn members_of(
    conn: &mut Conn,
    ids: &[i64],
) -> StoreResult<std::collections::HashMap<i64, Vec<ForceMember>>> {
    let mut out: std::collections::HashMap<i64, Vec<ForceMember>> = Default::default();
    if ids.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT m.emergency_id, m.task_force, m.staff_id, s.name FROM emergency_members m \
         JOIN staff s ON s.id = m.staff_id WHERE m.emergency_id IN ({}) \
         ORDER BY m.emergency_id, s.name, s.id",
        list_clause(ids.len(), 1)
    );
    let mut q =
        sqlx::query_as::<_, (i64, String, i64, String)>(AssertSqlSafe(sql)).persistent(false);
    for id in ids {
        q = q.bind(*id);
    }
    for (e, force, staff_id, name) in q.fetch_all(&mut *conn).await.map_err(db_err)? {
        let force = TaskForce::from_stored(&force).ok_or_else(|| corrupt("task force", &force))?;
        out.entry(e).or_default().push(ForceMember {
            force,
            staff_id,
            name,
        });
    }
    for list in out.values_mut() {
        list.sort_by_key(|m| m.force);
    }
    Ok(out)
}

async fn with_members(conn: &mut Conn, rows: Vec<Row>) -> StoreResult<Vec<Emergency>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut members = members_of(conn, &ids).await?;
    rows.into_iter()
        .map(|r| {
            let m = members.remove(&r.id).unwrap_or_default();
            r.into_emergency(m)
        })
        .collect()
}

async fn read(conn: &mut Conn, id: Id) -> StoreResult<Option<Emergency>> {
    let sql = format!("SELECT {COLS} WHERE id = $1");
    let rows: Vec<Row> = sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(with_members(conn, rows).await?.into_iter().next())
}

/// A kind's table, the alias its rows are read under, the joins that give them an area and a
/// time, and the columns those are.
struct Source {
    table: &'static str,
    from: &'static str,
    area: &'static str,
    at: &'static str,
    /// The rows still to treat (anonymised ones are done; deleted ones are gone).
    pending: &'static str,
}

fn source(kind: RetentionKind) -> Source {
    match kind {
        RetentionKind::SelfReports => Source {
            table: "reports",
            from: "reports t",
            area: "t.area_path",
            at: "t.submitted_at",
            pending: "t.anonymised_at IS NULL",
        },
        RetentionKind::Checkins => Source {
            table: "checkins",
            from: "checkins t JOIN episodes e ON e.id = t.episode_id",
            area: "e.area_path",
            at: "t.at",
            pending: "t.anonymised_at IS NULL",
        },
        RetentionKind::CallOutcomes => Source {
            table: "list_rows",
            from: "list_rows t JOIN lists l ON l.id = t.list_id",
            area: "l.area_path",
            at: "l.created_at",
            pending: "t.anonymised_at IS NULL",
        },
        RetentionKind::CheckpointPassages => Source {
            table: "checkpoint_passages",
            from: "checkpoint_passages t",
            area: "t.area_path",
            at: "t.at",
            pending: "t.anonymised_at IS NULL",
        },
        RetentionKind::TestResults => Source {
            table: "samples",
            from: "samples t",
            area: "t.area_path",
            at: "t.at",
            pending: "1 = 1",
        },
    }
}

/// `FROM … WHERE …` of the rows of `kind` in `scope` still to treat, on binds `$1`…; with
/// the values to bind, in order.
fn scope_clause(kind: RetentionKind, scope: &RetentionScope) -> (String, Vec<Bind>) {
    let s = source(kind);
    let (under, (a, b, c)) = within(s.area, 1, Some(&scope.area));
    let mut binds = vec![Bind::Text(a), Bind::Text(b), Bind::Text(c)];
    binds.push(Bind::Time(utc(scope.from)));
    binds.push(Bind::Time(utc(scope.to)));
    let mut sql = format!(
        "FROM {} WHERE {under} AND {at} >= $4 AND {at} < $5 AND {}",
        s.from,
        s.pending,
        at = s.at
    );
    for (from, to) in &scope.spared {
        let n = binds.len() + 1;
        binds.push(Bind::Time(utc(*from)));
        match to {
            Some(to) => {
                binds.push(Bind::Time(utc(*to)));
                sql += &format!(" AND NOT ({at} >= ${n} AND {at} < ${})", n + 1, at = s.at);
            }
            None => sql += &format!(" AND NOT ({at} >= ${n})", at = s.at),
        }
    }
    (sql, binds)
}

enum Bind {
    Text(String),
    Time(OffsetDateTime),
}

macro_rules! bind_all {
    ($q:expr, $binds:expr) => {{
        let mut q = $q;
        for b in $binds {
            q = match b {
                Bind::Text(s) => q.bind(s.clone()),
                Bind::Time(t) => q.bind(*t),
            };
        }
        q
    }};
}

/// What anonymising a kind sets (the statement's `SET`, after `anonymised_at`); deleting
/// kinds have none.
fn anonymise_set(kind: RetentionKind) -> &'static str {
    match kind {
        // The members' names, documents and phones, the answers and the room go; the area,
        // the day, the purpose and the decision stay (the daily report counts them).
        RetentionKind::SelfReports => {
            "members = '[]', answers = '{}', room = '', address = '', reject_reason = NULL"
        }
        // Symptoms, the antigen result and the note go; the window, the day and whether it
        // was abnormal stay (check-ins done and abnormal per day).
        RetentionKind::Checkins => "symptoms = '', antigen = '', note = ''",
        // The row as received from above and the fields read from it go; how it matched and
        // its calls stay (the list's progress).
        RetentionKind::CallOutcomes => {
            "cells = '[]', name = '', id_number = '', phone = '', risk_place = '', \
             seen_at = '', source = '', id_key = NULL, phone_key = NULL"
        }
        // Who (person, visitor, plate), the temperature, the reason and the exception's
        // people go; the gate, hour, direction and verdict stay (counts per gate and hour).
        RetentionKind::CheckpointPassages => {
            "person_id = NULL, visitor_name = NULL, plate = NULL, temperature = NULL, \
             reason = '', allowed_by = NULL, exception_reason = NULL"
        }
        RetentionKind::TestResults => "",
    }
}

#[async_trait]
impl Emergencies for SqlStore {
    async fn start_emergency(
        &self,
        new: &NewEmergency,
        audit: Audit<Emergency>,
    ) -> StoreResult<Emergency> {
        let new = new.clone();
        let started = self
            .write(audit, move |c| {
                Box::pin(async move {
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO emergencies (area_id, area_path, started_on, reason, \
                     started_by, started_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    )
                    .bind(new.area_id)
                    .bind(new.area_path.as_str())
                    .bind(ymd(new.started_on))
                    .bind(&new.reason)
                    .bind(&new.by)
                    .bind(utc(new.at))
                    .fetch_one(&mut *c)
                    .await
                    .map_err(db_err)?;
                    let mut members = new.members.clone();
                    members.sort();
                    members.dedup();
                    for (force, staff) in members {
                        sqlx::query(
                            "INSERT INTO emergency_members (emergency_id, task_force, staff_id) \
                         VALUES ($1, $2, $3)",
                        )
                        .bind(id)
                        .bind(force.code())
                        .bind(staff)
                        .execute(&mut *c)
                        .await
                        .map_err(db_err)?;
                    }
                    read(c, id)
                        .await?
                        .ok_or_else(|| StoreError::NotFound(format!("emergency {id}")))
                })
            })
            .await;
        forget_running(&self.running);
        started
    }

    async fn end_emergency(
        &self,
        id: Id,
        end: &EndEmergency,
        audit: Audit<Emergency>,
    ) -> StoreResult<Option<Emergency>> {
        match self.emergency(id).await? {
            None => return Ok(None),
            Some(e) if e.ended.is_some() => return Ok(Some(e)),
            Some(_) => {}
        }
        let end = end.clone();
        let ended = self
            .write(audit, move |c| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE emergencies SET ended_on = $1, end_note = $2, ended_by = $3, \
                         ended_at = $4, retention_days = $5 WHERE id = $6 AND ended_on IS NULL",
                    )
                    .bind(ymd(end.ended_on))
                    .bind(&end.note)
                    .bind(&end.by)
                    .bind(utc(end.at))
                    .bind(i64::from(end.retention.days()))
                    .bind(id)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                    // Ended by a write that committed after the check above: answered as it
                    // is, without a second entry.
                    if done == 0 {
                        return Err(already_done());
                    }
                    read(c, id)
                        .await?
                        .ok_or_else(|| StoreError::NotFound(format!("emergency {id}")))
                })
            })
            .await;
        forget_running(&self.running);
        match ended {
            Err(e) if is_already_done(&e) => self.emergency(id).await,
            ended => Ok(Some(ended?)),
        }
    }

    async fn change_emergency_member(
        &self,
        id: Id,
        change: &MemberChange,
        audit: Audit<Emergency>,
    ) -> StoreResult<Option<Emergency>> {
        if self.emergency(id).await?.is_none() {
            return Ok(None);
        }
        let change = *change;
        let changed = self
            .write(audit, move |c| {
                Box::pin(async move {
                    // Checked in the transaction on the row locked until the commit: an
                    // emergency ended meanwhile stays as ended, and one cannot end between
                    // the check and the change.
                    let sql = format!(
                        "SELECT e.ended_on FROM emergencies e WHERE e.id = $1{}",
                        crate::backend::for_update("e")
                    );
                    let (ended,): (Option<String>,) = sqlx::query_as(AssertSqlSafe(sql))
                        .bind(id)
                        .fetch_one(&mut *c)
                        .await
                        .map_err(db_err)?;
                    if ended.is_some() {
                        return Err(StoreError::Conflict("emergency_ended".into()));
                    }
                    let sql = if change.add {
                        "INSERT INTO emergency_members (emergency_id, task_force, staff_id) \
                         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
                    } else {
                        "DELETE FROM emergency_members WHERE emergency_id = $1 \
                         AND task_force = $2 AND staff_id = $3"
                    };
                    sqlx::query(sql)
                        .bind(id)
                        .bind(change.force.code())
                        .bind(change.staff_id)
                        .execute(&mut *c)
                        .await
                        .map_err(db_err)?;
                    read(c, id)
                        .await?
                        .ok_or_else(|| StoreError::NotFound(format!("emergency {id}")))
                })
            })
            .await;
        // The home pages show the running emergencies' task forces.
        forget_running(&self.running);
        Ok(Some(changed?))
    }

    async fn emergency(&self, id: Id) -> StoreResult<Option<Emergency>> {
        let mut c = self.pool().acquire().await.map_err(db_err)?;
        read(&mut c, id).await
    }

    async fn emergencies(&self, area: Option<&AreaPath>) -> StoreResult<Vec<Emergency>> {
        let (under, (a, b, c)) = within("area_path", 1, area);
        let sql = format!(
            "SELECT {COLS} WHERE {under} \
             ORDER BY CASE WHEN ended_on IS NULL THEN 0 ELSE 1 END, started_on DESC, id DESC \
             LIMIT 500"
        );
        let mut conn = self.pool().acquire().await.map_err(db_err)?;
        let rows = sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .bind(a)
            .bind(b)
            .bind(c)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
        with_members(&mut conn, rows).await
    }

    async fn running_emergencies_near(
        &self,
        path: Option<&AreaPath>,
    ) -> StoreResult<Vec<Emergency>> {
        let near = |e: &&Emergency| {
            path.is_none_or(|p| p.contains(&e.area_path) || e.area_path.contains(p))
        };
        let generation = match self.running.lock() {
            Ok(c) => match &c.1 {
                Some((at, all)) if at.elapsed() < FRESH => {
                    return Ok(all.iter().filter(near).take(50).cloned().collect());
                }
                _ => c.0,
            },
            Err(_) => u64::MAX,
        };
        let read_at = Instant::now();
        let sql = format!("SELECT {COLS} WHERE ended_on IS NULL ORDER BY area_path, id");
        let mut conn = self.pool().acquire().await.map_err(db_err)?;
        let rows = sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
        let all = Arc::new(with_members(&mut conn, rows).await?);
        if let Ok(mut c) = self.running.lock()
            && c.0 == generation
        {
            c.1 = Some((read_at, all.clone()));
        }
        Ok(all.iter().filter(near).take(50).cloned().collect())
    }

    async fn retention_count(
        &self,
        scope: &RetentionScope,
        kind: RetentionKind,
    ) -> StoreResult<i64> {
        let (clause, binds) = scope_clause(kind, scope);
        let sql = format!("SELECT COUNT(*) {clause}");
        let q = bind_all!(sqlx::query_as::<_, (i64,)>(AssertSqlSafe(sql)), &binds);
        Ok(q.fetch_one(self.pool()).await.map_err(db_err)?.0)
    }

    async fn retention_batch(
        &self,
        scope: &RetentionScope,
        kind: RetentionKind,
        at: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<RetentionStep> {
        let (clause, binds) = scope_clause(kind, scope);
        let select = format!("SELECT t.id {clause} ORDER BY t.id LIMIT {}", limit.max(1));
        let area = scope.area.clone();
        let (from, to) = (utc(scope.from), utc(scope.to));
        self.write(no_audit(), move |c| {
            Box::pin(async move {
                let q = bind_all!(sqlx::query_as::<_, (i64,)>(AssertSqlSafe(select)), &binds);
                let ids: Vec<i64> = q
                    .fetch_all(&mut *c)
                    .await
                    .map_err(db_err)?
                    .into_iter()
                    .map(|r| r.0)
                    .collect();
                if ids.is_empty() {
                    return Ok(RetentionStep::default());
                }
                let treated = treat(c, kind, &ids, utc(at)).await?;
                if kind == RetentionKind::CallOutcomes {
                    clear_call_notes(c, &area, from, to).await?;
                }
                Ok(RetentionStep {
                    found: ids.len() as u64,
                    treated,
                })
            })
        })
        .await
    }
}

/// Anonymises or deletes the rows `ids` of `kind` that are still to treat; how many were.
async fn treat(
    c: &mut Conn,
    kind: RetentionKind,
    ids: &[i64],
    at: OffsetDateTime,
) -> StoreResult<u64> {
    let s = source(kind);
    if kind == RetentionKind::TestResults {
        // A positive flag names the person and the round: it goes with the scans.
        let flags = format!(
            "DELETE FROM sample_flags WHERE EXISTS (SELECT 1 FROM samples s \
             WHERE s.id IN ({}) AND s.round_id = sample_flags.round_id \
             AND s.person_id = sample_flags.person_id)",
            list_clause(ids.len(), 1)
        );
        let mut q = sqlx::query(AssertSqlSafe(flags)).persistent(false);
        for id in ids {
            q = q.bind(*id);
        }
        q.execute(&mut *c).await.map_err(db_err)?;
        let del = format!(
            "DELETE FROM samples WHERE id IN ({})",
            list_clause(ids.len(), 1)
        );
        let mut q = sqlx::query(AssertSqlSafe(del)).persistent(false);
        for id in ids {
            q = q.bind(*id);
        }
        return Ok(q.execute(&mut *c).await.map_err(db_err)?.rows_affected());
    }
    let mut first = String::new();
    crate::backend::placeholder(&mut first, 1);
    let sql = format!(
        "UPDATE {} SET anonymised_at = {first}, {} WHERE id IN ({}) AND anonymised_at IS NULL",
        s.table,
        anonymise_set(kind),
        list_clause(ids.len(), 2)
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).persistent(false).bind(at);
    for id in ids {
        q = q.bind(*id);
    }
    Ok(q.execute(&mut *c).await.map_err(db_err)?.rows_affected())
}

/// The notes of the community's list calls made in the window (a call's note carries the
/// name and the masked phone; its outcome note, where the person was): emptied.
async fn clear_call_notes(
    c: &mut Conn,
    area: &AreaPath,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> StoreResult<()> {
    let (under, (a, b, cc)) = within("area_path", 1, Some(area));
    let sql = format!(
        "UPDATE tasks SET note = '', outcome_note = '' WHERE {under} \
         AND source IN ('list_call', 'list_knock') AND created_at >= $4 AND created_at < $5 \
         AND (note <> '' OR outcome_note <> '')"
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(a)
        .bind(b)
        .bind(cc)
        .bind(from)
        .bind(to)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}
