//! The chain of custody: closed tubes into boxes (装箱), sealing (封箱) with the check for
//! tubes left out, handover (交接), the lab's receipt with its count reconciled, tube results
//! from the lab, and what a positive pool sets off: its persons flagged and a home re-sampling
//! task for each, routed to their buildings' owners through the task model.

use std::collections::HashMap;

use doorstep_core::problem::FieldProblem;
use doorstep_core::{AreaPath, Problem, Target, TubeCode, TubeResult};
use doorstep_store::{
    BoxStep, CustodyEvent, Flag, NewResult, ResultOutcome, TransportBox, Tube, audit_with,
};
use serde_json::json;

use super::RoundDesk;
use crate::access::{Action, Principal};
use crate::error::{AppError, AppResult};
use crate::tasks::{TaskDesk, TaskInput, TaskTemplate, parse_due};

/// The most results one call records: a district lab's day (100,000 tubes) with room to spare.
pub const MAX_RESULTS: usize = 200_000;

/// One result as the lab sends it.
#[derive(Debug, Clone)]
pub struct ResultInput {
    /// The tube code.
    pub tube: String,
    /// `negative`, `positive`, `invalid` (or 阴性, 阳性, 无效).
    pub result: String,
    /// When tested (RFC 3339, `YYYY-MM-DDTHH:MM`, China time); blank: now.
    pub tested_at: String,
}

/// What a call of results did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResultsDone {
    /// Results recorded now.
    pub recorded: usize,
    /// Results the same as recorded before (a resent file).
    pub unchanged: usize,
    /// Tubes with a different result already (listed by code).
    pub different: Vec<String>,
    /// Codes of no tube this lab may see.
    pub unknown: Vec<String>,
    /// Persons flagged by positive pools now.
    pub flagged: usize,
    /// Home re-sampling tasks made for them.
    pub tasks: usize,
}

impl RoundDesk<'_> {
    fn near(&self, area: &AreaPath) -> bool {
        self.who.covers(area) || self.who.area().is_some_and(|a| area.contains(a))
    }

    fn code(raw: &str, field: &str) -> AppResult<TubeCode> {
        TubeCode::parse(raw).map_err(|p| AppError::Validation(vec![FieldProblem::new(field, p)]))
    }

    /// Opens a box (or answers the open one with this code) at this user's sampling point.
    pub async fn open_box(&self, round_id: i64, code: &str) -> AppResult<TransportBox> {
        let r = self.round(round_id).await?;
        if !self.who.may(Action::Transport) {
            return Err(AppError::Forbidden);
        }
        let code = Self::code(code, "code")?;
        let area = self.who.area().cloned().unwrap_or(r.area_path.clone());
        Ok(self
            .store
            .open_box(r.id, &code, &area, self.who.username())
            .await?)
    }

    /// A box with its tubes and, while it is open, the tubes of its area still open or in no
    /// box (to deal with before sealing).
    pub async fn transport_box(
        &self,
        round_id: i64,
        code: &str,
    ) -> AppResult<(TransportBox, Vec<Tube>, Vec<Tube>)> {
        let r = self.round(round_id).await?;
        let code = TubeCode::parse(code).map_err(|_| AppError::NotFound)?;
        let (b, tubes) = self
            .store
            .transport_box(r.id, &code)
            .await?
            .ok_or(AppError::NotFound)?;
        if !self.near(&b.area_path) {
            return Err(AppError::NotFound);
        }
        let pending = if b.status == doorstep_core::BoxStatus::Open {
            self.store.unboxed_tubes(r.id, &b.area_path).await?
        } else {
            Vec::new()
        };
        Ok((b, tubes, pending))
    }

    /// Puts a closed tube into an open box.
    pub async fn box_tube(&self, round_id: i64, code: &str, tube: &str) -> AppResult<TransportBox> {
        let (b, _, _) = self.transport_box(round_id, code).await?;
        if !self.who.may(Action::Transport) {
            return Err(AppError::Forbidden);
        }
        let tube = Self::code(tube, "tube")?;
        Ok(self
            .store
            .box_tube(round_id, &b.code, &tube, self.who.username())
            .await?)
    }

    /// Seals, hands over or (at the lab, through [`LabDesk`]) receives a box, audited.
    pub async fn move_box(
        &self,
        round_id: i64,
        code: &str,
        step: BoxStep,
    ) -> AppResult<TransportBox> {
        let (b, _, _) = self.transport_box(round_id, code).await?;
        if !self.who.may(Action::Transport) {
            return Err(AppError::Forbidden);
        }
        if let BoxStep::HandOver { carrier, lab, .. } = &step {
            let mut problems = Vec::new();
            for (field, v) in [("carrier", carrier), ("lab", lab)] {
                if v.trim().is_empty() {
                    problems.push(FieldProblem::new(field, Problem::Required));
                } else if v.chars().count() > 60 {
                    problems.push(FieldProblem::new(field, Problem::TooLong { max: 60 }));
                }
            }
            if !problems.is_empty() {
                return Err(AppError::Validation(problems));
            }
        }
        move_audited(self.store, self.who, self.ctx, round_id, &b, step).await
    }

    /// A tube's custody timeline.
    pub async fn tube_timeline(
        &self,
        round_id: i64,
        code: &str,
    ) -> AppResult<(Tube, Vec<CustodyEvent>)> {
        let (tube, _) = self.tube(round_id, code).await?;
        let events = self.store.tube_timeline(tube.id).await?;
        Ok((tube, events))
    }

    /// A box's custody timeline.
    pub async fn box_timeline(
        &self,
        round_id: i64,
        code: &str,
    ) -> AppResult<(TransportBox, Vec<CustodyEvent>)> {
        let (b, _, _) = self.transport_box(round_id, code).await?;
        let events = self.store.box_timeline(b.id).await?;
        Ok((b, events))
    }

    /// The round's boxes in this user's area.
    pub async fn boxes(&self, round_id: i64) -> AppResult<Vec<TransportBox>> {
        let r = self.round(round_id).await?;
        let mut all = self.store.boxes(r.id).await?;
        all.retain(|b| self.near(&b.area_path));
        Ok(all)
    }

    /// The persons a positive pool flagged in this user's area, with their file.
    pub async fn flags(&self, round_id: i64) -> AppResult<Vec<(Flag, doorstep_store::Person)>> {
        let r = self.round(round_id).await?;
        let flags = self.store.flags(r.id).await?;
        let ids: Vec<i64> = flags.iter().map(|f| f.person_id).collect();
        let persons: HashMap<i64, doorstep_store::Person> = self
            .store
            .persons_by_ids(&ids)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        Ok(flags
            .into_iter()
            .filter_map(|f| persons.get(&f.person_id).cloned().map(|p| (f, p)))
            .filter(|(_, p)| self.who.covers(&p.area_path))
            .collect())
    }
}

async fn move_audited(
    store: &dyn doorstep_store::Store,
    who: &Principal,
    ctx: &crate::access::Ctx,
    round_id: i64,
    b: &TransportBox,
    step: BoxStep,
) -> AppResult<TransportBox> {
    let action = match &step {
        BoxStep::Seal { .. } => "box.seal",
        BoxStep::HandOver { .. } => "box.hand_over",
        BoxStep::Receive { .. } => "box.receive",
    };
    let entry = who.audit_entry(
        ctx,
        action,
        Some(("box", b.id)),
        Some(&b.area_path),
        serde_json::Value::Null,
    );
    Ok(store
        .move_box(
            round_id,
            &b.code,
            &step,
            audit_with(move |b: &TransportBox| {
                let mut e = entry;
                e.details = json!({"box": b.code.as_str(), "status": b.status.code(), "tubes": b.tubes,
                                   "received_tubes": b.received_tubes});
                vec![e]
            }),
        )
        .await?)
}

/// The rows of a results file that read well, and the problems of the others.
fn read_results(
    path: &std::path::Path,
    lang: doorstep_core::Lang,
) -> Result<(Vec<ResultInput>, Vec<crate::import::RowError>), crate::import::reader::FileError> {
    use doorstep_core::testing::ResultColumn;
    let mut reader = crate::import::reader::RosterReader::<ResultColumn>::open(path)?;
    let index = reader.field_index();
    let headers: Vec<(ResultColumn, String)> = [
        ResultColumn::Tube,
        ResultColumn::Result,
        ResultColumn::TestedAt,
    ]
    .into_iter()
    .map(|c| (c, reader.header_of(c)))
    .collect();
    let header = |c: ResultColumn| {
        headers
            .iter()
            .find(|(x, _)| *x == c)
            .map(|(_, h)| h.clone())
            .unwrap_or_default()
    };
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    while let Some(next) = reader.next_row() {
        let (raw, _) = next?;
        let cell = |c: ResultColumn| {
            index
                .get(&c)
                .and_then(|&i| raw.cells.get(i))
                .map(|x| x.text().trim().to_string())
                .unwrap_or_default()
        };
        if raw.cells.iter().all(|c| c.text().trim().is_empty()) {
            continue;
        }
        let mut problem = |c: ResultColumn, p: Problem| {
            errors.push(crate::import::RowError {
                row: raw.row,
                column: header(c),
                code: p.code().to_string(),
                message: p.message(lang),
            });
        };
        let input = ResultInput {
            tube: cell(ResultColumn::Tube),
            result: cell(ResultColumn::Result),
            tested_at: cell(ResultColumn::TestedAt).replace(' ', "T"),
        };
        let mut ok = true;
        if let Err(p) = TubeCode::parse(&input.tube) {
            problem(ResultColumn::Tube, p);
            ok = false;
        }
        if TubeResult::parse(&input.result).is_none() {
            problem(ResultColumn::Result, Problem::Choice);
            ok = false;
        }
        if let Err(p) = parse_due(&input.tested_at) {
            problem(ResultColumn::TestedAt, p);
            ok = false;
        }
        if ok {
            rows.push(input);
        }
    }
    Ok((rows, errors))
}

/// The lab's desk: receive boxes, record results.
pub struct LabDesk<'a> {
    store: &'a dyn doorstep_store::Store,
    who: &'a Principal,
    ctx: &'a crate::access::Ctx,
}

impl<'a> LabDesk<'a> {
    /// The desk for `who`.
    pub fn new(
        store: &'a dyn doorstep_store::Store,
        who: &'a Principal,
        ctx: &'a crate::access::Ctx,
    ) -> LabDesk<'a> {
        LabDesk { store, who, ctx }
    }

    /// Receives a sealed (or handed-over) box, counting its tubes: a count that differs from
    /// the seal's needs a note (Conflict `count_mismatch`), and is kept with it. The same
    /// path as the lab's scan page ([`super::HandoverDesk::receive_box`]), so receiving a
    /// slip's last box signs the slip.
    pub async fn receive(&self, code: &str, tubes: i64, note: &str) -> AppResult<TransportBox> {
        super::HandoverDesk::new(self.store, self.who, self.ctx)
            .receive_box(code, tubes, note, "")
            .await
    }

    /// Records results: every row checked first (its problems at `results[i].field`), then
    /// all in one transaction. A result reaches every person in the tube; a positive pool
    /// flags them and makes an urgent home re-sampling task for each, routed to their
    /// building's owner. A resent result changes nothing, but makes any re-sampling task a
    /// server killed before it was made left missing.
    pub async fn results(&self, rows: &[ResultInput]) -> AppResult<ResultsDone> {
        if !self.who.may(Action::LabResults) {
            return Err(AppError::Forbidden);
        }
        if rows.len() > MAX_RESULTS {
            return Err(AppError::Validation(vec![FieldProblem::new(
                "results",
                Problem::TooLong { max: MAX_RESULTS },
            )]));
        }
        let now = self.ctx.now();
        let mut problems = Vec::new();
        let mut parsed = Vec::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            let tube = TubeCode::parse(&r.tube)
                .map_err(|p| problems.push(FieldProblem::new(format!("results[{i}].tube"), p)))
                .ok();
            let result = TubeResult::parse(&r.result);
            if result.is_none() {
                problems.push(FieldProblem::new(
                    format!("results[{i}].result"),
                    Problem::Choice,
                ));
            }
            let at = parse_due(&r.tested_at)
                .map_err(|p| problems.push(FieldProblem::new(format!("results[{i}].tested_at"), p)))
                .ok()
                .flatten()
                .unwrap_or(now);
            if let (Some(tube), Some(result)) = (tube, result) {
                parsed.push(NewResult {
                    tube,
                    result,
                    tested_at: at,
                });
            }
        }
        if !problems.is_empty() {
            return Err(AppError::Validation(problems));
        }
        // Only tubes of rounds inside the lab's area: the rest are unknown to it.
        let codes: Vec<TubeCode> = parsed.iter().map(|r| r.tube.clone()).collect();
        let seen: HashMap<TubeCode, (i64, AreaPath)> = self
            .store
            .tube_rounds(&codes)
            .await?
            .into_iter()
            .filter(|(_, _, area)| self.who.covers(area))
            .map(|(c, r, a)| (c, (r, a)))
            .collect();
        let mut done = ResultsDone::default();
        let (known, unknown): (Vec<NewResult>, Vec<NewResult>) =
            parsed.into_iter().partition(|r| seen.contains_key(&r.tube));
        done.unknown = unknown.iter().map(|r| r.tube.to_string()).collect();
        let entry =
            self.who
                .audit_entry(self.ctx, "lab.results", None, None, serde_json::Value::Null);
        let outcomes = self
            .store
            .record_results(
                &known,
                self.who.username(),
                audit_with(move |o: &Vec<ResultOutcome>| {
                    let mut e = entry;
                    e.details = json!({"results": o.len()});
                    vec![e]
                }),
            )
            .await?;
        let mut flagged: Vec<(i64, i64)> = Vec::new();
        // Positive pools recorded before: their persons' tasks may be missing (see below).
        let mut resent: Vec<(i64, TubeCode)> = Vec::new();
        for (r, o) in known.iter().zip(&outcomes) {
            match o {
                ResultOutcome::Recorded {
                    round_id,
                    flagged: f,
                    ..
                } => {
                    done.recorded += 1;
                    flagged.extend(f.iter().map(|p| (*round_id, *p)));
                }
                ResultOutcome::Unchanged => {
                    done.unchanged += 1;
                    if let (TubeResult::Positive, Some((round, _))) = (r.result, seen.get(&r.tube))
                    {
                        resent.push((*round, r.tube.clone()));
                    }
                }
                ResultOutcome::Different => done.different.push(r.tube.to_string()),
                ResultOutcome::UnknownTube => done.unknown.push(r.tube.to_string()),
            }
        }
        done.flagged = flagged.len();
        done.tasks = self.resample_tasks(&flagged).await?;
        self.resample_tasks_left(&resent).await?;
        Ok(done)
    }

    /// The re-sampling tasks of positive pools sent again. The result and its flags are one
    /// transaction and the tasks the next, so a server killed between them answered nothing
    /// and kept the flags without their tasks; the lab's resend finds the result recorded
    /// (unchanged) and makes them here. They are keyed by round and person: a task made
    /// before is not made again (and not counted: `tasks` counts those of persons this call
    /// flagged).
    async fn resample_tasks_left(&self, resent: &[(i64, TubeCode)]) -> AppResult<()> {
        let mut rounds: Vec<i64> = resent.iter().map(|(r, _)| *r).collect();
        rounds.sort_unstable();
        rounds.dedup();
        let mut still: Vec<(i64, i64)> = Vec::new();
        for round in rounds {
            for f in self.store.flags(round).await? {
                if f.status == "flagged" && resent.iter().any(|(r, t)| *r == round && *t == f.tube)
                {
                    still.push((round, f.person_id));
                }
            }
        }
        self.resample_tasks(&still).await?;
        Ok(())
    }

    /// Records a lab's results file (CSV in UTF-8 or GBK, or XLSX: 试管码, 检测结果, 检测时间),
    /// read by the one roster reader: a row with a problem is reported with its sheet row
    /// and column and left out, the others recorded as [`LabDesk::results`] does.
    pub async fn import_results(
        &self,
        path: std::path::PathBuf,
        lang: doorstep_core::Lang,
    ) -> AppResult<(ResultsDone, Vec<crate::import::RowError>)> {
        if !self.who.may(Action::LabResults) {
            return Err(AppError::Forbidden);
        }
        let (rows, errors) = tokio::task::spawn_blocking(move || read_results(&path, lang))
            .await
            .map_err(|e| AppError::Import(crate::import::ImportError::Internal(e)))?
            .map_err(|e| AppError::Import(crate::import::ImportError::File(e)))?;
        if rows.len() > MAX_RESULTS {
            return Err(AppError::Validation(vec![FieldProblem::new(
                "results",
                Problem::TooLong { max: MAX_RESULTS },
            )]));
        }
        let done = if rows.is_empty() {
            ResultsDone::default()
        } else {
            self.results(&rows).await?
        };
        Ok((done, errors))
    }

    /// An urgent home re-sampling task per flagged person (keyed by round and person, so a
    /// resent result makes none again), made by the office: the lab may not read the
    /// registry, the task model routes them.
    async fn resample_tasks(&self, flagged: &[(i64, i64)]) -> AppResult<usize> {
        if flagged.is_empty() {
            return Ok(0);
        }
        let mut names: HashMap<i64, String> = HashMap::new();
        for (round, _) in flagged {
            if let std::collections::hash_map::Entry::Vacant(v) = names.entry(*round) {
                let r = self.store.round(*round).await?.ok_or(AppError::NotFound)?;
                v.insert(r.name);
            }
        }
        let inputs: Vec<TaskInput> = flagged
            .iter()
            .map(|(round, person)| {
                let template = TaskTemplate {
                    kind: "home_sampling".into(),
                    due: String::new(),
                    priority: "urgent".into(),
                    note: format!(
                        "{}：混管阳性，请通知原地等待，上门单管复采",
                        names.get(round).map_or("", String::as_str)
                    ),
                };
                TaskInput {
                    source: "positive".into(),
                    source_key: Some(format!("{round}:{person}")),
                    ..template.task(Target::Person(*person), None)
                }
            })
            .collect();
        let office = Principal::office();
        let made = TaskDesk::new(self.store, &office, self.ctx)
            .create_many(&inputs)
            .await?;
        Ok(made.len())
    }
}
