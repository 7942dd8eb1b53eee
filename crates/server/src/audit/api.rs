//! `/api/v1/audit`: the audit log and its CSV export, for system administrators.

use crate::app::AppState;
use crate::audit::model::{AuditEntry, Category, NewAuditEntry, Object, Op, Origin};
use crate::audit::query::AuditQuery;
use crate::audit::store::{self, AuditFilter};
use crate::core::auth::Actor;
use crate::core::csv::CsvEncoding;
use crate::core::error::AppError;
use crate::core::extract::ApiQuery;
use crate::core::paging::{self, Page};
use axum::extract::State;
use axum::Json;

/// Lists entries, newest first.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<Page<AuditEntry>>, AppError> {
    actor.require_system_admin()?;
    let limit = paging::limit(query.limit()?)?;
    let filter = query.filter(&actor.tz)?;
    let items = store::list(&state.db, &filter, query.cursor()?, limit).await?;
    let next_cursor = (items.len() == limit as usize)
        .then(|| items.last().map(|e| e.id.to_string()))
        .flatten();
    Ok(Json(Page { items, next_cursor }))
}

/// The filtered log as CSV.
pub async fn export(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<axum::response::Response, AppError> {
    let encoding = CsvEncoding::requested(query.encoding.as_deref())?;
    let filter = query.filter(&actor.tz)?;
    let owner = crate::accounts::store::get_user(&state.db, actor.user_id).await?;
    let lang = crate::console::i18n::Lang::pick(Some(&owner.fields.language), None);
    export_response(&state, actor, &origin, filter, encoding, lang).await
}

/// Rows per page of an export.
const EXPORT_PAGE_ROWS: u32 = 2000;

/// The audited CSV download of the audit log (system administrators; the console and the
/// API): id, time in the reader's zone, category, operation, object, object id, result,
/// login, IP address, component, details as JSON.
///
/// # Errors
/// 403 for others; storage errors writing the audit entry.
pub async fn export_response(
    state: &AppState,
    actor: Actor,
    origin: &Origin,
    filter: AuditFilter,
    encoding: CsvEncoding,
    lang: crate::console::i18n::Lang,
) -> Result<axum::response::Response, AppError> {
    actor.require_system_admin()?;
    let detail = serde_json::json!({"encoding": encoding.name()});
    let entry = NewAuditEntry::by_actor(
        &actor,
        origin,
        (Category::ContentAccess, Op::Export, Object::AuditLog),
        "",
        detail,
    );
    let mut conn = state.db.write().acquire().await?;
    store::insert(&mut conn, &entry, crate::core::time::now_ms()).await?;
    drop(conn);
    let m = lang.msgs();
    let header = [
        "ID",
        m.when,
        m.audit_category,
        m.audit_op,
        m.audit_object,
        m.audit_object_id,
        m.audit_result,
        m.user_id,
        m.ip_address,
        m.audit_component,
        m.audit_detail,
    ];
    let db = state.db.clone();
    let tz = actor.tz.clone();
    let filter = std::sync::Arc::new(filter);
    let body = crate::core::csv::stream_pages(encoding, header, move |cursor| {
        let (db, filter, tz) = (db.clone(), filter.clone(), tz.clone());
        async move {
            let before = cursor.and_then(|c| c.parse().ok());
            let entries = store::list(&db, &filter, before, EXPORT_PAGE_ROWS).await?;
            let next = (entries.len() == EXPORT_PAGE_ROWS as usize)
                .then(|| entries.last().map(|e| e.id.to_string()))
                .flatten();
            let text = crate::core::csv::rows(entries.iter().map(|e| {
                [
                    e.id.to_string(),
                    crate::console::web::format_time(e.at, &tz),
                    m.audit_category_label(&e.category).to_string(),
                    m.audit_op_label(&e.op).to_string(),
                    m.audit_object_label(&e.object).to_string(),
                    e.object_id.clone(),
                    m.audit_result_label(&e.result).to_string(),
                    e.login.clone(),
                    e.ip.clone(),
                    m.audit_component_label(&e.component).to_string(),
                    e.detail.to_string(),
                ]
            }));
            Ok((text, next))
        }
    });
    Ok(crate::core::csv::attachment(encoding, "audit.csv", body))
}
