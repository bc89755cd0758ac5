//! Disk faults under `doorstep serve`: the database's disk fills up, then goes read-only. Each
//! time writes are refused with 503 `unavailable` and a Retry-After, the log says why, reads
//! and the login page go on, nothing is corrupted, and writes resume: by themselves once space
//! returns, after the administrator's repair once the disk failed read-only. Every write that
//! was acknowledged is there at the end, after a restart.
//!
//! SQLite's file lives on a small ext4 of its own (a loop device), which the kernel turns
//! read-only under the running server as it does on a disk error. PostgreSQL's database lives
//! in a tablespace on a small tmpfs (the cluster's WAL stays on its own disk, as a full data
//! disk leaves it); read-only is `default_transaction_read_only`, what a standby answers, taken
//! by new sessions. Mounting needs root, as the CI machine has.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::{Killed, doorstep_cmd, free_port, http};

fn sh(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A small filesystem of the test's own, unmounted when dropped: a tmpfs, or ext4 on a loop
/// device (which can fail read-only under a running server, as a failing disk does).
struct Disk {
    at: PathBuf,
    image: Option<PathBuf>,
}

fn mount(args: &[&str], at: &Path) {
    let out = Command::new("mount").args(args).arg(at).output().unwrap();
    assert!(
        out.status.success(),
        "the disk-fault tests mount small filesystems and need root to: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Disk {
    /// A tmpfs of `size_mb`, owned by `owner` when given.
    fn tmpfs(at: &Path, size_mb: u32, owner: Option<&str>) -> Disk {
        std::fs::create_dir_all(at).unwrap();
        let mut opts = format!("size={size_mb}m,mode=0755");
        if let Some(user) = owner {
            let id = |flag: &str| sh(Command::new("id").args([flag, user])).trim().to_string();
            opts += &format!(",uid={},gid={},mode=0700", id("-u"), id("-g"));
        }
        mount(&["-t", "tmpfs", "-o", &opts, "tmpfs"], at);
        Disk {
            at: at.to_path_buf(),
            image: None,
        }
    }

    /// ext4 of `size_mb` in the file `image`, remounted read-only by the kernel on an error.
    fn ext4(at: &Path, image: &Path, size_mb: u32) -> Disk {
        std::fs::create_dir_all(at).unwrap();
        let f = std::fs::File::create(image).unwrap();
        f.set_len(u64::from(size_mb) << 20).unwrap();
        sh(Command::new("mkfs.ext4").arg("-q").arg(image));
        let disk = Disk {
            at: at.to_path_buf(),
            image: Some(image.to_path_buf()),
        };
        disk.mount_image();
        disk
    }

    fn mount_image(&self) {
        let image = self.image.as_ref().unwrap().to_str().unwrap();
        mount(&["-o", "loop,errors=remount-ro", image], &self.at);
    }

    /// What a failing disk does: the kernel turns the filesystem read-only under the open
    /// files (ext4's own error path, triggered by hand).
    fn fail_read_only(&self) {
        let source = sh(Command::new("findmnt")
            .args(["-no", "SOURCE"])
            .arg(&self.at));
        let dev = Path::new(source.trim())
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        std::fs::write(
            format!("/sys/fs/ext4/{dev}/trigger_fs_error"),
            "doorstep test\n",
        )
        .unwrap();
    }

    /// The administrator's repair: unmount, check, mount again.
    fn repair(&self) {
        sh(Command::new("umount").arg(&self.at));
        let image = self.image.as_ref().unwrap();
        // e2fsck exits 1 when it fixed something.
        let st = Command::new("e2fsck")
            .args(["-fy"])
            .arg(image)
            .output()
            .unwrap();
        assert!(st.status.code().is_some_and(|c| c <= 1), "{st:?}");
        self.mount_image();
    }

    /// Fills what is left with a file, to the last block.
    fn fill(&self) -> PathBuf {
        let path = self.at.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        for size in [1 << 20, 4096, 512] {
            let chunk = vec![0u8; size];
            while f.write_all(&chunk).is_ok() {}
        }
        let _ = f.sync_all();
        path
    }
}

impl Drop for Disk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.at).output();
    }
}

/// `doorstep serve --demo` with its log in `log`.
fn serve(db: &str, port: u16, log: &Path) -> Killed {
    let child = doorstep_cmd()
        .args([
            "--db",
            db,
            "serve",
            "--demo",
            "--addr",
            &format!("127.0.0.1:{port}"),
        ])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while http(port, "GET", "/healthz", None, "").is_none() {
        assert!(Instant::now() < deadline, "the server did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    Killed(child)
}

/// A running server and what it acknowledged.
struct Run {
    port: u16,
    token: String,
    log: PathBuf,
    next: u32,
    /// What was acknowledged: each notice's title and public page.
    acked: Vec<(String, String)>,
}

impl Run {
    fn login(port: u16, log: PathBuf) -> Run {
        let login = json!({"username": "demo-community-admin", "password": "doorstep-demo"});
        let (st, _, v) =
            http(port, "POST", "/api/v1/auth/login", None, &login.to_string()).unwrap();
        assert_eq!(
            st,
            200,
            "{v}\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        Run {
            port,
            token: v["token"].as_str().unwrap().to_string(),
            log,
            next: 0,
            acked: Vec::new(),
        }
    }

    /// Publishes one notice: its status, and whether a refusal was the clear one.
    fn write(&mut self) -> u16 {
        self.next += 1;
        let title = format!("停水通知{}", self.next);
        let body = json!({
            "title": title,
            "body": "明日 8:00–18:00 停水，请提前储水。".repeat(40),
            "valid_from": "2026-01-01",
            "valid_to": "2030-12-31",
        });
        let (st, head, v) = http(
            self.port,
            "POST",
            "/api/v1/notices",
            Some(&self.token),
            &body.to_string(),
        )
        .expect("the server answers while the disk is in trouble");
        match st {
            201 => self
                .acked
                .push((title, v["public_url"].as_str().unwrap().to_string())),
            503 => {
                assert_eq!(v["error"], "db_unavailable", "{v}");
                assert!(head.contains("retry-after: "), "{head}");
                assert!(v["message"].as_str().unwrap().contains("数据库"), "{v}");
            }
            other => panic!("a write answered {other}: {v}"),
        }
        st
    }

    /// Writes until one is refused (at most `n`).
    fn write_until_refused(&mut self, n: usize) {
        for _ in 0..n {
            if self.write() == 503 {
                return;
            }
        }
        panic!("{n} writes and none refused");
    }

    /// Writes until one is taken again, within `secs`.
    fn write_until_taken(&mut self, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while self.write() != 201 {
            assert!(Instant::now() < deadline, "writes did not resume");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Reads go on: the API's lists, the login page, the health check.
    fn reads_answer(&self) {
        let (st, _, v) = http(self.port, "GET", "/api/v1/notices", Some(&self.token), "").unwrap();
        assert_eq!(st, 200, "{v}\n{}", self.log_tail());
        let (st, _, _) = http(self.port, "GET", "/login", None, "").unwrap();
        assert_eq!(st, 200);
        let (st, _, _) = http(self.port, "GET", "/healthz", None, "").unwrap();
        assert_eq!(st, 200);
    }

    /// The server log's last lines, for a failure's message.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    fn logged(&self, what: &str) -> bool {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .contains(what)
    }

    /// Every acknowledged notice is there: its public page shows it (the staff list shows
    /// only the newest 200).
    fn all_acked_present(&self) {
        assert!(!self.acked.is_empty());
        for (title, page) in &self.acked {
            let path = page
                .split_once("/n/")
                .map(|(_, t)| format!("/n/{t}"))
                .unwrap();
            let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
            let req = format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
            s.write_all(req.as_bytes()).unwrap();
            let mut text = String::new();
            s.read_to_string(&mut text).unwrap();
            assert!(
                text.starts_with("HTTP/1.1 200") && text.contains(title.as_str()),
                "acknowledged {title} is missing ({} acknowledged): {}",
                self.acked.len(),
                text.lines().next().unwrap_or_default()
            );
        }
    }
}

/// Full disk and space back, then a read-only database, on a running server: every write
/// refused clearly meanwhile, reads answered.
fn full_then_read_only(run: &mut Run, fill: impl Fn() -> PathBuf, read_only: impl Fn()) {
    for _ in 0..3 {
        assert_eq!(run.write(), 201);
    }
    let filler = fill();
    run.write_until_refused(20_000);
    run.reads_answer();
    assert!(run.logged("database unavailable"), "no log line");
    std::fs::remove_file(filler).unwrap();
    run.write_until_taken(30);

    read_only();
    for _ in 0..20 {
        assert_eq!(run.write(), 503);
    }
    run.reads_answer();
}

#[test]
fn sqlite_full_and_read_only_disks_refuse_writes_and_recover() {
    let dir = tempfile::tempdir().unwrap();
    let disk = Disk::ext4(&dir.path().join("disk"), &dir.path().join("disk.img"), 64);
    let db = format!("sqlite://{}", disk.at.join("d.db").display());
    let port = free_port();
    let log = dir.path().join("serve.log");
    let server = serve(&db, port, &log);
    let mut run = Run::login(port, log.clone());
    full_then_read_only(&mut run, || disk.fill(), || disk.fail_read_only());
    drop(server);
    disk.repair();

    // Nothing is corrupt: the file backs up and restores (a quick_check) and serves again,
    // taking writes, with every acknowledged write.
    let copy = dir.path().join("copy.db");
    let out = doorstep_cmd()
        .args(["--db", &db, "backup"])
        .arg(&copy)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = format!("sqlite://{}", dir.path().join("again.db").display());
    let out = doorstep_cmd()
        .args(["--db", &again, "restore"])
        .arg(&copy)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = free_port();
    let server = serve(&db, port, &log);
    let mut after = Run::login(port, log);
    after.acked = run.acked;
    after.next = run.next;
    assert_eq!(after.write(), 201);
    after.all_acked_present();
    drop(server);
}

/// `psql` as the test's superuser on database `db`.
fn psql(url: &str, sql: &str) -> String {
    sh(Command::new("psql").args([url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql]))
}

/// A PostgreSQL database in a tablespace on its own disk, dropped (database, tablespace, then
/// the disk) when this is: the cluster must never be left with a tablespace whose files are
/// gone, or its checkpoints fail for every database.
struct PgOnDisk {
    base: String,
    name: String,
    disk: Disk,
}

impl PgOnDisk {
    fn create(base: &str, at: &Path) -> PgOnDisk {
        let disk = Disk::tmpfs(at, 64, Some("postgres"));
        let name = format!("doorstep_faults_{}", std::process::id());
        psql(
            base,
            &format!("CREATE TABLESPACE {name} LOCATION '{}'", disk.at.display()),
        );
        psql(base, &format!("CREATE DATABASE {name} TABLESPACE {name}"));
        PgOnDisk {
            base: base.to_string(),
            name,
            disk,
        }
    }

    fn url(&self) -> String {
        let (head, _) = self.base.rsplit_once('/').unwrap();
        format!("{head}/{}", self.name)
    }

    /// Makes the database read-only, or writable again, for the sessions that start next,
    /// and ends the server's sessions (a standby's promotion ends them too).
    fn read_only(&self, on: bool) {
        let name = &self.name;
        let set = if on {
            format!("ALTER DATABASE {name} SET default_transaction_read_only = on")
        } else {
            format!("ALTER DATABASE {name} RESET default_transaction_read_only")
        };
        psql(&self.base, &set);
        psql(
            &self.base,
            &format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            ),
        );
    }
}

impl Drop for PgOnDisk {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.disk.at.join("filler"));
        for sql in [
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            format!("DROP TABLESPACE IF EXISTS {}", self.name),
        ] {
            let _ = Command::new("psql")
                .args([&self.base, "-qAtc", &sql])
                .output();
        }
    }
}

#[test]
fn postgres_full_and_read_only_disks_refuse_writes_and_recover() {
    let Ok(base) = std::env::var("DOORSTEP_TEST_PG_URL") else {
        eprintln!("DOORSTEP_TEST_PG_URL is not set: the PostgreSQL disk-fault test does not run");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // The server process (user postgres) must reach the tablespace.
    let mut perms = std::fs::metadata(dir.path()).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(dir.path(), perms).unwrap();
    let db = PgOnDisk::create(&base, &dir.path().join("ts"));
    let url = db.url();
    let port = free_port();
    let log = dir.path().join("serve.log");
    let server = serve(&url, port, &log);
    let mut run = Run::login(port, log.clone());
    full_then_read_only(&mut run, || db.disk.fill(), || db.read_only(true));
    db.read_only(false);
    run.write_until_taken(30);
    run.all_acked_present();
    drop(server);
    let port = free_port();
    let server = serve(&url, port, &log);
    let mut after = Run::login(port, log);
    after.acked = run.acked;
    after.all_acked_present();
    drop(server);
}
