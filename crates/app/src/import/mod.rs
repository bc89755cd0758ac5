//! Importing a roster of persons into an area: every good row lands, every bad row is
//! reported with its spreadsheet row, column and reason, and re-importing creates nothing.
//!
//! A blocking thread reads and validates rows while the async side places them and writes
//! them in batches, so parsing and SQLite's writer overlap on two cores.

mod csv_rows;
mod places;
pub use places::address_prefix;
pub mod reader;

use std::collections::HashSet;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::Poll;

use doorstep_core::person::{Field, PersonInput};
use doorstep_core::roster::AddressParts;
use doorstep_core::{AreaKind, AreaPath, Lang, PersonFields, Problem};
use doorstep_store::{
    Actor, Area, Audit, BatchReport, Direct, Load, NewAudit, NewPlace, PersonUpsert, Store,
    StoreError, UpsertOutcome, UpsertReport, no_audit,
};
use serde::Serialize;
use tokio::sync::mpsc;

use self::places::{PlaceError, Places};
use self::reader::{FileError, RawRow, RosterReader};
use crate::today;

/// Persons written per transaction.
const BATCH: usize = 20_000;
/// Rows the reader thread hands over at a time.
const CHUNK: usize = 500;
/// Chunks the reader may run ahead: a whole batch, so reading goes on while a batch is written.
const AHEAD: usize = BATCH / CHUNK;
/// Imports of at least this many rows (estimated from the file) are bulk loads when they are
/// also large next to the registry (see [`bulk_worth_it`]).
const BULK_ROWS: u64 = 50_000;

/// What to import and as whom.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The community (or lower area) the roster belongs to.
    pub into: AreaPath,
    /// Who imports, for the history.
    pub actor: Actor,
    /// The language of error messages.
    pub lang: Lang,
    /// Keep the cells of rejected rows, to write them back out for fixing.
    pub keep_rejects: bool,
    /// Write as one bulk load (all or nothing, indexes rebuilt at the end) or batch by batch;
    /// `None` decides by the file's size next to the registry's.
    pub bulk: Option<bool>,
    /// Rows per batch; `None` for the usual 20,000. One row per batch is the slow, plainly
    /// correct import the tests hold the fast one against.
    pub batch_rows: Option<usize>,
    /// The entry that records the import, its details set to the counts and written in the
    /// transaction of the last batch (a bulk load's one), so an import that lands is never
    /// without it; `None`: not audited.
    pub audit: Option<NewAudit>,
}

/// What an import did. Serialises to the CLI's `--json` object.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// Data rows read (blank rows are not counted).
    pub rows: u64,
    /// New person files.
    pub created: u64,
    /// Existing files changed.
    pub updated: u64,
    /// Rows that matched their file exactly.
    pub unchanged: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// Households created.
    pub households_created: u64,
    /// One entry per problem of each rejected row.
    pub errors: Vec<RowError>,
    /// The header of the file, for writing rejected rows back out.
    #[serde(skip)]
    pub headers: Vec<String>,
    /// Rejected rows with their cells and reasons, when asked for.
    #[serde(skip)]
    pub rejects: Vec<RejectedRow>,
}

/// One problem of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The spreadsheet row number (header = row 1).
    pub row: u64,
    /// The column's header as the file wrote it.
    pub column: String,
    /// The stable problem code.
    pub code: String,
    /// The message in the chosen language.
    pub message: String,
}

/// A rejected row as the file held it, with why.
#[derive(Debug, Clone)]
pub struct RejectedRow {
    /// The spreadsheet row number.
    pub row: u64,
    /// The cells as text.
    pub cells: Vec<String>,
    /// Every reason, joined.
    pub reason: String,
}

/// How far an import has come.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Rows handled.
    pub rows: u64,
    /// Bytes of the file read (CSV).
    pub bytes: u64,
    /// The file's size.
    pub total_bytes: u64,
    /// Rows in the file, when known (XLSX).
    pub total_rows: Option<u64>,
}

/// Why a whole import could not run.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read as a roster.
    #[error(transparent)]
    File(#[from] FileError),
    /// The target area does not exist.
    #[error("area not found: {0}")]
    AreaNotFound(AreaPath),
    /// The target area is above a community.
    #[error("import into a community or lower area, not a {0}")]
    AreaTooHigh(AreaKind),
    /// Storage failed. A bulk load keeps nothing; otherwise batches written before the
    /// failure stay written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The reading thread failed (panicked): nothing about the file or the store. A bulk load
    /// keeps nothing; otherwise batches written before stay written.
    #[error("the import's reading thread failed")]
    Internal(#[source] tokio::task::JoinError),
}

impl ImportError {
    /// The message a person reads, in their language.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            ImportError::File(e) => file_message(e, lang),
            ImportError::AreaNotFound(p) => match lang {
                Lang::Zh => format!("区域不存在：{p}"),
                Lang::En => format!("area not found: {p}"),
            },
            ImportError::AreaTooHigh(k) => match lang {
                Lang::Zh => format!("请导入到社区或更下级的区域，而不是{}", k.label(lang)),
                Lang::En => format!(
                    "import into a community or lower area, not a {}",
                    k.label(lang)
                ),
            },
            ImportError::Store(_) => lang
                .pick(
                    "保存失败，已写入的批次保留，可重新导入同一文件",
                    "storage failed; batches already written stay, and re-importing the same file is safe",
                )
                .to_string(),
            ImportError::Internal(_) => lang
                .pick(
                    "导入因系统内部错误中止，已写入的批次保留，可重新导入同一文件",
                    "the import stopped on an internal error; batches already written stay, and re-importing the same file is safe",
                )
                .to_string(),
        }
    }
}

/// What is wrong with a whole file, in the reader's language.
fn file_message(e: &FileError, lang: Lang) -> String {
    match (e, lang) {
        (FileError::MissingColumn(zh, _), Lang::Zh) => {
            format!("文件缺少“{zh}”列（表头须在第一行）")
        }
        (FileError::MissingColumn(_, en), Lang::En) => {
            format!("the file has no \"{en}\" column (the header must be the first row)")
        }
        (FileError::Empty, _) => lang.pick("文件是空的", "the file is empty").to_string(),
        (FileError::Csv { line }, Lang::Zh) => {
            format!("文件第 {line} 行有一个引号没有闭合，请在 Excel 中检查该行后另存为 CSV")
        }
        (FileError::Csv { line }, Lang::En) => format!(
            "row {line} opens a quote that is never closed; check that row in Excel and save as CSV again"
        ),
        (FileError::Xlsx(_), _) => lang
            .pick(
                "无法读取该 Excel 文件，请用 Excel 或 WPS 另存为 .xlsx 或 .csv 后重试",
                "the workbook cannot be read; save it again as .xlsx or .csv from Excel or WPS",
            )
            .to_string(),
        (FileError::Io(io), _) => crate::io_message(io, lang),
    }
}

/// A row after validation, as the reader thread hands it over.
struct Checked {
    row: u64,
    bytes: u64,
    result: RowResult,
    cells: Option<Vec<String>>,
}

/// Imports a roster file into an area. `progress` is called after each chunk of rows.
pub async fn import_persons(
    store: &dyn Store,
    file: PathBuf,
    opts: &ImportOptions,
    mut progress: impl FnMut(Progress) + Send,
) -> Result<ImportReport, ImportError> {
    let base = target_area(store, &opts.into).await?;
    let reader = tokio::task::spawn_blocking(move || RosterReader::<Field>::open(&file))
        .await
        .map_err(ImportError::Internal)??;
    let columns: Vec<String> = Field::ALL.iter().map(|f| reader.header_of(*f)).collect();
    let (total_bytes, total_rows) = (reader.total_bytes, reader.total_rows);
    let headers = reader.headers.clone();

    let (tx, mut rx) = mpsc::channel::<Result<Vec<Checked>, FileError>>(AHEAD);
    // A scoped importer's good rows may still be refused by the store (a document on file
    // outside their area), so their cells are kept too while they wait in a batch.
    let keep = match (opts.keep_rejects, opts.actor.within.is_some()) {
        (false, _) => KeepCells::None,
        (true, false) => KeepCells::Rejected,
        (true, true) => KeepCells::All,
    };
    let reading = tokio::task::spawn_blocking(move || read_and_check(reader, keep, tx));

    let estimate = total_rows.unwrap_or(total_bytes / BYTES_PER_ROW);
    let bulk = match opts.bulk {
        Some(b) => b,
        None => bulk_worth_it(estimate, store.max_person_id().await?),
    };
    let load: Box<dyn Load> = if bulk {
        store.begin_bulk_load().await?
    } else {
        Box::new(Direct(store))
    };
    let mut loader = Loader::new(store, load, base, opts.actor.clone(), opts.lang, columns).await?;
    if let Some(n) = opts.batch_rows {
        loader.batch_size = n.max(1);
    }
    loader.audit = opts.audit.clone();
    loader.report.headers = headers;
    let mut bytes = 0;
    while let Some(chunk) = rx.recv().await {
        for c in chunk? {
            bytes = c.bytes;
            loader.add(c.row, c.result, c.cells).await?;
        }
        progress(Progress {
            rows: loader.report.rows,
            bytes,
            total_bytes,
            total_rows,
        });
    }
    reading.await.map_err(ImportError::Internal)?;
    let report = loader.finish().await?;
    progress(Progress {
        rows: report.rows,
        bytes: total_bytes,
        total_bytes,
        total_rows,
    });
    Ok(report)
}

/// A roster row's size in a CSV file, roughly (the 1M-row benchmark file averages 108 bytes).
const BYTES_PER_ROW: u64 = 100;

/// Whether an import of about `rows` rows into a registry of about `persons` persons should be
/// a bulk load: large, and large next to what is stored, since the load rebuilds indexes over
/// every person (about 1.7 µs a person) instead of keeping them up (about 8 µs a new row).
fn bulk_worth_it(rows: u64, persons: i64) -> bool {
    rows >= BULK_ROWS && rows.saturating_mul(4) >= u64::try_from(persons).unwrap_or(0)
}

/// The area an import goes into: it must exist and be a community or lower.
pub async fn target_area(store: &dyn Store, path: &AreaPath) -> Result<Area, ImportError> {
    let base = store
        .area_by_path(path)
        .await?
        .ok_or_else(|| ImportError::AreaNotFound(path.clone()))?;
    if base.kind < AreaKind::Community {
        return Err(ImportError::AreaTooHigh(base.kind));
    }
    Ok(base)
}

/// A written batch: the load back, what the store did, the places it was given, and the
/// batch's rows and cells.
type Written<'a> = (
    Box<dyn Load + 'a>,
    Result<BatchReport, StoreError>,
    Vec<NewPlace>,
    Vec<(u64, Option<Vec<String>>)>,
);

/// A batch being written.
type InFlight<'a> = Pin<Box<dyn Future<Output = Written<'a>> + Send + 'a>>;

/// Places validated rows and writes them in batches: the part of an import after reading,
/// shared by file imports and the demo data.
pub struct Loader<'a> {
    /// Where places are looked up.
    store: &'a dyn Store,
    /// The load, while no batch is being written (the batch in flight holds it).
    load: Option<Box<dyn Load + 'a>>,
    /// The batch being written while the next one is placed: on PostgreSQL the server writes
    /// one batch while this process reads and places the next.
    in_flight: Option<InFlight<'a>>,
    actor: Actor,
    lang: Lang,
    columns: Vec<String>,
    places: Places,
    batch: Vec<PersonUpsert>,
    /// Each queued row's spreadsheet row and (when rejects are kept) cells: a row the store
    /// refuses is reported like any other rejected row.
    batch_rows: Vec<(u64, Option<Vec<String>>)>,
    in_batch: HashSet<(&'static str, String)>,
    /// Rows of a person already in the batch, held for the next one so the later row is written
    /// after the earlier (a repeat used to end the batch early: in a merged roster that was
    /// every 2,500 rows).
    deferred: Vec<(PersonUpsert, u64, Option<Vec<String>>)>,
    /// Rows per batch.
    batch_size: usize,
    /// The import's audit entry, for the last batch ([`ImportOptions::audit`]).
    audit: Option<NewAudit>,
    /// What has been done so far.
    pub report: ImportReport,
}

impl<'a> Loader<'a> {
    /// A loader into `base` writing through `load`; `columns` names each field's column (in
    /// `Field::ALL` order) for errors.
    pub async fn new(
        store: &'a dyn Store,
        load: Box<dyn Load + 'a>,
        base: Area,
        actor: Actor,
        lang: Lang,
        columns: Vec<String>,
    ) -> Result<Loader<'a>, StoreError> {
        Ok(Loader {
            store,
            load: Some(load),
            in_flight: None,
            actor,
            lang,
            columns,
            places: Places::new(store, base).await?,
            batch: Vec::with_capacity(BATCH),
            batch_rows: Vec::with_capacity(BATCH),
            in_batch: HashSet::with_capacity(BATCH),
            deferred: Vec::new(),
            batch_size: BATCH,
            audit: None,
            report: ImportReport::default(),
        })
    }

    /// Adds one row: a rejected row is reported, a good one placed and queued for writing.
    pub async fn add(
        &mut self,
        row: u64,
        result: RowResult,
        cells: Option<Vec<String>>,
    ) -> Result<(), StoreError> {
        self.report.rows += 1;
        self.poll_in_flight().await?;
        let placed = match result {
            Err(problems) => Err(problems),
            Ok((fields, addr)) => {
                // A place not on file is created by the batch its first row goes in.
                match self.places.resolve(self.store, &addr).await {
                    Ok((area_id, address)) => Ok(PersonUpsert {
                        area_id,
                        room: addr.room,
                        address,
                        fields,
                    }),
                    Err(PlaceError::Row(f, p)) => Err(vec![(f, p)]),
                    Err(PlaceError::Store(e)) => return Err(e),
                }
            }
        };
        match placed {
            Err(problems) => self.reject(row, cells, &problems),
            Ok(upsert) => {
                if self.queue(upsert, row, cells) {
                    self.flush().await?;
                }
            }
        }
        Ok(())
    }

    /// Adds a row to the batch, or holds it for the next batch when its person is in this one
    /// already; true when the batch is full.
    fn queue(&mut self, upsert: PersonUpsert, row: u64, cells: Option<Vec<String>>) -> bool {
        let key = (
            upsert.fields.doc().doc_type().code(),
            upsert.fields.doc().number().to_string(),
        );
        if self.in_batch.contains(&key) {
            self.deferred.push((upsert, row, cells));
            return false;
        }
        self.in_batch.insert(key);
        self.batch.push(upsert);
        self.batch_rows.push((row, cells));
        self.batch.len() >= self.batch_size
    }

    /// Writes what is queued, makes it durable and returns the report.
    pub async fn finish(mut self) -> Result<ImportReport, StoreError> {
        while !self.deferred.is_empty() {
            self.flush().await?;
        }
        // The last batch (written even if empty when there is an entry to write with it).
        self.land().await?;
        let (audit, even_empty) = match self.audit.take() {
            Some(entry) => (self.counted(entry), true),
            None => (no_audit(), false),
        };
        self.write_batch_with(audit, even_empty).await?;
        self.land().await?;
        self.take_load()?.finish().await?;
        // Rows refused by the store were reported when their batch was written.
        self.report.errors.sort_by_key(|e| e.row);
        self.report.rejects.sort_by_key(|r| r.row);
        Ok(self.report)
    }

    /// Starts writing the batch, then starts the next one with the rows held back from it.
    async fn flush(&mut self) -> Result<(), StoreError> {
        loop {
            self.write_batch().await?;
            let mut full = false;
            for (upsert, row, cells) in std::mem::take(&mut self.deferred) {
                full |= self.queue(upsert, row, cells);
            }
            if !full {
                return Ok(());
            }
        }
    }

    /// Hands the batch to the load, after the batch before it has been written (so a person's
    /// later row is always written after their earlier one). Returns without waiting.
    async fn write_batch(&mut self) -> Result<(), StoreError> {
        self.write_batch_with(no_audit(), false).await
    }

    /// [`Loader::write_batch`] with the entries `audit` makes of its outcome; an empty batch
    /// is written only when `even_empty`.
    async fn write_batch_with(
        &mut self,
        audit: Audit<UpsertReport>,
        even_empty: bool,
    ) -> Result<(), StoreError> {
        self.in_batch.clear();
        if self.batch.is_empty() && !even_empty {
            return Ok(());
        }
        self.land().await?;
        let mut load = self.take_load()?;
        let mut batch = std::mem::take(&mut self.batch);
        let places = self.places.for_batch(&mut batch);
        let rows = std::mem::take(&mut self.batch_rows);
        let actor = self.actor.clone();
        self.in_flight = Some(Box::pin(async move {
            let done = load.write_batch(&actor, &places, &batch, audit).await;
            (load, done, places, rows)
        }));
        self.poll_in_flight().await
    }

    /// Lets the batch in flight make progress; takes in its outcome if it is done.
    async fn poll_in_flight(&mut self) -> Result<(), StoreError> {
        let Some(f) = self.in_flight.as_mut() else {
            return Ok(());
        };
        let polled = std::future::poll_fn(|cx| Poll::Ready(f.as_mut().poll(cx))).await;
        if let Poll::Ready(written) = polled {
            self.in_flight = None;
            self.landed(written)?;
        }
        Ok(())
    }

    /// Waits for the batch in flight; the load is then free.
    async fn land(&mut self) -> Result<(), StoreError> {
        if let Some(f) = self.in_flight.take() {
            let written = f.await;
            self.landed(written)?;
        }
        Ok(())
    }

    /// The load, once landed ([`Loader::land`]).
    fn take_load(&mut self) -> Result<Box<dyn Load + 'a>, StoreError> {
        self.load
            .take()
            .ok_or_else(|| StoreError::Other("the import's load went missing".into()))
    }

    /// The audit of the last batch: `entry` with the import's counts, those of the batches
    /// written before (landed) and the last one's own.
    fn counted(&self, entry: NewAudit) -> Audit<UpsertReport> {
        let r = &self.report;
        let before = (r.rows, r.created, r.updated, r.unchanged, r.rejected);
        let households = r.households_created;
        Box::new(move |last: &UpsertReport| {
            let n = |o: UpsertOutcome| last.outcomes.iter().filter(|x| x.outcome == o).count();
            let n = |o: UpsertOutcome| n(o) as u64;
            let (rows, created, updated, unchanged, rejected) = before;
            let mut e = entry;
            e.details = serde_json::json!({
                "rows": rows,
                "created": created + n(UpsertOutcome::Created),
                "updated": updated + n(UpsertOutcome::Updated),
                "unchanged": unchanged + n(UpsertOutcome::Unchanged),
                "rejected": rejected + n(UpsertOutcome::Refused),
                "households_created": households + last.households_created,
            });
            vec![e]
        })
    }

    /// Takes in a written batch's outcome.
    fn landed(&mut self, (load, done, given, rows): Written<'a>) -> Result<(), StoreError> {
        self.load = Some(load);
        let BatchReport {
            places,
            persons: done,
        } = done?;
        self.places.stored(given, &places)?;
        self.report.households_created += done.households_created;
        for (outcome, (row, cells)) in done.outcomes.into_iter().zip(rows) {
            let r = &mut self.report;
            match outcome.outcome {
                UpsertOutcome::Created => r.created += 1,
                UpsertOutcome::Updated => r.updated += 1,
                UpsertOutcome::Unchanged => r.unchanged += 1,
                UpsertOutcome::Refused => self.reject(
                    row,
                    cells,
                    &[(Field::IdNumber, Problem::RegisteredElsewhere)],
                ),
            }
        }
        Ok(())
    }

    fn reject(&mut self, row: u64, cells: Option<Vec<String>>, problems: &[(Field, Problem)]) {
        let report = &mut self.report;
        report.rejected += 1;
        let mut reasons = Vec::new();
        for (field, problem) in problems {
            let col = Field::ALL
                .iter()
                .position(|f| f == field)
                .and_then(|i| self.columns.get(i).cloned())
                .unwrap_or_else(|| field.header_zh().to_string());
            let message = problem.message(self.lang);
            reasons.push(format!("{col}: {message}"));
            report.errors.push(RowError {
                row,
                column: col,
                code: problem.code().to_string(),
                message,
            });
        }
        if let Some(cells) = cells {
            report.rejects.push(RejectedRow {
                row,
                cells,
                reason: reasons.join("; "),
            });
        }
    }
}

/// A row after validation: the person and their address, or every problem found.
pub type RowResult = Result<(PersonFields, AddressParts), Vec<(Field, Problem)>>;

/// Which rows' cells the reader hands over, for writing rejected rows back out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeepCells {
    /// None.
    None,
    /// The rows that fail validation.
    Rejected,
    /// Every row.
    All,
}

/// The reader thread: reads rows, validates them, hands them over in chunks.
fn read_and_check(
    mut reader: RosterReader,
    keep_cells: KeepCells,
    tx: mpsc::Sender<Result<Vec<Checked>, FileError>>,
) {
    let index = reader.field_index();
    let today = today();
    let mut chunk = Vec::with_capacity(CHUNK);
    while let Some(next) = reader.next_row() {
        let (raw, bytes) = match next {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        };
        chunk.push(check_row(&raw, bytes, &index, today, keep_cells));
        if chunk.len() >= CHUNK && tx.blocking_send(Ok(std::mem::take(&mut chunk))).is_err() {
            return;
        }
    }
    if !chunk.is_empty() {
        let _ = tx.blocking_send(Ok(chunk));
    }
}

fn check_row(
    raw: &RawRow,
    bytes: u64,
    index: &std::collections::HashMap<Field, usize>,
    today: time::Date,
    keep_cells: KeepCells,
) -> Checked {
    let get = |f: Field| {
        index
            .get(&f)
            .and_then(|&i| raw.cells.get(i))
            .map(|c| c.text())
            .unwrap_or_default()
    };
    let input = PersonInput {
        name: get(Field::Name),
        id_type: get(Field::IdType),
        id_number: get(Field::IdNumber),
        sex: get(Field::Sex),
        birth_date: get(Field::BirthDate),
        phone: get(Field::Phone),
        relation: get(Field::Relation),
        residency: get(Field::Residency),
        tags: get(Field::Tags),
    };
    let person = PersonFields::parse(&input, today);
    let addr = AddressParts::parse(
        &get(Field::Compound),
        &get(Field::Building),
        &get(Field::Unit),
        &get(Field::Room),
    );
    let result = match (person, addr) {
        (Ok(p), Ok(a)) => Ok((p, a)),
        (p, a) => Err(p
            .err()
            .into_iter()
            .flatten()
            .chain(a.err().into_iter().flatten())
            .collect()),
    };
    let keep = match keep_cells {
        KeepCells::None => false,
        KeepCells::Rejected => result.is_err(),
        KeepCells::All => true,
    };
    let cells = keep.then(|| raw.cells.iter().map(|c| c.text()).collect());
    Checked {
        row: raw.row,
        bytes,
        result,
        cells,
    }
}
