//! SQL for `import_templates`, `import_history` and `import_invalid_rows`.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::assets::import::apply::InvalidRow;
use crate::assets::import::kinds::Kind;
use crate::assets::import::mapping::{Mapping, Template};
use crate::core::db::{json_rows, Backend, Db, DbError};

const TEMPLATE_COLUMNS: &str =
    "id, kind, name, description, mapping, created_at, created_by, updated_at, version";

fn template(row: &AnyRow) -> Result<Template, DbError> {
    let kind: String = row.try_get(1)?;
    let mapping: String = row.try_get(4)?;
    Ok(Template {
        id: row.try_get(0)?,
        kind: Kind::parse(&kind)
            .ok_or_else(|| DbError::Corrupt(format!("unknown import kind {kind:?}")))?,
        name: row.try_get(2)?,
        description: row.try_get(3)?,
        mapping: serde_json::from_str::<Mapping>(&mapping)
            .map_err(|e| DbError::Corrupt(format!("mapping of an import template: {e}")))?,
        created_at: row.try_get(5)?,
        created_by: row.try_get(6)?,
        updated_at: row.try_get(7)?,
        version: row.try_get(8)?,
    })
}

fn mapping_json(mapping: &Mapping) -> Result<String, DbError> {
    serde_json::to_string(mapping).map_err(|e| DbError::Corrupt(e.to_string()))
}

/// Every template, of one kind or all, by kind and name.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_templates(db: &Db, kind: Option<Kind>) -> Result<Vec<Template>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {TEMPLATE_COLUMNS} FROM import_templates \
         WHERE $1 = '' OR kind = $1 ORDER BY kind, name, id"
    ))
    .bind(kind.map_or("", Kind::as_str))
    .fetch_all(db.read())
    .await?;
    rows.iter().map(template).collect()
}

/// One template.
///
/// # Errors
/// [`DbError::NotFound`] or other database errors.
pub async fn get_template(conn: &mut AnyConnection, id: i64) -> Result<Template, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {TEMPLATE_COLUMNS} FROM import_templates WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(DbError::NotFound)?;
    template(&row)
}

/// The template of a kind with a name.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn find_template(
    conn: &mut AnyConnection,
    kind: Kind,
    name: &str,
) -> Result<Option<Template>, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {TEMPLATE_COLUMNS} FROM import_templates WHERE kind = $1 AND name = $2"
    ))
    .bind(kind.as_str())
    .bind(name)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(template).transpose()
}

/// A template's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateFields {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Mapping (checked).
    pub mapping: Mapping,
}

/// Creates a template; returns its id.
///
/// # Errors
/// [`DbError`] from the database (a taken name violates its unique index).
pub async fn insert_template(
    conn: &mut AnyConnection,
    kind: Kind,
    fields: &TemplateFields,
    created_by: &str,
    now: i64,
) -> Result<i64, DbError> {
    let row = sqlx::query(
        "INSERT INTO import_templates (kind, name, description, mapping, created_at, created_by, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $5) RETURNING id",
    )
    .bind(kind.as_str())
    .bind(fields.name.as_str())
    .bind(fields.description.as_str())
    .bind(mapping_json(&fields.mapping)?)
    .bind(now)
    .bind(created_by)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// Changes a template still at `version`; returns whether it was.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn update_template(
    conn: &mut AnyConnection,
    id: i64,
    fields: &TemplateFields,
    version: i64,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE import_templates SET name = $1, description = $2, mapping = $3, updated_at = $4, \
         version = version + 1 WHERE id = $5 AND version = $6",
    )
    .bind(fields.name.as_str())
    .bind(fields.description.as_str())
    .bind(mapping_json(&fields.mapping)?)
    .bind(now)
    .bind(id)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a template; returns whether there was one.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn delete_template(conn: &mut AnyConnection, id: i64) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM import_templates WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether another template of the kind has the name.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn template_name_taken(
    conn: &mut AnyConnection,
    kind: Kind,
    name: &str,
    except: Option<i64>,
) -> Result<bool, DbError> {
    Ok(sqlx::query(
        "SELECT 1 FROM import_templates WHERE kind = $1 AND name = $2 AND id <> COALESCE($3, 0)",
    )
    .bind(kind.as_str())
    .bind(name)
    .bind(except)
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// An import as the history keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryEntry {
    /// Id.
    pub id: i64,
    /// The kind.
    pub kind: String,
    /// The template's name.
    pub template: String,
    /// The file's name.
    pub file_name: String,
    /// The encoding it was read in.
    pub encoding: String,
    /// The account that imported.
    pub user_id: Option<i64>,
    /// Its login.
    pub login: String,
    /// Started (Unix ms).
    pub started_at: i64,
    /// Finished.
    pub finished_at: i64,
    /// `applied`, `checked` (nothing changed) or `refused` (nothing changed; `message` says
    /// why).
    pub status: String,
    /// Why a file was refused.
    pub message: String,
    /// Data rows read.
    pub rows: i64,
    /// Added.
    pub added: i64,
    /// Changed.
    pub updated: i64,
    /// Matched and unchanged.
    pub unchanged: i64,
    /// Invalid rows.
    pub failed: i64,
    /// The file's header.
    pub header: Vec<String>,
}

const HISTORY_COLUMNS: &str = "id, kind, template, file_name, encoding, user_id, login, \
     started_at, finished_at, status, message, total_rows, added, updated, unchanged, failed, \
     header";

fn history(row: &AnyRow) -> Result<HistoryEntry, DbError> {
    let header: String = row.try_get(16)?;
    Ok(HistoryEntry {
        id: row.try_get(0)?,
        kind: row.try_get(1)?,
        template: row.try_get(2)?,
        file_name: row.try_get(3)?,
        encoding: row.try_get(4)?,
        user_id: row.try_get(5)?,
        login: row.try_get(6)?,
        started_at: row.try_get(7)?,
        finished_at: row.try_get(8)?,
        status: row.try_get(9)?,
        message: row.try_get(10)?,
        rows: row.try_get(11)?,
        added: row.try_get(12)?,
        updated: row.try_get(13)?,
        unchanged: row.try_get(14)?,
        failed: row.try_get(15)?,
        header: serde_json::from_str(&header)
            .map_err(|e| DbError::Corrupt(format!("header of an import: {e}")))?,
    })
}

/// Records an import; returns its id (`entry.id` is ignored).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert_history(
    conn: &mut AnyConnection,
    entry: &HistoryEntry,
) -> Result<i64, DbError> {
    let header =
        serde_json::to_string(&entry.header).map_err(|e| DbError::Corrupt(e.to_string()))?;
    let row = sqlx::query(
        "INSERT INTO import_history (kind, template, file_name, encoding, user_id, login, \
         started_at, finished_at, status, message, total_rows, added, updated, unchanged, \
         failed, header) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
         $15, $16) RETURNING id",
    )
    .bind(entry.kind.as_str())
    .bind(entry.template.as_str())
    .bind(entry.file_name.as_str())
    .bind(entry.encoding.as_str())
    .bind(entry.user_id)
    .bind(entry.login.as_str())
    .bind(entry.started_at)
    .bind(entry.finished_at)
    .bind(entry.status.as_str())
    .bind(entry.message.as_str())
    .bind(entry.rows)
    .bind(entry.added)
    .bind(entry.updated)
    .bind(entry.unchanged)
    .bind(entry.failed)
    .bind(header)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// Rows of invalid rows written per statement.
const INVALID_BATCH: usize = 1000;

/// Stores an import's invalid rows, numbered in order, a batch per statement (one JSON
/// parameter each).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert_invalid_rows(
    conn: &mut AnyConnection,
    backend: Backend,
    import_id: i64,
    rows: &[InvalidRow],
) -> Result<(), DbError> {
    let source = json_rows(
        backend,
        2,
        &[
            ("seq", "BIGINT"),
            ("line", "BIGINT"),
            ("reason", "TEXT"),
            ("cells", "TEXT"),
        ],
    );
    let sql = format!(
        "INSERT INTO import_invalid_rows (import_id, seq, line, reason, cells) \
         SELECT $1, seq, line, reason, cells FROM ({source}) r"
    );
    for (batch_index, batch) in rows.chunks(INVALID_BATCH).enumerate() {
        let values: Vec<serde_json::Value> = batch
            .iter()
            .enumerate()
            .map(|(index, row)| {
                let cells = serde_json::to_string(&row.cells).unwrap_or_else(|_| "[]".into());
                serde_json::json!([
                    batch_index * INVALID_BATCH + index,
                    row.line,
                    row.reason,
                    cells
                ])
            })
            .collect();
        sqlx::query(&sql)
            .bind(import_id)
            .bind(serde_json::Value::Array(values).to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The imports a list shows, newest first: all, or one account's; after id `before`.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_history(
    db: &Db,
    (kind, user_id): (Option<Kind>, Option<i64>),
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<HistoryEntry>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {HISTORY_COLUMNS} FROM import_history WHERE ($1 = '' OR kind = $1) \
         AND ($2 = 0 OR user_id = $2) AND id < $3 ORDER BY id DESC LIMIT $4"
    ))
    .bind(kind.map_or("", Kind::as_str))
    .bind(user_id.unwrap_or(0))
    .bind(before.unwrap_or(i64::MAX))
    .bind(i64::from(limit))
    .fetch_all(db.read())
    .await?;
    rows.iter().map(history).collect()
}

/// One import.
///
/// # Errors
/// [`DbError::NotFound`] or other database errors.
pub async fn get_history(db: &Db, id: i64) -> Result<HistoryEntry, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {HISTORY_COLUMNS} FROM import_history WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db.read())
    .await?
    .ok_or(DbError::NotFound)?;
    history(&row)
}

/// A page of an import's invalid rows after `after_seq`, in order: (seq, line, reason,
/// cells).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn invalid_rows(
    db: &Db,
    import_id: i64,
    after_seq: i64,
    limit: u32,
) -> Result<Vec<(i64, InvalidRow)>, DbError> {
    let rows = sqlx::query(
        "SELECT seq, line, reason, cells FROM import_invalid_rows \
         WHERE import_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
    )
    .bind(import_id)
    .bind(after_seq)
    .bind(i64::from(limit))
    .fetch_all(db.read())
    .await?;
    rows.iter()
        .map(|row| {
            let cells: String = row.try_get(3)?;
            let line: i64 = row.try_get(1)?;
            Ok((
                row.try_get(0)?,
                InvalidRow {
                    line: u64::try_from(line).unwrap_or_default(),
                    reason: row.try_get(2)?,
                    cells: serde_json::from_str(&cells)
                        .map_err(|e| DbError::Corrupt(format!("an invalid row: {e}")))?,
                },
            ))
        })
        .collect()
}
