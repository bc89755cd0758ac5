//! The API's one error type: a status, a stable snake_case code and a message.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use doorstep_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An API error answer: `{"error": "not_found", "message": "…"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable code programs branch on.
    pub error: String,
    /// A message for people.
    pub message: String,
}

/// An error a handler returns.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
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

    fn new(status: StatusCode, code: &str, message: &str) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                error: code.to_string(),
                message: message.to_string(),
            },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound(what) => ApiError::not_found(&what),
            StoreError::Conflict(what) => ApiError::new(StatusCode::CONFLICT, "conflict", &what),
            StoreError::Invalid(what) => ApiError::bad_request("invalid", &what),
            StoreError::Other(cause) => {
                // The cause goes to the log; the caller gets a generic answer.
                tracing::error!(error = %cause, "storage failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
