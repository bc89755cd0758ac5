//! The security suite's CSRF sweep: every page form (each `POST` route of the pages router,
//! read from the router's source so that a new form joins by being routed) is posted by a
//! logged-in administrator of everything without the session's CSRF token, with another
//! session's token, and with a token of the right length but wrong; each must answer 403 and
//! change nothing (the world's fingerprint, `security_world::fingerprint`). As the control, the
//! same post with the session's own token is not refused for its token. The login form (no
//! session yet: a double-submit cookie) and the logout are attacked on their own. On both
//! databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_testkit::{Browser, COMMUNITY, PASSWORD, TestApp, TestDb, both_backends, form_body};
use serde_json::json;

use crate::security_world::{World, changed, fingerprint, page_routes, role_user, world};

/// Every `POST` route of the pages (see `security_world::page_routes`).
fn page_posts() -> Vec<String> {
    page_routes("post(")
}

/// The page path with the world's ids (`{task}` is a task, `{action}` a task's verb).
fn fill(w: &World, path: &str) -> String {
    w.fill(&path.replace("{task}", "{task_id}"))
}

/// A multipart body holding the CSRF field and an empty file.
fn multipart(csrf: &str) -> Vec<u8> {
    format!(
        "--X\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --X\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\
         Content-Type: text/csv\r\n\r\na\r\n--X--\r\n"
    )
    .into_bytes()
}

/// Posts the form with `csrf` (none at all when `None`) as urlencoded, with the fields the
/// forms require besides it (so that what answers is the token's check, not the form's
/// shape); a route that reads a multipart body gets it as multipart, and the sampler page's
/// script endpoints (JSON with the token in `X-CSRF-Token`) get JSON.
async fn post(
    app: &TestApp,
    b: &mut Browser,
    path: &str,
    csrf: Option<&str>,
) -> (StatusCode, String) {
    let mut pairs: Vec<(&str, &str)> = vec![
        ("area", COMMUNITY),
        ("person_id", "1"),
        ("member", "1"),
        ("purpose", "home_quarantine"),
    ];
    if let Some(c) = csrf {
        pairs.push(("csrf", c));
    }
    let res = b
        .request(
            "POST",
            path,
            Some(doorstep_testkit::FORM.into()),
            form_body(&pairs).into_bytes(),
        )
        .await;
    match res.status {
        StatusCode::BAD_REQUEST => {
            let res = b
                .request(
                    "POST",
                    path,
                    Some("multipart/form-data; boundary=X".into()),
                    multipart(csrf.unwrap_or("")),
                )
                .await;
            (res.status, res.text)
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            let body = if path.ends_with("/batch") {
                json!({"scans": []})
            } else {
                json!({"client_id": "csrf-1", "tube": "TUBE-C1", "person": {"person_id": 1}})
            };
            let mut req = app
                .post(path)
                .cookie(&format!(
                    "doorstep_session={}",
                    b.cookies["doorstep_session"]
                ))
                .json(&body);
            if let Some(c) = csrf {
                req = req.header("x-csrf-token", c);
            }
            let res = req.await;
            (res.status, res.text)
        }
        _ => (res.status, res.text),
    }
}

/// Whether a refusal is the form's own for a post that carries no token at all: the form
/// requires the field, and its absence is refused (422) before anything is read.
fn refused_for_no_token(status: StatusCode, text: &str) -> bool {
    status == StatusCode::UNPROCESSABLE_ENTITY && text.contains("missing field `csrf`")
}

both_backends!(
    every_page_form_refuses_a_post_without_its_sessions_token,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        let w = world(&app, db).await;
        let root_name = role_user(doorstep_core::Role::Admin);
        let root = app.login_api(&root_name).await;
        let mut b = app.browser();
        b.login(&root_name).await;
        let own = b.csrf().await;
        // Another session of another user, and another session of the same user.
        let mut other = app.browser();
        other.login("admin1").await;
        let others = other.csrf().await;
        let mut second = app.browser();
        second.login(&root_name).await;
        let seconds = second.csrf().await;
        assert_ne!(own, seconds, "each session has its own token");
        let forged = "0".repeat(own.len());

        // The login form has no session yet: it is attacked below on its own.
        let routes: Vec<String> = page_posts().into_iter().filter(|r| r != "/login").collect();
        assert!(routes.len() > 60, "{} page forms: {routes:?}", routes.len());
        let before = fingerprint(&root, &w).await;
        let mut wrong = Vec::new();
        for route in &routes {
            let path = fill(&w, route);
            for (what, token) in [
                ("no token", None),
                ("an empty token", Some("")),
                ("another user's token", Some(others.as_str())),
                ("another session's token", Some(seconds.as_str())),
                ("a forged token", Some(forged.as_str())),
            ] {
                let (status, text) = post(&app, &mut b, &path, token).await;
                if status != StatusCode::FORBIDDEN && !refused_for_no_token(status, &text) {
                    wrong.push(format!(
                        "POST {path} with {what}: {status} {}",
                        text.chars().take(200).collect::<String>()
                    ));
                }
            }
        }
        // The session is still live (nothing logged it out), and nothing was written.
        assert_eq!(b.get("/").await.status, StatusCode::OK);
        let after = fingerprint(&root, &w).await;
        assert!(
            wrong.is_empty(),
            "{} forms not refused:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
        assert_eq!(changed(&before, &after), Vec::<String>::new());

        // The control: the session's own token is not refused as a token (the form may be
        // refused for its missing fields, never for the token).
        let mut refused_with_own = Vec::new();
        for route in &routes {
            if route == "/logout" {
                continue;
            }
            let path = fill(&w, route);
            let (status, text) = post(&app, &mut b, &path, Some(&own)).await;
            if status == StatusCode::FORBIDDEN
                && (text.contains("表单已过期") || text.contains("form expired"))
            {
                refused_with_own.push(format!("POST {path}: {status}"));
            }
        }
        assert!(
            refused_with_own.is_empty(),
            "refused with the session's own token: {refused_with_own:#?}"
        );
    }
);

both_backends!(
    login_and_logout_refuse_a_forged_form,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        doorstep_testkit::demo_community(db.store.as_ref()).await;
        app.user(
            "alice",
            doorstep_core::Role::CommunityAdmin,
            doorstep_testkit::COMMUNITY,
        )
        .await;
        // Login: the form's token must match the double-submit cookie the form set.
        let mut b = app.browser();
        let form = b.get("/login").await;
        let token = doorstep_testkit::hidden(&form.text, "csrf");
        for (what, cookie, field) in [
            ("no cookie", None, Some(token.as_str())),
            ("no field", Some(token.as_str()), None),
            (
                "a field unlike the cookie",
                Some(token.as_str()),
                Some("0123456789abcdef"),
            ),
        ] {
            let mut pairs = vec![("username", "alice"), ("password", PASSWORD), ("next", "/")];
            if let Some(f) = field {
                pairs.push(("csrf", f));
            }
            let mut req = app.post("/login").form(&pairs);
            if let Some(c) = cookie {
                req = req.cookie(&format!("login_csrf={c}"));
            }
            let res = req.await;
            assert_eq!(
                res.status,
                StatusCode::FORBIDDEN,
                "login with {what}: {}",
                res.text
            );
            assert!(
                res.headers.get("set-cookie").is_none_or(|c| !c
                    .to_str()
                    .unwrap()
                    .starts_with("doorstep_session=")
                    || c.to_str().unwrap().starts_with("doorstep_session=;")),
                "login with {what} set a session"
            );
        }
        // Logout: without the token, the session stays live.
        b.login("alice").await;
        let res = b.post_form("/logout", &[]).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
        assert_eq!(b.get("/").await.status, StatusCode::OK, "still logged in");
        let csrf = b.csrf().await;
        let res = b.post_form("/logout", &[("csrf", &csrf)]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
    }
);
