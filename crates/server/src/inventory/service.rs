//! Ingesting inventory uploads and reading inventory back.

use std::collections::{BTreeMap, HashMap};

use kanri_proto::inventory::{Hardware, Network, Os, Package};
use kanri_proto::{Inventory, InventoryResponse, InventoryUpload, SectionKind};
use serde_json::{Map, Value};
use sqlx::AnyConnection;

use crate::agents::identity;
use crate::agents::runtime::AgentAuth;
use crate::app::AppState;
use crate::core::body::BodyError;
use crate::core::db::{Db, DbError};
use crate::core::error::AppError;
use crate::core::time::now_ms;
use crate::devices::model::DeviceFacts;
use crate::devices::store as device_store;
use crate::events::catalogue::EventCode;
use crate::events::service::{self as events, NewEvent};
use crate::inventory::diff::{self, Change, SoftwareKey};
use crate::inventory::packed;
use crate::inventory::store::{self, NewSoftware};

/// Most "new software found" events one upload raises; a first inventory of a fresh estate
/// would otherwise raise one per package.
const MAX_NEW_SOFTWARE_EVENTS: usize = 50;

/// Records a refused upload: event 211 with the device and reason; nothing else is written.
pub async fn report_rejected(state: &AppState, device_id: i64, error: &BodyError) {
    let event = NewEvent::new(EventCode::InventoryRejected, Some(device_id))
        .with("reason", error.to_string())
        .with("field", error.field().unwrap_or("-"));
    if let Err(error) = events::record_alone(&state.db, event).await {
        tracing::error!(message = "Could not record the rejection event.", %error);
    }
}

/// Stores the sections that differ from what the server holds, with their history and
/// events, in one transaction.
///
/// Everything that takes CPU (resolving packages to catalogue ids, serializing sections and
/// the install list) happens first; only the statements run on the database's writer
/// ([`Db::on_writer`]), which on SQLite every upload waits for.
///
/// `hashes` are the sections' hashes as received ([`kanri_proto::upload_section_hashes`]).
///
/// # Errors
/// [`AppError`] from the database; nothing is written then.
pub async fn ingest(
    state: &AppState,
    auth: &AgentAuth,
    upload: InventoryUpload,
    hashes: Vec<(SectionKind, String)>,
) -> Result<InventoryResponse, AppError> {
    let mut inventory = upload.inventory;
    let device_id = auth.device_id;
    let held = match state.agents.hashes(device_id) {
        Some(held) => held,
        None => store::list_section_hashes(&state.db, device_id).await?,
    };
    let present: Vec<SectionKind> = hashes.iter().map(|(kind, _)| *kind).collect();
    let changed: Vec<(SectionKind, String)> = hashes
        .into_iter()
        .filter(|(kind, hash)| held.get(kind) != Some(hash))
        .collect();
    let now = now_ms();
    state.agents.saw(device_id, now);
    if changed.is_empty() {
        // Nothing differs (a refresh of an unchanged machine): only the receipt time moves.
        let db = state.db.clone();
        state
            .db
            .on_writer(async move {
                let mut conn = db.write().acquire().await?;
                device_store::touch_inventory(&mut conn, device_id, now).await
            })
            .await?;
        return Ok(InventoryResponse { accepted: present });
    }
    let first_inventory = held.is_empty();
    let changes_kind = |wanted: SectionKind| changed.iter().any(|(kind, _)| *kind == wanted);
    let software = if changes_kind(SectionKind::Software) {
        let packages = inventory
            .software
            .take()
            .map(|software| software.packages)
            .unwrap_or_default();
        Some(prepare_software(state, device_id, packages).await?)
    } else {
        None
    };
    let mut sections = Vec::with_capacity(changed.len());
    for (kind, hash) in &changed {
        sections.push((*kind, hash.clone(), section_json(*kind, &inventory)?));
    }
    let write = Write {
        device_id,
        now,
        first_inventory,
        hostname: inventory.os.as_ref().map(|os| os.hostname.to_string()),
        sections,
        facts: facts_of(&inventory),
        addresses: inventory.network.as_ref().map(addresses_of),
        // A first inventory has nothing stored to compare with.
        hardware: if changes_kind(SectionKind::Hardware) && !first_inventory {
            inventory.hardware.take()
        } else {
            None
        },
        software,
    };
    state
        .db
        .on_writer(write_upload(state.db.clone(), write))
        .await?;
    for (kind, hash) in changed {
        state.agents.set_hash(device_id, kind, hash);
    }
    Ok(InventoryResponse { accepted: present })
}

/// An upload's changes, ready for its transaction.
struct Write {
    device_id: i64,
    now: i64,
    first_inventory: bool,
    /// The host name the upload reports, for event parameters.
    hostname: Option<String>,
    /// (section, hash, JSON) of every changed section.
    sections: Vec<(SectionKind, String, String)>,
    facts: DeviceFacts,
    addresses: Option<Vec<(&'static str, String)>>,
    /// The new hardware section, when it changed on a device that had one.
    hardware: Option<Hardware>,
    software: Option<PreparedSoftware>,
}

/// Writes an upload's changes in one transaction that starts by locking the device row.
async fn write_upload(db: Db, write: Write) -> Result<(), AppError> {
    let Write {
        device_id,
        now,
        first_inventory,
        hostname,
        mut sections,
        facts,
        addresses,
        hardware,
        software,
    } = write;
    let mut tx = db.write().begin().await?;
    let device = device_store::lock_device(&mut tx, db.backend(), device_id)
        .await
        .map_err(|error| match error {
            DbError::NotFound => {
                AppError::Unauthorized("the device of this agent was deleted; enroll again".into())
            }
            other => other.into(),
        })?;
    let hostname = hostname.unwrap_or(device.hostname);
    let mut changes: Vec<Change> = Vec::new();
    let mut raised: Vec<NewEvent> = Vec::new();
    if let Some(current) = &hardware {
        if let Some(previous) = store::find_section(&mut tx, device_id, SectionKind::Hardware)
            .await?
            .and_then(|previous| serde_json::from_str::<Hardware>(&previous).ok())
        {
            let (hw_changes, hw_events) = diff::hardware_changes(&previous, current, device_id);
            changes.extend(hw_changes);
            raised.extend(hw_events);
        }
    }
    if let Some(software) = software {
        let outcome = apply_software(&mut tx, device_id, software, first_inventory).await?;
        changes.extend(outcome.changes);
        raised.extend(
            outcome
                .events
                .into_iter()
                .map(|event| event.with("hostname", hostname.as_str())),
        );
    }
    let rows: Vec<store::SectionRow> = sections
        .iter_mut()
        .map(|(kind, hash, data)| store::SectionRow {
            kind: *kind,
            hash: hash.as_str(),
            data: std::mem::take(data),
        })
        .collect();
    store::upsert_sections(&mut tx, device_id, &rows, now).await?;
    if facts != DeviceFacts::default() {
        device_store::update_facts(&mut tx, device_id, &facts, now).await?;
        let asset_facts = crate::assets::hardware::store::DeviceFacts {
            hostname: facts.hostname.clone(),
            serial: facts.serial.clone(),
            ip_address: facts.primary_ip.clone(),
            mac_address: facts.primary_mac.as_deref().map(str::to_lowercase),
        };
        crate::assets::hardware::link::device_facts(&mut tx, device_id, &asset_facts).await?;
    } else {
        device_store::touch_inventory(&mut tx, device_id, now).await?;
    }
    if let Some(addresses) = &addresses {
        let pairs: Vec<(&str, &str)> = addresses
            .iter()
            .map(|(kind, value)| (*kind, value.as_str()))
            .collect();
        device_store::replace_addresses(&mut tx, device_id, &pairs).await?;
    }
    if !first_inventory {
        store::insert_history(&mut tx, device_id, &changes, now).await?;
    }
    events::record_all(&mut tx, raised).await?;
    tx.commit().await?;
    Ok(())
}

/// A section's JSON as stored (software's list lives in `device_installs`: empty).
fn section_json(kind: SectionKind, inventory: &Inventory) -> Result<String, AppError> {
    match kind {
        SectionKind::Hardware => serde_json::to_string(&inventory.hardware),
        SectionKind::Os => serde_json::to_string(&inventory.os),
        SectionKind::Network => serde_json::to_string(&inventory.network),
        SectionKind::Users => serde_json::to_string(&inventory.users),
        SectionKind::Services => serde_json::to_string(&inventory.services),
        SectionKind::Usb => serde_json::to_string(&inventory.usb),
        SectionKind::Security => serde_json::to_string(&inventory.security),
        SectionKind::Software => Ok(String::new()),
    }
    .map_err(|error| AppError::Internal(error.to_string()))
}

struct SoftwareOutcome {
    changes: Vec<Change>,
    events: Vec<NewEvent>,
}

/// An upload's packages resolved to catalogue ids and its install list, ready to compare
/// with the stored one.
struct PreparedSoftware {
    packages: Vec<Package>,
    /// The install list: ascending by catalogue id, one entry per id.
    installs: Vec<store::Install>,
    /// The package each install came from (index into `packages`).
    origins: Vec<usize>,
    /// `installs` as stored.
    installs_packed: Vec<u8>,
    /// "New software found" for names the catalogue had never seen.
    events: Vec<NewEvent>,
}

/// Resolves `packages` to catalogue ids ([`resolve_catalogue`]) and builds the install list.
async fn prepare_software(
    state: &AppState,
    device_id: i64,
    packages: Vec<Package>,
) -> Result<PreparedSoftware, AppError> {
    let (ids, events) = resolve_catalogue(state, device_id, &packages).await?;
    // Ascending by id; the first package with an id wins when an upload lists one twice.
    let mut target: Vec<(store::Install, usize)> = ids
        .iter()
        .zip(&packages)
        .enumerate()
        .map(|(index, (id, package))| {
            let install = (
                *id,
                package.install_time.map(|t| t as i64),
                package.size_bytes.map(|s| s as i64),
            );
            (install, index)
        })
        .collect();
    target.sort_by_key(|((id, _, _), _)| *id);
    target.dedup_by_key(|((id, _, _), _)| *id);
    let (installs, origins): (Vec<store::Install>, Vec<usize>) = target.into_iter().unzip();
    let installs_packed = packed::encode_installs(&installs);
    Ok(PreparedSoftware {
        packages,
        installs,
        origins,
        installs_packed,
        events,
    })
}

/// Finds or creates the catalogue entries of `packages` before the device's transaction,
/// through the node's [`CatalogueWriter`](crate::inventory::catalogue_writer), which creates
/// the misses of concurrent uploads together in key order; returns the id of each package
/// (same order) and "new software found" events. Catalogue rows never change, so
/// one left behind by an upload that fails later is harmless (it counts no installs); keeping
/// them out of the long device transaction is what keeps concurrent uploads of the same new
/// packages from deadlocking on PostgreSQL.
async fn resolve_catalogue(
    state: &AppState,
    device_id: i64,
    packages: &[Package],
) -> Result<(Vec<i64>, Vec<NewEvent>), AppError> {
    let cached = state.software.lookup(packages);
    let mut missing: BTreeMap<SoftwareKey, &str> = BTreeMap::new();
    for (package, id) in packages.iter().zip(&cached) {
        if id.is_none() {
            missing
                .entry(key_of(package))
                .or_insert(package.vendor.as_deref().unwrap_or(""));
        }
    }
    let mut events = Vec::new();
    let mut learned: HashMap<SoftwareKey, i64> = HashMap::new();
    if !missing.is_empty() {
        let rows: Vec<NewSoftware> = missing
            .into_iter()
            .map(|(key, vendor)| NewSoftware {
                key,
                vendor: vendor.to_string(),
            })
            .collect();
        let resolution = state
            .catalogue_writer
            .resolve(rows)
            .await
            .map_err(AppError::Internal)?;
        events = resolution
            .new_names
            .iter()
            .take(MAX_NEW_SOFTWARE_EVENTS)
            .map(|key| {
                NewEvent::new(EventCode::NewSoftware, Some(device_id))
                    .with("name", key.name.as_str())
                    .with("version", key.version.as_str())
            })
            .collect();
        learned = resolution.ids;
    }
    let mut ids = Vec::with_capacity(packages.len());
    for (package, id) in packages.iter().zip(cached) {
        let id = match id {
            Some(id) => id,
            None => *learned.get(&key_of(package)).ok_or_else(|| {
                AppError::Internal(format!("no catalogue entry for {}", package.name.as_str()))
            })?,
        };
        ids.push(id);
    }
    Ok((ids, events))
}

/// Brings a device's installs in line with the upload's: rewrites its install list when
/// anything in it changed, and queues the ids added and removed for the software → devices
/// index.
async fn apply_software(
    conn: &mut AnyConnection,
    device_id: i64,
    software: PreparedSoftware,
    first_inventory: bool,
) -> Result<SoftwareOutcome, AppError> {
    let PreparedSoftware {
        packages,
        installs,
        origins,
        installs_packed,
        events,
    } = software;
    let current: Vec<store::Install> = if first_inventory {
        Vec::new()
    } else {
        store::get_installs(conn, device_id).await?
    };
    let (added, removed) = id_difference(
        current.iter().map(|(id, _, _)| *id),
        installs.iter().map(|(id, _, _)| *id),
    );
    if installs != current {
        store::put_installs(conn, device_id, installs.len(), installs_packed).await?;
    }
    store::log_install_changes(conn, device_id, &added, &removed).await?;
    if !added.is_empty() || !removed.is_empty() {
        crate::assets::licences::reconcile::mark_pending(conn, device_id).await?;
    }
    let changes = if first_inventory || (added.is_empty() && removed.is_empty()) {
        Vec::new()
    } else {
        let mut removed_keys: Vec<SoftwareKey> = store::list_software_by_ids(conn, &removed)
            .await?
            .into_iter()
            .map(|entry| SoftwareKey {
                source: entry.source,
                name: entry.name,
                version: entry.version,
                arch: entry.arch,
            })
            .collect();
        removed_keys.sort();
        let mut added_keys: Vec<SoftwareKey> = installs
            .iter()
            .zip(&origins)
            .filter(|((id, _, _), _)| added.binary_search(id).is_ok())
            .map(|(_, origin)| key_of(&packages[*origin]))
            .collect();
        added_keys.sort();
        diff::software_changes(&removed_keys, &added_keys)
    };
    Ok(SoftwareOutcome { changes, events })
}

/// The ids only in `after` (added) and only in `before` (removed), both ascending; the
/// inputs must be ascending and without repeats.
fn id_difference(
    before: impl Iterator<Item = i64>,
    after: impl Iterator<Item = i64>,
) -> (Vec<i64>, Vec<i64>) {
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    let mut before = before.peekable();
    let mut after = after.peekable();
    loop {
        match (before.peek().copied(), after.peek().copied()) {
            (Some(old), Some(new)) if old == new => {
                before.next();
                after.next();
            }
            (Some(old), Some(new)) if old < new => {
                removed.push(old);
                before.next();
            }
            (_, Some(new)) => {
                added.push(new);
                after.next();
            }
            (Some(old), None) => {
                removed.push(old);
                before.next();
            }
            (None, None) => return (added, removed),
        }
    }
}

fn key_of(package: &Package) -> SoftwareKey {
    SoftwareKey {
        source: package.source.to_string(),
        name: package.name.to_string(),
        version: package.version.to_string(),
        arch: package.arch.to_string(),
    }
}

/// The summary columns an upload provides.
fn facts_of(inventory: &Inventory) -> DeviceFacts {
    let mut facts = DeviceFacts::default();
    if let Some(hardware) = &inventory.hardware {
        facts.manufacturer = Some(hardware.manufacturer.as_deref().unwrap_or("").to_string());
        facts.model = Some(hardware.model.as_deref().unwrap_or("").to_string());
        // A placeholder says nothing: keep what enrollment or an earlier inventory found.
        facts.serial = identity::clean_serial(hardware.serial.as_deref());
        facts.hw_uuid = identity::clean_uuid(hardware.uuid.as_deref());
        facts.memory_bytes = Some(hardware.memory_bytes as i64);
    }
    if let Some(Os {
        name,
        version,
        hostname,
        ..
    }) = &inventory.os
    {
        facts.hostname = Some(hostname.to_string());
        facts.os_name = Some(name.to_string());
        facts.os_version = Some(version.as_deref().unwrap_or("").to_string());
    }
    if let Some(network) = &inventory.network {
        let primary = network
            .interfaces
            .iter()
            .filter(|interface| interface.up && !interface.is_virtual)
            .chain(network.interfaces.iter())
            .find(|interface| !interface.ipv4.is_empty());
        facts.primary_ip = Some(
            primary
                .and_then(|i| i.ipv4.first())
                .map(|ip| strip_prefix(ip))
                .unwrap_or_default(),
        );
        facts.primary_mac = Some(
            primary
                .and_then(|i| i.mac.as_deref())
                .and_then(identity::clean_mac)
                .unwrap_or_default(),
        );
    }
    facts
}

fn strip_prefix(address: &str) -> String {
    address.split('/').next().unwrap_or(address).to_string()
}

/// The interfaces' addresses as `("ip" | "mac", value)`, sorted, without repeats.
fn addresses_of(network: &Network) -> Vec<(&'static str, String)> {
    let mut addresses: Vec<(&'static str, String)> = Vec::new();
    for interface in &network.interfaces {
        addresses.extend(
            interface
                .ipv4
                .iter()
                .chain(&interface.ipv6)
                .map(|ip| ("ip", strip_prefix(ip))),
        );
        if let Some(mac) = interface.mac.as_deref().and_then(identity::clean_mac) {
            addresses.push(("mac", mac));
        }
    }
    addresses.sort();
    addresses.dedup();
    addresses
}

/// A device's stored sections (software as a count; the list has its own endpoint).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn sections_of(
    conn: &mut AnyConnection,
    device_id: i64,
) -> Result<(Map<String, Value>, i64), DbError> {
    let mut sections = Map::new();
    for (name, data) in store::list_sections(conn, device_id).await? {
        if data.is_empty() {
            continue;
        }
        let value: Value =
            serde_json::from_str(&data).map_err(|error| DbError::Corrupt(error.to_string()))?;
        sections.insert(name, value);
    }
    let software_count = store::count_installs(conn, device_id).await?;
    Ok((sections, software_count))
}

/// Queues the removal of a device's installs from the software → devices index and the
/// install counts, in the transaction that deletes the device.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn forget_device(conn: &mut AnyConnection, device_id: i64) -> Result<(), DbError> {
    let installed: Vec<i64> = store::get_installs(conn, device_id)
        .await?
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    store::log_install_changes(conn, device_id, &[], &installed).await
}

fn next_cursor<T>(items: &[T], limit: u32, id: impl Fn(&T) -> i64) -> Option<String> {
    (items.len() == limit as usize)
        .then(|| items.last().map(|item| id(item).to_string()))
        .flatten()
}

/// 404 unless the device exists and the actor may see it (see
/// [`crate::devices::service::visible_device`]).
async fn ensure_device(
    state: &AppState,
    actor: &crate::core::auth::Actor,
    device_id: i64,
) -> Result<(), AppError> {
    let mut conn = state.db.read().acquire().await?;
    crate::devices::service::visible_device(&mut conn, actor, device_id)
        .await
        .map(|_| ())
}

/// A device's installed software.
///
/// # Errors
/// 404 for an unknown device.
pub async fn device_software(
    state: &AppState,
    actor: &crate::core::auth::Actor,
    device_id: i64,
    after: Option<i64>,
    limit: u32,
) -> Result<crate::core::paging::Page<store::InstalledRow>, AppError> {
    ensure_device(state, actor, device_id).await?;
    let items = store::list_installed(&state.db, device_id, after, limit).await?;
    let next_cursor = next_cursor(&items, limit, |row| row.software.id);
    Ok(crate::core::paging::Page { items, next_cursor })
}

/// A device's change history, newest first.
///
/// # Errors
/// 404 for an unknown device.
pub async fn device_history(
    state: &AppState,
    actor: &crate::core::auth::Actor,
    device_id: i64,
    before: Option<i64>,
    limit: u32,
) -> Result<crate::core::paging::Page<store::HistoryRow>, AppError> {
    ensure_device(state, actor, device_id).await?;
    let items = store::list_history(&state.db, device_id, before, limit).await?;
    let next_cursor = next_cursor(&items, limit, |row| row.id);
    Ok(crate::core::paging::Page { items, next_cursor })
}

/// The catalogue with install counts, of the software installed on devices the actor sees:
/// for an account that sees every department the maintained counts, for a department
/// administrator counts over its departments' devices (computed from their install lists,
/// so a department never learns another's numbers). Optionally only names starting with
/// `name_prefix` and entries first seen at or after `first_seen_since`.
///
/// # Errors
/// 403 without the devices division; storage errors.
pub async fn catalogue(
    state: &AppState,
    actor: &crate::core::auth::Actor,
    name_prefix: Option<&str>,
    first_seen_since: Option<i64>,
    after: Option<i64>,
    limit: u32,
) -> Result<crate::core::paging::Page<store::SoftwareRow>, AppError> {
    actor.require_division(crate::core::auth::Division::Devices)?;
    let items = match &actor.scope {
        crate::core::auth::Scope::All => {
            store::list_software(&state.db, name_prefix, first_seen_since, after, limit).await?
        }
        crate::core::auth::Scope::Departments(departments) => {
            let counts = scoped_install_counts(&state.db, departments).await?;
            let mut ids: Vec<i64> = counts
                .keys()
                .copied()
                .filter(|id| after.is_none_or(|after| *id > after))
                .collect();
            ids.sort_unstable();
            let mut items = Vec::with_capacity(limit as usize);
            let mut conn = state.db.read().acquire().await.map_err(DbError::from)?;
            for chunk in ids.chunks(1000) {
                let mut rows = store::list_software_by_ids(&mut conn, chunk).await?;
                rows.sort_unstable_by_key(|row| row.id);
                for mut row in rows {
                    let wanted = name_prefix.is_none_or(|prefix| row.name.starts_with(prefix))
                        && first_seen_since.is_none_or(|since| row.first_seen >= since);
                    if wanted {
                        row.install_count = counts.get(&row.id).copied().unwrap_or(0);
                        items.push(row);
                    }
                    if items.len() == limit as usize {
                        break;
                    }
                }
                if items.len() == limit as usize {
                    break;
                }
            }
            items
        }
    };
    let next_cursor = next_cursor(&items, limit, |row| row.id);
    Ok(crate::core::paging::Page { items, next_cursor })
}

/// How many catalogue entries installed on devices the actor sees were first seen at or after
/// `since` (the dashboard's "new software" panel).
///
/// # Errors
/// 403 without the devices division; storage errors.
pub async fn count_new_software(
    state: &AppState,
    actor: &crate::core::auth::Actor,
    since: i64,
) -> Result<i64, AppError> {
    actor.require_division(crate::core::auth::Division::Devices)?;
    match &actor.scope {
        crate::core::auth::Scope::All => Ok(store::count_software_since(&state.db, since).await?),
        crate::core::auth::Scope::Departments(departments) => {
            let counts = scoped_install_counts(&state.db, departments).await?;
            let ids: Vec<i64> = counts.keys().copied().collect();
            let mut conn = state.db.read().acquire().await.map_err(DbError::from)?;
            let mut new = 0;
            for chunk in ids.chunks(1000) {
                let rows = store::list_software_by_ids(&mut conn, chunk).await?;
                new += rows.iter().filter(|row| row.first_seen >= since).count() as i64;
            }
            Ok(new)
        }
    }
}

/// Devices per catalogue entry over the devices of `departments`, read from their packed
/// install lists a page of devices at a time.
///
/// # Errors
/// Storage errors; a corrupt list.
pub async fn scoped_install_counts(
    db: &crate::core::db::Db,
    departments: &[i64],
) -> Result<std::collections::HashMap<i64, i64>, DbError> {
    const DEVICES_PER_READ: u32 = 2000;
    let mut counts = std::collections::HashMap::new();
    let mut after = 0;
    loop {
        let (last, lists) =
            store::installs_in_departments(db, departments, after, DEVICES_PER_READ).await?;
        for list in &lists {
            for (software_id, _, _) in crate::inventory::packed::decode_installs(list)? {
                *counts.entry(software_id).or_insert(0) += 1;
            }
        }
        if lists.len() < DEVICES_PER_READ as usize {
            return Ok(counts);
        }
        after = last;
    }
}

/// The devices that have a catalogue entry installed, of those the actor sees (a page may
/// hold fewer than `limit` for a scoped account; the cursor still moves on).
///
/// # Errors
/// 403 without the devices division; 404 for an unknown entry.
pub async fn devices_with(
    state: &AppState,
    actor: &crate::core::auth::Actor,
    software_id: i64,
    after: Option<i64>,
    limit: u32,
) -> Result<crate::core::paging::Page<crate::devices::model::Device>, AppError> {
    actor.require_division(crate::core::auth::Division::Devices)?;
    store::get_software(&state.db, software_id)
        .await
        .map_err(|error| match error {
            DbError::NotFound => AppError::NotFound("software"),
            other => other.into(),
        })?;
    let ids =
        crate::inventory::index_store::list_device_ids_with(&state.db, software_id, after, limit)
            .await?;
    let items = device_store::list_devices_by_ids(&state.db, &ids)
        .await?
        .into_iter()
        .filter(|device| actor.scope.covers(device.department_id))
        .collect();
    let next_cursor = (ids.len() == limit as usize)
        .then(|| ids.last().map(|id| id.to_string()))
        .flatten();
    Ok(crate::core::paging::Page { items, next_cursor })
}

#[cfg(test)]
mod tests {
    use super::id_difference;

    fn diff(before: &[i64], after: &[i64]) -> (Vec<i64>, Vec<i64>) {
        id_difference(before.iter().copied(), after.iter().copied())
    }

    #[test]
    fn id_difference_lists_added_and_removed_in_order() {
        assert_eq!(diff(&[], &[1, 5]), (vec![1, 5], vec![]));
        assert_eq!(diff(&[1, 5], &[]), (vec![], vec![1, 5]));
        assert_eq!(
            diff(&[1, 3, 5, 9], &[2, 3, 9, 10, 11]),
            (vec![2, 10, 11], vec![1, 5])
        );
        assert_eq!(diff(&[4, 7], &[4, 7]), (vec![], vec![]));
    }
}
