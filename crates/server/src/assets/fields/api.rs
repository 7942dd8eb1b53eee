//! `/api/v1/assets/fields`: custom field definitions.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use crate::app::AppState;
use crate::assets::fields::service::{self, FieldInput, OptionInput};
use crate::assets::fields::CustomField;
use crate::audit::model::Origin;
use crate::core::auth::Actor;
use crate::core::error::AppError;
use crate::core::extract::{ApiJson, ApiQuery};

/// Query of the field list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetQuery {
    target: String,
}

/// `GET /api/v1/assets/fields?target=hardware`.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<TargetQuery>,
) -> Result<Json<Vec<CustomField>>, AppError> {
    Ok(Json(service::list(&state, &actor, &q.target).await?))
}

/// `POST /api/v1/assets/fields`.
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiJson(input): ApiJson<FieldInput>,
) -> Result<(StatusCode, Json<CustomField>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(service::create(&state, &actor, &origin, input).await?),
    ))
}

/// `PATCH /api/v1/assets/fields/{id}`.
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<FieldInput>,
) -> Result<Json<CustomField>, AppError> {
    Ok(Json(
        service::update(&state, &actor, &origin, id, input).await?,
    ))
}

/// `DELETE /api/v1/assets/fields/{id}`.
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    service::delete(&state, &actor, &origin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/assets/fields/{id}/options`.
pub async fn add_option(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<OptionInput>,
) -> Result<(StatusCode, Json<CustomField>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(service::add_option(&state, &actor, &origin, id, input).await?),
    ))
}

/// `DELETE /api/v1/assets/fields/{id}/options/{option_id}`.
pub async fn delete_option(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(ids): Path<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    service::delete_option(&state, &actor, &origin, ids).await?;
    Ok(StatusCode::NO_CONTENT)
}
