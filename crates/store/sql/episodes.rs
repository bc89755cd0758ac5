//! [`doorstep_store::Episodes`] over `episodes`.

use async_trait::async_trait;
use doorstep_core::episode::{ChangeKind, EpisodeStatus, new_last_day};
use doorstep_core::quarantine::Measure;
use doorstep_core::testing::TubeResult;
use doorstep_core::{AreaPath, Conflict};
use doorstep_store::*;
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use super::SqlStore;
use super::util::{Conn, corrupt, db_err, lock_person, subtree_bounds, utc};

pub(super) const COLS: &str = "e.id, e.person_id, p.name, e.household_id, h.address, e.area_path, e.measure, e.reason, \
     e.policy_key, e.policy_version, e.starts_on, e.last_day, e.ends_at, e.status, e.created_by, e.created_at, e.ended_at, e.ended_by";
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
    ended_at: Option<OffsetDateTime>,
    ended_by: Option<String>,
}

pub(super) use super::util::{day, ymd};

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
            status: EpisodeStatus::from_stored(&self.status)
                .ok_or_else(|| corrupt("episode status", &self.status))?,
            created_by: self.created_by,
            created_at: self.created_at,
            ended_at: self.ended_at,
            ended_by: self.ended_by,
        })
    }
}

/// Refuses days from `first` to `last` meeting another active episode of the person under
/// the measure (`except` itself, when its days change).
async fn refuse_overlap(
    conn: &mut Conn,
    person_id: Id,
    measure: Measure,
    (first, last): (&str, &str),
    except: Id,
) -> StoreResult<()> {
    let overlap: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM episodes WHERE person_id = $1 AND measure = $2 AND status = 'active' \
         AND starts_on <= $3 AND last_day >= $4 AND id <> $5",
    )
    .bind(person_id)
    .bind(measure.code())
    .bind(last)
    .bind(first)
    .bind(except)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    if overlap.is_some() {
        return Err(StoreError::Conflict("episode_overlap".into()));
    }
    Ok(())
}

async fn one(conn: &mut Conn, id: Id) -> StoreResult<Option<Episode>> {
    one_as(conn, id, String::new()).await
}

async fn one_as(conn: &mut Conn, id: Id, lock: String) -> StoreResult<Option<Episode>> {
    let sql = format!("SELECT {COLS} FROM {FROM} WHERE e.id = $1{lock}");
    sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .map(Row::into_episode)
        .transpose()
}

async fn must(conn: &mut Conn, id: Id) -> StoreResult<Episode> {
    one(conn, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("episode".into()))
}

/// An episode read in the write that changes its days, its row and its person's locked until
/// the commit: the days are checked against a status and last day no other write changes
/// meanwhile, and no other episode of the person starts meanwhile (see `util::lock_person`).
async fn must_to_change(conn: &mut Conn, id: Id) -> StoreResult<Episode> {
    one_as(conn, id, crate::backend::for_update("e, p"))
        .await?
        .ok_or_else(|| StoreError::NotFound("episode".into()))
}

fn refused(c: Conflict) -> StoreError {
    StoreError::Conflict(c.code().to_string())
}

#[allow(clippy::too_many_arguments)]
async fn record_change(
    conn: &mut Conn,
    episode_id: Id,
    what: ChangeKind,
    before: &str,
    after: &str,
    reason: &str,
    by: &str,
    at: OffsetDateTime,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO episode_changes (episode_id, what, before, after, reason, by_user, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(episode_id)
    .bind(what.code())
    .bind(before)
    .bind(after)
    .bind(reason)
    .bind(by)
    .bind(at.to_offset(time::UtcOffset::UTC))
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Ends an active episode (transferred or released) at `at`, by `by`.
async fn end(
    conn: &mut Conn,
    id: Id,
    status: EpisodeStatus,
    at: OffsetDateTime,
    by: &str,
) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE episodes SET status = $1, ended_at = $2, ended_by = $3 WHERE id = $4 AND status = 'active'",
    )
    .bind(status.code())
    .bind(at.to_offset(time::UtcOffset::UTC))
    .bind(by)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    if done.rows_affected() != 1 {
        return Err(refused(Conflict::EpisodeNotActive));
    }
    Ok(())
}

async fn start_one(conn: &mut Conn, e: &NewEpisode) -> StoreResult<Episode> {
    let (first, last) = (ymd(e.starts_on), ymd(e.last_day));
    lock_person(conn, e.person_id).await?;
    refuse_overlap(conn, e.person_id, e.measure, (&first, &last), 0).await?;
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
    must(conn, id).await
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
                // Persons locked in one order, so two batches sharing persons cannot deadlock.
                let mut persons: Vec<Id> = episodes.iter().map(|e| e.person_id).collect();
                persons.sort_unstable();
                persons.dedup();
                for p in persons {
                    lock_person(c, p).await?;
                }
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
        filter: &EpisodeFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Episode>> {
        let (a, b, c) = subtree_bounds(area);
        // Every condition is always there, an empty value meaning "any": one text per query.
        let under = "(e.area_path = $1 OR (e.area_path >= $2 AND e.area_path < $3)) \
             AND ($4 = '' OR e.measure = $4) AND ($5 = '' OR e.status = $5) \
             AND ($6 = '' OR (e.status = 'active' AND e.last_day <= $6)) \
             AND ($7 = '' OR (e.status = 'active' AND e.last_day >= $7)) \
             AND ($8 = '' OR e.starts_on = $8) \
             AND ($9 = '' OR (e.starts_on <= $9 AND e.last_day >= $9 \
                  AND (e.ended_at IS NULL OR e.ended_at >= $10))) \
             AND ($11 = 0 OR (e.ended_at >= $12 AND e.ended_at < $13))";
        let measure = filter.measure.map_or("", Measure::code);
        let status = filter.status.map_or("", EpisodeStatus::code);
        let by = filter.last_day_by.map(ymd).unwrap_or_default();
        let from = filter.last_day_from.map(ymd).unwrap_or_default();
        let started = filter.started_on.map(ymd).unwrap_or_default();
        // Unused times are bound all the same (one text per query); their flag is off.
        let epoch = OffsetDateTime::UNIX_EPOCH;
        let (during, during_end) = filter
            .during
            .map_or((String::new(), epoch), |(d, end)| (ymd(d), utc(end)));
        let (ended, (ended_from, ended_to)) = filter
            .ended_between
            .map_or((0_i64, (epoch, epoch)), |(a, b)| (1, (utc(a), utc(b))));
        // The filter's thirteen values, in the order of `under`, for both statements.
        macro_rules! filtered {
            ($q:expr) => {
                $q.bind(&a)
                    .bind(&b)
                    .bind(&c)
                    .bind(measure)
                    .bind(status)
                    .bind(&by)
                    .bind(&from)
                    .bind(&started)
                    .bind(&during)
                    .bind(during_end)
                    .bind(ended)
                    .bind(ended_from)
                    .bind(ended_to)
            };
        }
        let (total,): (i64,) = filtered!(sqlx::query_as(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM episodes e WHERE {under}"
        ))))
        .fetch_one(self.pool())
        .await
        .map_err(db_err)?;
        let sql = format!(
            "SELECT {COLS} FROM {FROM} WHERE {under} \
             ORDER BY CASE WHEN e.status = 'active' THEN 0 ELSE 1 END, e.id DESC LIMIT $14 OFFSET $15"
        );
        let rows: Vec<Row> = filtered!(sqlx::query_as(AssertSqlSafe(sql)))
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

    async fn episode(&self, id: Id) -> StoreResult<Option<Episode>> {
        let mut c = self.pool().acquire().await.map_err(db_err)?;
        one(&mut c, id).await
    }

    async fn episodes_of_household(&self, household_id: Id) -> StoreResult<Vec<Episode>> {
        let sql = format!("SELECT {COLS} FROM {FROM} WHERE e.household_id = $1 ORDER BY e.id DESC");
        sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .bind(household_id)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(Row::into_episode)
            .collect()
    }

    async fn change_last_day(
        &self,
        change: &DayChange,
        audit: Audit<Episode>,
    ) -> StoreResult<Episode> {
        let change = change.clone();
        self.write(audit, move |c| {
            Box::pin(async move {
                let before = must_to_change(c, change.episode_id).await?;
                before.status.change_days().map_err(refused)?;
                let what = new_last_day(
                    before.starts_on,
                    before.last_day,
                    change.last_day,
                    change.today,
                )
                .map_err(refused)?;
                let (first, last) = (ymd(before.starts_on), ymd(change.last_day));
                refuse_overlap(
                    c,
                    before.person_id,
                    before.measure,
                    (&first, &last),
                    before.id,
                )
                .await?;
                sqlx::query("UPDATE episodes SET last_day = $1, ends_at = $2 WHERE id = $3")
                    .bind(&last)
                    .bind(change.ends_at.to_offset(time::UtcOffset::UTC))
                    .bind(before.id)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err)?;
                record_change(
                    c,
                    before.id,
                    what,
                    &ymd(before.last_day),
                    &last,
                    &change.reason,
                    &change.by,
                    change.at,
                )
                .await?;
                must(c, before.id).await
            })
        })
        .await
    }

    async fn transfer_episode(
        &self,
        transfer: &Transfer,
        then: Option<NewEpisode>,
        audit: Audit<(Episode, Option<Episode>)>,
    ) -> StoreResult<(Episode, Option<Episode>)> {
        let t = transfer.clone();
        self.write(audit, move |c| {
            Box::pin(async move {
                let before = must(c, t.episode_id).await?;
                let to = before.status.transfer().map_err(refused)?;
                end(c, before.id, to, t.at, &t.by).await?;
                record_change(
                    c,
                    before.id,
                    ChangeKind::Transfer,
                    before.status.code(),
                    &t.to,
                    &t.reason,
                    &t.by,
                    t.at,
                )
                .await?;
                let next = match then {
                    Some(n) => Some(start_one(c, &n).await?),
                    None => None,
                };
                Ok((must(c, before.id).await?, next))
            })
        })
        .await
    }

    async fn release_episodes(
        &self,
        releases: &[Release],
        audit: Audit<Vec<Episode>>,
    ) -> StoreResult<Vec<Episode>> {
        let releases = releases.to_vec();
        self.write(audit, move |c| {
            Box::pin(async move {
                let mut out = Vec::with_capacity(releases.len());
                for r in &releases {
                    let before = must(c, r.episode_id).await?;
                    let to = before.status.release().map_err(refused)?;
                    end(c, before.id, to, r.at, &r.by).await?;
                    record_change(
                        c,
                        before.id,
                        ChangeKind::Release,
                        &r.unmet,
                        to.code(),
                        &r.reason,
                        &r.by,
                        r.at,
                    )
                    .await?;
                    out.push(must(c, before.id).await?);
                }
                Ok(out)
            })
        })
        .await
    }

    async fn episode_changes(&self, episode_id: Id) -> StoreResult<Vec<EpisodeChange>> {
        let rows: Vec<(i64, String, String, String, String, String, OffsetDateTime)> =
            sqlx::query_as(
                "SELECT id, what, before, after, reason, by_user, at FROM episode_changes \
                 WHERE episode_id = $1 ORDER BY id",
            )
            .bind(episode_id)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?;
        rows.into_iter()
            .map(|(id, what, before, after, reason, by, at)| {
                Ok(EpisodeChange {
                    id,
                    what: ChangeKind::from_stored(&what)
                        .ok_or_else(|| corrupt("episode change", &what))?,
                    before,
                    after,
                    reason,
                    by,
                    at,
                })
            })
            .collect()
    }

    async fn person_samples(
        &self,
        person_id: Id,
        since: OffsetDateTime,
    ) -> StoreResult<Vec<(OffsetDateTime, Option<TubeResult>)>> {
        // A person has a few samples; the times are compared here, not as stored text (a
        // scan on SQLite writes RFC 3339, sqlx another form). First samples and retests are
        // asked for apart: each part has its index (`sample_once`, `samples_retest`).
        let rows: Vec<(OffsetDateTime, Option<String>)> = sqlx::query_as(
            "SELECT s.at, t.result FROM samples s JOIN tubes t ON t.id = s.tube_id \
             WHERE s.person_id = $1 AND s.retest = FALSE \
             UNION ALL SELECT s.at, t.result FROM samples s JOIN tubes t ON t.id = s.tube_id \
             WHERE s.person_id = $1 AND s.retest = TRUE",
        )
        .bind(person_id)
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        let mut out: Vec<_> = rows
            .into_iter()
            .filter(|(at, _)| *at >= since)
            .map(|(at, r)| (at, r.as_deref().and_then(TubeResult::parse)))
            .collect();
        out.sort_by_key(|(at, _)| *at);
        Ok(out)
    }
}
