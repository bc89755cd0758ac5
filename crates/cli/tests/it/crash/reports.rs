//! Residents' self-reports through the public QR form's API (`POST /public/reports/{token}`,
//! key `idempotency_key`): report k is one member (a person of its own) in a room of its own
//! of 佳纷天地 3号楼 2单元. Afterwards each acknowledged report is stored, pending, with its
//! room and member, and there are exactly as many reports as acknowledged keys.

use doorstep_app::reports::Purpose;
use doorstep_testkit::{COMMUNITY, TestDb, report_link};
use serde_json::{Value, json};

use super::fixture::person_id;
use super::{Ack, Check, Workload, Write, id_of};

/// Where this path's persons' numbers start.
const FIRST: u32 = 40_000;

/// Reports through one link.
pub struct Reports {
    token: String,
    link: i64,
}

impl Reports {
    /// A home-quarantine report link for 佳纷天地.
    pub async fn setup(db: &TestDb) -> Reports {
        let token = report_link(
            db.store.as_ref(),
            &format!("{COMMUNITY}/佳纷天地"),
            Purpose::HomeQuarantine,
        )
        .await;
        let link = db
            .query_i64(&format!(
                "SELECT id FROM report_links WHERE token = '{token}'"
            ))
            .await;
        Reports { token, link }
    }

    fn room(k: usize) -> String {
        (10_000 + k).to_string()
    }

    fn member(k: usize) -> String {
        person_id(FIRST + u32::try_from(k).unwrap())
    }
}

impl Workload for Reports {
    fn name(&self) -> &'static str {
        "self-reports"
    }

    fn write(&self, k: usize) -> Option<Write> {
        let body = json!({
            "idempotency_key": format!("rep-{k}"),
            "address": {"compound": "佳纷天地", "building": "3", "unit": "2", "room": Reports::room(k)},
            "members": [{"name": format!("报{k}"), "id_number": Reports::member(k), "phone": "13800000001", "relation": "户主"}],
            "answers": {"notified_by": "社区", "date": "2022-10-20", "temperature": "36.5"}
        });
        Some(Write {
            method: "POST",
            path: format!("/api/v1/public/reports/{}", self.token),
            body: body.to_string(),
        })
    }

    fn acknowledges(&self, k: usize, status: u16, answer: &Value, resent: bool) -> bool {
        match status {
            201 => true,
            // A resend of a report stored before the kill answers the first.
            200 if resent => true,
            429 | 503 => false,
            _ => panic!("report {k} (resent: {resent}): unexpected {status}: {answer}"),
        }
    }

    fn replayed(&self, ack: &Ack, status: u16, answer: &Value) {
        assert_eq!(
            (status, &answer["report_id"], &answer["receipt"]),
            (200, &ack.answer["report_id"], &ack.answer["receipt"]),
            "report {} sent again: {answer}",
            ack.k
        );
    }

    fn checks(&self, acks: &[Ack]) -> Vec<Check> {
        let mut c: Vec<Check> = acks
            .iter()
            .map(|a| {
                (
                    format!(
                        "SELECT COUNT(*) FROM reports WHERE id = {} AND link_id = {} \
                         AND idem_key = 'rep-{}' AND room = '{}' AND receipt = '{}' \
                         AND status = 'pending' AND members LIKE '%{}%'",
                        id_of(&a.answer, "report_id"),
                        self.link,
                        a.k,
                        Reports::room(a.k),
                        a.answer["receipt"].as_str().unwrap(),
                        Reports::member(a.k),
                    ),
                    1,
                    format!("acknowledged report {} is stored as sent", a.k),
                )
            })
            .collect();
        c.push((
            format!("SELECT COUNT(*) FROM reports WHERE link_id = {}", self.link),
            acks.len() as i64,
            "one report per acknowledged key, none more".into(),
        ));
        c
    }
}
