//! [`doorstep_store::Checkins`] over `checkin_links`, `checkins` and `checkin_sweeps`.

use async_trait::async_trait;
use doorstep_core::quarantine::Measure;
use doorstep_store::*;
use sqlx::AssertSqlSafe;
use time::{Date, OffsetDateTime};

use super::SqlStore;
use super::episodes::{self, day, ymd};
use super::util::{Conn, corrupt, db_err, list_clause, utc, values_clause};

/// The measures a person is at home under (check-ins, door tests, supplies).
const AT_HOME: &str = "('home_quarantine', 'home_health_monitoring')";

const COLS: &str = "c.id, c.episode_id, e.person_id, p.name, c.household_id, c.day, c.on_day, c.window_n, \
     c.timing, c.at, c.temperature, c.symptoms, c.antigen, c.note, c.abnormal, c.method, c.recorded_by";
const FROM: &str =
    "checkins c JOIN episodes e ON e.id = c.episode_id JOIN persons p ON p.id = e.person_id";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    episode_id: i64,
    person_id: i64,
    name: String,
    household_id: i64,
    day: i64,
    on_day: String,
    window_n: i64,
    timing: String,
    at: OffsetDateTime,
    temperature: i64,
    symptoms: String,
    antigen: String,
    note: String,
    abnormal: bool,
    method: String,
    recorded_by: Option<String>,
}

impl Row {
    fn into_checkin(self) -> StoreResult<Checkin> {
        let small = |v: i64, what: &str| corrupt(what, &v.to_string());
        Ok(Checkin {
            id: self.id,
            episode_id: self.episode_id,
            person_id: self.person_id,
            name: self.name,
            household_id: self.household_id,
            day: u16::try_from(self.day).map_err(|_| small(self.day, "check-in day"))?,
            on_day: day(&self.on_day)?,
            window_n: u8::try_from(self.window_n)
                .map_err(|_| small(self.window_n, "check-in window"))?,
            timing: self.timing,
            at: self.at,
            temperature: u16::try_from(self.temperature)
                .map_err(|_| small(self.temperature, "temperature"))?,
            symptoms: self.symptoms,
            antigen: self.antigen,
            note: self.note,
            abnormal: self.abnormal,
            method: self.method,
            recorded_by: self.recorded_by,
        })
    }
}

/// Which household: by its check-in token or by its id.
enum Whose<'a> {
    Token(&'a str),
    Household(i64),
}

/// The active at-home episodes of a household with the planned end after `now`.
async fn household_episodes(
    store: &SqlStore,
    whose: Whose<'_>,
    now: OffsetDateTime,
) -> StoreResult<Option<CheckinHousehold>> {
    let which = match whose {
        Whose::Token(_) => {
            "e.household_id = (SELECT household_id FROM checkin_links WHERE token = $1)"
        }
        Whose::Household(_) => "e.household_id = $1",
    };
    let sql = format!(
        "SELECT {} FROM {} WHERE {which} AND e.status = 'active' AND e.measure IN {AT_HOME} \
         AND e.ends_at > $2 ORDER BY e.person_id, e.measure",
        episodes::COLS,
        episodes::FROM
    );
    let q = sqlx::query_as::<_, episodes::Row>(AssertSqlSafe(sql));
    let q = match whose {
        Whose::Token(t) => q.bind(t.to_string()),
        Whose::Household(h) => q.bind(h),
    };
    let episodes = q
        .bind(utc(now))
        .fetch_all(store.pool())
        .await
        .map_err(db_err)?
        .into_iter()
        .map(episodes::Row::into_episode)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(episodes.first().map(|e| CheckinHousehold {
        household_id: e.household_id,
        address: e.address.clone(),
        area_path: e.area_path.clone(),
        episodes: episodes.clone(),
    }))
}

async fn ensure_link(
    conn: &mut Conn,
    household: i64,
    fresh: &str,
    now: OffsetDateTime,
) -> StoreResult<String> {
    let sql = format!(
        "SELECT l.token FROM checkin_links l WHERE l.household_id = $1 AND EXISTS \
         (SELECT 1 FROM episodes e WHERE e.household_id = l.household_id AND e.status = 'active' \
          AND e.measure IN {AT_HOME} AND e.ends_at > $2)"
    );
    let open: Option<(String,)> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(household)
        .bind(utc(now))
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
    if let Some((token,)) = open {
        return Ok(token);
    }
    sqlx::query(
        "INSERT INTO checkin_links (household_id, token, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (household_id) DO UPDATE SET token = excluded.token, created_at = excluded.created_at",
    )
    .bind(household)
    .bind(fresh)
    .bind(utc(now))
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(fresh.to_string())
}

/// Inserts a submission's rows (a resent key inserts nothing) and reads the submission back.
async fn record(conn: &mut Conn, rows: &[NewCheckin]) -> StoreResult<Recorded> {
    let Some(first) = rows.first() else {
        return Ok(Recorded {
            checkins: Vec::new(),
            replayed: false,
        });
    };
    const COLUMNS: usize = 15;
    let sql = format!(
        "INSERT INTO checkins (episode_id, household_id, day, on_day, window_n, timing, at, temperature, \
         symptoms, antigen, note, abnormal, method, recorded_by, client_key) VALUES {} \
         ON CONFLICT (episode_id, client_key) DO NOTHING RETURNING id",
        values_clause(rows.len(), COLUMNS, 1)
    );
    // A household's few rows: the statement is prepared once per member count and kept.
    let mut q = sqlx::query_as::<_, (i64,)>(AssertSqlSafe(sql));
    for r in rows {
        q = q
            .bind(r.episode_id)
            .bind(r.household_id)
            .bind(i64::from(r.day))
            .bind(ymd(r.on_day))
            .bind(i64::from(r.window_n))
            .bind(r.timing.clone())
            .bind(utc(r.at))
            .bind(i64::from(r.temperature))
            .bind(r.symptoms.clone())
            .bind(r.antigen.clone())
            .bind(r.note.clone())
            .bind(r.abnormal)
            .bind(r.method.clone())
            .bind(r.recorded_by.clone())
            .bind(r.client_key.clone());
    }
    let ids: Vec<(i64,)> = q.fetch_all(&mut *conn).await.map_err(db_err)?;
    if ids.len() == rows.len() {
        // All new (the common case): the answer is what was written, no read back.
        return Ok(Recorded {
            checkins: rows
                .iter()
                .zip(ids)
                .map(|(r, (id,))| Checkin {
                    id,
                    episode_id: r.episode_id,
                    person_id: r.person_id,
                    name: r.name.clone(),
                    household_id: r.household_id,
                    day: r.day,
                    on_day: r.on_day,
                    window_n: r.window_n,
                    timing: r.timing.clone(),
                    at: utc(r.at),
                    temperature: r.temperature,
                    symptoms: r.symptoms.clone(),
                    antigen: r.antigen.clone(),
                    note: r.note.clone(),
                    abnormal: r.abnormal,
                    method: r.method.clone(),
                    recorded_by: r.recorded_by.clone(),
                })
                .collect(),
            replayed: false,
        });
    }
    let inserted = ids.len();
    let mut key = String::new();
    crate::backend::placeholder(&mut key, 1);
    let sql = format!(
        "SELECT {COLS} FROM {FROM} WHERE c.client_key = {key} AND c.episode_id IN ({}) ORDER BY c.id",
        list_clause(rows.len(), 2)
    );
    let mut q = sqlx::query_as::<_, Row>(AssertSqlSafe(sql)).bind(first.client_key.clone());
    for r in rows {
        q = q.bind(r.episode_id);
    }
    let checkins = q
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?
        .into_iter()
        .map(Row::into_checkin)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Recorded {
        checkins,
        replayed: inserted == 0,
    })
}

#[async_trait]
impl Checkins for SqlStore {
    async fn ensure_checkin_link(
        &self,
        household_id: Id,
        fresh: &str,
        now: OffsetDateTime,
    ) -> StoreResult<String> {
        let fresh = fresh.to_string();
        self.write(no_audit(), move |c| {
            Box::pin(async move { ensure_link(c, household_id, &fresh, now).await })
        })
        .await
    }

    async fn checkin_token(&self, household_id: Id) -> StoreResult<Option<String>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT token FROM checkin_links WHERE household_id = $1")
                .bind(household_id)
                .fetch_optional(self.pool())
                .await
                .map_err(db_err)?;
        Ok(row.map(|(t,)| t))
    }

    async fn checkin_household_by_token(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<CheckinHousehold>> {
        household_episodes(self, Whose::Token(token), now).await
    }

    async fn checkin_household(
        &self,
        household_id: Id,
        now: OffsetDateTime,
    ) -> StoreResult<Option<CheckinHousehold>> {
        household_episodes(self, Whose::Household(household_id), now).await
    }

    async fn filled_windows(&self, episodes: &[Id], on_day: Date) -> StoreResult<Vec<(Id, u8)>> {
        if episodes.is_empty() {
            return Ok(Vec::new());
        }
        let mut d = String::new();
        crate::backend::placeholder(&mut d, 1);
        let sql = format!(
            "SELECT DISTINCT episode_id, window_n FROM checkins WHERE on_day = {d} AND window_n > 0 \
             AND episode_id IN ({})",
            list_clause(episodes.len(), 2)
        );
        let mut q = sqlx::query_as::<_, (i64, i64)>(AssertSqlSafe(sql)).bind(ymd(on_day));
        for e in episodes {
            q = q.bind(*e);
        }
        Ok(q.fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .filter_map(|(e, n)| u8::try_from(n).ok().map(|n| (e, n)))
            .collect())
    }

    async fn record_checkins(
        &self,
        rows: &[NewCheckin],
        audit: Audit<Recorded>,
    ) -> StoreResult<Recorded> {
        let rows = rows.to_vec();
        if rows.iter().all(|r| r.recorded_by.is_none()) {
            // The household's own: one INSERT, then a read, no audit entry.
            return self
                .writer()
                .run_single(move |c| Box::pin(async move { record(c, &rows).await }))
                .await;
        }
        self.write(audit, move |c| {
            Box::pin(async move { record(c, &rows).await })
        })
        .await
    }

    async fn checkins_of_household(
        &self,
        household_id: Id,
        since: Date,
    ) -> StoreResult<Vec<Checkin>> {
        let sql = format!(
            "SELECT {COLS} FROM {FROM} WHERE c.household_id = $1 AND c.on_day >= $2 \
             ORDER BY c.at DESC, c.id DESC LIMIT 500"
        );
        sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .bind(household_id)
            .bind(ymd(since))
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(Row::into_checkin)
            .collect()
    }

    async fn checkins_of_episode(&self, episode_id: Id) -> StoreResult<Vec<Checkin>> {
        let sql = format!("SELECT {COLS} FROM {FROM} WHERE c.episode_id = $1 ORDER BY c.at, c.id");
        sqlx::query_as::<_, Row>(AssertSqlSafe(sql))
            .bind(episode_id)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(Row::into_checkin)
            .collect()
    }

    async fn active_policies(
        &self,
        from: Date,
        to: Date,
    ) -> StoreResult<Vec<(String, u32, Measure)>> {
        let sql = format!(
            "SELECT DISTINCT policy_key, policy_version, measure FROM episodes \
             WHERE status = 'active' AND measure IN {AT_HOME} AND starts_on <= $1 AND last_day >= $2"
        );
        let rows: Vec<(String, i64, String)> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(ymd(to))
            .bind(ymd(from))
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?;
        rows.into_iter()
            .map(|(k, v, m)| {
                let version =
                    u32::try_from(v).map_err(|_| corrupt("policy version", &v.to_string()))?;
                let measure = Measure::parse(&m).ok_or_else(|| corrupt("measure", &m))?;
                Ok((k, version, measure))
            })
            .collect()
    }

    async fn window_swept(&self, w: &SweptWindow) -> StoreResult<bool> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT missed FROM checkin_sweeps WHERE policy_key = $1 AND policy_version = $2 \
             AND measure = $3 AND on_day = $4 AND window_n = $5",
        )
        .bind(&w.policy_key)
        .bind(i64::from(w.policy_version))
        .bind(w.measure.code())
        .bind(ymd(w.on_day))
        .bind(i64::from(w.window_n))
        .fetch_optional(self.pool())
        .await
        .map_err(db_err)?;
        Ok(row.is_some())
    }

    async fn missed_window(
        &self,
        w: &SweptWindow,
        opened: OffsetDateTime,
    ) -> StoreResult<Vec<Missed>> {
        let rows: Vec<(i64, i64, String, i64)> = sqlx::query_as(
            "SELECT e.id, e.person_id, p.name, e.household_id FROM episodes e \
             JOIN persons p ON p.id = e.person_id \
             WHERE e.status = 'active' AND e.policy_key = $1 AND e.policy_version = $2 \
             AND e.measure = $3 AND e.starts_on <= $4 AND e.last_day >= $4 AND e.created_at < $5 \
             AND NOT EXISTS (SELECT 1 FROM checkins c WHERE c.episode_id = e.id \
                             AND c.on_day = $4 AND c.window_n = $6) \
             ORDER BY e.household_id, e.person_id",
        )
        .bind(&w.policy_key)
        .bind(i64::from(w.policy_version))
        .bind(w.measure.code())
        .bind(ymd(w.on_day))
        .bind(utc(opened))
        .bind(i64::from(w.window_n))
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(episode_id, person_id, name, household_id)| Missed {
                episode_id,
                person_id,
                name,
                household_id,
            })
            .collect())
    }

    async fn mark_window_swept(
        &self,
        w: &SweptWindow,
        missed: usize,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let w = w.clone();
        self.write(no_audit(), move |c| {
            Box::pin(async move {
                let done = sqlx::query(
                    "INSERT INTO checkin_sweeps (policy_key, policy_version, measure, on_day, window_n, missed, swept_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                )
                .bind(&w.policy_key)
                .bind(i64::from(w.policy_version))
                .bind(w.measure.code())
                .bind(ymd(w.on_day))
                .bind(i64::from(w.window_n))
                .bind(i64::try_from(missed).unwrap_or(i64::MAX))
                .bind(utc(at))
                .execute(&mut *c)
                .await
                .map_err(db_err)?;
                Ok(done.rows_affected() == 1)
            })
        })
        .await
    }
}
