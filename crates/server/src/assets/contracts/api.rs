//! `/api/v1/contracts` and `/api/v1/vendors` handlers.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use crate::app::AppState;
use crate::assets::contracts::costs::MonthCost;
use crate::assets::contracts::service::{
    self, ContractDetail, ContractPatch, ContractQuery, VendorInput,
};
use crate::assets::contracts::store::{Contract, Vendor};
use crate::audit::model::Origin;
use crate::core::auth::Actor;
use crate::core::error::AppError;
use crate::core::extract::{ApiJson, ApiQuery};
use crate::core::paging::Page;

/// `GET /api/v1/contracts`.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(query): ApiQuery<ContractQuery>,
) -> Result<Json<Page<Contract>>, AppError> {
    Ok(Json(service::list(&state, &actor, &query).await?))
}

/// `GET /api/v1/contracts/export`: the filtered list as CSV (`encoding`, `lang`),
/// re-importable through a template made from its header.
pub async fn export(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiQuery(query): ApiQuery<ContractQuery>,
) -> Result<axum::response::Response, AppError> {
    let encoding = crate::core::csv::CsvEncoding::requested(query.encoding.as_deref())?;
    let lang =
        crate::assets::hardware::api::export_lang(&state, &actor, query.lang.as_deref()).await?;
    crate::assets::contracts::export::response(state, &actor, &origin, &query, (encoding, lang))
        .await
}

/// `POST /api/v1/contracts`.
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiJson(patch): ApiJson<ContractPatch>,
) -> Result<(StatusCode, Json<Contract>), AppError> {
    let created = service::create(&state, &actor, &origin, patch).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `GET /api/v1/contracts/{id}`.
pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<Json<ContractDetail>, AppError> {
    Ok(Json(service::detail(&state, &actor, id).await?))
}

/// `PATCH /api/v1/contracts/{id}`.
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(patch): ApiJson<ContractPatch>,
) -> Result<Json<Contract>, AppError> {
    Ok(Json(
        service::update(&state, &actor, &origin, id, patch).await?,
    ))
}

/// `DELETE /api/v1/contracts/{id}`.
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    service::delete(&state, &actor, &origin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/contracts/{id}/copy`: save as another contract.
pub async fn copy(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(patch): ApiJson<ContractPatch>,
) -> Result<(StatusCode, Json<Contract>), AppError> {
    let created = service::copy(&state, &actor, &origin, id, patch).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Query of the cost report.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostQuery {
    from: String,
    to: String,
}

/// `GET /api/v1/contracts/monthly-costs?from=YYYY-MM&to=YYYY-MM`.
pub async fn monthly_costs(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(query): ApiQuery<CostQuery>,
) -> Result<Json<Vec<MonthCost>>, AppError> {
    Ok(Json(
        service::monthly_costs(&state, &actor, &query.from, &query.to).await?,
    ))
}

/// `GET /api/v1/vendors`.
pub async fn vendors(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Json<Vec<Vendor>>, AppError> {
    Ok(Json(service::vendors(&state, &actor).await?))
}

/// Query of the vendor export: the list has no conditions.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorExportQuery {
    /// Encoding.
    encoding: Option<String>,
    /// Header language.
    lang: Option<String>,
}

/// `GET /api/v1/vendors/export`: the vendor list as CSV (`encoding`, `lang`), re-importable
/// through a template made from its header (bulk editing is export → edit → import).
pub async fn export_vendors(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiQuery(query): ApiQuery<VendorExportQuery>,
) -> Result<axum::response::Response, AppError> {
    let encoding = crate::core::csv::CsvEncoding::requested(query.encoding.as_deref())?;
    let lang =
        crate::assets::hardware::api::export_lang(&state, &actor, query.lang.as_deref()).await?;
    crate::assets::contracts::export::vendors_response(state, &actor, &origin, (encoding, lang))
        .await
}

/// `POST /api/v1/vendors`.
pub async fn create_vendor(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiJson(input): ApiJson<VendorInput>,
) -> Result<(StatusCode, Json<Vendor>), AppError> {
    let vendor = service::save_vendor(&state, &actor, &origin, None, input).await?;
    Ok((StatusCode::CREATED, Json(vendor)))
}

/// `PATCH /api/v1/vendors/{id}`.
pub async fn update_vendor(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<VendorInput>,
) -> Result<Json<Vendor>, AppError> {
    Ok(Json(
        service::save_vendor(&state, &actor, &origin, Some(id), input).await?,
    ))
}

/// `DELETE /api/v1/vendors/{id}`.
pub async fn delete_vendor(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    service::delete_vendor(&state, &actor, &origin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
