//! Staff form saves in the registry: a worker adds a person to a household
//! (`POST /households/{id}/persons`, write 2i) and then corrects their name and phone
//! (`PUT /persons/{id}`, write 2i+1). Neither carries a key: the person's document is the key
//! (resent, the add finds the file it made), and a correction resent writes the same values.
//! Afterwards each acknowledged save is there, no document is on file twice, each change has
//! exactly one audit entry (a corrected person their history), and the area totals still count the persons and households under them.

use std::collections::HashMap;
use std::sync::Mutex;

use doorstep_testkit::TestDb;
use serde_json::{Value, json};

use super::fixture::{household_of, person_id};
use super::{Ack, Check, Workload, Write, id_of};

/// Where this path's persons' numbers start.
const FIRST: u32 = 60_000;
/// Households the persons are added to (those of roster persons 100..120).
const HOUSEHOLDS: u32 = 20;

/// Adds and corrections.
pub struct Persons {
    households: Vec<i64>,
    /// The id each acknowledged add answered, by its write's number.
    made: Mutex<HashMap<usize, i64>>,
}

impl Persons {
    /// The households of roster persons 100..120.
    pub async fn setup(db: &TestDb) -> Persons {
        let mut households = Vec::new();
        for i in 100..100 + HOUSEHOLDS {
            households.push(household_of(db, i).await);
        }
        Persons {
            households,
            made: Mutex::new(HashMap::new()),
        }
    }

    fn household(&self, k: usize) -> i64 {
        self.households[(k / 2) % self.households.len()]
    }

    fn document(k: usize) -> String {
        person_id(FIRST + u32::try_from(k / 2).unwrap())
    }

    fn phone(k: usize) -> String {
        format!("139{:08}", k)
    }
}

impl Workload for Persons {
    fn name(&self) -> &'static str {
        "staff form saves (persons)"
    }

    fn write(&self, k: usize) -> Option<Write> {
        if k.is_multiple_of(2) {
            let body = json!({"name": format!("新{k}"), "id_number": Persons::document(k),
                              "phone": Persons::phone(k), "relation": "其他"});
            return Some(Write {
                method: "POST",
                path: format!("/api/v1/households/{}/persons", self.household(k)),
                body: body.to_string(),
            });
        }
        let id = self.made.lock().unwrap()[&(k - 1)];
        let body = json!({"name": format!("改{k}"), "id_number": Persons::document(k),
                          "phone": Persons::phone(k), "relation": "其他"});
        Some(Write {
            method: "PUT",
            path: format!("/api/v1/persons/{id}"),
            body: body.to_string(),
        })
    }

    fn acknowledges(&self, k: usize, status: u16, answer: &Value, resent: bool) -> bool {
        match status {
            200 | 201 => {
                let name = if k.is_multiple_of(2) { "新" } else { "改" };
                assert_eq!(answer["name"], format!("{name}{k}"), "save {k}: {answer}");
                if k.is_multiple_of(2) {
                    self.made.lock().unwrap().insert(k, id_of(answer, "id"));
                }
                true
            }
            429 | 503 => false,
            _ => panic!("save {k} (resent: {resent}): unexpected {status}: {answer}"),
        }
    }

    fn idempotent(&self) -> bool {
        false
    }

    fn replayed(&self, _ack: &Ack, _status: u16, _answer: &Value) {}

    fn checks(&self, acks: &[Ack]) -> Vec<Check> {
        let corrected: Vec<usize> = acks.iter().filter(|a| a.k % 2 == 1).map(|a| a.k).collect();
        let mut c = Vec::new();
        for a in acks.iter().filter(|a| a.k.is_multiple_of(2)) {
            let fixed = corrected.contains(&(a.k + 1));
            let k = if fixed { a.k + 1 } else { a.k };
            let name = if fixed { "改" } else { "新" };
            c.push((
                format!(
                    "SELECT COUNT(*) FROM persons WHERE id = {} AND household_id = {} \
                     AND id_number = '{}' AND name = '{name}{k}' AND phone = '{}'",
                    id_of(&a.answer, "id"),
                    self.household(a.k),
                    Persons::document(a.k),
                    Persons::phone(k)
                ),
                1,
                format!("acknowledged save {k} is stored as sent"),
            ));
        }
        let added = acks.iter().filter(|a| a.k.is_multiple_of(2)).count() as i64;
        c.push((
            "SELECT COUNT(*) FROM persons WHERE name LIKE '新%' OR name LIKE '改%'".into(),
            added,
            "one person per acknowledged add, none more".into(),
        ));
        // The audit entry is written in the save's transaction: one per change, none for a
        // resend that found the change made.
        let fixed = corrected.len() as i64;
        c.push((
            "SELECT COUNT(*) FROM audit_log a JOIN persons p ON p.id = a.object_id \
             WHERE a.action = 'person.create' AND (p.name LIKE '新%' OR p.name LIKE '改%')"
                .into(),
            added,
            "one person.create audit entry per add".into(),
        ));
        c.push((
            "SELECT COUNT(*) FROM audit_log a JOIN persons p ON p.id = a.object_id \
             WHERE a.action = 'person.update' AND p.name LIKE '改%'"
                .into(),
            fixed,
            "one person.update audit entry per correction".into(),
        ));
        c.push((
            "SELECT COUNT(*) FROM persons WHERE name LIKE '改%' AND \
             NOT EXISTS (SELECT 1 FROM person_history h WHERE h.person_id = persons.id)"
                .into(),
            0,
            "a corrected person's history has the correction".into(),
        ));
        c.extend(area_totals());
        c
    }
}

/// The area totals count what is under them: persons and households in each area.
pub fn area_totals() -> Vec<Check> {
    vec![
        (
            "SELECT COUNT(*) FROM areas a WHERE a.persons_here <> (SELECT COUNT(*) FROM persons p \
             JOIN households h ON h.id = p.household_id WHERE h.area_id = a.id)"
                .into(),
            0,
            "each area's person total is the persons in it".into(),
        ),
        (
            "SELECT COUNT(*) FROM areas a WHERE a.households_here <> \
             (SELECT COUNT(*) FROM households h WHERE h.area_id = a.id)"
                .into(),
            0,
            "each area's household total is the households in it".into(),
        ),
    ]
}
