//! Exporting persons in the import's own template (so an export re-imports cleanly), and
//! writing rejected rows back out for fixing. CSV goes through [`crate::csv_export`] (BOM,
//! formula-looking cells quoted); XLSX writes every cell as a string cell, so ID numbers and
//! phones are not mangled and `=…` text is never a formula.
//!
//! Files are written on blocking threads (`spawn_blocking`): a million-row export formats and
//! compresses for seconds, which on an async thread would stall every request sharing it.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use doorstep_core::Lang;
use doorstep_core::person::Field;
use doorstep_store::{PersonWithPlace, Store, StoreError};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use doorstep_core::AreaPath;

use crate::csv_export::CsvWriter;
use crate::import::RejectedRow;

/// Rows fetched per page while exporting.
const PAGE: u32 = 2000;

/// A spreadsheet format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetFormat {
    /// Comma-separated, UTF-8 with BOM.
    Csv,
    /// Excel workbook.
    Xlsx,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Writing the file failed.
    #[error("cannot write the file: {0}")]
    Io(#[from] std::io::Error),
    /// Writing the workbook failed.
    #[error("cannot write the workbook: {0}")]
    Xlsx(#[from] XlsxError),
    /// Reading from the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The thread writing the file failed (panicked).
    #[error("the writing thread failed")]
    Task(#[from] tokio::task::JoinError),
}

impl ExportError {
    /// The message a person reads, in their language (the cause is for the log).
    pub fn message(&self, lang: doorstep_core::Lang) -> String {
        match self {
            ExportError::Io(e) => crate::io_message(e, lang),
            ExportError::Xlsx(_) => lang
                .pick("无法写出 Excel 文件", "cannot write the workbook")
                .to_string(),
            ExportError::Store(_) => crate::STORE_FAILED.pick(lang).to_string(),
            ExportError::Task(_) => lang
                .pick(
                    "导出因内部错误中止（加 -v 查看原因）",
                    "the export stopped on an internal error (-v shows why)",
                )
                .to_string(),
        }
    }
}

/// The template's cells for one person, in `Field::ALL` order; `masked` hides the middle of the
/// ID number and phone, and the birth date, which is what the ID mask hides (for roles that
/// may export but not reveal).
pub fn person_cells(p: &PersonWithPlace, masked: bool) -> Vec<String> {
    let f = &p.person.fields;
    let o = |s: Option<&str>| s.unwrap_or("").to_string();
    Field::ALL
        .iter()
        .map(|field| match field {
            Field::Name => f.name().to_string(),
            Field::IdType => f.doc().doc_type().label_zh().to_string(),
            Field::IdNumber if masked => f.doc().masked(),
            Field::IdNumber => f.doc().number().to_string(),
            Field::Sex => o(f.sex().map(|s| s.label(Lang::Zh))),
            Field::BirthDate if masked => String::new(),
            Field::BirthDate => f.birth_date().map(|d| d.to_string()).unwrap_or_default(),
            Field::Phone if masked => f.phone().map(|p| p.masked()).unwrap_or_default(),
            Field::Phone => o(f.phone().map(|p| p.as_str())),
            Field::Compound => o(p.compound.as_deref()),
            Field::Building => o(p.building.as_deref()),
            Field::Unit => o(p.unit.as_deref()),
            Field::Room => p.room.clone(),
            Field::Relation => o(f.relation()),
            Field::Residency => o(f.residency().map(|r| r.label(Lang::Zh))),
            Field::Tags => f.tags().joined(),
        })
        .collect()
}

/// Streams every person under `area` into a file; returns how many were written. Pages are
/// read here and written on a blocking thread, at most [`PAGES_AHEAD`] pages apart.
pub async fn export_persons(
    store: &dyn Store,
    area: &AreaPath,
    format: SheetFormat,
    path: &Path,
    masked: bool,
) -> Result<u64, ExportError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<PersonWithPlace>>(PAGES_AHEAD);
    let path = path.to_path_buf();
    let writer = tokio::task::spawn_blocking(move || -> Result<u64, ExportError> {
        let headers: Vec<&str> = Field::ALL.iter().map(|f| f.header_zh()).collect();
        let mut sink = Sink::create(format, &path, &headers)?;
        let mut n = 0u64;
        while let Some(page) = rx.blocking_recv() {
            for p in &page {
                sink.row(&person_cells(p, masked))?;
                n += 1;
            }
        }
        sink.finish()?;
        Ok(n)
    });
    // The read ends early when the writer stopped (its own error then says why); the writer
    // finishes when the pages stop coming.
    let read = store.persons_in(area, PAGE, tx).await;
    let written = writer.await?;
    read?;
    written
}

/// Pages of persons read ahead of the thread writing them.
const PAGES_AHEAD: usize = 2;

/// [`write_rejects`] on a blocking thread: what async callers (the web's import job, the CLI)
/// use.
pub async fn save_rejects(
    path: PathBuf,
    headers: Vec<String>,
    rows: Vec<RejectedRow>,
    lang: Lang,
) -> Result<(), ExportError> {
    tokio::task::spawn_blocking(move || write_rejects(&path, &headers, &rows, lang)).await?
}

/// Writes rejected rows with the original header plus a reason column, for fixing and
/// re-importing. It blocks: async code calls [`save_rejects`].
pub fn write_rejects(
    path: &Path,
    headers: &[String],
    rows: &[RejectedRow],
    lang: Lang,
) -> Result<(), ExportError> {
    let mut h: Vec<&str> = headers.iter().map(String::as_str).collect();
    h.push(lang.pick("错误原因", "Reason"));
    h.push(lang.pick("原行号", "Original row"));
    let mut sink = Sink::create(SheetFormat::Xlsx, path, &h)?;
    for r in rows {
        let mut cells = r.cells.clone();
        cells.resize(headers.len(), String::new());
        cells.push(r.reason.clone());
        cells.push(r.row.to_string());
        sink.row(&cells)?;
    }
    sink.finish()
}

/// A spreadsheet being written row by row (also used by the report export).
pub(crate) enum Sink {
    Csv(Box<CsvWriter<BufWriter<File>>>),
    Xlsx {
        book: Box<Workbook>,
        path: std::path::PathBuf,
        row: u32,
    },
}

impl Sink {
    pub(crate) fn create(
        format: SheetFormat,
        path: &Path,
        headers: &[&str],
    ) -> Result<Sink, ExportError> {
        match format {
            SheetFormat::Csv => {
                let out = BufWriter::new(File::create(path)?);
                Ok(Sink::Csv(Box::new(CsvWriter::new(out, headers)?)))
            }
            SheetFormat::Xlsx => {
                let mut book = Box::new(Workbook::new());
                let bold = Format::new().set_bold();
                let sheet = book.add_worksheet_with_constant_memory();
                sheet.set_name("人员")?;
                for (i, h) in headers.iter().enumerate() {
                    sheet.write_string_with_format(0, i as u16, *h, &bold)?;
                    sheet.set_column_width(i as u16, if h.contains("号码") { 22 } else { 12 })?;
                }
                sheet.set_freeze_panes(1, 0)?;
                Ok(Sink::Xlsx {
                    book,
                    path: path.to_path_buf(),
                    row: 1,
                })
            }
        }
    }

    pub(crate) fn row(&mut self, cells: &[String]) -> Result<(), ExportError> {
        match self {
            Sink::Csv(w) => w.row(cells)?,
            Sink::Xlsx { book, row, .. } => {
                let sheet = book.worksheet_from_index(0)?;
                for (i, c) in cells.iter().enumerate() {
                    // Every cell is a string cell: an ID number or phone never becomes a number,
                    // and text starting with `=` never becomes a formula.
                    if !c.is_empty() {
                        sheet.write_string(*row, i as u16, c)?;
                    }
                }
                *row += 1;
            }
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<(), ExportError> {
        match self {
            Sink::Csv(w) => {
                w.finish()?
                    .into_inner()
                    .map_err(|e| std::io::Error::other(e.to_string()))?
                    .sync_all()?;
            }
            Sink::Xlsx { mut book, path, .. } => book.save(&path)?,
        }
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use std::time::Duration;

    /// Runs `body` on a single-threaded runtime in its own thread; whether it finished within
    /// `secs` (a runtime blocked by file IO never does).
    fn finishes_in(secs: u64, body: impl Future<Output = ()> + Send + 'static) -> bool {
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(body);
            let _ = done.send(());
        });
        finished.recv_timeout(Duration::from_secs(secs)).is_ok()
    }

    /// A named pipe: opening it to write blocks until someone opens it to read.
    fn fifo(dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(made.success());
        path
    }

    /// The export's file is written off the async thread: on a single-threaded runtime, a file
    /// that blocks the writer (a pipe nobody reads yet) must not keep the reader, a task on
    /// the same runtime, from running.
    #[test]
    fn a_blocking_file_does_not_stall_the_runtime() {
        let dir = tempfile::tempdir().unwrap();
        let (persons, rejects) = (fifo(dir.path(), "persons.csv"), fifo(dir.path(), "r.xlsx"));
        let finished = finishes_in(30, async move {
            let db = doorstep_testkit::TestDb::new(doorstep_testkit::Backend::Sqlite)
                .await
                .unwrap();
            let area = doorstep_testkit::demo_community(db.store.as_ref()).await;
            let export = export_persons(
                db.store.as_ref(),
                &area.path,
                SheetFormat::Csv,
                &persons,
                false,
            );
            let (written, read) = tokio::join!(export, tokio::fs::read(&persons));
            let read = read.unwrap();
            assert!(read.starts_with("\u{feff}姓名".as_bytes()), "{read:?}");
            // A pipe cannot be synced to disk; everything before that reached the reader.
            assert!(
                matches!(written, Ok(0) | Err(ExportError::Io(_))),
                "{written:?}"
            );
            let save = save_rejects(rejects.clone(), vec!["姓名".into()], Vec::new(), Lang::Zh);
            let (_, read) = tokio::join!(save, tokio::fs::read(&rejects));
            read.unwrap();
        });
        assert!(finished, "writing a file stalled the async runtime");
    }
}
