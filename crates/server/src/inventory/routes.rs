//! Routes of the inventory feature.

use axum::routing::get;
use axum::Router;

use crate::app::AppState;
use crate::inventory::api;

/// A device's software and history, and the software catalogue.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/devices/{id}/software", get(api::device_software))
        .route("/api/v1/devices/{id}/history", get(api::device_history))
        .route("/api/v1/software", get(api::list))
        .route("/api/v1/software/{id}/devices", get(api::devices))
}
