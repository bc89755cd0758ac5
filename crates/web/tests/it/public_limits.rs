//! The public limits as residents and attackers meet them, on SQLite and on PostgreSQL: each
//! resident behind a trusted proxy has their own budget (whichever header the proxy writes),
//! a forged forwarding header from anyone else changes nothing, an address past its budget is
//! answered 429 with Retry-After, a scan of made-up tokens runs out fast, one link is capped
//! whatever the addresses, and writes past the in-flight cap are answered 503 with Retry-After.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::{report, setup};
use axum::http::StatusCode;
use doorstep_app::reports::Purpose;
use doorstep_testkit::{COMMUNITY, TestApp, TestDb, both_backends, id, report_count, report_link};
use doorstep_web::{PublicLimits, Rate};
use serde_json::json;

/// A bucket of `burst` that refills about never within a test.
fn spent_after(burst: f64) -> Rate {
    Rate {
        burst,
        per_sec: 0.001,
    }
}

/// What a proxy writes in its header for a client.
type Says = fn(&str) -> String;

/// One request per address: the second from the same address is refused.
fn one_each() -> PublicLimits {
    PublicLimits {
        per_ip: spent_after(1.0),
        ..PublicLimits::default()
    }
}

both_backends!(
    each_resident_behind_a_trusted_proxy_has_their_own_budget,
    async |db: &TestDb| {
        let token = setup(db.store.as_ref()).await;
        let uri = format!("/r/{token}");
        // What the proxy writes for a client, in each header it may be configured to use.
        let cases: [(&str, Says); 3] = [
            ("x-forwarded-for", |c| format!("203.0.113.250, {c}")),
            ("forwarded", |c| {
                format!("for=203.0.113.250, for=\"{c}:51000\";proto=https")
            }),
            ("x-real-ip", |c| c.to_string()),
        ];
        for (header, says) in cases {
            let app = TestApp::builder()
                .limits(one_each())
                .trusted_proxies("10.0.0.0/8")
                .client_ip_header(header)
                .build(db);
            let get = async |peer: &str, client: &str| {
                let r = app.get(&uri).peer(peer).header(header, &says(client)).await;
                (r.status, r)
            };
            // Through the proxy: one budget per resident, the address the proxy saw …
            assert_eq!(
                get("10.0.0.1", "198.51.100.1").await.0,
                StatusCode::OK,
                "{header}"
            );
            assert_eq!(
                get("10.0.0.2", "198.51.100.2").await.0,
                StatusCode::OK,
                "{header}"
            );
            // … spent alone, and answered 429 with when to come back.
            let (status, r) = get("10.0.0.1", "198.51.100.1").await;
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{header}");
            assert!(r.retry_after() >= 1);
            // The other headers, which this proxy passes on as clients wrote them, are not read.
            let mut forged = app
                .get(&uri)
                .peer("10.0.0.1")
                .header(header, &says("198.51.100.1"));
            for (other, value) in [
                ("x-forwarded-for", "198.51.100.3"),
                ("x-real-ip", "198.51.100.3"),
                ("forwarded", "for=198.51.100.3"),
            ] {
                if other != header {
                    forged = forged.header(other, value);
                }
            }
            let r = forged.await;
            assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{header}");
            // A peer that is not a trusted proxy is the client, whatever it claims to forward.
            let (status, _) = get("203.0.113.9", "198.51.100.4").await;
            assert_eq!(status, StatusCode::OK, "{header}");
            let (status, _) = get("203.0.113.9", "198.51.100.5").await;
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "spoofed {header}");
        }
    }
);

both_backends!(
    an_address_past_its_budget_is_answered_429_with_retry_after,
    async |db: &TestDb| {
        let token = setup(db.store.as_ref()).await;
        let app = TestApp::builder()
            .limits(PublicLimits {
                per_ip: Rate {
                    burst: 2.0,
                    per_sec: 0.1,
                },
                ..PublicLimits::default()
            })
            .build(db);
        let uri = format!("/api/v1/public/reports/{token}");
        let send = async |peer: &str, n: u16| {
            let members = json!([{"name": "张伟", "id_number": id(n, true)}]);
            app.post(&uri)
                .peer(peer)
                .json(&report(&format!("k-{n}"), &format!("12{n:02}"), members))
                .await
        };
        for n in 1..=2 {
            let r = send("198.51.100.1", n).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        }
        let r = send("198.51.100.1", 3).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.json()["error"], "rate_limited");
        // One token back at 0.1/s: ten seconds.
        assert_eq!(r.retry_after(), 10);
        let r = send("198.51.100.2", 3).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
);

both_backends!(
    a_scan_of_made_up_tokens_runs_out_fast_and_spares_everyone_else,
    async |db: &TestDb| {
        let token = setup(db.store.as_ref()).await;
        let app = TestApp::builder()
            .limits(PublicLimits {
                per_ip: spent_after(100.0),
                ..PublicLimits::default()
            })
            .build(db);
        // Each made-up token is a new link to the per-link limit; the address pays for them.
        let mut misses = 0;
        for n in 0..100 {
            let guess = format!("{n:024x}");
            let r = app.get(&format!("/r/{guess}")).peer("203.0.113.66").await;
            match r.status {
                StatusCode::NOT_FOUND => misses += 1,
                StatusCode::TOO_MANY_REQUESTS => break,
                other => panic!("{other}: {}", r.text),
            }
        }
        // 100 requests' worth, each miss costing 1 + MISS_COST of them.
        let most = (100.0 / (1.0 + doorstep_web::MISS_COST)).ceil() as usize;
        assert!(misses >= 1 && misses <= most, "{misses} guesses");
        let r = app.get(&format!("/r/{token}")).peer("203.0.113.66").await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "the scanner waits");
        let r = app.get(&format!("/r/{token}")).peer("198.51.100.1").await;
        assert_eq!(r.status, StatusCode::OK, "a resident elsewhere does not");
        // A resident who gets the link right pays one request each time.
        for _ in 0..50 {
            let r = app.get(&format!("/r/{token}")).peer("198.51.100.2").await;
            assert_eq!(r.status, StatusCode::OK);
        }
    }
);

both_backends!(
    one_link_is_capped_whatever_the_addresses,
    async |db: &TestDb| {
        let token = setup(db.store.as_ref()).await;
        let other = report_link(
            db.store.as_ref(),
            &format!("{COMMUNITY}/佳纷天地"),
            Purpose::Census,
        )
        .await;
        let app = TestApp::builder()
            .limits(PublicLimits {
                per_token: spent_after(5.0),
                ..PublicLimits::default()
            })
            .build(db);
        for n in 1..=5 {
            let r = app
                .get(&format!("/r/{token}"))
                .peer(&format!("198.51.100.{n}"))
                .await;
            assert_eq!(r.status, StatusCode::OK);
        }
        let r = app.get(&format!("/r/{token}")).peer("198.51.100.6").await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(r.retry_after() >= 1);
        // The flood at one link leaves the others open.
        let r = app.get(&format!("/r/{other}")).peer("198.51.100.6").await;
        assert_eq!(r.status, StatusCode::OK);
    }
);

both_backends!(
    writes_past_the_in_flight_cap_are_answered_503_with_retry_after,
    async |db: &TestDb| {
        let token = setup(db.store.as_ref()).await;
        let app = TestApp::builder()
            .limits(PublicLimits {
                max_in_flight: 1,
                ..PublicLimits::unlimited()
            })
            .build(db);
        let uri = format!("/api/v1/public/reports/{token}");
        let (mut created, mut busy) = (0, 0);
        // Rounds of 24 at once until some found the one slot taken (the first round, as a
        // rule: each write waits for the database while the others arrive).
        for round in 0..10u16 {
            let sends: Vec<_> = (0..24u16)
                .map(|i| {
                    let app = app.clone();
                    let uri = uri.clone();
                    let n = round * 24 + i + 1;
                    tokio::spawn(async move {
                        let members = json!([{"name": "张伟", "id_number": id(n, true)}]);
                        app.post(&uri)
                            .peer(&format!("198.51.100.{}", i + 1))
                            .json(&report(&format!("k-{n}"), &format!("{n}"), members))
                            .await
                    })
                })
                .collect();
            for s in sends {
                let r = s.await.unwrap();
                match r.status {
                    StatusCode::CREATED => created += 1,
                    StatusCode::SERVICE_UNAVAILABLE => {
                        assert_eq!(r.json()["error"], "overloaded");
                        assert_eq!(r.retry_after(), 1);
                        busy += 1;
                    }
                    other => panic!("{other}: {}", r.text),
                }
            }
            if busy > 0 {
                break;
            }
        }
        assert!(busy > 0, "nothing was turned away");
        assert!(created > 0, "nothing was written");
        // What was acknowledged is stored, and nothing that was turned away.
        let stored = report_count(db.store.as_ref()).await;
        assert_eq!(stored, created);
    }
);
