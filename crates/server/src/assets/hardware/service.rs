//! Rules of the hardware ledger: who sees and changes an asset (assets division × department
//! scope), what a valid asset is, status changes with their note, deletion only when
//! Unconfirmed or Disposed, disposal deleting the device records, device records and related
//! assets.

use serde::Deserialize;
use sqlx::AnyConnection;

use crate::app::AppState;
use crate::assets::choices::{builtin, ChoiceKind};
use crate::assets::hardware::model::{AssetDetail, AssetFilter, HardwareAsset};
use crate::assets::hardware::query::AssetQuery;
use crate::assets::hardware::store::{self, AssetFields};
use crate::assets::notes::{self, Record};
use crate::assets::values;
use crate::audit::model::{Category, NewAuditEntry, Object, Op, Origin};
use crate::core::auth::{Actor, Division, Scope};
use crate::core::db::DbError;
use crate::core::error::AppError;
use crate::core::paging::{self, Cursor, Page};
use crate::core::time::now_ms;
use crate::departments::store::Tree;

/// Longest asset number, in characters.
pub const MAX_NUMBER_CHARS: usize = 64;
/// Longest name and user field, in characters.
pub const MAX_TEXT_CHARS: usize = 255;

/// The values a create or update sets; absent ones are kept (or defaulted on create).
/// Nullable ones take `null` to clear.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetPatch {
    /// Asset number.
    pub asset_number: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Device type id.
    pub type_id: Option<i64>,
    /// Status id.
    pub status_id: Option<i64>,
    /// Planned status id; `null` clears the plan.
    #[serde(default, deserialize_with = "crate::core::extract::present")]
    pub planned_status_id: Option<Option<i64>>,
    /// Planned day.
    #[serde(default, deserialize_with = "crate::core::extract::present")]
    pub planned_on: Option<Option<String>>,
    /// Department; `null` is Unknown.
    #[serde(default, deserialize_with = "crate::core::extract::present")]
    pub department_id: Option<Option<i64>>,
    /// Location; `null` is Unknown.
    #[serde(default, deserialize_with = "crate::core::extract::present")]
    pub location_id: Option<Option<i64>>,
    /// User name.
    pub user_name: Option<String>,
    /// User account.
    pub user_account: Option<String>,
    /// User e-mail.
    pub user_email: Option<String>,
    /// User phone.
    pub user_phone: Option<String>,
    /// Stocktake day.
    #[serde(default, deserialize_with = "crate::core::extract::present")]
    pub stocktaken_on: Option<Option<String>>,
    /// Host name (overwritten by the representative device's inventory).
    pub hostname: Option<String>,
    /// Serial (a pre-registered asset links to the device reporting it).
    pub serial: Option<String>,
    /// IP address.
    pub ip_address: Option<String>,
    /// MAC address.
    pub mac_address: Option<String>,
    /// Custom values by field id.
    pub custom: Option<serde_json::Map<String, serde_json::Value>>,
    /// A note appended with the change (the reason of a status change).
    pub note: Option<String>,
    /// The version last read (required on update).
    pub version: Option<i64>,
}

/// `aa:bb:cc:dd:ee:ff` from any common way of writing a MAC address.
pub fn normalize_mac(mac: &str) -> String {
    let hex: String = mac
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect::<String>()
        .to_lowercase();
    if hex.len() == 12
        && mac
            .chars()
            .all(|c| c.is_ascii_hexdigit() || ":-. ".contains(c))
    {
        hex.as_bytes()
            .chunks(2)
            .map(|pair| String::from_utf8_lossy(pair).into_owned())
            .collect::<Vec<_>>()
            .join(":")
    } else {
        mac.trim().to_lowercase()
    }
}

/// An asset the actor may see: 403 without the assets division, 404 for an unknown asset or
/// one outside the actor's departments.
///
/// # Errors
/// [`AppError::Forbidden`], [`AppError::NotFound`], storage errors.
pub async fn visible_asset(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
) -> Result<HardwareAsset, AppError> {
    actor.require_division(Division::Assets)?;
    let asset = store::get(conn, id).await.map_err(not_found)?;
    if actor.scope.covers(asset.department_id) {
        Ok(asset)
    } else {
        Err(AppError::NotFound("asset"))
    }
}

fn not_found(error: DbError) -> AppError {
    match error {
        DbError::NotFound => AppError::NotFound("asset"),
        other => other.into(),
    }
}

/// The list's conditions with the department and location subtrees expanded, custom
/// conditions checked against the hardware fields, and the actor's scope applied.
///
/// # Errors
/// 400 for bad conditions; storage errors.
pub async fn filter_of(
    state: &AppState,
    actor: &Actor,
    query: &AssetQuery,
) -> Result<AssetFilter, AppError> {
    actor.require_division(Division::Assets)?;
    let mut filter = query.filter(&actor.tz)?;
    let mut conn = state.db.read().acquire().await.map_err(DbError::from)?;
    if let Some(Some(id)) = filter.department {
        let ids = crate::departments::store::subtree(&mut conn, Tree::Departments, id).await?;
        filter.in_departments = Some(ids);
    }
    if let Some(Some(id)) = filter.location {
        let ids = crate::departments::store::subtree(&mut conn, Tree::Locations, id).await?;
        filter.in_locations = Some(ids);
    }
    filter.custom =
        crate::assets::fields::service::conditions(&mut conn, "hardware", &query.custom).await?;
    if let Scope::Departments(ids) = &actor.scope {
        filter.scope = Some(ids.clone());
    }
    Ok(filter)
}

/// One page of the asset list.
///
/// # Errors
/// 400 for bad conditions, cursor or limit; 403 without the assets division.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    query: &AssetQuery,
) -> Result<Page<HardwareAsset>, AppError> {
    let filter = filter_of(state, actor, query).await?;
    let sort = query.sort()?;
    let limit = paging::limit(query.limit()?)?;
    let after = crate::core::query::given(&query.cursor)
        .map(Cursor::decode)
        .transpose()?;
    let (items, next) = store::page(&state.db, &filter, sort, after.as_ref(), limit).await?;
    Ok(Page {
        items,
        next_cursor: next.map(|c| c.encode()),
    })
}

/// How many assets the list's conditions match.
///
/// # Errors
/// As [`list`].
pub async fn count(state: &AppState, actor: &Actor, query: &AssetQuery) -> Result<i64, AppError> {
    let filter = filter_of(state, actor, query).await?;
    Ok(store::count(&state.db, &filter).await?)
}

/// An asset with its device records, related assets and notes.
///
/// # Errors
/// 403, 404.
pub async fn get(state: &AppState, actor: &Actor, id: i64) -> Result<AssetDetail, AppError> {
    let mut conn = state.db.read().acquire().await.map_err(DbError::from)?;
    let asset = visible_asset(&mut conn, actor, id).await?;
    let devices = store::devices_of(&mut conn, id).await?;
    let related = store::related(&mut conn, id).await?;
    let notes = notes::list(&mut conn, Record::Asset, id).await?;
    Ok(AssetDetail {
        asset,
        devices,
        related,
        notes,
    })
}

/// Applies a patch to `fields` (trimmed and checked for form; references are checked by
/// [`check_references`]).
///
/// # Errors
/// 400 naming the field.
pub fn apply_patch(
    fields: &mut AssetFields,
    patch: AssetPatch,
) -> Result<Option<String>, AppError> {
    if let Some(v) =
        crate::assets::values::plain("asset_number", patch.asset_number, MAX_NUMBER_CHARS)?
    {
        fields.asset_number = v;
    }
    for (field, value, target) in [
        ("name", patch.name, &mut fields.name),
        ("user_name", patch.user_name, &mut fields.user_name),
        ("user_account", patch.user_account, &mut fields.user_account),
        ("user_email", patch.user_email, &mut fields.user_email),
        ("user_phone", patch.user_phone, &mut fields.user_phone),
        ("hostname", patch.hostname, &mut fields.hostname),
        ("serial", patch.serial, &mut fields.serial),
    ] {
        if let Some(v) = crate::assets::values::plain(field, value, MAX_TEXT_CHARS)? {
            *target = v;
        }
    }
    if let Some(email) = Some(&fields.user_email).filter(|e| !e.is_empty()) {
        if !email.contains('@') || email.contains(' ') {
            return Err(AppError::invalid(
                "user_email",
                "user_email is not an e-mail address",
            ));
        }
    }
    if let Some(ip) = crate::assets::values::plain("ip_address", patch.ip_address, 64)? {
        if !ip.is_empty() && ip.parse::<std::net::IpAddr>().is_err() {
            return Err(AppError::invalid(
                "ip_address",
                "ip_address is not an IP address",
            ));
        }
        fields.ip_address = ip;
    }
    if let Some(mac) = crate::assets::values::plain("mac_address", patch.mac_address, 64)? {
        fields.mac_address = if mac.is_empty() {
            mac
        } else {
            normalize_mac(&mac)
        };
    }
    if let Some(v) = patch.type_id {
        fields.type_id = v;
    }
    if let Some(v) = patch.status_id {
        fields.status_id = v;
    }
    if let Some(v) = patch.planned_status_id {
        fields.planned_status_id = v;
    }
    if let Some(v) = crate::assets::values::patch_day("planned_on", patch.planned_on)? {
        fields.planned_on = v;
    }
    if let Some(v) = crate::assets::values::patch_day("stocktaken_on", patch.stocktaken_on)? {
        fields.stocktaken_on = v;
    }
    if let Some(v) = patch.department_id {
        fields.department_id = v;
    }
    if let Some(v) = patch.location_id {
        fields.location_id = v;
    }
    crate::assets::values::merge_custom(&mut fields.custom, patch.custom);
    match (fields.planned_status_id, &fields.planned_on) {
        (Some(_), None) => {
            return Err(AppError::invalid(
                "planned_on",
                "a planned status needs its day",
            ));
        }
        (None, Some(_)) => fields.planned_on = None,
        _ => {}
    }
    crate::assets::values::reason(patch.note)
}

/// Checks what `fields` refer to: custom values (those in `kept` leniently), choices of the
/// right lists, departments and locations that exist, a department inside the actor's
/// scope, an asset number no other asset than `except` has.
///
/// # Errors
/// 400 naming the field.
pub async fn check_references(
    conn: &mut AnyConnection,
    actor: &Actor,
    fields: &mut AssetFields,
    (except, kept): (Option<i64>, &serde_json::Map<String, serde_json::Value>),
) -> Result<(), AppError> {
    crate::assets::fields::service::check_values(conn, "hardware", &mut fields.custom, kept)
        .await?;
    values::check_choice(conn, "type_id", ChoiceKind::DeviceType, fields.type_id).await?;
    let status = fields.status_id;
    values::check_choice(conn, "status_id", ChoiceKind::HardwareStatus, status).await?;
    if let Some(planned) = fields.planned_status_id {
        let field = "planned_status_id";
        values::check_choice(conn, field, ChoiceKind::HardwareStatus, planned).await?;
    }
    values::check_department(conn, actor, fields.department_id).await?;
    values::check_location(conn, fields.location_id).await?;
    if !fields.asset_number.is_empty()
        && store::number_taken(conn, &fields.asset_number, except).await?
    {
        return Err(AppError::Invalid {
            code: "number_taken",
            message: format!("another asset has the number {:?}", fields.asset_number),
            field: Some("asset_number".into()),
        });
    }
    Ok(())
}

fn audit(
    actor: &Actor,
    origin: &Origin,
    op: Op,
    asset: &HardwareAsset,
    detail: serde_json::Value,
) -> NewAuditEntry {
    let mut detail = detail;
    if let Some(map) = detail.as_object_mut() {
        map.insert("asset_number".into(), asset.asset_number.clone().into());
    }
    NewAuditEntry::by_actor(
        actor,
        origin,
        (Category::ContentAccess, op, Object::AssetInfo),
        asset.id.to_string(),
        detail,
    )
}

/// Registers an asset by hand (status Unconfirmed and type Unknown unless given).
///
/// # Errors
/// 400, 403.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    patch: AssetPatch,
) -> Result<HardwareAsset, AppError> {
    actor.require_division(Division::Assets)?;
    let mut fields = AssetFields {
        type_id: builtin::UNKNOWN_TYPE,
        status_id: builtin::UNCONFIRMED,
        custom: serde_json::json!({}),
        ..AssetFields::default()
    };
    let note = apply_patch(&mut fields, patch)?;
    if fields.status_id == builtin::DISPOSED {
        return Err(AppError::invalid(
            "status_id",
            "a new asset cannot be disposed",
        ));
    }
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    check_references(&mut tx, actor, &mut fields, (None, &Default::default())).await?;
    let now = now_ms();
    let id = store::insert(&mut tx, &fields, None, &actor.login, now).await?;
    if let Some(note) = note {
        notes::add(&mut tx, actor, (Record::Asset, id), &note, now).await?;
    }
    let created = store::get(&mut tx, id).await?;
    let entry = audit(actor, origin, Op::Add, &created, serde_json::json!({}));
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(created)
}

/// What an update did beyond the row: the device records a disposal deleted (the caller
/// tells the agent runtime once committed).
#[derive(Debug, Default)]
pub struct Effects {
    /// Device records deleted.
    pub deleted_devices: Vec<i64>,
}

/// Changes an asset (in the caller's transaction) already read as `current`: checks, writes,
/// appends the status-change note, disposes, propagates department and location to the
/// device records, audits.
///
/// # Errors
/// 400, 409 when `version` is stale.
pub async fn update_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    origin: &Origin,
    current: &HardwareAsset,
    patch: AssetPatch,
) -> Result<(HardwareAsset, Effects), AppError> {
    let version = patch.version.unwrap_or(current.version);
    let mut fields = AssetFields::of(current);
    let kept = values::kept_custom(&current.custom, patch.custom.as_ref());
    let reason = apply_patch(&mut fields, patch)?;
    if fields.planned_status_id.is_some() && fields.planned_status_id == Some(fields.status_id) {
        // The plan came true.
        fields.planned_status_id = None;
        fields.planned_on = None;
    }
    check_references(conn, actor, &mut fields, (Some(current.id), &kept)).await?;
    let now = now_ms();
    if !store::update(conn, current.id, &fields, version, now).await? {
        return Err(AppError::Conflict(format!(
            "the asset was changed by someone else (now at version {}); reload and try again",
            current.version
        )));
    }
    let mut note_lines: Vec<String> = Vec::new();
    if fields.status_id != current.status_id {
        let label = "資産状態 / Status";
        let line = values::status_line(conn, label, current.status_id, fields.status_id);
        note_lines.push(line.await?);
    }
    if fields.planned_status_id != current.planned_status_id
        || fields.planned_on != current.planned_on
    {
        let label = "予定資産状態 / Planned status";
        let on = fields.planned_on.as_deref();
        note_lines.push(values::planned_line(conn, label, fields.planned_status_id, on).await?);
    }
    if let Some(reason) = reason {
        note_lines.push(reason);
    }
    if !note_lines.is_empty() {
        let body = note_lines.join("\n");
        let body: String = body
            .chars()
            .take(crate::devices::notes::MAX_NOTE_CHARS)
            .collect();
        notes::add(conn, actor, (Record::Asset, current.id), &body, now).await?;
    }
    if fields.department_id != current.department_id || fields.location_id != current.location_id {
        store::place_devices(conn, current.id, fields.department_id, fields.location_id).await?;
    }
    let mut effects = Effects::default();
    if fields.status_id == builtin::DISPOSED && current.status_id != builtin::DISPOSED {
        for device_id in store::device_ids_of(conn, current.id).await? {
            let device = crate::devices::store::get_device(conn, device_id).await?;
            crate::devices::service::delete_in(conn, actor, origin, &device).await?;
            effects.deleted_devices.push(device_id);
        }
    }
    let updated = store::get(conn, current.id).await?;
    let detail = serde_json::json!({
        "status_id": updated.status_id,
        "deleted_devices": effects.deleted_devices,
    });
    let entry = audit(actor, origin, Op::Update, &updated, detail);
    crate::audit::store::insert(conn, &entry, now).await?;
    Ok((updated, effects))
}

/// Changes an asset.
///
/// # Errors
/// 400, 403, 404, 409.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    id: i64,
    patch: AssetPatch,
) -> Result<HardwareAsset, AppError> {
    if patch.version.is_none() {
        return Err(AppError::invalid(
            "version",
            "send the version you last read",
        ));
    }
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    let current = visible_asset(&mut tx, actor, id).await?;
    let (updated, effects) = update_in(&mut tx, actor, origin, &current, patch).await?;
    tx.commit().await.map_err(DbError::from)?;
    for device in effects.deleted_devices {
        state.agents.forget_device(device);
    }
    Ok(updated)
}

/// Deletes an asset that is Unconfirmed or Disposed, with its notes and links; its device
/// records stay, without an asset.
///
/// # Errors
/// 403, 404, 409 in any other status.
pub async fn delete(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    id: i64,
) -> Result<(), AppError> {
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    let asset = visible_asset(&mut tx, actor, id).await?;
    delete_in(&mut tx, actor, origin, &asset).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// [`delete`] in the caller's transaction.
///
/// # Errors
/// 409 unless Unconfirmed or Disposed.
pub async fn delete_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    origin: &Origin,
    asset: &HardwareAsset,
) -> Result<(), AppError> {
    if asset.status_id != builtin::UNCONFIRMED && asset.status_id != builtin::DISPOSED {
        return Err(AppError::Invalid {
            code: "status_forbids_delete",
            message: "only Unconfirmed or Disposed assets can be deleted; change the status first"
                .into(),
            field: Some("status_id".into()),
        });
    }
    notes::forget(conn, Record::Asset, asset.id).await?;
    store::delete(conn, asset.id).await?;
    let entry = audit(actor, origin, Op::Delete, asset, serde_json::json!({}));
    crate::audit::store::insert(conn, &entry, now_ms()).await?;
    Ok(())
}

/// Appends a note to an asset.
///
/// # Errors
/// 400 for bad text; 403, 404.
pub async fn add_note(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    id: i64,
    body: &str,
) -> Result<notes::LedgerNote, AppError> {
    let body = crate::devices::notes::clean_body(body)?;
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    let asset = visible_asset(&mut tx, actor, id).await?;
    let now = now_ms();
    let note = notes::add(&mut tx, actor, (Record::Asset, id), body, now).await?;
    let entry = audit(
        actor,
        origin,
        Op::Add,
        &asset,
        serde_json::json!({"note": note.id}),
    );
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(note)
}

/// Links a device record to an asset (moving it from any other asset), optionally as the
/// representative whose inventory the asset copies. The device must be one the actor sees;
/// it takes the asset's department and location.
///
/// # Errors
/// 403, 404 for the asset or the device.
pub async fn link_device(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    (asset_id, device_id): (i64, i64),
    representative: bool,
) -> Result<AssetDetail, AppError> {
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    let asset = visible_asset(&mut tx, actor, asset_id).await?;
    let device = crate::devices::store::get_device(&mut tx, device_id)
        .await
        .map_err(|e| match e {
            DbError::NotFound => AppError::NotFound("device"),
            other => other.into(),
        })?;
    if !actor.scope.covers(device.department_id) {
        return Err(AppError::NotFound("device"));
    }
    store::link_device(&mut tx, asset_id, device_id, representative).await?;
    store::place_devices(&mut tx, asset_id, asset.department_id, asset.location_id).await?;
    let detail = serde_json::json!({"device": device_id, "representative": representative});
    let entry = audit(actor, origin, Op::Update, &asset, detail);
    crate::audit::store::insert(&mut tx, &entry, now_ms()).await?;
    tx.commit().await.map_err(DbError::from)?;
    get(state, actor, asset_id).await
}

/// Takes a device record off an asset.
///
/// # Errors
/// 403, 404 (also when the device is not the asset's).
pub async fn unlink_device(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    (asset_id, device_id): (i64, i64),
) -> Result<(), AppError> {
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    let asset = visible_asset(&mut tx, actor, asset_id).await?;
    if !store::unlink_device(&mut tx, asset_id, device_id).await? {
        return Err(AppError::NotFound("device"));
    }
    let entry = audit(
        actor,
        origin,
        Op::Update,
        &asset,
        serde_json::json!({"unlinked_device": device_id}),
    );
    crate::audit::store::insert(&mut tx, &entry, now_ms()).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// Relates two assets the actor sees (or, with `related = false`, removes the relation).
/// Nothing cascades along a relation.
///
/// # Errors
/// 400 for an asset related to itself; 403, 404.
pub async fn relate(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    (id, other): (i64, i64),
    related: bool,
) -> Result<(), AppError> {
    if id == other {
        return Err(AppError::invalid(
            "other_id",
            "an asset cannot be related to itself",
        ));
    }
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    let asset = visible_asset(&mut tx, actor, id).await?;
    visible_asset(&mut tx, actor, other).await?;
    let now = now_ms();
    if related {
        store::add_link(&mut tx, id, other, now).await?;
    } else if !store::remove_link(&mut tx, id, other).await? {
        return Err(AppError::NotFound("relation"));
    }
    let detail = serde_json::json!({"related": other, "linked": related});
    crate::audit::store::insert(
        &mut tx,
        &audit(actor, origin, Op::Update, &asset, detail),
        now,
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_are_written_one_way() {
        assert_eq!(normalize_mac("AA-BB-CC-00-11-22"), "aa:bb:cc:00:11:22");
        assert_eq!(normalize_mac("aabb.cc00.1122"), "aa:bb:cc:00:11:22");
        assert_eq!(normalize_mac("AABBCC001122"), "aa:bb:cc:00:11:22");
        assert_eq!(normalize_mac("not a mac"), "not a mac");
    }

    #[test]
    fn a_plan_needs_its_day_and_a_day_alone_is_dropped() {
        let mut fields = AssetFields::default();
        let patch = AssetPatch {
            planned_status_id: Some(Some(3)),
            ..AssetPatch::default()
        };
        assert!(apply_patch(&mut fields, patch).is_err());
        let mut fields = AssetFields::default();
        let patch = AssetPatch {
            planned_on: Some(Some("2027-04-01".into())),
            ..AssetPatch::default()
        };
        apply_patch(&mut fields, patch).expect("patch");
        assert_eq!(fields.planned_on, None);
    }

    #[test]
    fn bad_values_name_their_field() {
        for (patch, field) in [
            (
                AssetPatch {
                    ip_address: Some("10.0.0.300".into()),
                    ..AssetPatch::default()
                },
                "ip_address",
            ),
            (
                AssetPatch {
                    user_email: Some("nobody".into()),
                    ..AssetPatch::default()
                },
                "user_email",
            ),
            (
                AssetPatch {
                    stocktaken_on: Some(Some("2026-13-01".into())),
                    ..AssetPatch::default()
                },
                "stocktaken_on",
            ),
            (
                AssetPatch {
                    name: Some("a\u{7}b".into()),
                    ..AssetPatch::default()
                },
                "name",
            ),
        ] {
            let error = apply_patch(&mut AssetFields::default(), patch).expect_err(field);
            assert!(format!("{error:?}").contains(field), "{field}: {error:?}");
        }
    }
}
