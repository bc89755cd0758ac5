//! The web pages, in-process: login with CSRF, the one access check, field errors in the
//! user's language, imports with rejected rows, page weight. On both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_core::{AreaKind, AreaPath, Role};
use doorstep_testkit::{PASSWORD, TestApp, TestDb, both_backends, enc, first_href, hidden, user};

async fn setup(db: &TestDb) {
    doorstep_app::demo::load(db.store.as_ref()).await.unwrap();
    user(
        db.store.as_ref(),
        "admin1",
        Role::CommunityAdmin,
        "二七区/京广路街道/祥云社区",
    )
    .await;
    user(
        db.store.as_ref(),
        "vol",
        Role::Volunteer,
        "二七区/京广路街道/祥云社区",
    )
    .await;
    let street = AreaPath::parse("二七区/京广路街道").unwrap();
    db.store
        .create_area(Some(&street), AreaKind::Community, "福华街社区")
        .await
        .unwrap();
    user(
        db.store.as_ref(),
        "other",
        Role::CommunityAdmin,
        "二七区/京广路街道/福华街社区",
    )
    .await;
}

both_backends!(
    login_search_person_household_and_edit_with_field_errors,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        setup(db).await;
        let mut b = app.browser();
        // Without a session every page sends you to the login, remembering where you were.
        let p = b.get("/search?q=x").await;
        assert_eq!(p.status, StatusCode::SEE_OTHER);
        assert!(p.location.unwrap().starts_with("/login?next=/search"));
        // A login form without its CSRF token is refused.
        let p = b
            .post_form("/login", &[("username", "admin1"), ("password", PASSWORD)])
            .await;
        assert!(!b.cookies.contains_key("doorstep_session"), "{}", p.text);
        // Wrong password: the same message as an unknown user.
        let form = b.get("/login").await;
        let csrf = hidden(&form.text, "csrf");
        let p = b
            .post_form(
                "/login",
                &[
                    ("username", "admin1"),
                    ("password", "nope-nope"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED);
        assert!(p.text.contains("用户名或密码错误"));
        b.login("admin1").await;

        let home = b.get("/").await;
        assert!(
            home.text.contains("4812") && home.text.contains("12500"),
            "home shows the counts"
        );
        assert!(home.text.len() < 100 * 1024);

        let results = b.get(&format!("/search?q={}", enc("王"))).await;
        assert!(results.text.contains("********"), "lists are masked");
        let person = first_href(&results.text, "/persons/");
        let page = b.get(&person).await;
        assert_eq!(page.status, StatusCode::OK);
        let household = first_href(&page.text, "/households/");
        let hpage = b.get(&household).await;
        assert!(
            hpage.text.contains(&person),
            "the household lists the person"
        );

        // A bad phone comes back as a message at the phone field, in Chinese.
        let id = person.trim_start_matches("/persons/");
        let edit = b.get(&format!("/persons/{id}/edit")).await;
        let csrf = hidden(&edit.text, "csrf");
        let name = hidden(
            &edit
                .text
                .replace("id=\"f-name\" name=\"name\" type=\"text\"", "name=\"name\""),
            "name",
        );
        let bad = b
            .post_form(
                &format!("/persons/{id}/edit"),
                &[("csrf", &csrf), ("name", &name), ("phone", "12345")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.text.contains("id=\"e-phone\""),
            "message at the phone field"
        );
        assert!(bad.text.contains("手机号码应为 11 位"));
        // The same in English.
        b.lang = "en";
        b.cookies.insert("lang".into(), "en".into());
        let bad = b
            .post_form(
                &format!("/persons/{id}/edit"),
                &[("csrf", &csrf), ("name", &name), ("phone", "12345")],
            )
            .await;
        assert!(
            bad.text.contains("a mobile number has 11 digits"),
            "English message"
        );
        assert!(bad.text.contains("Log out"));
        let good = b
            .post_form(
                &format!("/persons/{id}/edit"),
                &[("csrf", &csrf), ("name", &name), ("phone", "13912345678")],
            )
            .await;
        assert_eq!(good.status, StatusCode::SEE_OTHER);
        let page = b.get(&person).await;
        assert!(page.text.contains("139****5678"), "saved and shown masked");
        assert!(
            page.text.contains("<ins>139****5678</ins>"),
            "history shows the change, masked"
        );
        assert!(
            !page.text.contains("13912345678"),
            "no full number without a reveal"
        );
        // A form without the session's CSRF token is refused and changes nothing.
        let forged = b
            .post_form(
                &format!("/persons/{id}/edit"),
                &[("name", "伪造"), ("phone", "13900000000")],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        // Reveal shows the full number and is audited.
        let revealed = b
            .post_form(&format!("/persons/{id}/reveal"), &[("csrf", &csrf)])
            .await;
        assert!(revealed.text.contains("13912345678"));
        let audit = b.get("/audit?action=person.reveal").await;
        assert!(audit.text.contains("person.reveal"), "{}", audit.text);
    }
);

both_backends!(pages_outside_the_area_are_not_found, async |db: &TestDb| {
    let app = TestApp::new(db);
    setup(db).await;
    let mut admin = app.browser();
    admin.login("admin1").await;
    let results = admin.get(&format!("/search?q={}", enc("李"))).await;
    let person = first_href(&results.text, "/persons/");
    let household = first_href(&admin.get(&person).await.text, "/households/");
    let area = first_href(&admin.get("/").await.text, "/areas/");
    let id = person.trim_start_matches("/persons/").to_string();

    let mut other = app.browser();
    other.login("other").await;
    for uri in [
        person.clone(),
        household.clone(),
        area.clone(),
        format!("/persons/{id}/edit"),
        format!("{household}/persons/new"),
    ] {
        let p = other.get(&uri).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(
            p.text.contains("class=\"menu\""),
            "the not-found page keeps the menu: {uri}"
        );
    }
    let csrf = other.csrf().await;
    for uri in [
        format!("/persons/{id}/reveal"),
        format!("/persons/{id}/edit"),
        format!("{household}/notes"),
    ] {
        let p = other
            .post_form(&uri, &[("csrf", &csrf), ("name", "x"), ("notes", "x")])
            .await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "POST {uri}");
    }
    let found = other.get(&format!("/search?q={}", enc("李"))).await;
    assert!(
        !found.text.contains("/persons/"),
        "search lists nobody from another community"
    );
    let export = other
        .get(&format!(
            "/export?area={}",
            enc("二七区/京广路街道/祥云社区")
        ))
        .await;
    assert_eq!(export.status, StatusCode::NOT_FOUND);

    // A volunteer inside the area sees masked data but no reveal, edit, import or audit.
    let mut vol = app.browser();
    vol.login("vol").await;
    let page = vol.get(&person).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains("/reveal") && !page.text.contains("/edit"));
    assert_eq!(vol.get("/audit").await.status, StatusCode::FORBIDDEN);
    assert_eq!(vol.get("/import").await.status, StatusCode::FORBIDDEN);
    let csrf = vol.csrf().await;
    assert_eq!(
        vol.post_form(&format!("/persons/{id}/reveal"), &[("csrf", &csrf)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
});

both_backends!(
    import_page_lists_rejected_rows_and_offers_them_for_download,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        setup(db).await;
        let mut b = app.browser();
        b.login("admin1").await;
        let form = b.get("/import").await;
        let csrf = hidden(&form.text, "csrf");
        let good = doorstep_core::idnum::make_resident_id(
            "410103",
            time::macros::date!(1902 - 03 - 04),
            11,
        );
        let csv = format!(
            "姓名,证件号码,联系电话,小区,楼栋,房号\n好人,{good},13800000000,新小区,1,101\n坏人,123,,新小区,1,102\n电话错,{good}9,1,新小区,1,103\n"
        );
        let boundary = "XBOUNDARYX";
        let mut body = Vec::new();
        for (name, value) in [
            ("csrf", csrf.as_str()),
            ("area", "二七区/京广路街道/祥云社区"),
        ] {
            body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        }
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes());
        body.extend(csv.as_bytes());
        body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
        let started = b
            .request(
                "POST",
                "/import",
                Some(format!("multipart/form-data; boundary={boundary}")),
                body,
            )
            .await;
        assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.text);
        let job = started.location.unwrap();
        let mut page = b.get(&job).await;
        for _ in 0..100 {
            if !page.text.contains("http-equiv=\"refresh\"") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            page = b.get(&job).await;
        }
        assert!(page.text.contains("导入完成"), "{}", page.text);
        assert!(
            page.text.contains("<td>3</td>") && page.text.contains("<td>4</td>"),
            "rejected rows by number"
        );
        assert!(page.text.contains("证件号码"));
        let rejects = b.get(&format!("{job}/rejects.xlsx")).await;
        assert_eq!(rejects.status, StatusCode::OK);
        // Another user cannot see this job.
        let mut other = app.browser();
        other.login("other").await;
        assert_eq!(other.get(&job).await.status, StatusCode::NOT_FOUND);
        // The import is in the audit log.
        let audit = b.get("/audit?action=persons.import").await;
        assert!(audit.text.contains("persons.import"));
    }
);

/// Every visible form control has a label pointing at it.
fn assert_labelled(html: &str, page: &str) {
    for tag in ["<input", "<select", "<textarea"] {
        for part in html.split(tag).skip(1) {
            let attrs = part.split('>').next().unwrap();
            if attrs.contains("type=\"hidden\"") {
                continue;
            }
            let id = attrs
                .split("id=\"")
                .nth(1)
                .map(|s| s.split('"').next().unwrap())
                .unwrap_or_else(|| panic!("{page}: control without id: {attrs}"));
            assert!(
                html.contains(&format!("for=\"{id}\"")),
                "{page}: no label for #{id}"
            );
        }
    }
}

both_backends!(
    pages_are_labelled_light_and_rooms_can_be_added,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        setup(db).await;
        let mut b = app.browser();
        let login = b.get("/login").await;
        assert_labelled(&login.text, "login");
        b.login("admin1").await;
        let home = b.get("/").await;
        let mut pages = vec![("home", home.text.clone())];
        let mut area = first_href(&home.text, "/areas/");
        // Walk down to a building: community → compound → building.
        for _ in 0..2 {
            let page = b.get(&area).await;
            area = first_href(
                page.text.split("<ul class=\"list areas\">").nth(1).unwrap(),
                "/areas/",
            );
        }
        let building = b.get(&area).await;
        assert!(
            building.text.contains("/households\""),
            "a building page offers to add a room"
        );
        pages.push(("building", building.text.clone()));
        let csrf = hidden(&building.text, "csrf");
        let added = b
            .post_form(
                &format!("{area}/households"),
                &[("csrf", &csrf), ("room", "9901")],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text);
        let household = b.get(added.location.as_deref().unwrap()).await;
        assert!(household.text.contains("9901"));
        pages.push(("household", household.text.clone()));
        let again = b
            .post_form(
                &format!("{area}/households"),
                &[("csrf", &csrf), ("room", "9901")],
            )
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        let new_person = b
            .get(&format!("{}/persons/new", added.location.unwrap()))
            .await;
        pages.push(("person form", new_person.text.clone()));
        pages.push((
            "search",
            b.get(&format!("/search?q={}", enc("张"))).await.text,
        ));
        pages.push(("import", b.get("/import").await.text));
        pages.push(("audit", b.get("/audit").await.text));
        for (name, html) in &pages {
            assert_labelled(html, name);
            assert!(
                html.len() < 100 * 1024,
                "{name} weighs {} bytes",
                html.len()
            );
            assert!(!html.contains("<script"), "{name} has no script");
        }
    }
);
