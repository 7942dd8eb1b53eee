//! REST handlers for sessions, one's own account, accounts and the account policy.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::accounts::auth::Authenticated;
use crate::accounts::login::{self, LoginError, SESSION_COOKIE};
use crate::accounts::policy::AccountPolicy;
use crate::accounts::service;
use crate::accounts::store::{self, UserRow};
use crate::app::AppState;
use crate::audit::model::Origin;
use crate::core::auth::{Actor, Division};
use crate::core::error::AppError;
use crate::core::extract::ApiJson;
use crate::core::time::now_ms;

/// An account as the API shows it (never its password hash).
#[derive(Debug, Serialize)]
pub struct UserView {
    id: i64,
    login: String,
    name: String,
    email: String,
    language: String,
    time_zone: String,
    system_admin: bool,
    account_admin: bool,
    divisions: Vec<Division>,
    all_departments: bool,
    departments: Vec<i64>,
    builtin: bool,
    must_change_password: bool,
    password_changed_at: i64,
    locked: bool,
    failed_logins: i64,
    created_at: i64,
    updated_at: i64,
    version: i64,
}

impl UserView {
    /// The view of a stored account; `locked` as the policy sees it now.
    pub fn new(user: UserRow, policy: &AccountPolicy) -> UserView {
        UserView {
            locked: policy.still_locked(user.locked_at, now_ms()),
            divisions: user.fields.divisions.list(),
            id: user.id,
            login: user.login,
            name: user.fields.name,
            email: user.fields.email,
            language: user.fields.language,
            time_zone: user.fields.time_zone,
            system_admin: user.fields.system_admin,
            account_admin: user.fields.account_admin,
            all_departments: user.fields.all_departments,
            departments: user.fields.departments,
            builtin: user.builtin,
            must_change_password: user.must_change_password,
            password_changed_at: user.password_changed_at,
            failed_logins: user.failed_logins,
            created_at: user.created_at,
            updated_at: user.updated_at,
            version: user.version,
        }
    }
}

impl From<LoginError> for AppError {
    fn from(error: LoginError) -> AppError {
        match error {
            LoginError::Invalid => AppError::Unauthorized(error.to_string()),
            LoginError::Locked => AppError::Forbidden {
                code: "account_locked",
                message: error.to_string(),
            },
            LoginError::Account(error) => error.into(),
        }
    }
}

/// `POST /api/v1/session` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    login: String,
    password: String,
}

/// A new session: the cookie is set on the response; the CSRF token goes into every
/// state-changing request (`X-CSRF-Token`).
#[derive(Debug, Serialize)]
pub struct SignInResponse {
    user: UserView,
    csrf_token: String,
    must_change_password: bool,
    password_expires_at: Option<i64>,
}

/// The `Set-Cookie` value for a session: HttpOnly, SameSite=Strict, Secure under HTTPS.
pub fn session_cookie(state: &AppState, token: &str) -> Result<HeaderValue, AppError> {
    let secure = if state.config.http { "" } else { "; Secure" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}"
    ))
    .map_err(|error| AppError::Internal(error.to_string()))
}

/// The `Set-Cookie` value that removes the session cookie from the browser.
pub fn ended_session_cookie() -> HeaderValue {
    HeaderValue::from_static(concat!(
        "kanri_session",
        "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
    ))
}

/// Signs in with a user id and password.
pub async fn sign_in(
    State(state): State<AppState>,
    origin: Origin,
    ApiJson(request): ApiJson<SignInRequest>,
) -> Result<Response, AppError> {
    let signed_in = login::login(&state.db, &request.login, &request.password, &origin).await?;
    let policy = store::get_policy(&state.db).await?;
    let cookie = session_cookie(&state, &signed_in.token)?;
    let body = SignInResponse {
        user: UserView::new(signed_in.user, &policy),
        csrf_token: signed_in.csrf_token,
        must_change_password: signed_in.must_change_password,
        password_expires_at: signed_in.expires_soon,
    };
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

/// Signs out of the session the cookie names.
pub async fn sign_out(
    State(state): State<AppState>,
    origin: Origin,
    authenticated: Authenticated,
) -> Result<Response, AppError> {
    let Some(session) = authenticated.session else {
        return Err(AppError::invalid(
            "session",
            "only a console session can sign out; revoke API tokens instead",
        ));
    };
    login::logout_hashed(&state.db, &session.token_hash, &origin).await?;
    Ok((
        [(header::SET_COOKIE, ended_session_cookie())],
        StatusCode::NO_CONTENT,
    )
        .into_response())
}

/// The caller's own account.
pub async fn me(State(state): State<AppState>, actor: Actor) -> Result<Json<UserView>, AppError> {
    let user = service::get_user(&state.db, actor.user_id).await?;
    let policy = store::get_policy(&state.db).await?;
    Ok(Json(UserView::new(user, &policy)))
}

/// `PUT /api/v1/me/password` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    current_password: String,
    new_password: String,
}

/// Changes the caller's password; other sessions of the account end.
pub async fn change_password(
    State(state): State<AppState>,
    origin: Origin,
    authenticated: Authenticated,
    ApiJson(request): ApiJson<ChangePassword>,
) -> Result<StatusCode, AppError> {
    let keep = authenticated
        .session
        .as_ref()
        .map(|s| s.token_hash.as_str());
    service::change_own_password(
        &state.db,
        &authenticated.actor,
        &request.current_password,
        &request.new_password,
        keep,
        &origin,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every account (user-account administrators).
pub async fn list_users(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Json<Vec<UserView>>, AppError> {
    actor.require_account_admin()?;
    let policy = store::get_policy(&state.db).await?;
    let users = store::list_users(&state.db).await?;
    Ok(Json(
        users
            .into_iter()
            .map(|user| UserView::new(user, &policy))
            .collect(),
    ))
}

/// One account: one's own, or any for user-account administrators.
pub async fn get_user(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<Json<UserView>, AppError> {
    if id != actor.user_id {
        actor.require_account_admin()?;
    }
    let user = service::get_user(&state.db, id).await?;
    let policy = store::get_policy(&state.db).await?;
    Ok(Json(UserView::new(user, &policy)))
}

/// `PUT /api/v1/users/{id}/password` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    new_password: String,
}

/// Sets another account's password; it must be changed at the next login.
pub async fn reset_password(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(request): ApiJson<ResetPassword>,
) -> Result<StatusCode, AppError> {
    service::reset_password(&state.db, &actor, id, &request.new_password, &origin).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unlocks an account locked by failed logins.
pub async fn unlock(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, AppError> {
    let was_locked = service::unlock(&state.db, &actor, id, &origin).await?;
    Ok(Json(serde_json::json!({ "was_locked": was_locked })))
}

/// The account policy (anyone signed in: the console shows the password rules).
pub async fn get_policy(
    State(state): State<AppState>,
    _actor: Actor,
) -> Result<Json<AccountPolicy>, AppError> {
    Ok(Json(service::policy(&state.db).await?))
}

/// Replaces the account policy (system administrators; `version` from the last read).
pub async fn put_policy(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiJson(policy): ApiJson<AccountPolicy>,
) -> Result<Json<AccountPolicy>, AppError> {
    Ok(Json(
        service::update_policy(&state.db, &actor, &policy, &origin).await?,
    ))
}

/// Creates an account.
pub async fn create_user(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiJson(input): ApiJson<service::AccountInput>,
) -> Result<(StatusCode, Json<UserView>), AppError> {
    let user = service::create_user(&state.db, &actor, &input, &origin).await?;
    let policy = store::get_policy(&state.db).await?;
    Ok((StatusCode::CREATED, Json(UserView::new(user, &policy))))
}

/// Edits an account.
pub async fn update_user(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<service::AccountInput>,
) -> Result<Json<UserView>, AppError> {
    let user = service::update_user(&state.db, &actor, id, &input, &origin).await?;
    let policy = store::get_policy(&state.db).await?;
    Ok(Json(UserView::new(user, &policy)))
}

/// Deletes an account.
pub async fn delete_user(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    service::delete_user(&state.db, &actor, id, &origin).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes the caller's own name, e-mail, language and time zone.
pub async fn update_me(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiJson(input): ApiJson<service::ProfileInput>,
) -> Result<Json<UserView>, AppError> {
    let user = service::update_own_profile(&state.db, &actor, &input, &origin).await?;
    let policy = store::get_policy(&state.db).await?;
    Ok(Json(UserView::new(user, &policy)))
}

/// `POST /api/v1/tokens` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    #[serde(default)]
    name: String,
    #[serde(default)]
    expires_in_days: Option<u32>,
}

/// The caller's API tokens (never the tokens themselves).
pub async fn list_tokens(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Json<Vec<store::TokenRow>>, AppError> {
    Ok(Json(store::list_tokens(&state.db, actor.user_id).await?))
}

/// Creates an API token for the caller; the token is in this response only.
pub async fn create_token(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiJson(request): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let (id, token) = service::create_own_token(
        &state.db,
        &actor,
        &request.name,
        request.expires_in_days,
        &origin,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": id, "token": token })),
    ))
}

/// Revokes one of the caller's API tokens.
pub async fn revoke_token(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    service::revoke_own_token(&state.db, &actor, id, &origin).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_ended_cookie_names_the_session_cookie() {
        let value = super::ended_session_cookie();
        let text = value.to_str().unwrap_or_default();
        assert!(text.starts_with(&format!("{}=;", super::SESSION_COOKIE)));
        assert!(text.contains("Max-Age=0"));
    }
}
