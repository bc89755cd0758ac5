//! CSV split into rows as a spreadsheet shows them.
//!
//! A worker told "fix row 13" opens the file in Excel or WPS, so a row number must be the row
//! those programs show: the header is row 1, every line end outside quotes (LF, CRLF or a lone
//! CR) starts a new row, a blank line is a row, and a line break inside a quoted cell (a note
//! typed with Alt+Enter) does not start one. The csv crate counts lines instead (a CRLF file
//! came out one row short, a quoted line break one row long), so rows are split here, with the
//! quoting rules Excel reads by: a quote opens a quoted cell only at the start of a cell, `""`
//! inside one is a quote, and text after the closing quote belongs to the same cell.

use std::io::BufRead;

/// One row's cells as raw bytes (the caller decodes them) and its spreadsheet row number.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ByteRow {
    /// The spreadsheet row number (the file's first row is 1).
    pub row: u64,
    /// The cells, unquoted.
    pub cells: Vec<Vec<u8>>,
}

impl ByteRow {
    /// Whether every cell is empty or white space (a blank row).
    pub fn is_blank(&self) -> bool {
        self.cells
            .iter()
            .all(|c| c.iter().all(u8::is_ascii_whitespace))
    }
}

/// A quoted cell never closed before the end of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unclosed {
    /// The row where the quoted cell starts.
    pub row: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    CellStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted cell: the end of the quoting, or the first of `""`.
    QuoteInQuoted,
}

/// Reads rows from CSV bytes.
pub struct CsvRows<R> {
    input: R,
    /// The number the next row gets.
    next_row: u64,
    /// Bytes consumed so far, for progress.
    consumed: u64,
    /// A CR ended the last row: a LF right after it belongs to that line end.
    after_cr: bool,
    done: bool,
}

impl<R: BufRead> CsvRows<R> {
    /// Rows of `input`, numbered from 1.
    pub fn new(input: R) -> CsvRows<R> {
        CsvRows {
            input,
            next_row: 1,
            consumed: 0,
            after_cr: false,
            done: false,
        }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.consumed
    }

    /// The next row into `out` (its cells reused); `Ok(false)` at the end of the input.
    pub fn read_row(&mut self, out: &mut ByteRow) -> std::io::Result<Result<bool, Unclosed>> {
        out.cells.clear();
        out.row = self.next_row;
        if self.done {
            return Ok(Ok(false));
        }
        let mut cell: Vec<u8> = Vec::new();
        let mut state = State::CellStart;
        let mut any = false;
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                self.done = true;
                if state == State::Quoted {
                    return Ok(Err(Unclosed { row: out.row }));
                }
                if !any {
                    return Ok(Ok(false));
                }
                out.cells.push(cell);
                self.next_row += 1;
                return Ok(Ok(true));
            }
            let mut used = 0;
            let mut ended = false;
            for &b in buf {
                used += 1;
                if std::mem::take(&mut self.after_cr) && b == b'\n' {
                    continue;
                }
                any = true;
                match (state, b) {
                    (State::Quoted, b'"') => state = State::QuoteInQuoted,
                    (State::Quoted, _) => cell.push(b),
                    (State::QuoteInQuoted, b'"') => {
                        cell.push(b'"');
                        state = State::Quoted;
                    }
                    (State::CellStart, b'"') => state = State::Quoted,
                    (_, b',') => {
                        out.cells.push(std::mem::take(&mut cell));
                        state = State::CellStart;
                    }
                    (_, b'\r' | b'\n') => {
                        self.after_cr = b == b'\r';
                        ended = true;
                        break;
                    }
                    (_, _) => {
                        cell.push(b);
                        state = State::Unquoted;
                    }
                }
            }
            self.input.consume(used);
            self.consumed += used as u64;
            if ended {
                out.cells.push(cell);
                self.next_row += 1;
                return Ok(Ok(true));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &[u8]) -> Vec<(u64, Vec<String>)> {
        // A tiny buffer, so rows and line ends straddle refills.
        let mut r = CsvRows::new(std::io::BufReader::with_capacity(3, text));
        let mut out = ByteRow::default();
        let mut all = Vec::new();
        while r.read_row(&mut out).unwrap().unwrap() {
            let cells = out
                .cells
                .iter()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            all.push((out.row, cells));
        }
        all
    }

    #[test]
    fn line_ends_of_every_kind_each_end_one_row() {
        let expect = vec![
            (1, vec!["a".to_string(), "b".into()]),
            (2, vec!["1".into(), "2".into()]),
            (3, vec!["3".into(), "4".into()]),
        ];
        assert_eq!(rows(b"a,b\n1,2\n3,4\n"), expect);
        assert_eq!(rows(b"a,b\r\n1,2\r\n3,4\r\n"), expect);
        assert_eq!(rows(b"a,b\r1,2\r3,4"), expect);
        assert_eq!(rows(b"a,b\r\n1,2\r\n3,4"), expect);
    }

    #[test]
    fn blank_lines_are_rows_and_quoted_line_breaks_are_not() {
        let r =
            rows(b"h1,h2\r\n\r\n\"line one\r\nline two\",x\r\n,\r\nlast,\"say \"\"hi\"\"\"\r\n");
        assert_eq!(r[0].0, 1);
        assert_eq!(r[1], (2, vec![String::new()]));
        assert_eq!(
            r[2],
            (3, vec!["line one\r\nline two".to_string(), "x".into()])
        );
        assert_eq!(r[3].0, 4);
        assert_eq!(r[4], (5, vec!["last".to_string(), "say \"hi\"".into()]));
        assert_eq!(r.len(), 5);
    }

    #[test]
    fn quotes_count_only_at_the_start_of_a_cell() {
        assert_eq!(
            rows(b"12\" screen,\"a\"b\nnext,row\n"),
            vec![
                (1, vec!["12\" screen".to_string(), "ab".into()]),
                (2, vec!["next".to_string(), "row".into()]),
            ]
        );
    }

    #[test]
    fn an_unclosed_quote_names_its_row() {
        let mut r = CsvRows::new(&b"a,b\n1,\"open\n2,3\n"[..]);
        let mut out = ByteRow::default();
        assert!(r.read_row(&mut out).unwrap().unwrap());
        assert_eq!(r.read_row(&mut out).unwrap(), Err(Unclosed { row: 2 }));
    }

    #[test]
    fn blank_row_detection() {
        let blank = ByteRow {
            row: 2,
            cells: vec![b" ".to_vec(), Vec::new()],
        };
        assert!(blank.is_blank());
    }
}
