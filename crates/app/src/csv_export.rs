//! The one CSV writer every export uses (persons, the upward report, the audit log): UTF-8
//! with a byte-order mark so Excel reads it, and no cell a spreadsheet would run as a formula.
//!
//! Excel, LibreOffice and WPS treat a cell that starts with `=`, `+`, `-` or `@` as a formula
//! (tab and carriage return can hide such a start), and a formula can open links or run
//! commands. Text from residents, imports and even a failed login's user name reaches these
//! files, so such a cell is written with a leading `'`, the usual guard. That includes cells
//! starting with `-`: none of our columns holds a negative number (ages, temperatures and
//! counts are positive), so a legitimate value starting with `-` (a room `-101`, notes like
//! `-无`) shows its `'` rather than risk `-1+cmd|…`. The roster import takes the `'` off again
//! ([`unescape_cell`]), so an exported roster re-imports as it was.

use std::borrow::Cow;
use std::io::Write;

/// The first characters that make a spreadsheet read a cell as a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The cell as written to a CSV: text a spreadsheet would run as a formula gets a leading `'`.
pub fn safe_cell(s: &str) -> Cow<'_, str> {
    if s.starts_with(FORMULA_START) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// A cell as read from a CSV: the `'` [`safe_cell`] adds is taken off again.
pub fn unescape_cell(s: String) -> String {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) => rest.to_string(),
        _ => s,
    }
}

/// A CSV being written row by row.
pub struct CsvWriter<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> CsvWriter<W> {
    /// Starts a CSV on `out`: the byte-order mark, then the header row.
    pub fn new(mut out: W, headers: &[&str]) -> std::io::Result<CsvWriter<W>> {
        out.write_all(b"\xEF\xBB\xBF")?;
        let mut w = CsvWriter {
            inner: csv::Writer::from_writer(out),
        };
        w.row(headers)?;
        Ok(w)
    }

    /// Writes one row, each cell through [`safe_cell`].
    pub fn row<I, S>(&mut self, cells: I) -> std::io::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let record: Vec<String> = cells
            .into_iter()
            .map(|c| safe_cell(c.as_ref()).into_owned())
            .collect();
        self.inner.write_record(&record)?;
        Ok(())
    }

    /// Flushes and hands back what was written to.
    pub fn finish(self) -> std::io::Result<W> {
        self.inner
            .into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_quoted_and_taken_off_again() {
        for s in ["=1+1", "+86", "-1+1", "@SUM(A1)", "\t=1", "\r=1"] {
            let safe = safe_cell(s);
            assert_eq!(safe, format!("'{s}"));
            assert_eq!(unescape_cell(safe.into_owned()), s);
        }
        for s in ["张伟", "1201", "", "'quoted", "a=b", " =1"] {
            assert_eq!(safe_cell(s), s);
            assert_eq!(unescape_cell(s.to_string()), s);
        }
    }

    #[test]
    fn every_cell_of_a_file_is_guarded() {
        let mut w = CsvWriter::new(Vec::new(), &["姓名", "备注"]).unwrap();
        w.row(["=HYPERLINK(\"http://x\")", "ok"]).unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "\u{feff}姓名,备注\n\"'=HYPERLINK(\"\"http://x\"\")\",ok\n"
        );
    }
}
