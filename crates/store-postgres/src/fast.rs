//! New households and persons written with `COPY`: the batch goes into a temporary table in
//! one stream, then one `INSERT … SELECT` per table moves what is new. Persons already on file
//! are left to the shared SQL (`sql::persons::upsert_persons_in`), which
//! writes their changes and history.

use std::collections::HashMap;
use std::fmt::Write as _;

use doorstep_store::{Id, PersonUpsert, StoreError, StoreResult};
use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::backend::LoadState;
use crate::sql::doc_table::DocTable;
use crate::sql::persons::{INSERT_COLS, Inserted, NewPerson};
use crate::sql::util::db_err;

/// An empty table for the batch, as `COPY` writes it: row number, whether the person is to be
/// written as new, the household when this load has met it already, place, then the person's
/// columns as stored. It lives as long as the connection (or until its transaction rolls back)
/// and is emptied at every commit, so no roster lingers in it.
const STAGE: &str = "DO $$ BEGIN
    IF to_regclass('pg_temp.import_rows') IS NULL THEN
        CREATE TEMPORARY TABLE import_rows (
            i INTEGER NOT NULL, fresh BOOLEAN NOT NULL, household_id BIGINT,
            area_id BIGINT NOT NULL, room TEXT NOT NULL, address TEXT NOT NULL,
            name TEXT NOT NULL, id_type TEXT NOT NULL, id_number TEXT NOT NULL, id_rev TEXT NOT NULL,
            sex TEXT, birth_date DATE, phone TEXT, phone_rev TEXT, relation TEXT, residency TEXT,
            tags TEXT NOT NULL) ON COMMIT DELETE ROWS;
    ELSE
        TRUNCATE import_rows;
    END IF;
END $$";

/// Writes every row's household (if missing) and every person not on file yet; answers each
/// row's household and the new persons' ids. A person already on file is left untouched.
pub async fn insert_new(
    conn: &mut PgConnection,
    rows: &[PersonUpsert],
    now: OffsetDateTime,
    state: &mut LoadState,
) -> StoreResult<Inserted> {
    sqlx::query(STAGE)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    // Without the document rule (a load into an empty registry), the persons this load wrote
    // already are found in its table of documents.
    let known = match &state.deferred_documents {
        Some(written) => written_before(conn, rows, written).await?,
        None => HashMap::new(),
    };
    let mut data = CopyText::with_capacity(rows.len() * 160);
    for (i, row) in rows.iter().enumerate() {
        let p = NewPerson::of(&row.fields);
        data.num(i);
        data.cell(Some(if known.contains_key(&i) { "f" } else { "t" }));
        match state.households.get(row.area_id, &row.room) {
            Some(h) => data.num(h),
            None => data.cell(None),
        }
        data.num(row.area_id);
        for cell in [
            Some(row.room.as_str()),
            Some(&row.address),
            Some(p.name),
            Some(p.id_type),
            Some(p.id_number),
            Some(&p.id_rev),
            p.sex,
            p.birth_date.as_deref(),
            p.phone,
            p.phone_rev.as_deref(),
            p.relation,
            p.residency,
            Some(&p.tags),
        ] {
            data.cell(cell);
        }
        data.end_row();
    }
    copy_in(conn, "COPY import_rows FROM STDIN", data).await?;

    // Each room is looked up in the room index (a scalar subquery is never turned into a join,
    // which on a growing table the planner made a scan of every household, batch after batch);
    // only the missing ones are inserted.
    let new_households: Vec<Id> = sqlx::query_scalar(
        "INSERT INTO households (area_id, room, address, created_at) \
         SELECT DISTINCT ON (area_id, room) area_id, room, address, $1 FROM import_rows r \
         WHERE r.household_id IS NULL \
         AND (SELECT h.id FROM households h WHERE h.area_id = r.area_id AND h.room = r.room) IS NULL \
         ORDER BY area_id, room, i \
         ON CONFLICT DO NOTHING RETURNING area_id",
    )
    .bind(now)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;

    // Every row with its household and, if its person was new, the new id, in row order.
    let placed: Vec<(i32, Id, Option<Id>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH placed AS MATERIALIZED ( \
             SELECT r.*, COALESCE(r.household_id, (SELECT h.id FROM households h \
                 WHERE h.area_id = r.area_id AND h.room = r.room)) AS found_household FROM import_rows r), \
         new AS ( \
             INSERT INTO persons ({INSERT_COLS}) \
             SELECT found_household, name, id_type, id_number, id_rev, sex, birth_date, phone, \
                    phone_rev, relation, residency, tags, $1, $1 \
             FROM placed WHERE fresh ORDER BY i \
             ON CONFLICT DO NOTHING RETURNING id, id_rev, id_type) \
         SELECT p.i, p.found_household, new.id FROM placed p \
         LEFT JOIN new ON new.id_rev = p.id_rev AND new.id_type = p.id_type \
         ORDER BY p.i"
    )))
    .bind(now)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    if placed.len() != rows.len() {
        return Err(StoreError::Other(
            "a row of the batch found no household".into(),
        ));
    }
    let mut out = Inserted {
        new_households,
        ..Inserted::default()
    };
    for (i, household, new) in placed {
        let i = i as usize;
        out.households.push(household);
        if state.deferred_documents.is_some() {
            // The load holds the tables: a household it has met stays as it is.
            state
                .households
                .note(rows[i].area_id, &rows[i].room, household);
        }
        if let Some(id) = new {
            if let Some(written) = &mut state.deferred_documents {
                let doc = rows[i].fields.doc();
                if !written.insert(&(doc.doc_type().code(), doc.number()), id) {
                    return Err(StoreError::Other(
                        "a bulk load wrote more persons than it can keep track of".into(),
                    ));
                }
            }
            out.persons.push((i, id));
        }
    }
    out.known = known.into_iter().collect();
    out.known.sort_unstable();
    Ok(out)
}

/// The rows of the batch whose person this load has written before, with the person's id:
/// every candidate the table offers, checked against the stored document in one query.
async fn written_before(
    conn: &mut PgConnection,
    rows: &[PersonUpsert],
    written: &DocTable,
) -> StoreResult<HashMap<usize, Id>> {
    let mut candidates: Vec<(usize, Id)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let doc = row.fields.doc();
        candidates.extend(
            written
                .candidates(&(doc.doc_type().code(), doc.number()))
                .map(|id| (i, id)),
        );
    }
    let mut known = HashMap::new();
    if candidates.is_empty() {
        return Ok(known);
    }
    let ids: Vec<Id> = candidates.iter().map(|&(_, id)| id).collect();
    let stored: HashMap<Id, (String, String)> = sqlx::query_as::<_, (Id, String, String)>(
        "SELECT id, id_type, id_number FROM persons WHERE id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?
    .into_iter()
    .map(|(id, t, n)| (id, (t, n)))
    .collect();
    for (i, id) in candidates {
        let doc = rows[i].fields.doc();
        if stored
            .get(&id)
            .is_some_and(|(t, n)| t == doc.doc_type().code() && n == doc.number())
        {
            known.insert(i, id);
        }
    }
    Ok(known)
}

/// Rows in `COPY`'s text format, built cell by cell: cells separated by tabs, rows ended by
/// new lines, `NULL` as `\N`, and backslash, tab, new line and carriage return escaped.
#[derive(Debug)]
pub struct CopyText {
    data: String,
    /// Whether the next cell starts a row (no tab before it).
    at_start: bool,
}

impl CopyText {
    /// Empty, with room for about `bytes`.
    pub fn with_capacity(bytes: usize) -> CopyText {
        CopyText {
            data: String::with_capacity(bytes),
            at_start: true,
        }
    }

    fn sep(&mut self) {
        if !self.at_start {
            self.data.push('\t');
        }
        self.at_start = false;
    }

    /// A text cell (`None`: `NULL`).
    pub fn cell(&mut self, v: Option<&str>) {
        self.sep();
        match v {
            Some(v) => escape(&mut self.data, v),
            None => self.data.push_str("\\N"),
        }
    }

    /// A number cell.
    pub fn num(&mut self, v: impl std::fmt::Display) {
        self.sep();
        let _ = write!(self.data, "{v}");
    }

    /// Ends the row.
    pub fn end_row(&mut self) {
        self.data.push('\n');
        self.at_start = true;
    }
}

/// Streams `data` through `statement` (`COPY table (columns) FROM STDIN`).
pub async fn copy_in(conn: &mut PgConnection, statement: &str, data: CopyText) -> StoreResult<()> {
    let mut copy = conn.copy_in_raw(statement).await.map_err(db_err)?;
    copy.send(data.data.into_bytes()).await.map_err(db_err)?;
    copy.finish().await.map_err(db_err)?;
    Ok(())
}

/// Stores the rows of investigation list `id` with one `COPY` (see `sql::lists`; SQLite
/// inserts them many to a statement): 100,000 rows as 100 multi-row `INSERT`s of 19
/// parameters each took 4.3 s here.
pub async fn insert_list_rows(
    conn: &mut PgConnection,
    id: Id,
    rows: &[doorstep_store::NewListRow],
) -> StoreResult<()> {
    let mut data = CopyText::with_capacity(rows.len() * 200);
    for r in rows {
        let v = crate::sql::lists::RowValues::of(id, r)?;
        data.num(id);
        data.num(v.seq);
        data.num(v.row_no);
        data.cell(Some(&v.cells));
        for cell in [
            Some(r.name.as_str()),
            Some(&r.id_number),
            Some(&r.phone),
            Some(&r.risk_place),
            Some(&r.seen_at),
            Some(&r.source),
            r.id_key.as_deref(),
            r.phone_key.as_deref(),
            r.problem.as_deref(),
            v.match_kind,
        ] {
            data.cell(cell);
        }
        for n in [
            r.person_id,
            r.household_id,
            v.dup_list,
            v.dup_seq.map(i64::from),
        ] {
            match n {
                Some(n) => data.num(n),
                None => data.cell(None),
            }
        }
        data.num(v.calls);
        data.end_row();
    }
    let statement = format!(
        "COPY list_rows ({}) FROM STDIN",
        crate::sql::lists::INSERT_COLS
    );
    copy_in(conn, &statement, data).await
}

/// Appends `v` in `COPY`'s text format: backslash, tab, newline and carriage return escaped.
fn escape(out: &mut String, v: &str) {
    for ch in v.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn copy_text_escapes_its_separators() {
        let mut s = String::new();
        super::escape(&mut s, "a\tb\\c\nd\re");
        assert_eq!(s, "a\\tb\\\\c\\nd\\re");
    }

    #[test]
    fn copy_rows_separate_cells_and_rows() {
        let mut t = super::CopyText::with_capacity(0);
        t.num(1);
        t.cell(None);
        t.cell(Some("a\tb"));
        t.end_row();
        t.cell(Some(""));
        t.num(2);
        t.end_row();
        assert_eq!(t.data, "1\t\\N\ta\\tb\n\t2\n");
    }
}
