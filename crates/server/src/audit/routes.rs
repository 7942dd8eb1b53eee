//! Routes of the audit log.

use axum::routing::get;
use axum::Router;

use crate::app::AppState;
use crate::audit::api;

/// `/api/v1/audit`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/audit", get(api::list))
        .route("/api/v1/audit/export", get(api::export))
}
