//! CPU seconds by process, from /proc, for the load generators' reports.

use std::time::Instant;

/// CPU seconds used so far: by the server, this generator, PostgreSQL's processes, and the
/// whole machine (busy = everything but idle and I/O wait), at a wall-clock instant.
#[derive(Debug)]
pub struct Cpu {
    /// When it was read.
    pub at: Instant,
    /// Wall-clock seconds (of a difference).
    pub wall: f64,
    /// The machine's cores.
    pub cores: usize,
    /// The server's CPU seconds.
    pub server: f64,
    /// This process's CPU seconds.
    pub generator: f64,
    /// PostgreSQL's backends of the database.
    pub postgres: f64,
    /// PostgreSQL's background processes.
    pub postgres_shared: f64,
    /// The whole machine's busy CPU seconds.
    pub busy: f64,
}

/// Whether the word after `postgres:` in a process title names a background process, not
/// a user ("postgres: walwriter", "postgres: autovacuum worker", …).
fn is_background(word: &str) -> bool {
    [
        "checkpointer",
        "walwriter",
        "background",
        "autovacuum",
        "logical",
        "stats",
        "archiver",
    ]
    .iter()
    .any(|b| word.starts_with(b))
}

impl Cpu {
    /// Now, for the server process `server` and PostgreSQL's backends of `database`.
    pub fn now(server: u32, database: &str) -> Cpu {
        let tick = 100.0; // USER_HZ: 100 on Linux
        let proc_secs = |stat: &str| -> f64 {
            let Some(after) = stat.rsplit_once(')').map(|(_, r)| r) else {
                return 0.0;
            };
            let f: Vec<&str> = after.split_whitespace().collect();
            let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
            (t(11) + t(12)) / tick
        };
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        // PostgreSQL's backends name their database in their title;
        // the others serve everyone (WAL writer, checkpointer, autovacuum) or other databases
        // (other test suites on the same server), which are not counted.
        let (mut postgres, mut postgres_shared) = (0.0, 0.0);
        if let Ok(dir) = std::fs::read_dir("/proc") {
            for e in dir.flatten() {
                let p = e.path();
                if read(&format!("{}/comm", p.display())).trim() != "postgres" {
                    continue;
                }
                let secs = proc_secs(&read(&format!("{}/stat", p.display())));
                let title = read(&format!("{}/cmdline", p.display())).replace('\0', " ");
                // "postgres: 15/main: postgres DB 127.0.0.1(…) idle": the cluster's name, if
                // any, ends with a colon too.
                let mut words = title.split_whitespace().skip_while(|w| w.ends_with(':'));
                match (words.next(), words.next()) {
                    (Some(first), _) if is_background(first) => postgres_shared += secs,
                    (Some(_user), Some(db)) if db == database => postgres += secs,
                    _ => {}
                }
            }
        }
        let stat = read("/proc/stat");
        let cpu: Vec<f64> = stat
            .lines()
            .next()
            .unwrap_or("")
            .split_whitespace()
            .skip(1)
            .filter_map(|v| v.parse().ok())
            .collect();
        let total: f64 = cpu.iter().take(8).sum();
        let idle = cpu.get(3).unwrap_or(&0.0) + cpu.get(4).unwrap_or(&0.0);
        Cpu {
            at: Instant::now(),
            wall: 0.0,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            server: proc_secs(&read(&format!("/proc/{server}/stat"))),
            generator: proc_secs(&read("/proc/self/stat")),
            postgres,
            postgres_shared,
            busy: (total - idle) / tick,
        }
    }

    /// What was used between `before` and this.
    pub fn since(&self, before: &Cpu) -> Cpu {
        Cpu {
            at: self.at,
            wall: self.at.duration_since(before.at).as_secs_f64(),
            cores: self.cores,
            server: self.server - before.server,
            generator: self.generator - before.generator,
            postgres: self.postgres - before.postgres,
            postgres_shared: self.postgres_shared - before.postgres_shared,
            busy: self.busy - before.busy,
        }
    }
}
