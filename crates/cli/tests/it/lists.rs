//! `doorstep list import` and `doorstep list return`, run as the office would, on SQLite and on
//! PostgreSQL: a GBK list with headers of its own is matched with the guessed columns (by ID
//! number, by phone, not found, a repeat), and the return file keeps the list's columns and
//! order with the outcome columns after.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use doorstep_testkit::{TestDb, both_backends, id};
use serde_json::Value;

use crate::{COMMUNITY, doorstep, import_roster, ok};

both_backends!(a_list_from_the_command_line, async |db: &TestDb| {
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
    let community = COMMUNITY;
    let text = format!(
        "序号,姓名,公民身份号码,联系电话,场所名称\r\n1,甲,{},,陇海市场\r\n2,乙,,13800000072,陇海市场\r\n3,丙,{},13900000000,陇海市场\r\n4,甲,{},,高寨市场\r\n",
        id(71, true),
        id(90, true),
        id(71, true)
    );
    let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
    let list = dir.path().join("协查名单.csv");
    std::fs::write(&list, &gbk).unwrap();
    let out = ok(&doorstep(&[
        "--db",
        url,
        "list",
        "import",
        list.to_str().unwrap(),
        "--area",
        community,
        "--json",
    ]));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "open", "{v}");
    let p = &v["progress"];
    assert_eq!(
        (
            p["by_id_number"].as_u64(),
            p["by_phone"].as_u64(),
            p["not_found"].as_u64(),
            p["duplicates"].as_u64()
        ),
        (Some(1), Some(1), Some(1), Some(1)),
        "{v}"
    );
    let back = dir.path().join("back.csv");
    let id_ = v["id"].as_i64().unwrap().to_string();
    ok(&doorstep(&[
        "--db",
        url,
        "list",
        "return",
        &id_,
        "-o",
        back.to_str().unwrap(),
    ]));
    let written = std::fs::read_to_string(&back).unwrap();
    let lines: Vec<&str> = written.trim_start_matches('\u{feff}').lines().collect();
    assert!(
        lines[0].starts_with("序号,姓名,公民身份号码,联系电话,场所名称,匹配结果"),
        "{}",
        lines[0]
    );
    let order: Vec<&str> = lines[1..].iter().map(|l| &l[..1]).collect();
    assert_eq!(order, ["1", "2", "3", "4"]);
    assert!(lines[3].contains("未匹配"), "{}", lines[3]);
    assert!(lines[4].contains("重复"), "{}", lines[4]);
    // Outside any area: refused with the reason.
    let bad = doorstep(&[
        "--db",
        url,
        "list",
        "import",
        list.to_str().unwrap(),
        "--area",
        "无此区",
    ]);
    assert!(!bad.status.success());
});
