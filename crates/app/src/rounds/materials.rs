//! Sampling materials (物资的领取和分发): the tube codes, box codes and swabs the transport
//! group hands each sampling point before dawn; what the point returned and spoiled; and the
//! day's reconciliation per point and kind (issued = used + returned + spoiled) with
//! "running low" warnings. The points themselves are in `points.rs`.
//!
//! Access: handing out materials and recording returns is `Action::Transport` or
//! `ManageRounds` at the point's place; reading them is reading the point.

use doorstep_core::daily::day_or;
use doorstep_core::materials::{Ledger, MaterialKind, parse_quantity};
use doorstep_core::problem::FieldProblem;
use doorstep_core::{CodeSet, Problem};
use doorstep_store::{BatchUse, MaterialBatch, MaterialCount, NewBatch, SamplingPoint, audit_with};
use serde_json::json;
use time::Date;

use super::RoundDesk;
use crate::access::Action;
use crate::error::{AppError, AppResult};

/// The codes of a batch as given.
#[derive(Debug, Clone, Default)]
pub enum CodesInput {
    /// None (swabs).
    #[default]
    None,
    /// What a person pasted into one box: a range or a list.
    Text(String),
    /// A range, `T0001-T0500`.
    Range(String),
    /// A list of codes.
    List(Vec<String>),
}

/// A batch handed to a point, as given.
#[derive(Debug, Clone, Default)]
pub struct BatchInput {
    /// `tube`, `box` or `swab` (or 试管码, 转运箱码, 拭子).
    pub kind: String,
    /// The day, `YYYY-MM-DD` (China); blank: today.
    pub day: String,
    /// The codes (tubes and boxes).
    pub codes: CodesInput,
    /// The count (swabs), as typed.
    pub quantity: String,
}

/// What a point returned and spoiled of one kind on a day, as typed.
#[derive(Debug, Clone, Default)]
pub struct CountInput {
    /// `tube`, `box` or `swab`.
    pub kind: String,
    /// The day, `YYYY-MM-DD`; blank: today.
    pub day: String,
    /// Given back.
    pub returned: String,
    /// Spoiled.
    pub spoiled: String,
}

/// One kind's account at a point on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindLedger {
    /// The kind.
    pub kind: MaterialKind,
    /// Issued, used, returned, spoiled.
    pub ledger: Ledger,
    /// The remaining count under which it is low.
    pub threshold: i64,
    /// Whether it is low.
    pub low: bool,
}

/// A point's materials on a day.
#[derive(Debug, Clone)]
pub struct PointMaterials {
    /// The point.
    pub point: SamplingPoint,
    /// The day.
    pub day: Date,
    /// One account per kind (tubes, boxes, swabs).
    pub ledgers: Vec<KindLedger>,
    /// The day's batches with their codes in use.
    pub batches: Vec<BatchUse>,
}

impl PointMaterials {
    /// Whether tube codes or box codes run low ("转运箱码够不够").
    pub fn low(&self) -> bool {
        self.ledgers.iter().any(|l| l.low)
    }
}

impl RoundDesk<'_> {
    /// A point this user may hand materials to: `Transport` or `ManageRounds` at its place.
    async fn supply_point(&self, round_id: i64, point_id: i64) -> AppResult<SamplingPoint> {
        let p = self.point(round_id, point_id).await?;
        if self.who.authorize(Action::Transport, &p.place).is_err() {
            self.who.authorize(Action::ManageRounds, &p.place)?;
        }
        Ok(p)
    }

    /// The kind and day of a batch or count form, each `None` with its problem pushed when it
    /// does not parse (a blank day is today).
    fn kind_and_day(
        &self,
        kind: &str,
        day: &str,
        problems: &mut Vec<FieldProblem>,
    ) -> (Option<MaterialKind>, Option<Date>) {
        let kind = MaterialKind::parse(kind);
        if kind.is_none() {
            problems.push(FieldProblem::new("kind", Problem::Choice));
        }
        let day = day_or(day, self.ctx.today())
            .map_err(|e| problems.push(FieldProblem::new("day", e)))
            .ok();
        (kind, day)
    }

    /// Records a batch handed to a point (tube codes, box codes as a range or a list; swabs
    /// as a count), audited.
    pub async fn add_batch(
        &self,
        round_id: i64,
        point_id: i64,
        input: &BatchInput,
    ) -> AppResult<MaterialBatch> {
        let p = self.supply_point(round_id, point_id).await?;
        let mut problems = Vec::new();
        let (kind, day) = self.kind_and_day(&input.kind, &input.day, &mut problems);
        let (codes, quantity) = match kind {
            Some(k) if k.coded() => {
                let set = match &input.codes {
                    CodesInput::None => Err(vec![FieldProblem::new("codes", Problem::Required)]),
                    CodesInput::Text(t) => CodeSet::parse_text(t),
                    CodesInput::Range(t) => {
                        CodeSet::parse_range(t).map_err(|e| vec![FieldProblem::new("range", e)])
                    }
                    CodesInput::List(l) => CodeSet::parse_list(l),
                };
                match set {
                    Ok(s) => {
                        let n = i64::try_from(s.len()).unwrap_or(i64::MAX);
                        (Some(s), n)
                    }
                    Err(mut e) => {
                        problems.append(&mut e);
                        (None, 0)
                    }
                }
            }
            Some(_) => match parse_quantity(&input.quantity) {
                Ok(0) => {
                    problems.push(FieldProblem::new("quantity", Problem::Required));
                    (None, 0)
                }
                Ok(n) => (None, n),
                Err(e) => {
                    problems.push(FieldProblem::new("quantity", e));
                    (None, 0)
                }
            },
            None => (None, 0),
        };
        let (Some(kind), Some(day)) = (kind, day) else {
            return Err(AppError::Validation(problems));
        };
        if !problems.is_empty() {
            return Err(AppError::Validation(problems));
        }
        let new = NewBatch {
            point_id: p.id,
            day,
            kind,
            codes,
            quantity,
        };
        let (who, ctx, place) = (self.who.clone(), self.ctx.clone(), p.place.clone());
        Ok(self
            .store
            .add_batch(
                &new,
                self.who.username(),
                audit_with(move |b: &MaterialBatch| {
                    vec![who.audit_entry(
                        &ctx,
                        "point.materials",
                        Some(("point", b.point_id)),
                        Some(&place),
                        json!({"round": round_id, "kind": b.kind.code(), "day": b.day.to_string(),
                            "quantity": b.quantity,
                            "codes": b.codes.as_ref().map(CodeSet::describe)}),
                    )]
                }),
            )
            .await?)
    }

    /// Sets what a point returned and spoiled of one kind on a day, audited.
    pub async fn set_counts(
        &self,
        round_id: i64,
        point_id: i64,
        input: &CountInput,
    ) -> AppResult<()> {
        let p = self.supply_point(round_id, point_id).await?;
        let mut problems = Vec::new();
        let (kind, day) = self.kind_and_day(&input.kind, &input.day, &mut problems);
        let returned = parse_quantity(&input.returned)
            .map_err(|e| problems.push(FieldProblem::new("returned", e)))
            .ok();
        let spoiled = parse_quantity(&input.spoiled)
            .map_err(|e| problems.push(FieldProblem::new("spoiled", e)))
            .ok();
        let (Some(kind), Some(day), Some(returned), Some(spoiled)) = (kind, day, returned, spoiled)
        else {
            return Err(AppError::Validation(problems));
        };
        let entry = self.who.audit_entry(
            self.ctx,
            "point.counts",
            Some(("point", p.id)),
            Some(&p.place),
            json!({"round": round_id, "kind": kind.code(), "day": day.to_string(),
                "returned": returned, "spoiled": spoiled}),
        );
        self.store
            .set_material_count(
                p.id,
                day,
                kind,
                MaterialCount { returned, spoiled },
                self.who.username(),
                audit_with(move |_| vec![entry]),
            )
            .await?;
        Ok(())
    }

    /// A point's materials on a day (blank: today): each kind's account and the batches.
    pub async fn point_materials(
        &self,
        round_id: i64,
        point_id: i64,
        day: &str,
    ) -> AppResult<PointMaterials> {
        let p = self.point(round_id, point_id).await?;
        let day = day_or(day, self.ctx.today())
            .map_err(|e| AppError::Validation(vec![FieldProblem::new("day", e)]))?;
        self.account(p, day).await
    }

    /// Every point's materials near this user on a day: the transport group's view of who
    /// needs more tube or box codes.
    pub async fn round_materials(
        &self,
        round_id: i64,
        day: &str,
    ) -> AppResult<Vec<PointMaterials>> {
        let points = self.points(round_id).await?;
        let day = day_or(day, self.ctx.today())
            .map_err(|e| AppError::Validation(vec![FieldProblem::new("day", e)]))?;
        let mut out = Vec::with_capacity(points.len());
        for p in points {
            out.push(self.account(p, day).await?);
        }
        Ok(out)
    }

    async fn account(&self, p: SamplingPoint, day: Date) -> AppResult<PointMaterials> {
        let used = self.store.point_day(&p, day).await?;
        let ledgers = MaterialKind::ALL
            .into_iter()
            .map(|kind| {
                let mine = used.batches.iter().filter(|b| b.batch.kind == kind);
                let issued = mine.clone().map(|b| b.batch.quantity).sum();
                // Swabs: one per person sampled into the point's tubes that day.
                let used_n = match kind {
                    MaterialKind::Swab => used
                        .batches
                        .iter()
                        .filter(|b| b.batch.kind == MaterialKind::Tube)
                        .map(|b| b.persons)
                        .sum(),
                    _ => mine.map(|b| b.used).sum(),
                };
                let count = used
                    .counts
                    .iter()
                    .find(|(k, _)| *k == kind)
                    .map(|(_, c)| *c)
                    .unwrap_or_default();
                let ledger = Ledger {
                    issued,
                    used: used_n,
                    returned: count.returned,
                    spoiled: count.spoiled,
                };
                KindLedger {
                    kind,
                    ledger,
                    threshold: kind.low_rule().threshold(issued),
                    low: ledger.low(kind),
                }
            })
            .collect();
        Ok(PointMaterials {
            point: p,
            day,
            ledgers,
            batches: used.batches,
        })
    }
}
