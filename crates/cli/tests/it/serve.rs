//! `doorstep serve`: beyond loopback it needs the public URL (links and QR codes never take the
//! request's Host header), and it says at start-up which address links print; trusted proxies
//! and the public limits come from flags or the environment, and a bad one stops it.
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
fn a_bad_proxy_or_limit_setting_stops_it_before_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.db");
    let db = format!("sqlite://{}", file.display());
    for (args, env, want) in [
        (vec!["--trusted-proxy", "10.0.0.0/33"], None, "10.0.0.0/33"),
        (vec!["--trusted-proxy", "proxy.local"], None, "CIDR"),
        (
            vec![],
            Some(("DOORSTEP_TRUSTED_PROXIES", "127.0.0.1/32, 10.0.0.256")),
            "10.0.0.256",
        ),
        (vec!["--client-ip-header", "x-client-ip"], None, "x-real-ip"),
        (vec!["--public-per-address-burst", "0"], None, "at least 1"),
        (
            vec![],
            Some(("DOORSTEP_PUBLIC_PER_LINK_RATE", "-3")),
            "above 0",
        ),
        (vec!["--public-max-in-flight", "0"], None, "whole number"),
        (vec!["--write-max-in-flight", "0"], None, "whole number"),
        (vec![], Some(("DOORSTEP_WRITE_MAX_WAIT_MS", "soon")), "soon"),
    ] {
        let mut cmd = serve(&db, &args);
        if let Some((k, v)) = env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} {env:?} started");
        assert!(err.contains(want), "{args:?} {env:?}: {err}");
    }
    assert!(!file.exists(), "the database is not touched");
}

#[test]
fn help_lists_every_limit_with_its_variable() {
    let out = doorstep_cmd().args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for want in [
        "--trusted-proxy <CIDR>",
        "DOORSTEP_TRUSTED_PROXIES",
        "--client-ip-header",
        "DOORSTEP_CLIENT_IP_HEADER",
        "--public-per-address-burst",
        "DOORSTEP_PUBLIC_PER_ADDRESS_BURST",
        "--public-per-address-rate",
        "DOORSTEP_PUBLIC_PER_ADDRESS_RATE",
        "--public-per-link-burst",
        "DOORSTEP_PUBLIC_PER_LINK_BURST",
        "--public-per-link-rate",
        "DOORSTEP_PUBLIC_PER_LINK_RATE",
        "--public-max-in-flight",
        "DOORSTEP_PUBLIC_MAX_IN_FLIGHT",
        "--write-max-in-flight",
        "DOORSTEP_WRITE_MAX_IN_FLIGHT",
        "--write-max-queued",
        "DOORSTEP_WRITE_MAX_QUEUED",
        "--write-max-wait-ms",
        "DOORSTEP_WRITE_MAX_WAIT_MS",
        "[default: 1000]",
    ] {
        assert!(help.contains(want), "{want} in {help}");
    }
}

/// Starts `serve` and reads its standard error (colours taken out) until `want` shows, or a
/// minute passes.
fn start_and_read(cmd: &mut Command, want: &str) -> String {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = String::new();
    while !seen.contains(want) {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = rx.recv_timeout(left) else {
            break;
        };
        seen.push_str(&without_colours(&line));
        seen.push('\n');
    }
    child.kill().unwrap();
    child.wait().unwrap();
    seen
}

/// `line` without its terminal colour sequences (`ESC [ … m`).
fn without_colours(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn proxies_and_limits_come_from_flags_or_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("d.db").display());
    let want = "trusted_proxies=10.0.0.0/8,::1/128 (x-real-ip)";
    let seen = start_and_read(
        serve(&db, &["--addr", "127.0.0.1:0"])
            .env("DOORSTEP_TRUSTED_PROXIES", "10.0.0.0/8,::1")
            .env("DOORSTEP_CLIENT_IP_HEADER", "x-real-ip")
            .env("DOORSTEP_PUBLIC_PER_ADDRESS_RATE", "7.5")
            .env("DOORSTEP_WRITE_MAX_QUEUED", "9"),
        want,
    );
    assert!(seen.contains(want), "{want} in {seen}");
    assert!(seen.contains("burst: 1000.0, per_sec: 7.5"), "{seen}");
    // On SQLite 256 writes run at once unless told otherwise (64 on PostgreSQL).
    assert!(
        seen.contains("max_in_flight: 256, max_queued: 9, max_wait: 2s"),
        "{seen}"
    );
    let want = "trusted_proxies=127.0.0.1/32,10.1.0.0/16 (x-forwarded-for)";
    let seen = start_and_read(
        &mut serve(
            &db,
            &[
                "--addr",
                "127.0.0.1:0",
                "--trusted-proxy",
                "127.0.0.1/32",
                "--trusted-proxy",
                "10.1.2.3/16",
                "--public-max-in-flight",
                "16",
                "--write-max-wait-ms",
                "250",
            ],
        ),
        want,
    );
    assert!(seen.contains(want), "{want} in {seen}");
    assert!(seen.contains("max_in_flight: 16"), "{seen}");
    assert!(seen.contains("max_wait: 250ms"), "{seen}");
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
        let seen = start_and_read(&mut serve(&db, &args), &want);
        assert!(seen.contains(&want), "{want:?} in {seen}");
    }
}
