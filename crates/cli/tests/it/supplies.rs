//! `doorstep supplies list`, run as the office would, on SQLite and on PostgreSQL: a request
//! of a household in home quarantine is listed with its delivery task under its community,
//! and not under another area.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use doorstep_app::access::{Ctx, Principal};
use doorstep_app::supplies::{SupplyDesk, SupplyInput};
use doorstep_testkit::{TestDb, both_backends, id};
use serde_json::Value;

use crate::{doorstep, ok};

both_backends!(
    supplies_listed_from_the_command_line,
    async |db: &TestDb| {
        let url = db.url.as_str();
        doorstep_testkit::demo_community(db.store.as_ref()).await;
        let dir = tempfile::tempdir().unwrap();
        let roster = dir.path().join("r.csv");
        std::fs::write(
            &roster,
            format!(
                "姓名,身份证号,小区,楼栋,单元,房号\n甲,{},佳纷天地,1,1,101\n",
                id(61, true)
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
        let made = doorstep(&[
            "--db",
            url,
            "episode",
            "start",
            "--person",
            &id(61, true),
            "--measure",
            "home_quarantine",
            "--json",
        ]);
        let v: Value = serde_json::from_str(&ok(&made)).unwrap();
        let person = v["items"][0]["person_id"].as_i64().unwrap();
        let household = db.store.person(person).await.unwrap().unwrap().household_id;
        let (office, ctx) = (Principal::office(), Ctx::default());
        SupplyDesk::new(db.store.as_ref(), &office, &ctx)
            .file(
                household,
                &SupplyInput {
                    idempotency_key: "k1".into(),
                    kind: "medicine".into(),
                    detail: "布洛芬".into(),
                    urgency: "urgent".into(),
                },
            )
            .await
            .unwrap();
        let list = |area: &str| -> Value {
            let out = doorstep(&["--db", url, "supplies", "list", "--area", area, "--json"]);
            serde_json::from_str(&ok(&out)).unwrap()
        };
        let v = list(community);
        assert_eq!(v["total"], 1, "{v}");
        assert_eq!(
            (
                v["items"][0]["kind"].as_str(),
                v["items"][0]["status"].as_str(),
                v["items"][0]["overdue"].as_bool()
            ),
            (Some("medicine"), Some("requested"), Some(false)),
            "{v}"
        );
        assert!(v["items"][0]["task_id"].as_i64().is_some(), "{v}");
        assert_eq!(list("二七区/京广路街道/别的社区")["total"], 0);

        // By day: asked today, none yesterday, none delivered today; the tasks made today.
        let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8));
        let (today, yesterday) = (
            now.date().to_string(),
            (now.date() - time::Duration::days(1)).to_string(),
        );
        let on_day = |what: &str, day: &str, on: &str| -> Value {
            let mut args = vec!["--db", url, what, "list", "--area", community, "--day", day];
            if !on.is_empty() {
                args.extend(["--on", on]);
            }
            args.push("--json");
            serde_json::from_str(&ok(&doorstep(&args))).unwrap()
        };
        assert_eq!(on_day("supplies", &today, "")["total"], 1);
        assert_eq!(on_day("supplies", &yesterday, "")["total"], 0);
        assert_eq!(on_day("supplies", &today, "delivered")["total"], 0);
        assert!(on_day("task", &today, "")["total"].as_i64().unwrap() >= 1);
        assert_eq!(on_day("task", &yesterday, "")["total"], 0);
        assert_eq!(on_day("task", &today, "done")["total"], 0);
        let bad = doorstep(&[
            "--db", url, "--lang", "en", "supplies", "list", "--day", "3/1",
        ]);
        assert!(!bad.status.success());
        let err = String::from_utf8_lossy(&bad.stderr);
        assert!(err.contains("day: "), "{err}");
    }
);
