//! The security suite's injection test: SQL and HTML payloads put into every text field that
//! is shown back (a person's name and tags, a household's notes, a task's note, a notice's title
//! and text, a seal's reason, a gate's name and a visitor's name and reason, a round's and a
//! sampling point's name, an episode's reason, a template's headers, a staff member's name, a
//! supply request's detail, a resident's self-report) come back as the same plain string in
//! JSON, and escaped in every page that shows them (the payload's `<script>` and `<img …>`
//! never appear as markup); the database is intact after (the registry still answers with every
//! person). A field that refuses the payload is a refusal, not a failure. On both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_core::Role;
use doorstep_testkit::{COMMUNITY, TestApp, TestDb, both_backends, id};
use serde_json::{Value, json};

use crate::security_world::{role_user, world};

/// The SQL payload, an attribute breakout and a script, in one string of 50 characters (a
/// name's limit).
const PAYLOAD: &str = r#"';DROP TABLE persons;--"><script>alert(1)</script>"#;

/// The breakout and the script, for fields of 40 characters.
const SHORT: &str = r#""><script>alert(1)</script>"#;

/// An image with a handler: markup without a script tag.
const IMG: &str = r#""><img src=x onerror=alert(2)>"#;

/// What must never be in a page: the payloads' markup, unescaped.
const RAW: [&str; 2] = ["<script>alert(1)", "<img src=x onerror"];

/// What shows a payload was there, escaped (askama writes `&#60;`, others `&lt;`).
const ESCAPED: [&str; 4] = [
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "&#60;img src=x onerror=alert(2)&#62;",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&lt;img src=x onerror=alert(2)&gt;",
];

/// A write of payloads: what it is, method, path, body, the payloads it holds, and the page
/// prefix of the object it makes (`""`: shown in lists only).
type Write = (
    &'static str,
    &'static str,
    String,
    Value,
    Vec<&'static str>,
    &'static str,
);

/// Whether `v` holds `s` as a whole string value anywhere.
fn holds(v: &Value, s: &str) -> bool {
    match v {
        Value::String(x) => x == s,
        Value::Array(a) => a.iter().any(|x| holds(x, s)),
        Value::Object(o) => o.values().any(|x| holds(x, s)),
        _ => false,
    }
}

both_backends!(
    payloads_in_every_shown_text_field_come_back_as_text,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        let w = world(&app, db).await;
        let admin = app.login_api(&role_user(Role::Admin)).await;
        let mut b = app.browser();
        b.login(&role_user(Role::Admin)).await;
        let (_, persons_before) = admin.get("/api/v1/persons").await;
        let hh = w.ids["households"].clone();
        let rid = w.ids["rounds"].clone();
        let gate = w.ids["checkpoints"].clone();
        let jf = format!("{COMMUNITY}/佳纷天地");

        // (what, how it is written, where JSON reads it back, pages that show it)
        let mut stored = Vec::new();
        let mut refused = Vec::new();
        let writes: Vec<Write> = vec![
            (
                "a person's name",
                "POST",
                format!("/api/v1/households/{hh}/persons"),
                json!({"name": PAYLOAD, "id_number": id(30, true)}),
                vec![PAYLOAD],
                "/persons",
            ),
            (
                "a task's note",
                "POST",
                "/api/v1/tasks".into(),
                json!({"kind": "door_knock", "target": {"type": "household", "id": hh.parse::<i64>().unwrap()}, "note": PAYLOAD}),
                vec![PAYLOAD],
                "/tasks",
            ),
            (
                "a notice's title and text",
                "POST",
                "/api/v1/notices".into(),
                json!({"area": jf, "title": PAYLOAD, "body": IMG, "english": SHORT,
                    "valid_from": "2027-03-01", "valid_to": "2027-03-03"}),
                vec![PAYLOAD, IMG, SHORT],
                "/notices",
            ),
            (
                "a seal's reason",
                "POST",
                "/api/v1/seals".into(),
                json!({"area": format!("{jf}/3号楼"), "reason": PAYLOAD}),
                vec![PAYLOAD],
                "",
            ),
            (
                "a gate's name",
                "POST",
                "/api/v1/checkpoints".into(),
                json!({"area": jf, "name": PAYLOAD}),
                vec![PAYLOAD],
                "/checkpoints",
            ),
            (
                "a visitor's name and reason",
                "POST",
                format!("/api/v1/checkpoints/{gate}/passages"),
                json!({"client_id": "inj-1", "subject": "visitor", "visitor_name": SHORT,
                    "reason": IMG, "direction": "in", "temperature": "36.5"}),
                vec![IMG],
                "",
            ),
            (
                "a round's name",
                "POST",
                "/api/v1/rounds".into(),
                json!({"area": COMMUNITY, "name": PAYLOAD, "pool_size": 1}),
                vec![PAYLOAD],
                "/rounds",
            ),
            (
                "a sampling point's name",
                "POST",
                format!("/api/v1/rounds/{rid}/points"),
                json!({"name": SHORT, "place": jf}),
                vec![SHORT],
                "",
            ),
            (
                "an episode's reason",
                "POST",
                "/api/v1/episodes".into(),
                json!({"id_number": id(4, false), "measure": "home_quarantine", "reason": PAYLOAD,
                    "start": "2027-03-01"}),
                vec![PAYLOAD],
                "",
            ),
            (
                "a template's name and header",
                "POST",
                "/api/v1/templates".into(),
                json!({"area": COMMUNITY, "name": PAYLOAD, "kind": "persons",
                    "columns": [{"header": IMG, "field": "name"}]}),
                vec![PAYLOAD, IMG],
                "/templates",
            ),
            (
                "a staff member's name",
                "POST",
                "/api/v1/staff".into(),
                json!({"name": SHORT, "phone": "13800138099", "kind": "网格员", "area": COMMUNITY}),
                vec![SHORT],
                "/staff",
            ),
            (
                "a supply request's detail",
                "POST",
                format!("/api/v1/households/{hh}/supplies"),
                json!({"idempotency_key": "inj-s", "kind": "medicine", "detail": IMG}),
                vec![IMG],
                "",
            ),
        ];
        for (what, method, path, body, payloads, page) in writes {
            let (st, v, _) = admin.send(method, &path, Some(body)).await;
            if st.is_success() {
                for p in payloads {
                    assert!(holds(&v, p), "{what}: the answer holds {p} as text: {v}");
                }
                stored.push((what, v, page));
            } else {
                assert!(
                    st == StatusCode::UNPROCESSABLE_ENTITY || st == StatusCode::BAD_REQUEST,
                    "{what}: {st} {v}"
                );
                assert!(v["error"].is_string(), "{what}: {v}");
                eprintln!("refused {what}: {v}");
                refused.push(what);
            }
        }
        // A household's notes, through its page's form.
        let csrf = b.csrf().await;
        let res = b
            .post_form(
                &format!("/households/{hh}/notes"),
                &[("csrf", &csrf), ("notes", PAYLOAD)],
            )
            .await;
        assert!(
            res.status.is_redirection() || res.status.is_success(),
            "{}",
            res.status
        );

        // A resident's self-report through the public form's API.
        let (_, links) = admin.get("/api/v1/report-links").await;
        let token = links["items"][0]["url"]
            .as_str()
            .or(links["items"][0]["token"].as_str())
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        let report = json!({
            "idempotency_key": "inj-r",
            "address": {"compound": "佳纷天地", "building": "3", "unit": "2", "room": "301"},
            "members": [{"name": SHORT, "id_number": id(31, false), "phone": "13800138031"}],
            "answers": {"notified_by": "社区", "date": "2022-10-20", "temperature": "36.5"}
        });
        let res = app
            .post(&format!("/api/v1/public/reports/{token}"))
            .json(&report)
            .await;
        let report_id = if res.status.is_success() {
            let (_, list) = admin.get("/api/v1/reports").await;
            let rid = list["items"][0]["id"].as_i64().unwrap();
            let (_, one) = admin.get(&format!("/api/v1/reports/{rid}")).await;
            assert!(
                holds(&one, SHORT),
                "the report holds the payload as text: {one}"
            );
            Some(rid)
        } else {
            assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
            refused.push("a self-report's name and answers");
            None
        };

        // Every page that shows one of them: escaped, never markup.
        let mut pages = vec![
            format!("/households/{hh}"),
            format!("/checkpoints/{gate}"),
            format!("/rounds/{rid}/points"),
            "/rounds".to_string(),
            "/seals".to_string(),
            "/notices".to_string(),
            "/staff".to_string(),
            "/tasks".to_string(),
            "/templates".to_string(),
            format!("/episodes?area={}", doorstep_testkit::enc(COMMUNITY)),
            "/supplies".to_string(),
            format!("/search?q={}", doorstep_testkit::enc("<script>")),
        ];
        for (_, v, page) in &stored {
            // The episode answer lists the episodes it started.
            let id = v["id"].as_i64().or(v["items"][0]["id"].as_i64());
            match (id, *page) {
                (Some(n), p) if !p.is_empty() => pages.push(format!("{p}/{n}")),
                _ => {}
            }
            if let Some(n) = v["items"][0]["id"].as_i64() {
                pages.push(format!("/episodes/{n}"));
            }
            // The notice's public page, which residents open from its QR code.
            if let Some(url) = v["public_url"].as_str().filter(|u| u.contains("/n/")) {
                pages.push(url[url.find("/n/").unwrap()..].to_string());
            }
        }
        if let Some(r) = report_id {
            pages.push(format!("/reports/{r}"));
        }
        let mut shown = 0;
        for page in &pages {
            let res = b.get(page).await;
            for raw in RAW {
                assert!(
                    !res.text.contains(raw),
                    "{page} shows the payload as markup"
                );
            }
            if res.status == StatusCode::OK && ESCAPED.iter().any(|e| res.text.contains(e)) {
                shown += 1;
            }
        }
        eprintln!("{shown} of {} pages showed a payload, escaped", pages.len());
        assert!(
            shown >= 20 && stored.len() == 12,
            "{shown} pages showed a payload, escaped; refused: {refused:?}"
        );

        // The database is intact: every person is still there, one added.
        let (st, persons_after) = admin.get("/api/v1/persons").await;
        assert_eq!(st, StatusCode::OK);
        let added = i64::from(!refused.contains(&"a person's name"));
        assert_eq!(
            persons_after["total"].as_i64().unwrap(),
            persons_before["total"].as_i64().unwrap() + added,
        );
    }
);
