//! Who is calling: the [`Actor`] every service function takes first.

/// An authenticated administrator (through the console session or an API token).
#[derive(Debug, Clone)]
pub struct Actor {
    /// User id.
    pub user_id: i64,
    /// Login name, for the audit trail and command authorship.
    pub login: String,
}
