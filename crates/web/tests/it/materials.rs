//! Sampling points and their materials, on SQLite and on PostgreSQL: points made by the
//! community (names unique, places inside the round, staff who are users), batches handed
//! out by the transport group (a range, a list, swabs counted; bad ranges refused at their
//! field), a scan at the sampler's own point warned when its tube is outside the point's
//! batches (and recorded all the same), the day reconciled and running low, the pages, and
//! a sampler elsewhere and a volunteer who find nothing or may not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_core::Role;
use doorstep_testkit::{
    Browser, COMMUNITY, TestApp, TestDb, both_backends, csv_file, hidden, id, import_into,
    two_compounds, user,
};
use serde_json::{Value, json};

fn pid(n: u16) -> String {
    id(n, n % 2 == 1)
}

/// Four persons in 佳纷天地, one in 钱塘衣城; an open round of the community (pool 5); users
/// admin1, s-jf and s-qt (samplers of each compound), t1 (transporter) and v1 (volunteer).
async fn setup(app: &TestApp) -> i64 {
    let store = app.store();
    two_compounds(store).await;
    let dir = tempfile::tempdir().unwrap();
    let mut rows = String::from("姓名,证件号码,小区,楼栋,单元,房号\n");
    for n in 1..=4u16 {
        rows += &format!("人{n},{},佳纷天地,1,,{}01\n", pid(n), n);
    }
    rows += &format!("丁一,{},钱塘衣城,1,,101\n", pid(20));
    let f = csv_file(dir.path(), "r.csv", &rows);
    assert_eq!(import_into(store, &f, COMMUNITY).await.rejected, 0);
    user(store, "admin1", Role::CommunityAdmin, COMMUNITY).await;
    user(
        store,
        "s-jf",
        Role::Sampler,
        &format!("{COMMUNITY}/佳纷天地"),
    )
    .await;
    user(
        store,
        "s-qt",
        Role::Sampler,
        &format!("{COMMUNITY}/钱塘衣城"),
    )
    .await;
    user(store, "t1", Role::Transporter, COMMUNITY).await;
    user(store, "v1", Role::Volunteer, COMMUNITY).await;
    let admin = app.login_api("admin1").await;
    let (st, r, _) = admin
        .send(
            "POST",
            "/api/v1/rounds",
            Some(json!({"area": COMMUNITY, "name": "第8轮", "pool_size": 5})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let rid = r["id"].as_i64().unwrap();
    let (st, _, _) = admin
        .send(
            "POST",
            &format!("/api/v1/rounds/{rid}/status"),
            Some(json!({"status": "open"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    rid
}

fn fields(v: &Value) -> Vec<(String, String)> {
    v["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["path"].as_str().unwrap().to_string(),
                        f["code"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn ledger<'a>(m: &'a Value, kind: &str) -> &'a Value {
    m["ledgers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == kind)
        .unwrap()
}

both_backends!(
    points_materials_and_the_scan_warning,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        let rid = setup(&app).await;
        let admin = app.login_api("admin1").await;
        let points = format!("/api/v1/rounds/{rid}/points");
        let jf = format!("{COMMUNITY}/佳纷天地");

        // Points: made by the community, named once per round, placed inside the round, staffed
        // by users.
        let (st, p, _) = admin
            .send(
                "POST",
                &points,
                Some(json!({"name": "佳纷天地东门", "place": jf, "staff": ["s-jf"]})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{p}");
        let point = p["id"].as_i64().unwrap();
        assert_eq!(p["staff"], json!(["s-jf"]));
        let (st, v, _) = admin
            .send(
                "POST",
                &points,
                Some(json!({"name": "佳纷天地东门", "place": jf})),
            )
            .await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("point_name_unique"))
        );
        let (st, v, _) = admin
            .send(
                "POST",
                &points,
                Some(json!({"name": "外面", "place": "二七区/别处", "staff": ["nobody"]})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(
            fields(&v),
            vec![
                ("place".into(), "address_outside_area".into()),
                ("staff[0]".into(), "choice_invalid".into())
            ]
        );
        let s_jf = app.login_api("s-jf").await;
        let (st, _, _) = s_jf
            .send(
                "POST",
                &points,
                Some(json!({"name": "自己的", "place": jf})),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);

        // Materials: the transport group hands out a range of tubes, a list of boxes, swabs.
        let t1 = app.login_api("t1").await;
        let batches = format!("{points}/{point}/batches");
        let (st, b, _) = t1
            .send(
                "POST",
                &batches,
                Some(json!({"kind": "tube", "range": "T0001-T0010"})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        assert_eq!(
            (b["quantity"].as_i64(), b["codes"].as_str()),
            (Some(10), Some("T0001–T0010"))
        );
        let (st, b, _) = t1
            .send(
                "POST",
                &batches,
                Some(json!({"kind": "box", "codes": ["box-02", "BOX-01", "BOX-02"]})),
            )
            .await;
        assert_eq!(
            (st, b["quantity"].as_i64()),
            (StatusCode::CREATED, Some(2)),
            "{b}"
        );
        let (st, _, _) = t1
            .send(
                "POST",
                &batches,
                Some(json!({"kind": "swab", "quantity": 20})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED);
        let (st, v, _) = t1
            .send(
                "POST",
                &batches,
                Some(json!({"kind": "tube", "range": "T0010-T0001"})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            fields(&v),
            vec![("range".into(), "code_range_invalid".into())]
        );
        let (st, v, _) = t1
            .send(
                "POST",
                &batches,
                Some(json!({"kind": "box", "codes": ["B1", "BOX-9"]})),
            )
            .await;
        assert_eq!(
            fields(&v),
            vec![("codes[0]".into(), "tube_code_invalid".into())],
            "{st}"
        );

        // Scans at the sampler's own point (staff of exactly one): a tube of the batch is
        // silent, one outside is recorded with a warning; a point of no such id is refused.
        let scans = format!("/api/v1/rounds/{rid}/scans");
        let (st, v, _) = s_jf
            .send(
                "POST",
                &scans,
                Some(json!({"client_id": "a1", "tube": "T0001", "person": {"id_number": pid(1)}})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        assert_eq!(v["point"], point);
        assert!(v.get("warnings").is_none(), "{v}");
        let (st, v, _) = s_jf
            .send(
                "POST",
                &scans,
                Some(json!({"client_id": "a2", "tube": "X9999", "person": {"id_number": pid(2)}})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        assert_eq!(v["warnings"], json!(["tube_outside_batch"]));
        let (st, v, _) = s_jf
        .send(
            "POST",
            &format!("{scans}/batch"),
            Some(json!({"scans": [
                {"client_id": "a3", "tube": "X9999", "person": {"id_number": pid(3)}, "point": point},
                {"client_id": "a4", "tube": "T0001", "person": {"id_number": pid(4)}, "point": 999999}]})),
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["results"][0]["status"], 201);
        assert_eq!(
            v["results"][0]["scan"]["warnings"],
            json!(["tube_outside_batch"])
        );
        assert_eq!(v["results"][1]["status"], 422);
        assert_eq!(v["results"][1]["error"]["fields"][0]["path"], "point");

        // The day: 10 tube codes, 1 in use (X9999 is no code of the batch), low under 20; swabs
        // by persons in the batch's tubes; boxes untouched.
        let (st, m) = t1.get(&format!("{points}/{point}/materials")).await;
        assert_eq!(st, StatusCode::OK, "{m}");
        let tube = ledger(&m, "tube");
        assert_eq!(
            (
                tube["issued"].as_i64(),
                tube["used"].as_i64(),
                tube["remaining"].as_i64()
            ),
            (Some(10), Some(1), Some(9))
        );
        assert_eq!(
            (tube["low"].as_bool(), tube["threshold"].as_i64()),
            (Some(true), Some(20))
        );
        assert_eq!(ledger(&m, "swab")["used"], 1);
        assert_eq!(
            (
                ledger(&m, "box")["issued"].as_i64(),
                ledger(&m, "box")["used"].as_i64()
            ),
            (Some(2), Some(0))
        );
        assert_eq!(m["low"], true);
        assert_eq!(m["batches"].as_array().unwrap().len(), 3);
        // Returned and spoiled: the tubes balance; the answer is the day after the change.
        let (st, m, _) = t1
            .send(
                "PUT",
                &format!("{points}/{point}/counts"),
                Some(json!({"kind": "tube", "returned": 5, "spoiled": 4})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{m}");
        assert_eq!(
            (
                ledger(&m, "tube")["balanced"].as_bool(),
                ledger(&m, "tube")["remaining"].as_i64()
            ),
            (Some(true), Some(0))
        );
        assert_eq!(ledger(&m, "box")["balanced"], false);
        let (st, v, _) = t1
            .send(
                "PUT",
                &format!("{points}/{point}/counts"),
                Some(json!({"kind": "glove", "returned": -1})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            fields(&v),
            vec![
                ("kind".into(), "choice_invalid".into()),
                ("returned".into(), "quantity_invalid".into())
            ]
        );
        // The transport group's list of every point.
        let (st, all) = t1.get(&format!("/api/v1/rounds/{rid}/materials")).await;
        assert_eq!(
            (st, all["total"].as_i64()),
            (StatusCode::OK, Some(1)),
            "{all}"
        );
        let (st, v) = t1
            .get(&format!("/api/v1/rounds/{rid}/materials?day=2026-02-30"))
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

        // Edits: the community renames and restaffs; the transport group may not.
        let (st, v, _) = admin
            .send(
                "PUT",
                &format!("{points}/{point}"),
                Some(json!({"name": "佳纷天地1号门", "place": jf, "staff": ["s-jf", "s-qt"]})),
            )
            .await;
        assert_eq!(
            (st, v["name"].as_str()),
            (StatusCode::OK, Some("佳纷天地1号门")),
            "{v}"
        );
        let (st, _, _) = t1
            .send(
                "PUT",
                &format!("{points}/{point}"),
                Some(json!({"name": "x", "place": jf})),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);

        // A sampler of the other compound finds no point here; a volunteer may not look.
        let s_qt = app.login_api("s-qt").await;
        let (st, _) = s_qt.get(&format!("{points}/{point}/materials")).await;
        assert_eq!(st, StatusCode::OK, "s-qt is staff of the point now");
        let (_, v, _) = admin
            .send(
                "PUT",
                &format!("{points}/{point}"),
                Some(json!({"name": "佳纷天地1号门", "place": jf, "staff": ["s-jf"]})),
            )
            .await;
        assert_eq!(v["staff"], json!(["s-jf"]));
        let (st, _) = s_qt.get(&format!("{points}/{point}")).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _) = s_qt.get(&format!("{points}/{point}/materials")).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, v) = s_qt.get(&points).await;
        assert_eq!((st, v["total"].as_i64()), (StatusCode::OK, Some(0)));
        let (st, _, _) = s_qt
            .send(
                "POST",
                &batches,
                Some(json!({"kind": "swab", "quantity": 5})),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let v1 = app.login_api("v1").await;
        let (st, _) = v1.get(&points).await;
        assert_eq!(st, StatusCode::FORBIDDEN);

        // Every change is audited.
        let (_, audit) = admin.get("/api/v1/audit?action=point.materials").await;
        assert!(audit.to_string().contains("point.materials"), "{audit}");
    }
);

both_backends!(materials_pages, async |db: &TestDb| {
    let app = TestApp::new(db);
    let rid = setup(&app).await;
    let mut b = app.browser();
    b.login("admin1").await;
    let csrf = b.csrf().await;
    let jf = format!("{COMMUNITY}/佳纷天地");
    // The round page links to its points.
    let page = b.get(&format!("/rounds/{rid}")).await;
    assert!(
        page.text.contains(&format!("/rounds/{rid}/points")),
        "{}",
        page.text
    );
    let res = b
        .post_form(
            &format!("/rounds/{rid}/points"),
            &[
                ("csrf", &csrf),
                ("name", "东门"),
                ("place", &jf),
                ("staff", "s-jf"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let href = res.location.clone().unwrap();
    let point = b.get(&href).await;
    assert_eq!(point.status, StatusCode::OK);
    assert!(point.text.contains("东门"));
    // A bad range comes back at its field, in the page's language.
    let res = b
        .post_form(
            &format!("{href}/batches"),
            &[("csrf", &csrf), ("kind", "tube"), ("codes", "T0009-T0001")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text.contains("号段"), "{}", res.text);
    let res = b
        .post_form(
            &format!("{href}/batches"),
            &[("csrf", &csrf), ("kind", "tube"), ("codes", "T0001-T0100")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    let point = b.get(&href).await;
    assert!(point.text.contains("T0001–T0100"), "{}", point.text);
    // The list and the transport group's page.
    let list = b.get(&format!("/rounds/{rid}/points")).await;
    assert!(list.text.contains("东门"));
    let all = b.get(&format!("/rounds/{rid}/materials")).await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.text.contains("东门"));
    // A form without the session's token changes nothing.
    let res = b
        .post_form(
            &format!("{href}/counts"),
            &[("kind", "tube"), ("returned", "1")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // The sampler's page offers the point, chosen already for its one staff member.
    let mut s = app.browser();
    s.login("s-jf").await;
    let page = s.get(&format!("/rounds/{rid}/sample")).await;
    assert!(page.text.contains("东门"), "{}", page.text);
    let point_id = href.rsplit('/').next().unwrap().to_string();
    assert!(
        page.text
            .contains(&format!("<option value=\"{point_id}\" selected>")),
        "{}",
        page.text
    );
    // Without script: a tube of the batch scans silently, one outside it is recorded with
    // the warning, in Chinese and in English.
    let post = async |s: &mut Browser, tube: &str, n: u16, client: &str| {
        let page = s.get(&format!("/rounds/{rid}/sample")).await;
        let csrf = hidden(&page.text, "csrf");
        s.post_form(
            &format!("/rounds/{rid}/sample"),
            &[
                ("csrf", &csrf),
                ("client_id", client),
                ("tube", tube),
                ("person", &pid(n)),
                ("point", &point_id),
            ],
        )
        .await
    };
    let res = post(&mut s, "T0005", 1, "n1").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        !res.text.contains("<p class=\"note\">该试管码"),
        "{}",
        res.text
    );
    let res = post(&mut s, "Q0005", 2, "n2").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.text
            .contains("<p class=\"note\">该试管码不在本采样点领取的号段内"),
        "{}",
        res.text
    );
    s.lang = "en";
    s.cookies.insert("lang".into(), "en".into());
    let res = post(&mut s, "Q0006", 3, "n3").await;
    assert!(
        res.text
            .contains("This tube code is not in the batches issued to this point"),
        "{}",
        res.text
    );
});
