//! Device REST handlers.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use crate::app::AppState;
use crate::core::auth::Actor;
use crate::core::error::AppError;
use crate::core::extract::{ApiJson, ApiQuery};
use crate::core::paging::{self, Page};
use crate::devices::model::{Device, DeviceFilter, DeviceState, SortKey};
use crate::devices::service::{self, DeviceDetail, DevicePatch};

/// Query parameters of the device list.
#[derive(Debug, Deserialize)]
pub struct ListParams {
    state: Option<DeviceState>,
    hostname: Option<String>,
    os: Option<String>,
    ip: Option<String>,
    mac: Option<String>,
    serial: Option<String>,
    software: Option<String>,
    sort: Option<SortKey>,
    order: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
}

/// `GET /api/v1/devices`.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Page<Device>>, AppError> {
    let limit = paging::limit(params.limit)?;
    let descending = match params.order.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(AppError::invalid("order", "order must be asc or desc")),
    };
    let sort = params.sort.unwrap_or(SortKey::Id);
    let filter = DeviceFilter {
        state: params.state,
        hostname: params.hostname,
        os: params.os,
        ip: params.ip,
        mac: params.mac,
        serial: params.serial,
        software: params.software,
        departments: None,
    };
    let page = service::list(
        &state,
        &actor,
        &filter,
        sort,
        descending,
        params.cursor.as_deref(),
        limit,
    )
    .await?;
    Ok(Json(page))
}

/// `GET /api/v1/devices/{id}`.
pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<Json<DeviceDetail>, AppError> {
    Ok(Json(service::get(&state, &actor, id).await?))
}

/// `PATCH /api/v1/devices/{id}`.
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    origin: crate::accounts::login::Origin,
    Path(id): Path<i64>,
    ApiJson(patch): ApiJson<DevicePatch>,
) -> Result<Json<Device>, AppError> {
    Ok(Json(
        service::update(&state, &actor, &origin, id, patch).await?,
    ))
}

/// `DELETE /api/v1/devices/{id}`.
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    origin: crate::accounts::login::Origin,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    service::delete(&state, &actor, &origin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
