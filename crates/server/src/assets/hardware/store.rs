//! SQL for `hardware_assets`, `asset_links` and the asset side of `devices.asset_id`.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::assets::hardware::model::{
    AssetFilter, AssetSort, HardwareAsset, LinkedDevice, RelatedAsset,
};
use crate::core::db::{Backend, Db, DbError};
use crate::core::paging::{Cursor, SortValue};
use crate::core::sql::{contains_pattern, ids_in, Where};

const COLUMNS: &str = "a.id, a.asset_number, a.name, a.type_id, a.status_id, a.planned_status_id, \
     a.planned_on, a.department_id, a.location_id, a.user_name, a.user_account, a.user_email, \
     a.user_phone, a.stocktaken_on, a.device_id, a.hostname, a.serial, a.ip_address, \
     a.mac_address, a.custom, a.created_at, a.created_by, a.updated_at, a.version";

fn asset(row: &AnyRow) -> Result<HardwareAsset, DbError> {
    let custom: String = row.try_get(19)?;
    Ok(HardwareAsset {
        id: row.try_get(0)?,
        asset_number: row.try_get(1)?,
        name: row.try_get(2)?,
        type_id: row.try_get(3)?,
        status_id: row.try_get(4)?,
        planned_status_id: row.try_get(5)?,
        planned_on: row.try_get(6)?,
        department_id: row.try_get(7)?,
        location_id: row.try_get(8)?,
        user_name: row.try_get(9)?,
        user_account: row.try_get(10)?,
        user_email: row.try_get(11)?,
        user_phone: row.try_get(12)?,
        stocktaken_on: row.try_get(13)?,
        device_id: row.try_get(14)?,
        hostname: row.try_get(15)?,
        serial: row.try_get(16)?,
        ip_address: row.try_get(17)?,
        mac_address: row.try_get(18)?,
        custom: serde_json::from_str(&custom)
            .map_err(|e| DbError::Corrupt(format!("custom fields of asset: {e}")))?,
        created_at: row.try_get(20)?,
        created_by: row.try_get(21)?,
        updated_at: row.try_get(22)?,
        version: row.try_get(23)?,
    })
}

/// The values of an asset that people and imports set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssetFields {
    /// Asset number.
    pub asset_number: String,
    /// Name.
    pub name: String,
    /// Device type id.
    pub type_id: i64,
    /// Status id.
    pub status_id: i64,
    /// Planned status id.
    pub planned_status_id: Option<i64>,
    /// Planned day.
    pub planned_on: Option<String>,
    /// Department.
    pub department_id: Option<i64>,
    /// Location.
    pub location_id: Option<i64>,
    /// User name.
    pub user_name: String,
    /// User account.
    pub user_account: String,
    /// User e-mail.
    pub user_email: String,
    /// User phone.
    pub user_phone: String,
    /// Stocktake day.
    pub stocktaken_on: Option<String>,
    /// Host name.
    pub hostname: String,
    /// Serial.
    pub serial: String,
    /// IP address.
    pub ip_address: String,
    /// MAC address.
    pub mac_address: String,
    /// Custom values (a JSON object).
    pub custom: serde_json::Value,
}

impl AssetFields {
    /// The editable values of a stored asset.
    pub fn of(asset: &HardwareAsset) -> AssetFields {
        AssetFields {
            asset_number: asset.asset_number.clone(),
            name: asset.name.clone(),
            type_id: asset.type_id,
            status_id: asset.status_id,
            planned_status_id: asset.planned_status_id,
            planned_on: asset.planned_on.clone(),
            department_id: asset.department_id,
            location_id: asset.location_id,
            user_name: asset.user_name.clone(),
            user_account: asset.user_account.clone(),
            user_email: asset.user_email.clone(),
            user_phone: asset.user_phone.clone(),
            stocktaken_on: asset.stocktaken_on.clone(),
            hostname: asset.hostname.clone(),
            serial: asset.serial.clone(),
            ip_address: asset.ip_address.clone(),
            mac_address: asset.mac_address.clone(),
            custom: asset.custom.clone(),
        }
    }
}

/// One asset.
///
/// # Errors
/// [`DbError::NotFound`] or other database errors.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<HardwareAsset, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM hardware_assets a WHERE a.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(DbError::NotFound)?;
    asset(&row)
}

/// Several assets, in no particular order (absent ids are left out).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn get_many(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<Vec<HardwareAsset>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM hardware_assets a WHERE {}",
        ids_in("a.id", ids)
    ))
    .fetch_all(conn)
    .await?;
    rows.iter().map(asset).collect()
}

/// The columns an import may match assets by (its mapping keys).
pub const KEY_COLUMNS: [&str; 5] = [
    "asset_number",
    "serial",
    "ip_address",
    "mac_address",
    "hostname",
];

/// Calls `f` with the value, id and department of every asset whose `column` (one of
/// [`KEY_COLUMNS`]) is set, streaming: an import reads them once instead of once per row.
///
/// # Errors
/// [`DbError`] from the database; [`DbError::Corrupt`] for another column.
pub async fn each_key(
    conn: &mut AnyConnection,
    column: &str,
    mut f: impl FnMut(String, i64, Option<i64>),
) -> Result<(), DbError> {
    let column = KEY_COLUMNS
        .iter()
        .find(|known| **known == column)
        .ok_or_else(|| DbError::Corrupt(format!("{column} is not a key column")))?;
    let sql =
        format!("SELECT {column}, id, department_id FROM hardware_assets WHERE {column} <> ''");
    let mut rows = sqlx::query(&sql).fetch(conn);
    while let Some(row) = rows.try_next().await? {
        f(row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    }
    Ok(())
}

/// The number and department of each of `ids` (absent ids are left out): what a contract's
/// export writes for the assets it covers, and what its import keeps when a row cannot name
/// them.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn numbers_of(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<HashMap<i64, (String, Option<i64>)>, DbError> {
    let mut out = HashMap::with_capacity(ids.len());
    if ids.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT id, asset_number, department_id FROM hardware_assets WHERE {}",
        ids_in("id", ids)
    );
    let mut rows = sqlx::query(&sql).fetch(conn);
    while let Some(row) = rows.try_next().await? {
        out.insert(row.try_get(0)?, (row.try_get(1)?, row.try_get(2)?));
    }
    Ok(out)
}

/// Inserts an asset; returns its id.
///
/// # Errors
/// [`DbError`] from the database (a taken asset number violates its unique index).
pub async fn insert(
    conn: &mut AnyConnection,
    fields: &AssetFields,
    device_id: Option<i64>,
    created_by: &str,
    now: i64,
) -> Result<i64, DbError> {
    let row = sqlx::query(
        "INSERT INTO hardware_assets (asset_number, name, type_id, status_id, planned_status_id, \
         planned_on, department_id, location_id, user_name, user_account, user_email, user_phone, \
         stocktaken_on, hostname, serial, ip_address, mac_address, custom, device_id, created_at, \
         created_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
         $14, $15, $16, $17, $18, $19, $20, $21, $20) RETURNING id",
    )
    .bind(fields.asset_number.as_str())
    .bind(fields.name.as_str())
    .bind(fields.type_id)
    .bind(fields.status_id)
    .bind(fields.planned_status_id)
    .bind(fields.planned_on.as_deref())
    .bind(fields.department_id)
    .bind(fields.location_id)
    .bind(fields.user_name.as_str())
    .bind(fields.user_account.as_str())
    .bind(fields.user_email.as_str())
    .bind(fields.user_phone.as_str())
    .bind(fields.stocktaken_on.as_deref())
    .bind(fields.hostname.as_str())
    .bind(fields.serial.as_str())
    .bind(fields.ip_address.as_str())
    .bind(fields.mac_address.as_str())
    .bind(fields.custom.to_string())
    .bind(device_id)
    .bind(now)
    .bind(created_by)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// Writes an asset's values if it is still at `version`; returns whether it was.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn update(
    conn: &mut AnyConnection,
    id: i64,
    fields: &AssetFields,
    version: i64,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE hardware_assets SET asset_number = $1, name = $2, type_id = $3, status_id = $4, \
         planned_status_id = $5, planned_on = $6, department_id = $7, location_id = $8, \
         user_name = $9, user_account = $10, user_email = $11, user_phone = $12, \
         stocktaken_on = $13, hostname = $14, serial = $15, ip_address = $16, mac_address = $17, \
         custom = $18, updated_at = $19, version = version + 1 WHERE id = $20 AND version = $21",
    )
    .bind(fields.asset_number.as_str())
    .bind(fields.name.as_str())
    .bind(fields.type_id)
    .bind(fields.status_id)
    .bind(fields.planned_status_id)
    .bind(fields.planned_on.as_deref())
    .bind(fields.department_id)
    .bind(fields.location_id)
    .bind(fields.user_name.as_str())
    .bind(fields.user_account.as_str())
    .bind(fields.user_email.as_str())
    .bind(fields.user_phone.as_str())
    .bind(fields.stocktaken_on.as_deref())
    .bind(fields.hostname.as_str())
    .bind(fields.serial.as_str())
    .bind(fields.ip_address.as_str())
    .bind(fields.mac_address.as_str())
    .bind(fields.custom.to_string())
    .bind(now)
    .bind(id)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes an asset; its device records and related-asset links let go of it.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE devices SET asset_id = NULL WHERE asset_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM asset_links WHERE asset_id = $1 OR other_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM hardware_assets WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether another asset has this number.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn number_taken(
    conn: &mut AnyConnection,
    number: &str,
    except: Option<i64>,
) -> Result<bool, DbError> {
    Ok(sqlx::query(
        "SELECT 1 FROM hardware_assets WHERE asset_number = $1 AND id <> COALESCE($2, 0)",
    )
    .bind(number)
    .bind(except)
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// A pre-registered asset waiting for the device with this serial: no device record yet and
/// not disposed (the oldest, if several).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn waiting_for_serial(
    conn: &mut AnyConnection,
    serial: &str,
    disposed: i64,
) -> Result<Option<i64>, DbError> {
    let row = sqlx::query(
        "SELECT id FROM hardware_assets WHERE serial = $1 AND device_id IS NULL \
         AND status_id <> $2 ORDER BY id LIMIT 1",
    )
    .bind(serial)
    .bind(disposed)
    .fetch_optional(conn)
    .await?;
    row.map(|row| row.try_get(0))
        .transpose()
        .map_err(Into::into)
}

/// The device facts an asset copies from its representative.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceFacts {
    /// Host name.
    pub hostname: Option<String>,
    /// Serial.
    pub serial: Option<String>,
    /// IP address.
    pub ip_address: Option<String>,
    /// MAC address.
    pub mac_address: Option<String>,
}

/// Copies a device's facts onto the asset it represents (a `None` keeps the value), and
/// only when one differs, so an unchanged inventory writes nothing.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn copy_device_facts(
    conn: &mut AnyConnection,
    device_id: i64,
    facts: &DeviceFacts,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE hardware_assets SET hostname = COALESCE($1, hostname), \
         serial = COALESCE($2, serial), ip_address = COALESCE($3, ip_address), \
         mac_address = COALESCE($4, mac_address) WHERE device_id = $5 \
         AND (hostname <> COALESCE($1, hostname) OR serial <> COALESCE($2, serial) \
         OR ip_address <> COALESCE($3, ip_address) OR mac_address <> COALESCE($4, mac_address))",
    )
    .bind(facts.hostname.as_deref())
    .bind(facts.serial.as_deref())
    .bind(facts.ip_address.as_deref())
    .bind(facts.mac_address.as_deref())
    .bind(device_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The device facts of a device, as an asset copies them.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn facts_of_device(
    conn: &mut AnyConnection,
    device_id: i64,
) -> Result<DeviceFacts, DbError> {
    let row =
        sqlx::query("SELECT hostname, serial, primary_ip, primary_mac FROM devices WHERE id = $1")
            .bind(device_id)
            .fetch_optional(conn)
            .await?
            .ok_or(DbError::NotFound)?;
    Ok(DeviceFacts {
        hostname: Some(row.try_get(0)?),
        serial: Some(row.try_get(1)?),
        ip_address: Some(row.try_get(2)?),
        mac_address: Some(row.try_get::<String, _>(3)?.to_lowercase()),
    })
}

/// Links a device record to an asset (taking it from any other asset); as representative,
/// the asset copies its facts.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn link_device(
    conn: &mut AnyConnection,
    asset_id: i64,
    device_id: i64,
    representative: bool,
) -> Result<(), DbError> {
    let previous: Option<i64> = sqlx::query("SELECT asset_id FROM devices WHERE id = $1")
        .bind(device_id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| row.try_get(0))
        .transpose()?
        .flatten();
    sqlx::query("UPDATE devices SET asset_id = $1 WHERE id = $2")
        .bind(asset_id)
        .bind(device_id)
        .execute(&mut *conn)
        .await?;
    if let Some(previous) = previous.filter(|p| *p != asset_id) {
        repick_representative(conn, previous).await?;
    }
    if representative {
        sqlx::query("UPDATE hardware_assets SET device_id = $1 WHERE id = $2")
            .bind(device_id)
            .bind(asset_id)
            .execute(&mut *conn)
            .await?;
        let facts = facts_of_device(conn, device_id).await?;
        copy_device_facts(conn, device_id, &facts).await?;
    } else {
        repick_representative(conn, asset_id).await?;
    }
    Ok(())
}

/// Takes a device record off its asset.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn unlink_device(
    conn: &mut AnyConnection,
    asset_id: i64,
    device_id: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE devices SET asset_id = NULL WHERE id = $1 AND asset_id = $2")
        .bind(device_id)
        .bind(asset_id)
        .execute(&mut *conn)
        .await?;
    repick_representative(conn, asset_id).await?;
    Ok(done.rows_affected() == 1)
}

/// After a device record left an asset (or was deleted), makes sure the representative is one
/// of the asset's records: kept if still linked, else the lowest id, else none.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn repick_representative(conn: &mut AnyConnection, asset_id: i64) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE hardware_assets SET device_id = (SELECT MIN(d.id) FROM devices d \
         WHERE d.asset_id = hardware_assets.id) WHERE id = $1 AND (device_id IS NULL \
         OR NOT EXISTS (SELECT 1 FROM devices d WHERE d.id = hardware_assets.device_id \
         AND d.asset_id = hardware_assets.id))",
    )
    .bind(asset_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The asset a device record belongs to.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn asset_of_device(
    conn: &mut AnyConnection,
    device_id: i64,
) -> Result<Option<i64>, DbError> {
    Ok(sqlx::query("SELECT asset_id FROM devices WHERE id = $1")
        .bind(device_id)
        .fetch_optional(conn)
        .await?
        .map(|row| row.try_get::<Option<i64>, _>(0))
        .transpose()?
        .flatten())
}

/// The device records of an asset, representative first.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn devices_of(
    conn: &mut AnyConnection,
    asset_id: i64,
) -> Result<Vec<LinkedDevice>, DbError> {
    let rows = sqlx::query(
        "SELECT d.id, d.hostname, d.state, d.serial, d.last_seen, \
         CASE WHEN a.device_id = d.id THEN 1 ELSE 0 END AS rep \
         FROM devices d JOIN hardware_assets a ON a.id = d.asset_id \
         WHERE d.asset_id = $1 ORDER BY rep DESC, d.id",
    )
    .bind(asset_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(LinkedDevice {
                id: row.try_get(0)?,
                hostname: row.try_get(1)?,
                state: row.try_get(2)?,
                serial: row.try_get(3)?,
                last_seen: row.try_get(4)?,
                representative: row.try_get::<i64, _>(5)? != 0,
            })
        })
        .collect()
}

/// The ids of an asset's device records.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn device_ids_of(conn: &mut AnyConnection, asset_id: i64) -> Result<Vec<i64>, DbError> {
    let rows = sqlx::query("SELECT id FROM devices WHERE asset_id = $1 ORDER BY id")
        .bind(asset_id)
        .fetch_all(conn)
        .await?;
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}

/// Gives an asset's device records the asset's department and location (they are one value
/// shared by the asset and its devices, which department scope reads).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn place_devices(
    conn: &mut AnyConnection,
    asset_id: i64,
    department_id: Option<i64>,
    location_id: Option<i64>,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE devices SET department_id = $1, location_id = $2 WHERE asset_id = $3 \
         AND (COALESCE(department_id, 0) <> COALESCE($1, 0) \
         OR COALESCE(location_id, 0) <> COALESCE($2, 0))",
    )
    .bind(department_id)
    .bind(location_id)
    .bind(asset_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets the department and location of an asset and of its other device records, after one
/// of its devices moved (the value is shared).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn place_asset(
    conn: &mut AnyConnection,
    asset_id: i64,
    department_id: Option<i64>,
    location_id: Option<i64>,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE hardware_assets SET department_id = $1, location_id = $2, updated_at = $3, \
         version = version + 1 WHERE id = $4 AND (COALESCE(department_id, 0) <> COALESCE($1, 0) \
         OR COALESCE(location_id, 0) <> COALESCE($2, 0))",
    )
    .bind(department_id)
    .bind(location_id)
    .bind(now)
    .bind(asset_id)
    .execute(&mut *conn)
    .await?;
    place_devices(conn, asset_id, department_id, location_id).await
}

/// The assets related to one.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn related(conn: &mut AnyConnection, id: i64) -> Result<Vec<RelatedAsset>, DbError> {
    let rows = sqlx::query(
        "SELECT a.id, a.asset_number, a.name, a.status_id FROM hardware_assets a \
         WHERE a.id IN (SELECT other_id FROM asset_links WHERE asset_id = $1 \
                        UNION SELECT asset_id FROM asset_links WHERE other_id = $1) \
         ORDER BY a.id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(RelatedAsset {
                id: row.try_get(0)?,
                asset_number: row.try_get(1)?,
                name: row.try_get(2)?,
                status_id: row.try_get(3)?,
            })
        })
        .collect()
}

/// Relates two assets (idempotent).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn add_link(conn: &mut AnyConnection, a: i64, b: i64, now: i64) -> Result<(), DbError> {
    let (low, high) = if a < b { (a, b) } else { (b, a) };
    sqlx::query(
        "INSERT INTO asset_links (asset_id, other_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (asset_id, other_id) DO NOTHING",
    )
    .bind(low)
    .bind(high)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a relation; returns whether there was one.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn remove_link(conn: &mut AnyConnection, a: i64, b: i64) -> Result<bool, DbError> {
    let (low, high) = if a < b { (a, b) } else { (b, a) };
    let done = sqlx::query("DELETE FROM asset_links WHERE asset_id = $1 AND other_id = $2")
        .bind(low)
        .bind(high)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The sort expression of a column on `hardware_assets a`.
fn sort_expr(sort: AssetSort) -> &'static str {
    match sort {
        AssetSort::Id => "a.id",
        AssetSort::AssetNumber => "a.asset_number",
        AssetSort::Name => "a.name",
        AssetSort::Status => "a.status_id",
        AssetSort::Type => "a.type_id",
        AssetSort::Hostname => "a.hostname",
        AssetSort::Serial => "a.serial",
        AssetSort::IpAddress => "a.ip_address",
        AssetSort::UserName => "a.user_name",
        AssetSort::Department => {
            "COALESCE((SELECT t.name FROM departments t WHERE t.id = a.department_id), '')"
        }
        AssetSort::Location => {
            "COALESCE((SELECT t.name FROM locations t WHERE t.id = a.location_id), '')"
        }
        AssetSort::CreatedAt => "a.created_at",
        AssetSort::StocktakenOn => "COALESCE(a.stocktaken_on, '')",
        AssetSort::PlannedOn => "COALESCE(a.planned_on, '')",
    }
}

/// The conditions of `filter` on `hardware_assets a`.
fn conditions(filter: &AssetFilter, backend: Backend) -> Where {
    let mut w = Where::new();
    if let Some(scope) = &filter.scope {
        w.push(ids_in("a.department_id", scope));
    }
    if let Some(ids) = &filter.ids {
        w.push(ids_in("a.id", ids));
    }
    if let Some(status) = filter.status {
        let p = w.int(status);
        w.push(format!("a.status_id = {p}"));
    }
    if let Some(planned) = filter.planned_status {
        let p = w.int(planned);
        w.push(format!("a.planned_status_id = {p}"));
    }
    match filter.planned {
        Some(true) => w.push("a.planned_status_id IS NOT NULL"),
        Some(false) => w.push("a.planned_status_id IS NULL"),
        None => {}
    }
    if let Some(type_id) = filter.type_id {
        let p = w.int(type_id);
        w.push(format!("a.type_id = {p}"));
    }
    for (column, value) in [
        ("a.asset_number", &filter.asset_number),
        ("a.name", &filter.name),
        ("a.hostname", &filter.hostname),
    ] {
        if let Some(value) = value {
            let p = w.text(contains_pattern(value));
            w.push(format!("LOWER({column}) LIKE {p} ESCAPE '\\'"));
        }
    }
    if let Some(user) = &filter.user {
        let p = w.text(contains_pattern(user));
        w.push(format!(
            "(LOWER(a.user_name) LIKE {p} ESCAPE '\\' OR LOWER(a.user_account) LIKE {p} ESCAPE '\\' \
             OR LOWER(a.user_email) LIKE {p} ESCAPE '\\')"
        ));
    }
    for (column, value) in [
        ("a.serial", &filter.serial),
        ("a.ip_address", &filter.ip_address),
        ("a.mac_address", &filter.mac_address),
    ] {
        if let Some(value) = value {
            let p = w.text(value.clone());
            w.push(format!("{column} = {p}"));
        }
    }
    if let Some(after) = filter.registered_after {
        let p = w.int(after);
        w.push(format!("a.created_at >= {p}"));
    }
    if let Some(before) = filter.registered_before {
        let p = w.int(before);
        w.push(format!("a.created_at < {p}"));
    }
    if let Some(before) = &filter.stocktaken_before {
        let p = w.text(before.clone());
        w.push(format!(
            "(a.stocktaken_on IS NULL OR a.stocktaken_on < {p})"
        ));
    }
    if let Some(after) = &filter.stocktaken_after {
        let p = w.text(after.clone());
        w.push(format!("a.stocktaken_on >= {p}"));
    }
    if let Some(before) = &filter.planned_before {
        let p = w.text(before.clone());
        w.push(format!("a.planned_on <= {p}"));
    }
    match filter.linked {
        Some(true) => w.push("a.device_id IS NOT NULL"),
        Some(false) => w.push("a.device_id IS NULL"),
        None => {}
    }
    match (&filter.department, &filter.in_departments) {
        (Some(None), _) => w.push("a.department_id IS NULL"),
        (Some(Some(_)), Some(ids)) => w.push(ids_in("a.department_id", ids)),
        _ => {}
    }
    match (&filter.location, &filter.in_locations) {
        (Some(None), _) => w.push("a.location_id IS NULL"),
        (Some(Some(_)), Some(ids)) => w.push(ids_in("a.location_id", ids)),
        _ => {}
    }
    for condition in &filter.custom {
        crate::assets::fields::store::push_condition(&mut w, backend, "a.custom", condition);
    }
    w
}

/// One page of the filtered list, with the cursor of the next page.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn page(
    db: &Db,
    filter: &AssetFilter,
    (sort, descending): (AssetSort, bool),
    after: Option<&Cursor>,
    limit: u32,
) -> Result<(Vec<HardwareAsset>, Option<Cursor>), DbError> {
    let mut w = conditions(filter, db.backend());
    let expr = sort_expr(sort);
    let order = w.keyset(expr, "a.id", descending, after);
    let limit_param = w.int(i64::from(limit) + 1);
    let sql = format!(
        "SELECT {COLUMNS}, {expr} FROM hardware_assets a{} ORDER BY {order} LIMIT {limit_param}",
        w.clause()
    );
    let rows = w.apply(sqlx::query(&sql)).fetch_all(db.read()).await?;
    let mut items = Vec::with_capacity(rows.len());
    let mut last_value = None;
    for (index, row) in rows.iter().enumerate() {
        if index == limit as usize {
            break;
        }
        items.push(asset(row)?);
        last_value = Some(if sort.numeric() {
            SortValue::Int(row.try_get(24)?)
        } else {
            SortValue::Text(row.try_get(24)?)
        });
    }
    let next = match (rows.len() > limit as usize, items.last(), last_value) {
        (true, Some(last), Some(value)) => Some(Cursor { value, id: last.id }),
        _ => None,
    };
    Ok((items, next))
}

/// How many assets match.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn count(db: &Db, filter: &AssetFilter) -> Result<i64, DbError> {
    let w = conditions(filter, db.backend());
    let sql = format!("SELECT COUNT(*) FROM hardware_assets a{}", w.clause());
    let row = w.apply(sqlx::query(&sql)).fetch_one(db.read()).await?;
    Ok(row.try_get(0)?)
}

/// The ids of the matching assets among `ids` (a bulk selection checked against scope).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn matching_ids(
    conn: &mut AnyConnection,
    backend: Backend,
    filter: &AssetFilter,
) -> Result<Vec<i64>, DbError> {
    let w = conditions(filter, backend);
    let sql = format!(
        "SELECT a.id FROM hardware_assets a{} ORDER BY a.id",
        w.clause()
    );
    let rows = w.apply(sqlx::query(&sql)).fetch_all(conn).await?;
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}

/// When the user last completed the user-information form for an asset (0: never).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn user_info_at(conn: &mut AnyConnection, id: i64) -> Result<i64, DbError> {
    Ok(
        sqlx::query("SELECT user_info_at FROM hardware_assets WHERE id = $1")
            .bind(id)
            .fetch_one(conn)
            .await?
            .try_get(0)?,
    )
}

/// Records that the user completed the user-information form.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn set_user_info_at(conn: &mut AnyConnection, id: i64, at: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE hardware_assets SET user_info_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
