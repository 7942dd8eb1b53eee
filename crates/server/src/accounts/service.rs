//! Account rules: the first administrator, API tokens, passwords, accounts and the account
//! policy. Each function that changes something writes its audit entry in the same
//! transaction.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHasher};
use rand::distributions::{Alphanumeric, DistString};

use crate::accounts::login::audit_entry;
use crate::accounts::passwords;
use crate::accounts::policy::AccountPolicy;
use crate::accounts::store::{self, UserRow};
use crate::audit::model::{Category, NewAuditEntry, Object, Op, Origin, Outcome};
use crate::core::auth::Actor;
use crate::core::db::{Db, DbError};
use crate::core::error::AppError;
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

impl From<AccountError> for AppError {
    fn from(error: AccountError) -> AppError {
        match error {
            AccountError::UnknownUser(_) => AppError::NotFound("user"),
            AccountError::Db(error) => error.into(),
            AccountError::Hash(message) => AppError::Internal(message),
        }
    }
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
    // Drawn until it meets the default policy (20 letters and digits lack a digit or a case
    // now and then), so that it can be typed back as the "current password".
    let password = loop {
        let candidate = Alphanumeric.sample_string(&mut rand::thread_rng(), 20);
        if AccountPolicy::default()
            .check_form("admin", &candidate)
            .is_ok()
        {
            break candidate;
        }
    };
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

/// Changes the caller's own password after checking the current one; ends the account's
/// other sessions.
///
/// # Errors
/// 400 naming `current_password` or `new_password` and the rule broken (a wrong current
/// password is audited); storage errors.
pub async fn change_own_password(
    db: &Db,
    actor: &Actor,
    current: &str,
    new: &str,
    keep_session: Option<&str>,
    origin: &Origin,
) -> Result<(), AppError> {
    let user = store::get_user(db, actor.user_id).await?;
    let mut conn = db.read().acquire().await.map_err(DbError::from)?;
    let stored = store::recent_password_hashes(&mut conn, user.id, 0).await?;
    drop(conn);
    let change = (Category::ConfigurationAccess, Op::Update, Object::User);
    if !passwords::matches_any(current, stored).await? {
        let detail = serde_json::json!({"field": "password", "reason": "wrong_current_password"});
        let entry = audit_entry(origin, Some(&user), "", change, Outcome::Failure, detail);
        let mut conn = db.write().acquire().await.map_err(DbError::from)?;
        crate::audit::store::insert(&mut conn, &entry, now_ms()).await?;
        return Err(AppError::invalid(
            "current_password",
            "the current password is wrong",
        ));
    }
    set_password(db, actor, &user, new, false, keep_session, origin).await
}

/// Sets another account's password (a reset by a user-account administrator): the account
/// must change it at its next login, and its sessions end.
///
/// # Errors
/// 403 without the privilege; 400 for a password the policy refuses; 404.
pub async fn reset_password(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    new: &str,
    origin: &Origin,
) -> Result<(), AppError> {
    actor.require_account_admin()?;
    let user = get_user(db, user_id).await?;
    set_password(db, actor, &user, new, true, None, origin).await
}

/// Sets `user`'s password for `actor` (the user itself, or an administrator's reset).
async fn set_password(
    db: &Db,
    actor: &Actor,
    user: &UserRow,
    new: &str,
    must_change: bool,
    keep_session: Option<&str>,
    origin: &Origin,
) -> Result<(), AppError> {
    let policy = store::get_policy(db).await?;
    policy
        .check_form(&user.login, new)
        .map_err(|problem| password_refused(&problem))?;
    let mut conn = db.read().acquire().await.map_err(DbError::from)?;
    let recent = store::recent_password_hashes(&mut conn, user.id, policy.history_count).await?;
    drop(conn);
    if passwords::matches_any(new, recent).await? {
        return Err(password_refused(
            &crate::accounts::policy::PasswordProblem::Reused,
        ));
    }
    let hash = passwords::hash(new).await?;
    let now = now_ms();
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    store::set_password(
        &mut tx,
        user.id,
        &hash,
        must_change,
        policy.history_count,
        now,
    )
    .await?;
    store::delete_sessions_of(&mut tx, user.id, keep_session).await?;
    let detail = serde_json::json!({"field": "password", "reset": must_change});
    let change = (Category::ConfigurationAccess, Op::Update, Object::User);
    let entry = NewAuditEntry::by_actor(actor, origin, change, &user.login, detail);
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

fn password_refused(problem: &crate::accounts::policy::PasswordProblem) -> AppError {
    AppError::Invalid {
        code: problem.code(),
        message: problem.to_string(),
        field: Some("new_password".into()),
    }
}

/// An account, 404 when unknown.
///
/// # Errors
/// 404 or storage errors.
pub async fn get_user(db: &Db, user_id: i64) -> Result<UserRow, AppError> {
    store::get_user(db, user_id)
        .await
        .map_err(|error| match error {
            DbError::NotFound => AppError::NotFound("user"),
            other => other.into(),
        })
}

/// Unlocks an account locked by failed logins.
///
/// # Errors
/// 403 without the user-account management privilege; 404.
pub async fn unlock(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    origin: &Origin,
) -> Result<bool, AppError> {
    actor.require_account_admin()?;
    let user = get_user(db, user_id).await?;
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    let was_locked = store::clear_lock(&mut tx, user.id).await? && user.locked_at.is_some();
    if was_locked {
        let unlock = (Category::ConfigurationAccess, Op::Unlock, Object::User);
        let detail = serde_json::json!({});
        let entry = NewAuditEntry::by_actor(actor, origin, unlock, &user.login, detail);
        crate::audit::store::insert(&mut tx, &entry, now_ms()).await?;
    }
    tx.commit().await.map_err(DbError::from)?;
    Ok(was_locked)
}

/// The account policy.
///
/// # Errors
/// Storage errors.
pub async fn policy(db: &Db) -> Result<AccountPolicy, AppError> {
    Ok(store::get_policy(db).await?)
}

/// Replaces the account policy (system administrators), unless someone changed it since
/// `policy.version`.
///
/// # Errors
/// 403, 400 naming the field, 409 on a concurrent change.
pub async fn update_policy(
    db: &Db,
    actor: &Actor,
    policy: &AccountPolicy,
    origin: &Origin,
) -> Result<AccountPolicy, AppError> {
    actor.require_system_admin()?;
    policy
        .validate()
        .map_err(|(field, message)| AppError::invalid(field, message))?;
    let now = now_ms();
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    if !store::update_policy(&mut tx, policy, now).await? {
        return Err(AppError::Conflict(
            "the account policy was changed by someone else; reload it and try again".into(),
        ));
    }
    let detail = serde_json::to_value(policy).unwrap_or_default();
    let change = (Category::ConfigurationAccess, Op::Update, Object::Config);
    let entry = NewAuditEntry::by_actor(actor, origin, change, "account_policy", detail);
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(store::get_policy(db).await?)
}

/// An account as the API and the console submit it.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    /// User id; only on create.
    #[serde(default)]
    pub login: Option<String>,
    /// First password; only on create.
    #[serde(default)]
    pub password: Option<String>,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// E-mail.
    #[serde(default)]
    pub email: String,
    /// `ja` or `en`.
    #[serde(default = "default_language")]
    pub language: String,
    /// IANA time zone.
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    /// System administration privilege.
    #[serde(default)]
    pub system_admin: bool,
    /// User-account management privilege.
    #[serde(default)]
    pub account_admin: bool,
    /// Business divisions.
    #[serde(default)]
    pub divisions: Vec<crate::core::auth::Division>,
    /// Every department.
    #[serde(default)]
    pub all_departments: bool,
    /// Roots of the managed department subtrees when not `all_departments`.
    #[serde(default)]
    pub departments: Vec<i64>,
    /// The version last read; required on update.
    #[serde(default)]
    pub version: Option<i64>,
}

/// No language of its own: the console follows the browser's (`Accept-Language`).
fn default_language() -> String {
    String::new()
}

fn default_time_zone() -> String {
    "Asia/Tokyo".into()
}

/// Longest user id, name and e-mail address, in characters.
pub const MAX_LOGIN_CHARS: usize = 64;
/// Longest display name.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest e-mail address.
pub const MAX_EMAIL_CHARS: usize = 254;

/// Checks a user id: 1–64 of letters, digits and `._@-`.
///
/// # Errors
/// 400 naming `login`.
pub fn check_login(login: &str) -> Result<(), AppError> {
    if login.is_empty() || login.chars().count() > MAX_LOGIN_CHARS {
        return Err(AppError::invalid(
            "login",
            format!("a user id has 1 to {MAX_LOGIN_CHARS} characters"),
        ));
    }
    if !login
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'))
    {
        return Err(AppError::invalid(
            "login",
            "a user id has only letters, digits and . _ @ -",
        ));
    }
    Ok(())
}

/// The profile fields every account edits for itself, checked.
///
/// # Errors
/// 400 naming the field.
pub fn check_profile(
    name: &str,
    email: &str,
    language: &str,
    time_zone: &str,
) -> Result<(), AppError> {
    crate::core::extract::check_plain_text("name", name, MAX_NAME_CHARS)?;
    let email_ok = email.is_empty()
        || (email.chars().count() <= MAX_EMAIL_CHARS
            && email
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
            && !email.chars().any(|c| c.is_whitespace() || c.is_control()));
    if !email_ok {
        return Err(AppError::invalid("email", "not an e-mail address"));
    }
    if !matches!(language, "" | "ja" | "en") {
        return Err(AppError::invalid(
            "language",
            "the language is ja, en or empty (the browser's)",
        ));
    }
    if jiff::tz::TimeZone::get(time_zone).is_err() {
        return Err(AppError::invalid("time_zone", "unknown time zone"));
    }
    Ok(())
}

async fn account_fields(
    conn: &mut sqlx::AnyConnection,
    input: &AccountInput,
) -> Result<store::AccountFields, AppError> {
    check_profile(&input.name, &input.email, &input.language, &input.time_zone)?;
    if !input.all_departments {
        if input.departments.is_empty() {
            return Err(AppError::invalid(
                "departments",
                "choose every department or at least one",
            ));
        }
        for department in &input.departments {
            if !crate::departments::store::exists(
                conn,
                crate::departments::store::Tree::Departments,
                *department,
            )
            .await?
            {
                return Err(AppError::invalid("departments", "no such department"));
            }
        }
    }
    let mut departments = input.departments.clone();
    departments.sort_unstable();
    departments.dedup();
    Ok(store::AccountFields {
        name: input.name.trim().to_string(),
        email: input.email.trim().to_string(),
        language: input.language.clone(),
        time_zone: input.time_zone.clone(),
        system_admin: input.system_admin,
        account_admin: input.account_admin,
        divisions: input.divisions.iter().copied().collect(),
        all_departments: input.all_departments,
        departments: if input.all_departments {
            Vec::new()
        } else {
            departments
        },
    })
}

/// Creates an account (user-account administrators); it must change its password at first
/// login.
///
/// # Errors
/// 403, 400 naming the field, 409 for a taken user id.
pub async fn create_user(
    db: &Db,
    actor: &Actor,
    input: &AccountInput,
    origin: &Origin,
) -> Result<UserRow, AppError> {
    actor.require_account_admin()?;
    let login = input.login.as_deref().unwrap_or("").trim().to_string();
    check_login(&login)?;
    let password = input.password.as_deref().unwrap_or("");
    let policy = store::get_policy(db).await?;
    policy
        .check_form(&login, password)
        .map_err(|problem| password_refused(&problem))?;
    let hash = passwords::hash(password).await?;
    let now = now_ms();
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    let fields = account_fields(&mut tx, input).await?;
    if store::login_taken(&mut tx, &login).await? {
        return Err(AppError::Conflict(format!(
            "the user id {login:?} is taken"
        )));
    }
    let id = store::insert_account(&mut tx, &login, &fields, &hash, now).await?;
    let add = (Category::ConfigurationAccess, Op::Add, Object::User);
    let entry = NewAuditEntry::by_actor(actor, origin, add, &login, serde_json::json!({}));
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(store::get_user(db, id).await?)
}

/// Edits an account (user-account administrators), unless it changed since
/// `input.version`. The built-in `admin` keeps its privileges, divisions and scope, and no
/// one removes their own user-account management privilege.
///
/// # Errors
/// 403, 400, 404, 409.
pub async fn update_user(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &AccountInput,
    origin: &Origin,
) -> Result<UserRow, AppError> {
    actor.require_account_admin()?;
    let version = input
        .version
        .ok_or_else(|| AppError::invalid("version", "send the version you last read"))?;
    let current = get_user(db, id).await?;
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    let fields = account_fields(&mut tx, input).await?;
    if current.builtin
        && (!fields.system_admin
            || !fields.account_admin
            || fields.divisions != crate::core::auth::Divisions::ALL
            || !fields.all_departments)
    {
        return Err(AppError::invalid(
            "builtin",
            "the built-in admin keeps every privilege, division and department",
        ));
    }
    if id == actor.user_id && !fields.account_admin {
        return Err(AppError::invalid(
            "account_admin",
            "you cannot remove your own user-account management privilege",
        ));
    }
    let now = now_ms();
    if !store::update_account(&mut tx, id, &fields, version, now).await? {
        return Err(AppError::Conflict(format!(
            "the account was changed by someone else (now at version {}); reload and try again",
            current.version
        )));
    }
    let update = (Category::ConfigurationAccess, Op::Update, Object::User);
    let entry =
        NewAuditEntry::by_actor(actor, origin, update, &current.login, serde_json::json!({}));
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(store::get_user(db, id).await?)
}

/// Deletes an account (user-account administrators); never the built-in `admin` or one's
/// own.
///
/// # Errors
/// 403, 400, 404.
pub async fn delete_user(db: &Db, actor: &Actor, id: i64, origin: &Origin) -> Result<(), AppError> {
    actor.require_account_admin()?;
    let user = get_user(db, id).await?;
    if user.builtin {
        return Err(AppError::invalid(
            "id",
            "the built-in admin cannot be deleted",
        ));
    }
    if id == actor.user_id {
        return Err(AppError::invalid(
            "id",
            "you cannot delete your own account",
        ));
    }
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    store::delete_user(&mut tx, id).await?;
    let delete = (Category::ConfigurationAccess, Op::Delete, Object::User);
    let entry = NewAuditEntry::by_actor(actor, origin, delete, &user.login, serde_json::json!({}));
    crate::audit::store::insert(&mut tx, &entry, now_ms()).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// Longest API token name, in characters.
pub const MAX_TOKEN_NAME_CHARS: usize = 100;

/// Creates an API token for the caller (it acts with the caller's privileges and scope);
/// returns its id and the token, shown once.
///
/// # Errors
/// 400 for a bad name or expiry; storage errors.
pub async fn create_own_token(
    db: &Db,
    actor: &Actor,
    name: &str,
    expires_in_days: Option<u32>,
    origin: &Origin,
) -> Result<(i64, String), AppError> {
    let name = name.trim();
    crate::core::extract::check_plain_text("name", name, MAX_TOKEN_NAME_CHARS)?;
    if expires_in_days.is_some_and(|days| days == 0 || days > 3650) {
        return Err(AppError::invalid(
            "expires_in_days",
            "a token expires in 1 to 3650 days (or never)",
        ));
    }
    let now = now_ms();
    let expires_at = expires_in_days.map(|days| now + i64::from(days) * 86_400_000);
    let token = random_token("kt_");
    let id = store::insert_api_token(
        db,
        actor.user_id,
        name,
        &hash_token(&token),
        expires_at,
        now,
    )
    .await?;
    let add = (Category::ConfigurationAccess, Op::Add, Object::Token);
    let detail = serde_json::json!({"name": name, "expires_at": expires_at});
    let entry = NewAuditEntry::by_actor(actor, origin, add, id.to_string(), detail);
    let mut conn = db.write().acquire().await.map_err(DbError::from)?;
    crate::audit::store::insert(&mut conn, &entry, now).await?;
    Ok((id, token))
}

/// Revokes one of the caller's API tokens.
///
/// # Errors
/// 404 when the caller has no such live token.
pub async fn revoke_own_token(
    db: &Db,
    actor: &Actor,
    token_id: i64,
    origin: &Origin,
) -> Result<(), AppError> {
    let now = now_ms();
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    if !store::revoke_token(&mut tx, actor.user_id, token_id, now).await? {
        return Err(AppError::NotFound("token"));
    }
    let revoke = (Category::ConfigurationAccess, Op::Delete, Object::Token);
    let detail = serde_json::json!({});
    let entry = NewAuditEntry::by_actor(actor, origin, revoke, token_id.to_string(), detail);
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// The profile every account edits for itself.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    /// Display name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// `ja` or `en`.
    pub language: String,
    /// IANA time zone.
    pub time_zone: String,
    /// The version last read.
    pub version: i64,
}

/// Changes the caller's own name, e-mail, language and time zone.
///
/// # Errors
/// 400 naming the field, 409 on a concurrent change.
pub async fn update_own_profile(
    db: &Db,
    actor: &Actor,
    input: &ProfileInput,
    origin: &Origin,
) -> Result<UserRow, AppError> {
    check_profile(&input.name, &input.email, &input.language, &input.time_zone)?;
    let now = now_ms();
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    let fields = (
        input.name.trim(),
        input.email.trim(),
        input.language.as_str(),
        input.time_zone.as_str(),
    );
    if !store::update_profile(&mut tx, actor.user_id, fields, input.version, now).await? {
        return Err(AppError::Conflict(
            "your account was changed elsewhere; reload and try again".into(),
        ));
    }
    let update = (Category::ConfigurationAccess, Op::Update, Object::User);
    let entry = NewAuditEntry::by_actor(actor, origin, update, &actor.login, serde_json::json!({}));
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(store::get_user(db, actor.user_id).await?)
}
