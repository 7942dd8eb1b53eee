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
    /// Export only: `utf-8`, `utf-8-bom` (default), `shift_jis`, `utf-16le`.
    encoding: Option<String>,
    /// Export only: header language, `ja` (default) or `en`.
    lang: Option<String>,
}

impl ListParams {
    fn filter(&self) -> DeviceFilter {
        DeviceFilter {
            state: self.state,
            hostname: self.hostname.clone(),
            os: self.os.clone(),
            ip: self.ip.clone(),
            mac: self.mac.clone(),
            serial: self.serial.clone(),
            software: self.software.clone(),
            departments: None,
        }
    }

    fn descending(&self) -> Result<bool, AppError> {
        match self.order.as_deref() {
            None | Some("asc") => Ok(false),
            Some("desc") => Ok(true),
            Some(_) => Err(AppError::invalid("order", "order must be asc or desc")),
        }
    }
}

/// `GET /api/v1/devices`.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Page<Device>>, AppError> {
    let limit = paging::limit(params.limit)?;
    let descending = params.descending()?;
    let sort = params.sort.unwrap_or(SortKey::Id);
    let filter = params.filter();
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

/// `GET /api/v1/devices/export`: the filtered list as CSV, every page, streamed, with
/// headers in the caller's language and times in its time zone.
pub async fn export(
    State(state): State<AppState>,
    actor: Actor,
    origin: crate::audit::model::Origin,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<axum::response::Response, AppError> {
    let encoding = match params.encoding.as_deref() {
        None => crate::devices::export::CsvEncoding::Utf8Bom,
        Some(name) => crate::devices::export::CsvEncoding::parse(name).ok_or_else(|| {
            AppError::invalid(
                "encoding",
                "encoding must be utf-8, utf-8-bom, shift_jis or utf-16le",
            )
        })?,
    };
    let owner = crate::accounts::store::get_user(&state.db, actor.user_id).await?;
    let lang = crate::console::i18n::Lang::pick(
        Some(params.lang.as_deref().unwrap_or(&owner.fields.language)),
        None,
    );
    let tz = jiff::tz::TimeZone::get(&owner.fields.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let request = crate::devices::export::ExportRequest {
        descending: params.descending()?,
        sort: params.sort.unwrap_or(SortKey::Id),
        filter: params.filter(),
        actor,
        encoding,
        lang,
        tz,
    };
    export_response(state, request, &origin).await
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
    origin: crate::audit::model::Origin,
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
    origin: crate::audit::model::Origin,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    service::delete(&state, &actor, &origin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The audited, streamed CSV response for an export (shared by the console and the API).
///
/// # Errors
/// 403 without the devices division; storage errors writing the audit entry.
pub async fn export_response(
    state: AppState,
    request: crate::devices::export::ExportRequest,
    origin: &crate::audit::model::Origin,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    request
        .actor
        .require_division(crate::core::auth::Division::Devices)?;
    let detail = serde_json::json!({
        "encoding": request.encoding.name(),
        "filter": request.filter,
    });
    let export = (
        crate::audit::model::Category::ContentAccess,
        crate::audit::model::Op::Export,
        crate::audit::model::Object::DeviceInfo,
    );
    let entry =
        crate::audit::model::NewAuditEntry::by_actor(&request.actor, origin, export, "", detail);
    let mut conn = state.db.write().acquire().await?;
    crate::audit::store::insert(&mut conn, &entry, crate::core::time::now_ms()).await?;
    drop(conn);
    let content_type = request.encoding.content_type();
    let body = axum::body::Body::from_stream(crate::devices::export::stream(state, request));
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, content_type),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"devices.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}
