//! A bulk load drops and rebuilds indexes inside its transaction: afterwards the schema is
//! exactly as migrated, every household key holds, and a load dropped half way leaves nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use doorstep_core::person::PersonInput;
use doorstep_core::{AreaKind, PersonFields};
use doorstep_store::{Actor, Area, Load, PersonUpsert, Store};
use doorstep_store_sqlite::SqliteStore;
use doorstep_testkit::{demo_community, id};

use crate::open;

async fn store(dir: &tempfile::TempDir) -> SqliteStore {
    let store = open(dir).await;
    store.migrate().await.unwrap();
    store
}

async fn indexes(store: &SqliteStore) -> Vec<(String, Option<String>)> {
    sqlx::query_as("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")
        .fetch_all(store.pool())
        .await
        .unwrap()
}

/// Loads one person into 佳纷天地/3号楼 room 101, creating both areas in the load.
async fn load_one(load: &mut dyn Load, community: &Area) -> Area {
    let compound = load
        .ensure_child_area(community, AreaKind::Compound, "佳纷天地")
        .await
        .unwrap();
    let building = load
        .ensure_child_area(&compound, AreaKind::Building, "3号楼")
        .await
        .unwrap();
    let fields = PersonFields::parse(
        &PersonInput {
            name: "张伟".into(),
            id_number: id(11, true),
            phone: "13812345678".into(),
            ..PersonInput::default()
        },
        time::macros::date!(2026 - 11 - 29),
    )
    .unwrap();
    let actor = Actor {
        name: "test".into(),
        source: "import".into(),
        within: None,
    };
    let row = PersonUpsert {
        area_id: building.id,
        room: "101".into(),
        address: "佳纷天地3号楼101".into(),
        fields,
    };
    let report = load.upsert_persons(&actor, &[row]).await.unwrap();
    assert_eq!(report.households_created, 1);
    building
}

#[tokio::test]
async fn a_bulk_load_leaves_the_schema_as_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let before = indexes(&store).await;
    let community = demo_community(&store).await;

    let mut load = store.begin_bulk_load().await.unwrap();
    let building = load_one(load.as_mut(), &community).await;
    assert!(
        store.area_by_path(&building.path).await.unwrap().is_none(),
        "nothing is visible before the load finishes"
    );
    assert_eq!(indexes(&store).await, before, "readers keep the indexes");
    load.finish().await.unwrap();

    assert_eq!(indexes(&store).await, before);
    let broken: Vec<(String, i64, String, i64)> = sqlx::query_as("PRAGMA foreign_key_check")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    let tree = store.area_tree(&community.path).await.unwrap();
    assert_eq!((tree[0].households, tree[0].persons), (1, 1));
}

#[tokio::test]
async fn a_bulk_load_dropped_half_way_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let before = indexes(&store).await;
    let community = demo_community(&store).await;

    let mut load = store.begin_bulk_load().await.unwrap();
    let building = load_one(load.as_mut(), &community).await;
    drop(load);

    assert!(store.area_by_path(&building.path).await.unwrap().is_none());
    assert_eq!(indexes(&store).await, before);
    // And the store still writes: the write lock went with the load.
    let mut again = store.begin_bulk_load().await.unwrap();
    load_one(again.as_mut(), &community).await;
    again.finish().await.unwrap();
    assert!(store.area_by_path(&building.path).await.unwrap().is_some());
}
