//! An investigation list (`doorstep list import FILE`) killed with SIGKILL at a random moment of
//! its run, on SQLite and on PostgreSQL. The command writes in two parts by design: the list
//! with all its rows (one transaction), then a call task for each row to call (the next). After
//! each kill the file's list is there with every row or not at all, and its calls are all
//! there or none; a run that finished reported what is there. The file imported again in full
//! (as the office would after a run that did not finish) leaves every person of the list with
//! exactly one call: a list the kill left without its calls gets them then, though the new
//! list's rows are repeats of its rows (a repeat is never called itself).

use std::time::{Duration, Instant};

use doorstep_testkit::{COMMUNITY, TestDb, both_backends, csv_file};
use serde_json::Value;

use super::fixture::person_id;
use super::import::import_kills;
use super::{Run, fixture, kill_moment, run_killed};

/// Rows in each list: roster persons, found by ID number.
const ROWS: u32 = 200;

/// What the runs of list `n` left: its lists, their rows, and the call tasks of those rows.
async fn left(db: &TestDb, n: usize) -> (i64, i64, i64) {
    let lists = format!("SELECT id FROM lists WHERE name = '崩溃名单{n}'");
    let rows = format!("SELECT id FROM list_rows WHERE list_id IN ({lists})");
    (
        db.query_i64(&format!("SELECT COUNT(*) FROM ({lists}) x"))
            .await,
        db.query_i64(&format!("SELECT COUNT(*) FROM ({rows}) x"))
            .await,
        db.query_i64(&format!(
            "SELECT COUNT(*) FROM list_rows r JOIN lists l ON l.id = r.list_id \
             JOIN tasks k ON k.source = 'list_call' AND k.source_key = CAST(r.id AS TEXT) || ':1' \
             WHERE l.name = '崩溃名单{n}'"
        ))
        .await,
    )
}

both_backends!(
    a_list_import_killed_half_way_keeps_each_of_its_parts_whole,
    async |db: &TestDb| {
        let files = import_kills() + 1;
        let persons = ROWS * files as u32;
        fixture::community(db, persons).await;
        let url = db.child_url();
        let backend = if db.pg_schema().is_some() {
            "postgres"
        } else {
            "sqlite"
        };
        let dir = tempfile::tempdir().unwrap();
        let file = |n: usize| {
            let mut text = String::from("序号,姓名,公民身份号码,联系电话,场所名称\n");
            for i in 0..ROWS {
                let p = n as u32 * ROWS + i;
                text += &format!("{},人{p},{},,陇海市场\n", i + 1, person_id(p));
            }
            csv_file(dir.path(), &format!("崩溃名单{n}.csv"), &text)
        };
        let import = |f: &std::path::Path, after: Option<Duration>| {
            let (u, f) = (url.clone(), f.to_path_buf());
            tokio::task::spawn_blocking(move || {
                let f = f.to_str().unwrap();
                run_killed(
                    &u,
                    &["list", "import", f, "--area", COMMUNITY, "--json"],
                    after,
                )
            })
        };
        let rows = i64::from(ROWS);
        let reported = |printed: &str, n: usize| {
            let v: Value = serde_json::from_str(printed).unwrap();
            assert_eq!(
                (v["status"].as_str(), v["rows"].as_i64()),
                (Some("open"), Some(rows)),
                "list {n}: {v}"
            );
        };
        // The floor: list 0 uncut.
        let (run, full) = import(&file(0), None).await.unwrap();
        let Run::Finished(printed) = run else {
            panic!("an uncut run finishes")
        };
        reported(&printed, 0);
        assert_eq!(left(db, 0).await, (1, rows, rows));
        let mut rng = 0x1708_2026u64;
        let (mut none, mut without_calls, mut all, mut finished) = (0, 0, 0, 0);
        let started = Instant::now();
        let mut slowest_again = Duration::ZERO;
        for n in 1..files {
            let f = file(n);
            let after = kill_moment(full, &mut rng);
            let (run, _) = import(&f, Some(after)).await.unwrap();
            db.children_gone().await;
            let (lists, stored, calls) = left(db, n).await;
            assert!(
                (lists, stored) == (0, 0) || (lists, stored) == (1, rows),
                "list {n} killed after {after:?}: {lists} lists with {stored} rows, of one with {rows} or none"
            );
            assert!(
                calls == 0 || calls == rows,
                "list {n}: {calls} calls of its {rows} rows, or none"
            );
            match run {
                Run::Finished(printed) => {
                    finished += 1;
                    reported(&printed, n);
                    assert_eq!(
                        calls, rows,
                        "list {n}: the calls a finished run made are there"
                    );
                }
                Run::Killed if lists == 0 => none += 1,
                Run::Killed if calls == 0 => without_calls += 1,
                Run::Killed => all += 1,
            }
            // Imported again in full: every person on the list called once, whichever list
            // holds the call.
            let (run, took) = import(&f, None).await.unwrap();
            slowest_again = slowest_again.max(took);
            let Run::Finished(printed) = run else {
                panic!("an uncut run finishes")
            };
            reported(&printed, n);
            let (lists_after, stored_after, calls_after) = left(db, n).await;
            assert_eq!(
                (lists_after, stored_after, calls_after),
                (lists + 1, (lists + 1) * rows, rows),
                "list {n} again: one more list, and each person on it called once"
            );
        }
        eprintln!(
            "crash-summary backend={backend} path=\"investigation list\" kills={} \
             left_nothing={none} left_list_without_calls={without_calls} left_all={all} \
             finished_first={finished} uncut_ms={} slowest_again_ms={} seconds={:.1}",
            files - 1,
            full.as_millis(),
            slowest_again.as_millis(),
            started.elapsed().as_secs_f64()
        );
    }
);

// The state a kill between storing a list and making its calls leaves, made by hand (the calls
// deleted): importing the list again makes the first list's calls, once, and none for the new
// list's rows, which repeat its rows.
both_backends!(
    a_list_imported_again_makes_the_calls_a_crash_left_missing,
    async |db: &TestDb| {
        use doorstep_app::access::{Ctx, Principal};
        use doorstep_app::lists::ListDesk;

        let store = db.store.as_ref();
        fixture::community(db, 300).await;
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("序号,姓名,公民身份号码,联系电话,场所名称\n");
        for p in 0..20u32 {
            text += &format!("{},人{p},{},,陇海市场\n", p + 1, person_id(p));
        }
        let f = csv_file(dir.path(), "崩溃名单7.csv", &text);
        let (office, ctx) = (Principal::office(), Ctx::default());
        let desk = ListDesk::new(store, &office, &ctx);
        let name = "崩溃名单7";
        desk.import(COMMUNITY, name, f.clone(), None, true)
            .await
            .unwrap();
        assert_eq!(left(db, 7).await, (1, 20, 20));
        for sql in [
            "DELETE FROM task_events WHERE task_id IN (SELECT id FROM tasks WHERE source = 'list_call')",
            "DELETE FROM tasks WHERE source = 'list_call'",
        ] {
            db.execute_raw(sql).await.unwrap();
        }
        assert_eq!(left(db, 7).await, (1, 20, 0));
        desk.import(COMMUNITY, name, f.clone(), None, true)
            .await
            .unwrap();
        assert_eq!(
            left(db, 7).await,
            (2, 40, 20),
            "the first list's calls made, the repeats not called"
        );
        desk.import(COMMUNITY, name, f, None, true).await.unwrap();
        assert_eq!(left(db, 7).await, (3, 60, 20), "and never twice");
    }
);
