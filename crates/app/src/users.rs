//! User accounts: created from the command line (which runs with the machine's authority) or
//! by a manager inside their area; the demo users.

use doorstep_core::Conflict;
use doorstep_core::{AreaPath, Role};
use doorstep_store::{Audit, NewAudit, NewUser, Store, User, audit_entry, audit_with};
use serde_json::json;

use crate::access::{Action, Ctx, Principal};
use crate::auth::{check_password_rules, hash_password};
use crate::error::{AppError, AppResult};

/// Who asks for a user change: the office (the command line), or a logged-in manager. Either
/// way the change goes through [`Principal::authorize`] and is audited as that principal.
pub enum By<'a> {
    /// The office, outside any request: [`Principal::office`], audited as `cli`.
    Cli,
    /// A principal (a logged-in user, or the office) acting in a request.
    User(&'a Principal, &'a Ctx),
}

impl By<'_> {
    /// Runs `f` with the principal and request this stands for.
    fn with<R>(&self, f: impl FnOnce(&Principal, &Ctx) -> R) -> R {
        match self {
            By::Cli => f(&Principal::office(), &Ctx::default()),
            By::User(p, c) => f(p, c),
        }
    }

    fn check(&self, role: Role, area: &AreaPath) -> AppResult<()> {
        self.with(|p, _| {
            p.authorize(Action::ManageUsers, area)?;
            if p.may_manage(role) {
                Ok(())
            } else {
                Err(AppError::Forbidden)
            }
        })
    }

    /// Makes this caller's audit entries about a user, owned so they can travel with a write.
    fn auditor(&self) -> impl Fn(&str, &User) -> NewAudit + Send + 'static {
        let auditor = self.with(|p, c| p.auditor(c));
        move |action: &str, user: &User| {
            auditor.entry(
                action,
                Some(("user", user.id)),
                Some(&user.area_path),
                json!({"username": user.username, "role": user.role.code()}),
            )
        }
    }

    /// This caller's audit entry about `user`, whatever the write's outcome.
    fn audit_about<T>(&self, action: &str, user: &User) -> Audit<T> {
        audit_entry(self.auditor()(action, user))
    }
}

/// Checks a user name: 2–32 letters, digits, `_`, `-`, `.`.
fn check_username(u: &str) -> AppResult<()> {
    let ok = (2..=32).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(AppError::Conflict(Conflict::UsernameInvalid))
    }
}

/// Creates a user with a role in an area.
pub async fn create_user(
    store: &dyn Store,
    by: By<'_>,
    username: &str,
    role: Role,
    area: &AreaPath,
    password: &str,
) -> AppResult<User> {
    check_username(username)?;
    check_password_rules(password).map_err(|_| AppError::Conflict(Conflict::PasswordTooShort))?;
    by.check(role, area)?;
    let area = store.area_by_path(area).await?.ok_or(AppError::NotFound)?;
    let password_hash = hash_password(password).await?;
    let auditor = by.auditor();
    let user = store
        .create_user(
            &NewUser {
                username: username.to_string(),
                role,
                area_id: area.id,
                password_hash,
            },
            audit_with(move |user: &User| vec![auditor("user.create", user)]),
        )
        .await?;
    Ok(user)
}

async fn find(store: &dyn Store, username: &str) -> AppResult<User> {
    Ok(store
        .user_for_login(username)
        .await?
        .ok_or(AppError::NotFound)?
        .0)
}

/// The users a manager may see: those in their area (the office and the admin: everyone).
pub async fn list(store: &dyn Store, by: By<'_>) -> AppResult<Vec<User>> {
    let area = by.with(|p, _| {
        if p.may(Action::ManageUsers) {
            Ok(p.area().cloned())
        } else {
            Err(AppError::Forbidden)
        }
    })?;
    Ok(store.users(area.as_ref()).await?)
}

/// Disables (or enables) a user; their sessions end.
pub async fn set_disabled(
    store: &dyn Store,
    by: By<'_>,
    username: &str,
    disabled: bool,
) -> AppResult<()> {
    let user = find(store, username).await?;
    by.check(user.role, &user.area_path)?;
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    store
        .set_user_disabled(username, disabled, by.audit_about(action, &user))
        .await?;
    Ok(())
}

/// Sets (or, with an empty value, clears) a user's work phone; a present phone must be a valid
/// mainland mobile.
pub async fn set_phone(
    store: &dyn Store,
    by: By<'_>,
    username: &str,
    phone: &str,
) -> AppResult<()> {
    let phone = doorstep_core::Phone::parse_optional(phone)
        .map_err(|p| AppError::invalid([(doorstep_core::person::Field::Phone, p)]))?;
    let user = find(store, username).await?;
    by.check(user.role, &user.area_path)?;
    store
        .set_user_phone(
            username,
            phone.as_ref().map(|p| p.as_str()),
            by.audit_about("user.phone", &user),
        )
        .await?;
    Ok(())
}

/// Sets a new password; the user's sessions end.
pub async fn set_password(
    store: &dyn Store,
    by: By<'_>,
    username: &str,
    password: &str,
) -> AppResult<()> {
    check_password_rules(password).map_err(|_| AppError::Conflict(Conflict::PasswordTooShort))?;
    let user = find(store, username).await?;
    by.check(user.role, &user.area_path)?;
    store
        .set_password(
            username,
            &hash_password(password).await?,
            by.audit_about("user.password", &user),
        )
        .await?;
    Ok(())
}

/// The demo logins: one user per role in the demo community, all with the password below.
pub const DEMO_PASSWORD: &str = "doorstep-demo";

/// Creates the demo users that do not exist yet; returns every demo login.
pub async fn demo_users(store: &dyn Store) -> AppResult<Vec<(String, Role, AreaPath)>> {
    let community = AreaPath::parse(crate::demo::COMMUNITY).map_err(|_| AppError::NotFound)?;
    let compound = community
        .child("佳纷天地")
        .map_err(|_| AppError::NotFound)?;
    let mut out = Vec::new();
    for role in Role::ALL {
        let area = match role {
            Role::Admin => AreaPath::parse("二七区").map_err(|_| AppError::NotFound)?,
            Role::DistrictAdmin => AreaPath::parse("二七区").map_err(|_| AppError::NotFound)?,
            Role::StreetAdmin => community.parent().ok_or(AppError::NotFound)?,
            Role::GridLeader | Role::GridWorker | Role::Volunteer => compound.clone(),
            _ => community.clone(),
        };
        let username = format!("demo-{}", role.code().replace('_', "-"));
        if store.user_for_login(&username).await?.is_none() {
            create_user(store, By::Cli, &username, role, &area, DEMO_PASSWORD).await?;
            // A made-up work phone per role (1370000 + the role's number), so exports show one.
            let n = Role::ALL.iter().position(|r| *r == role).unwrap_or(0);
            set_phone(store, By::Cli, &username, &format!("1370000{:04}", n + 1)).await?;
        }
        out.push((username, role, area));
    }
    Ok(out)
}
