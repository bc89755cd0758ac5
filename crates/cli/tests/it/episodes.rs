//! `doorstep episode start`, run as the office would, on SQLite and on PostgreSQL: a person by
//! ID number into home quarantine with their household (the 9th edition includes
//! co-residents), the same again refused, and one person by file id under the November 2022
//! variant.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use doorstep_testkit::{TestDb, both_backends, id};
use serde_json::Value;

use crate::{doorstep, ok};

both_backends!(episodes_start_from_the_command_line, async |db: &TestDb| {
    let url = db.url.as_str();
    doorstep_testkit::demo_community(db.store.as_ref()).await;
    let dir = tempfile::tempdir().unwrap();
    let roster = dir.path().join("r.csv");
    std::fs::write(
            &roster,
            format!(
                "姓名,身份证号,小区,楼栋,单元,房号\n甲,{},佳纷天地,1,1,101\n乙,{},佳纷天地,1,1,101\n丙,{},佳纷天地,1,1,102\n",
                id(51, true),
                id(52, false),
                id(53, true)
            ),
        )
        .unwrap();
    let community = "二七区/京广路街道/祥云社区";
    ok(&doorstep(&[
        "--db",
        url,
        "import",
        "persons",
        "--into",
        community,
        roster.to_str().unwrap(),
    ]));
    let start = |person: &str, extra: &[&str]| {
        let mut args = vec![
            "--db",
            url,
            "episode",
            "start",
            "--person",
            person,
            "--measure",
            "home_quarantine",
            "--start",
            "2026-12-01",
            "--json",
        ];
        args.extend_from_slice(extra);
        doorstep(&args)
    };
    let made = start(&id(51, true), &[]);
    ok(&made);
    let v: Value = serde_json::from_slice(&made.stdout).unwrap();
    assert_eq!(v["total"], 2, "甲 and 乙 share room 101: {v}");
    assert_eq!(v["items"][0]["last_day"], "2026-12-07");
    let again = start(&id(52, false), &[]);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("同一措施"), "{err}");
    // 丙 by file id, under the November 2022 variant: three days, alone.
    let file_id = v["items"][1]["person_id"].as_i64().unwrap() + 1;
    let made = start(&file_id.to_string(), &["--policy", "nov_2022"]);
    ok(&made);
    let v: Value = serde_json::from_slice(&made.stdout).unwrap();
    assert_eq!(
        (v["total"].as_i64(), v["items"][0]["last_day"].as_str()),
        (Some(1), Some("2026-12-03"))
    );
});

both_backends!(
    episodes_change_transfer_release_and_list_from_the_command_line,
    async |db: &TestDb| {
        let url = db.url.as_str();
        doorstep_testkit::demo_community(db.store.as_ref()).await;
        let dir = tempfile::tempdir().unwrap();
        let roster = dir.path().join("r.csv");
        std::fs::write(
            &roster,
            format!(
                "姓名,身份证号,小区,楼栋,单元,房号\n甲,{},佳纷天地,1,1,101\n丙,{},佳纷天地,1,1,102\n",
                id(61, true),
                id(63, true)
            ),
        )
        .unwrap();
        let community = "二七区/京广路街道/祥云社区";
        ok(&doorstep(&[
            "--db",
            url,
            "import",
            "persons",
            "--into",
            community,
            roster.to_str().unwrap(),
        ]));
        let json = |args: &[&str]| -> Value {
            let mut all = vec!["--db", url, "episode"];
            all.extend_from_slice(args);
            let out = doorstep(&all);
            ok(&out);
            serde_json::from_slice(&out.stdout).unwrap()
        };
        // Started a week and a half ago: its planned end is past.
        let start = (time::OffsetDateTime::now_utc() - time::Duration::days(10))
            .date()
            .to_string();
        let v = json(&[
            "start",
            "--person",
            &id(61, true),
            "--measure",
            "home_quarantine",
            "--policy",
            "nov_2022",
            "--start",
            &start,
            "--json",
        ]);
        let first = v["items"][0]["id"].as_i64().unwrap().to_string();
        // Extended past today, then released early: no samples, so a reason is needed.
        let last = (time::OffsetDateTime::now_utc() + time::Duration::days(3))
            .date()
            .to_string();
        let v = json(&[
            "extend",
            &first,
            "--last-day",
            &last,
            "--reason",
            "延长观察",
            "--json",
        ]);
        assert_eq!(v["items"][0]["last_day"].as_str(), Some(last.as_str()));
        let refused = doorstep(&["--db", url, "episode", "release", &first, "--json"]);
        assert!(!refused.status.success());
        let err = String::from_utf8_lossy(&refused.stderr);
        assert!(err.contains("请填写原因"), "{err}");
        let v = json(&["release", &first, "--reason", "医生评估解除", "--json"]);
        assert_eq!(v["items"][0]["status"], "released");
        // 丙 to hospital.
        let v = json(&[
            "start",
            "--person",
            &id(63, true),
            "--measure",
            "home_health_monitoring",
            "--json",
        ]);
        let second = v["items"][0]["id"].as_i64().unwrap().to_string();
        let v = json(&[
            "transfer",
            &second,
            "--to",
            "hospital",
            "--place",
            "市一院",
            "--reason",
            "发热",
            "--json",
        ]);
        assert_eq!(v["items"][0]["status"], "transferred");
        let v = json(&["list", "--area", community, "--json"]);
        assert_eq!(v["total"], 2);
        let v = json(&[
            "list", "--area", community, "--status", "released", "--json",
        ]);
        assert_eq!(
            (
                v["total"].as_i64(),
                v["items"][0]["id"].as_i64().map(|i| i.to_string())
            ),
            (Some(1), Some(first))
        );
    }
);
