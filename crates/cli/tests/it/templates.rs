//! `doorstep template import|export|list` and `doorstep export TEMPLATE`, run as the office
//! would, on SQLite and on PostgreSQL: a template file imported for a street exports its
//! community's persons with the mapped values; the file written back is the same template;
//! an unknown template or area is refused with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use doorstep_testkit::{TestDb, both_backends, id};
use serde_json::{Value, json};

use crate::{COMMUNITY, doorstep, import_roster, ok};

both_backends!(a_template_from_the_command_line, async |db: &TestDb| {
    let url = db.url.as_str();
    doorstep_testkit::demo_community(db.store.as_ref()).await;
    let dir = import_roster(
        url,
        &format!(
            "姓名,身份证号,联系电话,小区,楼栋,单元,房号\n甲,{},13800000071,佳纷天地,1,1,101\n乙,{},,佳纷天地,1,1,102\n",
            id(71, true),
            id(72, false)
        ),
    );
    let file = dir.path().join("卫健委.json");
    let template = json!({"format": "doorstep-template", "name": "卫健委", "kind": "persons",
        "columns": [{"header": "XM", "field": "name"},
                    {"header": "XB", "field": "sex", "map": "男=1; 女=2"},
                    {"header": "CSRQ", "field": "birth_date", "map": "YYYY/MM/DD"}]});
    std::fs::write(&file, template.to_string()).unwrap();
    let out = ok(&doorstep(&[
        "--db",
        url,
        "template",
        "import",
        file.to_str().unwrap(),
        "--area",
        "二七区/京广路街道",
    ]));
    let made: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(made["headers"], json!(["XM", "XB", "CSRQ"]), "{made}");

    let csv = dir.path().join("out.csv");
    ok(&doorstep(&[
        "--db",
        url,
        "export",
        "卫健委",
        "--area",
        COMMUNITY,
        "--format",
        "csv",
        "-o",
        csv.to_str().unwrap(),
    ]));
    let written = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = written.trim_start_matches('\u{feff}').lines().collect();
    let day = |n: &str| format!("{}/{}/{}", &n[6..10], &n[10..12], &n[12..14]);
    assert_eq!(
        lines,
        [
            "XM,XB,CSRQ".to_string(),
            format!("甲,1,{}", day(&id(71, true))),
            format!("乙,2,{}", day(&id(72, false)))
        ]
    );
    let xlsx = dir.path().join("out.xlsx");
    ok(&doorstep(&[
        "--db",
        url,
        "export",
        made["id"].to_string().as_str(),
        "--area",
        COMMUNITY,
        "-o",
        xlsx.to_str().unwrap(),
    ]));
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));

    // The file written back reads as the same template.
    let back = dir.path().join("back.json");
    ok(&doorstep(&[
        "--db",
        url,
        "template",
        "export",
        "卫健委",
        "-o",
        back.to_str().unwrap(),
    ]));
    let back: Value = serde_json::from_slice(&std::fs::read(&back).unwrap()).unwrap();
    assert_eq!(back["columns"][1]["map"], "男=1; 女=2");
    assert_eq!(
        back["columns"],
        json!([{"header": "XM", "field": "name", "map": ""},
               {"header": "XB", "field": "sex", "map": "男=1; 女=2"},
               {"header": "CSRQ", "field": "birth_date", "map": "YYYY/MM/DD"}])
    );
    let list = ok(&doorstep(&["--db", url, "template", "list", "--json"]));
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list["total"], 2, "the built-in one and the import: {list}");

    // An unknown template is refused with the reason.
    let bad = doorstep(&[
        "--db",
        url,
        "--lang",
        "en",
        "export",
        "nope",
        "--area",
        COMMUNITY,
        "-o",
        csv.to_str().unwrap(),
    ]);
    assert!(!bad.status.success());
});

both_backends!(
    call_outcomes_and_daily_figures_from_the_command_line,
    async |db: &TestDb| {
        let url = db.url.as_str();
        doorstep_testkit::demo_community(db.store.as_ref()).await;
        let dir = import_roster(
            url,
            &format!(
                "姓名,身份证号,联系电话,小区,楼栋,单元,房号\n甲,{},13800000071,佳纷天地,1,1,101\n乙,{},13800000072,佳纷天地,1,1,102\n",
                id(71, true),
                id(72, false)
            ),
        );
        let list = dir.path().join("协查名单.csv");
        std::fs::write(
            &list,
            format!(
                "序号,姓名,公民身份号码,联系电话,场所名称\n1,甲,{},,陇海市场\n2,丙,{},13900000000,陇海市场\n3,甲,{},,高寨市场\n",
                id(71, true),
                id(90, true),
                id(71, true)
            ),
        )
        .unwrap();
        ok(&doorstep(&[
            "--db",
            url,
            "list",
            "import",
            list.to_str().unwrap(),
            "--area",
            COMMUNITY,
            "--json",
        ]));
        let export = |name: &str, kind: &str, columns: Value| -> Vec<String> {
            let file = dir.path().join(format!("{name}.json"));
            let t = json!({"format": "doorstep-template", "name": name, "kind": kind,
                           "columns": columns});
            std::fs::write(&file, t.to_string()).unwrap();
            ok(&doorstep(&[
                "--db",
                url,
                "template",
                "import",
                file.to_str().unwrap(),
                "--area",
                COMMUNITY,
            ]));
            let csv = dir.path().join(format!("{name}.csv"));
            ok(&doorstep(&[
                "--db",
                url,
                "export",
                name,
                "--area",
                COMMUNITY,
                "--format",
                "csv",
                "-o",
                csv.to_str().unwrap(),
            ]));
            let text = std::fs::read_to_string(&csv).unwrap();
            text.trim_start_matches('\u{feff}')
                .lines()
                .map(str::to_string)
                .collect()
        };
        let calls = export(
            "协查反馈",
            "call_outcomes",
            json!([{"header": "XH", "field": "row"}, {"header": "XM", "field": "name"},
                   {"header": "PP", "field": "match", "map": "未匹配=0"},
                   {"header": "CS", "field": "attempts"}]),
        );
        assert_eq!(calls.len(), 4, "{calls:?}");
        assert_eq!(calls[0], "XH,XM,PP,CS");
        assert!(calls[1].starts_with("1,甲,"), "{calls:?}");
        assert_eq!(
            calls[2], "2,丙,0,1",
            "not found (mapped to 0): the desk's call"
        );
        assert!(calls[3].starts_with("3,甲,"), "{calls:?}");

        let daily = export(
            "日报表",
            "daily_figures",
            json!([{"header": "RQ", "field": "day", "map": "YYYYMMDD"},
                   {"header": "RS", "field": "persons"}]),
        );
        assert_eq!(daily.len(), 15, "fourteen days: {daily:?}");
        let today = time::OffsetDateTime::now_utc()
            .to_offset(time::macros::offset!(+8))
            .date();
        let compact = today.to_string().replace('-', "");
        assert_eq!(daily[14], format!("{compact},2"));

        // --from/--to pick the days; a reversed range is refused naming the field.
        let csv = dir.path().join("range.csv");
        let range = |from: &str, to: &str| {
            doorstep(&[
                "--db",
                url,
                "--lang",
                "zh",
                "export",
                "日报表",
                "--area",
                COMMUNITY,
                "--format",
                "csv",
                "--from",
                from,
                "--to",
                to,
                "-o",
                csv.to_str().unwrap(),
            ])
        };
        ok(&range("2026-02-27", "2026-03-01"));
        let text = std::fs::read_to_string(&csv).unwrap();
        let days: Vec<&str> = text.lines().skip(1).map(|l| &l[..8]).collect();
        assert_eq!(days, ["20260227", "20260228", "20260301"]);
        let refused = range("2026-03-01", "2026-02-27");
        assert!(!refused.status.success());
        let err = String::from_utf8_lossy(&refused.stderr);
        assert!(err.contains("to: 结束日期不能早于开始日期"), "{err}");
    }
);
