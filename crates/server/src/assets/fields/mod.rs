//! Custom fields of the ledger (追加管理項目): administrators define, per record kind, text,
//! selection or hierarchy fields entered by administrators or by the PC's user; records keep
//! their values by field id (text, or an option id). The data type is fixed once created, so
//! stored values never change meaning.

pub mod api;
pub mod service;
pub mod store;

use serde::{Deserialize, Serialize};

/// A custom field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomField {
    /// Id (the key of values in a record's `custom`).
    pub id: i64,
    /// `hardware`, `licence` or `contract`.
    pub target: String,
    /// Japanese name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// `text`, `selection` or `hierarchy`.
    pub data_type: String,
    /// `admin` or `user` (asked in the user-information form).
    pub input: String,
    /// Place among the target's fields.
    pub position: i64,
    /// Choices (selection) or nodes (hierarchy), in order.
    pub options: Vec<FieldOption>,
    /// Optimistic version.
    pub version: i64,
}

/// A choice of a selection field or a node of a hierarchy field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldOption {
    /// Id (what a record stores).
    pub id: i64,
    /// Parent node (hierarchy).
    pub parent_id: Option<i64>,
    /// Japanese name.
    pub name: String,
    /// English name.
    pub name_en: String,
}

/// Record kinds with custom fields.
pub const TARGETS: [&str; 3] = ["hardware", "licence", "contract"];
/// Data types.
pub const DATA_TYPES: [&str; 3] = ["text", "selection", "hierarchy"];
/// Longest text value.
pub const MAX_TEXT_CHARS: usize = 255;
