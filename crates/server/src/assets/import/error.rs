//! Why an import file is refused whole ([`Refusal`]: nothing is imported), and the errors
//! an import ends in ([`ImportError`]).

use crate::core::csv::DecodeError;
use crate::core::db::DbError;
use crate::core::error::AppError;

/// A file-level error: the whole file is refused and nothing changes (see the module doc of
/// `assets::import` for why these and not others).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No template of the kind has the name.
    #[error("there is no {kind} import template {name:?}")]
    UnknownTemplate {
        /// The kind asked for.
        kind: &'static str,
        /// The name asked for.
        name: String,
    },
    /// The template's mapping key is not one of the kind's keys.
    #[error("{key:?} cannot be the mapping key of {kind}; use one of {keys}")]
    UnknownKey {
        /// The kind.
        kind: &'static str,
        /// The template's key.
        key: String,
        /// The keys the kind has.
        keys: String,
    },
    /// Larger than [`crate::assets::import::format::MAX_FILE_BYTES`].
    #[error("the file is larger than {limit} bytes; split it")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// Bytes that are not text in the encoding, naming the line and the encoding the file
    /// looks like.
    #[error("{0}; choose the file's encoding")]
    Encoding(DecodeError),
    /// The file could not be read.
    #[error("the file could not be read: {0}")]
    Unreadable(String),
    /// No row at the template's header row.
    #[error("the file has no header at row {row}")]
    NoHeader {
        /// The template's header row.
        row: u64,
    },
    /// The header lacks the mapping key's column.
    #[error("the header has no column {header:?}, the mapping key; nothing was imported")]
    KeyColumnMissing {
        /// The column the template reads the key from.
        header: String,
    },
    /// The header lacks columns the template requires.
    #[error("the header has no column {}; the file does not fit the template", quoted(.headers))]
    ColumnsMissing {
        /// The missing columns.
        headers: Vec<String>,
    },
    /// The template reads a custom field the kind does not have (deleted since, or a
    /// template from another server, whose fields have other ids).
    #[error(
        "the template reads {field}, which is not a custom field of {kind}; change the template"
    )]
    UnknownCustomField {
        /// The kind.
        kind: &'static str,
        /// The field as the template names it (`custom:12`).
        field: String,
    },
    /// A column the template reads appears twice in the header.
    #[error("the header has the column {header:?} twice")]
    DuplicateColumn {
        /// The column.
        header: String,
    },
}

fn quoted(headers: &[String]) -> String {
    headers
        .iter()
        .map(|h| format!("{h:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Refusal {
    /// Its machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::UnknownTemplate { .. } => "unknown_template",
            Refusal::UnknownKey { .. } => "unknown_key",
            Refusal::UnknownCustomField { .. } => "unknown_custom_field",
            Refusal::TooLarge { .. } => "file_too_large",
            Refusal::Encoding(_) => "wrong_encoding",
            Refusal::Unreadable(_) => "unreadable",
            Refusal::NoHeader { .. } => "no_header",
            Refusal::KeyColumnMissing { .. } => "key_column_missing",
            Refusal::ColumnsMissing { .. } => "columns_missing",
            Refusal::DuplicateColumn { .. } => "duplicate_column",
        }
    }

    /// The request part at fault.
    pub fn field(&self) -> &'static str {
        match self {
            Refusal::UnknownTemplate { .. }
            | Refusal::UnknownKey { .. }
            | Refusal::UnknownCustomField { .. } => "template",
            Refusal::Encoding(_) => "encoding",
            _ => "file",
        }
    }
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> AppError {
        match refusal {
            Refusal::TooLarge { .. } => AppError::TooLarge(refusal.to_string()),
            other => AppError::Invalid {
                code: other.code(),
                message: other.to_string(),
                field: Some(other.field().into()),
            },
        }
    }
}

/// How an import ends when it does not complete.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file was refused (and the refusal recorded in the history as `id`, when it got
    /// that far).
    #[error("{refusal}")]
    Refused {
        /// Why.
        refusal: Refusal,
        /// The history entry.
        id: Option<i64>,
    },
    /// Not allowed, or the database failed.
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<DbError> for ImportError {
    fn from(error: DbError) -> ImportError {
        ImportError::App(error.into())
    }
}

impl From<ImportError> for AppError {
    fn from(error: ImportError) -> AppError {
        match error {
            ImportError::Refused { refusal, .. } => refusal.into(),
            ImportError::App(error) => error,
        }
    }
}
