//! What changed between two versions of a section, as history entries and events.

use std::collections::{BTreeMap, BTreeSet};

use kanri_proto::inventory::{Disk, Hardware};

use crate::events::catalogue::EventCode;
use crate::events::service::NewEvent;

/// Identity of a catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SoftwareKey {
    /// Package manager.
    pub source: String,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Architecture.
    pub arch: String,
}

/// One line of a device's change history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// software_added, software_removed, software_updated, memory_changed, disk_added,
    /// disk_removed, cpu_changed, os_changed.
    pub kind: &'static str,
    /// What changed (package name, disk, …).
    pub subject: String,
    /// Value before.
    pub before: Option<String>,
    /// Value after.
    pub after: Option<String>,
}

/// Software changes: a package whose name, architecture and source stay but whose version
/// moves is one "updated" line, not a removal plus an addition.
pub fn software_changes(removed: &[SoftwareKey], added: &[SoftwareKey]) -> Vec<Change> {
    type Slot = (String, String, String);
    let slot =
        |key: &SoftwareKey| -> Slot { (key.source.clone(), key.name.clone(), key.arch.clone()) };
    let mut old: BTreeMap<Slot, Vec<&SoftwareKey>> = BTreeMap::new();
    for key in removed {
        old.entry(slot(key)).or_default().push(key);
    }
    let mut changes = Vec::new();
    let mut paired: BTreeSet<Slot> = BTreeSet::new();
    for key in added {
        let at = slot(key);
        match old.get_mut(&at).and_then(|list| list.pop()) {
            Some(before) => {
                paired.insert(at);
                changes.push(Change {
                    kind: "software_updated",
                    subject: key.name.clone(),
                    before: Some(before.version.clone()),
                    after: Some(key.version.clone()),
                });
            }
            None => changes.push(Change {
                kind: "software_added",
                subject: key.name.clone(),
                before: None,
                after: Some(key.version.clone()),
            }),
        }
    }
    for keys in old.values() {
        for key in keys {
            changes.push(Change {
                kind: "software_removed",
                subject: key.name.clone(),
                before: Some(key.version.clone()),
                after: None,
            });
        }
    }
    changes
}

/// Hardware changes worth a history line, and the events they raise (7, 8, 9).
pub fn hardware_changes(
    before: &Hardware,
    after: &Hardware,
    device_id: i64,
) -> (Vec<Change>, Vec<NewEvent>) {
    let mut changes = Vec::new();
    let mut events = Vec::new();
    if before.memory_bytes != after.memory_bytes
        && before.memory_bytes > 0
        && after.memory_bytes > 0
    {
        changes.push(Change {
            kind: "memory_changed",
            subject: "memory".into(),
            before: Some(before.memory_bytes.to_string()),
            after: Some(after.memory_bytes.to_string()),
        });
        events.push(
            NewEvent::new(EventCode::MemoryChanged, Some(device_id))
                .with("before", human_bytes(before.memory_bytes))
                .with("after", human_bytes(after.memory_bytes)),
        );
    }
    if before.cpu.model != after.cpu.model || before.cpu.cores != after.cpu.cores {
        let describe = |hw: &Hardware| {
            format!(
                "{} ({} cores)",
                hw.cpu.model.as_deref().unwrap_or("-"),
                hw.cpu.cores
            )
        };
        changes.push(Change {
            kind: "cpu_changed",
            subject: "cpu".into(),
            before: Some(describe(before)),
            after: Some(describe(after)),
        });
    }
    let disk_key = |disk: &Disk| match &disk.serial {
        Some(serial) if !serial.is_empty() => serial.to_string(),
        _ => format!(
            "{}|{}|{}",
            disk.name,
            disk.model.as_deref().unwrap_or(""),
            disk.size_bytes
        ),
    };
    let old: BTreeMap<String, &Disk> = before
        .disks
        .iter()
        .map(|disk| (disk_key(disk), disk))
        .collect();
    let new: BTreeMap<String, &Disk> = after
        .disks
        .iter()
        .map(|disk| (disk_key(disk), disk))
        .collect();
    for (kind, code, from, to) in [
        ("disk_added", EventCode::HardwareAdded, &new, &old),
        ("disk_removed", EventCode::HardwareRemoved, &old, &new),
    ] {
        for (key, disk) in from.iter().filter(|(key, _)| !to.contains_key(*key)) {
            let model = disk
                .model
                .as_deref()
                .unwrap_or(disk.name.as_str())
                .to_string();
            let value = Some(format!("{model} {}", human_bytes(disk.size_bytes)));
            let (before, after) = if kind == "disk_added" {
                (None, value)
            } else {
                (value, None)
            };
            changes.push(Change {
                kind,
                subject: key.clone(),
                before,
                after,
            });
            events.push(
                NewEvent::new(code, Some(device_id))
                    .with("interface", disk.bus.as_deref().unwrap_or("disk"))
                    .with("model", model)
                    .with("capacity", human_bytes(disk.size_bytes)),
            );
        }
    }
    (changes, events)
}

/// `16 GiB`, `512 MiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() < 0.05 || unit == 0 {
        format!("{:.0} {}", value, UNITS[unit])
    } else {
        format!("{:.1} {}", value, UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use kanri_proto::inventory::Cpu;

    use super::*;

    fn key(name: &str, version: &str) -> SoftwareKey {
        SoftwareKey {
            source: "dpkg".into(),
            name: name.into(),
            version: version.into(),
            arch: "amd64".into(),
        }
    }

    fn check(removed: &[SoftwareKey], added: &[SoftwareKey], expected: &[(&str, &str)]) {
        let changes = software_changes(removed, added);
        let got: Vec<(&str, &str)> = changes
            .iter()
            .map(|c| (c.kind, c.subject.as_str()))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn software_versions_pair_up() {
        check(
            &[key("openssl", "3.0.11"), key("telnet", "0.17")],
            &[key("openssl", "3.0.13"), key("vim", "9.0")],
            &[
                ("software_updated", "openssl"),
                ("software_added", "vim"),
                ("software_removed", "telnet"),
            ],
        );
        let changes = software_changes(&[key("openssl", "3.0.11")], &[key("openssl", "3.0.13")]);
        assert_eq!(changes[0].before.as_deref(), Some("3.0.11"));
        assert_eq!(changes[0].after.as_deref(), Some("3.0.13"));
        check(&[], &[], &[]);
    }

    #[test]
    fn hardware_changes_raise_events() {
        let disk = |serial: &str, size| Disk {
            name: "sda".into(),
            serial: Some(serial.into()),
            model: Some("SSD".into()),
            size_bytes: size,
            bus: Some("sata".into()),
            ..Disk::default()
        };
        let before = Hardware {
            memory_bytes: 8 << 30,
            disks: vec![disk("A", 256 << 30)],
            cpu: Cpu {
                model: Some("i5".into()),
                cores: 4,
                ..Cpu::default()
            },
            ..Hardware::default()
        };
        let after = Hardware {
            memory_bytes: 16 << 30,
            disks: vec![disk("B", 512 << 30)],
            cpu: before.cpu.clone(),
            ..Hardware::default()
        };
        let (changes, events) = hardware_changes(&before, &after, 9);
        let kinds: Vec<&str> = changes.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, ["memory_changed", "disk_added", "disk_removed"]);
        let codes: Vec<i64> = events.iter().map(|e| e.code as i64).collect();
        assert_eq!(codes, [7, 8, 9]);
        assert_eq!(events[0].params["after"], "16 GiB");
        let (none, no_events) = hardware_changes(&before, &before, 9);
        assert!(none.is_empty() && no_events.is_empty());
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(16 << 30), "16 GiB");
        assert_eq!(human_bytes(1536 << 20), "1.5 GiB");
    }
}
