//! `/api/v1/saved-filters` and `/api/v1/list-columns/{list}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::audit::model::Origin;
use crate::core::auth::Actor;
use crate::core::error::AppError;
use crate::core::extract::{ApiJson, ApiQuery};
use crate::lists::service::{self, ListKind};
use crate::lists::store::SavedFilter;

fn list_kind(name: &str) -> Result<ListKind, AppError> {
    ListKind::parse(name).ok_or_else(|| AppError::invalid("list", format!("no list {name:?}")))
}

/// Query of the saved-filter list.
#[derive(Debug, Deserialize)]
pub struct ListParams {
    list: String,
}

/// The saved filters of a list the caller may use (its own and shared ones).
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Vec<SavedFilter>>, AppError> {
    let list = list_kind(&params.list)?;
    Ok(Json(service::usable(&state.db, &actor, list).await?))
}

/// Body of a new saved filter.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBody {
    list: String,
    name: String,
    #[serde(default)]
    shared: bool,
    /// The list's query string, e.g. `state=managed&ip=10.1.0.0/16`.
    query: String,
}

/// Saves a filter.
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiJson(body): ApiJson<NewBody>,
) -> Result<(StatusCode, Json<SavedFilter>), AppError> {
    let list = list_kind(&body.list)?;
    let saved = service::save(
        &state.db,
        &actor,
        &origin,
        list,
        &body.name,
        body.shared,
        &body.query,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// Deletes a saved filter.
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    service::delete(&state.db, &actor, &origin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A list's columns, in order.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    columns: Vec<String>,
}

/// The columns the caller sees on a list.
pub async fn columns(
    State(state): State<AppState>,
    actor: Actor,
    Path(list): Path<String>,
) -> Result<Json<Columns>, AppError> {
    let list = list_kind(&list)?;
    let mut columns: Vec<String> = service::columns(&state.db, &actor, list)
        .await?
        .into_iter()
        .map(str::to_string)
        .collect();
    let custom = service::custom_columns(&state.db, &actor, list).await?;
    columns.extend(custom.into_iter().map(|id| format!("custom.{id}")));
    Ok(Json(Columns { columns }))
}

/// Chooses the caller's columns of a list.
pub async fn set_columns(
    State(state): State<AppState>,
    actor: Actor,
    Path(list): Path<String>,
    ApiJson(body): ApiJson<Columns>,
) -> Result<Json<Columns>, AppError> {
    let list = list_kind(&list)?;
    let columns = service::set_columns(&state.db, &actor, list, &body.columns).await?;
    Ok(Json(Columns { columns }))
}
