//! [`AppError`]: the one error every handler returns, mapped to a status and a JSON body once.
//!
//! Bad input is the caller's problem and is not logged as an error; internal failures are
//! logged once, and the caller only learns that something went wrong.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kanri_proto::ErrorBody;

use crate::core::db::DbError;

/// Every failure a request can end in.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request is malformed; `field` names the part at fault.
    #[error("{message}")]
    Invalid {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    /// 401: no or bad credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: authenticated but not allowed, or refused by a rule (licence cap).
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// 404.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 409: a concurrent change won.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is larger than the limit.
    #[error("{0}")]
    TooLarge(String),
    /// 415: an encoding we do not accept.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 500: logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// A 400 naming the field at fault.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> AppError {
        AppError::Invalid {
            code: "invalid_request",
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// The HTTP status and the machine-readable code (what a bulk operation reports per
    /// record).
    pub fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::Invalid { code, .. } => (StatusCode::BAD_REQUEST, code),
            AppError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AppError::Forbidden { code, .. } => (StatusCode::FORBIDDEN, code),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            AppError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_encoding")
            }
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<DbError> for AppError {
    fn from(error: DbError) -> AppError {
        match error {
            DbError::NotFound => AppError::NotFound("record"),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> AppError {
        AppError::from(crate::core::db::not_found(error))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        let message = match &self {
            AppError::Internal(detail) => {
                tracing::error!(message = "Request failed.", error = %detail);
                "something went wrong; the server log has the details".to_string()
            }
            other => other.to_string(),
        };
        let field = match self {
            AppError::Invalid { field, .. } => field,
            _ => None,
        };
        let body = ErrorBody {
            code: code.to_string(),
            message,
            field,
        };
        (status, Json(body)).into_response()
    }
}
