//! `doorstep round point …` and `doorstep round materials …` as the office, on SQLite and on
//! PostgreSQL: a point added with its staff, tube codes issued as a range and boxes as a list,
//! a backwards range refused with the message in Chinese, returns recorded, and the day shown
//! as JSON.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use doorstep_testkit::{TestDb, both_backends};
use serde_json::Value;

use crate::{doorstep, ok};

both_backends!(
    points_and_materials_from_the_command_line,
    async |db: &TestDb| {
        let url = db.url.as_str();
        doorstep_testkit::two_compounds(db.store.as_ref()).await;
        let community = "二七区/京广路街道/祥云社区";
        let made = doorstep(&[
            "--db", url, "round", "create", "--area", community, "--name", "第2轮", "--json",
        ]);
        let rid = serde_json::from_slice::<Value>(&made.stdout).unwrap()["id"]
            .as_i64()
            .unwrap()
            .to_string();
        let place = format!("{community}/佳纷天地");
        let point = ok(&doorstep(&[
            "--db", url, "round", "point", "add", "--round", &rid, "--name", "东门", "--area",
            &place, "--json",
        ]));
        let point: Value = serde_json::from_str(&point).unwrap();
        assert_eq!(point["place"], place.as_str());
        let pid = point["id"].as_i64().unwrap().to_string();
        let issue = |extra: &[&str]| {
            let mut args = vec![
                "--db",
                url,
                "round",
                "materials",
                "issue",
                "--round",
                &rid,
                "--point",
                &pid,
            ];
            args.extend_from_slice(extra);
            doorstep(&args)
        };
        ok(&issue(&["--kind", "tube", "--range", "T0001-T0100"]));
        ok(&issue(&[
            "--kind",
            "box",
            "--codes",
            "BOX-01 BOX-02",
            "--codes",
            "BOX-03",
        ]));
        let bad = issue(&["--kind", "tube", "--range", "T0100-T0001"]);
        assert!(!bad.status.success());
        assert!(
            String::from_utf8_lossy(&bad.stderr).contains("号段应为"),
            "{}",
            String::from_utf8_lossy(&bad.stderr)
        );
        ok(&doorstep(&[
            "--db",
            url,
            "round",
            "materials",
            "counts",
            "--round",
            &rid,
            "--point",
            &pid,
            "--kind",
            "tube",
            "--returned",
            "100",
        ]));
        let shown = ok(&doorstep(&[
            "--db",
            url,
            "round",
            "materials",
            "show",
            "--round",
            &rid,
            "--json",
        ]));
        let shown: Value = serde_json::from_str(&shown).unwrap();
        let ledgers = shown[0]["ledgers"].as_array().unwrap();
        assert_eq!(ledgers[0]["kind"], "tube");
        assert_eq!(ledgers[0]["issued"], 100);
        assert_eq!(ledgers[0]["balanced"], true);
        assert_eq!(
            (ledgers[1]["issued"].as_i64(), ledgers[1]["low"].as_bool()),
            (Some(3), Some(false))
        );
        let listed = ok(&doorstep(&[
            "--db", url, "round", "point", "list", "--round", &rid,
        ]));
        assert!(listed.contains("东门"), "{listed}");
    }
);
