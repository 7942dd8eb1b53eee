//! Routes of the events feature.

use axum::routing::get;
use axum::Router;

use crate::app::AppState;
use crate::events::api;

/// `/api/v1/events`.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/events", get(api::list))
}
