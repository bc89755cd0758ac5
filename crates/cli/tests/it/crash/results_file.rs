//! A lab's results file (`doorstep import results FILE`) killed with SIGKILL at a random moment
//! of its run, on SQLite and on PostgreSQL. The command writes in two parts by design: the
//! file's results with the flags of their positive pools' persons (one transaction), then each
//! flagged person's home re-sampling task (the next). After each kill the file's results are
//! all there or none, the flags are exactly those of the positive results there, the tasks are
//! all there or none (none while the results are not), and a run that finished reported what
//! is there; then the file imported again in full records nothing twice and makes exactly the
//! tasks a kill left missing, once.

use std::time::{Duration, Instant};

use doorstep_testkit::{TestDb, both_backends, csv_file};
use serde_json::Value;

use super::import::import_kills;
use super::results::{FIRST, POOL, Results, sampled_round};
use super::{Run, Server, fixture, kill_moment, run_killed};

/// Tubes in each file (every fourth positive: 10 pools, 200 persons flagged).
const TUBES: usize = 40;

/// Tube k of the round (file k / [`TUBES`]).
fn tube(k: usize) -> String {
    format!("LF{k:06}")
}

/// What a run of file `n` left: results on its tubes, flags of its tubes, tasks of its flags.
async fn left(db: &TestDb, round: i64, n: usize) -> (i64, i64, i64) {
    let (from, to) = (tube(n * TUBES), tube((n + 1) * TUBES - 1));
    let tubes = format!("round_id = {round} AND t.code BETWEEN '{from}' AND '{to}'");
    let results = db
        .query_i64(&format!(
            "SELECT COUNT(*) FROM tubes t WHERE t.{tubes} AND t.result IS NOT NULL"
        ))
        .await;
    // Joins, not `IN (subquery)`: PostgreSQL planned that one at up to 13 s.
    let flagged = format!(
        "FROM sample_flags f JOIN tubes t ON t.id = f.tube_id WHERE f.round_id = {round} \
         AND f.status = 'flagged' AND t.{tubes}"
    );
    let flags = db.query_i64(&format!("SELECT COUNT(*) {flagged}")).await;
    let tasks = db
        .query_i64(&format!(
            "SELECT COUNT(*) FROM sample_flags f JOIN tubes t ON t.id = f.tube_id \
             JOIN tasks k ON k.source = 'positive' \
             AND k.source_key = '{round}:' || CAST(f.person_id AS TEXT) \
             WHERE f.round_id = {round} AND f.status = 'flagged' AND t.{tubes}"
        ))
        .await;
    (results, flags, tasks)
}

both_backends!(
    a_results_file_killed_half_way_keeps_each_of_its_parts_whole,
    async |db: &TestDb| {
        let files = import_kills() + 1;
        let persons = FIRST + POOL * (TUBES * files) as u32;
        fixture::community(db, persons).await;
        let url = db.child_url();
        let backend = if db.pg_schema().is_some() {
            "postgres"
        } else {
            "sqlite"
        };
        let u = url.clone();
        let round = tokio::task::spawn_blocking(move || {
            let server = Server::start(&u);
            let admin = server.login("admin1");
            let sampler = server.login("sampler");
            sampled_round(&server, (&admin, &sampler), "结果文件", TUBES * files, tube)
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = |n: usize| {
            let mut text = String::from("试管码,检测结果,检测时间\n");
            for k in n * TUBES..(n + 1) * TUBES {
                let result = if Results::result(k) == "positive" {
                    "阳性"
                } else {
                    "阴性"
                };
                text += &format!("{},{result},\n", tube(k));
            }
            csv_file(dir.path(), &format!("results{n}.csv"), &text)
        };
        let positives = (0..TUBES).filter(|k| k.is_multiple_of(4)).count() as i64;
        let (all_results, all_flags) = (TUBES as i64, positives * i64::from(POOL));
        let import = |f: &std::path::Path, after: Option<Duration>| {
            let (u, f) = (url.clone(), f.to_path_buf());
            tokio::task::spawn_blocking(move || {
                let f = f.to_str().unwrap();
                run_killed(&u, &["import", "results", f, "--json"], after)
            })
        };
        // The floor: file 0 uncut.
        let (run, full) = import(&file(0), None).await.unwrap();
        let Run::Finished(printed) = run else {
            panic!("an uncut run finishes")
        };
        let v: Value = serde_json::from_str(&printed).unwrap();
        assert_eq!(
            (v["recorded"].as_i64(), v["tasks"].as_i64()),
            (Some(all_results), Some(all_flags)),
            "{v}"
        );
        assert_eq!(
            left(db, round, 0).await,
            (all_results, all_flags, all_flags)
        );
        let mut rng = 0x1707_2026u64;
        let (mut none, mut results_only, mut all, mut finished) = (0, 0, 0, 0);
        let started = Instant::now();
        let mut slowest_again = Duration::ZERO;
        for n in 1..files {
            let f = file(n);
            let after = kill_moment(full, &mut rng);
            let (run, _) = import(&f, Some(after)).await.unwrap();
            db.children_gone().await;
            let (results, flags, tasks) = left(db, round, n).await;
            assert!(
                results == 0 || results == all_results,
                "file {n} killed after {after:?}: {results} results of {all_results} or none"
            );
            let want_flags = if results == 0 { 0 } else { all_flags };
            assert_eq!(flags, want_flags, "file {n}: the flags go with the results");
            assert!(
                tasks == 0 || tasks == flags,
                "file {n}: {tasks} tasks of its {flags} flagged persons, or none"
            );
            match run {
                Run::Finished(printed) => {
                    finished += 1;
                    let v: Value = serde_json::from_str(&printed).unwrap();
                    assert_eq!(
                        (v["recorded"].as_i64(), v["tasks"].as_i64()),
                        (Some(results), Some(tasks)),
                        "file {n}: what the run reported is there: {v}"
                    );
                }
                Run::Killed if results == 0 => none += 1,
                Run::Killed if tasks == 0 => results_only += 1,
                Run::Killed => all += 1,
            }
            // Imported again in full, as the lab would after a run that did not finish.
            let (run, took) = import(&f, None).await.unwrap();
            slowest_again = slowest_again.max(took);
            let Run::Finished(printed) = run else {
                panic!("an uncut run finishes")
            };
            let v: Value = serde_json::from_str(&printed).unwrap();
            assert_eq!(
                (v["recorded"].as_i64(), v["unchanged"].as_i64()),
                (Some(all_results - results), Some(results)),
                "file {n} again: {v}"
            );
            assert_eq!(
                left(db, round, n).await,
                (all_results, all_flags, all_flags),
                "file {n} again: every result, flag and task, once"
            );
        }
        eprintln!(
            "crash-summary backend={backend} path=\"results file\" kills={} left_nothing={none} \
             left_results_without_tasks={results_only} left_all={all} finished_first={finished} \
             uncut_ms={} slowest_again_ms={} seconds={:.1}",
            files - 1,
            full.as_millis(),
            slowest_again.as_millis(),
            started.elapsed().as_secs_f64()
        );
    }
);
