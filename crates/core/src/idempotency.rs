//! The rule every idempotent write follows (reports now; scans and check-ins to come): the
//! client's key is stored with the SHA-256 of the request's canonical body, and a replay of
//! the key gets the first answer only if its body hashes the same. A key reused with another
//! body gets nothing of the first request back: otherwise anyone who learns or guesses a key
//! could read (and, through a receipt, change) what someone else sent.

use std::fmt::Write as _;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::Problem;

/// A client's idempotency key: 1–64 of `A-Za-z0-9_-`, trimmed.
pub fn key(raw: &str) -> Result<String, Problem> {
    let k = raw.trim();
    if k.is_empty() {
        Err(Problem::Required)
    } else if k.len() > 64 {
        Err(Problem::TooLong { max: 64 })
    } else if !k
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Err(Problem::Choice)
    } else {
        Ok(k.to_string())
    }
}

/// The SHA-256 of a request body in canonical form, as 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BodyHash(String);

impl BodyHash {
    /// Hashes a request body: JSON with every object's keys sorted and no white space, so the
    /// same content hashes the same whatever order a client or a struct lists its fields in.
    /// Leave the idempotency key itself out of `body`.
    pub fn of(body: &Value) -> BodyHash {
        let mut canonical = String::new();
        write_canonical(body, &mut canonical);
        let digest = Sha256::digest(canonical.as_bytes());
        let mut hex = String::with_capacity(64);
        for b in digest {
            let _ = write!(hex, "{b:02x}");
        }
        BodyHash(hex)
    }

    /// The hex digits, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a replay with this body may have what its key stored. A key stored without a
    /// hash (before hashes were kept) never matches: its first body is unknown, so a replay
    /// could be anyone's.
    pub fn matches(&self, stored: Option<&str>) -> bool {
        stored.is_some_and(|s| s == self.0)
    }
}

/// Writes `v` as JSON with sorted object keys and no white space.
fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                if let Some(item) = map.get(k) {
                    write_canonical(item, out);
                }
            }
            out.push('}');
        }
        // Scalars have one JSON spelling each (strings escaped as serde_json does).
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_and_spacing_do_not_matter() {
        let a = BodyHash::of(&json!({"b": [1, {"y": "张", "x": null}], "a": "x"}));
        let b: Value =
            serde_json::from_str(r#"{ "a" : "x", "b": [1, {"x": null, "y": "张"}] }"#).unwrap();
        assert_eq!(a, BodyHash::of(&b));
        assert_eq!(a.as_str().len(), 64);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn any_change_of_content_changes_the_hash() {
        let a = BodyHash::of(&json!({"members": [{"name": "张伟"}]}));
        for other in [
            json!({"members": [{"name": "张伟 "}]}),
            json!({"members": [{"name": "张伟"}, {"name": "张伟"}]}),
            json!({"members": [["name", "张伟"]]}),
            json!({"members": [{"name": "张伟"}], "x": ""}),
        ] {
            assert_ne!(a, BodyHash::of(&other), "{other}");
        }
    }

    #[test]
    fn a_key_stored_without_a_hash_never_matches() {
        let h = BodyHash::of(&json!({}));
        assert!(h.matches(Some(h.as_str())));
        assert!(!h.matches(None));
        assert!(!h.matches(Some("")));
        assert!(!h.matches(Some(BodyHash::of(&json!([])).as_str())));
    }
}
