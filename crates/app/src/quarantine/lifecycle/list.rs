//! The episodes of an area, filtered (measure, status, release due, and a day as the daily
//! report counts it).

use doorstep_core::episode::EpisodeStatus;
use doorstep_core::problem::FieldProblem;
use doorstep_core::quarantine::Measure;
use doorstep_core::{AreaPath, Problem};
use doorstep_store::{Episode, EpisodeFilter};

use crate::access::Action;
use crate::error::{AppError, AppResult};
use crate::quarantine::{QuarantineDesk, area_required};

/// A list's filters, as a query gives them (empty: any).
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// A measure's code.
    pub measure: String,
    /// A status's code.
    pub status: String,
    /// `today`: active, planned end reached by today (overdue included); `tomorrow`: active,
    /// planned end at the start of tomorrow (today is the last day).
    pub due: String,
    /// A China day, `YYYY-MM-DD`, read with `on` (the daily report's figures link here).
    pub day: String,
    /// With `day`: `new` (started that day), `ongoing` (under the measure that day, not ended
    /// before its end) or `released` (released that day).
    pub on: String,
}

impl QuarantineDesk<'_> {
    /// The episodes of persons living under `area` (the user's own area when `None`) that
    /// pass the filters; an unknown filter value is a field problem.
    pub async fn list_filtered(
        &self,
        area: Option<&str>,
        filter: &ListFilter,
        page: doorstep_store::PageRequest,
    ) -> AppResult<doorstep_store::Page<Episode>> {
        let area = match area.map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) => AreaPath::parse(a).map_err(|_| AppError::NotFound)?,
            // The admin of everything names the area: a whole system's list is no one's work.
            None => self.who.area().cloned().ok_or_else(area_required)?,
        };
        if !self.who.covers(&area) {
            return Err(AppError::NotFound);
        }
        self.who.authorize(Action::Read, &area)?;
        let mut problems = Vec::new();
        let mut f = EpisodeFilter::default();
        if !filter.measure.trim().is_empty() {
            f.measure = Measure::parse(&filter.measure);
            if f.measure.is_none() {
                problems.push(FieldProblem::new("measure", Problem::Choice));
            }
        }
        if !filter.status.trim().is_empty() {
            f.status = EpisodeStatus::from_stored(filter.status.trim());
            if f.status.is_none() {
                problems.push(FieldProblem::new("status", Problem::Choice));
            }
        }
        let today = self.ctx.today();
        match filter.due.trim() {
            "" => {}
            "today" => f.last_day_by = today.previous_day(),
            "tomorrow" => (f.last_day_from, f.last_day_by) = (Some(today), Some(today)),
            _ => problems.push(FieldProblem::new("due", Problem::Choice)),
        }
        match (filter.day.trim(), filter.on.trim()) {
            ("", "") => {}
            (d, on) => match doorstep_core::daily::parse_day(d) {
                Err(p) => problems.push(FieldProblem::new("day", p)),
                Ok(day) => {
                    let (from, to) = doorstep_core::daily::day_bounds(day);
                    match on {
                        "new" => f.started_on = Some(day),
                        "ongoing" => f.during = Some((day, to)),
                        "released" => {
                            f.status = Some(EpisodeStatus::Released);
                            f.ended_between = Some((from, to));
                        }
                        _ => problems.push(FieldProblem::new("on", Problem::Choice)),
                    }
                }
            },
        }
        if !problems.is_empty() {
            return Err(AppError::Validation(problems));
        }
        Ok(self.store.episodes_under(&area, &f, page).await?)
    }
}
