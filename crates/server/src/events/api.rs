//! `GET /api/v1/events`.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;

use crate::app::AppState;
use crate::core::auth::Actor;
use crate::core::error::AppError;
use crate::core::extract::ApiQuery;
use crate::core::paging::{self, Page};
use crate::events::service::{self, EventView, Language};
use crate::events::store::EventFilter;

/// Query parameters of the events list.
#[derive(Debug, Deserialize)]
pub struct ListParams {
    code: Option<i64>,
    severity: Option<String>,
    device_id: Option<i64>,
    since: Option<i64>,
    cursor: Option<i64>,
    limit: Option<u32>,
    lang: Option<String>,
}

/// Lists events, newest first, with messages in the reader's language.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Page<EventView>>, AppError> {
    let limit = paging::limit(params.limit)?;
    let accept = headers
        .get("accept-language")
        .and_then(|value| value.to_str().ok());
    let language = Language::pick(params.lang.as_deref(), accept);
    let filter = EventFilter {
        code: params.code,
        severity: params.severity,
        device_id: params.device_id,
        since: params.since,
        before_id: params.cursor,
        departments: None,
    };
    let items = service::list(&state.db, &actor, &filter, limit, language).await?;
    let next_cursor = (items.len() == limit as usize)
        .then(|| items.last().map(|e| e.id.to_string()))
        .flatten();
    Ok(Json(Page { items, next_cursor }))
}
