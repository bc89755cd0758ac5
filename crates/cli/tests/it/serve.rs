//! `doorstep serve`: beyond loopback it needs the public URL (links and QR codes never take the
//! request's Host header), and it says at start-up which address links print.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::doorstep_cmd;

fn serve(db: &str, args: &[&str]) -> Command {
    let mut cmd = doorstep_cmd();
    cmd.args(["--db", db, "serve"]).args(args);
    cmd
}

#[test]
fn beyond_loopback_without_a_public_url_it_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.db");
    let db = format!("sqlite://{}", file.display());
    let out = serve(&db, &["--addr", "0.0.0.0:0"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("DOORSTEP_PUBLIC_URL"), "{err}");
    assert!(err.contains("必须设置"), "{err}");
    assert!(err.contains("Host"), "{err}");
    assert!(!file.exists(), "the database is not touched");

    // A URL that is not a whole http(s) address is refused too.
    let out = serve(
        &db,
        &["--addr", "0.0.0.0:0", "--public-url", "evil.example"],
    )
    .output()
    .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("https://"));
}

#[test]
fn at_start_up_it_says_which_address_links_print() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("d.db").display());
    for (args, want) in [
        (
            vec![
                "--addr",
                "127.0.0.1:0",
                "--public-url",
                "https://doorstep.example.org/",
            ],
            "report links and QR codes use: https://doorstep.example.org\n".to_string(),
        ),
        // Loopback without a URL: the address it listens on.
        (
            vec!["--addr", "127.0.0.1:0"],
            "report links and QR codes use: http://127.0.0.1:".to_string(),
        ),
    ] {
        let mut child = serve(&db, &args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let started = Instant::now();
        let mut seen = String::new();
        while !seen.contains(&want) && started.elapsed() < Duration::from_secs(60) {
            match lines.next() {
                Some(line) => {
                    seen.push_str(&line.unwrap());
                    seen.push('\n');
                }
                None => break,
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(seen.contains(&want), "{want:?} in {seen}");
    }
}
