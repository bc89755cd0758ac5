//! The one authorization check. Every read and write of a use case goes through
//! [`Principal::authorize`]: may this user do this to something in this area?
//!
//! Outside the user's area the answer is [`AppError::NotFound`], exactly as if the thing did not
//! exist; inside it, a missing permission is [`AppError::Forbidden`]. What each role may do is
//! the table in `doorstep_core::role`.

use doorstep_core::{AreaPath, Role};
use doorstep_store::{Actor, NewAudit, User};

use crate::error::{AppError, AppResult};

/// What a use case is about to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See persons, households, areas (masked).
    Read,
    /// Create or change them.
    Write,
    /// See full ID numbers and phones.
    Reveal,
    /// Export rosters.
    Export,
    /// Manage users.
    ManageUsers,
    /// Read the audit log.
    Audit,
}

/// Who is acting: a logged-in user.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user.
    pub user: User,
}

/// Makes a user's audit entries for a write in progress ([`Principal::auditor`]).
#[derive(Debug, Clone)]
pub struct Auditor {
    who: Principal,
    ctx: Ctx,
}

impl Auditor {
    /// An entry as [`Principal::audit_entry`] makes it.
    pub fn entry(
        &self,
        action: &str,
        object: Option<(&str, i64)>,
        area: Option<&AreaPath>,
        details: serde_json::Value,
    ) -> NewAudit {
        self.who
            .audit_entry(&self.ctx, action, object, area, details)
    }
}

/// Where a request comes from, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    /// The client's address.
    pub ip: Option<String>,
    /// The request id the user can quote.
    pub request_id: Option<String>,
}

impl Principal {
    /// The user's role.
    pub fn role(&self) -> Role {
        self.user.role
    }

    /// Whether `path` lies in the user's area (the admin's area is everything).
    pub fn covers(&self, path: &AreaPath) -> bool {
        self.user.role == Role::Admin || self.user.area_path.contains(path)
    }

    /// Whether the role has the permission for `action`, wherever.
    pub fn may(&self, action: Action) -> bool {
        let p = self.user.role.permissions();
        match action {
            Action::Read => p.read,
            Action::Write => p.write,
            Action::Reveal => p.reveal,
            Action::Export => p.export,
            Action::ManageUsers => p.manage_users,
            Action::Audit => p.audit,
        }
    }

    /// The check: NotFound outside the area (or without read access at all), Forbidden when
    /// the object is visible but the action is not allowed.
    pub fn authorize(&self, action: Action, path: &AreaPath) -> AppResult<()> {
        // Roles without read access (transport, lab) see no registry object at all.
        let sees_registry =
            self.may(Action::Read) || matches!(action, Action::ManageUsers | Action::Audit);
        if !self.covers(path) || !sees_registry {
            return Err(AppError::NotFound);
        }
        if !self.may(action) {
            return Err(AppError::Forbidden);
        }
        Ok(())
    }

    /// This user as the author of changes made through `source` (`import`, `form`, `report`):
    /// files on record outside the user's area are refused by the store, not moved.
    pub fn actor(&self, source: &str) -> Actor {
        Actor {
            name: self.user.username.clone(),
            source: source.to_string(),
            within: (self.user.role != Role::Admin).then(|| self.user.area_path.clone()),
        }
    }

    /// An audit entry of something this user did: `object` is (kind, id); `area` defaults to the
    /// user's own area, so the entry is visible to whoever audits that area.
    pub fn audit_entry(
        &self,
        ctx: &Ctx,
        action: &str,
        object: Option<(&str, i64)>,
        area: Option<&AreaPath>,
        details: serde_json::Value,
    ) -> NewAudit {
        NewAudit {
            user_id: Some(self.user.id),
            username: self.user.username.clone(),
            ip: ctx.ip.clone(),
            request_id: ctx.request_id.clone(),
            action: action.to_string(),
            object_type: object.map(|o| o.0.to_string()),
            object_id: object.map(|o| o.1),
            area_path: Some(area.unwrap_or(&self.user.area_path).to_string()),
            details,
        }
    }

    /// What writes this user's audit entries inside a store call (see `doorstep_store::Audit`):
    /// owned, so it can travel with the write.
    pub fn auditor(&self, ctx: &Ctx) -> Auditor {
        Auditor {
            who: self.clone(),
            ctx: ctx.clone(),
        }
    }

    /// The area a list is limited to: the one asked for if it lies inside the user's area,
    /// the user's own area when none is asked for; `None` means the asked area is outside.
    pub fn scope(&self, asked: Option<AreaPath>) -> Option<Option<AreaPath>> {
        match asked {
            Some(a) if self.covers(&a) => Some(Some(a)),
            Some(_) => None,
            None if self.user.role == Role::Admin => Some(None),
            None => Some(Some(self.user.area_path.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(role: Role, area: &str) -> Principal {
        Principal {
            user: User {
                id: 1,
                username: "u".into(),
                role,
                area_id: 1,
                area_path: AreaPath::parse(area).unwrap(),
                disabled: false,
                phone: None,
                created_at: time::OffsetDateTime::UNIX_EPOCH,
            },
        }
    }

    #[test]
    fn outside_the_area_is_not_found_inside_without_permission_is_forbidden() {
        let w = who(Role::Volunteer, "区/街/社区A");
        let inside = AreaPath::parse("区/街/社区A/小区/1号楼").unwrap();
        let outside = AreaPath::parse("区/街/社区B/小区").unwrap();
        let prefix_lookalike = AreaPath::parse("区/街/社区AB").unwrap();
        assert!(w.authorize(Action::Read, &inside).is_ok());
        assert!(matches!(
            w.authorize(Action::Write, &inside),
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            w.authorize(Action::Read, &outside),
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            w.authorize(Action::Read, &prefix_lookalike),
            Err(AppError::NotFound)
        ));
        let lab = who(Role::Lab, "区/街/社区A");
        assert!(matches!(
            lab.authorize(Action::Read, &inside),
            Err(AppError::NotFound)
        ));
        let admin = who(Role::Admin, "区");
        assert!(admin.authorize(Action::Reveal, &outside).is_ok());
    }

    #[test]
    fn scope_of_lists() {
        let w = who(Role::GridWorker, "区/街/社区A");
        assert_eq!(
            w.scope(None),
            Some(Some(AreaPath::parse("区/街/社区A").unwrap()))
        );
        assert_eq!(w.scope(Some(AreaPath::parse("区/街").unwrap())), None);
        assert_eq!(who(Role::Admin, "区").scope(None), Some(None));
    }
}
