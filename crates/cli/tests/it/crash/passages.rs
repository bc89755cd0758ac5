//! Checkpoint register entries (`POST /checkpoints/{id}/passages`, key `client_id`), as a
//! gate's guard scans: by turns a resident of the roster going in, a visitor noted by name, a
//! vehicle going out. Afterwards each acknowledged passage is stored with its subject and
//! direction, and the gate has exactly as many passages as acknowledged ones.

use doorstep_testkit::COMMUNITY;
use serde_json::{Value, json};

use super::fixture::{COMPOUND, person_id};
use super::{Ack, Check, Server, Workload, Write, id_of};

/// Passages through one gate of 凤凰城.
pub struct Passages {
    gate: i64,
    persons: u32,
}

impl Passages {
    /// `admin1` sets up the gate 东门 of 凤凰城; the roster has `persons` persons.
    pub fn setup(server: &Server, admin: &str, persons: u32) -> Passages {
        let body = json!({"area": format!("{COMMUNITY}/{COMPOUND}"), "name": "东门"});
        let (st, v) = server.call(
            "POST",
            "/api/v1/checkpoints",
            Some(admin),
            &body.to_string(),
        );
        assert_eq!(st, 201, "{v}");
        Passages {
            gate: id_of(&v, "id"),
            persons,
        }
    }

    fn person(&self, k: usize) -> u32 {
        u32::try_from(k).unwrap() % self.persons
    }

    fn plate(k: usize) -> String {
        format!("豫A{:05}", k % 100_000)
    }

    /// What passage k must be stored as.
    fn stored_as(&self, k: usize) -> String {
        match k % 3 {
            0 => format!(
                "subject = 'resident' AND direction = 'in' AND person_id = \
                 (SELECT id FROM persons WHERE name = '人{}')",
                self.person(k)
            ),
            1 => format!("subject = 'visitor' AND direction = 'in' AND visitor_name = '访客{k}'"),
            _ => format!(
                "subject = 'vehicle' AND direction = 'out' AND plate = '{}'",
                Passages::plate(k)
            ),
        }
    }
}

impl Workload for Passages {
    fn name(&self) -> &'static str {
        "checkpoint passages"
    }

    fn write(&self, k: usize) -> Option<Write> {
        let mut body = match k % 3 {
            0 => {
                json!({"scan": person_id(self.person(k)), "direction": "in", "temperature": "36.6"})
            }
            1 => {
                json!({"subject": "visitor", "visitor_name": format!("访客{k}"), "direction": "in", "reason": "探亲"})
            }
            _ => json!({"subject": "vehicle", "plate": Passages::plate(k), "direction": "out"}),
        };
        body["client_id"] = json!(format!("pass-{k}"));
        Some(Write {
            method: "POST",
            path: format!("/api/v1/checkpoints/{}/passages", self.gate),
            body: body.to_string(),
        })
    }

    fn acknowledges(&self, k: usize, status: u16, answer: &Value, resent: bool) -> bool {
        match status {
            201 => true,
            200 if resent => true,
            429 | 503 => false,
            _ => panic!("passage {k} (resent: {resent}): unexpected {status}: {answer}"),
        }
    }

    fn replayed(&self, ack: &Ack, status: u16, answer: &Value) {
        assert_eq!(
            (status, &answer["id"]),
            (200, &ack.answer["id"]),
            "passage {} sent again: {answer}",
            ack.k
        );
    }

    fn checks(&self, acks: &[Ack]) -> Vec<Check> {
        let mut c: Vec<Check> = acks
            .iter()
            .map(|a| {
                (
                    format!(
                        "SELECT COUNT(*) FROM checkpoint_passages WHERE id = {} \
                         AND checkpoint_id = {} AND client_id = 'pass-{}' AND {}",
                        id_of(&a.answer, "id"),
                        self.gate,
                        a.k,
                        self.stored_as(a.k)
                    ),
                    1,
                    format!("acknowledged passage {} is stored as sent", a.k),
                )
            })
            .collect();
        c.push((
            format!(
                "SELECT COUNT(*) FROM checkpoint_passages WHERE checkpoint_id = {}",
                self.gate
            ),
            acks.len() as i64,
            "one passage per acknowledged id, none more".into(),
        ));
        c
    }
}
