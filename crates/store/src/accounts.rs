//! Users, sessions, login throttling and the audit log.

use async_trait::async_trait;
use doorstep_core::{AreaPath, Backoff, Role};
use time::OffsetDateTime;

use crate::Audit;
use crate::{Id, Page, PageRequest, StoreResult};

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Its id.
    pub id: Id,
    /// The login name.
    pub username: String,
    /// Its one role.
    pub role: Role,
    /// The area it may act in.
    pub area_id: Id,
    /// That area's path.
    pub area_path: AreaPath,
    /// A disabled user cannot log in and its sessions stop working.
    pub disabled: bool,
    /// A work phone, shown where residents or the upper level need to reach the user.
    pub phone: Option<String>,
    /// When it was created.
    pub created_at: OffsetDateTime,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The login name (unique).
    pub username: String,
    /// Its role.
    pub role: Role,
    /// The area it may act in.
    pub area_id: Id,
    /// The argon2id PHC string of its password.
    pub password_hash: String,
}

/// A live session: a browser's cookie or an API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Its id.
    pub id: Id,
    /// Whose.
    pub user: User,
    /// The CSRF token forms of this session must carry.
    pub csrf: String,
    /// `web` (cookie) or `api` (bearer token).
    pub kind: String,
    /// It ends at this time unless used again.
    pub expires_at: OffsetDateTime,
    /// When it was last used (updated at most once a minute).
    pub last_seen_at: OffsetDateTime,
}

/// A session to create. Only a hash of its token is stored.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// Whose.
    pub user_id: Id,
    /// `web` or `api`.
    pub kind: String,
    /// Its CSRF token.
    pub csrf: String,
    /// When it ends unless used.
    pub expires_at: OffsetDateTime,
}

/// A key a login attempt is counted under, with the rule its waits follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginKey {
    /// `pair:ADDR|NAME` (a user name from one address), `user:NAME` or `ip:ADDR`.
    pub key: String,
    /// Its free attempts, waits and memory.
    pub backoff: Backoff,
}

/// One audit entry to append.
#[derive(Debug, Clone, Default)]
pub struct NewAudit {
    /// The acting user (none for a failed login of an unknown name, or the CLI).
    pub user_id: Option<Id>,
    /// The acting user's name as given (`cli` for the command line).
    pub username: String,
    /// The client's address.
    pub ip: Option<String>,
    /// The request id the user can quote.
    pub request_id: Option<String>,
    /// What happened: `login`, `login_failed`, `logout`, `person.create`, `person.update`,
    /// `person.reveal`, `persons.export`, `persons.import`, `household.update`, `user.create`, …
    pub action: String,
    /// The kind of object: `person`, `household`, `area`, `user`.
    pub object_type: Option<String>,
    /// Its id.
    pub object_id: Option<Id>,
    /// The area the object lies in (what scopes who may read the entry).
    pub area_path: Option<String>,
    /// Details: changed fields with before/after, counts, filters.
    pub details: serde_json::Value,
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Its id (entries are never changed or removed).
    pub id: Id,
    /// When.
    pub at: OffsetDateTime,
    /// The acting user's id.
    pub user_id: Option<Id>,
    /// The acting user's name.
    pub username: String,
    /// The client's address.
    pub ip: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
    /// What happened.
    pub action: String,
    /// The kind of object.
    pub object_type: Option<String>,
    /// Its id.
    pub object_id: Option<Id>,
    /// The area it lies in.
    pub area_path: Option<String>,
    /// Details.
    pub details: serde_json::Value,
}

/// Which audit entries.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only entries about this area's subtree (entries with no area are the admin's only).
    pub area: Option<AreaPath>,
    /// Only this user's.
    pub username: Option<String>,
    /// Only this action (or actions starting with it followed by `.`).
    pub action: Option<String>,
    /// Only at or after.
    pub since: Option<OffsetDateTime>,
    /// Only before.
    pub until: Option<OffsetDateTime>,
    /// Which page, newest first.
    pub page: Option<PageRequest>,
}

/// Accounts, sessions, throttling and the audit log.
#[async_trait]
pub trait Accounts: Send + Sync {
    /// Creates a user, audited. Conflict `user_username_unique` when the name is taken.
    async fn create_user(&self, user: &NewUser, audit: Audit<User>) -> StoreResult<User>;

    /// Reads a user and its password hash by login name.
    async fn user_for_login(&self, username: &str) -> StoreResult<Option<(User, String)>>;

    /// Every user whose area lies in `area` (all users when `None`), by name.
    async fn users(&self, area: Option<&AreaPath>) -> StoreResult<Vec<User>>;

    /// Disables or enables a user; disabling ends its sessions. NotFound for an unknown name.
    async fn set_user_disabled(
        &self,
        username: &str,
        disabled: bool,
        audit: Audit<()>,
    ) -> StoreResult<()>;

    /// Replaces a user's password hash and ends its sessions. NotFound for an unknown name.
    async fn set_password(
        &self,
        username: &str,
        password_hash: &str,
        audit: Audit<()>,
    ) -> StoreResult<()>;

    /// Sets or clears a user's work phone. NotFound for an unknown name.
    async fn set_user_phone(
        &self,
        username: &str,
        phone: Option<&str>,
        audit: Audit<()>,
    ) -> StoreResult<()>;

    /// Stores a new session, audited (the login).
    async fn create_session(&self, session: &NewSession, audit: Audit<()>) -> StoreResult<()>;

    /// The live session of a token hash (not expired, user not disabled).
    async fn session(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<Session>>;

    /// Moves a session's end on after use.
    async fn touch_session(
        &self,
        id: Id,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> StoreResult<()>;

    /// Ends a session, audited (the logout).
    async fn delete_session(&self, token_hash: &str, audit: Audit<()>) -> StoreResult<()>;

    /// Claims a login attempt under every key at once, all or none. When a key must still
    /// wait, nothing changes and the answer is the latest time those keys allow the next
    /// attempt. Otherwise (`None`) each key counts the attempt as failed before its password
    /// is checked, so concurrent attempts cannot slip past the count, and its next allowed time
    /// moves on by its backoff; [`Accounts::login_refund`] takes a success back.
    async fn login_attempt(
        &self,
        keys: &[LoginKey],
        now: OffsetDateTime,
    ) -> StoreResult<Option<OffsetDateTime>>;

    /// Takes one claimed attempt back from each key (it succeeded, or its password was never
    /// checked): one fewer counted, and the wait no longer than the rest call for.
    async fn login_refund(&self, keys: &[LoginKey]) -> StoreResult<()>;

    /// Forgets a key's attempts (a user name from one address, after its success).
    async fn login_forget(&self, key: &str) -> StoreResult<()>;

    /// Forgets every key without an attempt since `before`; returns how many.
    async fn login_prune(&self, before: OffsetDateTime) -> StoreResult<u64>;

    /// Appends an audit entry. The log has no update or delete.
    async fn audit(&self, entry: &NewAudit) -> StoreResult<()>;

    /// Reads audit entries, newest first.
    async fn audit_entries(&self, query: &AuditQuery) -> StoreResult<Page<AuditEntry>>;
}
