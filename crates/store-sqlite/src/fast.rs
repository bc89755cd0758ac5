//! New households and persons written straight through SQLite's C API.
//!
//! Handing a value to SQLite through sqlx costs about 0.7 µs (a copy into an owned argument,
//! a trip to sqlx's worker thread, a second copy by `sqlite3_bind_text64`, a free on the other
//! thread): 10 µs a person, most of an import's time. Here the same connection, inside the same
//! transaction, runs two prepared single-row statements per row with the values borrowed, on the
//! calling thread. Everything that is not a plain insert (persons already on file: the diff,
//! update and history) stays with the shared SQL (`sql::persons::upsert_persons_in`).

use std::collections::HashMap;

use doorstep_store::{Id, PersonUpsert, StoreError, StoreResult};
use rusqlite::params;
use sqlx::SqliteConnection;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::backend::{DOCUMENT_INDEX, LoadState};
use crate::sql::persons::{INSERT_COLS, Inserted, NewPerson};
use crate::sql::util::db_err;

/// Writes every row's household (if missing) and every person not on file yet; answers each
/// row's household and the new persons' ids. A person already on file is left untouched.
pub async fn insert_new(
    conn: &mut SqliteConnection,
    rows: &[PersonUpsert],
    now: OffsetDateTime,
    state: &mut LoadState,
) -> StoreResult<Inserted> {
    let now = now.format(&Rfc3339).map_err(other)?;
    let mut handle = conn.lock_handle().await.map_err(db_err)?;
    let raw = handle.as_raw_handle();
    // SAFETY: `raw` is the open connection behind `conn`, locked for us by `handle` (sqlx's
    // worker cannot use it meanwhile) until `handle` drops, after `db`. `from_handle` wraps it
    // without owning it: dropping `db` finalizes the statements prepared here, never closes the
    // connection.
    #[allow(unsafe_code)]
    let db = unsafe { rusqlite::Connection::from_handle(raw.as_ptr()) }.map_err(other)?;
    let done = blocking(|| write(&db, rows, &now, state)).map_err(other);
    drop(db);
    drop(handle);
    done
}

/// Runs `f`, which blocks for a batch's worth of writes, without stalling other tasks of a
/// multi-threaded runtime (tests run on a single-threaded one, where that is not possible).
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

fn write(
    db: &rusqlite::Connection,
    rows: &[PersonUpsert],
    now: &str,
    state: &mut LoadState,
) -> rusqlite::Result<Inserted> {
    let mut add_household = db.prepare(
        "INSERT INTO households (area_id, room, address, created_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT DO NOTHING",
    )?;
    let mut find_household =
        db.prepare("SELECT id FROM households WHERE area_id = ?1 AND room = ?2")?;
    let mut same_document = db.prepare("SELECT id_type, id_number FROM persons WHERE id = ?1")?;
    let mut add_person = db.prepare(&format!(
        "INSERT INTO persons ({INSERT_COLS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13) \
         ON CONFLICT DO NOTHING"
    ))?;
    let mut out = Inserted::default();
    // The households of this batch: a family's rows are usually together in a roster.
    let mut households: HashMap<(Id, &str), Id> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let key = (row.area_id, row.room.as_str());
        let household = match households.get(&key) {
            Some(&id) => id,
            None => {
                let id = if add_household.execute(params![
                    row.area_id,
                    row.room,
                    row.address,
                    now
                ])? == 1
                {
                    out.new_households.push(row.area_id);
                    db.last_insert_rowid()
                } else {
                    // Already there (the insert did nothing): it cannot be gone since.
                    find_household.query_row(params![row.area_id, row.room], |r| r.get(0))?
                };
                households.insert(key, id);
                id
            }
        };
        let p = NewPerson::of(&row.fields);
        if let Some(written) = &mut state.deferred_documents {
            // No document index: the table of what this load wrote says whether the person is
            // on file (each candidate checked against the row itself).
            let key = (p.id_type, p.id_number);
            let mut found = None;
            for candidate in written.candidates(&key) {
                let (t, n): (String, String) =
                    same_document.query_row(params![candidate], |r| Ok((r.get(0)?, r.get(1)?)))?;
                if t == p.id_type && n == p.id_number {
                    found = Some(candidate);
                    break;
                }
            }
            if let Some(id) = found {
                out.known.push((i, id));
                out.households.push(household);
                continue;
            }
        }
        let added = add_person.execute(params![
            household,
            p.name,
            p.id_type,
            p.id_number,
            p.id_rev,
            p.sex,
            p.birth_date,
            p.phone,
            p.phone_rev,
            p.relation,
            p.residency,
            p.tags,
            now,
        ])?;
        if added == 1 {
            let id = db.last_insert_rowid();
            if let Some(written) = &mut state.deferred_documents
                && !written.insert(&(p.id_type, p.id_number), id)
            {
                // An id beyond the table's reach: from here on the index decides.
                db.execute_batch(DOCUMENT_INDEX.1)?;
                state.deferred_documents = None;
            }
            out.persons.push((i, id));
        }
        out.households.push(household);
    }
    Ok(out)
}

fn other(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Other(Box::new(e))
}
