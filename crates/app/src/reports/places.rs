//! The areas a report link's residents may name, kept in memory: placing an address is the
//! bulk of a submission's reads (the link's area, the compound by name, the building and unit by
//! path, the parents for the readable address), and they change rarely. A tree is loaded once per
//! link area and kept for [`PlaceCache::TTL`]; a name the tree does not know reloads it first
//! (at most every [`PlaceCache::MIN_RELOAD`]), so an area created a moment ago is found without
//! letting made-up names turn every request into a reload.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use doorstep_core::{AreaKind, AreaPath};
use doorstep_store::{Area, Id, Store, StoreError};

/// The compounds, buildings and units under one area, with what lies above it down to the
/// compound level (for readable addresses).
#[derive(Debug)]
pub struct PlaceTree {
    /// The link's area.
    pub base: Area,
    loaded: Instant,
    by_path: HashMap<String, Area>,
    compounds: Vec<Area>,
    holders: Vec<Area>,
}

impl PlaceTree {
    /// Reads the tree under an area (5–8 queries).
    pub async fn load(store: &dyn Store, area_id: Id) -> Result<PlaceTree, StoreError> {
        let base = store
            .area_by_id(area_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("area {area_id}")))?;
        let mut by_path: HashMap<String, Area> = HashMap::new();
        let mut cur = Some(base.clone());
        while let Some(a) = cur {
            if a.kind < AreaKind::Compound {
                break;
            }
            let parent = a.parent_id;
            by_path.insert(a.path.to_string(), a);
            cur = match parent {
                Some(p) => store.area_by_id(p).await?,
                None => None,
            };
        }
        let mut compounds = Vec::new();
        let mut holders = Vec::new();
        for kind in [AreaKind::Compound, AreaKind::Building, AreaKind::Unit] {
            for a in store.areas_of_kind(&base.path, kind).await? {
                match kind {
                    AreaKind::Compound => compounds.push(a.clone()),
                    _ => holders.push(a.clone()),
                }
                by_path.insert(a.path.to_string(), a);
            }
        }
        if base.kind.holds_households() && !holders.iter().any(|h| h.id == base.id) {
            holders.push(base.clone());
        }
        holders.sort_by(|a, b| a.path.as_str().cmp(b.path.as_str()));
        Ok(PlaceTree {
            base,
            loaded: Instant::now(),
            by_path,
            compounds,
            holders,
        })
    }

    /// The area at a path, if the tree holds it.
    pub fn area(&self, path: &AreaPath) -> Option<&Area> {
        self.by_path.get(path.as_str())
    }

    /// A compound named so under an area of the tree.
    pub fn compound_named(&self, under: &AreaPath, name: &str) -> Option<&Area> {
        self.compounds
            .iter()
            .find(|a| a.name == name && under.contains(&a.path))
    }

    /// The buildings and units (holders of households), in path order.
    pub fn holders(&self) -> &[Area] {
        &self.holders
    }

    /// The compound, building and unit names above and at a place: `佳纷天地3号楼2单元`.
    pub fn prefix(&self, path: &AreaPath) -> String {
        let mut names = Vec::new();
        let mut cur = Some(path.clone());
        while let Some(p) = cur {
            match self.area(&p) {
                Some(a) if a.kind >= AreaKind::Compound => names.push(a.name.as_str()),
                _ => break,
            }
            cur = p.parent();
        }
        names.reverse();
        names.concat()
    }

    /// How long ago it was read.
    pub fn age(&self) -> Duration {
        self.loaded.elapsed()
    }
}

/// Place trees by link area, shared by the requests of one server process.
#[derive(Debug, Default)]
pub struct PlaceCache {
    trees: Mutex<HashMap<Id, Arc<PlaceTree>>>,
}

impl PlaceCache {
    /// How long a tree is used before it is read again.
    pub const TTL: Duration = Duration::from_secs(60);
    /// A name the tree does not know reloads it if it is at least this old.
    pub const MIN_RELOAD: Duration = Duration::from_secs(2);

    /// An empty cache.
    pub fn new() -> PlaceCache {
        PlaceCache::default()
    }

    /// The tree under an area, from memory while it is fresh.
    pub async fn tree(&self, store: &dyn Store, area_id: Id) -> Result<Arc<PlaceTree>, StoreError> {
        if let Some(t) = self.cached(area_id)
            && t.age() < Self::TTL
        {
            return Ok(t);
        }
        self.reload(store, area_id).await
    }

    /// The tree read again now (after a miss, when the cached one is older than
    /// [`Self::MIN_RELOAD`]); `None` when it is too fresh to be worth reading again.
    pub async fn reload_stale(
        &self,
        store: &dyn Store,
        tree: &PlaceTree,
    ) -> Result<Option<Arc<PlaceTree>>, StoreError> {
        if tree.age() < Self::MIN_RELOAD {
            return Ok(None);
        }
        if let Some(t) = self.cached(tree.base.id)
            && t.age() < Self::MIN_RELOAD
        {
            // Another request has just read it.
            return Ok(Some(t));
        }
        self.reload(store, tree.base.id).await.map(Some)
    }

    /// Forgets every tree (after areas were created or changed in this process).
    pub fn clear(&self) {
        if let Ok(mut m) = self.trees.lock() {
            m.clear();
        }
    }

    fn cached(&self, area_id: Id) -> Option<Arc<PlaceTree>> {
        self.trees.lock().ok()?.get(&area_id).cloned()
    }

    async fn reload(&self, store: &dyn Store, area_id: Id) -> Result<Arc<PlaceTree>, StoreError> {
        let t = Arc::new(PlaceTree::load(store, area_id).await?);
        if let Ok(mut m) = self.trees.lock() {
            if m.len() > 10_000 {
                m.retain(|_, t| t.age() < Self::TTL);
            }
            m.insert(area_id, t.clone());
        }
        Ok(t)
    }
}
