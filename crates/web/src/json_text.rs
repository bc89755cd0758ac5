//! JSON bodies whose text holds a NUL character (`\u0000`) are refused before any handler
//! reads them: 400 `text_nul`. No one types one; PostgreSQL's text cannot hold it, so it reached
//! the database as a storage error (a 500 — found by the fuzz target
//! `crates/web/tests/it/fuzz_bodies.rs`: a seal's `area` of `"\u0000"`), while SQLite kept it.
//! Refused here, both databases answer every JSON field alike. (What arrives otherwise — a
//! query string, a form — and meets PostgreSQL is refused by the store as invalid, 400.)

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Middleware of `/api`: reads a JSON body (within [`crate::BODY_LIMIT`], as the extractors
/// would) and refuses it when a string in it holds `\u0000`; hands it on otherwise.
pub async fn refuse_nul(req: Request, next: Next) -> Response {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !is_json {
        return next.run(req).await;
    }
    let lang = crate::context::lang_of(req.headers());
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, crate::BODY_LIMIT).await {
        Ok(b) => b,
        Err(e) => {
            let over = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            return if over {
                ApiError::too_large(lang).into_response()
            } else {
                ApiError::bad_request(
                    "bad_request",
                    lang.pick("请求内容无法读取", "the request cannot be read"),
                )
                .into_response()
            };
        }
    };
    if has_nul(&bytes) {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "text_nul",
            lang.pick(
                "文字中不能含有空字符（\\u0000），请删去后重试",
                "text may not hold a NUL character (\\u0000); remove it and send again",
            ),
        )
        .into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Whether a string of this JSON text holds the escape `\u0000` (a raw NUL byte is not JSON,
/// and the parser refuses it). Scans once; `\\u0000` (a backslash, then `u0000`) is text.
fn has_nul(json: &[u8]) -> bool {
    let mut in_string = false;
    let mut i = 0;
    while i < json.len() {
        match (in_string, json[i]) {
            (true, b'\\') => {
                if json.get(i + 1) == Some(&b'u') && json.get(i + 2..i + 6) == Some(b"0000") {
                    return true;
                }
                i += 2;
                continue;
            }
            (true, b'"') => in_string = false,
            (false, b'"') => in_string = true,
            _ => {}
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::has_nul;

    #[test]
    fn only_an_escaped_nul_inside_a_string_counts() {
        assert!(has_nul(br#"{"area":"\u0000"}"#));
        assert!(has_nul(br#"{"a":["x", "b\u0000c"]}"#));
        assert!(has_nul(br#"{"\u0000":1}"#));
        assert!(!has_nul(br#"{"area":"\\u0000"}"#));
        assert!(!has_nul(br#"{"area":"\\\"u0000"}"#));
        assert!(has_nul(br#"{"area":"\u00000"}"#));
        assert!(!has_nul(br#"{"area":"\u0001\u0100"}"#));
        assert!(!has_nul(br#"{"n":0000,"s":"u0000"}"#));
        assert!(!has_nul(br#"{"s":"\u4e2d\u6587"}"#));
        assert!(!has_nul(b"\\u0000"));
    }
}
