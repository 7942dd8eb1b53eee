//! Routes of the agents feature.

use axum::routing::{delete, get, post};
use axum::Router;

use crate::agents::{api, install};
use crate::app::AppState;

/// The agent API, the install script and executable, `/api/v1/devices/{id}/refresh` and
/// `/api/v1/enrollment-tokens`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(kanri_proto::paths::ENROLL, post(api::enroll))
        .route(kanri_proto::paths::CHECKIN, post(api::checkin))
        .route(kanri_proto::paths::INVENTORY, post(api::inventory))
        .route(kanri_proto::paths::CHANNEL, get(api::channel))
        .route(kanri_proto::paths::UNINSTALL, post(api::uninstall))
        .route(
            kanri_proto::paths::USER_INFO,
            get(api::user_info_form).post(api::user_info_answer),
        )
        .route("/api/v1/devices/{id}/refresh", post(api::refresh))
        .route(install::SCRIPT_PATH, get(api::install_script))
        .route(install::BINARY_PATH, get(api::agent_binary))
        .route(
            "/api/v1/enrollment-tokens",
            get(api::list_tokens).post(api::create_token),
        )
        .route("/api/v1/enrollment-tokens/{id}", delete(api::revoke_token))
}
