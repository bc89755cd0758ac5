//! The `doorstep` binary's integration tests, one binary (one link) for all: each module was a
//! test file.
#![allow(clippy::unwrap_used)]

mod backup;
mod cli;
mod crash;
mod daily;
mod emergency;
mod episodes;
mod faults;
mod fleet;
mod links;
mod lists;
mod materials;
mod notices;
mod policies;
mod rounds;
mod serve;
mod supplies;
mod templates;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output};
use std::time::Duration;

use serde_json::Value;

/// The `doorstep` binary, taking neither its database, its public URL, its proxies nor its
/// limits from the environment.
fn doorstep_cmd() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_doorstep"));
    cmd.env_remove("DOORSTEP_DB")
        .env_remove("DOORSTEP_PUBLIC_URL");
    for (name, _) in std::env::vars() {
        if name.starts_with("DOORSTEP_PUBLIC_")
            || name.starts_with("DOORSTEP_TRUSTED")
            || name == "DOORSTEP_SQLITE_SYNC"
        {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// Runs `doorstep` with `args` to its end.
fn doorstep(args: &[&str]) -> Output {
    doorstep_cmd().args(args).output().unwrap()
}

/// What a run that must succeed printed on stdout.
fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The demo community's path.
const COMMUNITY: &str = "二七区/京广路街道/祥云社区";

/// Imports a roster (CSV text, header first) into the demo community through the binary; the
/// folder holding the file lives as long as the answer.
fn import_roster(url: &str, csv: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let roster = dir.path().join("r.csv");
    std::fs::write(&roster, csv).unwrap();
    ok(&doorstep(&[
        "--db",
        url,
        "import",
        "persons",
        "--into",
        COMMUNITY,
        roster.to_str().unwrap(),
    ]));
    dir
}

/// One request to the server on `port`, on a fresh connection: the status, the response head
/// (lower case) and the body as JSON (`None` when nothing answered: the server was gone).
fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> Option<(u16, String, Value)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let auth = token
        .map(|t| format!("authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n{auth}content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status: u16 = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((
        status,
        head.to_lowercase(),
        serde_json::from_str(body).unwrap_or(Value::Null),
    ))
}

/// [`http`] without the head: the status and the body.
fn call(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> Option<(u16, Value)> {
    http(port, method, path, token, body).map(|(st, _, v)| (st, v))
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server process, killed when dropped (also when an assertion fails).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
