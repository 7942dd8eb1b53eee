//! Password hashing with argon2id, off the async workers (a hash takes tens of milliseconds
//! of CPU by design).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::accounts::service::AccountError;

/// Hashes a password (argon2id, the crate's default parameters, a random salt).
///
/// # Errors
/// [`AccountError::Hash`].
pub async fn hash(password: &str) -> Result<String, AccountError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| AccountError::Hash(error.to_string()))
    })
    .await
    .map_err(|error| AccountError::Hash(error.to_string()))?
}

/// Whether `password` matches any of `hashes` (a stored hash that does not parse matches
/// nothing).
///
/// # Errors
/// [`AccountError::Hash`] when the blocking task fails.
pub async fn matches_any(password: &str, hashes: Vec<String>) -> Result<bool, AccountError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        hashes.iter().any(|stored| {
            PasswordHash::new(stored).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
        })
    })
    .await
    .map_err(|error| AccountError::Hash(error.to_string()))
}
