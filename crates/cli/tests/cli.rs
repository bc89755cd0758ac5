//! The `doorstep` binary, run as a user would, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

use doorstep_testkit::{TestDb, both_backends};
use serde_json::Value;

fn doorstep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_doorstep"))
        .args(args)
        .env_remove("DOORSTEP_DB")
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn valid_id(n: u16) -> String {
    doorstep_core::idnum::make_resident_id("410103", time::macros::date!(1980 - 05 - 01), n)
}

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
            valid_id(11)
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
        assert!(text.contains(&valid_id(11)));

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
        let mut child = Command::new(env!("CARGO_BIN_EXE_doorstep"))
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

#[test]
fn serve_refuses_a_malformed_trusted_proxy_setting_at_start() {
    let out = Command::new(env!("CARGO_BIN_EXE_doorstep"))
        .args(["--db", "sqlite:///nonexistent-dir/x.db", "serve"])
        .env("DOORSTEP_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not an IP address or network: \"proxy.local\""),
        "{err}"
    );
}
