//! A minimal HTTP/1.1 client over raw TCP for the load generators: it costs the machine's cores
//! (which the server under test shares) as little as possible.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads one response (status line, headers, `content-length` body) into `buf`; returns the
/// status and where the body starts.
pub async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<(u16, usize)> {
    buf.clear();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("connection closed");
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("status line")?;
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < header_end + len {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("connection closed in body");
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    buf.truncate(header_end + len);
    Ok((status, header_end))
}

/// One HTTP request on a kept-alive connection: (status, body, time).
pub async fn call(
    stream: &mut TcpStream,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Result<(u16, String, Duration)> {
    call_with(stream, method, path, token, body, "").await
}

/// [`call`] with more header lines (each ending in `\r\n`), e.g. the client's address as a
/// trusted proxy forwards it.
pub async fn call_with(
    stream: &mut TcpStream,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
    headers: &str,
) -> Result<(u16, String, Duration)> {
    let mut req = format!("{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n{headers}");
    if let Some(t) = token {
        req += &format!("authorization: Bearer {t}\r\n");
    }
    if let Some(b) = body {
        req += &format!(
            "content-type: application/json\r\ncontent-length: {}\r\n",
            b.len()
        );
    }
    req += "\r\n";
    if let Some(b) = body {
        req += b;
    }
    let t = Instant::now();
    stream.write_all(req.as_bytes()).await?;
    let mut buf = Vec::new();
    let (status, start) = read_response(stream, &mut buf).await?;
    let elapsed = t.elapsed();
    Ok((
        status,
        String::from_utf8_lossy(&buf[start..]).to_string(),
        elapsed,
    ))
}

/// Logs `user` in through the API; answers the bearer token.
pub async fn login(stream: &mut TcpStream, password: &str, user: &str) -> Result<String> {
    let body = serde_json::json!({"username": user, "password": password}).to_string();
    let (status, text, _) = call(stream, "POST", "/api/v1/auth/login", None, Some(&body)).await?;
    if status != 200 {
        bail!("login {user}: {status} {text}");
    }
    let v: serde_json::Value = serde_json::from_str(&text)?;
    Ok(v["token"].as_str().context("token")?.to_string())
}
