//! The daily report (日报): figures counted per community for one China day, and the
//! communities' sign-offs with the figures as signed.

use async_trait::async_trait;
use doorstep_core::AreaPath;
use doorstep_core::daily::Figures;
use time::{Date, OffsetDateTime};

use crate::{Area, Audit, StoreResult};

/// What the report of an area for a day counts.
#[derive(Debug, Clone)]
pub struct DayQuery {
    /// The area asked for.
    pub area: AreaPath,
    /// The China day.
    pub day: Date,
    /// The day's start (UTC).
    pub from: OffsetDateTime,
    /// The day's end, exclusive (UTC).
    pub to: OffsetDateTime,
    /// Now (what is overdue on today's report is overdue by now).
    pub now: OffsetDateTime,
}

/// One community's figures (or the asked area's own, when it lies inside a community, or
/// what lies under the asked area outside every community).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitFigures {
    /// The community.
    pub area: Area,
    /// Its figures for the day.
    pub figures: Figures,
}

/// A community's sign-off of its report for a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signoff {
    /// The community.
    pub area_id: i64,
    /// Its path.
    pub area_path: AreaPath,
    /// The day signed.
    pub day: Date,
    /// The figures as they were when signed.
    pub figures: Figures,
    /// Who signed.
    pub signed_by: String,
    /// When.
    pub signed_at: OffsetDateTime,
}

/// Daily report storage.
#[async_trait]
pub trait DailyReports: Send + Sync {
    /// Every community under (or holding) the asked area with its figures for the day, counted
    /// from the rows themselves in one read transaction per figure. Communities by path.
    async fn daily_figures(&self, q: &DayQuery) -> StoreResult<Vec<UnitFigures>>;

    /// Stores a sign-off (a later one for the same community and day replaces it), with the
    /// entries `audit` makes, in one transaction.
    async fn sign_daily(&self, s: &Signoff, audit: Audit<Signoff>) -> StoreResult<Signoff>;

    /// The sign-offs of a day for the communities under (or holding) an area.
    async fn daily_signoffs(&self, area: &AreaPath, day: Date) -> StoreResult<Vec<Signoff>>;
}
