//! Notices to residents (温馨提示) and files from above (上级文件): what a notice is, when it
//! is valid, and which files may be kept.

use time::Date;

use crate::Problem;
use crate::daily::parse_day;
use crate::text::tidy;

/// The longest title.
pub const TITLE_MAX: usize = 60;
/// The longest text.
pub const BODY_MAX: usize = 2000;
/// The longest English line.
pub const ENGLISH_MAX: usize = 300;
/// The largest file kept, in MiB.
pub const FILE_MAX_MIB: usize = 10;

/// A notice as read from a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeDraft {
    /// The title (Chinese).
    pub title: String,
    /// The text (Chinese).
    pub body: String,
    /// An optional line in English.
    pub english: String,
    /// The first day it shows (China's day).
    pub valid_from: Date,
    /// The last day it shows.
    pub valid_to: Date,
}

fn text(raw: &str, max: usize, required: bool) -> Result<String, Problem> {
    // Line breaks are the text's paragraphs: tidy each line, keep the breaks.
    let t = raw
        .lines()
        .map(tidy)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string();
    if t.is_empty() && required {
        return Err(Problem::Required);
    }
    if t.chars().count() > max {
        return Err(Problem::TooLong { max });
    }
    Ok(t)
}

impl NoticeDraft {
    /// Reads a notice; each problem at its field (`title`, `body`, `english`, `valid_from`,
    /// `valid_to`: not before the start).
    pub fn parse(
        title: &str,
        body: &str,
        english: &str,
        valid_from: &str,
        valid_to: &str,
    ) -> Result<NoticeDraft, Vec<(&'static str, Problem)>> {
        let mut problems = Vec::new();
        let mut take = |field: &'static str, r: Result<String, Problem>| {
            r.map_err(|p| problems.push((field, p))).unwrap_or_default()
        };
        let title = take("title", text(title, TITLE_MAX, true));
        let body = take("body", text(body, BODY_MAX, true));
        let english = take("english", text(english, ENGLISH_MAX, false));
        let from = parse_day(valid_from)
            .map_err(|p| problems.push(("valid_from", p)))
            .ok();
        let to = parse_day(valid_to)
            .map_err(|p| problems.push(("valid_to", p)))
            .ok();
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            problems.push(("valid_to", Problem::TimeSpan));
        }
        match (from, to, problems.is_empty()) {
            (Some(valid_from), Some(valid_to), true) => Ok(NoticeDraft {
                title,
                body,
                english,
                valid_from,
                valid_to,
            }),
            _ => Err(problems),
        }
    }
}

/// Whether a notice valid from `from` to `to` shows on `day`.
pub fn shows_on(from: Date, to: Date, day: Date) -> bool {
    from <= day && day <= to
}

/// What a kept file is, read from its first bytes (never from its name alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A PDF.
    Pdf,
    /// A PNG image.
    Png,
    /// A JPEG image.
    Jpeg,
    /// A Word or Excel file of today (`.docx`, `.xlsx`: a zip).
    OfficeXml,
    /// A Word or Excel file of old (`.doc`, `.xls`).
    OfficeLegacy,
}

impl FileKind {
    /// The kind of `bytes` named `name`, or a problem: empty, too large, or not one kept.
    pub fn of(name: &str, bytes: &[u8]) -> Result<FileKind, Problem> {
        if bytes.is_empty() {
            return Err(Problem::Required);
        }
        if bytes.len() > FILE_MAX_MIB << 20 {
            return Err(Problem::FileTooLarge {
                max_mib: FILE_MAX_MIB,
            });
        }
        let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
        if bytes.starts_with(b"%PDF-") {
            Ok(FileKind::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Ok(FileKind::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Ok(FileKind::Jpeg)
        } else if bytes.starts_with(b"PK\x03\x04") && matches!(ext.as_str(), "docx" | "xlsx") {
            Ok(FileKind::OfficeXml)
        } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
            && matches!(ext.as_str(), "doc" | "xls")
        {
            Ok(FileKind::OfficeLegacy)
        } else {
            Err(Problem::FileType)
        }
    }

    /// The content type a download is sent with (`name` tells Word from Excel).
    pub fn content_type(self, name: &str) -> &'static str {
        let xls = name.to_ascii_lowercase().ends_with(".xls")
            || name.to_ascii_lowercase().ends_with(".xlsx");
        match (self, xls) {
            (FileKind::Pdf, _) => "application/pdf",
            (FileKind::Png, _) => "image/png",
            (FileKind::Jpeg, _) => "image/jpeg",
            (FileKind::OfficeXml, false) => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            (FileKind::OfficeXml, true) => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            (FileKind::OfficeLegacy, false) => "application/msword",
            (FileKind::OfficeLegacy, true) => "application/vnd.ms-excel",
        }
    }
}

/// A file name as kept: its last path part, tidied, at most 100 characters, never empty.
pub fn file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let t: String = tidy(base)
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(100)
        .collect();
    if t.is_empty() { "file".into() } else { t }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn drafts() {
        let d = NoticeDraft::parse(
            " 停水通知 ",
            "明日 9:00–12:00 停水。\n 请提前储水。 ",
            "",
            "2027-03-01",
            "2027-03-02",
        )
        .unwrap();
        assert_eq!(d.title, "停水通知");
        assert_eq!(d.body, "明日 9:00–12:00 停水。\n请提前储水。");
        assert_eq!(
            (d.valid_from, d.valid_to),
            (date!(2027 - 03 - 01), date!(2027 - 03 - 02))
        );
        let e = NoticeDraft::parse(
            "",
            "x",
            &"a".repeat(ENGLISH_MAX + 1),
            "2027-03-02",
            "2027-03-01",
        )
        .unwrap_err();
        assert_eq!(
            e,
            vec![
                ("title", Problem::Required),
                ("english", Problem::TooLong { max: ENGLISH_MAX }),
                ("valid_to", Problem::TimeSpan)
            ]
        );
        let e = NoticeDraft::parse("t", "b", "", "3/1", "").unwrap_err();
        assert_eq!(
            e,
            vec![
                ("valid_from", Problem::DateValue),
                ("valid_to", Problem::Required)
            ]
        );
    }

    #[test]
    fn validity() {
        let (f, t) = (date!(2027 - 03 - 01), date!(2027 - 03 - 03));
        assert!(!shows_on(f, t, date!(2027 - 02 - 28)));
        assert!(shows_on(f, t, f));
        assert!(shows_on(f, t, t));
        assert!(!shows_on(f, t, date!(2027 - 03 - 04)));
    }

    #[test]
    fn files_by_their_bytes() {
        assert_eq!(FileKind::of("a.pdf", b"%PDF-1.7 ..."), Ok(FileKind::Pdf));
        assert_eq!(FileKind::of("x.bin", b"%PDF-1.4"), Ok(FileKind::Pdf));
        assert_eq!(
            FileKind::of("a.png", b"\x89PNG\r\n\x1a\n..."),
            Ok(FileKind::Png)
        );
        assert_eq!(
            FileKind::of("a.docx", b"PK\x03\x04..."),
            Ok(FileKind::OfficeXml)
        );
        assert_eq!(
            FileKind::of("a.zip", b"PK\x03\x04..."),
            Err(Problem::FileType)
        );
        assert_eq!(FileKind::of("a.pdf", b"<html>"), Err(Problem::FileType));
        assert_eq!(FileKind::of("a.pdf", b""), Err(Problem::Required));
        let big = vec![b'%'; (FILE_MAX_MIB << 20) + 1];
        assert_eq!(
            FileKind::of("a.pdf", &big),
            Err(Problem::FileTooLarge {
                max_mib: FILE_MAX_MIB
            })
        );
        assert_eq!(
            FileKind::OfficeXml.content_type("表.xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
    }

    #[test]
    fn file_names() {
        assert_eq!(file_name("C:\\docs\\通知.pdf"), "通知.pdf");
        assert_eq!(file_name("../../etc/passwd"), "passwd");
        assert_eq!(file_name(" "), "file");
        assert_eq!(file_name("a\"b.pdf"), "ab.pdf");
    }
}
