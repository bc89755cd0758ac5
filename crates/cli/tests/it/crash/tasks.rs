//! Task updates on the task board (`PATCH /tasks/{id}`): a worker goes through door-knock
//! tasks one by one, starting each (write 2i) and finishing it as met with a note (write
//! 2i+1). A PATCH carries no key: resent after a kill, a step already taken is refused as a
//! conflict (it cannot be taken twice) and counts as done. Afterwards each finished task is
//! done with its note, each only started one is in progress, the rest are untouched, and every
//! step left exactly one event in the task's history.

use doorstep_testkit::COMMUNITY;
use serde_json::{Value, json};

use super::fixture::COMPOUND;
use super::{Ack, Check, Server, Workload, Write};

/// Door-knocks of every roster household.
pub struct Tasks {
    ids: Vec<i64>,
}

impl Tasks {
    /// `admin1` makes a door-knock for every household of 凤凰城 in one bulk.
    pub fn setup(server: &Server, admin: &str) -> Tasks {
        let body = json!({"idempotency_key": "crash-knocks", "kind": "door_knock",
                          "area": format!("{COMMUNITY}/{COMPOUND}"), "due": "2030-12-01"});
        let (st, v) = server.call("POST", "/api/v1/tasks/bulk", Some(admin), &body.to_string());
        assert_eq!(st, 201, "{v}");
        let ids = v["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_i64().unwrap())
            .collect();
        Tasks { ids }
    }

    fn note(k: usize) -> String {
        format!("入户核实{k}")
    }

    /// The tasks of these writes: started, finished.
    fn tasks(acks: &[Ack]) -> (Vec<usize>, Vec<usize>) {
        let finished: Vec<usize> = acks
            .iter()
            .filter(|a| a.k % 2 == 1)
            .map(|a| a.k / 2)
            .collect();
        let started = acks
            .iter()
            .filter(|a| a.k.is_multiple_of(2) && !finished.contains(&(a.k / 2)))
            .map(|a| a.k / 2)
            .collect();
        (started, finished)
    }
}

impl Workload for Tasks {
    fn name(&self) -> &'static str {
        "task updates"
    }

    fn write(&self, k: usize) -> Option<Write> {
        let id = self.ids.get(k / 2)?;
        let body = if k.is_multiple_of(2) {
            json!({"status": "in_progress"})
        } else {
            json!({"status": "done", "outcome": "met", "note": Tasks::note(k)})
        };
        Some(Write {
            method: "PATCH",
            path: format!("/api/v1/tasks/{id}"),
            body: body.to_string(),
        })
    }

    fn acknowledges(&self, k: usize, status: u16, answer: &Value, resent: bool) -> bool {
        match status {
            200 => {
                let want = if k.is_multiple_of(2) {
                    "in_progress"
                } else {
                    "done"
                };
                assert_eq!(answer["status"], want, "task step {k}: {answer}");
                true
            }
            // The step was taken before the kill cut its answer off.
            409 if resent => true,
            429 | 503 => false,
            _ => panic!("task step {k} (resent: {resent}): unexpected {status}: {answer}"),
        }
    }

    fn idempotent(&self) -> bool {
        false
    }

    fn replayed(&self, _ack: &Ack, _status: u16, _answer: &Value) {}

    fn checks(&self, acks: &[Ack]) -> Vec<Check> {
        let (started, finished) = Tasks::tasks(acks);
        let mut c = Vec::new();
        for &i in &finished {
            c.push((
                format!(
                    "SELECT COUNT(*) FROM tasks WHERE id = {} AND status = 'done' \
                     AND outcome = 'met' AND outcome_note = '{}'",
                    self.ids[i],
                    Tasks::note(2 * i + 1)
                ),
                1,
                format!("acknowledged finish of task {i} is stored with its note"),
            ));
        }
        for &i in &started {
            c.push((
                format!(
                    "SELECT COUNT(*) FROM tasks WHERE id = {} AND status = 'in_progress'",
                    self.ids[i]
                ),
                1,
                format!("acknowledged start of task {i} is stored"),
            ));
        }
        let all = self
            .ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        c.push((
            format!("SELECT COUNT(*) FROM tasks WHERE id IN ({all}) AND status = 'done'"),
            finished.len() as i64,
            "exactly the acknowledged finishes are done".into(),
        ));
        c.push((
            format!("SELECT COUNT(*) FROM tasks WHERE id IN ({all}) AND status = 'in_progress'"),
            started.len() as i64,
            "exactly the tasks only started are in progress".into(),
        ));
        // Started, finished: one event each; a step cannot have been recorded twice.
        c.push((
            format!(
                "SELECT COUNT(*) FROM task_events WHERE task_id IN ({all}) AND action = 'started'"
            ),
            (finished.len() + started.len()) as i64,
            "one history event per start".into(),
        ));
        c.push((
            format!(
                "SELECT COUNT(*) FROM task_events WHERE task_id IN ({all}) AND action = 'done'"
            ),
            finished.len() as i64,
            "one history event per finish".into(),
        ));
        c
    }
}
