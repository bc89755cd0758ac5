//! Notices to residents (温馨提示) and files from above on SQLite and on PostgreSQL: a notice
//! published for a compound shows on its own public page and, while valid, in that
//! compound's notices and not another's; withdrawn, it is gone (audited both ways); files are
//! kept with their day, listed and downloaded byte for byte, refused past the size limit or
//! when not a document; 403 for a role that may not publish, 404 outside the area.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_app::access::Ctx;
use doorstep_app::clock::FixedClock;
use doorstep_core::{AreaPath, Role};
use doorstep_testkit::{COMMUNITY, TestApp, TestDb, both_backends, enc, two_compounds, user};
use serde_json::json;
use time::macros::datetime;

both_backends!(
    a_notice_shows_in_its_area_while_valid,
    async |db: &TestDb| {
        // 10:00 on 2 March 2027, China's time.
        let clock = FixedClock::at(datetime!(2027-03-02 02:00 UTC));
        let app = TestApp::builder().clock(clock.clone()).build(db);
        let store = app.store();
        two_compounds(store).await;
        user(store, "admin1", Role::CommunityAdmin, COMMUNITY).await;
        user(store, "gw", Role::GridWorker, COMMUNITY).await;
        user(
            store,
            "admin-qt",
            Role::CommunityAdmin,
            &format!("{COMMUNITY}/钱塘衣城"),
        )
        .await;
        let admin = app.login_api("admin1").await;
        let jf = format!("{COMMUNITY}/佳纷天地");
        let body = json!({"area": jf, "title": "停水通知", "body": "3月2日 9:00–12:00 停水。\n请提前储水。",
                      "english": "No water 9:00-12:00 on 2 March.",
                      "valid_from": "2027-03-01", "valid_to": "2027-03-03"});
        let (st, n, _) = admin
            .send("POST", "/api/v1/notices", Some(body.clone()))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{n}");
        assert_eq!(n["published_by"], "admin1");
        assert_eq!(n["body"], "3月2日 9:00–12:00 停水。\n请提前储水。");
        let url = n["public_url"].as_str().unwrap().to_string();
        let token = url.trim_start_matches("/n/").to_string();
        assert_eq!(token.len(), 32);
        let id = n["id"].as_i64().unwrap();
        let audit = store
            .audit_entries(&doorstep_store::AuditQuery {
                action: Some("notice.publish".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            (audit.items.len(), audit.items[0].username.as_str()),
            (1, "admin1")
        );

        // Its public answer, no login, without who published it.
        let r = app.get(&format!("/api/v1/public/notices/{token}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let v = r.json();
        assert_eq!(
            (v["title"].as_str(), v["published_by"].as_str()),
            (Some("停水通知"), None)
        );
        // Shown for a building of 佳纷天地 while valid, not for 钱塘衣城, not before or after.
        let ctx = Ctx {
            clock: clock.clone(),
            ..Ctx::default()
        };
        let b1 = AreaPath::parse(&format!("{jf}/1号楼")).unwrap();
        let qt = AreaPath::parse(&format!("{COMMUNITY}/钱塘衣城/1号楼")).unwrap();
        let shown = doorstep_app::notices::showing(store, &ctx, &b1)
            .await
            .unwrap();
        assert_eq!(shown.iter().map(|n| n.id).collect::<Vec<_>>(), [id]);
        assert!(
            doorstep_app::notices::showing(store, &ctx, &qt)
                .await
                .unwrap()
                .is_empty()
        );
        clock.set(datetime!(2027-03-03 16:00 UTC)); // 00:00 on 4 March in China
        assert!(
            doorstep_app::notices::showing(store, &ctx, &b1)
                .await
                .unwrap()
                .is_empty()
        );
        clock.set(datetime!(2027-02-28 15:59 UTC)); // 23:59 on 28 February
        assert!(
            doorstep_app::notices::showing(store, &ctx, &b1)
                .await
                .unwrap()
                .is_empty()
        );
        clock.set(datetime!(2027-03-02 02:00 UTC));

        // Mistakes are named by field.
        let (st, v, _) = admin
            .send(
                "POST",
                "/api/v1/notices",
                Some(json!({"area": jf, "title": "", "body": "x",
              "valid_from": "2027-03-03", "valid_to": "2027-03-01"})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        let paths: Vec<&str> = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        assert_eq!(paths, ["title", "valid_to"]);

        // A grid worker may not publish; another compound's admin finds nothing of it.
        let gw = app.login_api("gw").await;
        let (st, _, _) = gw.send("POST", "/api/v1/notices", Some(body.clone())).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, v) = gw.get("/api/v1/notices").await;
        assert_eq!(
            (st, v["total"].as_i64()),
            (StatusCode::OK, Some(1)),
            "a grid worker reads them"
        );
        let other = app.login_api("admin-qt").await;
        let (st, _, _) = other
            .send(
                "POST",
                &format!("/api/v1/notices/{id}/withdraw"),
                Some(json!({"reason": "错发"})),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _, _) = other.send("POST", "/api/v1/notices", Some(body)).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (_, v) = other.get("/api/v1/notices").await;
        assert_eq!(v["total"], 0);

        // Withdrawn: gone from the public page and the area's pages, kept (marked) in the list.
        let (st, v, _) = admin
            .send(
                "POST",
                &format!("/api/v1/notices/{id}/withdraw"),
                Some(json!({"reason": "已恢复供水"})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(
            (v["withdrawn_by"].as_str(), v["withdraw_reason"].as_str()),
            (Some("admin1"), Some("已恢复供水"))
        );
        let r = app.get(&format!("/api/v1/public/notices/{token}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(
            doorstep_app::notices::showing(store, &ctx, &b1)
                .await
                .unwrap()
                .is_empty()
        );
        let audit = store
            .audit_entries(&doorstep_store::AuditQuery {
                action: Some("notice.withdraw".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(audit.items.len(), 1);
        let (_, v) = admin.get("/api/v1/notices").await;
        assert!(v["items"][0]["withdrawn_at"].is_string());
    }
);

both_backends!(
    files_from_above_are_kept_and_downloaded,
    async |db: &TestDb| {
        let clock = FixedClock::at(datetime!(2027-03-02 02:00 UTC));
        let app = TestApp::builder().clock(clock).build(db);
        let store = app.store();
        two_compounds(store).await;
        user(store, "admin1", Role::CommunityAdmin, COMMUNITY).await;
        user(store, "vol", Role::Volunteer, COMMUNITY).await;
        user(
            store,
            "admin-qt",
            Role::CommunityAdmin,
            &format!("{COMMUNITY}/钱塘衣城"),
        )
        .await;
        let admin = app.login_api("admin1").await;
        let token = admin.token.clone().unwrap();
        let pdf: Vec<u8> = [b"%PDF-1.7\n".as_slice(), &[0u8, 1, 2, 255, 254], b"\n%%EOF"].concat();
        let uri = format!(
            "/api/v1/notices/files?area={}&day=2027-03-02&title={}&name={}",
            enc(COMMUNITY),
            enc("区防控指挥部通告第5号"),
            enc("通告5号.pdf")
        );
        let r = app
            .post(&uri)
            .bearer(&token)
            .body("application/pdf", pdf.clone())
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let f = r.json();
        assert_eq!(
            (f["size"].as_i64(), f["content_type"].as_str()),
            (Some(pdf.len() as i64), Some("application/pdf"))
        );
        let fid = f["id"].as_i64().unwrap();
        let audit = store
            .audit_entries(&doorstep_store::AuditQuery {
                action: Some("notice.file".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(audit.items.len(), 1);

        // Listed for its day; downloaded byte for byte by whoever reads the area.
        let (st, v) = admin.get("/api/v1/notices/files?day=2027-03-02").await;
        assert_eq!((st, v["total"].as_i64()), (StatusCode::OK, Some(1)));
        let (_, v) = admin.get("/api/v1/notices/files?day=2027-03-01").await;
        assert_eq!(v["total"], 0);
        let vol = app.login_api("vol").await;
        let r = vol
            .request("GET", &format!("/api/v1/notices/files/{fid}"))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.bytes, pdf);
        assert!(
            r.headers["content-disposition"]
                .to_str()
                .unwrap()
                .contains("filename*=UTF-8''")
        );
        // Not a document, too large, or by a volunteer: refused; outside the area: 404.
        let r = app
            .post(&uri)
            .bearer(&token)
            .body("text/html", b"<html>".to_vec())
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["fields"][0]["code"], "file_type_invalid");
        let big = [b"%PDF-1.7\n".as_slice(), &vec![b'x'; 10 << 20]].concat();
        let r = app
            .post(&uri)
            .bearer(&token)
            .body("application/pdf", big)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.json()["fields"][0]["code"], "file_too_large");
        let r = app
            .post(&uri)
            .bearer(vol.token.as_deref().unwrap())
            .body("application/pdf", pdf.clone())
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let other = app.login_api("admin-qt").await;
        let r = other
            .request("GET", &format!("/api/v1/notices/files/{fid}"))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let (_, v) = admin.get("/api/v1/notices/files").await;
        assert_eq!(v["total"], 1, "nothing refused was kept");
    }
);

both_backends!(
    a_notice_shows_on_the_check_in_page_and_its_slip,
    async |db: &TestDb| {
        let clock = FixedClock::at(datetime!(2027-03-01 02:00 UTC));
        let app = TestApp::builder().clock(clock).build(db);
        crate::rounds::setup(&app).await;
        let admin = app.login_api("admin1").await;
        let v = crate::checkins::quarantine_jia_household(&admin).await;
        let household = v["items"][0]["household_id"].as_i64().unwrap();
        let (_, v) = admin
            .get(&format!("/api/v1/households/{household}/checkins"))
            .await;
        let checkin = v["checkin_url"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        // A notice for the whole community shows on a household's check-in page below it.
        let (st, n, _) = admin
        .send("POST", "/api/v1/notices", Some(json!({"title": "核酸检测安排",
              "body": "明日 8:00 在小区东门检测。", "english": "Testing at 8:00 tomorrow at the east gate.",
              "valid_from": "2027-03-01", "valid_to": "2027-03-01"})))
        .await;
        assert_eq!(st, StatusCode::CREATED, "{n}");
        let page = app.get(&format!("/c/{checkin}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text.contains("核酸检测安排") && page.text.contains("明日 8:00 在小区东门检测。"),
            "{}",
            page.text
        );
        assert!(page.text.contains("Testing at 8:00 tomorrow"));
        // Its slip: the QR code of its public page; the public page opens without a login.
        let mut b = app.browser();
        b.login("admin1").await;
        let id = n["id"].as_i64().unwrap();
        let slip = b.get(&format!("/notices/{id}/slip")).await;
        assert_eq!(slip.status, StatusCode::OK);
        assert!(
            slip.text.contains("<svg") && slip.text.contains(n["public_url"].as_str().unwrap()),
            "{}",
            slip.text
        );
        let public = app.get(n["public_url"].as_str().unwrap()).await;
        assert_eq!(public.status, StatusCode::OK);
        assert!(public.text.contains("核酸检测安排"));
        // The building notice of 1号楼 prints it too.
        let (_, v) = admin
            .get(&format!(
                "/api/v1/areas?path={}",
                enc(&format!("{COMMUNITY}/佳纷天地"))
            ))
            .await;
        let b1 = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["path"] == format!("{COMMUNITY}/佳纷天地/1号楼").as_str())
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let board = b.get(&format!("/areas/{b1}/notice")).await;
        assert_eq!(board.status, StatusCode::OK);
        assert!(board.text.contains("核酸检测安排"), "{}", board.text);
        // The staff list and the withdraw form.
        let list = b.get("/notices").await;
        assert!(
            list.text.contains(&format!("/notices/{id}")),
            "{}",
            list.text
        );
        let csrf = b.csrf().await;
        let r = b
            .post_form(
                &format!("/notices/{id}/withdraw"),
                &[("csrf", &csrf), ("reason", "改期")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let page = app.get(&format!("/c/{checkin}")).await;
        assert!(!page.text.contains("核酸检测安排"), "withdrawn, gone");
        assert_eq!(
            app.get(n["public_url"].as_str().unwrap()).await.status,
            StatusCode::NOT_FOUND
        );
    }
);
