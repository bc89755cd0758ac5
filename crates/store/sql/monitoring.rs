//! [`doorstep_store::Monitoring`] over `episodes`, `checkins`, `samples` and `daily_sweeps`.

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_store::*;
use sqlx::AssertSqlSafe;
use time::{Date, OffsetDateTime};

use super::SqlStore;
use super::episodes::{self, ymd};
use super::util::{db_err, list_clause, subtree_bounds, utc};

/// The measures a person is at home under.
const AT_HOME: &str = "('home_quarantine', 'home_health_monitoring')";

fn rows_to_episodes(rows: Vec<episodes::Row>) -> StoreResult<Vec<Episode>> {
    rows.into_iter().map(episodes::Row::into_episode).collect()
}

#[async_trait]
impl Monitoring for SqlStore {
    async fn episodes_on(&self, day: Date) -> StoreResult<Vec<Episode>> {
        let sql = format!(
            "SELECT {} FROM {} WHERE e.status = 'active' AND e.measure IN {AT_HOME} \
             AND e.starts_on <= $1 AND e.last_day >= $1 ORDER BY e.household_id, e.person_id",
            episodes::COLS,
            episodes::FROM
        );
        let rows = sqlx::query_as::<_, episodes::Row>(AssertSqlSafe(sql))
            .bind(ymd(day))
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?;
        rows_to_episodes(rows)
    }

    async fn sampled_between(
        &self,
        persons: &[Id],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> StoreResult<Vec<Id>> {
        let mut out = Vec::new();
        for chunk in persons.chunks(5_000) {
            // First samples and retests apart, each on its index led by the person
            // (`sample_once`, `samples_retest`); the binds once for each part, in order.
            let part = |retest: &str, start: usize| {
                let mut a = String::new();
                let mut b = String::new();
                crate::backend::placeholder(&mut a, start);
                crate::backend::placeholder(&mut b, start + 1);
                format!(
                    "SELECT person_id FROM samples WHERE retest = {retest} AND at >= {a} \
                     AND at < {b} AND person_id IN ({})",
                    list_clause(chunk.len(), start + 2)
                )
            };
            let sql = format!(
                "{} UNION {}",
                part("FALSE", 1),
                part("TRUE", chunk.len() + 3)
            );
            let mut q = sqlx::query_as::<_, (i64,)>(AssertSqlSafe(sql)).persistent(false);
            for _ in 0..2 {
                q = q.bind(utc(from)).bind(utc(to));
                for p in chunk {
                    q = q.bind(*p);
                }
            }
            out.extend(
                q.fetch_all(self.pool())
                    .await
                    .map_err(db_err)?
                    .into_iter()
                    .map(|(p,)| p),
            );
        }
        Ok(out)
    }

    async fn daily_sweep_done(&self, job: &str, day: Date) -> StoreResult<bool> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT job FROM daily_sweeps WHERE job = $1 AND on_day = $2")
                .bind(job)
                .bind(ymd(day))
                .fetch_optional(self.pool())
                .await
                .map_err(db_err)?;
        Ok(row.is_some())
    }

    async fn mark_daily_sweep(
        &self,
        job: &str,
        day: Date,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let job = job.to_string();
        self.write(no_audit(), move |c| {
            Box::pin(async move {
                let done = sqlx::query(
                    "INSERT INTO daily_sweeps (job, on_day, done_at) VALUES ($1, $2, $3) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(&job)
                .bind(ymd(day))
                .bind(utc(at))
                .execute(&mut *c)
                .await
                .map_err(db_err)?;
                Ok(done.rows_affected() == 1)
            })
        })
        .await
    }

    async fn episodes_ending(
        &self,
        area: &AreaPath,
        from: Date,
        to: Date,
    ) -> StoreResult<Vec<Episode>> {
        let (a, b, c) = subtree_bounds(area);
        let sql = format!(
            "SELECT {} FROM {} WHERE (e.area_path = $1 OR (e.area_path >= $2 AND e.area_path < $3)) \
             AND e.status = 'active' AND e.last_day >= $4 AND e.last_day <= $5 \
             ORDER BY e.area_path, h.room, e.person_id LIMIT 1000",
            episodes::COLS,
            episodes::FROM
        );
        let rows = sqlx::query_as::<_, episodes::Row>(AssertSqlSafe(sql))
            .bind(a)
            .bind(b)
            .bind(c)
            .bind(ymd(from))
            .bind(ymd(to))
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?;
        rows_to_episodes(rows)
    }

    async fn episode_areas(
        &self,
        area: &AreaPath,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<(AreaPath, i64)>> {
        let (a, b, c) = subtree_bounds(area);
        let rows: Vec<(String, i64)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT e.area_path, COUNT(DISTINCT e.household_id) FROM episodes e \
             WHERE (e.area_path = $1 OR (e.area_path >= $2 AND e.area_path < $3)) \
             AND e.status = 'active' AND e.measure IN {AT_HOME} AND e.ends_at > $4 \
             GROUP BY e.area_path ORDER BY e.area_path"
        )))
        .bind(a)
        .bind(b)
        .bind(c)
        .bind(utc(now))
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(p, n)| (AreaPath::from_stored(p), n))
            .collect())
    }

    async fn task_states(
        &self,
        source: &str,
        keys: &[String],
    ) -> StoreResult<Vec<(String, String)>> {
        let mut out = Vec::new();
        for chunk in keys.chunks(5_000) {
            let mut p = String::new();
            crate::backend::placeholder(&mut p, 1);
            let sql = format!(
                "SELECT source_key, status FROM tasks WHERE source = {p} AND source_key IN ({})",
                list_clause(chunk.len(), 2)
            );
            let mut q = sqlx::query_as::<_, (String, String)>(AssertSqlSafe(sql))
                .persistent(false)
                .bind(source.to_string());
            for k in chunk {
                q = q.bind(k.clone());
            }
            out.extend(q.fetch_all(self.pool()).await.map_err(db_err)?);
        }
        Ok(out)
    }

    async fn episode_counts(&self, area: &AreaPath, day: Date) -> StoreResult<EpisodeCounts> {
        let (a, b, c) = subtree_bounds(area);
        let under = "(e.area_path = $1 OR (e.area_path >= $2 AND e.area_path < $3))";
        let by_measure: Vec<(String, String, i64)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT e.measure, e.status, COUNT(*) FROM episodes e WHERE {under} \
             GROUP BY e.measure, e.status ORDER BY e.measure, e.status"
        )))
        .bind(&a)
        .bind(&b)
        .bind(&c)
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        let groups: Vec<(String, i64, String, i64, i64)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT e.policy_key, e.policy_version, e.measure, COUNT(*), \
             COALESCE(SUM(CASE WHEN e.last_day = $4 THEN 1 ELSE 0 END), 0) \
             FROM episodes e WHERE {under} AND e.status = 'active' AND e.measure IN {AT_HOME} \
             AND e.starts_on <= $4 AND e.last_day >= $4 \
             GROUP BY e.policy_key, e.policy_version, e.measure"
        )))
        .bind(&a)
        .bind(&b)
        .bind(&c)
        .bind(ymd(day))
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        let ending = groups.iter().map(|g| g.4).sum();
        let in_days = groups
            .into_iter()
            .map(|(k, v, m, n, _)| (k, u32::try_from(v).unwrap_or(0), m, n))
            .collect();
        let (windows_done,): (i64,) = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM (SELECT DISTINCT c.episode_id, c.window_n FROM checkins c \
             JOIN episodes e ON e.id = c.episode_id WHERE {under} AND c.on_day = $4 \
             AND c.window_n > 0) w"
        )))
        .bind(&a)
        .bind(&b)
        .bind(&c)
        .bind(ymd(day))
        .fetch_one(self.pool())
        .await
        .map_err(db_err)?;
        Ok(EpisodeCounts {
            by_measure,
            in_days,
            windows_done,
            ending,
        })
    }
}
