//! The cap on staff writes (admission control, issue 17), on SQLite and on PostgreSQL: a write
//! beyond the cap is answered 503 `busy` with Retry-After, in the caller's language, while
//! reads, `/healthz` and logins still answer; a write waits its turn for a bounded time and no
//! longer; and once the writes in flight end, writes are admitted again by themselves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use doorstep_core::Role;
use doorstep_testkit::{ApiClient, COMMUNITY, TestApp, TestDb, both_backends, two_compounds};
use doorstep_web::WriteLimits;
use http_body_util::channel::{Channel, Sender};
use serde_json::json;
use tower::ServiceExt;

/// A staff member's body for `POST /api/v1/staff`.
fn staff(n: u32) -> serde_json::Value {
    json!({"name": format!("志愿者{n}"), "phone": format!("1380013{n:04}"), "kind": "志愿者"})
}

/// A write in flight whose body has not finished arriving: it holds its turn until
/// [`Held::finish`].
struct Held {
    tx: Sender<Bytes, Infallible>,
    tail: Bytes,
    answer: tokio::task::JoinHandle<StatusCode>,
}

impl Held {
    /// Starts `POST /api/v1/staff` as `admin`, sending the first bytes of its body only, and
    /// gives the server time to take the request in.
    async fn start(app: &TestApp, admin: &ApiClient, n: u32) -> Held {
        let (mut tx, body) = Channel::<Bytes, Infallible>::new(4);
        let req = Request::post("/api/v1/staff")
            .header(header::CONTENT_TYPE, "application/json")
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", admin.token.as_deref().unwrap()),
            )
            .body(Body::new(body))
            .unwrap();
        let text = staff(n).to_string();
        let (head, tail) = text.split_at(5);
        tx.send_data(Bytes::copy_from_slice(head.as_bytes()))
            .await
            .unwrap();
        let router = app.router();
        let answer = tokio::spawn(async move { router.oneshot(req).await.unwrap().status() });
        // Admission is the request's first step: one poll takes the turn.
        tokio::time::sleep(Duration::from_millis(50)).await;
        Held {
            tx,
            tail: Bytes::copy_from_slice(tail.as_bytes()),
            answer,
        }
    }

    /// Sends the rest of the body; answers the write's status.
    async fn finish(mut self) -> StatusCode {
        self.tx.send_data(self.tail).await.unwrap();
        drop(self.tx);
        self.answer.await.unwrap()
    }
}

async fn setup(app: &TestApp) -> ApiClient {
    two_compounds(app.store()).await;
    app.user("admin1", Role::CommunityAdmin, COMMUNITY).await;
    app.login_api("admin1").await
}

both_backends!(
    a_write_beyond_the_cap_is_shed_while_reads_answer,
    async |db: &TestDb| {
        let app = TestApp::builder()
            .writes(WriteLimits {
                max_in_flight: 1,
                max_queued: 0,
                max_wait: Duration::ZERO,
            })
            .build(db);
        let admin = setup(&app).await;
        let held = Held::start(&app, &admin, 1).await;

        // The cap is taken: another write is answered 503 `busy` with Retry-After, at once.
        for (lang, said) in [("zh-CN", "系统繁忙"), ("en", "the system is busy")] {
            let t = Instant::now();
            let r = admin
                .request("POST", "/api/v1/staff")
                .lang(lang)
                .json(&staff(2))
                .await;
            assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
            assert_eq!(r.json()["error"], "busy", "{}", r.text);
            assert!(
                r.json()["message"].as_str().unwrap().contains(said),
                "{}",
                r.text
            );
            assert_eq!(r.retry_after(), 1);
            assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
        }
        // Reads, the health check and logins still answer.
        let (st, v) = admin.get("/api/v1/staff").await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
        let again = app.login_api("admin1").await;
        assert!(again.token.is_some());

        // The write in flight completes, and writes are admitted again by themselves.
        assert_eq!(held.finish().await, StatusCode::CREATED);
        let (st, v, _) = admin.send("POST", "/api/v1/staff", Some(staff(3))).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let (_, list) = admin.get("/api/v1/staff").await;
        assert_eq!(list["total"], 2, "the refused write left nothing: {list}");
    }
);

both_backends!(
    a_write_waits_its_turn_for_a_bounded_time,
    async |db: &TestDb| {
        let app = TestApp::builder()
            .writes(WriteLimits {
                max_in_flight: 1,
                max_queued: 1,
                max_wait: Duration::from_millis(300),
            })
            .build(db);
        let admin = setup(&app).await;
        let held = Held::start(&app, &admin, 1).await;

        // A waiting write is refused when its wait runs out, not before and not never.
        let t = Instant::now();
        let (st, v, headers) = admin.send("POST", "/api/v1/staff", Some(staff(2))).await;
        assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{v}");
        assert!(headers.contains_key(header::RETRY_AFTER));
        assert!(
            t.elapsed() >= Duration::from_millis(300),
            "{:?}",
            t.elapsed()
        );
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());

        // With the queue's one place taken by a waiting write, one more is refused at once.
        let waiting = {
            let admin = admin.clone();
            tokio::spawn(async move { admin.send("POST", "/api/v1/staff", Some(staff(3))).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let t = Instant::now();
        let (st, v, _) = admin.send("POST", "/api/v1/staff", Some(staff(4))).await;
        assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{v}");
        assert!(
            t.elapsed() < Duration::from_millis(250),
            "{:?}",
            t.elapsed()
        );
        let (st, v, _) = waiting.await.unwrap();
        assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{v}");

        // A write that waits gets its turn when the one in flight ends.
        let waiting = {
            let admin = admin.clone();
            tokio::spawn(async move { admin.send("POST", "/api/v1/staff", Some(staff(5))).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(held.finish().await, StatusCode::CREATED);
        let (st, v, _) = waiting.await.unwrap();
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
);
