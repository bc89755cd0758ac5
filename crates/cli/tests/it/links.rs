//! `doorstep link` and `doorstep export reports`, run as a user would, on both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

use doorstep_app::reports::{AddressInput, MemberInput, SubmissionInput, submit};
use doorstep_core::{AreaKind, AreaPath};
use doorstep_testkit::{TestDb, both_backends};
use serde_json::Value;

fn doorstep(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_doorstep"))
        .args(["--db", url, "--lang", "en"])
        .args(args)
        .env_remove("DOORSTEP_DB")
        .env_remove("DOORSTEP_PUBLIC_URL")
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

both_backends!(link_create_and_export_reports, async |db: &TestDb| {
    let store = db.store.as_ref();
    let c = doorstep_testkit::demo_community(store).await;
    let jf = store
        .create_area(Some(&c.path), AreaKind::Compound, "佳纷天地")
        .await
        .unwrap();
    store
        .create_area(Some(&jf.path), AreaKind::Building, "1号楼")
        .await
        .unwrap();
    let url = db.url.as_str();
    let out = ok(&doorstep(
        url,
        &[
            "link",
            "create",
            "--area",
            c.path.as_str(),
            "--purpose",
            "returnee",
            "--json",
            "--base-url",
            "https://doorstep.example/",
        ],
    ));
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    let token = v["token"].as_str().unwrap();
    assert_eq!(v["url"], format!("https://doorstep.example/r/{token}"));
    let bad = doorstep(
        url,
        &[
            "link",
            "create",
            "--area",
            "二七区",
            "--purpose",
            "returnee",
        ],
    );
    assert!(!bad.status.success());
    let bad = doorstep(
        url,
        &[
            "link",
            "create",
            "--area",
            c.path.as_str(),
            "--purpose",
            "holiday",
        ],
    );
    assert!(!bad.status.success());

    let input = SubmissionInput {
        idempotency_key: "cli-1".into(),
        address: AddressInput {
            compound: "佳纷天地".into(),
            building: "1".into(),
            room: "101".into(),
            ..Default::default()
        },
        members: vec![MemberInput {
            name: "王五".into(),
            id_number: doorstep_core::idnum::make_resident_id(
                "410103",
                time::macros::date!(1980 - 05 - 01),
                7,
            ),
            ..Default::default()
        }],
        answers: doorstep_app::reports::AnswersInput {
            from_place: "上海".into(),
            date: "2022-10-01".into(),
            ..Default::default()
        },
    };
    let r = submit(store, token, &input).await.unwrap().report;
    // Accept it as an admin would (the CLI does not review).
    let who = doorstep_app::access::Principal {
        user: doorstep_app::users::create_user(
            store,
            doorstep_app::users::By::Cli,
            "adm",
            doorstep_core::Role::CommunityAdmin,
            &AreaPath::parse(c.path.as_str()).unwrap(),
            "a-long-password",
        )
        .await
        .unwrap(),
    };
    doorstep_app::reports::ReportDesk::new(store, &who, &Default::default())
        .accept(r.id)
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let f1 = dir.path().join("up.csv");
    ok(&doorstep(
        url,
        &[
            "export",
            "reports",
            "--area",
            c.path.as_str(),
            "--since-last",
            "--format",
            "csv",
            "-o",
            f1.to_str().unwrap(),
        ],
    ));
    let text = std::fs::read_to_string(&f1).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("返郑人员报备") && text.contains("上海"));
    let f2 = dir.path().join("up.xlsx");
    ok(&doorstep(
        url,
        &[
            "export",
            "reports",
            "--area",
            c.path.as_str(),
            "--since-last",
            "-o",
            f2.to_str().unwrap(),
        ],
    ));
    let f3 = dir.path().join("again.csv");
    ok(&doorstep(
        url,
        &[
            "export",
            "reports",
            "--area",
            c.path.as_str(),
            "--since-last",
            "--format",
            "csv",
            "-o",
            f3.to_str().unwrap(),
        ],
    ));
    assert_eq!(std::fs::read_to_string(&f3).unwrap().lines().count(), 1);

    let list = ok(&doorstep(url, &["link", "list", "--json"]));
    assert!(list.contains(token));
    ok(&doorstep(url, &["link", "revoke", token]));
    let list: Value =
        serde_json::from_str(ok(&doorstep(url, &["link", "list", "--json"])).trim()).unwrap();
    assert_eq!(list[0]["revoked"], true);
});
