//! What the device side tells the ledger: a device became managed (create or link its
//! asset), an inventory changed its facts (the representative's asset copies them), a device
//! moved department or location (the value is shared with its asset), a device is about to be
//! deleted (its asset picks another representative). Each runs in the caller's transaction.

use sqlx::{AnyConnection, Row};

use crate::assets::choices::builtin;
use crate::assets::hardware::store::{self, AssetFields, DeviceFacts};
use crate::core::db::DbError;

/// Who registers assets created for devices.
pub const AGENT_REGISTRANT: &str = "agent";

/// A device became managed: a pre-registered asset waiting for its serial takes it, or a new
/// Unconfirmed asset is created for it. A device that already has an asset keeps it.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn device_managed(
    conn: &mut AnyConnection,
    device_id: i64,
    now: i64,
) -> Result<i64, DbError> {
    let row = sqlx::query(
        "SELECT asset_id, serial, hostname, department_id, location_id, primary_ip, primary_mac \
         FROM devices WHERE id = $1",
    )
    .bind(device_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(DbError::NotFound)?;
    if let Some(asset_id) = row.try_get::<Option<i64>, _>(0)? {
        return Ok(asset_id);
    }
    let serial: String = row.try_get(1)?;
    let department_id: Option<i64> = row.try_get(3)?;
    let location_id: Option<i64> = row.try_get(4)?;
    if !serial.is_empty() {
        if let Some(asset_id) = store::waiting_for_serial(conn, &serial, builtin::DISPOSED).await? {
            store::link_device(conn, asset_id, device_id, true).await?;
            let asset = store::get(conn, asset_id).await?;
            if asset.department_id.is_some() || asset.location_id.is_some() {
                store::place_devices(conn, asset_id, asset.department_id, asset.location_id)
                    .await?;
            } else {
                store::place_asset(conn, asset_id, department_id, location_id, now).await?;
            }
            return Ok(asset_id);
        }
    }
    let hostname: String = row.try_get(2)?;
    let fields = AssetFields {
        name: hostname.clone(),
        type_id: builtin::PC,
        status_id: builtin::UNCONFIRMED,
        department_id,
        location_id,
        hostname,
        serial,
        ip_address: row.try_get(5)?,
        mac_address: row.try_get::<String, _>(6)?.to_lowercase(),
        custom: serde_json::json!({}),
        ..AssetFields::default()
    };
    let asset_id = store::insert(conn, &fields, Some(device_id), AGENT_REGISTRANT, now).await?;
    sqlx::query("UPDATE devices SET asset_id = $1 WHERE id = $2")
        .bind(asset_id)
        .bind(device_id)
        .execute(&mut *conn)
        .await?;
    Ok(asset_id)
}

/// An inventory changed a device's facts: the asset it represents copies them (`None` keeps
/// a value). Writes only when something differs.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn device_facts(
    conn: &mut AnyConnection,
    device_id: i64,
    facts: &DeviceFacts,
) -> Result<(), DbError> {
    store::copy_device_facts(conn, device_id, facts).await
}

/// A device's department or location changed: its asset and the asset's other device records
/// take the same values.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn device_placed(
    conn: &mut AnyConnection,
    device_id: i64,
    department_id: Option<i64>,
    location_id: Option<i64>,
    now: i64,
) -> Result<(), DbError> {
    if let Some(asset_id) = store::asset_of_device(conn, device_id).await? {
        store::place_asset(conn, asset_id, department_id, location_id, now).await?;
    }
    Ok(())
}

/// A device record is about to be deleted: it leaves its asset, which picks another
/// representative among its records (or none). The asset itself stays.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn device_deleting(conn: &mut AnyConnection, device_id: i64) -> Result<(), DbError> {
    if let Some(asset_id) = store::asset_of_device(conn, device_id).await? {
        store::unlink_device(conn, asset_id, device_id).await?;
    }
    Ok(())
}
