//! One pass over an imported registry (keyset pages of `persons_after`) gathering what the
//! load generators draw from: every resident ID number (whom samplers scan), each household's
//! first member (whom staff place in quarantine), and a sample of persons for pages and
//! searches.

use std::collections::HashMap;

use anyhow::Result;
use doorstep_core::{AreaPath, DocType};
use doorstep_store::Store;

use crate::Rng;

/// What the load generators draw from, read once.
#[derive(Debug, Default)]
pub struct Registry {
    /// Every resident ID number, in file id order.
    pub ids: Vec<String>,
    /// Each household's first member's file id, by household id.
    pub households: HashMap<i64, i64>,
    /// Every 97th person: (file id, household id, name).
    pub sample: Vec<(i64, i64, String)>,
}

impl Registry {
    /// Reads every person under `area`.
    pub async fn read(store: &dyn Store, area: &AreaPath) -> Result<Registry> {
        let mut r = Registry::default();
        let mut after = 0;
        loop {
            let page = store.persons_after(area, after, 20_000).await?;
            let Some(last) = page.last() else { break };
            after = last.person.id;
            for p in &page {
                let doc = p.person.fields.doc();
                if doc.doc_type() == DocType::ResidentId {
                    r.ids.push(doc.number().to_string());
                }
                r.households
                    .entry(p.person.household_id)
                    .or_insert(p.person.id);
                if p.person.id % 97 == 0 {
                    r.sample.push((
                        p.person.id,
                        p.person.household_id,
                        p.person.fields.name().to_string(),
                    ));
                }
            }
        }
        Ok(r)
    }

    /// The resident ID numbers in the order samplers meet them: shuffled with `seed`.
    pub fn shuffled_ids(&self, seed: u64) -> Vec<String> {
        let mut ids = self.ids.clone();
        shuffle(&mut ids, seed);
        ids
    }

    /// The households (id, first member), shuffled with `seed`.
    pub fn shuffled_households(&self, seed: u64) -> Vec<(i64, i64)> {
        let mut h: Vec<(i64, i64)> = self.households.iter().map(|(k, v)| (*k, *v)).collect();
        h.sort_unstable();
        shuffle(&mut h, seed);
        h
    }
}

/// A Fisher–Yates shuffle with [`Rng`].
pub fn shuffle<T>(v: &mut [T], seed: u64) {
    let mut rng = Rng::new(seed);
    for i in (1..v.len()).rev() {
        v.swap(i, rng.below(i as u64 + 1) as usize);
    }
}
