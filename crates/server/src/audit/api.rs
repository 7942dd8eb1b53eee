//! `GET /api/v1/audit`: the audit log, for system administrators.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use crate::app::AppState;
use crate::audit::model::{AuditEntry, Category, Outcome};
use crate::audit::store::{self, AuditFilter};
use crate::core::auth::Actor;
use crate::core::error::AppError;
use crate::core::extract::ApiQuery;
use crate::core::paging::{self, Page};

/// Query parameters of the audit log.
#[derive(Debug, Deserialize)]
pub struct ListParams {
    category: Option<String>,
    result: Option<String>,
    login: Option<String>,
    since: Option<i64>,
    until: Option<i64>,
    cursor: Option<i64>,
    limit: Option<u32>,
}

/// Lists entries, newest first.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Page<AuditEntry>>, AppError> {
    actor.require_system_admin()?;
    let limit = paging::limit(params.limit)?;
    if let Some(category) = &params.category {
        Category::parse(category)
            .ok_or_else(|| AppError::invalid("category", "unknown audit category"))?;
    }
    if let Some(result) = &params.result {
        Outcome::parse(result).ok_or_else(|| AppError::invalid("result", "unknown result"))?;
    }
    let filter = AuditFilter {
        category: params.category,
        result: params.result,
        login: params.login,
        since: params.since,
        until: params.until,
    };
    let items = store::list(&state.db, &filter, params.cursor, limit).await?;
    let next_cursor = (items.len() == limit as usize)
        .then(|| items.last().map(|e| e.id.to_string()))
        .flatten();
    Ok(Json(Page { items, next_cursor }))
}
