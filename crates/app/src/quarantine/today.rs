//! The worker's day (今日工作) and the community's overview of quarantine and monitoring.
//!
//! "Today" is built on my tasks: the follow-ups of missed and abnormal check-ins and of missed
//! test days, the day's home sampling in walking order, deliveries, plus the episodes of the
//! area whose last day is today or tomorrow (releases to prepare). The overview counts the
//! area's episodes by measure and state, today's check-in windows done against those opened
//! so far, and the open alerts.

use doorstep_core::quarantine::{CHINA, Measure};
use doorstep_core::{AreaPath, TaskKind};
use doorstep_store::{Episode, EpisodeCounts, Task};
use time::Duration;

use super::area_required;
use super::checkins::{ABNORMAL_SOURCE, MISSED_SOURCE};
use super::policies::rules_for;
use super::test_days::{MISSED_TEST_SOURCE, TEST_DAY_SOURCE};
use crate::access::Action;
use crate::error::{AppError, AppResult};
use crate::tasks::TaskDesk;

/// The task sources that are monitoring alerts.
pub const ALERT_SOURCES: [&str; 3] = [ABNORMAL_SOURCE, MISSED_SOURCE, MISSED_TEST_SOURCE];

/// A worker's day.
#[derive(Debug, Clone, Default)]
pub struct Today {
    /// Follow-ups of abnormal or missed check-ins and missed tests, most urgent first.
    pub followups: Vec<Task>,
    /// Home sampling of test days (and bedridden residents), in walking order.
    pub sampling: Vec<Task>,
    /// Deliveries to households (supplies).
    pub deliveries: Vec<Task>,
    /// Episodes of the area whose last day is today or tomorrow, by building and room.
    pub releases: Vec<Episode>,
}

/// The overview of an area.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    /// The area.
    pub area: Option<AreaPath>,
    /// The counts.
    pub counts: EpisodeCounts,
    /// Check-in windows opened so far today for the active at-home episodes.
    pub windows_due: i64,
    /// Open monitoring alerts (at most 1,000 counted).
    pub alerts_open: usize,
}

impl Overview {
    /// Persons in their days under a measure.
    pub fn in_days(&self, m: Measure) -> i64 {
        self.counts
            .in_days
            .iter()
            .filter(|(_, _, code, _)| code == m.code())
            .map(|g| g.3)
            .sum()
    }

    /// Episodes of a measure in a status.
    pub fn count(&self, m: Measure, status: &str) -> i64 {
        self.counts
            .by_measure
            .iter()
            .filter(|(code, st, _)| code == m.code() && st == status)
            .map(|g| g.2)
            .sum()
    }
}

impl super::QuarantineDesk<'_> {
    /// The signed-in worker's day.
    pub async fn today(&self) -> AppResult<Today> {
        let mine = TaskDesk::new(self.store, self.who, self.ctx).mine().await?;
        let mut out = Today::default();
        for t in mine {
            if ALERT_SOURCES.contains(&t.source.as_str()) || t.kind == TaskKind::CheckinFollowup {
                out.followups.push(t);
            } else if t.kind == TaskKind::HomeSampling || t.source == TEST_DAY_SOURCE {
                out.sampling.push(t);
            } else if t.kind == TaskKind::Delivery {
                out.deliveries.push(t);
            }
        }
        out.followups
            .sort_by_key(|t| (std::cmp::Reverse(t.priority), t.due_at, t.id));
        if let Some(area) = self.who.area().cloned()
            && self.who.authorize(Action::Read, &area).is_ok()
        {
            let today = self.ctx.today();
            out.releases = self
                .store
                .episodes_ending(&area, today, today + Duration::days(1))
                .await?;
        }
        Ok(out)
    }

    /// The overview of `area` (the user's own when `None`) for today.
    pub async fn overview(&self, area: Option<&str>) -> AppResult<Overview> {
        let area = match area.map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) => AreaPath::parse(a).map_err(|_| AppError::NotFound)?,
            // The admin of everything names the area: a whole system's list is no one's work.
            None => self.who.area().cloned().ok_or_else(area_required)?,
        };
        if !self.who.covers(&area) {
            return Err(AppError::NotFound);
        }
        self.who.authorize(Action::Read, &area)?;
        let now = self.ctx.now();
        let today = now.to_offset(CHINA).date();
        let counts = self.store.episode_counts(&area, today).await?;
        let mut windows_due = 0;
        for (key, version, measure, n) in &counts.in_days {
            let Some(m) = Measure::parse(measure) else {
                continue;
            };
            let rules = rules_for(self.store, key, *version, m).await?;
            let opened = rules
                .windows_on(today)
                .iter()
                .filter(|(_, opens, _)| *opens <= now)
                .count() as i64;
            windows_due += opened * n;
        }
        let alerts_open = if self.who.may(Action::ManageTasks) || self.who.may(Action::Quarantine) {
            self.store
                .alert_task_ids(Some(&area), &ALERT_SOURCES, 1000)
                .await?
                .len()
        } else {
            0
        };
        Ok(Overview {
            area: Some(area),
            counts,
            windows_due,
            alerts_open,
        })
    }
}
