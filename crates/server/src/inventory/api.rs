//! Inventory REST handlers: a device's software and history, the software catalogue.

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;

use crate::app::AppState;
use crate::core::auth::Actor;
use crate::core::error::AppError;
use crate::core::extract::ApiQuery;
use crate::core::paging::{self, Page};
use crate::devices::model::Device;
use crate::inventory::service;
use crate::inventory::store::{HistoryRow, InstalledRow, SoftwareRow};

/// Paging by id.
#[derive(Debug, Deserialize)]
pub struct IdPaging {
    cursor: Option<i64>,
    limit: Option<u32>,
}

/// `GET /api/v1/devices/{id}/software`.
pub async fn device_software(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    ApiQuery(params): ApiQuery<IdPaging>,
) -> Result<Json<Page<InstalledRow>>, AppError> {
    let limit = paging::limit(params.limit)?;
    Ok(Json(
        service::device_software(&state, &actor, id, params.cursor, limit).await?,
    ))
}

/// `GET /api/v1/devices/{id}/history`.
pub async fn device_history(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    ApiQuery(params): ApiQuery<IdPaging>,
) -> Result<Json<Page<HistoryRow>>, AppError> {
    let limit = paging::limit(params.limit)?;
    Ok(Json(
        service::device_history(&state, &actor, id, params.cursor, limit).await?,
    ))
}

/// Query of the catalogue list.
#[derive(Debug, Deserialize)]
pub struct CatalogueParams {
    name: Option<String>,
    /// Only entries first seen within this many days.
    new_days: Option<u32>,
    cursor: Option<i64>,
    limit: Option<u32>,
}

/// `GET /api/v1/software`.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(params): ApiQuery<CatalogueParams>,
) -> Result<Json<Page<SoftwareRow>>, AppError> {
    let limit = paging::limit(params.limit)?;
    let since = params
        .new_days
        .map(|days| crate::core::time::now_ms() - i64::from(days.min(36_500)) * 86_400_000);
    Ok(Json(
        service::catalogue(
            &state,
            &actor,
            params.name.as_deref(),
            since,
            params.cursor,
            limit,
        )
        .await?,
    ))
}

/// `GET /api/v1/software/{id}/devices`.
pub async fn devices(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    ApiQuery(params): ApiQuery<IdPaging>,
) -> Result<Json<Page<Device>>, AppError> {
    let limit = paging::limit(params.limit)?;
    Ok(Json(
        service::devices_with(&state, &actor, id, params.cursor, limit).await?,
    ))
}
