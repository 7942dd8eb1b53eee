//! SQL for `agent_settings` (one row, id 1, once the settings were changed).

use kanri_proto::AgentSettings;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::core::db::{Db, DbError};

/// The stored settings with who changed them last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsRow {
    /// The settings.
    pub settings: AgentSettings,
    /// Last change (Unix ms).
    pub updated_at: i64,
    /// Login of the administrator who made it.
    pub updated_by: String,
}

/// The stored settings; `None` while nobody changed the defaults.
///
/// # Errors
/// [`DbError`] from the database, [`DbError::Corrupt`] for a negative stored value.
pub async fn find_settings(db: &Db) -> Result<Option<SettingsRow>, DbError> {
    let row = sqlx::query(
        "SELECT version, checkin_interval_secs, inventory_interval_secs, queue_max_entries, \
         queue_max_bytes, updated_at, updated_by FROM agent_settings WHERE id = 1",
    )
    .fetch_optional(db.read())
    .await?;
    row.as_ref().map(settings_from_row).transpose()
}

fn settings_from_row(row: &AnyRow) -> Result<SettingsRow, DbError> {
    let number = |index: usize| -> Result<u64, DbError> {
        let value: i64 = row.try_get(index)?;
        u64::try_from(value).map_err(|_| DbError::Corrupt(format!("agent setting {value}")))
    };
    let queue_max_entries = number(3)?;
    Ok(SettingsRow {
        settings: AgentSettings {
            version: number(0)?,
            checkin_interval_secs: number(1)?,
            inventory_interval_secs: number(2)?,
            queue_max_entries: u32::try_from(queue_max_entries).map_err(|_| {
                DbError::Corrupt(format!("agent queue_max_entries {queue_max_entries}"))
            })?,
            queue_max_bytes: number(4)?,
        },
        updated_at: row.try_get(5)?,
        updated_by: row.try_get(6)?,
    })
}

/// Stores the settings as the next version after `expected_version` (0: none stored yet);
/// returns whether they were stored. The version check is in the statement itself, so two
/// concurrent edits cannot both win.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn save_settings(
    conn: &mut AnyConnection,
    expected_version: u64,
    settings: &AgentSettings,
    updated_at: i64,
    updated_by: &str,
) -> Result<bool, DbError> {
    let sql = if expected_version == 0 {
        "INSERT INTO agent_settings (id, version, checkin_interval_secs, inventory_interval_secs, \
         queue_max_entries, queue_max_bytes, updated_at, updated_by) \
         VALUES (1, $1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING"
    } else {
        "UPDATE agent_settings SET version = $1, checkin_interval_secs = $2, \
         inventory_interval_secs = $3, queue_max_entries = $4, queue_max_bytes = $5, \
         updated_at = $6, updated_by = $7 WHERE id = 1 AND version = $8"
    };
    let mut query = sqlx::query(sql)
        .bind(as_i64(settings.version))
        .bind(as_i64(settings.checkin_interval_secs))
        .bind(as_i64(settings.inventory_interval_secs))
        .bind(i64::from(settings.queue_max_entries))
        .bind(as_i64(settings.queue_max_bytes))
        .bind(updated_at)
        .bind(updated_by);
    if expected_version != 0 {
        query = query.bind(as_i64(expected_version));
    }
    let done = query.execute(conn).await?;
    Ok(done.rows_affected() == 1)
}

/// Stored values are `BIGINT`; settings are range-checked far below `i64::MAX` before they
/// get here, so saturating never changes a real value.
fn as_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
