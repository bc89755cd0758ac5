//! The daily report (日报) and its dashboard: every figure counted from the rows for a China
//! day (`doorstep_core::daily::FIGURES`, counted by `store/sql/daily.rs`), per community,
//! rolled up per street and district; a community's sign-off keeps the figures as signed, so
//! a figure that changed afterwards shows as such. Reading and exporting is
//! `Action::DailyReport`, signing `Action::SignDaily`.

mod lists;

pub use lists::{DayFilter, OnDay};

use std::path::Path;

use doorstep_core::daily::{FIGURES, Figures, day_bounds, days_ending};
use doorstep_core::problem::FieldProblem;
use doorstep_core::{AreaKind, AreaPath, Lang, Problem};
use doorstep_store::{Area, DayQuery, Signoff, Store, UnitFigures, audit_entry};
use serde_json::json;
use time::Date;

use crate::access::{Action, Ctx, Principal};
use crate::error::{AppError, AppResult};
use crate::export::{ExportError, SheetFormat, Sink};

/// How many days the charts show.
pub const CHART_DAYS: u16 = 14;

/// What a row of the report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// A district or street: the sum of the communities under it.
    Rollup,
    /// A community (or the asked area inside one): counted from the rows.
    Community,
    /// What lies under the asked area outside every community.
    Outside,
}

/// A community's sign-off as the report shows it.
#[derive(Debug, Clone)]
pub struct SignState {
    /// The sign-off.
    pub signoff: Signoff,
    /// The figures whose value differs now from the signed one.
    pub changed: Vec<&'static str>,
}

/// One row of the report.
#[derive(Debug, Clone)]
pub struct ReportRow {
    /// The area.
    pub area: Area,
    /// What the row is.
    pub kind: RowKind,
    /// Its depth below the asked area (0: the asked area).
    pub depth: usize,
    /// Its figures.
    pub figures: Figures,
    /// A community's sign-off, if signed.
    pub signed: Option<SignState>,
}

/// The report of an area for a day.
#[derive(Debug, Clone)]
pub struct DailyReport {
    /// The area asked for.
    pub area: Area,
    /// The day.
    pub day: Date,
    /// The rows in tree order: each rollup before the communities under it.
    pub rows: Vec<ReportRow>,
    /// The whole area: the sum of the communities (and what lies outside them).
    pub total: Figures,
}

impl DailyReport {
    /// The communities' rows.
    pub fn communities(&self) -> impl Iterator<Item = &ReportRow> {
        self.rows.iter().filter(|r| r.kind == RowKind::Community)
    }

    /// How many communities have signed, of how many.
    pub fn signed_count(&self) -> (usize, usize) {
        let all = self.communities().count();
        let signed = self.communities().filter(|r| r.signed.is_some()).count();
        (signed, all)
    }
}

/// The tree order of two paths: part by part, so a parent comes right before its subtree.
fn tree_order(a: &AreaPath, b: &AreaPath) -> std::cmp::Ordering {
    a.as_str().split('/').cmp(b.as_str().split('/'))
}

fn under(path: &AreaPath, top: &AreaPath) -> bool {
    let (p, t) = (path.as_str(), top.as_str());
    p == t || (p.len() > t.len() && p.starts_with(t) && p.as_bytes()[t.len()] == b'/')
}

/// The daily report as one user may use it.
pub struct DailyDesk<'a> {
    store: &'a dyn Store,
    who: &'a Principal,
    ctx: &'a Ctx,
}

impl<'a> DailyDesk<'a> {
    /// The desk for `who`.
    pub fn new(store: &'a dyn Store, who: &'a Principal, ctx: &'a Ctx) -> Self {
        DailyDesk { store, who, ctx }
    }

    /// The asked area (the user's own when blank), authorized for `action`: not found outside
    /// the user's area or when it does not exist.
    async fn area(&self, raw: &str, action: Action) -> AppResult<Area> {
        let path = match raw.trim() {
            "" => self.who.area().cloned().ok_or_else(|| {
                AppError::Validation(vec![FieldProblem::new("area", Problem::Required)])
            })?,
            a => AreaPath::parse(a).map_err(|_| AppError::NotFound)?,
        };
        self.who.authorize(action, &path)?;
        self.store
            .area_by_path(&path)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// The day asked for (today when blank), never after today.
    fn day(&self, raw: &str) -> AppResult<Date> {
        let today = self.ctx.today();
        let day = doorstep_core::daily::day_or(raw, today)
            .map_err(|p| AppError::Validation(vec![FieldProblem::new("day", p)]))?;
        if day > today {
            return Err(AppError::Validation(vec![FieldProblem::new(
                "day",
                Problem::FutureDate,
            )]));
        }
        Ok(day)
    }

    async fn units(&self, area: &Area, day: Date) -> AppResult<Vec<UnitFigures>> {
        let (from, to) = day_bounds(day);
        Ok(self
            .store
            .daily_figures(&DayQuery {
                area: area.path.clone(),
                day,
                from,
                to,
                now: self.ctx.now(),
            })
            .await?)
    }

    /// The report of `area` (the user's own when blank) for `day` (`YYYY-MM-DD`, today when
    /// blank): its communities, the streets and districts above them summed, the total, and
    /// each community's sign-off with what changed since.
    pub async fn report(&self, area: &str, day: &str) -> AppResult<DailyReport> {
        let area = self.area(area, Action::DailyReport).await?;
        let day = self.day(day)?;
        let units = self.units(&area, day).await?;
        let signoffs = self.store.daily_signoffs(&area.path, day).await?;
        let mut total = Figures::default();
        let mut rows = Vec::new();
        for u in &units {
            total.add_all(&u.figures);
        }
        // The streets and districts in the area (itself included), each the sum of its units.
        let tree = self.store.area_tree(&area.path).await?;
        for a in tree.iter().map(|c| &c.area) {
            if !matches!(a.kind, AreaKind::District | AreaKind::Street) {
                continue;
            }
            let mut sum = Figures::default();
            for u in units
                .iter()
                .filter(|u| u.area.id != area.id && under(&u.area.path, &a.path))
            {
                sum.add_all(&u.figures);
            }
            if a.id == area.id {
                sum = total.clone();
            }
            rows.push(ReportRow {
                area: a.clone(),
                kind: RowKind::Rollup,
                depth: 0,
                figures: sum,
                signed: None,
            });
        }
        for u in units {
            let outside = u.area.id == area.id && area.kind < AreaKind::Community;
            let signed = signoffs
                .iter()
                .find(|s| s.area_id == u.area.id)
                .map(|s| SignState {
                    changed: s.figures.changed_since(&u.figures),
                    signoff: s.clone(),
                });
            rows.push(ReportRow {
                area: u.area,
                kind: if outside {
                    RowKind::Outside
                } else {
                    RowKind::Community
                },
                depth: 0,
                figures: u.figures,
                signed,
            });
        }
        // Rollups first among equal paths (the area's own "outside" row comes after its sum).
        rows.sort_by(|a, b| {
            tree_order(&a.area.path, &b.area.path)
                .then((a.kind == RowKind::Outside).cmp(&(b.kind == RowKind::Outside)))
        });
        let top = area.path.as_str().split('/').count();
        for r in &mut rows {
            r.depth = r.area.path.as_str().split('/').count() - top;
        }
        Ok(DailyReport {
            area,
            day,
            rows,
            total,
        })
    }

    /// The area's totals for the last [`CHART_DAYS`] days ending with `day`, oldest first
    /// (one count per day: the charts' cost is fourteen reports).
    pub async fn trend(&self, area: &str, day: &str) -> AppResult<(Area, Vec<(Date, Figures)>)> {
        let area = self.area(area, Action::DailyReport).await?;
        let day = self.day(day)?;
        let mut out = Vec::new();
        for d in days_ending(day, CHART_DAYS) {
            let mut total = Figures::default();
            for u in self.units(&area, d).await? {
                total.add_all(&u.figures);
            }
            out.push((d, total));
        }
        Ok((area, out))
    }

    /// Signs off a community's report for `day` with its figures as counted now (audited
    /// `daily.sign`); signing again replaces the earlier sign-off. Only a community signs.
    pub async fn sign(&self, area: &str, day: &str) -> AppResult<Signoff> {
        let area = self.area(area, Action::SignDaily).await?;
        let day = self.day(day)?;
        if area.kind != AreaKind::Community {
            return Err(AppError::Validation(vec![FieldProblem::new(
                "area",
                Problem::SignCommunityOnly,
            )]));
        }
        let figures = self
            .units(&area, day)
            .await?
            .into_iter()
            .find(|u| u.area.id == area.id)
            .map(|u| u.figures)
            .unwrap_or_default();
        let s = Signoff {
            area_id: area.id,
            area_path: area.path.clone(),
            day,
            figures,
            signed_by: self.who.username().to_string(),
            signed_at: self.ctx.now(),
        };
        let entry = self.who.audit_entry(
            self.ctx,
            "daily.sign",
            Some(("area", area.id)),
            Some(&area.path),
            json!({ "day": day.to_string(), "figures": s.figures }),
        );
        Ok(self.store.sign_daily(&s, audit_entry(entry)).await?)
    }

    /// Writes a report as an XLSX (or CSV) sheet: area, level, every figure, the coverage,
    /// signed by and at; audited `daily.export`.
    pub async fn write(
        &self,
        report: &DailyReport,
        format: SheetFormat,
        path: &Path,
        lang: Lang,
    ) -> AppResult<()> {
        self.who.authorize(Action::DailyReport, &report.area.path)?;
        let mut headers: Vec<String> = vec![
            lang.pick("区域", "Area").to_string(),
            lang.pick("层级", "Level").to_string(),
        ];
        headers.extend(FIGURES.iter().map(|f| f.label(lang).to_string()));
        headers.push(lang.pick("本轮核酸覆盖率", "Testing coverage").to_string());
        headers.push(lang.pick("签收人", "Signed by").to_string());
        headers.push(lang.pick("签收时间", "Signed at").to_string());
        headers.push(lang.pick("签收后变化", "Changed since").to_string());
        let mut lines: Vec<Vec<String>> = Vec::new();
        for r in &report.rows {
            let mut cells = vec![
                r.area.path.to_string(),
                match r.kind {
                    RowKind::Outside => lang.pick("社区外", "outside communities").to_string(),
                    _ => r.area.kind.label(lang).to_string(),
                },
            ];
            cells.extend(FIGURES.iter().map(|f| r.figures.get(f.key).to_string()));
            cells.push(percent(r.figures.coverage_permille()));
            match &r.signed {
                Some(s) => {
                    cells.push(s.signoff.signed_by.clone());
                    cells.push(crate::clock::china_minute(s.signoff.signed_at));
                    cells.push(
                        s.changed
                            .iter()
                            .filter_map(|k| doorstep_core::daily::figure(k))
                            .map(|f| f.label(lang))
                            .collect::<Vec<_>>()
                            .join("、"),
                    );
                }
                None => cells.extend([String::new(), String::new(), String::new()]),
            }
            lines.push(cells);
        }
        let mut total = vec![lang.pick("合计", "Total").to_string(), String::new()];
        total.extend(FIGURES.iter().map(|f| report.total.get(f.key).to_string()));
        total.push(percent(report.total.coverage_permille()));
        lines.push(total);
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || -> Result<(), ExportError> {
            let h: Vec<&str> = headers.iter().map(String::as_str).collect();
            let mut sink = Sink::create(format, &path, &h)?;
            for l in &lines {
                sink.row(l)?;
            }
            sink.finish()
        })
        .await
        .map_err(ExportError::from)??;
        self.store
            .audit(&self.who.audit_entry(
                self.ctx,
                "daily.export",
                Some(("area", report.area.id)),
                Some(&report.area.path),
                json!({ "day": report.day.to_string(), "rows": report.rows.len() }),
            ))
            .await?;
        Ok(())
    }
}

/// A coverage in tenths of a percent as `12.3%` (blank without persons).
pub fn percent(permille: Option<i64>) -> String {
    permille.map_or_else(String::new, |p| format!("{}.{}%", p / 10, p % 10))
}
