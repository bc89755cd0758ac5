//! New households and persons written straight through SQLite's C API.
//!
//! Handing a value to SQLite through sqlx costs about 0.7 µs (a copy into an owned argument,
//! a trip to sqlx's worker thread, a second copy by `sqlite3_bind_text64`, a free on the other
//! thread): 10 µs a person, most of an import's time. Here the same connection, inside the same
//! transaction, runs two prepared single-row statements per row with the values borrowed, on the
//! calling thread. Everything that is not a plain insert (persons already on file: the diff,
//! update and history) stays with the shared SQL (`sql::persons::upsert_persons_in`).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

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
        if let Some(seen) = &mut state.deferred_documents
            && seen.insert(&(p.id_type, p.id_number))
        {
            // Perhaps a person this load wrote already: from here on the index decides.
            db.execute_batch(DOCUMENT_INDEX.1)?;
            state.deferred_documents = None;
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
            out.persons.push((i, db.last_insert_rowid()));
        }
        out.households.push(household);
    }
    Ok(out)
}

/// A Bloom filter of fixed size (16 MiB, 6 probes): whether a key may have been inserted
/// before. It never misses a key it holds; it may raise a false alarm, about once in 10^8
/// lookups at a million keys, more often beyond. Its memory is the same for any file.
pub struct SeenFilter {
    words: Vec<u64>,
}

impl SeenFilter {
    const BITS: u64 = 1 << 27;
    const PROBES: u64 = 6;

    pub fn new() -> SeenFilter {
        SeenFilter {
            words: vec![0; (Self::BITS / 64) as usize],
        }
    }

    /// Adds `key`; true if it may have been added before.
    pub fn insert(&mut self, key: &impl Hash) -> bool {
        let mut h = std::hash::DefaultHasher::new();
        key.hash(&mut h);
        let h = h.finish();
        // Double hashing: probe i is at a + i·b (Kirsch and Mitzenmacher).
        let (a, b) = (h & 0xFFFF_FFFF, (h >> 32) | 1);
        let mut seen = true;
        for i in 0..Self::PROBES {
            let bit = a.wrapping_add(i.wrapping_mul(b)) % Self::BITS;
            let (word, mask) = ((bit / 64) as usize, 1u64 << (bit % 64));
            if let Some(w) = self.words.get_mut(word) {
                seen &= *w & mask != 0;
                *w |= mask;
            }
        }
        seen
    }
}

impl std::fmt::Debug for SeenFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SeenFilter")
    }
}

impl Default for SeenFilter {
    fn default() -> Self {
        SeenFilter::new()
    }
}

fn other(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Other(Box::new(e))
}

#[cfg(test)]
mod tests {
    use super::SeenFilter;

    #[test]
    fn the_filter_knows_every_key_it_was_given() {
        let mut f = SeenFilter::new();
        let keys: Vec<String> = (0..100_000).map(|i| format!("4101021940{i:08}")).collect();
        let alarms = keys.iter().filter(|k| f.insert(k)).count();
        assert!(alarms <= 1, "{alarms} false alarms among 100,000 new keys");
        assert!(
            keys.iter().all(|k| f.insert(k)),
            "every key is seen the second time"
        );
    }
}
