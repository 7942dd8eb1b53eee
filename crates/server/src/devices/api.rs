//! Device REST handlers.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use crate::app::AppState;
use crate::core::auth::Actor;
use crate::core::error::AppError;
use crate::core::extract::{ApiJson, ApiQuery};
use crate::core::paging::{self, Page};
use crate::core::time::now_ms;
use crate::devices::model::{Device, SortKey};
use crate::devices::query::DeviceQuery;
use crate::devices::service::{self, DeviceDetail, DevicePatch};

/// `GET /api/v1/devices`.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(query): ApiQuery<DeviceQuery>,
) -> Result<Json<Page<Device>>, AppError> {
    let limit = paging::limit(query.limit()?)?;
    let (sort, descending) = query.sort(SortKey::Id)?;
    let filter = query.filter(&actor.tz, now_ms())?;
    let page = service::list(
        &state,
        &actor,
        &filter,
        sort,
        descending,
        query.cursor.as_deref(),
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
    ApiQuery(query): ApiQuery<DeviceQuery>,
) -> Result<axum::response::Response, AppError> {
    let encoding = crate::core::csv::CsvEncoding::requested(query.encoding.as_deref())?;
    let owner = crate::accounts::store::get_user(&state.db, actor.user_id).await?;
    let lang = crate::console::i18n::Lang::pick(
        Some(query.lang.as_deref().unwrap_or(&owner.fields.language)),
        None,
    );
    let (sort, descending) = query.sort(SortKey::Id)?;
    let request = crate::devices::export::ExportRequest {
        descending,
        sort,
        filter: query.filter(&actor.tz, now_ms())?,
        tz: actor.tz.clone(),
        actor,
        encoding,
        lang,
    };
    export_response(state, request, &origin).await
}

/// Body of a bulk action: the devices and what to do.
#[derive(Debug, serde::Deserialize)]
pub struct BulkBody {
    ids: Vec<i64>,
    #[serde(flatten)]
    action: crate::devices::bulk::BulkAction,
}

/// `POST /api/v1/devices/bulk`.
pub async fn bulk(
    State(state): State<AppState>,
    actor: Actor,
    origin: crate::audit::model::Origin,
    ApiJson(body): ApiJson<BulkBody>,
) -> Result<Json<crate::devices::bulk::BulkOutcome>, AppError> {
    Ok(Json(
        crate::devices::bulk::apply(&state, &actor, &origin, &body.ids, &body.action).await?,
    ))
}

/// Body of a new note.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    body: String,
}

/// `GET /api/v1/devices/{id}/notes`.
pub async fn notes(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<Json<Vec<crate::devices::notes::DeviceNote>>, AppError> {
    Ok(Json(crate::devices::notes::list(&state, &actor, id).await?))
}

/// `POST /api/v1/devices/{id}/notes`.
pub async fn add_note(
    State(state): State<AppState>,
    actor: Actor,
    origin: crate::audit::model::Origin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<NoteBody>,
) -> Result<(StatusCode, Json<crate::devices::notes::DeviceNote>), AppError> {
    let note = crate::devices::notes::add(&state, &actor, &origin, id, &body.body).await?;
    Ok((StatusCode::CREATED, Json(note)))
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
    let encoding = request.encoding;
    let body = crate::devices::export::stream(state, request);
    Ok(crate::core::csv::attachment(encoding, "devices.csv", body))
}
