//! Scans against the round's close and a person's excuse, and boxes received in opposite
//! orders at once: writes that meet on PostgreSQL through other rows than the one they change.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

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
    (single_tube_round(store).await, ids)
}

/// Each of `ids` scanned into a tube of their own, the k-th into GZ-000k (sent as c-k).
async fn each_in_a_tube(store: &dyn Store, round: i64, ids: &[String]) {
    for (k, person) in ids.iter().enumerate() {
        let (client, tube) = (format!("c-{k}"), format!("GZ-{k:04}"));
        scan(store, round, &client, &tube, person, false)
            .await
            .unwrap();
    }
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
        each_in_a_tube(store.as_ref(), round, &ids).await;
        for k in 0..ids.len() {
            let (tube, code) = (format!("GZ-{k:04}"), format!("BX-{k:02}"));
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

/// Pairs of tubes whose results come in two lab files at once.
const RESULT_PAIRS: usize = 8;

both_backends!(
    results_of_the_same_tubes_in_opposite_orders_at_once_never_deadlock,
    async |db: &TestDb| {
        let store: Arc<dyn Store> = db.store.clone();
        let (round, ids) = residents_and_round(store.as_ref(), 2 * RESULT_PAIRS as u16).await;
        each_in_a_tube(store.as_ref(), round, &ids).await;
        // Two files of each pair of tubes at once, listing them in opposite orders, both pools
        // positive (each tube read locked, its persons flagged): each tube is recorded by one
        // file and found unchanged by the other, none deadlocks.
        let files = side_by_side(&store, 2 * RESULT_PAIRS, |store, n| async move {
            let (a, b) = (n / 2 * 2, n / 2 * 2 + 1);
            let order = if n.is_multiple_of(2) { [a, b] } else { [b, a] };
            let rows: Vec<ResultInput> = order
                .iter()
                .map(|k| ResultInput {
                    tube: format!("GZ-{k:04}"),
                    result: "positive".into(),
                    tested_at: String::new(),
                })
                .collect();
            let (office, ctx) = (Principal::office(), Ctx::default());
            LabDesk::new(store.as_ref(), &office, &ctx)
                .results(&rows)
                .await
        })
        .await;
        for two in files.chunks(2) {
            let done: Vec<_> = two.iter().map(|f| f.as_ref().unwrap()).collect();
            let recorded: usize = done.iter().map(|d| d.recorded).sum();
            let unchanged: usize = done.iter().map(|d| d.unchanged).sum();
            assert_eq!((recorded, unchanged), (2, 2), "{done:?}");
        }
        assert_eq!(
            rows(db, "custody_events", "action = 'resulted'").await,
            2 * RESULT_PAIRS as i64
        );
    }
);
