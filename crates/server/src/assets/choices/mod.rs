//! The ledger's choice lists: statuses and types of hardware assets, licences and contracts.
//! Built-in entries have fixed ids (the code names them) and never change; administrators add
//! up to [`MAX_CUSTOM`] of their own per list, ordered, each with a Japanese and an English
//! name.

pub mod api;
pub mod service;
pub mod store;

use serde::{Deserialize, Serialize};

/// How many entries administrators may add to one list.
pub const MAX_CUSTOM: i64 = 100;

/// Which list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChoiceKind {
    /// Hardware asset status (資産状態).
    HardwareStatus,
    /// Device type (機器種別).
    DeviceType,
    /// Licence status (ライセンス状態).
    LicenceStatus,
    /// Licence type (ライセンス種類).
    LicenceType,
    /// Contract status (契約状態).
    ContractStatus,
    /// Contract type (契約種別).
    ContractType,
}

impl ChoiceKind {
    /// Every list.
    pub const ALL: [ChoiceKind; 6] = [
        ChoiceKind::HardwareStatus,
        ChoiceKind::DeviceType,
        ChoiceKind::LicenceStatus,
        ChoiceKind::LicenceType,
        ChoiceKind::ContractStatus,
        ChoiceKind::ContractType,
    ];

    /// Stored and URL name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChoiceKind::HardwareStatus => "hardware_status",
            ChoiceKind::DeviceType => "device_type",
            ChoiceKind::LicenceStatus => "licence_status",
            ChoiceKind::LicenceType => "licence_type",
            ChoiceKind::ContractStatus => "contract_status",
            ChoiceKind::ContractType => "contract_type",
        }
    }

    /// From the stored name.
    pub fn parse(name: &str) -> Option<ChoiceKind> {
        ChoiceKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The records that hold an entry of this list: `(table, column)`.
    pub fn users(self) -> &'static [(&'static str, &'static str)] {
        match self {
            ChoiceKind::HardwareStatus => &[
                ("hardware_assets", "status_id"),
                ("hardware_assets", "planned_status_id"),
            ],
            ChoiceKind::DeviceType => &[("hardware_assets", "type_id")],
            ChoiceKind::LicenceStatus => {
                &[("licences", "status_id"), ("licences", "planned_status_id")]
            }
            ChoiceKind::LicenceType => &[("licences", "type_id")],
            ChoiceKind::ContractStatus => &[("contracts", "status_id")],
            ChoiceKind::ContractType => &[("contracts", "type_id")],
        }
    }

    /// The list whose saved filters may name an entry, and the query keys that do.
    pub fn filter_keys(self) -> (&'static str, &'static [&'static str]) {
        match self {
            ChoiceKind::HardwareStatus => ("assets", &["status", "planned_status"]),
            ChoiceKind::DeviceType => ("assets", &["type"]),
            ChoiceKind::LicenceStatus => ("licences", &["status", "planned_status"]),
            ChoiceKind::LicenceType => ("licences", &["type"]),
            ChoiceKind::ContractStatus => ("contracts", &["status"]),
            ChoiceKind::ContractType => ("contracts", &["type"]),
        }
    }
}

/// Fixed ids of the built-in entries the rules name (migration 0019).
pub mod builtin {
    /// 未確認: an asset nobody has checked yet (the status of auto-created assets).
    pub const UNCONFIRMED: i64 = 1;
    /// 運用中.
    pub const IN_OPERATION: i64 = 2;
    /// 在庫.
    pub const IN_STOCK: i64 = 3;
    /// 滅却: disposing deletes the asset's device records.
    pub const DISPOSED: i64 = 4;
    /// Device type PC.
    pub const PC: i64 = 11;
    /// Device type server.
    pub const SERVER: i64 = 12;
    /// Device type unknown.
    pub const UNKNOWN_TYPE: i64 = 21;
    /// Licence in use.
    pub const LICENCE_IN_USE: i64 = 31;
    /// Licence disposed.
    pub const LICENCE_DISPOSED: i64 = 32;
    /// Licence type "package".
    pub const LICENCE_PACKAGE: i64 = 41;
    /// Contract in force.
    pub const CONTRACT_ACTIVE: i64 = 51;
    /// Contract cancelled before its end.
    pub const CONTRACT_CANCELLED: i64 = 52;
    /// Contract expired.
    pub const CONTRACT_EXPIRED: i64 = 53;
    /// Contract type "purchase".
    pub const CONTRACT_PURCHASE: i64 = 61;
}

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    /// Id (what records store).
    pub id: i64,
    /// The list.
    pub kind: ChoiceKind,
    /// Code of a built-in entry (`unconfirmed`, `pc`, …); empty for administrators' own.
    pub code: String,
    /// Japanese name (the default language).
    pub name: String,
    /// English name; empty means the Japanese one.
    pub name_en: String,
    /// Place in the list.
    pub position: i64,
    /// Built in: cannot be renamed or deleted.
    pub builtin: bool,
    /// Optimistic version.
    pub version: i64,
}

impl Choice {
    /// The name in a page language (`en` falls back to Japanese when no English name is set).
    pub fn label(&self, lang: &str) -> &str {
        if lang == "en" && !self.name_en.is_empty() {
            &self.name_en
        } else {
            &self.name
        }
    }
}
