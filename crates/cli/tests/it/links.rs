//! `doorstep link` and `doorstep export reports`, run as a user would, on both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Output;

use doorstep_app::reports::{AddressInput, MemberInput, SubmissionInput, submit};
use doorstep_core::Role;
use doorstep_testkit::{COMMUNITY, TestDb, both_backends, id, two_compounds, user};
use serde_json::Value;

use crate::{doorstep_cmd, ok};

/// Runs `doorstep --db URL --lang en ARGS` to its end.
fn doorstep(url: &str, args: &[&str]) -> Output {
    doorstep_cmd()
        .args(["--db", url, "--lang", "en"])
        .args(args)
        .output()
        .unwrap()
}

both_backends!(link_create_and_export_reports, async |db: &TestDb| {
    let store = db.store.as_ref();
    let c = two_compounds(store).await;
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
            id_number: id(7, true),
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
    let who = user(store, "adm", Role::CommunityAdmin, COMMUNITY).await;
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
