//! Ledger-wide handlers: stocktake files and the ledger settings.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use crate::app::AppState;
use crate::assets::settings::{self, LedgerSettings};
use crate::assets::stocktake::{self, Ledger, Outcome};
use crate::audit::model::Origin;
use crate::core::auth::Actor;
use crate::core::csv::CsvEncoding;
use crate::core::error::AppError;
use crate::core::extract::{ApiJson, ApiQuery};

/// Query of a stocktake file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StocktakeQuery {
    /// The day to record (`YYYY-MM-DD`).
    on: String,
    /// The file's encoding (default UTF-8).
    #[serde(default)]
    encoding: Option<String>,
}

fn encoding_of(name: Option<&str>) -> Result<CsvEncoding, AppError> {
    match name {
        None | Some("") => Ok(CsvEncoding::Utf8),
        Some(name) => CsvEncoding::parse(name)
            .ok_or_else(|| AppError::invalid("encoding", format!("unknown encoding {name:?}"))),
    }
}

async fn stocktake_file(
    state: AppState,
    actor: Actor,
    origin: Origin,
    ledger: Ledger,
    query: StocktakeQuery,
    body: axum::body::Bytes,
) -> Result<Json<Outcome>, AppError> {
    let encoding = encoding_of(query.encoding.as_deref())?;
    Ok(Json(
        stocktake::by_numbers(
            &state,
            &actor,
            &origin,
            (ledger, &query.on),
            (&body, encoding),
        )
        .await?,
    ))
}

/// `POST /api/v1/assets/stocktake?on=…`: a file of asset numbers, one per line.
pub async fn stocktake_assets(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiQuery(query): ApiQuery<StocktakeQuery>,
    body: axum::body::Bytes,
) -> Result<Json<Outcome>, AppError> {
    stocktake_file(state, actor, origin, Ledger::Assets, query, body).await
}

/// `POST /api/v1/licences/stocktake?on=…`: a file of licence numbers, one per line.
pub async fn stocktake_licences(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiQuery(query): ApiQuery<StocktakeQuery>,
    body: axum::body::Bytes,
) -> Result<Json<Outcome>, AppError> {
    stocktake_file(state, actor, origin, Ledger::Licences, query, body).await
}

/// `GET /api/v1/assets/settings`.
pub async fn get_settings(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Json<LedgerSettings>, AppError> {
    actor.require_division(crate::core::auth::Division::Assets)?;
    Ok(Json(settings::get(&state.db).await?))
}

/// `PUT /api/v1/assets/settings`.
pub async fn put_settings(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiJson(body): ApiJson<LedgerSettings>,
) -> Result<Json<LedgerSettings>, AppError> {
    Ok(Json(
        settings::put(&state.db, &actor, &origin, &body).await?,
    ))
}

/// Body of a bulk change of licences or contracts.
#[derive(Debug, Deserialize)]
pub struct LedgerBulkBody {
    ids: Vec<i64>,
    #[serde(flatten)]
    action: crate::assets::bulk::LedgerBulkAction,
}

/// `POST /api/v1/licences/bulk`.
pub async fn bulk_licences(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiJson(body): ApiJson<LedgerBulkBody>,
) -> Result<Json<crate::devices::bulk::BulkOutcome>, AppError> {
    let kind = crate::assets::bulk::Kind::Licences;
    Ok(Json(
        crate::assets::bulk::apply(&state, &actor, &origin, (kind, &body.ids), &body.action)
            .await?,
    ))
}

/// `POST /api/v1/contracts/bulk`.
pub async fn bulk_contracts(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiJson(body): ApiJson<LedgerBulkBody>,
) -> Result<Json<crate::devices::bulk::BulkOutcome>, AppError> {
    let kind = crate::assets::bulk::Kind::Contracts;
    Ok(Json(
        crate::assets::bulk::apply(&state, &actor, &origin, (kind, &body.ids), &body.action)
            .await?,
    ))
}
