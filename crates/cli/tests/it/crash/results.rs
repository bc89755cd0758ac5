//! Lab results (`POST /lab/results`), as a lab's system sends them: result k is tube k of a
//! round of pools of 20 sampled at setup, every fourth positive. A result carries no key: the
//! tube is the key, and a result resent after a kill finds it recorded (unchanged). A positive
//! pool is two writes: the result with its persons' flags (one transaction), then an urgent
//! home re-sampling task per flagged person. Afterwards each acknowledged result is on its
//! tube, each positive pool's persons are flagged, and every flagged person has their task,
//! once.

use doorstep_testkit::COMMUNITY;
use serde_json::{Value, json};

use super::fixture::person_id;
use super::{Ack, Check, Server, Workload, Write, id_of};

/// Persons per tube.
pub const POOL: u32 = 20;
/// The first roster person sampled (past those in home quarantine, who are sampled alone).
pub const FIRST: u32 = 200;

/// Results for the full tubes of one round.
pub struct Results {
    round: i64,
    tubes: usize,
}

impl Results {
    /// `admin` opens a round of pools of 20 and `sampler` samples roster persons 200.. into
    /// tubes LB000000, LB000001, … (batches of 500 scans); only full tubes get results.
    pub fn setup(server: &Server, admin: &str, sampler: &str, persons: u32) -> Results {
        let tubes = ((persons - FIRST) / POOL) as usize;
        let round = sampled_round(
            server,
            (admin, sampler),
            "化验崩溃测试",
            tubes,
            Results::tube,
        );
        Results { round, tubes }
    }

    fn tube(k: usize) -> String {
        format!("LB{k:06}")
    }

    pub fn result(k: usize) -> &'static str {
        if k.is_multiple_of(4) {
            "positive"
        } else {
            "negative"
        }
    }
}

/// `admin` opens a round named `name` of pools of 20 and `sampler` samples roster persons
/// 200.. into `tubes` full tubes, tube k coded `code(k)` (batches of 500 scans). Its id.
pub fn sampled_round(
    server: &Server,
    (admin, sampler): (&str, &str),
    name: &str,
    tubes: usize,
    code: fn(usize) -> String,
) -> i64 {
    let body = json!({"area": COMMUNITY, "name": name, "pool_size": POOL});
    let (st, v) = server.call("POST", "/api/v1/rounds", Some(admin), &body.to_string());
    assert_eq!(st, 201, "{v}");
    let round = id_of(&v, "id");
    let path = format!("/api/v1/rounds/{round}/status");
    let (st, v) = server.call(
        "POST",
        &path,
        Some(admin),
        &json!({"status": "open"}).to_string(),
    );
    assert_eq!(st, 200, "{v}");
    let scans: Vec<Value> = (FIRST..FIRST + POOL * tubes as u32)
        .map(|p| {
            json!({"client_id": format!("lab-{p}"), "tube": code(((p - FIRST) / POOL) as usize),
                   "person": {"id_number": person_id(p)}})
        })
        .collect();
    let path = format!("/api/v1/rounds/{round}/scans/batch");
    for chunk in scans.chunks(500) {
        let (st, v) = server.call(
            "POST",
            &path,
            Some(sampler),
            &json!({"scans": chunk}).to_string(),
        );
        assert_eq!(st, 200, "{v}");
    }
    round
}

impl Workload for Results {
    fn name(&self) -> &'static str {
        "lab results"
    }

    fn write(&self, k: usize) -> Option<Write> {
        if k >= self.tubes {
            return None;
        }
        let body = json!({"results": [{"tube": Results::tube(k), "result": Results::result(k)}]});
        Some(Write {
            method: "POST",
            path: "/api/v1/lab/results".into(),
            body: body.to_string(),
        })
    }

    fn acknowledges(&self, k: usize, status: u16, answer: &Value, resent: bool) -> bool {
        match status {
            200 => {
                let want = if resent {
                    answer["recorded"].as_u64().unwrap() + answer["unchanged"].as_u64().unwrap()
                } else {
                    answer["recorded"].as_u64().unwrap()
                };
                assert_eq!(want, 1, "result {k}: {answer}");
                true
            }
            429 | 503 => false,
            _ => panic!("result {k} (resent: {resent}): unexpected {status}: {answer}"),
        }
    }

    fn replayed(&self, ack: &Ack, status: u16, answer: &Value) {
        assert_eq!(
            (status, &answer["recorded"], &answer["unchanged"]),
            (200, &json!(0), &json!(1)),
            "result {} sent again: {answer}",
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
                        "SELECT COUNT(*) FROM tubes WHERE round_id = {r} AND code = '{}' \
                         AND result = '{}'",
                        Results::tube(a.k),
                        Results::result(a.k)
                    ),
                    1,
                    format!("acknowledged result {} is on its tube", a.k),
                )
            })
            .collect();
        let positive = acks.iter().filter(|a| a.k.is_multiple_of(4)).count() as i64;
        c.push((
            format!("SELECT COUNT(*) FROM tubes WHERE round_id = {r} AND result IS NOT NULL"),
            acks.len() as i64,
            "a result on exactly the acknowledged tubes".into(),
        ));
        c.push((
            format!(
                "SELECT COUNT(*) FROM sample_flags WHERE round_id = {r} AND status = 'flagged'"
            ),
            positive * i64::from(POOL),
            "every person of a positive pool is flagged, no one else".into(),
        ));
        c.push((
            format!(
                "SELECT COUNT(*) FROM sample_flags f WHERE f.round_id = {r} AND NOT EXISTS \
                 (SELECT 1 FROM tasks t WHERE t.source = 'positive' AND t.source_key = \
                 CAST(f.round_id AS TEXT) || ':' || CAST(f.person_id AS TEXT))"
            ),
            0,
            "every flagged person has their home re-sampling task".into(),
        ));
        c.push((
            format!(
                "SELECT COUNT(*) FROM tasks WHERE source = 'positive' AND source_key LIKE '{r}:%'"
            ),
            positive * i64::from(POOL),
            "one re-sampling task per flagged person".into(),
        ));
        c
    }
}

// The state a kill between a positive pool's flags and its tasks leaves, made by hand (the
// tasks deleted): the lab's resend makes them, once, and a second resend makes none.
doorstep_testkit::both_backends!(
    a_resent_positive_pool_makes_the_tasks_a_crash_left_missing,
    async |db: &doorstep_testkit::TestDb| {
        use doorstep_app::access::{Ctx, Principal};
        use doorstep_app::rounds::{
            LabDesk, PersonRef, ResultInput, RoundDesk, RoundForm, ScanInput,
        };
        use doorstep_core::{Role, RoundStatus};

        let store = db.store.as_ref();
        crate::crash::fixture::community(db, 300).await;
        let (office, ctx) = (Principal::office(), Ctx::default());
        let desk = RoundDesk::new(store, &office, &ctx);
        let round = desk
            .create(&RoundForm {
                area: COMMUNITY.into(),
                name: "复采".into(),
                pool_size: 10,
                ..RoundForm::default()
            })
            .await
            .unwrap();
        desk.set_status(round.id, RoundStatus::Open).await.unwrap();
        let sampler = doorstep_testkit::user(store, "s2", Role::Sampler, COMMUNITY).await;
        let scans = RoundDesk::new(store, &sampler, &ctx);
        for p in FIRST..FIRST + 10 {
            scans
                .scan(
                    round.id,
                    &ScanInput {
                        client_id: format!("c{p}"),
                        tube: "RS000001".into(),
                        person: PersonRef::IdNumber(person_id(p)),
                        retest: false,
                        point: None,
                    },
                )
                .await
                .unwrap();
        }
        let lab = doorstep_testkit::user(store, "lab2", Role::Lab, COMMUNITY).await;
        let lab = LabDesk::new(store, &lab, &ctx);
        let positive = [ResultInput {
            tube: "RS000001".into(),
            result: "positive".into(),
            tested_at: String::new(),
        }];
        let first = lab.results(&positive).await.unwrap();
        assert_eq!((first.recorded, first.flagged, first.tasks), (1, 10, 10));
        let tasks = "SELECT COUNT(*) FROM tasks WHERE source = 'positive'";
        let crash = [
            "DELETE FROM task_events WHERE task_id IN (SELECT id FROM tasks WHERE source = 'positive')",
            "DELETE FROM tasks WHERE source = 'positive'",
        ];
        for sql in crash {
            db.execute_raw(sql).await.unwrap();
        }
        assert_eq!(db.query_i64(tasks).await, 0);
        let again = lab.results(&positive).await.unwrap();
        assert_eq!((again.recorded, again.unchanged), (0, 1));
        assert_eq!(db.query_i64(tasks).await, 10, "the resend made the tasks");
        let third = lab.results(&positive).await.unwrap();
        assert_eq!((third.unchanged, third.tasks), (1, 0));
        assert_eq!(db.query_i64(tasks).await, 10, "and never twice");
    }
);
