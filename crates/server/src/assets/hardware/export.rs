//! CSV export of the asset list as filtered and sorted, in the reader's encoding and
//! language: the fields the import reads, under the headers an import template made from
//! the export reads back (so import → export → import changes nothing), choices by name,
//! departments and locations as paths, one column per custom field (options by path), and
//! no value (shown as "–") as an empty cell.
//!
//! The file is streamed page by page ([`PAGE_ROWS`] rows a page, keyset paging), so memory
//! stays flat; the export is audited before the first byte.

use std::sync::Arc;

use crate::app::AppState;
use crate::assets::hardware::query::AssetQuery;
use crate::assets::hardware::{service, store};
use crate::assets::import::kinds::assets::{cells, FIELDS};
use crate::assets::import::kinds::{Field, Kind};
use crate::assets::import::refs::Refs;
use crate::assets::values;
use crate::audit::model::Origin;
use crate::console::i18n::Lang;
use crate::core::auth::Actor;
use crate::core::csv::{self, CsvEncoding};
use crate::core::db::DbError;
use crate::core::error::AppError;
use crate::core::paging::Cursor;

/// Rows read per page while streaming.
pub const PAGE_ROWS: u32 = 2000;

/// An export's header: the labels of a kind's `fields` in `lang`, then one column per custom
/// field of the kind (`refs.custom`), named so that no two columns share a header.
pub fn header(fields: &[Field], refs: &Refs, lang: Lang) -> Vec<String> {
    let labels: Vec<&str> = fields.iter().map(|field| field.label(lang)).collect();
    let custom = refs.custom.headers(lang, &labels);
    labels.into_iter().map(String::from).chain(custom).collect()
}

/// The export's download: the list's conditions and sort from `query`, the header and
/// values in `lang`.
///
/// # Errors
/// 400 for bad conditions; 403 without the assets division.
pub async fn response(
    state: AppState,
    actor: &Actor,
    origin: &Origin,
    query: &AssetQuery,
    (encoding, lang): (CsvEncoding, Lang),
) -> Result<axum::response::Response, AppError> {
    let filter = service::filter_of(&state, actor, query).await?;
    let sort = query.sort()?;
    let audited = ("assets", encoding, query.filter_string());
    values::audit_export(&state.db, actor, origin, audited).await?;
    let mut conn = state.db.read().acquire().await.map_err(DbError::from)?;
    let refs = Arc::new(Refs::for_export(&mut conn, Kind::Assets).await?);
    drop(conn);
    let header = header(FIELDS, &refs, lang);
    let (db, filter) = (state.db.clone(), Arc::new(filter));
    let body = csv::stream_pages(encoding, header, move |cursor| {
        let (db, filter, refs) = (db.clone(), filter.clone(), refs.clone());
        async move {
            let after = cursor.as_deref().map(Cursor::decode).transpose()?;
            let (items, next) = store::page(&db, &filter, sort, after.as_ref(), PAGE_ROWS).await?;
            let text = csv::rows(items.iter().map(|asset| cells(asset, &refs, lang)));
            Ok((text, next.map(|c| c.encode())))
        }
    });
    Ok(csv::attachment(encoding, "assets.csv", body))
}
