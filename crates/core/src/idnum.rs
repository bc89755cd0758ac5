//! Identity documents: the resident ID card (GB 11643-1999) and the other documents
//! a resident may register with.
//!
//! The rules are those of ../shared/PRODUCT.md: an 18-character number with a real,
//! non-future birth date, a valid province prefix and a matching check character;
//! legacy 15-digit numbers are upgraded; what is only formatting is normalised.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::person::Sex;
use crate::problem::Problem;
use crate::text::compact;

/// The kinds of identity document Doorstep accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocType {
    /// 居民身份证 — the mainland resident ID card.
    ResidentId,
    /// 护照 — a passport of any country.
    Passport,
    /// 港澳居民来往内地通行证 — the Hong Kong / Macau residents' mainland travel permit.
    HkMacauPermit,
    /// 台湾居民来往大陆通行证 — the Taiwan residents' mainland travel permit.
    TaiwanPermit,
    /// 外国人永久居留身份证 — the foreigner's permanent residence ID card.
    ForeignPermanent,
}

impl DocType {
    /// Every document type, in the order forms list them.
    pub const ALL: [DocType; 5] = [
        DocType::ResidentId,
        DocType::Passport,
        DocType::HkMacauPermit,
        DocType::TaiwanPermit,
        DocType::ForeignPermanent,
    ];

    /// The stable code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            DocType::ResidentId => "resident_id",
            DocType::Passport => "passport",
            DocType::HkMacauPermit => "hk_macau_permit",
            DocType::TaiwanPermit => "taiwan_permit",
            DocType::ForeignPermanent => "foreign_permanent",
        }
    }

    /// The Chinese name, as spreadsheets and the upper-level systems write it.
    pub fn label_zh(self) -> &'static str {
        match self {
            DocType::ResidentId => "居民身份证",
            DocType::Passport => "护照",
            DocType::HkMacauPermit => "港澳居民来往内地通行证",
            DocType::TaiwanPermit => "台湾居民来往大陆通行证",
            DocType::ForeignPermanent => "外国人永久居留身份证",
        }
    }

    /// The English name.
    pub fn label_en(self) -> &'static str {
        match self {
            DocType::ResidentId => "Resident ID card",
            DocType::Passport => "Passport",
            DocType::HkMacauPermit => "HK/Macau travel permit",
            DocType::TaiwanPermit => "Taiwan travel permit",
            DocType::ForeignPermanent => "Foreign permanent residence ID",
        }
    }

    /// Reads a document type from its code, its Chinese name or a common alias.
    /// An empty value means the resident ID card, the default of every roster.
    pub fn parse(raw: &str) -> Result<DocType, Problem> {
        let s = compact(raw).to_lowercase();
        let t = match s.as_str() {
            ""
            | "resident_id"
            | "居民身份证"
            | "身份证"
            | "二代身份证"
            | "第二代居民身份证"
            | "id_card"
            | "idcard"
            | "id" => DocType::ResidentId,
            "passport" | "护照" | "外国护照" | "中国护照" => DocType::Passport,
            "hk_macau_permit" | "港澳居民来往内地通行证" | "港澳通行证" | "回乡证" => {
                DocType::HkMacauPermit
            }
            "taiwan_permit" | "台湾居民来往大陆通行证" | "台胞证" => {
                DocType::TaiwanPermit
            }
            "foreign_permanent" | "外国人永久居留身份证" | "外国人永久居留证" | "永居证" => {
                DocType::ForeignPermanent
            }
            _ => return Err(Problem::UnknownDocType),
        };
        Ok(t)
    }
}

impl fmt::Display for DocType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

/// A validated identity document: its type and its normalised number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdDocument {
    doc_type: DocType,
    number: String,
}

/// Weights of the GB 11643 check character, one per of the first 17 digits.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check characters indexed by the weighted sum mod 11.
const CHECK: &[u8; 11] = b"10X98765432";

/// Province-level codes: the 31 mainland provinces, Taiwan (71), Hong Kong (81),
/// Macau (82) and the residence permits of Taiwan residents (83). Codes below the
/// province change over time and old ones stay valid, so only this prefix is checked.
const PROVINCES: [u8; 35] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
];

/// Computes the check character of the first 17 digits of a resident ID number.
pub fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    char::from(CHECK[(sum % 11) as usize])
}

/// Looks like what Excel writes for a long number: `4.10103E+17`, `4.1E17`, `410103199001011234.0`.
fn looks_excel_mangled(s: &str) -> bool {
    let (mantissa, exponent) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.trim_start_matches(['+', '-']))),
        None => (s, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    digits(int)
        && frac.is_none_or(digits)
        && exponent.is_none_or(digits)
        && (frac.is_some() || exponent.is_some())
}

impl IdDocument {
    /// Parses a document number of the given type. `today` bounds birth dates.
    pub fn parse(doc_type: DocType, raw: &str, today: Date) -> Result<IdDocument, Problem> {
        let s = compact(raw).to_uppercase();
        if s.is_empty() {
            return Err(Problem::Required);
        }
        if looks_excel_mangled(&s) {
            return Err(Problem::IdExcelMangled);
        }
        let number = match doc_type {
            DocType::ResidentId => parse_resident_id(&s, today)?,
            DocType::Passport => check_format(&s, |s| {
                (5..=17).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
            })?,
            DocType::HkMacauPermit => check_format(&s, |s| {
                let b = s.as_bytes();
                (b.len() == 9 || b.len() == 11)
                    && matches!(b[0], b'H' | b'M')
                    && b[1..].iter().all(u8::is_ascii_digit)
            })?,
            DocType::TaiwanPermit => check_format(&s, |s| {
                let b = s.as_bytes();
                (b.len() == 8 || b.len() == 10)
                    && b[..8].iter().all(u8::is_ascii_digit)
                    && b[8..].iter().all(u8::is_ascii_alphanumeric)
            })?,
            DocType::ForeignPermanent => check_format(&s, |s| {
                let b = s.as_bytes();
                let old = b.len() == 15
                    && b[..3].iter().all(u8::is_ascii_uppercase)
                    && b[3..].iter().all(u8::is_ascii_digit);
                let new = b.len() == 18 && b[0] == b'9' && b.iter().all(u8::is_ascii_digit);
                old || new
            })?,
        };
        Ok(IdDocument { doc_type, number })
    }

    /// Parses a resident ID number (the common case).
    pub fn resident(raw: &str, today: Date) -> Result<IdDocument, Problem> {
        IdDocument::parse(DocType::ResidentId, raw, today)
    }

    /// Rebuilds a document from storage, where it was validated on the way in.
    pub fn from_stored(doc_type: DocType, number: String) -> IdDocument {
        IdDocument { doc_type, number }
    }

    /// The document type.
    pub fn doc_type(&self) -> DocType {
        self.doc_type
    }

    /// The normalised number (18 characters for a resident ID).
    pub fn number(&self) -> &str {
        &self.number
    }

    /// The birth date encoded in a resident ID number.
    pub fn birth_date(&self) -> Option<Date> {
        if self.doc_type != DocType::ResidentId {
            return None;
        }
        birth_date_of(&self.number[6..14]).ok()
    }

    /// The sex encoded in a resident ID number (17th digit: odd male, even female).
    pub fn sex(&self) -> Option<Sex> {
        if self.doc_type != DocType::ResidentId {
            return None;
        }
        let d = self.number.as_bytes()[16] - b'0';
        Some(if d % 2 == 1 { Sex::Male } else { Sex::Female })
    }

    /// The number masked for lists: the first six and last four characters shown.
    pub fn masked(&self) -> String {
        mask_middle(&self.number, 6, 4)
    }
}

/// Masks all but the first `head` and last `tail` characters with `*`.
pub fn mask_middle(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.extend(std::iter::repeat_n('*', chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

fn check_format(s: &str, ok: impl Fn(&str) -> bool) -> Result<String, Problem> {
    if ok(s) {
        Ok(s.to_string())
    } else {
        Err(Problem::DocFormat)
    }
}

fn birth_date_of(yyyymmdd: &str) -> Result<Date, Problem> {
    let year: i32 = yyyymmdd[0..4].parse().map_err(|_| Problem::IdDate)?;
    let month: u8 = yyyymmdd[4..6].parse().map_err(|_| Problem::IdDate)?;
    let day: u8 = yyyymmdd[6..8].parse().map_err(|_| Problem::IdDate)?;
    let month = Month::try_from(month).map_err(|_| Problem::IdDate)?;
    if year < 1880 {
        return Err(Problem::IdDate);
    }
    Date::from_calendar_date(year, month, day).map_err(|_| Problem::IdDate)
}

fn parse_resident_id(s: &str, today: Date) -> Result<String, Problem> {
    let upgraded;
    let s = match s.len() {
        18 => s,
        15 => {
            if !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Problem::IdChars);
            }
            let mut first17 = String::with_capacity(18);
            first17.push_str(&s[..6]);
            first17.push_str("19");
            first17.push_str(&s[6..]);
            let c = check_char(first17.as_bytes());
            first17.push(c);
            upgraded = first17;
            &upgraded
        }
        _ => return Err(Problem::IdLength),
    };
    let b = s.as_bytes();
    if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
        return Err(Problem::IdChars);
    }
    let province = (b[0] - b'0') * 10 + (b[1] - b'0');
    if !PROVINCES.contains(&province) {
        return Err(Problem::IdRegion);
    }
    let birth = birth_date_of(&s[6..14])?;
    if birth > today {
        return Err(Problem::IdFutureDate);
    }
    if char::from(b[17]) != check_char(&b[..17]) {
        return Err(Problem::IdChecksum);
    }
    Ok(s.to_string())
}

/// Builds a valid resident ID number from its parts (for demo data and tests).
pub fn make_resident_id(region: &str, birth: Date, seq: u16) -> String {
    let mut s = format!(
        "{region}{:04}{:02}{:02}{:03}",
        birth.year(),
        u8::from(birth.month()),
        birth.day(),
        seq % 1000
    );
    let c = check_char(s.as_bytes());
    s.push(c);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 29);

    #[test]
    fn valid_id_with_x_check() {
        // 11010519491231002X is the standard's own example.
        let d = IdDocument::resident("11010519491231002x", TODAY).unwrap();
        assert_eq!(d.number(), "11010519491231002X");
        assert_eq!(d.birth_date(), Some(date!(1949 - 12 - 31)));
        assert_eq!(d.sex(), Some(Sex::Female));
    }

    #[test]
    fn full_width_and_spaces_are_normalised() {
        let d = IdDocument::resident(" １１０１０５ 19491231002Ｘ ", TODAY).unwrap();
        assert_eq!(d.number(), "11010519491231002X");
    }

    #[test]
    fn checksum_error() {
        assert_eq!(
            IdDocument::resident("110105194912310021", TODAY),
            Err(Problem::IdChecksum)
        );
    }

    #[test]
    fn date_errors() {
        let bad =
            make_resident_id("410103", date!(2000 - 01 - 01), 123).replace("20000101", "20000230");
        assert_eq!(IdDocument::resident(&bad, TODAY), Err(Problem::IdDate));
        let future = make_resident_id("410103", date!(2027 - 01 - 01), 123);
        assert_eq!(
            IdDocument::resident(&future, TODAY),
            Err(Problem::IdFutureDate)
        );
    }

    #[test]
    fn province_error() {
        let id = make_resident_id("990103", date!(1990 - 01 - 01), 123);
        assert_eq!(IdDocument::resident(&id, TODAY), Err(Problem::IdRegion));
    }

    #[test]
    fn excel_mangled() {
        assert_eq!(
            IdDocument::resident("4.10103E+17", TODAY),
            Err(Problem::IdExcelMangled)
        );
        assert_eq!(
            IdDocument::resident("4.10103e17", TODAY),
            Err(Problem::IdExcelMangled)
        );
        assert_eq!(
            IdDocument::resident("410103199001011234.0", TODAY),
            Err(Problem::IdExcelMangled)
        );
    }

    #[test]
    fn length_and_chars() {
        assert_eq!(
            IdDocument::resident("41010319900101", TODAY),
            Err(Problem::IdLength)
        );
        assert_eq!(
            IdDocument::resident("41010319900101123A", TODAY),
            Err(Problem::IdChars)
        );
        assert_eq!(IdDocument::resident("", TODAY), Err(Problem::Required));
    }

    #[test]
    fn legacy_15_digits_upgrade() {
        // 15-digit 410103 900101 123 → 410103 19900101 123 + check.
        let d = IdDocument::resident("410103900101123", TODAY).unwrap();
        assert_eq!(d.number().len(), 18);
        assert_eq!(&d.number()[..17], "41010319900101123");
        assert_eq!(d.sex(), Some(Sex::Male));
    }

    #[test]
    fn other_documents() {
        assert!(IdDocument::parse(DocType::Passport, "E12345678", TODAY).is_ok());
        assert!(IdDocument::parse(DocType::Passport, "E1", TODAY).is_err());
        assert!(IdDocument::parse(DocType::HkMacauPermit, "h12345678", TODAY).is_ok());
        assert!(IdDocument::parse(DocType::HkMacauPermit, "X12345678", TODAY).is_err());
        assert!(IdDocument::parse(DocType::TaiwanPermit, "12345678", TODAY).is_ok());
        assert!(IdDocument::parse(DocType::TaiwanPermit, "1234567", TODAY).is_err());
        assert!(IdDocument::parse(DocType::ForeignPermanent, "USA123456789012", TODAY).is_ok());
        assert!(IdDocument::parse(DocType::ForeignPermanent, "912345678901234567", TODAY).is_ok());
        assert!(IdDocument::parse(DocType::ForeignPermanent, "12345", TODAY).is_err());
    }

    #[test]
    fn doc_type_aliases() {
        assert_eq!(DocType::parse(""), Ok(DocType::ResidentId));
        assert_eq!(DocType::parse("身份证"), Ok(DocType::ResidentId));
        assert_eq!(DocType::parse("台胞证"), Ok(DocType::TaiwanPermit));
        assert_eq!(DocType::parse("Passport"), Ok(DocType::Passport));
        assert_eq!(DocType::parse("驾照"), Err(Problem::UnknownDocType));
    }

    #[test]
    fn masking() {
        let d = IdDocument::resident("11010519491231002X", TODAY).unwrap();
        assert_eq!(d.masked(), "110105********002X");
    }

    proptest! {
        #[test]
        fn every_generated_id_parses(days in 0i64..40000, seq in 0u16..1000) {
            let birth = date!(1920 - 01 - 01) + time::Duration::days(days);
            prop_assume!(birth <= TODAY);
            let id = make_resident_id("410103", birth, seq);
            let d = IdDocument::resident(&id, TODAY).unwrap();
            prop_assert_eq!(d.birth_date(), Some(birth));
        }

        #[test]
        fn one_changed_digit_is_caught(days in 0i64..30000, seq in 0u16..1000, pos in 0usize..17, delta in 1u8..10) {
            let birth = date!(1930 - 01 - 01) + time::Duration::days(days);
            let id = make_resident_id("410103", birth, seq);
            let mut b = id.into_bytes();
            b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
            let s = String::from_utf8(b).unwrap();
            prop_assert!(IdDocument::resident(&s, TODAY).is_err());
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,24}") {
            for t in DocType::ALL {
                let _ = IdDocument::parse(t, &s, TODAY);
            }
        }
    }
}
