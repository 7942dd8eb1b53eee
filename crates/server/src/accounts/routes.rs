//! Routes of the accounts feature.

use axum::routing::{get, post, put};
use axum::Router;

use crate::accounts::api;
use crate::app::AppState;

/// `/api/v1/session`, `/api/v1/me`, `/api/v1/users`, `/api/v1/account-policy`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/session", post(api::sign_in).delete(api::sign_out))
        .route("/api/v1/me", get(api::me).patch(api::update_me))
        .route(
            "/api/v1/tokens",
            get(api::list_tokens).post(api::create_token),
        )
        .route(
            "/api/v1/tokens/{id}",
            axum::routing::delete(api::revoke_token),
        )
        .route("/api/v1/me/password", put(api::change_password))
        .route("/api/v1/users", get(api::list_users).post(api::create_user))
        .route(
            "/api/v1/users/{id}",
            get(api::get_user)
                .put(api::update_user)
                .delete(api::delete_user),
        )
        .route("/api/v1/users/{id}/password", put(api::reset_password))
        .route("/api/v1/users/{id}/unlock", post(api::unlock))
        .route(
            "/api/v1/account-policy",
            get(api::get_policy).put(api::put_policy),
        )
}
