//! Notes on a device (メモ): appended with their author and time, never edited or deleted
//! (they go only with the device), so they are a trustworthy record of what was done.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::app::AppState;
use crate::audit::model::{Category, NewAuditEntry, Object, Op, Origin};
use crate::core::auth::Actor;
use crate::core::db::DbError;
use crate::core::error::AppError;
use crate::core::time::now_ms;
use crate::devices::model::Device;
use crate::devices::service::visible_device;

/// Longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 4000;

/// A note as shown.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceNote {
    /// Id.
    pub id: i64,
    /// The device.
    pub device_id: i64,
    /// The author's login when the note was written.
    pub author: String,
    /// Text (may span lines).
    pub body: String,
    /// Written (Unix ms).
    pub created_at: i64,
}

/// A note's text trimmed and checked.
///
/// # Errors
/// 400 naming `body`.
pub fn clean_body(body: &str) -> Result<&str, AppError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::invalid("body", "a note needs text"));
    }
    crate::core::extract::check_multiline_text("body", body, MAX_NOTE_CHARS)?;
    Ok(body)
}

/// The notes of a device the actor sees, oldest first.
///
/// # Errors
/// 403/404 as for the device; storage errors.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    device_id: i64,
) -> Result<Vec<DeviceNote>, AppError> {
    let mut conn = state.db.read().acquire().await.map_err(DbError::from)?;
    visible_device(&mut conn, actor, device_id).await?;
    let rows = sqlx::query(
        "SELECT id, device_id, author, body, created_at FROM device_notes \
         WHERE device_id = $1 ORDER BY id",
    )
    .bind(device_id)
    .fetch_all(&mut *conn)
    .await
    .map_err(DbError::from)?;
    rows.iter()
        .map(|row| {
            Ok(DeviceNote {
                id: row.try_get(0).map_err(DbError::from)?,
                device_id: row.try_get(1).map_err(DbError::from)?,
                author: row.try_get(2).map_err(DbError::from)?,
                body: row.try_get(3).map_err(DbError::from)?,
                created_at: row.try_get(4).map_err(DbError::from)?,
            })
        })
        .collect()
}

/// Appends a note to a device the actor sees.
///
/// # Errors
/// 400 for empty, over-long or control-character text; 403/404 as for the device.
pub async fn add(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    device_id: i64,
    body: &str,
) -> Result<DeviceNote, AppError> {
    let body = clean_body(body)?;
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    let device = visible_device(&mut tx, actor, device_id).await?;
    let note = add_in(&mut tx, actor, origin, &device, body).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(note)
}

/// [`add`] in the caller's transaction, for a device already checked, with an audit entry.
///
/// # Errors
/// Storage errors.
pub async fn add_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    origin: &Origin,
    device: &Device,
    body: &str,
) -> Result<DeviceNote, AppError> {
    let now = now_ms();
    let row = sqlx::query(
        "INSERT INTO device_notes (device_id, author_id, author, body, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(device.id)
    .bind(actor.user_id)
    .bind(actor.login.as_str())
    .bind(body)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(DbError::from)?;
    let id: i64 = row.try_get(0).map_err(DbError::from)?;
    let detail = serde_json::json!({"hostname": device.hostname, "note": id});
    let entry = NewAuditEntry::by_actor(
        actor,
        origin,
        (Category::ContentAccess, Op::Add, Object::DeviceInfo),
        device.id.to_string(),
        detail,
    );
    crate::audit::store::insert(conn, &entry, now).await?;
    Ok(DeviceNote {
        id,
        device_id: device.id,
        author: actor.login.clone(),
        body: body.to_string(),
        created_at: now,
    })
}
