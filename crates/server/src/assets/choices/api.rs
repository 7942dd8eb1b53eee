//! `/api/v1/assets/choices/{kind}`: the ledger's status and type lists.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use crate::app::AppState;
use crate::assets::choices::service::{self, Edit, Names};
use crate::assets::choices::{Choice, ChoiceKind};
use crate::audit::model::Origin;
use crate::core::auth::Actor;
use crate::core::error::AppError;
use crate::core::extract::ApiJson;

/// Body of a create or update.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceBody {
    name: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    position: Option<i64>,
    /// Required on update.
    #[serde(default)]
    version: Option<i64>,
}

fn kind_of(name: &str) -> Result<ChoiceKind, AppError> {
    ChoiceKind::parse(name).ok_or(AppError::NotFound("choice list"))
}

/// The entries of a list.
pub async fn list(
    State(state): State<AppState>,
    _actor: Actor,
    Path(kind): Path<String>,
) -> Result<Json<Vec<Choice>>, AppError> {
    Ok(Json(service::list(&state.db, kind_of(&kind)?).await?))
}

/// Adds an entry.
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(kind): Path<String>,
    ApiJson(body): ApiJson<ChoiceBody>,
) -> Result<(StatusCode, Json<Choice>), AppError> {
    let names = Names {
        name: &body.name,
        name_en: &body.name_en,
    };
    let created = service::create(&state.db, &actor, &origin, kind_of(&kind)?, names).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Renames or moves an entry.
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path((kind, id)): Path<(String, i64)>,
    ApiJson(body): ApiJson<ChoiceBody>,
) -> Result<Json<Choice>, AppError> {
    let kind = kind_of(&kind)?;
    let version = body
        .version
        .ok_or_else(|| AppError::invalid("version", "send the version you last read"))?;
    let edit = Edit {
        names: Names {
            name: &body.name,
            name_en: &body.name_en,
        },
        position: body.position,
        version,
    };
    Ok(Json(
        service::update(&state.db, &actor, &origin, (kind, id), edit).await?,
    ))
}

/// Deletes an entry.
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path((kind, id)): Path<(String, i64)>,
) -> Result<StatusCode, AppError> {
    service::delete(&state.db, &actor, &origin, (kind_of(&kind)?, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
