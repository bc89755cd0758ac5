//! Reading a roster file, row by row: CSV in UTF-8 (with or without BOM) or GB18030/GBK,
//! or the first sheet of an XLSX workbook. Runs on a blocking thread. A CSV cell loses the `'`
//! our exports put before formula-looking text, so an export re-imports as it was.
//!
//! One reader for every kind of roster: what its columns are ([`Column`]) is the only thing a
//! kind adds — persons ([`Field`]), staff ([`StaffColumn`]), and the lists that come later.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use calamine::{Data, Reader as _};
use doorstep_core::Lang;
use doorstep_core::person::Field;
use doorstep_core::staff::StaffColumn;
use encoding_rs::{Encoding, GB18030, UTF_8};

use super::csv_rows::{ByteRow, CsvRows, Unclosed};
use crate::csv_export::unescape_cell;

/// How many bytes are sniffed to tell UTF-8 from GB18030.
const SNIFF: usize = 1 << 20;

/// The columns of one kind of roster.
pub trait Column: Copy + Eq + std::hash::Hash + Send + 'static {
    /// The column a header names (`None`: a column Doorstep does not read).
    fn from_header(header: &str) -> Option<Self>;
    /// The columns a file must have.
    fn required() -> &'static [Self];
    /// The column's name, for messages.
    fn name(self, lang: Lang) -> &'static str;
}

impl Column for Field {
    fn from_header(header: &str) -> Option<Field> {
        Field::from_header(header)
    }
    fn required() -> &'static [Field] {
        &[Field::Name, Field::IdNumber, Field::Room]
    }
    fn name(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.header_zh(),
            Lang::En => self.label(Lang::En),
        }
    }
}

impl Column for StaffColumn {
    fn from_header(header: &str) -> Option<StaffColumn> {
        StaffColumn::from_header(header)
    }
    fn required() -> &'static [StaffColumn] {
        &StaffColumn::REQUIRED
    }
    fn name(self, lang: Lang) -> &'static str {
        lang.pick(self.header_zh(), self.header_en())
    }
}

impl Column for doorstep_core::testing::ResultColumn {
    fn from_header(header: &str) -> Option<Self> {
        Self::from_header(header)
    }
    fn required() -> &'static [Self] {
        &Self::REQUIRED
    }
    fn name(self, lang: Lang) -> &'static str {
        lang.pick(self.header_zh(), self.header_en())
    }
}

/// One row as the file holds it: its spreadsheet row number (header = 1) and cell texts.
#[derive(Debug, Clone)]
pub struct RawRow {
    /// The spreadsheet row number.
    pub row: u64,
    /// The cells, each in the column order of the header.
    pub cells: Vec<Cell>,
}

/// One cell: text, or a number Excel stored as a number.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text (CSV cells are always text).
    Text(String),
    /// A numeric cell of a workbook.
    Number(f64),
    /// A date cell of a workbook, as `YYYY-MM-DD`.
    Date(String),
}

impl Cell {
    /// The cell as text: numbers without a spurious `.0`, large ones in Excel's scientific form.
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) | Cell::Date(s) => s.clone(),
            Cell::Number(n) => number_text(*n),
        }
    }
}

/// Writes a number as Excel shows it: integers up to 15 digits exactly, others in `E` notation
/// (which the ID rule recognises as a mangled number).
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else if n.abs() >= 1e15 {
        format!("{n:E}").replace('E', "E+")
    } else {
        n.to_string()
    }
}

/// The problem with a whole file (not one row).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file could not be opened or read.
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    /// A quoted cell is never closed (the rest of the file would be one cell).
    #[error("the CSV file has a quote that is never closed, in row {line}")]
    Csv {
        /// The spreadsheet row where the quoted cell starts.
        line: u64,
    },
    /// The workbook could not be read.
    #[error("the workbook cannot be read: {0}")]
    Xlsx(String),
    /// The file has no header row.
    #[error("the file is empty")]
    Empty,
    /// A required column is missing: its name in Chinese and in English.
    #[error("missing column {1}")]
    MissingColumn(&'static str, &'static str),
}

/// A source of rows with its header; `C` says what its columns are.
pub struct RosterReader<C: Column = Field> {
    /// The header cells as the file wrote them.
    pub headers: Vec<String>,
    /// Which field each column holds (`None` for columns Doorstep does not read).
    pub columns: Vec<Option<C>>,
    /// The total number of data rows when known up front (XLSX), for progress.
    pub total_rows: Option<u64>,
    /// The file's size in bytes, for progress.
    pub total_bytes: u64,
    rows: Box<dyn Iterator<Item = Result<(RawRow, u64), FileError>> + Send>,
}

impl<C: Column> RosterReader<C> {
    /// Opens a roster: XLSX when the file is a zip (whatever its name), CSV otherwise.
    pub fn open(path: &Path) -> Result<RosterReader<C>, FileError> {
        let mut magic = [0u8; 4];
        let n = File::open(path)?.read(&mut magic)?;
        let total_bytes = std::fs::metadata(path)?.len();
        if n == 4 && magic == *b"PK\x03\x04" {
            open_xlsx(path, total_bytes)
        } else {
            open_csv(path, total_bytes)
        }
    }

    /// The header text of the column holding `field`, for error reports.
    pub fn header_of(&self, field: C) -> String {
        self.columns
            .iter()
            .position(|c| *c == Some(field))
            .map_or_else(
                || field.name(Lang::Zh).to_string(),
                |i| self.headers[i].clone(),
            )
    }

    /// The index of each field's column.
    pub fn field_index(&self) -> HashMap<C, usize> {
        self.columns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.map(|f| (f, i)))
            .collect()
    }

    /// The next row with the bytes read so far; `None` at the end.
    pub fn next_row(&mut self) -> Option<Result<(RawRow, u64), FileError>> {
        self.rows.next()
    }
}

type Header<C> = (Vec<String>, Vec<Option<C>>);

/// The text without NUL characters, which no one types and PostgreSQL's text cannot hold:
/// kept, an investigation list with one in a cell was stored on SQLite and failed with a
/// storage error on PostgreSQL (found by `hostile_lab_lists`). Every file read through the
/// roster reader (rosters, lists, results, templates) reads the same on both databases.
fn without_nul(s: String) -> String {
    if s.contains('\0') {
        s.replace('\0', "")
    } else {
        s
    }
}

fn map_headers<C: Column>(headers: Vec<String>) -> Result<Header<C>, FileError> {
    let headers: Vec<String> = headers
        .into_iter()
        .map(|h| without_nul(h.trim_start_matches('\u{feff}').trim().to_string()))
        .collect();
    let mut columns: Vec<Option<C>> = Vec::with_capacity(headers.len());
    for h in &headers {
        let f = C::from_header(h);
        // A second column for the same field is ignored: the first one wins.
        columns.push(f.filter(|f| !columns.contains(&Some(*f))));
    }
    for &required in C::required() {
        if !columns.contains(&Some(required)) {
            return Err(FileError::MissingColumn(
                required.name(Lang::Zh),
                required.name(Lang::En),
            ));
        }
    }
    Ok((headers, columns))
}

/// Decodes one CSV field: UTF-8 when it is, else the file's sniffed legacy encoding.
fn decode(bytes: &[u8], encoding: &'static Encoding) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) if encoding == UTF_8 => s.to_string(),
        _ => {
            let enc = if encoding == UTF_8 { GB18030 } else { encoding };
            enc.decode_without_bom_handling(bytes).0.into_owned()
        }
    }
}

/// Tells UTF-8 (with or without BOM) from GB18030 by the first megabyte.
fn sniff_encoding(head: &[u8]) -> &'static Encoding {
    if head.starts_with(b"\xEF\xBB\xBF") {
        return UTF_8;
    }
    match std::str::from_utf8(head) {
        Ok(_) => UTF_8,
        // A multi-byte character cut by the end of the sniffed window is still UTF-8.
        Err(e) if e.error_len().is_none() => UTF_8,
        Err(_) => GB18030,
    }
}

fn open_csv<C: Column>(path: &Path, total_bytes: u64) -> Result<RosterReader<C>, FileError> {
    let mut head = Vec::with_capacity(SNIFF);
    File::open(path)?
        .take(SNIFF as u64)
        .read_to_end(&mut head)?;
    let encoding = sniff_encoding(&head);
    let mut rows = CsvRows::new(BufReader::with_capacity(1 << 16, File::open(path)?));
    let mut rec = ByteRow::default();
    let unclosed = |u: Unclosed| FileError::Csv { line: u.row };
    // The header is the first row that is not blank.
    let headers = loop {
        if !rows.read_row(&mut rec)?.map_err(unclosed)? {
            return Err(FileError::Empty);
        }
        if !rec.cells.iter().all(Vec::is_empty) {
            let mut h: Vec<String> = rec.cells.iter().map(|f| decode(f, encoding)).collect();
            if let Some(first) = h.first_mut() {
                *first = first.trim_start_matches('\u{feff}').to_string();
            }
            break h;
        }
    };
    let (headers, columns) = map_headers(headers)?;
    let width = headers.len();
    let rows = std::iter::from_fn(move || {
        loop {
            match rows.read_row(&mut rec) {
                Err(e) => return Some(Err(FileError::Io(e))),
                Ok(Err(u)) => return Some(Err(unclosed(u))),
                Ok(Ok(false)) => return None,
                Ok(Ok(true)) => {
                    if rec.is_blank() {
                        continue;
                    }
                    let mut cells: Vec<Cell> = rec
                        .cells
                        .iter()
                        .map(|f| Cell::Text(without_nul(unescape_cell(decode(f, encoding)))))
                        .collect();
                    cells.resize(width.max(cells.len()), Cell::Text(String::new()));
                    let row = RawRow {
                        row: rec.row,
                        cells,
                    };
                    return Some(Ok((row, rows.position())));
                }
            }
        }
    });
    Ok(RosterReader {
        headers,
        columns,
        total_rows: None,
        total_bytes,
        rows: Box::new(rows),
    })
}

fn open_xlsx<C: Column>(path: &Path, total_bytes: u64) -> Result<RosterReader<C>, FileError> {
    let mut book =
        calamine::open_workbook_auto(path).map_err(|e| FileError::Xlsx(e.to_string()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(FileError::Empty)?
        .map_err(|e| FileError::Xlsx(e.to_string()))?;
    let first_row = u64::from(range.start().map_or(0, |(r, _)| r));
    let mut all = range
        .rows()
        .enumerate()
        .map(|(i, r)| (first_row + i as u64 + 1, r));
    let (_, header_cells) = all
        .find(|(_, r)| r.iter().any(|c| !matches!(c, Data::Empty)))
        .ok_or(FileError::Empty)?;
    let headers: Vec<String> = header_cells.iter().map(|c| xlsx_cell(c).text()).collect();
    let (headers, columns) = map_headers(headers)?;
    let rows: Vec<(RawRow, u64)> = all
        .filter(|(_, r)| r.iter().any(|c| !matches!(c, Data::Empty)))
        .map(|(row, r)| {
            (
                RawRow {
                    row,
                    cells: r.iter().map(xlsx_cell).collect(),
                },
                0,
            )
        })
        .collect();
    let total_rows = Some(rows.len() as u64);
    Ok(RosterReader {
        headers,
        columns,
        total_rows,
        total_bytes,
        rows: Box::new(rows.into_iter().map(Ok)),
    })
}

fn xlsx_cell(c: &Data) -> Cell {
    match c {
        Data::Empty | Data::Error(_) => Cell::Text(String::new()),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
            Cell::Text(without_nul(s.clone()))
        }
        Data::Bool(b) => Cell::Text(b.to_string()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::DateTime(d) => Cell::Date(excel_serial_date(d.as_f64())),
    }
}

/// Excel's day serial (1900 system, day 0 = 1899-12-30) as `YYYY-MM-DD`.
fn excel_serial_date(serial: f64) -> String {
    let epoch = time::macros::date!(1899 - 12 - 30);
    let d = epoch + time::Duration::days(serial.floor() as i64);
    d.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_excel_shows_them() {
        assert_eq!(number_text(13812345678.0), "13812345678");
        assert_eq!(number_text(1201.0), "1201");
        assert_eq!(number_text(410103900101123.0), "410103900101123");
        assert!(number_text(410103199001011234.0).contains("E+"));
        assert_eq!(excel_serial_date(45000.0), "2023-03-15");
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff_encoding("姓名".as_bytes()), UTF_8);
        let (gbk, _, _) = GB18030.encode("姓名,证件号码");
        assert_eq!(sniff_encoding(&gbk), GB18030);
        let cut = &"姓名".as_bytes()[..4];
        assert_eq!(sniff_encoding(cut), UTF_8);
    }
}
