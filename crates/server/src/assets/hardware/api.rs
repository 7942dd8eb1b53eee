//! `/api/v1/assets`: hardware asset REST handlers (thin: the rules are in `service`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use crate::app::AppState;
use crate::assets::hardware::bulk::{self, AssetBulkAction};
use crate::assets::hardware::model::{AssetDetail, HardwareAsset};
use crate::assets::hardware::query::AssetQuery;
use crate::assets::hardware::service::{self, AssetPatch};
use crate::assets::notes::LedgerNote;
use crate::audit::model::Origin;
use crate::core::auth::Actor;
use crate::core::error::AppError;
use crate::core::extract::{ApiJson, ApiQuery};
use crate::core::paging::Page;
use crate::devices::bulk::BulkOutcome;

/// `GET /api/v1/assets`.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(query): ApiQuery<AssetQuery>,
) -> Result<Json<Page<HardwareAsset>>, AppError> {
    Ok(Json(service::list(&state, &actor, &query).await?))
}

/// `GET /api/v1/assets/export`: the filtered, sorted list as CSV (`encoding`, `lang`),
/// re-importable through a template made from its header.
pub async fn export(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiQuery(query): ApiQuery<AssetQuery>,
) -> Result<axum::response::Response, AppError> {
    let encoding = crate::core::csv::CsvEncoding::requested(query.encoding.as_deref())?;
    let lang = export_lang(&state, &actor, query.lang.as_deref()).await?;
    crate::assets::hardware::export::response(state, &actor, &origin, &query, (encoding, lang))
        .await
}

/// The language of an export: the one asked for, else the account's.
///
/// # Errors
/// Storage errors.
pub async fn export_lang(
    state: &AppState,
    actor: &Actor,
    asked: Option<&str>,
) -> Result<crate::console::i18n::Lang, AppError> {
    let owner = crate::accounts::store::get_user(&state.db, actor.user_id).await?;
    Ok(crate::console::i18n::Lang::pick(
        Some(asked.unwrap_or(&owner.fields.language)),
        None,
    ))
}

/// `GET /api/v1/assets/count`: how many assets the conditions match.
pub async fn count(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(query): ApiQuery<AssetQuery>,
) -> Result<Json<serde_json::Value>, AppError> {
    let count = service::count(&state, &actor, &query).await?;
    Ok(Json(serde_json::json!({ "count": count })))
}

/// `POST /api/v1/assets`.
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiJson(patch): ApiJson<AssetPatch>,
) -> Result<(StatusCode, Json<HardwareAsset>), AppError> {
    let created = service::create(&state, &actor, &origin, patch).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `GET /api/v1/assets/{id}`.
pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<Json<AssetDetail>, AppError> {
    Ok(Json(service::get(&state, &actor, id).await?))
}

/// `PATCH /api/v1/assets/{id}`.
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(patch): ApiJson<AssetPatch>,
) -> Result<Json<HardwareAsset>, AppError> {
    Ok(Json(
        service::update(&state, &actor, &origin, id, patch).await?,
    ))
}

/// `DELETE /api/v1/assets/{id}`.
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    service::delete(&state, &actor, &origin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of a bulk change: the assets and what to do.
#[derive(Debug, Deserialize)]
pub struct BulkBody {
    ids: Vec<i64>,
    #[serde(flatten)]
    action: AssetBulkAction,
}

/// `POST /api/v1/assets/bulk`.
pub async fn bulk(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiJson(body): ApiJson<BulkBody>,
) -> Result<Json<BulkOutcome>, AppError> {
    Ok(Json(
        bulk::apply(&state, &actor, &origin, &body.ids, &body.action).await?,
    ))
}

/// Body of a new note.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    body: String,
}

/// `GET /api/v1/assets/{id}/notes`.
pub async fn notes(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<Json<Vec<LedgerNote>>, AppError> {
    Ok(Json(service::get(&state, &actor, id).await?.notes))
}

/// `POST /api/v1/assets/{id}/notes`.
pub async fn add_note(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<NoteBody>,
) -> Result<(StatusCode, Json<LedgerNote>), AppError> {
    let note = service::add_note(&state, &actor, &origin, id, &body.body).await?;
    Ok((StatusCode::CREATED, Json(note)))
}

/// Body of a device link.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    #[serde(default)]
    representative: bool,
}

/// `PUT /api/v1/assets/{id}/devices/{device_id}`: the device record becomes the asset's
/// (its representative with `{"representative": true}`).
pub async fn link_device(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(ids): Path<(i64, i64)>,
    body: axum::body::Bytes,
) -> Result<Json<AssetDetail>, AppError> {
    // The body is optional: none links the device as an ordinary record.
    let representative = if body.iter().all(u8::is_ascii_whitespace) {
        false
    } else {
        serde_json::from_slice::<LinkBody>(&body)
            .map_err(|e| AppError::invalid("body", format!("the body is not valid: {e}")))?
            .representative
    };
    Ok(Json(
        service::link_device(&state, &actor, &origin, ids, representative).await?,
    ))
}

/// `DELETE /api/v1/assets/{id}/devices/{device_id}`.
pub async fn unlink_device(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(ids): Path<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    service::unlink_device(&state, &actor, &origin, ids).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/v1/assets/{id}/related/{other_id}`.
pub async fn relate(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(ids): Path<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    service::relate(&state, &actor, &origin, ids, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v1/assets/{id}/related/{other_id}`.
pub async fn unrelate(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(ids): Path<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    service::relate(&state, &actor, &origin, ids, false).await?;
    Ok(StatusCode::NO_CONTENT)
}
