//! The security suite's public-token tests: guessing report links, receipts, check-in and
//! notice tokens from one address is rate-limited (429 with Retry-After) after a few dozen
//! guesses and every guess before that gets the same "not found" (nothing learnt from the
//! answer); each token opens only what it was made for (a check-in token no report form, a
//! personal code no check-in, …); and tokens are opaque (random hex or code characters of a
//! fixed length, no ID number or birth date inside, all different). On both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;

use axum::http::StatusCode;
use doorstep_core::Role;
use doorstep_testkit::{COMMUNITY, TestApp, TestDb, both_backends, id};
use serde_json::{Value, json};

use crate::security_world::{World, role_user, world};

/// The last path segment of the first string in `v` containing `marker` (`"/c/"` …).
fn token_after(v: &Value, marker: &str) -> Option<String> {
    match v {
        Value::String(s) if s.contains(marker) => {
            let rest = &s[s.find(marker).unwrap() + marker.len()..];
            Some(rest.split(['/', '?', '#']).next().unwrap().to_string())
        }
        Value::Array(a) => a.iter().find_map(|x| token_after(x, marker)),
        Value::Object(o) => o.values().find_map(|x| token_after(x, marker)),
        _ => None,
    }
}

/// The world's public tokens: (report link, receipt, check-in, notice, personal code).
struct Tokens {
    report: String,
    receipt: String,
    checkin: String,
    notice: String,
    personal: String,
}

async fn tokens(app: &TestApp, w: &World) -> Tokens {
    let admin = app.login_api(&role_user(Role::Admin)).await;
    let (_, links) = admin.get("/api/v1/report-links").await;
    let report = token_after(&links, "/r/").unwrap_or_else(|| panic!("no link in {links}"));
    let body = json!({
        "idempotency_key": "tok-1",
        "address": {"compound": "佳纷天地", "building": "3", "unit": "2", "room": "302"},
        "members": [{"name": "戊一", "id_number": id(40, true), "phone": "13800138040"}],
        "answers": {"notified_by": "社区", "date": "2022-10-20", "temperature": "36.5"}
    });
    let res = app
        .post(&format!("/api/v1/public/reports/{report}"))
        .peer("10.9.9.9")
        .json(&body)
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    let receipt = res.json()["receipt"]
        .as_str()
        .map(str::to_string)
        .or_else(|| token_after(&res.json(), "/receipt/"))
        .unwrap_or_else(|| panic!("no receipt in {}", res.text));
    let hh = &w.ids["households"];
    let (_, c) = admin
        .get(&format!("/api/v1/households/{hh}/checkins"))
        .await;
    let checkin = token_after(&c, "/c/").unwrap_or_else(|| panic!("no check-in in {c}"));
    let (_, n) = admin.get("/api/v1/notices").await;
    let notice = token_after(&n, "/n/").unwrap_or_else(|| panic!("no notice link in {n}"));
    let pid = &w.ids["persons"];
    let (_, p) = admin.get(&format!("/api/v1/persons/{pid}/code")).await;
    let personal = p["code"].as_str().unwrap().to_string();
    Tokens {
        report,
        receipt,
        checkin,
        notice,
        personal,
    }
}

both_backends!(
    each_public_token_opens_only_its_own_door,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        let w = world(&app, db).await;
        let t = tokens(&app, &w).await;
        let get = |p: String| {
            let app = app.clone();
            async move { app.get(&p).peer("10.1.0.1").await.status }
        };
        // The controls: each opens its own page.
        assert_eq!(get(format!("/r/{}", t.report)).await, StatusCode::OK);
        assert_eq!(get(format!("/c/{}", t.checkin)).await, StatusCode::OK);
        assert_eq!(get(format!("/n/{}", t.notice)).await, StatusCode::OK);
        assert_eq!(
            get(format!("/r/{}/receipt/{}", t.report, t.receipt)).await,
            StatusCode::OK
        );
        // Each in every other's place.
        let mut wrong = Vec::new();
        let all = [
            ("report", &t.report),
            ("receipt", &t.receipt),
            ("check-in", &t.checkin),
            ("notice", &t.notice),
            ("personal code", &t.personal),
        ];
        for (what, tok) in all {
            let mut doors = Vec::new();
            if what != "report" {
                doors.push(format!("/r/{tok}"));
                doors.push(format!("/api/v1/public/reports/{tok}/places"));
            }
            if what != "check-in" {
                doors.push(format!("/c/{tok}"));
                doors.push(format!("/c/{tok}/supplies"));
                doors.push(format!("/api/v1/public/checkins/{tok}"));
                doors.push(format!("/api/v1/public/checkins/{tok}/supplies"));
            }
            if what != "notice" {
                doors.push(format!("/n/{tok}"));
                doors.push(format!("/api/v1/public/notices/{tok}"));
            }
            if what != "receipt" {
                doors.push(format!("/r/{}/receipt/{tok}", t.report));
                doors.push(format!("/r/{}/receipt/{tok}/edit", t.report));
            }
            for door in doors {
                let st = get(door.clone()).await;
                if st != StatusCode::NOT_FOUND {
                    wrong.push(format!("the {what} at {door}: {st}"));
                }
            }
        }
        // A personal code is for sampling: a check-in token scanned as one finds no one.
        let sampler = app.login_api("s-jf").await;
        let rid = &w.ids["rounds"];
        let (st, v, _) = sampler
            .send(
                "POST",
                &format!("/api/v1/rounds/{rid}/scans"),
                Some(
                    json!({"client_id": "tok-s", "tube": "TUBE-T1", "person": {"code": t.checkin}}),
                ),
            )
            .await;
        if st.is_success() {
            wrong.push(format!(
                "a check-in token scanned as a personal code: {st} {v}"
            ));
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
);

both_backends!(
    guessing_public_tokens_is_rate_limited_and_learns_nothing,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        let w = world(&app, db).await;
        let t = tokens(&app, &w).await;
        let guess = |n: usize| format!("{:032x}", 0x5eed_0000_u64 as usize + n * 7919);
        type Door = fn(&Tokens, &str) -> String;
        let doors: [(&str, Door); 8] = [
            ("report form", |_, g| format!("/r/{}", &g[..24])),
            ("report API", |_, g| {
                format!("/api/v1/public/reports/{}/places", &g[..24])
            }),
            ("receipt", |t, g| {
                format!("/r/{}/receipt/{}", t.report, &g[..16])
            }),
            ("receipt edit", |t, g| {
                format!("/r/{}/receipt/{}/edit", t.report, &g[..16])
            }),
            ("check-in", |_, g| format!("/c/{g}")),
            ("check-in API", |_, g| {
                format!("/api/v1/public/checkins/{g}")
            }),
            ("supplies", |_, g| format!("/c/{g}/supplies")),
            ("notice", |_, g| format!("/n/{g}")),
        ];
        for (i, (what, door)) in doors.iter().enumerate() {
            let ip = format!("10.2.0.{}", i + 1);
            let mut bodies = HashSet::new();
            let mut limited_at = None;
            for n in 0..120 {
                let res = app.get(&door(&t, &guess(n))).peer(&ip).await;
                match res.status {
                    StatusCode::NOT_FOUND => {
                        // The same answer for every miss, but for the request id.
                        let rid = res.headers["x-request-id"].to_str().unwrap().to_string();
                        bodies.insert(res.text.replace(&rid, ""));
                    }
                    StatusCode::TOO_MANY_REQUESTS => {
                        assert!(res.retry_after() >= 1, "{what}: Retry-After");
                        limited_at = Some(n);
                        break;
                    }
                    other => panic!("{what}: guess {n} answered {other}: {}", res.text),
                }
            }
            let at = limited_at.unwrap_or_else(|| panic!("{what}: 120 guesses, never limited"));
            assert!(
                (40..=60).contains(&at),
                "{what}: limited after {at} guesses"
            );
            assert_eq!(bodies.len(), 1, "{what}: the misses differ: {bodies:?}");
            // Another address is not limited by this one's guesses; the real door still opens.
            let st = app
                .get(&format!("/r/{}", t.report))
                .peer("10.3.0.1")
                .await
                .status;
            assert_eq!(st, StatusCode::OK, "{what}");
        }
    }
);

both_backends!(public_tokens_are_opaque_and_random, async |db: &TestDb| {
    let app = TestApp::new(db);
    let w = world(&app, db).await;
    let t = tokens(&app, &w).await;
    let admin = app.login_api(&role_user(Role::Admin)).await;
    // Thirty more report links and personal codes.
    let mut links = vec![t.report.clone()];
    for _ in 0..30 {
        let (st, v, _) = admin
            .send(
                "POST",
                "/api/v1/report-links",
                Some(json!({"area": COMMUNITY, "purpose": "home_quarantine"})),
            )
            .await;
        assert!(st.is_success(), "{v}");
        links.push(token_after(&v, "/r/").unwrap());
    }
    let (_, persons) = admin.get("/api/v1/persons?per_page=50").await;
    let mut codes = Vec::new();
    let mut numbers = Vec::new();
    for p in persons["items"].as_array().unwrap() {
        let pid = p["id"].as_i64().unwrap();
        let (_, c) = admin.get(&format!("/api/v1/persons/{pid}/code")).await;
        codes.push(c["code"].as_str().unwrap().to_string());
        let (_, full) = admin
            .get(&format!("/api/v1/persons/{pid}?reveal=true"))
            .await;
        numbers.push(full["id_number"].as_str().unwrap_or_default().to_string());
    }
    let hex = |s: &str| s.chars().all(|c| c.is_ascii_hexdigit());
    // (what, tokens, length, alphabet check)
    let sets: Vec<(&str, Vec<String>, usize, bool)> = vec![
        (
            "report link",
            links.clone(),
            24,
            links.iter().all(|s| hex(s)),
        ),
        ("receipt", vec![t.receipt.clone()], 16, hex(&t.receipt)),
        (
            "check-in token",
            vec![t.checkin.clone()],
            32,
            hex(&t.checkin),
        ),
        ("notice token", vec![t.notice.clone()], 32, hex(&t.notice)),
        (
            "personal code",
            codes.clone(),
            21,
            codes
                .iter()
                .all(|c| c.starts_with('P') && c[1..].chars().all(|x| x.is_ascii_alphanumeric())),
        ),
    ];
    for (what, set, len, alphabet) in &sets {
        assert!(*alphabet, "{what}: {set:?}");
        for s in set {
            assert_eq!(s.len(), *len, "{what} {s}");
            for n in &numbers {
                assert!(
                    !n.is_empty() && !s.contains(&n[6..14]),
                    "{what} {s} holds a birth date"
                );
                assert!(!s.contains(n.as_str()), "{what} {s} holds an ID number");
            }
        }
        let distinct: HashSet<_> = set.iter().collect();
        assert_eq!(distinct.len(), set.len(), "{what}: repeated");
    }
    // The report links' bits are balanced (random, not counted): 31 × 96 bits.
    let ones: u32 = links
        .iter()
        .flat_map(|s| s.chars())
        .map(|c| c.to_digit(16).unwrap().count_ones())
        .sum();
    let bits = links.len() as f64 * 96.0;
    let share = f64::from(ones) / bits;
    assert!(
        (0.45..0.55).contains(&share),
        "{share} of the bits are ones"
    );
});
