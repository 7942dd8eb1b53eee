//! `/api/v1/events`: the list, one event, confirmation, CSV export.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::audit::model::Origin;
use crate::core::auth::Actor;
use crate::core::error::AppError;
use crate::core::extract::{ApiJson, ApiQuery};
use crate::core::paging::{self, Page};
use crate::events::query::EventQuery;
use crate::events::service::{self, EventView, Language};

fn language(query: &EventQuery, headers: &HeaderMap) -> Language {
    let accept = headers
        .get("accept-language")
        .and_then(|value| value.to_str().ok());
    Language::pick(query.lang.as_deref(), accept)
}

/// Lists events, newest first, with messages in the reader's language.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<EventQuery>,
) -> Result<Json<Page<EventView>>, AppError> {
    let limit = paging::limit(query.limit()?)?;
    let filter = query.filter(&actor.tz)?;
    let items = service::list(
        &state.db,
        &actor,
        &filter,
        limit,
        language(&query, &headers),
    )
    .await?;
    let next_cursor = (items.len() == limit as usize)
        .then(|| items.last().map(|e| e.id.to_string()))
        .flatten();
    Ok(Json(Page { items, next_cursor }))
}

/// One event.
pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiQuery(query): ApiQuery<EventQuery>,
) -> Result<Json<EventView>, AppError> {
    Ok(Json(
        service::get(&state.db, &actor, id, language(&query, &headers)).await?,
    ))
}

/// Body of a confirmation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmBody {
    ids: Vec<i64>,
    /// `false` marks the events unconfirmed again.
    #[serde(default = "yes")]
    confirmed: bool,
}

fn yes() -> bool {
    true
}

/// What a confirmation changed.
#[derive(Debug, Serialize)]
pub struct Confirmed {
    changed: u64,
}

/// Confirms (or unconfirms) events.
pub async fn confirm(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiJson(body): ApiJson<ConfirmBody>,
) -> Result<Json<Confirmed>, AppError> {
    let changed =
        service::set_confirmed(&state.db, &actor, &origin, &body.ids, body.confirmed).await?;
    Ok(Json(Confirmed { changed }))
}

/// The filtered list as CSV (audited).
pub async fn export(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiQuery(query): ApiQuery<EventQuery>,
) -> Result<axum::response::Response, AppError> {
    let encoding = crate::core::csv::CsvEncoding::requested(query.encoding.as_deref())?;
    let filter = query.filter(&actor.tz)?;
    let owner = crate::accounts::store::get_user(&state.db, actor.user_id).await?;
    let lang = crate::console::i18n::Lang::pick(
        Some(query.lang.as_deref().unwrap_or(&owner.fields.language)),
        None,
    );
    export_response(&state, actor, &origin, filter, encoding, lang).await
}

/// The audited CSV download of events (shared by the console and the API).
///
/// # Errors
/// Storage errors writing the audit entry.
pub async fn export_response(
    state: &AppState,
    actor: Actor,
    origin: &Origin,
    filter: crate::events::store::EventFilter,
    encoding: crate::core::csv::CsvEncoding,
    lang: crate::console::i18n::Lang,
) -> Result<axum::response::Response, AppError> {
    use crate::audit::model::{Category, NewAuditEntry, Object, Op};
    let detail = serde_json::json!({"encoding": encoding.name()});
    let entry = NewAuditEntry::by_actor(
        &actor,
        origin,
        (Category::ContentAccess, Op::Export, Object::Event),
        "",
        detail,
    );
    let mut conn = state.db.write().acquire().await?;
    crate::audit::store::insert(&mut conn, &entry, crate::core::time::now_ms()).await?;
    drop(conn);
    let tz = actor.tz.clone();
    let body = service::export(state.db.clone(), actor, filter, encoding, lang, tz);
    Ok(crate::core::csv::attachment(encoding, "events.csv", body))
}
