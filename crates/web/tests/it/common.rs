//! Helpers of the web crate's self-report tests alone; what other tests use too is in
//! `doorstep_testkit`.
#![allow(clippy::expect_used, clippy::panic)]

use doorstep_app::reports::Purpose;
use doorstep_core::{AreaKind, AreaPath};
use doorstep_store::Store;
use doorstep_testkit::{COMMUNITY, report_link, two_compounds};
use serde_json::{Value, json};

/// The report tests' community ([`two_compounds`]); returns the token of a home-quarantine
/// link for 佳纷天地.
pub async fn setup(store: &dyn Store) -> String {
    two_compounds(store).await;
    report_link(
        store,
        &format!("{COMMUNITY}/佳纷天地"),
        Purpose::HomeQuarantine,
    )
    .await
}

/// The id of the unit `name` (`"2单元"`) of 佳纷天地 3号楼, as the form's place picker names it.
pub async fn unit_id(store: &dyn Store, name: &str) -> i64 {
    let compound = AreaPath::parse(&format!("{COMMUNITY}/佳纷天地")).expect("path");
    let units = store
        .areas_of_kind(&compound, AreaKind::Unit)
        .await
        .expect("units");
    units
        .iter()
        .find(|u| u.name == name)
        .unwrap_or_else(|| panic!("no unit {name}"))
        .id
}

/// A resident's report of `members` in 佳纷天地 3号楼 2单元 `room`, as JSON.
pub fn report(key: &str, room: &str, members: Value) -> Value {
    json!({
        "idempotency_key": key,
        "address": {"compound": "佳纷天地", "building": "3", "unit": "2", "room": room},
        "members": members,
        "answers": {"notified_by": "社区", "date": "2022-10-20", "temperature": "36.5"}
    })
}
