//! Small helpers for building SQL shared by every query.

use doorstep_core::AreaPath;
use doorstep_store::StoreError;

/// A connection of this backend (a transaction derefs to one).
pub type Conn = <crate::backend::Db as sqlx::Database>::Connection;

/// The most bind parameters one statement may carry (SQLite allows 32766, PostgreSQL 65535).
pub const MAX_PARAMS: usize = 30_000;

/// `($s,$s+1,…),(…)` for `rows` rows of `cols` columns, numbering from `start`.
///
/// Generated lists use the backend's placeholder (`crate::backend::placeholder`), and every
/// statement built with them binds all its values in order: SQLite gets plain `?`, because for
/// named or numbered ones (`$N`, `?N`) its name lookup is a list scan per parameter, which made a
/// 2,000-row insert cost most of a second. Statements built this way run with
/// `.persistent(false)`: a cache of 100 of them, each with thousands of parameters, would hold
/// hundreds of megabytes.
pub fn values_clause(rows: usize, cols: usize, start: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    let mut n = start;
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            crate::backend::placeholder(&mut s, n);
            n += 1;
        }
        s.push(')');
    }
    s
}

/// `$s,$s+1,…` for an `IN (…)` list of `n` values.
pub fn list_clause(n: usize, start: usize) -> String {
    (start..start + n)
        .map(|i| {
            let mut p = String::new();
            crate::backend::placeholder(&mut p, i);
            p
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The bounds that select a subtree by path with an index range scan:
/// `path = $a OR (path >= $b AND path < $c)`, where `/` (0x2F) sorts just before `0` (0x30).
pub fn subtree_bounds(path: &AreaPath) -> (String, String, String) {
    let p = path.as_str();
    (p.to_string(), format!("{p}/"), format!("{p}0"))
}

/// The clause keeping the rows whose `col` lies in `area`'s subtree, on the binds `$n`, `$n+1`,
/// `$n+2` ([`subtree_bounds`]), or every row when there is no area (the three binds are then
/// empty and the clause is true); with the three values to bind.
pub fn within(col: &str, n: usize, area: Option<&AreaPath>) -> (String, (String, String, String)) {
    let (b, c) = (n + 1, n + 2);
    let clause = match area {
        Some(_) => format!("({col} = ${n} OR ({col} >= ${b} AND {col} < ${c}))"),
        None => format!("${n} = ${b} AND ${b} = ${c}"),
    };
    (clause, area.map_or_else(Default::default, subtree_bounds))
}

/// The exclusive upper bound of a prefix range: every string starting with `prefix` sorts below it
/// in byte order (SQLite's BINARY collation, PostgreSQL's `C` collation).
pub fn prefix_upper(prefix: &str) -> String {
    let mut s = prefix.to_string();
    s.push(char::MAX);
    s
}

/// Reverses a string, for suffix searches as prefix ranges on a reversed column.
pub fn reversed(s: &str) -> String {
    s.chars().rev().collect()
}

/// Turns a database error into a store error, naming broken unique rules.
pub fn db_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(d) = &e {
        if d.is_unique_violation() {
            return StoreError::Conflict(crate::backend::constraint_name(d.as_ref()));
        }
        if d.is_foreign_key_violation() {
            return StoreError::NotFound(crate::backend::constraint_name(d.as_ref()));
        }
        // A rule PostgreSQL checks again when a write commits (a trigger raising a check
        // violation named for the conflict, migration 0036): answered as the same refusal the
        // statement itself gives when it sees the rule broken.
        if d.is_check_violation() {
            let rule = crate::backend::constraint_name(d.as_ref());
            if CHECKED_AT_COMMIT.contains(&rule.as_str()) {
                return StoreError::Conflict(rule);
            }
        }
        if crate::backend::is_unavailable(d.as_ref()) {
            return StoreError::Unavailable(Box::new(e));
        }
        // PostgreSQL's 22021: a NUL character in a text value, which its text cannot hold
        // (SQLite's can). The value came from outside (a query string, a form, a file): the
        // caller is told, not answered 500. JSON bodies with one are refused before this
        // (`doorstep_web`'s `json_text`), and files read without them (the roster reader).
        if d.code().as_deref() == Some("22021") {
            return StoreError::Invalid(
                "文字中不能含有空字符（\\u0000） / text may not hold a NUL character (\\u0000)"
                    .into(),
            );
        }
    }
    // The database out of reach (connection lost or refused, no connection within the pool's
    // wait): answered 503 with Retry-After, not 500.
    if matches!(
        e,
        sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
    ) {
        return StoreError::Unavailable(Box::new(e));
    }
    StoreError::Other(Box::new(e))
}

/// The conflicts a PostgreSQL trigger raises at commit as check violations named for them:
/// a scan of a round closed after the scan's statement began (`round_not_open`).
const CHECKED_AT_COMMIT: &[&str] = &["round_not_open"];

/// A stored value that no longer reads as its type: the database was changed behind our back.
pub fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Other(format!("stored {what} {value:?} is not valid").into())
}

/// A time as stored: in UTC (PostgreSQL keeps the offset out; SQLite's text sorts only when
/// every value has the same one).
pub fn utc(t: time::OffsetDateTime) -> time::OffsetDateTime {
    t.to_offset(time::UtcOffset::UTC)
}

/// A stored day (`YYYY-MM-DD`) read back; anything else is corrupt data.
pub fn day(raw: &str) -> doorstep_store::StoreResult<time::Date> {
    doorstep_core::daily::parse_day(raw).map_err(|_| corrupt("day", raw))
}

/// A day as stored, `YYYY-MM-DD`.
pub fn ymd(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Locks a person's row until the commit, before a check of rows hanging on them that may not
/// be there yet (PostgreSQL; nothing on SQLite, whose one writer serializes): such a row cannot
/// be locked, so writes that check for it take their turns on the person instead. An episode's
/// overlap check (another active episode of the measure) and an excuse from a round (a sample,
/// another excuse) lock the person first.
pub async fn lock_person(conn: &mut Conn, person_id: i64) -> doorstep_store::StoreResult<()> {
    let lock = crate::backend::for_update("p");
    if lock.is_empty() {
        return Ok(());
    }
    let sql = format!("SELECT p.id FROM persons p WHERE p.id = $1{lock}");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(person_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// What a write job answers when its conditional statement found the change already made
/// (an emergency ended, a seal lifted, by a write that committed first): the job's
/// transaction is rolled back, so no audit entry is written for a change nobody made, and the
/// caller answers the row as it is now ([`is_already_done`]).
pub fn already_done() -> StoreError {
    StoreError::Conflict(ALREADY_DONE.into())
}

/// Whether `e` is [`already_done`].
pub fn is_already_done(e: &StoreError) -> bool {
    matches!(e, StoreError::Conflict(c) if c == ALREADY_DONE)
}

const ALREADY_DONE: &str = "already_done";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_database_is_unavailable_not_a_failure() {
        for e in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::Io(std::io::ErrorKind::ConnectionRefused.into()),
        ] {
            assert!(matches!(db_err(e), StoreError::Unavailable(_)));
        }
        assert!(matches!(
            db_err(sqlx::Error::RowNotFound),
            StoreError::Other(_)
        ));
    }
}
