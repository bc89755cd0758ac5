//! `doorstep backup` and `doorstep restore`, on SQLite and on PostgreSQL: a backup taken while
//! writes go on holds every write acknowledged before it started and nothing half-written;
//! restoring it brings the database back to that moment, migrated; a file that is not a
//! Doorstep backup is refused and leaves the database as it was.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use doorstep_store::{AuditQuery, NewAudit, Store};
use doorstep_testkit::{TestDb, both_backends, id};
use serde_json::{Value, json};

use crate::{doorstep, import_roster, ok};

async fn load_entries(store: &dyn Store) -> u64 {
    store
        .audit_entries(&AuditQuery {
            action: Some("test.load".into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .total as u64
}

both_backends!(
    a_backup_under_writes_restores_to_its_moment,
    async |db: &TestDb| {
        let url = db.url.clone();
        doorstep_testkit::demo_community(db.store.as_ref()).await;
        let dir = import_roster(
            &url,
            &format!(
                "姓名,身份证号,小区,楼栋,单元,房号\n甲,{},佳纷天地,1,1,101\n乙,{},佳纷天地,1,1,102\n",
                id(81, true),
                id(82, false)
            ),
        );
        // Writes go on, each counted once it is acknowledged.
        let (acked, stop) = (
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let writer = {
            let (store, acked, stop) = (db.store.clone(), acked.clone(), stop.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let entry = NewAudit {
                        username: "load".into(),
                        action: "test.load".into(),
                        details: json!({"n": n}),
                        ..NewAudit::default()
                    };
                    store.audit(&entry).await.unwrap();
                    acked.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        while acked.load(Ordering::SeqCst) < 50 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let before = acked.load(Ordering::SeqCst);
        let file = dir.path().join("backup.bin");
        let out = {
            let (url, file) = (url.clone(), file.clone());
            tokio::task::spawn_blocking(move || {
                doorstep(&["--db", &url, "backup", file.to_str().unwrap(), "--json"])
            })
            .await
            .unwrap()
        };
        let after = acked.load(Ordering::SeqCst);
        stop.store(true, Ordering::Relaxed);
        writer.await.unwrap();
        let v: Value = serde_json::from_str(&ok(&out)).unwrap();
        assert!(v["bytes"].as_u64().unwrap() > 0, "{v}");
        assert!(after > before, "writes went on during the backup");
        // A second backup to the same file is refused: nothing is overwritten.
        let again = doorstep(&["--db", &url, "backup", file.to_str().unwrap()]);
        assert!(!again.status.success());

        // Restore: SQLite into a new file; PostgreSQL over the same schema, after more writes.
        let target = if url.starts_with("sqlite:") {
            format!("sqlite://{}", dir.path().join("restored.db").display())
        } else {
            for n in 0..5 {
                let entry = NewAudit {
                    username: "load".into(),
                    action: "test.load".into(),
                    details: json!({"late": n}),
                    ..NewAudit::default()
                };
                db.store.audit(&entry).await.unwrap();
            }
            url.clone()
        };
        // Not a backup: refused, the target untouched.
        let junk = dir.path().join("junk.bin");
        std::fs::write(&junk, b"not a database at all").unwrap();
        let bad = doorstep(&["--db", &target, "restore", junk.to_str().unwrap()]);
        assert!(!bad.status.success(), "{bad:?}");
        let out = doorstep(&["--db", &target, "restore", file.to_str().unwrap(), "--json"]);
        let v: Value = serde_json::from_str(&ok(&out)).unwrap();
        assert_eq!(v["migrated"], true, "{v}");
        let restored = doorstep_app::open_store(&target).await.unwrap();
        let n = load_entries(restored.as_ref()).await;
        // One writer, one write at a time: the one in flight when the backup ended may be
        // committed and not yet acknowledged.
        assert!(
            (before..=after + 1).contains(&n),
            "every write acknowledged before the backup, none begun after it ended: {before} <= {n} <= {after} + 1"
        );
        let found = restored
            .person_by_document(doorstep_core::DocType::ResidentId, &id(81, true))
            .await
            .unwrap();
        assert!(found.is_some(), "the registry came back");
    }
);
