//! Peacetime ↔ emergency (平急转换): a community's command (`Action::SwitchMode`, community
//! admin and up) switches the community into emergency mode — the first day, why, and the
//! members of its four task forces (信息核查, 防控值守, 消毒消杀, 服务保障), who are staff of the
//! community or of the areas above it — and back, naming the last day and how long the
//! personal data collected meanwhile is kept ([`retention`]). Both switches are audited
//! (`emergency.start`, `emergency.end`); every emergency stays as history. One runs at a time
//! per community (`emergency_running`). Pages and the menu follow the mode of the user's area
//! ([`running_near`]).

pub mod retention;

use doorstep_core::emergency::{RetentionDays, TaskForce};
use doorstep_core::problem::FieldProblem;
use doorstep_core::{AreaKind, AreaPath, Conflict, Problem};
use doorstep_store::{Emergency, EndEmergency, MemberChange, NewEmergency, Store, audit_with};
use serde_json::json;
use time::Date;

use crate::access::{Action, Ctx, Principal};
use crate::error::{AppError, AppResult};

/// The longest reason or note, in characters.
pub const REASON_MAX: usize = 200;

/// A switch into emergency mode as typed.
#[derive(Debug, Clone, Default)]
pub struct StartInput {
    /// The community's path.
    pub area: String,
    /// The first day, `YYYY-MM-DD` (blank: today).
    pub started_on: String,
    /// Why.
    pub reason: String,
    /// The task forces' members: (force code, staff id).
    pub members: Vec<(String, i64)>,
}

/// A switch back to peacetime as typed.
#[derive(Debug, Clone, Default)]
pub struct EndInput {
    /// The last day, `YYYY-MM-DD` (blank: today).
    pub ended_on: String,
    /// A note (optional).
    pub note: String,
    /// Days the personal data is kept after the last day (blank: 30).
    pub retention_days: String,
}

/// A change to a running emergency's task forces as typed: one member added or removed.
#[derive(Debug, Clone, Default)]
pub struct MemberInput {
    /// The force's code (`info_check`, `duty`, `disinfection`, `service`).
    pub force: String,
    /// The staff member's id.
    pub staff_id: i64,
    /// Added (`true`) or removed.
    pub add: bool,
}

/// Emergencies as one user may use them.
pub struct EmergencyDesk<'a> {
    store: &'a dyn Store,
    who: &'a Principal,
    ctx: &'a Ctx,
}

fn day_or_today(raw: &str, today: Date) -> Result<Date, Problem> {
    let d = doorstep_core::daily::day_or(raw, today)?;
    if d > today {
        return Err(Problem::FutureDate);
    }
    Ok(d)
}

fn text(raw: &str, required: bool, field: &str, problems: &mut Vec<FieldProblem>) -> String {
    let t = raw.trim();
    if required && t.is_empty() {
        problems.push(FieldProblem::new(field, Problem::Required));
    } else if t.chars().count() > REASON_MAX {
        problems.push(FieldProblem::new(
            field,
            Problem::TooLong { max: REASON_MAX },
        ));
    }
    t.to_string()
}

impl<'a> EmergencyDesk<'a> {
    /// The desk for `who`.
    pub fn new(store: &'a dyn Store, who: &'a Principal, ctx: &'a Ctx) -> Self {
        EmergencyDesk { store, who, ctx }
    }

    /// Switches the community at `input.area` into emergency mode, audited. Not found outside
    /// the user's area; `emergency_running` when it is in emergency mode already.
    pub async fn start(&self, input: &StartInput) -> AppResult<Emergency> {
        if !self.who.may(Action::SwitchMode) {
            return Err(AppError::Forbidden);
        }
        let mut problems = Vec::new();
        let path = AreaPath::parse(input.area.trim()).ok();
        if path.is_none() {
            problems.push(FieldProblem::new("area", Problem::Required));
        }
        let started_on = day_or_today(&input.started_on, self.ctx.today())
            .map_err(|p| problems.push(FieldProblem::new("started_on", p)))
            .ok();
        let reason = text(&input.reason, true, "reason", &mut problems);
        let mut members = Vec::new();
        for (i, (force, staff)) in input.members.iter().enumerate() {
            match TaskForce::from_stored(force) {
                Some(f) => members.push((f, *staff, i)),
                None => problems.push(FieldProblem::new(
                    format!("members[{i}].force"),
                    Problem::Choice,
                )),
            }
        }
        let (Some(path), Some(started_on), true) = (path, started_on, problems.is_empty()) else {
            return Err(AppError::Validation(problems));
        };
        if !self.who.covers(&path) {
            return Err(AppError::NotFound);
        }
        let area = self
            .store
            .area_by_path(&path)
            .await?
            .ok_or(AppError::NotFound)?;
        if area.kind != AreaKind::Community {
            return Err(AppError::Validation(vec![FieldProblem::new(
                "area",
                Problem::AreaKind,
            )]));
        }
        self.who.authorize(Action::SwitchMode, &area.path)?;
        // Members are staff the community works with: its own, or its street's and district's.
        let mut chosen = Vec::new();
        for (force, staff, i) in members {
            let known =
                self.store.staff_member(staff).await?.filter(|s| {
                    area.path.contains(&s.area_path) || s.area_path.contains(&area.path)
                });
            match known {
                Some(s) => chosen.push((force, s.id)),
                None => problems.push(FieldProblem::new(
                    format!("members[{i}].staff"),
                    Problem::Choice,
                )),
            }
        }
        if !problems.is_empty() {
            return Err(AppError::Validation(problems));
        }
        let forces: serde_json::Map<String, serde_json::Value> = TaskForce::ALL
            .iter()
            .map(|f| {
                let ids: Vec<i64> = chosen
                    .iter()
                    .filter(|(g, _)| g == f)
                    .map(|(_, s)| *s)
                    .collect();
                (f.code().to_string(), json!(ids))
            })
            .collect();
        let entry = self.who.audit_entry(
            self.ctx,
            "emergency.start",
            Some(("area", area.id)),
            Some(&area.path),
            json!({"started_on": started_on.to_string(), "reason": reason, "task_forces": forces}),
        );
        let new = NewEmergency {
            area_id: area.id,
            area_path: area.path,
            started_on,
            reason,
            members: chosen,
            by: self.who.username().to_string(),
            at: self.ctx.now(),
        };
        Ok(self
            .store
            .start_emergency(
                &new,
                audit_with(move |e: &Emergency| {
                    let mut entry = entry;
                    entry.details["emergency"] = json!(e.id);
                    vec![entry]
                }),
            )
            .await?)
    }

    /// Switches a community back to peacetime, audited (an ended emergency answers as it is).
    pub async fn end(&self, id: i64, input: &EndInput) -> AppResult<Emergency> {
        let e = self.get(id).await?;
        self.who.authorize(Action::SwitchMode, &e.area_path)?;
        if e.ended.is_some() {
            return Ok(e);
        }
        let mut problems = Vec::new();
        let ended_on = match day_or_today(&input.ended_on, self.ctx.today()) {
            Ok(d) if d < e.started_on => {
                problems.push(FieldProblem::new("ended_on", Problem::TimeSpan));
                None
            }
            Ok(d) => Some(d),
            Err(p) => {
                problems.push(FieldProblem::new("ended_on", p));
                None
            }
        };
        let note = text(&input.note, false, "note", &mut problems);
        let retention = RetentionDays::parse(&input.retention_days)
            .map_err(|p| problems.push(FieldProblem::new("retention_days", p)))
            .ok();
        let (Some(ended_on), Some(retention), true) = (ended_on, retention, problems.is_empty())
        else {
            return Err(AppError::Validation(problems));
        };
        let entry = self.who.audit_entry(
            self.ctx,
            "emergency.end",
            Some(("area", e.area_id)),
            Some(&e.area_path),
            json!({"emergency": e.id, "ended_on": ended_on.to_string(),
                   "retention_days": retention.days(), "note": note}),
        );
        let end = EndEmergency {
            ended_on,
            note,
            retention,
            by: self.who.username().to_string(),
            at: self.ctx.now(),
        };
        self.store
            .end_emergency(id, &end, audit_with(move |_: &Emergency| vec![entry]))
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Adds or removes a member of a running emergency's task force, audited
    /// (`emergency.member_add`, `emergency.member_remove`). Not found outside the user's
    /// area; forbidden for a role that may not switch the mode; `emergency_ended` once it
    /// ended; `force` or `staff_id` (staff of neither the community nor the areas above it)
    /// invalid. Adding one who is there or removing one who is not changes nothing and
    /// writes no audit entry.
    pub async fn change_member(&self, id: i64, input: &MemberInput) -> AppResult<Emergency> {
        let e = self.get(id).await?;
        self.who.authorize(Action::SwitchMode, &e.area_path)?;
        if e.ended.is_some() {
            return Err(AppError::Conflict(Conflict::EmergencyEnded));
        }
        let force = TaskForce::from_stored(input.force.trim())
            .ok_or_else(|| AppError::invalid([FieldProblem::new("force", Problem::Choice)]))?;
        let there = e
            .members
            .iter()
            .any(|m| m.force == force && m.staff_id == input.staff_id);
        let staff =
            self.store.staff_member(input.staff_id).await?.filter(|s| {
                e.area_path.contains(&s.area_path) || s.area_path.contains(&e.area_path)
            });
        let name = match (&staff, input.add) {
            (Some(s), _) => s.fields.name.clone(),
            // A member may be removed even if they have since moved elsewhere.
            (None, false) if there => String::new(),
            (None, _) => {
                return Err(AppError::invalid([FieldProblem::new(
                    "staff_id",
                    Problem::Choice,
                )]));
            }
        };
        if there == input.add {
            return Ok(e);
        }
        let action = if input.add {
            "emergency.member_add"
        } else {
            "emergency.member_remove"
        };
        let entry = self.who.audit_entry(
            self.ctx,
            action,
            Some(("area", e.area_id)),
            Some(&e.area_path),
            json!({"emergency": e.id, "force": force.code(), "staff_id": input.staff_id,
                   "name": name}),
        );
        let change = MemberChange {
            force,
            staff_id: input.staff_id,
            add: input.add,
        };
        self.store
            .change_emergency_member(id, &change, audit_with(move |_: &Emergency| vec![entry]))
            .await?
            .ok_or(AppError::NotFound)
    }

    /// An emergency of the user's area.
    pub async fn get(&self, id: i64) -> AppResult<Emergency> {
        let e = self.store.emergency(id).await?.ok_or(AppError::NotFound)?;
        if !self.who.covers(&e.area_path) {
            return Err(AppError::NotFound);
        }
        self.who.authorize(Action::Read, &e.area_path)?;
        Ok(e)
    }

    /// The emergencies of `area` (the user's own when blank) and below, running first: the
    /// history.
    pub async fn list(&self, area: &str) -> AppResult<Vec<Emergency>> {
        let area = self.who.area_for(area, Action::Read)?;
        Ok(self.store.emergencies(area.as_ref()).await?)
    }

    /// The communities the user may switch: those in their area (every one for the admin).
    pub async fn communities(&self) -> AppResult<Vec<doorstep_store::Area>> {
        if !self.who.may(Action::SwitchMode) {
            return Ok(Vec::new());
        }
        let tops = match self.who.area() {
            Some(mine) => vec![mine.clone()],
            None => self
                .store
                .root_areas()
                .await?
                .into_iter()
                .map(|a| a.path)
                .collect(),
        };
        let mut out = Vec::new();
        for top in &tops {
            out.extend(self.store.areas_of_kind(top, AreaKind::Community).await?);
        }
        Ok(out)
    }
}

/// The running emergencies on the user's area, above it or below it: what the home page's
/// banner and the menu follow. Everyone logged in sees the mode of their own area.
pub async fn running_near(store: &dyn Store, who: &Principal) -> AppResult<Vec<Emergency>> {
    Ok(store.running_emergencies_near(who.area()).await?)
}
