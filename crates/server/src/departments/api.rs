//! `/api/v1/departments` and `/api/v1/locations`: one set of handlers, the hierarchy chosen
//! by a type parameter.

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
use crate::departments::store::{Department, Tree};

/// Which hierarchy a handler serves.
pub trait TreeRoute: Send + Sync + 'static {
    /// The hierarchy.
    const TREE: Tree;
}

/// `/api/v1/departments`.
pub struct Departments;
impl TreeRoute for Departments {
    const TREE: Tree = Tree::Departments;
}

/// `/api/v1/locations`.
pub struct Locations;
impl TreeRoute for Locations {
    const TREE: Tree = Tree::Locations;
}

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
pub async fn list<T: TreeRoute>(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Json<Vec<Department>>, AppError> {
    Ok(Json(service::list(&state.db, &actor, T::TREE).await?))
}

/// Creates a department.
pub async fn create<T: TreeRoute>(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiJson(body): ApiJson<DepartmentBody>,
) -> Result<(StatusCode, Json<Department>), AppError> {
    let created = service::create(
        &state.db,
        &actor,
        T::TREE,
        body.parent_id,
        &body.name,
        &origin,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Renames or moves a department.
pub async fn update<T: TreeRoute>(
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
            T::TREE,
            id,
            service::Edit {
                parent_id: body.parent_id,
                name: &body.name,
                version,
            },
            &origin,
        )
        .await?,
    ))
}

/// Deletes a department.
pub async fn delete<T: TreeRoute>(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    service::delete(&state.db, &actor, T::TREE, id, &origin).await?;
    Ok(StatusCode::NO_CONTENT)
}
