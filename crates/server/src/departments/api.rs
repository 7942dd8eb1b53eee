//! `/api/v1/departments`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use crate::app::AppState;
use crate::audit::model::Origin;
use crate::core::auth::Actor;
use crate::core::error::AppError;
use crate::core::extract::ApiJson;
use crate::departments::service;
use crate::departments::store::Department;

/// Body of a create or update.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentBody {
    name: String,
    #[serde(default)]
    parent_id: Option<i64>,
    /// Required on update.
    #[serde(default)]
    version: Option<i64>,
}

/// The departments the caller sees.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Json<Vec<Department>>, AppError> {
    Ok(Json(service::list(&state.db, &actor).await?))
}

/// Creates a department.
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiJson(body): ApiJson<DepartmentBody>,
) -> Result<(StatusCode, Json<Department>), AppError> {
    let created = service::create(&state.db, &actor, body.parent_id, &body.name, &origin).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Renames or moves a department.
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<DepartmentBody>,
) -> Result<Json<Department>, AppError> {
    let version = body
        .version
        .ok_or_else(|| AppError::invalid("version", "send the version you last read"))?;
    Ok(Json(
        service::update(
            &state.db,
            &actor,
            id,
            body.parent_id,
            &body.name,
            version,
            &origin,
        )
        .await?,
    ))
}

/// Deletes a department.
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    service::delete(&state.db, &actor, id, &origin).await?;
    Ok(StatusCode::NO_CONTENT)
}
