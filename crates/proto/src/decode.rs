//! Strict decoding of agent payloads with the path of the offending field.

use serde::de::DeserializeOwned;

use crate::inventory::Package;

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
/// Valid payloads are decoded once, without tracking paths (a first inventory is hundreds of
/// kilobytes); a refused one is decoded again with path tracking to name the field.
///
/// # Errors
/// [`DecodeError`] naming the field and the reason.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    // Checking the UTF-8 of the whole body at once lets the parser borrow every string
    // without checking each again.
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(explain::<T>(bytes));
    };
    match serde_json::from_str(text) {
        Ok(value) => Ok(value),
        Err(_) => Err(explain::<T>(bytes)),
    }
}

/// Why `bytes` is refused, with the path of the field at fault.
fn explain<T: DeserializeOwned>(bytes: &[u8]) -> DecodeError {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(error) => {
            let field = clean(&name_row_fields(&error.path().to_string()));
            let inner = error.into_inner();
            DecodeError {
                field,
                reason: clean(&strip_position(&inner)),
            }
        }
        Ok(_) => match deserializer.end() {
            Err(error) => DecodeError {
                field: ".".to_string(),
                reason: clean(&strip_position(&error)),
            },
            // Unreachable for a deterministic decoder; say so rather than accept.
            Ok(()) => DecodeError {
                field: ".".to_string(),
                reason: "refused".to_string(),
            },
        },
    }
}

/// Names the field of a package row: `…packages[3][0]` becomes `…packages[3].name`, the
/// path the same fault has in the object form.
fn name_row_fields(path: &str) -> String {
    let Some(at) = path.rfind("packages[") else {
        return path.to_string();
    };
    let rest = &path[at + "packages[".len()..];
    let parsed = rest.split_once("][").and_then(|(package, tail)| {
        let (column, after) = tail.split_once(']')?;
        package.parse::<usize>().ok()?;
        let field = Package::FIELDS.get(column.parse::<usize>().ok()?)?;
        Some((package, *field, after))
    });
    match parsed {
        Some((package, field, after)) => {
            format!("{}packages[{package}].{field}{after}", &path[..at])
        }
        None => path.to_string(),
    }
}

fn strip_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(index) => text[..index].to_string(),
        None => text,
    }
}

/// Longest field path or reason kept, in bytes: both echo what the sender wrote and end up in
/// events and error replies, so they are escaped and capped.
pub const MAX_ERROR_TEXT: usize = 256;

fn clean(text: &str) -> String {
    if text.is_empty() {
        return "\"\"".to_string();
    }
    let mut out = String::with_capacity(text.len().min(MAX_ERROR_TEXT));
    for c in text.chars() {
        let piece: String = if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
            c.escape_unicode().to_string()
        } else {
            c.to_string()
        };
        if out.len() + piece.len() > MAX_ERROR_TEXT {
            out.push('…');
            break;
        }
        out.push_str(&piece);
    }
    out
}
