//! Investigation lists (流调协查) on SQLite and on PostgreSQL: a list from above with headers
//! of its own is mapped once (the mapping remembered for the next file with those headers);
//! rows match by ID number, else by phone, else not found; repeats within the list and of an
//! open list are shown and never called; calls go to the building's grid worker, the rows not
//! found to the community's desk; outcomes (elsewhere with where, not reached three times →
//! a door-knock, not a resident, home quarantine → the episode); the return file keeps the
//! list's columns and order; 403 for a role without lists, 404 outside the area; audited.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_core::Role;
use doorstep_testkit::{
    ApiClient, COMMUNITY, TestApp, TestDb, both_backends, csv_file, id, import_into, two_compounds,
    user,
};
use serde_json::{Value, json};

/// The list's headers as the upper level writes them (none is Doorstep's own).
pub(crate) const LIST_HEADER: &str = "序号,人员姓名,身份证件号,手机号码,到访场所,到访时间,推送单位";

/// 佳纷天地: 甲一 and 甲二 (1号楼 101), 乙一 (1号楼 102), 丙一 (3号楼/1单元 201); 钱塘衣城: 丁一.
/// Users: `admin1` (community admin), `gw` (grid worker of 佳纷天地, also its staff record
/// with the grid-worker duty there), `desk` (the community's area lead, a staff record only),
/// `qt-admin` (community admin limited to 钱塘衣城), `vol` (volunteer).
pub(crate) async fn setup(app: &TestApp) -> ApiClient {
    let store = app.store();
    two_compounds(store).await;
    let dir = tempfile::tempdir().unwrap();
    let mut rows = String::from("姓名,证件号码,联系电话,小区,楼栋,单元,房号\n");
    for (name, n, phone, compound, building, unit, room) in [
        ("甲一", 1, "13800000001", "佳纷天地", "1", "", "101"),
        ("甲二", 2, "", "佳纷天地", "1", "", "101"),
        ("乙一", 4, "13800000004", "佳纷天地", "1", "", "102"),
        ("丙一", 6, "13800000006", "佳纷天地", "3", "1", "201"),
        ("丁一", 20, "13800000020", "钱塘衣城", "1", "", "101"),
    ] {
        rows += &format!(
            "{name},{},{phone},{compound},{building},{unit},{room}\n",
            id(n, n % 2 == 0)
        );
    }
    let f = csv_file(dir.path(), "r.csv", &rows);
    assert_eq!(import_into(store, &f, COMMUNITY).await.rejected, 0);
    user(store, "admin1", Role::CommunityAdmin, COMMUNITY).await;
    user(
        store,
        "gw",
        Role::GridWorker,
        &format!("{COMMUNITY}/佳纷天地"),
    )
    .await;
    user(store, "vol", Role::Volunteer, COMMUNITY).await;
    user(
        store,
        "qt-admin",
        Role::CommunityAdmin,
        &format!("{COMMUNITY}/钱塘衣城"),
    )
    .await;
    let admin = app.login_api("admin1").await;
    for (name, phone, username, area, duty) in [
        (
            "网格员甲",
            "13900000001",
            Some("gw"),
            format!("{COMMUNITY}/佳纷天地"),
            "grid_worker",
        ),
        (
            "社区值班台",
            "13900000009",
            None,
            COMMUNITY.to_string(),
            "area_lead",
        ),
    ] {
        let (st, v, _) = admin
            .send(
                "POST",
                "/api/v1/staff",
                Some(json!({"name": name, "phone": phone, "kind": "committee", "username": username})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let (st, v, _) = admin
            .send(
                "POST",
                "/api/v1/duties",
                Some(json!({"area": area, "duty": duty, "phone": phone})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    admin
}

/// A multipart body of `fields` and a file.
pub(crate) fn multipart(fields: &[(&str, &str)], file: &[u8], name: &str) -> (String, Vec<u8>) {
    let boundary = "----doorstep-list-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Imports `csv` as a list into `area`.
pub(crate) async fn import_list(
    client: &ApiClient,
    area: &str,
    name: &str,
    csv: &str,
) -> (StatusCode, Value) {
    let (ct, body) = multipart(
        &[("area", area), ("name", name)],
        csv.as_bytes(),
        "list.csv",
    );
    let r = client
        .request("POST", "/api/v1/lists")
        .body(&ct, body)
        .await;
    (r.status, r.json())
}

/// The first list: six rows, CRLF, messy on purpose.
pub(crate) fn first_list() -> String {
    let rows = [
        format!(
            "1,甲一,{},13700000000,佳纷天地,2027-03-01 10:00,市指挥部",
            id(1, false).to_lowercase()
        ),
        "2,乙一,,138 0000 0004,佳纷天地,2027-03-01 11:00,市指挥部".to_string(),
        format!(
            "3,陌生人,{},13800000030,陇海市场,2027-03-01,市指挥部",
            id(30, true)
        ),
        format!(
            "4,甲一,{},,佳纷天地,2027-03-01 10:00,区指挥部",
            id(1, false)
        ),
        "5,某某,,+86 138-0000-0004,高寨市场,,区指挥部".to_string(),
        format!("6,丙一,{},,佳纷天地,2027-03-02 09:00,市指挥部", id(6, true)),
    ];
    format!("{LIST_HEADER}\r\n{}\r\n", rows.join("\r\n"))
}

fn rows_of(v: &Value) -> Vec<Value> {
    v["items"].as_array().unwrap().clone()
}

async fn call_of(client: &ApiClient, list: i64, seq: u64) -> Value {
    let (st, v) = client.get(&format!("/api/v1/lists/{list}/rows")).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    rows_of(&v)
        .into_iter()
        .find(|r| r["seq"] == seq)
        .unwrap_or_else(|| panic!("row {seq} in {v}"))
}

async fn record(client: &ApiClient, task: i64, body: Value) -> (StatusCode, Value) {
    let (st, v, _) = client
        .send("POST", &format!("/api/v1/lists/calls/{task}"), Some(body))
        .await;
    (st, v)
}

both_backends!(
    a_list_is_matched_called_and_returned,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        let admin = setup(&app).await;
        let store = app.store();

        // New headers: the list waits for its mapping, the guess filled in.
        let (st, v) = import_list(&admin, COMMUNITY, "陇海市场协查", &first_list()).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        assert_eq!(v["status"], "mapping");
        assert_eq!(v["rows"], 6);
        assert_eq!(v["mapping"]["id_number"], "身份证件号");
        assert_eq!(v["mapping"]["phone"], "手机号码");
        assert_eq!(v["mapping"]["risk_place"], "到访场所");
        let list = v["id"].as_i64().unwrap();
        // A mapping without an ID number or phone cannot match anything.
        let (st, v, _) = admin
            .send(
                "POST",
                &format!("/api/v1/lists/{list}/mapping"),
                Some(json!({"mapping": {"name": "人员姓名"}})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let mapping = json!({"mapping": {"name": "人员姓名", "id_number": "身份证件号",
        "phone": "手机号码", "risk_place": "到访场所", "time": "到访时间", "source": "推送单位"}});
        let (st, v, _) = admin
            .send(
                "POST",
                &format!("/api/v1/lists/{list}/mapping"),
                Some(mapping.clone()),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["status"], "open");
        let p = &v["progress"];
        assert_eq!(
            (
                p["total"].as_u64(),
                p["by_id_number"].as_u64(),
                p["by_phone"].as_u64()
            ),
            (Some(6), Some(2), Some(1)),
            "{v}"
        );
        assert_eq!(
            (p["not_found"].as_u64(), p["duplicates"].as_u64()),
            (Some(1), Some(2))
        );
        assert_eq!(p["states"]["calling"], 4);
        assert_eq!(p["states"]["duplicate"], 2);
        // Mapped twice: refused.
        let (st, _, _) = admin
            .send(
                "POST",
                &format!("/api/v1/lists/{list}/mapping"),
                Some(mapping),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT);

        // Matching: exact ID (written in lower case), phone only, not found, repeats.
        let r1 = call_of(&admin, list, 1).await;
        assert_eq!(r1["matched"], "id_number");
        assert_eq!(
            r1["assignee"], "网格员甲",
            "the building's grid worker: {r1}"
        );
        assert!(
            r1["id_number"].as_str().unwrap().contains('*'),
            "masked: {r1}"
        );
        let r2 = call_of(&admin, list, 2).await;
        assert_eq!(r2["matched"], "phone");
        let r3 = call_of(&admin, list, 3).await;
        assert_eq!(r3["matched"], "not_found");
        assert_eq!(r3["assignee"], "社区值班台", "the community's desk: {r3}");
        let r4 = call_of(&admin, list, 4).await;
        assert_eq!(
            (r4["state"].as_str(), &r4["duplicate_of"]),
            (Some("duplicate"), &json!([list, 1]))
        );
        assert!(r4["task_id"].is_null(), "a repeat is never called: {r4}");
        let r5 = call_of(&admin, list, 5).await;
        assert_eq!(r5["duplicate_of"], json!([list, 2]), "the same phone: {r5}");
        let (_, nf) = admin
            .get(&format!("/api/v1/lists/{list}/rows?filter=not_found"))
            .await;
        assert_eq!(rows_of(&nf).len(), 1);
        let (_, dups) = admin
            .get(&format!("/api/v1/lists/{list}/rows?filter=duplicates"))
            .await;
        assert_eq!(rows_of(&dups).len(), 2);

        // The next file with the same headers skips the mapping; 甲一 is on the open list already.
        let second = format!(
            "{LIST_HEADER}\r\n1,甲一,{},,佳纷天地,,市指挥部\r\n2,甲二,{},,佳纷天地,,市指挥部\r\n",
            id(1, false),
            id(2, true)
        );
        let (st, v) = import_list(&admin, COMMUNITY, "第二批", &second).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        assert_eq!(v["status"], "open", "{v}");
        let list2 = v["id"].as_i64().unwrap();
        assert_eq!(v["progress"]["duplicates"], 1);
        let again = call_of(&admin, list2, 1).await;
        assert_eq!(
            again["duplicate_of"],
            json!([list, 1]),
            "across lists: {again}"
        );
        assert!(again["task_id"].is_null());

        // The grid worker's calls: 甲一, 乙一, 丙一 of the first list, 甲二 of the second.
        let gw = app.login_api("gw").await;
        let (st, v) = gw.get("/api/v1/lists/calls").await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(rows_of(&v).len(), 4, "{v}");
        // The number to call, in full, audited.
        let t1 = r1["task_id"].as_i64().unwrap();
        let (st, v, _) = gw
            .send("POST", &format!("/api/v1/lists/calls/{t1}/phone"), None)
            .await;
        assert_eq!(
            (st, v["phone"].as_str()),
            (StatusCode::OK, Some("13700000000"))
        );

        // Reached elsewhere needs where; from the board, its note is the place.
        let (st, v, _) = gw
            .send(
                "PATCH",
                &format!("/api/v1/tasks/{t1}"),
                Some(json!({"status": "done", "outcome": "reached_away"})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(v.to_string().contains("note"), "{v}");
        let (st, v) = record(&gw, t1, json!({"outcome": "reached_away"})).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(v.to_string().contains("place"), "{v}");
        let (st, v) = record(
            &gw,
            t1,
            json!({"outcome": "reached_away", "place": "郑州东站附近酒店"}),
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["row"]["state"], "reached_away");
        let (st, _) = record(&gw, t1, json!({"outcome": "reached_home"})).await;
        assert_eq!(st, StatusCode::CONFLICT, "recorded already");

        // Not reached three times: a second call, a third, then a door-knock at the household.
        // The second is closed from the generic task board: the same follow-up.
        let mut task = r2["task_id"].as_i64().unwrap();
        for n in 1..=3 {
            if n == 2 {
                let (st, v, _) = gw
                    .send(
                        "PATCH",
                        &format!("/api/v1/tasks/{task}"),
                        Some(json!({"status": "done", "outcome": "not_reached"})),
                    )
                    .await;
                assert_eq!(st, StatusCode::OK, "{v}");
                assert_eq!(v["status"], "done", "{v}");
            } else {
                let (st, v) = record(&gw, task, json!({"outcome": "not_reached"})).await;
                assert_eq!(st, StatusCode::OK, "{v}");
            }
            let row = call_of(&admin, list, 2).await;
            if n < 3 {
                assert_eq!(
                    (row["state"].as_str(), row["calls"].as_u64()),
                    (Some("retrying"), Some(n + 1))
                );
                assert_ne!(row["task_id"].as_i64(), Some(task), "a new call");
                task = row["task_id"].as_i64().unwrap();
            } else {
                assert_eq!(row["state"], "door_knock", "{row}");
                let knock = row["task_id"].as_i64().unwrap();
                let (st, t) = admin.get(&format!("/api/v1/tasks/{knock}")).await;
                assert_eq!(st, StatusCode::OK, "{t}");
                assert_eq!(t["kind"], "door_knock", "{t}");
                assert_eq!(t["target"]["type"], "household", "{t}");
            }
        }

        // Placed into home quarantine: the episode starts.
        let r6 = call_of(&admin, list, 6).await;
        let (st, v) = record(
            &gw,
            r6["task_id"].as_i64().unwrap(),
            json!({"outcome": "quarantined"}),
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let person = r6["person_id"].as_i64().unwrap();
        let episodes = store.episodes_of_person(person).await.unwrap();
        assert_eq!(episodes.len(), 1, "the home-quarantine episode started");
        assert_eq!(episodes[0].measure.code(), "home_quarantine");

        // The desk's call (not found): the community admin records it; a grid worker cannot see it.
        let t3 = r3["task_id"].as_i64().unwrap();
        let (st, _) = record(&gw, t3, json!({"outcome": "not_resident"})).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, v) = record(&admin, t3, json!({"outcome": "quarantined"})).await;
        assert_eq!(
            st,
            StatusCode::UNPROCESSABLE_ENTITY,
            "no file to quarantine: {v}"
        );
        let (st, v) = record(
            &admin,
            t3,
            json!({"outcome": "not_resident", "note": "已离郑"}),
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{v}");

        let (_, v) = admin.get(&format!("/api/v1/lists/{list}")).await;
        let s = &v["progress"]["states"];
        assert_eq!(
            (
                s["reached_away"].as_u64(),
                s["door_knock"].as_u64(),
                s["quarantined"].as_u64(),
                s["not_resident"].as_u64()
            ),
            (Some(1), Some(1), Some(1), Some(1)),
            "{v}"
        );
        assert_eq!(v["progress"]["open"], 1, "the door-knock: {v}");

        // The return file: the list as received, same columns and order, outcomes after.
        let r = admin
            .request("GET", &format!("/api/v1/lists/{list}/return?format=csv"))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let text = String::from_utf8(r.bytes.clone()).unwrap();
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
        assert!(lines[0].starts_with(LIST_HEADER), "{}", lines[0]);
        assert!(
            lines[0].ends_with("匹配结果,处理结果,结果说明,拨打次数,处理时间,重复于"),
            "{}",
            lines[0]
        );
        assert_eq!(lines.len(), 7);
        for (i, line) in lines[1..].iter().enumerate() {
            assert!(
                line.starts_with(&format!("{},", i + 1)),
                "row order: {line}"
            );
        }
        assert!(
            lines[1].contains("已联系，人在外地") && lines[1].contains("郑州东站附近酒店"),
            "{}",
            lines[1]
        );
        assert!(
            lines[1].contains(&id(1, false).to_lowercase()),
            "as received: {}",
            lines[1]
        );
        assert!(
            lines[4].contains("重复，不再拨打") && lines[4].contains("第1条"),
            "{}",
            lines[4]
        );
        let xlsx = admin
            .request("GET", &format!("/api/v1/lists/{list}/return"))
            .await;
        assert_eq!(xlsx.status, StatusCode::OK);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("back.xlsx");
        std::fs::write(&path, &xlsx.bytes).unwrap();
        let mut back =
            doorstep_app::import::reader::RosterReader::<doorstep_core::lists::ListField>::open(
                &path,
            )
            .unwrap();
        assert_eq!(back.headers.len(), 13);
        let mut order = Vec::new();
        while let Some(row) = back.next_row() {
            order.push(row.unwrap().0.cells[0].text());
        }
        assert_eq!(order, ["1", "2", "3", "4", "5", "6"]);

        // Audited: the import, the mapping, the return file, the number shown, the outcomes.
        for action in [
            "list.import",
            "list.map",
            "list.return",
            "list.reveal_phone",
            "task.done",
            "episode.start",
        ] {
            let entries = store
                .audit_entries(&doorstep_store::AuditQuery {
                    action: Some(action.into()),
                    ..Default::default()
                })
                .await
                .unwrap();
            assert!(!entries.items.is_empty(), "{action} is audited");
        }
    }
);

both_backends!(lists_stay_in_their_area, async |db: &TestDb| {
    let app = TestApp::new(db);
    let admin = setup(&app).await;
    let (st, v) = import_list(&admin, COMMUNITY, "协查", &first_list()).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let list = v["id"].as_i64().unwrap();

    // A grid worker and a volunteer may not work on lists: 403.
    for name in ["gw", "vol"] {
        let c = app.login_api(name).await;
        let (st, _) = c.get("/api/v1/lists").await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{name}");
        let (st, _) = import_list(&c, COMMUNITY, "x", &first_list()).await;
        assert_ne!(st, StatusCode::CREATED, "{name}");
    }
    let gw = app.login_api("gw").await;
    let (st, _) = gw.get(&format!("/api/v1/lists/{list}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "outside the grid worker's area");
    // Another area's admin: the list, its rows, its return file and importing into this
    // community are not found.
    let qt = app.login_api("qt-admin").await;
    for uri in [
        format!("/api/v1/lists/{list}"),
        format!("/api/v1/lists/{list}/rows"),
        format!("/api/v1/lists/{list}/return"),
    ] {
        let (st, _) = qt.get(&uri).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{uri}");
    }
    let (st, _) = import_list(&qt, COMMUNITY, "x", &first_list()).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, v) = qt.get("/api/v1/lists").await;
    assert_eq!((st, v["total"].as_i64()), (StatusCode::OK, Some(0)));
    // Another area's list cannot be mapped from outside.
    let (st, _, _) = qt
        .send(
            "POST",
            &format!("/api/v1/lists/{list}/mapping"),
            Some(json!({"mapping": {"phone": "手机号码"}})),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
});

both_backends!(
    the_pages_take_a_list_from_upload_to_outcome,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        setup(&app).await;
        let mut b = app.browser();
        b.login("admin1").await;
        let page = b.get("/lists").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("流调协查名单"), "{}", page.text);
        let csrf = b.csrf().await;
        // Uploaded: new headers, so the mapping step, pre-filled by the guess.
        let (ct, body) = multipart(
            &[("csrf", &csrf), ("area", COMMUNITY), ("name", "页面协查")],
            first_list().as_bytes(),
            "list.csv",
        );
        let r = b.request("POST", "/lists", Some(ct), body).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let map = r.location.unwrap();
        assert!(map.ends_with("/map"), "{map}");
        let page = b.get(&map).await;
        assert!(
            page.text.contains("<option value=\"身份证件号\" selected>"),
            "the guess: {}",
            page.text
        );
        // Neither ID number nor phone: the step again, saying what is missing.
        let r = b
            .post_form(&map, &[("csrf", &csrf), ("f_name", "人员姓名")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("列对应"), "{}", r.text);
        let r = b
            .post_form(
                &map,
                &[
                    ("csrf", &csrf),
                    ("f_name", "人员姓名"),
                    ("f_id_number", "身份证件号"),
                    ("f_phone", "手机号码"),
                    ("f_risk_place", "到访场所"),
                    ("f_time", "到访时间"),
                    ("f_source", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let list = r.location.unwrap();
        let page = b.get(&list).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text.contains("陌生人"),
            "the row not found: {}",
            page.text
        );
        assert!(page.text.contains("重复人员 (2)"), "{}", page.text);
        assert!(!page.text.contains(&id(30, true)), "ID numbers masked");
        let file = b.get(&format!("{list}/return?format=csv")).await;
        assert_eq!(file.status, StatusCode::OK);
        assert!(String::from_utf8_lossy(&file.bytes).contains("匹配结果"));

        // The grid worker's calls: show the number (audited), record an outcome.
        let mut w = app.browser();
        w.login("gw").await;
        let page = w.get("/lists/calls").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text.contains("甲一") && page.text.contains("丙一"),
            "{}",
            page.text
        );
        let wcsrf = w.csrf().await;
        let task = page
            .text
            .split("action=\"/lists/calls/")
            .nth(1)
            .map(|s| {
                s.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            })
            .unwrap();
        let shown = w
            .post_form(&format!("/lists/calls/{task}/phone"), &[("csrf", &wcsrf)])
            .await;
        assert_eq!(shown.status, StatusCode::OK, "{task}: {}", shown.text);
        assert!(shown.text.contains("href=\"tel:"), "{}", shown.text);
        let r = w
            .post_form(
                &format!("/lists/calls/{task}"),
                &[("csrf", &wcsrf), ("outcome", "reached_away"), ("place", "")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("现在何处"), "{}", r.text);
        let r = w
            .post_form(
                &format!("/lists/calls/{task}"),
                &[("csrf", &wcsrf), ("outcome", "reached_home")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let page = b.get(&list).await;
        assert!(page.text.contains("已联系，人在家"), "{}", page.text);
        // The worker has no lists page.
        let r = w.get("/lists").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
);
