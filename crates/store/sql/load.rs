//! Bulk loads: a large import written in one transaction on one connection of its own, so the
//! backend can defer index upkeep to the end (see `backend::bulk_begin`/`bulk_finish`).

use async_trait::async_trait;
use doorstep_core::AreaKind;
use doorstep_store::*;

use super::counts::CountDeltas;
use super::util::{Conn, db_err};
use super::{areas, persons};
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

    async fn upsert_persons(
        &mut self,
        actor: &Actor,
        rows: &[PersonUpsert],
    ) -> StoreResult<UpsertReport> {
        persons::upsert_persons_in(
            &mut self.conn,
            actor,
            rows,
            &mut self.state,
            &mut self.counts,
        )
        .await
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
