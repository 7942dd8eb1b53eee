//! Routes of saved filters and column choices.

use axum::routing::{delete, get};
use axum::Router;

use crate::app::AppState;
use crate::lists::api;

/// `/api/v1/saved-filters`, `/api/v1/list-columns/{list}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/saved-filters", get(api::list).post(api::create))
        .route("/api/v1/saved-filters/{id}", delete(api::delete))
        .route(
            "/api/v1/list-columns/{list}",
            get(api::columns).put(api::set_columns),
        )
}
