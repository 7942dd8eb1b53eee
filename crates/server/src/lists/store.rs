//! SQL for `saved_filters` and `list_columns`.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::core::db::{Db, DbError};

/// A saved filter as the lists show it.
#[derive(Debug, Clone, Serialize)]
pub struct SavedFilter {
    /// Id.
    pub id: i64,
    /// The list it filters (`devices`, `events`, …).
    pub list: String,
    /// Name, unique among its owner's filters of the list.
    pub name: String,
    /// Offered to every account.
    pub shared: bool,
    /// The list's query string.
    pub query: String,
    /// Owner's account id.
    pub owner_id: i64,
    /// Owner's login.
    pub owner: String,
    /// Created (Unix ms).
    pub created_at: i64,
}

const COLUMNS: &str =
    "f.id, f.list, f.name, f.shared, f.query, f.owner_id, COALESCE(u.login, ''), f.created_at";

fn saved_filter(row: &AnyRow) -> Result<SavedFilter, DbError> {
    Ok(SavedFilter {
        id: row.try_get(0)?,
        list: row.try_get(1)?,
        name: row.try_get(2)?,
        shared: row.try_get::<i64, _>(3)? != 0,
        query: row.try_get(4)?,
        owner_id: row.try_get(5)?,
        owner: row.try_get(6)?,
        created_at: row.try_get(7)?,
    })
}

/// The filters of `list` that `user_id` may use: its own and every shared one, by name.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn usable(db: &Db, list: &str, user_id: i64) -> Result<Vec<SavedFilter>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM saved_filters f LEFT JOIN users u ON u.id = f.owner_id \
         WHERE f.list = $1 AND (f.owner_id = $2 OR f.shared = 1) ORDER BY f.name, f.id"
    ))
    .bind(list)
    .bind(user_id)
    .fetch_all(db.read())
    .await?;
    rows.iter().map(saved_filter).collect()
}

/// One saved filter.
///
/// # Errors
/// [`DbError::NotFound`] for an unknown id.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<SavedFilter, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM saved_filters f LEFT JOIN users u ON u.id = f.owner_id WHERE f.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(DbError::NotFound)?;
    saved_filter(&row)
}

/// Whether the owner already has a filter of this name on the list.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn name_taken(
    conn: &mut AnyConnection,
    owner_id: i64,
    list: &str,
    name: &str,
) -> Result<bool, DbError> {
    Ok(
        sqlx::query("SELECT 1 FROM saved_filters WHERE owner_id = $1 AND list = $2 AND name = $3")
            .bind(owner_id)
            .bind(list)
            .bind(name)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}

/// A filter to save.
#[derive(Debug, Clone)]
pub struct NewSavedFilter<'a> {
    /// List.
    pub list: &'a str,
    /// Owner.
    pub owner_id: i64,
    /// Name.
    pub name: &'a str,
    /// Shared with every account.
    pub shared: bool,
    /// Query string.
    pub query: &'a str,
}

/// Saves a filter and returns its id.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert(
    conn: &mut AnyConnection,
    filter: &NewSavedFilter<'_>,
    now: i64,
) -> Result<i64, DbError> {
    let row = sqlx::query(
        "INSERT INTO saved_filters (list, owner_id, name, shared, query, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(filter.list)
    .bind(filter.owner_id)
    .bind(filter.name)
    .bind(i64::from(filter.shared))
    .bind(filter.query)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// Deletes a saved filter.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM saved_filters WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The columns an account chose for a list, if it chose.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn columns(db: &Db, user_id: i64, list: &str) -> Result<Option<String>, DbError> {
    let row = sqlx::query("SELECT columns FROM list_columns WHERE user_id = $1 AND list = $2")
        .bind(user_id)
        .bind(list)
        .fetch_optional(db.read())
        .await?;
    row.map(|row| row.try_get(0))
        .transpose()
        .map_err(Into::into)
}

/// Records an account's columns for a list.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn set_columns(db: &Db, user_id: i64, list: &str, columns: &str) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO list_columns (user_id, list, columns) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, list) DO UPDATE SET columns = excluded.columns",
    )
    .bind(user_id)
    .bind(list)
    .bind(columns)
    .execute(db.write())
    .await?;
    Ok(())
}

/// The name and query string of every saved filter of `list` (whoever owns it), so a
/// feature can refuse to delete a value a filter names.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn queries_of(
    conn: &mut AnyConnection,
    list: &str,
) -> Result<Vec<(String, String)>, DbError> {
    let rows = sqlx::query("SELECT name, query FROM saved_filters WHERE list = $1 ORDER BY id")
        .bind(list)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect()
}
