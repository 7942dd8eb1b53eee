//! Device types shared by the devices feature and its callers.

use serde::{Deserialize, Serialize};

/// Lifecycle state (発見・管理対象・除外対象).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// Found but not managed; uses no licence.
    Discovered,
    /// Managed; uses one licence.
    Managed,
    /// Deliberately left out of management.
    Excluded,
}

impl DeviceState {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceState::Discovered => "discovered",
            DeviceState::Managed => "managed",
            DeviceState::Excluded => "excluded",
        }
    }

    /// Parses the stored form.
    pub fn parse(text: &str) -> Option<DeviceState> {
        match text {
            "discovered" => Some(DeviceState::Discovered),
            "managed" => Some(DeviceState::Managed),
            "excluded" => Some(DeviceState::Excluded),
            _ => None,
        }
    }
}

/// The columns of a device row, as lists and the API show them.
#[derive(Debug, Clone, Serialize)]
pub struct Device {
    /// Id.
    pub id: i64,
    /// Lifecycle state.
    pub state: DeviceState,
    /// Host name.
    pub hostname: String,
    /// Serial number (empty when unknown or a placeholder).
    pub serial: String,
    /// SMBIOS UUID (empty when unknown or a placeholder).
    pub hw_uuid: String,
    /// Manufacturer.
    pub manufacturer: String,
    /// Model.
    pub model: String,
    /// OS name.
    pub os_name: String,
    /// OS version.
    pub os_version: String,
    /// First IPv4 address of an up interface.
    pub primary_ip: String,
    /// MAC of that interface.
    pub primary_mac: String,
    /// Installed memory in bytes.
    pub memory_bytes: i64,
    /// Agent version, empty for agentless devices.
    pub agent_version: String,
    /// An agent currently reports for this device.
    pub agent_active: bool,
    /// Administrator's notes.
    pub notes: String,
    /// Created (Unix ms).
    pub created_at: i64,
    /// Last changed (Unix ms).
    pub updated_at: i64,
    /// Last contact (Unix ms; 0 = never).
    pub last_seen: i64,
    /// Last inventory that changed something (Unix ms).
    pub inventory_at: i64,
    /// Optimistic-locking version; send it back with PATCH.
    pub version: i64,
    /// Department (部署); none: only accounts that see every department see the device.
    pub department_id: Option<i64>,
}

/// Summary columns an inventory updates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceFacts {
    /// Host name.
    pub hostname: Option<String>,
    /// Serial (already cleaned of placeholders).
    pub serial: Option<String>,
    /// UUID (already cleaned of placeholders).
    pub hw_uuid: Option<String>,
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// OS name.
    pub os_name: Option<String>,
    /// OS version.
    pub os_version: Option<String>,
    /// Primary IPv4.
    pub primary_ip: Option<String>,
    /// Primary MAC.
    pub primary_mac: Option<String>,
    /// Memory.
    pub memory_bytes: Option<i64>,
}

/// How the device list is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// By id (creation order).
    Id,
    /// By host name.
    Hostname,
    /// By OS name.
    Os,
    /// By last contact.
    LastSeen,
}

impl SortKey {
    /// From its name in a URL (`id`, `hostname`, `os`, `last_seen`).
    pub fn parse(name: &str) -> Option<SortKey> {
        serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
    }

    /// The column sorted on.
    pub fn column(self) -> &'static str {
        match self {
            SortKey::Id => "d.id",
            SortKey::Hostname => "d.hostname",
            SortKey::Os => "d.os_name",
            SortKey::LastSeen => "d.last_seen",
        }
    }

    /// Whether the column holds numbers.
    pub fn numeric(self) -> bool {
        matches!(self, SortKey::Id | SortKey::LastSeen)
    }
}

/// Filters of the device list; all given conditions must hold.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeviceFilter {
    /// Lifecycle state.
    pub state: Option<DeviceState>,
    /// Host name contains (case-insensitive).
    pub hostname: Option<String>,
    /// OS name or version contains.
    pub os: Option<String>,
    /// An exact IP address the device reported.
    pub ip: Option<String>,
    /// An exact MAC address the device reported.
    pub mac: Option<String>,
    /// Exact serial number.
    pub serial: Option<String>,
    /// Exact name of installed software.
    pub software: Option<String>,
    /// Only devices in these departments (the caller's scope); `None`: any department or
    /// none.
    pub departments: Option<Vec<i64>>,
}
