//! [`doorstep_store::Lists`] over `lists`, `list_rows` and `list_mappings`; a row's latest
//! task is joined by its key (`list_call` `{id}:{calls}`, or `list_knock` `{id}`).

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_core::lists::{ListStatus, MatchKind};
use doorstep_core::task::{TaskKind, TaskStatus};
use doorstep_store::*;
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use super::SqlStore;
use super::util::{
    Conn, MAX_PARAMS, corrupt, db_err, list_clause, reversed, utc, values_clause, within,
};

/// The latest task of row `r`.
const TASK_JOIN: &str = "LEFT JOIN tasks t ON \
     t.source = CASE WHEN r.knock = 1 THEN 'list_knock' ELSE 'list_call' END \
     AND t.source_key = CASE WHEN r.knock = 1 THEN CAST(r.id AS TEXT) \
     ELSE CAST(r.id AS TEXT) || ':' || CAST(r.calls AS TEXT) END";

const ROW_COLS: &str = "r.id, r.list_id, r.seq, r.row_no, r.cells, r.name, r.id_number, r.phone, \
     r.risk_place, r.seen_at, r.source, r.phone_key, r.problem, r.match_kind, r.person_id, \
     r.household_id, r.dup_list_id, r.dup_seq, r.calls, r.knock, t.id AS task_id, t.kind AS task_kind, \
     t.status AS task_status, s.name AS assignee, t.outcome, t.outcome_note, t.updated_at AS task_updated_at";

const LIST_COLS: &str = "l.id, l.area_id, l.area_path, l.name, l.headers, l.header_key, l.mapping, \
     l.status, l.max_calls, l.created_by, l.created_at, \
     (SELECT COUNT(*) FROM list_rows r WHERE r.list_id = l.id) AS row_count";

/// Columns of an inserted row.
pub(crate) const INSERT_COLS: &str = "list_id, seq, row_no, cells, name, id_number, phone, risk_place, seen_at, \
     source, id_key, phone_key, problem, match_kind, person_id, household_id, dup_list_id, dup_seq, calls";
const INSERT_WIDTH: usize = 19;

#[derive(sqlx::FromRow)]
struct ListRowRow {
    id: i64,
    list_id: i64,
    seq: i32,
    row_no: i64,
    cells: String,
    name: String,
    id_number: String,
    phone: String,
    risk_place: String,
    seen_at: String,
    source: String,
    phone_key: Option<String>,
    problem: Option<String>,
    match_kind: Option<String>,
    person_id: Option<i64>,
    household_id: Option<i64>,
    dup_list_id: Option<i64>,
    dup_seq: Option<i32>,
    calls: i32,
    knock: i32,
    task_id: Option<i64>,
    task_kind: Option<String>,
    task_status: Option<String>,
    assignee: Option<String>,
    outcome: Option<String>,
    outcome_note: Option<String>,
    task_updated_at: Option<OffsetDateTime>,
}

impl ListRowRow {
    fn into_row(self) -> StoreResult<ListRow> {
        let task = match (
            self.task_id,
            self.task_kind,
            self.task_status,
            self.task_updated_at,
        ) {
            (Some(id), Some(kind), Some(status), Some(updated_at)) => Some(ListTask {
                id,
                kind: TaskKind::from_stored(&kind).ok_or_else(|| corrupt("task kind", &kind))?,
                status: TaskStatus::from_stored(&status)
                    .ok_or_else(|| corrupt("task status", &status))?,
                assignee: self.assignee,
                outcome: self.outcome,
                outcome_note: self.outcome_note.unwrap_or_default(),
                updated_at,
            }),
            _ => None,
        };
        let cells: Vec<String> =
            serde_json::from_str(&self.cells).map_err(|_| corrupt("list cells", &self.cells))?;
        Ok(ListRow {
            id: self.id,
            list_id: self.list_id,
            seq: self.seq as u32,
            row_no: self.row_no as u64,
            cells,
            name: self.name,
            id_number: self.id_number,
            phone: self.phone,
            risk_place: self.risk_place,
            seen_at: self.seen_at,
            source: self.source,
            phone_key: self.phone_key,
            problem: self.problem,
            match_kind: match self.match_kind {
                Some(m) => Some(MatchKind::from_stored(&m).ok_or_else(|| corrupt("match", &m))?),
                None => None,
            },
            person_id: self.person_id,
            household_id: self.household_id,
            dup_of: self.dup_list_id.zip(self.dup_seq.map(|s| s as u32)),
            calls: self.calls as u32,
            knock: self.knock != 0,
            task,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ListInfoRow {
    id: i64,
    area_id: i64,
    area_path: String,
    name: String,
    headers: String,
    header_key: String,
    mapping: Option<String>,
    status: String,
    max_calls: i32,
    created_by: String,
    created_at: OffsetDateTime,
    row_count: i64,
}

impl ListInfoRow {
    fn into_list(self) -> StoreResult<InvestigationList> {
        Ok(InvestigationList {
            id: self.id,
            area_id: self.area_id,
            area_path: AreaPath::from_stored(self.area_path),
            name: self.name,
            headers: serde_json::from_str(&self.headers)
                .map_err(|_| corrupt("list headers", &self.headers))?,
            header_key: self.header_key,
            mapping: self.mapping,
            status: ListStatus::from_stored(&self.status)
                .ok_or_else(|| corrupt("list status", &self.status))?,
            max_calls: self.max_calls as u32,
            rows: self.row_count as u64,
            created_by: self.created_by,
            created_at: self.created_at,
        })
    }
}

/// A row's values as stored, beyond its own text fields.
pub(crate) struct RowValues {
    pub seq: i32,
    pub row_no: i64,
    /// The cells as received, as a JSON array.
    pub cells: String,
    pub match_kind: Option<&'static str>,
    /// The row it repeats: (list, seq); a repeat within the list names list `id` itself.
    pub dup_list: Option<i64>,
    pub dup_seq: Option<i32>,
    pub calls: i32,
}

impl RowValues {
    /// The values of row `r` of list `id`.
    pub(crate) fn of(id: Id, r: &NewListRow) -> StoreResult<RowValues> {
        let cells = serde_json::to_string(&r.cells).map_err(|e| StoreError::Other(e.into()))?;
        let dup = match (r.dup_of, r.dup_in_list) {
            (Some((l, s)), _) => Some((l, s)),
            (None, Some(s)) => Some((id, s)),
            (None, None) => None,
        };
        Ok(RowValues {
            seq: r.seq as i32,
            row_no: r.row_no as i64,
            cells,
            match_kind: r.match_kind.map(|m| m.code()),
            dup_list: dup.map(|d| d.0),
            dup_seq: dup.map(|d| d.1 as i32),
            calls: r.calls as i32,
        })
    }
}

/// Inserts rows of list `id`, many to a statement (SQLite's way; PostgreSQL's `COPY`s them,
/// see `crate::backend::insert_list_rows`).
#[allow(dead_code)] // PostgreSQL's build has its own.
pub(crate) async fn insert_rows(conn: &mut Conn, id: Id, rows: &[NewListRow]) -> StoreResult<()> {
    let per = (MAX_PARAMS / INSERT_WIDTH).min(1000);
    for chunk in rows.chunks(per) {
        let sql = format!(
            "INSERT INTO list_rows ({INSERT_COLS}) VALUES {}",
            values_clause(chunk.len(), INSERT_WIDTH, 1)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).persistent(false);
        for r in chunk {
            let v = RowValues::of(id, r)?;
            q = q
                .bind(id)
                .bind(v.seq)
                .bind(v.row_no)
                .bind(v.cells)
                .bind(r.name.clone())
                .bind(r.id_number.clone())
                .bind(r.phone.clone())
                .bind(r.risk_place.clone())
                .bind(r.seen_at.clone())
                .bind(r.source.clone())
                .bind(r.id_key.clone())
                .bind(r.phone_key.clone())
                .bind(r.problem.clone())
                .bind(v.match_kind)
                .bind(r.person_id)
                .bind(r.household_id)
                .bind(v.dup_list)
                .bind(v.dup_seq)
                .bind(v.calls);
        }
        q.execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}

async fn remember(
    conn: &mut Conn,
    key: &str,
    mapping: &str,
    by: &str,
    at: OffsetDateTime,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO list_mappings (header_key, mapping, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (header_key) DO UPDATE SET mapping = excluded.mapping, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(mapping)
    .bind(by)
    .bind(utc(at))
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl Lists for SqlStore {
    async fn create_list(
        &self,
        list: &NewList,
        rows: Vec<NewListRow>,
        remember_as: Option<String>,
        audit: Audit<Id>,
    ) -> StoreResult<Id> {
        let list = list.clone();
        self.write(audit, move |c| {
            Box::pin(async move {
                let headers =
                    serde_json::to_string(&list.headers).map_err(|e| StoreError::Other(e.into()))?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO lists (area_id, area_path, name, headers, header_key, mapping, status, \
                     max_calls, created_by, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
                )
                .bind(list.area_id)
                .bind(list.area_path.as_str())
                .bind(&list.name)
                .bind(headers)
                .bind(&list.header_key)
                .bind(list.mapping.clone())
                .bind(list.status.code())
                .bind(list.max_calls as i32)
                .bind(&list.created_by)
                .bind(utc(list.at))
                .fetch_one(&mut *c)
                .await
                .map_err(db_err)?;
                crate::backend::insert_list_rows(c, id, &rows).await?;
                if let Some(m) = remember_as {
                    remember(c, &list.header_key, &m, &list.created_by, list.at).await?;
                }
                Ok(id)
            })
        })
        .await
    }

    async fn map_list(
        &self,
        id: Id,
        mapping: &str,
        remember_as: &str,
        rows: Vec<NewListRow>,
        by: &str,
        audit: Audit<()>,
    ) -> StoreResult<()> {
        let (mapping, remember_as, by) =
            (mapping.to_string(), remember_as.to_string(), by.to_string());
        self.write(audit, move |c| {
            Box::pin(async move {
                let now = OffsetDateTime::now_utc();
                let key: Option<(String,)> = sqlx::query_as(
                    "UPDATE lists SET mapping = $1, status = 'open', updated_at = $2 \
                     WHERE id = $3 AND status = 'mapping' RETURNING header_key",
                )
                .bind(&mapping)
                .bind(now)
                .bind(id)
                .fetch_optional(&mut *c)
                .await
                .map_err(db_err)?;
                let Some((key,)) = key else {
                    return Err(StoreError::Conflict("list_status".into()));
                };
                sqlx::query("DELETE FROM list_rows WHERE list_id = $1")
                    .bind(id)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err)?;
                crate::backend::insert_list_rows(c, id, &rows).await?;
                remember(c, &key, &remember_as, &by, now).await?;
                Ok(())
            })
        })
        .await
    }

    async fn set_list_status(
        &self,
        id: Id,
        status: ListStatus,
        audit: Audit<()>,
    ) -> StoreResult<()> {
        self.write(audit, move |c| {
            Box::pin(async move {
                // Only a list not in that status already: of two closings side by side
                // (PostgreSQL) one closes it, the other is refused as a closing of a closed
                // list is, and one entry is written.
                let done = sqlx::query(
                    "UPDATE lists SET status = $1, updated_at = $2 WHERE id = $3 AND status <> $1",
                )
                .bind(status.code())
                .bind(OffsetDateTime::now_utc())
                .bind(id)
                .execute(&mut *c)
                .await
                .map_err(db_err)?;
                if done.rows_affected() == 0 {
                    let there: Option<(i64,)> =
                        sqlx::query_as("SELECT id FROM lists WHERE id = $1")
                            .bind(id)
                            .fetch_optional(&mut *c)
                            .await
                            .map_err(db_err)?;
                    return Err(match there {
                        Some(_) => StoreError::Conflict("list_status".into()),
                        None => StoreError::NotFound(format!("list {id}")),
                    });
                }
                Ok(())
            })
        })
        .await
    }

    async fn list_mapping(&self, header_key: &str) -> StoreResult<Option<String>> {
        sqlx::query_scalar("SELECT mapping FROM list_mappings WHERE header_key = $1")
            .bind(header_key)
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)
    }

    async fn investigation_list(&self, id: Id) -> StoreResult<Option<InvestigationList>> {
        let sql = format!("SELECT {LIST_COLS} FROM lists l WHERE l.id = $1");
        sqlx::query_as::<_, ListInfoRow>(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)?
            .map(ListInfoRow::into_list)
            .transpose()
    }

    async fn investigation_lists(
        &self,
        area: Option<&AreaPath>,
        limit: u32,
    ) -> StoreResult<Vec<InvestigationList>> {
        let (under, (a, b, c)) = within("l.area_path", 2, area);
        let sql =
            format!("SELECT {LIST_COLS} FROM lists l WHERE {under} ORDER BY l.id DESC LIMIT $1");
        sqlx::query_as::<_, ListInfoRow>(AssertSqlSafe(sql))
            .bind(i64::from(limit))
            .bind(a)
            .bind(b)
            .bind(c)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(ListInfoRow::into_list)
            .collect()
    }

    async fn list_rows(&self, id: Id, filter: RowFilter, limit: u32) -> StoreResult<Vec<ListRow>> {
        let only = match filter {
            RowFilter::All => "",
            RowFilter::NotFound => " AND r.match_kind = 'not_found' AND r.dup_seq IS NULL",
            RowFilter::Duplicates => " AND r.dup_seq IS NOT NULL",
        };
        let sql = format!(
            "SELECT {ROW_COLS} FROM list_rows r {TASK_JOIN} LEFT JOIN staff s ON s.id = t.assignee_id \
             WHERE r.list_id = $1{only} ORDER BY r.seq LIMIT $2"
        );
        sqlx::query_as::<_, ListRowRow>(AssertSqlSafe(sql))
            .bind(id)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(ListRowRow::into_row)
            .collect()
    }

    async fn list_row(&self, row_id: Id) -> StoreResult<Option<ListRow>> {
        let sql = format!(
            "SELECT {ROW_COLS} FROM list_rows r {TASK_JOIN} LEFT JOIN staff s ON s.id = t.assignee_id \
             WHERE r.id = $1"
        );
        sqlx::query_as::<_, ListRowRow>(AssertSqlSafe(sql))
            .bind(row_id)
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)?
            .map(ListRowRow::into_row)
            .transpose()
    }

    async fn list_counts(&self, id: Id) -> StoreResult<Vec<ListCount>> {
        #[derive(sqlx::FromRow)]
        struct CountRow {
            match_kind: Option<String>,
            dup: i32,
            kind: Option<String>,
            status: Option<String>,
            outcome: Option<String>,
            calls: i32,
            n: i64,
        }
        let sql = format!(
            "SELECT r.match_kind, CASE WHEN r.dup_seq IS NULL THEN 0 ELSE 1 END AS dup, t.kind, t.status, \
             t.outcome, CASE WHEN r.calls > 1 THEN 2 ELSE r.calls END AS calls, COUNT(*) AS n \
             FROM list_rows r {TASK_JOIN} WHERE r.list_id = $1 \
             GROUP BY r.match_kind, CASE WHEN r.dup_seq IS NULL THEN 0 ELSE 1 END, t.kind, t.status, \
             t.outcome, CASE WHEN r.calls > 1 THEN 2 ELSE r.calls END"
        );
        let rows: Vec<CountRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(id)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?;
        rows.into_iter()
            .map(|r| {
                let task = match (r.kind, r.status) {
                    (Some(k), Some(s)) => Some((
                        TaskKind::from_stored(&k).ok_or_else(|| corrupt("task kind", &k))?,
                        TaskStatus::from_stored(&s).ok_or_else(|| corrupt("task status", &s))?,
                        r.outcome,
                    )),
                    _ => None,
                };
                Ok(ListCount {
                    match_kind: match r.match_kind {
                        Some(m) => {
                            Some(MatchKind::from_stored(&m).ok_or_else(|| corrupt("match", &m))?)
                        }
                        None => None,
                    },
                    duplicate: r.dup != 0,
                    task,
                    calls: r.calls as u32,
                    count: r.n as u64,
                })
            })
            .collect()
    }

    async fn open_list_keys(&self, except: Id) -> StoreResult<Vec<OpenListKey>> {
        let rows: Vec<(i64, i32, Option<String>, Option<String>, Option<i64>)> = sqlx::query_as(
            "SELECT r.list_id, r.seq, r.id_key, r.phone_key, r.person_id FROM list_rows r \
             JOIN lists l ON l.id = r.list_id \
             WHERE l.status = 'open' AND l.id <> $1 AND r.dup_seq IS NULL ORDER BY r.list_id, r.seq",
        )
        .bind(except)
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(list_id, seq, id_key, phone_key, person_id)| OpenListKey {
                list_id,
                seq: seq as u32,
                id_key,
                phone_key,
                person_id,
            })
            .collect())
    }

    async fn persons_by_keys(
        &self,
        ids: &[String],
        phones: &[String],
    ) -> StoreResult<Vec<PersonHit>> {
        let mut out = Vec::new();
        let mut conn = self.pool().acquire().await.map_err(db_err)?;
        for (column, keys) in [("id_rev", ids), ("phone_rev", phones)] {
            for chunk in keys.chunks(MAX_PARAMS.min(5000)) {
                let sql = format!(
                    "SELECT p.id, p.household_id, a.path, p.name, p.id_number, p.phone FROM persons p \
                     JOIN households h ON h.id = p.household_id JOIN areas a ON a.id = h.area_id \
                     WHERE p.{column} IN ({})",
                    list_clause(chunk.len(), 1)
                );
                let mut q =
                    sqlx::query_as::<_, (i64, i64, String, String, String, Option<String>)>(
                        AssertSqlSafe(sql),
                    )
                    .persistent(false);
                for k in chunk {
                    q = q.bind(reversed(k));
                }
                for (person_id, household_id, area, name, id_number, phone) in
                    q.fetch_all(&mut *conn).await.map_err(db_err)?
                {
                    out.push(PersonHit {
                        person_id,
                        household_id,
                        area_path: AreaPath::from_stored(area),
                        name,
                        id_number,
                        phone,
                    });
                }
            }
        }
        Ok(out)
    }

    async fn set_list_row_stage(&self, row_id: Id, calls: u32, knock: bool) -> StoreResult<()> {
        self.write(no_audit(), move |c| {
            Box::pin(async move {
                sqlx::query("UPDATE list_rows SET calls = $1, knock = $2 WHERE id = $3")
                    .bind(calls as i32)
                    .bind(i32::from(knock))
                    .bind(row_id)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err)?;
                Ok(())
            })
        })
        .await
    }
}

/// Rows of the lists kept under `area` with their list's name and latest task, after row id
/// `after`, by id (the call outcomes export; see `templates.rs`).
pub(super) async fn call_outcomes_after(
    pool: &crate::backend::Pool,
    area: &AreaPath,
    after: Id,
    limit: u32,
) -> StoreResult<Vec<CallOutcomeRow>> {
    #[derive(sqlx::FromRow)]
    struct OutcomeRow {
        list_name: String,
        #[sqlx(flatten)]
        row: ListRowRow,
    }
    let (under, (a, b, c)) = within("l.area_path", 3, Some(area));
    let sql = format!(
        "SELECT l.name AS list_name, {ROW_COLS} FROM list_rows r JOIN lists l ON l.id = r.list_id \
         {TASK_JOIN} LEFT JOIN staff s ON s.id = t.assignee_id \
         WHERE r.id > $1 AND {under} ORDER BY r.id LIMIT $2"
    );
    sqlx::query_as::<_, OutcomeRow>(AssertSqlSafe(sql))
        .bind(after)
        .bind(i64::from(limit))
        .bind(a)
        .bind(b)
        .bind(c)
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .into_iter()
        .map(|o| {
            Ok(CallOutcomeRow {
                list: o.list_name,
                row: o.row.into_row()?,
            })
        })
        .collect()
}
