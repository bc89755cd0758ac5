//! The security suite's per-role sweep: a user of every role of the role table
//! (`doorstep_core::role`) calls every secured operation the OpenAPI description lists, on the
//! world's real objects (`security_world`). Each operation is classified here by the action
//! its use case checks ([`NEEDS`]); an operation missing from the list fails the test, so a new
//! endpoint must be classified. From the role table alone the sweep derives each answer:
//!
//! - a role without the action is refused: **403** when it can see the object, **404** when it
//!   cannot (outside its area, or a registry action for a role that may not read the registry:
//!   transporter, lab; `Principal::authorize`), a list read limited to what it sees may be
//!   empty; never a success, never a 5xx. Most refusals must be exactly what
//!   [`Need::refusal`] predicts from the table;
//! - a role with it, on a read, is not refused (the control that the classification is the
//!   one the handler checks).
//!
//! Bodies are ones the operation's extractor takes (`security_world::World::body`), so the
//! answer is the use case's, not the parser's.
//!
//! On both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::StatusCode;
use doorstep_core::Role;
use doorstep_core::role::Action;
use doorstep_testkit::{TestApp, TestDb, both_backends};

use crate::security_world::{role_user, world};

/// What an operation needs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Need {
    /// Any logged-in user (their own session and account).
    Anyone,
    /// This action (the use case's `Principal::authorize`).
    Act(Action),
    /// Any of these actions (a use case that serves several roles, each its own view).
    AnyOf(&'static [Action]),
}

use Action::*;
use Need::{Act, AnyOf, Anyone};

/// Every secured operation and what it needs. Add a line for a new endpoint.
pub(crate) const NEEDS: &[(&str, &str, Need)] = &[
    ("POST", "/api/v1/auth/logout", Anyone),
    ("GET", "/api/v1/me", Anyone),
    // registry
    ("GET", "/api/v1/areas", Act(Read)),
    ("GET", "/api/v1/areas/{id}", Act(Read)),
    ("GET", "/api/v1/households", Act(Read)),
    ("GET", "/api/v1/households/{id}", Act(Read)),
    ("POST", "/api/v1/households/{id}/persons", Act(Write)),
    ("GET", "/api/v1/persons", Act(Read)),
    ("GET", "/api/v1/persons/{id}", Act(Read)),
    ("PUT", "/api/v1/persons/{id}", Act(Write)),
    ("GET", "/api/v1/persons/{id}/history", Act(Read)),
    ("GET", "/api/v1/audit", Act(Audit)),
    // self-report
    ("POST", "/api/v1/report-links", Act(Write)),
    ("GET", "/api/v1/report-links", Act(Read)),
    ("POST", "/api/v1/report-links/{id}/revoke", Act(Write)),
    ("GET", "/api/v1/reports", Act(Read)),
    ("GET", "/api/v1/reports/{id}", Act(Read)),
    ("POST", "/api/v1/reports/{id}/accept", Act(Write)),
    ("POST", "/api/v1/reports/{id}/merge", Act(Write)),
    ("POST", "/api/v1/reports/{id}/reject", Act(Write)),
    ("POST", "/api/v1/reports/bulk-accept", Act(Write)),
    ("GET", "/api/v1/reports/export", Act(Export)),
    (
        "GET",
        "/api/v1/households/{id}/report-links",
        Act(FileReport),
    ), // the 代报 form's links
    ("POST", "/api/v1/households/{id}/reports", Act(FileReport)),
    // staff and tasks
    ("GET", "/api/v1/staff", Act(Read)),
    ("POST", "/api/v1/staff", Act(ManageStaff)),
    ("GET", "/api/v1/staff/{id}", Act(Read)),
    ("PATCH", "/api/v1/staff/{id}", Act(ManageStaff)),
    ("GET", "/api/v1/duties", Act(Read)),
    ("POST", "/api/v1/duties", Act(ManageStaff)),
    ("DELETE", "/api/v1/duties/{id}", Act(ManageStaff)),
    ("GET", "/api/v1/duties/owners", Act(Read)),
    ("GET", "/api/v1/duties/gaps", Act(Read)),
    ("GET", "/api/v1/tasks", Act(ManageTasks)), // `?mine=true`: WorkTasks
    ("POST", "/api/v1/tasks", Act(ManageTasks)),
    ("POST", "/api/v1/tasks/bulk", Act(ManageTasks)),
    (
        "GET",
        "/api/v1/tasks/{id}",
        AnyOf(&[ManageTasks, WorkTasks]),
    ),
    (
        "PATCH",
        "/api/v1/tasks/{id}",
        AnyOf(&[ManageTasks, WorkTasks]),
    ),
    (
        "GET",
        "/api/v1/tasks/{id}/phones",
        AnyOf(&[ManageTasks, WorkTasks]),
    ),
    ("GET", "/api/v1/task-routes", Anyone), // which duties each kind goes to: no data
    ("PUT", "/api/v1/task-routes/{kind}", Act(Configure)),
    // rounds, scans, custody
    (
        "GET",
        "/api/v1/rounds",
        AnyOf(&[ManageRounds, Sample, Transport]),
    ),
    ("POST", "/api/v1/rounds", Act(ManageRounds)),
    (
        "GET",
        "/api/v1/rounds/{id}",
        AnyOf(&[ManageRounds, Sample, Transport]),
    ),
    ("POST", "/api/v1/rounds/{id}/status", Act(ManageRounds)),
    ("POST", "/api/v1/rounds/{id}/scans", Act(Sample)),
    ("POST", "/api/v1/rounds/{id}/scans/batch", Act(Sample)),
    (
        "POST",
        "/api/v1/rounds/{id}/tubes/{code}/close",
        Act(Sample),
    ),
    (
        "GET",
        "/api/v1/rounds/{id}/tubes",
        AnyOf(&[ManageRounds, Sample, Transport]),
    ),
    ("POST", "/api/v1/rounds/{id}/exclusions", Act(ManageRounds)),
    (
        "GET",
        "/api/v1/rounds/{id}/coverage",
        AnyOf(&[ManageRounds, Sample]),
    ),
    (
        "GET",
        "/api/v1/rounds/{id}/missing",
        AnyOf(&[ManageRounds, Sample]),
    ),
    (
        "POST",
        "/api/v1/rounds/{id}/missing/tasks",
        Act(ManageRounds),
    ),
    ("GET", "/api/v1/persons/{id}/code", Act(Read)),
    (
        "GET",
        "/api/v1/rounds/{id}/map/{area_id}",
        AnyOf(&[ManageRounds, Sample]),
    ),
    ("POST", "/api/v1/rounds/{id}/boxes", Act(Transport)),
    ("GET", "/api/v1/rounds/{id}/boxes", Act(Transport)),
    ("GET", "/api/v1/rounds/{id}/boxes/{code}", Act(Transport)),
    (
        "POST",
        "/api/v1/rounds/{id}/boxes/{code}/tubes",
        Act(Transport),
    ),
    (
        "POST",
        "/api/v1/rounds/{id}/boxes/{code}/seal",
        Act(Transport),
    ),
    (
        "POST",
        "/api/v1/rounds/{id}/boxes/{code}/handover",
        Act(Transport),
    ),
    (
        "GET",
        "/api/v1/rounds/{id}/boxes/{code}/timeline",
        AnyOf(&[Transport, LabResults]),
    ),
    (
        "GET",
        "/api/v1/rounds/{id}/tubes/{code}/timeline",
        AnyOf(&[Transport, LabResults]),
    ),
    (
        "GET",
        "/api/v1/rounds/{id}/flags",
        AnyOf(&[ManageRounds, Sample, Transport]),
    ),
    (
        "GET",
        "/api/v1/rounds/{id}/report",
        AnyOf(&[ManageRounds, Sample]),
    ),
    ("POST", "/api/v1/lab/boxes/{code}/receive", Act(LabResults)),
    ("GET", "/api/v1/lab/boxes/{code}", Act(LabResults)),
    ("POST", "/api/v1/lab/results", Act(LabResults)),
    ("POST", "/api/v1/handovers", Act(Transport)),
    (
        "GET",
        "/api/v1/handovers",
        AnyOf(&[Transport, ManageRounds]),
    ),
    (
        "GET",
        "/api/v1/handovers/{id}",
        AnyOf(&[Transport, LabResults]),
    ),
    ("POST", "/api/v1/handovers/{id}/receive", Act(LabResults)),
    (
        "GET",
        "/api/v1/rounds/{id}/handovers",
        AnyOf(&[Transport, ManageRounds, LabResults]),
    ),
    ("GET", "/api/v1/transport/waiting", Act(Transport)),
    (
        "GET",
        "/api/v1/rounds/{id}/points",
        AnyOf(&[ManageRounds, Sample, Transport]),
    ),
    ("POST", "/api/v1/rounds/{id}/points", Act(ManageRounds)),
    (
        "GET",
        "/api/v1/rounds/{id}/points/{point_id}",
        AnyOf(&[ManageRounds, Sample, Transport]),
    ),
    (
        "PUT",
        "/api/v1/rounds/{id}/points/{point_id}",
        Act(ManageRounds),
    ),
    (
        "POST",
        "/api/v1/rounds/{id}/points/{point_id}/batches",
        AnyOf(&[ManageRounds, Transport]),
    ),
    (
        "PUT",
        "/api/v1/rounds/{id}/points/{point_id}/counts",
        AnyOf(&[ManageRounds, Transport]),
    ),
    (
        "GET",
        "/api/v1/rounds/{id}/points/{point_id}/materials",
        AnyOf(&[ManageRounds, Transport]),
    ),
    (
        "GET",
        "/api/v1/rounds/{id}/materials",
        AnyOf(&[ManageRounds, Transport]),
    ),
    // quarantine
    ("POST", "/api/v1/episodes", Act(Quarantine)),
    ("GET", "/api/v1/episodes", Act(Read)),
    ("GET", "/api/v1/episodes/{id}", Act(Read)),
    ("POST", "/api/v1/episodes/{id}/transfer", Act(Quarantine)),
    ("POST", "/api/v1/episodes/{id}/change", Act(Quarantine)),
    ("POST", "/api/v1/episodes/{id}/release", Act(Quarantine)),
    ("GET", "/api/v1/households/{id}/checkins", Act(Read)),
    (
        "POST",
        "/api/v1/households/{id}/checkins",
        Act(RecordCheckins),
    ),
    ("GET", "/api/v1/quarantine/today", Act(WorkTasks)),
    ("GET", "/api/v1/quarantine/overview", Act(Read)),
    ("GET", "/api/v1/policies", Act(Read)),
    ("GET", "/api/v1/policies/{key}", Act(Read)),
    (
        "GET",
        "/api/v1/policies/{key}/versions/{version}",
        Act(Read),
    ),
    ("POST", "/api/v1/policies/{key}/versions", Act(EditPolicies)),
    ("GET", "/api/v1/seals", Act(Read)),
    ("POST", "/api/v1/seals", Act(Seal)),
    ("POST", "/api/v1/seals/{id}/lift", Act(Seal)),
    (
        "POST",
        "/api/v1/households/{id}/supplies",
        Act(RecordCheckins),
    ),
    ("GET", "/api/v1/supplies", Act(Read)),
    ("POST", "/api/v1/supplies/{id}/cancel", Act(ManageTasks)),
    // checkpoints
    ("GET", "/api/v1/checkpoints", Act(GuardGate)),
    ("POST", "/api/v1/checkpoints", Act(ManageCheckpoints)),
    ("GET", "/api/v1/checkpoints/{id}/shifts", Act(GuardGate)),
    (
        "POST",
        "/api/v1/checkpoints/{id}/shifts",
        Act(ManageCheckpoints),
    ),
    ("POST", "/api/v1/checkpoints/{id}/passages", Act(GuardGate)),
    ("GET", "/api/v1/checkpoints/{id}/passages", Act(GuardGate)),
    ("GET", "/api/v1/checkpoints/counts", Act(GuardGate)),
    // notices, lists, reports, templates, emergencies
    ("GET", "/api/v1/notices", Act(Read)),
    ("POST", "/api/v1/notices", Act(PublishNotices)),
    ("POST", "/api/v1/notices/{id}/withdraw", Act(PublishNotices)),
    ("GET", "/api/v1/notices/files", Act(Read)),
    ("POST", "/api/v1/notices/files", Act(PublishNotices)),
    ("GET", "/api/v1/notices/files/{id}", Act(Read)),
    ("GET", "/api/v1/lists", Act(InvestigationLists)),
    ("POST", "/api/v1/lists", Act(InvestigationLists)),
    ("GET", "/api/v1/lists/{id}", Act(InvestigationLists)),
    (
        "POST",
        "/api/v1/lists/{id}/mapping",
        Act(InvestigationLists),
    ),
    ("POST", "/api/v1/lists/{id}/close", Act(InvestigationLists)),
    ("GET", "/api/v1/lists/{id}/rows", Act(InvestigationLists)),
    ("GET", "/api/v1/lists/{id}/return", Act(InvestigationLists)),
    ("GET", "/api/v1/lists/calls", Act(WorkTasks)),
    ("POST", "/api/v1/lists/calls/{task_id}", Act(WorkTasks)),
    (
        "POST",
        "/api/v1/lists/calls/{task_id}/phone",
        Act(WorkTasks),
    ),
    ("GET", "/api/v1/daily-report", Act(DailyReport)),
    ("GET", "/api/v1/daily-report/xlsx", Act(DailyReport)),
    ("POST", "/api/v1/daily-report/sign", Act(SignDaily)),
    ("GET", "/api/v1/templates", Act(Export)),
    ("GET", "/api/v1/templates/fields", Anyone), // the fields a template may name: no data
    ("POST", "/api/v1/templates", Act(ManageTemplates)),
    ("GET", "/api/v1/templates/{id}", Act(Export)),
    ("PUT", "/api/v1/templates/{id}", Act(ManageTemplates)),
    ("DELETE", "/api/v1/templates/{id}", Act(ManageTemplates)),
    ("GET", "/api/v1/templates/{id}/file", Act(Export)),
    ("POST", "/api/v1/templates/import", Act(ManageTemplates)),
    ("GET", "/api/v1/exports/{template}", Act(Export)),
    ("GET", "/api/v1/emergencies", Act(Read)),
    ("GET", "/api/v1/emergencies/mode", Anyone),
    ("POST", "/api/v1/emergencies", Act(SwitchMode)),
    ("POST", "/api/v1/emergencies/{id}/end", Act(SwitchMode)),
    ("POST", "/api/v1/emergencies/{id}/members", Act(SwitchMode)),
    (
        "DELETE",
        "/api/v1/emergencies/{id}/members/{staff_id}",
        Act(SwitchMode),
    ),
    ("GET", "/api/v1/retention/preview", Act(Retention)),
    ("POST", "/api/v1/retention/run", Act(Retention)),
];

impl Need {
    pub(crate) fn allows(self, role: Role) -> bool {
        match self {
            Anyone => true,
            Act(a) => role.allows(a),
            AnyOf(all) => all.iter().any(|a| role.allows(*a)),
        }
    }

    /// The refusal the access check gives a role without the action: 404 when every action
    /// is about the registry and the role may not read it (existence hidden), else 403.
    fn refusal(self, role: Role) -> StatusCode {
        let hidden = match self {
            Anyone => false,
            Act(a) => a.needs_registry(),
            AnyOf(all) => all.iter().all(|a| a.needs_registry()),
        };
        if hidden && !role.allows(Action::Read) {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::FORBIDDEN
        }
    }
}

both_backends!(
    every_role_gets_what_the_role_table_says_on_every_operation,
    async |db: &TestDb| {
        let app = TestApp::new(db);
        let w = world(&app, db).await;
        let ops = w.secured();
        // Every described operation is classified, and every classified one described.
        let described = ops.clone();
        let missing: Vec<String> = described
            .iter()
            .filter(|(m, p)| !NEEDS.iter().any(|(nm, np, _)| nm == m && np == p))
            .map(|(m, p)| format!("{m} {p}"))
            .collect();
        assert!(
            missing.is_empty(),
            "operations missing from NEEDS (classify each by the action its use case checks): {missing:#?}"
        );
        let stale: Vec<String> = NEEDS
            .iter()
            .filter(|(m, p, _)| !described.iter().any(|(dm, dp)| dm == m && dp == p))
            .map(|(m, p, _)| format!("{m} {p}"))
            .collect();
        assert!(
            stale.is_empty(),
            "NEEDS lists undescribed operations: {stale:#?}"
        );

        let mut clients = Vec::new();
        for role in Role::ALL {
            clients.push((role, app.login_api(&role_user(role)).await));
        }
        let (mut refused, mut opened, mut as_predicted) = (0, 0, 0);
        let mut wrong = Vec::new();
        for (method, described_path) in &ops {
            let full = described_path.clone();
            let (_, _, need) = NEEDS
                .iter()
                .find(|(m, p, _)| m == method && *p == full)
                .unwrap();
            let path = w.fill_op(method, &full);
            let body = w.body(method, described_path);
            for (role, client) in &clients {
                let allowed = need.allows(*role);
                if allowed && method != "GET" {
                    continue; // a write the role may do would change the world
                }
                // The logout of a role's only session would end the sweep for it.
                if full.ends_with("/auth/logout") {
                    continue;
                }
                let mut req = client.request(method, &path);
                if let Some((ct, b)) = &body {
                    req = req.body(ct, b.clone());
                }
                let res = req.send().await;
                let code = role.code();
                if allowed {
                    if matches!(res.status, StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED)
                        || res.status.is_server_error()
                    {
                        wrong.push(format!(
                            "{method} {path} as {code} (allowed): {} {}",
                            res.status,
                            res.text.chars().take(160).collect::<String>()
                        ));
                    } else if res.status.is_success() {
                        opened += 1;
                    }
                } else {
                    refused += 1;
                    // A list read limited to what the role sees may answer it empty.
                    let empty_list = method == "GET"
                        && !full.contains('{')
                        && res.status == StatusCode::OK
                        && res.json()["total"] == 0;
                    let expected = need.refusal(*role);
                    if res.status == expected {
                        as_predicted += 1;
                    } else if !(matches!(res.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)
                        || empty_list)
                    {
                        wrong.push(format!(
                            "{method} {path} as {code} (denied, expected {expected}): {} {}",
                            res.status,
                            res.text.chars().take(160).collect::<String>()
                        ));
                    }
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "{} answers off the role table:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
        assert!(refused > 300, "{refused} refusals checked");
        // Most refusals are exactly the access check's own answer for the role; the others
        // are 404 for an object the role cannot see at all.
        assert!(
            as_predicted * 2 > refused,
            "{as_predicted} of {refused} as the table predicts"
        );
        eprintln!(
            "{refused} refusals ({as_predicted} exactly as predicted), {opened} reads opened"
        );
        assert!(opened > 200, "{opened} reads opened by roles allowed to");
    }
);

/// What the operation `method path` (as described) needs; panics for one not in [`NEEDS`].
pub(crate) fn need(method: &str, path: &str) -> Need {
    NEEDS
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map(|(_, _, n)| *n)
        .unwrap_or_else(|| panic!("{method} {path} is not in NEEDS"))
}
