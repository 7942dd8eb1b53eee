//! CSV exports of the licence list as filtered and sorted, and of the managed software list,
//! in the reader's encoding and language: the fields the import reads, under the headers an
//! import template made from the export reads back, choices and managed software by name,
//! departments as paths, and no value as an empty cell. Streamed page by page; audited
//! before the first byte.

use std::collections::HashMap;
use std::sync::Arc;

use crate::app::AppState;
use crate::assets::import::kinds::Kind;
use crate::assets::import::kinds::{licences, managed};
use crate::assets::import::refs::Refs;
use crate::assets::licences::model::Reconciliation;
use crate::assets::licences::service::{self, LicenceQuery};
use crate::assets::licences::{managed_store, store};
use crate::assets::values;
use crate::audit::model::Origin;
use crate::console::i18n::Lang;
use crate::core::auth::{Actor, Division};
use crate::core::csv::{self, CsvEncoding};
use crate::core::db::DbError;
use crate::core::error::AppError;
use crate::core::paging::Cursor;

/// Rows read per page while streaming.
pub const PAGE_ROWS: u32 = 2000;

/// The licence export's download.
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
    let conditions = LicenceQuery {
        encoding: None,
        lang: None,
        ..query.clone()
    };
    let conditions = serde_urlencoded::to_string(&conditions).unwrap_or_default();
    values::audit_export(&state.db, actor, origin, ("licences", encoding, conditions)).await?;
    let mut conn = state.db.read().acquire().await.map_err(DbError::from)?;
    let refs = Refs::for_export(&mut conn, Kind::Licences).await?;
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
    let header = crate::assets::hardware::export::header(licences::FIELDS, &refs, lang);
    let labels = Arc::new((refs, managed));
    let (db, filter) = (state.db.clone(), Arc::new(filter));
    let body = csv::stream_pages(encoding, header, move |cursor| {
        let (db, filter, labels) = (db.clone(), filter.clone(), labels.clone());
        async move {
            let after = cursor.as_deref().map(Cursor::decode).transpose()?;
            let (items, next) = store::page(&db, &filter, sort, after.as_ref(), PAGE_ROWS).await?;
            let (refs, managed) = &*labels;
            let text = csv::rows(items.iter().map(|licence| {
                licences::cells(licence, refs, managed, lang)
                    .map(|cell| cell.into_owned().into_bytes())
            }));
            Ok((text, next.map(|c| c.encode())))
        }
    });
    Ok(csv::attachment(encoding, "licences.csv", body))
}

/// The managed software export's download: every managed software by name (the list's
/// order), or with `exceeded` only those with more installs than licences over the reader's
/// departments, as the list shows them. Its name, English name and rules are shared by
/// every department, so any account of the assets division reads them, as it reads the
/// list.
///
/// # Errors
/// 403 without the assets division.
pub async fn managed_response(
    state: AppState,
    actor: &Actor,
    origin: &Origin,
    exceeded: bool,
    (encoding, lang): (CsvEncoding, Lang),
) -> Result<axum::response::Response, AppError> {
    actor.require_division(Division::Assets)?;
    let conditions = if exceeded { "exceeded=yes" } else { "" }.to_string();
    let audited = ("managed-software", encoding, conditions);
    values::audit_export(&state.db, actor, origin, audited).await?;
    let header = managed::FIELDS.iter().map(|field| field.label(lang));
    let scope = Arc::new(values::scope_of(actor));
    let db = state.db.clone();
    let body = csv::stream_pages(encoding, header, move |cursor| {
        let (db, scope) = (db.clone(), scope.clone());
        async move {
            let after = cursor.as_deref().map(Cursor::decode).transpose()?;
            let (mut items, next) = managed_store::page(&db, after.as_ref(), PAGE_ROWS).await?;
            if exceeded {
                let ids: Vec<i64> = items.iter().map(|m| m.id).collect();
                let counts = managed_store::counts(&db, scope.as_deref(), Some(&ids)).await?;
                items.retain(|m| {
                    let (owned, consumed, assigned) =
                        counts.get(&m.id).copied().unwrap_or_default();
                    Reconciliation::from_counts(m.id, String::new(), owned, consumed, assigned)
                        .exceeded()
                });
            }
            let text = csv::rows(items.iter().map(managed::cells));
            Ok((text, next.map(|c| c.encode())))
        }
    });
    Ok(csv::attachment(encoding, "managed-software.csv", body))
}
