//! `doorstep round …` and `doorstep import results`, run as the office would, on SQLite and on
//! PostgreSQL: a round created and opened from the command line, scanned through the store's
//! use case, boxed, sealed and handed over (the report, the slip and the timelines read back
//! from the command line), and a lab's results file (GBK CSV with CRLF, a bad row) whose positive pool flags
//! its persons.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use doorstep_app::access::{Ctx, Principal};
use doorstep_app::rounds::{PersonRef, RoundDesk, ScanInput};
use doorstep_testkit::{TestDb, both_backends, id};
use serde_json::Value;

use crate::{COMMUNITY, doorstep, import_roster, ok};

both_backends!(
    a_round_and_a_results_file_from_the_command_line,
    async |db: &TestDb| {
        let url = db.url.as_str();
        let store = db.store.as_ref();
        doorstep_testkit::demo_community(store).await;
        let dir = import_roster(
            url,
            &format!(
                "姓名,身份证号,小区,楼栋,单元,房号\n甲,{},佳纷天地,1,1,101\n乙,{},佳纷天地,1,1,102\n",
                id(41, true),
                id(42, false)
            ),
        );
        let community = COMMUNITY;
        let made = doorstep(&[
            "--db",
            url,
            "round",
            "create",
            "--area",
            community,
            "--name",
            "第1轮",
            "--pool-size",
            "5",
            "--lab-deadline-minutes",
            "180",
            "--json",
        ]);
        ok(&made);
        let round: Value = serde_json::from_slice(&made.stdout).unwrap();
        let rid = round["id"].as_i64().unwrap();
        assert_eq!(round["status"], "planned");
        assert_eq!(round["lab_deadline_minutes"], 180, "{round}");
        ok(&doorstep(&["--db", url, "round", "open", &rid.to_string()]));
        // A bad pool size or lab deadline is refused, saying what is allowed.
        for (flag, value, says) in [
            ("--pool-size", "7", "1、5、10 或 20"),
            ("--lab-deadline-minutes", "20", "30–1440"),
        ] {
            let bad = doorstep(&[
                "--db", url, "round", "create", "--area", community, "--name", "x", flag, value,
            ]);
            assert!(!bad.status.success());
            let err = String::from_utf8_lossy(&bad.stderr);
            assert!(err.contains(says), "{err}");
        }
        let (office, ctx) = (Principal::office(), Ctx::default());
        let desk = RoundDesk::new(store, &office, &ctx);
        for (n, (num, male)) in [(41, true), (42, false)].into_iter().enumerate() {
            desk.scan(
                rid,
                &ScanInput {
                    client_id: format!("c{n}"),
                    tube: "GZ-0001".into(),
                    person: PersonRef::IdNumber(id(num, male)),
                    retest: false,
                    point: None,
                },
            )
            .await
            .unwrap();
        }
        // The tube into a box, sealed, on a handover slip: the report, the slip and both
        // timelines from the command line.
        desk.close_tube(rid, "GZ-0001").await.unwrap();
        desk.open_box(rid, "BX-01").await.unwrap();
        desk.box_tube(rid, "BX-01", "GZ-0001").await.unwrap();
        desk.move_box(
            rid,
            "BX-01",
            doorstep_store::BoxStep::Seal {
                by: "office".into(),
            },
        )
        .await
        .unwrap();
        let slip = doorstep_app::rounds::HandoverDesk::new(store, &office, &ctx)
            .create(&doorstep_app::rounds::HandoverForm {
                boxes: vec!["BX-01".into()],
                carrier: "王师傅".into(),
                lab: "金域检验".into(),
                packaging_intact: true,
                disinfected: true,
                temperature: String::new(),
            })
            .await
            .unwrap();
        let r = rid.to_string();
        let out = doorstep(&["--db", url, "round", "handovers", &r, "--json"]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            (v["total"].as_u64(), v["items"][0]["id"].as_i64()),
            (Some(1), Some(slip.id)),
            "{v}"
        );
        assert_eq!(v["items"][0]["page"], format!("/handovers/{}", slip.id));
        let out = doorstep(&[
            "--db", url, "round", "timeline", &r, "--box", "BX-01", "--json",
        ]);
        let v: Value = serde_json::from_slice(&ok(&out).into_bytes()).unwrap();
        let actions: Vec<&str> = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["boxed", "sealed", "handed_over"], "{v}");
        let out = doorstep(&[
            "--db", url, "round", "timeline", &r, "--tube", "GZ-0001", "--json",
        ]);
        let v: Value = serde_json::from_slice(&ok(&out).into_bytes()).unwrap();
        assert_eq!(v["count"], 2, "{v}");
        assert!(v["events"].as_array().unwrap().len() >= 3, "{v}");
        let out = doorstep(&["--db", url, "round", "timeline", &r, "--tube", "NOPE-1"]);
        assert!(!out.status.success(), "an unknown tube: {out:?}");
        let xlsx = dir.path().join("report.xlsx");
        let out = doorstep(&[
            "--db",
            url,
            "round",
            "report",
            &r,
            "--out",
            xlsx.to_str().unwrap(),
            "--json",
        ]);
        let v: Value = serde_json::from_slice(&ok(&out).into_bytes()).unwrap();
        assert_eq!(
            (
                v["sampled"].as_i64(),
                v["tubes"].as_i64(),
                v["boxes"].as_i64()
            ),
            (Some(2), Some(1), Some(1)),
            "{v}"
        );
        assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
        let cov = doorstep(&["--db", url, "round", "coverage", &rid.to_string(), "--json"]);
        ok(&cov);
        let cov: Value = serde_json::from_slice(&cov.stdout).unwrap();
        assert_eq!(cov["sampled"], 2, "{cov}");
        // A lab's file as Chinese Excel saves it: GBK, CRLF; one row with an unreadable result.
        let results = dir.path().join("results.csv");
        let text = "试管码,检测结果,检测时间\r\nGZ-0001,阳性,2026-12-01 10:30\r\nGZ-0002,待定,\r\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        std::fs::write(&results, gbk).unwrap();
        let out = doorstep(&[
            "--db",
            url,
            "import",
            "results",
            results.to_str().unwrap(),
            "--json",
        ]);
        ok(&out);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            (
                v["recorded"].as_u64(),
                v["flagged"].as_u64(),
                v["tasks"].as_u64(),
                v["rejected"].as_u64()
            ),
            (Some(1), Some(2), Some(2), Some(1)),
            "{v}"
        );
        assert_eq!(
            (
                v["errors"][0]["row"].as_u64(),
                v["errors"][0]["column"].as_str()
            ),
            (Some(3), Some("检测结果"))
        );
    }
);
