//! Export templates (报表模板), on SQLite and on PostgreSQL: a street admin makes a template
//! (unknown fields and bad mappings refused per column), its communities export with it as CSV
//! and XLSX with the mapped values cell by cell; a grid worker may not export (403), another
//! community finds nothing of this one's (404); the built-in 18-column direct report; a
//! template file round trip; the audit entries.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_core::Role;
use doorstep_store::AuditQuery;
use doorstep_testkit::{COMMUNITY, TestApp, TestDb, both_backends, csv_file, enc, id, import};
use serde_json::{Value, json};

const STREET: &str = "二七区/京广路街道";
const OTHER: &str = doorstep_testkit::NEIGHBOUR;

/// The rows of a CSV answer, BOM and header included.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    r.records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// The rows of an XLSX answer, header included, through the roster reader.
fn xlsx_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.xlsx");
    std::fs::write(&path, bytes).unwrap();
    let mut back =
        doorstep_app::import::reader::RosterReader::<doorstep_core::lists::ListField>::open(&path)
            .unwrap();
    let mut rows = vec![back.headers.clone()];
    while let Some(row) = back.next_row() {
        rows.push(row.unwrap().0.cells.iter().map(|c| c.text()).collect());
    }
    rows
}

fn street_template() -> Value {
    json!({"area": STREET, "name": "卫健委格式", "kind": "persons", "columns": [
        {"header": "XM", "field": "name"},
        {"header": "XB", "field": "sex", "map": "男=1; 女=2"},
        {"header": "SFZH", "field": "id_number"},
        {"header": "CSRQ", "field": "birth_date", "map": "YYYYMMDD"},
        {"header": "", "field": "community"},
        {"header": "是否本小区", "field": "compound", "map": "佳纷天地=是"}
    ]})
}

both_backends!(
    templates_export_any_area_in_any_format,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        let store = app.store();
        doorstep_testkit::demo_community(store).await;
        doorstep_testkit::neighbour_community(store).await;
        let dir = tempfile::tempdir().unwrap();
        let (zhang, li) = (id(1, true), id(2, false));
        let roster = csv_file(
            dir.path(),
            "r.csv",
            &format!(
                "姓名,证件号码,联系电话,小区,楼栋,单元,房号\n张三,{zhang},13800138000,佳纷天地,1号楼,,101\n\
             李四,{li},,钱塘衣城,1号楼,,102\n"
            ),
        );
        assert_eq!(import(store, &roster).await.rejected, 0);
        app.user("sa", Role::StreetAdmin, STREET).await;
        app.user("ca", Role::CommunityAdmin, COMMUNITY).await;
        app.user("gw", Role::GridWorker, COMMUNITY).await;
        app.user("xf", Role::CommunityAdmin, OTHER).await;
        let (sa, ca) = (app.login_api("sa").await, app.login_api("ca").await);

        // Unknown fields and bad mappings are refused at their column, in the caller's words.
        let mut bad = street_template();
        bad["columns"][0]["field"] = json!("shoe_size");
        bad["columns"][1]["map"] = json!("男1");
        bad["columns"][2]["map"] = json!("YYYYMMDD");
        let (st, v, _) = sa.send("POST", "/api/v1/templates", Some(bad)).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let fields: Vec<(&str, &str)> = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["path"].as_str().unwrap(), f["code"].as_str().unwrap()))
            .collect();
        assert_eq!(
            fields,
            [
                ("columns[1].field", "template_field"),
                ("columns[2].map", "template_mapping"),
                ("columns[3].map", "template_date_format")
            ]
        );

        // The street keeps the template; its community uses it but may not change it.
        let (st, made, _) = sa
            .send("POST", "/api/v1/templates", Some(street_template()))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{made}");
        let tid = made["id"].as_i64().unwrap();
        let (st, v, _) = sa
            .send("POST", "/api/v1/templates", Some(street_template()))
            .await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("template_name_unique"))
        );
        let (st, list) = ca.get("/api/v1/templates").await;
        assert_eq!(st, StatusCode::OK);
        let names: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["上级直报", "卫健委格式"]);
        assert_eq!(list["items"][1]["editable"], false);
        let (st, _, _) = ca
            .send(
                "PUT",
                &format!("/api/v1/templates/{tid}"),
                Some(street_template()),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);

        // CSV, cell by cell: mapped sex, whole ID number, compact birth date, the community.
        let uri = |format: &str| {
            format!(
                "/api/v1/exports/{tid}?area={}&format={format}",
                enc(COMMUNITY)
            )
        };
        let csv = ca.request("GET", &uri("csv")).await;
        assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
        let birth = |n: &str| n[6..14].to_string();
        let expected = vec![
            vec!["XM", "XB", "SFZH", "CSRQ", "所属社区", "是否本小区"]
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>(),
            vec![
                "张三".into(),
                "1".into(),
                zhang.clone(),
                birth(&zhang),
                "祥云社区".into(),
                "是".into(),
            ],
            vec![
                "李四".into(),
                "2".into(),
                li.clone(),
                birth(&li),
                "祥云社区".into(),
                "钱塘衣城".into(),
            ],
        ];
        assert_eq!(csv_rows(&csv.text), expected);
        // XLSX: the same cells, the ID numbers as text.
        let xlsx = ca.request("GET", &uri("xlsx")).await;
        assert_eq!(xlsx.status, StatusCode::OK);
        assert_eq!(xlsx_rows(&xlsx.bytes), expected);

        // A grid worker may not export (403); another community's admin reaches neither this
        // community (404) nor a template kept for it (404).
        let gw = app.login_api("gw").await;
        assert_eq!(
            gw.request("GET", &uri("csv")).await.status,
            StatusCode::FORBIDDEN
        );
        let xf = app.login_api("xf").await;
        assert_eq!(
            xf.request("GET", &uri("csv")).await.status,
            StatusCode::NOT_FOUND
        );
        let mut own = street_template();
        own["area"] = json!(COMMUNITY);
        own["name"] = json!("社区自用");
        let (st, own, _) = ca.send("POST", "/api/v1/templates", Some(own)).await;
        assert_eq!(st, StatusCode::CREATED, "{own}");
        let (st, _) = xf.get(&format!("/api/v1/templates/{}", own["id"])).await;
        assert_eq!(st, StatusCode::NOT_FOUND);

        // The built-in template: the direct report's 18 columns, exportable anywhere.
        let (_, builtin) = ca.get("/api/v1/templates/0").await;
        assert_eq!(builtin["columns"].as_array().unwrap().len(), 18);
        let r = ca
            .request(
                "GET",
                &format!(
                    "/api/v1/exports/上级直报?area={}&format=csv",
                    enc(COMMUNITY)
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            csv_rows(&r.text)[0].join(","),
            "序号,姓名,性别,年龄,证件类型,证件号码,联系电话,现居住地址,报备类型,报备原因,\
         来源地/风险场所,到达或接触日期,报备时间,所属社区,所属网格,网格员,网格员电话,备注"
        );
        let (st, v, _) = sa.send("DELETE", "/api/v1/templates/0", None).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("template_built_in"))
        );

        // Round trip: the street's file, imported by the community, is the same template.
        let file = sa
            .request("GET", &format!("/api/v1/templates/{tid}/file"))
            .await;
        assert_eq!(file.status, StatusCode::OK);
        let imported = ca
            .request(
                "POST",
                &format!("/api/v1/templates/import?area={}", enc(COMMUNITY)),
            )
            .body("application/json", file.bytes.clone())
            .send()
            .await;
        assert_eq!(imported.status, StatusCode::CREATED, "{}", imported.text);
        let imported = imported.json();
        assert_eq!(imported["columns"], made["columns"]);
        assert_eq!(imported["area"], COMMUNITY);
        let again = ca
            .request(
                "POST",
                &format!("/api/v1/templates/import?area={}", enc(COMMUNITY)),
            )
            .body("application/json", b"{\"name\": \"x\"}".to_vec())
            .send()
            .await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.text.contains("template_file"), "{}", again.text);
        // Writes outside the area (404) or without the permission (403) change nothing.
        let into_community = format!("/api/v1/templates/import?area={}", enc(COMMUNITY));
        for (who, want) in [(&xf, StatusCode::NOT_FOUND), (&gw, StatusCode::FORBIDDEN)] {
            let r = who
                .request("POST", &into_community)
                .body("application/json", file.bytes.clone())
                .send()
                .await;
            assert_eq!(r.status, want, "import: {}", r.text);
            let mut t = street_template();
            t["area"] = json!(COMMUNITY);
            let (st, v, _) = who.send("POST", "/api/v1/templates", Some(t)).await;
            assert_eq!(st, want, "create: {v}");
            let (st, v, _) = who
                .send(
                    "DELETE",
                    &format!("/api/v1/templates/{}", imported["id"]),
                    None,
                )
                .await;
            assert_eq!(st, want, "delete: {v}");
        }
        // The community's copy exports what the street's does.
        let copy = ca
            .request(
                "GET",
                &format!(
                    "/api/v1/exports/{}?area={}&format=csv",
                    imported["id"],
                    enc(COMMUNITY)
                ),
            )
            .await;
        assert_eq!(csv_rows(&copy.text), expected);

        // Audited: the making, the import, each export with its count.
        for (action, n) in [
            ("template.create", 2),
            ("template.import", 1),
            ("template.export", 4),
        ] {
            let entries = store
                .audit_entries(&AuditQuery {
                    action: Some(action.into()),
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(entries.items.len(), n, "{action}");
        }
        let exports = store
            .audit_entries(&AuditQuery {
                action: Some("template.export".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(
            exports
                .items
                .iter()
                .any(|e| e.details["rows"] == 2 && e.details["template"] == "卫健委格式"),
            "{:?}",
            exports.items.iter().map(|e| &e.details).collect::<Vec<_>>()
        );
    }
);

both_backends!(the_templates_page_makes_and_exports, async |db: &TestDb| {
    let app = TestApp::new(db);
    let store = app.store();
    doorstep_testkit::demo_community(store).await;
    let dir = tempfile::tempdir().unwrap();
    let roster = csv_file(
        dir.path(),
        "r.csv",
        &format!(
            "姓名,证件号码,小区,楼栋,单元,房号\n张三,{},佳纷天地,1号楼,,101\n",
            id(1, true)
        ),
    );
    assert_eq!(import(store, &roster).await.rejected, 0);
    app.user("ca", Role::CommunityAdmin, COMMUNITY).await;
    let mut b = app.browser();
    b.login("ca").await;
    let page = b.get("/templates").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("上级直报"), "{}", page.text);
    let form = b.get("/templates/new?kind=persons").await;
    assert!(form.text.contains("name=\"field_5\""), "{}", form.text);
    // The kind picker offers every kind; the fields offered follow the kind picked.
    for kind in ["test_results", "call_outcomes", "daily_figures"] {
        assert!(form.text.contains(&format!("value=\"{kind}\"")), "{kind}");
    }
    let results = b.get("/templates/new?kind=test_results").await;
    assert!(
        results.text.contains("value=\"tested_on\""),
        "{}",
        results.text
    );
    let daily = b.get("/templates/new?kind=daily_figures").await;
    assert!(
        daily.text.contains("value=\"home_quarantine.new\""),
        "{}",
        daily.text
    );
    let csrf = b.csrf().await;
    // A bad mapping comes back with the form and the reason.
    let refused = b
        .post_form(
            "/templates/new",
            &[
                ("csrf", &csrf),
                ("area", COMMUNITY),
                ("kind", "persons"),
                ("name", "民政"),
                ("header_1", "性别代码"),
                ("field_1", "sex"),
                ("map_1", "男"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("值对照应写成"), "{}", refused.text);
    let made = b
        .post_form(
            "/templates/new",
            &[
                ("csrf", &csrf),
                ("area", COMMUNITY),
                ("kind", "persons"),
                ("name", "民政"),
                ("header_1", "性别代码"),
                ("field_1", "sex"),
                ("map_1", "男=M;女=F"),
                ("header_2", ""),
                ("field_2", "name"),
                ("map_2", ""),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text);
    let (_, list) = app.login_api("ca").await.get("/api/v1/templates").await;
    let tid = list["items"][1]["id"].as_i64().unwrap();
    let csv = b
        .get(&format!(
            "/templates/{tid}/export?area={}&format=csv",
            enc(COMMUNITY)
        ))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(
        csv_rows(&csv.text),
        [vec!["性别代码", "姓名"], vec!["M", "张三"]]
    );
});

/// Makes a template through the API as `client`; its id.
async fn make(client: &doorstep_testkit::ApiClient, body: Value) -> i64 {
    let (st, v, _) = client.send("POST", "/api/v1/templates", Some(body)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

/// `GET /api/v1/exports/{tid}?area=…&format=csv` as `client`: status and rows.
async fn export_csv(
    client: &doorstep_testkit::ApiClient,
    tid: i64,
    area: &str,
) -> (StatusCode, Vec<Vec<String>>) {
    let r = client
        .request(
            "GET",
            &format!("/api/v1/exports/{tid}?area={}&format=csv", enc(area)),
        )
        .await;
    let rows = if r.status == StatusCode::OK {
        csv_rows(&r.text)
    } else {
        Vec::new()
    };
    (r.status, rows)
}

both_backends!(
    templates_export_test_results_and_daily_figures,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        let store = app.store();
        // 人1..人6 in 佳纷天地 1号楼; admin1 (community), s-jf (sampler), lab1 (district lab).
        crate::custody::six_persons_and_users(store).await;
        doorstep_testkit::neighbour_community(store).await;
        app.user("xf", Role::CommunityAdmin, OTHER).await;
        let admin = app.login_api("admin1").await;
        let (_, r, _) = admin
            .send(
                "POST",
                "/api/v1/rounds",
                Some(json!({"area": COMMUNITY, "name": "第5轮", "pool_size": 5})),
            )
            .await;
        let rid = r["id"].as_i64().unwrap();
        admin
            .send(
                "POST",
                &format!("/api/v1/rounds/{rid}/status"),
                Some(json!({"status": "open"})),
            )
            .await;
        // 人1 and 人2 in TUBE-A (boxed, handed to a lab, negative); 人3 in TUBE-B (no result).
        let s = app.login_api("s-jf").await;
        let r = format!("/api/v1/rounds/{rid}");
        for (n, tube) in [(1u16, "TUBE-A"), (2, "TUBE-A"), (3, "TUBE-B")] {
            let body = json!({"client_id": format!("c{n}"), "tube": tube,
                              "person": {"id_number": id(n, n % 2 == 1)}});
            let (st, v, _) = s.send("POST", &format!("{r}/scans"), Some(body)).await;
            assert_eq!(st, StatusCode::CREATED, "{v}");
        }
        for (uri, body) in [
            (format!("{r}/tubes/TUBE-A/close"), None),
            (format!("{r}/boxes"), Some(json!({"code": "BOX-001"}))),
            (
                format!("{r}/boxes/BOX-001/tubes"),
                Some(json!({"tube": "TUBE-A"})),
            ),
            (format!("{r}/boxes/BOX-001/seal"), None),
            (
                format!("{r}/boxes/BOX-001/handover"),
                Some(json!({"carrier": "转运员王", "lab": "金域检测"})),
            ),
        ] {
            let (st, v, _) = s.send("POST", &uri, body).await;
            assert!(st.is_success(), "{uri}: {v}");
        }
        let lab = app.login_api("lab1").await;
        let (st, v, _) = lab
            .send(
                "POST",
                "/api/v1/lab/boxes/BOX-001/receive",
                Some(json!({"tubes": 1})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let (st, v, _) = lab
            .send(
                "POST",
                "/api/v1/lab/results",
                Some(json!({"results": [
                    {"tube": "TUBE-A", "result": "阴性", "tested_at": "2026-12-01T09:30"}]})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");

        // Test results: one row per person sampled, mapped values and a compact day.
        let tid = make(
            &admin,
            json!({"area": COMMUNITY, "name": "检测结果上报", "kind": "test_results", "columns": [
                {"header": "XM", "field": "name"},
                {"header": "GM", "field": "tube"},
                {"header": "JG", "field": "result", "map": "阴性=0; 阳性=1; 待出结果=9"},
                {"header": "JCRQ", "field": "tested_on", "map": "YYYYMMDD"},
                {"header": "JCJG", "field": "lab"},
                {"header": "SFZH", "field": "id_number"},
                {"header": "FJ", "field": "retest", "map": "是=1; 否=0"},
                {"header": "", "field": "round"}
            ]}),
        )
        .await;
        let (st, rows) = export_csv(&admin, tid, COMMUNITY).await;
        assert_eq!(st, StatusCode::OK);
        let row = |name: &str, tube: &str, res: &str, day: &str, lab: &str, n: u16| {
            [name, tube, res, day, lab, &id(n, n % 2 == 1), "0", "第5轮"]
                .map(String::from)
                .to_vec()
        };
        assert_eq!(
            rows,
            [
                ["XM", "GM", "JG", "JCRQ", "JCJG", "SFZH", "FJ", "检测轮次"]
                    .map(String::from)
                    .to_vec(),
                row("人1", "TUBE-A", "0", "20261201", "金域检测", 1),
                row("人2", "TUBE-A", "0", "20261201", "金域检测", 2),
                row("人3", "TUBE-B", "9", "", "", 3),
            ]
        );
        // Only the samples under the area: the other compound has none.
        let (st, rows) = export_csv(&admin, tid, &format!("{COMMUNITY}/钱塘衣城")).await;
        assert_eq!((st, rows.len()), (StatusCode::OK, 1));
        // A sampler may not export, even in their own compound (403); another community's
        // admin reaches nothing (404).
        assert_eq!(
            export_csv(&s, tid, &format!("{COMMUNITY}/佳纷天地"))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        let xf = app.login_api("xf").await;
        assert_eq!(
            export_csv(&xf, tid, COMMUNITY).await.0,
            StatusCode::NOT_FOUND
        );

        // Daily figures: one row per community per day, the last fourteen days, today last.
        let (st, v, _) = admin
            .send(
                "POST",
                "/api/v1/daily-report/sign",
                Some(json!({"area": COMMUNITY, "day": ""})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let tid = make(
            &admin,
            json!({"area": COMMUNITY, "name": "日报表", "kind": "daily_figures", "columns": [
                {"header": "RQ", "field": "day", "map": "YYYY/MM/DD"},
                {"header": "SQ", "field": "community"},
                {"header": "RS", "field": "persons"},
                {"header": "HS", "field": "households"},
                {"header": "QS", "field": "signed_by"},
                {"header": "", "field": "coverage"}
            ]}),
        )
        .await;
        let (st, rows) = export_csv(&admin, tid, COMMUNITY).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(rows.len(), 15, "{rows:?}");
        assert_eq!(rows[0], ["RQ", "SQ", "RS", "HS", "QS", "本轮核酸覆盖率"]);
        let today = time::OffsetDateTime::now_utc()
            .to_offset(time::macros::offset!(+8))
            .date();
        let slash = |d: time::Date| d.to_string().replace('-', "/");
        assert_eq!(rows[1][0], slash(today - time::Duration::days(13)));
        assert_eq!(
            rows[14][..5],
            [
                slash(today),
                "祥云社区".into(),
                "6".into(),
                "6".into(),
                "admin1".into()
            ]
        );
        // Each day's figures are the daily report's for that day.
        let (_, report) = admin
            .get(&format!("/api/v1/daily-report?area={}", enc(COMMUNITY)))
            .await;
        assert_eq!(report["total"]["persons"], 6, "{report}");
        assert_eq!(rows[13][4], "", "yesterday is not signed");
        assert_eq!(
            export_csv(&xf, tid, COMMUNITY).await.0,
            StatusCode::NOT_FOUND
        );

        // A chosen range of days: a row per day from the first to the last, both included.
        let (from, to) = (
            today - time::Duration::days(40),
            today - time::Duration::days(38),
        );
        let url = |from: time::Date, to: time::Date| {
            format!(
                "/api/v1/exports/{tid}?area={}&format=csv&from={from}&to={to}",
                enc(COMMUNITY)
            )
        };
        let r = admin.request("GET", &url(from, to)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let rows = csv_rows(&r.text);
        let days: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
        assert_eq!(
            days,
            [
                slash(from),
                slash(from + time::Duration::days(1)),
                slash(to)
            ]
        );
        // Outside the area the days do not matter: still 404.
        assert_eq!(
            xf.request("GET", &url(from, to)).await.status,
            StatusCode::NOT_FOUND
        );
        // A reversed range and one over 366 days are refused at `to`, in both languages.
        for (from, to, code) in [
            (to, from, "day_range_reversed"),
            (
                today - time::Duration::days(366),
                today,
                "day_range_too_long",
            ),
        ] {
            let r = admin.request("GET", &url(from, to)).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
            let v: Value = serde_json::from_str(&r.text).unwrap();
            assert_eq!(v["fields"][0]["path"], "to", "{v}");
            assert_eq!(v["fields"][0]["code"], code, "{v}");
        }
        let (_, v, _) = admin
            .send(
                "GET",
                &format!("/api/v1/exports/{tid}?area={}&from=3月1日", enc(COMMUNITY)),
                None,
            )
            .await;
        assert_eq!(v["fields"][0]["path"], "from", "{v}");
        // 366 days is the most.
        let r = admin
            .request("GET", &url(today - time::Duration::days(365), today))
            .await;
        assert_eq!(csv_rows(&r.text).len(), 367);

        // The page's form asks for the days of a daily figures template only.
        let mut b = app.browser();
        b.login("admin1").await;
        let page = b.get("/templates").await;
        let form = page
            .text
            .split(&format!("id=\"template-{tid}\""))
            .nth(1)
            .unwrap();
        assert!(form.contains("name=\"from\" type=\"date\""), "{form}");
        assert_eq!(page.text.matches("name=\"from\"").count(), 1);
        let bad = b
            .get(&format!(
                "/templates/{tid}/export?area={}&format=csv&from={to}&to={from}",
                enc(COMMUNITY)
            ))
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.text.contains("结束日期：结束日期不能早于开始日期"),
            "{}",
            bad.text
        );
        let ok = b
            .get(&format!(
                "/templates/{tid}/export?area={}&format=csv&from={from}&to={to}",
                enc(COMMUNITY)
            ))
            .await;
        assert_eq!(csv_rows(&ok.text).len(), 4);

        // Audited, each with its kind and count.
        let exports = store
            .audit_entries(&AuditQuery {
                action: Some("template.export".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        let mut seen: Vec<(String, i64)> = exports
            .items
            .iter()
            .map(|e| {
                (
                    e.details["kind"].as_str().unwrap().to_string(),
                    e.details["rows"].as_i64().unwrap(),
                )
            })
            .collect();
        seen.sort();
        assert_eq!(
            seen,
            [
                ("daily_figures".to_string(), 3),
                ("daily_figures".to_string(), 3),
                ("daily_figures".to_string(), 14),
                ("daily_figures".to_string(), 366),
                ("test_results".to_string(), 0),
                ("test_results".to_string(), 3)
            ]
        );
    }
);

both_backends!(
    templates_export_call_outcomes_as_the_return_file_reads_them,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        // admin1 (community), gw (grid worker of 佳纷天地, staff 网格员甲), qt-admin (钱塘衣城).
        let admin = crate::lists::setup(&app).await;
        app.user("gl", Role::GridLeader, COMMUNITY).await;
        let (st, v) = crate::lists::import_list(
            &admin,
            COMMUNITY,
            "市指挥部协查",
            &crate::lists::first_list(),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let list = v["id"].as_i64().unwrap();
        let mapping = json!({"mapping": {"name": "人员姓名", "id_number": "身份证件号",
            "phone": "手机号码", "risk_place": "到访场所", "time": "到访时间", "source": "推送单位"}});
        let (st, v, _) = admin
            .send(
                "POST",
                &format!("/api/v1/lists/{list}/mapping"),
                Some(mapping),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let (_, rows) = admin.get(&format!("/api/v1/lists/{list}/rows")).await;
        let task = rows["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["seq"] == 1)
            .and_then(|r| r["task_id"].as_i64())
            .unwrap_or_else(|| panic!("row 1's call in {rows}"));
        let gw = app.login_api("gw").await;
        let (st, v, _) = gw
            .send(
                "POST",
                &format!("/api/v1/lists/calls/{task}"),
                Some(json!({"outcome": "reached_away", "place": "郑州东站附近酒店"})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");

        let tid = make(
            &admin,
            json!({"area": COMMUNITY, "name": "协查反馈", "kind": "call_outcomes", "columns": [
                {"header": "MD", "field": "list"},
                {"header": "XH", "field": "row"},
                {"header": "XM", "field": "name"},
                {"header": "CL", "field": "outcome"},
                {"header": "SM", "field": "where"},
                {"header": "CS", "field": "attempts"},
                {"header": "CF", "field": "duplicate_of"},
                {"header": "RY", "field": "called_by"},
                {"header": "RQ", "field": "on", "map": "YYYYMMDD"}
            ]}),
        )
        .await;
        let (st, rows) = export_csv(&admin, tid, COMMUNITY).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(rows.len(), 7, "{rows:?}");
        // The outcome columns read as the return file's, row by row, in the list's order.
        let back = admin
            .request("GET", &format!("/api/v1/lists/{list}/return?format=csv"))
            .await;
        let back = csv_rows(&back.text);
        let at = |h: &str| back[0].iter().position(|x| x == h).unwrap();
        for (mine, theirs) in rows[1..].iter().zip(&back[1..]) {
            assert_eq!(mine[0], "市指挥部协查");
            assert_eq!(mine[1], theirs[at("序号")]);
            assert_eq!(mine[2], theirs[at("人员姓名")]);
            assert_eq!(mine[3], theirs[at("处理结果")]);
            assert_eq!(mine[4], theirs[at("结果说明")]);
            assert_eq!(mine[5], theirs[at("拨打次数")]);
            assert_eq!(mine[6], theirs[at("重复于")]);
        }
        let seqs: Vec<&str> = rows[1..].iter().map(|r| r[1].as_str()).collect();
        assert_eq!(seqs, ["1", "2", "3", "4", "5", "6"]);
        assert_eq!(rows[1][4], "郑州东站附近酒店");
        assert_eq!(rows[1][7], "网格员甲");
        assert_eq!(rows[1][8].len(), 8, "{:?}", rows[1]);
        assert!(!rows[4][6].is_empty(), "row 4 repeats row 1: {:?}", rows[4]);

        // A grid leader may export but not work lists (403); an admin of one compound does
        // not reach the community (404), and the lists are not kept inside their compound.
        let gl = app.login_api("gl").await;
        assert_eq!(
            export_csv(&gl, tid, COMMUNITY).await.0,
            StatusCode::FORBIDDEN
        );
        let qt = app.login_api("qt-admin").await;
        assert_eq!(
            export_csv(&qt, tid, COMMUNITY).await.0,
            StatusCode::NOT_FOUND
        );
        let (st, rows) = export_csv(&qt, tid, &format!("{COMMUNITY}/钱塘衣城")).await;
        assert_eq!((st, rows.len()), (StatusCode::OK, 1));
    }
);
