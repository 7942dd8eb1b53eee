//! `/api/v1/managed-software` and `/api/v1/licences` handlers.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::assets::licences::managed_store::DeviceView;
use crate::assets::licences::model::{Licence, LicensedDevice, ManagedSoftware};
use crate::assets::licences::service::{self, LicencePatch, LicenceQuery, ManagedInput};
use crate::audit::model::Origin;
use crate::core::auth::Actor;
use crate::core::error::AppError;
use crate::core::extract::{ApiJson, ApiQuery};
use crate::core::paging::Page;

/// Query of the managed software list.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagedListQuery {
    /// `yes`: only those with more installs than licences.
    #[serde(default)]
    exceeded: Option<String>,
    /// Export only: encoding.
    #[serde(default)]
    encoding: Option<String>,
    /// Export only: header language.
    #[serde(default)]
    lang: Option<String>,
}

impl ManagedListQuery {
    fn exceeded(&self) -> bool {
        matches!(self.exceeded.as_deref(), Some("yes" | "true"))
    }
}

/// `GET /api/v1/managed-software`: every managed software with its reconciliation.
pub async fn list_managed(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(query): ApiQuery<ManagedListQuery>,
) -> Result<Json<Value>, AppError> {
    let (items, pending) = service::list_managed(&state, &actor, query.exceeded()).await?;
    Ok(Json(json!({"items": items, "pending_devices": pending})))
}

/// `GET /api/v1/managed-software/export`: the list (or its exceeded part) as CSV
/// (`encoding`, `lang`), re-importable through a template made from its header.
pub async fn export_managed(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiQuery(query): ApiQuery<ManagedListQuery>,
) -> Result<axum::response::Response, AppError> {
    let encoding = crate::core::csv::CsvEncoding::requested(query.encoding.as_deref())?;
    let lang =
        crate::assets::hardware::api::export_lang(&state, &actor, query.lang.as_deref()).await?;
    let exceeded = query.exceeded();
    crate::assets::licences::export::managed_response(
        state,
        &actor,
        &origin,
        exceeded,
        (encoding, lang),
    )
    .await
}

/// `POST /api/v1/managed-software`.
pub async fn create_managed(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiJson(input): ApiJson<ManagedInput>,
) -> Result<(StatusCode, Json<ManagedSoftware>), AppError> {
    let saved = service::save_managed(&state, &actor, &origin, None, input).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// `GET /api/v1/managed-software/{id}`: figures and their split by department.
pub async fn show_managed(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let (managed, departments) = service::get_managed(&state, &actor, id).await?;
    let mut value = serde_json::to_value(managed).map_err(|e| AppError::Internal(e.to_string()))?;
    value["departments"] =
        serde_json::to_value(departments).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Json(value))
}

/// `PATCH /api/v1/managed-software/{id}`.
pub async fn update_managed(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ManagedInput>,
) -> Result<Json<ManagedSoftware>, AppError> {
    Ok(Json(
        service::save_managed(&state, &actor, &origin, Some(id), input).await?,
    ))
}

/// `DELETE /api/v1/managed-software/{id}`.
pub async fn delete_managed(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    service::delete_managed(&state, &actor, &origin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Query of a managed software's device tabs.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevicesQuery {
    /// `installed` (default) or `assigned`.
    view: Option<String>,
    /// `unassigned` (with installed) or `not_installed` (with assigned).
    only: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
}

/// `GET /api/v1/managed-software/{id}/devices`.
pub async fn managed_devices(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    ApiQuery(query): ApiQuery<DevicesQuery>,
) -> Result<Json<Page<LicensedDevice>>, AppError> {
    let view = match (query.view.as_deref(), query.only.as_deref()) {
        (None | Some("installed"), None) => DeviceView::Installed(false),
        (None | Some("installed"), Some("unassigned")) => DeviceView::Installed(true),
        (Some("assigned"), None) => DeviceView::Assigned(false),
        (Some("assigned"), Some("not_installed")) => DeviceView::Assigned(true),
        _ => {
            return Err(AppError::invalid(
                "view",
                "view is installed (only=unassigned) or assigned (only=not_installed)",
            ))
        }
    };
    Ok(Json(
        service::managed_devices(
            &state,
            &actor,
            id,
            view,
            (query.cursor.as_deref(), query.limit),
        )
        .await?,
    ))
}

/// `GET /api/v1/licences`.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(query): ApiQuery<LicenceQuery>,
) -> Result<Json<Page<Licence>>, AppError> {
    Ok(Json(service::list(&state, &actor, &query).await?))
}

/// `GET /api/v1/licences/export`: the filtered, sorted list as CSV (`encoding`, `lang`),
/// re-importable through a template made from its header.
pub async fn export(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiQuery(query): ApiQuery<LicenceQuery>,
) -> Result<axum::response::Response, AppError> {
    let encoding = crate::core::csv::CsvEncoding::requested(query.encoding.as_deref())?;
    let lang =
        crate::assets::hardware::api::export_lang(&state, &actor, query.lang.as_deref()).await?;
    crate::assets::licences::export::response(state, &actor, &origin, &query, (encoding, lang))
        .await
}

/// `POST /api/v1/licences`.
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiJson(patch): ApiJson<LicencePatch>,
) -> Result<(StatusCode, Json<Licence>), AppError> {
    let created = service::create(&state, &actor, &origin, patch).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `GET /api/v1/licences/{id}`: the licence, its devices and notes.
pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let (licence, devices, notes) = service::detail(&state, &actor, id).await?;
    let mut value = serde_json::to_value(licence).map_err(|e| AppError::Internal(e.to_string()))?;
    value["devices"] = devices
        .into_iter()
        .map(|(id, hostname, department_id)| json!({"id": id, "hostname": hostname, "department_id": department_id}))
        .collect();
    value["notes"] = serde_json::to_value(notes).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Json(value))
}

/// `PATCH /api/v1/licences/{id}`.
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(patch): ApiJson<LicencePatch>,
) -> Result<Json<Licence>, AppError> {
    Ok(Json(
        service::update(&state, &actor, &origin, id, patch).await?,
    ))
}

/// `DELETE /api/v1/licences/{id}`.
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    service::delete(&state, &actor, &origin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of an assignment.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    device_ids: Vec<i64>,
}

/// `POST /api/v1/licences/{id}/assignments`.
pub async fn assign(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<AssignBody>,
) -> Result<Json<Licence>, AppError> {
    if body.device_ids.is_empty() || body.device_ids.len() > 1000 {
        return Err(AppError::invalid("device_ids", "choose 1 to 1000 devices"));
    }
    Ok(Json(
        service::assign(&state, &actor, &origin, id, &body.device_ids).await?,
    ))
}

/// `DELETE /api/v1/licences/{id}/assignments/{device_id}`.
pub async fn unassign(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(ids): Path<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    service::unassign(&state, &actor, &origin, ids).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of a transfer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    from_device_id: i64,
    to_device_id: i64,
}

/// `POST /api/v1/licences/transfer`: every licence of one device moves to another.
pub async fn transfer(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiJson(body): ApiJson<TransferBody>,
) -> Result<Json<Value>, AppError> {
    let moved = service::transfer(
        &state,
        &actor,
        &origin,
        body.from_device_id,
        body.to_device_id,
    )
    .await?;
    Ok(Json(json!({"moved": moved})))
}

/// `POST /api/v1/licences/{id}/move`: held licences move to another department.
pub async fn move_held(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<crate::assets::licences::moving::MoveInput>,
) -> Result<Json<crate::assets::licences::moving::Moved>, AppError> {
    let moved =
        crate::assets::licences::moving::move_held(&state, &actor, &origin, id, input).await?;
    Ok(Json(moved))
}
