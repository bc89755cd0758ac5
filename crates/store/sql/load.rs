//! Bulk loads: a large import written in one transaction on one connection of its own, so the
//! backend can defer index upkeep to the end (see `backend::bulk_begin`/`bulk_finish`); and the
//! places an import batch creates in the batch's own transaction ([`write_places`]).

use std::borrow::Cow;
use std::collections::HashMap;

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
        let places = write_places(&mut self.conn, places).await?;
        let rows = placed_rows(rows, &places)?;
        let persons = persons::upsert_persons_in(
            &mut self.conn,
            actor,
            &rows,
            &mut self.state,
            &mut self.counts,
        )
        .await?;
        for entry in audit(&persons) {
            accounts::audit(&mut self.conn, &entry).await?;
        }
        Ok(BatchReport {
            places: places.stored,
            persons,
        })
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

/// The places of one batch as stored, and each provisional id's area id.
pub struct Written {
    /// One per place, in order.
    pub stored: Vec<Area>,
    ids: HashMap<Id, Id>,
}

/// Creates (or finds) each of a batch's new places in order, inside the transaction the caller
/// holds, so they commit with the batch's persons or not at all.
pub async fn write_places(conn: &mut Conn, places: &[NewPlace]) -> StoreResult<Written> {
    let mut written = Written {
        stored: Vec::with_capacity(places.len()),
        ids: HashMap::with_capacity(places.len()),
    };
    for p in places {
        let mut parent = Cow::Borrowed(&p.parent);
        if parent.id < 0 {
            parent.to_mut().id = written.on_file(parent.id)?;
        }
        let area = areas::ensure_child_area_in(conn, &parent, p.kind, &p.name).await?;
        written.ids.insert(p.id, area.id);
        written.stored.push(area);
    }
    Ok(written)
}

impl Written {
    /// Replaces each provisional area id of `rows` by the id its place was stored as.
    pub fn place(&self, rows: &mut [PersonUpsert]) -> StoreResult<()> {
        for r in rows.iter_mut().filter(|r| r.area_id < 0) {
            r.area_id = self.on_file(r.area_id)?;
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

/// The batch's rows with each provisional area id replaced by the id its place was stored as.
pub fn placed_rows<'r>(
    rows: &'r [PersonUpsert],
    places: &Written,
) -> StoreResult<Cow<'r, [PersonUpsert]>> {
    if rows.iter().all(|r| r.area_id >= 0) {
        return Ok(Cow::Borrowed(rows));
    }
    let mut rows = rows.to_vec();
    places.place(&mut rows)?;
    Ok(Cow::Owned(rows))
}
