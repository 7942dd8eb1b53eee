//! Notes on ledger records (hardware assets, licences, contracts): appended with their author
//! and time, never edited; they go with their record. Status changes append one carrying the
//! before, after and reason, so the note trail is the record's history.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::core::auth::Actor;
use crate::core::db::DbError;

/// Which kind of record a note belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// A hardware asset.
    Asset,
    /// A software licence.
    Licence,
    /// A contract.
    Contract,
}

impl Record {
    fn as_str(self) -> &'static str {
        match self {
            Record::Asset => "asset",
            Record::Licence => "licence",
            Record::Contract => "contract",
        }
    }
}

/// A note as shown.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerNote {
    /// Id.
    pub id: i64,
    /// The author's login when the note was written.
    pub author: String,
    /// Text (may span lines).
    pub body: String,
    /// Written (Unix ms).
    pub created_at: i64,
}

/// The notes of a record, oldest first.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list(
    conn: &mut AnyConnection,
    record: Record,
    record_id: i64,
) -> Result<Vec<LedgerNote>, DbError> {
    let rows = sqlx::query(
        "SELECT id, author, body, created_at FROM ledger_notes \
         WHERE record = $1 AND record_id = $2 ORDER BY id",
    )
    .bind(record.as_str())
    .bind(record_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(LedgerNote {
                id: row.try_get(0)?,
                author: row.try_get(1)?,
                body: row.try_get(2)?,
                created_at: row.try_get(3)?,
            })
        })
        .collect()
}

/// Appends a note (text already checked with `devices::notes::clean_body`).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn add(
    conn: &mut AnyConnection,
    actor: &Actor,
    (record, record_id): (Record, i64),
    body: &str,
    now: i64,
) -> Result<LedgerNote, DbError> {
    let row = sqlx::query(
        "INSERT INTO ledger_notes (record, record_id, author_id, author, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(record.as_str())
    .bind(record_id)
    .bind(actor.user_id)
    .bind(actor.login.as_str())
    .bind(body)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(LedgerNote {
        id: row.try_get(0)?,
        author: actor.login.clone(),
        body: body.to_string(),
        created_at: now,
    })
}

/// Deletes the notes of a deleted record.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn forget(
    conn: &mut AnyConnection,
    record: Record,
    record_id: i64,
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM ledger_notes WHERE record = $1 AND record_id = $2")
        .bind(record.as_str())
        .bind(record_id)
        .execute(conn)
        .await?;
    Ok(())
}
