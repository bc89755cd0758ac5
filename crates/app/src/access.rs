//! The one authorization check. Every read and write of a use case goes through
//! [`Principal::authorize`]: may this user do this to something in this area?
//!
//! Outside the user's area the answer is [`AppError::NotFound`], exactly as if the thing did not
//! exist; so it is for a role that may not see the registry at all when the action is about the
//! registry ([`Action::needs_registry`]). Inside the area, a missing permission is
//! [`AppError::Forbidden`]. What each role may do is the table in `doorstep_core::role`
//! ([`Role::allows`]).
//!
//! The office — the command line, run with the machine's authority — is a principal too
//! ([`Principal::office`]): it acts everywhere and is audited as `cli`, through the same use
//! cases as a user.

use std::sync::Arc;

use doorstep_core::{AreaPath, Role};
use doorstep_store::{Actor, Id, NewAudit, User};
use time::OffsetDateTime;

use crate::clock::Clock;

use crate::error::{AppError, AppResult};

pub use doorstep_core::role::Action;

/// The user name the office's changes and audit entries carry.
pub const OFFICE: &str = "cli";

/// Who is acting: a logged-in user, or the office.
#[derive(Debug, Clone)]
pub struct Principal {
    acting: Acting,
}

#[derive(Debug, Clone)]
enum Acting {
    /// A user, limited to their role and area.
    User(User),
    /// The office (the command line): every action everywhere.
    Office,
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

/// Where and when a request comes from: for the audit log, and the one clock use cases read.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The client's address.
    pub ip: Option<String>,
    /// The request id the user can quote.
    pub request_id: Option<String>,
    /// The clock (the system's, or a test's).
    pub clock: Arc<dyn Clock>,
}

impl Default for Ctx {
    fn default() -> Ctx {
        Ctx {
            ip: None,
            request_id: None,
            clock: crate::clock::system(),
        }
    }
}

impl Ctx {
    /// Now, by the request's clock.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Today in China, by the request's clock.
    pub fn today(&self) -> time::Date {
        self.clock.today()
    }
}

impl From<User> for Principal {
    fn from(user: User) -> Principal {
        Principal::user(user)
    }
}

impl Principal {
    /// A logged-in user, acting with their role inside their area.
    pub fn user(user: User) -> Principal {
        Principal {
            acting: Acting::User(user),
        }
    }

    /// The office: the command line, which runs with the machine's authority. It may do
    /// everything everywhere; its changes and audit entries name `cli`.
    pub fn office() -> Principal {
        Principal {
            acting: Acting::Office,
        }
    }

    /// The user acting, if it is a user (not the office).
    pub fn account(&self) -> Option<&User> {
        match &self.acting {
            Acting::User(u) => Some(u),
            Acting::Office => None,
        }
    }

    /// The name changes and audit entries carry: the user's, or `cli`.
    pub fn username(&self) -> &str {
        self.account().map_or(OFFICE, |u| u.username.as_str())
    }

    /// The user's id (none for the office).
    pub fn user_id(&self) -> Option<Id> {
        self.account().map(|u| u.id)
    }

    /// The user's role (none for the office).
    pub fn role(&self) -> Option<Role> {
        self.account().map(|u| u.role)
    }

    /// The area the principal is limited to; `None` means everywhere (the admin, the office).
    pub fn area(&self) -> Option<&AreaPath> {
        match &self.acting {
            Acting::User(u) if u.role != Role::Admin => Some(&u.area_path),
            _ => None,
        }
    }

    /// Whether `path` lies in the principal's area.
    pub fn covers(&self, path: &AreaPath) -> bool {
        self.area().is_none_or(|a| a.contains(path))
    }

    /// Whether the principal may do `action` somewhere (the role's row of the table).
    pub fn may(&self, action: Action) -> bool {
        match &self.acting {
            Acting::User(u) => u.role.allows(action),
            Acting::Office => true,
        }
    }

    /// Whether the principal may create or change a user of `role` (managers hand out narrower
    /// roles only; the office any).
    pub fn may_manage(&self, role: Role) -> bool {
        match &self.acting {
            Acting::User(u) => u.role.may_manage(role),
            Acting::Office => true,
        }
    }

    /// The check: NotFound outside the area, and for a role that may not see the registry
    /// when the action is about the registry; Forbidden when the object is visible but the
    /// action is not allowed.
    pub fn authorize(&self, action: Action, path: &AreaPath) -> AppResult<()> {
        let sees = !action.needs_registry() || self.may(Action::Read);
        if !self.covers(path) || !sees {
            return Err(AppError::NotFound);
        }
        if !self.may(action) {
            return Err(AppError::Forbidden);
        }
        Ok(())
    }

    /// The area a list or a run covers, as a form or query gives it (blank: the user's own; for
    /// a user of the whole system, everything), checked for `action`: NotFound for text that
    /// names no area or an area outside the user's, Forbidden for a role without the action.
    pub fn area_for(&self, raw: &str, action: Action) -> AppResult<Option<AreaPath>> {
        let area = match raw.trim() {
            "" => self.area().cloned(),
            a => Some(AreaPath::parse(a).map_err(|_| AppError::NotFound)?),
        };
        match &area {
            Some(a) => self.authorize(action, a)?,
            None if !self.may(action) => return Err(AppError::Forbidden),
            None => {}
        }
        Ok(area)
    }

    /// This principal as the author of changes made through `source` (`import`, `form`,
    /// `report`): files on record outside the area are refused by the store, not moved.
    pub fn actor(&self, source: &str) -> Actor {
        Actor {
            name: self.username().to_string(),
            source: source.to_string(),
            within: self.area().cloned(),
        }
    }

    /// An audit entry of something this principal did: `object` is (kind, id); `area` defaults
    /// to the user's own area, so the entry is visible to whoever audits that area.
    pub fn audit_entry(
        &self,
        ctx: &Ctx,
        action: &str,
        object: Option<(&str, i64)>,
        area: Option<&AreaPath>,
        details: serde_json::Value,
    ) -> NewAudit {
        let area = area.or(self.account().map(|u| &u.area_path));
        NewAudit {
            user_id: self.user_id(),
            username: self.username().to_string(),
            ip: ctx.ip.clone(),
            request_id: ctx.request_id.clone(),
            action: action.to_string(),
            object_type: object.map(|o| o.0.to_string()),
            object_id: object.map(|o| o.1),
            area_path: area.map(AreaPath::to_string),
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

    /// The area a list is limited to: the one asked for if it lies inside the principal's
    /// area, its own area when none is asked for (`Some(None)`: everywhere); `None` means the
    /// asked area is outside.
    pub fn scope(&self, asked: Option<AreaPath>) -> Option<Option<AreaPath>> {
        match asked {
            Some(a) if self.covers(&a) => Some(Some(a)),
            Some(_) => None,
            None => Some(self.area().cloned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(role: Role, area: &str) -> Principal {
        Principal::user(User {
            id: 1,
            username: "u".into(),
            role,
            area_id: 1,
            area_path: AreaPath::parse(area).unwrap(),
            disabled: false,
            phone: None,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        })
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

    #[test]
    fn roles_without_the_registry_find_nothing_there_but_are_forbidden_the_rest() {
        let inside = AreaPath::parse("区/街/社区A/小区").unwrap();
        let lab = who(Role::Lab, "区/街/社区A");
        for action in Action::ALL {
            let got = lab.authorize(action, &inside);
            if action == Action::LabResults {
                // The lab's own verb, and nothing about the registry.
                assert!(got.is_ok());
                continue;
            }
            let expected = if action.needs_registry() {
                "not found"
            } else {
                "not allowed"
            };
            assert_eq!(got.unwrap_err().to_string(), expected, "{action:?}");
        }
        // A worker inside the area is forbidden what the table does not give them, whatever
        // the action is about.
        let worker = who(Role::GridWorker, "区/街/社区A");
        assert!(worker.authorize(Action::Reveal, &inside).is_ok());
        for action in [Action::Export, Action::ManageUsers, Action::Audit] {
            assert!(matches!(
                worker.authorize(action, &inside),
                Err(AppError::Forbidden)
            ));
        }
    }

    #[test]
    fn the_office_acts_everywhere_as_cli() {
        let office = Principal::office();
        let anywhere = AreaPath::parse("别的区/街").unwrap();
        for action in Action::ALL {
            assert!(office.authorize(action, &anywhere).is_ok(), "{action:?}");
        }
        assert!(office.may_manage(Role::Admin));
        assert_eq!(office.scope(None), Some(None));
        let actor = office.actor("import");
        assert_eq!((actor.name.as_str(), actor.within), ("cli", None));
        let entry = office.audit_entry(
            &Ctx::default(),
            "area.create",
            None,
            Some(&anywhere),
            serde_json::json!({}),
        );
        assert_eq!(entry.user_id, None);
        assert_eq!(entry.username, "cli");
        assert_eq!(entry.area_path.as_deref(), Some("别的区/街"));
        // A user's entries name them and default to their area.
        let w = who(Role::GridWorker, "区/街/社区A");
        let entry = w.audit_entry(&Ctx::default(), "x", None, None, serde_json::json!({}));
        assert_eq!(entry.user_id, Some(1));
        assert_eq!(entry.area_path.as_deref(), Some("区/街/社区A"));
    }
}
