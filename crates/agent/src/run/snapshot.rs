//! [`Snapshot`]: the last collected inventory with its identity facts and section hashes.
//!
//! It is kept in memory between collections (a few hundred KB even with thousands of
//! packages) so that a check-in costs no collection and an upload sends exactly what the
//! hashes in the check-in described.

use std::collections::BTreeMap;

use kanri_proto::{IdentityFacts, Inventory, InventoryUpload, SectionKind, Text};

use crate::collect::{self, CollectContext};
use crate::queue::EntryKind;
use crate::transport::{encode, TransportError};

/// Which sections an upload carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every section: first contact, a refresh command.
    Full,
    /// The sections a check-in reply asked for.
    Sections(Vec<SectionKind>),
}

/// One collection.
#[derive(Debug, Clone)]
pub struct Snapshot {
    inventory: Inventory,
    facts: IdentityFacts,
    hashes: BTreeMap<SectionKind, Text>,
    collected_at: u64,
}

impl Snapshot {
    /// Collects every section now.
    pub fn collect(cx: &CollectContext, collected_at: u64) -> Snapshot {
        Snapshot::from_inventory(collect::collect_all(cx), collected_at)
    }

    /// Wraps an inventory, deriving facts and hashes.
    pub fn from_inventory(inventory: Inventory, collected_at: u64) -> Snapshot {
        let facts = collect::identity_facts(&inventory);
        let hashes = SectionKind::ALL
            .into_iter()
            .filter_map(|kind| Some((kind, Text::from(inventory.section_hash(kind)?))))
            .collect();
        Snapshot {
            inventory,
            facts,
            hashes,
            collected_at,
        }
    }

    /// The section hashes for a check-in.
    pub fn hashes(&self) -> &BTreeMap<SectionKind, Text> {
        &self.hashes
    }

    /// The machine fingerprint for a check-in.
    pub fn fingerprint(&self) -> String {
        self.facts.fingerprint()
    }

    /// Sections present.
    pub fn section_count(&self) -> usize {
        self.hashes.len()
    }

    /// The encoded `InventoryUpload` for `scope`, and the queue kind it would be stored as.
    ///
    /// # Errors
    /// [`TransportError::Request`] if encoding fails (it cannot for proto types).
    pub fn upload(
        &self,
        host_id: &str,
        scope: &Scope,
    ) -> Result<(EntryKind, Vec<u8>), TransportError> {
        let mut inventory = self.inventory.clone();
        let kind = match scope {
            Scope::Full => EntryKind::InventoryFull,
            Scope::Sections(sections) => {
                inventory.retain(sections);
                EntryKind::InventoryPartial
            }
        };
        let section_hashes = self
            .hashes
            .iter()
            .filter(|(kind, _)| inventory.has(**kind))
            .map(|(kind, hash)| (*kind, hash.clone()))
            .collect();
        let upload = InventoryUpload {
            host_id: Text::from(host_id),
            agent_version: Text::from(env!("CARGO_PKG_VERSION")),
            collected_at: self.collected_at,
            facts: self.facts.clone(),
            inventory,
            section_hashes,
        };
        Ok((kind, encode(&upload)?))
    }
}

#[cfg(test)]
mod tests {
    use kanri_proto::inventory::{Os, Package, Software};

    use super::*;

    fn snapshot() -> Snapshot {
        let inventory = Inventory {
            os: Some(Os {
                name: "Debian GNU/Linux".into(),
                ..Os::default()
            }),
            software: Some(Software {
                packages: vec![Package {
                    name: "bash".into(),
                    version: "5.2".into(),
                    ..Package::default()
                }],
            }),
            ..Inventory::default()
        };
        Snapshot::from_inventory(inventory, 1_700_000_000)
    }

    fn check(scope: Scope, expected_kind: EntryKind, expected_sections: &[SectionKind]) {
        let (kind, body) = snapshot().upload("0123abcd", &scope).unwrap();
        assert_eq!(kind, expected_kind);
        // The body must pass the server's strict decoder.
        let upload: InventoryUpload = kanri_proto::decode(&body).unwrap();
        assert_eq!(upload.host_id.as_str(), "0123abcd");
        assert_eq!(upload.collected_at, 1_700_000_000);
        assert_eq!(upload.inventory.present(), expected_sections);
    }

    #[test]
    fn uploads_all_or_only_the_wanted_sections() {
        check(
            Scope::Full,
            EntryKind::InventoryFull,
            &[SectionKind::Os, SectionKind::Software],
        );
        let wanted = Scope::Sections(vec![SectionKind::Software, SectionKind::Usb]);
        check(
            wanted,
            EntryKind::InventoryPartial,
            &[SectionKind::Software],
        );
    }

    #[test]
    fn hashes_match_the_proto_definition() {
        let snapshot = snapshot();
        assert_eq!(snapshot.section_count(), 2);
        let os_hash = snapshot.inventory.section_hash(SectionKind::Os).unwrap();
        assert_eq!(snapshot.hashes()[&SectionKind::Os].as_str(), os_hash);
        assert!(!snapshot.hashes().contains_key(&SectionKind::Hardware));
    }
}
