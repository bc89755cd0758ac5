//! The `doorstep` binary, run as a user would, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use doorstep_testkit::{TestDb, both_backends, id};
use serde_json::Value;

use std::process::Command;

use crate::{doorstep, doorstep_cmd, ok};

both_backends!(
    areas_import_and_export_from_the_command_line,
    async |db: &TestDb| {
        let url = db.url.as_str();
        // --db goes before or after the subcommand.
        ok(&doorstep(&[
            "--db",
            url,
            "area",
            "add",
            "--kind",
            "district",
            "二七区",
        ]));
        ok(&doorstep(&[
            "area",
            "add",
            "--kind",
            "街道",
            "二七区/京广路街道",
            "--db",
            url,
        ]));
        ok(&doorstep(&[
            "--db",
            url,
            "area",
            "add",
            "--kind",
            "community",
            "二七区/京广路街道/祥云社区",
        ]));
        let orphan = doorstep(&[
            "--db",
            url,
            "area",
            "add",
            "--kind",
            "community",
            "没有/这个",
        ]);
        assert!(!orphan.status.success());
        assert!(String::from_utf8_lossy(&orphan.stderr).contains("上级区域不存在"));

        let dir = tempfile::tempdir().unwrap();
        let roster = dir.path().join("r.csv");
        std::fs::write(
        &roster,
        format!(
            "姓名,身份证号,手机号,小区,楼栋,单元,房号\n张伟,{},13812345678,佳纷天地,3,2,1201\n坏人,123,,佳纷天地,3,2,1202\n",
            id(11, true)
        ),
    )
    .unwrap();
        let rejects = dir.path().join("rejects.xlsx");
        let out = ok(&doorstep(&[
            "--db",
            url,
            "import",
            "persons",
            "--into",
            "二七区/京广路街道/祥云社区",
            roster.to_str().unwrap(),
            "--json",
            "--rejects",
            rejects.to_str().unwrap(),
        ]));
        let report: Value =
            serde_json::from_str(out.trim()).expect("exactly one JSON object on stdout");
        assert_eq!(report["rows"], 2);
        assert_eq!(report["created"], 1);
        assert_eq!(report["rejected"], 1);
        assert_eq!(report["households_created"], 1);
        assert_eq!(report["errors"][0]["row"], 3);
        assert_eq!(report["errors"][0]["column"], "身份证号");
        assert!(rejects.exists());

        let list = ok(&doorstep(&[
            "--db",
            url,
            "area",
            "list",
            "二七区/京广路街道/祥云社区",
        ]));
        assert!(list.contains("佳纷天地"), "{list}");
        assert!(list.contains("1 户") && list.contains("1 人"), "{list}");
        let listed: Value =
            serde_json::from_str(&ok(&doorstep(&["--db", url, "area", "list", "--json"]))).unwrap();
        assert_eq!(listed["items"][0]["persons"], 1);

        let out_csv = dir.path().join("out.csv");
        ok(&doorstep(&[
            "--db",
            url,
            "export",
            "persons",
            "--area",
            "二七区",
            "--format",
            "csv",
            "-o",
            out_csv.to_str().unwrap(),
        ]));
        let text = String::from_utf8(std::fs::read(&out_csv).unwrap()).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains(&id(11, true)));

        let again = ok(&doorstep(&[
            "--db",
            url,
            "import",
            "persons",
            "--into",
            "二七区/京广路街道/祥云社区",
            out_csv.to_str().unwrap(),
            "--json",
        ]));
        let again: Value = serde_json::from_str(again.trim()).unwrap();
        assert_eq!(
            (again["created"].as_i64(), again["unchanged"].as_i64()),
            (Some(0), Some(1))
        );

        let missing = doorstep(&[
            "--db",
            url,
            "import",
            "persons",
            "--into",
            "二七区/无",
            roster.to_str().unwrap(),
            "--json",
        ]);
        assert!(!missing.status.success());
        let err: Value = serde_json::from_slice(&missing.stdout).unwrap();
        assert_eq!(err["error"], "import_failed");
    }
);

both_backends!(users_from_the_command_line, async |db: &TestDb| {
    let url = db.url.as_str();
    ok(&doorstep(&[
        "--db",
        url,
        "area",
        "add",
        "--kind",
        "district",
        "二七区",
    ]));
    let add = |name: &str, role: &str, pw: &str| {
        let mut child = doorstep_cmd()
            .args([
                "--db",
                url,
                "user",
                "add",
                "--username",
                name,
                "--role",
                role,
                "--area",
                "二七区",
                "--password-stdin",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{pw}\n").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    ok(&add("wang", "grid_worker", "long-enough-1"));
    let dup = add("wang", "grid_worker", "long-enough-1");
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("用户名已存在"));
    let short = add("li", "viewer", "short");
    assert!(!short.status.success());
    let bad_role = add("zhao", "root", "long-enough-1");
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("grid_worker"));
    let list: Value =
        serde_json::from_str(&ok(&doorstep(&["--db", url, "user", "list", "--json"]))).unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["role"], "grid_worker");
    ok(&doorstep(&[
        "--db",
        url,
        "user",
        "phone",
        "wang",
        "138-0000-1111",
    ]));
    let bad_phone = doorstep(&["--db", url, "user", "phone", "wang", "12345"]);
    assert!(!bad_phone.status.success());
    let list: Value =
        serde_json::from_str(&ok(&doorstep(&["--db", url, "user", "list", "--json"]))).unwrap();
    assert_eq!(list["items"][0]["phone"], "13800001111");
    ok(&doorstep(&["--db", url, "user", "disable", "wang"]));
    let list: Value =
        serde_json::from_str(&ok(&doorstep(&["--db", url, "user", "list", "--json"]))).unwrap();
    assert_eq!(list["items"][0]["disabled"], true);
    let (user, _) = db.store.user_for_login("wang").await.unwrap().unwrap();
    assert!(user.disabled);
});

both_backends!(
    an_import_as_a_user_refuses_files_outside_their_area,
    async |db: &TestDb| {
        use doorstep_app::users::{By, create_user};
        use doorstep_core::{AreaPath, DocType, Role};
        let url = db.url.as_str();
        let store = db.store.as_ref();
        doorstep_testkit::demo_community(store).await;
        let dir = tempfile::tempdir().unwrap();
        let office = dir.path().join("office.csv");
        std::fs::write(
            &office,
            format!(
                "姓名,身份证号,手机号,小区,楼栋,单元,房号\n受害人,{},13911112222,钱塘衣城,5,1,502\n",
                id(31, true)
            ),
        )
        .unwrap();
        ok(&doorstep(&[
            "--db",
            url,
            "import",
            "persons",
            "--into",
            "二七区/京广路街道/祥云社区",
            office.to_str().unwrap(),
        ]));
        let compound = "二七区/京广路街道/祥云社区/佳纷天地";
        store
            .ensure_child_area(
                &store
                    .area_by_path(&AreaPath::parse("二七区/京广路街道/祥云社区").unwrap())
                    .await
                    .unwrap()
                    .unwrap(),
                doorstep_core::AreaKind::Compound,
                "佳纷天地",
            )
            .await
            .unwrap();
        create_user(
            store,
            By::Cli,
            "worker",
            Role::GridWorker,
            &AreaPath::parse(compound).unwrap(),
            "a-long-password",
        )
        .await
        .unwrap();
        let attack = dir.path().join("attack.csv");
        std::fs::write(
            &attack,
            format!(
                "姓名,身份证号,手机号,小区,楼栋,单元,房号\r\n冒名,{},13800000000,佳纷天地,1,1,101\r\n",
                id(31, true)
            ),
        )
        .unwrap();
        let out = ok(&doorstep(&[
            "--db",
            url,
            "import",
            "persons",
            "--as",
            "worker",
            "--into",
            compound,
            attack.to_str().unwrap(),
            "--json",
        ]));
        let r: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(r["rejected"], 1, "{r}");
        assert_eq!(r["errors"][0]["code"], "person_registered_elsewhere");
        let p = store
            .person_by_document(DocType::ResidentId, &id(31, true))
            .await
            .unwrap()
            .unwrap();
        assert!(p.address.starts_with("钱塘衣城"), "{}", p.address);
        // Outside their area the user cannot import at all.
        let outside = doorstep(&[
            "--db",
            url,
            "import",
            "persons",
            "--as",
            "worker",
            "--into",
            "二七区/京广路街道/祥云社区",
            attack.to_str().unwrap(),
        ]);
        assert!(!outside.status.success());
        assert!(String::from_utf8_lossy(&outside.stderr).contains("不能向此区域导入"));
        let audit = store
            .audit_entries(&doorstep_store::AuditQuery::default())
            .await
            .unwrap();
        assert!(
            audit
                .items
                .iter()
                .any(|e| e.action == "persons.import" && e.username == "worker")
        );
    }
);

/// `doorstep … | head` ends quietly when `head` stops reading.
#[test]
fn a_closed_pipe_ends_a_listing_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("d.db").display());
    ok(&doorstep(&["--db", &url, "demo"]));
    let err = dir.path().join("err.txt");
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "\"$0\" --db '{url}' area list --json 2>'{}' | true; \"$0\" --db '{url}' area list 2>>'{}' | true",
            err.display(),
            err.display()
        ))
        .arg(env!("CARGO_BIN_EXE_doorstep"))
        .env_remove("DOORSTEP_DB")
        .status()
        .unwrap();
    assert!(status.success());
    let stderr = std::fs::read_to_string(&err).unwrap();
    assert!(stderr.is_empty(), "{stderr}");
}

/// A PostgreSQL database that does not exist is named once, in the user's language, with the
/// fix; `migrate` creates it; library notices stay out of the terminal.
#[test]
fn a_missing_postgres_database_is_explained_and_migrate_creates_it() {
    let Ok(base) = std::env::var("DOORSTEP_TEST_PG_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs this on PostgreSQL"
        );
        return;
    };
    let name = format!("doorstep_missing_{}", std::process::id());
    let url = match base.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("DOORSTEP_TEST_PG_URL names no database: {base}"),
    };
    let out = doorstep(&["--db", &url, "area", "list"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("不存在").count(), 1, "{stderr}");
    assert!(stderr.contains(&format!("createdb {name}")), "{stderr}");
    assert!(!stderr.contains("line "), "no library text: {stderr}");
    let en = doorstep(&["--db", &url, "--lang", "en", "area", "list"]);
    assert!(String::from_utf8_lossy(&en.stderr).contains("does not exist"));

    let created = doorstep(&["--db", &url, "migrate"]);
    let created_out = ok(&created);
    assert!(created_out.contains(&name), "{created_out}");
    // Opening it again runs the migrations, which PostgreSQL answers with notices: not shown.
    let again = doorstep(&["--db", &url, "area", "list"]);
    ok(&again);
    assert!(
        again.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let drop = Command::new("psql")
        .args([&base, "-c", &format!("DROP DATABASE {name}")])
        .output()
        .unwrap();
    assert!(
        drop.status.success(),
        "{}",
        String::from_utf8_lossy(&drop.stderr)
    );
}

/// Errors from below the commands (a file that cannot be written, a missing file) are worded
/// in the user's language, without the operating system's English.
#[test]
fn file_errors_speak_the_users_language() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("d.db").display());
    for (kind, path) in [
        ("district", "二七区"),
        ("street", "二七区/京广路街道"),
        ("community", "二七区/京广路街道/祥云社区"),
    ] {
        ok(&doorstep(&[
            "--db", &url, "area", "add", "--kind", kind, path,
        ]));
    }
    let out = doorstep(&[
        "--db",
        &url,
        "export",
        "persons",
        "--area",
        "二七区/京广路街道/祥云社区",
        "-o",
        "/nonexistent-dir/x.xlsx",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("错误："), "{err}");
    assert!(!err.contains("No such file"), "{err}");
    let missing = doorstep(&[
        "--db",
        &url,
        "import",
        "persons",
        "--into",
        "二七区/京广路街道/祥云社区",
        "/nonexistent-dir/roster.csv",
    ]);
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(err.contains("找不到该文件"), "{err}");
    assert!(!err.contains("No such file"), "{err}");
}
