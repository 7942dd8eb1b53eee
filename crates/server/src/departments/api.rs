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

/// Body of a create, or of a PUT: the whole entry. Fields added with the per-language
/// names (`name_en`, the descriptions, `retired`) keep their stored value when a PUT leaves
/// them out, so clients written before them keep working.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentBody {
    name: String,
    #[serde(default)]
    parent_id: Option<i64>,
    #[serde(default)]
    name_en: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    description_en: Option<String>,
    #[serde(default)]
    retired: Option<bool>,
    /// Required on update.
    #[serde(default)]
    version: Option<i64>,
}

/// Body of a PATCH: only the fields sent change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentPatch {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "crate::core::extract::present")]
    parent_id: Option<Option<i64>>,
    #[serde(default)]
    name_en: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    description_en: Option<String>,
    #[serde(default)]
    retired: Option<bool>,
    version: Option<i64>,
}

fn version(version: Option<i64>) -> Result<i64, AppError> {
    version.ok_or_else(|| AppError::invalid("version", "send the version you last read"))
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
    let entry = service::NewEntry {
        parent_id: body.parent_id,
        name: &body.name,
        name_en: body.name_en.as_deref().unwrap_or_default(),
        description: body.description.as_deref().unwrap_or_default(),
        description_en: body.description_en.as_deref().unwrap_or_default(),
        retired: body.retired.unwrap_or(false),
    };
    let created = service::create(&state.db, &actor, T::TREE, &entry, &origin).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `PUT`: renames or moves a department (a missing `parent_id` is the top level).
pub async fn replace<T: TreeRoute>(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<DepartmentBody>,
) -> Result<Json<Department>, AppError> {
    let edit = service::Edit {
        parent_id: Some(body.parent_id),
        name: Some(body.name),
        name_en: body.name_en,
        description: body.description,
        description_en: body.description_en,
        retired: body.retired,
        version: version(body.version)?,
    };
    let updated = service::update(&state.db, &actor, T::TREE, id, &edit, &origin).await?;
    Ok(Json(updated))
}

/// `PATCH`: changes the fields sent (rename, move, describe, retire or restore).
pub async fn update<T: TreeRoute>(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<DepartmentPatch>,
) -> Result<Json<Department>, AppError> {
    let edit = service::Edit {
        parent_id: body.parent_id,
        name: body.name,
        name_en: body.name_en,
        description: body.description,
        description_en: body.description_en,
        retired: body.retired,
        version: version(body.version)?,
    };
    let updated = service::update(&state.db, &actor, T::TREE, id, &edit, &origin).await?;
    Ok(Json(updated))
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

/// `POST …/prune-retired`: deletes the hierarchy entries only the old organisation uses.
pub async fn prune_retired<T: TreeRoute>(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
) -> Result<Json<service::PruneOutcome>, AppError> {
    Ok(Json(
        service::prune_retired(&state.db, &actor, T::TREE, &origin).await?,
    ))
}
