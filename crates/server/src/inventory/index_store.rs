//! SQL for the software → devices index and the install counts: the queue of install
//! changes, the merge's writes, the device-list conditions that read the index, and the
//! repair of the counts (see [`crate::inventory::index`] for how they fit together).
//!
//! SQLite keeps one row per (software, device) pair (`software_devices`, in its own file);
//! PostgreSQL keeps a bitmap per catalogue entry and block of device ids
//! (`software_device_sets`, see [`crate::inventory::device_sets`]).

use sqlx::{AnyConnection, Row};

use crate::core::db::{json_rows, pack_pair, packed_pairs, packed_param, Backend, Db, DbError};
use crate::inventory::device_sets::{self, Bitmap, BITMAP_BYTES};
use crate::inventory::index::Merge;
use crate::inventory::packed;

/// Rows a statement of the merge carries (one parameter however many rows).
const ROWS_PER_STATEMENT: usize = 50_000;

/// Condition "device `d` has software named `$1`" for the devices list, as a set: best when
/// few devices have it (the database builds the small set once). Reads the software → devices
/// index, which trails uploads by one merge (see [`crate::inventory::index`]); on PostgreSQL
/// each bitmap row of the name's entries expands to its devices.
pub fn devices_with_software_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "d.id IN (SELECT sd.device_id FROM software s \
             JOIN software_devices sd ON sd.software_id = s.id WHERE s.name = $1)"
        }
        Backend::Postgres => {
            "d.id IN (SELECT sd.block * 1024 + b.i FROM software s \
             JOIN software_device_sets sd ON sd.software_id = s.id \
             CROSS JOIN generate_series(0, 1023) AS b(i) \
             WHERE s.name = $1 AND get_bit(sd.members, b.i) = 1)"
        }
    }
}

/// The same condition, probed per device: best when most devices have it (walking the sort
/// order finds a page at once instead of building a set of every device). Reads the same
/// index. A scalar sub-query rather than `EXISTS`: PostgreSQL turns `EXISTS` into a
/// semi-join, estimates it from the average installs per catalogue entry, and builds the set
/// anyway (589 ms for `bash` at 100,000 devices); a scalar sub-query stays a per-row probe
/// (10 ms) of the device's block.
pub fn device_has_software_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "(SELECT 1 FROM software_devices sd WHERE sd.device_id = d.id \
             AND sd.software_id IN (SELECT s.id FROM software s WHERE s.name = $1) LIMIT 1) \
             IS NOT NULL"
        }
        Backend::Postgres => {
            "(SELECT 1 FROM software_device_sets sd WHERE sd.block = d.id >> 10 \
             AND sd.software_id IN (SELECT s.id FROM software s WHERE s.name = $1) \
             AND get_bit(sd.members, CAST(d.id & 1023 AS INT)) = 1 LIMIT 1) IS NOT NULL"
        }
    }
}

/// Installs of every version of a software name, from the maintained counts.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn count_installs_of_name(db: &Db, name: &str) -> Result<i64, DbError> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(c.installs), 0) AS BIGINT) FROM software s \
         JOIN install_counts c ON c.software_id = s.id WHERE s.name = $1",
    )
    .bind(name)
    .fetch_one(db.read())
    .await?;
    Ok(row.try_get(0)?)
}

/// Holds the index merge lock until the transaction ends: a PostgreSQL advisory lock (SQLite
/// write transactions are exclusive already).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn lock_index(conn: &mut AnyConnection, backend: Backend) -> Result<(), DbError> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock($1)) AS l")
            .bind(INDEX_LOCK)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Advisory lock key of the index merge ("kanri-ix").
const INDEX_LOCK: i64 = 0x6b61_6e72_692d_6978;

/// A queued install change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallChange {
    /// Queue order.
    pub id: i64,
    /// Device.
    pub device_id: i64,
    /// Catalogue ids installed.
    pub added: Vec<i64>,
    /// Catalogue ids removed.
    pub removed: Vec<i64>,
}

/// Install changes waiting for the merge.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn count_install_changes(db: &Db) -> Result<i64, DbError> {
    let row = sqlx::query("SELECT COUNT(*) FROM install_changes")
        .fetch_one(db.read())
        .await?;
    Ok(row.try_get(0)?)
}

/// The oldest queued install changes after id `after`.
///
/// # Errors
/// [`DbError`] from the database; [`DbError::Corrupt`] for a row that cannot be read.
pub async fn list_install_changes(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> Result<Vec<InstallChange>, DbError> {
    let rows = sqlx::query(
        "SELECT id, device_id, added, removed FROM install_changes WHERE id > $1 \
         ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(InstallChange {
                id: row.try_get(0)?,
                device_id: row.try_get(1)?,
                added: packed::decode_ids(&row.try_get::<Vec<u8>, _>(2)?)?,
                removed: packed::decode_ids(&row.try_get::<Vec<u8>, _>(3)?)?,
            })
        })
        .collect()
}

/// Applies merged changes to the software → devices index and the install counts (the
/// caller retires the queued rows they came from).
///
/// # Errors
/// [`DbError`] from the database; [`DbError::Corrupt`] for a stored bitmap that is not one.
pub async fn apply_index_changes(
    conn: &mut AnyConnection,
    backend: Backend,
    merge: &Merge,
) -> Result<(), DbError> {
    match backend {
        Backend::Sqlite => apply_pairs(conn, merge).await?,
        Backend::Postgres => apply_sets(conn, merge).await?,
    }
    // Deltas travel as pairs (id, delta + 2³¹): a merge's |delta| is at most its row count.
    let counts = format!(
        "INSERT INTO install_counts (software_id, installs) \
         SELECT v.id, v.delta - {DELTA_OFFSET} FROM ({}) AS v \
         WHERE true ON CONFLICT (software_id) DO UPDATE \
         SET installs = install_counts.installs + excluded.installs",
        packed_pairs(backend, 1, "id", "delta")
    );
    for chunk in merge.deltas.chunks(ROWS_PER_STATEMENT) {
        sqlx::query(&counts)
            .bind(pack(backend, chunk, DELTA_OFFSET)?)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// SQLite: inserts and deletes (software, device) pairs.
async fn apply_pairs(conn: &mut AnyConnection, merge: &Merge) -> Result<(), DbError> {
    let pairs = packed_pairs(Backend::Sqlite, 1, "software_id", "device_id");
    let insert = format!(
        "INSERT INTO software_devices (software_id, device_id) SELECT r.software_id, r.device_id \
         FROM ({pairs}) AS r WHERE true ON CONFLICT (software_id, device_id) DO NOTHING"
    );
    let delete = format!(
        "DELETE FROM software_devices WHERE (software_id, device_id) IN \
         (SELECT r.software_id, r.device_id FROM ({pairs}) AS r)"
    );
    for (sql, pairs) in [(&insert, &merge.inserts), (&delete, &merge.deletes)] {
        for chunk in pairs.chunks(ROWS_PER_STATEMENT) {
            sqlx::query(sql)
                .bind(pack(Backend::Sqlite, chunk, 0)?)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Bitmap rows a statement reads or writes (128 bytes each).
const SET_ROWS_PER_STATEMENT: usize = 20_000;

/// PostgreSQL: reads the bitmap rows the merge touches, applies it to them and writes back
/// the rows that changed.
///
/// Only the merge writes the table, under [`lock_index`], so nothing changes a row between
/// its read and its write.
async fn apply_sets(conn: &mut AnyConnection, merge: &Merge) -> Result<(), DbError> {
    let read = "SELECT (SELECT sd.members FROM software_device_sets sd \
                WHERE sd.software_id = k.v >> 32 AND sd.block = k.v & 4294967295) \
                FROM unnest(CAST($1 AS BIGINT[])) WITH ORDINALITY AS k(v, n) ORDER BY k.n";
    let upsert = format!(
        "INSERT INTO software_device_sets (software_id, block, members) \
         SELECT k.v >> 32, k.v & 4294967295, \
         substring($2 FROM CAST((k.n - 1) * {BITMAP_BYTES} + 1 AS INT) FOR {BITMAP_BYTES}) \
         FROM unnest(CAST($1 AS BIGINT[])) WITH ORDINALITY AS k(v, n) \
         ON CONFLICT (software_id, block) DO UPDATE SET members = excluded.members"
    );
    let delete = "DELETE FROM software_device_sets WHERE (software_id, block) IN \
                  (SELECT k.v >> 32, k.v & 4294967295 FROM unnest(CAST($1 AS BIGINT[])) AS k(v))";
    let changes = device_sets::row_changes(&merge.inserts, &merge.deletes);
    for chunk in changes.chunks(SET_ROWS_PER_STATEMENT) {
        let keys = chunk
            .iter()
            .map(|change| {
                pack_pair(change.software_id, change.block).ok_or_else(|| {
                    DbError::Corrupt(format!(
                        "index row out of range: {}, {}",
                        change.software_id, change.block
                    ))
                })
            })
            .collect::<Result<Vec<i64>, DbError>>()?;
        let stored = sqlx::query(read)
            .bind(packed_param(Backend::Postgres, &keys))
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|row| {
                row.try_get::<Option<Vec<u8>>, _>(0)?
                    .map(to_bitmap)
                    .transpose()
            })
            .collect::<Result<Vec<Option<Bitmap>>, DbError>>()?;
        let (mut written, mut bitmaps, mut emptied) = (Vec::new(), Vec::new(), Vec::new());
        for ((change, key), old) in chunk.iter().zip(&keys).zip(&stored) {
            let new = change.apply(old.as_ref());
            match new {
                Some(bits) if new != *old => {
                    written.push(*key);
                    bitmaps.extend_from_slice(&bits);
                }
                None if old.is_some() => emptied.push(*key),
                _ => {}
            }
        }
        if !written.is_empty() {
            sqlx::query(&upsert)
                .bind(packed_param(Backend::Postgres, &written))
                .bind(bitmaps)
                .execute(&mut *conn)
                .await?;
        }
        if !emptied.is_empty() {
            sqlx::query(delete)
                .bind(packed_param(Backend::Postgres, &emptied))
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// A stored bitmap, checked.
fn to_bitmap(bytes: Vec<u8>) -> Result<Bitmap, DbError> {
    Bitmap::try_from(bytes.as_slice()).map_err(|_| {
        DbError::Corrupt(format!(
            "index bitmap of {} bytes, not {BITMAP_BYTES}",
            bytes.len()
        ))
    })
}

/// Pairs as [`packed_param`] carries them, `offset` added to the second half.
fn pack(backend: Backend, pairs: &[[i64; 2]], offset: i64) -> Result<String, DbError> {
    pairs
        .iter()
        .map(|[a, b]| {
            pack_pair(*a, b + offset)
                .ok_or_else(|| DbError::Corrupt(format!("pair out of range: {a}, {b}")))
        })
        .collect::<Result<Vec<i64>, DbError>>()
        .map(|packed| packed_param(backend, &packed))
}

/// Deletes merged queue rows, in the merge's transaction (PostgreSQL).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn drop_install_changes(conn: &mut AnyConnection, ids: &[i64]) -> Result<(), DbError> {
    let sql = format!(
        "DELETE FROM install_changes WHERE id IN (SELECT r.id FROM ({}) AS r)",
        json_rows(Backend::Postgres, 1, &[("id", "BIGINT")])
    );
    let ids: Vec<[i64; 1]> = ids.iter().map(|id| [*id]).collect();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        sqlx::query(&sql)
            .bind(to_json(&chunk)?)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Deletes the queue rows up to `last`, merged into the index file already (SQLite).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn drop_install_changes_through(
    conn: &mut AnyConnection,
    last: i64,
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM install_changes WHERE id <= $1")
        .bind(last)
        .execute(conn)
        .await?;
    Ok(())
}

/// The id of the last queued change merged into the SQLite index file.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn merged_through(conn: &mut AnyConnection) -> Result<i64, DbError> {
    let row = sqlx::query("SELECT merged_through FROM index_state WHERE id = 1")
        .fetch_one(conn)
        .await?;
    Ok(row.try_get(0)?)
}

/// Records the last queued change merged, in the merge's transaction (SQLite).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn set_merged_through(conn: &mut AnyConnection, last: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE index_state SET merged_through = $1 WHERE id = 1")
        .bind(last)
        .execute(conn)
        .await?;
    Ok(())
}

/// Added to a count change so that it packs as an unsigned half of a pair.
const DELTA_OFFSET: i64 = 1 << 31;

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, DbError> {
    serde_json::to_string(value).map_err(|error| DbError::Corrupt(error.to_string()))
}

/// Recomputes every install count from the software → devices index (repairs drift), under
/// the merge's lock so that no merge lands between the count and its write.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn recount_installs(db: &Db) -> Result<u64, DbError> {
    let (counted, held) = match db.backend() {
        Backend::Sqlite => (
            "SELECT software_id, COUNT(*) FROM software_devices GROUP BY software_id",
            "SELECT 1 FROM software_devices sd WHERE sd.software_id = install_counts.software_id",
        ),
        Backend::Postgres => (
            "SELECT software_id, CAST(SUM(bit_count(members)) AS BIGINT) \
             FROM software_device_sets GROUP BY software_id",
            "SELECT 1 FROM software_device_sets sd \
             WHERE sd.software_id = install_counts.software_id",
        ),
    };
    let mut tx = db.index_write().begin().await?;
    lock_index(&mut tx, db.backend()).await?;
    let set = sqlx::query(&format!(
        "INSERT INTO install_counts (software_id, installs) {counted} \
         ON CONFLICT (software_id) DO UPDATE SET installs = excluded.installs \
         WHERE install_counts.installs <> excluded.installs"
    ))
    .execute(&mut *tx)
    .await?;
    let cleared = sqlx::query(&format!(
        "UPDATE install_counts SET installs = 0 WHERE installs <> 0 AND NOT EXISTS ({held})"
    ))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(set.rows_affected() + cleared.rows_affected())
}

/// Bitmap rows read at a time while listing a catalogue entry's devices.
const SET_ROWS_PER_PAGE: i64 = 64;

/// Devices with a catalogue entry installed, by device id, from the software → devices index.
///
/// # Errors
/// [`DbError`] from the database; [`DbError::Corrupt`] for a stored bitmap that is not one.
pub async fn list_device_ids_with(
    db: &Db,
    software_id: i64,
    after_id: Option<i64>,
    limit: u32,
) -> Result<Vec<i64>, DbError> {
    if db.backend() == Backend::Sqlite {
        let rows = sqlx::query(
            "SELECT device_id FROM software_devices WHERE software_id = $1 \
             AND ($2 IS NULL OR device_id > $2) ORDER BY device_id LIMIT $3",
        )
        .bind(software_id)
        .bind(after_id)
        .bind(i64::from(limit))
        .fetch_all(db.read())
        .await?;
        return rows.iter().map(|row| Ok(row.try_get(0)?)).collect();
    }
    let after = after_id.unwrap_or(-1);
    let limit = limit as usize;
    let mut devices = Vec::new();
    let mut from_block = device_sets::locate(after.saturating_add(1)).0;
    loop {
        let rows = sqlx::query(
            "SELECT block, members FROM software_device_sets WHERE software_id = $1 \
             AND block >= $2 ORDER BY block LIMIT $3",
        )
        .bind(software_id)
        .bind(from_block)
        .bind(SET_ROWS_PER_PAGE)
        .fetch_all(db.read())
        .await?;
        for row in &rows {
            let block: i64 = row.try_get(0)?;
            let bitmap = to_bitmap(row.try_get(1)?)?;
            devices.extend(
                device_sets::members(block, &bitmap)
                    .filter(|device_id| *device_id > after)
                    .take(limit - devices.len()),
            );
            from_block = block + 1;
        }
        if devices.len() >= limit || (rows.len() as i64) < SET_ROWS_PER_PAGE {
            return Ok(devices);
        }
    }
}
