//! Device identity: cleaning placeholder identifiers and deciding which device an enrolling
//! agent is (DESIGN.md §4, spec/001_B.md §1.2).
//!
//! Matching tries host identifier → serial + UUID → host name → MAC, and merges only on a
//! key that points at exactly one device. Placeholder values that many machines share
//! ("To be filled by O.E.M.", all-zero UUIDs, 00:00:00:00:00:00) never match anything.

/// MACs shared by many machines (Microsoft loopback, VMware host-only, Docker default).
const BOGUS_MACS: &[&str] = &[
    "02:00:4c:4f:4f:50",
    "00:50:56:c0:00:01",
    "00:50:56:c0:00:08",
    "02:42:ac:11:00:02",
];

/// A serial worth matching on, or `None` for a placeholder.
pub fn clean_serial(serial: Option<&str>) -> Option<String> {
    let serial = serial?.trim();
    if serial.len() < 3 || kanri_proto::placeholders::is_placeholder(serial) {
        return None;
    }
    Some(serial.to_string())
}

/// A UUID worth matching on, lowercase, or `None` for a placeholder.
pub fn clean_uuid(uuid: Option<&str>) -> Option<String> {
    let lower = uuid?.trim().to_ascii_lowercase();
    let hex: String = lower.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    if kanri_proto::placeholders::is_placeholder(&lower) {
        return None;
    }
    Some(lower)
}

/// A MAC worth matching on, normalized to lowercase with colons, or `None`.
pub fn clean_mac(mac: &str) -> Option<String> {
    let lower = mac.trim().to_ascii_lowercase().replace('-', ":");
    let octets: Vec<&str> = lower.split(':').collect();
    if octets.len() != 6
        || !octets
            .iter()
            .all(|o| o.len() == 2 && o.chars().all(|c| c.is_ascii_hexdigit()))
    {
        return None;
    }
    let hex: String = octets.concat();
    if all_same(&hex) || BOGUS_MACS.contains(&lower.as_str()) {
        return None;
    }
    // Multicast addresses are never an interface's own.
    let first = u8::from_str_radix(octets[0], 16).ok()?;
    if first & 1 == 1 {
        return None;
    }
    Some(lower)
}

fn all_same(text: &str) -> bool {
    let mut chars = text.chars().filter(|c| *c != '-' && *c != ':' && *c != ' ');
    match chars.next() {
        Some(first) => chars.all(|c| c == first),
        None => true,
    }
}

/// What the database holds for each key, gathered before deciding.
#[derive(Debug, Default, Clone)]
pub struct Candidates {
    /// Devices with the agent's host identifier: (id, last_seen ms, fingerprint of its active agent).
    pub by_host_id: Vec<(i64, i64, Option<String>)>,
    /// Devices with the same clean serial and UUID.
    pub by_serial_uuid: Vec<i64>,
    /// Agentless devices with the same host name.
    pub by_hostname: Vec<i64>,
    /// Agentless devices with one of the clean MACs.
    pub by_mac: Vec<i64>,
}

/// Which device an enrolling agent is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// An existing device; `key` says which rule matched.
    Existing {
        /// Device id.
        device_id: i64,
        /// host_id, serial_uuid, hostname or mac.
        key: &'static str,
    },
    /// A device not seen before.
    New,
    /// The host identifier belongs to another live machine: a cloned image. The agent gets a
    /// new device and a new host identifier.
    Clone {
        /// The device that owns the host identifier.
        original: i64,
    },
}

/// Decides which device an agent is. `clone_window_ms`: how recently the owner of a host
/// identifier must have been seen, with another fingerprint, for the newcomer to count as a
/// clone rather than the same machine after a hardware change.
pub fn resolve(
    candidates: &Candidates,
    fingerprint: &str,
    now: i64,
    clone_window_ms: i64,
) -> Resolution {
    if let [(device_id, last_seen, agent_fingerprint)] = candidates.by_host_id.as_slice() {
        return match agent_fingerprint {
            Some(known) if known != fingerprint && now - last_seen < clone_window_ms => {
                Resolution::Clone {
                    original: *device_id,
                }
            }
            _ => Resolution::Existing {
                device_id: *device_id,
                key: "host_id",
            },
        };
    }
    if candidates.by_host_id.len() > 1 {
        // Several devices already claim this identifier: never pick one at random.
        return Resolution::New;
    }
    for (ids, key) in [
        (&candidates.by_serial_uuid, "serial_uuid"),
        (&candidates.by_hostname, "hostname"),
        (&candidates.by_mac, "mac"),
    ] {
        if let [device_id] = ids.as_slice() {
            return Resolution::Existing {
                device_id: *device_id,
                key,
            };
        }
    }
    Resolution::New
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    fn check(candidates: Candidates, fingerprint: &str, expected: Resolution) {
        assert_eq!(resolve(&candidates, fingerprint, 10 * HOUR, HOUR), expected);
    }

    #[test]
    fn placeholders_are_not_identifiers() {
        for serial in [
            "To be filled by O.E.M.",
            "Default string",
            "0000000000",
            "  ",
            "N/A",
            "System Serial Number",
        ] {
            assert_eq!(clean_serial(Some(serial)), None, "{serial}");
        }
        assert_eq!(clean_serial(Some(" PF3ABC12 ")), Some("PF3ABC12".into()));
        assert_eq!(
            clean_uuid(Some("00000000-0000-0000-0000-000000000000")),
            None
        );
        assert_eq!(
            clean_uuid(Some("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF")),
            None
        );
        assert_eq!(clean_uuid(Some("not-a-uuid")), None);
        assert_eq!(
            clean_uuid(Some("4C4C4544-0042-3510-8052-B7C04F4E4B32")),
            Some("4c4c4544-0042-3510-8052-b7c04f4e4b32".into())
        );
        assert_eq!(clean_mac("00:00:00:00:00:00"), None);
        assert_eq!(clean_mac("ff:ff:ff:ff:ff:ff"), None);
        assert_eq!(clean_mac("01:00:5e:00:00:01"), None);
        assert_eq!(clean_mac("02:00:4C:4F:4F:50"), None);
        assert_eq!(
            clean_mac("52-54-00-AB-CD-EF"),
            Some("52:54:00:ab:cd:ef".into())
        );
    }

    #[test]
    fn host_id_wins_and_clones_split() {
        let same = Candidates {
            by_host_id: vec![(7, 10 * HOUR - 1000, Some("fp-a".into()))],
            ..Candidates::default()
        };
        check(
            same.clone(),
            "fp-a",
            Resolution::Existing {
                device_id: 7,
                key: "host_id",
            },
        );
        // Another machine with the same identifier, while the owner is alive: a clone.
        check(same, "fp-b", Resolution::Clone { original: 7 });
        // The owner has been silent for longer than the window: the same machine, rebuilt.
        let stale = Candidates {
            by_host_id: vec![(7, 2 * HOUR, Some("fp-a".into()))],
            ..Candidates::default()
        };
        check(
            stale,
            "fp-b",
            Resolution::Existing {
                device_id: 7,
                key: "host_id",
            },
        );
    }

    #[test]
    fn merges_only_on_a_unique_hit() {
        let serial = Candidates {
            by_serial_uuid: vec![3],
            by_hostname: vec![4],
            ..Candidates::default()
        };
        check(
            serial,
            "fp",
            Resolution::Existing {
                device_id: 3,
                key: "serial_uuid",
            },
        );
        let ambiguous_name = Candidates {
            by_hostname: vec![4, 5],
            by_mac: vec![6],
            ..Candidates::default()
        };
        check(
            ambiguous_name,
            "fp",
            Resolution::Existing {
                device_id: 6,
                key: "mac",
            },
        );
        let ambiguous_all = Candidates {
            by_hostname: vec![4, 5],
            by_mac: vec![6, 8],
            ..Candidates::default()
        };
        check(ambiguous_all, "fp", Resolution::New);
        let two_owners = Candidates {
            by_host_id: vec![(1, 0, None), (2, 0, None)],
            by_mac: vec![9],
            ..Candidates::default()
        };
        check(two_owners, "fp", Resolution::New);
        check(Candidates::default(), "fp", Resolution::New);
    }
}
