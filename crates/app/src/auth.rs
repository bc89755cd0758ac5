//! Logging in and out, sessions and passwords.
//!
//! Passwords are argon2id, hashed on a blocking thread under the bound of [`Hashing`]. Tokens
//! are 32 random bytes; only their SHA-256 is stored. Login attempts are counted under three
//! keys, a user name from one address, the user name, the address, each with its own
//! [`Backoff`]: a few free, then growing waits, never a lock. An attempt before its keys allow
//! one is refused without checking the password. Unknown user and wrong password get the same
//! answer, after the same work.

use std::sync::atomic::{AtomicI64, Ordering};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use doorstep_core::Backoff;
use doorstep_store::{LoginKey, NewAudit, NewSession, Session, Store, User, audit_entry};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::access::{Ctx, Principal};
use crate::error::{AppError, AppResult, retry_secs};
use crate::hashing::Hashing;
/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 8;

/// A fixed hash checked for unknown users, so they cost what a wrong password costs.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2ixnJ2dW4ytTz0Pvz0ukH6ZLcgGStO2YRyuSUCiMAMo";

/// A new session's secrets, handed to the client once.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    /// The bearer token or cookie value.
    pub token: String,
    /// The CSRF token its forms carry.
    pub csrf: String,
    /// When it ends unless used.
    pub expires_at: OffsetDateTime,
    /// Who.
    pub user: User,
}

/// Random bytes as lower-case hex.
pub fn random_hex(bytes: usize) -> AppResult<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| AppError::internal(e.to_string()))?;
    Ok(hex(&buf))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Hashes a password (argon2id) on a blocking thread, under the process's hashing bound.
pub async fn hash_password(password: &str) -> AppResult<String> {
    let password = password.to_string();
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| AppError::internal(e.to_string()))?;
    Hashing::global()
        .run(move || {
            let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| e.to_string())
        })
        .await?
        .map_err(AppError::internal)
}

/// Whether `password` matches `hash`, checked under `hashing`'s bound.
async fn verify_password(hashing: &Hashing, hash: String, password: &str) -> AppResult<bool> {
    let password = password.to_string();
    hashing
        .run(move || {
            PasswordHash::new(&hash).is_ok_and(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
        })
        .await
}

/// Checks a password against the rules (length).
pub fn check_password_rules(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(format!(
            "password must have at least {MIN_PASSWORD} characters"
        ));
    }
    Ok(())
}

/// The keys a login is counted under: the name from this address, the name, the address.
/// Names longer than any account's are cut (they only share a key with each other).
fn login_keys(username: &str, ip: Option<&str>) -> [LoginKey; 3] {
    let name: String = username.chars().take(40).collect();
    let ip = ip.unwrap_or("-");
    [
        LoginKey {
            key: format!("pair:{ip}|{name}"),
            backoff: Backoff::PAIR,
        },
        LoginKey {
            key: format!("user:{name}"),
            backoff: Backoff::USER,
        },
        LoginKey {
            key: format!("ip:{ip}"),
            backoff: Backoff::ADDRESS,
        },
    ]
}

/// When quiet keys were last pruned (Unix seconds), so a flood prunes once, not per request.
static LAST_PRUNE: AtomicI64 = AtomicI64::new(0);

/// Forgets keys quiet for longer than any backoff remembers, at most every ten minutes.
async fn prune_quiet_keys(store: &dyn Store, now: OffsetDateTime) {
    let last = LAST_PRUNE.load(Ordering::Relaxed);
    let t = now.unix_timestamp();
    if t - last < 600
        || LAST_PRUNE
            .compare_exchange(last, t, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    let longest = [Backoff::PAIR, Backoff::USER, Backoff::ADDRESS]
        .iter()
        .map(|b| b.forget)
        .max()
        .unwrap_or(Duration::days(1));
    // Best effort: a failed prune only leaves rows that count for nothing.
    if let Err(e) = store.login_prune(now - longest).await {
        tracing::warn!(error = %e, "pruning login delays failed");
    }
}

/// Logs in now, under the process's hashing bound: `kind` is `web` (cookie) or `api` (bearer
/// token).
pub async fn login(
    store: &dyn Store,
    ctx: &Ctx,
    username: &str,
    password: &str,
    kind: &str,
) -> AppResult<LoggedIn> {
    let hashing = Hashing::global();
    let now = ctx.now();
    login_at(store, &hashing, ctx, username, password, kind, now).await
}

/// Logs in at `now`, hashing under `hashing`. `Throttled` before the attempt's keys allow one
/// (the password is not checked), `Busy` when no hashing permit comes in time (the attempt is
/// not counted), `BadLogin` for a wrong name or password.
pub async fn login_at(
    store: &dyn Store,
    hashing: &Hashing,
    ctx: &Ctx,
    username: &str,
    password: &str,
    kind: &str,
    now: OffsetDateTime,
) -> AppResult<LoggedIn> {
    let username = username.trim();
    let keys = login_keys(username, ctx.ip.as_deref());
    if let Some(until) = store.login_attempt(&keys, now).await? {
        let wait = std::time::Duration::try_from(until - now).unwrap_or_default();
        return Err(AppError::Throttled(retry_secs(wait)));
    }
    prune_quiet_keys(store, now).await;
    let found = store.user_for_login(username).await?;
    let hash = found
        .as_ref()
        .map_or_else(|| DUMMY_HASH.to_string(), |(_, h)| h.clone());
    // Unknown users are checked against the dummy hash: the same work, the same answer.
    let matches = match verify_password(hashing, hash, password).await {
        Ok(m) => m,
        Err(e) => {
            // The password was never checked: the attempt does not count.
            store.login_refund(&keys).await?;
            return Err(e);
        }
    };
    let Some(user) = found
        .map(|(user, _)| user)
        .filter(|user| matches && !user.disabled)
    else {
        // The attempt stays counted: it was claimed as a failure before the check.
        store
            .audit(&NewAudit {
                username: username.to_string(),
                ip: ctx.ip.clone(),
                request_id: ctx.request_id.clone(),
                action: "login_failed".into(),
                details: json!({"kind": kind}),
                ..Default::default()
            })
            .await?;
        return Err(AppError::BadLogin);
    };
    // A success clears this name from this address, and takes its attempt back from the
    // name's and the address's counts (other addresses' failures still count there).
    let [pair, rest @ ..] = &keys;
    store.login_forget(&pair.key).await?;
    store.login_refund(rest).await?;
    let token = random_hex(32)?;
    let csrf = random_hex(16)?;
    let expires_at = now + Duration::minutes(user.role.idle_minutes());
    let login = NewAudit {
        user_id: Some(user.id),
        username: user.username.clone(),
        ip: ctx.ip.clone(),
        request_id: ctx.request_id.clone(),
        action: "login".into(),
        object_type: Some("user".into()),
        object_id: Some(user.id),
        area_path: Some(user.area_path.to_string()),
        details: json!({"kind": kind}),
    };
    store
        .create_session(
            &NewSession {
                token_hash: token_hash(&token),
                user_id: user.id,
                kind: kind.to_string(),
                csrf: csrf.clone(),
                expires_at,
            },
            audit_entry(login),
        )
        .await?;
    Ok(LoggedIn {
        token,
        csrf,
        expires_at,
        user,
    })
}

/// The principal and session of a token, if it is live at `now`; using it moves its idle end
/// on.
pub async fn authenticate(
    store: &dyn Store,
    token: &str,
    now: OffsetDateTime,
) -> AppResult<(Principal, Session)> {
    let session = store
        .session(&token_hash(token), now)
        .await?
        .ok_or(AppError::Unauthorized)?;
    // Touch at most once a minute: a page view should not be a write every time.
    if now - session.last_seen_at > Duration::minutes(1) {
        let idle = Duration::minutes(session.user.role.idle_minutes());
        store.touch_session(session.id, now, now + idle).await?;
    }
    Ok((Principal::user(session.user.clone()), session))
}

/// Ends a session.
pub async fn logout(
    store: &dyn Store,
    ctx: &Ctx,
    principal: &Principal,
    token: &str,
) -> AppResult<()> {
    let logout = NewAudit {
        user_id: principal.user_id(),
        username: principal.username().to_string(),
        ip: ctx.ip.clone(),
        request_id: ctx.request_id.clone(),
        action: "logout".into(),
        ..Default::default()
    };
    store
        .delete_session(&token_hash(token), audit_entry(logout))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_dummy_is_a_real_hash() {
        let h = hash_password("correct horse").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        let hashing = Hashing::global();
        assert!(
            verify_password(&hashing, h.clone(), "correct horse")
                .await
                .unwrap()
        );
        assert!(!verify_password(&hashing, h, "wrong horse").await.unwrap());
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert_eq!(token_hash("abc").len(), 64);
        assert_ne!(random_hex(16).unwrap(), random_hex(16).unwrap());
    }
}
