//! The area tree and person search, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::q;
use doorstep_core::{AreaKind, AreaPath};
use doorstep_store::{PageRequest, StoreError};
use doorstep_testkit::{
    COMMUNITY, HEADER, TestDb, both_backends, csv_file, demo_community, id, import, import_into,
};

both_backends!(area_tree_rules, async |db: &TestDb| {
    let store = db.store.as_ref();
    let c = demo_community(store).await.path;
    // Its parent must exist.
    let missing = AreaPath::parse("二七区/没有的街道").unwrap();
    assert!(matches!(
        store
            .create_area(Some(&missing), AreaKind::Community, "X")
            .await,
        Err(StoreError::NotFound(_))
    ));
    // Paths are unique.
    let parent = c.parent().unwrap();
    assert!(matches!(
        store.create_area(Some(&parent), AreaKind::Community, "祥云社区").await,
        Err(StoreError::Conflict(name)) if name == "area_path_unique"
    ));
    // A child is narrower than its parent.
    assert!(matches!(
        store.create_area(Some(&c), AreaKind::Street, "X").await,
        Err(StoreError::Invalid(_))
    ));
    let grid = store
        .create_area(Some(&c), AreaKind::Grid, "第一网格")
        .await
        .unwrap();
    assert_eq!(grid.path.as_str(), "二七区/京广路街道/祥云社区/第一网格");
    let tree = store
        .area_tree(&AreaPath::parse("二七区").unwrap())
        .await
        .unwrap();
    let paths: Vec<&str> = tree.iter().map(|a| a.area.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "二七区",
            "二七区/京广路街道",
            "二七区/京广路街道/祥云社区",
            "二七区/京广路街道/祥云社区/第一网格"
        ]
    );
    // A sibling whose name starts the same is not inside the subtree.
    store
        .create_area(Some(&parent), AreaKind::Community, "祥云社区二")
        .await
        .unwrap();
    let sub = store.area_tree(&c).await.unwrap();
    assert_eq!(sub.len(), 2);
    let roots = store.root_areas().await.unwrap();
    assert_eq!(roots.len(), 1);
});

both_backends!(
    compounds_under_grids_are_found_by_name,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        let c = demo_community(store).await.path;
        let grid = store
            .create_area(Some(&c), AreaKind::Grid, "第一网格")
            .await
            .unwrap();
        store
            .create_area(Some(&grid.path), AreaKind::Compound, "佳纷天地")
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let text = format!("{HEADER}张伟,,{},,,佳纷天地,3,,101,,,\n", id(1, true));
        let r = import(store, &csv_file(dir.path(), "r.csv", &text)).await;
        assert_eq!(r.created, 1, "{:?}", r.errors);
        let b = store
            .area_by_path(
                &AreaPath::parse("二七区/京广路街道/祥云社区/第一网格/佳纷天地/3号楼").unwrap(),
            )
            .await
            .unwrap();
        assert!(
            b.is_some(),
            "the building is created under the existing compound inside the grid"
        );
        // Importing into a building: the row's building column repeats it or is empty.
        let into = "二七区/京广路街道/祥云社区/第一网格/佳纷天地/3号楼";
        let text = format!(
            "{HEADER}李四,,{},,,,,,102,,,\n王五,,{},,,,5,,103,,,\n",
            id(2, true),
            id(3, true)
        );
        let r = import_into(store, &csv_file(dir.path(), "b.csv", &text), into).await;
        assert_eq!((r.created, r.rejected), (1, 1));
        assert_eq!(r.errors[0].code, "address_outside_area");
        // Into a community a room needs a building.
        let text = format!("{HEADER}赵六,,{},,,佳纷天地,,,104,,,\n", id(4, true));
        let r = import(store, &csv_file(dir.path(), "c.csv", &text)).await;
        assert_eq!(r.errors[0].code, "building_required");
    }
);

both_backends!(
    search_by_name_id_phone_room_within_area,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        demo_community(store).await;
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "{HEADER}张伟,,{},,13812345678,A,1,,1201,,,\n张伟明,,{},,13912340000,A,2,,1202,,,\n李娜,,{},,,B,1,,1201,,,\n",
            id(1, true),
            id(2, true),
            id(3, false)
        );
        import(store, &csv_file(dir.path(), "r.csv", &text)).await;
        let names = |p: doorstep_store::Page<doorstep_store::Person>| {
            p.items
                .iter()
                .map(|p| p.fields.name().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(store.search_persons(&q(Some("张伟"), None)).await.unwrap()),
            ["张伟", "张伟明"]
        );
        assert_eq!(
            names(
                store
                    .search_persons(&q(Some(&id(3, false)), None))
                    .await
                    .unwrap()
            ),
            ["李娜"]
        );
        let last4 = &id(2, true)[14..];
        assert!(
            names(store.search_persons(&q(Some(last4), None)).await.unwrap())
                .contains(&"张伟明".to_string())
        );
        assert_eq!(
            names(store.search_persons(&q(Some("5678"), None)).await.unwrap()),
            ["张伟"]
        );
        assert_eq!(
            names(
                store
                    .search_persons(&q(Some("13912340000"), None))
                    .await
                    .unwrap()
            ),
            ["张伟明"]
        );
        assert_eq!(
            names(store.search_persons(&q(Some("1201"), None)).await.unwrap()),
            ["张伟", "李娜"]
        );
        let in_b = format!("{COMMUNITY}/B");
        assert_eq!(
            names(
                store
                    .search_persons(&q(Some("1201"), Some(&in_b)))
                    .await
                    .unwrap()
            ),
            ["李娜"]
        );
        assert_eq!(
            store
                .search_persons(&q(None, Some(COMMUNITY)))
                .await
                .unwrap()
                .total,
            3
        );
        assert_eq!(
            store
                .search_persons(&q(Some("不存在"), None))
                .await
                .unwrap()
                .total,
            0
        );
        // A capped count stops at cap + 1 and still returns the page.
        let mut capped = q(Some("1201"), None);
        capped.count_cap = Some(1);
        let p = store.search_persons(&capped).await.unwrap();
        assert_eq!((p.total, p.items.len()), (2, 2));
        capped.text = Some("张伟".into());
        capped.count_cap = Some(5);
        assert_eq!(store.search_persons(&capped).await.unwrap().total, 2);
        // Paging.
        let mut paged = q(None, None);
        paged.page = PageRequest {
            offset: 1,
            limit: 1,
        };
        let p = store.search_persons(&paged).await.unwrap();
        assert_eq!((p.items.len(), p.total), (1, 3));
        // Households of an area.
        let hs = store
            .households(
                &AreaPath::parse(COMMUNITY).unwrap(),
                None,
                PageRequest {
                    offset: 0,
                    limit: 10,
                },
            )
            .await
            .unwrap();
        assert_eq!(hs.total, 3);
        let members = store.household_members(hs.items[0].id).await.unwrap();
        assert_eq!(members.len() as i64, hs.items[0].members);
    }
);

both_backends!(
    demo_community_is_the_source_shape_and_idempotent,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        let r = doorstep_app::demo::load(store).await.unwrap();
        assert_eq!(
            (r.created, r.households_created, r.rejected),
            (12_500, 4_812, 0)
        );
        let tree = store
            .area_tree(&AreaPath::parse(COMMUNITY).unwrap())
            .await
            .unwrap();
        assert_eq!((tree[0].households, tree[0].persons), (4_812, 12_500));
        assert_eq!(
            tree.iter()
                .filter(|a| a.area.kind == AreaKind::Compound)
                .count(),
            13
        );
        let again = doorstep_app::demo::load(store).await.unwrap();
        assert_eq!((again.created, again.unchanged), (0, 12_500));
    }
);

both_backends!(
    kept_counts_follow_moves_and_tag_changes,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        demo_community(store).await;
        let dir = tempfile::tempdir().unwrap();
        let first = format!(
            "{HEADER}甲,,{},,,A,1,,101,,,独居老人\n乙,,{},,,A,1,,102,,,慢性病、行动不便\n丙,,{},,,B,1,,101,,,\n",
            id(1, true),
            id(2, true),
            id(3, true)
        );
        import(store, &csv_file(dir.path(), "a.csv", &first)).await;
        // 甲 moves to B and loses a tag; 乙 changes tags in place; 丙 is unchanged; 丁 is new.
        let second = format!(
            "{HEADER}甲,,{},,,B,2,,201,,,\n乙,,{},,,A,1,,102,,,慢性病\n丙,,{},,,B,1,,101,,,\n丁,,{},,,A,1,,101,,,独居老人\n",
            id(1, true),
            id(2, true),
            id(3, true),
            id(4, true)
        );
        import(store, &csv_file(dir.path(), "b.csv", &second)).await;
        let path = |p: &str| AreaPath::parse(&format!("{COMMUNITY}{p}")).unwrap();
        let tree = store.area_tree(&path("")).await.unwrap();
        let count = |suffix: &str| {
            let want = format!("{COMMUNITY}{suffix}");
            let c = tree.iter().find(|c| c.area.path.as_str() == want).unwrap();
            (c.households, c.persons)
        };
        assert_eq!(count(""), (4, 4));
        assert_eq!(count("/A"), (2, 2));
        assert_eq!(count("/B"), (2, 2));
        assert_eq!(count("/B/2号楼"), (1, 1));
        // Every kept count equals a fresh count.
        for c in &tree {
            let total = store
                .search_persons(&q(None, Some(c.area.path.as_str())))
                .await
                .unwrap()
                .total;
            assert_eq!(c.persons, total, "{}", c.area.path);
        }
        let tags = store.tag_counts(&path("")).await.unwrap();
        assert_eq!(
            tags,
            vec![("慢性病".to_string(), 1), ("独居老人".to_string(), 1)]
        );
        assert_eq!(
            store.tag_counts(&path("/A")).await.unwrap(),
            vec![("慢性病".to_string(), 1), ("独居老人".to_string(), 1)]
        );
        assert!(store.tag_counts(&path("/B")).await.unwrap().is_empty());
    }
);

both_backends!(
    a_common_name_in_a_small_area_is_found_by_walking_the_area,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        demo_community(store).await;
        let dir = tempfile::tempdir().unwrap();
        // One 王 in 佳纷天地, three elsewhere: searching 王 within 佳纷天地 matches more persons
        // than the compound holds, so the search walks the compound; within the community it
        // walks the name index. Both must list the same persons the area holds.
        let text = format!(
            "{HEADER}王一,,{},,,佳纷天地,1,1,101,户主,常住,\n\
             李一,,{},,,佳纷天地,1,1,102,户主,常住,\n\
             王二,,{},,,钱塘衣城,1,1,101,户主,常住,\n\
             王三,,{},,,钱塘衣城,1,1,102,户主,常住,\n\
             王四,,{},,,钱塘衣城,1,1,103,户主,常住,\n",
            id(1, true),
            id(2, true),
            id(3, true),
            id(4, true),
            id(5, true)
        );
        let f = csv_file(dir.path(), "w.csv", &text);
        assert_eq!(import(store, &f).await.created, 5);
        let names = |page: doorstep_store::Page<doorstep_store::Person>| {
            let n: Vec<String> = page
                .items
                .iter()
                .map(|p| p.fields.name().to_string())
                .collect();
            (n, page.total)
        };
        let small = store
            .search_persons(&q(Some("王"), Some(&format!("{COMMUNITY}/佳纷天地"))))
            .await
            .unwrap();
        assert_eq!(names(small), (vec!["王一".to_string()], 1));
        let whole = store
            .search_persons(&q(Some("王"), Some(COMMUNITY)))
            .await
            .unwrap();
        assert_eq!(
            names(whole),
            (
                vec!["王一", "王三", "王二", "王四"]
                    .into_iter()
                    .map(String::from)
                    .collect(),
                4
            )
        );
        // A room number that other compounds share lists only the compound's own.
        let room = store
            .search_persons(&q(Some("101"), Some(&format!("{COMMUNITY}/佳纷天地"))))
            .await
            .unwrap();
        assert_eq!(names(room), (vec!["王一".to_string()], 1));
    }
);
