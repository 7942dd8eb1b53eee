//! Enrollment tokens as the REST API and the console show them: never the token itself, nor
//! its hash.

use serde::Serialize;

use crate::agents::store::TokenRow;

/// Whether a token still enrolls agents, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    /// Enrolls agents.
    Active,
    /// Past its expiry.
    Expired,
    /// Every allowed use spent.
    UsedUp,
    /// Revoked by an administrator.
    Revoked,
}

impl TokenState {
    /// The state of `row` at `now` (ms): revoked before expired before used up, the order in
    /// which enrollment refuses a token.
    pub fn of(row: &TokenRow, now: i64) -> TokenState {
        if row.revoked_at.is_some() {
            TokenState::Revoked
        } else if row.expires_at.is_some_and(|expires_at| expires_at <= now) {
            TokenState::Expired
        } else if row.uses_allowed.is_some_and(|allowed| row.uses >= allowed) {
            TokenState::UsedUp
        } else {
            TokenState::Active
        }
    }

    /// The name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenState::Active => "active",
            TokenState::Expired => "expired",
            TokenState::UsedUp => "used_up",
            TokenState::Revoked => "revoked",
        }
    }
}

/// An enrollment token as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnrollmentToken {
    /// Id.
    pub id: i64,
    /// What the administrator called it.
    pub label: String,
    /// Created (Unix ms).
    pub created_at: i64,
    /// Expiry (Unix ms); `None` never expires.
    pub expires_at: Option<i64>,
    /// How many enrollments it allows; `None` is any number.
    pub uses_allowed: Option<i64>,
    /// Enrollments so far.
    pub uses: i64,
    /// Revoked (Unix ms), if it was.
    pub revoked_at: Option<i64>,
    /// Its state at the time of the request.
    pub state: TokenState,
}

impl EnrollmentToken {
    /// The token of `row` as of `now` (ms).
    pub fn from_row(row: TokenRow, now: i64) -> EnrollmentToken {
        let state = TokenState::of(&row, now);
        EnrollmentToken {
            id: row.id,
            label: row.label,
            created_at: row.created_at,
            expires_at: row.expires_at,
            uses_allowed: row.uses_allowed,
            uses: row.uses,
            revoked_at: row.revoked_at,
            state,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(
        expires_at: Option<i64>,
        uses_allowed: Option<i64>,
        uses: i64,
        revoked_at: Option<i64>,
        expected: TokenState,
    ) {
        let row = TokenRow {
            id: 1,
            label: String::new(),
            created_at: 0,
            expires_at,
            uses_allowed,
            uses,
            revoked_at,
        };
        assert_eq!(TokenState::of(&row, 1_000), expected, "{row:?}");
    }

    #[test]
    fn states_follow_the_enrollment_rules() {
        check(None, None, 5, None, TokenState::Active);
        check(Some(1_001), Some(2), 1, None, TokenState::Active);
        check(Some(1_000), None, 0, None, TokenState::Expired);
        check(None, Some(2), 2, None, TokenState::UsedUp);
        check(Some(10), Some(1), 1, None, TokenState::Expired);
        check(Some(10), Some(1), 1, Some(5), TokenState::Revoked);
    }
}
