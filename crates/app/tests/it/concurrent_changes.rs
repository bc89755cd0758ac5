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
    desk.scan(
        round.id,
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

/// [`two_compounds`] with `n` residents in 佳纷天地 1号楼, one to a room (101, 102, …), and the
/// open round 单采 (one tube a person): the round's id and the residents' ID numbers.
async fn residents_and_round(store: &dyn Store, n: u16) -> (i64, Vec<String>) {
    two_compounds(store).await;
    let ids: Vec<String> = (0..n).map(|k| id(100 + k, k.is_multiple_of(2))).collect();
    let mut text = HEADER.to_string();
    for (k, number) in ids.iter().enumerate() {
        text += &format!("居民{k},,{number},,,佳纷天地,1,,{},户主,常住,\n", 101 + k);
    }
    let dir = tempfile::tempdir().unwrap();
    let r = import(store, &csv_file(dir.path(), "r.csv", &text)).await;
    assert_eq!(r.created, u64::from(n), "{:?}", r.errors);
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
    (round.id, ids)
}

/// A sampler's scan of `person` into the new tube `tube`, sent as `client`.
async fn scan(
    store: &dyn Store,
    round: i64,
    client: &str,
    tube: &str,
    person: &str,
    retest: bool,
) -> AppResult<doorstep_app::rounds::Scanned> {
    let (office, ctx) = (Principal::office(), Ctx::default());
    RoundDesk::new(store, &office, &ctx)
        .scan(
            round,
            &ScanInput {
                client_id: client.into(),
                tube: tube.into(),
                person: PersonRef::IdNumber(person.into()),
                retest,
                point: None,
            },
        )
        .await
}

/// Checks that the kept counts of a round (sampled, excused) are what its samples and
/// excuses say.
async fn counts_hold(db: &TestDb, round: i64) {
    let kept = |col: &str| {
        format!(
            "SELECT CAST(COALESCE(SUM({col}), 0) AS BIGINT) FROM round_counts WHERE round_id = {round}"
        )
    };
    assert_eq!(
        db.query_i64(&kept("sampled")).await,
        rows(
            db,
            "samples",
            &format!("round_id = {round} AND retest = FALSE")
        )
        .await,
        "sampled"
    );
    assert_eq!(
        db.query_i64(&kept("excluded")).await,
        rows(db, "round_exclusions", &format!("round_id = {round}")).await,
        "excused"
    );
}

/// How many residents a scan and an excuse go for at once.
const PAIRS: u16 = 16;

both_backends!(
    a_person_scanned_while_being_excused_ends_up_sampled_and_not_excused,
    async |db: &TestDb| {
        let store: Arc<dyn Store> = db.store.clone();
        let (round, ids) = residents_and_round(store.as_ref(), PAIRS).await;
        let ids = Arc::new(ids);
        // Each resident scanned and excused at once: a sample ends an excuse, whichever
        // commits first (an excuse after the sample is refused `already_sampled`).
        let outcomes = side_by_side(&store, 2 * usize::from(PAIRS), |store, n| {
            let ids = ids.clone();
            async move {
                let person = &ids[n / 2];
                if n.is_multiple_of(2) {
                    let tube = format!("GZ-{n:04}");
                    scan(
                        store.as_ref(),
                        round,
                        &format!("c-{n}"),
                        &tube,
                        person,
                        false,
                    )
                    .await
                    .map(|_| ())
                } else {
                    let (office, ctx) = (Principal::office(), Ctx::default());
                    RoundDesk::new(store.as_ref(), &office, &ctx)
                        .exclude(round, &PersonRef::IdNumber(person.clone()), "away", "")
                        .await
                        .map(|_| ())
                }
            }
        })
        .await;
        for (n, o) in outcomes.iter().enumerate() {
            match o {
                Ok(()) => {}
                Err(AppError::Conflict(c))
                    if !n.is_multiple_of(2) && c.code() == "already_sampled" => {}
                Err(e) => panic!(
                    "{}: {e:?}",
                    if n.is_multiple_of(2) {
                        "scan"
                    } else {
                        "excuse"
                    }
                ),
            }
        }
        assert_eq!(
            rows(db, "samples", &format!("round_id = {round}")).await,
            i64::from(PAIRS)
        );
        assert_eq!(
            rows(
                db,
                "round_exclusions e",
                "EXISTS (SELECT 1 FROM samples s WHERE s.round_id = e.round_id AND s.person_id = e.person_id)"
            )
            .await,
            0,
            "sampled and still excused"
        );
        counts_hold(db, round).await;
    }
);

/// How many samplers scan on while the round is closed.
const SAMPLERS: usize = 12;

/// What a task beside a round's close did: a sampler's scans answered (the sampler, its
/// scan's number, the sample), and the samples on file right after the close was answered
/// (the closer's).
#[derive(Debug, Default)]
struct BesideClose {
    scanned: Vec<(usize, usize, i64)>,
    on_file_at_close: Option<i64>,
}

both_backends!(
    a_round_closed_while_scans_commit_keeps_none_committed_after_it,
    async |db: &TestDb| {
        let store: Arc<dyn Store> = db.store.clone();
        let (round, ids) = residents_and_round(store.as_ref(), SAMPLERS as u16).await;
        let ids = Arc::new(ids);
        let answered = Arc::new(AtomicUsize::new(0));
        // Each sampler scans its resident again and again (retests after the first) until
        // the round is closed; the office closes it meanwhile, once the samplers are under
        // way (two scans each answered, or after ten seconds).
        let outcomes = side_by_side(&store, SAMPLERS + 1, |store, n| {
            let (ids, answered) = (ids.clone(), answered.clone());
            async move {
                let mut done = BesideClose::default();
                if n == SAMPLERS {
                    let under_way = async {
                        while answered.load(Ordering::SeqCst) < 2 * SAMPLERS {
                            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                        }
                    };
                    let _ =
                        tokio::time::timeout(std::time::Duration::from_secs(10), under_way).await;
                    let (office, ctx) = (Principal::office(), Ctx::default());
                    RoundDesk::new(store.as_ref(), &office, &ctx)
                        .set_status(round, RoundStatus::Closed)
                        .await?;
                    done.on_file_at_close = Some(store.tube_totals(round).await?.samples);
                    return Ok(done);
                }
                for i in 0..2000 {
                    let (client, tube) = (format!("c-{n}-{i}"), format!("GZ-{n:02}-{i:04}"));
                    match scan(store.as_ref(), round, &client, &tube, &ids[n], i > 0).await {
                        Ok(s) => {
                            done.scanned.push((n, i, s.scan.id));
                            answered.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(AppError::Conflict(c)) if c.code() == "round_not_open" => {
                            return Ok(done);
                        }
                        Err(e) => return Err(e),
                    }
                }
                panic!("sampler {n} was never refused");
            }
        })
        .await;
        let done: Vec<BesideClose> = outcomes.into_iter().map(Result::unwrap).collect();
        let at_close = done[SAMPLERS].on_file_at_close.unwrap();
        let scanned: Vec<&(usize, usize, i64)> = done.iter().flat_map(|d| &d.scanned).collect();
        // Every scan answered is on file, and every one was on file when the close was
        // answered: none committed into the closed round after it.
        let on_file = rows(db, "samples", &format!("round_id = {round}")).await;
        assert_eq!(on_file, scanned.len() as i64);
        assert_eq!(on_file, at_close, "scans committed after the close");
        assert!(
            on_file > 0,
            "no scan before the close: the test saw no race"
        );
        counts_hold(db, round).await;
        // A resend of a scan answered before the close is answered the same; one refused
        // stays refused.
        let &&(n, i, sample) = scanned.last().unwrap();
        let (client, tube) = (format!("c-{n}-{i}"), format!("GZ-{n:02}-{i:04}"));
        let again = scan(store.as_ref(), round, &client, &tube, &ids[n], i > 0)
            .await
            .unwrap();
        assert_eq!((again.scan.id, again.scan.replayed), (sample, true));
        let refused = format!("c-0-{}", done[0].scanned.len());
        match scan(store.as_ref(), round, &refused, "GZ-99-0001", &ids[0], true).await {
            Err(AppError::Conflict(c)) => assert_eq!(c.code(), "round_not_open"),
            other => panic!("{other:?}"),
        }
    }
);

/// How many pairs of boxes are handed over and received in opposite orders at once.
const BOX_PAIRS: usize = 8;

both_backends!(
    boxes_handed_over_and_received_in_opposite_orders_at_once_never_deadlock,
    async |db: &TestDb| {
        let store: Arc<dyn Store> = db.store.clone();
        let (round, ids) = residents_and_round(store.as_ref(), 2 * BOX_PAIRS as u16).await;
        let (office, ctx) = (Principal::office(), Ctx::default());
        let desk = RoundDesk::new(store.as_ref(), &office, &ctx);
        // One resident's tube to a box, each box sealed.
        for (k, person) in ids.iter().enumerate() {
            let (tube, code) = (format!("GZ-{k:04}"), format!("BX-{k:02}"));
            scan(
                store.as_ref(),
                round,
                &format!("c-{k}"),
                &tube,
                person,
                false,
            )
            .await
            .unwrap();
            desk.open_box(round, &code).await.unwrap();
            desk.box_tube(round, &code, &tube).await.unwrap();
            let seal = BoxStep::Seal {
                by: "office".into(),
            };
            desk.move_box(round, &code, seal).await.unwrap();
        }
        // Two slips of each pair of boxes at once, listing them in opposite orders: one slip
        // takes both, the other is refused (the boxes are handed over), none deadlocks.
        let pair = |n: usize| {
            let (a, b) = (
                format!("BX-{:02}", n / 2 * 2),
                format!("BX-{:02}", n / 2 * 2 + 1),
            );
            if n.is_multiple_of(2) {
                vec![a, b]
            } else {
                vec![b, a]
            }
        };
        let slips = side_by_side(&store, 2 * BOX_PAIRS, |store, n| async move {
            let (office, ctx) = (Principal::office(), Ctx::default());
            HandoverDesk::new(store.as_ref(), &office, &ctx)
                .create(&HandoverForm {
                    boxes: pair(n),
                    carrier: "王师傅".into(),
                    lab: "金域检验".into(),
                    packaging_intact: true,
                    disinfected: true,
                    temperature: String::new(),
                })
                .await
        })
        .await;
        let mut made = Vec::new();
        for two in slips.chunks(2) {
            one_wins(two, &["box_status"]);
            made.extend(two.iter().filter_map(|s| s.as_ref().ok().map(|h| h.id)));
        }
        // The lab receives each slip twice at once, its boxes listed in opposite orders: one
        // receipt takes both and signs the slip; the other finds them received.
        let made = Arc::new(made);
        let receipts = side_by_side(&store, 2 * BOX_PAIRS, |store, n| {
            let made = made.clone();
            async move {
                let (office, ctx) = (Principal::office(), Ctx::default());
                let boxes: Vec<ReceiptInput> = pair(n)
                    .into_iter()
                    .map(|code| ReceiptInput {
                        code,
                        tubes: 1,
                        note: String::new(),
                    })
                    .collect();
                HandoverDesk::new(store.as_ref(), &office, &ctx)
                    .receive(made[n / 2], &boxes, "")
                    .await
            }
        })
        .await;
        for two in receipts.chunks(2) {
            let won = two.iter().filter(|r| r.is_ok()).count();
            assert_eq!(won, 1, "{two:?}");
            for r in two.iter().filter_map(|r| r.as_ref().err()) {
                // Refused by the store (received meanwhile), or found received before.
                let answered = matches!(r, AppError::Conflict(c) if c.code() == "box_status")
                    || matches!(r, AppError::Validation(_));
                assert!(answered, "{r:?}");
            }
        }
        assert_eq!(
            rows(db, "boxes", "status = 'received'").await,
            2 * BOX_PAIRS as i64
        );
        assert_eq!(
            rows(db, "handovers", "received_at IS NOT NULL").await,
            BOX_PAIRS as i64
        );
    }
);
