//! Mass-testing rounds (全员核酸): set up a round over an area, scan tubes and persons at
//! scanner speed, close tubes, excuse persons, and see coverage down to the door.
//!
//! Access: `Action::ManageRounds` creates, opens and closes rounds and excuses persons in the
//! round's area; `Action::Sample` scans. A round is visible to users whose area lies in it or
//! holds it (a street's round is sampled by its communities); a person outside the round's
//! areas, or outside the sampler's own area, is "not found".

mod building_map;
mod custody;
mod handover;
mod knock;
mod late_boxes;
mod materials;
mod points;
mod report;
mod scan;
mod seal_notify;

use std::collections::BTreeMap;

use doorstep_core::problem::FieldProblem;
use doorstep_core::text::natural_cmp;
use doorstep_core::{AreaPath, Exclusion, PersonCode, PoolSize, Problem, RoundStatus};
use doorstep_store::{
    NewExclusion, NewRound, PersonWithPlace, Round, RoundGroup, ScanTarget, Store, Task, audit_with,
};
use serde_json::json;

use crate::access::{Action, Ctx, Principal};
use crate::error::{AppError, AppResult};
use crate::tasks::parse_due;

pub use building_map::{BuildingMap, Digits, MapBuilding, MapCell, MapFloor, MapSection, lay_out};
pub use custody::{LabDesk, MAX_RESULTS, ResultInput, ResultsDone};
pub use handover::{HandoverDesk, HandoverForm, MAX_BOXES, ReceiptInput};
pub use knock::{HOME_SAMPLING_SOURCE, Knocked};
pub use late_boxes::{board_alerts, lab_deadline, sweep_late_boxes};
pub use materials::{BatchInput, CodesInput, CountInput, KindLedger, PointMaterials};
pub use points::{MAX_STAFF, PointForm, TUBE_OUTSIDE_BATCH};
pub use report::{BoxTimes, LAB_DEADLINE_MINUTES, LAB_DEADLINE_RANGE, RoundReport};
pub use scan::{PersonRef, ScanInput, Scanned};
pub use seal_notify::{Webhook, WebhookError, deliver_seal_notes, run_background};

/// A round as a form, the API or the CLI give it.
#[derive(Debug, Clone, Default)]
pub struct RoundForm {
    /// The area running it (a path).
    pub area: String,
    /// Its name.
    pub name: String,
    /// The default pool size (1, 5, 10 or 20).
    pub pool_size: u32,
    /// Planned start and end, as task due times are written (blank: none).
    pub starts: String,
    /// See `starts`.
    pub ends: String,
    /// The areas it samples (paths under `area`); empty: all of `area`.
    pub areas: Vec<String>,
    /// Groups sampled apart: (area path or blank, tag or blank, mode).
    pub groups: Vec<(String, String, String)>,
    /// Minutes from a box's first sample to the lab before it is late, 30–1440 (`None`:
    /// [`LAB_DEADLINE_MINUTES`]).
    pub lab_deadline_minutes: Option<i64>,
}

/// Coverage of an area in a round, with each child's.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Coverage {
    /// The area.
    pub area: Option<AreaPath>,
    /// Persons registered (expected).
    pub expected: i64,
    /// Persons sampled.
    pub sampled: i64,
    /// Persons excused.
    pub excluded: i64,
    /// Persons neither: the door-knock list's length.
    pub missing: i64,
    /// The same for each child area holding persons, in natural order.
    pub children: Vec<Coverage>,
}

impl Coverage {
    fn add(&mut self, persons: i64, sampled: i64, excluded: i64) {
        self.expected += persons;
        self.sampled += sampled;
        self.excluded += excluded;
        self.missing = (self.expected - self.sampled - self.excluded).max(0);
    }
}

/// Rounds as one user may use them.
pub struct RoundDesk<'a> {
    pub(crate) store: &'a dyn Store,
    pub(crate) who: &'a Principal,
    pub(crate) ctx: &'a Ctx,
}

impl<'a> RoundDesk<'a> {
    /// The desk for `who`, auditing with `ctx`.
    pub fn new(store: &'a dyn Store, who: &'a Principal, ctx: &'a Ctx) -> RoundDesk<'a> {
        RoundDesk { store, who, ctx }
    }

    /// Whether this user's area meets the round (lies in it or holds it).
    fn meets(&self, round: &Round) -> bool {
        match self.who.area() {
            None => true,
            Some(a) => a.contains(&round.area_path) || round.area_path.contains(a),
        }
    }

    /// A round this user may see (NotFound otherwise).
    pub async fn round(&self, id: i64) -> AppResult<Round> {
        let r = self.store.round(id).await?.ok_or(AppError::NotFound)?;
        self.visible(r)
    }

    /// [`Self::round`] as it was made, from memory after the first read (its status may be
    /// stale): for a scan, whose write checks the status itself.
    pub(crate) async fn round_as_made(&self, id: i64) -> AppResult<Round> {
        let r = self
            .store
            .round_as_made(id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.visible(r)
    }

    /// Whoever runs, samples in or carries for a round may see it (the transport group: its
    /// boxes and the points' materials).
    fn sees_rounds(&self) -> bool {
        [Action::ManageRounds, Action::Sample, Action::Transport]
            .into_iter()
            .any(|a| self.who.may(a))
    }

    fn visible(&self, r: Round) -> AppResult<Round> {
        if !self.meets(&r) || !self.sees_rounds() {
            return Err(AppError::NotFound);
        }
        Ok(r)
    }

    /// The rounds this user may see, newest first.
    pub async fn list(&self) -> AppResult<Vec<Round>> {
        if !self.sees_rounds() {
            return Err(AppError::Forbidden);
        }
        Ok(self.store.rounds_near(self.who.area()).await?)
    }

    /// Creates a round (planned), audited.
    pub async fn create(&self, form: &RoundForm) -> AppResult<Round> {
        let mut problems = Vec::new();
        let area = AreaPath::parse(&form.area).ok();
        let area = match area {
            Some(a) => self.store.area_by_path(&a).await?,
            None => None,
        };
        let Some(area) = area else {
            return Err(AppError::Validation(vec![FieldProblem::new(
                "area",
                Problem::Choice,
            )]));
        };
        self.who.authorize(Action::ManageRounds, &area.path)?;
        let name = form.name.trim().to_string();
        if name.is_empty() {
            problems.push(FieldProblem::new("name", Problem::Required));
        } else if name.chars().count() > 60 {
            problems.push(FieldProblem::new("name", Problem::TooLong { max: 60 }));
        }
        let pool = PoolSize::parse(form.pool_size)
            .map_err(|p| problems.push(FieldProblem::new("pool_size", p)))
            .ok();
        let starts = parse_due(&form.starts)
            .map_err(|p| problems.push(FieldProblem::new("starts", p)))
            .ok()
            .flatten();
        let ends = parse_due(&form.ends)
            .map_err(|p| problems.push(FieldProblem::new("ends", p)))
            .ok()
            .flatten();
        let deadline = form.lab_deadline_minutes.unwrap_or(LAB_DEADLINE_MINUTES);
        if !LAB_DEADLINE_RANGE.contains(&deadline) {
            problems.push(FieldProblem::new(
                "lab_deadline_minutes",
                Problem::LabDeadline,
            ));
        }
        let mut areas = Vec::new();
        for (i, raw) in form.areas.iter().enumerate() {
            if raw.trim().is_empty() {
                continue;
            }
            let found = match AreaPath::parse(raw.trim()) {
                Ok(p) if area.path.contains(&p) => self.store.area_by_path(&p).await?,
                _ => None,
            };
            match found {
                Some(a) => areas.push(a.id),
                None => problems.push(FieldProblem::new(format!("areas[{i}]"), Problem::Choice)),
            }
        }
        let mut groups = Vec::new();
        for (i, (path, tag, mode)) in form.groups.iter().enumerate() {
            let Some(mode) = doorstep_core::SampleMode::parse(mode) else {
                problems.push(FieldProblem::new(
                    format!("groups[{i}].mode"),
                    Problem::Choice,
                ));
                continue;
            };
            let path = match path.trim() {
                "" => None,
                p => match AreaPath::parse(p) {
                    Ok(p) if area.path.contains(&p) => Some(p),
                    _ => {
                        problems.push(FieldProblem::new(
                            format!("groups[{i}].area"),
                            Problem::Choice,
                        ));
                        continue;
                    }
                },
            };
            let tag = Some(tag.trim().to_string()).filter(|t| !t.is_empty());
            if path.is_none() && tag.is_none() {
                problems.push(FieldProblem::new(
                    format!("groups[{i}].area"),
                    Problem::Required,
                ));
                continue;
            }
            groups.push(RoundGroup {
                area_path: path,
                tag,
                mode,
            });
        }
        let Some(pool_size) = pool.filter(|_| problems.is_empty()) else {
            return Err(AppError::Validation(problems));
        };
        let new = NewRound {
            area_id: area.id,
            name,
            pool_size,
            lab_deadline_minutes: deadline,
            starts_at: starts,
            ends_at: ends,
            areas,
            groups,
        };
        let who = self.who.clone();
        let ctx = self.ctx.clone();
        Ok(self
            .store
            .create_round(
                &new,
                self.who.username(),
                audit_with(move |r: &Round| {
                    vec![who.audit_entry(
                        &ctx,
                        "round.create",
                        Some(("round", r.id)),
                        Some(&r.area_path),
                        json!({"name": r.name, "pool_size": r.pool_size.get(),
                               "lab_deadline_minutes": r.lab_deadline_minutes}),
                    )]
                }),
            )
            .await?)
    }

    /// Opens, closes or reopens a round, audited.
    pub async fn set_status(&self, id: i64, to: RoundStatus) -> AppResult<Round> {
        let r = self.round(id).await?;
        self.who.authorize(Action::ManageRounds, &r.area_path)?;
        let entry = self.who.audit_entry(
            self.ctx,
            "round.status",
            Some(("round", r.id)),
            Some(&r.area_path),
            json!({"from": r.status.code(), "to": to.code()}),
        );
        Ok(self
            .store
            .set_round_status(id, to, audit_with(move |_| vec![entry]))
            .await?)
    }

    /// Excuses a person from a round with a reason, audited. A bedridden person gets a
    /// home-sampling task (上门采样, [`RoundDesk::home_sampling_task`]), answered here: the
    /// same one however often they are excused.
    pub async fn exclude(
        &self,
        id: i64,
        person: &PersonRef,
        reason: &str,
        note: &str,
    ) -> AppResult<Option<Task>> {
        let r = self.round(id).await?;
        let Some(reason) = Exclusion::parse(reason) else {
            return Err(AppError::Validation(vec![FieldProblem::new(
                "reason",
                Problem::Choice,
            )]));
        };
        if note.chars().count() > 200 {
            return Err(AppError::Validation(vec![FieldProblem::new(
                "note",
                Problem::TooLong { max: 200 },
            )]));
        }
        let ScanTarget {
            person: p,
            household: h,
            ..
        } = self.person_in_round(&r, person).await?;
        self.who.authorize(Action::ManageRounds, &h.area_path)?;
        let entry = self.who.audit_entry(
            self.ctx,
            "round.exclude",
            Some(("person", p.id)),
            Some(&h.area_path),
            json!({"round": r.id, "reason": reason.code()}),
        );
        let excuse = NewExclusion {
            round_id: r.id,
            person_id: p.id,
            area_id: h.area_id,
            area_path: h.area_path.clone(),
            reason,
            note: note.trim().to_string(),
            by: self.who.username().to_string(),
        };
        self.store
            .exclude(&excuse, audit_with(move |_| vec![entry]))
            .await?;
        // After the excuse's own write: should the task fail, the excuse stands and excusing
        // again (the same key) makes the task.
        if reason == Exclusion::Bedridden {
            return Ok(Some(self.home_sampling_task(&r, p.id).await?));
        }
        Ok(None)
    }

    /// Coverage of `area` (the round's own area when `None`) in the round, rolled up to its
    /// direct children.
    pub async fn coverage(&self, id: i64, area: Option<AreaPath>) -> AppResult<Coverage> {
        let r = self.round(id).await?;
        let area = self.scope_in(&r, area)?;
        let rows = self.store.round_counts(r.id, &area).await?;
        let depth = area.names().count();
        let mut out = Coverage {
            area: Some(area.clone()),
            ..Coverage::default()
        };
        let mut children: BTreeMap<String, Coverage> = BTreeMap::new();
        for row in rows {
            if !r.areas.iter().any(|a| a.contains(&row.area_path)) {
                continue;
            }
            out.add(row.persons, row.sampled, row.excluded);
            let names: Vec<&str> = row.area_path.names().collect();
            if names.len() > depth {
                let child = names[..=depth].join("/");
                let c = children.entry(child.clone()).or_insert_with(|| Coverage {
                    area: AreaPath::parse(&child).ok(),
                    ..Coverage::default()
                });
                c.add(row.persons, row.sampled, row.excluded);
            }
        }
        let mut kids: Vec<Coverage> = children.into_values().collect();
        kids.sort_by(|a, b| {
            let (x, y) = (a.area.as_ref(), b.area.as_ref());
            natural_cmp(
                x.map_or("", AreaPath::as_str),
                y.map_or("", AreaPath::as_str),
            )
        });
        out.children = kids;
        Ok(out)
    }

    /// The door-knock list (入户敲门): persons under `area` neither sampled nor excused, in
    /// walking order (building, unit, room), at most 5,000.
    pub async fn missing(
        &self,
        id: i64,
        area: Option<AreaPath>,
    ) -> AppResult<Vec<PersonWithPlace>> {
        let r = self.round(id).await?;
        let area = self.scope_in(&r, area)?;
        let mut out: Vec<PersonWithPlace> = self
            .store
            .round_missing(r.id, &area, 5000)
            .await?
            .into_iter()
            .filter(|p| r.areas.iter().any(|a| a.contains(&p.person.area_path)))
            .collect();
        out.sort_by(|a, b| {
            natural_cmp(a.person.area_path.as_str(), b.person.area_path.as_str())
                .then_with(|| natural_cmp(&a.room, &b.room))
                .then(a.person.id.cmp(&b.person.id))
        });
        Ok(out)
    }

    /// The area asked for, inside both the round and this user's area (the round's own, or
    /// the user's, when none is asked for).
    fn scope_in(&self, r: &Round, asked: Option<AreaPath>) -> AppResult<AreaPath> {
        let area = match asked {
            Some(a) => a,
            None => match self.who.area() {
                Some(mine) if r.area_path.contains(mine) => mine.clone(),
                _ => r.area_path.clone(),
            },
        };
        let in_round = r.area_path.contains(&area) || area.contains(&r.area_path);
        if !in_round || !self.who.covers(&area) {
            return Err(AppError::NotFound);
        }
        if !(self.who.may(Action::ManageRounds) || self.who.may(Action::Sample)) {
            return Err(AppError::Forbidden);
        }
        Ok(area)
    }

    /// A person's personal code (个人码), made on first use: for the household's printed
    /// codes and the self-report receipt.
    pub async fn person_code(&self, person_id: i64) -> AppResult<PersonCode> {
        let p = self
            .store
            .person(person_id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.who.authorize(Action::Read, &p.area_path)?;
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|e| AppError::internal(e.to_string()))?;
        Ok(self
            .store
            .person_code(p.id, PersonCode::from_random(bytes))
            .await?)
    }
}
