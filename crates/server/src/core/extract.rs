//! Request extractors whose rejections use Kanri's JSON error format, naming the parameter
//! or field at fault, instead of axum's plain-text bodies.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::core::error::AppError;

/// `Query<T>` with JSON rejections.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<ApiQuery<T>, AppError> {
        let query = parts.uri.query().unwrap_or("");
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(ApiQuery)
            .map_err(|error| {
                let field = error.path().to_string();
                AppError::Invalid {
                    code: "invalid_query",
                    message: error.into_inner().to_string(),
                    field: Some(field),
                }
            })
    }
}

/// `Json<T>` with JSON rejections naming the field.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, _state: &S) -> Result<ApiJson<T>, AppError> {
        let bytes = axum::body::to_bytes(request.into_body(), 1024 * 1024)
            .await
            .map_err(|_| AppError::TooLarge("request body larger than 1 MiB".into()))?;
        let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(&mut deserializer)
            .map(ApiJson)
            .map_err(|error| {
                let field = error.path().to_string();
                AppError::Invalid {
                    code: "invalid_body",
                    message: error.into_inner().to_string(),
                    field: Some(field),
                }
            })
    }
}

/// For `Option<Option<T>>` fields of a PATCH body: absent stays `None` (with
/// `#[serde(default)]`), `null` becomes `Some(None)`, a value `Some(Some(value))`.
///
/// # Errors
/// The value's own deserialization errors.
pub fn present<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Checks a multi-line text typed by an administrator (notes): at most `max_chars`
/// characters, no control characters but line breaks and tabs.
///
/// # Errors
/// 400 naming `field` and the limit.
pub fn check_multiline_text(field: &str, value: &str, max_chars: usize) -> Result<(), AppError> {
    if value.chars().count() > max_chars {
        return Err(AppError::invalid(
            field,
            format!("{field} has at most {max_chars} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(AppError::invalid(
            field,
            format!("{field} contains control characters"),
        ));
    }
    Ok(())
}

/// Checks a one-line text field typed by an administrator (names and the like): at most
/// `max_chars` characters, no control characters.
///
/// # Errors
/// 400 naming `field` and the limit.
pub fn check_plain_text(field: &str, value: &str, max_chars: usize) -> Result<(), AppError> {
    if value.chars().count() > max_chars {
        return Err(AppError::invalid(
            field,
            format!("{field} has at most {max_chars} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(AppError::invalid(
            field,
            format!("{field} contains control characters"),
        ));
    }
    Ok(())
}
