//! The staff self-report API, on SQLite and on PostgreSQL: links, the queue limited to the
//! caller's area, accept, reject, bulk accept and the direct-report export.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::{StatusCode, header};
use doorstep_core::{AreaKind, AreaPath, Role};
use doorstep_testkit::{
    ApiClient, COMMUNITY, FORM, TestApp, TestDb, both_backends, enc, id, two_compounds, user,
};
use serde_json::json;

/// The report tests' community ([`two_compounds`]), its admin `admin1` (returned, logged in)
/// and `w-qt`, the grid worker of 钱塘衣城.
async fn staff(app: &TestApp) -> ApiClient {
    let store = app.store();
    two_compounds(store).await;
    user(store, "admin1", Role::CommunityAdmin, COMMUNITY).await;
    user(
        store,
        "w-qt",
        Role::GridWorker,
        &format!("{COMMUNITY}/钱塘衣城"),
    )
    .await;
    app.login_api("admin1").await
}

both_backends!(staff_review_and_export, async |db: &TestDb| {
    let app = TestApp::new(db);
    let admin = staff(&app).await;

    let (st, link, _) = admin
        .send(
            "POST",
            "/api/v1/report-links",
            Some(json!({"area": COMMUNITY, "purpose": "risk_visit", "expires_in_hours": 48})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{link}");
    let token = link["token"].as_str().unwrap().to_string();
    assert_eq!(link["url"], format!("/r/{token}"));
    assert!(link["expires_at"].is_string());
    let (st, bad) = admin.get("/api/v1/report-links").await;
    assert_eq!((st, bad["total"].as_i64()), (StatusCode::OK, Some(1)));

    let anon = app.anon();
    let submit = |key: &str, compound: &str, n: u16| {
        json!({"idempotency_key": key,
               "address": {"compound": compound, "building": "1", "room": "101"},
               "members": [{"name": format!("居民{n}"), "id_number": id(n, false), "phone": "13800000001"}],
               "answers": {"risk_place": "陇海市场", "date": "2022-10-18"}})
    };
    for (key, compound, n) in [
        ("k1", "佳纷天地", 1),
        ("k2", "钱塘衣城", 2),
        ("k3", "钱塘衣城", 3),
    ] {
        let (st, v, _) = anon
            .send(
                "POST",
                &format!("/api/v1/public/reports/{token}"),
                Some(submit(key, compound, n)),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }

    // The worker of 钱塘衣城 sees two; the admin three; the worker cannot open the third.
    let mut worker = app.anon();
    worker.login("w-qt").await;
    let (_, mine) = worker.get("/api/v1/reports?status=pending").await;
    assert_eq!(mine["total"], 2);
    let (_, all) = admin.get("/api/v1/reports?status=pending").await;
    assert_eq!(all["total"], 3);
    let jf_id = all["items"][0]["id"].as_i64().unwrap();
    let (st, _) = worker.get(&format!("/api/v1/reports/{jf_id}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _, _) = worker
        .send("POST", &format!("/api/v1/reports/{jf_id}/accept"), None)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = worker
        .get(&format!(
            "/api/v1/reports?area={}",
            enc(&format!("{COMMUNITY}/佳纷天地"))
        ))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    let (st, one) = admin.get(&format!("/api/v1/reports/{jf_id}")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(one["members"][0]["person_id"], serde_json::Value::Null);
    assert_eq!(one["conflict"], false);
    assert!(
        one["members"][0]["id_number"]
            .as_str()
            .unwrap()
            .contains('*')
    );
    let (st, acc, _) = admin
        .send("POST", &format!("/api/v1/reports/{jf_id}/accept"), None)
        .await;
    assert_eq!(
        (st, acc["status"].as_str()),
        (StatusCode::OK, Some("accepted")),
        "{acc}"
    );
    let pid = acc["person_ids"][0].as_i64().unwrap();
    let (_, person) = admin.get(&format!("/api/v1/persons/{pid}")).await;
    assert!(person["tags"].to_string().contains("赋码"), "{person}");
    let (st, again, _) = admin
        .send("POST", &format!("/api/v1/reports/{jf_id}/accept"), None)
        .await;
    assert_eq!(
        (st, again["error"].as_str()),
        (StatusCode::CONFLICT, Some("report_already_reviewed"))
    );

    let qt_ids: Vec<i64> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    let (st, rej, _) = worker
        .send(
            "POST",
            &format!("/api/v1/reports/{}/reject", qt_ids[0]),
            Some(json!({"reason": "非本小区住户"})),
        )
        .await;
    assert_eq!(
        (st, rej["status"].as_str()),
        (StatusCode::OK, Some("rejected"))
    );
    let (st, bulk, _) = worker
        .send("POST", "/api/v1/reports/bulk-accept", Some(json!({})))
        .await;
    assert_eq!(
        (st, bulk["accepted"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{bulk}"
    );

    // Grid workers may not export; the admin exports the template, then only what is new.
    let uri = format!(
        "/api/v1/reports/export?area={}&format=csv&since_last=true",
        enc(COMMUNITY)
    );
    let (st, _) = worker.get(&uri).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let fetch = async |uri: &str| {
        let res = admin.request("GET", uri).await;
        (res.status, res.text)
    };
    let (st, csv) = fetch(&uri).await;
    assert_eq!(st, StatusCode::OK);
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("序号,姓名,性别,年龄,证件类型,证件号码,联系电话,现居住地址,报备类型,报备原因,来源地/风险场所"));
    assert_eq!(lines.len(), 3);
    assert!(
        lines[1].contains("陇海市场")
            && lines[1].contains("2022-10-18")
            && lines[1].contains("赋码人员报备")
    );
    let (_, csv) = fetch(&uri).await;
    assert_eq!(csv.trim_start_matches('\u{feff}').lines().count(), 1);
    let (_, audit) = admin.get("/api/v1/audit?action=reports.export").await;
    assert_eq!(audit["total"], 2);

    // Revoking the link closes the form.
    let link_id = link["id"].as_i64().unwrap();
    let (st, rv, _) = admin
        .send(
            "POST",
            &format!("/api/v1/report-links/{link_id}/revoke"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(rv["revoked_at"].is_string());
    let (st, _, _) = anon
        .send(
            "POST",
            &format!("/api/v1/public/reports/{token}"),
            Some(submit("k9", "佳纷天地", 9)),
        )
        .await;
    assert_eq!(st, StatusCode::GONE);
});

both_backends!(staff_pages_poster_queue_and_accept, async |db: &TestDb| {
    let app = TestApp::new(db);
    let store = db.store.as_ref();
    let c = doorstep_testkit::demo_community(store).await;
    let a = store
        .create_area(Some(&c.path), AreaKind::Compound, "佳纷天地")
        .await
        .unwrap();
    store
        .create_area(Some(&a.path), AreaKind::Building, "1号楼")
        .await
        .unwrap();
    user(store, "admin1", Role::CommunityAdmin, COMMUNITY).await;
    let mut admin = app.anon();
    admin.login("admin1").await;
    let token = admin.token.clone().unwrap();

    let (st, _, body) = app.get("/report-links").session(&token).await.parts();
    assert_eq!(st, StatusCode::OK);
    let body = String::from_utf8(body).unwrap();
    let marker = "name=\"csrf\" value=\"";
    let csrf = body[body.find(marker).unwrap() + marker.len()..]
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let form = format!(
        "csrf={csrf}&area={}&purpose=home_quarantine&expires_in_hours=&risk_places=",
        enc(COMMUNITY)
    );
    let (st, h, _) = app
        .post("/report-links")
        .session(&token)
        .body(FORM, form)
        .await
        .parts();
    assert_eq!(st, StatusCode::SEE_OTHER);
    let poster_uri = h[header::LOCATION].to_str().unwrap().to_string();
    let (st, _, body) = app.get(&poster_uri).session(&token).await.parts();
    let body = String::from_utf8(body).unwrap();
    assert_eq!(st, StatusCode::OK);
    assert!(
        body.contains("居家隔离人员报备")
            && body.contains("/static/poster.css")
            && body.contains("qr.svg")
    );
    let id = poster_uri.split('/').nth(2).unwrap();
    let (st, h, svg) = app
        .get(&format!("/report-links/{id}/qr.svg"))
        .session(&token)
        .await
        .parts();
    assert_eq!(
        (st, h[header::CONTENT_TYPE].to_str().unwrap()),
        (StatusCode::OK, "image/svg+xml")
    );
    assert!(String::from_utf8(svg).unwrap().contains("<svg"));
    let (_, _, png) = app
        .get(&format!("/report-links/{id}/qr.png"))
        .session(&token)
        .await
        .parts();
    assert_eq!(&png[..4], b"\x89PNG");
    let (_, _, css) = app.get("/static/poster.css").session(&token).await.parts();
    assert!(String::from_utf8(css).unwrap().contains("@media print"));

    let link = store.report_links(None).await.unwrap().remove(0);
    let anon = app.anon();
    let (st, v, _) = anon
        .send("POST", &format!("/api/v1/public/reports/{}", link.token), Some(json!({
            "idempotency_key": "p1", "address": {"compound": "佳纷天地", "building": "1", "room": "301"},
            "members": [{"name": "孙七", "id_number": doorstep_testkit::id(5, false)}],
            "answers": {"symptoms": "咳嗽", "temperature": "37.2", "notified_by": "街道办"}})))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let rid_ = v["report_id"].as_i64().unwrap();
    let (st, _, body) = app.get("/reports").session(&token).await.parts();
    assert_eq!(st, StatusCode::OK);
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("佳纷天地1号楼301")
    );
    let (st, _, body) = app
        .get(&format!("/reports/{rid_}"))
        .session(&token)
        .await
        .parts();
    assert_eq!(st, StatusCode::OK);
    let body = String::from_utf8(body).unwrap();
    assert!(body.contains("孙七"));
    // The answers as the form asked them, in its order, never the stored keys.
    let asked = ["通知居家隔离的单位或人员", "症状", "体温（℃）"].map(|q| body.find(q));
    assert!(
        asked.iter().all(Option::is_some) && asked.is_sorted(),
        "{asked:?}"
    );
    for key in ["notified_by", "symptoms", "temperature"] {
        assert!(!body.contains(&format!(">{key}<")), "raw key {key} shown");
    }
    let (st, _, _) = app
        .post(&format!("/reports/{rid_}/accept"))
        .session(&token)
        .body(FORM, format!("csrf={csrf}"))
        .await
        .parts();
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(
        store.report(rid_).await.unwrap().unwrap().status,
        doorstep_store::ReportStatus::Accepted
    );
    // A cross-site link or form (the browser sends the session cookie, not the CSRF token)
    // exports nothing and marks nothing as sent up.
    let area = AreaPath::parse(COMMUNITY).unwrap();
    let query = format!("area={}&since_last=1&format=xlsx", enc(COMMUNITY));
    let (st, _, _) = app
        .get(&format!("/reports/export?{query}"))
        .session(&token)
        .await
        .parts();
    assert_eq!(st, StatusCode::METHOD_NOT_ALLOWED);
    for forged in [query.clone(), format!("{query}&csrf=not-the-token")] {
        let (st, _, _) = app
            .post("/reports/export")
            .session(&token)
            .body(FORM, forged)
            .await
            .parts();
        assert_eq!(st, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        store.reports_for_export(&area, true).await.unwrap().len(),
        1
    );
    // The queue's own form posts its token.
    let (_, _, body) = app.get("/reports").session(&token).await.parts();
    let body = String::from_utf8(body).unwrap();
    assert!(body.contains("<form method=\"post\" action=\"/reports/export\""));
    let (st, h, _) = app
        .post("/reports/export")
        .session(&token)
        .body(FORM, format!("{query}&csrf={csrf}"))
        .await
        .parts();
    assert_eq!(st, StatusCode::OK);
    assert!(
        h[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(
        store
            .reports_for_export(&area, true)
            .await
            .unwrap()
            .is_empty()
    );
});

both_backends!(merge_members_via_api_and_page, async |db: &TestDb| {
    let app = TestApp::new(db);
    let store = db.store.as_ref();
    let admin = staff(&app).await;
    let mut worker = app.anon();
    worker.login("w-qt").await;
    let (st, link, _) = admin
        .send(
            "POST",
            "/api/v1/report-links",
            Some(json!({"area": COMMUNITY, "purpose": "returnee"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{link}");
    let token = link["token"].as_str().unwrap().to_string();
    let anon = app.anon();
    let submit = |key: &str, compound: &str, room: &str, members: serde_json::Value| {
        json!({"idempotency_key": key,
               "address": {"compound": compound, "building": "1", "room": room},
               "members": members,
               "answers": {"from_place": "上海", "date": "2022-10-18"}})
    };
    let send = async |body: serde_json::Value| {
        let (st, v, _) = anon
            .send(
                "POST",
                &format!("/api/v1/public/reports/{token}"),
                Some(body),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        v["report_id"].as_i64().unwrap()
    };

    // Two files in 佳纷天地 from an accepted report.
    let first = send(submit(
        "k1",
        "佳纷天地",
        "101",
        json!([{"name": "赵六", "id_number": id(1, false), "phone": "13800000001", "relation": "户主"},
               {"name": "钱七", "id_number": id(2, false), "relation": "配偶"}]),
    ))
    .await;
    let (st, acc, _) = admin
        .send("POST", &format!("/api/v1/reports/{first}/accept"), None)
        .await;
    assert_eq!(st, StatusCode::OK, "{acc}");
    let (p1, p2) = (
        acc["person_ids"][0].as_i64().unwrap(),
        acc["person_ids"][1].as_i64().unwrap(),
    );

    // They move to 102 and mistype both ID numbers.
    let second = send(submit(
        "k2",
        "佳纷天地",
        "102",
        json!([{"name": "赵六", "id_number": id(11, false), "phone": "13900000002", "relation": "户主"},
               {"name": "钱七", "id_number": id(12, false), "relation": "配偶"}]),
    ))
    .await;
    // A report in 钱塘衣城: its worker may not merge into a file in 佳纷天地 (404).
    let third = send(submit(
        "k3",
        "钱塘衣城",
        "201",
        json!([{"name": "赵六", "id_number": id(13, false), "relation": "户主"}]),
    ))
    .await;
    let merge = |id: i64| format!("/api/v1/reports/{id}/merge");
    let (st, _, _) = worker
        .send(
            "POST",
            &merge(third),
            Some(json!({"member": 0, "person_id": p1})),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _, _) = worker
        .send(
            "POST",
            &merge(second),
            Some(json!({"member": 0, "person_id": p1})),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    let (st, one, _) = admin
        .send(
            "POST",
            &merge(second),
            Some(json!({"member": 0, "person_id": p1})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{one}");
    assert_eq!(one["status"], "pending");
    assert_eq!(one["members"][0]["merged_into"], p1);
    assert_eq!(one["members"][1]["merged_into"], serde_json::Value::Null);
    let (st, again, _) = admin
        .send(
            "POST",
            &merge(second),
            Some(json!({"member": 0, "person_id": p1})),
        )
        .await;
    assert_eq!(
        (st, again["error"].as_str()),
        (StatusCode::CONFLICT, Some("report_member_decided"))
    );
    let (_, person) = admin.get(&format!("/api/v1/persons/{p1}")).await;
    assert_eq!(person["address"], "佳纷天地1号楼102", "{person}");
    assert!(person["tags"].to_string().contains("返郑"), "{person}");
    let file = store.person(p1).await.unwrap().unwrap();
    assert_eq!(file.fields.doc().number(), id(1, false));
    assert_eq!(file.fields.phone().unwrap().as_str(), "13900000002");
    assert_eq!(
        store
            .person_history(p1)
            .await
            .unwrap()
            .last()
            .unwrap()
            .source,
        "report"
    );

    // The page offers the form for the member left; posting it decides the report.
    let session = admin.token.clone().unwrap();
    let (st, _, body) = app
        .get(&format!("/reports/{second}"))
        .session(&session)
        .await
        .parts();
    assert_eq!(st, StatusCode::OK);
    let body = String::from_utf8(body).unwrap();
    assert!(body.contains("合并到已有人员") && body.contains(&format!("#{p1}")));
    assert!(body.contains(&format!("action=\"/reports/{second}/merge\"")));
    assert!(body.contains("/search?q="));
    let marker = "name=\"csrf\" value=\"";
    let csrf = body[body.find(marker).unwrap() + marker.len()..]
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let (st, h, _) = app
        .post(&format!("/reports/{second}/merge"))
        .session(&session)
        .body(FORM, format!("csrf={csrf}&member=1&person_id={p2}"))
        .await
        .parts();
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(
        h[header::LOCATION].to_str().unwrap(),
        format!("/reports/{second}")
    );
    let (_, done) = admin.get(&format!("/api/v1/reports/{second}")).await;
    assert_eq!(done["status"], "accepted", "{done}");
    assert_eq!(done["person_ids"], json!([p1, p2]));
    let p2file = store.person(p2).await.unwrap().unwrap();
    assert_eq!(p2file.household_id, file.household_id);

    // Audited, and in the OpenAPI document.
    let (_, audit) = admin.get("/api/v1/audit?action=report.merge").await;
    assert_eq!(audit["total"], 2, "{audit}");
    let (_, doc) = admin.get("/api/openapi.json").await;
    let op = &doc["paths"]["/api/v1/reports/{id}/merge"]["post"];
    assert!(op["requestBody"].is_object(), "{}", doc["paths"]);
});
