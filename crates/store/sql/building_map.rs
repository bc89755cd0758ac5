//! The building map: [`doorstep_store::BuildingMaps`] over `households`, `persons`, the
//! round's `samples`, `round_exclusions` and `sample_flags`, and `areas.room_digits`.

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_store::*;

use super::SqlStore;
use super::util::{db_err, subtree_bounds};

#[async_trait]
impl BuildingMaps for SqlStore {
    async fn round_map_households(
        &self,
        round_id: Id,
        area: &AreaPath,
    ) -> StoreResult<Vec<MapHousehold>> {
        let (a, b, c) = subtree_bounds(area);
        // One row per household: each person meets at most one first sample (`sample_once`),
        // one exclusion and one flag (their keys), so the counts do not fan out.
        type Row = (i64, i64, String, String, i64, i64, i64, i64);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT h.id, a.id, a.path, h.room, COUNT(p.id), COUNT(s.id), COUNT(x.person_id), \
             COUNT(f.person_id) FROM areas a JOIN households h ON h.area_id = a.id \
             LEFT JOIN persons p ON p.household_id = h.id \
             LEFT JOIN samples s ON s.round_id = $4 AND s.person_id = p.id AND s.retest = FALSE \
             LEFT JOIN round_exclusions x ON x.round_id = $4 AND x.person_id = p.id \
             LEFT JOIN sample_flags f ON f.round_id = $4 AND f.person_id = p.id AND f.status = 'flagged' \
             WHERE (a.path = $1 OR (a.path >= $2 AND a.path < $3)) \
             GROUP BY h.id, a.id, a.path, h.room ORDER BY a.path, h.id",
        )
        .bind(a)
        .bind(b)
        .bind(c)
        .bind(round_id)
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(
                |(household_id, area_id, path, room, members, sampled, excused, flagged)| {
                    MapHousehold {
                        household_id,
                        area_id,
                        area_path: AreaPath::from_stored(path),
                        room,
                        members,
                        sampled,
                        excused,
                        flagged,
                    }
                },
            )
            .collect())
    }

    async fn quarantine_map_households(
        &self,
        area: &AreaPath,
        now: time::OffsetDateTime,
    ) -> StoreResult<Vec<QuarantineHousehold>> {
        let (a, b, c) = subtree_bounds(area);
        type Row = (i64, i64, String, String, i64, i64);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT h.id, a.id, a.path, h.room, COUNT(DISTINCT p.id), COUNT(DISTINCT e.person_id) \
             FROM areas a JOIN households h ON h.area_id = a.id \
             LEFT JOIN persons p ON p.household_id = h.id \
             LEFT JOIN episodes e ON e.person_id = p.id AND e.status = 'active' \
               AND e.measure IN ('home_quarantine', 'home_health_monitoring') AND e.ends_at > $4 \
             WHERE (a.path = $1 OR (a.path >= $2 AND a.path < $3)) \
             GROUP BY h.id, a.id, a.path, h.room ORDER BY a.path, h.id",
        )
        .bind(&a)
        .bind(&b)
        .bind(&c)
        .bind(now.to_offset(time::UtcOffset::UTC))
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        // The open follow-ups and deliveries of the area, each on its household (a person's
        // through their file).
        let open: Vec<(Option<i64>, String, String)> = sqlx::query_as(
            "SELECT CASE WHEN t.target_type = 'household' THEN t.target_id ELSE p.household_id END, \
             t.source, t.kind FROM tasks t \
             LEFT JOIN persons p ON t.target_type = 'person' AND p.id = t.target_id \
             WHERE (t.area_path = $1 OR (t.area_path >= $2 AND t.area_path < $3)) \
             AND t.status IN ('open', 'in_progress') \
             AND (t.kind = 'delivery' OR t.source IN ('checkin_abnormal', 'checkin_missed', 'episode_test_missed'))",
        )
        .bind(&a)
        .bind(&b)
        .bind(&c)
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        let mut flags: std::collections::HashMap<i64, (i64, i64, i64)> =
            std::collections::HashMap::new();
        for (h, source, kind) in open {
            let Some(h) = h else { continue };
            let f = flags.entry(h).or_default();
            match (source.as_str(), kind.as_str()) {
                ("checkin_abnormal", _) => f.0 += 1,
                ("checkin_missed" | "episode_test_missed", _) => f.1 += 1,
                (_, "delivery") => f.2 += 1,
                _ => {}
            }
        }
        Ok(rows
            .into_iter()
            .map(|(household_id, area_id, path, room, members, in_episode)| {
                let (abnormal, overdue, supply) =
                    flags.get(&household_id).copied().unwrap_or_default();
                QuarantineHousehold {
                    household_id,
                    area_id,
                    area_path: AreaPath::from_stored(path),
                    room,
                    members,
                    in_episode,
                    abnormal,
                    overdue,
                    supply,
                }
            })
            .collect())
    }

    async fn room_digits_under(&self, area: &AreaPath) -> StoreResult<Vec<(Id, u8)>> {
        let (a, b, c) = subtree_bounds(area);
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT id, CAST(room_digits AS BIGINT) FROM areas WHERE (path = $1 OR (path >= $2 AND path < $3)) \
             AND room_digits IS NOT NULL",
        )
        .bind(a)
        .bind(b)
        .bind(c)
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, d)| u8::try_from(d).ok().map(|d| (id, d)))
            .collect())
    }

    async fn set_room_digits(
        &self,
        area_id: Id,
        digits: Option<u8>,
        audit: Audit<()>,
    ) -> StoreResult<()> {
        self.write(audit, move |c| {
            Box::pin(async move {
                let n = sqlx::query("UPDATE areas SET room_digits = $1 WHERE id = $2")
                    .bind(digits.map(i64::from))
                    .bind(area_id)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                if n == 0 {
                    return Err(StoreError::NotFound(format!("area {area_id}")));
                }
                Ok(())
            })
        })
        .await
    }
}
