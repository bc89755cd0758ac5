//! Login, logout and the language switch.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use doorstep_app::auth;
use doorstep_app::error::AppError;
use serde::Deserialize;

use super::{Nav, PageError, PageUser, SESSION_COOKIE, constant_eq};
use crate::AppState;
use crate::context::{ReqCtx, ReqLang};
use crate::error::{busy_message, throttled_message};
use crate::i18n::T;

/// The login page.
#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    t: T,
    nav: Nav,
    error: Option<String>,
    username: String,
    next: String,
    csrf: String,
}

/// Where to go after logging in.
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Where to go back to after logging in or switching the language: a plain path of this
/// site, else `/`. Browsers read `//host`, `/\\host` and even `/<tab>/host` (they drop tabs and
/// line breaks from URLs) as another site, and a CR or LF cannot go in a `Location` header; so
/// only printable ASCII without a backslash, starting with one `/` and not two.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value: HttpOnly, SameSite, Secure over TLS.
fn cookie(name: &str, value: &str, max_age: Option<i64>, same_site: &str, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            kv.trim()
                .strip_prefix(&format!("{name}="))
                .map(str::to_string)
        })
}

fn login_page(
    t: T,
    error: Option<String>,
    username: String,
    next: String,
    headers: &HeaderMap,
) -> Response {
    // A login form has no session yet: its CSRF token is a cookie it must echo (double submit).
    let csrf = auth::random_hex(16).unwrap_or_default();
    let nav = Nav {
        path: format!("/login?next={}", super::urlencode(&next)),
        ..Nav::default()
    };
    let page = LoginPage {
        t,
        nav,
        error,
        username,
        next,
        csrf: csrf.clone(),
    };
    let mut res = page.into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie(
        "login_csrf",
        &csrf,
        Some(3600),
        "Strict",
        is_https(headers),
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// Shows the login form.
pub async fn login_form(
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    login_page(
        T(lang),
        None,
        String::new(),
        safe_next(q.next.as_deref()),
        &headers,
    )
}

/// The login form's fields.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

/// Logs in and sets the session cookie.
pub async fn login(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let t = T(lang);
    let next = safe_next(Some(&f.next));
    let expected = cookie_value(&headers, "login_csrf").unwrap_or_default();
    if f.csrf.is_empty() || !constant_eq(f.csrf.as_bytes(), expected.as_bytes()) {
        let msg = lang
            .pick(
                "页面已过期，请重新登录",
                "the page expired; please log in again",
            )
            .to_string();
        // Refused as a forged form is: 403, the form shown again with its message.
        let mut res = login_page(t, Some(msg), f.username, next, &headers);
        *res.status_mut() = StatusCode::FORBIDDEN;
        return res;
    }
    let now = ctx.now();
    let done = auth::login_at(
        s.store.as_ref(),
        &s.hashing,
        &ctx,
        &f.username,
        &f.password,
        "web",
        now,
    )
    .await;
    match done {
        Ok(done) => {
            let mut res = Redirect::to(&next).into_response();
            let secure = is_https(&headers);
            for c in [
                cookie(SESSION_COOKIE, &done.token, None, "Lax", secure),
                cookie("login_csrf", "", Some(0), "Strict", secure),
            ] {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            res
        }
        Err(e @ (AppError::BadLogin | AppError::Throttled(_) | AppError::Busy(_))) => {
            let (status, msg, retry) = match e {
                AppError::Throttled(secs) => (
                    StatusCode::TOO_MANY_REQUESTS,
                    throttled_message(secs, lang),
                    Some(secs),
                ),
                AppError::Busy(secs) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    busy_message(lang).to_string(),
                    Some(secs),
                ),
                _ => (
                    StatusCode::UNAUTHORIZED,
                    lang.pick("用户名或密码错误", "wrong user name or password")
                        .to_string(),
                    None,
                ),
            };
            let mut res = login_page(t, Some(msg), f.username, next, &headers);
            *res.status_mut() = status;
            if let Some(v) = retry.and_then(|r| HeaderValue::from_str(&r.to_string()).ok()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
        Err(e) => PageError::from_app(e, t, &ctx).into_response(),
    }
}

/// Logs out and clears the cookie.
pub async fn logout(
    State(s): State<AppState>,
    u: PageUser,
    headers: HeaderMap,
    Form(f): Form<super::CsrfForm>,
) -> Result<Response, PageError> {
    u.check_csrf(&f.csrf)?;
    auth::logout(s.store.as_ref(), &u.ctx, &u.who, &u.token)
        .await
        .map_err(|e| u.fail(e))?;
    let mut res = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie(
        SESSION_COOKIE,
        "",
        Some(0),
        "Lax",
        is_https(&headers),
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// Switches the language (a cookie for a year) and goes back.
pub async fn set_lang(
    Path(code): Path<String>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let code = if code.starts_with("en") { "en" } else { "zh" };
    let mut res = Redirect::to(&safe_next(q.next.as_deref())).into_response();
    let c = format!(
        "lang={code}; Path=/; Max-Age=31536000; SameSite=Lax{}",
        if is_https(&headers) { "; Secure" } else { "" }
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_site() {
        for good in ["/persons/1", "/search?q=%E5%BC%A0&page=2", "/"] {
            assert_eq!(safe_next(Some(good)), good);
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "\t//evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "/a\r\nSet-Cookie: x=1",
            "/a b",
            "/张三",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
