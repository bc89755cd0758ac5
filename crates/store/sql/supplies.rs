//! [`doorstep_store::Supplies`] over `supply_requests`, read with their delivery tasks.

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_core::supplies::{SupplyKind, Urgency};
use doorstep_core::task::TaskStatus;
use doorstep_store::*;
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use super::SqlStore;
use super::util::{Conn, corrupt, db_err, utc, within};

const COLS: &str = "r.id, r.household_id, h.address, r.area_path, r.kind, r.detail, r.urgency, r.asked_by, \
     r.due_at, r.created_at, t.id AS task_id, t.status AS task_status, s.name AS assignee, t.outcome, \
     t.outcome_note, t.updated_at AS task_updated_at, \
     (SELECT e.by_user FROM task_events e WHERE e.task_id = t.id \
      AND e.action IN ('done', 'cannot_do', 'cancelled') ORDER BY e.id DESC LIMIT 1) AS closed_by";
const FROM: &str = "supply_requests r JOIN households h ON h.id = r.household_id \
     LEFT JOIN tasks t ON t.id = r.task_id LEFT JOIN staff s ON s.id = t.assignee_id";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    household_id: i64,
    address: String,
    area_path: String,
    kind: String,
    detail: String,
    urgency: String,
    asked_by: Option<String>,
    due_at: OffsetDateTime,
    created_at: OffsetDateTime,
    task_id: Option<i64>,
    task_status: Option<String>,
    assignee: Option<String>,
    outcome: Option<String>,
    outcome_note: Option<String>,
    task_updated_at: Option<OffsetDateTime>,
    closed_by: Option<String>,
}

impl Row {
    fn into_request(self) -> StoreResult<SupplyRequest> {
        let task = match (self.task_id, self.task_status, self.task_updated_at) {
            (Some(id), Some(status), Some(updated_at)) => Some(SupplyTask {
                id,
                status: TaskStatus::from_stored(&status)
                    .ok_or_else(|| corrupt("task status", &status))?,
                assignee: self.assignee,
                outcome: self.outcome,
                outcome_note: self.outcome_note.unwrap_or_default(),
                closed_by: self.closed_by,
                updated_at,
            }),
            _ => None,
        };
        Ok(SupplyRequest {
            id: self.id,
            household_id: self.household_id,
            address: self.address,
            area_path: AreaPath::from_stored(self.area_path),
            kind: SupplyKind::parse(&self.kind)
                .ok_or_else(|| corrupt("supply kind", &self.kind))?,
            detail: self.detail,
            urgency: Urgency::parse(&self.urgency)
                .ok_or_else(|| corrupt("urgency", &self.urgency))?,
            asked_by: self.asked_by,
            due_at: self.due_at,
            created_at: self.created_at,
            task,
        })
    }
}

async fn read(conn: &mut Conn, id: Id) -> StoreResult<Option<SupplyRequest>> {
    let sql = format!("SELECT {COLS} FROM {FROM} WHERE r.id = $1");
    sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .map(Row::into_request)
        .transpose()
}

async fn file(conn: &mut Conn, r: &NewSupplyRequest) -> StoreResult<Idempotent<SupplyRequest>> {
    let made: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO supply_requests (household_id, area_path, kind, detail, urgency, asked_by, \
         client_key, body_hash, due_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (household_id, client_key) DO NOTHING RETURNING id",
    )
    .bind(r.household_id)
    .bind(r.area_path.as_str())
    .bind(r.kind.code())
    .bind(&r.detail)
    .bind(r.urgency.code())
    .bind(r.asked_by.clone())
    .bind(&r.client_key)
    .bind(&r.body_hash)
    .bind(utc(r.due_at))
    .bind(utc(r.at))
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    if let Some((id,)) = made {
        let req = read(conn, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("supply request {id}")))?;
        return Ok(Idempotent::Created(req));
    }
    let (id, stored): (i64, String) = sqlx::query_as(
        "SELECT id, body_hash FROM supply_requests WHERE household_id = $1 AND client_key = $2",
    )
    .bind(r.household_id)
    .bind(&r.client_key)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)?;
    // The same key with another body answers nothing of the first (core::idempotency).
    if stored != r.body_hash {
        return Ok(Idempotent::KeyReused);
    }
    let req = read(conn, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("supply request {id}")))?;
    Ok(Idempotent::Replayed(req))
}

#[async_trait]
impl Supplies for SqlStore {
    async fn file_supply_request(
        &self,
        new: &NewSupplyRequest,
        audit: Audit<Idempotent<SupplyRequest>>,
    ) -> StoreResult<Idempotent<SupplyRequest>> {
        let new = new.clone();
        self.write(audit, move |c| Box::pin(async move { file(c, &new).await }))
            .await
    }

    async fn set_supply_task(&self, id: Id, task_id: Id) -> StoreResult<()> {
        self.write(no_audit(), move |c| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE supply_requests SET task_id = $1 WHERE id = $2 AND task_id IS NULL",
                )
                .bind(task_id)
                .bind(id)
                .execute(&mut *c)
                .await
                .map_err(db_err)?;
                Ok(())
            })
        })
        .await
    }

    async fn supply_request(&self, id: Id) -> StoreResult<Option<SupplyRequest>> {
        let mut c = self.pool().acquire().await.map_err(db_err)?;
        read(&mut c, id).await
    }

    async fn supply_requests_of_household(
        &self,
        household_id: Id,
    ) -> StoreResult<Vec<SupplyRequest>> {
        let sql = format!(
            "SELECT {COLS} FROM {FROM} WHERE r.household_id = $1 ORDER BY r.id DESC LIMIT 100"
        );
        sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .bind(household_id)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(Row::into_request)
            .collect()
    }

    async fn supply_requests(&self, q: &SupplyQuery) -> StoreResult<Vec<SupplyRequest>> {
        let open = if q.open_only {
            " AND (t.id IS NULL OR t.status IN ('open', 'in_progress'))"
        } else {
            ""
        };
        let (under, (a, b, c)) = within("r.area_path", 2, q.area.as_ref());
        // As `store/sql/daily.rs` counts `supplies.requested` and `supplies.delivered`.
        let (day, span) = match q.day {
            None => ("", None),
            Some(SupplyDay::Requested { from, to }) => (
                " AND r.created_at >= $5 AND r.created_at < $6",
                Some((from, to)),
            ),
            Some(SupplyDay::Delivered { from, to }) => (
                " AND t.status = 'done' AND t.outcome = 'delivered' \
                 AND t.updated_at >= $5 AND t.updated_at < $6",
                Some((from, to)),
            ),
        };
        let sql = format!(
            "SELECT {COLS} FROM {FROM} WHERE {under}{open}{day} ORDER BY r.due_at, r.id LIMIT $1"
        );
        let mut query = sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .bind(i64::from(q.limit))
            .bind(a)
            .bind(b)
            .bind(c);
        if let Some((from, to)) = span {
            query = query.bind(utc(from)).bind(utc(to));
        }
        query
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(Row::into_request)
            .collect()
    }
}
