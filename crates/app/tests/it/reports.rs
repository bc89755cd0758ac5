//! Self-report: links, idempotent submission, validation, review and the upward export, on
//! SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use doorstep_app::access::Ctx;
use doorstep_app::error::AppError;
use doorstep_app::export::SheetFormat;
use doorstep_app::reports::*;
use doorstep_app::users::By;
use doorstep_core::{AreaKind, AreaPath, Role};
use doorstep_store::{PageRequest, ReportStatus, Store};
use doorstep_testkit::{
    COMMUNITY, HEADER, TestDb, both_backends, csv_file, id, import, report_link, two_compounds,
    user,
};
use time::{Duration, OffsetDateTime};

const PAGE: PageRequest = PageRequest {
    offset: 0,
    limit: 100,
};

/// The report tests' community ([`two_compounds`]), and one resident in 佳纷天地 3号楼 2单元
/// 1201 with an old phone (also the concurrent-changes tests' quarantined resident).
pub(crate) async fn place(store: &dyn Store) {
    two_compounds(store).await;
    let dir = tempfile::tempdir().unwrap();
    let f = csv_file(
        dir.path(),
        "r.csv",
        &format!(
            "{HEADER}张伟,,{},,13800000001,佳纷天地,3,2,1201,户主,常住,慢性病\n",
            id(1, true)
        ),
    );
    let r = import(store, &f).await;
    assert_eq!(r.created, 1, "{:?}", r.errors);
}

fn member(name: &str, id_number: &str, phone: &str, relation: &str) -> MemberInput {
    MemberInput {
        name: name.into(),
        id_type: String::new(),
        id_number: id_number.into(),
        phone: phone.into(),
        relation: relation.into(),
    }
}

fn household(key: &str) -> SubmissionInput {
    SubmissionInput {
        idempotency_key: key.into(),
        address: AddressInput {
            compound: "佳纷天地".into(),
            building: "3".into(),
            unit: "2".into(),
            room: "1201".into(),
        },
        members: vec![
            member("张伟", &id(1, true), "13900000009", "户主"),
            member("张小明", &id(40, true), "", "子"),
        ],
        answers: AnswersInput {
            notified_by: "网格员王芳".into(),
            date: "2022-10-20".into(),
            temperature: "36.6".into(),
            ..AnswersInput::default()
        },
    }
}

fn paths(e: PublicError) -> Vec<(String, String)> {
    match e {
        PublicError::Invalid(v) => v
            .into_iter()
            .map(|p| (p.path, p.problem.code().to_string()))
            .collect(),
        other => panic!("expected invalid, got {other:?}"),
    }
}

both_backends!(
    submit_is_idempotent_even_when_concurrent,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        place(store).await;
        let token = report_link(store, COMMUNITY, Purpose::HomeQuarantine).await;

        let first = submit(store, &token, &household("key-0001")).await.unwrap();
        assert!(first.created);
        assert_eq!(first.report.address, "佳纷天地3号楼2单元1201");
        assert!(!first.report.room_new);
        assert_eq!(first.report.status, ReportStatus::Pending);
        assert_eq!(first.report.receipt.len(), 16);
        // A retry returns the first report; the key with changed content returns nothing.
        let again = submit(store, &token, &household("key-0001")).await.unwrap();
        assert!(!again.created);
        assert_eq!(again.report.id, first.report.id);
        assert_eq!(again.report.receipt, first.report.receipt);
        let mut changed = household("key-0001");
        changed.address.room = "1202".into();
        assert!(matches!(
            submit(store, &token, &changed).await,
            Err(PublicError::KeyReused)
        ));

        // Twenty concurrent duplicates of a new key store one report.
        let shared: Arc<dyn Store> = db.store.clone();
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let s = shared.clone();
            let t = token.clone();
            tasks.push(tokio::spawn(async move {
                submit(s.as_ref(), &t, &household("key-0002"))
                    .await
                    .unwrap()
            }));
        }
        let mut ids = Vec::new();
        let mut created = 0;
        for t in tasks {
            let r = t.await.unwrap();
            ids.push(r.report.id);
            created += usize::from(r.created);
        }
        ids.dedup();
        assert_eq!((ids.len(), created), (1, 1));
        let all = store
            .reports(&doorstep_store::ReportQuery {
                area: None,
                status: None,
                submitted: None,
                page: PAGE,
            })
            .await
            .unwrap();
        assert_eq!(all.total, 2);
    }
);

both_backends!(
    closed_and_unknown_links_take_nothing,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        place(store).await;
        let admin = user(store, "admin1", Role::CommunityAdmin, COMMUNITY).await;
        let ctx = Ctx::default();
        let desk = ReportDesk::new(store, &admin, &ctx);
        let area = AreaPath::parse(COMMUNITY).unwrap();
        let open = desk
            .create_link(&area, Purpose::HomeQuarantine, None, vec![])
            .await
            .unwrap();
        let revoked = desk.revoke_link(open.id).await.unwrap();
        assert!(revoked.revoked_at.is_some());
        assert!(matches!(
            submit(store, &open.token, &household("k-revoked")).await,
            Err(PublicError::Closed)
        ));
        let past = OffsetDateTime::now_utc() - Duration::minutes(1);
        let expired = desk
            .create_link(&area, Purpose::HomeQuarantine, Some(past), vec![])
            .await
            .unwrap();
        assert!(matches!(
            submit(store, &expired.token, &household("k-expired")).await,
            Err(PublicError::Closed)
        ));
        assert!(matches!(
            submit(store, "0123456789abcdef01234567", &household("k-unknown")).await,
            Err(PublicError::NotFound)
        ));
        // A link that has not expired yet works.
        let later = OffsetDateTime::now_utc() + Duration::hours(1);
        let fresh = desk
            .create_link(&area, Purpose::HomeQuarantine, Some(later), vec![])
            .await
            .unwrap();
        assert!(
            submit(store, &fresh.token, &household("k-fresh"))
                .await
                .is_ok()
        );
        // Nothing stored from the closed links.
        let page = desk
            .list(None, None, &Default::default(), PAGE)
            .await
            .unwrap();
        assert_eq!(page.total, 1);
        // Links above a community are refused.
        assert!(matches!(
            desk.create_link(
                &AreaPath::parse("二七区").unwrap(),
                Purpose::Census,
                None,
                vec![]
            )
            .await,
            Err(AppError::NotFound)
        ));
    }
);

both_backends!(
    validation_reports_every_field_with_its_path,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        place(store).await;
        // A link for one compound: an address in another compound is outside it.
        let token = report_link(store, &format!("{COMMUNITY}/佳纷天地"), Purpose::Returnee).await;
        let mut bad = household("k-bad");
        let mut wrong = id(40, true);
        wrong.replace_range(17..18, if wrong.ends_with('1') { "2" } else { "1" });
        bad.members[1].id_number = wrong;
        bad.members.push(member("张伟", &id(1, true), "12345", ""));
        bad.address.compound = "钱塘衣城".into();
        bad.address.building = "1".into();
        bad.address.unit = String::new();
        bad.answers.date = String::new();
        let got = paths(submit(store, &token, &bad).await.unwrap_err());
        for want in [
            ("members[1].id_number", "id_bad_checksum"),
            ("members[2].phone", "phone_invalid"),
            ("address.compound", "address_outside_area"),
            ("answers.from_place", "required"),
            ("answers.date", "required"),
        ] {
            assert!(
                got.contains(&(want.0.to_string(), want.1.to_string())),
                "{want:?} in {got:?}"
            );
        }
        // The same document twice in one household.
        let mut dup = household("k-dup");
        dup.members.push(member("张伟", &id(1, true), "", ""));
        dup.answers.from_place = "上海".into();
        let got = paths(submit(store, &token, &dup).await.unwrap_err());
        assert_eq!(
            got,
            vec![("members[2].id_number".into(), "duplicate_member".into())]
        );
        // No members, a building that is not in the registry, a bad temperature, a future date.
        let mut empty = household("k-empty");
        empty.members.clear();
        empty.address.building = "99".into();
        empty.answers.from_place = "上海".into();
        empty.answers.temperature = "98.6".into();
        empty.answers.date = "2999-01-01".into();
        let got = paths(submit(store, &token, &empty).await.unwrap_err());
        for want in [
            ("members", "required"),
            ("address.building", "address_outside_area"),
            ("answers.temperature", "temperature_invalid"),
            ("answers.date", "date_in_future"),
        ] {
            assert!(
                got.contains(&(want.0.to_string(), want.1.to_string())),
                "{want:?} in {got:?}"
            );
        }
        // A new room (a new tenant) is taken and flagged.
        let mut new_room = household("k-new");
        new_room.address.room = "1208".into();
        new_room.answers.from_place = "上海".into();
        let ok = submit(store, &token, &new_room).await.unwrap();
        assert!(ok.report.room_new);
        assert_eq!(ok.report.answers["temperature"], 36.6);
    }
);

both_backends!(
    review_accepts_into_files_and_rejects_with_reason,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        place(store).await;
        let token = report_link(store, COMMUNITY, Purpose::HomeQuarantine).await;
        let r1 = submit(store, &token, &household("k-1"))
            .await
            .unwrap()
            .report;
        let mut other = household("k-2");
        other.address.compound = "钱塘衣城".into();
        other.address.building = "1".into();
        other.address.unit = String::new();
        other.address.room = "101".into();
        other.members = vec![member("李娜", &id(77, false), "13700000007", "户主")];
        let r2 = submit(store, &token, &other).await.unwrap().report;

        let admin = user(store, "admin1", Role::CommunityAdmin, COMMUNITY).await;
        let worker = user(
            store,
            "worker1",
            Role::GridWorker,
            &format!("{COMMUNITY}/钱塘衣城"),
        )
        .await;
        let ctx = Ctx::default();
        let desk = ReportDesk::new(store, &admin, &ctx);
        let wdesk = ReportDesk::new(store, &worker, &ctx);

        // The worker of 钱塘衣城 sees only that report; the other is not found for them.
        let theirs = wdesk
            .list(Some(ReportStatus::Pending), None, &Default::default(), PAGE)
            .await
            .unwrap();
        assert_eq!(
            theirs.items.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![r2.id]
        );
        assert!(matches!(wdesk.review(r1.id).await, Err(AppError::NotFound)));
        assert!(matches!(wdesk.accept(r1.id).await, Err(AppError::NotFound)));

        // Side by side: 张伟 has a file with another phone; 张小明 is new.
        let review = desk.review(r1.id).await.unwrap();
        assert!(review.members[0].file.is_some());
        assert_eq!(review.members[0].differences[0].0, "phone");
        assert!(review.members[1].file.is_none());
        assert!(!review.conflicting());

        let accepted = desk.accept(r1.id).await.unwrap();
        assert_eq!(accepted.status, ReportStatus::Accepted);
        assert_eq!(accepted.reviewed_by.as_deref(), Some("admin1"));
        assert_eq!(accepted.person_ids.len(), 2);
        let zw = store.person(accepted.person_ids[0]).await.unwrap().unwrap();
        assert_eq!(zw.fields.phone().unwrap().as_str(), "13900000009");
        assert_eq!(zw.fields.tags().as_slice(), ["慢性病", "居家隔离"]);
        let history = store.person_history(zw.id).await.unwrap();
        assert_eq!(history.last().unwrap().source, "report");
        let child = store.person(accepted.person_ids[1]).await.unwrap().unwrap();
        assert_eq!(child.household_id, zw.household_id);
        assert!(child.fields.phone().is_none());
        assert!(matches!(
            desk.accept(r1.id).await,
            Err(AppError::Conflict(c)) if c.code() == "report_already_reviewed"
        ));

        // Rejecting needs a reason.
        assert!(matches!(
            wdesk.reject(r2.id, "  ").await,
            Err(AppError::Conflict(c)) if c.code() == "reason_required"
        ));
        let rejected = wdesk.reject(r2.id, "重复报备").await.unwrap();
        assert_eq!(rejected.status, ReportStatus::Rejected);
        assert_eq!(rejected.reject_reason.as_deref(), Some("重复报备"));
        assert!(
            store
                .person_by_document(doorstep_core::DocType::ResidentId, &id(77, false))
                .await
                .unwrap()
                .is_none()
        );

        // A report that would move 张伟 to another room is a conflict: bulk accept leaves it.
        let mut moved = household("k-3");
        moved.address.room = "1301".into();
        moved.members.truncate(1);
        let r3 = submit(store, &token, &moved).await.unwrap().report;
        let fresh = submit(store, &token, &{
            let mut h = household("k-4");
            h.address.room = "1401".into();
            h.members = vec![member("王强", &id(90, true), "", "户主")];
            h
        })
        .await
        .unwrap()
        .report;
        let bulk = desk.bulk_accept(None).await.unwrap();
        assert_eq!(
            bulk,
            BulkOutcome {
                accepted: 1,
                skipped: 1
            }
        );
        assert_eq!(
            desk.report(r3.id).await.unwrap().status,
            ReportStatus::Pending
        );
        assert_eq!(
            desk.report(fresh.id).await.unwrap().status,
            ReportStatus::Accepted
        );

        let audit = store
            .audit_entries(&doorstep_store::AuditQuery {
                action: Some("report".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(audit.total >= 3);
    }
);

both_backends!(
    export_has_the_template_columns_and_remembers,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        place(store).await;
        let token = report_link(store, COMMUNITY, Purpose::HomeQuarantine).await;
        let admin = user(store, "admin1", Role::CommunityAdmin, COMMUNITY).await;
        user(
            store,
            "wang",
            Role::GridWorker,
            &format!("{COMMUNITY}/佳纷天地"),
        )
        .await;
        doorstep_app::users::set_phone(store, By::Cli, "wang", "13712345678")
            .await
            .unwrap();
        let volunteer = user(store, "vol", Role::Volunteer, COMMUNITY).await;
        let ctx = Ctx::default();
        let desk = ReportDesk::new(store, &admin, &ctx);
        let r1 = submit(store, &token, &household("k-1"))
            .await
            .unwrap()
            .report;
        desk.accept(r1.id).await.unwrap();
        // A pending report is not sent up.
        let mut pending = household("k-2");
        pending.address.room = "1501".into();
        pending.members = vec![member("赵六", &id(120, true), "", "户主")];
        let r2 = submit(store, &token, &pending).await.unwrap().report;

        let dir = tempfile::tempdir().unwrap();
        let area = AreaPath::parse(COMMUNITY).unwrap();
        let out = dir.path().join("a.csv");
        assert!(matches!(
            export_reports_as(store, &volunteer, &ctx, &area, true, SheetFormat::Csv, &out).await,
            Err(AppError::Forbidden)
        ));
        let done = export_reports_as(store, &admin, &ctx, &area, true, SheetFormat::Csv, &out)
            .await
            .unwrap();
        assert_eq!(
            done,
            ReportExport {
                reports: 1,
                rows: 2
            }
        );
        let text = std::fs::read_to_string(&out).unwrap();
        let mut lines = text.trim_start_matches('\u{feff}').lines();
        assert_eq!(
            lines.next().unwrap(),
            "序号,姓名,性别,年龄,证件类型,证件号码,联系电话,现居住地址,报备类型,报备原因,来源地/风险场所,到达或接触日期,报备时间,所属社区,所属网格,网格员,网格员电话,备注"
        );
        let first: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(first[0], "1");
        assert_eq!(first[1], "张伟");
        assert_eq!(first[2], "男");
        assert_eq!(first[4], "居民身份证");
        assert_eq!(first[5], id(1, true));
        assert_eq!(first[6], "13900000009");
        assert_eq!(first[7], "二七区京广路街道祥云社区佳纷天地3号楼2单元1201");
        assert_eq!(first[8], "居家隔离人员报备");
        assert_eq!(first[9], "被告知居家隔离（通知人：网格员王芳）");
        assert_eq!(first[11], "2022-10-20");
        assert_eq!(first[13], "祥云社区");
        assert_eq!(first[15], "wang");
        assert_eq!(
            first[16], "13712345678",
            "网格员电话 from the worker's account"
        );
        assert_eq!(first[17], "体温：36.6℃");
        assert_eq!(lines.count(), 1);

        // Since the last export: nothing new, then only the newly accepted report.
        let again = export_reports_as(
            store,
            &admin,
            &ctx,
            &area,
            true,
            SheetFormat::Xlsx,
            &dir.path().join("b.xlsx"),
        )
        .await
        .unwrap();
        assert_eq!(
            again,
            ReportExport {
                reports: 0,
                rows: 0
            }
        );
        desk.accept(r2.id).await.unwrap();
        let third = export_reports_as(
            store,
            &admin,
            &ctx,
            &area,
            true,
            SheetFormat::Csv,
            &dir.path().join("c.csv"),
        )
        .await
        .unwrap();
        assert_eq!(
            third,
            ReportExport {
                reports: 1,
                rows: 1
            }
        );
        // Without the option, everything accepted.
        let all = export_reports_as(
            store,
            &admin,
            &ctx,
            &area,
            false,
            SheetFormat::Csv,
            &dir.path().join("d.csv"),
        )
        .await
        .unwrap();
        assert_eq!(
            all,
            ReportExport {
                reports: 2,
                rows: 3
            }
        );
        let audit = store
            .audit_entries(&doorstep_store::AuditQuery {
                action: Some("reports.export".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(audit.total, 4);
    }
);

both_backends!(
    cached_places_find_areas_created_later,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        place(store).await;
        let token = report_link(store, COMMUNITY, Purpose::HomeQuarantine).await;
        let places = PlaceCache::new();

        let first = submit_with(
            store,
            &places,
            &token,
            &household("cache-1"),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
        assert_eq!(first.report.address, "佳纷天地3号楼2单元1201");
        assert!(!first.report.room_new);
        let mut new_room = household("cache-2");
        new_room.address.room = "1202".into();
        let second = submit_with(
            store,
            &places,
            &token,
            &new_room,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
        assert!(second.report.room_new);

        // A building created after the tree was read is found once the tree is old enough to
        // be read again; until then it is outside the area, as any unknown name.
        let jf = AreaPath::parse(&format!("{COMMUNITY}/佳纷天地")).unwrap();
        store
            .create_area(Some(&jf), AreaKind::Building, "5号楼")
            .await
            .unwrap();
        let mut later = household("cache-3");
        later.address.building = "5".into();
        later.address.unit = String::new();
        tokio::time::sleep(PlaceCache::MIN_RELOAD).await;
        let third = submit_with(
            store,
            &places,
            &token,
            &later,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
        assert_eq!(third.report.address, "佳纷天地5号楼1201");
        assert!(third.report.room_new);

        let mut nowhere = household("cache-4");
        nowhere.address.building = "99".into();
        assert_eq!(
            paths(
                submit_with(
                    store,
                    &places,
                    &token,
                    &nowhere,
                    time::OffsetDateTime::now_utc()
                )
                .await
                .unwrap_err()
            ),
            vec![(
                "address.building".to_string(),
                "address_outside_area".to_string()
            )]
        );
    }
);

both_backends!(
    merge_puts_a_member_into_the_chosen_file,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        place(store).await;
        let token = report_link(store, COMMUNITY, Purpose::HomeQuarantine).await;
        let zw = store
            .person_by_document(doorstep_core::DocType::ResidentId, &id(1, true))
            .await
            .unwrap()
            .unwrap();
        // 张伟 mistypes his ID number and reports from room 1301 with his son.
        let mut h = household("m-1");
        h.address.room = "1301".into();
        h.members[0].id_number = id(2, true);
        let r1 = submit(store, &token, &h).await.unwrap().report;

        let admin = user(store, "admin1", Role::CommunityAdmin, COMMUNITY).await;
        let worker = user(
            store,
            "worker1",
            Role::GridWorker,
            &format!("{COMMUNITY}/钱塘衣城"),
        )
        .await;
        let ctx = Ctx::default();
        let desk = ReportDesk::new(store, &admin, &ctx);
        let wdesk = ReportDesk::new(store, &worker, &ctx);

        // Outside the worker's area: the report is not found for them.
        assert!(matches!(
            wdesk.merge(r1.id, 0, zw.id).await,
            Err(AppError::NotFound)
        ));
        // An unknown person is not found; an unknown member is refused.
        assert!(matches!(
            desk.merge(r1.id, 0, zw.id + 1000).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            desk.merge(r1.id, 5, zw.id).await,
            Err(AppError::Conflict(c)) if c.code() == "report_member_unknown"
        ));

        let merged = desk.merge(r1.id, 0, zw.id).await.unwrap();
        assert_eq!(merged.status, ReportStatus::Pending);
        assert_eq!(merged.merged_into(0), Some(zw.id));
        assert_eq!(merged.merged_into(1), None);
        // The file keeps its document and takes the report's phone, room and tag, with history.
        let file = store.person(zw.id).await.unwrap().unwrap();
        assert_eq!(file.fields.doc().number(), id(1, true));
        assert_eq!(file.fields.name(), "张伟");
        assert_eq!(file.fields.phone().unwrap().as_str(), "13900000009");
        assert_eq!(file.address, "佳纷天地3号楼2单元1301");
        assert_ne!(file.household_id, zw.household_id);
        assert_eq!(file.fields.tags().as_slice(), ["慢性病", "居家隔离"]);
        let history = store.person_history(zw.id).await.unwrap();
        assert_eq!(history.last().unwrap().source, "report");
        assert!(
            store
                .person_by_document(doorstep_core::DocType::ResidentId, &id(2, true))
                .await
                .unwrap()
                .is_none()
        );
        // The review shows the merge; a merged member is no conflict; it cannot merge twice.
        let review = desk.review(r1.id).await.unwrap();
        assert_eq!(review.members[0].merged_into, Some(zw.id));
        assert!(!review.members[0].conflicting());
        assert!(matches!(
            desk.merge(r1.id, 0, zw.id).await,
            Err(AppError::Conflict(c)) if c.code() == "report_member_decided"
        ));

        // Accepting decides the rest: the son gets a new file, the typo creates none.
        let accepted = desk.accept(r1.id).await.unwrap();
        assert_eq!(accepted.status, ReportStatus::Accepted);
        assert_eq!(accepted.person_ids.len(), 2);
        assert_eq!(accepted.person_ids[0], zw.id);
        let son = store.person(accepted.person_ids[1]).await.unwrap().unwrap();
        assert_eq!(son.household_id, file.household_id);
        assert!(
            store
                .person_by_document(doorstep_core::DocType::ResidentId, &id(2, true))
                .await
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            desk.merge(r1.id, 1, son.id).await,
            Err(AppError::Conflict(c)) if c.code() == "report_already_reviewed"
        ));

        // A one-member report whose only member is merged is accepted by the merge.
        let mut single = household("m-2");
        single.address.room = "1301".into();
        single.members = vec![member("张伟", &id(3, true), "13900000010", "户主")];
        let r2 = submit(store, &token, &single).await.unwrap().report;
        let done = desk.merge(r2.id, 0, zw.id).await.unwrap();
        assert_eq!(done.status, ReportStatus::Accepted);
        assert_eq!(done.person_ids, vec![zw.id]);
        assert_eq!(done.reviewed_by.as_deref(), Some("admin1"));

        // The worker of 钱塘衣城 may not merge their report into a file outside their area.
        let mut there = household("m-3");
        there.address.compound = "钱塘衣城".into();
        there.address.building = "1".into();
        there.address.unit = String::new();
        there.address.room = "101".into();
        there.members = vec![member("张伟", &id(4, true), "13900000011", "户主")];
        let r3 = submit(store, &token, &there).await.unwrap().report;
        assert!(matches!(
            wdesk.merge(r3.id, 0, zw.id).await,
            Err(AppError::NotFound)
        ));
        assert_eq!(
            wdesk.report(r3.id).await.unwrap().status,
            ReportStatus::Pending
        );

        // Audited with before and after.
        let audit = store
            .audit_entries(&doorstep_store::AuditQuery {
                action: Some("report.merge".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(audit.total, 2);
        let first = audit.items.last().unwrap();
        assert_eq!(first.object_id, Some(r1.id));
        assert_eq!(first.details["person"], zw.id);
        assert_eq!(first.details["before"]["address"], "佳纷天地3号楼2单元1201");
        assert_eq!(first.details["after"]["address"], "佳纷天地3号楼2单元1301");
        assert_eq!(first.details["report_accepted"], false);
    }
);
