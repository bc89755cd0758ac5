//! Residents' daily check-ins through their household's link (`POST /public/checkins/{token}`,
//! key `idempotency_key`): check-in k is the one member of one of 20 households in home
//! quarantine, with a temperature of its own (every seventh a fever, which makes a follow-up
//! task in a second write). Afterwards each acknowledged check-in is stored with its member,
//! episode and temperature, there are exactly as many check-ins as acknowledged keys, and
//! every fever has its follow-up task.

use serde_json::{Value, json};

use super::fixture::Quarantined;
use super::{Ack, Check, Workload, Write, id_of};

/// Check-ins of households in home quarantine.
pub struct Checkins {
    at_home: Vec<Quarantined>,
}

impl Checkins {
    /// Check-ins of these households.
    pub fn new(at_home: &[Quarantined]) -> Checkins {
        Checkins {
            at_home: at_home.to_vec(),
        }
    }

    fn household(&self, k: usize) -> &Quarantined {
        &self.at_home[k % self.at_home.len()]
    }

    /// 36.0–36.9 °C, in tenths; every seventh a fever (38.1 °C).
    fn tenths(k: usize) -> usize {
        if k % 7 == 3 { 381 } else { 360 + k % 10 }
    }
}

impl Workload for Checkins {
    fn name(&self) -> &'static str {
        "check-ins"
    }

    fn write(&self, k: usize) -> Option<Write> {
        let q = self.household(k);
        let t = Checkins::tenths(k);
        let body = json!({"idempotency_key": format!("chk-{k}"),
                          "members": [{"person_id": q.person, "temperature": format!("{}.{}", t / 10, t % 10),
                                       "symptoms": [], "antigen": ""}]});
        Some(Write {
            method: "POST",
            path: format!("/api/v1/public/checkins/{}", q.token),
            body: body.to_string(),
        })
    }

    fn acknowledges(&self, k: usize, status: u16, answer: &Value, resent: bool) -> bool {
        match status {
            201 => true,
            200 if resent => true,
            429 | 503 => false,
            _ => panic!("check-in {k} (resent: {resent}): unexpected {status}: {answer}"),
        }
    }

    fn replayed(&self, ack: &Ack, status: u16, answer: &Value) {
        assert_eq!(
            (status, &answer["replayed"], &answer["checkins"][0]["id"]),
            (200, &json!(true), &ack.answer["checkins"][0]["id"]),
            "check-in {} sent again: {answer}",
            ack.k
        );
    }

    fn checks(&self, acks: &[Ack]) -> Vec<Check> {
        let mut c: Vec<Check> = acks
            .iter()
            .map(|a| {
                let q = self.household(a.k);
                (
                    format!(
                        "SELECT COUNT(*) FROM checkins WHERE id = {} AND household_id = {} \
                         AND episode_id IN (SELECT id FROM episodes WHERE person_id = {}) \
                         AND client_key = 'chk-{}' AND temperature = {}",
                        id_of(&a.answer["checkins"][0], "id"),
                        q.household,
                        q.person,
                        a.k,
                        Checkins::tenths(a.k)
                    ),
                    1,
                    format!("acknowledged check-in {} is stored as sent", a.k),
                )
            })
            .collect();
        c.push((
            "SELECT COUNT(*) FROM checkins".into(),
            acks.len() as i64,
            "one check-in per acknowledged key, none more".into(),
        ));
        // The follow-up is the second write (keyed by episode and day, made on a resend too).
        c.push((
            "SELECT COUNT(*) FROM checkins c WHERE c.abnormal = TRUE AND NOT EXISTS \
             (SELECT 1 FROM tasks t WHERE t.source = 'checkin_abnormal' AND t.source_key = \
             CAST(c.episode_id AS TEXT) || ':' || c.on_day)"
                .into(),
            0,
            "every fever has its follow-up task".into(),
        ));
        c
    }
}
