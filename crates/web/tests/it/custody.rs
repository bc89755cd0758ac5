//! The chain of custody, on SQLite and on PostgreSQL — the whole story: a round, scans that
//! fill tubes, a box with the pending-tube check, sealing, handover, the lab's receipt with a
//! count mismatch that needs a note, results with one positive pool, its persons flagged with
//! an urgent home re-sampling task each, the single-tube re-sample whose negative result
//! releases the flag, the timelines, and a custody log the database refuses to change.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_core::Role;
use doorstep_testkit::{
    COMMUNITY, TestApp, TestDb, both_backends, csv_file, id, import_into, two_compounds, user,
};
use serde_json::{Value, json};

/// Six persons in 佳纷天地 1号楼 (101–106, `id(n, n % 2 == 1)`); users `admin1`, samplers
/// `s-jf`/`s-qt` (as `rounds.rs`) and `lab1` (the district). Shared with `handover.rs`.
pub(crate) async fn six_persons_and_users(store: &dyn doorstep_store::Store) {
    two_compounds(store).await;
    let dir = tempfile::tempdir().unwrap();
    let mut rows = String::from("姓名,证件号码,小区,楼栋,单元,房号\n");
    for n in 1..=6u16 {
        rows += &format!("人{n},{},佳纷天地,1,,10{n}\n", id(n, n % 2 == 1));
    }
    let f = csv_file(dir.path(), "r.csv", &rows);
    assert_eq!(import_into(store, &f, COMMUNITY).await.rejected, 0);
    crate::rounds::round_users(store).await;
    user(store, "lab1", Role::Lab, "二七区").await;
}

async fn setup(app: &TestApp) -> i64 {
    let store = app.store();
    six_persons_and_users(store).await;
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
    rid
}

fn scan(client: &str, tube: &str, n: u16, retest: bool) -> Value {
    json!({"client_id": client, "tube": tube, "person": {"id_number": id(n, n % 2 == 1)}, "retest": retest})
}

both_backends!(
    the_whole_chain_from_scan_to_released_flag,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        let rid = setup(&app).await;
        let s = app.login_api("s-jf").await;
        let r = format!("/api/v1/rounds/{rid}");
        // Five fill TUBE-A (closed by itself); the sixth opens TUBE-B.
        for n in 1..=6u16 {
            let tube = if n <= 5 { "TUBE-A" } else { "TUBE-B" };
            let (st, v, _) = s
                .send(
                    "POST",
                    &format!("{r}/scans"),
                    Some(scan(&format!("c{n}"), tube, n, false)),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "{v}");
        }
        let (st, b, _) = s
            .send(
                "POST",
                &format!("{r}/boxes"),
                Some(json!({"code": "BOX-001"})),
            )
            .await;
        assert_eq!(
            (st, b["status"].as_str()),
            (StatusCode::CREATED, Some("open")),
            "{b}"
        );
        // TUBE-B is still open: it cannot go in, and the box shows it pending.
        let (st, v, _) = s
            .send(
                "POST",
                &format!("{r}/boxes/BOX-001/tubes"),
                Some(json!({"tube": "TUBE-B"})),
            )
            .await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("tube_open"))
        );
        // An empty box cannot be sealed.
        let (st, v, _) = s
            .send("POST", &format!("{r}/boxes/BOX-001/seal"), None)
            .await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("box_empty"))
        );
        let (st, v, _) = s
            .send(
                "POST",
                &format!("{r}/boxes/BOX-001/tubes"),
                Some(json!({"tube": "tube-a"})),
            )
            .await;
        assert_eq!(
            (st, v["tubes"].as_i64(), v["persons"].as_i64()),
            (StatusCode::OK, Some(1), Some(5)),
            "{v}"
        );
        let (_, b) = s.get(&format!("{r}/boxes/BOX-001")).await;
        let pending: Vec<(&str, bool)> = b["pending"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["code"].as_str().unwrap(), p["open"].as_bool().unwrap()))
            .collect();
        assert_eq!(pending, [("TUBE-B", true)], "{b}");
        // Close TUBE-B by hand and box it in a second box; seal the first.
        s.send("POST", &format!("{r}/tubes/TUBE-B/close"), None)
            .await;
        let (st, sealed, _) = s
            .send("POST", &format!("{r}/boxes/BOX-001/seal"), None)
            .await;
        assert_eq!(
            (st, sealed["status"].as_str()),
            (StatusCode::OK, Some("sealed")),
            "{sealed}"
        );
        assert_eq!(
            (sealed["tubes"].as_i64(), sealed["persons"].as_i64()),
            (Some(1), Some(5))
        );
        let (st, v, _) = s
            .send(
                "POST",
                &format!("{r}/boxes/BOX-001/tubes"),
                Some(json!({"tube": "TUBE-B"})),
            )
            .await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("box_closed"))
        );
        // Another compound's sampler does not see this box.
        let other = app.login_api("s-qt").await;
        let (st, _) = other.get(&format!("{r}/boxes/BOX-001")).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        // Handover needs a carrier and a lab.
        let (st, v, _) = s
            .send(
                "POST",
                &format!("{r}/boxes/BOX-001/handover"),
                Some(json!({"carrier": "", "lab": "金域"})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let (st, v, _) = s
            .send(
                "POST",
                &format!("{r}/boxes/BOX-001/handover"),
                Some(json!({"carrier": "转运员王", "lab": "金域检测"})),
            )
            .await;
        assert_eq!(
            (st, v["status"].as_str()),
            (StatusCode::OK, Some("handed_over")),
            "{v}"
        );
        // The lab counts 2 tubes where 1 was sealed: a note is needed, and kept.
        let lab = app.login_api("lab1").await;
        let (st, v, _) = lab
            .send(
                "POST",
                "/api/v1/lab/boxes/BOX-001/receive",
                Some(json!({"tubes": 2})),
            )
            .await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("count_mismatch")),
            "{v}"
        );
        let (st, v, _) = lab
            .send(
                "POST",
                "/api/v1/lab/boxes/BOX-001/receive",
                Some(json!({"tubes": 2, "note": "多出一管空管，已退回"})),
            )
            .await;
        assert_eq!(
            (st, v["status"].as_str(), v["mismatch"].as_bool()),
            (StatusCode::OK, Some("received"), Some(true)),
            "{v}"
        );
        // Results: TUBE-A positive (a pool of five), TUBE-B negative, one unknown code, one bad row.
        let (st, v, _) = lab
            .send(
                "POST",
                "/api/v1/lab/results",
                Some(json!({"results": [
            {"tube": "TUBE-A", "result": "阳性"}, {"tube": "TUBE-B", "result": "negative"},
            {"tube": "NOPE-9", "result": "negative"}, {"tube": "TUBE-C", "result": "maybe"}]})),
            )
            .await;
        assert_eq!(
            st,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a bad row refuses the whole file: {v}"
        );
        assert_eq!(v["fields"][0]["path"], "results[3].result");
        let body = json!({"results": [
        {"tube": "TUBE-A", "result": "阳性", "tested_at": "2026-12-01T09:30"},
        {"tube": "TUBE-B", "result": "negative"}, {"tube": "NOPE-9", "result": "negative"}]});
        let (st, v, _) = lab
            .send("POST", "/api/v1/lab/results", Some(body.clone()))
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(
            (
                v["recorded"].as_u64(),
                v["flagged"].as_u64(),
                v["tasks"].as_u64(),
                v["unknown"].clone()
            ),
            (Some(2), Some(5), Some(5), json!(["NOPE-9"]))
        );
        // The file sent again changes nothing.
        let (_, again, _) = lab.send("POST", "/api/v1/lab/results", Some(body)).await;
        assert_eq!(
            (
                again["recorded"].as_u64(),
                again["unchanged"].as_u64(),
                again["tasks"].as_u64()
            ),
            (Some(0), Some(2), Some(0))
        );
        // A different result for a tube resulted already is not written over but listed, and a
        // tube named twice in one file is taken in order.
        let (_, v, _) = lab
            .send(
                "POST",
                "/api/v1/lab/results",
                Some(json!({"results": [{"tube": "TUBE-B", "result": "invalid"},
                                        {"tube": "TUBE-B", "result": "negative"}]})),
            )
            .await;
        assert_eq!(
            (v["different"].clone(), v["unchanged"].as_u64()),
            (json!(["TUBE-B"]), Some(1)),
            "{v}"
        );
        let admin = app.login_api("admin1").await;
        let (_, flags) = admin.get(&format!("{r}/flags")).await;
        assert_eq!(flags["total"], 5);
        assert!(
            flags["items"][0]["id_number"]
                .as_str()
                .unwrap()
                .contains('*')
        );
        let (_, tasks) = admin.get("/api/v1/tasks?kind=home_sampling").await;
        assert_eq!(tasks["total"], 5, "{tasks}");
        assert_eq!(tasks["items"][0]["priority"], "urgent");
        // 人1's single-tube re-sample comes back negative: released.
        let (st, v, _) = s
            .send(
                "POST",
                &format!("{r}/scans"),
                Some(scan("re1", "SINGLE-1", 1, true)),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        s.send("POST", &format!("{r}/tubes/SINGLE-1/close"), None)
            .await;
        let (_, v, _) = lab
            .send(
                "POST",
                "/api/v1/lab/results",
                Some(json!({"results": [{"tube": "SINGLE-1", "result": "negative"}]})),
            )
            .await;
        assert_eq!(v["recorded"], 1, "{v}");
        let (_, flags) = admin.get(&format!("{r}/flags")).await;
        let released: Vec<&Value> = flags["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["status"] == "negative")
            .collect();
        assert_eq!(released.len(), 1, "{flags}");
        // TUBE-A's timeline: five samples, closed, boxed, sealed, handed over, received, resulted.
        let (st, t) = s.get(&format!("{r}/tubes/TUBE-A/timeline")).await;
        assert_eq!(st, StatusCode::OK, "{t}");
        let actions: Vec<&str> = t
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "sampled",
                "sampled",
                "sampled",
                "sampled",
                "sampled",
                "closed",
                "boxed",
                "sealed",
                "handed_over",
                "received",
                "resulted"
            ]
        );
        // The report: coverage, tubes, positives, timeliness; and its spreadsheet.
        let (st, rep) = admin.get(&format!("{r}/report")).await;
        assert_eq!(st, StatusCode::OK, "{rep}");
        assert_eq!(
            (
                rep["coverage"]["sampled"].as_i64(),
                rep["tubes"].as_i64(),
                rep["tubes_positive"].as_i64(),
                rep["flagged"].as_i64(),
                rep["released"].as_i64(),
                rep["boxes_received"].as_i64()
            ),
            (Some(6), Some(3), Some(1), Some(4), Some(1), Some(1)),
            "{rep}"
        );
        assert!(rep["median_to_lab"].as_i64().is_some(), "{rep}");
        assert_eq!(rep["late_boxes"], json!([]));
        let res = admin
            .request("GET", &format!("{r}/report?format=csv"))
            .await;
        assert_eq!(res.status, StatusCode::OK);
        let text = res.text.trim_start_matches('\u{feff}');
        assert!(
            text.contains("区域,应采,已采,免采,未采,覆盖率") && text.contains("合计"),
            "{text}"
        );
        // The custody log cannot be changed, even by hand in the database.
        let refused = db
            .execute_raw("UPDATE custody_events SET by_user = 'x'")
            .await;
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.contains("custody_append_only")),
            "the database refuses changes to the custody log: {refused:?}"
        );
        assert!(db.execute_raw("DELETE FROM custody_events").await.is_err());
        assert_eq!(
            db.execute_raw("UPDATE tubes SET count = count")
                .await
                .map(|n| n > 0),
            Ok(true),
            "other tables are not locked"
        );
    }
);
