//! [`doorstep_store::DailyReports`]: the daily report's figures counted from the rows, and
//! the communities' sign-offs (`daily_signoffs`).
//!
//! Each figure of `doorstep_core::daily::FIGURES` is counted by one entry of [`COUNTS`]: a
//! statement returning `(area_path, n)` rows for the asked subtree and day, which are then
//! added to the community holding each path. A feature adds its figure by one entry here
//! (and its label and link in core). Population comes from the kept area totals.

use std::collections::HashMap;

use async_trait::async_trait;
use doorstep_core::daily::{FIGURES, Figures};
use doorstep_core::{AreaKind, AreaPath};
use doorstep_store::*;
use sqlx::AssertSqlSafe;
use time::{Date, OffsetDateTime};

use super::SqlStore;
use super::episodes::{day, ymd};
use super::util::{corrupt, db_err, subtree_bounds, utc};

/// A value a counting statement binds after the subtree's three (`$1..$3`), in order.
#[derive(Debug, Clone, Copy)]
enum Bind {
    /// The day, `YYYY-MM-DD`.
    Day,
    /// `%:YYYY-MM-DD:%`, for task keys holding the day.
    DayInKey,
    /// The day's start (UTC).
    From,
    /// The day's end (UTC, exclusive).
    To,
    /// The day's end or now, whichever is sooner (what is overdue today is overdue by now).
    UpTo,
}

/// How a figure's rows become a community's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sum {
    /// Rows `(area_path, n)`: every row's `n` is added.
    All,
    /// Rows `(area_path, round_id, n)`: only the community's newest round's rows are added
    /// (the "current round" is the newest round with a sample there by the day's end).
    NewestRound,
}

/// How one figure is counted. `{under}` in `sql` is "`col` lies in the asked subtree".
struct Count {
    key: &'static str,
    col: &'static str,
    sql: &'static str,
    binds: &'static [Bind],
    sum: Sum,
}

const fn count(
    key: &'static str,
    col: &'static str,
    sql: &'static str,
    binds: &'static [Bind],
) -> Count {
    Count {
        key,
        col,
        sql,
        binds,
        sum: Sum::All,
    }
}

const EP_NEW: &str = "SELECT e.area_path, COUNT(*) FROM episodes e WHERE {under} AND e.measure = '{m}' \
     AND e.starts_on = $4 GROUP BY e.area_path";
// Under the measure during the day and not ended before its end (a release that day is
// counted as released, not as ongoing).
const EP_ONGOING: &str = "SELECT e.area_path, COUNT(*) FROM episodes e WHERE {under} AND e.measure = '{m}' \
     AND e.starts_on <= $4 AND e.last_day >= $4 AND (e.ended_at IS NULL OR e.ended_at >= $5) \
     GROUP BY e.area_path";
const EP_RELEASED: &str = "SELECT e.area_path, COUNT(*) FROM episodes e WHERE {under} AND e.measure = '{m}' \
     AND e.status = 'released' AND e.ended_at >= $4 AND e.ended_at < $5 GROUP BY e.area_path";

/// Every figure's count (the population's two come from the area totals).
const COUNTS: &[Count] = &[
    count("home_quarantine.new", "e.area_path", EP_NEW, &[Bind::Day]),
    count(
        "home_quarantine.ongoing",
        "e.area_path",
        EP_ONGOING,
        &[Bind::Day, Bind::To],
    ),
    count(
        "home_quarantine.released",
        "e.area_path",
        EP_RELEASED,
        &[Bind::From, Bind::To],
    ),
    count(
        "home_health_monitoring.new",
        "e.area_path",
        EP_NEW,
        &[Bind::Day],
    ),
    count(
        "home_health_monitoring.ongoing",
        "e.area_path",
        EP_ONGOING,
        &[Bind::Day, Bind::To],
    ),
    count(
        "home_health_monitoring.released",
        "e.area_path",
        EP_RELEASED,
        &[Bind::From, Bind::To],
    ),
    count(
        "central_quarantine.new",
        "e.area_path",
        EP_NEW,
        &[Bind::Day],
    ),
    count(
        "central_quarantine.ongoing",
        "e.area_path",
        EP_ONGOING,
        &[Bind::Day, Bind::To],
    ),
    count(
        "central_quarantine.released",
        "e.area_path",
        EP_RELEASED,
        &[Bind::From, Bind::To],
    ),
    count(
        "reports.new",
        "r.area_path",
        "SELECT r.area_path, COUNT(*) FROM reports r WHERE {under} \
         AND r.submitted_at >= $4 AND r.submitted_at < $5 GROUP BY r.area_path",
        &[Bind::From, Bind::To],
    ),
    count(
        "checkins.done",
        "e.area_path",
        "SELECT e.area_path, COUNT(*) FROM episodes e JOIN checkins c ON c.episode_id = e.id \
         AND c.on_day = $4 WHERE {under} GROUP BY e.area_path",
        &[Bind::Day],
    ),
    count(
        "checkins.missed",
        "t.area_path",
        "SELECT t.area_path, COUNT(*) FROM tasks t WHERE {under} \
         AND t.source = 'checkin_missed' AND t.source_key LIKE $4 GROUP BY t.area_path",
        &[Bind::DayInKey],
    ),
    count(
        "checkins.abnormal",
        "e.area_path",
        "SELECT e.area_path, COUNT(*) FROM episodes e JOIN checkins c ON c.episode_id = e.id \
         AND c.on_day = $4 WHERE {under} AND c.abnormal = TRUE GROUP BY e.area_path",
        &[Bind::Day],
    ),
    Count {
        key: "testing.sampled",
        col: "s.area_path",
        sql: "SELECT s.area_path, s.round_id, COUNT(*) FROM samples s WHERE {under} \
              AND s.retest = FALSE AND s.at < $4 GROUP BY s.area_path, s.round_id",
        binds: &[Bind::To],
        sum: Sum::NewestRound,
    },
    count(
        "testing.positive",
        "s.area_path",
        "SELECT s.area_path, COUNT(*) FROM sample_flags f JOIN samples s ON s.round_id = f.round_id \
         AND s.person_id = f.person_id AND s.tube_id = f.tube_id WHERE {under} \
         AND f.flagged_at >= $4 AND f.flagged_at < $5 GROUP BY s.area_path",
        &[Bind::From, Bind::To],
    ),
    count(
        "supplies.requested",
        "r.area_path",
        "SELECT r.area_path, COUNT(*) FROM supply_requests r WHERE {under} \
         AND r.created_at >= $4 AND r.created_at < $5 GROUP BY r.area_path",
        &[Bind::From, Bind::To],
    ),
    count(
        "supplies.delivered",
        "r.area_path",
        "SELECT r.area_path, COUNT(*) FROM supply_requests r JOIN tasks t ON t.id = r.task_id \
         WHERE {under} AND t.status = 'done' AND t.outcome = 'delivered' \
         AND t.updated_at >= $4 AND t.updated_at < $5 GROUP BY r.area_path",
        &[Bind::From, Bind::To],
    ),
    count(
        "tasks.done",
        "t.area_path",
        "SELECT t.area_path, COUNT(*) FROM tasks t WHERE {under} AND t.status = 'done' \
         AND t.updated_at >= $4 AND t.updated_at < $5 GROUP BY t.area_path",
        &[Bind::From, Bind::To],
    ),
    // Overdue at the day's end (today: now): due before it, made before it, and still open
    // then (a task closed later was closed after it: its last change is its closing).
    count(
        "tasks.overdue",
        "t.area_path",
        "SELECT t.area_path, COUNT(*) FROM tasks t WHERE {under} AND t.due_at < $4 \
         AND t.created_at < $5 AND (t.status IN ('open', 'in_progress') OR t.updated_at >= $4) \
         GROUP BY t.area_path",
        &[Bind::UpTo, Bind::To],
    ),
    // The rows of the lists received that day (repeats and rows not found included: what
    // the upper level sent).
    count(
        "lists.rows",
        "l.area_path",
        "SELECT l.area_path, COUNT(*) FROM lists l JOIN list_rows r ON r.list_id = l.id \
         WHERE {under} AND l.created_at >= $4 AND l.created_at < $5 GROUP BY l.area_path",
        &[Bind::From, Bind::To],
    ),
    count(
        "lists.calls_done",
        "t.area_path",
        "SELECT t.area_path, COUNT(*) FROM tasks t WHERE {under} AND t.source = 'list_call' \
         AND t.status = 'done' AND t.updated_at >= $4 AND t.updated_at < $5 GROUP BY t.area_path",
        &[Bind::From, Bind::To],
    ),
    // Passages let through (an exception included) and refusals (劝返), by the gate's area.
    count(
        "checkpoints.entered",
        "p.area_path",
        "SELECT p.area_path, COUNT(*) FROM checkpoint_passages p WHERE {under} \
         AND p.direction = 'in' AND p.verdict <> 'refused' AND p.at >= $4 AND p.at < $5 \
         GROUP BY p.area_path",
        &[Bind::From, Bind::To],
    ),
    count(
        "checkpoints.left",
        "p.area_path",
        "SELECT p.area_path, COUNT(*) FROM checkpoint_passages p WHERE {under} \
         AND p.direction = 'out' AND p.verdict <> 'refused' AND p.at >= $4 AND p.at < $5 \
         GROUP BY p.area_path",
        &[Bind::From, Bind::To],
    ),
    count(
        "checkpoints.refused",
        "p.area_path",
        "SELECT p.area_path, COUNT(*) FROM checkpoint_passages p WHERE {under} \
         AND p.verdict = 'refused' AND p.at >= $4 AND p.at < $5 GROUP BY p.area_path",
        &[Bind::From, Bind::To],
    ),
];

/// The figures counted from the area totals rather than by a statement.
#[cfg(test)]
const FROM_TOTALS: [&str; 2] = ["persons", "households"];

/// The statement of `c`, its measure and subtree filled in.
fn statement(c: &Count) -> String {
    let col = c.col;
    let measure = c.key.split('.').next().unwrap_or_default();
    c.sql
        .replace(
            "{under}",
            &format!("({col} = $1 OR ({col} >= $2 AND {col} < $3))"),
        )
        .replace("{m}", measure)
}

/// The communities a path belongs to, found by walking up its parts.
struct Units {
    by_path: HashMap<String, usize>,
    /// Where rows outside every community go (the asked area), if anywhere.
    rest: usize,
}

impl Units {
    fn of(&self, path: &str) -> usize {
        let mut p = path;
        loop {
            if let Some(i) = self.by_path.get(p) {
                return *i;
            }
            match p.rfind('/') {
                Some(cut) => p = &p[..cut],
                None => return self.rest,
            }
        }
    }
}

async fn figures(store: &SqlStore, q: &DayQuery) -> StoreResult<Vec<UnitFigures>> {
    let tree = super::areas::area_tree(store.pool(), &q.area).await?;
    let Some(asked) = tree.first().cloned() else {
        return Ok(Vec::new());
    };
    // The asked area is one unit when it is a community or lies inside one; else its
    // communities are, and whatever lies outside them is counted on the asked area itself.
    let inside = asked.area.kind >= AreaKind::Community;
    let mut units: Vec<(UnitFigures, bool)> = Vec::new();
    let mut by_path = HashMap::new();
    for a in &tree {
        if (inside && a.area.id == asked.area.id) || (!inside && a.area.kind == AreaKind::Community)
        {
            by_path.insert(a.area.path.to_string(), units.len());
            let mut f = Figures::default();
            f.add("persons", a.persons);
            f.add("households", a.households);
            units.push((
                UnitFigures {
                    area: a.area.clone(),
                    figures: f,
                },
                true,
            ));
        }
    }
    let rest = units.len();
    let (mut rest_persons, mut rest_households) = (asked.persons, asked.households);
    for (u, _) in &units {
        rest_persons -= u.figures.get("persons");
        rest_households -= u.figures.get("households");
    }
    let mut rest_figures = Figures::default();
    rest_figures.add("persons", rest_persons);
    rest_figures.add("households", rest_households);
    units.push((
        UnitFigures {
            area: asked.area.clone(),
            figures: rest_figures,
        },
        false,
    ));
    let map = Units { by_path, rest };

    let (a, b, c) = subtree_bounds(&q.area);
    let day_text = ymd(q.day);
    for count in COUNTS {
        let sql = statement(count);
        let mut query = sqlx::query(AssertSqlSafe(sql))
            .bind(a.clone())
            .bind(b.clone())
            .bind(c.clone());
        for bind in count.binds {
            query = match bind {
                Bind::Day => query.bind(day_text.clone()),
                Bind::DayInKey => query.bind(format!("%:{day_text}:%")),
                Bind::From => query.bind(utc(q.from)),
                Bind::To => query.bind(utc(q.to)),
                Bind::UpTo => query.bind(utc(q.to.min(q.now))),
            };
        }
        let rows = query.fetch_all(store.pool()).await.map_err(db_err)?;
        match count.sum {
            Sum::All => {
                for r in rows {
                    use sqlx::Row;
                    let path: String = r.try_get(0).map_err(db_err)?;
                    let n: i64 = r.try_get(1).map_err(db_err)?;
                    units[map.of(&path)].0.figures.add(count.key, n);
                }
            }
            Sum::NewestRound => {
                // Per unit: (newest round, its count).
                let mut newest: HashMap<usize, (i64, i64)> = HashMap::new();
                for r in rows {
                    use sqlx::Row;
                    let path: String = r.try_get(0).map_err(db_err)?;
                    let round: i64 = r.try_get(1).map_err(db_err)?;
                    let n: i64 = r.try_get(2).map_err(db_err)?;
                    let e = newest.entry(map.of(&path)).or_insert((round, 0));
                    if round > e.0 {
                        *e = (round, 0);
                    }
                    if round == e.0 {
                        e.1 += n;
                    }
                }
                for (u, (_, n)) in newest {
                    units[u].0.figures.add(count.key, n);
                }
            }
        }
    }
    // Every figure is present (0 when nothing was counted).
    for (u, _) in &mut units {
        for f in FIGURES {
            u.figures.add(f.key, 0);
        }
    }
    let keep_rest = units
        .last()
        .is_some_and(|(u, _)| u.figures.0.values().any(|v| *v != 0));
    Ok(units
        .into_iter()
        .filter(|(_, unit)| *unit || keep_rest)
        .map(|(u, _)| u)
        .collect())
}

#[derive(sqlx::FromRow)]
struct SignRow {
    area_id: i64,
    area_path: String,
    on_day: String,
    figures: String,
    signed_by: String,
    signed_at: OffsetDateTime,
}

impl SignRow {
    fn into_signoff(self) -> StoreResult<Signoff> {
        let figures =
            serde_json::from_str(&self.figures).map_err(|_| corrupt("signed figures", "json"))?;
        Ok(Signoff {
            area_id: self.area_id,
            area_path: AreaPath::from_stored(self.area_path),
            day: day(&self.on_day)?,
            figures: Figures(figures),
            signed_by: self.signed_by,
            signed_at: self.signed_at,
        })
    }
}

#[async_trait]
impl DailyReports for SqlStore {
    async fn daily_figures(&self, q: &DayQuery) -> StoreResult<Vec<UnitFigures>> {
        figures(self, q).await
    }

    async fn sign_daily(&self, s: &Signoff, audit: Audit<Signoff>) -> StoreResult<Signoff> {
        let s = s.clone();
        let json = serde_json::to_string(&s.figures.0).map_err(|e| StoreError::Other(e.into()))?;
        self.write(audit, move |c| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO daily_signoffs (area_id, area_path, on_day, figures, signed_by, signed_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (area_id, on_day) DO UPDATE SET \
                     figures = excluded.figures, signed_by = excluded.signed_by, signed_at = excluded.signed_at",
                )
                .bind(s.area_id)
                .bind(s.area_path.as_str())
                .bind(ymd(s.day))
                .bind(json)
                .bind(&s.signed_by)
                .bind(utc(s.signed_at))
                .execute(&mut *c)
                .await
                .map_err(db_err)?;
                Ok(s)
            })
        })
        .await
    }

    async fn daily_signoffs(&self, area: &AreaPath, on: Date) -> StoreResult<Vec<Signoff>> {
        let (a, b, c) = subtree_bounds(area);
        // Under the area, or holding it (a grid's report shows its community's sign-off).
        let rows: Vec<SignRow> = sqlx::query_as(
            "SELECT area_id, area_path, on_day, figures, signed_by, signed_at FROM daily_signoffs \
             WHERE on_day = $4 AND (area_path = $1 OR (area_path >= $2 AND area_path < $3) \
             OR substr($1, 1, length(area_path) + 1) = area_path || '/') ORDER BY area_path",
        )
        .bind(a)
        .bind(b)
        .bind(c)
        .bind(ymd(on))
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        rows.into_iter().map(SignRow::into_signoff).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_figure_is_counted_once() {
        for f in FIGURES {
            let n = COUNTS.iter().filter(|c| c.key == f.key).count()
                + FROM_TOTALS.iter().filter(|k| **k == f.key).count();
            assert_eq!(n, 1, "{}", f.key);
        }
        assert_eq!(COUNTS.len() + FROM_TOTALS.len(), FIGURES.len());
    }
}
