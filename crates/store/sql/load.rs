//! Bulk loads: a large import written in one transaction on one connection of its own, so the
//! backend can defer index upkeep to the end (see `backend::bulk_begin`/`bulk_finish`); and the
//! places an import batch creates in the batch's own transaction ([`write_places`]).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use doorstep_core::AreaKind;
use doorstep_store::*;

use super::counts::CountDeltas;
use super::util::{Conn, db_err};
use super::{accounts, areas, persons};
use crate::backend::{self, Pool};

/// An open bulk load. Dropped without [`Load::finish`], its connection closes and the
/// database rolls everything back.
pub struct BulkLoad {
    conn: Conn,
    /// The writer stands still while the load holds its own write transaction.
    _lease: backend::Lease,
    state: backend::LoadState,
    /// The area totals' changes, written once at the end: in random address order every
    /// batch touches thousands of areas.
    counts: CountDeltas,
}

impl BulkLoad {
    /// Waits for the writer to stand still, takes a connection out of the pool for good and
    /// starts the load's transaction.
    pub async fn begin(pool: &Pool, writer: &backend::Writer) -> StoreResult<BulkLoad> {
        let lease = writer.lease().await?;
        let mut conn = pool.acquire().await.map_err(db_err)?.detach();
        let state = backend::bulk_begin(&mut conn).await.map_err(db_err)?;
        Ok(BulkLoad {
            conn,
            _lease: lease,
            state,
            counts: CountDeltas::default(),
        })
    }
}

#[async_trait]
impl Load for BulkLoad {
    async fn ensure_child_area(
        &mut self,
        parent: &Area,
        kind: AreaKind,
        name: &str,
    ) -> StoreResult<Area> {
        areas::ensure_child_area_in(&mut self.conn, parent, kind, name).await
    }

    async fn write_batch(
        &mut self,
        actor: &Actor,
        places: &[NewPlace],
        rows: &[PersonUpsert],
        audit: Audit<UpsertReport>,
    ) -> StoreResult<BatchReport> {
        let report = write_batch_in(
            &mut self.conn,
            actor,
            places,
            rows,
            &mut self.state,
            &mut self.counts,
        )
        .await?;
        for entry in audit(&report.persons) {
            accounts::audit(&mut self.conn, &entry).await?;
        }
        Ok(report)
    }

    async fn finish(self: Box<Self>) -> StoreResult<()> {
        let BulkLoad {
            mut conn,
            state,
            counts,
            ..
        } = *self;
        counts.apply(&mut conn).await?;
        backend::bulk_finish(&mut conn, state).await.map_err(db_err)
    }
}

/// Writes one import batch inside the transaction the caller holds: the rows the actor may
/// not write are weighed first ([`persons::refused_rows`]), then only the batch's new places
/// that a written row lives in are created (with the new places above them), then the rows.
/// A place whose every row was refused is not created: an import leaves no empty place.
pub async fn write_batch_in(
    conn: &mut Conn,
    actor: &Actor,
    places: &[NewPlace],
    rows: &[PersonUpsert],
    state: &mut backend::LoadState,
    counts: &mut CountDeltas,
) -> StoreResult<BatchReport> {
    let refused = persons::refused_rows(conn, actor, rows, state).await?;
    let written = write_places(conn, places, &needed(places, rows, &refused)).await?;
    let mut rows = Cow::Borrowed(rows);
    if rows.iter().any(|r| r.area_id < 0) {
        written.place(rows.to_mut(), &refused)?;
    }
    let persons = persons::upsert_kept(conn, actor, &rows, &refused, state, counts).await?;
    Ok(BatchReport {
        places: written.stored,
        persons,
    })
}

/// The provisional ids of the batch's places that the rows not refused (`refused`: their
/// indexes, ascending) live in, and of the batch's places above those.
fn needed(places: &[NewPlace], rows: &[PersonUpsert], refused: &[usize]) -> HashSet<Id> {
    let parents: HashMap<Id, Id> = places.iter().map(|p| (p.id, p.parent.id)).collect();
    let mut needed = HashSet::new();
    for (_, r) in rows
        .iter()
        .enumerate()
        .filter(|(i, r)| r.area_id < 0 && refused.binary_search(i).is_err())
    {
        let mut id = r.area_id;
        while id < 0 && needed.insert(id) {
            match parents.get(&id) {
                Some(&parent) => id = parent,
                None => break,
            }
        }
    }
    needed
}

/// The places of one batch as stored, and each provisional id's area id.
pub struct Written {
    /// One per place, in order: `None` for one not created ([`write_batch_in`]).
    pub stored: Vec<Option<Area>>,
    ids: HashMap<Id, Id>,
}

/// Creates (or finds) each of a batch's new places in `needed` in order, inside the
/// transaction the caller holds, so they commit with the batch's persons or not at all.
pub async fn write_places(
    conn: &mut Conn,
    places: &[NewPlace],
    needed: &HashSet<Id>,
) -> StoreResult<Written> {
    let mut written = Written {
        stored: Vec::with_capacity(places.len()),
        ids: HashMap::with_capacity(places.len()),
    };
    for p in places {
        if !needed.contains(&p.id) {
            written.stored.push(None);
            continue;
        }
        let mut parent = Cow::Borrowed(&p.parent);
        if parent.id < 0 {
            parent.to_mut().id = written.on_file(parent.id)?;
        }
        let area = areas::ensure_child_area_in(conn, &parent, p.kind, &p.name).await?;
        written.ids.insert(p.id, area.id);
        written.stored.push(Some(area));
    }
    Ok(written)
}

impl Written {
    /// Replaces each provisional area id of `rows` but the refused ones (`refused`: their
    /// indexes, ascending; they are not written) by the id its place was stored as.
    pub fn place(&self, rows: &mut [PersonUpsert], refused: &[usize]) -> StoreResult<()> {
        for (i, r) in rows.iter_mut().enumerate() {
            if r.area_id < 0 && refused.binary_search(&i).is_err() {
                r.area_id = self.on_file(r.area_id)?;
            }
        }
        Ok(())
    }

    /// The area id of the batch's place `provisional`.
    fn on_file(&self, provisional: Id) -> StoreResult<Id> {
        self.ids.get(&provisional).copied().ok_or_else(|| {
            StoreError::Other(
                format!("the batch names place {provisional}, which it does not create before")
                    .into(),
            )
        })
    }
}
