//! Roles and what each may do: one table, read by the one authorization check in `app`.
//!
//! Every user has one role and one area; a role's permissions apply inside that area only
//! (the admin's area is the whole system). ARCHITECTURE.md shows this table to people.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::lang::Lang;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员 — the whole system.
    Admin,
    /// 区管理员
    DistrictAdmin,
    /// 街道管理员
    StreetAdmin,
    /// 社区管理员 (社区两委, 专班)
    CommunityAdmin,
    /// 网格长
    GridLeader,
    /// 网格员
    GridWorker,
    /// 志愿者
    Volunteer,
    /// 采样员
    Sampler,
    /// 转运员
    Transporter,
    /// 检测机构
    Lab,
    /// 上级只读
    Viewer,
}

/// What a use case is about to do. Each action is allowed to the roles its row of the table
/// lists ([`Role::allows`]) and refused to every other (default deny). A new action needs its
/// row (the compiler asks for it), its [`Action::needs_registry`] answer and a place in
/// [`Action::ALL`] (which the table test prints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// See persons, households and areas (masked).
    Read,
    /// Create and change persons and households, import rosters, run self-report links and
    /// review reports.
    Write,
    /// See a person's full ID number and phone on explicit request (audited).
    Reveal,
    /// Export rosters and the upward report (audited; full values only with `Reveal`).
    Export,
    /// Create, change and disable users of narrower roles inside the area.
    ManageUsers,
    /// Read and export the audit log of the area.
    Audit,
    /// Fill in a household's self-report on its behalf (代报), from its registered members
    /// (who stay masked to the worker).
    FileReport,
    /// Keep the staff roster of the area and give its people duties (分包).
    ManageStaff,
    /// Create, assign and cancel field tasks in the area, and see its board.
    ManageTasks,
    /// Do one's own field tasks (my tasks): start, finish with an outcome.
    WorkTasks,
    /// Change system-wide settings, such as which duties each kind of task goes to.
    Configure,
    /// Set up mass-testing rounds in the area: create, open, close, exclusions; see coverage.
    ManageRounds,
    /// Scan tubes and persons at a sampling point of a round covering the area (the person
    /// answered masked).
    Sample,
    /// Box closed tubes, seal boxes and hand them over (转运); see the boxes of the area.
    Transport,
    /// Receive boxes at the lab and enter tube results.
    LabResults,
    /// Start, change, transfer and release home-quarantine and monitoring episodes of persons
    /// in the area, and see their check-ins.
    Quarantine,
    /// Record a check-in for a resident in an episode who cannot (by phone or at the door).
    RecordCheckins,
    /// Edit the quarantine policies (a new version each time; episodes keep theirs).
    EditPolicies,
    /// Seal an area (封控: a building, unit or compound) and lift the seal.
    Seal,
    /// Keep a checkpoint's register (卡口值守): record who goes in and out at a gate of the
    /// area, see its register and counts.
    GuardGate,
    /// Set up the area's checkpoints and their duty shifts.
    ManageCheckpoints,
    /// Publish and withdraw notices to the area's residents and keep the files from above.
    PublishNotices,
    /// Import investigation lists from above (流调协查), see their progress and write their
    /// return files.
    InvestigationLists,
    /// See the daily report (日报) of an area and export it.
    DailyReport,
    /// Sign off a community's daily report.
    SignDaily,
    /// Make, change and delete the area's export templates (报表模板); using one is `Export`.
    ManageTemplates,
    /// Switch a community into emergency mode (平急转换) with its task forces, and back.
    SwitchMode,
    /// Preview and run the retention of an ended emergency's personal data.
    Retention,
}

impl Action {
    /// Every action, in the table's order.
    pub const ALL: [Action; 28] = [
        Action::Read,
        Action::Write,
        Action::Reveal,
        Action::Export,
        Action::ManageUsers,
        Action::Audit,
        Action::FileReport,
        Action::ManageStaff,
        Action::ManageTasks,
        Action::WorkTasks,
        Action::Configure,
        Action::ManageRounds,
        Action::Sample,
        Action::Transport,
        Action::LabResults,
        Action::Quarantine,
        Action::RecordCheckins,
        Action::EditPolicies,
        Action::GuardGate,
        Action::ManageCheckpoints,
        Action::PublishNotices,
        Action::Seal,
        Action::InvestigationLists,
        Action::DailyReport,
        Action::SignDaily,
        Action::ManageTemplates,
        Action::SwitchMode,
        Action::Retention,
    ];

    /// Whether the action is about registry objects (persons, households, reports of them):
    /// then a role that may not read the registry gets "not found", as if nothing were there,
    /// rather than "forbidden". Managing users and reading the audit log are not: they are
    /// answered "forbidden" like any other missing permission. Scan, custody and result verbs
    /// for samplers, transporters and labs will be `false`.
    pub const fn needs_registry(self) -> bool {
        match self {
            Action::Read
            | Action::Write
            | Action::Reveal
            | Action::Export
            | Action::FileReport
            | Action::Quarantine
            | Action::RecordCheckins
            | Action::GuardGate
            | Action::InvestigationLists
            | Action::DailyReport
            | Action::SignDaily => true,
            Action::ManageUsers
            | Action::Audit
            | Action::ManageStaff
            | Action::ManageTasks
            | Action::WorkTasks
            | Action::Configure
            | Action::ManageRounds
            | Action::Sample
            | Action::Transport
            | Action::LabResults
            | Action::EditPolicies
            | Action::Seal
            | Action::ManageCheckpoints
            | Action::PublishNotices
            | Action::ManageTemplates
            | Action::SwitchMode
            | Action::Retention => false,
        }
    }

    /// The stable code, as the table test prints it.
    pub fn code(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Write => "write",
            Action::Reveal => "reveal",
            Action::Export => "export",
            Action::ManageUsers => "manage_users",
            Action::Audit => "audit",
            Action::FileReport => "file_report",
            Action::ManageStaff => "manage_staff",
            Action::ManageTasks => "manage_tasks",
            Action::WorkTasks => "work_tasks",
            Action::Configure => "configure",
            Action::ManageRounds => "manage_rounds",
            Action::Sample => "sample",
            Action::Transport => "transport",
            Action::LabResults => "lab_results",
            Action::Quarantine => "quarantine",
            Action::RecordCheckins => "record_checkins",
            Action::EditPolicies => "edit_policies",
            Action::Seal => "seal",
            Action::GuardGate => "guard_gate",
            Action::ManageCheckpoints => "manage_checkpoints",
            Action::PublishNotices => "publish_notices",
            Action::InvestigationLists => "lists",
            Action::DailyReport => "daily_report",
            Action::SignDaily => "sign_daily",
            Action::ManageTemplates => "templates",
            Action::SwitchMode => "emergency",
            Action::Retention => "retention",
        }
    }
}

/// The table: each action with the roles that may do it inside their area. A role missing
/// from an action's row may not do it (default deny); a new verb is a new `Action` and its row
/// here, nothing else. ARCHITECTURE.md shows this table to people, and the test
/// `the_whole_table` prints it, so a change shows up as a diff.
///
/// Kept as written (`rustfmt::skip`): one line per action reads as a table.
#[rustfmt::skip]
const fn granted_to(action: Action) -> &'static [Role] {
    use Role::{
        Admin, CommunityAdmin, DistrictAdmin, GridLeader, GridWorker, Lab, Sampler, StreetAdmin,
        Transporter, Viewer, Volunteer,
    };
    match action {
        Action::Read        => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin, GridLeader, GridWorker, Volunteer, Sampler, Viewer],
        Action::Write       => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin, GridLeader, GridWorker],
        Action::Reveal      => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin, GridLeader, GridWorker],
        Action::Export      => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin, GridLeader],
        Action::ManageUsers => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin],
        Action::Audit       => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin],
        Action::FileReport  => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin, GridLeader, GridWorker, Volunteer],
        Action::ManageStaff => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin, GridLeader],
        Action::ManageTasks => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin, GridLeader],
        Action::WorkTasks   => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin, GridLeader, GridWorker, Volunteer, Sampler],
        Action::Configure   => &[Admin],
        Action::ManageRounds=> &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin, GridLeader],
        Action::Sample      => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin, GridLeader, GridWorker, Sampler],
        Action::Transport   => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin, GridLeader, GridWorker, Sampler, Transporter],
        Action::LabResults  => &[Admin, DistrictAdmin, Lab],
        Action::Quarantine  => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin, GridLeader, GridWorker],
        Action::RecordCheckins => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin, GridLeader, GridWorker, Volunteer],
        Action::EditPolicies => &[Admin, DistrictAdmin],
        Action::Seal        => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin],
        Action::GuardGate   => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin, GridLeader, GridWorker, Volunteer],
        Action::ManageCheckpoints => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin, GridLeader],
        Action::PublishNotices => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin],
        Action::InvestigationLists => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin],
        Action::DailyReport => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin, GridLeader, Viewer],
        Action::SignDaily   => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin],
        Action::ManageTemplates => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin],
        Action::SwitchMode  => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin],
        Action::Retention   => &[Admin, DistrictAdmin, StreetAdmin, CommunityAdmin],
    }
}

impl Role {
    /// Every role, widest first.
    pub const ALL: [Role; 11] = [
        Role::Admin,
        Role::DistrictAdmin,
        Role::StreetAdmin,
        Role::CommunityAdmin,
        Role::GridLeader,
        Role::GridWorker,
        Role::Volunteer,
        Role::Sampler,
        Role::Transporter,
        Role::Lab,
        Role::Viewer,
    ];

    /// Whether this role may do `action` inside its area: the role is listed in the action's
    /// row of the table. Default deny.
    pub fn allows(self, action: Action) -> bool {
        granted_to(action).contains(&self)
    }

    /// Idle minutes before a session of this role ends: field roles get 30, office roles (and
    /// the upper level's read-only viewers) a working morning.
    pub const fn idle_minutes(self) -> i64 {
        match self {
            Role::Admin
            | Role::DistrictAdmin
            | Role::StreetAdmin
            | Role::CommunityAdmin
            | Role::Viewer => 240,
            Role::GridLeader
            | Role::GridWorker
            | Role::Volunteer
            | Role::Sampler
            | Role::Transporter
            | Role::Lab => 30,
        }
    }

    /// The stable code used by the CLI, the API and the database.
    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::DistrictAdmin => "district_admin",
            Role::StreetAdmin => "street_admin",
            Role::CommunityAdmin => "community_admin",
            Role::GridLeader => "grid_leader",
            Role::GridWorker => "grid_worker",
            Role::Volunteer => "volunteer",
            Role::Sampler => "sampler",
            Role::Transporter => "transporter",
            Role::Lab => "lab",
            Role::Viewer => "viewer",
        }
    }

    /// The role's name in a language.
    pub fn label(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            Role::Admin => ("系统管理员", "Administrator"),
            Role::DistrictAdmin => ("区管理员", "District admin"),
            Role::StreetAdmin => ("街道管理员", "Street admin"),
            Role::CommunityAdmin => ("社区管理员", "Community admin"),
            Role::GridLeader => ("网格长", "Grid leader"),
            Role::GridWorker => ("网格员", "Grid worker"),
            Role::Volunteer => ("志愿者", "Volunteer"),
            Role::Sampler => ("采样员", "Sampler"),
            Role::Transporter => ("转运员", "Transporter"),
            Role::Lab => ("检测机构", "Lab"),
            Role::Viewer => ("上级只读", "Viewer (read-only)"),
        };
        lang.pick(zh, en)
    }

    /// Reads a role from its code.
    pub fn parse(raw: &str) -> Option<Role> {
        let s = raw.trim().to_ascii_lowercase();
        Role::ALL.into_iter().find(|r| r.code() == s)
    }

    /// Whether a user of this role may create or disable a user of `other` role: managers
    /// only hand out roles narrower than their own (the admin any).
    pub fn may_manage(self, other: Role) -> bool {
        self.allows(Action::ManageUsers) && (self == Role::Admin || other > self)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    /// The whole table as text: one line per role, a column per action, then idle minutes.
    fn table() -> String {
        let mut out = format!("{:<16}", "role");
        for a in Action::ALL {
            out += &format!(" {:<12}", a.code());
        }
        out += " idle\n";
        for r in Role::ALL {
            out += &format!("{:<16}", r.code());
            for a in Action::ALL {
                out += &format!(" {:<12}", if r.allows(a) { "yes" } else { "-" });
            }
            out += &format!(" {}\n", r.idle_minutes());
        }
        out
    }

    /// Every cell of the table, so that any change to it shows up here as a diff (and has to
    /// be made in ARCHITECTURE.md's copy too).
    #[test]
    fn the_whole_table() {
        let expected = "\
role             read         write        reveal       export       manage_users audit        file_report  manage_staff manage_tasks work_tasks   configure    manage_rounds sample       transport    lab_results  quarantine   record_checkins edit_policies guard_gate   manage_checkpoints publish_notices seal         lists        daily_report sign_daily   templates    emergency    retention    idle
admin            yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          240
district_admin   yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          -            yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          240
street_admin     yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          -            yes          yes          yes          -            yes          yes          -            yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          240
community_admin  yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          -            yes          yes          yes          -            yes          yes          -            yes          yes          yes          yes          yes          yes          yes          yes          yes          yes          240
grid_leader      yes          yes          yes          yes          -            -            yes          yes          yes          yes          -            yes          yes          yes          -            yes          yes          -            yes          yes          -            -            -            yes          -            -            -            -            30
grid_worker      yes          yes          yes          -            -            -            yes          -            -            yes          -            -            yes          yes          -            yes          yes          -            yes          -            -            -            -            -            -            -            -            -            30
volunteer        yes          -            -            -            -            -            yes          -            -            yes          -            -            -            -            -            -            yes          -            yes          -            -            -            -            -            -            -            -            -            30
sampler          yes          -            -            -            -            -            -            -            -            yes          -            -            yes          yes          -            -            -            -            -            -            -            -            -            -            -            -            -            -            30
transporter      -            -            -            -            -            -            -            -            -            -            -            -            -            yes          -            -            -            -            -            -            -            -            -            -            -            -            -            -            30
lab              -            -            -            -            -            -            -            -            -            -            -            -            -            -            yes          -            -            -            -            -            -            -            -            -            -            -            -            -            30
viewer           yes          -            -            -            -            -            -            -            -            -            -            -            -            -            -            -            -            -            -            -            -            -            -            yes          -            -            -            -            240
";
        let got = table();
        if got != expected {
            // Both whole, so the failure reads as a diff of the two tables.
            assert_eq!(
                got.lines().collect::<Vec<_>>(),
                expected.lines().collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn only_users_and_audit_stand_outside_the_registry() {
        let outside: Vec<Action> = Action::ALL
            .into_iter()
            .filter(|a| !a.needs_registry())
            .collect();
        assert_eq!(
            outside,
            [
                Action::ManageUsers,
                Action::Audit,
                Action::ManageStaff,
                Action::ManageTasks,
                Action::WorkTasks,
                Action::Configure,
                Action::ManageRounds,
                Action::Sample,
                Action::Transport,
                Action::LabResults,
                Action::EditPolicies,
                Action::ManageCheckpoints,
                Action::PublishNotices,
                Action::Seal,
                Action::ManageTemplates,
                Action::SwitchMode,
                Action::Retention
            ]
        );
    }

    #[test]
    fn managers_hand_out_narrower_roles_only() {
        assert!(Role::CommunityAdmin.may_manage(Role::GridWorker));
        assert!(!Role::CommunityAdmin.may_manage(Role::StreetAdmin));
        assert!(!Role::CommunityAdmin.may_manage(Role::CommunityAdmin));
        assert!(!Role::GridLeader.may_manage(Role::Volunteer));
        assert!(Role::Admin.may_manage(Role::Admin));
    }
}
