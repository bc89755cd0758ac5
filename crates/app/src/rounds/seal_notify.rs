//! Seal notifications to the transport group's webhook, and the server's periodic custody
//! work.
//!
//! Sealing a box writes a row to `seal_outbox` in the seal's own transaction (the store does
//! it), so a seal never waits for, or fails with, the webhook. A background task claims due
//! rows with a lease (`Handovers::claim_seal_notes`: one conditional `UPDATE … RETURNING`,
//! so two servers on one PostgreSQL never send a row at the same time), POSTs each with an
//! `Idempotency-Key` header that is the same on every attempt, and marks it delivered on a
//! 2xx; anything else puts it back with a growing wait (`core::Backoff`). Delivery is at
//! least once: a server that dies after the POST and before marking it sends it again after
//! the lease, with the same key. Rows older than a day are not sent (a webhook configured
//! later does not get a month of old seals).

use std::sync::Arc;

use doorstep_core::Backoff;
use doorstep_store::Store;
use time::{Duration, OffsetDateTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::access::Ctx;
use crate::clock::Clock;
use crate::error::AppResult;

/// The waits between attempts: 5 s, 10 s, 20 s … at most 10 minutes.
const RETRY: Backoff = Backoff {
    free: 0,
    first: Duration::seconds(5),
    max: Duration::minutes(10),
    forget: Duration::days(1),
};

/// How long a claimed row is this server's to send.
const LEASE: Duration = Duration::seconds(60);

/// How long one POST may take, connecting included.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A webhook URL the server POSTs seal notifications to: `http://host[:port]/path`.
///
/// Plain HTTP only: the binary carries no TLS client; point it at a relay on the same host or
/// the intranet (`https://` is refused at start, not silently downgraded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    url: String,
    host: String,
    port: u16,
    path: String,
}

/// Why a webhook URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// Not `http://`.
    #[error(
        "the seal webhook must be an http:// URL (no TLS client is built in; use a local relay for https)"
    )]
    Scheme,
    /// No host, or a port that is not a number.
    #[error("the seal webhook URL is not of the form http://host[:port]/path")]
    Url,
}

impl Webhook {
    /// Reads `http://host[:port][/path]`.
    pub fn parse(raw: &str) -> Result<Webhook, WebhookError> {
        let raw = raw.trim();
        let rest = raw.strip_prefix("http://").ok_or(WebhookError::Scheme)?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
                (h, p.parse::<u16>().map_err(|_| WebhookError::Url)?)
            }
            _ => (authority, 80),
        };
        if host.is_empty() || host.contains(['@', ' ']) || path.contains([' ', '\r', '\n']) {
            return Err(WebhookError::Url);
        }
        Ok(Webhook {
            url: raw.to_string(),
            host: host.to_string(),
            port,
            path: path.to_string(),
        })
    }

    /// The URL as configured.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// POSTs `body` with its idempotency key; answers the status code.
    async fn post(&self, key: &str, body: &str) -> Result<u16, String> {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        let send = async {
            let mut s = tokio::net::TcpStream::connect((host, self.port))
                .await
                .map_err(|e| format!("connect: {e}"))?;
            let request = format!(
                "POST {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Idempotency-Key: {key}\r\nUser-Agent: doorstep\r\nConnection: close\r\n\r\n{body}",
                self.path,
                self.host,
                self.port,
                body.len()
            );
            s.write_all(request.as_bytes())
                .await
                .map_err(|e| format!("send: {e}"))?;
            let mut head = Vec::with_capacity(64);
            let mut buf = [0u8; 256];
            while !head.contains(&b'\n') && head.len() < 4096 {
                let n = s.read(&mut buf).await.map_err(|e| format!("read: {e}"))?;
                if n == 0 {
                    break;
                }
                head.extend_from_slice(&buf[..n]);
            }
            let line = String::from_utf8_lossy(&head);
            line.split_whitespace()
                .nth(1)
                .and_then(|c| c.parse::<u16>().ok())
                .filter(|_| line.starts_with("HTTP/"))
                .ok_or_else(|| "no HTTP status line".to_string())
        };
        tokio::time::timeout(TIMEOUT, send)
            .await
            .map_err(|_| "timed out".to_string())?
    }
}

/// Sends the seal notifications due at `now` (a handful per call): answers (delivered,
/// failed). A failed one is put back for a later call.
pub async fn deliver_seal_notes(
    store: &dyn Store,
    hook: &Webhook,
    now: OffsetDateTime,
) -> AppResult<(usize, usize)> {
    let notes = store
        .claim_seal_notes(now, now - Duration::days(1), LEASE, 20)
        .await?;
    let (mut delivered, mut failed) = (0, 0);
    for n in notes {
        match hook.post(&n.idem_key, &n.payload).await {
            Ok(code) if (200..300).contains(&code) => {
                store.seal_note_delivered(n.id, now).await?;
                delivered += 1;
            }
            outcome => {
                let why = match outcome {
                    Ok(code) => format!("HTTP {code}"),
                    Err(e) => e,
                };
                tracing::warn!(box_id = n.box_id, attempts = n.attempts, error = %why, "seal webhook failed");
                store
                    .seal_note_failed(n.id, now + RETRY.wait_after(n.attempts), &why)
                    .await?;
                failed += 1;
            }
        }
    }
    Ok((delivered, failed))
}

/// The server's work in the background: every few seconds the seal notifications
/// (when a webhook is set), every minute the late-box, missed-check-in and test-day sweeps
/// and, when `retention_at` is set, the day's scheduled retention run once that time has
/// come (`emergency::retention::run_scheduled`, one line logged with its counts). All are
/// safe on several servers at once; an error is logged and tried again next time, never ends
/// the task.
pub fn run_background(
    store: Arc<dyn Store>,
    hook: Option<Webhook>,
    clock: Arc<dyn Clock>,
    retention_at: Option<time::Time>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let ctx = Ctx {
            clock: clock.clone(),
            ..Ctx::default()
        };
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut n: u64 = 0;
        loop {
            tick.tick().await;
            if let Some(hook) = &hook
                && let Err(e) = deliver_seal_notes(store.as_ref(), hook, clock.now()).await
            {
                tracing::warn!(error = %e, "seal notifications");
            }
            if n.is_multiple_of(12)
                && let Err(e) = super::sweep_late_boxes(store.as_ref(), &ctx).await
            {
                tracing::warn!(error = %e, "late-box sweep");
            }
            if n.is_multiple_of(12)
                && let Err(e) =
                    crate::quarantine::checkins::sweep_missed_checkins(store.as_ref(), &ctx).await
            {
                tracing::warn!(error = %e, "missed check-in sweep");
            }
            if n.is_multiple_of(12)
                && let Err(e) =
                    crate::quarantine::test_days::sweep_test_days(store.as_ref(), &ctx).await
            {
                tracing::warn!(error = %e, "test-day sweep");
            }
            if n.is_multiple_of(12)
                && let Some(at) = retention_at
            {
                scheduled_retention(store.as_ref(), &ctx, at).await;
            }
            n = n.wrapping_add(1);
        }
    })
}

/// The day's scheduled retention run, if due, logged as one line with its counts.
async fn scheduled_retention(store: &dyn Store, ctx: &Ctx, at: time::Time) {
    match crate::emergency::retention::run_scheduled(store, ctx, at).await {
        Ok(Some(report)) => {
            let counts: Vec<String> = report
                .totals()
                .iter()
                .map(|(k, n)| format!("{}={n}", k.code()))
                .collect();
            tracing::info!(
                emergencies = report.items.len(),
                counts = %counts.join(" "),
                "scheduled retention run"
            );
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "scheduled retention run"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_http_urls_only() {
        let w = Webhook::parse("http://127.0.0.1:9000/hooks/seal").unwrap_or_else(|e| {
            panic!("{e}");
        });
        assert_eq!(
            (w.host.as_str(), w.port, w.path.as_str()),
            ("127.0.0.1", 9000, "/hooks/seal")
        );
        let w = Webhook::parse("http://relay.local").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((w.port, w.path.as_str()), (80, "/"));
        assert_eq!(
            Webhook::parse("https://x.example/h"),
            Err(WebhookError::Scheme)
        );
        assert_eq!(Webhook::parse("http://:80/"), Err(WebhookError::Url));
        assert_eq!(Webhook::parse("http://h:port/"), Err(WebhookError::Url));
    }

    #[test]
    fn retries_wait_longer_each_time() {
        assert_eq!(RETRY.wait_after(1), Duration::seconds(5));
        assert_eq!(RETRY.wait_after(2), Duration::seconds(10));
        assert_eq!(RETRY.wait_after(30), Duration::minutes(10));
    }
}
