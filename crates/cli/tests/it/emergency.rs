//! `doorstep emergency` and `doorstep retention run`, as the office runs them, on SQLite and
//! on PostgreSQL: an emergency of January 2020 switched in and back with one day's retention,
//! a self-report collected during it; the dry run counts it, the run anonymises it, a second
//! run finds nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use doorstep_app::reports::{PlaceCache, Purpose, SubmissionInput, submit_with};
use doorstep_testkit::{TestDb, both_backends, id, report_link, two_compounds};
use serde_json::{Value, json};
use time::macros::datetime;

use crate::{COMMUNITY, doorstep, ok};

fn cli(url: &str, args: &[&str]) -> Value {
    let mut all = vec!["--db", url];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(&doorstep(&all))).unwrap()
}

both_backends!(retention_from_the_command_line, async |db: &TestDb| {
    let url = db.url.as_str();
    let store = db.store.as_ref();
    two_compounds(store).await;
    let token = report_link(
        store,
        &format!("{COMMUNITY}/佳纷天地"),
        Purpose::HomeQuarantine,
    )
    .await;
    let input: SubmissionInput = serde_json::from_value(json!({
        "idempotency_key": "k-1",
        "address": {"compound": "佳纷天地", "building": "3", "unit": "2", "room": "1201"},
        "members": [{"name": "张伟", "id_number": id(9, true)}],
        "answers": {"notified_by": "社区", "date": "2020-01-10", "temperature": "36.5"}
    }))
    .unwrap();
    submit_with(
        store,
        &PlaceCache::new(),
        &token,
        &input,
        datetime!(2020-01-15 02:00 UTC),
    )
    .await
    .unwrap();

    let e = cli(
        url,
        &[
            "emergency",
            "start",
            "--area",
            COMMUNITY,
            "--reason",
            "疫情",
            "--on",
            "2020-01-01",
            "--json",
        ],
    );
    assert_eq!(e["running"], true, "{e}");
    let eid = e["id"].as_i64().unwrap().to_string();
    // Its task forces change while it runs: a member added, then moved to another force.
    let staff = dir_staff(url, store).await;
    let add = format!("duty={staff}");
    let e = cli(
        url,
        &["emergency", "members", &eid, "--add", &add, "--json"],
    );
    assert_eq!(e["members"][0]["force"], "duty", "{e}");
    let e = cli(
        url,
        &[
            "emergency",
            "members",
            &eid,
            "--add",
            &format!("service={staff}"),
            "--remove",
            &add,
            "--json",
        ],
    );
    let forces: Vec<&str> = e["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["force"].as_str().unwrap())
        .collect();
    assert_eq!(forces, ["service"], "{e}");
    let bad = doorstep(&[
        "--db",
        url,
        "--lang",
        "en",
        "emergency",
        "members",
        &eid,
        "--add",
        "police=1",
    ]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("force: "),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let out = doorstep(&[
        "--db",
        url,
        "emergency",
        "start",
        "--area",
        COMMUNITY,
        "--reason",
        "x",
    ]);
    assert!(!out.status.success(), "one at a time");
    let e = cli(
        url,
        &[
            "emergency",
            "end",
            &eid,
            "--on",
            "2020-01-31",
            "--retention-days",
            "1",
            "--json",
        ],
    );
    assert_eq!(
        (e["running"].as_bool(), e["retention_days"].as_i64()),
        (Some(false), Some(1)),
        "{e}"
    );

    // Reports are stamped with the wall clock: this one is made January 2020's.
    db.execute_raw("UPDATE reports SET submitted_at = '2020-01-15T02:00:00Z'")
        .await
        .unwrap();
    let dry = cli(url, &["retention", "run", "--dry-run", "--json"]);
    assert_eq!(dry["dry_run"], true, "{dry}");
    assert_eq!(dry["totals"]["self_reports"], 1, "{dry}");
    assert_eq!(dry["emergencies"][0]["standing"], "due", "{dry}");
    assert_eq!(dry["emergencies"][0]["purge_from"], "2020-02-02", "{dry}");
    assert_eq!(
        db.query_i64("SELECT COUNT(*) FROM reports WHERE anonymised_at IS NULL")
            .await,
        1
    );

    let done = cli(url, &["retention", "run", "--json"]);
    assert_eq!(done["totals"]["self_reports"], 1, "{done}");
    assert_eq!(
        db.query_i64("SELECT COUNT(*) FROM reports WHERE members = '[]'")
            .await,
        1
    );
    let again = cli(url, &["retention", "run", "--json"]);
    assert_eq!(again["totals"]["self_reports"], 0, "{again}");
    // Ended: its forces stay as they were.
    let late = doorstep(&[
        "--db",
        url,
        "emergency",
        "members",
        &eid,
        "--add",
        &format!("duty={staff}"),
    ]);
    assert!(!late.status.success());
});

/// A staff member of 祥云社区 imported from a roster; their id.
async fn dir_staff(url: &str, store: &dyn doorstep_store::Store) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("staff.csv");
    std::fs::write(&file, "姓名,手机号,单位/类别\n王芳,13800138001,网格员\n").unwrap();
    ok(&doorstep(&[
        "--db",
        url,
        "staff",
        "import",
        "--into",
        COMMUNITY,
        file.to_str().unwrap(),
    ]));
    let found = store
        .staff_list(&doorstep_store::StaffQuery {
            area: Some(doorstep_core::AreaPath::parse(COMMUNITY).unwrap()),
            above: Vec::new(),
            kind: None,
            active: None,
            text: None,
            page: doorstep_store::PageRequest {
                offset: 0,
                limit: 10,
            },
        })
        .await
        .unwrap();
    found.items[0].id.to_string()
}

#[test]
fn serve_refuses_a_retention_time_that_is_no_time_of_day() {
    let out = doorstep(&["serve", "--retention-at", "25:00"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("expected HH:MM"), "{err}");
}
