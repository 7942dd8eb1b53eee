//! Routes of the devices feature.

use axum::routing::{get, post};
use axum::Router;

use crate::app::AppState;
use crate::devices::api;

/// `/api/v1/devices` and `/api/v1/devices/{id}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/devices", get(api::list))
        .route("/api/v1/devices/export", get(api::export))
        .route("/api/v1/devices/bulk", post(api::bulk))
        .route(
            "/api/v1/devices/{id}/notes",
            get(api::notes).post(api::add_note),
        )
        .route(
            "/api/v1/devices/{id}",
            get(api::show).patch(api::update).delete(api::delete),
        )
}
