//! Several PostgreSQL servers in one URL, written as libpq writes them:
//! `postgres://user@10.0.0.1:5432,10.0.0.2:5432/doorstep?target_session_attrs=read-write`
//! (a primary and its standbys, of which any may be the primary after a failover).
//!
//! sqlx reads one host per URL and no `target_session_attrs`, so this module does what libpq
//! would: each host becomes options of its own; a new connection is refused unless its server
//! takes writes (not a standby, not read-only) when `read-write` (or `primary`) is asked; and a
//! watcher checks every second, on a pooled connection, that the server the pool connects to
//! still takes writes. When it does not (the server is gone, or now a standby), the watcher
//! tries every host in the URL's order and points the pool at the first that takes writes
//! (`Pool::set_connect_options`: requests waiting for a connection take the new server on
//! their next try). Meanwhile a request that gets no connection within the pool's wait is
//! answered 503 `db_unavailable` with Retry-After.

use std::str::FromStr;
use std::time::Duration;

use doorstep_store::{StoreError, StoreResult};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

/// How often the watcher looks at the server the pool connects to.
const WATCH_EVERY: Duration = Duration::from_secs(1);
/// How long the watcher waits for one server's answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The servers of a URL.
#[derive(Debug, Clone)]
pub struct Hosts {
    /// Each server's options, in the URL's order.
    pub each: Vec<PgConnectOptions>,
    /// Whether only a server that takes writes will do (`target_session_attrs=read-write` or
    /// `primary`).
    pub read_write: bool,
}

fn invalid(why: &str) -> StoreError {
    StoreError::Invalid(format!("PostgreSQL URL: {why}"))
}

/// Reads a URL with one or more comma-separated hosts and an optional
/// `target_session_attrs` (`any`, `read-write`, `primary`).
pub fn parse(url: &str) -> StoreResult<Hosts> {
    let (scheme, rest) = url.split_once("://").ok_or_else(|| invalid("no scheme"))?;
    // The authority ends at the path or the query.
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (user, hosts) = match authority.rfind('@') {
        Some(i) => (&authority[..=i], &authority[i + 1..]),
        None => ("", authority),
    };
    // The query without target_session_attrs (sqlx would only warn about it).
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, q),
        None => (tail, ""),
    };
    let mut read_write = false;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("target_session_attrs", v)) => match v {
                "any" => read_write = false,
                "read-write" | "primary" => read_write = true,
                other => {
                    return Err(invalid(&format!(
                        "target_session_attrs={other} is not supported (any, read-write, primary)"
                    )));
                }
            },
            _ => kept.push(pair),
        }
    }
    let query = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    let mut each = Vec::new();
    for host in hosts.split(',') {
        if host.is_empty() {
            return Err(invalid("an empty host in the host list"));
        }
        let one = format!("{scheme}://{user}{host}{path}{query}");
        each.push(PgConnectOptions::from_str(&one).map_err(|e| StoreError::Other(Box::new(e)))?);
    }
    Ok(Hosts { each, read_write })
}

/// Whether a connection's server takes writes, as libpq's `read-write` asks: not a standby,
/// and transactions not read-only by default (pg_auto_failover promotes a standby with
/// `default_transaction_read_only` on until the old primary is known to be down).
pub async fn takes_writes(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    let refuses: bool = sqlx::query_scalar(
        "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(!refuses)
}

/// The first server, in the URL's order, that answers (and takes writes, when asked).
pub async fn first_usable(hosts: &Hosts) -> Option<PgConnectOptions> {
    for options in &hosts.each {
        let probe = async {
            let mut conn = options.connect().await?;
            let ok = !hosts.read_write || takes_writes(&mut conn).await?;
            let _ = conn.close().await;
            Ok::<bool, sqlx::Error>(ok)
        };
        if let Ok(Ok(true)) = tokio::time::timeout(PROBE_TIMEOUT, probe).await {
            return Some(options.clone());
        }
    }
    None
}

/// Keeps the pool pointed at a server that takes writes, for as long as the pool is open.
pub fn watch(pool: PgPool, hosts: Hosts) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(WATCH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut current: Option<String> = None;
        while !pool.is_closed() {
            tick.tick().await;
            let check = async {
                let mut conn = pool.acquire().await?;
                takes_writes(&mut conn).await
            };
            if let Ok(Ok(true)) = tokio::time::timeout(PROBE_TIMEOUT, check).await {
                continue;
            }
            let Some(options) = first_usable(&hosts).await else {
                tracing::warn!("no PostgreSQL server of the URL takes writes; trying again");
                continue;
            };
            let name = format!("{}:{}", options.get_host(), options.get_port());
            if current.as_deref() != Some(name.as_str()) {
                tracing::warn!(server = %name, "PostgreSQL: connecting to the server that takes writes");
                current = Some(name);
            }
            pool.set_connect_options(options);
        }
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_libpq_host_lists() {
        let h = parse(
            "postgres://app:pw@127.0.0.1:6001,127.0.0.1:6002/doorstep?target_session_attrs=read-write&sslmode=disable",
        )
        .unwrap();
        assert!(h.read_write);
        let hosts: Vec<(String, u16)> = h
            .each
            .iter()
            .map(|o| (o.get_host().to_string(), o.get_port()))
            .collect();
        assert_eq!(
            hosts,
            [("127.0.0.1".into(), 6001), ("127.0.0.1".into(), 6002)]
        );
        assert!(
            h.each
                .iter()
                .all(|o| o.get_database() == Some("doorstep") && o.get_username() == "app")
        );
        let one = parse("postgresql://postgres@db.local/x").unwrap();
        assert_eq!((one.each.len(), one.read_write), (1, false));
        assert!(parse("postgres://a@h1,,h2/x").is_err());
        assert!(parse("postgres://a@h1,h2/x?target_session_attrs=standby").is_err());
    }
}
