//! Exporting rows with a template: the one access check (`Export` on the area), the rows of
//! the template's kind read page by page and written on a blocking thread through the export
//! sink (CSV through `csv_export`, XLSX in constant-memory mode, every cell a string cell),
//! ID numbers and phones masked for roles that may not reveal them, one audit entry.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use doorstep_core::daily::day_range;
use doorstep_core::templates::{RowKind, Template};
use doorstep_core::{AreaKind, AreaPath, Lang};
use doorstep_store::{Episode, EpisodeFilter, PageRequest, PersonWithPlace, Store};
use serde_json::json;
use time::Date;
use tokio::sync::mpsc;

use super::{TemplateDesk, TemplateView, kinds};
use crate::access::Action;
use crate::error::{AppError, AppResult};
use crate::export::{ExportError, SheetFormat, Sink, person_cells};

/// Rows read per page.
pub(super) const PAGE: u32 = 2000;
/// Pages read ahead of the thread writing them.
const PAGES_AHEAD: usize = 2;

/// The days a daily figures export covers, as a query, a form or a command gives them
/// (`YYYY-MM-DD`, both included): `to` blank is today, `from` blank the fourteen days ending
/// with `to` (the report's charts' span). Other kinds of rows have no days and ignore them.
#[derive(Debug, Clone, Default)]
pub struct ExportDays {
    /// The first day.
    pub from: String,
    /// The last day.
    pub to: String,
}

/// What an export with a template wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TemplateExport {
    /// Rows written (after the header).
    pub rows: u64,
    /// Whether ID numbers and phones were masked.
    pub masked: bool,
}

impl TemplateDesk<'_> {
    /// Exports the rows of the template's kind under `area` (a path) to `path`, audited
    /// `template.export`. Not found for an area outside the user's or a template out of
    /// their reach; forbidden for a role that may not export; invalid for a daily figures
    /// export whose days do not read, are reversed or span more than 366 days.
    pub async fn export(
        &self,
        template: &str,
        area: &str,
        days: &ExportDays,
        format: SheetFormat,
        path: &Path,
    ) -> AppResult<(TemplateView, TemplateExport)> {
        let area = AreaPath::parse(area.trim()).map_err(|_| AppError::NotFound)?;
        self.who.authorize(Action::Export, &area)?;
        let view = self.find(template).await?;
        self.store
            .area_by_path(&area)
            .await?
            .ok_or(AppError::NotFound)?;
        let masked = !self.who.may(Action::Reveal);
        let t = view.template.clone();
        // The days exported, for the audit entry (daily figures only).
        let mut span = serde_json::Value::Null;
        let rows = match t.kind() {
            RowKind::Persons => {
                let today = self.ctx.today();
                persons(self.store, &area, t, format, path, masked, today).await?
            }
            RowKind::SelfReports => {
                self_reports(self.store, &area, t, format, path, masked).await?
            }
            RowKind::Episodes => episodes(self.store, &area, t, format, path).await?,
            RowKind::TestResults => {
                kinds::test_results(self.store, &area, t, format, path, masked).await?
            }
            RowKind::CallOutcomes => {
                // Lists are worked by those who may work them: the same rule as their pages.
                self.who.authorize(Action::InvestigationLists, &area)?;
                kinds::call_outcomes(self.store, &area, t, format, path, masked).await?
            }
            RowKind::DailyFigures => {
                self.who.authorize(Action::DailyReport, &area)?;
                let days = day_range(
                    &days.from,
                    &days.to,
                    self.ctx.today(),
                    crate::daily::CHART_DAYS,
                )
                .map_err(AppError::Validation)?;
                if let (Some(a), Some(b)) = (days.first(), days.last()) {
                    span = json!([a.to_string(), b.to_string()]);
                }
                let now = self.ctx.now();
                kinds::daily_figures(self.store, &area, t, format, path, days, now).await?
            }
        };
        let done = TemplateExport { rows, masked };
        let entry = self.who.audit_entry(
            self.ctx,
            "template.export",
            Some(("template", view.id)),
            Some(&area),
            json!({"template": view.template.name(), "kind": view.template.kind().code(),
                   "rows": rows, "masked": masked, "days": span,
                   "format": if format == SheetFormat::Csv { "csv" } else { "xlsx" }}),
        );
        self.store.audit(&entry).await?;
        Ok((view, done))
    }
}

/// A thread writing pages of `T` as the template's rows; `fields` makes a row's fields.
pub(super) fn spawn_writer<T: Send + 'static>(
    template: Template,
    format: SheetFormat,
    path: &Path,
    mut fields: impl FnMut(&T) -> Vec<String> + Send + 'static,
) -> (
    mpsc::Sender<Vec<T>>,
    tokio::task::JoinHandle<Result<u64, ExportError>>,
) {
    let (tx, mut rx) = mpsc::channel::<Vec<T>>(PAGES_AHEAD);
    let path: PathBuf = path.to_path_buf();
    let writer = tokio::task::spawn_blocking(move || -> Result<u64, ExportError> {
        let mut sink = Sink::create(format, &path, &template.headers())?;
        let mut n = 0u64;
        while let Some(page) = rx.blocking_recv() {
            for item in &page {
                sink.row(&template.cells(&fields(item)))?;
                n += 1;
            }
        }
        sink.finish()?;
        Ok(n)
    });
    (tx, writer)
}

/// Sends the pages `page(after)` reads, each after the last row's `key`, until one is empty
/// or the writer stops (its own error then says why).
pub(super) async fn send_pages<T, F>(
    tx: &mpsc::Sender<Vec<T>>,
    key: impl Fn(&T) -> i64,
    mut page: impl FnMut(i64) -> F,
) -> Result<(), ExportError>
where
    F: Future<Output = Result<Vec<T>, doorstep_store::StoreError>>,
{
    let mut after = 0;
    loop {
        let rows = page(after).await?;
        let Some(last) = rows.last() else { break };
        after = key(last);
        if tx.send(rows).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// Waits for the writer after the reading ended (either way): the writer's error first.
pub(super) async fn finish(
    read: Result<(), ExportError>,
    tx: mpsc::Sender<impl Send>,
    writer: tokio::task::JoinHandle<Result<u64, ExportError>>,
) -> AppResult<u64> {
    drop(tx);
    let written = writer.await.map_err(ExportError::from)?;
    read?;
    Ok(written?)
}

/// Names of the communities and grids over the persons of `area`, by path.
#[derive(Default)]
struct Above {
    community: HashMap<String, String>,
    grid: HashMap<String, String>,
}

impl Above {
    async fn of(store: &dyn Store, area: &AreaPath) -> Result<Above, ExportError> {
        let mut above = Above::default();
        for (kind, names) in [
            (AreaKind::Community, &mut above.community),
            (AreaKind::Grid, &mut above.grid),
        ] {
            for a in store.areas_of_kind(area, kind).await? {
                names.insert(a.path.as_str().to_string(), a.name);
            }
        }
        // The export area may lie inside a community or grid.
        let mut cur = area.parent();
        while let Some(p) = cur {
            if let Some(a) = store.area_by_path(&p).await? {
                match a.kind {
                    AreaKind::Community => above.community.insert(p.to_string(), a.name),
                    AreaKind::Grid => above.grid.insert(p.to_string(), a.name),
                    _ => None,
                };
            }
            cur = p.parent();
        }
        Ok(above)
    }

    fn name(names: &HashMap<String, String>, at: &AreaPath) -> String {
        std::iter::successors(Some(at.clone()), AreaPath::parent)
            .find_map(|p| names.get(p.as_str()).cloned())
            .unwrap_or_default()
    }
}

async fn persons(
    store: &dyn Store,
    area: &AreaPath,
    template: Template,
    format: SheetFormat,
    path: &Path,
    masked: bool,
    today: Date,
) -> AppResult<u64> {
    let above = if template.uses("community") || template.uses("grid") {
        Above::of(store, area).await?
    } else {
        Above::default()
    };
    let (tx, writer) = spawn_writer(template, format, path, move |p: &PersonWithPlace| {
        person_fields(p, masked, today, &above)
    });
    let read = store
        .persons_in(area, PAGE, tx.clone())
        .await
        .map_err(ExportError::from);
    finish(read, tx, writer).await
}

/// A person's fields in `PERSON_FIELDS` order: the roster's cells with the age, the address,
/// the area and the community and grid around them.
fn person_fields(p: &PersonWithPlace, masked: bool, today: Date, above: &Above) -> Vec<String> {
    let mut c = person_cells(p, masked).into_iter();
    let mut next = || c.next().unwrap_or_default();
    let (name, id_type, id_number, sex, birth) = (next(), next(), next(), next(), next());
    let age = match p.person.fields.birth_date() {
        Some(b) if !masked => doorstep_core::age::years(b, today).max(0).to_string(),
        _ => String::new(),
    };
    let (phone, compound, building, unit, room) = (next(), next(), next(), next(), next());
    let (relation, residency, tags) = (next(), next(), next());
    let at = &p.person.area_path;
    vec![
        name,
        id_type,
        id_number,
        sex,
        birth,
        age,
        phone,
        compound,
        building,
        unit,
        room,
        p.person.address.clone(),
        relation,
        residency,
        tags,
        at.as_str().to_string(),
        Above::name(&above.community, at),
        Above::name(&above.grid, at),
    ]
}

async fn self_reports(
    store: &dyn Store,
    area: &AreaPath,
    template: Template,
    format: SheetFormat,
    path: &Path,
    masked: bool,
) -> AppResult<u64> {
    // Accepted reports are thousands, not millions: read whole, as the direct report does.
    let reports = store.reports_for_export(area, false).await?;
    let rows = crate::reports::report_rows(store, &reports, masked).await?;
    let (tx, writer) = spawn_writer(template, format, path, |r: &Vec<String>| r.clone());
    let read = async {
        for chunk in rows.chunks(PAGE as usize) {
            if tx.send(chunk.to_vec()).await.is_err() {
                break;
            }
        }
        Ok::<(), ExportError>(())
    }
    .await;
    finish(read, tx, writer).await
}

async fn episodes(
    store: &dyn Store,
    area: &AreaPath,
    template: Template,
    format: SheetFormat,
    path: &Path,
) -> AppResult<u64> {
    let (tx, writer) = spawn_writer(template, format, path, episode_fields);
    let read = async {
        let mut offset = 0;
        loop {
            let page = store
                .episodes_under(
                    area,
                    &EpisodeFilter::default(),
                    PageRequest {
                        offset,
                        limit: PAGE,
                    },
                )
                .await?;
            let n = page.items.len() as u32;
            if n == 0 || tx.send(page.items).await.is_err() {
                break;
            }
            offset += n;
        }
        Ok::<(), ExportError>(())
    }
    .await;
    finish(read, tx, writer).await
}

/// An episode's fields in `EPISODE_FIELDS` order.
fn episode_fields(e: &Episode) -> Vec<String> {
    let day = |t: time::OffsetDateTime| t.to_offset(crate::clock::CHINA).date().to_string();
    vec![
        e.name.clone(),
        e.address.clone(),
        e.area_path.as_str().to_string(),
        e.measure.name_zh().to_string(),
        e.reason.clone(),
        format!("{} v{}", e.policy_key, e.policy_version),
        e.starts_on.to_string(),
        e.last_day.to_string(),
        e.status.label(Lang::Zh).to_string(),
        e.ended_at.map(day).unwrap_or_default(),
        e.created_by.clone(),
        day(e.created_at),
    ]
}
