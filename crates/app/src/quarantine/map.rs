//! The quarantine layer of the building map (楼栋图): a building's households as floors ×
//! rooms, each showing the most pressing of: an abnormal check-in open, a missed check-in or
//! test open, supplies to deliver, in an episode; and the buildings of an area with
//! households in an episode. The layout is the testing layer's (`rounds::lay_out`).

use std::collections::{BTreeMap, HashMap};

use doorstep_core::building::QuarantineState;
use doorstep_core::text::natural_cmp;
use doorstep_core::{AreaKind, AreaPath};
use doorstep_store::{Area, Id};

use super::QuarantineDesk;
use crate::access::Action;
use crate::error::{AppError, AppResult};
use crate::rounds::{Digits, MapSection, lay_out};

/// One household on the quarantine layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineCell {
    /// The household.
    pub household_id: Id,
    /// Its room.
    pub room: String,
    /// Its state.
    pub state: QuarantineState,
    /// Persons registered there.
    pub members: i64,
    /// Of those, in an episode.
    pub in_episode: i64,
}

/// A building's quarantine map.
#[derive(Debug, Clone)]
pub struct QuarantineMap {
    /// The building or unit.
    pub area: Area,
    /// Its units (or itself).
    pub sections: Vec<MapSection<QuarantineCell>>,
    /// Households per state, in the legend's order.
    pub counts: Vec<(QuarantineState, i64)>,
}

impl QuarantineDesk<'_> {
    /// The quarantine map of a building or unit in the user's area (not found elsewhere).
    pub async fn building_map(&self, area_id: Id) -> AppResult<QuarantineMap> {
        let area = self
            .store
            .area_by_id(area_id)
            .await?
            .filter(|a| matches!(a.kind, AreaKind::Building | AreaKind::Unit))
            .filter(|a| self.who.covers(&a.path))
            .ok_or(AppError::NotFound)?;
        self.who.authorize(Action::Read, &area.path)?;
        let digits = Digits::read(self.store, &area).await?;
        let households = self
            .store
            .quarantine_map_households(&area.path, self.ctx.now())
            .await?;
        let names: HashMap<Id, String> = households
            .iter()
            .map(|h| (h.area_id, h.area_path.name().to_string()))
            .collect();
        let sections = lay_out(
            &households,
            &names,
            |id| digits.of(id),
            |h| (h.area_id, h.room.as_str()),
            |h, _| QuarantineCell {
                household_id: h.household_id,
                room: h.room.clone(),
                state: QuarantineState::of(h.in_episode, h.abnormal, h.overdue, h.supply),
                members: h.members,
                in_episode: h.in_episode,
            },
        );
        let mut counts: Vec<(QuarantineState, i64)> =
            QuarantineState::ALL.iter().map(|s| (*s, 0)).collect();
        for c in sections
            .iter()
            .flat_map(|s| &s.floors)
            .flat_map(|f| &f.cells)
        {
            if let Some(n) = counts.iter_mut().find(|(s, _)| *s == c.state) {
                n.1 += 1;
            }
        }
        Ok(QuarantineMap {
            area,
            sections,
            counts,
        })
    }

    /// The buildings under `area` (the user's own when `None`) with households in an
    /// episode: (building, households), in natural order.
    pub async fn map_buildings(&self, area: Option<&str>) -> AppResult<Vec<(Area, i64)>> {
        let area = match area.map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) => AreaPath::parse(a).map_err(|_| AppError::NotFound)?,
            None => self.who.area().cloned().ok_or(AppError::Forbidden)?,
        };
        if !self.who.covers(&area) {
            return Err(AppError::NotFound);
        }
        self.who.authorize(Action::Read, &area)?;
        let buildings = self.store.areas_of_kind(&area, AreaKind::Building).await?;
        let by_path: HashMap<&str, &Area> =
            buildings.iter().map(|b| (b.path.as_str(), b)).collect();
        let mut out: BTreeMap<Id, (Area, i64)> = BTreeMap::new();
        for (path, n) in self.store.episode_areas(&area, self.ctx.now()).await? {
            // The row's building: itself or its nearest ancestor that is one.
            let mut at = Some(path);
            while let Some(p) = at {
                if let Some(b) = by_path.get(p.as_str()) {
                    out.entry(b.id).or_insert(((*b).clone(), 0)).1 += n;
                    break;
                }
                at = p.parent();
            }
        }
        let mut out: Vec<(Area, i64)> = out.into_values().collect();
        out.sort_by(|a, b| natural_cmp(a.0.path.as_str(), b.0.path.as_str()));
        Ok(out)
    }
}
