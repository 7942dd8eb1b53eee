//! SQL for the `events` table.

use sqlx::{AnyConnection, Row};

use crate::core::db::{Db, DbError};

/// A stored event.
#[derive(Debug, Clone)]
pub struct EventRow {
    /// Id.
    pub id: i64,
    /// Catalogue code.
    pub code: i64,
    /// Severity as stored.
    pub severity: String,
    /// Category as stored.
    pub category: String,
    /// Device the event concerns.
    pub device_id: Option<i64>,
    /// Parameters as JSON text.
    pub params: String,
    /// Registration time (ms).
    pub created_at: i64,
    /// When an administrator confirmed it.
    pub confirmed_at: Option<i64>,
}

/// An event row to write.
pub struct NewEventRow<'a> {
    /// Catalogue code.
    pub code: i64,
    /// emergency, alert or info.
    pub severity: &'a str,
    /// Screen category.
    pub category: &'a str,
    /// The device concerned.
    pub device_id: Option<i64>,
    /// Parameters as a JSON object.
    pub params: String,
}

/// Writes several events in as few statements as possible, on the caller's connection.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert_events(
    conn: &mut AnyConnection,
    rows: &[NewEventRow<'_>],
    created_at: i64,
) -> Result<(), DbError> {
    for chunk in rows.chunks(crate::core::db::BATCH_ROWS) {
        let sql = format!(
            "INSERT INTO events (code, severity, category, device_id, params, created_at) VALUES {}",
            crate::core::db::values_placeholders(chunk.len(), 6)
        );
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = query
                .bind(row.code)
                .bind(row.severity)
                .bind(row.category)
                .bind(row.device_id)
                .bind(row.params.as_str())
                .bind(created_at);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Filters of the events list.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only this code.
    pub code: Option<i64>,
    /// Only this severity.
    pub severity: Option<String>,
    /// Only this device.
    pub device_id: Option<i64>,
    /// Only events at or after this time (ms).
    pub since: Option<i64>,
    /// Only events before this id (keyset cursor, newest first).
    pub before_id: Option<i64>,
    /// Only events of devices in these departments (a scoped reader); `None`: every event.
    pub departments: Option<Vec<i64>>,
}

/// Newest first, `limit` rows.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_events(
    db: &Db,
    filter: &EventFilter,
    limit: u32,
) -> Result<Vec<EventRow>, DbError> {
    let mut sql = String::from(
        "SELECT id, code, severity, category, device_id, params, created_at, confirmed_at FROM events WHERE 1 = 1",
    );
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    if filter.code.is_some() {
        sql.push_str(&format!(" AND code = {}", next()));
    }
    if filter.severity.is_some() {
        sql.push_str(&format!(" AND severity = {}", next()));
    }
    if filter.device_id.is_some() {
        sql.push_str(&format!(" AND device_id = {}", next()));
    }
    if filter.since.is_some() {
        sql.push_str(&format!(" AND created_at >= {}", next()));
    }
    if filter.before_id.is_some() {
        sql.push_str(&format!(" AND id < {}", next()));
    }
    if let Some(departments) = &filter.departments {
        // The database's own integers, written into the SQL; none matches nothing.
        let list: Vec<String> = departments.iter().map(i64::to_string).collect();
        sql.push_str(&format!(
            " AND device_id IN (SELECT id FROM devices WHERE department_id IN ({}))",
            if list.is_empty() {
                "NULL".to_string()
            } else {
                list.join(", ")
            }
        ));
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", next()));
    let mut query = sqlx::query(&sql);
    if let Some(code) = filter.code {
        query = query.bind(code);
    }
    if let Some(severity) = &filter.severity {
        query = query.bind(severity.clone());
    }
    if let Some(device_id) = filter.device_id {
        query = query.bind(device_id);
    }
    if let Some(since) = filter.since {
        query = query.bind(since);
    }
    if let Some(before_id) = filter.before_id {
        query = query.bind(before_id);
    }
    let rows = query.bind(i64::from(limit)).fetch_all(db.read()).await?;
    rows.into_iter()
        .map(|row| {
            Ok(EventRow {
                id: row.try_get(0)?,
                code: row.try_get(1)?,
                severity: row.try_get(2)?,
                category: row.try_get(3)?,
                device_id: row.try_get(4)?,
                params: row.try_get(5)?,
                created_at: row.try_get(6)?,
                confirmed_at: row.try_get(7)?,
            })
        })
        .collect()
}

/// Deletes up to `batch` events older than `cutoff`; returns how many went.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn delete_events_before(db: &Db, cutoff: i64, batch: i64) -> Result<u64, DbError> {
    let done = sqlx::query(
        "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE created_at < $1 ORDER BY id LIMIT $2)",
    )
    .bind(cutoff)
    .bind(batch)
    .execute(db.write())
    .await?;
    Ok(done.rows_affected())
}
