//! Reading a list's file through the one roster reader: every column kept as received (the
//! return file writes them back), the user maps them afterwards.

use std::path::Path;

use doorstep_core::Lang;
use doorstep_core::lists::ListField;

use super::matching::RawListRow;
use crate::import::reader::{Column, FileError, RosterReader};

impl Column for ListField {
    fn from_header(header: &str) -> Option<ListField> {
        ListField::guess(header)
    }
    /// None: the user maps the columns (an ID number or a phone is checked then).
    fn required() -> &'static [ListField] {
        &[]
    }
    fn name(self, lang: Lang) -> &'static str {
        self.label(lang)
    }
}

/// The file's headers and rows (cells as text, in header order, as wide as the header).
pub(super) fn read(path: &Path) -> Result<(Vec<String>, Vec<RawListRow>), FileError> {
    let mut reader = RosterReader::<ListField>::open(path)?;
    let headers = reader.headers.clone();
    let width = headers.len();
    let mut rows = Vec::new();
    while let Some(next) = reader.next_row() {
        let (raw, _) = next?;
        let mut cells: Vec<String> = raw.cells.iter().map(|c| c.text()).collect();
        cells.resize(width, String::new());
        rows.push((raw.row, cells));
    }
    Ok((headers, rows))
}
