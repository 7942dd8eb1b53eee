//! [`AgentSettings`]: what the server controls about every agent (JP1's エージェント設定),
//! with the bounds both sides hold them to.
//!
//! The server pushes settings in a check-in reply when the agent reports another version than
//! the current one, and the agent keeps the last ones it applied, so it starts with them before
//! its first check-in. Version 0 is the built-in defaults below: an agent that never received
//! settings and a server whose settings were never changed agree on it without a word.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

/// Check-in interval when nothing else was set, in seconds.
pub const DEFAULT_CHECKIN_INTERVAL_SECS: u64 = 60;
/// Seconds between inventory collections when nothing else was set.
pub const DEFAULT_INVENTORY_INTERVAL_SECS: u64 = 3600;
/// Most uploads kept in the offline queue when nothing else was set.
pub const DEFAULT_QUEUE_MAX_ENTRIES: u32 = 16;
/// Most bytes kept in the offline queue when nothing else was set: two full inventories at
/// the server's body limit.
pub const DEFAULT_QUEUE_MAX_BYTES: u64 = 32 * 1024 * 1024;

/// Accepted check-in intervals, in seconds.
pub const CHECKIN_INTERVAL_SECS: RangeInclusive<u64> = 10..=86_400;
/// Accepted inventory intervals, in seconds (one minute to one week).
pub const INVENTORY_INTERVAL_SECS: RangeInclusive<u64> = 60..=604_800;
/// Accepted offline-queue entry caps.
pub const QUEUE_MAX_ENTRIES: RangeInclusive<u32> = 1..=1_000;
/// Accepted offline-queue byte caps (1 MiB to 1 GiB).
pub const QUEUE_MAX_BYTES: RangeInclusive<u64> = 1024 * 1024..=1024 * 1024 * 1024;

/// Settings the server pushes to every agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
// Read by agents older than the server, and kept by the agent in its state dir: new fields
// must have a default and must not break older readers.
pub struct AgentSettings {
    /// Increases with every change; the agent reports the version it applied.
    pub version: u64,
    /// Seconds between check-ins (the agent adds jitter).
    pub checkin_interval_secs: u64,
    /// Seconds between inventory collections; changed sections are sent at the next check-in.
    pub inventory_interval_secs: u64,
    /// Most uploads the agent's offline queue keeps while the server is away.
    pub queue_max_entries: u32,
    /// Most bytes the agent's offline queue keeps while the server is away.
    pub queue_max_bytes: u64,
}

impl Default for AgentSettings {
    /// Version 0: the built-in defaults.
    fn default() -> AgentSettings {
        AgentSettings {
            version: 0,
            checkin_interval_secs: DEFAULT_CHECKIN_INTERVAL_SECS,
            inventory_interval_secs: DEFAULT_INVENTORY_INTERVAL_SECS,
            queue_max_entries: DEFAULT_QUEUE_MAX_ENTRIES,
            queue_max_bytes: DEFAULT_QUEUE_MAX_BYTES,
        }
    }
}

/// A setting outside its accepted range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} must be between {min} and {max}")]
pub struct SettingsError {
    /// The field at fault, as it is named on the wire.
    pub field: &'static str,
    /// Smallest accepted value.
    pub min: u64,
    /// Largest accepted value.
    pub max: u64,
}

impl AgentSettings {
    /// Checks every value against its range, in field order.
    ///
    /// # Errors
    /// [`SettingsError`] naming the first field out of range.
    pub fn check(&self) -> Result<(), SettingsError> {
        check_range(
            "checkin_interval_secs",
            self.checkin_interval_secs,
            &CHECKIN_INTERVAL_SECS,
        )?;
        check_range(
            "inventory_interval_secs",
            self.inventory_interval_secs,
            &INVENTORY_INTERVAL_SECS,
        )?;
        check_range(
            "queue_max_entries",
            u64::from(self.queue_max_entries),
            &widen(&QUEUE_MAX_ENTRIES),
        )?;
        check_range("queue_max_bytes", self.queue_max_bytes, &QUEUE_MAX_BYTES)
    }

    /// The same settings with every value brought into its range; what an agent applies, so a
    /// faulty server cannot make it check in in a busy loop or drop its queue.
    pub fn clamped(&self) -> AgentSettings {
        AgentSettings {
            version: self.version,
            checkin_interval_secs: clamp(self.checkin_interval_secs, &CHECKIN_INTERVAL_SECS),
            inventory_interval_secs: clamp(self.inventory_interval_secs, &INVENTORY_INTERVAL_SECS),
            queue_max_entries: clamp(self.queue_max_entries, &QUEUE_MAX_ENTRIES),
            queue_max_bytes: clamp(self.queue_max_bytes, &QUEUE_MAX_BYTES),
        }
    }
}

fn check_range(
    field: &'static str,
    value: u64,
    range: &RangeInclusive<u64>,
) -> Result<(), SettingsError> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(SettingsError {
            field,
            min: *range.start(),
            max: *range.end(),
        })
    }
}

fn widen(range: &RangeInclusive<u32>) -> RangeInclusive<u64> {
    u64::from(*range.start())..=u64::from(*range.end())
}

fn clamp<T: Ord + Copy>(value: T, range: &RangeInclusive<T>) -> T {
    value.clamp(*range.start(), *range.end())
}
