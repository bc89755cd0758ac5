//! The scheduled retention run (`doorstep serve` runs it once a day), on SQLite and on
//! PostgreSQL, with the app's fixed clock rather than by waiting: nothing before the time of
//! day; at it, one run over every area, audited with its counts; two servers reaching it at
//! once run it once; later that day nothing; the next day it runs again (finding nothing
//! left). And the server's background task runs it by itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use axum::http::StatusCode;
use doorstep_app::access::Ctx;
use doorstep_app::clock::FixedClock;
use doorstep_app::emergency::retention::{SCHEDULED_AT, run_scheduled};
use doorstep_core::emergency::RetentionKind;
use doorstep_store::{AuditQuery, Store};
use doorstep_testkit::{COMMUNITY, TestApp, TestDb, both_backends};
use serde_json::json;
use time::macros::datetime;

use crate::emergency::a_report;
use crate::rounds::setup;

/// The `retention.run` audit entries' self-report counts, oldest first.
async fn runs(store: &dyn Store) -> Vec<i64> {
    let mut found = store
        .audit_entries(&AuditQuery {
            action: Some("retention.run".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .items;
    found.sort_by_key(|e| e.id);
    found
        .iter()
        .map(|e| {
            e.details["totals"]["self_reports"]
                .as_i64()
                .unwrap_or_else(|| panic!("counts in {}", e.details))
        })
        .collect()
}

both_backends!(
    retention_runs_once_a_day_at_its_time,
    async |db: &TestDb| {
        // 08:00 on 1 March 2030 in China; reports are stamped with the wall clock, so the
        // emergency runs from 1 January 2026.
        let clock = FixedClock::at(datetime!(2030-03-01 00:00 UTC));
        let app = TestApp::builder().clock(clock.clone()).build(db);
        setup(&app).await;
        let store = app.store();
        let admin = app.login_api("admin1").await;
        let (st, e, _) = admin
            .send(
                "POST",
                "/api/v1/emergencies",
                Some(json!({"area": COMMUNITY, "reason": "A", "started_on": "2026-01-01"})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{e}");
        a_report(&app, &format!("{COMMUNITY}/佳纷天地"), "k-a", 30).await;
        a_report(&app, &format!("{COMMUNITY}/佳纷天地"), "k-b", 31).await;
        let (st, v, _) = admin
            .send(
                "POST",
                &format!("/api/v1/emergencies/{}/end", e["id"]),
                Some(json!({"retention_days": "2"})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let ctx = Ctx {
            clock: clock.clone(),
            ..Ctx::default()
        };

        // 4 March, 03:29 in China (the data is due from that day): not yet.
        clock.set(datetime!(2030-03-03 19:29 UTC));
        assert!(
            run_scheduled(store, &ctx, SCHEDULED_AT)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(runs(store).await, Vec::<i64>::new());
        // 03:30: two servers reach it at once; one runs it.
        clock.set(datetime!(2030-03-03 19:30 UTC));
        let (a, b) = tokio::join!(
            run_scheduled(store, &ctx, SCHEDULED_AT),
            run_scheduled(store, &ctx, SCHEDULED_AT)
        );
        let done: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
        assert_eq!(done.len(), 1, "one server runs it");
        let treated = done[0]
            .totals()
            .into_iter()
            .find(|(k, _)| *k == RetentionKind::SelfReports)
            .unwrap()
            .1;
        assert_eq!(treated, 2);
        assert_eq!(runs(store).await, [2]);
        // Later that day: nothing.
        clock.set(datetime!(2030-03-04 12:00 UTC));
        assert!(
            run_scheduled(store, &ctx, SCHEDULED_AT)
                .await
                .unwrap()
                .is_none()
        );
        // The next day at 03:31 it runs again and finds nothing left.
        clock.set(datetime!(2030-03-04 19:31 UTC));
        let next = run_scheduled(store, &ctx, SCHEDULED_AT).await.unwrap();
        assert!(next.is_some());
        assert_eq!(runs(store).await, [2, 0]);

        // The server's background task runs the day's run by itself (its first round is at
        // once); switched off (`--no-retention`: no time), it does not.
        clock.set(datetime!(2030-03-06 01:00 UTC));
        let shared: Arc<dyn Store> = db.store.clone();
        let off = doorstep_app::rounds::run_background(shared.clone(), None, clock.clone(), None);
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        off.abort();
        assert_eq!(runs(store).await.len(), 2, "switched off");
        let on =
            doorstep_app::rounds::run_background(shared, None, clock.clone(), Some(SCHEDULED_AT));
        let mut waited = 0;
        while runs(store).await.len() < 3 && waited < 100 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            waited += 1;
        }
        on.abort();
        assert_eq!(runs(store).await, [2, 0, 0]);
    }
);
