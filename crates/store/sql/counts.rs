//! The counts kept on the area tree (`areas.households_here`, `areas.persons_here`,
//! `area_tag_counts`), changed in the same transaction as the rows they count.

use std::collections::HashMap;

use doorstep_core::Tags;
use doorstep_store::{Id, StoreResult};
use sqlx::AssertSqlSafe;

use super::util::Conn;
use super::util::{MAX_PARAMS, db_err, values_clause};

/// Changes to the counts, gathered over a batch and written once.
#[derive(Debug, Default)]
pub struct CountDeltas {
    areas: HashMap<Id, (i64, i64)>,
    tags: HashMap<(Id, String), i64>,
}

impl CountDeltas {
    /// A household appeared in (or left) an area.
    pub fn household(&mut self, area: Id, delta: i64) {
        self.areas.entry(area).or_default().0 += delta;
    }

    /// A person with `tags` appeared in (or left) an area.
    pub fn person(&mut self, area: Id, tags: &Tags, delta: i64) {
        self.areas.entry(area).or_default().1 += delta;
        for t in tags.as_slice() {
            *self.tags.entry((area, t.clone())).or_default() += delta;
        }
    }

    /// Writes the changes: one statement for the area totals (a batch in random address order
    /// touches thousands of areas), one per chunk of tag counts.
    pub async fn apply(self, conn: &mut Conn) -> StoreResult<()> {
        let areas: Vec<(Id, (i64, i64))> = self
            .areas
            .into_iter()
            .filter(|(_, (h, p))| *h != 0 || *p != 0)
            .collect();
        for chunk in areas.chunks(MAX_PARAMS / 3) {
            // `VALUES` names its columns column1, column2, … on both databases.
            let sql = format!(
                "UPDATE areas SET households_here = households_here + d.column2, \
                 persons_here = persons_here + d.column3 \
                 FROM (VALUES {}) AS d WHERE areas.id = d.column1",
                values_clause(chunk.len(), 3, 1)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql)).persistent(false);
            for (area, (households, persons)) in chunk {
                q = q.bind(*area).bind(*households).bind(*persons);
            }
            q.execute(&mut *conn).await.map_err(db_err)?;
        }
        let tags: Vec<((Id, String), i64)> =
            self.tags.into_iter().filter(|(_, d)| *d != 0).collect();
        for chunk in tags.chunks(MAX_PARAMS / 3) {
            let sql = format!(
                "INSERT INTO area_tag_counts (area_id, tag, persons) VALUES {} \
                 ON CONFLICT (area_id, tag) DO UPDATE SET persons = area_tag_counts.persons + excluded.persons",
                values_clause(chunk.len(), 3, 1)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql)).persistent(false);
            for ((area, tag), delta) in chunk {
                q = q.bind(*area).bind(tag).bind(*delta);
            }
            q.execute(&mut *conn).await.map_err(db_err)?;
        }
        Ok(())
    }
}
