//! SQL for `audit_log`: inserts and reads only.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::audit::model::{AuditEntry, NewAuditEntry};
use crate::core::db::{Db, DbError};

/// Writes an entry, in the caller's transaction.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert(
    conn: &mut AnyConnection,
    entry: &NewAuditEntry,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO audit_log (at, category, op, object, object_id, result, user_id, login, ip, \
         component, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(now)
    .bind(entry.category.as_str())
    .bind(entry.op.as_str())
    .bind(entry.object.as_str())
    .bind(&entry.object_id)
    .bind(entry.result.as_str())
    .bind(entry.user_id)
    .bind(&entry.login)
    .bind(&entry.ip)
    .bind(entry.component.as_str())
    .bind(entry.detail.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Conditions of the audit log screen and API; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Category name.
    pub category: Option<String>,
    /// Operation name.
    pub op: Option<String>,
    /// Object type name.
    pub object: Option<String>,
    /// Result name.
    pub result: Option<String>,
    /// Acting login, exact.
    pub login: Option<String>,
    /// From this time on (Unix ms).
    pub since: Option<i64>,
    /// Before this time (Unix ms).
    pub until: Option<i64>,
}

const COLUMNS: &str =
    "id, at, category, op, object, object_id, result, user_id, login, ip, component, detail";

fn entry(row: &AnyRow) -> Result<AuditEntry, DbError> {
    let detail: String = row.try_get(11)?;
    Ok(AuditEntry {
        id: row.try_get(0)?,
        at: row.try_get(1)?,
        category: row.try_get(2)?,
        op: row.try_get(3)?,
        object: row.try_get(4)?,
        object_id: row.try_get(5)?,
        result: row.try_get(6)?,
        user_id: row.try_get(7)?,
        login: row.try_get(8)?,
        ip: row.try_get(9)?,
        component: row.try_get(10)?,
        detail: serde_json::from_str(&detail)
            .map_err(|error| DbError::Corrupt(format!("audit detail: {error}")))?,
    })
}

/// Entries matching `filter`, newest first, before id `before` (keyset paging).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list(
    db: &Db,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<AuditEntry>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE ($1 IS NULL OR id < $1) \
         AND ($2 IS NULL OR category = $2) AND ($3 IS NULL OR result = $3) \
         AND ($4 IS NULL OR login = $4) AND ($5 IS NULL OR at >= $5) \
         AND ($6 IS NULL OR at < $6) AND ($8 IS NULL OR op = $8) \
         AND ($9 IS NULL OR object = $9) ORDER BY id DESC LIMIT $7"
    ))
    .bind(before)
    .bind(filter.category.as_deref())
    .bind(filter.result.as_deref())
    .bind(filter.login.as_deref())
    .bind(filter.since)
    .bind(filter.until)
    .bind(i64::from(limit))
    .bind(filter.op.as_deref())
    .bind(filter.object.as_deref())
    .fetch_all(db.read())
    .await?;
    rows.iter().map(entry).collect()
}

/// Entries after id `after`, oldest first (for the files).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_after(db: &Db, after: i64, limit: u32) -> Result<Vec<AuditEntry>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2"
    ))
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(db.read())
    .await?;
    rows.iter().map(entry).collect()
}
