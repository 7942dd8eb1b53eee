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
    /// Who confirmed it.
    pub confirmed_by: Option<String>,
    /// The device's current host name, when the event concerns a device that still exists.
    pub hostname: Option<String>,
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
    /// Only events before this time (ms).
    pub until: Option<i64>,
    /// Only confirmed (`true`) or unconfirmed (`false`) events.
    pub confirmed: Option<bool>,
    /// Only events of devices whose host name contains this (case-insensitive).
    pub hostname: Option<String>,
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
    let mut sql = format!(
        "SELECT {ROW_COLUMNS} FROM events e LEFT JOIN devices d ON d.id = e.device_id WHERE 1 = 1"
    );
    let mut binds: Vec<Bind> = Vec::new();
    let mut condition = |sql: &mut String, template: &str, value: Bind| {
        binds.push(value);
        sql.push_str(&template.replace('?', &format!("${}", binds.len())));
    };
    if let Some(code) = filter.code {
        condition(&mut sql, " AND e.code = ?", Bind::Int(code));
    }
    if let Some(severity) = &filter.severity {
        condition(
            &mut sql,
            " AND e.severity = ?",
            Bind::Text(severity.clone()),
        );
    }
    if let Some(device_id) = filter.device_id {
        condition(&mut sql, " AND e.device_id = ?", Bind::Int(device_id));
    }
    if let Some(since) = filter.since {
        condition(&mut sql, " AND e.created_at >= ?", Bind::Int(since));
    }
    if let Some(until) = filter.until {
        condition(&mut sql, " AND e.created_at < ?", Bind::Int(until));
    }
    match filter.confirmed {
        Some(true) => sql.push_str(" AND e.confirmed_at IS NOT NULL"),
        Some(false) => sql.push_str(" AND e.confirmed_at IS NULL"),
        None => {}
    }
    if let Some(hostname) = &filter.hostname {
        condition(
            &mut sql,
            &format!(" AND {}", crate::devices::store::HOSTNAME_CONTAINS_SQL),
            Bind::Text(crate::devices::store::contains_pattern(hostname)),
        );
    }
    if let Some(before_id) = filter.before_id {
        condition(&mut sql, " AND e.id < ?", Bind::Int(before_id));
    }
    if let Some(departments) = &filter.departments {
        sql.push_str(&format!(" AND {}", department_condition(departments)));
    }
    condition(
        &mut sql,
        " ORDER BY e.id DESC LIMIT ?",
        Bind::Int(i64::from(limit)),
    );
    let mut query = sqlx::query(&sql);
    for bind in &binds {
        query = match bind {
            Bind::Int(value) => query.bind(*value),
            Bind::Text(value) => query.bind(value.as_str()),
        };
    }
    let rows = query.fetch_all(db.read()).await?;
    rows.iter().map(event_row).collect()
}

/// The columns of an [`EventRow`], with `events e` and `devices d` joined.
const ROW_COLUMNS: &str = "e.id, e.code, e.severity, e.category, e.device_id, e.params, \
     e.created_at, e.confirmed_at, e.confirmed_by, d.hostname";

enum Bind {
    Int(i64),
    Text(String),
}

fn event_row(row: &sqlx::any::AnyRow) -> Result<EventRow, DbError> {
    Ok(EventRow {
        id: row.try_get(0)?,
        code: row.try_get(1)?,
        severity: row.try_get(2)?,
        category: row.try_get(3)?,
        device_id: row.try_get(4)?,
        params: row.try_get(5)?,
        created_at: row.try_get(6)?,
        confirmed_at: row.try_get(7)?,
        confirmed_by: row.try_get(8)?,
        hostname: row.try_get(9)?,
    })
}

/// "The event concerns a device in these departments" (a scoped reader sees neither the
/// server's own events nor those of other departments' devices); the ids are the database's
/// own integers, written into the SQL; none matches nothing.
fn department_condition(departments: &[i64]) -> String {
    if departments.is_empty() {
        return "1 = 0".to_string();
    }
    let list: Vec<String> = departments.iter().map(i64::to_string).collect();
    format!("d.department_id IN ({})", list.join(", "))
}

/// Unconfirmed events per severity, of `departments`' devices when given.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn count_unconfirmed(
    db: &Db,
    departments: Option<&[i64]>,
) -> Result<Vec<(String, i64)>, DbError> {
    let scope = departments
        .map(|ids| format!(" AND {}", department_condition(ids)))
        .unwrap_or_default();
    let rows = sqlx::query(&format!(
        "SELECT e.severity, COUNT(*) FROM events e LEFT JOIN devices d ON d.id = e.device_id \
         WHERE e.confirmed_at IS NULL{scope} GROUP BY e.severity"
    ))
    .fetch_all(db.read())
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect()
}

/// One event, if it exists and (for a scoped reader) concerns one of `departments`' devices.
///
/// # Errors
/// [`DbError::NotFound`].
pub async fn get_event(db: &Db, id: i64, departments: Option<&[i64]>) -> Result<EventRow, DbError> {
    let scope = departments
        .map(|ids| format!(" AND {}", department_condition(ids)))
        .unwrap_or_default();
    let row = sqlx::query(&format!(
        "SELECT {ROW_COLUMNS} FROM events e LEFT JOIN devices d ON d.id = e.device_id \
         WHERE e.id = $1{scope}"
    ))
    .bind(id)
    .fetch_optional(db.read())
    .await?
    .ok_or(DbError::NotFound)?;
    event_row(&row)
}

/// Marks events confirmed by `by` at `at` (or unconfirmed with `None`), among those in
/// `departments`' devices when given; returns how many changed.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn set_confirmed(
    conn: &mut AnyConnection,
    ids: &[i64],
    confirmed: Option<(i64, &str)>,
    departments: Option<&[i64]>,
) -> Result<u64, DbError> {
    let scope = departments
        .map(|ids| {
            format!(
                " AND device_id IN (SELECT d.id FROM devices d WHERE {})",
                department_condition(ids)
            )
        })
        .unwrap_or_default();
    let (change, unchanged) = match confirmed {
        Some(_) => (
            "confirmed_at = $1, confirmed_by = $2",
            "confirmed_at IS NULL",
        ),
        None => (
            "confirmed_at = NULL, confirmed_by = NULL",
            "confirmed_at IS NOT NULL",
        ),
    };
    let first = if confirmed.is_some() { 3 } else { 1 };
    let list = crate::core::db::list_placeholders(first, ids.len());
    let sql = format!("UPDATE events SET {change} WHERE id IN ({list}) AND {unchanged}{scope}");
    let mut query = sqlx::query(&sql);
    if let Some((at, by)) = confirmed {
        query = query.bind(at).bind(by);
    }
    for id in ids {
        query = query.bind(*id);
    }
    Ok(query.execute(conn).await?.rows_affected())
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
