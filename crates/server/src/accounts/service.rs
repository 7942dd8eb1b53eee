//! Account rules: the first administrator and API tokens.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHasher};
use rand::distributions::{Alphanumeric, DistString};

use crate::accounts::store;
use crate::core::db::{Db, DbError};
use crate::core::secrets::{hash_token, random_token};
use crate::core::time::now_ms;

/// Failures of account operations.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// No such user.
    #[error("user {0:?} does not exist")]
    UnknownUser(String),
    /// Hashing failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// Storage.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Creates `admin` with a generated password when there is no account yet; returns the
/// password so the caller can show it once.
///
/// # Errors
/// [`AccountError`] from hashing or storage.
pub async fn bootstrap_admin(db: &Db) -> Result<Option<String>, AccountError> {
    if store::count_users(db).await? > 0 {
        return Ok(None);
    }
    let password = Alphanumeric.sample_string(&mut rand::thread_rng(), 20);
    let salt = SaltString::generate(&mut OsRng);
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|error| AccountError::Hash(error.to_string()))?
        .to_string();
    let mut conn = db.write().acquire().await.map_err(DbError::from)?;
    let created =
        store::insert_user(&mut conn, "admin", "Administrator", &hash, true, now_ms()).await?;
    Ok(created.then_some(password))
}

/// Creates an API token for `login`; the token is returned once and only its hash is kept.
///
/// # Errors
/// [`AccountError::UnknownUser`] or storage errors.
pub async fn create_api_token(
    db: &Db,
    login: &str,
    name: &str,
    expires_at: Option<i64>,
) -> Result<String, AccountError> {
    let user_id = match store::get_user_id(db, login).await {
        Ok(id) => id,
        Err(DbError::NotFound) => return Err(AccountError::UnknownUser(login.to_string())),
        Err(other) => return Err(other.into()),
    };
    let token = random_token("kt_");
    store::insert_api_token(db, user_id, name, &hash_token(&token), expires_at, now_ms()).await?;
    Ok(token)
}
