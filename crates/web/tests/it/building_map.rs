//! The building map (楼栋图), on SQLite and on PostgreSQL: a building of 佳纷天地 with
//! households in every state of a round (all sampled, some missing, none, all excused, in a
//! positive pool, empty), floors read from room numbers ("1201", "302", "B101", "10101"),
//! the building's own room numbering changing the layout (audited, CSRF-checked), the page,
//! the list of maps, and a sampler of 钱塘衣城 who finds nothing here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_core::{AreaPath, Role};
use doorstep_store::no_audit;
use doorstep_testkit::{
    COMMUNITY, TestApp, TestDb, both_backends, csv_file, hidden, id, import_into, two_compounds,
    user,
};
use serde_json::{Value, json};

fn pid(n: u16) -> String {
    id(n, n % 2 == 1)
}

/// 佳纷天地 1号楼: 1201 ×2, 1202 ×2, 302, 301, 601, B101, 10101 and an empty 502; 钱塘衣城
/// 1号楼 101. Returns the round (pool size 1, open) and 1号楼's area id.
async fn setup(app: &TestApp) -> (i64, i64) {
    let store = app.store();
    two_compounds(store).await;
    let dir = tempfile::tempdir().unwrap();
    let mut rows = String::from("姓名,证件号码,小区,楼栋,单元,房号\n");
    for (n, room) in [
        (1, "1201"),
        (2, "1201"),
        (3, "1202"),
        (4, "1202"),
        (5, "302"),
        (6, "301"),
        (7, "601"),
        (8, "B101"),
        (9, "10101"),
    ] {
        rows += &format!("人{n},{},佳纷天地,1,,{room}\n", pid(n));
    }
    rows += &format!("丙一,{},佳纷天地,3,1,20101\n", pid(10));
    rows += &format!("丁一,{},钱塘衣城,1,,101\n", pid(20));
    let f = csv_file(dir.path(), "r.csv", &rows);
    assert_eq!(import_into(store, &f, COMMUNITY).await.rejected, 0);
    let b1 = store
        .area_by_path(&AreaPath::parse(&format!("{COMMUNITY}/佳纷天地/1号楼")).unwrap())
        .await
        .unwrap()
        .unwrap();
    store
        .create_household(b1.id, "502", "佳纷天地1号楼502", no_audit())
        .await
        .unwrap();
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
    user(store, "lab1", Role::Lab, "二七区").await;
    let admin = app.login_api("admin1").await;
    let rid = crate::rounds::create_open_round(
        app,
        json!({"area": COMMUNITY, "name": "第7轮", "pool_size": 1}),
    )
    .await;
    // 1201 both sampled, 1202 one of two, 601 sampled into a tube found positive; 301 excused.
    let s = app.login_api("s-jf").await;
    for n in [1u16, 2, 3, 7] {
        let (st, v, _) = s
            .send(
                "POST",
                &format!("/api/v1/rounds/{rid}/scans"),
                Some(
                    json!({"client_id": format!("c{n}"), "tube": format!("T-{n:04}"),
                            "person": {"id_number": pid(n)}}),
                ),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let (st, v, _) = admin
        .send(
            "POST",
            &format!("/api/v1/rounds/{rid}/exclusions"),
            Some(json!({"person": {"id_number": pid(6)}, "reason": "away"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let lab = app.login_api("lab1").await;
    let (st, v, _) = lab
        .send(
            "POST",
            "/api/v1/lab/results",
            Some(json!({"results": [{"tube": "T-0007", "result": "阳性"},
                                    {"tube": "T-0001", "result": "negative"}]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    (rid, b1.id)
}

/// Every cell of a map answer: room → (floor, state, members, sampled).
fn cells(map: &Value) -> Vec<(String, Value, String, i64, i64)> {
    map["floors"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["cells"].as_array().unwrap().iter())
        .map(|c| {
            (
                c["room"].as_str().unwrap().to_string(),
                c["floor"].clone(),
                c["state"].as_str().unwrap().to_string(),
                c["members"].as_i64().unwrap(),
                c["sampled"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn floor_order(map: &Value) -> Vec<Value> {
    map["floors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["floor"].clone())
        .collect()
}

both_backends!(
    states_floors_and_the_building_s_room_numbering,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        let (rid, b1) = setup(&app).await;
        let s = app.login_api("s-jf").await;
        let url = format!("/api/v1/rounds/{rid}/map/{b1}");
        let (st, map) = s.get(&url).await;
        assert_eq!(st, StatusCode::OK, "{map}");
        let got = cells(&map);
        let want = [
            ("10101", json!(101), "none", 1, 0),
            ("1201", json!(12), "sampled", 2, 2),
            ("1202", json!(12), "partial", 2, 1),
            ("601", json!(6), "positive", 1, 1),
            ("502", json!(5), "empty", 0, 0),
            ("301", json!(3), "excused", 1, 0),
            ("302", json!(3), "none", 1, 0),
            ("B101", json!(-1), "none", 1, 0),
        ];
        assert_eq!(
            got,
            want.iter()
                .map(|(r, f, s, m, n)| (r.to_string(), f.clone(), s.to_string(), *m, *n))
                .collect::<Vec<_>>(),
            "{map}"
        );
        assert_eq!(
            floor_order(&map),
            vec![
                json!(101),
                json!(12),
                json!(6),
                json!(5),
                json!(3),
                json!(-1)
            ]
        );
        let count = |m: &Value, state: &str| {
            m["counts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["state"] == state)
                .unwrap()["households"]
                .as_i64()
                .unwrap()
        };
        assert_eq!(
            ["positive", "none", "partial", "sampled", "excused", "empty"].map(|x| count(&map, x)),
            [1, 3, 1, 1, 1, 1]
        );
        assert_eq!(
            (
                map["room_digits"].as_i64(),
                map["room_digits_set"].as_bool()
            ),
            (Some(2), Some(false))
        );
        // The map names rooms, never persons or ID numbers.
        let text = map.to_string();
        assert!(
            !text.contains("人1") && !text.contains(&pid(1)[..10]),
            "{text}"
        );

        // The page, as the community admin: cells link to households, the legend has text.
        let mut b = app.browser();
        b.login("admin1").await;
        let page = b.get(&format!("/rounds/{rid}/map/{b1}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        for want in [
            "楼栋图",
            "已采完",
            "部分未采",
            "全未采",
            "全部免采",
            "混管阳性",
            "空户",
            "12层",
            "B1",
            "bm-s-positive",
        ] {
            assert!(page.text.contains(want), "{want}: {}", page.text);
        }
        let hid = got_household(&map, "1201");
        assert!(page.text.contains(&format!("href=\"/households/{hid}\"")));
        assert!(!page.text.contains(&pid(1)[..10]));
        // A form without the session's token is refused; with it, 3 digits re-read the floors.
        let forged = b
            .post_form(
                &format!("/rounds/{rid}/map/{b1}/digits"),
                &[("csrf", "x"), ("room_digits", "3")],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let csrf = hidden(&page.text, "csrf");
        let bad = b
            .post_form(
                &format!("/rounds/{rid}/map/{b1}/digits"),
                &[("csrf", &csrf), ("room_digits", "9")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::OK);
        assert!(bad.text.contains("class=\"alert\""), "{}", bad.text);
        let done = b
            .post_form(
                &format!("/rounds/{rid}/map/{b1}/digits"),
                &[("csrf", &csrf), ("room_digits", "3")],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
        let (_, map) = s.get(&url).await;
        assert_eq!(
            (
                map["room_digits"].as_i64(),
                map["room_digits_set"].as_bool()
            ),
            (Some(3), Some(true))
        );
        let floors: Vec<(String, Value)> = cells(&map).into_iter().map(|c| (c.0, c.1)).collect();
        assert!(floors.contains(&("10101".into(), json!(10))), "{floors:?}");
        assert!(floors.contains(&("1201".into(), json!(1))), "{floors:?}");
        assert!(floors.contains(&("302".into(), Value::Null)), "{floors:?}");
        assert_eq!(
            floor_order(&map).last(),
            Some(&Value::Null),
            "unknown floors last"
        );
        let admin = app.login_api("admin1").await;
        let (_, audit) = admin.get("/api/v1/audit?action=area.room_digits").await;
        assert_eq!(audit["total"], 1, "{audit}");
        // A sampler may see the map but not change the numbering.
        let mut sb = app.browser();
        sb.login("s-jf").await;
        let page = sb.get(&format!("/rounds/{rid}/map/{b1}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.text.contains("room_digits"));
        // The list of maps under the compound links to the building.
        let list = b
            .get(&format!(
                "/rounds/{rid}/maps?area={}",
                doorstep_testkit::enc(&format!("{COMMUNITY}/佳纷天地"))
            ))
            .await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.text);
        assert!(
            list.text.contains(&format!("/rounds/{rid}/map/{b1}")),
            "{}",
            list.text
        );
        assert!(list.text.contains("1号楼") && list.text.contains("3号楼"));
        // A unit reads its rooms as its building says: 3号楼 set to 3 digits, its 1单元's 20101
        // is on floor 20 (the usual 2 would put it on floor 201). The page is in English too.
        let b3 = area_id(&app, "佳纷天地/3号楼").await;
        let u1 = area_id(&app, "佳纷天地/3号楼/1单元").await;
        let unit_url = format!("/api/v1/rounds/{rid}/map/{u1}");
        let (_, m) = s.get(&unit_url).await;
        assert_eq!(cells(&m)[0].1, json!(201), "{m}");
        let done = b
            .post_form(
                &format!("/rounds/{rid}/map/{b3}/digits"),
                &[("csrf", &csrf), ("room_digits", "3")],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
        let (_, m) = s.get(&unit_url).await;
        assert_eq!(cells(&m)[0].1, json!(20), "{m}");
        assert_eq!(m["room_digits"], 3);
        b.lang = "en";
        let page = b.get(&format!("/rounds/{rid}/map/{u1}")).await;
        for want in ["Building map", "F20", "None sampled", "20101"] {
            assert!(page.text.contains(want), "{want}: {}", page.text);
        }
    }
);

/// The id of an area of the community, by its path below it.
async fn area_id(app: &TestApp, below: &str) -> i64 {
    app.store()
        .area_by_path(&AreaPath::parse(&format!("{COMMUNITY}/{below}")).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id
}

fn got_household(map: &Value, room: &str) -> i64 {
    map["floors"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["cells"].as_array().unwrap().iter())
        .find(|c| c["room"] == room)
        .unwrap()["household_id"]
        .as_i64()
        .unwrap()
}

both_backends!(another_compound_finds_no_map, async |db: &TestDb| {
    let app = TestApp::new(db);
    let (rid, b1) = setup(&app).await;
    let other = app.login_api("s-qt").await;
    let (st, v) = other.get(&format!("/api/v1/rounds/{rid}/map/{b1}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    let mut b = app.browser();
    b.login("s-qt").await;
    let page = b.get(&format!("/rounds/{rid}/map/{b1}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let csrf = hidden(&b.get("/").await.text, "csrf");
    let post = b
        .post_form(
            &format!("/rounds/{rid}/map/{b1}/digits"),
            &[("csrf", &csrf), ("room_digits", "3")],
        )
        .await;
    assert_eq!(post.status, StatusCode::NOT_FOUND);
    // The compound itself is not a building: no map of it, even for the admin.
    let admin = app.login_api("admin1").await;
    let jf = app
        .store()
        .area_by_path(&AreaPath::parse(&format!("{COMMUNITY}/佳纷天地")).unwrap())
        .await
        .unwrap()
        .unwrap();
    let (st, _) = admin
        .get(&format!("/api/v1/rounds/{rid}/map/{}", jf.id))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // 钱塘衣城's own building is theirs to see.
    let qt = app
        .store()
        .area_by_path(&AreaPath::parse(&format!("{COMMUNITY}/钱塘衣城/1号楼")).unwrap())
        .await
        .unwrap()
        .unwrap();
    let (st, map) = other
        .get(&format!("/api/v1/rounds/{rid}/map/{}", qt.id))
        .await;
    assert_eq!(st, StatusCode::OK, "{map}");
    assert_eq!(cells(&map).len(), 1);
    assert_eq!(cells(&map)[0].2, "none");
});
