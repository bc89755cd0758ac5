//! The API's one error type: a status, a stable snake_case code and a message.

use axum::Json;
use axum::extract::Request;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use doorstep_app::error::AppError;
use doorstep_core::Lang;
use doorstep_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An API error answer: `{"error": "not_found", "message": "…"}`; validation errors add `fields`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable code programs branch on.
    pub error: String,
    /// A message for people.
    pub message: String,
    /// For `validation_failed`: each problem with the field it concerns.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

/// One invalid field.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldError {
    /// The field's key (`phone`, `members[1].id_number`).
    pub path: String,
    /// The problem's stable code.
    pub code: String,
    /// The message in the request's language.
    pub message: String,
}

/// An error a handler returns.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    retry_after: Option<u64>,
}

impl ApiError {
    /// 404: nothing there (or nothing the caller may see).
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("{what} not found"),
        )
    }

    /// 400 with a code and message.
    pub fn bad_request(code: &str, message: &str) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// Any status with a code and message.
    pub fn new(status: StatusCode, code: &str, message: &str) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                error: code.to_string(),
                message: message.to_string(),
                fields: Vec::new(),
            },
            retry_after: None,
        }
    }

    /// 413 `payload_too_large`: the body is over [`crate::BODY_LIMIT`].
    pub fn too_large(lang: Lang) -> ApiError {
        let mib = crate::BODY_LIMIT >> 20;
        let message = match lang {
            Lang::Zh => format!("请求内容过大，最多 {mib} MiB"),
            Lang::En => format!("the request body is too large (at most {mib} MiB)"),
        };
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", &message)
    }

    /// A JSON body that could not be read: 413 when it is too large, else 400 `bad_json`
    /// with what the parser said.
    pub fn from_json_rejection(e: JsonRejection, lang: Lang) -> ApiError {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(lang)
        } else {
            ApiError::bad_request("bad_json", &e.body_text())
        }
    }

    /// 422 `validation_failed` with each problem at its path (`members[1].id_number`).
    pub fn validation(fields: Vec<FieldError>, lang: Lang) -> ApiError {
        let mut err = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            lang.pick("填写有误", "some fields are invalid"),
        );
        err.body.fields = fields;
        err
    }

    /// An application error, with messages in `lang`.
    pub fn from_app(e: AppError, lang: Lang) -> ApiError {
        match e {
            AppError::Unauthorized => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                lang.pick("请先登录", "log in first"),
            ),
            AppError::BadLogin => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "bad_login",
                lang.pick("用户名或密码错误", "wrong user name or password"),
            ),
            AppError::Throttled(secs) => {
                let mut err = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "login_throttled",
                    &throttled_message(secs, lang),
                );
                err.retry_after = Some(secs);
                err
            }
            AppError::Busy(secs) => {
                let mut err =
                    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", busy_message(lang));
                err.retry_after = Some(secs);
                err
            }
            AppError::NotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                lang.pick("不存在", "not found"),
            ),
            AppError::Forbidden => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                lang.pick("无权进行此操作", "not allowed"),
            ),
            AppError::Validation(problems) => {
                let mut err = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    lang.pick("填写有误", "some fields are invalid"),
                );
                err.body.fields = problems
                    .into_iter()
                    .map(|fp| FieldError {
                        code: fp.problem.code().to_string(),
                        message: fp.problem.message(lang),
                        path: fp.path,
                    })
                    .collect();
                err
            }
            AppError::Conflict(c) => ApiError::new(StatusCode::CONFLICT, c.code(), c.message(lang)),
            AppError::Import(e) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "import_failed",
                &e.message(lang),
            ),
            AppError::Store(e) => ApiError::store(e, lang),
            AppError::Internal(cause) => {
                tracing::error!(error = %causes(cause.as_ref()), "internal error");
                ApiError::internal()
            }
        }
    }

    /// Its status and body, for answers that carry several (a batch).
    pub fn into_parts(self) -> (StatusCode, ErrorBody) {
        (self.status, self.body)
    }

    /// 503 `db_unavailable` with Retry-After: the database could not take the request (a
    /// failover, a lost connection); the cause is logged as a warning, without the request.
    pub fn db_unavailable(
        cause: &(dyn std::error::Error + Send + Sync + 'static),
        message: &str,
    ) -> ApiError {
        tracing::warn!(error = %causes(cause), "database unavailable");
        let mut err = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "db_unavailable", message);
        err.retry_after = Some(DB_RETRY_SECS);
        err
    }

    /// A store failure in the caller's language: 503 `db_unavailable` when the database could
    /// not take it, else as `From<StoreError>`.
    pub fn store(e: StoreError, lang: Lang) -> ApiError {
        match e {
            StoreError::Unavailable(cause) => {
                ApiError::db_unavailable(cause.as_ref(), db_unavailable_message(lang))
            }
            other => ApiError::from(other),
        }
    }

    /// 500 `internal`: a generic answer (the cause is in the log under the request id).
    pub fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }
}

/// An error and its causes, outermost first, for the log (`a: b: c`).
pub(crate) fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        next = cause.source();
    }
    out
}

/// What a throttled login is told: how long to wait.
pub(crate) fn throttled_message(secs: u64, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("登录尝试过于频繁，请 {secs} 秒后再试"),
        Lang::En => format!("too many login attempts; try again in {secs} s"),
    }
}

/// What a login turned away for lack of hashing capacity is told.
pub(crate) fn busy_message(lang: Lang) -> &'static str {
    lang.pick(
        "系统繁忙，请稍后再试",
        "the server is busy; try again in a moment",
    )
}

/// What a 503 `db_unavailable` asks a client to wait: about as long as a failover of the
/// database takes to settle (docs/deployment.md), and short enough for a sampler to retry.
pub(crate) const DB_RETRY_SECS: u64 = 5;

/// What a request the database could not take is told.
pub(crate) fn db_unavailable_message(lang: Lang) -> &'static str {
    lang.pick(
        "数据库暂时不可用，请几秒后重试，已提交的内容不会丢失",
        "the database is unavailable for the moment; try again in a few seconds (nothing acknowledged is lost)",
    )
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound(what) => ApiError::not_found(&what),
            StoreError::Conflict(what) => ApiError::new(StatusCode::CONFLICT, "conflict", &what),
            StoreError::Invalid(what) => ApiError::bad_request("invalid", &what),
            // Without the caller's language (a few handlers convert directly): both.
            StoreError::Unavailable(cause) => ApiError::db_unavailable(
                cause.as_ref(),
                &format!(
                    "{} / {}",
                    db_unavailable_message(Lang::Zh),
                    db_unavailable_message(Lang::En)
                ),
            ),
            StoreError::Other(cause) => {
                // The cause goes to the log (it names no person); the caller gets a generic answer.
                tracing::error!(error = %causes(cause.as_ref()), "storage failed");
                ApiError::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, Json(self.body)).into_response();
        if let Some(v) = self
            .retry_after
            .and_then(|s| HeaderValue::from_str(&s.to_string()).ok())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

/// Middleware of `/api`: what an extractor refuses before the handler runs (a body over the
/// limit, a body that is not JSON or not of the request's shape, a path parameter of the wrong
/// kind) answers as JSON like every other API error, in the caller's language, rather than
/// as axum's plain text.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let lang = crate::context::lang_of(req.headers());
    let res = next.run(req).await;
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let status = res.status();
    if is_json || !status.is_client_error() {
        return res;
    }
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::too_large(lang).into_response(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            status,
            "unsupported_media_type",
            lang.pick(
                "请以 JSON 发送（Content-Type: application/json）",
                "send JSON (Content-Type: application/json)",
            ),
        )
        .into_response(),
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
            // The extractor's own words say where (a line and column, a field's name).
            let said = axum::body::to_bytes(res.into_body(), 4096)
                .await
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            let message = format!(
                "{}{said}",
                lang.pick("请求内容无法读取：", "the request cannot be read: ")
            );
            ApiError::new(status, "bad_request", &message).into_response()
        }
        _ => res,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use http_body_util::BodyExt;

    async fn body(res: Response) -> String {
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn an_internal_failure_answers_500_without_its_cause() {
        let cause = std::io::Error::other("/tmp/secret-path: disk full");
        let res = ApiError::from_app(AppError::internal(cause), Lang::En).into_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let text = body(res).await;
        assert!(text.contains("\"error\":\"internal\""), "{text}");
        assert!(!text.contains("secret-path"), "{text}");

        let ctx = doorstep_app::access::Ctx {
            ip: None,
            request_id: Some("req-4242".into()),
            ..Default::default()
        };
        let cause = std::io::Error::other("/tmp/secret-path: disk full");
        let page = crate::pages::PageError::from_app(
            AppError::internal(cause),
            crate::i18n::T(Lang::En),
            &ctx,
        )
        .into_response();
        assert_eq!(page.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let text = body(page).await;
        assert!(
            text.contains("req-4242"),
            "the page shows the request id: {text}"
        );
        assert!(!text.contains("secret-path"), "{text}");
    }

    #[tokio::test]
    async fn an_unreachable_database_answers_503_with_retry_after() {
        let gone =
            || StoreError::Unavailable(std::io::Error::other("10.0.0.9:5432 refused").into());
        for (lang, says) in [(Lang::Zh, "数据库暂时不可用"), (Lang::En, "unavailable")] {
            let res = ApiError::from_app(AppError::Store(gone()), lang).into_response();
            assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(res.headers()[header::RETRY_AFTER], "5");
            let text = body(res).await;
            assert!(text.contains("\"error\":\"db_unavailable\""), "{text}");
            assert!(text.contains(says), "{text}");
            assert!(!text.contains("10.0.0.9"), "{text}");
        }
        // Converted without a language: both.
        let res = ApiError::from(gone()).into_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        let text = body(res).await;
        assert!(
            text.contains("数据库") && text.contains("database"),
            "{text}"
        );
        let page = crate::pages::PageError::from_app(
            AppError::Store(gone()),
            crate::i18n::T(Lang::En),
            &doorstep_app::access::Ctx::default(),
        )
        .into_response();
        assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(body(page).await.contains("try again in a few seconds"));
    }

    #[test]
    fn the_log_gets_every_cause() {
        let e = AppError::internal(std::io::Error::other("disk full"));
        assert_eq!(causes(&e), "internal error: disk full");
    }
}
