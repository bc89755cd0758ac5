//! Every write goes through the store's one writer, each use case's writes and its audit entry
//! in one transaction: a job that fails is rolled back alone, the rest of its group commits;
//! a use case that cannot finish leaves nothing of itself; a bulk load holds the writer and
//! other writes wait for it instead of failing. On SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use crate::common::q;
use doorstep_core::{AreaKind, AreaPath};
use doorstep_store::{
    Actor, AuditQuery, NewAudit, PersonUpsert, ReportStatus, ReviewDecision, Store, StoreError,
    audit_entry, no_audit,
};
use doorstep_testkit::{TestDb, both_backends, demo_community, id, report_count};

fn entry(action: &str) -> NewAudit {
    NewAudit {
        username: "test".into(),
        action: action.into(),
        ..NewAudit::default()
    }
}

async fn actions(store: &dyn Store, prefix: &str) -> Vec<String> {
    store
        .audit_entries(&AuditQuery {
            action: Some(prefix.into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.action)
        .collect()
}

/// The demo community with 佳纷天地 3号楼 in it and a census link for the community.
async fn building_and_link(
    store: &dyn Store,
) -> (doorstep_store::Area, doorstep_store::ReportLink) {
    let c = demo_community(store).await.path;
    let compound = store
        .create_area(Some(&c), AreaKind::Compound, "佳纷天地")
        .await
        .unwrap();
    let building = store
        .create_area(Some(&compound.path), AreaKind::Building, "3号楼")
        .await
        .unwrap();
    let link = doorstep_app::reports::create_link(
        store,
        &c,
        doorstep_app::reports::Purpose::Census,
        None,
        vec![],
        "test",
        no_audit(),
    )
    .await
    .unwrap();
    (building, link)
}

/// A report through `link` for room 101 of `area_id`, its body standing for `key`.
fn new_report(link: i64, key: &str, receipt: &str, area_id: i64) -> doorstep_store::NewReport {
    doorstep_store::NewReport {
        link_id: link,
        body_hash: doorstep_core::idempotency::BodyHash::of(&serde_json::json!({"k": key})),
        idempotency_key: key.into(),
        receipt: receipt.into(),
        purpose: doorstep_store::Purpose::Census,
        area_id,
        room: "101".into(),
        address: "佳纷天地3号楼101".into(),
        members: serde_json::json!([]),
        answers: serde_json::json!({}),
        edit_secs: 60,
        filed_by: None,
        at: time::OffsetDateTime::now_utc(),
    }
}

both_backends!(
    concurrent_writes_commit_and_a_failing_one_fails_alone,
    async |db: &TestDb| {
        let store: Arc<dyn Store> = db.store.clone();
        let c = demo_community(store.as_ref()).await.path;
        // Half the jobs create a grid, half try to create one that exists: all at once, so on
        // SQLite they share groups.
        store
            .create_area(Some(&c), AreaKind::Grid, "已有")
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for i in 0..200 {
            let store = store.clone();
            let c = c.clone();
            tasks.push(tokio::spawn(async move {
                let name = if i % 2 == 0 {
                    format!("网格{i}")
                } else {
                    "已有".to_string()
                };
                store.create_area(Some(&c), AreaKind::Grid, &name).await
            }));
        }
        let (mut ok, mut conflicts) = (0, 0);
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(StoreError::Conflict(name)) => {
                    assert_eq!(name, "area_path_unique");
                    conflicts += 1
                }
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!((ok, conflicts), (100, 100));
        let tree = store.area_tree(&c).await.unwrap();
        assert_eq!(
            tree.len(),
            1 + 101,
            "every good job committed, no failed one did"
        );
        // Audited writes and plain audit entries in the same burst all land.
        let mut tasks = Vec::new();
        for i in 0..100 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store.audit(&entry(&format!("burst.{i}"))).await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(actions(store.as_ref(), "burst").await.len(), 100);
    }
);

both_backends!(
    concurrent_reports_share_writes_and_a_bad_one_fails_alone,
    async |db: &TestDb| {
        // Reports take the writer's cheapest path (one statement, no savepoint on SQLite, no
        // transaction on PostgreSQL): a failing one must still leave its neighbours alone.
        let store: Arc<dyn Store> = db.store.clone();
        let (building, link) = building_and_link(store.as_ref()).await;
        let report = |key: String, receipt: String, area_id: i64| {
            new_report(link.id, &key, &receipt, area_id)
        };
        // For each j at once: a report, its resend (same key and body), and one whose
        // building is gone (nothing can be inserted).
        let mut tasks = Vec::new();
        for j in 0..40 {
            for (n, r) in [
                report(format!("k{j}"), format!("r{j}"), building.id),
                report(format!("k{j}"), format!("r{j}b"), building.id),
                report(format!("gone{j}"), format!("g{j}"), 999_999),
            ]
            .into_iter()
            .enumerate()
            {
                let store = store.clone();
                tasks.push(tokio::spawn(async move {
                    (n, store.submit_report(&r, no_audit()).await)
                }));
            }
        }
        let (mut created, mut replayed, mut gone) = (0, 0, 0);
        for t in tasks {
            match t.await.unwrap() {
                (0 | 1, Ok(doorstep_store::Idempotent::Created(_))) => created += 1,
                (0 | 1, Ok(doorstep_store::Idempotent::Replayed(_))) => replayed += 1,
                (2, Err(StoreError::NotFound(_))) => gone += 1,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!((created, replayed, gone), (40, 40, 40));
        let stored = report_count(store.as_ref()).await;
        assert_eq!(stored, 40, "each key stored once, nothing of a failed one");
    }
);

both_backends!(
    an_accept_that_cannot_finish_leaves_nothing_of_itself,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        let (building, link) = building_and_link(store).await;
        let report = store
            .submit_report(&new_report(link.id, "k", "r", building.id), no_audit())
            .await
            .unwrap();
        let report = match report {
            doorstep_store::Idempotent::Created(r) => r,
            other => panic!("{other:?}"),
        };
        // Someone rejects it first.
        assert!(
            store
                .review_report(
                    report.id,
                    &ReviewDecision {
                        status: ReportStatus::Rejected,
                        reviewer: "other".into(),
                        reason: Some("dup".into()),
                        person_ids: vec![],
                    },
                    audit_entry(entry("report.reject")),
                )
                .await
                .unwrap()
        );
        let fields = doorstep_core::PersonFields::parse(
            &doorstep_core::person::PersonInput {
                name: "张伟".into(),
                id_number: id(1, true),
                ..Default::default()
            },
            doorstep_app::today(),
        )
        .unwrap();
        let rows = [PersonUpsert {
            area_id: building.id,
            room: "101".into(),
            address: "佳纷天地3号楼101".into(),
            fields,
        }];
        let actor = Actor {
            name: "late".into(),
            source: "report".into(),
            within: None,
        };
        let late = store
            .accept_report(
                report.id,
                &actor,
                &rows,
                &[None],
                audit_entry(entry("report.accept")),
            )
            .await;
        assert!(
            matches!(&late, Err(StoreError::Conflict(c)) if c == "report_already_reviewed"),
            "{late:?}"
        );
        // Neither the file nor the room nor the audit entry of the late accept exists.
        let everyone = store.search_persons(&q(None, None)).await.unwrap();
        assert_eq!(everyone.total, 0, "the member's file was rolled back");
        let rooms = store
            .households(
                &building.path,
                None,
                doorstep_store::PageRequest {
                    offset: 0,
                    limit: 10,
                },
            )
            .await
            .unwrap();
        assert_eq!(rooms.total, 0);
        assert!(actions(store, "report.accept").await.is_empty());
        assert_eq!(actions(store, "report.reject").await.len(), 1);
    }
);

both_backends!(
    other_writes_wait_for_a_bulk_load_and_then_land,
    async |db: &TestDb| {
        let store: Arc<dyn Store> = db.store.clone();
        let c = demo_community(store.as_ref()).await.path;
        let mut load = store.begin_bulk_load().await.unwrap();
        let base = store.area_by_path(&c).await.unwrap().unwrap();
        load.ensure_child_area(&base, AreaKind::Grid, "批量")
            .await
            .unwrap();
        let waiting = {
            let store = store.clone();
            tokio::spawn(async move { store.audit(&entry("during.load")).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        load.finish().await.unwrap();
        waiting.await.unwrap().unwrap();
        assert_eq!(actions(store.as_ref(), "during").await.len(), 1);
        assert!(
            store
                .area_by_path(&AreaPath::parse(&format!("{c}/批量")).unwrap())
                .await
                .unwrap()
                .is_some()
        );
    }
);

both_backends!(
    scans_share_groups_with_other_writes_and_a_refused_one_leaves_nothing,
    async |db: &TestDb| {
        use doorstep_core::{PoolSize, RoundStatus, SampleMode, TubeCode};
        use doorstep_store::{NewRound, NewScan};
        let store: Arc<dyn Store> = db.store.clone();
        let c = demo_community(store.as_ref()).await;
        let building = store
            .create_area(Some(&c.path), AreaKind::Building, "1号楼")
            .await
            .unwrap();
        let rows: Vec<PersonUpsert> = (1..=40u16)
            .map(|n| PersonUpsert {
                area_id: building.id,
                room: format!("{}", 100 + n),
                address: format!("1号楼{}", 100 + n),
                fields: doorstep_core::PersonFields::parse(
                    &doorstep_core::person::PersonInput {
                        name: format!("居民{n}"),
                        id_number: id(n, n % 2 == 0),
                        ..Default::default()
                    },
                    doorstep_app::today(),
                )
                .unwrap(),
            })
            .collect();
        let actor = Actor {
            name: "test".into(),
            source: "import".into(),
            within: None,
        };
        let report = store
            .upsert_persons(&actor, &rows, no_audit())
            .await
            .unwrap();
        let ids: Vec<i64> = report
            .outcomes
            .iter()
            .map(|r| r.id)
            .filter(|id| *id > 0)
            .collect();
        assert_eq!(ids.len(), 40);
        let round = store
            .create_round(
                &NewRound {
                    area_id: c.id,
                    name: "第1轮".into(),
                    pool_size: PoolSize::parse(10).unwrap(),
                    lab_deadline_minutes: 240,
                    starts_at: None,
                    ends_at: None,
                    areas: vec![],
                    groups: vec![],
                },
                "test",
                no_audit(),
            )
            .await
            .unwrap();
        store
            .set_round_status(round.id, RoundStatus::Open, no_audit())
            .await
            .unwrap();
        // 40 persons into four tubes of ten, then each again into four more tubes under other
        // client ids (whichever of a person's two scans comes second is refused as already
        // sampled), while grids are created: all at once, so on SQLite scans and other writes
        // share groups.
        let mut tasks = Vec::new();
        for (i, person) in ids.iter().chain(ids.iter()).enumerate() {
            let store = store.clone();
            let scan = NewScan {
                round_id: round.id,
                client_id: format!("c{i}"),
                tube: TubeCode::parse(&format!("T-00{}", i / 10)).unwrap(),
                point_area: c.path.clone(),
                mode: SampleMode::Pooled,
                capacity: 10,
                person_id: *person,
                household_id: 0,
                area_id: building.id,
                area_path: building.path.clone(),
                retest: false,
                by: "sampler".into(),
            };
            let grid = (i % 4 == 0).then(|| (c.path.clone(), format!("网格{i}")));
            tasks.push(tokio::spawn(async move {
                if let Some((c, name)) = grid {
                    store
                        .create_area(Some(&c), AreaKind::Grid, &name)
                        .await
                        .unwrap();
                }
                store.record_scan(&scan).await
            }));
        }
        let (mut ok, mut refused) = (0, 0);
        // A scan that was recorded (which of a person's two is a race), to resend below.
        let mut recorded = None;
        for (i, t) in tasks.into_iter().enumerate() {
            match t.await.unwrap() {
                Ok(s) => {
                    assert!(!s.replayed);
                    recorded.get_or_insert(i);
                    ok += 1
                }
                Err(StoreError::Conflict(c)) if c == "already_sampled" => refused += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!((ok, refused), (40, 40));
        let totals = store.tube_totals(round.id).await.unwrap();
        assert_eq!(totals.samples, 40, "refused scans left no sample");
        let counts = store.round_counts(round.id, &c.path).await.unwrap();
        assert_eq!(counts.iter().map(|a| a.sampled).sum::<i64>(), 40);
        let mut places = 0;
        for t in 0..8 {
            let code = TubeCode::parse(&format!("T-00{t}")).unwrap();
            // A tube whose every scan was refused was never opened.
            if let Some((tube, samples)) = store.tube(round.id, &code).await.unwrap() {
                assert_eq!(tube.count as usize, samples.len(), "refusals took no place");
                places += samples.len();
            }
        }
        assert_eq!(places, 40);
        assert_eq!(store.area_tree(&c.path).await.unwrap().len(), 1 + 1 + 20);
        // A resend answers the first scan.
        let i = recorded.unwrap();
        let again = store
            .record_scan(&NewScan {
                round_id: round.id,
                client_id: format!("c{i}"),
                tube: TubeCode::parse(&format!("T-00{}", i / 10)).unwrap(),
                point_area: c.path.clone(),
                mode: SampleMode::Pooled,
                capacity: 10,
                person_id: ids[i % ids.len()],
                household_id: 0,
                area_id: building.id,
                area_path: building.path.clone(),
                retest: false,
                by: "sampler".into(),
            })
            .await
            .unwrap();
        assert!(again.replayed);
    }
);
