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
    /// Location (設置場所), if known.
    pub location_id: Option<i64>,
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

/// Every column the device list can show, in the column chooser's order.
pub const LIST_COLUMNS: &[&str] = &[
    "hostname",
    "state",
    "os",
    "ip",
    "mac",
    "serial",
    "manufacturer",
    "model",
    "memory",
    "agent_version",
    "department",
    "location",
    "last_seen",
    "inventory_at",
    "created_at",
];

/// The columns shown until an account chooses its own.
pub const DEFAULT_COLUMNS: &[&str] = &[
    "hostname",
    "state",
    "os",
    "ip",
    "mac",
    "serial",
    "model",
    "department",
    "last_seen",
];

/// How the device list is sorted: any column the list shows except the department.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// By id (creation order).
    Id,
    /// By host name.
    Hostname,
    /// By lifecycle state.
    State,
    /// By OS name.
    Os,
    /// By primary IP address (as text).
    Ip,
    /// By primary MAC address.
    Mac,
    /// By serial number.
    Serial,
    /// By manufacturer.
    Manufacturer,
    /// By model.
    Model,
    /// By installed memory.
    Memory,
    /// By agent version.
    AgentVersion,
    /// By last contact.
    LastSeen,
    /// By the last inventory that changed something.
    InventoryAt,
    /// By registration time.
    CreatedAt,
}

impl SortKey {
    /// From its name in a URL (`hostname`, `last_seen`, …).
    pub fn parse(name: &str) -> Option<SortKey> {
        serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
    }

    /// The column sorted on.
    pub fn column(self) -> &'static str {
        match self {
            SortKey::Id => "d.id",
            SortKey::Hostname => "d.hostname",
            SortKey::State => "d.state",
            SortKey::Os => "d.os_name",
            SortKey::Ip => "d.primary_ip",
            SortKey::Mac => "d.primary_mac",
            SortKey::Serial => "d.serial",
            SortKey::Manufacturer => "d.manufacturer",
            SortKey::Model => "d.model",
            SortKey::Memory => "d.memory_bytes",
            SortKey::AgentVersion => "d.agent_version",
            SortKey::LastSeen => "d.last_seen",
            SortKey::InventoryAt => "d.inventory_at",
            SortKey::CreatedAt => "d.created_at",
        }
    }

    /// Whether the column holds numbers.
    pub fn numeric(self) -> bool {
        matches!(
            self,
            SortKey::Id
                | SortKey::Memory
                | SortKey::LastSeen
                | SortKey::InventoryAt
                | SortKey::CreatedAt
        )
    }

    /// A device's value in the sorted column, for the next page's cursor.
    pub fn value_of(self, device: &Device) -> crate::core::paging::SortValue {
        use crate::core::paging::SortValue::{Int, Text};
        match self {
            SortKey::Id => Int(device.id),
            SortKey::Hostname => Text(device.hostname.clone()),
            SortKey::State => Text(device.state.as_str().to_string()),
            SortKey::Os => Text(device.os_name.clone()),
            SortKey::Ip => Text(device.primary_ip.clone()),
            SortKey::Mac => Text(device.primary_mac.clone()),
            SortKey::Serial => Text(device.serial.clone()),
            SortKey::Manufacturer => Text(device.manufacturer.clone()),
            SortKey::Model => Text(device.model.clone()),
            SortKey::Memory => Int(device.memory_bytes),
            SortKey::AgentVersion => Text(device.agent_version.clone()),
            SortKey::LastSeen => Int(device.last_seen),
            SortKey::InventoryAt => Int(device.inventory_at),
            SortKey::CreatedAt => Int(device.created_at),
        }
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
    /// Some address the device reported lies in this range of keys (one address or a CIDR
    /// block, see [`crate::devices::addresses`]).
    pub ip_range: Option<(String, String)>,
    /// An exact MAC address the device reported.
    pub mac: Option<String>,
    /// Exact serial number.
    pub serial: Option<String>,
    /// Exact name of installed software.
    pub software: Option<String>,
    /// Exact name of software that is not installed.
    pub software_absent: Option<String>,
    /// Last contact at or after (Unix ms).
    pub seen_after: Option<i64>,
    /// Last contact before (Unix ms); devices never seen count as seen at 0.
    pub seen_before: Option<i64>,
    /// A chosen department's subtree (`Some(Some(id))`) or no department (`Some(None)`);
    /// the service turns it into `in_departments`.
    pub department: Option<Option<i64>>,
    /// Only devices in these departments (the chosen subtree); an empty list: only devices
    /// without a department.
    pub in_departments: Option<Vec<i64>>,
    /// A chosen location's subtree (`Some(Some(id))`) or no location (`Some(None)`); the
    /// service turns it into `in_locations`.
    pub location: Option<Option<i64>>,
    /// Only devices at these locations; an empty list: only devices without one.
    pub in_locations: Option<Vec<i64>>,
    /// Only devices in these departments (the caller's scope); `None`: any department or
    /// none.
    pub departments: Option<Vec<i64>>,
}
