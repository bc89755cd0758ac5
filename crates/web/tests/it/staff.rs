//! The working force and its duties (分包), on SQLite and on PostgreSQL: the roster through the
//! API and a messy spreadsheet, duties with inheritance and gaps, colleagues' visibility, and
//! who may change what.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_app::access::{Ctx, Principal};
use doorstep_app::staff::StaffDesk;
use doorstep_core::{AreaKind, AreaPath, Duty, Lang, Role};
use doorstep_testkit::{
    ApiClient, COMMUNITY, TestApp, TestDb, both_backends, enc, two_compounds, user,
};
use serde_json::{Value, json};

/// Adds `staff` (the staff API's body: name, phone, kind, username if they log in) through the
/// API as `admin` and puts them on `duty` in `area`.
pub(crate) async fn on_duty(admin: &ApiClient, staff: Value, area: &str, duty: &str) {
    let (st, v, _) = admin
        .send("POST", "/api/v1/staff", Some(staff.clone()))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let duty = json!({"area": area, "duty": duty, "phone": staff["phone"]});
    let (st, v, _) = admin.send("POST", "/api/v1/duties", Some(duty)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
}

async fn staff_setup(app: &TestApp) {
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
}

both_backends!(duties_inheritance_and_gaps, async |db: &TestDb| {
    let app = TestApp::new(db);
    staff_setup(&app).await;
    let admin = app.login_api("admin1").await;

    let (st, wang, _) = admin
        .send(
            "POST",
            "/api/v1/staff",
            Some(json!({"name": "王芳", "phone": "138 0013 8001", "kind": "网格员", "skills": ["会采样"]})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{wang}");
    assert_eq!(wang["phone"], "13800138001");
    assert_eq!(wang["kind"], "grid");
    assert_eq!(wang["area"], COMMUNITY);
    let (st, li, _) = admin
        .send(
            "POST",
            "/api/v1/staff",
            Some(json!({"name": "李强", "phone": "13800138002", "kind": "property"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{li}");
    let (st, dup, _) = admin
        .send(
            "POST",
            "/api/v1/staff",
            Some(json!({"name": "又一个", "phone": "+86 13800138001"})),
        )
        .await;
    assert_eq!(
        (st, dup["error"].as_str()),
        (StatusCode::CONFLICT, Some("staff_phone_unique"))
    );
    let (st, bad, _) = admin
        .send(
            "POST",
            "/api/v1/staff",
            Some(json!({"phone": "123", "kind": "外星人"})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["name", "phone", "kind"] {
        assert!(bad.to_string().contains(field), "{field}: {bad}");
    }

    // 王芳 leads 佳纷天地; 李强 captains its 1号楼 (twice: the same assignment).
    let jf = format!("{COMMUNITY}/佳纷天地");
    let assign =
        |area: String, duty: &str, phone: &str| json!({"area": area, "duty": duty, "phone": phone});
    let (st, lead, _) = admin
        .send(
            "POST",
            "/api/v1/duties",
            Some(assign(jf.clone(), "area_lead", "13800138001")),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{lead}");
    let (_, cap1, _) = admin
        .send(
            "POST",
            "/api/v1/duties",
            Some(assign(format!("{jf}/1号楼"), "楼栋长", "13800138002")),
        )
        .await;
    let (_, cap2, _) = admin
        .send(
            "POST",
            "/api/v1/duties",
            Some(assign(
                format!("{jf}/1号楼"),
                "building_captain",
                "13800138002",
            )),
        )
        .await;
    assert_eq!(cap1["id"], cap2["id"], "assigning again changes nothing");

    // A unit of 3号楼 inherits the compound's lead and has no captain.
    let unit = format!("{jf}/3号楼/1单元");
    let (st, owners) = admin
        .get(&format!("/api/v1/duties/owners?area={}", enc(&unit)))
        .await;
    assert_eq!(st, StatusCode::OK, "{owners}");
    let owners = owners.as_array().unwrap();
    assert_eq!(owners.len(), 1, "{owners:?}");
    assert_eq!(owners[0]["duty"], "area_lead");
    assert_eq!(owners[0]["inherited_from"], jf.as_str());
    assert_eq!(owners[0]["holders"][0]["staff"]["name"], "王芳");
    let (_, own) = admin
        .get(&format!(
            "/api/v1/duties/owners?area={}",
            enc(&format!("{jf}/1号楼"))
        ))
        .await;
    let captain = own
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["duty"] == "building_captain")
        .unwrap();
    assert!(captain["inherited_from"].is_null());

    // The gaps: every building of the community but 佳纷天地/1号楼.
    let gaps = async || {
        let (_, g) = admin
            .get(&format!(
                "/api/v1/duties/gaps?area={}&kind=building&duty=building_captain",
                enc(COMMUNITY)
            ))
            .await;
        g["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["area"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        gaps().await,
        [format!("{jf}/3号楼"), format!("{COMMUNITY}/钱塘衣城/1号楼")]
    );
    // Off work, the captain owns nothing: the building is a gap again.
    let (st, off, _) = admin
        .send(
            "PATCH",
            &format!("/api/v1/staff/{}", li["id"]),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(
        (st, off["active"].as_bool()),
        (StatusCode::OK, Some(false)),
        "{off}"
    );
    assert_eq!(off["name"], "李强", "a partial change keeps the rest");
    assert_eq!(gaps().await.len(), 3);

    // The responsibility table and a removal, audited.
    let (_, table) = admin
        .get(&format!("/api/v1/duties?area={}", enc(COMMUNITY)))
        .await;
    assert_eq!(table["total"], 2);
    let (st, _, _) = admin
        .send("DELETE", &format!("/api/v1/duties/{}", cap1["id"]), None)
        .await;
    assert_eq!(st, StatusCode::OK);
    let (_, table) = admin
        .get(&format!("/api/v1/duties?area={}", enc(COMMUNITY)))
        .await;
    assert_eq!(table["total"], 1);
    for (action, n) in [
        ("duty.assign", 3),
        ("duty.remove", 1),
        ("staff.create", 2),
        ("staff.update", 1),
    ] {
        let (_, audit) = admin.get(&format!("/api/v1/audit?action={action}")).await;
        assert_eq!(audit["total"], n, "{action}: {audit}");
    }

    // The grid worker of 钱塘衣城 sees the community's staff (colleagues) but may change none.
    let mut worker = app.anon();
    worker.login("w-qt").await;
    let (st, list) = worker.get("/api/v1/staff").await;
    assert_eq!(
        (st, list["total"].as_i64()),
        (StatusCode::OK, Some(2)),
        "{list}"
    );
    let (st, _) = worker.get(&format!("/api/v1/staff/{}", wang["id"])).await;
    assert_eq!(st, StatusCode::OK);
    let (st, _, _) = worker
        .send(
            "POST",
            "/api/v1/staff",
            Some(json!({"name": "某", "phone": "13800138009"})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = worker
        .send(
            "POST",
            "/api/v1/duties",
            Some(assign(
                format!("{COMMUNITY}/钱塘衣城/1号楼"),
                "楼栋长",
                "13800138001",
            )),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Another compound's areas stay out of sight.
    let (st, _) = worker
        .get(&format!("/api/v1/duties/owners?area={}", enc(&unit)))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _, _) = worker
        .send("DELETE", &format!("/api/v1/duties/{}", lead["id"]), None)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
});

both_backends!(
    a_messy_staff_roster_imports_row_by_row,
    async |db: &TestDb| {
        let store = db.store.as_ref();
        two_compounds(store).await;
        let dir = tempfile::tempdir().unwrap();
        // GBK with CRLF as Chinese Excel saves it, a phone as Excel mangles it into a number, the
        // same person twice with a change, a bad row.
        let text = "姓名,手机号码,单位,技能,备注\r\n\
                王芳,13800138001,网格员,会采样、会开车,\r\n\
                李强,138-0013-8002,物业公司,,\r\n\
                坏行,12345,外星人,,\r\n\
                王芳,13800138001,网格员,会采样,改过\r\n";
        let (gbk, _, _) = encoding_rs::GB18030.encode(text);
        let file = dir.path().join("staff.csv");
        std::fs::write(&file, &gbk).unwrap();
        let (office, ctx) = (Principal::office(), Ctx::default());
        let desk = StaffDesk::new(store, &office, &ctx);
        let r = desk
            .import(COMMUNITY, file.clone(), Lang::Zh)
            .await
            .unwrap();
        assert_eq!(
            (r.rows, r.created, r.updated, r.rejected, r.superseded),
            (4, 2, 0, 1, 1),
            "{r:?}"
        );
        let rows: Vec<(u64, &str)> = r
            .errors
            .iter()
            .map(|e| (e.row, e.column.as_str()))
            .collect();
        assert_eq!(rows, [(4, "手机号码"), (4, "单位")]);
        let wang = store.staff_by_phone("13800138001").await.unwrap().unwrap();
        assert_eq!(wang.fields.notes, "改过", "the last row of a person counts");
        assert_eq!(wang.fields.skills, ["会采样"]);
        // Again: nothing changes.
        let again = desk.import(COMMUNITY, file, Lang::Zh).await.unwrap();
        assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2));

        // A compound's manager cannot take over the community's staff by importing their phones.
        let jf_admin = user(
            store,
            "jf-admin",
            Role::GridLeader,
            &format!("{COMMUNITY}/佳纷天地"),
        )
        .await;
        let desk = StaffDesk::new(store, &jf_admin, &ctx);
        let text = "姓名,手机号\n王芳改名,13800138001\n新人,13800138003\n";
        let file = dir.path().join("jf.csv");
        std::fs::write(&file, text).unwrap();
        let r = desk.import("", file, Lang::En).await.unwrap();
        assert_eq!((r.created, r.rejected), (1, 1), "{r:?}");
        assert_eq!(r.errors[0].code, "staff_registered_elsewhere");
        let wang = store.staff_by_phone("13800138001").await.unwrap().unwrap();
        assert_eq!(wang.fields.name, "王芳");
        let new = store.staff_by_phone("13800138003").await.unwrap().unwrap();
        assert_eq!(new.area_path.as_str(), format!("{COMMUNITY}/佳纷天地"));

        // The export re-imports as it was.
        let out = dir.path().join("out.xlsx");
        let (office, ctx) = (Principal::office(), Ctx::default());
        let desk = StaffDesk::new(store, &office, &ctx);
        let n = desk
            .export(
                Some(AreaPath::parse(COMMUNITY).unwrap()),
                doorstep_app::export::SheetFormat::Xlsx,
                &out,
            )
            .await
            .unwrap();
        assert_eq!(n, 3);
        let back = desk.import(COMMUNITY, out, Lang::Zh).await.unwrap();
        assert_eq!(
            (back.rows, back.unchanged, back.rejected),
            (3, 3, 0),
            "{back:?}"
        );
        assert_eq!(back.errors.len(), 0);
        // Gaps read the duties of working staff only, by kind.
        let gaps = desk
            .gaps(
                &AreaPath::parse(COMMUNITY).unwrap(),
                AreaKind::Compound,
                Duty::AreaLead,
            )
            .await
            .unwrap();
        assert_eq!(gaps.len(), 2);
    }
);

both_backends!(staff_pages_on_a_phone, async |db: &TestDb| {
    let app = TestApp::new(db);
    staff_setup(&app).await;
    let mut b = app.browser();
    b.login("admin1").await;
    let csrf = b.csrf().await;
    let created = b
        .post_form(
            "/staff",
            &[
                ("csrf", &csrf),
                ("name", "王芳"),
                ("phone", "13800138001"),
                ("kind", "grid"),
                ("skills", "会采样"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    let refused = b
        .post_form(
            "/staff",
            &[
                ("csrf", &csrf),
                ("name", ""),
                ("phone", "1"),
                ("kind", "grid"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("aria-invalid=\"true\""));
    let list = b.get("/staff").await;
    assert!(list.text.contains("王芳") && list.text.contains("13800138001"));
    let area = app
        .store()
        .area_by_path(&AreaPath::parse(&format!("{COMMUNITY}/佳纷天地/1号楼")).unwrap())
        .await
        .unwrap()
        .unwrap();
    let id = app
        .store()
        .staff_by_phone("13800138001")
        .await
        .unwrap()
        .unwrap()
        .id;
    let done = b
        .post_form(
            &format!("/areas/{}/duties", area.id),
            &[
                ("csrf", &csrf),
                ("duty", "building_captain"),
                ("staff", &id.to_string()),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let page = b.get(&format!("/areas/{}", area.id)).await;
    assert!(
        page.text.contains("楼栋长") && page.text.contains("tel:13800138001"),
        "{}",
        page.text
    );
    let gaps = b.get("/duties/gaps").await;
    assert!(!gaps.text.contains("佳纷天地/1号楼") && gaps.text.contains("佳纷天地/3号楼"));
    // The printables: the responsibility table (page and workbook) and the building notice
    // with the QR code of an open link covering it.
    doorstep_testkit::report_link(app.store(), COMMUNITY, doorstep_core::Purpose::Census).await;
    let table = b.get("/duties/table").await;
    assert!(table.text.contains("楼栋长") && table.text.contains("13800138001"));
    let xlsx = b.get("/duties/table?format=xlsx").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.bytes.starts_with(b"PK"), "a workbook");
    let notice = b.get(&format!("/areas/{}/notice", area.id)).await;
    assert!(
        notice.text.contains("13800138001") && notice.text.contains("<svg"),
        "{}",
        notice.text
    );
    // A grid worker: no add button, no assign form; another compound's duties page is not found.
    let mut w = app.browser();
    w.login("w-qt").await;
    let list = w.get("/staff").await;
    assert!(list.text.contains("王芳") && !list.text.contains("href=\"/staff/new\""));
    let res = w.get(&format!("/areas/{}/duties", area.id)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
});
