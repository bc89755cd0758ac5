//! Supply requests (`POST /households/{id}/supplies`, key `idempotency_key`), filed by a worker
//! for households in home quarantine: request k goes to one of 20 such households, food,
//! medicine or garbage by turns. Filing is two writes (the request, then its delivery task):
//! afterwards each acknowledged request is stored as sent with its task, every request has
//! its task, and there are exactly as many requests and supply tasks as acknowledged keys.

use serde_json::{Value, json};

use super::fixture::Quarantined;
use super::{Ack, Check, Workload, Write, id_of};

/// Requests of households in home quarantine.
pub struct Supplies {
    households: Vec<i64>,
}

impl Supplies {
    /// Requests of these households.
    pub fn new(at_home: &[Quarantined]) -> Supplies {
        Supplies {
            households: at_home.iter().map(|q| q.household).collect(),
        }
    }

    fn household(&self, k: usize) -> i64 {
        self.households[k % self.households.len()]
    }

    fn kind(k: usize) -> &'static str {
        ["food", "medicine", "garbage"][k % 3]
    }
}

impl Workload for Supplies {
    fn name(&self) -> &'static str {
        "supply requests"
    }

    fn write(&self, k: usize) -> Option<Write> {
        let body = json!({"idempotency_key": format!("sup-{k}"), "kind": Supplies::kind(k),
                          "detail": format!("第{k}份"), "urgency": "normal"});
        Some(Write {
            method: "POST",
            path: format!("/api/v1/households/{}/supplies", self.household(k)),
            body: body.to_string(),
        })
    }

    fn acknowledges(&self, k: usize, status: u16, answer: &Value, resent: bool) -> bool {
        match status {
            201 => true,
            200 if resent => true,
            429 | 503 => false,
            _ => panic!("supply request {k} (resent: {resent}): unexpected {status}: {answer}"),
        }
    }

    fn replayed(&self, ack: &Ack, status: u16, answer: &Value) {
        assert_eq!(
            (status, &answer["id"]),
            (200, &ack.answer["id"]),
            "supply request {} sent again: {answer}",
            ack.k
        );
    }

    fn checks(&self, acks: &[Ack]) -> Vec<Check> {
        let mut c: Vec<Check> = acks
            .iter()
            .map(|a| {
                (
                    format!(
                        "SELECT COUNT(*) FROM supply_requests s JOIN tasks t ON t.id = s.task_id \
                         WHERE s.id = {} AND s.household_id = {} AND s.client_key = 'sup-{}' \
                         AND s.kind = '{}' AND s.detail = '第{}份' AND t.source = 'supply'",
                        id_of(&a.answer, "id"),
                        self.household(a.k),
                        a.k,
                        Supplies::kind(a.k),
                        a.k
                    ),
                    1,
                    format!(
                        "acknowledged supply request {} is stored as sent, with its task",
                        a.k
                    ),
                )
            })
            .collect();
        let n = acks.len() as i64;
        c.push((
            "SELECT COUNT(*) FROM supply_requests".into(),
            n,
            "one request per acknowledged key, none more".into(),
        ));
        c.push((
            "SELECT COUNT(*) FROM supply_requests s WHERE NOT EXISTS \
             (SELECT 1 FROM tasks t WHERE t.id = s.task_id)"
                .into(),
            0,
            "every request has its delivery task".into(),
        ));
        c.push((
            "SELECT COUNT(*) FROM tasks WHERE source = 'supply'".into(),
            n,
            "one delivery task per request".into(),
        ));
        c
    }
}
