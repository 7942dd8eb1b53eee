//! Routes of the agents feature.

use axum::routing::{get, post};
use axum::Router;

use crate::agents::api;
use crate::app::AppState;

/// The agent API and `/api/v1/devices/{id}/refresh`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(kanri_proto::paths::ENROLL, post(api::enroll))
        .route(kanri_proto::paths::CHECKIN, post(api::checkin))
        .route(kanri_proto::paths::INVENTORY, post(api::inventory))
        .route(kanri_proto::paths::CHANNEL, get(api::channel))
        .route(kanri_proto::paths::UNINSTALL, post(api::uninstall))
        .route("/api/v1/devices/{id}/refresh", post(api::refresh))
}
