//! Agent-settings REST handlers.

use axum::extract::State;
use axum::Json;

use crate::agent_settings::model::{AgentSettingsView, SettingsUpdate};
use crate::agent_settings::service;
use crate::app::AppState;
use crate::core::auth::Actor;
use crate::core::error::AppError;
use crate::core::extract::ApiJson;

/// `GET /api/v1/agent-settings`.
pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Json<AgentSettingsView>, AppError> {
    Ok(Json(service::get(&state, &actor).await?))
}

/// `PUT /api/v1/agent-settings`.
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(update): ApiJson<SettingsUpdate>,
) -> Result<Json<AgentSettingsView>, AppError> {
    Ok(Json(service::update(&state, &actor, &update).await?))
}
