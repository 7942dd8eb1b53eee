//! SQL for `users` and `api_tokens`.

use sqlx::{AnyConnection, Row};

use crate::core::db::{not_found, Db, DbError};

/// Number of accounts.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn count_users(db: &Db) -> Result<i64, DbError> {
    let row = sqlx::query("SELECT COUNT(*) FROM users")
        .fetch_one(db.read())
        .await?;
    Ok(row.try_get(0)?)
}

/// Creates an account unless the login exists; returns whether it was created.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert_user(
    conn: &mut AnyConnection,
    login: &str,
    name: &str,
    password_hash: &str,
    must_change_password: bool,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "INSERT INTO users (login, name, password_hash, must_change_password, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (login) DO NOTHING",
    )
    .bind(login)
    .bind(name)
    .bind(password_hash)
    .bind(i64::from(must_change_password))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The id of a login.
///
/// # Errors
/// [`DbError::NotFound`] for an unknown login.
pub async fn get_user_id(db: &Db, login: &str) -> Result<i64, DbError> {
    let row = sqlx::query("SELECT id FROM users WHERE login = $1")
        .bind(login)
        .fetch_one(db.read())
        .await
        .map_err(not_found)?;
    Ok(row.try_get(0)?)
}

/// Stores a new API token's hash.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert_api_token(
    db: &Db,
    user_id: i64,
    name: &str,
    token_hash: &str,
    expires_at: Option<i64>,
    now: i64,
) -> Result<i64, DbError> {
    let row = sqlx::query(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user_id)
    .bind(name)
    .bind(token_hash)
    .bind(now)
    .bind(expires_at)
    .fetch_one(db.write())
    .await?;
    Ok(row.try_get(0)?)
}

/// A live token's owner: (user id, login, expires_at).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn find_token_owner(
    db: &Db,
    token_hash: &str,
) -> Result<Option<(i64, String, Option<i64>)>, DbError> {
    let row = sqlx::query(
        "SELECT u.id, u.login, t.expires_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(db.read())
    .await?;
    match row {
        None => Ok(None),
        Some(row) => Ok(Some((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))),
    }
}
