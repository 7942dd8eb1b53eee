//! SQL for `devices` and `device_addresses`.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::core::db::{
    list_placeholders, not_found, values_placeholders, Backend, Db, DbError, BATCH_ROWS,
};
use crate::core::paging::{Cursor, SortValue};
use crate::devices::model::{Device, DeviceFacts, DeviceFilter, DeviceState, SortKey};

/// Condition "host name contains `?`" (a lower-cased `LIKE` pattern). On PostgreSQL it is
/// served by the trigram index `devices_hostname_trgm` (migration 0010), which indexes this
/// exact expression.
pub const HOSTNAME_CONTAINS_SQL: &str = "LOWER(d.hostname) LIKE ? ESCAPE '\\'";

const COLUMNS: &str = "d.id, d.state, d.hostname, d.serial, d.hw_uuid, d.manufacturer, d.model, d.os_name, \
     d.os_version, d.primary_ip, d.primary_mac, d.memory_bytes, d.agent_version, d.agent_active, d.notes, \
     d.created_at, d.updated_at, d.last_seen, d.inventory_at, d.version, d.department_id, d.location_id";

fn device_from_row(row: &AnyRow) -> Result<Device, DbError> {
    let state: String = row.try_get(1)?;
    Ok(Device {
        id: row.try_get(0)?,
        state: DeviceState::parse(&state)
            .ok_or_else(|| DbError::Corrupt(format!("device state {state:?}")))?,
        hostname: row.try_get(2)?,
        serial: row.try_get(3)?,
        hw_uuid: row.try_get(4)?,
        manufacturer: row.try_get(5)?,
        model: row.try_get(6)?,
        os_name: row.try_get(7)?,
        os_version: row.try_get(8)?,
        primary_ip: row.try_get(9)?,
        primary_mac: row.try_get(10)?,
        memory_bytes: row.try_get(11)?,
        agent_version: row.try_get(12)?,
        agent_active: row.try_get::<i64, _>(13)? != 0,
        notes: row.try_get(14)?,
        created_at: row.try_get(15)?,
        updated_at: row.try_get(16)?,
        last_seen: row.try_get(17)?,
        inventory_at: row.try_get(18)?,
        version: row.try_get(19)?,
        department_id: row.try_get(20)?,
        location_id: row.try_get(21)?,
    })
}

/// A device row to create.
#[derive(Debug, Clone)]
pub struct NewDevice<'a> {
    /// Initial state.
    pub state: DeviceState,
    /// Host name.
    pub hostname: &'a str,
    /// Host identifier, for agent devices.
    pub host_id: Option<&'a str>,
    /// Cleaned serial.
    pub serial: &'a str,
    /// Cleaned UUID.
    pub hw_uuid: &'a str,
}

/// Creates a device and returns its id.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert_device(
    conn: &mut AnyConnection,
    device: &NewDevice<'_>,
    now: i64,
) -> Result<i64, DbError> {
    let row = sqlx::query(
        "INSERT INTO devices (state, hostname, host_id, serial, hw_uuid, created_at, updated_at, last_seen) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $6) RETURNING id",
    )
    .bind(device.state.as_str())
    .bind(device.hostname)
    .bind(device.host_id)
    .bind(device.serial)
    .bind(device.hw_uuid)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// One device.
///
/// # Errors
/// [`DbError::NotFound`] when it does not exist.
pub async fn get_device(conn: &mut AnyConnection, id: i64) -> Result<Device, DbError> {
    fetch_device(conn, id, "").await
}

async fn fetch_device(conn: &mut AnyConnection, id: i64, suffix: &str) -> Result<Device, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM devices d WHERE d.id = $1{suffix}");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_one(conn)
        .await
        .map_err(not_found)?;
    device_from_row(&row)
}

/// A device, locked until the caller's transaction ends (PostgreSQL `FOR UPDATE`; SQLite
/// transactions on the single writer connection are exclusive already), so two uploads of
/// one device apply one after the other, each diffing against what the other wrote.
///
/// # Errors
/// [`DbError::NotFound`] for an unknown id.
pub async fn lock_device(
    conn: &mut AnyConnection,
    backend: Backend,
    id: i64,
) -> Result<Device, DbError> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    fetch_device(conn, id, lock).await
}

/// Sets the lifecycle state and/or notes (absent ones keep their value), only at
/// `expected_version` when given; returns whether a row changed. The version check is in the
/// UPDATE, so two concurrent edits cannot both win.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn update_device(
    conn: &mut AnyConnection,
    id: i64,
    state: Option<DeviceState>,
    notes: Option<&str>,
    places: Places,
    expected_version: Option<i64>,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE devices SET state = COALESCE($1, state), notes = COALESCE($2, notes), updated_at = $3, \
         department_id = CASE WHEN $6 = 1 THEN $7 ELSE department_id END, \
         location_id = CASE WHEN $8 = 1 THEN $9 ELSE location_id END, \
         version = version + 1 WHERE id = $4 AND ($5 IS NULL OR version = $5)",
    )
    .bind(state.map(DeviceState::as_str))
    .bind(notes)
    .bind(now)
    .bind(id)
    .bind(expected_version)
    .bind(i64::from(places.department.is_some()))
    .bind(places.department.flatten())
    .bind(i64::from(places.location.is_some()))
    .bind(places.location.flatten())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A device's department and location to set: `None` keeps, `Some(None)` clears.
#[derive(Debug, Clone, Copy, Default)]
pub struct Places {
    /// Department.
    pub department: Option<Option<i64>>,
    /// Location.
    pub location: Option<Option<i64>>,
}

/// Records the agent that reports for a device (or that none does).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn update_agent(
    conn: &mut AnyConnection,
    id: i64,
    host_id: Option<&str>,
    agent_version: &str,
    active: bool,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE devices SET host_id = $1, agent_version = $2, agent_active = $3 WHERE id = $4",
    )
    .bind(host_id)
    .bind(agent_version)
    .bind(i64::from(active))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes the summary columns an inventory provides; absent facts keep their value.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn update_facts(
    conn: &mut AnyConnection,
    id: i64,
    facts: &DeviceFacts,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE devices SET hostname = COALESCE($1, hostname), serial = COALESCE($2, serial), \
         hw_uuid = COALESCE($3, hw_uuid), manufacturer = COALESCE($4, manufacturer), \
         model = COALESCE($5, model), os_name = COALESCE($6, os_name), os_version = COALESCE($7, os_version), \
         primary_ip = COALESCE($8, primary_ip), primary_mac = COALESCE($9, primary_mac), \
         memory_bytes = COALESCE($10, memory_bytes), inventory_at = $11, updated_at = $11 WHERE id = $12",
    )
    .bind(facts.hostname.as_deref())
    .bind(facts.serial.as_deref())
    .bind(facts.hw_uuid.as_deref())
    .bind(facts.manufacturer.as_deref())
    .bind(facts.model.as_deref())
    .bind(facts.os_name.as_deref())
    .bind(facts.os_version.as_deref())
    .bind(facts.primary_ip.as_deref())
    .bind(facts.primary_mac.as_deref())
    .bind(facts.memory_bytes)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks that an inventory arrived without changing summary facts.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn touch_inventory(conn: &mut AnyConnection, id: i64, now: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE devices SET inventory_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Replaces a device's addresses, `(kind, value)` pairs such as `("ip", "192.0.2.7")`, in two
/// statements whatever their number; IPs get their range key (see [`addresses`]).
///
/// [`addresses`]: crate::devices::addresses
///
/// # Errors
/// [`DbError`] from the database.
pub async fn replace_addresses(
    conn: &mut AnyConnection,
    id: i64,
    addresses: &[(&str, &str)],
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM device_addresses WHERE device_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for chunk in addresses.chunks(BATCH_ROWS) {
        let sql = format!(
            "INSERT INTO device_addresses (device_id, kind, value, ip_key) VALUES {} \
             ON CONFLICT DO NOTHING",
            values_placeholders(chunk.len(), 4)
        );
        let mut query = sqlx::query(&sql);
        for (kind, value) in chunk {
            let key = match *kind {
                "ip" => Some(crate::devices::addresses::ip_key(value).unwrap_or_default()),
                _ => None,
            };
            query = query.bind(id).bind(*kind).bind(*value).bind(key);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Deletes a device; its addresses, sections, installs and agent rows go with it.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn delete_device(conn: &mut AnyConnection, id: i64) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM devices WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Devices in a state.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn count_in_state(conn: &mut AnyConnection, state: DeviceState) -> Result<i64, DbError> {
    let row = sqlx::query("SELECT COUNT(*) FROM devices WHERE state = $1")
        .bind(state.as_str())
        .fetch_one(conn)
        .await?;
    Ok(row.try_get(0)?)
}

/// Writes buffered last-contact times in one statement per chunk; a time never moves back.
/// Each chunk travels as one JSON parameter: SQLite's `sqlite3_bind_parameter_name` walks the
/// statement's parameter list, so binding two values per device cost time quadratic in the
/// chunk (6 % of the server's CPU at 10,000 check-ins/s with 1,000 binds per statement).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn update_last_seen(db: &Db, entries: &[(i64, i64)]) -> Result<(), DbError> {
    let mut tx = db.write().begin().await?;
    update_last_seen_in(&mut tx, db.backend(), entries).await?;
    tx.commit().await?;
    Ok(())
}

/// [`update_last_seen`] inside the caller's transaction (tests look at what it did to the
/// table before it commits).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn update_last_seen_in(
    conn: &mut AnyConnection,
    backend: Backend,
    entries: &[(i64, i64)],
) -> Result<(), DbError> {
    let rows = crate::core::db::json_rows(backend, 1, &[("id", "BIGINT"), ("seen", "BIGINT")]);
    let sql = format!(
        "UPDATE devices SET last_seen = v.seen FROM ({rows}) AS v \
         WHERE devices.id = v.id AND devices.last_seen < v.seen"
    );
    for chunk in entries.chunks(LAST_SEEN_CHUNK) {
        let param =
            serde_json::to_string(chunk).map_err(|error| DbError::Corrupt(error.to_string()))?;
        sqlx::query(&sql).bind(param).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Devices per last-seen statement: one parameter either way, so the chunk only bounds the
/// statement's working memory.
const LAST_SEEN_CHUNK: usize = 5_000;

/// Devices whose host identifier is `host_id`: (id, last_seen, agent_active).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_by_host_id(
    conn: &mut AnyConnection,
    host_id: &str,
) -> Result<Vec<(i64, i64, bool)>, DbError> {
    let rows = sqlx::query("SELECT id, last_seen, agent_active FROM devices WHERE host_id = $1")
        .bind(host_id)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get::<i64, _>(2)? != 0,
            ))
        })
        .collect()
}

/// Devices with this serial and UUID (both already known not to be placeholders).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_by_serial_uuid(
    conn: &mut AnyConnection,
    serial: &str,
    uuid: &str,
) -> Result<Vec<i64>, DbError> {
    let rows = sqlx::query("SELECT id FROM devices WHERE serial = $1 AND hw_uuid = $2")
        .bind(serial)
        .bind(uuid)
        .fetch_all(conn)
        .await?;
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}

/// Devices without an active agent that have this host name.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_agentless_by_hostname(
    conn: &mut AnyConnection,
    hostname: &str,
) -> Result<Vec<i64>, DbError> {
    let rows = sqlx::query("SELECT id FROM devices WHERE hostname = $1 AND agent_active = 0")
        .bind(hostname)
        .fetch_all(conn)
        .await?;
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}

/// Devices without an active agent that reported any of these MACs.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_agentless_by_macs(
    conn: &mut AnyConnection,
    macs: &[String],
) -> Result<Vec<i64>, DbError> {
    if macs.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT DISTINCT a.device_id FROM device_addresses a JOIN devices d ON d.id = a.device_id \
         WHERE a.kind = 'mac' AND a.value IN ({}) AND d.agent_active = 0",
        list_placeholders(1, macs.len())
    );
    let mut query = sqlx::query(&sql);
    for mac in macs {
        query = query.bind(mac.as_str());
    }
    let rows = query.fetch_all(conn).await?;
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}

/// A page of devices, keyset-paginated on (sort column, id).
///
/// `software` holds the inventory feature's software conditions.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_devices(
    db: &Db,
    filter: &DeviceFilter,
    sort: SortKey,
    descending: bool,
    after: Option<&Cursor>,
    limit: u32,
    software: SoftwareSql<'_>,
) -> Result<Vec<Device>, DbError> {
    let (select, binds) = page_sql(filter, sort, descending, after, limit, software);
    let sql = format!("SELECT {COLUMNS} {select}");
    let rows = bound(sqlx::query(&sql), &binds)
        .fetch_all(db.read())
        .await?;
    rows.iter().map(device_from_row).collect()
}

/// [`list_devices`] read as one row: the page's devices packed into one JSON array in the
/// database, then parsed here. The CSV export reads this way: sqlx's SQLite driver hands each
/// row to the caller's task on its own, which cost more than the query when pages of 2,000
/// rows stream by.
///
/// # Errors
/// [`DbError`] from the database; [`DbError::Corrupt`] for a row that does not parse.
pub async fn list_devices_packed(
    db: &Db,
    filter: &DeviceFilter,
    sort: SortKey,
    descending: bool,
    after: Option<&Cursor>,
    limit: u32,
    software: SoftwareSql<'_>,
) -> Result<Vec<Device>, DbError> {
    let (select, binds) = page_sql(filter, sort, descending, after, limit, software);
    // SQLite forgets that a subquery's column holds JSON: `json()` says so again, or the
    // array would hold each row as a string.
    let (aggregate, element, array) = match db.backend() {
        Backend::Sqlite => ("json_group_array", "json(p.r)", "json_array"),
        Backend::Postgres => ("json_agg", "p.r", "json_build_array"),
    };
    // The aggregate orders its input itself: neither database promises that it keeps the
    // order of a subquery.
    let order = if descending { "DESC" } else { "ASC" };
    let sql = format!(
        "SELECT CAST(COALESCE({aggregate}({element} ORDER BY p.k {order}, p.i {order}), '[]') AS TEXT) \
         FROM (SELECT {array}({COLUMNS}) AS r, {column} AS k, d.id AS i {select}) p",
        column = sort.column()
    );
    let row = bound(sqlx::query(&sql), &binds)
        .fetch_one(db.read())
        .await?;
    let text: String = row.try_get(0)?;
    let packed: Vec<PackedDevice> = serde_json::from_str(&text)
        .map_err(|error| DbError::Corrupt(format!("device page: {error}")))?;
    packed.into_iter().map(PackedDevice::into_device).collect()
}

/// A device as [`COLUMNS`] packs it into a JSON array (SQLite has no booleans: 0/1).
#[derive(serde::Deserialize)]
struct PackedDevice(
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    i64,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
);

impl PackedDevice {
    fn into_device(self) -> Result<Device, DbError> {
        let PackedDevice(
            id,
            state,
            hostname,
            serial,
            hw_uuid,
            manufacturer,
            model,
            os_name,
            os_version,
            primary_ip,
            primary_mac,
            memory_bytes,
            agent_version,
            agent_active,
            notes,
            created_at,
            updated_at,
            last_seen,
            inventory_at,
            version,
            department_id,
            location_id,
        ) = self;
        Ok(Device {
            id,
            state: DeviceState::parse(&state)
                .ok_or_else(|| DbError::Corrupt(format!("device state {state:?}")))?,
            hostname,
            serial,
            hw_uuid,
            manufacturer,
            model,
            os_name,
            os_version,
            primary_ip,
            primary_mac,
            memory_bytes,
            agent_version,
            agent_active: agent_active != 0,
            notes,
            created_at,
            updated_at,
            last_seen,
            inventory_at,
            version,
            department_id,
            location_id,
        })
    }
}

/// Binds `binds` in order.
fn bound<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for bind in binds {
        query = match bind {
            Bind::Text(text) => query.bind(text.as_str()),
            Bind::Int(value) => query.bind(*value),
        };
    }
    query
}

/// `FROM devices d WHERE … ORDER BY … LIMIT …` of a page and its binds in order (the
/// filter's, the cursor's, the limit).
fn page_sql(
    filter: &DeviceFilter,
    sort: SortKey,
    descending: bool,
    after: Option<&Cursor>,
    limit: u32,
    software: SoftwareSql<'_>,
) -> (String, Vec<Bind>) {
    let (mut conditions, mut binds) = filter_conditions(filter, software);
    let column = sort.column();
    let (comparison, order) = if descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some(cursor) = after {
        if sort == SortKey::Id {
            binds.push(Bind::Int(cursor.id));
            conditions.push(format!("d.id {comparison} ${}", binds.len()));
        } else {
            binds.push(match &cursor.value {
                SortValue::Int(value) => Bind::Int(*value),
                SortValue::Text(value) => Bind::Text(value.clone()),
            });
            binds.push(Bind::Int(cursor.id));
            conditions.push(format!(
                "({column}, d.id) {comparison} (${}, ${})",
                binds.len() - 1,
                binds.len()
            ));
        }
    }
    let where_clause = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    let order_clause = if sort == SortKey::Id {
        format!("d.id {order}")
    } else {
        format!("{column} {order}, d.id {order}")
    };
    binds.push(Bind::Int(i64::from(limit)));
    let sql = format!(
        "FROM devices d{where_clause} ORDER BY {order_clause} LIMIT ${}",
        binds.len()
    );
    (sql, binds)
}

/// The inventory feature's conditions "device `d` has the software named `$1`", which keep
/// the software tables out of this file: one for the installed filter (the form that is
/// faster for that package) and one for the not-installed filter.
#[derive(Debug, Clone, Copy)]
pub struct SoftwareSql<'a> {
    /// For "installed".
    pub installed: &'a str,
    /// For "not installed", negated here.
    pub absent: &'a str,
}

/// A value a filter condition binds.
enum Bind {
    Text(String),
    Int(i64),
}

/// The conditions of `filter` on the devices table `d`, numbered `$1…` in order of the binds
/// returned.
fn filter_conditions(filter: &DeviceFilter, software: SoftwareSql<'_>) -> (Vec<String>, Vec<Bind>) {
    let mut conditions: Vec<String> = Vec::new();
    let mut binds: Vec<Bind> = Vec::new();
    if let Some(ids) = &filter.departments {
        conditions.push(department_condition(ids));
    }
    match filter.in_departments.as_deref() {
        Some([]) => conditions.push("d.department_id IS NULL".into()),
        Some(ids) => conditions.push(department_condition(ids)),
        None => {}
    }
    match filter.in_locations.as_deref() {
        Some([]) => conditions.push("d.location_id IS NULL".into()),
        Some(ids) => {
            // The database's own integers, written into the SQL.
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            conditions.push(format!("d.location_id IN ({})", list.join(", ")));
        }
        None => {}
    }
    // Each `?` of a template becomes the next bind's number.
    let mut slot = |template: &str, values: Vec<Bind>| {
        let mut sql = String::new();
        let mut values = values.into_iter();
        for (i, part) in template.split('?').enumerate() {
            if i > 0 {
                if let Some(value) = values.next() {
                    binds.push(value);
                }
                sql.push_str(&format!("${}", binds.len()));
            }
            sql.push_str(part);
        }
        conditions.push(sql);
    };
    if let Some(name) = &filter.software {
        slot(
            &software.installed.replace("$1", "?"),
            vec![Bind::Text(name.clone())],
        );
    }
    if let Some(name) = &filter.software_absent {
        slot(
            &format!("NOT ({})", software.absent.replace("$1", "?")),
            vec![Bind::Text(name.clone())],
        );
    }
    if let Some(state) = filter.state {
        slot("d.state = ?", vec![Bind::Text(state.as_str().to_string())]);
    }
    if let Some(hostname) = &filter.hostname {
        slot(
            HOSTNAME_CONTAINS_SQL,
            vec![Bind::Text(contains_pattern(hostname))],
        );
    }
    if let Some(os) = &filter.os {
        slot(
            "LOWER(d.os_name || ' ' || d.os_version) LIKE ? ESCAPE '\\'",
            vec![Bind::Text(contains_pattern(os))],
        );
    }
    if let Some((first, last)) = &filter.ip_range {
        slot(
            "d.id IN (SELECT device_id FROM device_addresses WHERE ip_key BETWEEN ? AND ?)",
            vec![Bind::Text(first.clone()), Bind::Text(last.clone())],
        );
    }
    if let Some(mac) = &filter.mac {
        slot(
            "d.id IN (SELECT device_id FROM device_addresses WHERE kind = 'mac' AND value = ?)",
            vec![Bind::Text(
                mac.trim().to_ascii_lowercase().replace('-', ":"),
            )],
        );
    }
    if let Some(serial) = &filter.serial {
        slot("d.serial = ?", vec![Bind::Text(serial.trim().to_string())]);
    }
    if let Some(after) = filter.seen_after {
        slot("d.last_seen >= ?", vec![Bind::Int(after)]);
    }
    if let Some(before) = filter.seen_before {
        slot("d.last_seen < ?", vec![Bind::Int(before)]);
    }
    (conditions, binds)
}

/// Devices matching `filter` (the same conditions as [`list_devices`], so a count and the
/// list it links to agree).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn count_devices(
    db: &Db,
    filter: &DeviceFilter,
    software: SoftwareSql<'_>,
) -> Result<i64, DbError> {
    let (conditions, binds) = filter_conditions(filter, software);
    let where_clause = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    let sql = format!("SELECT COUNT(*) FROM devices d{where_clause}");
    Ok(bound(sqlx::query(&sql), &binds)
        .fetch_one(db.read())
        .await?
        .try_get(0)?)
}

/// "The device is in one of these departments", the ids written into the SQL (they are the
/// database's own integers, never caller text); none matches nothing.
fn department_condition(ids: &[i64]) -> String {
    if ids.is_empty() {
        return "1 = 0".to_string();
    }
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("d.department_id IN ({})", list.join(", "))
}

/// `%text%` with LIKE's wildcards escaped, lowercased (for [`HOSTNAME_CONTAINS_SQL`]).
pub fn contains_pattern(text: &str) -> String {
    let escaped = text
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The highest device id: an upper bound of the device count that costs one index step (a
/// count reads every row).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn highest_device_id(db: &Db) -> Result<i64, DbError> {
    let row = sqlx::query("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM devices")
        .fetch_one(db.read())
        .await?;
    Ok(row.try_get(0)?)
}

/// Devices by id, in id order.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_devices_by_ids(db: &Db, ids: &[i64]) -> Result<Vec<Device>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM devices d WHERE d.id IN ({}) ORDER BY d.id",
        list_placeholders(1, ids.len())
    );
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(db.read()).await?;
    rows.iter().map(device_from_row).collect()
}

/// Device counts grouped by `state` or by OS name, largest first (at most `limit` groups),
/// of the devices in `departments` when given.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn count_grouped(
    db: &Db,
    by_os: bool,
    departments: Option<&[i64]>,
    limit: u32,
) -> Result<Vec<(String, i64)>, DbError> {
    let column = if by_os { "d.os_name" } else { "d.state" };
    let scope = departments
        .map(|ids| format!(" WHERE {}", department_condition(ids)))
        .unwrap_or_default();
    let rows = sqlx::query(&format!(
        "SELECT {column}, COUNT(*) FROM devices d{scope} GROUP BY {column} \
         ORDER BY COUNT(*) DESC, {column} LIMIT $1"
    ))
    .bind(i64::from(limit))
    .fetch_all(db.read())
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect()
}
