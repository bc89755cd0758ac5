//! Logging in and out, sessions and passwords.
//!
//! Passwords are argon2id, hashed on a blocking thread. Tokens are 32 random bytes; only their
//! SHA-256 is stored. Failed logins are counted per user name and per address: five within
//! fifteen minutes lock that key for fifteen minutes. Unknown user and wrong password get the
//! same answer, after the same work.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use doorstep_store::{NewAudit, NewSession, Session, Store, User};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::access::{Ctx, Principal};
use crate::error::{AppError, AppResult};

/// Failures that lock a key.
pub const MAX_FAILURES: i64 = 5;
/// The window failures are counted in, and how long a lock lasts.
pub const LOCK_SECS: i64 = 15 * 60;
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
    getrandom::fill(&mut buf)
        .map_err(|e| AppError::Store(doorstep_store::StoreError::Other(e.to_string().into())))?;
    Ok(hex(&buf))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Hashes a password (argon2id) on a blocking thread.
pub async fn hash_password(password: &str) -> AppResult<String> {
    let password = password.to_string();
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| AppError::Store(doorstep_store::StoreError::Other(e.to_string().into())))?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| AppError::Store(doorstep_store::StoreError::Other(Box::new(e))))?
    .map_err(|e| AppError::Store(doorstep_store::StoreError::Other(e.into())))
}

async fn verify_password(hash: String, password: &str) -> bool {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
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

/// Logs in: `kind` is `web` (cookie) or `api` (bearer token).
pub async fn login(
    store: &dyn Store,
    ctx: &Ctx,
    username: &str,
    password: &str,
    kind: &str,
) -> AppResult<LoggedIn> {
    let now = OffsetDateTime::now_utc();
    let username = username.trim();
    let keys = [
        format!("user:{username}"),
        format!("ip:{}", ctx.ip.as_deref().unwrap_or("-")),
    ];
    for key in &keys {
        if let Some(until) = store.login_locked_until(key, now).await? {
            return Err(AppError::Locked(until));
        }
    }
    let found = store.user_for_login(username).await?;
    let (user, ok) = match found {
        Some((user, hash)) => {
            let ok = verify_password(hash, password).await && !user.disabled;
            (Some(user), ok)
        }
        None => {
            verify_password(DUMMY_HASH.to_string(), password).await;
            (None, false)
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        let mut locked = None;
        for key in &keys {
            locked = locked.or(store
                .login_failed(key, now, LOCK_SECS, MAX_FAILURES, LOCK_SECS)
                .await?);
        }
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
        return Err(match locked {
            Some(until) => AppError::Locked(until),
            None => AppError::BadLogin,
        });
    };
    store.login_succeeded(&keys[0]).await?;
    let token = random_hex(32)?;
    let csrf = random_hex(16)?;
    let expires_at = now + Duration::minutes(user.role.permissions().idle_minutes);
    store
        .create_session(&NewSession {
            token_hash: token_hash(&token),
            user_id: user.id,
            kind: kind.to_string(),
            csrf: csrf.clone(),
            expires_at,
        })
        .await?;
    store
        .audit(&NewAudit {
            user_id: Some(user.id),
            username: user.username.clone(),
            ip: ctx.ip.clone(),
            request_id: ctx.request_id.clone(),
            action: "login".into(),
            object_type: Some("user".into()),
            object_id: Some(user.id),
            area_path: Some(user.area_path.to_string()),
            details: json!({"kind": kind}),
        })
        .await?;
    Ok(LoggedIn {
        token,
        csrf,
        expires_at,
        user,
    })
}

/// The principal and session of a token, if it is live; using it moves its idle end on.
pub async fn authenticate(store: &dyn Store, token: &str) -> AppResult<(Principal, Session)> {
    let now = OffsetDateTime::now_utc();
    let session = store
        .session(&token_hash(token), now)
        .await?
        .ok_or(AppError::Unauthorized)?;
    // Touch at most once a minute: a page view should not be a write every time.
    if now - session.last_seen_at > Duration::minutes(1) {
        let idle = Duration::minutes(session.user.role.permissions().idle_minutes);
        store.touch_session(session.id, now, now + idle).await?;
    }
    Ok((
        Principal {
            user: session.user.clone(),
        },
        session,
    ))
}

/// Ends a session.
pub async fn logout(
    store: &dyn Store,
    ctx: &Ctx,
    principal: &Principal,
    token: &str,
) -> AppResult<()> {
    store.delete_session(&token_hash(token)).await?;
    store
        .audit(&NewAudit {
            user_id: Some(principal.user.id),
            username: principal.user.username.clone(),
            ip: ctx.ip.clone(),
            request_id: ctx.request_id.clone(),
            action: "logout".into(),
            ..Default::default()
        })
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
        assert!(verify_password(h.clone(), "correct horse").await);
        assert!(!verify_password(h, "wrong horse").await);
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert_eq!(token_hash("abc").len(), 64);
        assert_ne!(random_hex(16).unwrap(), random_hex(16).unwrap());
    }
}
