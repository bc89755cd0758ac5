//! Self-report links, reports, review and export marks.

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_store::*;
use sqlx::AssertSqlSafe;
use time::{Duration, OffsetDateTime};

use super::SqlStore;
use super::util::{Conn, corrupt, db_err, subtree_bounds, utc, values_clause};
use crate::backend::Pool;

const LINK_COLS: &str = "l.id, l.token, l.area_id, a.path AS area_path, l.purpose, l.risk_places, \
     l.created_by, l.created_at, l.expires_at, l.revoked_at";
const LINK_FROM: &str = "report_links l JOIN areas a ON a.id = l.area_id";

#[derive(sqlx::FromRow)]
struct LinkRow {
    id: i64,
    token: String,
    area_id: i64,
    area_path: String,
    purpose: String,
    risk_places: String,
    created_by: String,
    created_at: OffsetDateTime,
    expires_at: Option<OffsetDateTime>,
    revoked_at: Option<OffsetDateTime>,
}

impl LinkRow {
    fn into_link(self) -> StoreResult<ReportLink> {
        let risk_places: Vec<String> = serde_json::from_str(&self.risk_places)
            .map_err(|_| corrupt("risk places", &self.risk_places))?;
        Ok(ReportLink {
            id: self.id,
            token: self.token,
            area_id: self.area_id,
            area_path: AreaPath::from_stored(self.area_path),
            purpose: Purpose::from_stored(&self.purpose)
                .ok_or_else(|| corrupt("link purpose", &self.purpose))?,
            risk_places,
            created_by: self.created_by,
            created_at: self.created_at,
            expires_at: self.expires_at,
            revoked_at: self.revoked_at,
        })
    }
}

const REPORT_COLS: &str = "id, link_id, idem_key, receipt, purpose, area_id, area_path, room, address, room_new, \
     members, answers, status, submitted_at, updated_at, edit_until, reviewed_by, reviewed_at, reject_reason, person_ids, merged, filed_by";

#[derive(sqlx::FromRow)]
struct ReportRow {
    id: i64,
    link_id: i64,
    idem_key: String,
    receipt: String,
    purpose: String,
    area_id: i64,
    area_path: String,
    room: String,
    address: String,
    room_new: bool,
    members: String,
    answers: String,
    status: String,
    submitted_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    edit_until: OffsetDateTime,
    reviewed_by: Option<String>,
    reviewed_at: Option<OffsetDateTime>,
    reject_reason: Option<String>,
    person_ids: String,
    merged: String,
    filed_by: Option<String>,
}

impl ReportRow {
    fn into_report(self) -> StoreResult<Report> {
        let json = |what: &str, s: &str| -> StoreResult<serde_json::Value> {
            serde_json::from_str(s).map_err(|_| corrupt(what, s))
        };
        Ok(Report {
            id: self.id,
            link_id: self.link_id,
            idempotency_key: self.idem_key,
            receipt: self.receipt,
            purpose: Purpose::from_stored(&self.purpose)
                .ok_or_else(|| corrupt("report purpose", &self.purpose))?,
            area_id: self.area_id,
            area_path: AreaPath::from_stored(self.area_path),
            room: self.room,
            address: self.address,
            room_new: self.room_new,
            members: json("members", &self.members)?,
            answers: json("answers", &self.answers)?,
            status: ReportStatus::from_stored(&self.status)
                .ok_or_else(|| corrupt("report status", &self.status))?,
            submitted_at: self.submitted_at,
            updated_at: self.updated_at,
            edit_until: self.edit_until,
            reviewed_by: self.reviewed_by,
            reviewed_at: self.reviewed_at,
            reject_reason: self.reject_reason,
            person_ids: serde_json::from_str(&self.person_ids)
                .map_err(|_| corrupt("person ids", &self.person_ids))?,
            merged: serde_json::from_str(&self.merged)
                .map_err(|_| corrupt("merged persons", &self.merged))?,
            filed_by: self.filed_by,
        })
    }
}

fn reports(rows: Vec<ReportRow>) -> StoreResult<Vec<Report>> {
    rows.into_iter().map(ReportRow::into_report).collect()
}

pub async fn create_report_link(conn: &mut Conn, l: &NewReportLink) -> StoreResult<ReportLink> {
    let places = serde_json::to_string(&l.risk_places).unwrap_or_else(|_| "[]".to_string());
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO report_links (token, area_id, purpose, risk_places, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(&l.token)
    .bind(l.area_id)
    .bind(l.purpose.code())
    .bind(places)
    .bind(&l.created_by)
    .bind(OffsetDateTime::now_utc())
    .bind(l.expires_at)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)?;
    let sql = format!("SELECT {LINK_COLS} FROM {LINK_FROM} WHERE l.id = $1");
    sqlx::query_as::<_, LinkRow>(AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?
        .into_link()
}

pub async fn report_link_by_token(pool: &Pool, token: &str) -> StoreResult<Option<ReportLink>> {
    let sql = format!("SELECT {LINK_COLS} FROM {LINK_FROM} WHERE l.token = $1");
    sqlx::query_as::<_, LinkRow>(AssertSqlSafe(sql))
        .bind(token)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
        .map(LinkRow::into_link)
        .transpose()
}

pub async fn report_link(pool: &Pool, id: Id) -> StoreResult<Option<ReportLink>> {
    let sql = format!("SELECT {LINK_COLS} FROM {LINK_FROM} WHERE l.id = $1");
    sqlx::query_as::<_, LinkRow>(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
        .map(LinkRow::into_link)
        .transpose()
}

pub async fn report_links(pool: &Pool, area: Option<&AreaPath>) -> StoreResult<Vec<ReportLink>> {
    let rows = match area {
        Some(area) => {
            let (a, b, c) = subtree_bounds(area);
            let sql = format!(
                "SELECT {LINK_COLS} FROM {LINK_FROM} \
                 WHERE a.path = $1 OR (a.path >= $2 AND a.path < $3) ORDER BY l.id DESC"
            );
            sqlx::query_as::<_, LinkRow>(AssertSqlSafe(sql))
                .bind(a)
                .bind(b)
                .bind(c)
                .fetch_all(pool)
                .await
        }
        None => {
            let sql = format!("SELECT {LINK_COLS} FROM {LINK_FROM} ORDER BY l.id DESC");
            sqlx::query_as::<_, LinkRow>(AssertSqlSafe(sql))
                .fetch_all(pool)
                .await
        }
    }
    .map_err(db_err)?;
    rows.into_iter().map(LinkRow::into_link).collect()
}

pub async fn revoke_report_link(conn: &mut Conn, id: Id, at: OffsetDateTime) -> StoreResult<()> {
    let done =
        sqlx::query("UPDATE report_links SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("report link {id}")));
    }
    Ok(())
}

pub async fn submit_report(conn: &mut Conn, r: &NewReport) -> StoreResult<Idempotent<Report>> {
    let now = r.at;
    // The retry of a stored report finds it without writing; a concurrent duplicate waits on
    // the unique rule (PostgreSQL) or the write lock (SQLite) and then finds it too.
    let sql = format!(
        "INSERT INTO reports (link_id, idem_key, body_hash, receipt, purpose, area_id, area_path, room, address, room_new, \
         members, answers, status, submitted_at, updated_at, edit_until, filed_by) \
         SELECT $1, $2, $12, $3, $4, $5, a.path, $6, $7, \
         NOT EXISTS (SELECT 1 FROM households h WHERE h.area_id = $5 AND h.room = $6), \
         $8, $9, 'pending', $10, $10, $11, $13 FROM areas a WHERE a.id = $5 \
         ON CONFLICT (link_id, idem_key) DO NOTHING RETURNING {REPORT_COLS}"
    );
    let inserted = sqlx::query_as::<_, ReportRow>(AssertSqlSafe(sql))
        .bind(r.link_id)
        .bind(&r.idempotency_key)
        .bind(&r.receipt)
        .bind(r.purpose.code())
        .bind(r.area_id)
        .bind(&r.room)
        .bind(&r.address)
        .bind(r.members.to_string())
        .bind(r.answers.to_string())
        .bind(now)
        .bind(now + Duration::seconds(r.edit_secs))
        .bind(r.body_hash.as_str())
        .bind(r.filed_by.as_deref())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
    let outcome = match inserted {
        Some(row) => Idempotent::Created(row.into_report()?),
        None => {
            // The key is taken: the first report goes back only to the same body.
            let stored: Option<(Option<String>,)> = sqlx::query_as(
                "SELECT body_hash FROM reports WHERE link_id = $1 AND idem_key = $2",
            )
            .bind(r.link_id)
            .bind(&r.idempotency_key)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
            // No row and nothing inserted: the area is gone.
            let (stored,) =
                stored.ok_or_else(|| StoreError::NotFound(format!("area {}", r.area_id)))?;
            if r.body_hash.matches(stored.as_deref()) {
                let sql = format!(
                    "SELECT {REPORT_COLS} FROM reports WHERE link_id = $1 AND idem_key = $2"
                );
                let row = sqlx::query_as::<_, ReportRow>(AssertSqlSafe(sql))
                    .bind(r.link_id)
                    .bind(&r.idempotency_key)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(db_err)?;
                Idempotent::Replayed(row.into_report()?)
            } else {
                Idempotent::KeyReused
            }
        }
    };
    Ok(outcome)
}

/// The status of a report read in the write that changes it, its row locked until the
/// commit (a review and a correction, or two reviews, take turns on PostgreSQL): its status
/// and when its resident may still edit it.
async fn report_to_change(
    conn: &mut Conn,
    id: Id,
) -> StoreResult<Option<(String, OffsetDateTime)>> {
    let sql = format!(
        "SELECT r.status, r.edit_until FROM reports r WHERE r.id = $1{}",
        crate::backend::for_update("r")
    );
    sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)
}

/// Refuses, before anything of an acceptance or a merge is written, a report no longer
/// pending, its row locked until the commit: the members' files are written by the one review
/// that finds it pending, and the others are refused `report_already_reviewed` before they
/// write, or wait on, any file (the decision's own `UPDATE … AND status = 'pending'` rolled
/// them back at the end before).
async fn lock_pending(conn: &mut Conn, id: Id) -> StoreResult<()> {
    match report_to_change(conn, id).await? {
        None => Err(StoreError::NotFound(format!("report {id}"))),
        Some((status, _)) if status != ReportStatus::Pending.code() => {
            Err(StoreError::Conflict("report_already_reviewed".into()))
        }
        Some(_) => Ok(()),
    }
}

pub async fn correct_report(conn: &mut Conn, id: Id, r: &NewReport) -> StoreResult<bool> {
    let now = r.at;
    let found = report_to_change(conn, id).await?;
    let Some((status, edit_until)) = found else {
        return Err(StoreError::NotFound(format!("report {id}")));
    };
    if status != ReportStatus::Pending.code() || edit_until < now {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE reports SET area_id = $1, area_path = (SELECT path FROM areas WHERE id = $1), room = $2, \
         address = $3, room_new = NOT EXISTS (SELECT 1 FROM households h WHERE h.area_id = $1 AND h.room = $2), \
         members = $4, answers = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(r.area_id)
    .bind(&r.room)
    .bind(&r.address)
    .bind(r.members.to_string())
    .bind(r.answers.to_string())
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(true)
}

pub async fn report(pool: &Pool, id: Id) -> StoreResult<Option<Report>> {
    let sql = format!("SELECT {REPORT_COLS} FROM reports WHERE id = $1");
    sqlx::query_as::<_, ReportRow>(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
        .map(ReportRow::into_report)
        .transpose()
}

pub async fn report_by_receipt(
    pool: &Pool,
    link_id: Id,
    receipt: &str,
) -> StoreResult<Option<Report>> {
    let sql = format!("SELECT {REPORT_COLS} FROM reports WHERE receipt = $1 AND link_id = $2");
    sqlx::query_as::<_, ReportRow>(AssertSqlSafe(sql))
        .bind(receipt)
        .bind(link_id)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
        .map(ReportRow::into_report)
        .transpose()
}

pub async fn reports_page(pool: &Pool, q: &ReportQuery) -> StoreResult<Page<Report>> {
    let mut conds: Vec<String> = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    if let Some(area) = &q.area {
        let (a, b, c) = subtree_bounds(area);
        let n = binds.len();
        conds.push(format!(
            "(area_path = ${} OR (area_path >= ${} AND area_path < ${}))",
            n + 1,
            n + 2,
            n + 3
        ));
        binds.extend([a, b, c]);
    }
    if let Some(s) = q.status {
        binds.push(s.code().to_string());
        conds.push(format!("status = ${}", binds.len()));
    }
    // As `store/sql/daily.rs` counts `reports.new`; typed binds after the text ones.
    if q.submitted.is_some() {
        let n = binds.len();
        conds.push(format!(
            "submitted_at >= ${} AND submitted_at < ${}",
            n + 1,
            n + 2
        ));
    }
    let span = q.submitted.map(|(a, b)| (utc(a), utc(b)));
    let filter = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    let count_sql = format!("SELECT COUNT(*) FROM reports {filter}");
    let mut cq = sqlx::query_as::<_, (i64,)>(AssertSqlSafe(count_sql));
    for b in &binds {
        cq = cq.bind(b);
    }
    if let Some((a, b)) = span {
        cq = cq.bind(a).bind(b);
    }
    let (total,) = cq.fetch_one(pool).await.map_err(db_err)?;
    let sql = format!(
        "SELECT {REPORT_COLS} FROM reports {filter} ORDER BY id LIMIT {} OFFSET {}",
        q.page.limit, q.page.offset
    );
    let mut lq = sqlx::query_as::<_, ReportRow>(AssertSqlSafe(sql));
    for b in &binds {
        lq = lq.bind(b);
    }
    if let Some((a, b)) = span {
        lq = lq.bind(a).bind(b);
    }
    let items = reports(lq.fetch_all(pool).await.map_err(db_err)?)?;
    Ok(Page { items, total })
}

pub async fn review_report(conn: &mut Conn, id: Id, d: &ReviewDecision) -> StoreResult<bool> {
    let now = OffsetDateTime::now_utc();
    let ids = serde_json::to_string(&d.person_ids).unwrap_or_else(|_| "[]".to_string());
    let done = sqlx::query(
        "UPDATE reports SET status = $1, reviewed_by = $2, reviewed_at = $3, reject_reason = $4, \
         person_ids = $5, updated_at = $3 WHERE id = $6 AND status = 'pending'",
    )
    .bind(d.status.code())
    .bind(&d.reviewer)
    .bind(now)
    .bind(&d.reason)
    .bind(ids)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(done.rows_affected() == 1)
}

pub async fn merge_report_member(
    conn: &mut Conn,
    id: Id,
    member: usize,
    person_id: Id,
    reviewer: &str,
) -> StoreResult<MergeOutcome> {
    let now = OffsetDateTime::now_utc();
    let found: Option<(String, String, String)> =
        sqlx::query_as("SELECT status, members, merged FROM reports WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
    let Some((status, members, merged)) = found else {
        return Err(StoreError::NotFound(format!("report {id}")));
    };
    if status != ReportStatus::Pending.code() {
        return Ok(MergeOutcome::NotPending);
    }
    let count = serde_json::from_str::<serde_json::Value>(&members)
        .map_err(|_| corrupt("members", &members))?
        .as_array()
        .map_or(0, Vec::len);
    let before = merged;
    let mut merged: Vec<Option<Id>> =
        serde_json::from_str(&before).map_err(|_| corrupt("merged persons", &before))?;
    if member >= count || merged.get(member).copied().flatten().is_some() {
        return Ok(MergeOutcome::MemberDecided);
    }
    merged.resize(count.max(merged.len()), None);
    merged[member] = Some(person_id);
    let text = serde_json::to_string(&merged).unwrap_or_else(|_| "[]".to_string());
    // Only the state read above changes: a concurrent merge or review of the same report makes
    // the conditions fail (SQLite holds the write lock anyway; PostgreSQL re-checks the row).
    let all: Option<Vec<Id>> = merged.iter().copied().collect();
    let (outcome, done) = match all {
        Some(ids) => {
            let ids = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".to_string());
            let done = sqlx::query(
                "UPDATE reports SET merged = $1, status = 'accepted', reviewed_by = $2, reviewed_at = $3, \
                 person_ids = $4, updated_at = $3 WHERE id = $5 AND status = 'pending' AND merged = $6",
            )
            .bind(&text)
            .bind(reviewer)
            .bind(now)
            .bind(ids)
            .bind(id)
            .bind(&before)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
            (MergeOutcome::Accepted, done)
        }
        None => {
            let done = sqlx::query(
                "UPDATE reports SET merged = $1, updated_at = $2 \
                 WHERE id = $3 AND status = 'pending' AND merged = $4",
            )
            .bind(&text)
            .bind(now)
            .bind(id)
            .bind(&before)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
            (MergeOutcome::Merged, done)
        }
    };
    Ok(if done.rows_affected() == 1 {
        outcome
    } else {
        MergeOutcome::MemberDecided
    })
}

/// Accepts a pending report: writes the members' files, then records them as its persons;
/// a report no longer pending, or a refused member, fails the whole (the caller's transaction
/// is rolled back).
pub async fn accept_report(
    conn: &mut Conn,
    id: Id,
    actor: &Actor,
    rows: &[PersonUpsert],
    merged: &[Option<Id>],
) -> StoreResult<Accepted> {
    lock_pending(conn, id).await?;
    let written = super::persons::upsert_persons(conn, actor, rows).await?;
    if written
        .outcomes
        .iter()
        .any(|o| o.outcome == UpsertOutcome::Refused)
    {
        return Err(StoreError::Conflict("person_registered_elsewhere".into()));
    }
    let mut upserted = written.outcomes.iter().map(|o| o.id);
    let person_ids: Vec<Id> = merged
        .iter()
        .filter_map(|m| m.or_else(|| upserted.next()))
        .collect();
    let decision = ReviewDecision {
        status: ReportStatus::Accepted,
        reviewer: actor.name.clone(),
        reason: None,
        person_ids: person_ids.clone(),
    };
    if !review_report(conn, id, &decision).await? {
        return Err(StoreError::Conflict("report_already_reviewed".into()));
    }
    Ok(Accepted {
        written,
        person_ids,
    })
}

/// Writes a member's data into the file chosen for it, then marks the member merged; fails the
/// whole when the file written is not that one or the merge no longer applies.
pub async fn merge_into_file(
    conn: &mut Conn,
    id: Id,
    member: usize,
    person_id: Id,
    actor: &Actor,
    row: &PersonUpsert,
) -> StoreResult<MergeOutcome> {
    lock_pending(conn, id).await?;
    let written = super::persons::upsert_persons(conn, actor, std::slice::from_ref(row)).await?;
    if written.outcomes.first().map(|o| o.id) != Some(person_id) {
        return Err(StoreError::Conflict("person_changed".into()));
    }
    match merge_report_member(conn, id, member, person_id, &actor.name).await? {
        MergeOutcome::NotPending => Err(StoreError::Conflict("report_already_reviewed".into())),
        MergeOutcome::MemberDecided => Err(StoreError::Conflict("report_member_decided".into())),
        done => Ok(done),
    }
}

pub async fn reports_for_export(
    pool: &Pool,
    area: &AreaPath,
    only_new: bool,
) -> StoreResult<Vec<Report>> {
    let (a, b, c) = subtree_bounds(area);
    let new = if only_new {
        "AND NOT EXISTS (SELECT 1 FROM report_exported x WHERE x.area_path = $4 AND x.report_id = r.id)"
    } else {
        ""
    };
    let cols = REPORT_COLS
        .split(", ")
        .map(|c| format!("r.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {cols} FROM reports r WHERE (r.area_path = $1 OR (r.area_path >= $2 AND r.area_path < $3)) \
         AND r.status = 'accepted' {new} ORDER BY r.id"
    );
    let mut q = sqlx::query_as::<_, ReportRow>(AssertSqlSafe(sql))
        .bind(a)
        .bind(b)
        .bind(c);
    if only_new {
        q = q.bind(area.as_str());
    }
    let rows = q.fetch_all(pool).await.map_err(db_err)?;
    reports(rows)
}

pub async fn mark_reports_exported(
    conn: &mut Conn,
    area: &AreaPath,
    ids: &[Id],
    by: &str,
) -> StoreResult<()> {
    let now = OffsetDateTime::now_utc();
    for chunk in ids.chunks(1000) {
        let sql = format!(
            "INSERT INTO report_exported (area_path, report_id, exported_by, exported_at) VALUES {} \
             ON CONFLICT (area_path, report_id) DO NOTHING",
            values_clause(chunk.len(), 4, 1)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(area.as_str()).bind(*id).bind(by).bind(now);
        }
        q.execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}

#[async_trait]
impl Reports for SqlStore {
    async fn create_report_link(
        &self,
        link: &NewReportLink,
        audit: Audit<ReportLink>,
    ) -> StoreResult<ReportLink> {
        let link = link.clone();
        self.write(audit, move |c| {
            Box::pin(async move { create_report_link(c, &link).await })
        })
        .await
    }

    async fn report_link_by_token(&self, token: &str) -> StoreResult<Option<ReportLink>> {
        report_link_by_token(&self.pool, token).await
    }

    async fn report_link(&self, id: Id) -> StoreResult<Option<ReportLink>> {
        report_link(&self.pool, id).await
    }

    async fn report_links(&self, area: Option<&AreaPath>) -> StoreResult<Vec<ReportLink>> {
        report_links(&self.pool, area).await
    }

    async fn revoke_report_link(
        &self,
        id: Id,
        at: OffsetDateTime,
        audit: Audit<()>,
    ) -> StoreResult<()> {
        self.write(audit, move |c| {
            Box::pin(async move { revoke_report_link(c, id, at).await })
        })
        .await
    }

    async fn submit_report(
        &self,
        report: &NewReport,
        audit: Audit<Idempotent<Report>>,
    ) -> StoreResult<Idempotent<Report>> {
        let report = report.clone();
        if report.filed_by.is_none() {
            // A resident's report is one INSERT (then reads) with no audit entry: the writer's
            // cheapest path, the busiest write there is.
            return self
                .writer
                .run_single(move |c| Box::pin(async move { submit_report(c, &report).await }))
                .await;
        }
        // A worker's 代报 writes its audit entry in the same transaction.
        self.write(audit, move |c| {
            Box::pin(async move { submit_report(c, &report).await })
        })
        .await
    }

    async fn correct_report(&self, id: Id, correction: &NewReport) -> StoreResult<bool> {
        let correction = correction.clone();
        self.write(no_audit(), move |c| {
            Box::pin(async move { correct_report(c, id, &correction).await })
        })
        .await
    }

    async fn report(&self, id: Id) -> StoreResult<Option<Report>> {
        report(&self.pool, id).await
    }

    async fn report_by_receipt(&self, link_id: Id, receipt: &str) -> StoreResult<Option<Report>> {
        report_by_receipt(&self.pool, link_id, receipt).await
    }

    async fn reports(&self, query: &ReportQuery) -> StoreResult<Page<Report>> {
        reports_page(&self.pool, query).await
    }

    async fn review_report(
        &self,
        id: Id,
        decision: &ReviewDecision,
        audit: Audit<bool>,
    ) -> StoreResult<bool> {
        let decision = decision.clone();
        self.write(audit, move |c| {
            Box::pin(async move { review_report(c, id, &decision).await })
        })
        .await
    }

    async fn accept_report(
        &self,
        id: Id,
        actor: &Actor,
        rows: &[PersonUpsert],
        merged: &[Option<Id>],
        audit: Audit<Accepted>,
    ) -> StoreResult<Accepted> {
        let (actor, rows, merged) = (actor.clone(), rows.to_vec(), merged.to_vec());
        self.write(audit, move |c| {
            Box::pin(async move { accept_report(c, id, &actor, &rows, &merged).await })
        })
        .await
    }

    async fn merge_into_file(
        &self,
        id: Id,
        member: usize,
        person_id: Id,
        actor: &Actor,
        row: &PersonUpsert,
        audit: Audit<MergeOutcome>,
    ) -> StoreResult<MergeOutcome> {
        let (actor, row) = (actor.clone(), row.clone());
        self.write(audit, move |c| {
            Box::pin(async move { merge_into_file(c, id, member, person_id, &actor, &row).await })
        })
        .await
    }

    async fn reports_for_export(
        &self,
        area: &AreaPath,
        only_new: bool,
    ) -> StoreResult<Vec<Report>> {
        reports_for_export(&self.pool, area, only_new).await
    }

    async fn mark_reports_exported(
        &self,
        area: &AreaPath,
        report_ids: &[Id],
        by: &str,
        audit: Audit<()>,
    ) -> StoreResult<()> {
        let (area, ids, by) = (area.clone(), report_ids.to_vec(), by.to_string());
        self.write(audit, move |c| {
            Box::pin(async move { mark_reports_exported(c, &area, &ids, &by).await })
        })
        .await
    }
}
