//! The return file for the upper level: the list as received — the same columns, the same
//! rows in the same order — with the outcome columns after: how it matched, where it stands
//! (the call's or door-knock's outcome), the note (where a person reached elsewhere is), how
//! many calls, when last changed, and the row it repeats.

use std::path::Path;

use doorstep_core::Lang;
use doorstep_store::{InvestigationList, ListRow};

use super::row_state;
use crate::clock::china_minute;
use crate::export::{ExportError, SheetFormat, Sink};

/// The outcome columns, after the list's own.
pub const OUTCOME_HEADERS: [&str; 6] = [
    "匹配结果",
    "处理结果",
    "结果说明",
    "拨打次数",
    "处理时间",
    "重复于",
];

/// The row a row of list `list` repeats: `第3条` in the same list, `名单7第3条` in another.
pub fn repeats(list: doorstep_store::Id, r: &ListRow) -> String {
    match r.dup_of {
        Some((l, seq)) if l == list => format!("第{seq}条"),
        Some((l, seq)) => format!("名单{l}第{seq}条"),
        None => String::new(),
    }
}

/// A return file's contents, made on the async side and written on a blocking thread.
pub struct ReturnFile {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl ReturnFile {
    /// The file of list `l` with its rows (all, in order).
    pub fn of(l: &InvestigationList, rows: &[ListRow]) -> ReturnFile {
        let mut headers = l.headers.clone();
        headers.extend(OUTCOME_HEADERS.iter().map(|h| h.to_string()));
        let width = l.headers.len();
        let rows = rows
            .iter()
            .map(|r| {
                let mut cells = r.cells.clone();
                cells.resize(width, String::new());
                let state = row_state(r);
                let task = r.task.as_ref();
                cells.push(
                    r.match_kind
                        .map(|m| m.label(Lang::Zh).to_string())
                        .unwrap_or_default(),
                );
                cells.push(state.label(Lang::Zh));
                cells.push(
                    task.filter(|_| !state.is_open())
                        .map(|t| t.outcome_note.clone())
                        .unwrap_or_default(),
                );
                cells.push(r.calls.to_string());
                cells.push(task.map(|t| china_minute(t.updated_at)).unwrap_or_default());
                cells.push(repeats(l.id, r));
                cells
            })
            .collect();
        ReturnFile { headers, rows }
    }

    /// Writes it (CSV cells never start a formula: the sink's writer sees to it).
    pub fn write(self, format: SheetFormat, path: &Path) -> Result<(), ExportError> {
        let h: Vec<&str> = self.headers.iter().map(String::as_str).collect();
        let mut sink = Sink::create(format, path, &h)?;
        for r in &self.rows {
            sink.row(r)?;
        }
        sink.finish()
    }
}
