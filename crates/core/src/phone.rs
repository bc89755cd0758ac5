//! Mainland mobile numbers: `1[3-9]` + 9 digits; `+86`, spaces and dashes are formatting.

use std::fmt;

use crate::problem::Problem;
use crate::text::compact;

/// A valid mainland mobile number, 11 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Parses a phone, normalising `+86`/`0086`, spaces, dashes, brackets and full-width digits.
    pub fn parse(raw: &str) -> Result<Phone, Problem> {
        let s: String = compact(raw)
            .chars()
            .filter(|c| !matches!(c, '-' | '(' | ')' | '.'))
            .collect();
        if s.is_empty() {
            return Err(Problem::Required);
        }
        let digits = s
            .strip_prefix("+86")
            .or_else(|| s.strip_prefix("0086"))
            .or_else(|| {
                if s.len() == 13 {
                    s.strip_prefix("86")
                } else {
                    None
                }
            })
            .unwrap_or(&s);
        let b = digits.as_bytes();
        let ok = b.len() == 11
            && b[0] == b'1'
            && (b'3'..=b'9').contains(&b[1])
            && b.iter().all(u8::is_ascii_digit);
        if ok {
            Ok(Phone(digits.to_string()))
        } else {
            Err(Problem::Phone)
        }
    }

    /// Parses an optional phone: empty means none, a present malformed value is an error.
    pub fn parse_optional(raw: &str) -> Result<Option<Phone>, Problem> {
        if compact(raw).is_empty() {
            Ok(None)
        } else {
            Phone::parse(raw).map(Some)
        }
    }

    /// Rebuilds a phone from storage, where it was validated on the way in.
    pub fn from_stored(s: String) -> Phone {
        Phone(s)
    }

    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number masked for lists: `138****1234`.
    pub fn masked(&self) -> String {
        crate::idnum::mask_middle(&self.0, 3, 4)
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalises_formatting() {
        for raw in [
            "13812345678",
            "+86 138 1234 5678",
            "138-1234-5678",
            "0086 13812345678",
            "８６13812345678",
            "１３８１２３４５６７８",
        ] {
            assert_eq!(Phone::parse(raw).unwrap().as_str(), "13812345678", "{raw}");
        }
    }

    #[test]
    fn rejects_malformed() {
        for raw in [
            "12812345678",
            "1381234567",
            "138123456789",
            "0371-6612345",
            "abc",
        ] {
            assert_eq!(Phone::parse(raw), Err(Problem::Phone), "{raw}");
        }
    }

    #[test]
    fn optional() {
        assert_eq!(Phone::parse_optional("  "), Ok(None));
        assert!(Phone::parse_optional("123").is_err());
        assert_eq!(Phone::parse("13812345678").unwrap().masked(), "138****5678");
    }

    proptest! {
        #[test]
        fn valid_mobiles_parse(second in 3u8..10, rest in "[0-9]{9}") {
            let s = format!("1{second}{rest}");
            let p = Phone::parse(&format!("+86 {s}")).unwrap();
            prop_assert_eq!(p.as_str(), s.as_str());
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = Phone::parse(&s);
        }
    }
}
