//! `doorstep notice …`, run as the office would, on SQLite and on PostgreSQL: publish a notice
//! for a community, list it, withdraw it; keep a file from above and list the day's files; a
//! bad day is refused naming the field.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use doorstep_testkit::{TestDb, both_backends};
use serde_json::Value;

use crate::{COMMUNITY, doorstep, ok};

both_backends!(notices_from_the_command_line, async |db: &TestDb| {
    let url = db.url.as_str();
    doorstep_testkit::demo_community(db.store.as_ref()).await;
    let out = doorstep(&[
        "--db",
        url,
        "notice",
        "publish",
        "--area",
        COMMUNITY,
        "--title",
        "明日全员核酸",
        "--body",
        "请于早上七点到小区东门采样点排队。",
        "--english",
        "Testing tomorrow 7:00 at the east gate.",
        "--from",
        "2026-12-01",
        "--to",
        "2099-12-31",
        "--json",
    ]);
    let v: Value = serde_json::from_str(&ok(&out)).unwrap();
    let id = v["id"].as_i64().unwrap();
    assert_eq!(v["area"], COMMUNITY, "{v}");
    assert!(v["page"].as_str().unwrap().starts_with("/n/"), "{v}");
    assert_eq!(v["withdrawn"], false);

    let out = doorstep(&["--db", url, "notice", "list", "--area", COMMUNITY, "--json"]);
    let v: Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["items"][0]["title"], "明日全员核酸");

    // The last day before the first is refused, naming the field; nothing is published.
    let out = doorstep(&[
        "--db",
        url,
        "notice",
        "publish",
        "--area",
        COMMUNITY,
        "--title",
        "x",
        "--body",
        "y",
        "--from",
        "2026-12-05",
        "--to",
        "2026-12-01",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("valid_to"),
        "{out:?}"
    );

    let out = doorstep(&[
        "--db",
        url,
        "notice",
        "withdraw",
        &id.to_string(),
        "--reason",
        "时间改了",
        "--json",
    ]);
    let v: Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(v["withdrawn"], true, "{v}");

    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("通知.pdf");
    std::fs::write(&pdf, b"%PDF-1.7 a notice from above").unwrap();
    let out = doorstep(&[
        "--db",
        url,
        "notice",
        "keep",
        pdf.to_str().unwrap(),
        "--area",
        COMMUNITY,
        "--day",
        "2026-12-01",
        "--json",
    ]);
    let v: Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(
        (v["file_name"].as_str(), v["content_type"].as_str()),
        (Some("通知.pdf"), Some("application/pdf")),
        "{v}"
    );
    let out = doorstep(&[
        "--db",
        url,
        "notice",
        "files",
        "--area",
        COMMUNITY,
        "--day",
        "2026-12-01",
        "--json",
    ]);
    let v: Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(v["total"], 1, "{v}");
    // A file that is not a document is refused.
    let exe = dir.path().join("x.exe");
    std::fs::write(&exe, b"MZ\x90\x00").unwrap();
    let out = doorstep(&[
        "--db",
        url,
        "notice",
        "keep",
        exe.to_str().unwrap(),
        "--area",
        COMMUNITY,
    ]);
    assert!(!out.status.success(), "{out:?}");
});
