//! Random secrets and their stored hashes.
//!
//! Agent secrets, enrollment tokens and API tokens are 256-bit random values, so a plain
//! SHA-256 is a sufficient one-way store (no dictionary to attack) and cheap enough to check on
//! every one of 10,000 check-ins a second. Passwords use argon2id (`accounts`).

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new random 256-bit value as 64 hex digits, with an optional prefix that says what it is.
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// A short random identifier (128 bits, hex).
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two stored hashes in constant time.
pub fn hashes_equal(left: &str, right: &str) -> bool {
    let (left, right) = (left.as_bytes(), right.as_bytes());
    if left.len() != right.len() {
        return false;
    }
    left.iter()
        .zip(right)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hash_stably() {
        let first = random_token("kt_");
        let second = random_token("kt_");
        assert_ne!(first, second);
        assert!(first.starts_with("kt_") && first.len() == 67);
        assert!(hashes_equal(&hash_token(&first), &hash_token(&first)));
        assert!(!hashes_equal(&hash_token(&first), &hash_token(&second)));
        assert!(!hashes_equal("ab", "abc"));
    }
}
