use std::collections::HashSet;
use std::sync::OnceLock;

use kanri_proto::{CheckinRequest, EnrollRequest, Inventory, InventoryUpload, SectionKind};

use super::agent::SimAgent;
use super::identity::{DEPARTMENTS, SITES};
use super::inventory;
use crate::catalogue::{Catalogue, DISTROS};

const RUN_SEED: u64 = 2024;
/// Fewer than the default 1,500 keeps the unoptimized test build quick; the catalogue tests
/// cover the full size.
const PACKAGES: usize = 400;

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| Catalogue::generate(RUN_SEED, PACKAGES))
}

fn agent(index: u32) -> SimAgent {
    SimAgent::new(catalogue(), RUN_SEED, index, PACKAGES)
}

/// Decodes `json` by the server's strict rules, as an upload of exactly `expected` sections,
/// and checks that every section in it hashes to what `agent` reports at check-in.
fn check(agent: &SimAgent, json: &[u8], expected: &[SectionKind]) -> InventoryUpload {
    let upload: InventoryUpload = kanri_proto::decode(json).expect("upload decodes strictly");
    assert_eq!(upload.inventory.present(), expected);
    assert_eq!(&upload.host_id, agent.host_id());
    assert_eq!(&upload.facts, agent.facts());
    let checkin: CheckinRequest =
        kanri_proto::decode(agent.checkin_body()).expect("check-in decodes strictly");
    assert_eq!(checkin.fingerprint.as_str(), agent.facts().fingerprint());
    for kind in expected {
        let hash = upload
            .inventory
            .section_hash(*kind)
            .expect("section present");
        assert_eq!(checkin.section_hashes[kind].as_str(), hash, "{kind:?}");
        assert_eq!(
            upload.section_hashes[kind].as_str(),
            hash,
            "declared {kind:?}"
        );
    }
    assert!(upload
        .declared_hashes()
        .expect("declared hashes match the sections")
        .is_some());
    upload
}

#[test]
fn full_uploads_are_valid_and_realistic() {
    let mut distros = HashSet::new();
    for index in 0..60 {
        let mut agent = agent(index);
        let json = agent.full_upload(catalogue());
        let upload = check(&agent, &json, &SectionKind::ALL);
        assert_eq!(
            upload.inventory,
            agent.inventory(catalogue(), &SectionKind::ALL)
        );
        let inventory = upload.inventory;
        let os = inventory.os.expect("os");
        distros.insert(os.pretty_name.expect("pretty name").into_string());
        assert_eq!(os.hostname, upload.facts.hostname);
        let packages = inventory.software.expect("software").packages;
        assert_eq!(packages.len(), PACKAGES);
        let names: HashSet<&str> = packages
            .iter()
            .map(|package| package.name.as_str())
            .collect();
        assert_eq!(names.len(), PACKAGES, "no duplicate names");
        let hardware = inventory.hardware.expect("hardware");
        assert!(hardware.memory_bytes >= 4 << 30 && hardware.cpu.cores > 0);
        assert!(!hardware.disks.is_empty() && hardware.filesystems.len() >= 2);
        assert_eq!(hardware.serial, upload.facts.serial);
        let interfaces = inventory.network.expect("network").interfaces;
        assert!((1..=3).contains(&interfaces.len()));
        assert!((1..=2).contains(&upload.facts.macs.len()));
        let units = inventory.services.expect("services").units.len();
        assert!((130..=200).contains(&units), "{units} units");
        let users = inventory.users.expect("users");
        assert!(users.accounts.iter().any(|account| account.human));
        assert!(!inventory.usb.expect("usb").devices.is_empty());
        assert!(inventory.security.is_some());
        assert!(json.len() > 60_000, "{} bytes", json.len());
    }
    assert_eq!(distros.len(), DISTROS.len(), "{distros:?}");
}

#[test]
fn identities_are_unique_and_plausible() {
    let mut hostnames = HashSet::new();
    let mut macs = HashSet::new();
    let mut fingerprints = HashSet::new();
    let mut host_ids = HashSet::new();
    for index in 0..2_000 {
        let agent = agent(index);
        let facts = agent.facts();
        let hostname = facts.hostname.as_str();
        let parts: Vec<&str> = hostname.split('-').collect();
        assert_eq!(parts.len(), 3, "{hostname}");
        assert!(
            SITES.contains(&parts[0]) && DEPARTMENTS.contains(&parts[1]),
            "{hostname}"
        );
        assert!(parts[2].len() >= 4 && parts[2].chars().all(|c| c.is_ascii_digit()));
        assert!(hostnames.insert(hostname.to_string()));
        assert!(fingerprints.insert(facts.fingerprint()));
        assert!(host_ids.insert(agent.host_id().to_string()));
        assert!(facts.uuid.is_some() && facts.machine_id.as_ref().is_some_and(|id| id.len() == 32));
        for mac in &facts.macs {
            let bytes: Vec<u8> = mac
                .split(':')
                .map(|part| u8::from_str_radix(part, 16).expect("hex"))
                .collect();
            assert_eq!(bytes.len(), 6, "{mac}");
            assert_eq!(bytes[0] & 1, 0, "unicast {mac}");
            assert!(
                bytes[3..] != [0, 0, 0] && bytes[3..] != [0xff, 0xff, 0xff],
                "{mac}"
            );
            assert!(macs.insert(mac.to_string()), "duplicate {mac}");
        }
    }
}

#[test]
fn enroll_requests_decode_strictly() {
    let agent = agent(5);
    let token = "enroll-token".into();
    let json = serde_json::to_vec(&agent.enroll_request(&token)).expect("encodes");
    let request: EnrollRequest = kanri_proto::decode(&json).expect("decodes");
    assert_eq!(request.token.as_str(), "enroll-token");
    assert_eq!(&request.facts, agent.facts());
}

#[test]
fn building_some_sections_equals_retaining_them() {
    let agent = agent(11);
    for kinds in [
        &[SectionKind::Software][..],
        &[SectionKind::Hardware, SectionKind::Software],
        &[SectionKind::Os, SectionKind::Usb, SectionKind::Security],
    ] {
        let mut full: Inventory = inventory::build(&agent, catalogue(), &SectionKind::ALL);
        full.retain(kinds);
        assert_eq!(inventory::build(&agent, catalogue(), kinds), full);
    }
}

#[test]
fn section_json_is_what_serde_gives() {
    for index in 30..36 {
        let agent = agent(index);
        let inventory = agent.inventory(catalogue(), &SectionKind::ALL);
        let software = serde_json::to_vec(&inventory.software).expect("encodes");
        let hardware = serde_json::to_vec(&inventory.hardware).expect("encodes");
        let services = serde_json::to_vec(&inventory.services).expect("encodes");
        let json = |kind| inventory::section_json(&agent, catalogue(), kind);
        assert_eq!(json(SectionKind::Software), software);
        assert_eq!(json(SectionKind::Hardware), hardware);
        assert_eq!(json(SectionKind::Services), services);
    }
}

#[test]
fn a_change_alters_the_software_hash_and_only_what_changed() {
    let mut memory_changes = 0;
    for index in 0..8 {
        let mut agent = agent(index);
        agent.full_upload(catalogue());
        for _ in 0..6 {
            let before = agent.section_hashes().clone();
            let memory_before = agent
                .inventory(catalogue(), &[SectionKind::Hardware])
                .hardware;
            let changed = agent.change(catalogue());
            let after = agent.section_hashes().clone();
            assert_ne!(
                before[&SectionKind::Software],
                after[&SectionKind::Software]
            );
            let memory_after = agent
                .inventory(catalogue(), &[SectionKind::Hardware])
                .hardware;
            let memory_changed =
                memory_before.map(|h| h.memory_bytes) != memory_after.map(|h| h.memory_bytes);
            memory_changes += usize::from(memory_changed);
            assert_eq!(changed.contains(&SectionKind::Hardware), memory_changed);
            for kind in SectionKind::ALL {
                assert_eq!(
                    before[&kind] != after[&kind],
                    changed.contains(&kind),
                    "{kind:?}"
                );
            }
            let json = agent.sections_upload(catalogue(), &changed);
            let upload = check(&agent, &json, &changed);
            let packages = upload.inventory.software.expect("software").packages;
            assert_eq!(packages.len(), PACKAGES);
        }
    }
    assert!(memory_changes > 0, "no memory change in 48 changes");
}

#[test]
fn sections_are_rebuilt_identically() {
    let mut first = agent(21);
    let mut second = agent(21);
    let one: InventoryUpload = kanri_proto::decode(&first.full_upload(catalogue())).expect("one");
    let two: InventoryUpload = kanri_proto::decode(&second.full_upload(catalogue())).expect("two");
    assert_eq!(one.inventory, two.inventory);
    assert_eq!(first.checkin_body(), second.checkin_body());
    first.change(catalogue());
    assert_ne!(first.checkin_body(), second.checkin_body());
}
