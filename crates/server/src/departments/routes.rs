//! Routes of the departments feature.

use axum::routing::{get, put};
use axum::Router;

use crate::app::AppState;
use crate::departments::api;

/// `/api/v1/departments`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/departments", get(api::list).post(api::create))
        .route(
            "/api/v1/departments/{id}",
            put(api::update).delete(api::delete),
        )
}
