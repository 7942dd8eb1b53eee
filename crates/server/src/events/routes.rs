//! Routes of the events feature.

use axum::routing::{get, post};
use axum::Router;

use crate::app::AppState;
use crate::events::api;

/// `/api/v1/events…`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events", get(api::list))
        .route("/api/v1/events/export", get(api::export))
        .route("/api/v1/events/confirm", post(api::confirm))
        .route("/api/v1/events/{id}", get(api::show))
}
