//! SQL for `device_sections`, `software`, `device_installs`, the software → devices index and
//! `device_history`.

use kanri_proto::SectionKind;
use std::collections::HashMap;

use sqlx::{AnyConnection, Row};

use crate::agents::runtime::SectionHashes;
use crate::core::db::{
    json_rows, list_placeholders, values_placeholders, Backend, Db, DbError, BATCH_ROWS,
};

use crate::inventory::diff::{Change, SoftwareKey};
use crate::inventory::packed;

/// Rows per JSON batch: one parameter however many rows, so batches can be large.
const BATCH_JSON_ROWS: usize = 5000;

/// The section hashes stored for a device.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_section_hashes(db: &Db, device_id: i64) -> Result<SectionHashes, DbError> {
    let rows = sqlx::query("SELECT section, hash FROM device_sections WHERE device_id = $1")
        .bind(device_id)
        .fetch_all(db.read())
        .await?;
    let mut hashes = SectionHashes::new();
    for row in rows {
        let section: String = row.try_get(0)?;
        if let Some(kind) = SectionKind::parse(&section) {
            hashes.insert(kind, row.try_get(1)?);
        }
    }
    Ok(hashes)
}

/// One stored section's JSON.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn find_section(
    conn: &mut AnyConnection,
    device_id: i64,
    section: SectionKind,
) -> Result<Option<String>, DbError> {
    let row = sqlx::query("SELECT data FROM device_sections WHERE device_id = $1 AND section = $2")
        .bind(device_id)
        .bind(section.as_str())
        .fetch_optional(conn)
        .await?;
    Ok(match row {
        Some(row) => Some(row.try_get(0)?),
        None => None,
    })
}

/// Every stored section of a device: (name, JSON).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_sections(
    conn: &mut AnyConnection,
    device_id: i64,
) -> Result<Vec<(String, String)>, DbError> {
    let rows = sqlx::query(
        "SELECT section, data FROM device_sections WHERE device_id = $1 ORDER BY section",
    )
    .bind(device_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect()
}

/// A section's latest copy, to store.
pub struct SectionRow<'a> {
    /// Which section.
    pub kind: SectionKind,
    /// Its hash as the agent computed it.
    pub hash: &'a str,
    /// Its JSON (empty for software, kept in `device_installs`).
    pub data: String,
}

/// Stores the latest copy of sections, in one statement.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn upsert_sections(
    conn: &mut AnyConnection,
    device_id: i64,
    sections: &[SectionRow<'_>],
    now: i64,
) -> Result<(), DbError> {
    if sections.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO device_sections (device_id, section, hash, data, updated_at) VALUES {} \
         ON CONFLICT (device_id, section) DO UPDATE SET hash = excluded.hash, data = excluded.data, \
         updated_at = excluded.updated_at",
        values_placeholders(sections.len(), 5)
    );
    let mut query = sqlx::query(&sql);
    for section in sections {
        query = query
            .bind(device_id)
            .bind(section.kind.as_str())
            .bind(section.hash)
            .bind(section.data.as_str())
            .bind(now);
    }
    query.execute(conn).await?;
    Ok(())
}

/// A catalogue entry to create.
#[derive(Debug, Clone)]
pub struct NewSoftware {
    /// Identity.
    pub key: SoftwareKey,
    /// Vendor or maintainer.
    pub vendor: String,
}

/// Creates catalogue entries that do not exist yet; returns the ids of the ones this call
/// created (the others were there already or were created concurrently).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert_software(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &[NewSoftware],
    now: i64,
) -> Result<Vec<(i64, SoftwareKey)>, DbError> {
    let mut created = Vec::new();
    let columns = [
        ("source", "TEXT"),
        ("name", "TEXT"),
        ("version", "TEXT"),
        ("arch", "TEXT"),
        ("vendor", "TEXT"),
    ];
    // `WHERE true` keeps SQLite from reading ON CONFLICT as part of the SELECT.
    let sql = format!(
        "INSERT INTO software (source, name, version, arch, vendor, first_seen) \
         SELECT r.source, r.name, r.version, r.arch, r.vendor, $2 FROM ({}) AS r WHERE true \
         ON CONFLICT (name, version, arch, source) DO NOTHING RETURNING id, source, name, version, arch",
        json_rows(backend, 1, &columns)
    );
    for chunk in rows.chunks(BATCH_JSON_ROWS) {
        let batch: Vec<[&str; 5]> = chunk
            .iter()
            .map(|row| {
                let key = &row.key;
                [
                    key.source.as_str(),
                    key.name.as_str(),
                    key.version.as_str(),
                    key.arch.as_str(),
                    row.vendor.as_str(),
                ]
            })
            .collect();
        let json =
            serde_json::to_string(&batch).map_err(|error| DbError::Corrupt(error.to_string()))?;
        for row in sqlx::query(&sql)
            .bind(json)
            .bind(now)
            .fetch_all(&mut *conn)
            .await?
        {
            created.push((row.try_get(0)?, key_from(&row, 1)?));
        }
    }
    Ok(created)
}

fn key_from(row: &sqlx::any::AnyRow, first: usize) -> Result<SoftwareKey, DbError> {
    Ok(SoftwareKey {
        source: row.try_get(first)?,
        name: row.try_get(first + 1)?,
        version: row.try_get(first + 2)?,
        arch: row.try_get(first + 3)?,
    })
}

/// Catalogue ids of exact keys (name, version, architecture, source); keys not in the
/// catalogue are left out.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_software_by_keys(
    conn: &mut AnyConnection,
    backend: Backend,
    keys: &[SoftwareKey],
) -> Result<Vec<(i64, SoftwareKey)>, DbError> {
    let columns = [
        ("source", "TEXT"),
        ("name", "TEXT"),
        ("version", "TEXT"),
        ("arch", "TEXT"),
    ];
    let sql = format!(
        "SELECT s.id, s.source, s.name, s.version, s.arch FROM ({}) AS k JOIN software s \
         ON s.name = k.name AND s.version = k.version AND s.arch = k.arch AND s.source = k.source",
        json_rows(backend, 1, &columns)
    );
    let mut out = Vec::new();
    for chunk in keys.chunks(BATCH_JSON_ROWS) {
        let batch: Vec<[&str; 4]> = chunk
            .iter()
            .map(|key| {
                [
                    key.source.as_str(),
                    key.name.as_str(),
                    key.version.as_str(),
                    key.arch.as_str(),
                ]
            })
            .collect();
        let json =
            serde_json::to_string(&batch).map_err(|error| DbError::Corrupt(error.to_string()))?;
        for row in sqlx::query(&sql).bind(json).fetch_all(&mut *conn).await? {
            out.push((row.try_get(0)?, key_from(&row, 1)?));
        }
    }
    Ok(out)
}

/// Catalogue entries by id, in no particular order; unknown ids are left out.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_software_by_ids(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<Vec<SoftwareRow>, DbError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(BATCH_ROWS * 2) {
        let sql = format!(
            "SELECT {SOFTWARE_COLUMNS} FROM {SOFTWARE_WITH_COUNTS} WHERE s.id IN ({})",
            list_placeholders(1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            out.push(software_from(&row)?);
        }
    }
    Ok(out)
}

/// One installed package as stored: (catalogue id, install time in Unix seconds, size).
pub type Install = (i64, Option<i64>, Option<i64>);

/// A device's installs, ascending by catalogue id (none for a device without a software
/// section).
///
/// # Errors
/// [`DbError`] from the database; [`DbError::Corrupt`] when the stored list cannot be read.
pub async fn get_installs(
    conn: &mut AnyConnection,
    device_id: i64,
) -> Result<Vec<Install>, DbError> {
    let row = sqlx::query("SELECT packages FROM device_installs WHERE device_id = $1")
        .bind(device_id)
        .fetch_optional(conn)
        .await?;
    match row {
        None => Ok(Vec::new()),
        Some(row) => packed::decode_installs(&row.try_get::<Vec<u8>, _>(0)?),
    }
}

/// Replaces a device's installs: `count` of them, `packages` from
/// [`packed::encode_installs`].
///
/// # Errors
/// [`DbError`] from the database.
pub async fn put_installs(
    conn: &mut AnyConnection,
    device_id: i64,
    count: usize,
    packages: Vec<u8>,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO device_installs (device_id, package_count, packages) VALUES ($1, $2, $3) \
         ON CONFLICT (device_id) DO UPDATE SET package_count = excluded.package_count, \
         packages = excluded.packages",
    )
    .bind(device_id)
    .bind(count as i64)
    .bind(packages)
    .execute(conn)
    .await?;
    Ok(())
}

/// Installed-package count of a device.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn count_installs(conn: &mut AnyConnection, device_id: i64) -> Result<i64, DbError> {
    let row = sqlx::query("SELECT package_count FROM device_installs WHERE device_id = $1")
        .bind(device_id)
        .fetch_optional(conn)
        .await?;
    match row {
        Some(row) => Ok(row.try_get(0)?),
        None => Ok(0),
    }
}

/// Queues install changes for the software → devices index, in the upload's transaction.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn log_install_changes(
    conn: &mut AnyConnection,
    device_id: i64,
    added: &[i64],
    removed: &[i64],
) -> Result<(), DbError> {
    if added.is_empty() && removed.is_empty() {
        return Ok(());
    }
    sqlx::query("INSERT INTO install_changes (device_id, added, removed) VALUES ($1, $2, $3)")
        .bind(device_id)
        .bind(packed::encode_ids(added))
        .bind(packed::encode_ids(removed))
        .execute(conn)
        .await?;
    Ok(())
}

/// Writes history lines.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert_history(
    conn: &mut AnyConnection,
    device_id: i64,
    changes: &[Change],
    now: i64,
) -> Result<(), DbError> {
    for chunk in changes.chunks(BATCH_ROWS) {
        let sql = format!(
            "INSERT INTO device_history (device_id, at, kind, subject, before_value, after_value) VALUES {}",
            values_placeholders(chunk.len(), 6)
        );
        let mut query = sqlx::query(&sql);
        for change in chunk {
            query = query
                .bind(device_id)
                .bind(now)
                .bind(change.kind)
                .bind(change.subject.as_str())
                .bind(change.before.as_deref())
                .bind(change.after.as_deref());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A history line as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HistoryRow {
    /// Id (cursor).
    pub id: i64,
    /// When (Unix ms).
    pub at: i64,
    /// Kind of change.
    pub kind: String,
    /// What changed.
    pub subject: String,
    /// Before.
    pub before: Option<String>,
    /// After.
    pub after: Option<String>,
}

/// A device's history, newest first.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_history(
    db: &Db,
    device_id: i64,
    before_id: Option<i64>,
    limit: u32,
) -> Result<Vec<HistoryRow>, DbError> {
    let rows = sqlx::query(
        "SELECT id, at, kind, subject, before_value, after_value FROM device_history \
         WHERE device_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
    )
    .bind(device_id)
    .bind(before_id)
    .bind(i64::from(limit))
    .fetch_all(db.read())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(HistoryRow {
                id: row.try_get(0)?,
                at: row.try_get(1)?,
                kind: row.try_get(2)?,
                subject: row.try_get(3)?,
                before: row.try_get(4)?,
                after: row.try_get(5)?,
            })
        })
        .collect()
}

/// A catalogue entry with its install count.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SoftwareRow {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Architecture.
    pub arch: String,
    /// Package manager.
    pub source: String,
    /// Vendor.
    pub vendor: String,
    /// First seen anywhere (Unix ms).
    pub first_seen: i64,
    /// Devices with it installed.
    pub install_count: i64,
}

const SOFTWARE_COLUMNS: &str =
    "s.id, s.name, s.version, s.arch, s.source, s.vendor, s.first_seen, COALESCE(c.installs, 0)";

/// The catalogue with its install counts, for [`SOFTWARE_COLUMNS`].
const SOFTWARE_WITH_COUNTS: &str = "software s LEFT JOIN install_counts c ON c.software_id = s.id";

fn software_from(row: &sqlx::any::AnyRow) -> Result<SoftwareRow, DbError> {
    Ok(SoftwareRow {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        version: row.try_get(2)?,
        arch: row.try_get(3)?,
        source: row.try_get(4)?,
        vendor: row.try_get(5)?,
        first_seen: row.try_get(6)?,
        install_count: row.try_get(7)?,
    })
}

/// The catalogue ordered by id, optionally by name prefix or installed at least once.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_software(
    db: &Db,
    name_prefix: Option<&str>,
    first_seen_since: Option<i64>,
    after_id: Option<i64>,
    limit: u32,
) -> Result<Vec<SoftwareRow>, DbError> {
    let sql = format!(
        "SELECT {SOFTWARE_COLUMNS} FROM install_counts c JOIN software s ON s.id = c.software_id \
         WHERE ($1 IS NULL OR c.software_id > $1) AND ($2 IS NULL OR s.name LIKE $2 ESCAPE '\\') \
         AND ($4 IS NULL OR s.first_seen >= $4) AND c.installs > 0 ORDER BY c.software_id LIMIT $3"
    );
    let pattern = name_prefix.map(|prefix| format!("{}%", like_escape(prefix)));
    let rows = sqlx::query(&sql)
        .bind(after_id)
        .bind(pattern)
        .bind(i64::from(limit))
        .bind(first_seen_since)
        .fetch_all(db.read())
        .await?;
    rows.iter().map(software_from).collect()
}

/// Catalogue entries installed somewhere and first seen at or after `since`.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn count_software_since(db: &Db, since: i64) -> Result<i64, DbError> {
    let row = sqlx::query(
        "SELECT COUNT(*) FROM software s JOIN install_counts c ON c.software_id = s.id \
         WHERE s.first_seen >= $1 AND c.installs > 0",
    )
    .bind(since)
    .fetch_one(db.read())
    .await?;
    Ok(row.try_get(0)?)
}

/// `text` with `LIKE`'s wildcards and escape character escaped (escape `\`).
fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Pages of the packed install lists of the devices in `departments`, in device-id order
/// after `after_device`: (last device id read, the lists).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn installs_in_departments(
    db: &Db,
    departments: &[i64],
    after_device: i64,
    limit: u32,
) -> Result<(i64, Vec<Vec<u8>>), DbError> {
    if departments.is_empty() {
        return Ok((after_device, Vec::new()));
    }
    // The database's own integers, written into the SQL.
    let list: Vec<String> = departments.iter().map(i64::to_string).collect();
    let rows = sqlx::query(&format!(
        "SELECT i.device_id, i.packages FROM device_installs i JOIN devices d ON d.id = i.device_id \
         WHERE d.department_id IN ({}) AND i.device_id > $1 ORDER BY i.device_id LIMIT $2",
        list.join(", ")
    ))
    .bind(after_device)
    .bind(i64::from(limit))
    .fetch_all(db.read())
    .await?;
    let mut last = after_device;
    let mut lists = Vec::with_capacity(rows.len());
    for row in &rows {
        last = row.try_get(0)?;
        lists.push(row.try_get::<Vec<u8>, _>(1)?);
    }
    Ok((last, lists))
}

/// One catalogue entry.
///
/// # Errors
/// [`DbError::NotFound`] for an unknown id.
pub async fn get_software(db: &Db, id: i64) -> Result<SoftwareRow, DbError> {
    let sql = format!("SELECT {SOFTWARE_COLUMNS} FROM {SOFTWARE_WITH_COUNTS} WHERE s.id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_one(db.read())
        .await
        .map_err(crate::core::db::not_found)?;
    software_from(&row)
}

/// An installed package of one device.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InstalledRow {
    /// Catalogue entry.
    #[serde(flatten)]
    pub software: SoftwareRow,
    /// Install time (Unix seconds), where known.
    pub install_time: Option<i64>,
    /// Installed size in bytes.
    pub size_bytes: Option<i64>,
}

/// A device's installed software by catalogue id.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_installed(
    db: &Db,
    device_id: i64,
    after_id: Option<i64>,
    limit: u32,
) -> Result<Vec<InstalledRow>, DbError> {
    let mut conn = db.read().acquire().await?;
    let page: Vec<Install> = get_installs(&mut conn, device_id)
        .await?
        .into_iter()
        .filter(|(id, _, _)| after_id.is_none_or(|after| *id > after))
        .take(limit as usize)
        .collect();
    let ids: Vec<i64> = page.iter().map(|(id, _, _)| *id).collect();
    let mut entries: HashMap<i64, SoftwareRow> = list_software_by_ids(&mut conn, &ids)
        .await?
        .into_iter()
        .map(|entry| (entry.id, entry))
        .collect();
    page.into_iter()
        .map(|(id, install_time, size_bytes)| {
            Ok(InstalledRow {
                software: entries.remove(&id).ok_or_else(|| {
                    DbError::Corrupt(format!("installed software {id} is not in the catalogue"))
                })?,
                install_time,
                size_bytes,
            })
        })
        .collect()
}

/// Of `(name, id)` pairs, the names for which the catalogue holds an entry older than `id`:
/// with `id` the first entry an upload created for the name, those are names the catalogue
/// knew before, in another version. Only names come back, never the versions.
///
/// Each name is a probe of the catalogue's unique index, whose key starts with the name: as
/// an `EXISTS`, PostgreSQL planned a semi-join from statistics taken while the catalogue was
/// small and hashed the whole catalogue on every call (23 ms a call while a fresh estate's
/// first inventories arrive, against well under one).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_names_known_before(
    conn: &mut AnyConnection,
    backend: Backend,
    firsts: &[(&str, i64)],
) -> Result<Vec<String>, DbError> {
    let sql = format!(
        "SELECT n.name FROM ({}) AS n WHERE \
         (SELECT 1 FROM software s WHERE s.name = n.name AND s.id < n.first_id LIMIT 1) IS NOT NULL",
        json_rows(backend, 1, &[("name", "TEXT"), ("first_id", "BIGINT")])
    );
    let mut out = Vec::new();
    for chunk in firsts.chunks(BATCH_JSON_ROWS) {
        let json =
            serde_json::to_string(chunk).map_err(|error| DbError::Corrupt(error.to_string()))?;
        for row in sqlx::query(&sql).bind(json).fetch_all(&mut *conn).await? {
            out.push(row.try_get(0)?);
        }
    }
    Ok(out)
}

/// The catalogue ids each of `device_ids` has installed (devices without a software section
/// are left out), for features that count installs per device (licence reconciliation).
///
/// # Errors
/// [`DbError`] from the database; [`DbError::Corrupt`] for a list that cannot be read.
pub async fn installed_ids(
    conn: &mut AnyConnection,
    device_ids: &[i64],
) -> Result<Vec<(i64, Vec<i64>)>, DbError> {
    if device_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT device_id, packages FROM device_installs WHERE {}",
        crate::core::sql::ids_in("device_id", device_ids)
    );
    let rows = sqlx::query(&sql).fetch_all(conn).await?;
    rows.iter()
        .map(|row| {
            let installs = packed::decode_installs(&row.try_get::<Vec<u8>, _>(1)?)?;
            Ok((
                row.try_get(0)?,
                installs.into_iter().map(|(id, _, _)| id).collect(),
            ))
        })
        .collect()
}

/// Catalogue entries after id `after`, in id order: `(id, name, version)`.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn software_names_after(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String, String)>, DbError> {
    let rows =
        sqlx::query("SELECT id, name, version FROM software WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(conn)
            .await?;
    rows.iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
        .collect()
}
