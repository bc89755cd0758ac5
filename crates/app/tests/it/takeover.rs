//! A roster import cannot take over a file outside the importer's area (issue 9, item 1):
//! written as the attack, on SQLite and on PostgreSQL, through the batched and the bulk path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use doorstep_app::access::{Ctx, Principal};
use doorstep_app::import::{ImportOptions, import_persons};
use doorstep_app::registry::Registry;
use doorstep_core::person::PersonInput;
use doorstep_core::{AreaPath, DocType, Lang, Role};
use doorstep_store::{Person, Store};
use doorstep_testkit::{HEADER, TestDb, both_backends, csv_file, demo_community, id, import, user};

const A: &str = "二七区/京广路街道/祥云社区/佳纷天地";

/// The victim, filed by the office in compound B (钱塘衣城) with a phone and a relation.
async fn victim(store: &dyn Store) -> Person {
    demo_community(store).await;
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{HEADER}受害人,,{},,13911112222,钱塘衣城,5,1,502,户主,常住,\n\
         邻居,,{},,,佳纷天地,1,1,101,户主,常住,\n",
        id(1, true),
        id(2, false)
    );
    let r = import(store, &csv_file(dir.path(), "office.csv", &text)).await;
    assert_eq!(r.created, 2, "{:?}", r.errors);
    store
        .person_by_document(DocType::ResidentId, &id(1, true))
        .await
        .unwrap()
        .unwrap()
}

/// The worker's roster: the victim's ID number into a room of the worker's compound, a
/// neighbour the worker may update, and a new person.
fn attack_roster(dir: &std::path::Path) -> std::path::PathBuf {
    let text = format!(
        "{HEADER}冒名,,{},,13800000000,佳纷天地,1,1,999,,,\n\
         邻居,,{},,13700000000,佳纷天地,1,1,101,户主,常住,\n\
         新人,,{},,,佳纷天地,1,1,102,,,\n",
        id(1, true),
        id(2, false),
        id(3, true)
    );
    csv_file(dir, "attack.csv", &text)
}

async fn assert_untouched(store: &dyn Store, before: &Person) {
    let after = store.person(before.id).await.unwrap().unwrap();
    assert_eq!(after.household_id, before.household_id, "not moved");
    assert_eq!(after.fields, before.fields, "not changed");
    assert!(store.person_history(before.id).await.unwrap().is_empty());
    // No room was created for the refused row.
    let rooms = store
        .households(
            &AreaPath::parse(A).unwrap(),
            Some("999"),
            doorstep_store::PageRequest {
                offset: 0,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(rooms.total, 0, "no household for the refused row");
}

both_backends!(
    a_grid_worker_import_cannot_move_a_file_from_another_compound,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        let before = victim(store).await;
        let worker = user(store, "worker", Role::GridWorker, A).await;
        let dir = tempfile::tempdir().unwrap();
        let ctx = Ctx::default();
        let r = Registry::new(store, &worker, &ctx)
            .import(
                &AreaPath::parse(A).unwrap(),
                attack_roster(dir.path()),
                Lang::En,
                |_| {},
            )
            .await
            .unwrap();
        assert_eq!(
            (r.rows, r.created, r.updated, r.rejected),
            (3, 1, 1, 1),
            "{:?}",
            r.errors
        );
        assert_eq!(r.errors.len(), 1);
        let e = &r.errors[0];
        assert_eq!(
            (e.row, e.column.as_str(), e.code.as_str()),
            (2, "证件号码", "person_registered_elsewhere")
        );
        assert!(
            !e.message.contains("受害人") && !e.message.contains("钱塘衣城"),
            "the message names no one: {}",
            e.message
        );
        assert_eq!(
            r.rejects.len(),
            1,
            "the refused row goes to the rejects file"
        );
        assert!(r.rejects[0].cells.contains(&"冒名".to_string()));
        assert_eq!(r.households_created, 1, "only the new person's room");
        assert_untouched(store, &before).await;
        // The worker still cannot see the victim.
        assert!(
            Registry::new(store, &worker, &ctx)
                .person(before.id, false)
                .await
                .is_err()
        );
    }
);

both_backends!(
    a_scoped_bulk_load_refuses_files_outside_the_area_too,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        let before = victim(store).await;
        let worker = user(store, "worker", Role::GridWorker, A).await;
        let dir = tempfile::tempdir().unwrap();
        let opts = ImportOptions {
            into: AreaPath::parse(A).unwrap(),
            actor: worker.actor("import"),
            lang: Lang::Zh,
            keep_rejects: false,
            bulk: Some(true),
            batch_rows: None,
            audit: None,
        };
        let r = import_persons(store, attack_roster(dir.path()), &opts, |_| {})
            .await
            .unwrap();
        assert_eq!(
            (r.created, r.updated, r.rejected),
            (1, 1, 1),
            "{:?}",
            r.errors
        );
        assert_eq!(r.errors[0].code, "person_registered_elsewhere");
        assert!(
            r.errors[0].message.contains("区域以外"),
            "{}",
            r.errors[0].message
        );
        assert_untouched(store, &before).await;
    }
);

both_backends!(
    a_community_admin_may_move_a_file_within_the_community,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        let before = victim(store).await;
        let admin = user(
            store,
            "office",
            Role::CommunityAdmin,
            "二七区/京广路街道/祥云社区",
        )
        .await;
        let dir = tempfile::tempdir().unwrap();
        let ctx = Ctx::default();
        let r = Registry::new(store, &admin, &ctx)
            .import(
                &AreaPath::parse(A).unwrap(),
                attack_roster(dir.path()),
                Lang::En,
                |_| {},
            )
            .await
            .unwrap();
        assert_eq!(
            (r.created, r.updated, r.rejected),
            (1, 2, 0),
            "{:?}",
            r.errors
        );
        let after = store.person(before.id).await.unwrap().unwrap();
        assert_eq!(after.address, "佳纷天地1号楼1单元999");
    }
);

both_backends!(
    adding_a_person_filed_elsewhere_by_form_is_refused_and_names_no_one,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        let before = victim(store).await;
        let worker: Principal = user(store, "worker", Role::GridWorker, A).await;
        let ctx = Ctx::default();
        let reg = Registry::new(store, &worker, &ctx);
        let neighbour = store
            .person_by_document(DocType::ResidentId, &id(2, false))
            .await
            .unwrap()
            .unwrap();
        let input = PersonInput {
            name: "冒名".into(),
            id_number: id(1, true),
            phone: "13800000000".into(),
            ..Default::default()
        };
        let err = reg
            .add_person(neighbour.household_id, &input)
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "conflict: person_registered_elsewhere");
        let after = store.person(before.id).await.unwrap().unwrap();
        assert_eq!(after.household_id, before.household_id);
        assert_eq!(after.fields, before.fields);
    }
);

/// The areas under compound A (佳纷天地), by path.
async fn places_in_a(store: &dyn Store) -> Vec<String> {
    store
        .area_tree(&AreaPath::parse(A).unwrap())
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.area.path.as_str().to_string())
        .collect()
}

both_backends!(
    a_scoped_import_creates_no_place_for_a_refused_row_alone,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        victim(store).await;
        let worker = user(store, "worker", Role::GridWorker, A).await;
        let dir = tempfile::tempdir().unwrap();
        let before = places_in_a(store).await;
        // The victim's ID number in a building and unit not on file, on their own; then the
        // same row followed by a new person in that unit, in batches of one row: the place is
        // created by the batch of the row that is written.
        let alone = format!("{HEADER}冒名,,{},,,佳纷天地,9,1,901,,,\n", id(1, true));
        let then_new = format!(
            "{HEADER}冒名,,{},,,佳纷天地,9,1,901,,,\n新人,,{},,,佳纷天地,9,1,902,,,\n",
            id(1, true),
            id(3, true)
        );
        for bulk in [false, true] {
            let opts = ImportOptions {
                into: AreaPath::parse(A).unwrap(),
                actor: worker.actor("import"),
                lang: Lang::Zh,
                keep_rejects: false,
                bulk: Some(bulk),
                batch_rows: Some(1),
                audit: None,
            };
            let r = import_persons(store, csv_file(dir.path(), "a.csv", &alone), &opts, |_| {})
                .await
                .unwrap();
            assert_eq!((r.created, r.rejected), (0, 1), "{:?}", r.errors);
            let e = &r.errors[0];
            assert_eq!(
                (e.row, e.column.as_str(), e.code.as_str()),
                (2, "证件号码", "person_registered_elsewhere")
            );
            assert_eq!(
                places_in_a(store).await,
                before,
                "bulk {bulk}: no empty place"
            );
        }
        let opts = ImportOptions {
            into: AreaPath::parse(A).unwrap(),
            actor: worker.actor("import"),
            lang: Lang::Zh,
            keep_rejects: false,
            bulk: Some(false),
            batch_rows: Some(1),
            audit: None,
        };
        let r = import_persons(
            store,
            csv_file(dir.path(), "b.csv", &then_new),
            &opts,
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!((r.created, r.rejected), (1, 1), "{:?}", r.errors);
        assert_eq!((r.errors[0].row, r.households_created), (2, 1));
        let after = places_in_a(store).await;
        assert_eq!(after.len(), before.len() + 2, "{after:?}");
        let new = store
            .person_by_document(DocType::ResidentId, &id(3, true))
            .await
            .unwrap()
            .unwrap();
        let home = store.household(new.household_id).await.unwrap().unwrap();
        assert!(home.area_path.as_str().ends_with("/1单元"), "{home:?}");
    }
);
