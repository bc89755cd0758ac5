//! The episodes of an area, filtered (measure, status, release due).

use doorstep_core::episode::EpisodeStatus;
use doorstep_core::problem::FieldProblem;
use doorstep_core::quarantine::Measure;
use doorstep_core::{AreaPath, Problem};
use doorstep_store::{Episode, EpisodeFilter};

use crate::access::Action;
use crate::error::{AppError, AppResult};
use crate::quarantine::QuarantineDesk;

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
            None => self.who.area().cloned().ok_or(AppError::Forbidden)?,
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
        if !problems.is_empty() {
            return Err(AppError::Validation(problems));
        }
        Ok(self.store.episodes_under(&area, &f, page).await?)
    }
}
