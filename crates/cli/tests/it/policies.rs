//! `doorstep policy …` and `doorstep episode start --policy key@N`, on SQLite and on
//! PostgreSQL: the defaults listed at version 1, an edit from a rules file making version 2,
//! an episode started before keeping version 1, version 1 still chosen by name, a bad file
//! refused with its field, and the save in the audit log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use doorstep_testkit::{TestDb, both_backends, id};
use serde_json::{Value, json};

use crate::{doorstep, import_roster, ok};

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_str(&ok(out)).unwrap()
}

both_backends!(policies_from_the_command_line, async |db: &TestDb| {
    let url = db.url.as_str();
    doorstep_testkit::demo_community(db.store.as_ref()).await;
    let _roster = import_roster(
        url,
        &format!(
            "姓名,身份证号,小区,楼栋,单元,房号\n甲,{},佳纷天地,1,1,101\n乙,{},佳纷天地,1,1,102\n丙,{},佳纷天地,1,1,103\n",
            id(61, true),
            id(62, false),
            id(63, true)
        ),
    );
    let list = json_of(&doorstep(&["--db", url, "policy", "list", "--json"]));
    let keys: Vec<(&str, i64)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["key"].as_str().unwrap(), p["version"].as_i64().unwrap()))
        .collect();
    assert_eq!(keys, [("ninth_edition", 1), ("nov_2022", 1)], "{list}");
    let start = |person: String, extra: &[&str]| {
        let mut args = vec![
            "--db",
            url,
            "episode",
            "start",
            "--person",
            &person,
            "--measure",
            "home_quarantine",
            "--start",
            "2026-12-01",
            "--json",
        ];
        args.extend_from_slice(extra);
        json_of(&doorstep(&args))
    };
    let before = start(id(61, true), &[]);
    assert_eq!(before["items"][0]["policy"], "ninth_edition@1", "{before}");

    // The edit: home quarantine becomes 14 days, from a rules file (the rules alone).
    let shown = json_of(&doorstep(&[
        "--db",
        url,
        "policy",
        "show",
        "ninth_edition",
        "--json",
    ]));
    let mut rules = shown["rules"].clone();
    rules["home_quarantine"]["days"] = json!(14);
    rules["home_quarantine"]["test_days"] = json!([1, 7, 14]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rules.json");
    std::fs::write(&file, rules.to_string()).unwrap();
    let edit = |file: &std::path::Path| {
        doorstep(&[
            "--db",
            url,
            "policy",
            "edit",
            "ninth_edition",
            "--file",
            file.to_str().unwrap(),
            "--name",
            "第九版（十四天）",
            "--json",
        ])
    };
    let saved = json_of(&edit(&file));
    assert_eq!(saved, json!({"key": "ninth_edition", "version": 2}));
    let now = json_of(&doorstep(&[
        "--db",
        url,
        "policy",
        "show",
        "ninth_edition",
        "--json",
    ]));
    assert_eq!(
        (now["version"].as_i64(), now["name"].as_str()),
        (Some(2), Some("第九版（十四天）"))
    );
    let old = json_of(&doorstep(&[
        "--db",
        url,
        "policy",
        "show",
        "ninth_edition",
        "--version",
        "1",
        "--json",
    ]));
    assert_eq!(old["rules"]["home_quarantine"]["days"], 7);

    // New episodes follow version 2; `--policy ninth_edition@1` still starts version 1.
    let v2 = start(id(62, false), &[]);
    assert_eq!(
        (
            v2["items"][0]["policy"].as_str(),
            v2["items"][0]["last_day"].as_str()
        ),
        (Some("ninth_edition@2"), Some("2026-12-14"))
    );
    let v1 = start(id(63, true), &["--policy", "ninth_edition@1"]);
    assert_eq!(
        (
            v1["items"][0]["policy"].as_str(),
            v1["items"][0]["last_day"].as_str()
        ),
        (Some("ninth_edition@1"), Some("2026-12-07"))
    );
    // The episode started before the edit still follows version 1.
    let store = db.store.as_ref();
    let person = store
        .person_by_document(doorstep_core::DocType::ResidentId, &id(61, true))
        .await
        .unwrap()
        .unwrap();
    let eps = store.episodes_of_person(person.id).await.unwrap();
    assert_eq!(
        (eps[0].policy_version, eps[0].last_day.to_string()),
        (1, "2026-12-07".to_string())
    );

    // A bad file: refused, the field named, nothing saved.
    rules["home_quarantine"]["windows"] = json!(["25:00-26:00"]);
    std::fs::write(&file, rules.to_string()).unwrap();
    let out = edit(&file);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rules.home_quarantine.windows") && err.contains("HH:MM-HH:MM"),
        "{err}"
    );
    let list = json_of(&doorstep(&["--db", url, "policy", "list", "--json"]));
    assert_eq!(list["items"][0]["version"], 2);
    let unknown = doorstep(&["--db", url, "policy", "show", "no_such", "--json"]);
    assert!(!unknown.status.success());

    // The save is in the audit log.
    let entries = store
        .audit_entries(&doorstep_store::AuditQuery {
            action: Some("policy.save".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.items.len(), 1, "{:?}", entries.items);
    assert_eq!(entries.items[0].details["version"], 2);
});
