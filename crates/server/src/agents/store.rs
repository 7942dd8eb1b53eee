//! SQL for `enrollment_tokens`, `agents` and `device_commands`.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::core::db::{Db, DbError};

/// An enrollment token row (never the token itself; its hash stays in the table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    /// Id.
    pub id: i64,
    /// What the administrator called it.
    pub label: String,
    /// Created (ms).
    pub created_at: i64,
    /// Expiry (ms).
    pub expires_at: Option<i64>,
    /// Allowed uses.
    pub uses_allowed: Option<i64>,
    /// Uses so far.
    pub uses: i64,
    /// Revocation time.
    pub revoked_at: Option<i64>,
}

const TOKEN_COLUMNS: &str = "id, label, created_at, expires_at, uses_allowed, uses, revoked_at";

fn token_row(row: &AnyRow) -> Result<TokenRow, DbError> {
    Ok(TokenRow {
        id: row.try_get(0)?,
        label: row.try_get(1)?,
        created_at: row.try_get(2)?,
        expires_at: row.try_get(3)?,
        uses_allowed: row.try_get(4)?,
        uses: row.try_get(5)?,
        revoked_at: row.try_get(6)?,
    })
}

/// Stores a new token's hash; returns its id.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    label: &str,
    expires_at: Option<i64>,
    uses_allowed: Option<i64>,
    now: i64,
) -> Result<i64, DbError> {
    let row = sqlx::query(
        "INSERT INTO enrollment_tokens (token_hash, label, created_at, expires_at, uses_allowed) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(token_hash)
    .bind(label)
    .bind(now)
    .bind(expires_at)
    .bind(uses_allowed)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// A token by its hash.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn find_token(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<TokenRow>, DbError> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM enrollment_tokens WHERE token_hash = $1");
    let row = sqlx::query(&sql)
        .bind(token_hash)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(token_row).transpose()
}

/// Most tokens [`list_tokens`] returns.
pub const LIST_TOKENS_LIMIT: i64 = 1000;

/// The newest [`LIST_TOKENS_LIMIT`] tokens, newest first.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_tokens(db: &Db) -> Result<Vec<TokenRow>, DbError> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM enrollment_tokens ORDER BY id DESC LIMIT $1");
    let rows = sqlx::query(&sql)
        .bind(LIST_TOKENS_LIMIT)
        .fetch_all(db.read())
        .await?;
    rows.iter().map(token_row).collect()
}

/// Revokes a live token; returns it as revoked, or `None` when there is no such token or it
/// was revoked already.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn revoke_token(
    conn: &mut AnyConnection,
    id: i64,
    now: i64,
) -> Result<Option<TokenRow>, DbError> {
    let sql = format!(
        "UPDATE enrollment_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL \
         RETURNING {TOKEN_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(now)
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(token_row).transpose()
}

/// Counts one use unless the token is used up; returns whether it was counted. The condition
/// is in the UPDATE so that concurrent enrollments cannot overspend a token.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn update_token_use(conn: &mut AnyConnection, id: i64) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE enrollment_tokens SET uses = uses + 1 WHERE id = $1 AND (uses_allowed IS NULL OR uses < uses_allowed)",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An agent credential row.
#[derive(Debug, Clone)]
pub struct AgentRow {
    /// Agent id.
    pub id: String,
    /// Device.
    pub device_id: i64,
    /// Secret hash.
    pub secret_hash: String,
    /// Host identifier.
    pub host_id: String,
    /// Fingerprint.
    pub fingerprint: String,
    /// Version.
    pub agent_version: String,
    /// The agent settings version it last reported as applied.
    pub settings_version: i64,
    /// The device's state.
    pub device_state: String,
}

/// A live agent with its device's state.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn find_agent(db: &Db, agent_id: &str) -> Result<Option<AgentRow>, DbError> {
    let sql = format!("{AGENT_SELECT} WHERE a.id = $1 AND a.revoked_at IS NULL");
    let row = sqlx::query(&sql)
        .bind(agent_id)
        .fetch_optional(db.read())
        .await?;
    row.as_ref().map(agent_row).transpose()
}

/// The live agents among `agent_ids`, in one query (the credential refresh reads thousands).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn find_agents(db: &Db, agent_ids: &[&str]) -> Result<Vec<AgentRow>, DbError> {
    let ids = crate::core::db::json_rows(db.backend(), 1, &[("id", "TEXT")]);
    let sql = format!("{AGENT_SELECT} WHERE a.id IN ({ids}) AND a.revoked_at IS NULL");
    let param: Vec<[&str; 1]> = agent_ids.iter().map(|id| [*id]).collect();
    let param =
        serde_json::to_string(&param).map_err(|error| DbError::Corrupt(error.to_string()))?;
    let rows = sqlx::query(&sql).bind(param).fetch_all(db.read()).await?;
    rows.iter().map(agent_row).collect()
}

const AGENT_SELECT: &str = "SELECT a.id, a.device_id, a.secret_hash, a.host_id, a.fingerprint, \
     a.agent_version, d.state, a.settings_version FROM agents a JOIN devices d ON d.id = a.device_id";

fn agent_row(row: &AnyRow) -> Result<AgentRow, DbError> {
    Ok(AgentRow {
        id: row.try_get(0)?,
        device_id: row.try_get(1)?,
        secret_hash: row.try_get(2)?,
        host_id: row.try_get(3)?,
        fingerprint: row.try_get(4)?,
        agent_version: row.try_get(5)?,
        device_state: row.try_get(6)?,
        settings_version: row.try_get(7)?,
    })
}

/// Fingerprints of the live agents of a device.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn find_active_fingerprint(
    conn: &mut AnyConnection,
    device_id: i64,
) -> Result<Option<String>, DbError> {
    let row = sqlx::query(
        "SELECT fingerprint FROM agents WHERE device_id = $1 AND revoked_at IS NULL ORDER BY enrolled_at DESC LIMIT 1",
    )
    .bind(device_id)
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        Some(row) => Some(row.try_get(0)?),
        None => None,
    })
}

/// Revokes every live agent of a device; returns their ids.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn revoke_agents_of(
    conn: &mut AnyConnection,
    device_id: i64,
    now: i64,
) -> Result<Vec<String>, DbError> {
    let rows = sqlx::query("UPDATE agents SET revoked_at = $1 WHERE device_id = $2 AND revoked_at IS NULL RETURNING id")
        .bind(now)
        .bind(device_id)
        .fetch_all(conn)
        .await?;
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}

/// Revokes one agent's credentials; returns false when they were revoked already.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn revoke_agent(
    conn: &mut AnyConnection,
    agent_id: &str,
    now: i64,
) -> Result<bool, DbError> {
    let done =
        sqlx::query("UPDATE agents SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(agent_id)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Stores a new agent credential.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert_agent(
    conn: &mut AnyConnection,
    row: &AgentRow,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO agents (id, device_id, secret_hash, host_id, fingerprint, agent_version, enrolled_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(row.id.as_str())
    .bind(row.device_id)
    .bind(row.secret_hash.as_str())
    .bind(row.host_id.as_str())
    .bind(row.fingerprint.as_str())
    .bind(row.agent_version.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a new fingerprint or version for an agent.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn update_agent_facts(
    conn: &mut AnyConnection,
    agent_id: &str,
    fingerprint: &str,
    agent_version: &str,
) -> Result<(), DbError> {
    sqlx::query("UPDATE agents SET fingerprint = $1, agent_version = $2 WHERE id = $3")
        .bind(fingerprint)
        .bind(agent_version)
        .bind(agent_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records the agent settings version an agent applied; returns false when it was recorded
/// already (by another node, or a concurrent check-in), so the change is reported once.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn update_settings_version(
    conn: &mut AnyConnection,
    agent_id: &str,
    settings_version: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE agents SET settings_version = $1 WHERE id = $2 AND settings_version <> $1",
    )
    .bind(settings_version)
    .bind(agent_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Queues an action for a device.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert_command(
    db: &Db,
    device_id: i64,
    action: &str,
    created_by: &str,
    now: i64,
) -> Result<i64, DbError> {
    let row = sqlx::query(
        "INSERT INTO device_commands (device_id, action, created_at, created_by) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(device_id)
    .bind(action)
    .bind(now)
    .bind(created_by)
    .fetch_one(db.write())
    .await?;
    Ok(row.try_get(0)?)
}

/// Takes a device's undelivered commands; one UPDATE, so two polls never both get one.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn take_commands(
    db: &Db,
    device_id: i64,
    now: i64,
) -> Result<Vec<(i64, String)>, DbError> {
    let rows = sqlx::query(
        "UPDATE device_commands SET delivered_at = $1 WHERE device_id = $2 AND delivered_at IS NULL RETURNING id, action",
    )
    .bind(now)
    .bind(device_id)
    .fetch_all(db.write())
    .await?;
    let mut commands: Vec<(i64, String)> = rows
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect::<Result<_, DbError>>()?;
    commands.sort_unstable();
    Ok(commands)
}

/// Devices with undelivered commands.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_pending_devices(db: &Db) -> Result<Vec<i64>, DbError> {
    let rows =
        sqlx::query("SELECT DISTINCT device_id FROM device_commands WHERE delivered_at IS NULL")
            .fetch_all(db.read())
            .await?;
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}
