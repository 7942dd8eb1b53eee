//! Authenticating callers: a bearer API token, or the console's session cookie (whose
//! state-changing requests must carry the session's CSRF token).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, Method};

use crate::accounts::login::{self, LiveSession, SESSION_COOKIE};
use crate::accounts::store::{self, UserRow};
use crate::app::AppState;
use crate::audit::model::Component;
use crate::audit::model::Origin;
use crate::core::auth::Actor;
use crate::core::db::Db;
use crate::core::error::AppError;
use crate::core::secrets::{hash_token, hashes_equal};
use crate::core::time::now_ms;

/// Header carrying the session's CSRF token on state-changing API calls made with the
/// session cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What a session whose password must change may still reach.
const ALLOWED_WHILE_PASSWORD_MUST_CHANGE: &[&str] =
    &["/api/v1/me", "/api/v1/me/password", "/api/v1/session"];

/// The account behind a request and, for the console, its session.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// Who.
    pub actor: Actor,
    /// The session, when a cookie authenticated the request.
    pub session: Option<LiveSession>,
}

/// The actor an account acts as: its privileges, divisions and expanded department scope.
///
/// # Errors
/// Storage errors.
pub async fn actor_for(db: &Db, user: &UserRow) -> Result<Actor, AppError> {
    Ok(Actor {
        user_id: user.id,
        login: user.login.clone(),
        system_admin: user.fields.system_admin,
        account_admin: user.fields.account_admin,
        divisions: user.fields.divisions,
        scope: store::scope_of(db, user).await?,
        tz: jiff::tz::TimeZone::get(&user.fields.time_zone).unwrap_or(jiff::tz::TimeZone::UTC),
    })
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

async fn by_token(state: &AppState, token: &str) -> Result<Authenticated, AppError> {
    let owner = store::find_token_owner(&state.db, &hash_token(token.trim())).await?;
    match owner {
        Some((_, _, Some(expires_at))) if expires_at <= now_ms() => {
            Err(AppError::Unauthorized("the API token has expired".into()))
        }
        Some((user_id, _, _)) => {
            let user = store::get_user(&state.db, user_id).await?;
            Ok(Authenticated {
                actor: actor_for(&state.db, &user).await?,
                session: None,
            })
        }
        None => Err(AppError::Unauthorized("the API token is not valid".into())),
    }
}

async fn by_session(
    state: &AppState,
    parts: &Parts,
    cookie_value: &str,
) -> Result<Authenticated, AppError> {
    let session = login::resolve(&state.db, cookie_value)
        .await?
        .ok_or_else(|| AppError::Unauthorized("the session has ended; sign in again".into()))?;
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        if !hashes_equal(sent, &session.csrf_token) {
            return Err(AppError::Forbidden {
                code: "csrf_token_invalid",
                message: "the request did not carry this session's CSRF token".into(),
            });
        }
    }
    if session.must_change_password
        && !ALLOWED_WHILE_PASSWORD_MUST_CHANGE.contains(&parts.uri.path())
    {
        return Err(AppError::Forbidden {
            code: "password_change_required",
            message: "change the password before anything else".into(),
        });
    }
    Ok(Authenticated {
        actor: actor_for(&state.db, &session.user).await?,
        session: Some(session),
    })
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Authenticated, AppError> {
        if let Some(header) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
        {
            let token = header.strip_prefix("Bearer ").ok_or_else(|| {
                AppError::Unauthorized("expected Authorization: Bearer <token>".into())
            })?;
            return by_token(state, token).await;
        }
        if let Some(value) = cookie(&parts.headers, SESSION_COOKIE) {
            let value = value.to_string();
            return by_session(state, parts, &value).await;
        }
        Err(AppError::Unauthorized(
            "sign in, or send an API token (Authorization: Bearer …)".into(),
        ))
    }
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Actor, AppError> {
        Ok(Authenticated::from_request_parts(parts, state).await?.actor)
    }
}

impl FromRequestParts<AppState> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Origin, std::convert::Infallible> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip().to_string())
            .unwrap_or_default();
        let component = if parts.uri.path().starts_with("/api/") {
            Component::Api
        } else {
            Component::Gui
        };
        Ok(Origin { ip, component })
    }
}
