//! [`doorstep_store::Checkpoints`] over `checkpoints`, `checkpoint_shifts` (with their tasks)
//! and `checkpoint_passages`.

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_core::checkpoints::{Direction, Hold, SubjectKind, Verdict};
use doorstep_core::task::TaskStatus;
use doorstep_store::*;
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use super::SqlStore;
use super::util::{Conn, corrupt, db_err, utc, within};

#[derive(sqlx::FromRow)]
struct CheckpointRow {
    id: i64,
    area_id: i64,
    area_path: String,
    name: String,
    created_by: String,
    created_at: OffsetDateTime,
}

impl From<CheckpointRow> for Checkpoint {
    fn from(r: CheckpointRow) -> Self {
        Checkpoint {
            id: r.id,
            area_id: r.area_id,
            area_path: AreaPath::from_stored(r.area_path),
            name: r.name,
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

const CP_COLS: &str = "id, area_id, area_path, name, created_by, created_at";

async fn read_checkpoint(conn: &mut Conn, id: Id) -> StoreResult<Option<Checkpoint>> {
    let sql = format!("SELECT {CP_COLS} FROM checkpoints WHERE id = $1");
    Ok(sqlx::query_as::<_, CheckpointRow>(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .map(Checkpoint::from))
}

const PASSAGE_COLS: &str = "p.id, p.checkpoint_id, p.area_path, p.subject, p.person_id, \
     COALESCE(s.name, p.visitor_name) AS name, s.id_number, h.address, p.plate, p.direction, \
     p.reason, p.temperature, p.verdict, p.holds, p.allowed_by, p.exception_reason, \
     p.recorded_by, p.at";
const PASSAGE_FROM: &str = "checkpoint_passages p LEFT JOIN persons s ON s.id = p.person_id \
     LEFT JOIN households h ON h.id = s.household_id";

#[derive(sqlx::FromRow)]
struct PassageRow {
    id: i64,
    checkpoint_id: i64,
    area_path: String,
    subject: String,
    person_id: Option<i64>,
    name: Option<String>,
    id_number: Option<String>,
    address: Option<String>,
    plate: Option<String>,
    direction: String,
    reason: String,
    temperature: Option<i32>,
    verdict: String,
    holds: String,
    allowed_by: Option<String>,
    exception_reason: Option<String>,
    recorded_by: String,
    at: OffsetDateTime,
}

impl PassageRow {
    fn into_passage(self) -> StoreResult<Passage> {
        let holds = self
            .holds
            .split(',')
            .filter(|h| !h.is_empty())
            .map(|h| Hold::parse(h).ok_or_else(|| corrupt("checkpoint hold", h)))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Passage {
            id: self.id,
            checkpoint_id: self.checkpoint_id,
            area_path: AreaPath::from_stored(self.area_path),
            subject: SubjectKind::parse(&self.subject)
                .ok_or_else(|| corrupt("passage subject", &self.subject))?,
            person_id: self.person_id,
            name: self.name,
            id_number: self.id_number,
            address: self.address,
            plate: self.plate,
            direction: Direction::parse(&self.direction)
                .ok_or_else(|| corrupt("direction", &self.direction))?,
            reason: self.reason,
            temperature: self.temperature.and_then(|t| u16::try_from(t).ok()),
            verdict: Verdict::parse(&self.verdict)
                .ok_or_else(|| corrupt("verdict", &self.verdict))?,
            holds,
            allowed_by: self.allowed_by,
            exception_reason: self.exception_reason,
            recorded_by: self.recorded_by,
            at: self.at,
        })
    }
}

async fn read_passage(conn: &mut Conn, id: Id) -> StoreResult<Passage> {
    let sql = format!("SELECT {PASSAGE_COLS} FROM {PASSAGE_FROM} WHERE p.id = $1");
    sqlx::query_as::<_, PassageRow>(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .ok_or_else(|| StoreError::NotFound(format!("passage {id}")))?
        .into_passage()
}

async fn record(conn: &mut Conn, n: &NewPassage) -> StoreResult<Idempotent<Passage>> {
    let holds = n
        .holds
        .iter()
        .map(|h| h.code())
        .collect::<Vec<_>>()
        .join(",");
    let made: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO checkpoint_passages (checkpoint_id, area_path, client_id, body_hash, subject, \
         person_id, visitor_name, plate, direction, reason, temperature, verdict, holds, \
         allowed_by, exception_reason, recorded_by, china_hour, at) VALUES ($1, $2, $3, $4, $5, \
         $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
         ON CONFLICT (checkpoint_id, client_id) DO NOTHING RETURNING id",
    )
    .bind(n.checkpoint_id)
    .bind(n.area_path.as_str())
    .bind(&n.client_id)
    .bind(&n.body_hash)
    .bind(n.subject.code())
    .bind(n.person_id)
    .bind(n.visitor_name.clone())
    .bind(n.plate.clone())
    .bind(n.direction.code())
    .bind(&n.reason)
    .bind(n.temperature.map(i32::from))
    .bind(n.verdict.code())
    .bind(holds)
    .bind(n.allowed_by.clone())
    .bind(n.exception_reason.clone())
    .bind(&n.recorded_by)
    .bind(&n.china_hour)
    .bind(utc(n.at))
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    if let Some((id,)) = made {
        return Ok(Idempotent::Created(read_passage(conn, id).await?));
    }
    let (id, stored): (i64, String) = sqlx::query_as(
        "SELECT id, body_hash FROM checkpoint_passages WHERE checkpoint_id = $1 AND client_id = $2",
    )
    .bind(n.checkpoint_id)
    .bind(&n.client_id)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)?;
    // The same id with another body answers nothing of the first (core::idempotency).
    if stored != n.body_hash {
        return Ok(Idempotent::KeyReused);
    }
    Ok(Idempotent::Replayed(read_passage(conn, id).await?))
}

#[async_trait]
impl Checkpoints for SqlStore {
    async fn create_checkpoint(
        &self,
        new: &NewCheckpoint,
        audit: Audit<Checkpoint>,
    ) -> StoreResult<Checkpoint> {
        let new = new.clone();
        self.write(audit, move |c| {
            Box::pin(async move {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO checkpoints (area_id, area_path, name, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(new.area_id)
                .bind(new.area_path.as_str())
                .bind(&new.name)
                .bind(&new.by)
                .bind(utc(new.at))
                .fetch_one(&mut *c)
                .await
                .map_err(db_err)?;
                read_checkpoint(c, id)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("checkpoint {id}")))
            })
        })
        .await
    }

    async fn checkpoint(&self, id: Id) -> StoreResult<Option<Checkpoint>> {
        let mut c = self.pool().acquire().await.map_err(db_err)?;
        read_checkpoint(&mut c, id).await
    }

    async fn checkpoints(&self, area: Option<&AreaPath>) -> StoreResult<Vec<Checkpoint>> {
        let (cond, (a, b, c)) = within("area_path", 1, area);
        let sql = format!(
            "SELECT {CP_COLS} FROM checkpoints WHERE {cond} ORDER BY area_path, name, id LIMIT 1000"
        );
        Ok(sqlx::query_as::<_, CheckpointRow>(AssertSqlSafe(sql))
            .bind(a)
            .bind(b)
            .bind(c)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(Checkpoint::from)
            .collect())
    }

    async fn add_shift(
        &self,
        checkpoint_id: Id,
        task_id: Id,
        starts_at: OffsetDateTime,
        ends_at: OffsetDateTime,
    ) -> StoreResult<()> {
        self.write(no_audit(), move |c| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO checkpoint_shifts (task_id, checkpoint_id, starts_at, ends_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (task_id) DO NOTHING",
                )
                .bind(task_id)
                .bind(checkpoint_id)
                .bind(utc(starts_at))
                .bind(utc(ends_at))
                .execute(&mut *c)
                .await
                .map_err(db_err)?;
                Ok(())
            })
        })
        .await
    }

    async fn shifts(&self, checkpoint_id: Id, since: OffsetDateTime) -> StoreResult<Vec<Shift>> {
        let rows: Vec<(
            i64,
            i64,
            OffsetDateTime,
            OffsetDateTime,
            Option<String>,
            String,
        )> = sqlx::query_as(
            "SELECT f.task_id, f.checkpoint_id, f.starts_at, f.ends_at, s.name, t.status \
                 FROM checkpoint_shifts f JOIN tasks t ON t.id = f.task_id \
                 LEFT JOIN staff s ON s.id = t.assignee_id \
                 WHERE f.checkpoint_id = $1 AND f.ends_at > $2 ORDER BY f.starts_at, f.task_id \
                 LIMIT 200",
        )
        .bind(checkpoint_id)
        .bind(utc(since))
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        rows.into_iter()
            .map(
                |(task_id, checkpoint_id, starts_at, ends_at, assignee, status)| {
                    Ok(Shift {
                        task_id,
                        checkpoint_id,
                        starts_at,
                        ends_at,
                        assignee,
                        status: TaskStatus::from_stored(&status)
                            .ok_or_else(|| corrupt("task status", &status))?,
                    })
                },
            )
            .collect()
    }

    async fn record_passage(
        &self,
        new: &NewPassage,
        audit: Audit<Idempotent<Passage>>,
    ) -> StoreResult<Idempotent<Passage>> {
        let new = new.clone();
        self.write(audit, move |c| {
            Box::pin(async move { record(c, &new).await })
        })
        .await
    }

    async fn passages(&self, checkpoint_id: Id, limit: u32) -> StoreResult<Vec<Passage>> {
        let sql = format!(
            "SELECT {PASSAGE_COLS} FROM {PASSAGE_FROM} WHERE p.checkpoint_id = $1 \
             ORDER BY p.id DESC LIMIT $2"
        );
        sqlx::query_as::<_, PassageRow>(AssertSqlSafe(sql))
            .bind(checkpoint_id)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(PassageRow::into_passage)
            .collect()
    }

    async fn passage_counts(
        &self,
        area: Option<&AreaPath>,
        from_hour: &str,
        to_hour: &str,
    ) -> StoreResult<Vec<HourCount>> {
        let (cond, (a, b, c)) = within("area_path", 3, area);
        let sql = format!(
            "SELECT checkpoint_id, china_hour, direction, verdict, COUNT(*) AS n \
             FROM checkpoint_passages WHERE china_hour >= $1 AND china_hour <= $2 AND {cond} \
             GROUP BY checkpoint_id, china_hour, direction, verdict \
             ORDER BY checkpoint_id, china_hour"
        );
        let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(from_hour)
            .bind(to_hour)
            .bind(a)
            .bind(b)
            .bind(c)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?;
        rows.into_iter()
            .map(|(checkpoint_id, china_hour, d, v, count)| {
                Ok(HourCount {
                    checkpoint_id,
                    china_hour,
                    direction: Direction::parse(&d).ok_or_else(|| corrupt("direction", &d))?,
                    verdict: Verdict::parse(&v).ok_or_else(|| corrupt("verdict", &v))?,
                    count,
                })
            })
            .collect()
    }
}
