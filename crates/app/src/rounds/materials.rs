//! Sampling points (采样点) as data and their materials (物资的领取和分发): a round's points
//! with name, place and staff; the tube codes, box codes and swabs the transport group hands
//! each point before dawn; what the point returned and spoiled; and the day's reconciliation
//! per point and kind (issued = used + returned + spoiled) with "running low" warnings.
//!
//! Access: setting points up is `Action::ManageRounds` at the point's place (a grid leader
//! sets up the points of their part of the community's round); handing out materials and
//! recording returns is `Action::Transport` or `ManageRounds` at the place; reading points
//! and materials needs any of the three round verbs, and a point whose place lies apart from the user's area (neither inside nor
//! above it) is not found.

use doorstep_core::materials::{Ledger, MaterialKind, parse_quantity};
use doorstep_core::problem::FieldProblem;
use doorstep_core::{AreaPath, CodeSet, Problem, TubeCode};
use doorstep_store::{
    BatchUse, MaterialBatch, MaterialCount, NewBatch, NewPoint, Round, SamplingPoint, audit_with,
};
use serde_json::json;
use time::Date;

use super::RoundDesk;
use crate::access::Action;
use crate::error::{AppError, AppResult};

/// The warning a scan answers when its tube is not in its point's tube batches.
pub const TUBE_OUTSIDE_BATCH: &str = "tube_outside_batch";

/// The most staff one point lists.
pub const MAX_STAFF: usize = 50;

/// A point as a form, the API or the CLI give it.
#[derive(Debug, Clone, Default)]
pub struct PointForm {
    /// Its name, e.g. 佳纷天地东门.
    pub name: String,
    /// Where it stands: an area path inside the round (a compound, usually).
    pub place: String,
    /// The user names working there.
    pub staff: Vec<String>,
}

impl PointForm {
    /// Staff as typed into one box: names separated by spaces, commas or 、.
    pub fn staff_from_text(raw: &str) -> Vec<String> {
        raw.split(|c: char| c.is_whitespace() || ",，、;；".contains(c))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

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

/// Reads a day, `YYYY-MM-DD`; blank is `today`.
pub fn parse_day(raw: &str, today: Date) -> Result<Date, Problem> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(today);
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, fmt).map_err(|_| Problem::DateValue)
}

impl RoundDesk<'_> {
    /// Whether a place lies inside this user's area or holds it.
    fn near_place(&self, place: &AreaPath) -> bool {
        self.who.covers(place) || self.who.area().is_some_and(|a| place.contains(a))
    }

    /// A round for the materials' users: those who set rounds up, sample, or transport
    /// (the transport group sees the round's points and materials, nothing of persons).
    async fn materials_round(&self, id: i64) -> AppResult<Round> {
        let may = [Action::ManageRounds, Action::Sample, Action::Transport]
            .into_iter()
            .any(|a| self.who.may(a));
        let r = self.store.round(id).await?.ok_or(AppError::NotFound)?;
        let meets = match self.who.area() {
            None => true,
            Some(a) => a.contains(&r.area_path) || r.area_path.contains(a),
        };
        if !meets {
            return Err(AppError::NotFound);
        }
        if !may {
            return Err(AppError::Forbidden);
        }
        Ok(r)
    }

    /// The round's sampling points near this user's area, by name.
    pub async fn points(&self, round_id: i64) -> AppResult<Vec<SamplingPoint>> {
        let r = self.materials_round(round_id).await?;
        let all = self.store.round_points(r.id).await?;
        Ok(all
            .iter()
            .filter(|p| {
                self.near_place(&p.place) || p.staff.iter().any(|s| s == self.who.username())
            })
            .cloned()
            .collect())
    }

    /// One point of the round (NotFound in another round or apart from the user's area).
    pub async fn point(&self, round_id: i64, point_id: i64) -> AppResult<SamplingPoint> {
        self.points(round_id)
            .await?
            .into_iter()
            .find(|p| p.id == point_id)
            .ok_or(AppError::NotFound)
    }

    /// Reads a point form: a name, a place inside the round and the user's area, staff who
    /// are users.
    async fn read_point(&self, r: &Round, form: &PointForm) -> AppResult<NewPoint> {
        let mut problems = Vec::new();
        let name = form.name.trim().to_string();
        if name.is_empty() {
            problems.push(FieldProblem::new("name", Problem::Required));
        } else if name.chars().count() > 40 {
            problems.push(FieldProblem::new("name", Problem::TooLong { max: 40 }));
        }
        let place = match AreaPath::parse(form.place.trim()) {
            Ok(p) if r.areas.iter().any(|a| a.contains(&p)) => {
                // Outside the user's area: as if it did not exist.
                self.who.authorize(Action::ManageRounds, &p)?;
                match self.store.area_by_path(&p).await? {
                    Some(a) => Some(a.path),
                    None => {
                        problems.push(FieldProblem::new("place", Problem::Choice));
                        None
                    }
                }
            }
            Ok(_) => {
                problems.push(FieldProblem::new("place", Problem::OutsideArea));
                None
            }
            Err(p) => {
                problems.push(FieldProblem::new("place", p));
                None
            }
        };
        let mut staff: Vec<String> = Vec::new();
        for s in &form.staff {
            let s = s.trim();
            if !s.is_empty() && !staff.iter().any(|x| x == s) {
                staff.push(s.to_string());
            }
        }
        if staff.len() > MAX_STAFF {
            problems.push(FieldProblem::new(
                "staff",
                Problem::TooLong { max: MAX_STAFF },
            ));
        }
        for (i, s) in staff.iter().enumerate() {
            let known = self
                .store
                .user_for_login(s)
                .await?
                .is_some_and(|(u, _)| !u.disabled);
            if !known {
                problems.push(FieldProblem::new(format!("staff[{i}]"), Problem::Choice));
            }
        }
        match place {
            Some(place) if problems.is_empty() => Ok(NewPoint {
                round_id: r.id,
                name,
                place,
                staff,
            }),
            _ => Err(AppError::Validation(problems)),
        }
    }

    /// Creates a sampling point of the round, audited.
    pub async fn create_point(&self, round_id: i64, form: &PointForm) -> AppResult<SamplingPoint> {
        let r = self.materials_round(round_id).await?;
        // A grid leader may set up points in their part of a community's round: the check
        // is at the point's place (in `read_point`), after this one for the verb itself.
        if !self.who.may(Action::ManageRounds) {
            return Err(AppError::Forbidden);
        }
        let new = self.read_point(&r, form).await?;
        let (who, ctx) = (self.who.clone(), self.ctx.clone());
        Ok(self
            .store
            .create_point(
                &new,
                self.who.username(),
                audit_with(move |p: &SamplingPoint| {
                    vec![who.audit_entry(
                        &ctx,
                        "point.create",
                        Some(("point", p.id)),
                        Some(&p.place),
                        json!({"round": p.round_id, "name": p.name, "staff": p.staff}),
                    )]
                }),
            )
            .await?)
    }

    /// Changes a point's name, place and staff, audited.
    pub async fn update_point(
        &self,
        round_id: i64,
        point_id: i64,
        form: &PointForm,
    ) -> AppResult<SamplingPoint> {
        let before = self.point(round_id, point_id).await?;
        self.who.authorize(Action::ManageRounds, &before.place)?;
        let r = self.materials_round(round_id).await?;
        let new = self.read_point(&r, form).await?;
        let (who, ctx) = (self.who.clone(), self.ctx.clone());
        let was =
            json!({"name": before.name, "place": before.place.as_str(), "staff": before.staff});
        Ok(self
            .store
            .update_point(
                point_id,
                &new,
                audit_with(move |p: &SamplingPoint| {
                    vec![who.audit_entry(
                        &ctx,
                        "point.update",
                        Some(("point", p.id)),
                        Some(&p.place),
                        json!({"round": p.round_id, "before": was,
                            "after": {"name": p.name, "place": p.place.as_str(), "staff": p.staff}}),
                    )]
                }),
            )
            .await?)
    }

    /// A point this user may hand materials to: `Transport` or `ManageRounds` at its place.
    async fn supply_point(&self, round_id: i64, point_id: i64) -> AppResult<SamplingPoint> {
        let p = self.point(round_id, point_id).await?;
        if self.who.authorize(Action::Transport, &p.place).is_err() {
            self.who.authorize(Action::ManageRounds, &p.place)?;
        }
        Ok(p)
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
        let kind = MaterialKind::parse(&input.kind);
        if kind.is_none() {
            problems.push(FieldProblem::new("kind", Problem::Choice));
        }
        let day = parse_day(&input.day, self.ctx.today())
            .map_err(|e| problems.push(FieldProblem::new("day", e)))
            .ok();
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
        let kind = MaterialKind::parse(&input.kind);
        if kind.is_none() {
            problems.push(FieldProblem::new("kind", Problem::Choice));
        }
        let day = parse_day(&input.day, self.ctx.today())
            .map_err(|e| problems.push(FieldProblem::new("day", e)))
            .ok();
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
        let day = parse_day(day, self.ctx.today())
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
        let day = parse_day(day, self.ctx.today())
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

    /// The point a scan is made at and the warnings its tube raises there: the point named
    /// (it must be the round's, else a problem at `point`), else the one point of the round
    /// this sampler is staff of, if exactly one. Read from the store's in-memory copy of
    /// the round's points: no database round trip per scan, and nothing copied.
    pub(crate) async fn scan_point(
        &self,
        r: &Round,
        asked: Option<i64>,
        tube: &TubeCode,
    ) -> AppResult<(Option<i64>, Vec<&'static str>)> {
        let points = self.store.round_points(r.id).await?;
        let point = match asked {
            Some(id) => match points.iter().find(|p| p.id == id) {
                Some(p) => Some(p),
                None => {
                    return Err(AppError::Validation(vec![FieldProblem::new(
                        "point",
                        Problem::Choice,
                    )]));
                }
            },
            None => {
                let me = self.who.username();
                let mut mine = points.iter().filter(|p| p.staff.iter().any(|s| s == me));
                match (mine.next(), mine.next()) {
                    (Some(p), None) => Some(p),
                    _ => None,
                }
            }
        };
        let warnings = match point.and_then(|p| p.holds(MaterialKind::Tube, tube)) {
            Some(false) => vec![TUBE_OUTSIDE_BATCH],
            _ => Vec::new(),
        };
        Ok((point.map(|p| p.id), warnings))
    }
}
