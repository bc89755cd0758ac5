//! Counts of the register per gate and hour of one day (China's time), for the gate's page,
//! the API and the daily report: in, out (both counting exceptions let through) and refused.

use doorstep_core::checkpoints::Direction;
use doorstep_core::checkpoints::Verdict;
use doorstep_core::problem::FieldProblem;
use doorstep_store::Checkpoint;
use time::Date;

use super::CheckpointDesk;
use crate::error::{AppError, AppResult};

/// One hour of one gate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HourRow {
    /// 0–23, China's time.
    pub hour: u8,
    /// Passed in (with or without a warning, or allowed).
    pub entered: i64,
    /// Passed out.
    pub left: i64,
    /// Refused (劝返).
    pub refused: i64,
    /// Of those passed, exceptions someone allowed.
    pub allowed: i64,
}

impl HourRow {
    fn add(&mut self, direction: Direction, verdict: Verdict, n: i64) {
        match (verdict.passed(), direction) {
            (false, _) => self.refused += n,
            (true, Direction::In) => self.entered += n,
            (true, Direction::Out) => self.left += n,
        }
        if verdict == Verdict::Allowed {
            self.allowed += n;
        }
    }
}

/// One gate's day.
#[derive(Debug, Clone)]
pub struct GateCounts {
    /// The gate.
    pub checkpoint: Checkpoint,
    /// The hours with any passage, in order.
    pub hours: Vec<HourRow>,
    /// The day's totals (`hour` 0).
    pub total: HourRow,
}

/// A day as `YYYY-MM-DD` (blank: today), or a problem at `date`.
pub fn parse_day(raw: &str, today: Date) -> AppResult<Date> {
    doorstep_core::daily::day_or(raw, today)
        .map_err(|p| AppError::Validation(vec![FieldProblem::new("date", p)]))
}

impl CheckpointDesk<'_> {
    /// Every gate under `area` (the user's own when blank) with its passages per hour of
    /// `date` (`YYYY-MM-DD`, blank: today in China), gates without passages included.
    pub async fn counts(&self, area: &str, date: &str) -> AppResult<(Date, Vec<GateCounts>)> {
        let area = self.scope(area)?;
        let day = parse_day(date, self.ctx.today())?;
        let d = format!(
            "{:04}-{:02}-{:02}",
            day.year(),
            day.month() as u8,
            day.day()
        );
        let gates = self.store.checkpoints(area.as_ref()).await?;
        let rows = self
            .store
            .passage_counts(area.as_ref(), &format!("{d} 00"), &format!("{d} 23"))
            .await?;
        let out = gates
            .into_iter()
            .map(|g| {
                let mut hours: Vec<HourRow> = Vec::new();
                let mut total = HourRow::default();
                for r in rows.iter().filter(|r| r.checkpoint_id == g.id) {
                    let hour = r
                        .china_hour
                        .rsplit(' ')
                        .next()
                        .and_then(|h| h.parse::<u8>().ok())
                        .unwrap_or(0);
                    let row = match hours.iter_mut().find(|h| h.hour == hour) {
                        Some(row) => row,
                        None => {
                            hours.push(HourRow {
                                hour,
                                ..HourRow::default()
                            });
                            let last = hours.len() - 1;
                            &mut hours[last]
                        }
                    };
                    row.add(r.direction, r.verdict, r.count);
                    total.add(r.direction, r.verdict, r.count);
                }
                hours.sort_by_key(|h| h.hour);
                GateCounts {
                    checkpoint: g,
                    hours,
                    total,
                }
            })
            .collect();
        Ok((day, out))
    }
}
