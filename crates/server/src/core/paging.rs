//! Keyset paging: an opaque cursor holding the sort key and id of the last row, so that page
//! 300 costs the same index seek as page 1.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::core::error::AppError;

/// Default and largest page sizes of every list.
pub const DEFAULT_LIMIT: u32 = 250;
/// The largest page a caller may ask for.
pub const MAX_LIMIT: u32 = 1000;

/// The sort value of the last row seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SortValue {
    /// A number column.
    Int(i64),
    /// A text column.
    Text(String),
}

/// Where the next page starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// Sort key of the last row.
    pub value: SortValue,
    /// Id of the last row (the tie-breaker).
    pub id: i64,
}

impl Cursor {
    /// The opaque text form handed to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Parses a cursor a client sent back.
    ///
    /// # Errors
    /// A 400 naming the `cursor` parameter.
    pub fn decode(text: &str) -> Result<Cursor, AppError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| AppError::invalid("cursor", "cursor is not valid"))?;
        serde_json::from_slice(&bytes)
            .map_err(|_| AppError::invalid("cursor", "cursor is not valid"))
    }
}

/// Checks a requested page size.
///
/// # Errors
/// A 400 naming `limit` when it is 0 or above [`MAX_LIMIT`].
pub fn limit(requested: Option<u32>) -> Result<u32, AppError> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(value) if (1..=MAX_LIMIT).contains(&value) => Ok(value),
        Some(_) => Err(AppError::invalid(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

/// One page of a list, with the cursor of the next page when there is one.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        for value in [SortValue::Int(-5), SortValue::Text("経理-PC".into())] {
            let cursor = Cursor { value, id: 42 };
            assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        }
        assert!(Cursor::decode("!!").is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode(b"{}")).is_err());
        assert_eq!(limit(None).unwrap(), 250);
        assert!(limit(Some(0)).is_err() && limit(Some(1001)).is_err());
    }
}
