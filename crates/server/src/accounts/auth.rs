//! Authenticating REST callers by bearer API token.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::accounts::store;
use crate::app::AppState;
use crate::core::auth::Actor;
use crate::core::error::AppError;
use crate::core::secrets::hash_token;
use crate::core::time::now_ms;

impl FromRequestParts<AppState> for Actor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Actor, AppError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| {
                AppError::Unauthorized("an API token is required (Authorization: Bearer …)".into())
            })?;
        let token = header.strip_prefix("Bearer ").ok_or_else(|| {
            AppError::Unauthorized("expected Authorization: Bearer <token>".into())
        })?;
        let owner = store::find_token_owner(&state.db, &hash_token(token.trim())).await?;
        match owner {
            Some((_, _, Some(expires_at))) if expires_at <= now_ms() => {
                Err(AppError::Unauthorized("the API token has expired".into()))
            }
            Some((user_id, login, _)) => Ok(Actor { user_id, login }),
            None => Err(AppError::Unauthorized("the API token is not valid".into())),
        }
    }
}
