//! A roster import killed half way keeps all of itself or none: `doorstep import persons` is
//! killed with SIGKILL at a random moment of its run, by turns a bulk load (60,000 rows or
//! more, at least a quarter of the registry: one transaction, indexes dropped and rebuilt
//! inside it) and a one-batch import (2,000 rows into the populated registry: one
//! transaction), on SQLite and on PostgreSQL. After each kill the registry holds either none
//! of the file's persons, households and places (its compound and buildings, which either kind
//! creates in the transaction of the batch whose rows live in them) or all of them, the schema
//! is as migrated (a bulk load's dropped indexes are back), and the area totals count what is
//! under them; the next import (and at the end the killed file itself, imported again in full)
//! goes through, and every import that landed has its audit entry (written in its last
//! transaction), none that did not.

use std::process::Stdio;
use std::time::{Duration, Instant};

use doorstep_testkit::{COMMUNITY, TestDb, both_backends, csv_file, demo_community};

use super::fixture::person_id;
use super::persons::area_totals;
use super::{binary, kills, verify, xorshift};

/// A bulk load's rows at least (the import makes one of at least 50,000 rows, as estimated from
/// the file's size at 100 bytes a row, that is at least a quarter of the registry; as the
/// registry grows, the files grow with it).
const BULK: u32 = 60_000;
/// A one-batch import's rows.
const SMALL: u32 = 2_000;

/// Kills of the import per database: a tenth of the server's, at least 4.
pub fn import_kills() -> usize {
    (kills() / 10).max(4)
}

/// A roster of `rows` persons numbered from `first`, each alone in a room of 和平里 tagged with
/// the file's number (so the file's persons are found by name).
fn roster(dir: &std::path::Path, file: usize, first: u32, rows: u32) -> std::path::PathBuf {
    let mut text = String::with_capacity(rows as usize * 60);
    text.push_str("姓名,身份证号,手机号,小区,楼栋,单元,房号,与户主关系,标签\n");
    for i in 0..rows {
        text += &format!(
            "导{file}-{i},{},138{:08},和平里{file},{},,{},户主,独居、崩溃测试\n",
            person_id(first + i),
            i,
            i % 30 + 1,
            100 + i / 30
        );
    }
    csv_file(dir, &format!("r{file}.csv"), &text)
}

/// What an import must leave: all of the file or none of it.
async fn persons_of(db: &TestDb, file: usize) -> i64 {
    db.query_i64(&format!(
        "SELECT COUNT(*) FROM persons WHERE name LIKE '导{file}-%'"
    ))
    .await
}

/// How an import run ended.
enum End {
    /// It finished before the kill.
    Finished,
    /// The kill found it running.
    Killed,
}

/// Runs the import of `file`, killing it after `after` (none: to its end).
fn import_run(url: &str, file: &std::path::Path, after: Option<Duration>) -> (End, Duration) {
    let started = Instant::now();
    let mut child = binary()
        .args(["--db", url, "import", "persons", "--into", COMMUNITY])
        .arg(file)
        .arg("--json")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let Some(after) = after else {
        assert!(child.wait().unwrap().success(), "the import ran to its end");
        return (End::Finished, started.elapsed());
    };
    let deadline = started + after;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "the import ran to its end");
            return (End::Finished, started.elapsed());
        }
        if Instant::now() >= deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            return (End::Killed, started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

both_backends!(
    an_import_killed_half_way_keeps_all_of_itself_or_none,
    async |db: &TestDb| {
        demo_community(db.store.as_ref()).await;
        let dir = tempfile::tempdir().unwrap();
        let schema = db.schema().await;
        let url = db.child_url();
        let backend = if db.pg_schema().is_some() {
            "postgres"
        } else {
            "sqlite"
        };
        // How long each kind takes uncut, from a first file of each run to its end.
        let mut next_first = 100_000u32;
        let mut took = [Duration::ZERO; 2];
        for (kind, rows) in [BULK, SMALL].into_iter().enumerate() {
            let f = roster(dir.path(), kind, next_first, rows);
            next_first += rows;
            let u = url.clone();
            took[kind] = tokio::task::spawn_blocking(move || import_run(&u, &f, None).1)
                .await
                .unwrap();
            assert_eq!(persons_of(db, kind).await, i64::from(rows));
        }
        let mut rng = 0x1706_2026u64;
        let (mut none, mut all, mut finished, mut bulk_kills) = (0, 0, 0, 0);
        let mut last_killed = None;
        let started = Instant::now();
        for n in 0..import_kills() {
            let file = n + 2;
            // What the import weighs the file against: the highest person id.
            let registry = db
                .query_i64("SELECT COALESCE(MAX(id), 0) FROM persons")
                .await;
            // Every other one a bulk load: a file of at least a quarter of the registry (with
            // a fifth to spare, the rows being estimated from the size), its uncut time scaled.
            let bulk = n.is_multiple_of(2);
            let big = BULK.max(u32::try_from(registry * 3 / 10).unwrap());
            let (rows, full) = if bulk {
                (big, took[0] * big / BULK)
            } else {
                (SMALL, took[1])
            };
            bulk_kills += usize::from(bulk);
            let f = roster(dir.path(), file, next_first, rows);
            next_first += rows;
            // A moment between 2% and 98% of an uncut run.
            let ms = u64::try_from(full.as_millis()).unwrap().max(50);
            let after = Duration::from_millis(ms / 50 + xorshift(&mut rng) % (ms * 24 / 25));
            let (u, g) = (url.clone(), f.clone());
            let (end, _) = tokio::task::spawn_blocking(move || import_run(&u, &g, Some(after)))
                .await
                .unwrap();
            db.children_gone().await;
            let got = persons_of(db, file).await;
            let households = db
                .query_i64(&format!(
                    "SELECT COUNT(*) FROM households h JOIN areas a ON a.id = h.area_id \
                     WHERE a.path LIKE '%/和平里{file}/%'"
                ))
                .await;
            let places = db
                .query_i64(&format!(
                    "SELECT COUNT(*) FROM areas WHERE path LIKE '%/和平里{file}' \
                     OR path LIKE '%/和平里{file}/%'"
                ))
                .await;
            match end {
                End::Finished => {
                    finished += 1;
                    assert_eq!(got, i64::from(rows), "a finished import is whole");
                }
                End::Killed if got == 0 => {
                    none += 1;
                    last_killed = Some((file, f, rows));
                }
                End::Killed => {
                    all += 1;
                    assert_eq!(
                        got,
                        i64::from(rows),
                        "import {file} killed after {after:?} kept part of itself"
                    );
                }
            }
            assert!(
                households == 0 || households == i64::from(rows),
                "import {file}: {households} households, of {rows} or none"
            );
            let kind = if bulk {
                "bulk load"
            } else {
                "one-batch import"
            };
            assert_eq!(
                (places == 0),
                (got == 0),
                "{kind} {file}: its compound and buildings ({places}) with its persons, or none"
            );
            if got > 0 {
                assert_eq!(places, 31, "{kind} {file}: one compound and 30 buildings");
            }
            assert_eq!(
                (households == 0),
                (got == 0),
                "persons and households of import {file} together"
            );
            assert_eq!(
                db.schema().await,
                schema,
                "the schema is as migrated after killed import {file}"
            );
            verify(db, area_totals()).await;
        }
        // The last import the kill cut off, imported again, goes through in full.
        let again = usize::from(last_killed.is_some());
        if let Some((file, f, rows)) = last_killed {
            let u = url.clone();
            tokio::task::spawn_blocking(move || import_run(&u, &f, None))
                .await
                .unwrap();
            assert_eq!(persons_of(db, file).await, i64::from(rows));
            verify(db, area_totals()).await;
        }
        assert!(none > 0, "some kills cut an import off half way");
        // Every import that landed is audited, with its counts, in its own last transaction.
        let audited = db
            .query_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'persons.import'")
            .await;
        assert_eq!(
            audited,
            i64::try_from(2 + finished + all + again).unwrap(),
            "one persons.import entry per import that landed, none for one that did not"
        );
        eprintln!(
            "crash-summary backend={backend} path=\"roster import\" kills={} bulk={bulk_kills} \
             left_nothing={none} left_all={all} finished_first={finished} \
             uncut_bulk_ms={} uncut_small_ms={} seconds={:.1}",
            import_kills(),
            took[0].as_millis(),
            took[1].as_millis(),
            started.elapsed().as_secs_f64()
        );
    }
);
