//! The security suite's session tests: a session token planted before login (made up, or the
//! attacker's own live one) is not the one the login leaves, and never becomes the victim's;
//! a logout, on the pages or the API, ends the token on the server, so a replayed old cookie or
//! bearer token is sent to the login (pages) or answered 401 (API). On both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_core::Role;
use doorstep_testkit::{COMMUNITY, TestApp, TestDb, both_backends, demo_community};

/// Who the API says a token belongs to (`None`: 401).
async fn whose(app: &TestApp, token: &str) -> Option<String> {
    let (st, v) = app.anon().with_token(token).get("/api/v1/me").await;
    match st {
        StatusCode::OK => Some(v["username"].as_str().unwrap().to_string()),
        StatusCode::UNAUTHORIZED => None,
        other => panic!("GET /api/v1/me: {other} {v}"),
    }
}

/// Whether the pages take `token` as a session: the home page opens (200), or sends to the
/// login (303 to `/login…`).
async fn page_session(app: &TestApp, token: &str) -> bool {
    let res = app.get("/").session(token).await;
    match res.status {
        StatusCode::OK => true,
        StatusCode::SEE_OTHER => {
            assert!(
                res.location.as_deref().unwrap().starts_with("/login"),
                "{:?}",
                res.location
            );
            false
        }
        other => panic!("GET / with a session cookie: {other}"),
    }
}

both_backends!(
    a_token_planted_before_login_is_not_the_one_after,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        demo_community(db.store.as_ref()).await;
        app.user("victim", Role::CommunityAdmin, COMMUNITY).await;
        app.user("mallory", Role::Volunteer, COMMUNITY).await;

        // A made-up token, planted in the victim's browser before they log in.
        let planted = "a".repeat(64);
        let mut b = app.browser();
        b.cookies.insert("doorstep_session".into(), planted.clone());
        assert!(
            !page_session(&app, &planted).await,
            "a made-up token is no session"
        );
        b.login("victim").await;
        let after = b.cookies["doorstep_session"].clone();
        assert_ne!(after, planted, "the login set a fresh token");
        assert_eq!(whose(&app, &after).await.as_deref(), Some("victim"));
        assert_eq!(
            whose(&app, &planted).await,
            None,
            "the planted token is still nothing"
        );
        assert!(!page_session(&app, &planted).await);

        // The attacker's own live session, planted: the login replaces it, and it stays
        // the attacker's (it is not turned into the victim's).
        let mut m = app.browser();
        m.login("mallory").await;
        let mallorys = m.cookies["doorstep_session"].clone();
        let mut v = app.browser();
        v.cookies
            .insert("doorstep_session".into(), mallorys.clone());
        v.login("victim").await;
        let victims = v.cookies["doorstep_session"].clone();
        assert_ne!(victims, mallorys);
        assert_eq!(whose(&app, &mallorys).await.as_deref(), Some("mallory"));
        assert_eq!(whose(&app, &victims).await.as_deref(), Some("victim"));

        // Each session has its own CSRF token, so one session's token is no good for another.
        assert_ne!(v.csrf().await, m.csrf().await);

        // The API: two logins of one user are two tokens.
        let a = app.login_api("victim").await.token.unwrap();
        let c = app.login_api("victim").await.token.unwrap();
        assert_ne!(a, c);
        // Tokens are long random hex, never derived from the user.
        for t in [&a, &c, &after, &victims] {
            assert!(t.len() >= 32, "token {t}");
            assert!(!t.contains("victim"));
        }
    }
);

both_backends!(
    a_logout_ends_the_token_on_the_server,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        demo_community(db.store.as_ref()).await;
        app.user("alice", Role::CommunityAdmin, COMMUNITY).await;

        // Pages: log out, then replay the old cookie by hand.
        let mut b = app.browser();
        b.login("alice").await;
        let old = b.cookies["doorstep_session"].clone();
        assert!(page_session(&app, &old).await);
        let csrf = b.csrf().await;
        let res = b.post_form("/logout", &[("csrf", &csrf)]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert!(
            !b.cookies.contains_key("doorstep_session"),
            "the cookie is cleared"
        );
        assert!(
            !page_session(&app, &old).await,
            "a replayed cookie is no session"
        );
        assert_eq!(whose(&app, &old).await, None, "nor as a bearer token");
        // A replayed form post with the old cookie and its old CSRF token changes nothing.
        let res = app
            .post("/households/1/notes")
            .session(&old)
            .form(&[("csrf", &csrf), ("notes", "replayed")])
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert!(res.location.unwrap().starts_with("/login"));

        // API: log out, then replay the bearer token.
        let api = app.login_api("alice").await;
        let token = api.token.clone().unwrap();
        assert_eq!(whose(&app, &token).await.as_deref(), Some("alice"));
        let (st, _, _) = api.send("POST", "/api/v1/auth/logout", None).await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        assert_eq!(whose(&app, &token).await, None);
        let (st, _) = api.get("/api/v1/persons").await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
        assert!(!page_session(&app, &token).await);
        // A second logout with the dead token is 401, not a success.
        let (st, _, _) = api.send("POST", "/api/v1/auth/logout", None).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
    }
);
