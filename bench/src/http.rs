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
    let a = request(stream, method, path, token, body, headers).await?;
    Ok((a.status, a.body, a.time))
}

/// An answer with its header lines (lower-cased), for callers that read one (`retry-after`).
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// The status line and header lines, lower-cased.
    pub head: String,
    /// The body as text.
    pub body: String,
    /// From sending the request to the last byte of the answer.
    pub time: Duration,
}

impl Answer {
    /// A header's value (`name` lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            l.strip_prefix(name)
                .and_then(|r| r.strip_prefix(':'))
                .map(str::trim)
        })
    }
}

/// [`call_with`], answering the headers too.
pub async fn request(
    stream: &mut TcpStream,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
    headers: &str,
) -> Result<Answer> {
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
    let time = t.elapsed();
    Ok(Answer {
        status,
        head: String::from_utf8_lossy(&buf[..start]).to_ascii_lowercase(),
        body: String::from_utf8_lossy(&buf[start..]).to_string(),
        time,
    })
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

/// Connects to the server under test, waiting up to 30 s for it to listen.
pub async fn connect(addr: &str) -> Result<TcpStream> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match TcpStream::connect(addr).await {
            Ok(s) => {
                s.set_nodelay(true)?;
                return Ok(s);
            }
            Err(e) if Instant::now() > deadline => return Err(e.into()),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// The floor a run is compared with: `GET /healthz` from `conns` kept-alive connections for
/// `seconds`; answers (requests, requests per second).
pub async fn healthz_floor(addr: &str, conns: usize, seconds: f64) -> Result<(u64, f64)> {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut floor = Vec::new();
    for _ in 0..conns {
        let (addr, stop) = (addr.to_string(), stop.clone());
        floor.push(tokio::spawn(async move {
            let mut s = connect(&addr).await?;
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let (st, _, _) = call(&mut s, "GET", "/healthz", None, None).await?;
                if st != 200 {
                    bail!("healthz {st}");
                }
                n += 1;
            }
            Ok::<u64, anyhow::Error>(n)
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut healthz = 0;
    for f in floor {
        healthz += f.await??;
    }
    Ok((healthz, healthz as f64 / seconds))
}
