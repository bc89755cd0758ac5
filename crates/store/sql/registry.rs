//! The registry's store: areas, households and persons.

use async_trait::async_trait;
use doorstep_core::{AreaKind, AreaPath, DocType};
use doorstep_store::*;

use super::SqlStore;

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        crate::backend::NAME
    }

    async fn migrate(&self) -> StoreResult<()> {
        crate::backend::migrate(&self.pool).await?;
        super::policies::ensure_defaults(self).await
    }

    async fn create_area(
        &self,
        parent: Option<&AreaPath>,
        kind: AreaKind,
        name: &str,
    ) -> StoreResult<Area> {
        let (parent, name) = (parent.cloned(), name.to_string());
        self.write(no_audit(), move |c| {
            Box::pin(
                async move { super::areas::create_area(c, parent.as_ref(), kind, &name).await },
            )
        })
        .await
    }

    async fn ensure_child_area(
        &self,
        parent: &Area,
        kind: AreaKind,
        name: &str,
    ) -> StoreResult<Area> {
        let (parent, name) = (parent.clone(), name.to_string());
        self.write(no_audit(), move |c| {
            Box::pin(
                async move { super::areas::ensure_child_area_in(c, &parent, kind, &name).await },
            )
        })
        .await
    }

    async fn area_by_path(&self, path: &AreaPath) -> StoreResult<Option<Area>> {
        super::areas::area_by_path(&self.pool, path).await
    }

    async fn root_areas(&self) -> StoreResult<Vec<Area>> {
        super::areas::root_areas(&self.pool).await
    }

    async fn area_by_id(&self, id: Id) -> StoreResult<Option<Area>> {
        super::areas::area_by_id(&self.pool, id).await
    }

    async fn area_tree(&self, path: &AreaPath) -> StoreResult<Vec<AreaCount>> {
        super::areas::area_tree(&self.pool, path).await
    }

    async fn areas_of_kind(&self, path: &AreaPath, kind: AreaKind) -> StoreResult<Vec<Area>> {
        super::areas::areas_of_kind(&self.pool, path, kind).await
    }

    async fn upsert_persons(
        &self,
        actor: &Actor,
        rows: &[PersonUpsert],
        audit: Audit<UpsertReport>,
    ) -> StoreResult<UpsertReport> {
        let (actor, rows) = (actor.clone(), rows.to_vec());
        self.write(audit, move |c| {
            Box::pin(async move { super::persons::upsert_persons(c, &actor, &rows).await })
        })
        .await
    }

    async fn import_batch(
        &self,
        actor: &Actor,
        places: &[NewPlace],
        rows: &[PersonUpsert],
        audit: Audit<UpsertReport>,
    ) -> StoreResult<BatchReport> {
        let (actor, places, rows) = (actor.clone(), places.to_vec(), rows.to_vec());
        let audit: Audit<BatchReport> = Box::new(move |b| audit(&b.persons));
        self.write(audit, move |c| {
            Box::pin(async move {
                let mut state = crate::backend::LoadState::default();
                let mut counts = super::counts::CountDeltas::default();
                let report =
                    super::load::write_batch_in(c, &actor, &places, &rows, &mut state, &mut counts)
                        .await?;
                counts.apply(c).await?;
                Ok(report)
            })
        })
        .await
    }

    async fn begin_bulk_load(&self) -> StoreResult<Box<dyn Load>> {
        Ok(Box::new(
            super::load::BulkLoad::begin(&self.pool, &self.writer).await?,
        ))
    }

    async fn person(&self, id: Id) -> StoreResult<Option<Person>> {
        super::persons::person(&self.pool, id).await
    }

    async fn person_by_document(
        &self,
        doc_type: DocType,
        number: &str,
    ) -> StoreResult<Option<Person>> {
        super::persons::person_by_document(&self.pool, doc_type, number).await
    }

    async fn search_persons(&self, query: &PersonQuery) -> StoreResult<Page<Person>> {
        super::persons::search_persons(&self.pool, query).await
    }

    async fn person_history(&self, id: Id) -> StoreResult<Vec<HistoryEntry>> {
        super::persons::person_history(&self.pool, id).await
    }

    async fn household(&self, id: Id) -> StoreResult<Option<Household>> {
        super::areas::household(&self.pool, id).await
    }

    async fn households_by_ids(&self, ids: &[Id]) -> StoreResult<Vec<Household>> {
        super::areas::households_by_ids(&self.pool, ids).await
    }

    async fn persons_by_ids(&self, ids: &[Id]) -> StoreResult<Vec<Person>> {
        super::persons::persons_by_ids(&self.pool, ids).await
    }

    async fn households(
        &self,
        area: &AreaPath,
        room: Option<&str>,
        page: PageRequest,
    ) -> StoreResult<Page<Household>> {
        super::areas::households(&self.pool, area, room, page).await
    }

    async fn household_members(&self, household: Id) -> StoreResult<Vec<Person>> {
        super::persons::household_members(&self.pool, household).await
    }

    async fn persons_after(
        &self,
        area: &AreaPath,
        after: Id,
        limit: u32,
    ) -> StoreResult<Vec<PersonWithPlace>> {
        crate::backend::persons_after(self, area, after, limit).await
    }

    async fn persons_in(
        &self,
        area: &AreaPath,
        page: u32,
        to: tokio::sync::mpsc::Sender<Vec<PersonWithPlace>>,
    ) -> StoreResult<()> {
        crate::backend::persons_in(self, area, page, to).await
    }

    async fn tag_counts(&self, area: &AreaPath) -> StoreResult<Vec<(String, i64)>> {
        super::persons::tag_counts(&self.pool, area).await
    }

    async fn create_household(
        &self,
        area_id: Id,
        room: &str,
        address: &str,
        audit: Audit<Household>,
    ) -> StoreResult<Household> {
        let (room, address) = (room.to_string(), address.to_string());
        self.write(audit, move |c| {
            Box::pin(
                async move { super::areas::create_household(c, area_id, &room, &address).await },
            )
        })
        .await
    }

    async fn set_household_notes(
        &self,
        id: Id,
        notes: Option<&str>,
        audit: Audit<()>,
    ) -> StoreResult<()> {
        let notes = notes.map(str::to_string);
        self.write(audit, move |c| {
            Box::pin(
                async move { super::areas::set_household_notes(c, id, notes.as_deref()).await },
            )
        })
        .await
    }

    async fn max_person_id(&self) -> StoreResult<Id> {
        super::persons::max_person_id(&self.pool).await
    }
}
