//! The agent settings as the REST API shows and takes them; the wire form for agents is
//! `kanri_proto::AgentSettings`, converted explicitly.

use kanri_proto::AgentSettings;
use serde::{Deserialize, Serialize};

/// `GET /api/v1/agent-settings` and the reply to a `PUT`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentSettingsView {
    /// Optimistic-locking version; send it back with PUT. 0 until the first change.
    pub version: u64,
    /// Seconds between agent check-ins.
    pub checkin_interval_secs: u64,
    /// Seconds between inventory collections.
    pub inventory_interval_secs: u64,
    /// Most uploads an agent's offline queue keeps.
    pub queue_max_entries: u32,
    /// Most bytes an agent's offline queue keeps.
    pub queue_max_bytes: u64,
    /// Last change (Unix ms); `None` while the defaults apply.
    pub updated_at: Option<i64>,
    /// Who made the last change; `None` while the defaults apply.
    pub updated_by: Option<String>,
}

impl AgentSettingsView {
    /// The view of stored or default settings.
    pub fn new(
        settings: &AgentSettings,
        updated_at: Option<i64>,
        updated_by: Option<String>,
    ) -> AgentSettingsView {
        AgentSettingsView {
            version: settings.version,
            checkin_interval_secs: settings.checkin_interval_secs,
            inventory_interval_secs: settings.inventory_interval_secs,
            queue_max_entries: settings.queue_max_entries,
            queue_max_bytes: settings.queue_max_bytes,
            updated_at,
            updated_by,
        }
    }
}

/// The body of `PUT /api/v1/agent-settings`: every setting, and the version it was based on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsUpdate {
    /// The version the caller last read; a mismatch is a conflict, not an overwrite.
    pub version: u64,
    /// See [`AgentSettings::checkin_interval_secs`].
    pub checkin_interval_secs: u64,
    /// See [`AgentSettings::inventory_interval_secs`].
    pub inventory_interval_secs: u64,
    /// See [`AgentSettings::queue_max_entries`].
    pub queue_max_entries: u32,
    /// See [`AgentSettings::queue_max_bytes`].
    pub queue_max_bytes: u64,
}

impl SettingsUpdate {
    /// The settings this update would store, as the version after `self.version`.
    pub fn next_settings(&self) -> AgentSettings {
        AgentSettings {
            version: self.version.saturating_add(1),
            checkin_interval_secs: self.checkin_interval_secs,
            inventory_interval_secs: self.inventory_interval_secs,
            queue_max_entries: self.queue_max_entries,
            queue_max_bytes: self.queue_max_bytes,
        }
    }
}
