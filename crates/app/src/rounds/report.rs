//! The round report (检测情况汇总): coverage, tubes and pools, positives, and timeliness —
//! medians from first sample to seal, handover and lab, and the slowest boxes — computed from
//! what is stored, never typed; and its spreadsheet.

use doorstep_store::{TransportBox, TubeTotals};
use serde_json::json;
use time::OffsetDateTime;

use super::{Coverage, RoundDesk};
use crate::error::AppResult;
use crate::export::{ExportError, SheetFormat, Sink};

/// How long a box may take from its first sample to the lab before it is late, unless its
/// round says otherwise (the published rule: samples at the lab within 2–4 hours, at room
/// temperature at most 4). A new round's default; each round carries its own.
pub const LAB_DEADLINE_MINUTES: i64 = 4 * 60;

/// The fewest and most minutes a round's lab deadline may be set to.
pub const LAB_DEADLINE_RANGE: std::ops::RangeInclusive<i64> = 30..=1440;

/// A box's times, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxTimes {
    /// The box.
    pub code: String,
    /// Its status code.
    pub status: String,
    /// Minutes from its first sample to sealing, to handover, to the lab.
    pub to_seal: Option<i64>,
    /// See `to_seal`.
    pub to_handover: Option<i64>,
    /// See `to_seal`.
    pub to_lab: Option<i64>,
    /// Minutes since its first sample while it is not at the lab.
    pub waiting: Option<i64>,
    /// Not at the lab within its round's deadline ([`super::lab_deadline`]) of its first sample.
    pub late: bool,
}

impl BoxTimes {
    /// The times of `b` at `now`, late past `deadline` (its round's [`super::lab_deadline`]).
    pub fn of(b: &TransportBox, now: OffsetDateTime, deadline: time::Duration) -> BoxTimes {
        let since = |t: Option<OffsetDateTime>| Some((t? - b.first_sample_at?).whole_minutes());
        let to_lab = since(b.received_at);
        let waiting = match (b.received_at, b.first_sample_at) {
            (None, Some(first)) => Some((now - first).whole_minutes()),
            _ => None,
        };
        BoxTimes {
            code: b.code.to_string(),
            status: b.status.code().to_string(),
            to_seal: since(b.sealed_at),
            to_handover: since(b.handed_at),
            to_lab,
            waiting,
            // Compared whole, not in truncated minutes, so the report and the board's sweep
            // call the same boxes late.
            late: b
                .first_sample_at
                .is_some_and(|first| b.received_at.unwrap_or(now) - first >= deadline),
        }
    }

    /// How long it has taken so far: to the lab, or waiting.
    fn age(&self) -> i64 {
        self.to_lab.or(self.waiting).unwrap_or(0)
    }
}

/// The whole report of a round in an area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundReport {
    /// Coverage of the area, with its children.
    pub coverage: Coverage,
    /// The round's tubes counted.
    pub tubes: TubeTotals,
    /// Persons flagged by positive pools: to re-sample, released, positive.
    pub flagged: (usize, usize, usize),
    /// Boxes, and of those received by the lab.
    pub boxes: (usize, usize),
    /// Medians in minutes: first sample to seal, to handover, to lab.
    pub medians: (Option<i64>, Option<i64>, Option<i64>),
    /// The slowest boxes (at most five), slowest first.
    pub worst: Vec<BoxTimes>,
    /// Boxes late now or arrived late.
    pub late: Vec<BoxTimes>,
}

fn median(mut v: Vec<i64>) -> Option<i64> {
    v.sort_unstable();
    v.get(v.len().checked_sub(1)? / 2).copied()
}

impl RoundDesk<'_> {
    /// The report of a round in `area` (the user's, or the round's).
    pub async fn report(
        &self,
        id: i64,
        area: Option<doorstep_core::AreaPath>,
    ) -> AppResult<RoundReport> {
        let round = self.round(id).await?;
        let deadline = super::lab_deadline(&round);
        let coverage = self.coverage(id, area).await?;
        let tubes = self.store.tube_totals(id).await?;
        let flags = self.flags(id).await?;
        let count = |s: &str| flags.iter().filter(|(f, _)| f.status == s).count();
        let boxes = self.boxes(id).await?;
        let now = self.ctx.now();
        let times: Vec<BoxTimes> = boxes
            .iter()
            .map(|b| BoxTimes::of(b, now, deadline))
            .collect();
        let mut worst = times.clone();
        worst.sort_by_key(|t| std::cmp::Reverse(t.age()));
        worst.truncate(5);
        Ok(RoundReport {
            coverage,
            tubes,
            flagged: (count("flagged"), count("negative"), count("positive")),
            boxes: (
                boxes.len(),
                boxes.iter().filter(|b| b.received_at.is_some()).count(),
            ),
            medians: (
                median(times.iter().filter_map(|t| t.to_seal).collect()),
                median(times.iter().filter_map(|t| t.to_handover).collect()),
                median(times.iter().filter_map(|t| t.to_lab).collect()),
            ),
            late: times.iter().filter(|t| t.late).cloned().collect(),
            worst,
        })
    }

    /// Writes the report's coverage by area (区域, 应采, 已采, 免采, 未采, 覆盖率) with its
    /// totals to a spreadsheet, audited. Counts only: no personal data.
    pub async fn write_report(
        &self,
        id: i64,
        area: Option<doorstep_core::AreaPath>,
        format: SheetFormat,
        path: &std::path::Path,
    ) -> AppResult<RoundReport> {
        let report = self.report(id, area).await?;
        let c = &report.coverage;
        let line = |k: &Coverage, name: String| {
            let rate = if k.expected > 0 {
                format!("{:.1}%", 100.0 * k.sampled as f64 / k.expected as f64)
            } else {
                String::new()
            };
            vec![
                name,
                k.expected.to_string(),
                k.sampled.to_string(),
                k.excluded.to_string(),
                k.missing.to_string(),
                rate,
            ]
        };
        let mut rows: Vec<Vec<String>> = c
            .children
            .iter()
            .map(|k| {
                let name = k
                    .area
                    .as_ref()
                    .and_then(|a| a.names().last().map(str::to_string))
                    .unwrap_or_default();
                line(k, name)
            })
            .collect();
        rows.push(line(c, "合计".to_string()));
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || -> Result<(), ExportError> {
            let mut sink = Sink::create(
                format,
                &path,
                &["区域", "应采", "已采", "免采", "未采", "覆盖率"],
            )?;
            for r in &rows {
                sink.row(r)?;
            }
            sink.finish()
        })
        .await
        .map_err(ExportError::from)??;
        self.store
            .audit(&self.who.audit_entry(
                self.ctx,
                "round.report_export",
                Some(("round", id)),
                c.area.as_ref(),
                json!({"rows": c.children.len() + 1}),
            ))
            .await?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_even_and_empty() {
        assert_eq!(median(vec![30, 10, 20]), Some(20));
        assert_eq!(median(vec![40, 10, 20, 30]), Some(20));
        assert_eq!(median(vec![]), None);
    }
}
