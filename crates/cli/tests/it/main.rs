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

use std::process::{Command, Output};

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
