//! The account policy: password rules, expiry, lockout and the console's idle timeout, and
//! the pure checks built on it (no storage, no clock: callers pass the time).

use serde::{Deserialize, Serialize};

/// The one policy every account follows (`account_policy`, editable by system
/// administrators). Defaults follow the issue: 8 characters, 3 of 4 classes, 90-day expiry
/// with a prompt from 7 days before, the last 5 passwords not reusable, lockout after 5
/// failures for 30 minutes, 60 minutes of idleness ends a console session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountPolicy {
    /// Shortest password, in characters.
    pub min_length: u32,
    /// Character classes (upper case, lower case, digits, symbols or letters without case)
    /// a password needs, 1–4.
    pub classes_required: u32,
    /// Days a password is valid; 0: never expires.
    pub expiry_days: u32,
    /// Days before expiry from which login asks for a new password.
    pub warn_days: u32,
    /// Earlier passwords that cannot be used again (the current one always counts).
    pub history_count: u32,
    /// Consecutive failed logins that lock an account; 0: never locks.
    pub lockout_threshold: u32,
    /// Minutes after which a lock ends by itself; 0: only an account administrator unlocks.
    pub lockout_minutes: u32,
    /// Minutes without a request after which a console session ends.
    pub idle_minutes: u32,
    /// Optimistic version of the policy row.
    #[serde(default)]
    pub version: i64,
}

impl Default for AccountPolicy {
    fn default() -> AccountPolicy {
        AccountPolicy {
            min_length: 8,
            classes_required: 3,
            expiry_days: 90,
            warn_days: 7,
            history_count: 5,
            lockout_threshold: 5,
            lockout_minutes: 30,
            idle_minutes: 60,
            version: 1,
        }
    }
}

/// Longest password accepted (argon2 hashes anything, but a megabyte of input is an attack).
pub const MAX_PASSWORD_CHARS: usize = 256;

const DAY_MS: i64 = 86_400_000;
const MINUTE_MS: i64 = 60_000;

/// Why a new password is refused; each names the rule so the console can say it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    /// Shorter than the policy's minimum.
    #[error("the password must have at least {0} characters")]
    TooShort(u32),
    /// Longer than [`MAX_PASSWORD_CHARS`].
    #[error("the password must have at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
    /// Too few character classes.
    #[error("the password must mix at least {0} of: upper case, lower case, digits, symbols")]
    TooFewClasses(u32),
    /// Contains the login.
    #[error("the password must not contain the user id")]
    ContainsLogin,
    /// Control characters cannot be typed reliably and hide in logs.
    #[error("the password must not contain control characters")]
    ControlCharacter,
    /// Same as a recent password.
    #[error("the password was used recently; choose another")]
    Reused,
}

impl PasswordProblem {
    /// A stable code for API clients and message catalogues.
    pub fn code(&self) -> &'static str {
        match self {
            PasswordProblem::TooShort(_) => "password_too_short",
            PasswordProblem::TooLong => "password_too_long",
            PasswordProblem::TooFewClasses(_) => "password_too_few_classes",
            PasswordProblem::ContainsLogin => "password_contains_login",
            PasswordProblem::ControlCharacter => "password_control_character",
            PasswordProblem::Reused => "password_reused",
        }
    }
}

impl AccountPolicy {
    /// Checks a new password's form (history is checked against stored hashes by the
    /// caller).
    ///
    /// # Errors
    /// The first rule the password breaks.
    pub fn check_form(&self, login: &str, password: &str) -> Result<(), PasswordProblem> {
        let chars = password.chars().count();
        if chars > MAX_PASSWORD_CHARS {
            return Err(PasswordProblem::TooLong);
        }
        if password.chars().any(char::is_control) {
            return Err(PasswordProblem::ControlCharacter);
        }
        if chars < self.min_length as usize {
            return Err(PasswordProblem::TooShort(self.min_length));
        }
        let classes = [
            password.chars().any(|c| c.is_uppercase()),
            password.chars().any(|c| c.is_lowercase()),
            password.chars().any(|c| c.is_ascii_digit()),
            // Symbols, and letters without case (kana, kanji), as Windows' complexity rule
            // counts them.
            password.chars().any(|c| {
                !c.is_ascii_digit() && !c.is_uppercase() && !c.is_lowercase() && !c.is_whitespace()
            }),
        ]
        .iter()
        .filter(|present| **present)
        .count() as u32;
        if classes < self.classes_required.clamp(1, 4) {
            return Err(PasswordProblem::TooFewClasses(self.classes_required));
        }
        if login.chars().count() >= 3 && password.to_lowercase().contains(&login.to_lowercase()) {
            return Err(PasswordProblem::ContainsLogin);
        }
        Ok(())
    }

    /// Where a password set at `changed_at` stands at `now`.
    pub fn expiry(&self, changed_at: i64, now: i64) -> Expiry {
        if self.expiry_days == 0 {
            return Expiry::Valid;
        }
        let expires_at = changed_at.saturating_add(i64::from(self.expiry_days) * DAY_MS);
        if now >= expires_at {
            Expiry::Expired
        } else if now >= expires_at - i64::from(self.warn_days) * DAY_MS {
            Expiry::Soon { expires_at }
        } else {
            Expiry::Valid
        }
    }

    /// Whether an account locked at `locked_at` is still locked at `now`.
    pub fn still_locked(&self, locked_at: Option<i64>, now: i64) -> bool {
        match locked_at {
            None => false,
            Some(_) if self.lockout_minutes == 0 => true,
            Some(at) => now < at.saturating_add(i64::from(self.lockout_minutes) * MINUTE_MS),
        }
    }

    /// Whether a session last used at `last_seen_at` has been idle too long at `now`.
    pub fn session_expired(&self, last_seen_at: i64, now: i64) -> bool {
        now >= last_seen_at.saturating_add(i64::from(self.idle_minutes.max(1)) * MINUTE_MS)
    }

    /// Checks the policy's own values.
    ///
    /// # Errors
    /// The field at fault and why.
    pub fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        if !(4..=128).contains(&self.min_length) {
            return Err(("min_length", "must be between 4 and 128"));
        }
        if !(1..=4).contains(&self.classes_required) {
            return Err(("classes_required", "must be between 1 and 4"));
        }
        if self.expiry_days > 3650 {
            return Err(("expiry_days", "must be at most 3650 (0: never)"));
        }
        if self.warn_days > 90 {
            return Err(("warn_days", "must be at most 90"));
        }
        if self.history_count > 24 {
            return Err(("history_count", "must be at most 24"));
        }
        if self.lockout_threshold > 100 {
            return Err(("lockout_threshold", "must be at most 100 (0: never)"));
        }
        if self.lockout_minutes > 10_080 {
            return Err((
                "lockout_minutes",
                "must be at most 10080 (0: until unlocked)",
            ));
        }
        if !(5..=1440).contains(&self.idle_minutes) {
            return Err(("idle_minutes", "must be between 5 and 1440"));
        }
        Ok(())
    }
}

/// A password's standing under the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Nothing to do.
    Valid,
    /// Login should prompt for a new one.
    Soon {
        /// When it expires (Unix ms).
        expires_at: i64,
    },
    /// Login must require a new one.
    Expired,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_need_length_and_three_classes() {
        let policy = AccountPolicy::default();
        assert_eq!(
            policy.check_form("sato", "Ab1!"),
            Err(PasswordProblem::TooShort(8))
        );
        assert_eq!(
            policy.check_form("sato", "abcdefgh1"),
            Err(PasswordProblem::TooFewClasses(3))
        );
        assert_eq!(policy.check_form("sato", "abcdefG1"), Ok(()));
        assert_eq!(policy.check_form("sato", "abcdefg!1"), Ok(()));
        // Japanese letters count as characters, not bytes, and as the class of letters
        // without case.
        assert_eq!(policy.check_form("sato", "かんりかんりA1"), Ok(()));
        assert_eq!(
            policy.check_form("sato", "かんり1"),
            Err(PasswordProblem::TooShort(8))
        );
        assert_eq!(
            policy.check_form("sato", "xxSATOxx1!"),
            Err(PasswordProblem::ContainsLogin)
        );
        assert_eq!(
            policy.check_form("sato", "Abcdefg1\u{7}"),
            Err(PasswordProblem::ControlCharacter)
        );
        assert_eq!(
            policy.check_form("sato", &"Aa1!".repeat(65)),
            Err(PasswordProblem::TooLong)
        );
    }

    #[test]
    fn expiry_warns_from_seven_days_before() {
        let policy = AccountPolicy::default();
        let day = DAY_MS;
        assert_eq!(policy.expiry(0, 82 * day), Expiry::Valid);
        assert_eq!(
            policy.expiry(0, 83 * day),
            Expiry::Soon {
                expires_at: 90 * day
            }
        );
        assert_eq!(policy.expiry(0, 90 * day), Expiry::Expired);
        let never = AccountPolicy {
            expiry_days: 0,
            ..policy
        };
        assert_eq!(never.expiry(0, 1000 * day), Expiry::Valid);
    }

    #[test]
    fn locks_end_after_the_lockout_time_or_never() {
        let policy = AccountPolicy::default();
        assert!(!policy.still_locked(None, 0));
        assert!(policy.still_locked(Some(0), 29 * MINUTE_MS));
        assert!(!policy.still_locked(Some(0), 30 * MINUTE_MS));
        let manual = AccountPolicy {
            lockout_minutes: 0,
            ..policy.clone()
        };
        assert!(manual.still_locked(Some(0), 1_000 * DAY_MS));
        assert!(policy.session_expired(0, 60 * MINUTE_MS));
        assert!(!policy.session_expired(0, 59 * MINUTE_MS));
    }

    #[test]
    fn the_policy_checks_its_own_values() {
        assert_eq!(AccountPolicy::default().validate(), Ok(()));
        let bad = AccountPolicy {
            classes_required: 5,
            ..AccountPolicy::default()
        };
        assert_eq!(bad.validate().map_err(|e| e.0), Err("classes_required"));
    }
}
