//! The staff roster in and out as offices keep it: CSV (UTF-8 or GBK) or XLSX through the one
//! roster reader, every bad row reported with its spreadsheet row and column; the export
//! writes the same columns, so it re-imports as it was.

use std::path::{Path, PathBuf};

use doorstep_core::staff::{StaffColumn, StaffFields, StaffInput};
use doorstep_core::{AreaPath, Lang};
use doorstep_store::{PageRequest, StaffImport, StaffMember, StaffQuery, audit_with};
use serde::Serialize;
use serde_json::json;

use super::StaffDesk;
use crate::access::Action;
use crate::error::{AppError, AppResult};
use crate::export::{ExportError, SheetFormat, Sink};
use crate::import::reader::{FileError, RosterReader};
use crate::import::{ImportError, RowError};

/// Rows written per transaction.
const BATCH: usize = 1000;

/// What a staff import did. Serialises to the CLI's `--json` object.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StaffImportReport {
    /// Data rows read.
    pub rows: u64,
    /// New staff records.
    pub created: u64,
    /// Records whose details changed.
    pub updated: u64,
    /// Records already as the file says.
    pub unchanged: u64,
    /// Rows not imported.
    pub rejected: u64,
    /// Rows whose phone a later row of the file lists again (the last one is imported).
    pub superseded: u64,
    /// Why, row by row.
    pub errors: Vec<RowError>,
}

/// The rows of a file, read and checked on a blocking thread.
struct Read {
    good: Vec<(u64, StaffFields)>,
    errors: Vec<RowError>,
    phone_header: String,
}

fn read(path: &Path, lang: Lang) -> Result<Read, FileError> {
    let mut reader = RosterReader::<StaffColumn>::open(path)?;
    let index = reader.field_index();
    let header = |c: StaffColumn| reader.header_of(c);
    let headers: Vec<(StaffColumn, String)> =
        StaffColumn::ALL.iter().map(|&c| (c, header(c))).collect();
    let phone_header = header(StaffColumn::Phone);
    let mut good = Vec::new();
    let mut errors = Vec::new();
    while let Some(next) = reader.next_row() {
        let (raw, _) = next?;
        let cell = |c: StaffColumn| {
            index
                .get(&c)
                .and_then(|&i| raw.cells.get(i))
                .map(|x| x.text())
                .unwrap_or_default()
        };
        let input = StaffInput {
            name: cell(StaffColumn::Name),
            phone: cell(StaffColumn::Phone),
            kind: cell(StaffColumn::Kind),
            skills: cell(StaffColumn::Skills),
            availability: cell(StaffColumn::Availability),
            notes: cell(StaffColumn::Notes),
        };
        match input.parse() {
            Ok(f) => good.push((raw.row, f)),
            Err(problems) => errors.extend(problems.into_iter().map(|p| {
                let column = headers
                    .iter()
                    .find(|(c, _)| c.key() == p.path)
                    .map(|(_, h)| h.clone())
                    .unwrap_or(p.path);
                RowError {
                    row: raw.row,
                    column,
                    code: p.problem.code().to_string(),
                    message: p.problem.message(lang),
                }
            })),
        }
    }
    Ok(Read {
        good,
        errors,
        phone_header,
    })
}

impl StaffDesk<'_> {
    /// Imports a staff roster into the area at `area` (the user's own when blank), keyed by
    /// phone: new phones are added, known ones updated (and back at work). A phone on a
    /// record managed outside this user's area is refused for that row. Audited with the
    /// counts.
    pub async fn import(
        &self,
        area: &str,
        file: PathBuf,
        lang: Lang,
    ) -> AppResult<StaffImportReport> {
        let area = self.managed_area(area).await?;
        let read = tokio::task::spawn_blocking(move || read(&file, lang))
            .await
            .map_err(|e| AppError::Import(ImportError::Internal(e)))?
            .map_err(|e| AppError::Import(ImportError::File(e)))?;
        let mut report = StaffImportReport {
            rows: (read.good.len() + row_count(&read.errors)) as u64,
            errors: read.errors,
            ..StaffImportReport::default()
        };
        // A person listed twice (a roster merged from two offices): the last row is current.
        let mut last: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (i, (_, f)) in read.good.iter().enumerate() {
            last.insert(f.phone.as_str().to_string(), i);
        }
        let good: Vec<(u64, StaffFields)> = read
            .good
            .into_iter()
            .enumerate()
            .filter(|(i, (_, f))| last.get(f.phone.as_str()) == Some(i))
            .map(|(_, r)| r)
            .collect();
        report.superseded = (last_len(&report) - good.len()) as u64;
        let within = self.who.area().cloned();
        for batch in good.chunks(BATCH) {
            let rows: Vec<StaffFields> = batch.iter().map(|(_, f)| f.clone()).collect();
            let entry = self.who.audit_entry(
                self.ctx,
                "staff.import",
                None,
                Some(&area.path),
                serde_json::Value::Null,
            );
            let done = self
                .store
                .import_staff(
                    area.id,
                    within.as_ref(),
                    &rows,
                    audit_with(move |r: &StaffImport| {
                        let mut e = entry;
                        e.details = json!({"created": r.created, "updated": r.updated,
                                           "unchanged": r.unchanged, "refused": r.refused.len()});
                        vec![e]
                    }),
                )
                .await?;
            report.created += done.created;
            report.updated += done.updated;
            report.unchanged += done.unchanged;
            for i in done.refused {
                report.errors.push(RowError {
                    row: batch[i].0,
                    column: read.phone_header.clone(),
                    code: "staff_registered_elsewhere".into(),
                    message: lang
                        .pick(
                            "该手机号已登记为您负责区域以外的工作人员，未导入",
                            "this phone belongs to staff managed outside your area; not imported",
                        )
                        .to_string(),
                });
            }
        }
        report.errors.sort_by_key(|e| e.row);
        report.rejected = row_count(&report.errors) as u64;
        Ok(report)
    }

    /// Writes the staff managed under `area` (the user's own when `None`) to a file in the
    /// import's columns; returns how many. Audited.
    pub async fn export(
        &self,
        area: Option<AreaPath>,
        format: SheetFormat,
        path: &Path,
    ) -> AppResult<u64> {
        let scope = self.who.scope(area).ok_or(AppError::NotFound)?;
        match &scope {
            Some(a) => self.who.authorize(Action::Read, a)?,
            None if self.who.may(Action::Read) => {}
            None => return Err(AppError::NotFound),
        }
        let mut all: Vec<StaffMember> = Vec::new();
        loop {
            let page = self
                .store
                .staff_list(&StaffQuery {
                    area: scope.clone(),
                    above: Vec::new(),
                    kind: None,
                    active: None,
                    text: None,
                    page: PageRequest {
                        offset: all.len() as u32,
                        limit: 1000,
                    },
                })
                .await?;
            let n = page.items.len();
            all.extend(page.items);
            if n < 1000 {
                break;
            }
        }
        let path = path.to_path_buf();
        let n = all.len() as u64;
        tokio::task::spawn_blocking(move || -> Result<(), ExportError> {
            let mut headers: Vec<&str> = StaffColumn::ALL.iter().map(|c| c.header_zh()).collect();
            headers.extend(["状态", "所属区域"]);
            let mut sink = Sink::create(format, &path, &headers)?;
            for m in &all {
                let f = &m.fields;
                sink.row(&[
                    f.name.clone(),
                    f.phone.as_str().to_string(),
                    f.kind.label(Lang::Zh).to_string(),
                    f.skills.join("、"),
                    f.availability.clone(),
                    f.notes.clone(),
                    if m.active { "在岗" } else { "停用" }.to_string(),
                    m.area_path.to_string(),
                ])?;
            }
            sink.finish()
        })
        .await
        .map_err(ExportError::from)??;
        let area_path = scope.or_else(|| self.who.area().cloned());
        self.store
            .audit(&self.who.audit_entry(
                self.ctx,
                "staff.export",
                None,
                area_path.as_ref(),
                json!({ "rows": n }),
            ))
            .await?;
        Ok(n)
    }
}

/// The good rows read: every row less those with an error.
fn last_len(r: &StaffImportReport) -> usize {
    r.rows as usize - row_count(&r.errors)
}

impl StaffDesk<'_> {
    /// Writes a responsibility table (from [`StaffDesk::table`]) to a file: 区域, 职责, 姓名,
    /// 手机号, 单位/类别.
    pub async fn write_table(
        &self,
        rows: &[doorstep_store::DutyAssignment],
        format: SheetFormat,
        path: &Path,
    ) -> AppResult<()> {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|a| {
                vec![
                    a.area_path.to_string(),
                    a.duty.label(Lang::Zh).to_string(),
                    a.staff.fields.name.clone(),
                    a.staff.fields.phone.as_str().to_string(),
                    a.staff.fields.kind.label(Lang::Zh).to_string(),
                ]
            })
            .collect();
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || -> Result<(), ExportError> {
            let mut sink = Sink::create(
                format,
                &path,
                &["区域", "职责", "姓名", "手机号", "单位/类别"],
            )?;
            for r in &cells {
                sink.row(r)?;
            }
            sink.finish()
        })
        .await
        .map_err(ExportError::from)??;
        Ok(())
    }
}

/// The number of distinct rows with an error.
fn row_count(errors: &[RowError]) -> usize {
    let mut rows: Vec<u64> = errors.iter().map(|e| e.row).collect();
    rows.sort_unstable();
    rows.dedup();
    rows.len()
}
