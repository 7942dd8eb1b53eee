//! Strict decoding of agent payloads with the path of the offending field.

use serde::de::DeserializeOwned;

/// A payload that could not be accepted, with the JSON path of the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct DecodeError {
    /// JSON path such as `software.packages[3].name`, or `.` for the whole document.
    pub field: String,
    /// What was wrong, in English, lowercase, for the error body and the event.
    pub reason: String,
}

/// Decodes a JSON payload strictly: invalid UTF-8, unknown fields, wrong types, over-long
/// strings, control characters and over-long lists are all refused.
///
/// # Errors
/// [`DecodeError`] naming the field and the reason.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let field = error.path().to_string();
        let inner = error.into_inner();
        DecodeError {
            field,
            reason: strip_position(&inner),
        }
    })?;
    deserializer.end().map_err(|error| DecodeError {
        field: ".".to_string(),
        reason: strip_position(&error),
    })?;
    Ok(value)
}

fn strip_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.find(" at line ") {
        Some(index) => text[..index].to_string(),
        None => text,
    }
}
