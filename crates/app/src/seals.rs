//! Sealed areas (封控): the community's command seals a building, unit or compound
//! (`Action::Seal`, community admin and up) with a reason and lifts the seal later; both are
//! audited. Whoever lives under an active seal is served at home: a worker files their supplies
//! requests as for a household in an at-home episode ([`crate::supplies::SupplyDesk::file`]).
//! A seal never covers a whole community or more: those are lockdowns of another scale,
//! decided above, and a checkpoint list of a whole street is not a list of buildings.

use doorstep_core::problem::FieldProblem;
use doorstep_core::{AreaKind, AreaPath, Problem};
use doorstep_store::{NewSeal, Seal, Store, audit_with};
use serde_json::json;

use crate::access::{Action, Ctx, Principal};
use crate::error::{AppError, AppResult};

/// The longest reason, in characters.
pub const REASON_MAX: usize = 200;

/// Seals as one user may use them.
pub struct SealDesk<'a> {
    store: &'a dyn Store,
    who: &'a Principal,
    ctx: &'a Ctx,
}

impl<'a> SealDesk<'a> {
    /// The desk for `who`.
    pub fn new(store: &'a dyn Store, who: &'a Principal, ctx: &'a Ctx) -> Self {
        SealDesk { store, who, ctx }
    }

    /// Seals the area at `path` (a compound, building or unit) for `reason`, audited. Not
    /// found outside the user's area; `area_sealed` when it is sealed already.
    pub async fn seal(&self, path: &str, reason: &str) -> AppResult<Seal> {
        if !self.who.may(Action::Seal) {
            return Err(AppError::Forbidden);
        }
        let mut problems = Vec::new();
        let area = match AreaPath::parse(path.trim()) {
            Ok(p) => Some(p),
            Err(_) => {
                problems.push(FieldProblem::new("area", Problem::Required));
                None
            }
        };
        let reason = reason.trim();
        if reason.is_empty() {
            problems.push(FieldProblem::new("reason", Problem::Required));
        } else if reason.chars().count() > REASON_MAX {
            problems.push(FieldProblem::new(
                "reason",
                Problem::TooLong { max: REASON_MAX },
            ));
        }
        let (Some(path), true) = (area, problems.is_empty()) else {
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
        if !matches!(
            area.kind,
            AreaKind::Compound | AreaKind::Building | AreaKind::Unit
        ) {
            return Err(AppError::Validation(vec![FieldProblem::new(
                "area",
                Problem::AreaKind,
            )]));
        }
        self.who.authorize(Action::Seal, &area.path)?;
        let entry = self.who.audit_entry(
            self.ctx,
            "area.seal",
            Some(("area", area.id)),
            Some(&area.path),
            json!({"reason": reason}),
        );
        let new = NewSeal {
            area_id: area.id,
            area_path: area.path,
            reason: reason.to_string(),
            by: self.who.username().to_string(),
            at: self.ctx.now(),
        };
        Ok(self
            .store
            .seal_area(
                &new,
                audit_with(move |s: &Seal| {
                    let mut e = entry;
                    e.details["seal"] = json!(s.id);
                    vec![e]
                }),
            )
            .await?)
    }

    /// Lifts a seal, audited (a lifted one answers as it is).
    pub async fn lift(&self, id: i64) -> AppResult<Seal> {
        let seal = self.get(id).await?;
        self.who.authorize(Action::Seal, &seal.area_path)?;
        let entry = self.who.audit_entry(
            self.ctx,
            "area.unseal",
            Some(("area", seal.area_id)),
            Some(&seal.area_path),
            json!({"seal": seal.id}),
        );
        self.store
            .lift_seal(
                id,
                self.who.username(),
                self.ctx.now(),
                audit_with(move |_: &Seal| vec![entry]),
            )
            .await?
            .ok_or(AppError::NotFound)
    }

    /// A seal in the user's area.
    pub async fn get(&self, id: i64) -> AppResult<Seal> {
        let seal = self.store.seal(id).await?.ok_or(AppError::NotFound)?;
        if !self.who.covers(&seal.area_path) {
            return Err(AppError::NotFound);
        }
        self.who.authorize(Action::Read, &seal.area_path)?;
        Ok(seal)
    }

    /// The seals of `area` (the user's own when blank), active first.
    pub async fn list(&self, area: &str, active_only: bool) -> AppResult<Vec<Seal>> {
        let area = self.who.area_for(area, Action::Read)?;
        Ok(self.store.seals(area.as_ref(), active_only).await?)
    }
}

/// The active seal over `path` (on it or above it), if any: for checks that need no user
/// (a household's supplies, a checkpoint's refusal).
pub async fn seal_over(store: &dyn Store, path: &AreaPath) -> AppResult<Option<Seal>> {
    Ok(store.seal_over(path).await?)
}
