//! Tasks and their history: [`doorstep_store::Tasks`] over the `tasks` and `task_events`
//! tables.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use doorstep_core::{AreaPath, Duty, Priority, Target, TaskKind, TaskStatus};
use doorstep_store::*;
use serde_json::{Value, json};
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use super::SqlStore;
use super::util::{
    Conn, MAX_PARAMS, corrupt, db_err, list_clause, subtree_bounds, utc, values_clause,
};
use crate::backend::Db;

const TASK_COLS: &str = "t.id, t.kind, t.target_type, t.target_id, t.area_id, t.area_path, t.room, t.label, t.note, \
     t.assignee_id, s.name AS assignee_name, s.phone AS assignee_phone, t.due_at, t.priority, t.status, t.outcome, \
     t.outcome_note, t.source, t.source_key, t.created_by, t.created_at, t.updated_at";
const TASK_FROM: &str = "tasks t LEFT JOIN staff s ON s.id = t.assignee_id";

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: i64,
    kind: String,
    target_type: String,
    target_id: i64,
    area_id: i64,
    area_path: String,
    room: String,
    label: String,
    note: String,
    assignee_id: Option<i64>,
    assignee_name: Option<String>,
    assignee_phone: Option<String>,
    due_at: Option<OffsetDateTime>,
    priority: String,
    status: String,
    outcome: Option<String>,
    outcome_note: String,
    source: String,
    source_key: Option<String>,
    created_by: String,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl TaskRow {
    fn into_task(self) -> StoreResult<Task> {
        Ok(Task {
            id: self.id,
            kind: TaskKind::from_stored(&self.kind)
                .ok_or_else(|| corrupt("task kind", &self.kind))?,
            target: Target::from_stored(&self.target_type, self.target_id)
                .ok_or_else(|| corrupt("task target", &self.target_type))?,
            area_id: self.area_id,
            area_path: AreaPath::from_stored(self.area_path),
            room: self.room,
            label: self.label,
            note: self.note,
            assignee_id: self.assignee_id,
            assignee: self.assignee_name.zip(self.assignee_phone),
            due_at: self.due_at,
            priority: Priority::parse(&self.priority)
                .ok_or_else(|| corrupt("task priority", &self.priority))?,
            status: TaskStatus::from_stored(&self.status)
                .ok_or_else(|| corrupt("task status", &self.status))?,
            outcome: self.outcome,
            outcome_note: self.outcome_note,
            source: self.source,
            source_key: self.source_key,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

async fn read_task(conn: &mut Conn, id: Id) -> StoreResult<Option<Task>> {
    read_task_as(conn, id, String::new()).await
}

/// A task read in the write that changes it, its row locked until the commit: the change is
/// checked against the status no other write can change meanwhile.
async fn read_task_to_change(conn: &mut Conn, id: Id) -> StoreResult<Option<Task>> {
    read_task_as(conn, id, crate::backend::for_update("t")).await
}

async fn read_task_as(conn: &mut Conn, id: Id, lock: String) -> StoreResult<Option<Task>> {
    let sql = format!("SELECT {TASK_COLS} FROM {TASK_FROM} WHERE t.id = $1{lock}");
    sqlx::query_as::<_, TaskRow>(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .map(TaskRow::into_task)
        .transpose()
}

async fn event(
    conn: &mut Conn,
    task: Id,
    by: &str,
    action: &str,
    details: &Value,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO task_events (task_id, at, by_user, action, details) VALUES ($1, $2, $3, $4, $5)")
        .bind(task)
        .bind(OffsetDateTime::now_utc())
        .bind(by)
        .bind(action)
        .bind(details.to_string())
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// The columns a new task is written with, in `new_task_values`' order.
const INSERT_COLS: &str = "kind, target_type, target_id, area_id, area_path, room, label, note, assignee_id, \
     due_at, priority, status, outcome_note, source, source_key, created_by, created_at, updated_at";
const INSERT_WIDTH: usize = 18;
/// Rows per generated statement: 500 × 18 values, well under [`MAX_PARAMS`].
const CHUNK: usize = 500;

/// Binds one new task's values in [`INSERT_COLS`] order.
fn bind_new<'q, O>(
    q: sqlx::query::QueryAs<'q, Db, O, <Db as sqlx::Database>::Arguments>,
    t: &'q NewTask,
    by: &'q str,
    now: OffsetDateTime,
) -> sqlx::query::QueryAs<'q, Db, O, <Db as sqlx::Database>::Arguments> {
    q.bind(t.kind.code())
        .bind(t.target.type_code())
        .bind(t.target.id())
        .bind(t.area_id)
        .bind(t.area_path.as_str())
        .bind(&t.room)
        .bind(&t.label)
        .bind(&t.note)
        .bind(t.assignee_id)
        .bind(t.due_at)
        .bind(t.priority.code())
        .bind(TaskStatus::Open.code())
        .bind("")
        .bind(&t.source)
        .bind(&t.source_key)
        .bind(by)
        .bind(now)
        .bind(now)
}

/// Writes new tasks with their `created` events and answers them in the order given: a keyed
/// task whose `(source, source_key)` exists (or came earlier in `tasks`) answers that one.
/// Keyed tasks go in generated multi-row statements (`ON CONFLICT … DO NOTHING RETURNING`),
/// matched back by key; unkeyed ones one at a time.
async fn insert_tasks(conn: &mut Conn, tasks: &[NewTask], by: &str) -> StoreResult<Vec<Task>> {
    let now = OffsetDateTime::now_utc();
    let mut ids: Vec<Option<Id>> = vec![None; tasks.len()];
    // Each new task's id and the input it came from, for its `created` event.
    let mut created: Vec<(Id, usize)> = Vec::new();
    let mut by_key: HashMap<(&str, &str), Id> = HashMap::new();
    let keyed: Vec<usize> = (0..tasks.len())
        .filter(|&i| tasks[i].source_key.is_some())
        .collect();
    for chunk in keyed.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO tasks ({INSERT_COLS}) VALUES {} ON CONFLICT (source, source_key) DO NOTHING \
             RETURNING id, source, source_key",
            values_clause(chunk.len(), INSERT_WIDTH, 1)
        );
        let mut q = sqlx::query_as::<_, (i64, String, Option<String>)>(AssertSqlSafe(sql))
            .persistent(false);
        for &i in chunk {
            q = bind_new(q, &tasks[i], by, now);
        }
        let rows = q.fetch_all(&mut *conn).await.map_err(db_err)?;
        let mut made: HashMap<(String, String), Id> = HashMap::with_capacity(rows.len());
        for (id, source, key) in rows {
            made.insert((source, key.unwrap_or_default()), id);
        }
        for &i in chunk {
            let t = &tasks[i];
            let key = (t.source.as_str(), t.source_key.as_deref().unwrap_or(""));
            if by_key.contains_key(&key) {
                continue;
            }
            if let Some(id) = made.remove(&(key.0.to_string(), key.1.to_string())) {
                by_key.insert(key, id);
                created.push((id, i));
            }
        }
    }
    // Keys that were there before: one read per source.
    let mut missing: HashMap<&str, Vec<&str>> = HashMap::new();
    for &i in &keyed {
        let t = &tasks[i];
        let key = (t.source.as_str(), t.source_key.as_deref().unwrap_or(""));
        if !by_key.contains_key(&key) {
            missing.entry(key.0).or_default().push(key.1);
        }
    }
    for (source, keys) in missing {
        for chunk in keys.chunks(MAX_PARAMS - 1) {
            let sql = format!(
                "SELECT id, source_key FROM tasks WHERE source = {} AND source_key IN ({})",
                list_clause(1, 1),
                list_clause(chunk.len(), 2)
            );
            let mut q = sqlx::query_as::<_, (i64, String)>(AssertSqlSafe(sql)).persistent(false);
            q = q.bind(source);
            for k in chunk {
                q = q.bind(*k);
            }
            let asked: HashSet<&str> = chunk.iter().copied().collect();
            for (id, key) in q.fetch_all(&mut *conn).await.map_err(db_err)? {
                if let Some(k) = asked.get(key.as_str()) {
                    by_key.insert((source, k), id);
                }
            }
        }
    }
    for (i, t) in tasks.iter().enumerate() {
        ids[i] = match &t.source_key {
            Some(k) => by_key.get(&(t.source.as_str(), k.as_str())).copied(),
            None => {
                let sql = format!(
                    "INSERT INTO tasks ({INSERT_COLS}) VALUES {} RETURNING id",
                    values_clause(1, INSERT_WIDTH, 1)
                );
                let q = sqlx::query_as::<_, (i64,)>(AssertSqlSafe(sql));
                let (id,) = bind_new(q, t, by, now)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(db_err)?;
                created.push((id, i));
                Some(id)
            }
        };
    }
    for chunk in created.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO task_events (task_id, at, by_user, action, details) VALUES {}",
            values_clause(chunk.len(), 5, 1)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).persistent(false);
        for &(id, i) in chunk {
            let t = &tasks[i];
            q = q
                .bind(id)
                .bind(now)
                .bind(by)
                .bind("created")
                .bind(json!({"kind": t.kind.code(), "assignee": t.assignee_id}).to_string());
        }
        q.execute(&mut *conn).await.map_err(db_err)?;
    }
    let mut wanted: Vec<Id> = ids.iter().flatten().copied().collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut read: HashMap<Id, Task> = HashMap::with_capacity(wanted.len());
    for chunk in wanted.chunks(MAX_PARAMS) {
        let sql = format!(
            "SELECT {TASK_COLS} FROM {TASK_FROM} WHERE t.id IN ({})",
            list_clause(chunk.len(), 1)
        );
        let mut q = sqlx::query_as::<_, TaskRow>(AssertSqlSafe(sql)).persistent(false);
        for id in chunk {
            q = q.bind(id);
        }
        for row in q.fetch_all(&mut *conn).await.map_err(db_err)? {
            let t = row.into_task()?;
            read.insert(t.id, t);
        }
    }
    ids.into_iter()
        .enumerate()
        .map(|(i, id)| {
            id.and_then(|id| read.get(&id).cloned())
                .ok_or_else(|| StoreError::NotFound(format!("task {i}")))
        })
        .collect()
}

/// The history's name for a change.
fn action_of(before: &Task, after: &Task) -> &'static str {
    match (before.status, after.status) {
        (a, b) if a == b && before.assignee_id != after.assignee_id => "assigned",
        (a, b) if a == b => "changed",
        (_, TaskStatus::InProgress) => "started",
        (_, TaskStatus::Done) => "done",
        (_, TaskStatus::CannotDo) => "cannot_do",
        (_, TaskStatus::Cancelled) => "cancelled",
        (_, TaskStatus::Open) => "reopened",
    }
}

fn diff(before: &Task, after: &Task) -> Value {
    let mut out = serde_json::Map::new();
    let mut put = |k: &str, a: Value, b: Value| {
        if a != b {
            out.insert(k.into(), json!([a, b]));
        }
    };
    put(
        "status",
        json!(before.status.code()),
        json!(after.status.code()),
    );
    put(
        "assignee",
        json!(before.assignee_id),
        json!(after.assignee_id),
    );
    put("outcome", json!(before.outcome), json!(after.outcome));
    put(
        "outcome_note",
        json!(before.outcome_note),
        json!(after.outcome_note),
    );
    put(
        "due_at",
        json!(before.due_at.map(|d| d.unix_timestamp())),
        json!(after.due_at.map(|d| d.unix_timestamp())),
    );
    put(
        "priority",
        json!(before.priority.code()),
        json!(after.priority.code()),
    );
    Value::Object(out)
}

#[async_trait]
impl Tasks for SqlStore {
    async fn create_tasks(
        &self,
        tasks: &[NewTask],
        by: &str,
        audit: Audit<Vec<Task>>,
    ) -> StoreResult<Vec<Task>> {
        let tasks = tasks.to_vec();
        let by = by.to_string();
        self.write(audit, move |c| {
            Box::pin(async move { insert_tasks(c, &tasks, &by).await })
        })
        .await
    }

    async fn task(&self, id: Id) -> StoreResult<Option<Task>> {
        let mut c = self.pool().acquire().await.map_err(db_err)?;
        read_task(&mut c, id).await
    }

    async fn tasks(&self, q: &TaskQuery) -> StoreResult<Page<Task>> {
        let mut conds: Vec<String> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        let mut id_bind: Option<(usize, i64)> = None;
        let mut time_binds: Vec<OffsetDateTime> = Vec::new();
        let mut n = 0usize;
        if let Some(area) = &q.area {
            let (a, b, c) = subtree_bounds(area);
            conds.push(format!(
                "(t.area_path = ${} OR (t.area_path >= ${} AND t.area_path < ${}))",
                n + 1,
                n + 2,
                n + 3
            ));
            binds.extend([a, b, c]);
            n += 3;
        }
        if let Some(k) = q.kind {
            n += 1;
            conds.push(format!("t.kind = ${n}"));
            binds.push(k.code().to_string());
        }
        if !q.statuses.is_empty() {
            let mut marks = Vec::new();
            for s in &q.statuses {
                n += 1;
                marks.push(format!("${n}"));
                binds.push(s.code().to_string());
            }
            conds.push(format!("t.status IN ({})", marks.join(", ")));
        }
        if q.unassigned {
            conds.push("t.assignee_id IS NULL".into());
        }
        // Typed binds go after the text ones.
        if let Some(a) = q.assignee_id {
            n += 1;
            conds.push(format!("t.assignee_id = ${n}"));
            id_bind = Some((n, a));
        }
        if let Some(d) = q.due_before {
            n += 1;
            conds.push(format!("t.due_at < ${n}"));
            time_binds.push(utc(d));
        }
        if let Some(day) = q.day {
            // As `store/sql/daily.rs` counts `tasks.done` and `tasks.overdue`.
            let (cond, a, b) = match day {
                TaskDay::Created { from, to } => {
                    ("t.created_at >= $A AND t.created_at < $B", from, to)
                }
                TaskDay::Due { from, to } => ("t.due_at >= $A AND t.due_at < $B", from, to),
                TaskDay::Done { from, to } => (
                    "t.status = 'done' AND t.updated_at >= $A AND t.updated_at < $B",
                    from,
                    to,
                ),
                TaskDay::Overdue { by, to } => (
                    "t.due_at < $A AND t.created_at < $B \
                     AND (t.status IN ('open', 'in_progress') OR t.updated_at >= $A)",
                    by,
                    to,
                ),
            };
            conds.push(
                cond.replace("$A", &format!("${}", n + 1))
                    .replace("$B", &format!("${}", n + 2)),
            );
            time_binds.extend([utc(a), utc(b)]);
        }
        let filter = if conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conds.join(" AND "))
        };
        let count_sql = format!("SELECT COUNT(*) FROM tasks t {filter}");
        // Not kept as prepared statements: after five runs PostgreSQL may plan a kept one
        // generically, not knowing that a community's path range holds 200,000 tasks, and
        // its generic plan (a bitmap heap scan) took three times the custom one.
        let mut cq = sqlx::query_as::<_, (i64,)>(AssertSqlSafe(count_sql)).persistent(false);
        for b in &binds {
            cq = cq.bind(b);
        }
        if let Some((_, a)) = id_bind {
            cq = cq.bind(a);
        }
        for d in &time_binds {
            cq = cq.bind(*d);
        }
        let (total,) = cq.fetch_one(self.pool()).await.map_err(db_err)?;
        // The page's ids first, from the board index alone (tasks_board covers every filter
        // and the order), then only their rows: sorting 200,000 whole rows for 50 cost 0.5 s.
        let order = "ORDER BY CASE WHEN t.due_at IS NULL THEN 1 ELSE 0 END, t.due_at, t.id";
        let sql = format!(
            "SELECT {TASK_COLS} FROM {TASK_FROM} WHERE t.id IN \
             (SELECT t.id FROM tasks t {filter} {order} LIMIT {} OFFSET {}) {order}",
            q.page.limit, q.page.offset
        );
        let mut lq = sqlx::query_as::<_, TaskRow>(AssertSqlSafe(sql)).persistent(false);
        for b in &binds {
            lq = lq.bind(b);
        }
        if let Some((_, a)) = id_bind {
            lq = lq.bind(a);
        }
        for d in &time_binds {
            lq = lq.bind(*d);
        }
        let rows = lq.fetch_all(self.pool()).await.map_err(db_err)?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(TaskRow::into_task)
                .collect::<StoreResult<_>>()?,
            total,
        })
    }

    async fn update_task(
        &self,
        id: Id,
        change: &TaskChange,
        by: &str,
        audit: Audit<(Task, Task)>,
    ) -> StoreResult<Task> {
        let change = change.clone();
        let by = by.to_string();
        let (_, after) = self
            .write(audit, move |c| {
                Box::pin(async move {
                    let before = read_task_to_change(c, id)
                        .await?
                        .ok_or_else(|| StoreError::NotFound(format!("task {id}")))?;
                    if change.from.is_some_and(|f| f != before.status) {
                        return Err(StoreError::Conflict("task_changed".into()));
                    }
                    let status = change.status.unwrap_or(before.status);
                    if status != before.status && !before.status.may_become(status) {
                        return Err(StoreError::Conflict("task_closed".into()));
                    }
                    if status == before.status && !before.status.is_active() {
                        // A closed task keeps its assignee, outcome and dates.
                        return Err(StoreError::Conflict("task_closed".into()));
                    }
                    let assignee = change.assignee_id.unwrap_or(before.assignee_id);
                    let outcome = change.outcome.clone().or(before.outcome.clone());
                    let note = change
                        .outcome_note
                        .clone()
                        .unwrap_or(before.outcome_note.clone());
                    let due = change.due_at.unwrap_or(before.due_at);
                    let priority = change.priority.unwrap_or(before.priority);
                    sqlx::query(
                        "UPDATE tasks SET status = $1, assignee_id = $2, outcome = $3, outcome_note = $4, due_at = $5, \
                         priority = $6, updated_at = $7 WHERE id = $8",
                    )
                    .bind(status.code())
                    .bind(assignee)
                    .bind(&outcome)
                    .bind(&note)
                    .bind(due)
                    .bind(priority.code())
                    .bind(OffsetDateTime::now_utc())
                    .bind(id)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err)?;
                    let after = read_task(c, id)
                        .await?
                        .ok_or_else(|| StoreError::NotFound(format!("task {id}")))?;
                    event(c, id, &by, action_of(&before, &after), &diff(&before, &after)).await?;
                    Ok((before, after))
                })
            })
            .await?;
        Ok(after)
    }

    async fn task_events(&self, id: Id) -> StoreResult<Vec<TaskEvent>> {
        let rows: Vec<(OffsetDateTime, String, String, String)> = sqlx::query_as(
            "SELECT at, by_user, action, details FROM task_events WHERE task_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        rows.into_iter()
            .map(|(at, by, action, details)| {
                Ok(TaskEvent {
                    at,
                    by,
                    action,
                    details: serde_json::from_str(&details)
                        .map_err(|_| corrupt("task event", &details))?,
                })
            })
            .collect()
    }

    async fn task_routes(&self) -> StoreResult<Vec<(TaskKind, Vec<Duty>)>> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT kind, duty FROM task_routes ORDER BY kind, position")
                .fetch_all(self.pool())
                .await
                .map_err(db_err)?;
        let mut out: Vec<(TaskKind, Vec<Duty>)> = Vec::new();
        for (kind, duty) in rows {
            let kind = TaskKind::from_stored(&kind).ok_or_else(|| corrupt("task kind", &kind))?;
            let duty = Duty::from_stored(&duty).ok_or_else(|| corrupt("duty", &duty))?;
            match out.last_mut() {
                Some((k, d)) if *k == kind => d.push(duty),
                _ => out.push((kind, vec![duty])),
            }
        }
        Ok(out)
    }

    async fn set_task_route(
        &self,
        kind: TaskKind,
        duties: &[Duty],
        audit: Audit<()>,
    ) -> StoreResult<()> {
        let duties = duties.to_vec();
        self.write(audit, move |c| {
            Box::pin(async move {
                sqlx::query("DELETE FROM task_routes WHERE kind = $1")
                    .bind(kind.code())
                    .execute(&mut *c)
                    .await
                    .map_err(db_err)?;
                for (i, d) in duties.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO task_routes (kind, position, duty) VALUES ($1, $2, $3)",
                    )
                    .bind(kind.code())
                    .bind(i as i64)
                    .bind(d.code())
                    .execute(&mut *c)
                    .await
                    .map_err(db_err)?;
                }
                Ok(())
            })
        })
        .await
    }
}
