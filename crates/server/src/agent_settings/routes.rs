//! Routes of the agent-settings feature.

use axum::routing::get;
use axum::Router;

use crate::agent_settings::api;
use crate::app::AppState;

/// `/api/v1/agent-settings`.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/agent-settings", get(api::show).put(api::update))
}
