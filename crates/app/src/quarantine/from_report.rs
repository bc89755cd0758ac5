//! From the review queue to an episode: an accepted home-quarantine report offers to start the
//! household's episodes in one step (the start day, the reason and the measure prefilled from
//! the report), through the same start as every other.

use doorstep_core::report::Purpose;
use doorstep_store::{Episode, Report, ReportStatus};

use super::{EpisodeForm, QuarantineDesk};
use crate::access::Action;
use crate::error::{AppError, AppResult};

/// What an accepted report offers.
#[derive(Debug, Clone)]
pub struct ReportOffer {
    /// The household its members were filed into.
    pub household_id: i64,
    /// How many members the report placed.
    pub members: usize,
    /// The start day offered (the report's date when it gave one, else today), YYYY-MM-DD.
    pub start: String,
    /// The reason offered.
    pub reason: String,
    /// The household's active at-home episodes (already started: nothing to offer).
    pub active: Vec<Episode>,
}

impl QuarantineDesk<'_> {
    /// What accepting `report` offers this user: `None` unless it is an accepted
    /// home-quarantine report whose members were filed, and the user may start episodes there.
    pub async fn offer_for_report(&self, report: &Report) -> AppResult<Option<ReportOffer>> {
        if report.status != ReportStatus::Accepted
            || report.purpose != Purpose::HomeQuarantine
            || self
                .who
                .authorize(Action::Quarantine, &report.area_path)
                .is_err()
        {
            return Ok(None);
        }
        let Some(first) = report.person_ids.first() else {
            return Ok(None);
        };
        let Some(person) = self.store.person(*first).await? else {
            return Ok(None);
        };
        let active = self
            .store
            .checkin_household(person.household_id, self.ctx.now())
            .await?
            .map(|h| h.episodes)
            .unwrap_or_default();
        let date = report.answers["date"].as_str().unwrap_or_default();
        let start = if date.is_empty() {
            self.ctx.today().to_string()
        } else {
            date.to_string()
        };
        let reason = match report.answers["notified_by"].as_str().map(str::trim) {
            Some(by) if !by.is_empty() => format!("居家隔离报备（{by}通知）"),
            _ => "居家隔离报备".to_string(),
        };
        Ok(Some(ReportOffer {
            household_id: person.household_id,
            members: report.person_ids.len(),
            start,
            reason: reason.chars().take(100).collect(),
            active,
        }))
    }

    /// Starts the episodes of an accepted report's household: `measure`, `start` and `reason`
    /// as the offer's form posts them (the household's registered members, as the policy or
    /// a household start would).
    pub async fn start_from_report(
        &self,
        report: &Report,
        measure: &str,
        start: &str,
        reason: &str,
    ) -> AppResult<Vec<Episode>> {
        if report.status != ReportStatus::Accepted {
            return Err(AppError::NotFound);
        }
        let first = *report.person_ids.first().ok_or(AppError::NotFound)?;
        self.start(&EpisodeForm {
            person_id: Some(first),
            household: true,
            measure: measure.into(),
            reason: reason.into(),
            start: start.into(),
            ..EpisodeForm::default()
        })
        .await
    }
}
