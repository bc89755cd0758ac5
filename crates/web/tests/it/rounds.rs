//! Mass-testing rounds, on SQLite and on PostgreSQL: a round over one compound, scans into a
//! pooled tube that closes itself at its pool size, every refusal (already sampled, a full or
//! closed tube, a tube of another round, a round not open, a person outside the round), a
//! resend that answers the first scan, the offline queue's batch, a tube closed by hand,
//! exclusions, coverage and the door-knock list with its tasks, personal codes; and a sampler
//! of another compound who finds nothing here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_core::Role;
use doorstep_testkit::{
    ApiClient, COMMUNITY, TestApp, TestDb, both_backends, csv_file, id, import_into, two_compounds,
    user,
};
use serde_json::{Value, json};

/// 佳纷天地 with six persons in three households (1号楼 101 ×3, 1号楼 102 ×2, 3号楼/1单元 201
/// ×1) and one in 钱塘衣城; a community admin, a sampler for 佳纷天地 and one for 钱塘衣城.
pub(crate) async fn setup(app: &TestApp) {
    let store = app.store();
    two_compounds(store).await;
    let dir = tempfile::tempdir().unwrap();
    let mut rows = String::from("姓名,证件号码,小区,楼栋,单元,房号\n");
    for (n, (name, building, unit, room)) in [
        ("甲一", "1", "", "101"),
        ("甲二", "1", "", "101"),
        ("甲三", "1", "", "101"),
        ("乙一", "1", "", "102"),
        ("乙二", "1", "", "102"),
        ("丙一", "3", "1", "201"),
    ]
    .iter()
    .enumerate()
    {
        rows += &format!(
            "{name},{},佳纷天地,{building},{unit},{room}\n",
            id(n as u16 + 1, n.is_multiple_of(2))
        );
    }
    rows += &format!("丁一,{},钱塘衣城,1,,101\n", id(20, true));
    let f = csv_file(dir.path(), "r.csv", &rows);
    assert_eq!(import_into(store, &f, COMMUNITY).await.rejected, 0);
    round_users(store).await;
}

/// The rounds tests' users: `admin1` for the community, samplers `s-jf` (佳纷天地) and `s-qt`
/// (钱塘衣城).
pub(crate) async fn round_users(store: &dyn doorstep_store::Store) {
    user(store, "admin1", Role::CommunityAdmin, COMMUNITY).await;
    for (name, compound) in [("s-jf", "佳纷天地"), ("s-qt", "钱塘衣城")] {
        user(
            store,
            name,
            Role::Sampler,
            &format!("{COMMUNITY}/{compound}"),
        )
        .await;
    }
}

fn scan(client: &str, tube: &str, n: u16) -> Value {
    json!({"client_id": client, "tube": tube, "person": {"id_number": id(n, (n - 1).is_multiple_of(2))}})
}

/// Creates and opens a round over 佳纷天地 with pool size `pool`; returns its id.
/// Creates a round as `admin1` from `body` (the create request) and opens it; its id.
pub(crate) async fn create_open_round(app: &TestApp, body: Value) -> i64 {
    let admin = app.login_api("admin1").await;
    let (st, r, _) = admin.send("POST", "/api/v1/rounds", Some(body)).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let rid = r["id"].as_i64().unwrap();
    admin
        .send(
            "POST",
            &format!("/api/v1/rounds/{rid}/status"),
            Some(json!({"status": "open"})),
        )
        .await;
    rid
}

/// The rounds tests' setup with a 5-in-1 round open: the app, the round, the sampler of
/// 佳纷天地 logged in, and the round's scans URL.
async fn sampling(db: &TestDb) -> (TestApp, i64, ApiClient, String) {
    let app = TestApp::new(db);
    setup(&app).await;
    let rid = open_round(&app, 5, "第1轮").await;
    let s = app.login_api("s-jf").await;
    let url = format!("/api/v1/rounds/{rid}/scans");
    (app, rid, s, url)
}

async fn open_round(app: &TestApp, pool: u32, name: &str) -> i64 {
    let admin = app.login_api("admin1").await;
    let (st, r, _) = admin
        .send(
            "POST",
            "/api/v1/rounds",
            Some(json!({"area": COMMUNITY, "name": name, "pool_size": pool,
                        "areas": [format!("{COMMUNITY}/佳纷天地")]})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    assert_eq!(r["status"], "planned");
    let rid = r["id"].as_i64().unwrap();
    let (st, r, _) = admin
        .send(
            "POST",
            &format!("/api/v1/rounds/{rid}/status"),
            Some(json!({"status": "open"})),
        )
        .await;
    assert_eq!((st, r["status"].as_str()), (StatusCode::OK, Some("open")));
    rid
}

both_backends!(
    a_pooled_tube_fills_closes_and_refuses,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        setup(&app).await;
        let admin = app.login_api("admin1").await;
        // A pool size of 3 is not one of 1, 5, 10, 20.
        let (st, v, _) = admin
            .send(
                "POST",
                "/api/v1/rounds",
                Some(json!({"area": COMMUNITY, "name": "x", "pool_size": 3})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["fields"][0]["path"], "pool_size");
        let rid = open_round(&app, 5, "第1轮").await;
        let s = app.login_api("s-jf").await;
        let url = format!("/api/v1/rounds/{rid}/scans");
        // Five persons fill a 5-in-1 tube; the fifth closes it.
        let mut last = Value::Null;
        for n in 1..=5u16 {
            let (st, v, _) = s
                .send("POST", &url, Some(scan(&format!("c{n}"), "t-0001", n)))
                .await;
            assert_eq!(st, StatusCode::CREATED, "{v}");
            assert_eq!(v["tube"]["count"], n);
            assert!(
                !v["person"]["id_number"]
                    .as_str()
                    .unwrap()
                    .contains(&id(n, (n - 1).is_multiple_of(2))[6..14])
            );
            last = v;
        }
        assert_eq!(
            last["tube"],
            json!({"code": "T-0001", "count": 5, "pool_size": 5, "closed": true})
        );
        // The same client id again: the first answer, nothing new.
        let (st, again, _) = s.send("POST", &url, Some(scan("c5", "t-0001", 5))).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(again["scan_id"], last["scan_id"]);
        // A sixth person into the full tube.
        let (st, v, _) = s.send("POST", &url, Some(scan("c6", "T-0001", 6))).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("tube_full"))
        );
        // Someone sampled already, into a new tube …
        let (st, v, _) = s.send("POST", &url, Some(scan("c7", "T-0002", 1))).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("already_sampled"))
        );
        assert!(v["message"].as_str().unwrap().contains("已采样"), "{v}");
        // … unless marked as a retest.
        let mut retest = scan("c8", "T-0002", 1);
        retest["retest"] = json!(true);
        let (st, v, _) = s.send("POST", &url, Some(retest)).await;
        assert_eq!(
            (st, v["retest"].as_bool()),
            (StatusCode::CREATED, Some(true)),
            "{v}"
        );
        // 丁一 lives in 钱塘衣城: outside the round (and the sampler's area).
        let (st, _, _) = s.send("POST", &url, Some(scan("c9", "T-0002", 20))).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        // A bad tube code, a missing person.
        let (st, v, _) = s
            .send(
                "POST",
                &url,
                Some(json!({"client_id": "c10", "tube": "x;", "person": {}})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        // Closing T-0002 by hand under its pool size.
        let (st, t, _) = s
            .send(
                "POST",
                &format!("/api/v1/rounds/{rid}/tubes/T-0002/close"),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{t}");
        assert_eq!(
            (t["count"].as_u64(), t["short"].as_bool()),
            (Some(1), Some(true))
        );
        let (st, v, _) = s.send("POST", &url, Some(scan("c11", "T-0002", 6))).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("tube_closed"))
        );
        // A second round: T-0001 belongs to the first.
        let r2 = open_round(&app, 10, "第2轮").await;
        let (st, v, _) = s
            .send(
                "POST",
                &format!("/api/v1/rounds/{r2}/scans"),
                Some(scan("d1", "T-0001", 6)),
            )
            .await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("tube_in_other_round"))
        );
        // A closed round takes no scans.
        let (st, _, _) = admin
            .send(
                "POST",
                &format!("/api/v1/rounds/{r2}/status"),
                Some(json!({"status": "closed"})),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let (st, v, _) = s
            .send(
                "POST",
                &format!("/api/v1/rounds/{r2}/scans"),
                Some(scan("d2", "T-0009", 6)),
            )
            .await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("round_not_open"))
        );
        // The sampler of 钱塘衣城 finds neither the round's persons nor the tubes here.
        let other = app.login_api("s-qt").await;
        let (st, _, _) = other
            .send("POST", &url, Some(scan("e1", "T-0100", 6)))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _, _) = other
            .send(
                "POST",
                &format!("/api/v1/rounds/{rid}/tubes/T-0002/close"),
                None,
            )
            .await;
        assert_eq!(
            st,
            StatusCode::NOT_FOUND,
            "a tube outside the sampler's area"
        );
    }
);

both_backends!(
    a_queued_batch_is_answered_in_order_and_resent_safely,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        setup(&app).await;
        let rid = open_round(&app, 10, "第1轮").await;
        let s = app.login_api("s-jf").await;
        let batch = json!({"scans": [scan("q1", "B-0001", 1), scan("q2", "B-0001", 2), scan("q3", "B-0001", 1)]});
        let url = format!("/api/v1/rounds/{rid}/scans/batch");
        let (st, v, _) = s.send("POST", &url, Some(batch.clone())).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let statuses: Vec<u64> = v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_u64().unwrap())
            .collect();
        assert_eq!(statuses, [201, 201, 409]);
        assert_eq!(v["results"][2]["error"]["error"], "already_sampled");
        // The connection dropped before the answer arrived: the phone sends it all again.
        let (_, again, _) = s.send("POST", &url, Some(batch)).await;
        let statuses: Vec<u64> = again["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_u64().unwrap())
            .collect();
        assert_eq!(statuses, [200, 200, 409]);
        assert_eq!(
            again["results"][1]["scan"]["tube"]["count"], 2,
            "nothing doubled"
        );
    }
);

both_backends!(
    one_tube_per_household_closes_at_its_last_member,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        setup(&app).await;
        let rid = create_open_round(
            &app,
            json!({"area": COMMUNITY, "name": "封控楼", "pool_size": 10,
                   "groups": [{"area": format!("{COMMUNITY}/佳纷天地/1号楼"), "mode": "household"}]}),
        )
        .await;
        let s = app.login_api("s-jf").await;
        let url = format!("/api/v1/rounds/{rid}/scans");
        // 乙一, 乙二 live in 1号楼 102: their tube closes at two.
        let (_, v, _) = s.send("POST", &url, Some(scan("h1", "H-0001", 4))).await;
        assert_eq!(v["tube"]["pool_size"], 2, "{v}");
        // 丙一 of 3号楼 is pooled: not into a household's tube, nor 甲二 into her pool; and a
        // household's tube takes no one of another household.
        let (st, v, _) = s.send("POST", &url, Some(scan("p1", "H-0001", 6))).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("tube_mode")),
            "{v}"
        );
        assert!(v["message"].as_str().unwrap().contains("单采"), "{v}");
        let (st, v, _) = s.send("POST", &url, Some(scan("p2", "H-0001", 1))).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("tube_other_household")),
            "{v}"
        );
        let (st, _, _) = s.send("POST", &url, Some(scan("p3", "P-0001", 6))).await;
        assert_eq!(st, StatusCode::CREATED);
        let (st, v, _) = s.send("POST", &url, Some(scan("p4", "P-0001", 2))).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("tube_mode")),
            "{v}"
        );
        let (_, v, _) = s.send("POST", &url, Some(scan("h2", "H-0001", 5))).await;
        assert_eq!(v["tube"]["closed"], true);
    }
);

both_backends!(
    coverage_missing_and_door_knock_tasks,
    async |db: &TestDb| {
        let (app, rid, s, url) = sampling(db).await;
        for n in [1u16, 2, 3] {
            let (st, v, _) = s
                .send("POST", &url, Some(scan(&format!("k{n}"), "K-0001", n)))
                .await;
            assert_eq!(st, StatusCode::CREATED, "{v}");
        }
        let admin = app.login_api("admin1").await;
        // 丙一 is in hospital.
        let (st, v, _) = admin
            .send(
                "POST",
                &format!("/api/v1/rounds/{rid}/exclusions"),
                Some(json!({"person": {"id_number": id(6, false)}, "reason": "住院"})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        // Excusing someone sampled already is refused.
        let (st, v, _) = admin
            .send(
                "POST",
                &format!("/api/v1/rounds/{rid}/exclusions"),
                Some(json!({"person": {"id_number": id(1, true)}, "reason": "away"})),
            )
            .await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("already_sampled"))
        );
        let (st, c) = admin.get(&format!("/api/v1/rounds/{rid}/coverage")).await;
        assert_eq!(st, StatusCode::OK, "{c}");
        assert_eq!(
            (
                c["expected"].as_i64(),
                c["sampled"].as_i64(),
                c["excluded"].as_i64(),
                c["missing"].as_i64()
            ),
            (Some(6), Some(3), Some(1), Some(2)),
            "钱塘衣城 is not in this round: {c}"
        );
        let jf = &c["children"][0];
        assert_eq!(jf["area"], format!("{COMMUNITY}/佳纷天地"));
        let (st, b) = admin
            .get(&format!(
                "/api/v1/rounds/{rid}/coverage?area={COMMUNITY}/佳纷天地"
            ))
            .await;
        assert_eq!(st, StatusCode::OK);
        let kids: Vec<(String, i64)> = b["children"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                (
                    k["area"].as_str().unwrap().to_string(),
                    k["missing"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            kids,
            [
                (format!("{COMMUNITY}/佳纷天地/1号楼"), 2),
                (format!("{COMMUNITY}/佳纷天地/3号楼"), 0)
            ]
        );
        let (st, m) = admin.get(&format!("/api/v1/rounds/{rid}/missing")).await;
        assert_eq!(st, StatusCode::OK);
        let names: Vec<&str> = m["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["乙一", "乙二"]);
        assert!(m["items"][0]["id_number"].as_str().unwrap().contains('*'));
        // One door-knock task for their household; asking again makes nothing new.
        let knock = format!("/api/v1/rounds/{rid}/missing/tasks");
        let (st, k, _) = admin.send("POST", &knock, None).await;
        assert_eq!(
            (st, k["tasks"].as_u64()),
            (StatusCode::CREATED, Some(1)),
            "{k}"
        );
        admin.send("POST", &knock, None).await;
        let (_, board) = admin.get("/api/v1/tasks?kind=door_knock").await;
        assert_eq!(board["total"], 1);
        // A person excused who turns up after all is sampled and no longer excused.
        let (st, _, _) = s.send("POST", &url, Some(scan("k6", "K-0001", 6))).await;
        assert_eq!(st, StatusCode::CREATED);
        let (_, c) = admin.get(&format!("/api/v1/rounds/{rid}/coverage")).await;
        assert_eq!(
            (c["sampled"].as_i64(), c["excluded"].as_i64()),
            (Some(4), Some(0))
        );
        // The sampler of 钱塘衣城 sees no coverage of 佳纷天地.
        let other = app.login_api("s-qt").await;
        let (st, _) = other
            .get(&format!(
                "/api/v1/rounds/{rid}/missing?area={COMMUNITY}/佳纷天地"
            ))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
    }
);

both_backends!(a_personal_code_scans_as_its_person, async |db: &TestDb| {
    let app = TestApp::new(db);
    setup(&app).await;
    let rid = open_round(&app, 5, "第1轮").await;
    let admin = app.login_api("admin1").await;
    let (_, found) = admin
        .get(&format!("/api/v1/persons?q={}", id(2, false)))
        .await;
    let pid = found["items"][0]["id"].as_i64().unwrap();
    let (st, code) = admin.get(&format!("/api/v1/persons/{pid}/code")).await;
    assert_eq!(st, StatusCode::OK, "{code}");
    let code = code["code"].as_str().unwrap().to_string();
    assert!(code.starts_with('P') && code.len() == 21);
    assert!(!code.contains(&id(2, false)[6..14]), "never the ID number");
    let (_, again) = admin.get(&format!("/api/v1/persons/{pid}/code")).await;
    assert_eq!(again["code"], code.as_str(), "one code per person");
    let s = app.login_api("s-jf").await;
    let (st, v, _) = s
        .send(
            "POST",
            &format!("/api/v1/rounds/{rid}/scans"),
            Some(json!({"client_id": "p1", "tube": "P-0001", "person": {"code": code.to_lowercase()}})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["person"]["id"].as_i64(), Some(pid));
    let (st, _, _) = s
        .send(
            "POST",
            &format!("/api/v1/rounds/{rid}/scans"),
            Some(json!({"client_id": "p2", "tube": "P-0001", "person": {"code": "P00000000000000000000"}})),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "an unknown code names no one");
});

both_backends!(
    a_bedridden_person_gets_one_home_sampling_task_for_their_building,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        setup(&app).await;
        let rid = open_round(&app, 5, "第2轮").await;
        let admin = app.login_api("admin1").await;
        // 1号楼 has a captain.
        crate::staff::on_duty(
            &admin,
            json!({"name": "楼栋长乙", "phone": "13800138002", "kind": "volunteer"}),
            &format!("{COMMUNITY}/佳纷天地/1号楼"),
            "building_captain",
        )
        .await;
        let url = format!("/api/v1/rounds/{rid}/exclusions");
        // 乙一 (1号楼 102) is bedridden: excused, with a home-sampling task for the captain.
        let bedridden = json!({"person": {"id_number": id(4, false)}, "reason": "bedridden"});
        let (st, first, _) = admin.send("POST", &url, Some(bedridden.clone())).await;
        assert_eq!(st, StatusCode::OK, "{first}");
        assert_eq!(first["reason"], "bedridden");
        let task = &first["home_sampling_task"];
        assert_eq!(task["kind"], "home_sampling", "{first}");
        assert_eq!(task["target"]["type"], "person", "{first}");
        assert_eq!(task["assignee_name"], "楼栋长乙", "{first}");
        assert!(task["note"].as_str().unwrap().contains("第2轮"), "{first}");
        // Excused again: the same task, no second one.
        let (st, again, _) = admin.send("POST", &url, Some(bedridden)).await;
        assert_eq!(st, StatusCode::OK, "{again}");
        assert_eq!(again["home_sampling_task"]["id"], task["id"]);
        let (_, board) = admin.get("/api/v1/tasks?kind=home_sampling").await;
        assert_eq!(board["total"], 1, "{board}");
        // Another reason makes no task.
        let (st, away, _) = admin
            .send(
                "POST",
                &url,
                Some(json!({"person": {"id_number": id(5, true)}, "reason": "away"})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{away}");
        assert!(away["home_sampling_task"].is_null(), "{away}");
        let (_, board) = admin.get("/api/v1/tasks?kind=home_sampling").await;
        assert_eq!(board["total"], 1, "{board}");
        let (_, c) = admin.get(&format!("/api/v1/rounds/{rid}/coverage")).await;
        assert_eq!(c["excluded"].as_i64(), Some(2), "{c}");
    }
);

both_backends!(
    a_persons_samples_are_found_first_samples_and_retests_alike,
    async |db: &TestDb| {
        // A person's first samples and their retests sit on two indexes led by the person
        // (`sample_once`, `samples_retest`, migration 0037): the release checklist and the
        // missed-test sweep must find both.
        let (app, _, s, url) = sampling(db).await;
        let mut person = Vec::new();
        for (client, n, retest) in [
            ("c1", 1, false),
            ("c2", 2, false),
            ("c3", 2, true),
            ("c4", 3, true),
        ] {
            let mut body = scan(client, "T-0001", n);
            body["retest"] = json!(retest);
            let (st, v, _) = s.send("POST", &url, Some(body)).await;
            assert_eq!(st, StatusCode::CREATED, "{v}");
            person.push(v["person"]["id"].as_i64().unwrap());
        }
        let (first, twice, retest_only) = (person[0], person[1], person[3]);
        let store = app.store();
        let since = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
        let counts = [
            store.person_samples(first, since).await.unwrap().len(),
            store.person_samples(twice, since).await.unwrap().len(),
            store
                .person_samples(retest_only, since)
                .await
                .unwrap()
                .len(),
        ];
        assert_eq!(counts, [1, 2, 1]);
        let later = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
        let mut found = store
            .sampled_between(&[first, twice, retest_only, 999_999], since, later)
            .await
            .unwrap();
        found.sort_unstable();
        let mut want = vec![first, twice, retest_only];
        want.sort_unstable();
        assert_eq!(found, want);
        // Outside the window, nobody.
        let before = since - time::Duration::hours(1);
        assert!(
            store
                .sampled_between(&person, before, since)
                .await
                .unwrap()
                .is_empty()
        );
    }
);
