//! Signing in and out: password checks with lockout, console sessions with an idle timeout
//! and a CSRF token, and the audit entries each step leaves.

use std::sync::OnceLock;

use crate::accounts::passwords;
use crate::accounts::policy::Expiry;
use crate::accounts::service::AccountError;
use crate::accounts::store::{self, UserRow};
use crate::audit::model::{Category, NewAuditEntry, Object, Op, Origin, Outcome};
use crate::core::db::{Db, DbError};
use crate::core::secrets::{hash_token, random_token};
use crate::core::time::now_ms;

/// Name of the console's session cookie.
pub const SESSION_COOKIE: &str = "kanri_session";

/// Longest user id accepted at login (longer input is refused before any look-up).
pub const MAX_LOGIN_CHARS: usize = 64;

/// Why a login was refused. Both say as little as possible to the caller; the audit log
/// has the reason.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown user id or wrong password.
    #[error("the user id or the password is wrong")]
    Invalid,
    /// Too many failed logins.
    #[error("the account is locked after too many failed logins; ask a user-account administrator to unlock it")]
    Locked,
    /// Hashing or storage.
    #[error(transparent)]
    Account(#[from] AccountError),
}

impl From<sqlx::Error> for LoginError {
    fn from(error: sqlx::Error) -> LoginError {
        LoginError::from(DbError::from(error))
    }
}

impl From<DbError> for LoginError {
    fn from(error: DbError) -> LoginError {
        LoginError::Account(AccountError::Db(error))
    }
}

/// A new session.
#[derive(Debug)]
pub struct SignedIn {
    /// The cookie's value (only its hash is stored).
    pub token: String,
    /// The token every form and state-changing API call of the session carries.
    pub csrf_token: String,
    /// The account.
    pub user: UserRow,
    /// The session may only change the password (first login, reset, expiry).
    pub must_change_password: bool,
    /// The password expires soon (Unix ms): the console asks for a new one.
    pub expires_soon: Option<i64>,
}

/// An entry for the account `user` (or a typed login) from `origin`.
pub fn audit_entry(
    origin: &Origin,
    user: Option<&UserRow>,
    typed_login: &str,
    (category, op, object): (Category, Op, Object),
    result: Outcome,
    detail: serde_json::Value,
) -> NewAuditEntry {
    NewAuditEntry {
        category,
        op,
        object,
        object_id: user.map(|u| u.login.clone()).unwrap_or_default(),
        result,
        user_id: user.map(|u| u.id),
        login: user.map_or_else(
            || typed_login.chars().take(MAX_LOGIN_CHARS).collect(),
            |u| u.login.clone(),
        ),
        ip: origin.ip.clone(),
        component: origin.component,
        detail,
    }
}

async fn audit_alone(db: &Db, entry: NewAuditEntry) -> Result<(), DbError> {
    let mut conn = db.write().acquire().await?;
    crate::audit::store::insert(&mut conn, &entry, now_ms()).await
}

/// A hash to verify against when the user id is unknown, so that an unknown user id takes
/// as long to refuse as a wrong password.
fn decoy_hash() -> String {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY
        .get_or_init(|| {
            use argon2::password_hash::{rand_core::OsRng, SaltString};
            use argon2::PasswordHasher;
            argon2::Argon2::default()
                .hash_password(b"decoy", &SaltString::generate(&mut OsRng))
                .map(|hash| hash.to_string())
                .unwrap_or_default()
        })
        .clone()
}

/// Checks a user id and password and opens a session.
///
/// # Errors
/// [`LoginError::Invalid`] or [`LoginError::Locked`] (each audited), or storage errors.
pub async fn login(
    db: &Db,
    login: &str,
    password: &str,
    origin: &Origin,
) -> Result<SignedIn, LoginError> {
    const LOGIN: (Category, Op, Object) = (Category::Authentication, Op::Login, Object::Session);
    let policy = store::get_policy(db).await?;
    let now = now_ms();
    let found = if login.chars().count() > MAX_LOGIN_CHARS {
        None
    } else {
        store::find_login(db, login).await?
    };
    let Some((user, hash)) = found else {
        passwords::matches_any(password, vec![decoy_hash()]).await?;
        let reason = serde_json::json!({"reason": "unknown_user"});
        audit_alone(
            db,
            audit_entry(origin, None, login, LOGIN, Outcome::Failure, reason),
        )
        .await?;
        return Err(LoginError::Invalid);
    };
    if policy.still_locked(user.locked_at, now) {
        let reason = serde_json::json!({"reason": "locked"});
        let entry = audit_entry(origin, Some(&user), login, LOGIN, Outcome::Failure, reason);
        audit_alone(db, entry).await?;
        return Err(LoginError::Locked);
    }
    if !passwords::matches_any(password, vec![hash]).await? {
        let mut tx = db.write().begin().await?;
        let locked =
            store::record_failed_login(&mut tx, user.id, i64::from(policy.lockout_threshold), now)
                .await?;
        let reason = serde_json::json!({"reason": "bad_password"});
        let entry = audit_entry(origin, Some(&user), login, LOGIN, Outcome::Failure, reason);
        crate::audit::store::insert(&mut tx, &entry, now).await?;
        if locked {
            let detail = serde_json::json!({"failed_logins": policy.lockout_threshold});
            let lock = (Category::ConfigurationAccess, Op::Lock, Object::User);
            let entry = audit_entry(origin, Some(&user), "", lock, Outcome::Occurrence, detail);
            crate::audit::store::insert(&mut tx, &entry, now).await?;
            store::delete_sessions_of(&mut tx, user.id, None).await?;
        }
        tx.commit().await?;
        return Err(if locked {
            LoginError::Locked
        } else {
            LoginError::Invalid
        });
    }
    let token = random_token("ks_");
    let csrf_token = random_token("");
    let expiry = policy.expiry(user.password_changed_at, now);
    let must_change_password = user.must_change_password || expiry == Expiry::Expired;
    let mut tx = db.write().begin().await?;
    if user.locked_at.is_some() || user.failed_logins > 0 {
        // A lock that ran out, or failures before this success.
        store::clear_lock(&mut tx, user.id).await?;
    }
    store::insert_session(
        &mut tx,
        &hash_token(&token),
        user.id,
        &csrf_token,
        &origin.ip,
        now,
    )
    .await?;
    let detail = serde_json::json!({"must_change_password": must_change_password});
    let entry = audit_entry(origin, Some(&user), login, LOGIN, Outcome::Success, detail);
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(SignedIn {
        token,
        csrf_token,
        user,
        must_change_password,
        expires_soon: match expiry {
            Expiry::Soon { expires_at } => Some(expires_at),
            _ => None,
        },
    })
}

/// A live session: its account, CSRF token and whether it may only change the password.
#[derive(Debug, Clone)]
pub struct LiveSession {
    /// The account.
    pub user: UserRow,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// Hash of the cookie (the session's key).
    pub token_hash: String,
    /// The password must be changed before anything else.
    pub must_change_password: bool,
}

/// Seconds between writes of a session's last-seen time (idle timeouts are minutes).
const TOUCH_EVERY_MS: i64 = 30_000;

/// The session a cookie names, unless it has been idle too long (then it is deleted).
///
/// # Errors
/// Storage errors.
pub async fn resolve(db: &Db, token: &str) -> Result<Option<LiveSession>, DbError> {
    let token_hash = hash_token(token);
    let Some((user_id, csrf_token, last_seen_at)) = store::find_session(db, &token_hash).await?
    else {
        return Ok(None);
    };
    let policy = store::get_policy(db).await?;
    let now = now_ms();
    if policy.session_expired(last_seen_at, now) {
        let mut conn = db.write().acquire().await?;
        store::delete_session(&mut conn, &token_hash).await?;
        return Ok(None);
    }
    if now - last_seen_at >= TOUCH_EVERY_MS {
        store::touch_session(db, &token_hash, now).await?;
    }
    let user = store::get_user(db, user_id).await?;
    let must_change_password = user.must_change_password
        || policy.expiry(user.password_changed_at, now) == Expiry::Expired;
    Ok(Some(LiveSession {
        user,
        csrf_token,
        token_hash,
        must_change_password,
    }))
}

/// Ends the session with this cookie hash (audited when there was one).
///
/// # Errors
/// Storage errors.
pub async fn logout_hashed(db: &Db, token_hash: &str, origin: &Origin) -> Result<bool, DbError> {
    let mut tx = db.write().begin().await?;
    let Some(user_id) = store::delete_session(&mut tx, token_hash).await? else {
        tx.rollback().await?;
        return Ok(false);
    };
    let user = store::get_user(db, user_id).await?;
    let logout = (Category::Authentication, Op::Logout, Object::Session);
    let entry = audit_entry(
        origin,
        Some(&user),
        "",
        logout,
        Outcome::Success,
        serde_json::json!({}),
    );
    crate::audit::store::insert(&mut tx, &entry, now_ms()).await?;
    tx.commit().await?;
    Ok(true)
}
