//! CSV export of the licence list as filtered and sorted, in the reader's encoding and
//! language: the fields the import reads, under the headers an import template made from
//! the export reads back, choices and managed software by name, departments as paths, and
//! no value as an empty cell. Streamed page by page; audited before the first byte.

use std::collections::HashMap;
use std::sync::Arc;

use crate::app::AppState;
use crate::assets::import::kinds::licences::{cells, FIELDS};
use crate::assets::import::refs::Refs;
use crate::assets::licences::service::{self, LicenceQuery};
use crate::assets::licences::store;
use crate::audit::model::{Category, NewAuditEntry, Object, Op, Origin};
use crate::console::i18n::Lang;
use crate::core::auth::Actor;
use crate::core::csv::{self, CsvEncoding};
use crate::core::db::DbError;
use crate::core::error::AppError;
use crate::core::paging::Cursor;
use crate::core::time::now_ms;

/// Rows read per page while streaming.
pub const PAGE_ROWS: u32 = 2000;

/// The export's download.
///
/// # Errors
/// 400 for bad conditions; 403 without the assets division.
pub async fn response(
    state: AppState,
    actor: &Actor,
    origin: &Origin,
    query: &LicenceQuery,
    (encoding, lang): (CsvEncoding, Lang),
) -> Result<axum::response::Response, AppError> {
    let filter = service::filter_of(&state, actor, query).await?;
    let sort = service::sort_of(query)?;
    let mut conn = state.db.write().acquire().await.map_err(DbError::from)?;
    let detail = serde_json::json!({
        "list": "licences",
        "encoding": encoding.name(),
        "filter": serde_urlencoded::to_string(query).unwrap_or_default(),
    });
    let entry = NewAuditEntry::by_actor(
        actor,
        origin,
        (Category::ContentAccess, Op::Export, Object::AssetInfo),
        "",
        detail,
    );
    crate::audit::store::insert(&mut conn, &entry, now_ms()).await?;
    drop(conn);
    let mut conn = state.db.read().acquire().await.map_err(DbError::from)?;
    let refs = Refs::for_export(&mut conn).await?;
    drop(conn);
    let managed: HashMap<i64, String> = refs
        .managed_records
        .values()
        .map(|m| {
            let name = match lang {
                Lang::En if !m.name_en.is_empty() => m.name_en.clone(),
                _ => m.name.clone(),
            };
            (m.id, name)
        })
        .collect();
    let labels = Arc::new((refs, managed));
    let header = FIELDS.iter().map(|field| field.label(lang));
    let (db, filter) = (state.db.clone(), Arc::new(filter));
    let body = csv::stream_pages(encoding, header, move |cursor| {
        let (db, filter, labels) = (db.clone(), filter.clone(), labels.clone());
        async move {
            let after = cursor.as_deref().map(Cursor::decode).transpose()?;
            let (items, next) = store::page(&db, &filter, sort, after.as_ref(), PAGE_ROWS).await?;
            let (refs, managed) = &*labels;
            let text = csv::rows(items.iter().map(|licence| {
                cells(licence, refs, managed, lang).map(|cell| cell.into_owned().into_bytes())
            }));
            Ok((text, next.map(|c| c.encode())))
        }
    });
    Ok(csv::attachment(encoding, "licences.csv", body))
}
