//! 代报, on SQLite and on PostgreSQL: a worker files a household's report on its behalf from
//! the household (API and page), marked with the worker's name in the queue and the export,
//! audited, idempotent, and refused outside the worker's area or to roles without it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

fn form<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

use axum::http::StatusCode;
use doorstep_core::{DocType, Purpose, Role};
use doorstep_testkit::{
    COMMUNITY, TestApp, TestDb, both_backends, csv_file, enc, hidden, id, import_into, report_link,
    two_compounds, user,
};
use serde_json::json;

/// 佳纷天地1号楼101 with two registered members, 钱塘衣城1号楼101 with one; a risk-visit link
/// for the community. Returns the two households' ids.
async fn setup(app: &TestApp) -> (i64, i64) {
    let store = app.store();
    two_compounds(store).await;
    let dir = tempfile::tempdir().unwrap();
    let f = csv_file(
        dir.path(),
        "r.csv",
        &format!(
            "姓名,证件号码,联系电话,小区,楼栋,单元,房号,与户主关系\n\
             张奶奶,{},13800000001,佳纷天地,1,,101,户主\n\
             李爷爷,{},,佳纷天地,1,,101,配偶\n\
             王某,{},13800000003,钱塘衣城,1,,101,户主\n",
            id(1, false),
            id(2, true),
            id(3, true)
        ),
    );
    let r = import_into(store, &f, COMMUNITY).await;
    assert_eq!(r.rejected, 0, "{:?}", r.errors);
    report_link(store, COMMUNITY, Purpose::RiskVisit).await;
    let household = async |doc: String| {
        store
            .person_by_document(DocType::ResidentId, &doc)
            .await
            .unwrap()
            .unwrap()
            .household_id
    };
    user(store, "admin1", Role::CommunityAdmin, COMMUNITY).await;
    user(
        store,
        "vol1",
        Role::Volunteer,
        &format!("{COMMUNITY}/佳纷天地"),
    )
    .await;
    user(store, "viewer1", Role::Viewer, COMMUNITY).await;
    (household(id(1, false)).await, household(id(3, true)).await)
}

both_backends!(a_worker_files_a_households_report, async |db: &TestDb| {
    let app = TestApp::new(db);
    let (jf, qt) = setup(&app).await;
    let vol = app.login_api("vol1").await;

    let (st, links) = vol
        .get(&format!("/api/v1/households/{jf}/report-links"))
        .await;
    assert_eq!(
        (st, links["total"].as_i64()),
        (StatusCode::OK, Some(1)),
        "{links}"
    );
    let link_id = links["items"][0]["id"].as_i64().unwrap();
    let body = |key: &str, date: &str| {
        json!({"link_id": link_id, "idempotency_key": key,
               "answers": {"risk_place": "陇海市场", "date": date}})
    };
    let uri = format!("/api/v1/households/{jf}/reports");

    // A missing answer comes back at its field; nothing is stored.
    let (st, bad, _) = vol.send("POST", &uri, Some(body("ob-0", ""))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert!(bad.to_string().contains("answers.date"), "{bad}");

    // Every registered member by default, marked with the worker; a retry answers the same.
    let (st, made, _) = vol
        .send("POST", &uri, Some(body("ob-1", "2022-10-18")))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{made}");
    assert_eq!(made["filed_by"], "vol1");
    assert_eq!(made["member_count"], 2);
    assert_eq!(made["address"], "佳纷天地1号楼101");
    let (st, again, _) = vol
        .send("POST", &uri, Some(body("ob-1", "2022-10-18")))
        .await;
    assert_eq!((st, &again["id"]), (StatusCode::OK, &made["id"]));
    let (st, reused, _) = vol
        .send("POST", &uri, Some(body("ob-1", "2022-10-19")))
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(reused["error"], "idempotency_key_reused");

    // Someone of another household cannot be slipped in; only the typed member, when asked.
    let other = app
        .store()
        .household_members(qt)
        .await
        .unwrap()
        .remove(0)
        .id;
    let mut b = body("ob-2", "2022-10-18");
    b["person_ids"] = json!([other]);
    let (st, bad, _) = vol.send("POST", &uri, Some(b)).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.to_string().contains("person_ids[0]"), "{bad}");
    let mut b = body("ob-3", "2022-10-18");
    b["person_ids"] = json!([]);
    b["members"] = json!([{"name": "小孙子", "id_number": id(9, true), "relation": "孙子"}]);
    let (st, typed, _) = vol.send("POST", &uri, Some(b)).await;
    assert_eq!(
        (st, typed["member_count"].as_i64()),
        (StatusCode::CREATED, Some(1)),
        "{typed}"
    );

    // Outside the volunteer's compound: not found; a viewer may read but not file.
    let (st, _, _) = vol
        .send(
            "POST",
            &format!("/api/v1/households/{qt}/reports"),
            Some(body("ob-4", "2022-10-18")),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = vol
        .get(&format!("/api/v1/households/{qt}/report-links"))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let viewer = app.login_api("viewer1").await;
    let (st, _, _) = viewer
        .send("POST", &uri, Some(body("ob-5", "2022-10-18")))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // The reviewer sees who filed it; accepted, the export's 备注 says so; the filing is audited.
    let admin = app.login_api("admin1").await;
    let (_, queue) = admin.get("/api/v1/reports?status=pending").await;
    assert_eq!(queue["total"], 2);
    assert!(
        queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["filed_by"] == "vol1")
    );
    let rid = made["id"].as_i64().unwrap();
    let (st, _, _) = admin
        .send("POST", &format!("/api/v1/reports/{rid}/accept"), None)
        .await;
    assert_eq!(st, StatusCode::OK);
    let res = admin
        .request(
            "GET",
            &format!("/api/v1/reports/export?area={}&format=csv", enc(COMMUNITY)),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let rows: Vec<&str> = res.text.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{}", res.text);
    assert!(
        rows.iter().all(|r| r.contains("工作人员vol1代报")),
        "{}",
        res.text
    );
    let (_, audit) = admin
        .get("/api/v1/audit?action=report.file_on_behalf")
        .await;
    assert_eq!(audit["total"], 2, "{audit}");

    // A closed link takes no more.
    let (st, _, _) = admin
        .send(
            "POST",
            &format!("/api/v1/report-links/{link_id}/revoke"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, closed, _) = vol
        .send("POST", &uri, Some(body("ob-6", "2022-10-18")))
        .await;
    assert_eq!(
        (st, closed["error"].as_str()),
        (StatusCode::CONFLICT, Some("report_link_closed"))
    );
});

both_backends!(
    the_household_page_files_for_the_household,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        let (jf, qt) = setup(&app).await;
        let mut b = app.browser();
        b.login("vol1").await;

        let home = b.get(&format!("/households/{jf}")).await;
        assert!(
            home.text
                .contains(&format!("href=\"/households/{jf}/report\"")),
            "{}",
            home.text
        );
        let page = b.get(&format!("/households/{jf}/report")).await;
        assert_eq!(page.status, StatusCode::OK);
        // One open link: straight to the form; members ticked and masked.
        assert!(page.text.contains("张奶奶") && page.text.contains("李爷爷"));
        assert!(
            !page.text.contains(&id(1, false)),
            "a full ID number on the page"
        );
        assert_eq!(page.text.matches("name=\"person\"").count(), 2);
        assert!(page.text.contains("到访的风险场所"), "{}", page.text);
        let csrf = hidden(&page.text, "csrf");
        let link = hidden(&page.text, "link");
        let key = hidden(&page.text, "idempotency_key");
        let persons: Vec<String> = app
            .store()
            .household_members(jf)
            .await
            .unwrap()
            .iter()
            .map(|p| p.id.to_string())
            .collect();
        let post = |date: &'static str| {
            vec![
                ("csrf", csrf.clone()),
                ("link", link.clone()),
                ("idempotency_key", key.clone()),
                ("person", persons[0].clone()),
                ("a_risk_place", "陇海市场".to_string()),
                ("a_date", date.to_string()),
            ]
        };

        // A missing date: the summary links to the field, the choices are kept.
        let pairs = post("");
        let refused = b
            .post_form(&format!("/households/{jf}/report"), &form(&pairs))
            .await;
        assert_eq!(refused.status, StatusCode::OK);
        assert!(
            refused.text.contains("href=\"#f-a_date\""),
            "{}",
            refused.text
        );
        assert!(refused.text.contains("aria-invalid=\"true\""));
        assert_eq!(
            refused.text.matches(" checked>").count(),
            1,
            "one member kept ticked"
        );
        let pairs = post("2022-10-18");
        let done = b
            .post_form(&format!("/households/{jf}/report"), &form(&pairs))
            .await;
        assert_eq!(done.status, StatusCode::OK);
        assert!(done.text.contains("已代报"), "{}", done.text);
        let stored = app
            .store()
            .reports(&doorstep_store::ReportQuery {
                area: None,
                status: None,
                submitted: None,
                page: doorstep_store::PageRequest {
                    limit: 10,
                    offset: 0,
                },
            })
            .await
            .unwrap();
        assert_eq!(stored.total, 1);
        assert_eq!(stored.items[0].filed_by.as_deref(), Some("vol1"));
        assert_eq!(stored.items[0].members.as_array().unwrap().len(), 1);
        // Sent again (a double tap, a reload): still one report.
        let again = b
            .post_form(&format!("/households/{jf}/report"), &form(&pairs))
            .await;
        assert!(again.text.contains("已代报"));

        // Another compound's household: not found.
        let res = b.get(&format!("/households/{qt}/report")).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
    }
);
