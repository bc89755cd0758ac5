//! Migration 0008 rebuilds the persons table (SQLite cannot drop a constraint): a registry
//! upgraded from 0007 keeps every person, their history and their keys, and still refuses a
//! second file for one document. Migration 0009 hashes report bodies: a report stored before
//! it hands itself to no replay of its key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use doorstep_core::idempotency::BodyHash;
use doorstep_store::{Idempotent, NewReport, Reports, Store, no_audit};

use crate::open;

#[tokio::test]
async fn upgrading_to_the_document_index_keeps_every_person() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let pool = store.pool();
    sqlx::migrate!("./migrations")
        .run_to(7, pool)
        .await
        .unwrap();
    for sql in [
        "INSERT INTO areas (id, kind, name, path, created_at) VALUES (1, 'building', 'b', 'b', '2026-01-01T00:00:00Z')",
        "INSERT INTO households (id, area_id, room, address, created_at) VALUES (7, 1, '101', 'b101', '2026-01-01T00:00:00Z')",
        "INSERT INTO persons (id, household_id, name, id_type, id_number, id_rev, phone, phone_rev, tags, created_at, updated_at, version) \
         VALUES (42, 7, '张伟', 'resident_id', '11010519491231002X', 'X2001321949150101', '13812345678', '87654321831', '[\"独居老人\"]', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', 3)",
        "INSERT INTO person_history (person_id, at, actor, source, changes) VALUES (42, '2026-01-02T00:00:00Z', 'a', 'import', '{}')",
    ] {
        sqlx::query(sql).execute(pool).await.unwrap();
    }

    store.migrate().await.unwrap();

    let p = store
        .person(42)
        .await
        .unwrap()
        .expect("the person is still on file");
    assert_eq!(p.fields.name(), "张伟");
    assert_eq!(p.household_id, 7);
    assert_eq!(p.fields.tags().joined(), "独居老人");
    assert_eq!(store.person_history(42).await.unwrap().len(), 1);
    let version: i64 = sqlx::query_scalar("SELECT version FROM persons WHERE id = 42")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(version, 3);
    let broken: Vec<(String, i64, String, i64)> = sqlx::query_as("PRAGMA foreign_key_check")
        .fetch_all(pool)
        .await
        .unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    let on: bool = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(pool)
        .await
        .unwrap();
    assert!(on, "foreign keys are back on after the rebuild");

    // The same document again is refused, under the constraint's usual name.
    let again = sqlx::query(
        "INSERT INTO persons (household_id, name, id_type, id_number, id_rev, tags, created_at, updated_at) \
         VALUES (7, '张伟', 'resident_id', '11010519491231002X', 'X2001321949150101', '[]', 'x', 'x')",
    )
    .execute(pool)
    .await
    .unwrap_err();
    let sqlx::Error::Database(e) = &again else {
        unreachable!("{again}")
    };
    assert!(e.is_unique_violation(), "{e}");
}

#[tokio::test]
async fn a_report_stored_before_body_hashes_answers_no_replay() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let pool = store.pool();
    sqlx::migrate!("./migrations")
        .run_to(8, pool)
        .await
        .unwrap();
    for sql in [
        "INSERT INTO areas (id, kind, name, path, created_at) VALUES (1, 'building', 'b', 'b', '2026-01-01T00:00:00Z')",
        "INSERT INTO report_links (id, token, area_id, purpose, created_by, created_at) VALUES (3, 'tok', 1, 'census', 't', '2026-01-01T00:00:00Z')",
        "INSERT INTO reports (id, link_id, idem_key, receipt, purpose, area_id, area_path, room, address, members, answers, submitted_at, updated_at, edit_until) \
         VALUES (5, 3, 'old-key', 'ABCDEF0123456789', 'census', 1, 'b', '101', 'b101', '[]', '{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2099-01-01T00:00:00Z')",
    ] {
        sqlx::query(sql).execute(pool).await.unwrap();
    }

    store.migrate().await.unwrap();

    let replay = |key: &str| NewReport {
        link_id: 3,
        idempotency_key: key.into(),
        body_hash: BodyHash::of(&serde_json::json!({"members": []})),
        receipt: "0000000000000001".into(),
        purpose: doorstep_store::Purpose::Census,
        area_id: 1,
        room: "101".into(),
        address: "b101".into(),
        members: serde_json::json!([]),
        answers: serde_json::json!({}),
        edit_secs: 3600,
        filed_by: None,
        at: time::OffsetDateTime::now_utc(),
    };
    assert_eq!(
        store
            .submit_report(&replay("old-key"), no_audit())
            .await
            .unwrap(),
        Idempotent::KeyReused
    );
    // A new key stores a new report, whose replay with the same body finds it.
    let Idempotent::Created(new) = store
        .submit_report(&replay("new-key"), no_audit())
        .await
        .unwrap()
    else {
        unreachable!("a new key creates a report")
    };
    let mut again = replay("new-key");
    again.receipt = "0000000000000002".into();
    assert_eq!(
        store.submit_report(&again, no_audit()).await.unwrap(),
        Idempotent::Replayed(new)
    );
}
