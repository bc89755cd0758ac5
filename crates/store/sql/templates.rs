//! [`doorstep_store::Templates`] over `export_templates` (columns as a JSON array of
//! `{header, field, map}`).

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_store::*;
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use super::SqlStore;
use super::util::{Conn, db_err, utc, within};

const COLS: &str = "id, area_path, name, kind, columns, created_by, updated_by, updated_at \
                    FROM export_templates";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    area_path: String,
    name: String,
    kind: String,
    columns: String,
    created_by: String,
    updated_by: String,
    updated_at: OffsetDateTime,
}

impl From<Row> for StoredTemplate {
    fn from(r: Row) -> StoredTemplate {
        StoredTemplate {
            id: r.id,
            area_path: AreaPath::from_stored(r.area_path),
            name: r.name,
            kind: r.kind,
            // Written by this module from validated columns: unreadable only if edited by hand,
            // and then the template shows no columns rather than failing every list.
            columns: serde_json::from_str(&r.columns).unwrap_or_default(),
            created_by: r.created_by,
            updated_by: r.updated_by,
            updated_at: r.updated_at,
        }
    }
}

fn columns_json(t: &NewTemplate) -> StoreResult<String> {
    serde_json::to_string(&t.columns).map_err(|e| StoreError::Other(Box::new(e)))
}

async fn read(conn: &mut Conn, id: Id) -> StoreResult<Option<StoredTemplate>> {
    let sql = format!("SELECT {COLS} WHERE id = $1");
    Ok(sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .map(StoredTemplate::from))
}

#[async_trait]
impl Templates for SqlStore {
    async fn create_template(
        &self,
        template: &NewTemplate,
        audit: Audit<StoredTemplate>,
    ) -> StoreResult<StoredTemplate> {
        let (t, columns) = (template.clone(), columns_json(template)?);
        self.write(audit, move |c| {
            Box::pin(async move {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO export_templates \
                     (area_path, name, kind, columns, created_by, created_at, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $5, $6) RETURNING id",
                )
                .bind(t.area_path.as_str())
                .bind(&t.name)
                .bind(&t.kind)
                .bind(&columns)
                .bind(&t.by)
                .bind(utc(t.at))
                .fetch_one(&mut *c)
                .await
                .map_err(db_err)?;
                read(c, id)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("template {id}")))
            })
        })
        .await
    }

    async fn update_template(
        &self,
        id: Id,
        template: &NewTemplate,
        audit: Audit<StoredTemplate>,
    ) -> StoreResult<Option<StoredTemplate>> {
        let (t, columns) = (template.clone(), columns_json(template)?);
        let saved = self
            .write(audit, move |c| {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE export_templates SET name = $1, kind = $2, columns = $3, \
                         updated_by = $4, updated_at = $5 WHERE id = $6",
                    )
                    .bind(&t.name)
                    .bind(&t.kind)
                    .bind(&columns)
                    .bind(&t.by)
                    .bind(utc(t.at))
                    .bind(id)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err)?;
                    read(c, id)
                        .await?
                        .ok_or_else(|| StoreError::NotFound(format!("template {id}")))
                })
            })
            .await;
        match saved {
            Ok(t) => Ok(Some(t)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn delete_template(&self, id: Id, audit: Audit<()>) -> StoreResult<bool> {
        let gone = self
            .write(audit, move |c| {
                Box::pin(async move {
                    let n = sqlx::query("DELETE FROM export_templates WHERE id = $1")
                        .bind(id)
                        .execute(&mut *c)
                        .await
                        .map_err(db_err)?
                        .rows_affected();
                    if n == 0 {
                        // Nothing deleted: no audit entry either.
                        return Err(StoreError::NotFound(format!("template {id}")));
                    }
                    Ok(())
                })
            })
            .await;
        match gone {
            Ok(()) => Ok(true),
            Err(StoreError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn template(&self, id: Id) -> StoreResult<Option<StoredTemplate>> {
        let mut c = self.pool().acquire().await.map_err(db_err)?;
        read(&mut c, id).await
    }

    async fn templates_for(&self, area: Option<&AreaPath>) -> StoreResult<Vec<StoredTemplate>> {
        let (under, (a, b, c)) = within("area_path", 1, area);
        // The area and every area above it: at most eight levels (district to room).
        let mut above: Vec<String> = std::iter::successors(area.cloned(), AreaPath::parent)
            .map(|p| p.as_str().to_string())
            .collect();
        above.resize(8, String::new());
        let sql = format!(
            "SELECT {COLS} WHERE {under} OR area_path IN ($4, $5, $6, $7, $8, $9, $10, $11) \
             ORDER BY area_path, name"
        );
        let mut q = sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .bind(a)
            .bind(b)
            .bind(c);
        for p in above {
            q = q.bind(p);
        }
        Ok(q.fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(StoredTemplate::from)
            .collect())
    }
}
