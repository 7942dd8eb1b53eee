//! SQL for `users`, `api_tokens`, `password_history`, `console_sessions`, `user_departments`
//! and `account_policy`.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::accounts::policy::AccountPolicy;
use crate::core::auth::{Divisions, Scope};
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

/// Creates the built-in administrator unless the login exists; returns whether it was
/// created.
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
        "INSERT INTO users (login, name, password_hash, must_change_password, created_at, \
         updated_at, password_changed_at, system_admin, account_admin, builtin, language) \
         VALUES ($1, $2, $3, $4, $5, $5, $5, 1, 1, 1, '') ON CONFLICT (login) DO NOTHING",
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

/// An account as stored, without its password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// Row id.
    pub id: i64,
    /// User id (ユーザーID) typed at login.
    pub login: String,
    /// What account administrators edit: profile, privileges, divisions, scope.
    pub fields: AccountFields,
    /// The built-in `admin`: never deleted.
    pub builtin: bool,
    /// Login must change the password first.
    pub must_change_password: bool,
    /// When the password was last set (Unix ms).
    pub password_changed_at: i64,
    /// Consecutive failed logins.
    pub failed_logins: i64,
    /// When the account was locked, if it is.
    pub locked_at: Option<i64>,
    /// Created (Unix ms).
    pub created_at: i64,
    /// Last changed (Unix ms).
    pub updated_at: i64,
    /// Optimistic version.
    pub version: i64,
}

const USER_COLUMNS: &str = "id, login, name, email, language, time_zone, system_admin, \
    account_admin, divisions, all_departments, builtin, must_change_password, \
    password_changed_at, failed_logins, locked_at, created_at, updated_at, version";

fn user_row(row: &AnyRow) -> Result<UserRow, DbError> {
    Ok(UserRow {
        id: row.try_get(0)?,
        login: row.try_get(1)?,
        fields: AccountFields {
            name: row.try_get(2)?,
            email: row.try_get(3)?,
            language: row.try_get(4)?,
            time_zone: row.try_get(5)?,
            system_admin: row.try_get::<i64, _>(6)? != 0,
            account_admin: row.try_get::<i64, _>(7)? != 0,
            divisions: Divisions::from_bits(row.try_get(8)?),
            all_departments: row.try_get::<i64, _>(9)? != 0,
            departments: Vec::new(),
        },
        builtin: row.try_get::<i64, _>(10)? != 0,
        must_change_password: row.try_get::<i64, _>(11)? != 0,
        password_changed_at: row.try_get(12)?,
        failed_logins: row.try_get(13)?,
        locked_at: row.try_get(14)?,
        created_at: row.try_get(15)?,
        updated_at: row.try_get(16)?,
        version: row.try_get(17)?,
    })
}

/// An account by id, with its department roots.
///
/// # Errors
/// [`DbError::NotFound`] for an unknown id.
pub async fn get_user(db: &Db, id: i64) -> Result<UserRow, DbError> {
    let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_one(db.read())
        .await
        .map_err(not_found)?;
    let mut user = user_row(&row)?;
    user.fields.departments = list_user_departments(db, id).await?;
    Ok(user)
}

/// An account by login with its password hash, for signing in.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn find_login(db: &Db, login: &str) -> Result<Option<(UserRow, String)>, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS}, password_hash FROM users WHERE login = $1"
    ))
    .bind(login)
    .fetch_optional(db.read())
    .await?;
    row.map(|row| Ok((user_row(&row)?, row.try_get(18)?)))
        .transpose()
}

/// Every account, by login.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_users(db: &Db) -> Result<Vec<UserRow>, DbError> {
    let rows = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY login"))
        .fetch_all(db.read())
        .await?;
    let mut users = rows.iter().map(user_row).collect::<Result<Vec<_>, _>>()?;
    for user in &mut users {
        user.fields.departments = list_user_departments(db, user.id).await?;
    }
    Ok(users)
}

async fn list_user_departments(db: &Db, user_id: i64) -> Result<Vec<i64>, DbError> {
    let rows = sqlx::query(
        "SELECT department_id FROM user_departments WHERE user_id = $1 ORDER BY department_id",
    )
    .bind(user_id)
    .fetch_all(db.read())
    .await?;
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}

/// The departments an account sees: every department under its roots.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn scope_of(db: &Db, user: &UserRow) -> Result<Scope, DbError> {
    if user.fields.all_departments {
        return Ok(Scope::All);
    }
    Ok(Scope::Departments(
        crate::departments::store::scope_of_user(db, user.id).await?,
    ))
}

/// Counts a failed login; locks the account when `lock_at` failures are reached (0: never).
/// Returns whether this failure locked it.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn record_failed_login(
    conn: &mut AnyConnection,
    user_id: i64,
    lock_at: i64,
    now: i64,
) -> Result<bool, DbError> {
    let row = sqlx::query(
        "UPDATE users SET failed_logins = failed_logins + 1, \
         locked_at = CASE WHEN locked_at IS NULL AND $2 > 0 AND failed_logins + 1 >= $2 \
                          THEN $3 ELSE locked_at END \
         WHERE id = $1 RETURNING locked_at",
    )
    .bind(user_id)
    .bind(lock_at)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get::<Option<i64>, _>(0)? == Some(now))
}

/// Clears failed logins and any lock (a successful login, an unlock, or a lock that ran out).
/// Returns whether the account had been locked.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn clear_lock(conn: &mut AnyConnection, user_id: i64) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE users SET failed_logins = 0, locked_at = NULL \
         WHERE id = $1 AND (failed_logins <> 0 OR locked_at IS NOT NULL)",
    )
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The account's current and recent password hashes, newest first (`keep` of the history).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn recent_password_hashes(
    conn: &mut AnyConnection,
    user_id: i64,
    keep: u32,
) -> Result<Vec<String>, DbError> {
    let current: String = sqlx::query("SELECT password_hash FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&mut *conn)
        .await
        .map_err(not_found)?
        .try_get(0)?;
    let rows = sqlx::query(
        "SELECT password_hash FROM password_history WHERE user_id = $1 \
         ORDER BY changed_at DESC, id DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(i64::from(keep))
    .fetch_all(&mut *conn)
    .await?;
    let mut hashes = vec![current];
    for row in rows {
        hashes.push(row.try_get(0)?);
    }
    Ok(hashes)
}

/// Sets a password: the old hash goes into the history (trimmed to `keep`), `must_change`
/// says whether the next login must change it (an administrator's reset).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn set_password(
    conn: &mut AnyConnection,
    user_id: i64,
    new_hash: &str,
    must_change: bool,
    keep: u32,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO password_history (user_id, password_hash, changed_at) \
         SELECT id, password_hash, $2 FROM users WHERE id = $1",
    )
    .bind(user_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM password_history WHERE user_id = $1 AND id NOT IN \
         (SELECT id FROM password_history WHERE user_id = $1 \
          ORDER BY changed_at DESC, id DESC LIMIT $2)",
    )
    .bind(user_id)
    .bind(i64::from(keep))
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE users SET password_hash = $2, password_changed_at = $3, \
         must_change_password = $4, updated_at = $3, version = version + 1 WHERE id = $1",
    )
    .bind(user_id)
    .bind(new_hash)
    .bind(now)
    .bind(i64::from(must_change))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The account policy.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn get_policy(db: &Db) -> Result<AccountPolicy, DbError> {
    let row = sqlx::query(
        "SELECT min_length, classes_required, expiry_days, warn_days, history_count, \
         lockout_threshold, lockout_minutes, idle_minutes, version FROM account_policy WHERE id = 1",
    )
    .fetch_one(db.read())
    .await
    .map_err(not_found)?;
    let number = |index: usize| -> Result<u32, DbError> {
        let value: i64 = row.try_get(index)?;
        u32::try_from(value).map_err(|_| DbError::Corrupt(format!("account policy value {value}")))
    };
    Ok(AccountPolicy {
        min_length: number(0)?,
        classes_required: number(1)?,
        expiry_days: number(2)?,
        warn_days: number(3)?,
        history_count: number(4)?,
        lockout_threshold: number(5)?,
        lockout_minutes: number(6)?,
        idle_minutes: number(7)?,
        version: row.try_get(8)?,
    })
}

/// Replaces the policy if its version is still `policy.version`; returns whether it was.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn update_policy(
    conn: &mut AnyConnection,
    policy: &AccountPolicy,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE account_policy SET min_length = $1, classes_required = $2, expiry_days = $3, \
         warn_days = $4, history_count = $5, lockout_threshold = $6, lockout_minutes = $7, \
         idle_minutes = $8, version = version + 1, updated_at = $9 WHERE id = 1 AND version = $10",
    )
    .bind(i64::from(policy.min_length))
    .bind(i64::from(policy.classes_required))
    .bind(i64::from(policy.expiry_days))
    .bind(i64::from(policy.warn_days))
    .bind(i64::from(policy.history_count))
    .bind(i64::from(policy.lockout_threshold))
    .bind(i64::from(policy.lockout_minutes))
    .bind(i64::from(policy.idle_minutes))
    .bind(now)
    .bind(policy.version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Stores a new console session.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: i64,
    csrf_token: &str,
    ip: &str,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO console_sessions (token_hash, user_id, csrf_token, created_at, \
         last_seen_at, ip) VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(csrf_token)
    .bind(now)
    .bind(ip)
    .execute(conn)
    .await?;
    Ok(())
}

/// A session by the hash of its cookie: (user id, CSRF token, last seen).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn find_session(
    db: &Db,
    token_hash: &str,
) -> Result<Option<(i64, String, i64)>, DbError> {
    let row = sqlx::query(
        "SELECT user_id, csrf_token, last_seen_at FROM console_sessions WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(db.read())
    .await?;
    row.map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
        .transpose()
}

/// Moves a session's last-seen time on.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn touch_session(db: &Db, token_hash: &str, now: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE console_sessions SET last_seen_at = $2 WHERE token_hash = $1")
        .bind(token_hash)
        .bind(now)
        .execute(db.write())
        .await?;
    Ok(())
}

/// Ends a session; returns its user when there was one.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn delete_session(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<i64>, DbError> {
    let row = sqlx::query("DELETE FROM console_sessions WHERE token_hash = $1 RETURNING user_id")
        .bind(token_hash)
        .fetch_optional(conn)
        .await?;
    row.map(|row| Ok(row.try_get(0)?)).transpose()
}

/// Ends every session of an account (its password changed elsewhere, it was locked or
/// deleted), except `keep`.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn delete_sessions_of(
    conn: &mut AnyConnection,
    user_id: i64,
    keep: Option<&str>,
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM console_sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes sessions idle since before `cutoff`.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn delete_idle_sessions(db: &Db, cutoff: i64) -> Result<u64, DbError> {
    let done = sqlx::query("DELETE FROM console_sessions WHERE last_seen_at < $1")
        .bind(cutoff)
        .execute(db.write())
        .await?;
    Ok(done.rows_affected())
}

/// The fields an account is created or edited with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFields {
    /// Display name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// `ja` or `en`.
    pub language: String,
    /// IANA time zone.
    pub time_zone: String,
    /// System administration privilege.
    pub system_admin: bool,
    /// User-account management privilege.
    pub account_admin: bool,
    /// Business divisions.
    pub divisions: Divisions,
    /// Every department, else `departments`.
    pub all_departments: bool,
    /// Roots of the managed department subtrees.
    pub departments: Vec<i64>,
}

/// Creates an account that must change its password at first login; returns its id.
///
/// # Errors
/// [`DbError`] from the database (a taken login is a unique violation).
pub async fn insert_account(
    conn: &mut AnyConnection,
    login: &str,
    fields: &AccountFields,
    password_hash: &str,
    now: i64,
) -> Result<i64, DbError> {
    let row = sqlx::query(
        "INSERT INTO users (login, name, email, language, time_zone, password_hash, \
         must_change_password, system_admin, account_admin, divisions, all_departments, \
         password_changed_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $10, $11, $11, $11) RETURNING id",
    )
    .bind(login)
    .bind(&fields.name)
    .bind(&fields.email)
    .bind(&fields.language)
    .bind(&fields.time_zone)
    .bind(password_hash)
    .bind(i64::from(fields.system_admin))
    .bind(i64::from(fields.account_admin))
    .bind(fields.divisions.bits())
    .bind(i64::from(fields.all_departments))
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let id: i64 = row.try_get(0)?;
    set_user_departments(conn, id, &fields.departments).await?;
    Ok(id)
}

/// Edits an account if it is still at `version`; returns whether it was.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn update_account(
    conn: &mut AnyConnection,
    id: i64,
    fields: &AccountFields,
    version: i64,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE users SET name = $2, email = $3, language = $4, time_zone = $5, \
         system_admin = $6, account_admin = $7, divisions = $8, all_departments = $9, \
         updated_at = $10, version = version + 1 WHERE id = $1 AND version = $11",
    )
    .bind(id)
    .bind(&fields.name)
    .bind(&fields.email)
    .bind(&fields.language)
    .bind(&fields.time_zone)
    .bind(i64::from(fields.system_admin))
    .bind(i64::from(fields.account_admin))
    .bind(fields.divisions.bits())
    .bind(i64::from(fields.all_departments))
    .bind(now)
    .bind(version)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    set_user_departments(conn, id, &fields.departments).await?;
    Ok(true)
}

async fn set_user_departments(
    conn: &mut AnyConnection,
    user_id: i64,
    departments: &[i64],
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM user_departments WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for department_id in departments {
        sqlx::query("INSERT INTO user_departments (user_id, department_id) VALUES ($1, $2)")
            .bind(user_id)
            .bind(department_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Whether a login is taken.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn login_taken(conn: &mut AnyConnection, login: &str) -> Result<bool, DbError> {
    Ok(sqlx::query("SELECT 1 FROM users WHERE login = $1")
        .bind(login)
        .fetch_optional(conn)
        .await?
        .is_some())
}

/// Deletes an account (its sessions, tokens, history and scope go with it).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn delete_user(conn: &mut AnyConnection, id: i64) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM users WHERE id = $1 AND builtin = 0")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// An API token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenRow {
    /// Id.
    pub id: i64,
    /// What the owner called it.
    pub name: String,
    /// Created (Unix ms).
    pub created_at: i64,
    /// Expiry (Unix ms), if any.
    pub expires_at: Option<i64>,
    /// Revoked (Unix ms), if it was.
    pub revoked_at: Option<i64>,
}

/// An account's API tokens, newest first.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_tokens(db: &Db, user_id: i64) -> Result<Vec<TokenRow>, DbError> {
    let rows = sqlx::query(
        "SELECT id, name, created_at, expires_at, revoked_at FROM api_tokens \
         WHERE user_id = $1 ORDER BY id DESC",
    )
    .bind(user_id)
    .fetch_all(db.read())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(TokenRow {
                id: row.try_get(0)?,
                name: row.try_get(1)?,
                created_at: row.try_get(2)?,
                expires_at: row.try_get(3)?,
                revoked_at: row.try_get(4)?,
            })
        })
        .collect()
}

/// Revokes a live token of `user_id`; returns whether one was revoked.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn revoke_token(
    conn: &mut AnyConnection,
    user_id: i64,
    token_id: i64,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $3 WHERE id = $2 AND user_id = $1 \
         AND revoked_at IS NULL",
    )
    .bind(user_id)
    .bind(token_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Changes the profile fields every account edits for itself, if still at `version`.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn update_profile(
    conn: &mut AnyConnection,
    id: i64,
    (name, email, language, time_zone): (&str, &str, &str, &str),
    version: i64,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE users SET name = $2, email = $3, language = $4, time_zone = $5, updated_at = $6, \
         version = version + 1 WHERE id = $1 AND version = $7",
    )
    .bind(id)
    .bind(name)
    .bind(email)
    .bind(language)
    .bind(time_zone)
    .bind(now)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
