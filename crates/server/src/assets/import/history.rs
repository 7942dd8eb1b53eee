//! The import history (インポート履歴): every import, applied, checked or refused, with its
//! counts and the rows it could not take, which download as CSV (the file's header and
//! row, then the line and the reason; cells guarded against formulas like every export).
//!
//! An account with every department sees every import; a department-scoped account sees its
//! own (another account's rows may hold records outside its departments).

use bytes::Bytes;
use futures_util::Stream;
use sqlx::AnyConnection;

use crate::app::AppState;
use crate::assets::import::apply::Outcome;
use crate::assets::import::error::Refusal;
use crate::assets::import::kinds::Kind;
use crate::assets::import::store::{self, HistoryEntry};
use crate::audit::model::{Category, NewAuditEntry, Object, Op, Origin, Outcome as AuditOutcome};
use crate::core::auth::{Actor, Division, Scope};
use crate::core::csv::{self, CsvEncoding};
use crate::core::db::{Backend, Db, DbError};
use crate::core::error::AppError;
use crate::core::paging::{self, Cursor, Page, SortValue};
use crate::core::time::now_ms;

/// The header of the download's extra columns: the line in the file, and why.
pub const EXTRA_HEADER: [&str; 2] = ["行 (line)", "エラー理由 (reason)"];

/// An import while it runs: what the history records besides the counts.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The kind.
    pub kind: Kind,
    /// The template's name.
    pub template: String,
    /// The file's name.
    pub file_name: String,
    /// The encoding read in.
    pub encoding: &'static str,
    /// Started (Unix ms).
    pub started_at: i64,
    /// Finished.
    pub finished_at: i64,
    /// Only checked.
    pub check: bool,
    /// The file's header.
    pub header: Vec<String>,
}

impl Entry {
    fn stored(
        &self,
        actor: &Actor,
        status: &str,
        message: String,
        outcome: &Outcome,
    ) -> HistoryEntry {
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        HistoryEntry {
            id: 0,
            kind: self.kind.as_str().to_string(),
            template: self.template.clone(),
            file_name: self.file_name.clone(),
            encoding: self.encoding.to_string(),
            user_id: Some(actor.user_id),
            login: actor.login.clone(),
            started_at: self.started_at,
            finished_at: self.finished_at,
            status: status.to_string(),
            message,
            rows: count(outcome.rows),
            added: count(outcome.added),
            updated: count(outcome.updated),
            unchanged: count(outcome.unchanged),
            failed: count(outcome.failed),
            header: self.header.clone(),
        }
    }
}

/// Records an import that ran (applied, or checked) with its invalid rows, in the caller's
/// transaction when it applied; returns its id.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert(
    conn: &mut AnyConnection,
    backend: Backend,
    actor: &Actor,
    entry: &Entry,
    outcome: &Outcome,
) -> Result<i64, DbError> {
    let status = if entry.check { "checked" } else { "applied" };
    let id =
        store::insert_history(conn, &entry.stored(actor, status, String::new(), outcome)).await?;
    store::insert_invalid_rows(conn, backend, id, &outcome.invalid).await?;
    Ok(id)
}

fn detail(entry: &Entry, outcome: &Outcome) -> serde_json::Value {
    serde_json::json!({
        "kind": entry.kind.as_str(),
        "template": entry.template,
        "file": entry.file_name,
        "rows": outcome.rows,
        "added": outcome.added,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "failed": outcome.failed,
    })
}

/// The one audit entry of an applied import (with its counts, not one per row).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn audit(
    conn: &mut AnyConnection,
    actor: &Actor,
    origin: &Origin,
    id: i64,
    entry: &Entry,
    outcome: &Outcome,
) -> Result<(), DbError> {
    let audit = NewAuditEntry::by_actor(
        actor,
        origin,
        (Category::ContentAccess, Op::Import, Object::AssetInfo),
        id.to_string(),
        detail(entry, outcome),
    );
    crate::audit::store::insert(conn, &audit, now_ms()).await
}

/// Records a refused file (and, unless it was only checked, audits the refusal); returns
/// the history id.
///
/// # Errors
/// Storage errors.
pub async fn refused(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    entry: &Entry,
    refusal: &Refusal,
) -> Result<i64, AppError> {
    let mut entry = entry.clone();
    entry.finished_at = now_ms();
    let outcome = Outcome::default();
    let stored = entry.stored(actor, "refused", refusal.to_string(), &outcome);
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    let id = store::insert_history(&mut tx, &stored).await?;
    if !entry.check {
        let mut detail = detail(&entry, &outcome);
        if let Some(map) = detail.as_object_mut() {
            map.insert("refused".into(), refusal.code().into());
        }
        let mut audit = NewAuditEntry::by_actor(
            actor,
            origin,
            (Category::ContentAccess, Op::Import, Object::AssetInfo),
            id.to_string(),
            detail,
        );
        audit.result = AuditOutcome::Failure;
        crate::audit::store::insert(&mut tx, &audit, now_ms()).await?;
    }
    tx.commit().await.map_err(DbError::from)?;
    Ok(id)
}

/// The history list's query.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Only this kind.
    pub kind: Option<String>,
    /// Page size.
    pub limit: Option<u32>,
    /// Where the page starts.
    pub cursor: Option<String>,
}

/// Whose imports the actor sees: everyone's with every department, else its own.
fn own_only(actor: &Actor) -> Option<i64> {
    match actor.scope {
        Scope::All => None,
        Scope::Departments(_) => Some(actor.user_id),
    }
}

/// A page of the history, newest first.
///
/// # Errors
/// 400 for a bad kind or cursor; 403 without the assets division.
pub async fn list(
    db: &Db,
    actor: &Actor,
    query: &HistoryQuery,
) -> Result<Page<HistoryEntry>, AppError> {
    actor.require_division(Division::Assets)?;
    let kind = crate::core::query::given(&query.kind)
        .map(Kind::requested)
        .transpose()?;
    let limit = paging::limit(query.limit)?;
    let before = crate::core::query::given(&query.cursor)
        .map(Cursor::decode)
        .transpose()?
        .map(|cursor| cursor.id);
    let mut items = store::list_history(db, (kind, own_only(actor)), before, limit + 1).await?;
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|last| {
            Cursor {
                value: SortValue::Int(last.id),
                id: last.id,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

/// One import the actor sees.
///
/// # Errors
/// 403; 404 for an unknown import or another account's (for a scoped account).
pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<HistoryEntry, AppError> {
    actor.require_division(Division::Assets)?;
    let entry = store::get_history(db, id)
        .await
        .map_err(|error| match error {
            DbError::NotFound => AppError::NotFound("import"),
            other => other.into(),
        })?;
    match own_only(actor) {
        Some(user) if entry.user_id != Some(user) => Err(AppError::NotFound("import")),
        _ => Ok(entry),
    }
}

/// Invalid rows read per page of the download.
const PAGE_ROWS: u32 = 1000;

/// An import's invalid rows as CSV in `encoding`: the file's header and each row, with the
/// line and the reason after them.
///
/// # Errors
/// As [`get`].
pub async fn invalid_rows_csv(
    state: &AppState,
    actor: &Actor,
    id: i64,
    encoding: CsvEncoding,
) -> Result<impl Stream<Item = Result<Bytes, AppError>> + Send + 'static, AppError> {
    let entry = get(&state.db, actor, id).await?;
    let width = entry.header.len();
    let mut header = entry.header;
    header.extend(EXTRA_HEADER.iter().map(|h| (*h).to_string()));
    let db = state.db.clone();
    Ok(csv::stream_pages(encoding, header, move |cursor| {
        let db = db.clone();
        async move {
            let after: i64 = cursor.and_then(|c| c.parse().ok()).unwrap_or(-1);
            let page = store::invalid_rows(&db, id, after, PAGE_ROWS).await?;
            let next = (page.len() == PAGE_ROWS as usize)
                .then(|| page.last().map(|(seq, _)| seq.to_string()))
                .flatten();
            let text = csv::rows(
                page.iter()
                    .map(|(_, row)| row_cells(&row.cells, width, row.line, &row.reason)),
            );
            Ok((text, next))
        }
    }))
}

/// One line of the invalid-row CSV: the row's cells (a short row padded to the header's
/// `width`, so the line and the reason stand in their columns), its line, the reason.
pub fn row_cells(cells: &[String], width: usize, line: u64, reason: &str) -> Vec<String> {
    let mut out = cells.to_vec();
    if out.len() < width {
        out.resize(width, String::new());
    }
    out.push(line.to_string());
    out.push(reason.to_string());
    out
}

/// The invalid rows of an import run in this process (the command line writes them beside
/// the file): the header, then each row.
pub fn invalid_rows_text(
    header: &[String],
    rows: &[crate::assets::import::apply::InvalidRow],
) -> String {
    let mut head = header.to_vec();
    head.extend(EXTRA_HEADER.iter().map(|h| (*h).to_string()));
    let width = header.len();
    csv::rows(
        std::iter::once(head).chain(
            rows.iter()
                .map(|row| row_cells(&row.cells, width, row.line, &row.reason)),
        ),
    )
}
