//! CSV exports of the contract list as filtered (in the reader's departments) and of the
//! vendor list, in the reader's encoding and language: the fields the import reads, under
//! the headers an import template made from the export reads back, choices and vendors by
//! name, departments as paths, covered assets and licences by number, no value as an empty
//! cell, so import → export → import changes nothing. Streamed page by page (what a page
//! names — vendors, numbers — is read with the page); audited before the first byte.

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::AnyConnection;

use crate::app::AppState;
use crate::assets::contracts::service::{self, ContractQuery};
use crate::assets::contracts::store::{self, Contract, Linked};
use crate::assets::import::kinds::contracts::{self as kind, nameable, PageNames};
use crate::assets::import::kinds::{vendors, Kind};
use crate::assets::import::refs::Refs;
use crate::assets::values;
use crate::audit::model::Origin;
use crate::console::i18n::Lang;
use crate::core::auth::{Actor, Division, Scope};
use crate::core::csv::{self, CsvEncoding};
use crate::core::db::DbError;
use crate::core::error::AppError;
use crate::core::paging::Cursor;

/// Rows read per page while streaming.
pub const PAGE_ROWS: u32 = 2000;

/// The contract export's download: the list's conditions from `query`, in its order (by
/// end day), the header and names in `lang`.
///
/// # Errors
/// 400 for bad conditions; 403 without the assets division.
pub async fn response(
    state: AppState,
    actor: &Actor,
    origin: &Origin,
    query: &ContractQuery,
    (encoding, lang): (CsvEncoding, Lang),
) -> Result<axum::response::Response, AppError> {
    let filter = service::filter_of(&state, actor, query).await?;
    values::audit_export(
        &state.db,
        actor,
        origin,
        ("contracts", encoding, query.filter_string()),
    )
    .await?;
    let mut conn = state.db.read().acquire().await.map_err(DbError::from)?;
    let refs = Arc::new(Refs::for_export(&mut conn, Kind::Contracts).await?);
    drop(conn);
    let header = crate::assets::hardware::export::header(kind::FIELDS, &refs, lang);
    let (db, filter) = (state.db.clone(), Arc::new(filter));
    let scope = Arc::new(actor.scope.clone());
    let body = csv::stream_pages(encoding, header, move |cursor| {
        let (db, filter, refs, scope) = (db.clone(), filter.clone(), refs.clone(), scope.clone());
        async move {
            let after = cursor.as_deref().map(Cursor::decode).transpose()?;
            let (items, next) = store::page(&db, &filter, after.as_ref(), PAGE_ROWS).await?;
            let mut conn = db.read().acquire().await.map_err(DbError::from)?;
            let names = page_names(&mut conn, &scope, &items).await?;
            drop(conn);
            let text = csv::rows(items.iter().map(|contract| {
                kind::cells(contract, &refs, &names, lang)
                    .map(|cell| cell.into_owned().into_bytes())
            }));
            Ok((text, next.map(|c| c.encode())))
        }
    });
    Ok(csv::attachment(encoding, "contracts.csv", body))
}

/// The vendors and the numbers of the covered records a page of contracts names: only the
/// records the reader can name in a file ([`nameable`]), so the export shows nothing of
/// other departments and the import keeps what it leaves out.
async fn page_names(
    conn: &mut AnyConnection,
    scope: &Scope,
    items: &[Contract],
) -> Result<PageNames, AppError> {
    let ids: Vec<i64> = items.iter().map(|c| c.id).collect();
    let mut vendor_ids: Vec<i64> = items.iter().filter_map(|c| c.vendor_id).collect();
    vendor_ids.sort_unstable();
    vendor_ids.dedup();
    let vendors = store::vendor_names(conn, &vendor_ids).await?;
    let mut joined = [HashMap::new(), HashMap::new()];
    for (slot, kind) in joined.iter_mut().zip([Linked::Assets, Linked::Licences]) {
        let links = store::links_of_many(conn, &ids, kind).await?;
        let mut linked: Vec<i64> = links.values().flatten().copied().collect();
        linked.sort_unstable();
        linked.dedup();
        let numbers = match kind {
            Linked::Assets => crate::assets::hardware::store::numbers_of(conn, &linked).await?,
            Linked::Licences => crate::assets::licences::store::numbers_of(conn, &linked).await?,
        };
        for (contract, covered) in links {
            let mut named: Vec<&str> = covered
                .iter()
                .filter_map(|id| numbers.get(id))
                .filter(|(number, department)| nameable(scope, number, *department))
                .map(|(number, _)| number.as_str())
                .collect();
            if named.is_empty() {
                continue;
            }
            named.sort_unstable();
            slot.insert(contract, named.join(";"));
        }
    }
    let [assets, licences] = joined;
    Ok(PageNames {
        vendors,
        assets,
        licences,
    })
}

/// The vendor export's download: every vendor by name, as the list shows them (the vendor
/// list has no department, so every account of the assets division reads it whole).
///
/// # Errors
/// 403 without the assets division.
pub async fn vendors_response(
    state: AppState,
    actor: &Actor,
    origin: &Origin,
    (encoding, lang): (CsvEncoding, Lang),
) -> Result<axum::response::Response, AppError> {
    actor.require_division(Division::Assets)?;
    values::audit_export(
        &state.db,
        actor,
        origin,
        ("vendors", encoding, String::new()),
    )
    .await?;
    let header = vendors::FIELDS.iter().map(|field| field.label(lang));
    let db = state.db.clone();
    let body = csv::stream_pages(encoding, header, move |cursor| {
        let db = db.clone();
        async move {
            let after = cursor.as_deref().map(Cursor::decode).transpose()?;
            let (items, next) = store::vendor_page(&db, after.as_ref(), PAGE_ROWS).await?;
            let text = csv::rows(items.iter().map(vendors::cells));
            Ok((text, next.map(|c| c.encode())))
        }
    });
    Ok(csv::attachment(encoding, "vendors.csv", body))
}
