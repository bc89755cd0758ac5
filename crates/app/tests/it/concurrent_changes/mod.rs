//! Sixteen identical changes of one object at once, through the use cases: exactly one makes
//! the change and writes its history and audit entry, the others are refused (409) or, where
//! the use case answers a change already made as it is (ending an emergency), answered
//! without an entry of their own. On PostgreSQL transactions write side by side, and a check
//! of a row's state read without a lock lets several pass (ARCHITECTURE.md, "Two databases":
//! `for_update`); on SQLite the one writer serializes them. On both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::q;
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::emergency::{EmergencyDesk, EndInput, StartInput};
use doorstep_app::error::{AppError, AppResult};
use doorstep_app::quarantine::{ChangeForm, EpisodeForm, QuarantineDesk};
use doorstep_app::registry::Registry;
use doorstep_app::reports::{
    AddressInput, AnswersInput, MemberInput, Purpose, ReportDesk, SubmissionInput, submit,
};
use doorstep_app::rounds::{
    HandoverDesk, HandoverForm, LabDesk, PersonRef, ReceiptInput, ResultInput, RoundDesk,
    RoundForm, ScanInput,
};
use doorstep_app::supplies::{SupplyDesk, SupplyInput};
use doorstep_app::tasks::{Finish, TaskDesk};
use doorstep_core::person::PersonInput;
use doorstep_core::{AreaPath, RoundStatus};
use doorstep_store::{AuditQuery, BoxStep, Store};
use doorstep_testkit::{
    COMMUNITY, HEADER, TestDb, both_backends, csv_file, id, import, report_link, two_compounds,
};

/// How many identical changes go at once.
const AT_ONCE: usize = 16;

/// Runs `change` [`AT_ONCE`] times side by side (each on its own task, all released
/// together) and returns the outcomes.
async fn at_once<T, F, Fut>(store: &Arc<dyn Store>, change: F) -> Vec<AppResult<T>>
where
    T: Send + 'static,
    F: Fn(Arc<dyn Store>, usize) -> Fut,
    Fut: Future<Output = AppResult<T>> + Send + 'static,
{
    side_by_side(store, AT_ONCE, change).await
}

/// Runs `change` `count` times side by side, as [`at_once`] does.
async fn side_by_side<T, F, Fut>(
    store: &Arc<dyn Store>,
    count: usize,
    change: F,
) -> Vec<AppResult<T>>
where
    T: Send + 'static,
    F: Fn(Arc<dyn Store>, usize) -> Fut,
    Fut: Future<Output = AppResult<T>> + Send + 'static,
{
    let gate = Arc::new(tokio::sync::Barrier::new(count));
    let mut tasks = Vec::with_capacity(count);
    for n in 0..count {
        let (gate, work) = (gate.clone(), change(store.clone(), n));
        tasks.push(tokio::spawn(async move {
            gate.wait().await;
            work.await
        }));
    }
    let mut out = Vec::with_capacity(count);
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// Checks that one of `outcomes` succeeded and every other one was refused with one of
/// `codes`.
fn one_wins<T: std::fmt::Debug>(outcomes: &[AppResult<T>], codes: &[&str]) {
    let won = outcomes.iter().filter(|o| o.is_ok()).count();
    let refused: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match o {
            Ok(_) => None,
            Err(AppError::Conflict(c)) => Some(c.code().to_string()),
            Err(e) => Some(format!("not a conflict: {e:?}")),
        })
        .collect();
    assert_eq!(won, 1, "exactly one change is made: {outcomes:?}");
    assert!(
        refused.iter().all(|c| codes.contains(&c.as_str())),
        "the others are refused {codes:?}: {refused:?}"
    );
}

/// The audit entries of `action`.
async fn entries(store: &dyn Store, action: &str) -> i64 {
    store
        .audit_entries(&AuditQuery {
            action: Some(action.into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .total
}

/// The rows of `table` meeting `cond`.
async fn rows(db: &TestDb, table: &str, cond: &str) -> i64 {
    db.query_i64(&format!("SELECT COUNT(*) FROM {table} WHERE {cond}"))
        .await
}

/// The report tests' resident 张伟 in 佳纷天地 3号楼 2单元 1201 ([`crate::reports::place`]), in
/// home quarantine from today (started by the office): the episode.
async fn quarantined(store: &dyn Store) -> doorstep_store::Episode {
    crate::reports::place(store).await;
    let (office, ctx) = (Principal::office(), Ctx::default());
    let started = QuarantineDesk::new(store, &office, &ctx)
        .start(&EpisodeForm {
            id_number: id(1, true),
            measure: "home_quarantine".into(),
            reason: "密接".into(),
            ..EpisodeForm::default()
        })
        .await
        .unwrap();
    assert_eq!(started.len(), 1);
    started.into_iter().next().unwrap()
}

both_backends!(
    an_episode_extended_sixteen_times_at_once_is_extended_once,
    async |db: &TestDb| {
        let store: Arc<dyn Store> = db.store.clone();
        let e = quarantined(store.as_ref()).await;
        let to = (e.last_day + time::Duration::days(3)).to_string();
        let outcomes = at_once(&store, |store, _| {
            let to = to.clone();
            async move {
                let (office, ctx) = (Principal::office(), Ctx::default());
                QuarantineDesk::new(store.as_ref(), &office, &ctx)
                    .change(
                        e.id,
                        &ChangeForm {
                            last_day: to,
                            reason: "复核延长".into(),
                        },
                    )
                    .await
            }
        })
        .await;
        // The first moves the last day; the others find it there already.
        one_wins(&outcomes, &["episode_unchanged"]);
        let after = store.episode(e.id).await.unwrap().unwrap();
        assert_eq!(after.last_day.to_string(), to);
        assert_eq!(store.episode_changes(e.id).await.unwrap().len(), 1);
        assert_eq!(entries(store.as_ref(), "episode.change").await, 1);
    }
);

both_backends!(
    a_supply_request_delivered_sixteen_times_at_once_is_delivered_once,
    async |db: &TestDb| {
        let store: Arc<dyn Store> = db.store.clone();
        let e = quarantined(store.as_ref()).await;
        let (office, ctx) = (Principal::office(), Ctx::default());
        let filed = SupplyDesk::new(store.as_ref(), &office, &ctx)
            .file(
                e.household_id,
                &SupplyInput {
                    idempotency_key: "req-1".into(),
                    kind: "medicine".into(),
                    detail: "降压药 一盒".into(),
                    urgency: String::new(),
                },
            )
            .await
            .unwrap();
        let task = filed.request.task.expect("a delivery task").id;
        let outcomes = at_once(&store, |store, _| async move {
            let (office, ctx) = (Principal::office(), Ctx::default());
            TaskDesk::new(store.as_ref(), &office, &ctx)
                .finish(
                    task,
                    &Finish {
                        outcome: "delivered".into(),
                        note: String::new(),
                    },
                )
                .await
        })
        .await;
        // The others find it done: when they read it (closed), or when they change it (changed
        // since they read it open).
        one_wins(&outcomes, &["task_closed", "task_changed"]);
        assert_eq!(
            rows(
                db,
                "task_events",
                &format!("task_id = {task} AND action = 'done'")
            )
            .await,
            1
        );
        assert_eq!(entries(store.as_ref(), "task.done").await, 1);
    }
);

both_backends!(
    a_self_report_accepted_sixteen_times_at_once_is_accepted_once,
    async |db: &TestDb| {
        let store: Arc<dyn Store> = db.store.clone();
        two_compounds(store.as_ref()).await;
        let token = report_link(store.as_ref(), COMMUNITY, Purpose::HomeQuarantine).await;
        let member = |name: &str, id_number: String| MemberInput {
            name: name.into(),
            id_type: String::new(),
            id_number,
            phone: String::new(),
            relation: String::new(),
        };
        let input = SubmissionInput {
            idempotency_key: "k-1".into(),
            address: AddressInput {
                compound: "佳纷天地".into(),
                building: "3".into(),
                unit: "2".into(),
                room: "1201".into(),
            },
            members: vec![member("张伟", id(1, true)), member("张小明", id(40, true))],
            answers: AnswersInput {
                notified_by: "网格员王芳".into(),
                date: "2022-10-20".into(),
                temperature: "36.6".into(),
                ..AnswersInput::default()
            },
        };
        let report = submit(store.as_ref(), &token, &input).await.unwrap().report;
        let outcomes = at_once(&store, |store, _| async move {
            let (office, ctx) = (Principal::office(), Ctx::default());
            ReportDesk::new(store.as_ref(), &office, &ctx)
                .accept(report.id)
                .await
        })
        .await;
        // The members' files are written by the one acceptance that finds the report
        // pending; the others are refused before writing any.
        one_wins(&outcomes, &["report_already_reviewed"]);
        assert_eq!(rows(db, "persons", "1 = 1").await, 2);
        assert_eq!(rows(db, "person_history", "1 = 1").await, 0);
        assert_eq!(entries(store.as_ref(), "report.accept").await, 1);
    }
);

both_backends!(
    a_round_closed_sixteen_times_at_once_is_closed_once,
    async |db: &TestDb| {
        let store: Arc<dyn Store> = db.store.clone();
        two_compounds(store.as_ref()).await;
        let (office, ctx) = (Principal::office(), Ctx::default());
        let desk = RoundDesk::new(store.as_ref(), &office, &ctx);
        let round = desk
            .create(&RoundForm {
                area: COMMUNITY.into(),
                name: "第一轮".into(),
                pool_size: 10,
                ..RoundForm::default()
            })
            .await
            .unwrap();
        desk.set_status(round.id, RoundStatus::Open).await.unwrap();
        let outcomes = at_once(&store, |store, _| async move {
            let (office, ctx) = (Principal::office(), Ctx::default());
            RoundDesk::new(store.as_ref(), &office, &ctx)
                .set_status(round.id, RoundStatus::Closed)
                .await
        })
        .await;
        one_wins(&outcomes, &["round_status"]);
        assert_eq!(
            store.round(round.id).await.unwrap().unwrap().status,
            RoundStatus::Closed
        );
        // The opening and the one closing.
        assert_eq!(entries(store.as_ref(), "round.status").await, 2);
    }
);

both_backends!(
    an_emergency_ended_sixteen_times_at_once_is_ended_once,
    async |db: &TestDb| {
        let store: Arc<dyn Store> = db.store.clone();
        two_compounds(store.as_ref()).await;
        let (office, ctx) = (Principal::office(), Ctx::default());
        let started = EmergencyDesk::new(store.as_ref(), &office, &ctx)
            .start(&StartInput {
                area: COMMUNITY.into(),
                started_on: String::new(),
                reason: "本土疫情".into(),
                members: Vec::new(),
            })
            .await
            .unwrap();
        let outcomes = at_once(&store, |store, n| async move {
            let (office, ctx) = (Principal::office(), Ctx::default());
            EmergencyDesk::new(store.as_ref(), &office, &ctx)
                .end(
                    started.id,
                    &EndInput {
                        note: format!("第{n}次"),
                        ..EndInput::default()
                    },
                )
                .await
        })
        .await;
        // An ended emergency is answered as it is: every call answers the one ending.
        let notes: Vec<String> = outcomes
            .into_iter()
            .map(|o| o.unwrap().ended.expect("ended").note)
            .collect();
        assert!(notes.iter().all(|n| *n == notes[0]), "{notes:?}");
        assert_eq!(entries(store.as_ref(), "emergency.end").await, 1);
    }
);

both_backends!(
    a_person_moved_sixteen_times_at_once_keeps_the_area_totals,
    async |db: &TestDb| {
        let store: Arc<dyn Store> = db.store.clone();
        let e = quarantined(store.as_ref()).await;
        let (office, ctx) = (Principal::office(), Ctx::default());
        let registry = Registry::new(store.as_ref(), &office, &ctx);
        // Sixteen rooms in four buildings and units other than 张伟's.
        let mut rooms = Vec::new();
        for place in ["佳纷天地/1号楼", "佳纷天地/3号楼/1单元", "钱塘衣城/1号楼"]
        {
            let area = store
                .area_by_path(&AreaPath::parse(&format!("{COMMUNITY}/{place}")).unwrap())
                .await
                .unwrap()
                .unwrap();
            for n in 0..6 {
                rooms.push(
                    registry
                        .add_household(area.id, &format!("{}", 301 + n))
                        .await
                        .unwrap()
                        .id,
                );
            }
        }
        rooms.truncate(AT_ONCE);
        let rooms = Arc::new(rooms);
        let outcomes = at_once(&store, |store, n| {
            let rooms = rooms.clone();
            async move {
                let (office, ctx) = (Principal::office(), Ctx::default());
                Registry::new(store.as_ref(), &office, &ctx)
                    .add_person(
                        rooms[n],
                        &PersonInput {
                            name: "张伟".into(),
                            id_number: id(1, true),
                            phone: "13800000001".into(),
                            ..PersonInput::default()
                        },
                    )
                    .await
            }
        })
        .await;
        // Each move is made, one after the other: each one's history starts where the one
        // before it left the file.
        assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
        let history = store.person_history(e.person_id).await.unwrap();
        assert_eq!(history.len(), AT_ONCE);
        for pair in history.windows(2) {
            assert_eq!(
                pair[1].changes["address"][0], pair[0].changes["address"][1],
                "{history:?}"
            );
        }
        // Every kept count equals a fresh count: no move took 张伟 out of a building twice.
        let tree = store
            .area_tree(&AreaPath::parse(COMMUNITY).unwrap())
            .await
            .unwrap();
        for c in &tree {
            let fresh = store
                .search_persons(&q(None, Some(c.area.path.as_str())))
                .await
                .unwrap()
                .total;
            assert_eq!(c.persons, fresh, "{}", c.area.path);
        }
        assert_eq!(
            entries(store.as_ref(), "person.update").await,
            AT_ONCE as i64
        );
    }
);

/// [`quarantined`]'s 张伟 sampled into the single tube GZ-0001 (closed by the scan) in the
/// open round 单采: its id.
async fn sampled(store: &dyn Store) -> i64 {
    quarantined(store).await;
    let (office, ctx) = (Principal::office(), Ctx::default());
    let round = single_tube_round(store).await;
    RoundDesk::new(store, &office, &ctx)
        .scan(
            round,
            &ScanInput {
                client_id: "c-1".into(),
                tube: "GZ-0001".into(),
                person: PersonRef::IdNumber(id(1, true)),
                retest: false,
                point: None,
            },
        )
        .await
        .unwrap();
    round
}

/// The open round 单采 of the community, one tube a person: its id.
async fn single_tube_round(store: &dyn Store) -> i64 {
    let (office, ctx) = (Principal::office(), Ctx::default());
    let desk = RoundDesk::new(store, &office, &ctx);
    let round = desk
        .create(&RoundForm {
            area: COMMUNITY.into(),
            name: "单采".into(),
            pool_size: 1,
            ..RoundForm::default()
        })
        .await
        .unwrap();
    desk.set_status(round.id, RoundStatus::Open).await.unwrap();
    round.id
}

both_backends!(
    a_tube_resulted_sixteen_times_at_once_is_resulted_once,
    async |db: &TestDb| {
        let store: Arc<dyn Store> = db.store.clone();
        sampled(store.as_ref()).await;
        // The lab's file sent sixteen times at once.
        let outcomes = at_once(&store, |store, _| async move {
            let (office, ctx) = (Principal::office(), Ctx::default());
            LabDesk::new(store.as_ref(), &office, &ctx)
                .results(&[ResultInput {
                    tube: "GZ-0001".into(),
                    result: "negative".into(),
                    tested_at: String::new(),
                }])
                .await
        })
        .await;
        let done: Vec<_> = outcomes.into_iter().map(Result::unwrap).collect();
        let recorded: usize = done.iter().map(|d| d.recorded).sum();
        let unchanged: usize = done.iter().map(|d| d.unchanged).sum();
        assert_eq!((recorded, unchanged), (1, AT_ONCE - 1), "{done:?}");
        assert_eq!(rows(db, "custody_events", "action = 'resulted'").await, 1);
    }
);

both_backends!(
    a_tube_boxed_and_a_box_sealed_sixteen_times_at_once_are_so_once,
    async |db: &TestDb| {
        let store: Arc<dyn Store> = db.store.clone();
        let round = sampled(store.as_ref()).await;
        let (office, ctx) = (Principal::office(), Ctx::default());
        RoundDesk::new(store.as_ref(), &office, &ctx)
            .open_box(round, "BX-01")
            .await
            .unwrap();
        // The packer's scan of the tube into the box, sent sixteen times: the tube is in the
        // box once, with one custody event.
        let boxed = at_once(&store, |store, _| async move {
            let (office, ctx) = (Principal::office(), Ctx::default());
            RoundDesk::new(store.as_ref(), &office, &ctx)
                .box_tube(round, "BX-01", "GZ-0001")
                .await
        })
        .await;
        assert!(
            boxed.iter().all(|b| matches!(b, Ok(b) if b.tubes == 1)),
            "{boxed:?}"
        );
        assert_eq!(rows(db, "custody_events", "action = 'boxed'").await, 1);
        let sealed = at_once(&store, |store, _| async move {
            let (office, ctx) = (Principal::office(), Ctx::default());
            RoundDesk::new(store.as_ref(), &office, &ctx)
                .move_box(
                    round,
                    "BX-01",
                    BoxStep::Seal {
                        by: "office".into(),
                    },
                )
                .await
        })
        .await;
        one_wins(&sealed, &["box_status"]);
        assert_eq!(rows(db, "custody_events", "action = 'sealed'").await, 1);
        assert_eq!(rows(db, "seal_outbox", "1 = 1").await, 1);
        assert_eq!(entries(store.as_ref(), "box.seal").await, 1);
    }
);

both_backends!(
    a_person_excused_sixteen_times_at_once_is_excused_once,
    async |db: &TestDb| {
        let store: Arc<dyn Store> = db.store.clone();
        quarantined(store.as_ref()).await;
        let (office, ctx) = (Principal::office(), Ctx::default());
        let desk = RoundDesk::new(store.as_ref(), &office, &ctx);
        let round = desk
            .create(&RoundForm {
                area: COMMUNITY.into(),
                name: "第二轮".into(),
                pool_size: 10,
                ..RoundForm::default()
            })
            .await
            .unwrap();
        desk.set_status(round.id, RoundStatus::Open).await.unwrap();
        // Each excuse replaces the one before, as one after the other would: one excuse, the
        // building's excused count one.
        let outcomes = at_once(&store, |store, n| async move {
            let (office, ctx) = (Principal::office(), Ctx::default());
            RoundDesk::new(store.as_ref(), &office, &ctx)
                .exclude(
                    round.id,
                    &PersonRef::IdNumber(id(1, true)),
                    "away",
                    &format!("第{n}次"),
                )
                .await
        })
        .await;
        assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
        assert_eq!(rows(db, "round_exclusions", "1 = 1").await, 1);
        assert_eq!(
            db.query_i64("SELECT CAST(COALESCE(SUM(excluded), 0) AS BIGINT) FROM round_counts")
                .await,
            1
        );
    }
);

mod scans_and_boxes;
