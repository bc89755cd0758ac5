//! The fast import against a slow, plainly correct one, on a roster as users give it: the same
//! messy file (shuffled, persons listed twice with changes, every kind of bad row, CRLF) is
//! imported as one bulk load, in batches, and one row at a time, each into a fresh registry,
//! and everything the registry then holds must be the same. On SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

use doorstep_app::import::ImportReport;
use doorstep_bench::roster::{Shape, write_roster};
use doorstep_core::AreaPath;
use doorstep_store::{PageRequest, Store};
use doorstep_testkit::{Backend, COMMUNITY, TestDb, demo_community, import_batched};

/// One history entry: who, through what, which fields.
type Change = (String, String, String);

/// Everything an import leaves behind, with database ids replaced by what they stand for.
#[derive(Debug, PartialEq)]
struct Snapshot {
    counts: (u64, u64, u64, u64, u64, u64),
    errors: Vec<(u64, String, String)>,
    /// By document: the file as read back, its address, and its history.
    persons: BTreeMap<String, (String, String, Vec<Change>)>,
    /// Path, households, persons of every area.
    tree: Vec<(String, i64, i64)>,
    tags: Vec<(String, i64)>,
    /// Area path, room, address, members of every household.
    households: Vec<(String, String, String, i64)>,
}

async fn import(
    store: &dyn Store,
    file: &Path,
    bulk: bool,
    batch_rows: Option<usize>,
) -> ImportReport {
    demo_community(store).await;
    import_batched(store, file, COMMUNITY, Some(bulk), batch_rows).await
}

async fn snapshot(store: &dyn Store, r: &ImportReport) -> Snapshot {
    let community = AreaPath::parse(COMMUNITY).unwrap();
    let mut persons = BTreeMap::new();
    for p in store.persons_after(&community, 0, 1_000_000).await.unwrap() {
        let f = &p.person.fields;
        let history = store
            .person_history(p.person.id)
            .await
            .unwrap()
            .into_iter()
            .map(|h| (h.actor, h.source, h.changes.to_string()))
            .collect();
        persons.insert(
            format!("{}:{}", f.doc().doc_type().code(), f.doc().number()),
            (format!("{f:?}"), p.person.address.clone(), history),
        );
    }
    let tree = store
        .area_tree(&community)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.area.path.to_string(), a.households, a.persons))
        .collect();
    let households = store
        .households(
            &community,
            None,
            PageRequest {
                offset: 0,
                limit: 1_000_000,
            },
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|h| (h.area_path.to_string(), h.room, h.address, h.members))
        .collect();
    Snapshot {
        counts: (
            r.rows,
            r.created,
            r.updated,
            r.unchanged,
            r.rejected,
            r.households_created,
        ),
        errors: r
            .errors
            .iter()
            .map(|e| (e.row, e.column.clone(), e.code.clone()))
            .collect(),
        persons,
        tree,
        tags: store.tag_counts(&community).await.unwrap(),
        households,
    }
}

/// 4,000 rows: two compounds, 80 persons listed twice, 320 bad rows.
async fn compare(backend: Backend) {
    let rows = 4_000;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("messy.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    let expected = write_roster(&mut w, rows, Shape::Messy, 42).unwrap();
    drop(w);

    let mut snapshots = Vec::new();
    for (bulk, batch_rows) in [
        (false, Some(1)),
        (true, None),
        (false, None),
        (false, Some(700)),
    ] {
        let Some(db) = TestDb::new(backend).await else {
            return;
        };
        let fresh = db.schema().await;
        let r = import(db.store.as_ref(), &file, bulk, batch_rows).await;
        snapshots.push(((bulk, batch_rows), snapshot(db.store.as_ref(), &r).await));
        // A bulk load into an empty registry drops the document rule and indexes and builds
        // them again: the schema after it is the one migrated.
        assert_eq!(db.schema().await, fresh, "{bulk} {batch_rows:?}");
        db.cleanup().await;
    }
    let (_, plain) = &snapshots[0];
    assert_eq!(
        plain.counts,
        (
            expected.rows,
            expected.created,
            expected.updated,
            0,
            expected.rejected,
            expected.households
        ),
        "the plain import does what the file was made to need"
    );
    assert_eq!(
        plain.errors.iter().map(|e| e.0).collect::<Vec<_>>(),
        expected.bad_rows.iter().map(|r| r + 1).collect::<Vec<_>>(),
        "every bad row is reported at its spreadsheet row (data row + 1)"
    );
    assert!(
        plain.persons.values().any(|p| !p.2.is_empty()),
        "repeats left history"
    );
    for (how, s) in &snapshots[1..] {
        assert_eq!(s.counts, plain.counts, "{how:?}");
        assert_eq!(s.errors, plain.errors, "{how:?}");
        assert_eq!(s.tree, plain.tree, "{how:?}");
        assert_eq!(s.tags, plain.tags, "{how:?}");
        assert_eq!(s.households, plain.households, "{how:?}");
        for (doc, p) in &plain.persons {
            assert_eq!(s.persons.get(doc), Some(p), "{how:?} {doc}");
        }
        assert_eq!(s.persons.len(), plain.persons.len(), "{how:?}");
    }
}

#[tokio::test]
async fn fast_imports_match_the_plain_one_on_sqlite() {
    compare(Backend::Sqlite).await;
}

#[tokio::test]
async fn fast_imports_match_the_plain_one_on_postgres() {
    compare(Backend::Postgres).await;
}
