//! [`doorstep_store::Templates`] over `export_templates` (columns as a JSON array of
//! `{header, field, map}`).

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_core::testing::{SampleMode, TubeResult};
use doorstep_store::*;
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use super::SqlStore;
use super::rows::{PERSON_COLS, PersonRow};
use super::util::{Conn, corrupt, db_err, subtree_bounds, utc, within};

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

    async fn test_results_after(
        &self,
        area: &AreaPath,
        after: Id,
        limit: u32,
    ) -> StoreResult<Vec<TestResultRow>> {
        let (a, b, c) = subtree_bounds(area);
        let sql = format!(
            "SELECT s.id AS sample_id, {PERSON_COLS}, r.name AS round_name, t.code AS tube, \
             t.mode, s.retest, s.by_user, s.at AS sampled_at, t.result, t.result_at, x.lab \
             FROM samples s JOIN tubes t ON t.id = s.tube_id JOIN rounds r ON r.id = s.round_id \
             LEFT JOIN boxes x ON x.id = t.box_id \
             JOIN persons p ON p.id = s.person_id JOIN households h ON h.id = p.household_id \
             JOIN areas ha ON ha.id = h.area_id \
             WHERE (s.area_path = $1 OR (s.area_path >= $2 AND s.area_path < $3)) AND s.id > $4 \
             ORDER BY s.id LIMIT $5"
        );
        sqlx::query_as::<_, SampleRow>(AssertSqlSafe(sql))
            .bind(a)
            .bind(b)
            .bind(c)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(SampleRow::into_row)
            .collect()
    }

    async fn call_outcomes_after(
        &self,
        area: &AreaPath,
        after: Id,
        limit: u32,
    ) -> StoreResult<Vec<CallOutcomeRow>> {
        super::lists::call_outcomes_after(self.pool(), area, after, limit).await
    }
}

/// A sample with its person, round, tube and box.
#[derive(sqlx::FromRow)]
struct SampleRow {
    sample_id: i64,
    #[sqlx(flatten)]
    person: PersonRow,
    round_name: String,
    tube: String,
    mode: String,
    retest: bool,
    by_user: String,
    sampled_at: OffsetDateTime,
    result: Option<String>,
    result_at: Option<OffsetDateTime>,
    lab: Option<String>,
}

impl SampleRow {
    fn into_row(self) -> StoreResult<TestResultRow> {
        let result = match self.result.as_deref() {
            None => None,
            Some(r) => Some(TubeResult::parse(r).ok_or_else(|| corrupt("tube result", r))?),
        };
        Ok(TestResultRow {
            sample_id: self.sample_id,
            person: self.person.into_person()?,
            round: self.round_name,
            tube: self.tube,
            mode: SampleMode::parse(&self.mode).ok_or_else(|| corrupt("tube mode", &self.mode))?,
            retest: self.retest,
            sampled_by: self.by_user,
            sampled_at: self.sampled_at,
            result,
            result_at: self.result_at,
            lab: self.lab,
        })
    }
}
