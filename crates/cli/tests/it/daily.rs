//! `doorstep report daily`, run as the office would, on SQLite and on PostgreSQL: the JSON
//! report of a district with one community in home quarantine, and its XLSX written to a file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use doorstep_testkit::{TestDb, both_backends, id};
use serde_json::Value;

use crate::{COMMUNITY, doorstep, import_roster, ok};

both_backends!(
    the_daily_report_from_the_command_line,
    async |db: &TestDb| {
        let url = db.url.as_str();
        doorstep_testkit::demo_community(db.store.as_ref()).await;
        let dir = import_roster(
            url,
            &format!(
                "姓名,身份证号,小区,楼栋,单元,房号\n甲,{},佳纷天地,1,1,101\n乙,{},佳纷天地,1,1,102\n",
                id(71, true),
                id(72, false)
            ),
        );
        let community = COMMUNITY;
        ok(&doorstep(&[
            "--db",
            url,
            "episode",
            "start",
            "--person",
            &id(71, true),
            "--measure",
            "home_quarantine",
            "--json",
        ]));
        let out = doorstep(&["--db", url, "report", "daily", "--area", "二七区", "--json"]);
        let v: Value = serde_json::from_str(&ok(&out)).unwrap();
        let areas: Vec<&str> = v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["area"].as_str().unwrap())
            .collect();
        assert_eq!(areas, ["二七区", "二七区/京广路街道", community], "{v}");
        assert_eq!(v["total"]["persons"], 2, "{v}");
        assert_eq!(v["total"]["households"], 2, "{v}");
        assert_eq!(v["total"]["home_quarantine.new"], 1, "{v}");
        assert_eq!(v["total"]["home_quarantine.ongoing"], 1, "{v}");
        assert_eq!(
            (v["signed"].as_i64(), v["communities"].as_i64()),
            (Some(0), Some(1))
        );
        // An unknown area and a day not yet come are refused, saying where.
        let out = doorstep(&[
            "--db",
            url,
            "report",
            "daily",
            "--area",
            "二七区",
            "--day",
            "2999-01-01",
        ]);
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("day"),
            "{out:?}"
        );
        let file = dir.path().join("daily.xlsx");
        ok(&doorstep(&[
            "--db",
            url,
            "report",
            "daily",
            "--area",
            community,
            "--xlsx",
            file.to_str().unwrap(),
        ]));
        assert!(std::fs::read(&file).unwrap().starts_with(b"PK"));
    }
);
