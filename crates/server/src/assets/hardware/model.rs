//! Hardware asset types shared by the store, the rules, the API and the console.

use serde::Serialize;

/// Columns the asset list can show, in the chooser's order.
pub const LIST_COLUMNS: &[&str] = &[
    "asset_number",
    "name",
    "type",
    "status",
    "planned_status",
    "planned_on",
    "department",
    "location",
    "user_name",
    "user_account",
    "user_email",
    "user_phone",
    "hostname",
    "serial",
    "ip_address",
    "mac_address",
    "stocktaken_on",
    "created_at",
];

/// Columns shown until an account chooses.
pub const DEFAULT_COLUMNS: &[&str] = &[
    "asset_number",
    "name",
    "type",
    "status",
    "department",
    "location",
    "user_name",
    "hostname",
    "stocktaken_on",
];

/// A hardware asset as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HardwareAsset {
    /// Id.
    pub id: i64,
    /// Asset number (資産管理番号), unique when set.
    pub asset_number: String,
    /// Name (機器名称).
    pub name: String,
    /// Device type (an `asset_choices` id of kind `device_type`).
    pub type_id: i64,
    /// Status (kind `hardware_status`).
    pub status_id: i64,
    /// Planned status (予定資産状態).
    pub planned_status_id: Option<i64>,
    /// The day the planned status is due (`YYYY-MM-DD`).
    pub planned_on: Option<String>,
    /// Department; none is "Unknown" (不明).
    pub department_id: Option<i64>,
    /// Location; none is "Unknown".
    pub location_id: Option<i64>,
    /// User name (利用者名).
    pub user_name: String,
    /// User's account.
    pub user_account: String,
    /// User's e-mail.
    pub user_email: String,
    /// User's phone.
    pub user_phone: String,
    /// Last stocktake day (棚卸日, `YYYY-MM-DD`).
    pub stocktaken_on: Option<String>,
    /// The representative device record (代表の機器), whose inventory fills the device columns.
    pub device_id: Option<i64>,
    /// Host name (from the representative device once linked).
    pub hostname: String,
    /// Serial number: a pre-registered asset links to the device that reports it.
    pub serial: String,
    /// IP address.
    pub ip_address: String,
    /// MAC address.
    pub mac_address: String,
    /// Custom field values by field id.
    pub custom: serde_json::Value,
    /// Registered (登録日時, Unix ms).
    pub created_at: i64,
    /// Who registered it (`agent` for auto-created assets).
    pub created_by: String,
    /// Last changed (Unix ms).
    pub updated_at: i64,
    /// Optimistic version; send it back with PATCH.
    pub version: i64,
}

/// A device record of an asset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkedDevice {
    /// Device id.
    pub id: i64,
    /// Host name.
    pub hostname: String,
    /// Lifecycle state.
    pub state: String,
    /// Serial number.
    pub serial: String,
    /// Last contact (Unix ms).
    pub last_seen: i64,
    /// Whether it is the representative.
    pub representative: bool,
}

/// A related asset (PC ↔ display).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelatedAsset {
    /// Asset id.
    pub id: i64,
    /// Asset number.
    pub asset_number: String,
    /// Name.
    pub name: String,
    /// Status id.
    pub status_id: i64,
}

/// An asset with its device records, related assets and notes.
#[derive(Debug, Clone, Serialize)]
pub struct AssetDetail {
    /// The asset.
    #[serde(flatten)]
    pub asset: HardwareAsset,
    /// Its device records, the representative first.
    pub devices: Vec<LinkedDevice>,
    /// Related assets.
    pub related: Vec<RelatedAsset>,
    /// Notes, oldest first.
    pub notes: Vec<crate::assets::notes::LedgerNote>,
}

/// Sortable columns of the asset list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetSort {
    /// Id (registration order).
    Id,
    /// Asset number.
    AssetNumber,
    /// Name.
    Name,
    /// Status (list order).
    Status,
    /// Device type (list order).
    Type,
    /// Host name.
    Hostname,
    /// Serial.
    Serial,
    /// IP address.
    IpAddress,
    /// User name.
    UserName,
    /// Department name.
    Department,
    /// Location name.
    Location,
    /// Registration time.
    CreatedAt,
    /// Stocktake day.
    StocktakenOn,
    /// Planned day.
    PlannedOn,
}

impl AssetSort {
    /// Every column, with its query name.
    pub const ALL: [(&'static str, AssetSort); 14] = [
        ("id", AssetSort::Id),
        ("asset_number", AssetSort::AssetNumber),
        ("name", AssetSort::Name),
        ("status", AssetSort::Status),
        ("type", AssetSort::Type),
        ("hostname", AssetSort::Hostname),
        ("serial", AssetSort::Serial),
        ("ip_address", AssetSort::IpAddress),
        ("user_name", AssetSort::UserName),
        ("department", AssetSort::Department),
        ("location", AssetSort::Location),
        ("created_at", AssetSort::CreatedAt),
        ("stocktaken_on", AssetSort::StocktakenOn),
        ("planned_on", AssetSort::PlannedOn),
    ];

    /// From its query name.
    pub fn parse(name: &str) -> Option<AssetSort> {
        AssetSort::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, sort)| *sort)
    }

    /// Its query name.
    pub fn as_str(self) -> &'static str {
        AssetSort::ALL
            .iter()
            .find(|(_, sort)| *sort == self)
            .map_or("id", |(name, _)| name)
    }

    /// Whether the sort value is a number (for the cursor).
    pub fn numeric(self) -> bool {
        matches!(
            self,
            AssetSort::Id | AssetSort::Status | AssetSort::Type | AssetSort::CreatedAt
        )
    }
}

/// The asset list's conditions, validated.
#[derive(Debug, Clone, Default)]
pub struct AssetFilter {
    /// Status ids (any of).
    pub status: Option<i64>,
    /// Planned status.
    pub planned_status: Option<i64>,
    /// Any planned status at all.
    pub planned: Option<bool>,
    /// Device type.
    pub type_id: Option<i64>,
    /// Asset number contains.
    pub asset_number: Option<String>,
    /// Name contains.
    pub name: Option<String>,
    /// User name, account or e-mail contains.
    pub user: Option<String>,
    /// Host name contains.
    pub hostname: Option<String>,
    /// Exact serial.
    pub serial: Option<String>,
    /// Exact IP address.
    pub ip_address: Option<String>,
    /// Exact MAC address (normalized).
    pub mac_address: Option<String>,
    /// Registered at or after (Unix ms).
    pub registered_after: Option<i64>,
    /// Registered before (Unix ms).
    pub registered_before: Option<i64>,
    /// Stocktaken before this day (or never).
    pub stocktaken_before: Option<String>,
    /// Stocktaken on or after this day.
    pub stocktaken_after: Option<String>,
    /// Planned on or before this day.
    pub planned_before: Option<String>,
    /// With (true) or without (false) a device record.
    pub linked: Option<bool>,
    /// A department id's subtree (resolved to ids by the service) or `None` for Unknown.
    pub department: Option<Option<i64>>,
    /// The department subtree, expanded.
    pub in_departments: Option<Vec<i64>>,
    /// A location id (subtree) or Unknown.
    pub location: Option<Option<i64>>,
    /// The location subtree, expanded.
    pub in_locations: Option<Vec<i64>>,
    /// The actor's scope: departments it sees (None: all).
    pub scope: Option<Vec<i64>>,
    /// Only these ids (bulk selections and exports of a selection).
    pub ids: Option<Vec<i64>>,
    /// Conditions on custom values, checked against the fields by the service.
    pub custom: Vec<crate::assets::fields::query::CustomCondition>,
}
