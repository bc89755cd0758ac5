//! The demo community's households as residents would report them, read from the registry,
//! and the reports a run stored.

use std::collections::BTreeMap;

use anyhow::Result;
use doorstep_core::AreaPath;
use doorstep_store::Store;
use serde_json::json;

/// The demo community every self-report benchmark reports in.
pub const COMMUNITY: &str = "二七区/京广路街道/祥云社区";

/// One JSON report per household of the area, from the registry.
pub async fn household_bodies(
    store: &dyn Store,
    area: &AreaPath,
) -> Result<Vec<serde_json::Value>> {
    let mut by_household: BTreeMap<i64, serde_json::Value> = BTreeMap::new();
    let mut after = 0;
    loop {
        let page = store.persons_after(area, after, 5000).await?;
        let Some(last) = page.last() else { break };
        after = last.person.id;
        for p in page {
            let f = &p.person.fields;
            let entry = by_household.entry(p.person.household_id).or_insert_with(|| {
                json!({
                    "address": {"compound": p.compound, "building": p.building, "unit": p.unit, "room": p.room},
                    "members": [],
                    "answers": {"notified_by": "社区", "date": "2022-10-20", "temperature": "36.5"}
                })
            });
            if let Some(m) = entry["members"].as_array_mut() {
                m.push(json!({"name": f.name(), "id_type": f.doc().doc_type().code(),
                    "id_number": f.doc().number(), "phone": f.phone().map(|p| p.as_str()), "relation": f.relation()}));
            }
        }
    }
    Ok(by_household.into_values().collect())
}

/// How many reports the store holds, over every link.
pub async fn stored_reports(store: &dyn Store) -> Result<i64> {
    Ok(store
        .reports(&doorstep_store::ReportQuery {
            area: None,
            status: None,
            submitted: None,
            page: doorstep_store::PageRequest {
                offset: 0,
                limit: 1,
            },
        })
        .await?
        .total)
}
