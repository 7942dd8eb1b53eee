//! Requests and replies of the agent API ([`crate::paths`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::decode::DecodeError;
use crate::inventory::{Inventory, SectionKind};
use crate::limits::{MAX_COMMANDS, MAX_LIST};
use crate::settings::AgentSettings;
use crate::text::{capped_vec, Text};

/// What an agent reports about its machine so the server can match it to a known device.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdentityFacts {
    /// Host name.
    pub hostname: Text,
    /// System serial number, if readable.
    pub serial: Option<Text>,
    /// SMBIOS UUID, if readable.
    pub uuid: Option<Text>,
    /// `/etc/machine-id`.
    pub machine_id: Option<Text>,
    /// MAC addresses of physical interfaces.
    #[serde(deserialize_with = "capped_vec::<_, _, MAX_LIST>")]
    pub macs: Vec<Text>,
}

impl IdentityFacts {
    /// A digest of the facts that tell one physical or virtual machine from another. Two
    /// agents reporting the same host identifier with different fingerprints are two machines
    /// cloned from one image.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for part in [&self.uuid, &self.serial, &self.machine_id] {
            hasher.update(part.as_deref().unwrap_or("").as_bytes());
            hasher.update([0]);
        }
        let mut macs: Vec<&str> = self.macs.iter().map(|mac| mac.as_str()).collect();
        macs.sort_unstable();
        for mac in macs {
            hasher.update(mac.as_bytes());
            hasher.update([0]);
        }
        hex::encode(&hasher.finalize()[..16])
    }
}

/// `POST /agent/v1/enroll`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    /// The enrollment token.
    pub token: Text,
    /// The host identifier the agent generated.
    pub host_id: Text,
    /// Agent version.
    pub agent_version: Text,
    /// Identity facts.
    pub facts: IdentityFacts,
}

/// Reply to a successful enrollment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
// Read by agents older than the server: new fields must not break them.
pub struct EnrollResponse {
    /// The agent's id; sent with every later request.
    pub agent_id: Text,
    /// The agent's 256-bit secret, hex; the server keeps only its hash.
    pub secret: Text,
    /// The device this agent reports for.
    pub device_id: i64,
    /// The host identifier to use from now on (the server replaces a cloned one).
    pub host_id: Text,
    /// Check-in interval in seconds.
    pub checkin_interval_secs: u64,
}

/// `POST /agent/v1/checkin`: small and frequent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckinRequest {
    /// Host identifier.
    pub host_id: Text,
    /// Agent version.
    pub agent_version: Text,
    /// Fingerprint of the machine ([`IdentityFacts::fingerprint`]).
    pub fingerprint: Text,
    /// Hash of every section the agent holds.
    #[serde(default)]
    pub section_hashes: BTreeMap<SectionKind, Text>,
    /// Entries waiting in the agent's offline queue.
    #[serde(default)]
    pub queue_len: u32,
    /// Version of the [`AgentSettings`] the agent has applied; 0 (also what agents older
    /// than settings send, by leaving it out) is the built-in defaults.
    #[serde(default)]
    pub settings_version: u64,
}

/// Reply to a check-in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
// Read by agents older than the server: new fields must not break them.
#[serde(default)]
pub struct CheckinResponse {
    /// When to check in next, in seconds (the agent adds jitter).
    pub next_checkin_secs: u64,
    /// Sections the server wants sent now.
    pub wanted_sections: Vec<SectionKind>,
    /// Commands to run.
    #[serde(deserialize_with = "capped_vec::<_, _, MAX_COMMANDS>")]
    pub commands: Vec<Command>,
    /// Set when the server found this agent's identity on another machine (a cloned image):
    /// the agent must adopt these credentials and host identifier.
    pub reassigned: Option<EnrollResponse>,
    /// The current settings, sent only when the agent reported another version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<AgentSettings>,
}

/// `POST /agent/v1/uninstall`: the agent is being removed from the machine; its credentials
/// stop working and its device becomes agentless.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UninstallRequest {
    /// Host identifier.
    pub host_id: Text,
    /// Agent version.
    pub agent_version: Text,
}

/// Reply to an uninstall.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
// Read by agents older than the server: new fields must not break them.
#[serde(default)]
pub struct UninstallResponse {
    /// The device the agent reported for.
    pub device_id: i64,
    /// The device's lifecycle state now (`discovered` unless an administrator excluded it).
    pub device_state: String,
}

/// `POST /agent/v1/inventory`: the sections the server asked for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryUpload {
    /// Host identifier.
    pub host_id: Text,
    /// Agent version.
    pub agent_version: Text,
    /// When the agent collected it, Unix seconds.
    pub collected_at: u64,
    /// Identity facts at collection time.
    pub facts: IdentityFacts,
    /// The sections.
    pub inventory: Inventory,
    /// The hash of every section in `inventory`, as the agent computed it for its check-ins
    /// ([`Inventory::section_hash`]). The server keeps these, as it trusts the check-in's
    /// hashes, instead of reading the body a second time to hash it (≈ 1 ms of a first
    /// inventory); when they are absent it hashes what it received
    /// ([`upload_section_hashes`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub section_hashes: BTreeMap<SectionKind, Text>,
}

impl InventoryUpload {
    /// The declared section hashes, checked against the sections present: `Ok(None)` when
    /// the sender declared none.
    ///
    /// # Errors
    /// [`DecodeError`] on `section_hashes` when a present section has no hash, a hash names
    /// an absent section, or a hash is not a BLAKE3 hex digest.
    pub fn declared_hashes(&self) -> Result<Option<Vec<(SectionKind, String)>>, DecodeError> {
        if self.section_hashes.is_empty() {
            return Ok(None);
        }
        let refuse = |reason: String| DecodeError {
            field: "section_hashes".to_string(),
            reason,
        };
        let mut hashes = Vec::with_capacity(self.section_hashes.len());
        for kind in SectionKind::ALL {
            match (self.inventory.has(kind), self.section_hashes.get(&kind)) {
                (true, Some(hash)) if is_hash(hash) => hashes.push((kind, hash.to_string())),
                (true, Some(_)) => {
                    return Err(refuse(format!(
                        "the hash of {} is not 64 lowercase hex digits",
                        kind.as_str()
                    )))
                }
                (true, None) => {
                    return Err(refuse(format!("no hash for section {}", kind.as_str())))
                }
                (false, Some(_)) => {
                    return Err(refuse(format!(
                        "a hash for section {}, which the upload does not hold",
                        kind.as_str()
                    )))
                }
                (false, None) => {}
            }
        }
        Ok(Some(hashes))
    }
}

fn is_hash(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The hash of every section of an upload body, computed over each section's JSON exactly
/// as it appears in the body: the server hashes what it received instead of serializing the
/// decoded sections again. For a body written by `serde_json` (compact, as agents send it) this
/// equals [`Inventory::section_hash`] of the decoded sections; a sender that formats its JSON
/// otherwise only makes the server ask it for those sections again.
///
/// # Errors
/// The body is not an upload (callers decode it strictly first).
pub fn upload_section_hashes(body: &[u8]) -> Result<Vec<(SectionKind, String)>, serde_json::Error> {
    use serde_json::value::RawValue;

    #[derive(Deserialize)]
    struct RawUpload<'a> {
        #[serde(borrow)]
        inventory: RawSections<'a>,
    }

    #[derive(Deserialize)]
    struct RawSections<'a> {
        #[serde(borrow, default)]
        hardware: Option<&'a RawValue>,
        #[serde(borrow, default)]
        os: Option<&'a RawValue>,
        #[serde(borrow, default)]
        network: Option<&'a RawValue>,
        #[serde(borrow, default)]
        software: Option<&'a RawValue>,
        #[serde(borrow, default)]
        users: Option<&'a RawValue>,
        #[serde(borrow, default)]
        services: Option<&'a RawValue>,
        #[serde(borrow, default)]
        usb: Option<&'a RawValue>,
        #[serde(borrow, default)]
        security: Option<&'a RawValue>,
    }

    let raw: RawUpload<'_> = serde_json::from_slice(body)?;
    let s = raw.inventory;
    Ok(SectionKind::ALL
        .into_iter()
        .zip([
            s.hardware, s.os, s.network, s.software, s.users, s.services, s.usb, s.security,
        ])
        .filter_map(|(kind, json)| {
            Some((kind, crate::inventory::hash_section(json?.get().as_bytes())))
        })
        .collect())
}

/// Reply to an inventory upload.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
// Read by agents older than the server: new fields must not break them.
#[serde(default)]
pub struct InventoryResponse {
    /// Sections stored.
    pub accepted: Vec<SectionKind>,
}

/// Reply to `GET /agent/v1/channel`: empty when the hold time ran out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
// Read by agents older than the server: new fields must not break them.
#[serde(default)]
pub struct ChannelResponse {
    /// Commands to run now.
    #[serde(deserialize_with = "capped_vec::<_, _, MAX_COMMANDS>")]
    pub commands: Vec<Command>,
}

/// An immediate action for the agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
// Read by agents older than the server: new fields must not break them.
pub struct Command {
    /// Command id, for acknowledgement and idempotence.
    pub id: i64,
    /// What to do.
    pub action: Action,
}

/// The actions an agent understands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Collect and send the full inventory now.
    RefreshInventory,
    /// An action this agent is too old to know; it is skipped.
    #[serde(other)]
    Unknown,
}

/// The JSON body of every 4xx/5xx reply of the agent API and the REST API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable machine-readable code (`invalid_payload`, `unauthorized`, `token_expired`, …).
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// The field at fault, for payload errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// What the logged-in user of a PC says about it (利用者情報): the asset of the agent's device
/// takes these values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserInfo {
    /// Department id, from the form's list; none leaves it unchanged.
    #[serde(default)]
    pub department_id: Option<i64>,
    /// Location id, from the form's list; none leaves it unchanged.
    #[serde(default)]
    pub location_id: Option<i64>,
    /// The user's name.
    #[serde(default)]
    pub user_name: Text,
    /// The user's account.
    #[serde(default)]
    pub user_account: Text,
    /// E-mail.
    #[serde(default)]
    pub user_email: Text,
    /// Phone.
    #[serde(default)]
    pub user_phone: Text,
    /// Answers to the fields administrators let users enter.
    #[serde(default)]
    pub custom: Vec<CustomAnswer>,
}

/// The answer to one user-entered custom field: text, or a choice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomAnswer {
    /// The field.
    pub field_id: i64,
    /// A text field's value.
    #[serde(default)]
    pub text: Text,
    /// A selection or hierarchy field's option.
    #[serde(default)]
    pub option_id: Option<i64>,
}

/// A custom field the user fills in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FormField {
    /// Field id.
    pub id: i64,
    /// Its name in the server's default language.
    pub name: String,
    /// `text`, `selection` or `hierarchy`.
    pub data_type: String,
    /// Options (full paths for a hierarchy).
    pub options: Vec<FormChoice>,
}

/// One entry of a department or location list offered to the user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FormChoice {
    /// Id to send back.
    pub id: i64,
    /// Full path in the server's default language (`病院/内科`).
    pub path: String,
}

/// `GET /agent/v1/user-info`: the user-information form of the agent's device.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
// Read by agents older than the server: new fields must not break them.
#[serde(default)]
pub struct UserInfoForm {
    /// Whether administrators ask users at all.
    pub enabled: bool,
    /// Whether the user should be asked now (never answered, or the answer is older than the
    /// start time or the interval).
    pub due: bool,
    /// Departments to choose from.
    pub departments: Vec<FormChoice>,
    /// Locations to choose from.
    pub locations: Vec<FormChoice>,
    /// The values the asset holds now.
    pub current: UserInfo,
    /// Custom fields the user fills in.
    pub fields: Vec<FormField>,
}
