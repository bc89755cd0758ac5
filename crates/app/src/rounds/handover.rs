//! The handover slip (交接单): sealed boxes from a sampling point to a lab, with the sender's
//! signature at handover and the lab receiver's at receipt, the transport temperature rule,
//! and the counts reconciled box by box; the transport group's pickup list; the lab's
//! receipt of a box by scan.
//!
//! Access: `Action::Transport` hands boxes over and sees the pickup list inside the user's
//! area (boxes belong to the area of the sampling point that opened them); `Action::LabResults`
//! receives, inside the round's area; a slip is seen by either side, and by `ManageRounds`
//! over its area. Everything else is 404.

use doorstep_core::handover::{Temperature, check_temperature};
use doorstep_core::problem::FieldProblem;
use doorstep_core::{AreaPath, BoxStatus, Conflict, Problem, TubeCode};
use doorstep_store::{BoxReceipt, Handover, NewHandover, Store, TransportBox, audit_with};
use serde_json::json;

use crate::access::{Action, Ctx, Principal};
use crate::error::{AppError, AppResult};

/// A handover as a form or the API gives it.
#[derive(Debug, Clone, Default)]
pub struct HandoverForm {
    /// Box codes (at least one, sealed, of one sampling point).
    pub boxes: Vec<String>,
    /// Who carries them.
    pub carrier: String,
    /// To which lab.
    pub lab: String,
    /// Packaging intact.
    pub packaging_intact: bool,
    /// Disinfected.
    pub disinfected: bool,
    /// The temperature (°C) if measured at handover; blank: none yet.
    pub temperature: String,
}

/// One box as the lab counted it, as typed.
#[derive(Debug, Clone, Default)]
pub struct ReceiptInput {
    /// The box code.
    pub code: String,
    /// Tubes counted.
    pub tubes: i64,
    /// Why the count differs from the seal's (needed when it does).
    pub note: String,
}

/// The most boxes one slip carries.
pub const MAX_BOXES: usize = 200;

/// Handover slips as one user may use them.
pub struct HandoverDesk<'a> {
    store: &'a dyn Store,
    who: &'a Principal,
    ctx: &'a Ctx,
}

fn invalid(field: impl Into<String>, p: Problem) -> AppError {
    AppError::Validation(vec![FieldProblem::new(field, p)])
}

fn temperature(raw: &str) -> AppResult<Option<Temperature>> {
    match raw.trim() {
        "" => Ok(None),
        t => Temperature::parse(t)
            .map(Some)
            .map_err(|p| invalid("temperature", p)),
    }
}

fn text(field: &str, raw: &str, problems: &mut Vec<FieldProblem>) -> String {
    let v = raw.trim().to_string();
    if v.is_empty() {
        problems.push(FieldProblem::new(field, Problem::Required));
    } else if v.chars().count() > 60 {
        problems.push(FieldProblem::new(field, Problem::TooLong { max: 60 }));
    }
    v
}

impl<'a> HandoverDesk<'a> {
    /// The desk for `who`.
    pub fn new(store: &'a dyn Store, who: &'a Principal, ctx: &'a Ctx) -> HandoverDesk<'a> {
        HandoverDesk { store, who, ctx }
    }

    /// The box with `code` as typed (a code that does not parse is not found), else 404;
    /// the callers check who may act on it.
    async fn box_by_code(&self, code: &str) -> AppResult<TransportBox> {
        let code = TubeCode::parse(code).map_err(|_| AppError::NotFound)?;
        self.store
            .box_by_code(&code)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// A box this user may hand over (Transport, inside their area), else 404 / 403.
    async fn own_box(&self, code: &str) -> AppResult<TransportBox> {
        let b = self.box_by_code(code).await?;
        self.who.authorize(Action::Transport, &b.area_path)?;
        Ok(b)
    }

    /// Hands sealed boxes over on one slip, signed by this user now: every box sealed, of one
    /// round and one sampling point; carrier and lab required; a temperature, if given, read
    /// as °C. Audited.
    pub async fn create(&self, form: &HandoverForm) -> AppResult<Handover> {
        if !self.who.may(Action::Transport) {
            return Err(AppError::Forbidden);
        }
        let mut problems = Vec::new();
        let carrier = text("carrier", &form.carrier, &mut problems);
        let lab = text("lab", &form.lab, &mut problems);
        let temp = match temperature(&form.temperature) {
            Ok(t) => t,
            Err(AppError::Validation(p)) => {
                problems.extend(p);
                None
            }
            Err(e) => return Err(e),
        };
        let codes: Vec<&str> = form
            .boxes
            .iter()
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .collect();
        if codes.is_empty() {
            problems.push(FieldProblem::new("boxes", Problem::Required));
        } else if codes.len() > MAX_BOXES {
            problems.push(FieldProblem::new(
                "boxes",
                Problem::TooLong { max: MAX_BOXES },
            ));
        }
        if !problems.is_empty() {
            return Err(AppError::Validation(problems));
        }
        let mut boxes: Vec<TransportBox> = Vec::with_capacity(codes.len());
        for code in codes {
            let b = self.own_box(code).await?;
            if !boxes.iter().any(|x| x.id == b.id) {
                boxes.push(b);
            }
        }
        let first = &boxes[0];
        for (i, b) in boxes.iter().enumerate() {
            if b.round_id != first.round_id || b.area_path != first.area_path {
                problems.push(FieldProblem::new(format!("boxes[{i}]"), Problem::Choice));
            }
        }
        if !problems.is_empty() {
            return Err(AppError::Validation(problems));
        }
        if boxes.iter().any(|b| b.status != BoxStatus::Sealed) {
            return Err(AppError::Conflict(Conflict::BoxStatus));
        }
        let new = NewHandover {
            round_id: first.round_id,
            area_path: first.area_path.clone(),
            boxes: boxes.iter().map(|b| b.code.clone()).collect(),
            lab,
            carrier,
            packaging_intact: form.packaging_intact,
            disinfected: form.disinfected,
            temperature: temp,
            sent_by: self.who.username().to_string(),
            at: self.ctx.now(),
        };
        let entry = self.who.audit_entry(
            self.ctx,
            "handover.create",
            None,
            Some(&first.area_path),
            serde_json::Value::Null,
        );
        let codes: Vec<String> = boxes.iter().map(|b| b.code.to_string()).collect();
        Ok(self
            .store
            .create_handover(
                &new,
                audit_with(move |h: &Handover| {
                    let mut e = entry;
                    e.object_type = Some("handover".into());
                    e.object_id = Some(h.id);
                    e.details = json!({"boxes": codes, "carrier": h.carrier, "lab": h.lab});
                    vec![e]
                }),
            )
            .await?)
    }

    /// Whether this user may see a slip: the sending side over its area, the lab over the
    /// round's.
    async fn sees(&self, h: &Handover) -> AppResult<bool> {
        if (self.who.may(Action::Transport) || self.who.may(Action::ManageRounds))
            && self.who.covers(&h.area_path)
        {
            return Ok(true);
        }
        if self.who.may(Action::LabResults) {
            let round = self.store.round(h.round_id).await?;
            return Ok(round.is_some_and(|r| self.who.covers(&r.area_path)));
        }
        Ok(false)
    }

    /// A slip with its boxes (404 unless this user may see it).
    pub async fn handover(&self, id: i64) -> AppResult<(Handover, Vec<TransportBox>)> {
        let (h, boxes) = self.store.handover(id).await?.ok_or(AppError::NotFound)?;
        if !self.sees(&h).await? {
            return Err(AppError::NotFound);
        }
        Ok((h, boxes))
    }

    /// A round's slips this user may see, newest first.
    pub async fn handovers(&self, round_id: i64) -> AppResult<Vec<Handover>> {
        let round = self
            .store
            .round(round_id)
            .await?
            .ok_or(AppError::NotFound)?;
        // Only who may see some slip, and a round of their area: otherwise the answer (an
        // empty list) would tell that a round id exists elsewhere.
        let sees_slips = [Action::Transport, Action::ManageRounds, Action::LabResults]
            .into_iter()
            .any(|a| self.who.may(a));
        let meets = self
            .who
            .area()
            .is_none_or(|a| a.contains(&round.area_path) || round.area_path.contains(a));
        if !sees_slips || !meets {
            return Err(AppError::NotFound);
        }
        let all = self.store.handovers(round.id).await?;
        let mut out = Vec::new();
        for h in all {
            if self.sees(&h).await? {
                out.push(h);
            }
        }
        Ok(out)
    }

    /// The latest slips (at most 20) from sampling points in this user's area, newest first
    /// (the sending side's list: `Transport` or `ManageRounds`).
    pub async fn recent(&self) -> AppResult<Vec<Handover>> {
        if !(self.who.may(Action::Transport) || self.who.may(Action::ManageRounds)) {
            return Err(AppError::Forbidden);
        }
        Ok(self.store.recent_handovers(self.who.area(), 20).await?)
    }

    /// Sealed boxes waiting for pickup in this user's area, oldest seal first.
    pub async fn waiting(&self) -> AppResult<Vec<TransportBox>> {
        if !self.who.may(Action::Transport) {
            return Err(AppError::Forbidden);
        }
        Ok(self.store.waiting_boxes(self.who.area()).await?)
    }

    /// The lab receives a slip's boxes with its own counts and signs it: each box listed must
    /// be on the slip; a count that differs from the seal's needs its note (`count_mismatch`);
    /// a transport of 2 hours or more needs a temperature (`temperature_required`), the
    /// slip's own or one given now. The slip is signed once all its boxes are received.
    pub async fn receive(
        &self,
        id: i64,
        receipts: &[ReceiptInput],
        temperature_raw: &str,
    ) -> AppResult<Handover> {
        let (h, boxes) = self.store.handover(id).await?.ok_or(AppError::NotFound)?;
        let round = self
            .store
            .round(h.round_id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.who.authorize(Action::LabResults, &round.area_path)?;
        let given = temperature(temperature_raw)?;
        let now = self.ctx.now();
        let mut problems = Vec::new();
        let mut parsed = Vec::with_capacity(receipts.len());
        for (i, r) in receipts.iter().enumerate() {
            let found = TubeCode::parse(&r.code)
                .ok()
                .and_then(|c| boxes.iter().find(|b| b.code == c));
            let Some(b) = found else {
                problems.push(FieldProblem::new(
                    format!("boxes[{i}].code"),
                    Problem::Choice,
                ));
                continue;
            };
            if b.status == BoxStatus::Received {
                continue;
            }
            let note = r.note.trim();
            if note.chars().count() > 200 {
                problems.push(FieldProblem::new(
                    format!("boxes[{i}].note"),
                    Problem::TooLong { max: 200 },
                ));
            }
            if r.tubes < 0 {
                problems.push(FieldProblem::new(
                    format!("boxes[{i}].tubes"),
                    Problem::Choice,
                ));
            }
            parsed.push((b, r.tubes, note.to_string()));
        }
        if !problems.is_empty() {
            return Err(AppError::Validation(problems));
        }
        if parsed.is_empty() {
            return Err(invalid("boxes", Problem::Required));
        }
        let temp = check_temperature(h.handed_at, now, h.temperature, given)
            .map_err(|p| invalid("temperature", p))?;
        if parsed
            .iter()
            .any(|(b, tubes, note)| *tubes != b.tubes && note.is_empty())
        {
            return Err(AppError::Conflict(Conflict::CountMismatch));
        }
        let receipts: Vec<BoxReceipt> = parsed
            .iter()
            .map(|(b, tubes, note)| BoxReceipt {
                code: b.code.clone(),
                tubes: *tubes,
                note: note.clone(),
            })
            .collect();
        self.receive_audited(&receipts, temp, &round.area_path)
            .await?;
        let (h, _) = self.store.handover(id).await?.ok_or(AppError::NotFound)?;
        Ok(h)
    }

    /// The lab receives one box by scanning its code (with or without a slip): its count
    /// reconciled with the seal's (a difference needs a note, `count_mismatch`); a box on a
    /// slip whose transport took 2 hours or more needs a temperature. Receiving a slip's last
    /// box signs the slip.
    pub async fn receive_box(
        &self,
        code: &str,
        tubes: i64,
        note: &str,
        temperature_raw: &str,
    ) -> AppResult<TransportBox> {
        let b = self.lab_box(code).await?;
        let round = self
            .store
            .round(b.round_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let note = note.trim();
        if note.chars().count() > 200 {
            return Err(invalid("note", Problem::TooLong { max: 200 }));
        }
        if tubes < 0 {
            return Err(invalid("tubes", Problem::Choice));
        }
        let given = temperature(temperature_raw)?;
        let temp = match b.handover_id {
            Some(id) => {
                let (h, _) = self.store.handover(id).await?.ok_or(AppError::NotFound)?;
                check_temperature(h.handed_at, self.ctx.now(), h.temperature, given)
                    .map_err(|p| invalid("temperature", p))?
            }
            None => given,
        };
        if tubes != b.tubes && note.is_empty() {
            return Err(AppError::Conflict(Conflict::CountMismatch));
        }
        let receipt = BoxReceipt {
            code: b.code.clone(),
            tubes,
            note: note.to_string(),
        };
        let mut done = self
            .receive_audited(&[receipt], temp, &round.area_path)
            .await?;
        done.pop().ok_or(AppError::NotFound)
    }

    /// A box the lab may receive (LabResults over its round's area), else 404 / 403.
    pub async fn lab_box(&self, code: &str) -> AppResult<TransportBox> {
        let b = self.box_by_code(code).await?;
        let round = self
            .store
            .round(b.round_id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.who.authorize(Action::LabResults, &round.area_path)?;
        Ok(b)
    }

    async fn receive_audited(
        &self,
        receipts: &[BoxReceipt],
        temp: Option<Temperature>,
        area: &AreaPath,
    ) -> AppResult<Vec<TransportBox>> {
        let entry = self.who.audit_entry(
            self.ctx,
            "box.receive",
            None,
            Some(area),
            serde_json::Value::Null,
        );
        Ok(self
            .store
            .receive_boxes(
                receipts,
                temp,
                self.who.username(),
                self.ctx.now(),
                audit_with(move |done: &Vec<TransportBox>| {
                    done.iter()
                        .map(|b| {
                            let mut e = entry.clone();
                            e.object_type = Some("box".into());
                            e.object_id = Some(b.id);
                            e.details = json!({"box": b.code.as_str(), "status": b.status.code(),
                                "tubes": b.tubes, "received_tubes": b.received_tubes,
                                "handover": b.handover_id});
                            e
                        })
                        .collect()
                }),
            )
            .await?)
    }
}
