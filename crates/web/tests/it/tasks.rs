//! Field tasks, on SQLite and on PostgreSQL: routing to the smallest owning area by the kind's
//! duties (inheritance, a gap left unassigned), the life cycle with its history, a volunteer's
//! own tasks only, bulk creation that a retry does not double, and the pages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_core::{AreaPath, DocType, Role};
use doorstep_testkit::{
    COMMUNITY, TestApp, TestDb, both_backends, csv_file, hidden, id, import_into, two_compounds,
    user,
};
use serde_json::{Value, json};

/// The report tests' community with a household in 佳纷天地/1号楼 and one in 3号楼/1单元; staff:
/// a grid worker (linked to `w-jf`) owning 佳纷天地, a captain of 1号楼, a volunteer (linked
/// to `vol`) for 佳纷天地. 钱塘衣城 has no owner at all. Returns the households (1号楼, 3号楼).
async fn setup(app: &TestApp) -> (i64, i64) {
    let store = app.store();
    two_compounds(store).await;
    let dir = tempfile::tempdir().unwrap();
    let f = csv_file(
        dir.path(),
        "r.csv",
        &format!(
            "姓名,证件号码,联系电话,小区,楼栋,单元,房号\n\
             甲,{},,佳纷天地,1,,101\n\
             乙,{},13900000002,佳纷天地,3,1,201\n\
             丙,{},,钱塘衣城,1,,101\n",
            id(1, true),
            id(2, false),
            id(3, true)
        ),
    );
    assert_eq!(import_into(store, &f, COMMUNITY).await.rejected, 0);
    user(store, "admin1", Role::CommunityAdmin, COMMUNITY).await;
    user(
        store,
        "w-jf",
        Role::GridWorker,
        &format!("{COMMUNITY}/佳纷天地"),
    )
    .await;
    user(
        store,
        "vol",
        Role::Volunteer,
        &format!("{COMMUNITY}/佳纷天地"),
    )
    .await;
    let admin = app.login_api("admin1").await;
    let jf = format!("{COMMUNITY}/佳纷天地");
    for (name, phone, kind, username, area, duty) in [
        (
            "网格员甲",
            "13800138001",
            "grid",
            "w-jf",
            jf.clone(),
            "grid_worker",
        ),
        (
            "楼栋长乙",
            "13800138002",
            "volunteer",
            "",
            format!("{jf}/1号楼"),
            "building_captain",
        ),
        (
            "志愿者丙",
            "13800138003",
            "volunteer",
            "vol",
            jf.clone(),
            "volunteer",
        ),
    ] {
        let staff = json!({"name": name, "phone": phone, "kind": kind, "username": username});
        crate::staff::on_duty(&admin, staff, &area, duty).await;
    }
    let household = async |n: u16, male: bool| {
        store
            .person_by_document(DocType::ResidentId, &id(n, male))
            .await
            .unwrap()
            .unwrap()
            .household_id
    };
    (household(1, true).await, household(2, false).await)
}

fn staff_named(v: &Value) -> &str {
    v["assignee_name"].as_str().unwrap_or("")
}

both_backends!(tasks_are_routed_and_lived, async |db: &TestDb| {
    let app = TestApp::new(db);
    let (b1, b3) = setup(&app).await;
    let admin = app.login_api("admin1").await;
    let task = |kind: &str, ty: &str, id: i64| json!({"kind": kind, "target": {"type": ty, "id": id}, "due": "2026-12-01"});

    // A door-knock at 1号楼 goes to its captain; at 3号楼 (no captain) to the grid worker
    // inherited from the compound; a delivery to the volunteer; 钱塘衣城 has nobody: a gap.
    let (st, k1, _) = admin
        .send(
            "POST",
            "/api/v1/tasks",
            Some(task("door_knock", "household", b1)),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{k1}");
    assert_eq!(staff_named(&k1), "楼栋长乙");
    let (_, k3, _) = admin
        .send(
            "POST",
            "/api/v1/tasks",
            Some(task("入户敲门", "household", b3)),
        )
        .await;
    assert_eq!(staff_named(&k3), "网格员甲");
    let (_, d3, _) = admin
        .send(
            "POST",
            "/api/v1/tasks",
            Some(task("delivery", "household", b3)),
        )
        .await;
    assert_eq!(staff_named(&d3), "志愿者丙");
    let qt = app
        .store()
        .area_by_path(&AreaPath::parse(&format!("{COMMUNITY}/钱塘衣城/1号楼")).unwrap())
        .await
        .unwrap()
        .unwrap();
    let (_, gap, _) = admin
        .send(
            "POST",
            "/api/v1/tasks",
            Some(task("disinfection", "area", qt.id)),
        )
        .await;
    assert!(gap["assignee_id"].is_null(), "{gap}");
    let (_, board) = admin.get("/api/v1/tasks?assignee=none").await;
    assert_eq!(board["total"], 1, "the gap is on the board");
    let (st, bad, _) = admin
        .send(
            "POST",
            "/api/v1/tasks",
            Some(json!({"kind": "tea", "target": {"type": "household", "id": b1}, "due": "明天"})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.to_string().contains("kind") && bad.to_string().contains("due"),
        "{bad}"
    );

    // The grid worker's own tasks; start, then done with an outcome; history kept.
    let mut worker = app.anon();
    worker.login("w-jf").await;
    let (_, mine) = worker.get("/api/v1/tasks?mine=true").await;
    assert_eq!(mine["total"], 1, "{mine}");
    let kid = k3["id"].as_i64().unwrap();
    let patch = |body: Value| (format!("/api/v1/tasks/{kid}"), body);
    let (uri, body) = patch(json!({"status": "in_progress"}));
    let (st, started, _) = worker.send("PATCH", &uri, Some(body)).await;
    assert_eq!(
        (st, started["status"].as_str()),
        (StatusCode::OK, Some("in_progress"))
    );
    let (uri, body) = patch(json!({"status": "done", "outcome": "sampled"}));
    let (st, wrong, _) = worker.send("PATCH", &uri, Some(body)).await;
    assert_eq!(
        st,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a door-knock has no 'sampled': {wrong}"
    );
    let (uri, body) =
        patch(json!({"status": "done", "outcome": "met", "note": "老人在家，一切正常"}));
    let (st, done, _) = worker.send("PATCH", &uri, Some(body)).await;
    assert_eq!(
        (st, done["outcome"].as_str()),
        (StatusCode::OK, Some("met")),
        "{done}"
    );
    let (uri, body) = patch(json!({"status": "in_progress"}));
    let (st, closed, _) = worker.send("PATCH", &uri, Some(body)).await;
    assert_eq!(
        (st, closed["error"].as_str()),
        (StatusCode::CONFLICT, Some("task_closed"))
    );
    let (_, full) = admin.get(&format!("/api/v1/tasks/{kid}")).await;
    let actions: Vec<&str> = full["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "started", "done"]);
    let (_, audit) = admin.get("/api/v1/audit?action=task.done").await;
    assert_eq!(audit["total"], 1);

    // The worker cannot touch another's task, nor create one; the volunteer sees only theirs.
    let (st, _) = worker.get(&format!("/api/v1/tasks/{}", k1["id"])).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _, _) = worker
        .send(
            "POST",
            "/api/v1/tasks",
            Some(task("door_knock", "household", b3)),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let mut vol = app.anon();
    vol.login("vol").await;
    let (_, mine) = vol.get("/api/v1/tasks?mine=true").await;
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["items"][0]["kind"], "delivery");
    let (st, _) = vol.get("/api/v1/tasks").await;
    assert_eq!(st, StatusCode::FORBIDDEN, "no board for a volunteer");
    let (st, _) = vol.get(&format!("/api/v1/tasks/{kid}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // While the delivery is open its volunteer sees the household's full phones (audited);
    // nobody else through it, and nothing once it is done.
    let did = d3["id"].as_i64().unwrap();
    let (st, phones) = vol.get(&format!("/api/v1/tasks/{did}/phones")).await;
    assert_eq!(st, StatusCode::OK, "{phones}");
    assert_eq!(phones[0]["phone"], "13900000002");
    let (st, _) = worker.get(&format!("/api/v1/tasks/{did}/phones")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, audit) = admin.get("/api/v1/audit?action=task.reveal_phones").await;
    assert_eq!(audit["total"], 1);
    let (st, _, _) = vol
        .send(
            "PATCH",
            &format!("/api/v1/tasks/{did}"),
            Some(json!({"status": "done", "outcome": "delivered"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, closed) = vol.get(&format!("/api/v1/tasks/{did}/phones")).await;
    assert_eq!(
        (st, closed["error"].as_str()),
        (StatusCode::CONFLICT, Some("task_closed"))
    );

    // Reassign back to the board, then cancel with a reason.
    let gid = gap["id"].as_i64().unwrap();
    let staff1 = app
        .store()
        .staff_by_phone("13800138001")
        .await
        .unwrap()
        .unwrap()
        .id;
    let (st, moved, _) = admin
        .send(
            "PATCH",
            &format!("/api/v1/tasks/{gid}"),
            Some(json!({"assignee_id": staff1})),
        )
        .await;
    assert_eq!((st, staff_named(&moved)), (StatusCode::OK, "网格员甲"));
    let (st, _, _) = admin
        .send(
            "PATCH",
            &format!("/api/v1/tasks/{gid}"),
            Some(json!({"status": "cancelled"})),
        )
        .await;
    assert_eq!(
        st,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a cancel needs a reason"
    );
    let (st, cancelled, _) = admin
        .send(
            "PATCH",
            &format!("/api/v1/tasks/{gid}"),
            Some(json!({"status": "cancelled", "note": "已由物业消杀"})),
        )
        .await;
    assert_eq!(
        (st, cancelled["status"].as_str()),
        (StatusCode::OK, Some("cancelled"))
    );
});

both_backends!(bulk_tasks_for_every_household_once, async |db: &TestDb| {
    let app = TestApp::new(db);
    setup(&app).await;
    let admin = app.login_api("admin1").await;
    let body = json!({"idempotency_key": "round-1", "kind": "home_sampling", "area": format!("{COMMUNITY}/佳纷天地"), "due": "2026-12-02"});
    let (st, first, _) = admin
        .send("POST", "/api/v1/tasks/bulk", Some(body.clone()))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{first}");
    assert_eq!(
        (first["created"].as_u64(), first["unassigned"].as_u64()),
        (Some(2), Some(0))
    );
    let (_, again, _) = admin.send("POST", "/api/v1/tasks/bulk", Some(body)).await;
    assert_eq!(
        again["ids"], first["ids"],
        "a retry makes nothing new: {again}"
    );
    let (_, board) = admin.get("/api/v1/tasks?kind=home_sampling").await;
    assert_eq!(board["total"], 2);
    // A list of persons: calls, one of them nobody owns.
    let person = async |n: u16, male: bool| {
        app.store()
            .person_by_document(DocType::ResidentId, &id(n, male))
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let targets = json!([{"type": "person", "id": person(2, false).await}, {"type": "person", "id": person(3, true).await}]);
    let (st, calls, _) = admin
        .send("POST", "/api/v1/tasks/bulk", Some(json!({"idempotency_key": "list-7", "kind": "investigation_call", "targets": targets})))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{calls}");
    assert_eq!(
        (calls["created"].as_u64(), calls["unassigned"].as_u64()),
        (Some(2), Some(1))
    );
    // The grid worker of 佳纷天地 cannot bulk-create.
    let mut worker = app.anon();
    worker.login("w-jf").await;
    let (st, _, _) = worker
        .send("POST", "/api/v1/tasks/bulk", Some(json!({"idempotency_key": "x", "kind": "door_knock", "area": format!("{COMMUNITY}/佳纷天地")})))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
});

both_backends!(my_tasks_page_on_a_phone, async |db: &TestDb| {
    let app = TestApp::new(db);
    let (_, b3) = setup(&app).await;
    let admin = app.login_api("admin1").await;
    let (_, k, _) = admin
        .send(
            "POST",
            "/api/v1/tasks",
            Some(json!({"kind": "door_knock", "target": {"type": "household", "id": b3}})),
        )
        .await;
    let kid = k["id"].as_i64().unwrap();
    let mut b = app.browser();
    b.login("w-jf").await;
    let page = b.get("/tasks/mine").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("佳纷天地3号楼1单元201") && page.text.contains("入户敲门"),
        "{}",
        page.text
    );
    let csrf = hidden(&page.text, "csrf");
    let done = b
        .post_form(
            &format!("/tasks/{kid}/finish"),
            &[
                ("csrf", &csrf),
                ("outcome", "not_home"),
                ("note", ""),
                ("back", "mine"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(
        !b.get("/tasks/mine")
            .await
            .text
            .contains("佳纷天地3号楼1单元201")
    );
    let mut m = app.browser();
    m.login("admin1").await;
    let board = m.get("/tasks?status=done").await;
    assert!(board.text.contains("家中无人"), "{}", board.text);
    // Narrowed to a compound and a person, and downloaded as a workbook (audited).
    let staff1 = app
        .store()
        .staff_by_phone("13800138001")
        .await
        .unwrap()
        .unwrap()
        .id;
    let qt = app
        .store()
        .area_by_path(&AreaPath::parse(&format!("{COMMUNITY}/钱塘衣城")).unwrap())
        .await
        .unwrap()
        .unwrap();
    let mine = m.get(&format!("/tasks?status=all&assignee={staff1}")).await;
    assert!(mine.text.contains("佳纷天地3号楼1单元201"));
    let elsewhere = m.get(&format!("/tasks?status=all&area={}", qt.id)).await;
    assert!(!elsewhere.text.contains("佳纷天地3号楼1单元201"));
    let xlsx = m
        .get(&format!("/tasks?status=all&assignee={staff1}&format=xlsx"))
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.bytes.starts_with(b"PK"));
    let (_, audit) = admin.get("/api/v1/audit?action=task.export").await;
    assert_eq!(audit["total"], 1);
});

both_backends!(admins_change_where_a_kind_goes, async |db: &TestDb| {
    let app = TestApp::new(db);
    let (b1, _) = setup(&app).await;
    user(app.store(), "root1", Role::Admin, "二七区").await;
    let admin = app.login_api("admin1").await;
    let root = app.login_api("root1").await;
    let (_, table) = admin.get("/api/v1/task-routes").await;
    let knock = table
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "door_knock")
        .unwrap()
        .clone();
    assert_eq!(
        (knock["duties"][0].as_str(), knock["default"].as_bool()),
        (Some("building_captain"), Some(true))
    );
    let body = json!({"duties": ["网格员"]});
    let (st, _, _) = admin
        .send("PUT", "/api/v1/task-routes/door_knock", Some(body.clone()))
        .await;
    assert_eq!(
        st,
        StatusCode::FORBIDDEN,
        "only system admins change routing"
    );
    let (st, set, _) = root
        .send("PUT", "/api/v1/task-routes/door_knock", Some(body))
        .await;
    assert_eq!(st, StatusCode::OK, "{set}");
    assert_eq!(set["duties"], json!(["grid_worker"]));
    let (_, k, _) = admin
        .send(
            "POST",
            "/api/v1/tasks",
            Some(json!({"kind": "door_knock", "target": {"type": "household", "id": b1}})),
        )
        .await;
    assert_eq!(staff_named(&k), "网格员甲", "now past the captain");
    let (st, _, _) = root
        .send(
            "PUT",
            "/api/v1/task-routes/door_knock",
            Some(json!({"duties": ["boss"]})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, back, _) = root
        .send(
            "PUT",
            "/api/v1/task-routes/door_knock",
            Some(json!({"duties": []})),
        )
        .await;
    assert_eq!(
        (st, back["default"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    let (_, k, _) = admin
        .send(
            "POST",
            "/api/v1/tasks",
            Some(json!({"kind": "door_knock", "target": {"type": "household", "id": b1}})),
        )
        .await;
    assert_eq!(staff_named(&k), "楼栋长乙");
    // The page: every kind with its duties; only system admins get the save buttons.
    let mut b = app.browser();
    b.login("admin1").await;
    let page = b.get("/tasks/routes").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("任务派发规则") && page.text.contains("楼栋长"));
    assert!(
        page.text.contains(" disabled") && !page.text.contains(">保存<"),
        "a community admin cannot change routing"
    );
    let (_, audit) = root.get("/api/v1/audit?action=task.route").await;
    assert_eq!(
        audit["total"], 2,
        "the two changes; the refused one changed nothing"
    );
});

both_backends!(
    another_compounds_manager_changes_nothing_here,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        let (b1, _) = setup(&app).await;
        // A grid leader of 钱塘衣城 manages staff and tasks there, not in 佳纷天地.
        user(
            app.store(),
            "lead-qt",
            Role::GridLeader,
            &format!("{COMMUNITY}/钱塘衣城"),
        )
        .await;
        let lead = app.login_api("lead-qt").await;
        let admin = app.login_api("admin1").await;
        let (_, k, _) = admin
            .send(
                "POST",
                "/api/v1/tasks",
                Some(json!({"kind": "door_knock", "target": {"type": "household", "id": b1}})),
            )
            .await;
        let wang = app
            .store()
            .staff_by_phone("13800138001")
            .await
            .unwrap()
            .unwrap()
            .id;
        let jf = format!("{COMMUNITY}/佳纷天地");
        for (method, uri, body) in [
            (
                "PATCH",
                format!("/api/v1/staff/{wang}"),
                json!({"name": "改名"}),
            ),
            (
                "POST",
                "/api/v1/duties".to_string(),
                json!({"area": format!("{jf}/1号楼"), "duty": "楼栋长", "phone": "13800138003"}),
            ),
            (
                "POST",
                "/api/v1/tasks".to_string(),
                json!({"kind": "door_knock", "target": {"type": "household", "id": b1}}),
            ),
            (
                "POST",
                "/api/v1/tasks/bulk".to_string(),
                json!({"idempotency_key": "x1", "kind": "door_knock", "area": jf}),
            ),
            (
                "POST",
                "/api/v1/tasks/bulk".to_string(),
                json!({"idempotency_key": "x2", "kind": "door_knock", "targets": [{"type": "household", "id": b1}]}),
            ),
            (
                "PATCH",
                format!("/api/v1/tasks/{}", k["id"]),
                json!({"status": "cancelled", "note": "不是我的"}),
            ),
            (
                "POST",
                format!("/api/v1/households/{b1}/reports"),
                json!({"link_id": 1, "idempotency_key": "x3"}),
            ),
        ] {
            let (st, v, _) = lead.send(method, &uri, Some(body)).await;
            assert_eq!(st, StatusCode::NOT_FOUND, "{method} {uri}: {v}");
        }
        // Nothing changed.
        let still = app.store().staff_member(wang).await.unwrap().unwrap();
        assert_eq!(still.fields.name, "网格员甲");
        let (_, board) = admin.get("/api/v1/tasks").await;
        assert_eq!(board["total"], 1);
        assert_eq!(board["items"][0]["status"], "open");
        let (_, table) = admin
            .get(&format!(
                "/api/v1/duties?area={}",
                doorstep_testkit::enc(COMMUNITY)
            ))
            .await;
        assert_eq!(table["total"], 3);
        // A staff roster imported by that leader into 佳纷天地 is refused before a row is read.
        let dir = tempfile::tempdir().unwrap();
        let f = csv_file(dir.path(), "s.csv", "姓名,手机号\n某,13800138009\n");
        let who = user(
            app.store(),
            "lead-qt2",
            Role::GridLeader,
            &format!("{COMMUNITY}/钱塘衣城"),
        )
        .await;
        let ctx = doorstep_app::access::Ctx::default();
        let r = doorstep_app::staff::StaffDesk::new(app.store(), &who, &ctx)
            .import(&jf, f, doorstep_core::Lang::Zh)
            .await;
        assert!(
            matches!(r, Err(doorstep_app::error::AppError::NotFound)),
            "{r:?}"
        );
        assert!(
            app.store()
                .staff_by_phone("13800138009")
                .await
                .unwrap()
                .is_none()
        );
    }
);
