//! Sample scans (`POST /rounds/{id}/scans`, key `client_id`): scan k puts roster person
//! 200+k (past those other paths place in home quarantine, who are sampled alone) in tube k/10 (pool of 10, so every tenth closes its tube). Afterwards each acknowledged scan is
//! stored with its person and tube, each tube's count is the samples in it, and the
//! per-building counts add up to the samples.

use doorstep_app::access::{Ctx, Principal};
use doorstep_app::rounds::{RoundDesk, RoundForm};
use doorstep_core::RoundStatus;
use doorstep_testkit::{COMMUNITY, TestDb};
use serde_json::{Value, json};

use super::fixture::person_id;
use super::{Ack, Check, Workload, Write, id_of};

/// The first roster person scanned.
const FIRST: usize = 200;

/// The scans of one open round.
pub struct Scans {
    round: i64,
    persons: u32,
}

impl Scans {
    /// Opens a round of pools of 10 over the community; the roster has `persons` persons.
    pub async fn setup(db: &TestDb, persons: u32) -> Scans {
        let (office, ctx) = (Principal::office(), Ctx::default());
        let desk = RoundDesk::new(db.store.as_ref(), &office, &ctx);
        let round = desk
            .create(&RoundForm {
                area: COMMUNITY.into(),
                name: "崩溃测试".into(),
                pool_size: 10,
                ..RoundForm::default()
            })
            .await
            .unwrap();
        desk.set_status(round.id, RoundStatus::Open).await.unwrap();
        Scans {
            round: round.id,
            persons,
        }
    }

    fn tube(k: usize) -> String {
        format!("CR{:07}", k / 10)
    }
}

impl Workload for Scans {
    fn name(&self) -> &'static str {
        "scans"
    }

    fn write(&self, k: usize) -> Option<Write> {
        let person = u32::try_from(k + FIRST)
            .ok()
            .filter(|&p| p < self.persons)?;
        let body = json!({"client_id": format!("scan-{k}"), "tube": Scans::tube(k),
                          "person": {"id_number": person_id(person)}});
        Some(Write {
            method: "POST",
            path: format!("/api/v1/rounds/{}/scans", self.round),
            body: body.to_string(),
        })
    }

    fn acknowledges(&self, k: usize, status: u16, answer: &Value, _resent: bool) -> bool {
        match status {
            200 | 201 => {
                // The tenth scan of a tube closes it.
                assert_eq!(answer["tube"]["closed"], k % 10 == 9, "scan {k}: {answer}");
                true
            }
            429 | 503 => false,
            _ => panic!("scan {k}: unexpected {status}: {answer}"),
        }
    }

    fn replayed(&self, ack: &Ack, status: u16, answer: &Value) {
        assert_eq!(
            (status, answer["scan_id"].as_i64()),
            (200, ack.answer["scan_id"].as_i64()),
            "scan {} sent again: {answer}",
            ack.k
        );
    }

    fn checks(&self, acks: &[Ack]) -> Vec<Check> {
        let r = self.round;
        let mut c: Vec<Check> = acks
            .iter()
            .map(|a| {
                (
                    format!(
                        "SELECT COUNT(*) FROM samples s JOIN tubes t ON t.id = s.tube_id \
                         JOIN persons p ON p.id = s.person_id \
                         WHERE s.id = {} AND s.round_id = {r} AND s.client_id = 'scan-{}' \
                         AND t.code = '{}' AND p.name = '人{}'",
                        id_of(&a.answer, "scan_id"),
                        a.k,
                        Scans::tube(a.k),
                        a.k + FIRST
                    ),
                    1,
                    format!("acknowledged scan {} is stored as sent", a.k),
                )
            })
            .collect();
        c.push((
            format!("SELECT COUNT(*) FROM samples WHERE round_id = {r}"),
            acks.len() as i64,
            "one sample per acknowledged scan, none more".into(),
        ));
        c.push((
            "SELECT COUNT(*) FROM tubes t WHERE t.count <> \
             (SELECT COUNT(*) FROM samples s WHERE s.tube_id = t.id)"
                .into(),
            0,
            "every tube's count is its samples".into(),
        ));
        c.push((
            format!(
                "SELECT COUNT(*) FROM tubes WHERE round_id = {r} AND \
                 ((count = 10) <> (status = 'closed'))"
            ),
            0,
            "a tube is closed exactly when full".into(),
        ));
        c.push((
            format!(
                "SELECT CAST(COALESCE(SUM(sampled), 0) AS BIGINT) FROM round_counts \
                 WHERE round_id = {r}"
            ),
            acks.len() as i64,
            "the per-building counts add up to the samples".into(),
        ));
        c
    }
}
