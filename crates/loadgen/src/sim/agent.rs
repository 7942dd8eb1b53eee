//! [`SimAgent`]: one simulated agent's state, its serialized check-in body, its uploads and the
//! change model that makes its software (and now and then its memory) change.

use std::time::{SystemTime, UNIX_EPOCH};

use kanri_proto::{
    CheckinRequest, EnrollRequest, EnrollResponse, IdentityFacts, Inventory, SectionKind, Text,
};
use rand::Rng;

use super::identity::{self, Profile};
use super::inventory;
use crate::catalogue::{Catalogue, PackageSet};
use crate::seed;

/// The version simulated agents report: the loadgen's own, marked as such.
pub const AGENT_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "+loadgen");
/// Chance that a change also swaps the memory, which changes the hardware section.
const MEMORY_CHANGE: f64 = 0.1;
const CHANGE_SALT: u64 = 0x00c4_a46e;

/// One simulated agent. Holds indices into the shared catalogue, not packages, plus the
/// check-in body serialized once and rebuilt only when a hash or the host id changes.
pub struct SimAgent {
    pub(super) profile: Profile,
    /// Seed of every section this agent builds.
    pub(super) seed: u64,
    pub(super) facts: IdentityFacts,
    pub(super) memory_gib: u32,
    pub(super) packages: PackageSet,
    auth: Option<String>,
    changes: u32,
    checkin: CheckinRequest,
    checkin_body: Vec<u8>,
}

impl SimAgent {
    /// Creates agent `index` of the run with seed `run_seed`, holding `packages` packages.
    pub fn new(catalogue: &Catalogue, run_seed: u64, index: u32, packages: usize) -> SimAgent {
        let agent_seed = seed::mix(run_seed, u64::from(index));
        let mut rng = seed::rng(agent_seed, 0);
        let profile = Profile::draw(index, &mut rng);
        let facts = identity::facts(&profile, run_seed, &mut rng);
        let host_id = Text::from(identity::uuid(&mut rng));
        let pool = catalogue.pool(profile.distro);
        let packages = PackageSet::choose(pool, packages, &mut rng);
        let checkin = CheckinRequest {
            host_id,
            agent_version: AGENT_VERSION.into(),
            fingerprint: facts.fingerprint().into(),
            section_hashes: Default::default(),
            queue_len: 0,
            settings_version: 0,
        };
        let mut agent = SimAgent {
            profile,
            seed: agent_seed,
            facts,
            memory_gib: profile.memory_gib,
            packages,
            auth: None,
            changes: 0,
            checkin,
            checkin_body: Vec::new(),
        };
        agent.serialize_checkin();
        agent
    }

    /// The agent's position in the run.
    pub fn index(&self) -> u32 {
        self.profile.index
    }

    /// Identity facts.
    pub fn facts(&self) -> &IdentityFacts {
        &self.facts
    }

    /// The host identifier in use.
    pub fn host_id(&self) -> &Text {
        &self.checkin.host_id
    }

    /// The enrollment request for `token`.
    pub fn enroll_request(&self, token: &Text) -> EnrollRequest {
        EnrollRequest {
            token: token.clone(),
            host_id: self.checkin.host_id.clone(),
            agent_version: AGENT_VERSION.into(),
            facts: self.facts.clone(),
        }
    }

    /// Takes the credentials and host identifier the server assigned.
    pub fn adopt(&mut self, credentials: &EnrollResponse) {
        self.auth = Some(format!(
            "{} {}:{}",
            kanri_proto::AUTH_SCHEME,
            credentials.agent_id,
            credentials.secret
        ));
        if self.checkin.host_id != credentials.host_id {
            self.checkin.host_id = credentials.host_id.clone();
            self.serialize_checkin();
        }
    }

    /// The `Authorization` header value, once enrolled.
    pub fn auth(&self) -> Option<&str> {
        self.auth.as_deref()
    }

    /// The serialized check-in request.
    pub fn checkin_body(&self) -> &[u8] {
        &self.checkin_body
    }

    /// The section hashes the agent reports.
    pub fn section_hashes(&self) -> &std::collections::BTreeMap<SectionKind, Text> {
        &self.checkin.section_hashes
    }

    /// The sections `kinds` as they are now, as structs (uploads use [`SimAgent::full_upload`]
    /// and [`SimAgent::sections_upload`], which build the same JSON more cheaply).
    pub fn inventory(&self, catalogue: &Catalogue, kinds: &[SectionKind]) -> Inventory {
        inventory::build(self, catalogue, kinds)
    }

    /// The JSON of an upload of every section; also records every section's hash, as a real
    /// agent does after collecting.
    pub fn full_upload(&mut self, catalogue: &Catalogue) -> Vec<u8> {
        let sections = self.sections_json(catalogue, &SectionKind::ALL);
        self.record_hashes(&sections);
        self.upload_json(&sections)
    }

    /// The JSON of an upload of the sections `kinds`: a [`kanri_proto::InventoryUpload`]
    /// whose inventory holds only them, as after [`Inventory::retain`].
    pub fn sections_upload(&self, catalogue: &Catalogue, kinds: &[SectionKind]) -> Vec<u8> {
        self.upload_json(&self.sections_json(catalogue, kinds))
    }

    /// Applies one change: a package upgraded, one removed, one added, and one time in ten
    /// the memory doubled or halved. Recomputes the changed sections' hashes and the check-in
    /// body, and returns the sections that changed.
    pub fn change(&mut self, catalogue: &Catalogue) -> Vec<SectionKind> {
        self.changes += 1;
        let mut rng = seed::rng(self.seed, CHANGE_SALT + (u64::from(self.changes) << 32));
        let pool = catalogue.pool(self.profile.distro);
        self.packages.upgrade_one(&mut rng);
        self.packages.remove_one(pool, &mut rng);
        self.packages.add_one(pool, &mut rng);
        let mut changed = vec![SectionKind::Software];
        if rng.gen_bool(MEMORY_CHANGE) {
            self.memory_gib = if self.memory_gib >= 32 {
                self.memory_gib / 2
            } else {
                self.memory_gib * 2
            };
            changed.insert(0, SectionKind::Hardware);
        }
        let sections = self.sections_json(catalogue, &changed);
        self.record_hashes(&sections);
        changed
    }

    fn sections_json(
        &self,
        catalogue: &Catalogue,
        kinds: &[SectionKind],
    ) -> Vec<(SectionKind, Vec<u8>)> {
        SectionKind::ALL
            .into_iter()
            .filter(|kind| kinds.contains(kind))
            .map(|kind| (kind, inventory::section_json(self, catalogue, kind)))
            .collect()
    }

    /// Stores the hash of each section's JSON: what [`Inventory::section_hash`] computes
    /// from the same bytes.
    fn record_hashes(&mut self, sections: &[(SectionKind, Vec<u8>)]) {
        for (kind, json) in sections {
            let hash = kanri_proto::inventory::hash_section(json);
            self.checkin.section_hashes.insert(*kind, hash.into());
        }
        self.serialize_checkin();
    }

    fn serialize_checkin(&mut self) {
        // Plain structs of strings and numbers always serialize.
        self.checkin_body = serde_json::to_vec(&self.checkin).unwrap_or_default();
    }

    /// A [`kanri_proto::InventoryUpload`] around already serialized sections, without
    /// serializing them again.
    fn upload_json(&self, sections: &[(SectionKind, Vec<u8>)]) -> Vec<u8> {
        let collected_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        let size: usize = sections.iter().map(|(_, json)| json.len() + 16).sum();
        let mut out = Vec::with_capacity(size + 1024);
        out.extend_from_slice(b"{\"host_id\":");
        write_json(&mut out, &self.checkin.host_id);
        out.extend_from_slice(b",\"agent_version\":");
        write_json(&mut out, &AGENT_VERSION);
        out.extend_from_slice(b",\"collected_at\":");
        write_json(&mut out, &collected_at);
        out.extend_from_slice(b",\"facts\":");
        write_json(&mut out, &self.facts);
        out.extend_from_slice(b",\"inventory\":");
        write_by_section(&mut out, sections, |out, json| out.extend_from_slice(json));
        // The hashes a real agent declares: those of the sections' bytes.
        out.extend_from_slice(b",\"section_hashes\":");
        write_by_section(&mut out, sections, |out, json| {
            write_json(out, &kanri_proto::inventory::hash_section(json));
        });
        out.push(b'}');
        out
    }
}

/// A JSON object with one member per section, named by the section, whose value `value`
/// writes from the section's JSON.
fn write_by_section(
    out: &mut Vec<u8>,
    sections: &[(SectionKind, Vec<u8>)],
    mut value: impl FnMut(&mut Vec<u8>, &[u8]),
) {
    out.push(b'{');
    for (position, (kind, json)) in sections.iter().enumerate() {
        if position > 0 {
            out.push(b',');
        }
        write_json(out, &kind.as_str());
        out.push(b':');
        value(out, json);
    }
    out.push(b'}');
}

fn write_json(out: &mut Vec<u8>, value: &impl serde::Serialize) {
    // Strings, numbers and plain structs of them always serialize.
    let _ = serde_json::to_writer(out, value);
}
