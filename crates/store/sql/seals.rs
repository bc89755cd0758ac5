//! [`doorstep_store::Seals`] over `area_seals`.

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_store::*;
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use super::SqlStore;
use super::util::{Conn, already_done, db_err, is_already_done, utc, within};

const COLS: &str =
    "id, area_id, area_path, reason, sealed_by, sealed_at, lifted_by, lifted_at FROM area_seals";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    area_id: i64,
    area_path: String,
    reason: String,
    sealed_by: String,
    sealed_at: OffsetDateTime,
    lifted_by: Option<String>,
    lifted_at: Option<OffsetDateTime>,
}

impl From<Row> for Seal {
    fn from(r: Row) -> Seal {
        Seal {
            id: r.id,
            area_id: r.area_id,
            area_path: AreaPath::from_stored(r.area_path),
            reason: r.reason,
            sealed_by: r.sealed_by,
            sealed_at: r.sealed_at,
            lifted: r.lifted_by.zip(r.lifted_at),
        }
    }
}

async fn read(conn: &mut Conn, id: Id) -> StoreResult<Option<Seal>> {
    let sql = format!("SELECT {COLS} WHERE id = $1");
    Ok(sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .map(Seal::from))
}

#[async_trait]
impl Seals for SqlStore {
    async fn seal_area(&self, seal: &NewSeal, audit: Audit<Seal>) -> StoreResult<Seal> {
        let seal = seal.clone();
        self.write(audit, move |c| {
            Box::pin(async move {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO area_seals (area_id, area_path, reason, sealed_by, sealed_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(seal.area_id)
                .bind(seal.area_path.as_str())
                .bind(&seal.reason)
                .bind(&seal.by)
                .bind(utc(seal.at))
                .fetch_one(&mut *c)
                .await
                .map_err(db_err)?;
                read(c, id)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("seal {id}")))
            })
        })
        .await
    }

    async fn lift_seal(
        &self,
        id: Id,
        by: &str,
        at: OffsetDateTime,
        audit: Audit<Seal>,
    ) -> StoreResult<Option<Seal>> {
        if let Some(s) = self.seal(id).await?
            && s.lifted.is_some()
        {
            return Ok(Some(s));
        }
        let by = by.to_string();
        let lifted = self
            .write(audit, move |c| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE area_seals SET lifted_by = $1, lifted_at = $2 \
                         WHERE id = $3 AND lifted_at IS NULL",
                    )
                    .bind(&by)
                    .bind(utc(at))
                    .bind(id)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                    // Lifted by a write that committed after the check above (or gone):
                    // answered as it is, without a second entry.
                    if done == 0 {
                        return Err(already_done());
                    }
                    read(c, id)
                        .await?
                        .ok_or_else(|| StoreError::NotFound(format!("seal {id}")))
                })
            })
            .await;
        match lifted {
            Ok(s) => Ok(Some(s)),
            Err(e) if is_already_done(&e) => self.seal(id).await,
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn seal(&self, id: Id) -> StoreResult<Option<Seal>> {
        let mut c = self.pool().acquire().await.map_err(db_err)?;
        read(&mut c, id).await
    }

    async fn seals(&self, area: Option<&AreaPath>, active_only: bool) -> StoreResult<Vec<Seal>> {
        let active = if active_only {
            " AND lifted_at IS NULL"
        } else {
            ""
        };
        let (under, (a, b, c)) = within("area_path", 1, area);
        let sql = format!(
            "SELECT {COLS} WHERE {under}{active} \
             ORDER BY CASE WHEN lifted_at IS NULL THEN 0 ELSE 1 END, id DESC LIMIT 500"
        );
        Ok(sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .bind(a)
            .bind(b)
            .bind(c)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(Seal::from)
            .collect())
    }

    async fn seal_over(&self, path: &AreaPath) -> StoreResult<Option<Seal>> {
        // The path and every area above it: at most eight levels (district to room).
        let mut paths: Vec<String> = std::iter::successors(Some(path.clone()), AreaPath::parent)
            .map(|p| p.as_str().to_string())
            .collect();
        paths.resize(8, String::new());
        let sql = format!(
            "SELECT {COLS} WHERE lifted_at IS NULL AND area_path IN ($1, $2, $3, $4, $5, $6, $7, $8) \
             ORDER BY id LIMIT 1"
        );
        let mut q = sqlx::query_as::<_, Row>(AssertSqlSafe(sql));
        for p in paths {
            q = q.bind(p);
        }
        Ok(q.fetch_optional(self.pool())
            .await
            .map_err(db_err)?
            .map(Seal::from))
    }
}
