//! Users, sessions, login throttling and the audit log.

use std::time::Instant;

use async_trait::async_trait;
use doorstep_core::{AreaPath, Role};
use doorstep_store::*;
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use super::SqlStore;
use super::util::{Conn, corrupt, db_err, prefix_upper, subtree_bounds};
use crate::backend::Pool;

const USER_COLS: &str =
    "u.id, u.username, u.role, u.area_id, ua.path AS area_path, u.disabled, u.phone, u.created_at";
const USER_FROM: &str = "users u JOIN areas ua ON ua.id = u.area_id";

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    role: String,
    area_id: i64,
    area_path: String,
    disabled: bool,
    phone: Option<String>,
    created_at: OffsetDateTime,
}

impl UserRow {
    fn into_user(self) -> StoreResult<User> {
        let role = Role::parse(&self.role).ok_or_else(|| corrupt("role", &self.role))?;
        Ok(User {
            id: self.id,
            username: self.username,
            role,
            area_id: self.area_id,
            area_path: AreaPath::from_stored(self.area_path),
            disabled: self.disabled,
            phone: self.phone,
            created_at: self.created_at,
        })
    }
}

pub async fn create_user(conn: &mut Conn, u: &NewUser) -> StoreResult<User> {
    let now = OffsetDateTime::now_utc();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, role, area_id, password_hash, disabled, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(&u.username)
    .bind(u.role.code())
    .bind(u.area_id)
    .bind(&u.password_hash)
    .bind(false)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)?;
    let sql = format!("SELECT {USER_COLS} FROM {USER_FROM} WHERE u.id = $1");
    let row: UserRow = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
    row.into_user()
}

pub async fn user_for_login(pool: &Pool, username: &str) -> StoreResult<Option<(User, String)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: UserRow,
        password_hash: String,
    }
    let sql = format!("SELECT {USER_COLS}, u.password_hash FROM {USER_FROM} WHERE u.username = $1");
    let row: Option<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(username)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    row.map(|r| Ok((r.user.into_user()?, r.password_hash)))
        .transpose()
}

pub async fn users(pool: &Pool, area: Option<&AreaPath>) -> StoreResult<Vec<User>> {
    let rows: Vec<UserRow> = match area {
        None => {
            let sql = format!("SELECT {USER_COLS} FROM {USER_FROM} ORDER BY u.username");
            sqlx::query_as(AssertSqlSafe(sql)).fetch_all(pool).await
        }
        Some(a) => {
            let (p, lo, hi) = subtree_bounds(a);
            let sql = format!(
                "SELECT {USER_COLS} FROM {USER_FROM} WHERE ua.path = $1 OR (ua.path >= $2 AND ua.path < $3) ORDER BY u.username"
            );
            sqlx::query_as(AssertSqlSafe(sql)).bind(p).bind(lo).bind(hi).fetch_all(pool).await
        }
    }
    .map_err(db_err)?;
    rows.into_iter().map(UserRow::into_user).collect()
}

async fn user_id(conn: &mut Conn, username: &str) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .ok_or_else(|| StoreError::NotFound(format!("user {username}")))
}

pub async fn set_user_disabled(conn: &mut Conn, username: &str, disabled: bool) -> StoreResult<()> {
    let id = user_id(conn, username).await?;
    sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
        .bind(disabled)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    if disabled {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

pub async fn set_user_phone(
    conn: &mut Conn,
    username: &str,
    phone: Option<&str>,
) -> StoreResult<()> {
    let done = sqlx::query("UPDATE users SET phone = $1 WHERE username = $2")
        .bind(phone)
        .bind(username)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("user {username}")));
    }
    Ok(())
}

pub async fn set_password(conn: &mut Conn, username: &str, hash: &str) -> StoreResult<()> {
    let id = user_id(conn, username).await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub async fn create_session(conn: &mut Conn, s: &NewSession) -> StoreResult<()> {
    let now = OffsetDateTime::now_utc();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, kind, csrf, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&s.token_hash)
    .bind(s.user_id)
    .bind(&s.kind)
    .bind(&s.csrf)
    .bind(now)
    .bind(now)
    .bind(s.expires_at)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub async fn session(
    pool: &Pool,
    token_hash: &str,
    now: OffsetDateTime,
) -> StoreResult<Option<Session>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        sid: i64,
        csrf: String,
        kind: String,
        expires_at: OffsetDateTime,
        last_seen_at: OffsetDateTime,
        #[sqlx(flatten)]
        user: UserRow,
    }
    let sql = format!(
        "SELECT s.id AS sid, s.csrf, s.kind, s.expires_at, s.last_seen_at, {USER_COLS} \
         FROM sessions s JOIN users u ON u.id = s.user_id JOIN areas ua ON ua.id = u.area_id WHERE s.token_hash = $1"
    );
    let row: Option<Row> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(token_hash)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    let Some(r) = row else { return Ok(None) };
    if r.expires_at <= now || r.user.disabled {
        return Ok(None);
    }
    Ok(Some(Session {
        id: r.sid,
        user: r.user.into_user()?,
        csrf: r.csrf,
        kind: r.kind,
        expires_at: r.expires_at,
        last_seen_at: r.last_seen_at,
    }))
}

pub async fn touch_session(
    conn: &mut Conn,
    id: Id,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> StoreResult<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3")
        .bind(now)
        .bind(expires_at)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub async fn delete_session(conn: &mut Conn, token_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub async fn login_attempt(
    conn: &mut Conn,
    keys: &[LoginKey],
    now: OffsetDateTime,
) -> StoreResult<Option<OffsetDateTime>> {
    // Rows are locked in key order, so two attempts sharing keys cannot deadlock (PostgreSQL;
    // SQLite's IMMEDIATE transaction takes the one write lock anyway).
    let mut keys: Vec<&LoginKey> = keys.iter().collect();
    keys.sort_by(|a, b| a.key.cmp(&b.key));
    let mut refused: Option<OffsetDateTime> = None;
    let mut claims = Vec::with_capacity(keys.len());
    for k in keys {
        // The no-op update takes the row's lock before it is read, so concurrent attempts
        // count one after the other instead of both reading the same count.
        let (attempts, last_at, not_before): (i64, OffsetDateTime, OffsetDateTime) =
            sqlx::query_as(
                "INSERT INTO login_delays (key, attempts, last_at, not_before) VALUES ($1, 0, $2, $2) \
                 ON CONFLICT (key) DO UPDATE SET key = excluded.key \
                 RETURNING attempts, last_at, not_before",
            )
            .bind(&k.key)
            .bind(now)
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err)?;
        if not_before > now {
            refused = refused.max(Some(not_before));
            continue;
        }
        let attempts = k.backoff.still_counted(attempts, last_at, now) + 1;
        claims.push((k, attempts, now + k.backoff.wait_after(attempts)));
    }
    if refused.is_some() {
        return Ok(refused);
    }
    for (k, attempts, not_before) in claims {
        sqlx::query(
            "UPDATE login_delays SET attempts = $1, last_at = $2, not_before = $3 WHERE key = $4",
        )
        .bind(attempts)
        .bind(now)
        .bind(not_before)
        .bind(&k.key)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    }
    Ok(None)
}

pub async fn login_refund(conn: &mut Conn, keys: &[LoginKey]) -> StoreResult<()> {
    let mut keys: Vec<&LoginKey> = keys.iter().collect();
    keys.sort_by(|a, b| a.key.cmp(&b.key));
    for k in keys {
        let row: Option<(i64, OffsetDateTime, OffsetDateTime)> = sqlx::query_as(
            "UPDATE login_delays SET attempts = attempts WHERE key = $1 \
             RETURNING attempts, last_at, not_before",
        )
        .bind(&k.key)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
        let Some((attempts, last_at, not_before)) = row else {
            continue;
        };
        let attempts = (attempts - 1).max(0);
        // Never longer than before: a failure counted meanwhile keeps the wait it set.
        let not_before = not_before.min(last_at + k.backoff.wait_after(attempts));
        sqlx::query("UPDATE login_delays SET attempts = $1, not_before = $2 WHERE key = $3")
            .bind(attempts)
            .bind(not_before)
            .bind(&k.key)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

pub async fn login_forget(conn: &mut Conn, key: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM login_delays WHERE key = $1")
        .bind(key)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub async fn login_prune(conn: &mut Conn, before: OffsetDateTime) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM login_delays WHERE last_at < $1")
        .bind(before)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(done.rows_affected())
}

pub async fn audit(conn: &mut Conn, e: &NewAudit) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, username, ip, request_id, action, object_type, object_id, area_path, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(OffsetDateTime::now_utc())
    .bind(e.user_id)
    .bind(&e.username)
    .bind(&e.ip)
    .bind(&e.request_id)
    .bind(&e.action)
    .bind(&e.object_type)
    .bind(e.object_id)
    .bind(&e.area_path)
    .bind(e.details.to_string())
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: OffsetDateTime,
    user_id: Option<i64>,
    username: String,
    ip: Option<String>,
    request_id: Option<String>,
    action: String,
    object_type: Option<String>,
    object_id: Option<i64>,
    area_path: Option<String>,
    details: String,
}

pub async fn audit_entries(pool: &Pool, q: &AuditQuery) -> StoreResult<Page<AuditEntry>> {
    enum Bind {
        Text(String),
        Time(OffsetDateTime),
    }
    let mut binds: Vec<Bind> = Vec::new();
    let mut bind = |b: Bind| {
        binds.push(b);
        format!("${}", binds.len())
    };
    let mut conds: Vec<String> = Vec::new();
    if let Some(area) = &q.area {
        let (p, lo, hi) = subtree_bounds(area);
        conds.push(format!(
            "(area_path = {} OR (area_path >= {} AND area_path < {}))",
            bind(Bind::Text(p)),
            bind(Bind::Text(lo)),
            bind(Bind::Text(hi))
        ));
    }
    if let Some(u) = q.username.as_deref().filter(|u| !u.is_empty()) {
        conds.push(format!("username = {}", bind(Bind::Text(u.to_string()))));
    }
    if let Some(a) = q.action.as_deref().filter(|a| !a.is_empty()) {
        let dotted = format!("{a}.");
        conds.push(format!(
            "(action = {} OR (action >= {} AND action < {}))",
            bind(Bind::Text(a.to_string())),
            bind(Bind::Text(dotted.clone())),
            bind(Bind::Text(prefix_upper(&dotted)))
        ));
    }
    if let Some(t) = q.since {
        conds.push(format!("at >= {}", bind(Bind::Time(t))));
    }
    if let Some(t) = q.until {
        conds.push(format!("at < {}", bind(Bind::Time(t))));
    }
    let where_ = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM audit_log {where_}"
    )));
    for b in &binds {
        count = match b {
            Bind::Text(s) => count.bind(s.clone()),
            Bind::Time(t) => count.bind(*t),
        };
    }
    let total = count.fetch_one(pool).await.map_err(db_err)?;
    let page = q.page.unwrap_or(PageRequest {
        offset: 0,
        limit: 100,
    });
    let n = binds.len();
    let sql = format!(
        "SELECT id, at, user_id, username, ip, request_id, action, object_type, object_id, area_path, details \
         FROM audit_log {where_} ORDER BY id DESC LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut rows = sqlx::query_as::<_, AuditRow>(AssertSqlSafe(sql));
    for b in &binds {
        rows = match b {
            Bind::Text(s) => rows.bind(s.clone()),
            Bind::Time(t) => rows.bind(*t),
        };
    }
    let rows = rows
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    let items = rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            at: r.at,
            user_id: r.user_id,
            username: r.username,
            ip: r.ip,
            request_id: r.request_id,
            action: r.action,
            object_type: r.object_type,
            object_id: r.object_id,
            area_path: r.area_path,
            details: serde_json::from_str(&r.details)
                .unwrap_or(serde_json::Value::String(r.details)),
        })
        .collect();
    Ok(Page { items, total })
}

#[async_trait]
impl Accounts for SqlStore {
    async fn create_user(&self, user: &NewUser, audit: Audit<User>) -> StoreResult<User> {
        let user = user.clone();
        self.write(audit, move |c| {
            Box::pin(async move { create_user(c, &user).await })
        })
        .await
    }

    async fn user_for_login(&self, username: &str) -> StoreResult<Option<(User, String)>> {
        user_for_login(&self.pool, username).await
    }

    async fn users(&self, area: Option<&AreaPath>) -> StoreResult<Vec<User>> {
        users(&self.pool, area).await
    }

    async fn set_user_disabled(
        &self,
        username: &str,
        disabled: bool,
        audit: Audit<()>,
    ) -> StoreResult<()> {
        let username = username.to_string();
        let out = self
            .write(audit, move |c| {
                Box::pin(async move { set_user_disabled(c, &username, disabled).await })
            })
            .await;
        self.sessions.clear();
        out
    }

    async fn set_user_phone(
        &self,
        username: &str,
        phone: Option<&str>,
        audit: Audit<()>,
    ) -> StoreResult<()> {
        let (username, phone) = (username.to_string(), phone.map(str::to_string));
        let out = self
            .write(audit, move |c| {
                Box::pin(async move { set_user_phone(c, &username, phone.as_deref()).await })
            })
            .await;
        self.sessions.clear();
        out
    }

    async fn set_password(
        &self,
        username: &str,
        password_hash: &str,
        audit: Audit<()>,
    ) -> StoreResult<()> {
        let (username, hash) = (username.to_string(), password_hash.to_string());
        let out = self
            .write(audit, move |c| {
                Box::pin(async move { set_password(c, &username, &hash).await })
            })
            .await;
        self.sessions.clear();
        out
    }

    async fn create_session(&self, session: &NewSession, audit: Audit<()>) -> StoreResult<()> {
        let session = session.clone();
        self.write(audit, move |c| {
            Box::pin(async move { create_session(c, &session).await })
        })
        .await
    }

    async fn session(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<Session>> {
        if let Some(s) = self.sessions.get(token_hash, now) {
            return Ok(Some(s));
        }
        let (generation, read_at) = (self.sessions.generation(), Instant::now());
        let found = session(&self.pool, token_hash, now).await?;
        if let Some(s) = &found {
            self.sessions.keep(token_hash, generation, read_at, s);
        }
        Ok(found)
    }

    async fn touch_session(
        &self,
        id: Id,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> StoreResult<()> {
        self.write(no_audit(), move |c| {
            Box::pin(async move { touch_session(c, id, now, expires_at).await })
        })
        .await?;
        self.sessions.touched(id, now, expires_at);
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str, audit: Audit<()>) -> StoreResult<()> {
        let token_hash = token_hash.to_string();
        let out = self
            .write(audit, move |c| {
                Box::pin(async move { delete_session(c, &token_hash).await })
            })
            .await;
        self.sessions.clear();
        out
    }

    async fn login_attempt(
        &self,
        keys: &[LoginKey],
        now: OffsetDateTime,
    ) -> StoreResult<Option<OffsetDateTime>> {
        let keys = keys.to_vec();
        self.write(no_audit(), move |c| {
            Box::pin(async move { login_attempt(c, &keys, now).await })
        })
        .await
    }

    async fn login_refund(&self, keys: &[LoginKey]) -> StoreResult<()> {
        let keys = keys.to_vec();
        self.write(no_audit(), move |c| {
            Box::pin(async move { login_refund(c, &keys).await })
        })
        .await
    }

    async fn login_forget(&self, key: &str) -> StoreResult<()> {
        let key = key.to_string();
        self.write(no_audit(), move |c| {
            Box::pin(async move { login_forget(c, &key).await })
        })
        .await
    }

    async fn login_prune(&self, before: OffsetDateTime) -> StoreResult<u64> {
        self.write(no_audit(), move |c| {
            Box::pin(async move { login_prune(c, before).await })
        })
        .await
    }

    async fn audit(&self, entry: &NewAudit) -> StoreResult<()> {
        self.write(audit_entry(entry.clone()), |_| Box::pin(async { Ok(()) }))
            .await
    }

    async fn audit_entries(&self, query: &AuditQuery) -> StoreResult<Page<AuditEntry>> {
        audit_entries(&self.pool, query).await
    }
}
