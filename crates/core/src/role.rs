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

/// What a user may do with the persons and households in their area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permissions {
    /// See persons and households (masked).
    pub read: bool,
    /// Create and change persons and households, import rosters.
    pub write: bool,
    /// See a person's full ID number and phone on explicit request (audited).
    pub reveal: bool,
    /// Export rosters (audited; full values only with `reveal`).
    pub export: bool,
    /// Create, list and disable users below their own role, inside their area.
    pub manage_users: bool,
    /// Read and export the audit log of their area.
    pub audit: bool,
    /// Idle minutes before a session ends.
    pub idle_minutes: i64,
}

const fn p(
    read: bool,
    write: bool,
    reveal: bool,
    export: bool,
    manage_users: bool,
    audit: bool,
    idle_minutes: i64,
) -> Permissions {
    Permissions {
        read,
        write,
        reveal,
        export,
        manage_users,
        audit,
        idle_minutes,
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

    /// The table: what each role may do inside its area. Field roles get 30 idle minutes,
    /// office roles a working morning.
    pub const fn permissions(self) -> Permissions {
        //                               read   write  reveal export users  audit  idle
        match self {
            Role::Admin => p(true, true, true, true, true, true, 240),
            Role::DistrictAdmin => p(true, true, true, true, true, true, 240),
            Role::StreetAdmin => p(true, true, true, true, true, true, 240),
            Role::CommunityAdmin => p(true, true, true, true, true, true, 240),
            Role::GridLeader => p(true, true, true, true, false, false, 30),
            Role::GridWorker => p(true, true, true, false, false, false, 30),
            Role::Volunteer => p(true, false, false, false, false, false, 30),
            Role::Sampler => p(true, false, false, false, false, false, 30),
            Role::Transporter => p(false, false, false, false, false, false, 30),
            Role::Lab => p(false, false, false, false, false, false, 30),
            Role::Viewer => p(true, false, false, false, false, false, 240),
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
        self.permissions().manage_users && (self == Role::Admin || other > self)
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

    #[test]
    fn the_table_holds_its_promises() {
        assert!(Role::Admin.permissions().reveal);
        assert!(!Role::Volunteer.permissions().reveal);
        assert!(!Role::Viewer.permissions().write);
        assert!(!Role::Lab.permissions().read);
        assert_eq!(Role::GridWorker.permissions().idle_minutes, 30);
        assert!(Role::CommunityAdmin.may_manage(Role::GridWorker));
        assert!(!Role::CommunityAdmin.may_manage(Role::StreetAdmin));
        assert!(!Role::GridLeader.may_manage(Role::Volunteer));
        assert!(Role::Admin.may_manage(Role::Admin));
    }
}
