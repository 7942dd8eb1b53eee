//! The ledger's settings (`ledger_settings`, one row): the automatic stocktake and the
//! user-information prompts agents show.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::audit::model::{Category, NewAuditEntry, Object, Op, Origin};
use crate::core::auth::Actor;
use crate::core::db::{Db, DbError};
use crate::core::error::AppError;
use crate::core::time::now_ms;

/// The settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerSettings {
    /// `off`, `last_contact` (the day the representative device was last in contact) or
    /// `user_info` (the day the user completed the information form).
    pub stocktake_auto: String,
    /// Whether agents ask users for their information.
    pub user_info_enabled: bool,
    /// From when (Unix ms): answers older than this are asked again.
    pub user_info_start: i64,
    /// How often a user is asked again, in days.
    pub user_info_interval_days: i64,
    /// Optimistic version.
    pub version: i64,
}

/// The stored settings.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn get(db: &Db) -> Result<LedgerSettings, DbError> {
    let row = sqlx::query(
        "SELECT stocktake_auto, user_info_enabled, user_info_start, user_info_interval_days, \
         version FROM ledger_settings WHERE id = 1",
    )
    .fetch_one(db.read())
    .await?;
    Ok(LedgerSettings {
        stocktake_auto: row.try_get(0)?,
        user_info_enabled: row.try_get::<i64, _>(1)? != 0,
        user_info_start: row.try_get(2)?,
        user_info_interval_days: row.try_get(3)?,
        version: row.try_get(4)?,
    })
}

/// Changes the settings (system administrators), unless changed since `version`.
///
/// # Errors
/// 400 for values out of range, 403, 409.
pub async fn put(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    new: &LedgerSettings,
) -> Result<LedgerSettings, AppError> {
    actor.require_system_admin()?;
    if !["off", "last_contact", "user_info"].contains(&new.stocktake_auto.as_str()) {
        return Err(AppError::invalid(
            "stocktake_auto",
            "stocktake_auto must be off, last_contact or user_info",
        ));
    }
    if !(1..=3650).contains(&new.user_info_interval_days) {
        return Err(AppError::invalid(
            "user_info_interval_days",
            "user_info_interval_days must be 1 to 3650",
        ));
    }
    if new.user_info_start < 0 {
        return Err(AppError::invalid(
            "user_info_start",
            "user_info_start must be a time",
        ));
    }
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE ledger_settings SET stocktake_auto = $1, user_info_enabled = $2, \
         user_info_start = $3, user_info_interval_days = $4, version = version + 1, \
         updated_at = $5 WHERE id = 1 AND version = $6",
    )
    .bind(new.stocktake_auto.as_str())
    .bind(i64::from(new.user_info_enabled))
    .bind(new.user_info_start)
    .bind(new.user_info_interval_days)
    .bind(now)
    .bind(new.version)
    .execute(&mut *tx)
    .await
    .map_err(DbError::from)?;
    if done.rows_affected() != 1 {
        return Err(AppError::Conflict(
            "the ledger settings were changed by someone else; reload and try again".into(),
        ));
    }
    let entry = NewAuditEntry::by_actor(
        actor,
        origin,
        (Category::ConfigurationAccess, Op::Update, Object::Config),
        "ledger_settings",
        serde_json::to_value(new).unwrap_or_default(),
    );
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(get(db).await?)
}
