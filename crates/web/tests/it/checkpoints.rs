//! Checkpoints at compound gates (卡口值守) on SQLite and on PostgreSQL: a gate of 佳纷天地,
//! residents scanned in and out (ID number and personal code), a visitor and a vehicle
//! noted, a resident in home quarantine refused at the gate and then let through as an
//! exception with who allowed it (both audited), a resend that stores nothing new, the
//! counts per hour, duty shifts as tasks, the register's pages; 403 for roles that may not
//! and 404 for a guard of another compound.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_app::clock::FixedClock;
use doorstep_core::Role;
use doorstep_testkit::{COMMUNITY, TestApp, TestDb, both_backends, hidden, id, user};
use serde_json::{Value, json};
use time::macros::datetime;

use crate::rounds::setup;

/// 佳纷天地's gate 东门, set up by `admin1` (`rounds::setup`); its id.
async fn gate(app: &TestApp) -> i64 {
    let admin = app.login_api("admin1").await;
    let (st, v, _) = admin
        .send(
            "POST",
            "/api/v1/checkpoints",
            Some(json!({"area": format!("{COMMUNITY}/佳纷天地"), "name": "东门"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

fn passage(client: &str, body: Value) -> Value {
    let mut b = body;
    b["client_id"] = json!(client);
    b
}

both_backends!(
    a_gate_registers_people_and_vehicles_and_refuses_a_quarantined_resident,
    async |db: &TestDb| {
        // 08:10 on 1 March 2027, China's time.
        let clock = FixedClock::at(datetime!(2027-03-01 00:10 UTC));
        let app = TestApp::builder().clock(clock.clone()).build(db);
        setup(&app).await;
        let store = app.store();
        user(
            store,
            "guard",
            Role::Volunteer,
            &format!("{COMMUNITY}/佳纷天地"),
        )
        .await;
        user(
            store,
            "guard-qt",
            Role::Volunteer,
            &format!("{COMMUNITY}/钱塘衣城"),
        )
        .await;
        user(store, "boss", Role::Viewer, COMMUNITY).await;
        let gate = gate(&app).await;
        let admin = app.login_api("admin1").await;
        let guard = app.login_api("guard").await;
        let post = format!("/api/v1/checkpoints/{gate}/passages");

        // The same name twice in the compound is refused.
        let (st, v, _) = admin
            .send(
                "POST",
                "/api/v1/checkpoints",
                Some(json!({"area": format!("{COMMUNITY}/佳纷天地"), "name": "东门"})),
            )
            .await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("checkpoint_name_unique"))
        );

        // 乙一 goes out to work, 36.5 °C: passed, masked.
        let out = passage(
            "p-1",
            json!({"scan": id(4, false), "direction": "out", "reason": "上班", "temperature": "36.5"}),
        );
        let (st, first, _) = guard.send("POST", &post, Some(out.clone())).await;
        assert_eq!(st, StatusCode::CREATED, "{first}");
        assert_eq!(first["verdict"], "passed");
        assert_eq!(first["subject"], "resident");
        assert_eq!(first["name"], "乙*");
        assert_eq!(first["temperature"], "36.5");
        assert_eq!(first["recorded_by"], "guard");
        let masked = first["id_number"].as_str().unwrap();
        assert!(
            masked.contains("****") && !masked.contains(&id(4, false)[6..14]),
            "{masked}"
        );
        // The offline queue resends it: the first answer, nothing new.
        let (st, again, _) = guard.send("POST", &post, Some(out)).await;
        assert_eq!((st, &again["id"]), (StatusCode::OK, &first["id"]));
        // The same id with another body is refused.
        let (st, v, _) = guard
            .send(
                "POST",
                &post,
                Some(passage(
                    "p-1",
                    json!({"scan": id(4, false), "direction": "in"}),
                )),
            )
            .await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("idempotency_key_reused"))
        );

        // 乙二 comes back in by personal code.
        let code = personal_code(&admin, &id(5, true)).await;
        let (st, v, _) = guard
            .send(
                "POST",
                &post,
                Some(passage("p-2", json!({"scan": code, "direction": "in"}))),
            )
            .await;
        assert_eq!(
            (st, v["verdict"].as_str(), v["name"].as_str()),
            (StatusCode::CREATED, Some("passed"), Some("乙*"))
        );

        // A visitor and a vehicle; a visitor with a fever is warned.
        let (st, v, _) = guard
            .send("POST", &post, Some(passage("p-3", json!({"subject": "visitor", "visitor_name": "王小明", "direction": "in", "reason": "探亲"}))))
            .await;
        assert_eq!(
            (st, v["name"].as_str(), v["verdict"].as_str()),
            (StatusCode::CREATED, Some("王*明"), Some("passed"))
        );
        let (st, v, _) = guard
            .send(
                "POST",
                &post,
                Some(passage(
                    "p-4",
                    json!({"plate": "豫a·12345", "direction": "in", "reason": "送菜"}),
                )),
            )
            .await;
        assert_eq!(
            (st, v["subject"].as_str(), v["plate"].as_str()),
            (StatusCode::CREATED, Some("vehicle"), Some("豫A12345"))
        );
        let (st, v, _) = guard
            .send(
                "POST",
                &post,
                Some(passage(
                    "p-5",
                    json!({"visitor_name": "李四", "direction": "in", "temperature": "37.6"}),
                )),
            )
            .await;
        assert_eq!(
            (st, v["verdict"].as_str(), v["holds"][0]["code"].as_str()),
            (StatusCode::CREATED, Some("warned"), Some("fever"))
        );

        // Mistakes are named by field; someone not on file is to be noted as a visitor.
        let (st, v, _) = guard
            .send(
                "POST",
                &post,
                Some(passage(
                    "p-6",
                    json!({"plate": "A12345", "direction": "sideways", "temperature": "45"}),
                )),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let fields: Vec<&str> = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["direction", "temperature", "plate"], "{v}");
        let (st, v, _) = guard
            .send(
                "POST",
                &post,
                Some(passage(
                    "p-7",
                    json!({"scan": id(30, true), "direction": "in"}),
                )),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["fields"][0]["path"], "scan");
        assert_eq!(v["fields"][0]["code"], "person_not_on_file");

        // 甲一's household goes into home quarantine: 甲一 may not go out.
        crate::checkins::quarantine_jia_household(&admin).await;
        let (st, refused, _) = guard
            .send(
                "POST",
                &post,
                Some(passage(
                    "p-8",
                    json!({"scan": id(1, true), "direction": "out", "reason": "买菜"}),
                )),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{refused}");
        assert_eq!(refused["verdict"], "refused");
        assert_eq!(refused["holds"][0]["code"], "home_quarantine");
        assert_eq!(refused["allowed_by"], Value::Null);
        // An exception needs both who allowed it and why.
        let (st, v, _) = guard
            .send(
                "POST",
                &post,
                Some(passage(
                    "p-9",
                    json!({"scan": id(1, true), "direction": "out", "allowed_by": "社区书记 王某"}),
                )),
            )
            .await;
        assert_eq!(
            (st, v["fields"][0]["path"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("exception_reason"))
        );
        let (st, allowed, _) = guard
            .send(
                "POST",
                &post,
                Some(passage(
                    "p-10",
                    json!({"scan": id(1, true), "direction": "out",
                "allowed_by": "社区书记 王某", "exception_reason": "就医(透析)"}),
                )),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{allowed}");
        assert_eq!(allowed["verdict"], "allowed");
        assert_eq!(allowed["allowed_by"], "社区书记 王某");
        assert_eq!(allowed["exception_reason"], "就医(透析)");
        for (action, passage) in [
            ("checkpoint.refused", &refused),
            ("checkpoint.exception", &allowed),
        ] {
            let audit = store
                .audit_entries(&doorstep_store::AuditQuery {
                    action: Some(action.into()),
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(audit.items.len(), 1, "{action}");
            assert_eq!(audit.items[0].username, "guard");
            assert_eq!(audit.items[0].details["passage"], passage["id"]);
        }
        // Plain passages are the register's own record, not the audit log's: the gate's
        // creation, the refusal and the exception are all there is.
        let all = store
            .audit_entries(&doorstep_store::AuditQuery {
                action: Some("checkpoint".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(all.items.len(), 3);
        // Coming home while in quarantine is let in, with a warning.
        let (st, v, _) = guard
            .send(
                "POST",
                &post,
                Some(passage(
                    "p-11",
                    json!({"scan": id(1, true), "direction": "in"}),
                )),
            )
            .await;
        assert_eq!(
            (st, v["verdict"].as_str()),
            (StatusCode::CREATED, Some("warned"))
        );

        // Two hours later, one more in.
        clock.set(datetime!(2027-03-01 02:30 UTC));
        // (A volunteer's session ends after 30 idle minutes.)
        let guard = app.login_api("guard").await;
        let (st, _, _) = guard
            .send(
                "POST",
                &post,
                Some(passage(
                    "p-12",
                    json!({"visitor_name": "快递员", "direction": "in"}),
                )),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED);

        // The register, newest first, masked.
        let (st, v) = guard
            .get(&format!("/api/v1/checkpoints/{gate}/passages"))
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(v["total"], 9, "{v}");
        assert_eq!(v["items"][0]["name"], "快*员");
        // Counts per hour: 08:00 in 4 (乙二, visitor, vehicle, feverish visitor) + 甲一 back = 5;
        // out 2 (乙一, 甲一 allowed); refused 1; 10:00 in 1.
        let (st, v) = guard
            .get("/api/v1/checkpoints/counts?date=2027-03-01")
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let g = &v["gates"][0];
        assert_eq!(g["checkpoint"]["id"], gate);
        assert_eq!(
            g["hours"][0],
            json!({"hour": 8, "entered": 5, "left": 2, "refused": 1, "allowed": 1})
        );
        assert_eq!(
            g["hours"][1],
            json!({"hour": 10, "entered": 1, "left": 0, "refused": 0, "allowed": 0})
        );
        assert_eq!(
            g["total"],
            json!({"hour": null, "entered": 6, "left": 2, "refused": 1, "allowed": 1})
        );
        let (_, v) = guard
            .get("/api/v1/checkpoints/counts?date=2027-02-28")
            .await;
        assert_eq!(v["gates"][0]["total"]["entered"], 0);
        let (st, v) = guard.get("/api/v1/checkpoints/counts?date=yesterday").await;
        assert_eq!(
            (st, v["fields"][0]["path"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("date"))
        );

        // A guard of another compound finds nothing; a viewer may not record; a volunteer
        // may not set up gates.
        let other = app.login_api("guard-qt").await;
        let (st, _) = other
            .get(&format!("/api/v1/checkpoints/{gate}/passages"))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _, _) = other
            .send(
                "POST",
                &post,
                Some(passage(
                    "q-1",
                    json!({"visitor_name": "张三", "direction": "in"}),
                )),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, v) = other.get("/api/v1/checkpoints").await;
        assert_eq!((st, v["total"].as_i64()), (StatusCode::OK, Some(0)));
        let (st, _) = other
            .get(&format!(
                "/api/v1/checkpoints/counts?area={}",
                crate::checkpoints::enc_path("佳纷天地")
            ))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let boss = app.login_api("boss").await;
        let (st, _, _) = boss
            .send(
                "POST",
                &post,
                Some(passage(
                    "b-1",
                    json!({"visitor_name": "张三", "direction": "in"}),
                )),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _, _) = guard
            .send(
                "POST",
                "/api/v1/checkpoints",
                Some(json!({"area": format!("{COMMUNITY}/佳纷天地"), "name": "西门"})),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (_, v) = guard
            .get(&format!("/api/v1/checkpoints/{gate}/passages"))
            .await;
        assert_eq!(v["total"], 9, "nothing was recorded by the refused callers");

        // 3号楼 is sealed: 丙一 (3号楼 1单元) may not go out, and coming in is a warning.
        let (st, v, _) = admin
            .send(
                "POST",
                "/api/v1/seals",
                Some(json!({"area": format!("{COMMUNITY}/佳纷天地/3号楼"), "reason": "楼内阳性"})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let (st, out, _) = guard
            .send(
                "POST",
                &post,
                Some(passage(
                    "s-1",
                    json!({"scan": id(6, false), "direction": "out"}),
                )),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{out}");
        assert_eq!(
            (out["verdict"].as_str(), out["holds"][0]["code"].as_str()),
            (Some("refused"), Some("sealed")),
            "{out}"
        );
        let (_, back, _) = guard
            .send(
                "POST",
                &post,
                Some(passage(
                    "s-2",
                    json!({"scan": id(6, false), "direction": "in"}),
                )),
            )
            .await;
        assert_eq!(back["verdict"], "warned", "{back}");
    }
);

/// The personal code (个人码) of the person with ID number `number`.
async fn personal_code(admin: &doorstep_testkit::ApiClient, number: &str) -> String {
    let (_, found) = admin.get(&format!("/api/v1/persons?q={number}")).await;
    let pid = found["items"][0]["id"].as_i64().unwrap();
    let (st, code) = admin.get(&format!("/api/v1/persons/{pid}/code")).await;
    assert_eq!(st, StatusCode::OK, "{code}");
    code["code"].as_str().unwrap().to_string()
}

/// `COMMUNITY/{compound}`, percent-encoded for a query.
pub(crate) fn enc_path(compound: &str) -> String {
    doorstep_testkit::enc(&format!("{COMMUNITY}/{compound}"))
}

both_backends!(duty_shifts_are_tasks_of_the_gate, async |db: &TestDb| {
    let clock = FixedClock::at(datetime!(2027-03-01 00:00 UTC));
    let app = TestApp::builder().clock(clock).build(db);
    setup(&app).await;
    let gate = gate(&app).await;
    let admin = app.login_api("admin1").await;
    let (st, v, _) = admin
        .send(
            "POST",
            "/api/v1/staff",
            Some(json!({"name": "值守甲", "phone": "13800138011", "kind": "volunteer"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let staff = v["id"].as_i64().unwrap();
    let shift = json!({"assignee_id": staff, "starts": "2027-03-01T08:00", "ends": "2027-03-01T20:00",
                       "note": "测温、查码"});
    let uri = format!("/api/v1/checkpoints/{gate}/shifts");
    let (st, v, _) = admin.send("POST", &uri, Some(shift.clone())).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["assignee"], "值守甲");
    assert_eq!(v["starts_at"], "2027-03-01T00:00:00Z");
    assert_eq!(v["ends_at"], "2027-03-01T12:00:00Z");
    let task = v["task_id"].as_i64().unwrap();
    // The shift is a task of the one model: its kind, its gate's area, due at the end.
    let (st, t) = admin.get(&format!("/api/v1/tasks/{task}")).await;
    assert_eq!(st, StatusCode::OK, "{t}");
    let t = if t["task"].is_object() {
        &t["task"]
    } else {
        &t
    };
    assert_eq!(t["kind"], "checkpoint_shift");
    assert_eq!(t["target"]["type"], "area");
    let due = t["due_at"].as_str().unwrap();
    let due = time::OffsetDateTime::parse(due, &time::format_description::well_known::Rfc3339);
    assert_eq!(
        due.unwrap(),
        datetime!(2027-03-01 12:00 UTC),
        "due at the shift's end"
    );
    assert!(t["note"].as_str().unwrap().contains("东门"), "{t}");
    // The same shift again is the same task.
    let (st, v, _) = admin.send("POST", &uri, Some(shift)).await;
    assert_eq!(
        (st, v["task_id"].as_i64()),
        (StatusCode::CREATED, Some(task))
    );
    let (_, v) = admin.get(&uri).await;
    assert_eq!(v["total"], 1);
    // An end before the start is refused at `ends`.
    let (st, v, _) = admin
        .send(
            "POST",
            &uri,
            Some(json!({"starts": "2027-03-01T20:00", "ends": "2027-03-01T08:00"})),
        )
        .await;
    assert_eq!(
        (st, v["fields"][0]["path"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("ends"))
    );
    // A volunteer may not put people on duty.
    user(app.store(), "guard", Role::Volunteer, COMMUNITY).await;
    let guard = app.login_api("guard").await;
    let (st, _, _) = guard
        .send(
            "POST",
            &uri,
            Some(json!({"starts": "2027-03-02T08:00", "ends": "2027-03-02T20:00"})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
});

both_backends!(
    the_register_page_records_refuses_and_allows,
    async |db: &TestDb| {
        let clock = FixedClock::at(datetime!(2027-03-01 01:00 UTC));
        let app = TestApp::builder().clock(clock).build(db);
        setup(&app).await;
        let gate = gate(&app).await;
        let admin = app.login_api("admin1").await;
        crate::checkins::quarantine_jia_household(&admin).await;
        user(
            app.store(),
            "guard",
            Role::Volunteer,
            &format!("{COMMUNITY}/佳纷天地"),
        )
        .await;
        let mut b = app.browser();
        b.login("guard").await;
        let list = b.get("/checkpoints").await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(
            list.text.contains(&format!("/checkpoints/{gate}")),
            "{}",
            list.text
        );
        assert!(
            !list.text.contains("action=\"/checkpoints\""),
            "a volunteer is not offered to add a gate"
        );
        let page = b.get(&format!("/checkpoints/{gate}")).await;
        assert_eq!(page.status, StatusCode::OK);
        let csrf = hidden(&page.text, "csrf");
        let client = hidden(&page.text, "client_id");
        let uri = format!("/checkpoints/{gate}/register");
        // 乙一 out: back to the register with the verdict shown.
        let r = b
            .post_form(
                &uri,
                &[
                    ("csrf", &csrf),
                    ("client_id", &client),
                    ("direction", "out"),
                    ("scan", &id(4, false)),
                    ("temperature", "36.6"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let shown = b.get(r.location.as_deref().unwrap()).await;
        assert!(
            shown.text.contains("v-passed") && shown.text.contains("乙*"),
            "{}",
            shown.text
        );
        assert!(
            !shown.text.contains(&id(4, false)),
            "the ID number is masked"
        );
        // 甲一 out: refused, with the exception form.
        let client = hidden(&shown.text, "client_id");
        let r = b
            .post_form(
                &uri,
                &[
                    ("csrf", &csrf),
                    ("client_id", &client),
                    ("direction", "out"),
                    ("scan", &id(1, true)),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.text.contains("v-refused") && r.text.contains("居家隔离医学观察中"),
            "{}",
            r.text
        );
        assert!(r.text.contains("exception-form"));
        let x = r.text.split("id=\"exception-form\"").nth(1).unwrap();
        let x_client = hidden(x, "client_id");
        let r = b
            .post_form(
                &uri,
                &[
                    ("csrf", &csrf),
                    ("client_id", &x_client),
                    ("direction", "out"),
                    ("scan", &id(1, true)),
                    ("allowed_by", "社区书记 王某"),
                    ("exception_reason", "就医"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let shown = b.get(r.location.as_deref().unwrap()).await;
        assert!(
            shown.text.contains("v-allowed") && shown.text.contains("社区书记 王某 · 就医"),
            "{}",
            shown.text
        );
        // A mistake names its field and keeps what was typed.
        let r = b
            .post_form(
                &uri,
                &[
                    ("csrf", &csrf),
                    ("client_id", "c-x"),
                    ("direction", "in"),
                    ("plate", "豫A12"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.text.contains("车牌号：") && r.text.contains("value=\"豫A12\""),
            "{}",
            r.text
        );
        // The counts page: 09:00, out 2 (one an exception), refused 1.
        let counts = b.get("/checkpoints/counts?date=2027-03-01").await;
        assert_eq!(counts.status, StatusCode::OK);
        assert!(
            counts
                .text
                .contains("<td>09:00</td><td>0</td><td>2</td><td>1</td><td>1</td>"),
            "{}",
            counts.text
        );
    }
);
