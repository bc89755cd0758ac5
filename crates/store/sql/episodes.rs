//! [`doorstep_store::Episodes`] over `episodes`.

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_core::quarantine::Measure;
use doorstep_store::*;
use sqlx::AssertSqlSafe;
use time::{Date, OffsetDateTime};

use super::SqlStore;
use super::util::{Conn, corrupt, db_err, subtree_bounds};

pub(super) const COLS: &str = "e.id, e.person_id, p.name, e.household_id, h.address, e.area_path, e.measure, e.reason, \
     e.policy_key, e.policy_version, e.starts_on, e.last_day, e.ends_at, e.status, e.created_by, e.created_at";
pub(super) const FROM: &str =
    "episodes e JOIN persons p ON p.id = e.person_id JOIN households h ON h.id = e.household_id";

#[derive(sqlx::FromRow)]
pub(super) struct Row {
    id: i64,
    person_id: i64,
    name: String,
    household_id: i64,
    address: String,
    area_path: String,
    measure: String,
    reason: String,
    policy_key: String,
    policy_version: i64,
    starts_on: String,
    last_day: String,
    ends_at: OffsetDateTime,
    status: String,
    created_by: String,
    created_at: OffsetDateTime,
}

pub(super) fn day(raw: &str) -> StoreResult<Date> {
    Date::parse(
        raw,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| corrupt("episode day", raw))
}

pub(super) fn ymd(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

impl Row {
    pub(super) fn into_episode(self) -> StoreResult<Episode> {
        Ok(Episode {
            id: self.id,
            person_id: self.person_id,
            name: self.name,
            household_id: self.household_id,
            address: self.address,
            area_path: AreaPath::from_stored(self.area_path),
            measure: Measure::parse(&self.measure)
                .ok_or_else(|| corrupt("measure", &self.measure))?,
            reason: self.reason,
            policy_key: self.policy_key,
            policy_version: u32::try_from(self.policy_version)
                .map_err(|_| corrupt("policy version", &self.policy_version.to_string()))?,
            starts_on: day(&self.starts_on)?,
            last_day: day(&self.last_day)?,
            ends_at: self.ends_at,
            status: self.status,
            created_by: self.created_by,
            created_at: self.created_at,
        })
    }
}

async fn start_one(conn: &mut Conn, e: &NewEpisode) -> StoreResult<Episode> {
    let (first, last) = (ymd(e.starts_on), ymd(e.last_day));
    let overlap: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM episodes WHERE person_id = $1 AND measure = $2 AND status = 'active' \
         AND starts_on <= $3 AND last_day >= $4",
    )
    .bind(e.person_id)
    .bind(e.measure.code())
    .bind(&last)
    .bind(&first)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    if overlap.is_some() {
        return Err(StoreError::Conflict("episode_overlap".into()));
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO episodes (person_id, household_id, area_path, measure, reason, policy_key, policy_version, \
         starts_on, last_day, ends_at, status, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active', $11, $12) RETURNING id",
    )
    .bind(e.person_id)
    .bind(e.household_id)
    .bind(e.area_path.as_str())
    .bind(e.measure.code())
    .bind(&e.reason)
    .bind(&e.policy_key)
    .bind(i64::from(e.policy_version))
    .bind(&first)
    .bind(&last)
    // Stored in UTC like every other time (SQLite keeps the offset it is given).
    .bind(e.ends_at.to_offset(time::UtcOffset::UTC))
    .bind(&e.by)
    .bind(e.at.to_offset(time::UtcOffset::UTC))
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)?;
    let sql = format!("SELECT {COLS} FROM {FROM} WHERE e.id = $1");
    sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?
        .into_episode()
}

#[async_trait]
impl Episodes for SqlStore {
    async fn start_episodes(
        &self,
        episodes: &[NewEpisode],
        audit: Audit<Vec<Episode>>,
    ) -> StoreResult<Vec<Episode>> {
        let episodes = episodes.to_vec();
        self.write(audit, move |c| {
            Box::pin(async move {
                let mut out = Vec::with_capacity(episodes.len());
                for e in &episodes {
                    out.push(start_one(c, e).await?);
                }
                Ok(out)
            })
        })
        .await
    }

    async fn episodes_of_person(&self, person_id: Id) -> StoreResult<Vec<Episode>> {
        let sql = format!("SELECT {COLS} FROM {FROM} WHERE e.person_id = $1 ORDER BY e.id DESC");
        sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .bind(person_id)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(Row::into_episode)
            .collect()
    }

    async fn episodes_under(
        &self,
        area: &AreaPath,
        page: PageRequest,
    ) -> StoreResult<Page<Episode>> {
        let (a, b, c) = subtree_bounds(area);
        let under = "(e.area_path = $1 OR (e.area_path >= $2 AND e.area_path < $3))";
        let (total,): (i64,) = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM episodes e WHERE {under}"
        )))
        .bind(&a)
        .bind(&b)
        .bind(&c)
        .fetch_one(self.pool())
        .await
        .map_err(db_err)?;
        let sql = format!(
            "SELECT {COLS} FROM {FROM} WHERE {under} \
             ORDER BY CASE WHEN e.status = 'active' THEN 0 ELSE 1 END, e.id DESC LIMIT $4 OFFSET $5"
        );
        let rows: Vec<Row> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(&a)
            .bind(&b)
            .bind(&c)
            .bind(i64::from(page.limit))
            .bind(i64::from(page.offset))
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(Row::into_episode)
                .collect::<StoreResult<_>>()?,
            total,
        })
    }
}
