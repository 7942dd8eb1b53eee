//! SQL for `asset_choices`.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::assets::choices::{Choice, ChoiceKind};
use crate::core::db::{Db, DbError};

const COLUMNS: &str = "id, kind, code, name, name_en, position, builtin, version";

fn choice(row: &AnyRow) -> Result<Choice, DbError> {
    let kind: String = row.try_get(1)?;
    Ok(Choice {
        id: row.try_get(0)?,
        kind: ChoiceKind::parse(&kind)
            .ok_or_else(|| DbError::Corrupt(format!("unknown choice kind {kind:?}")))?,
        code: row.try_get(2)?,
        name: row.try_get(3)?,
        name_en: row.try_get(4)?,
        position: row.try_get(5)?,
        builtin: row.try_get::<i64, _>(6)? != 0,
        version: row.try_get(7)?,
    })
}

/// The entries of a list, in order.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list(db: &Db, kind: ChoiceKind) -> Result<Vec<Choice>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM asset_choices WHERE kind = $1 ORDER BY position, id"
    ))
    .bind(kind.as_str())
    .fetch_all(db.read())
    .await?;
    rows.iter().map(choice).collect()
}

/// Every entry of every list, in order (for pages that label several columns).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn all(db: &Db) -> Result<Vec<Choice>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM asset_choices ORDER BY kind, position, id"
    ))
    .fetch_all(db.read())
    .await?;
    rows.iter().map(choice).collect()
}

/// Every entry of every list, read on `conn` (an import reads them in its transaction).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn all_in(conn: &mut AnyConnection) -> Result<Vec<Choice>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM asset_choices ORDER BY kind, position, id"
    ))
    .fetch_all(conn)
    .await?;
    rows.iter().map(choice).collect()
}

/// One entry.
///
/// # Errors
/// [`DbError::NotFound`] or other database errors.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Choice, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM asset_choices WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(DbError::NotFound)?;
    choice(&row)
}

/// How many entries administrators added to a list.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn count_custom(conn: &mut AnyConnection, kind: ChoiceKind) -> Result<i64, DbError> {
    let row = sqlx::query("SELECT COUNT(*) FROM asset_choices WHERE kind = $1 AND builtin = 0")
        .bind(kind.as_str())
        .fetch_one(conn)
        .await?;
    Ok(row.try_get(0)?)
}

/// Whether another entry of the list is called `name` (in either language).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn name_taken(
    conn: &mut AnyConnection,
    kind: ChoiceKind,
    name: &str,
    except: Option<i64>,
) -> Result<bool, DbError> {
    Ok(sqlx::query(
        "SELECT 1 FROM asset_choices WHERE kind = $1 AND (name = $2 OR name_en = $2) \
         AND id <> COALESCE($3, 0)",
    )
    .bind(kind.as_str())
    .bind(name)
    .bind(except)
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// Adds an administrator's entry at the end of its list; returns its id.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert(
    conn: &mut AnyConnection,
    kind: ChoiceKind,
    name: &str,
    name_en: &str,
    now: i64,
) -> Result<i64, DbError> {
    let row = sqlx::query(
        "INSERT INTO asset_choices (kind, name, name_en, position, created_at) \
         SELECT $1, $2, $3, COALESCE(MAX(position), 0) + 1, $4 FROM asset_choices WHERE kind = $1 \
         RETURNING id",
    )
    .bind(kind.as_str())
    .bind(name)
    .bind(name_en)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// Renames or moves an administrator's entry still at `version`; returns whether it was.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn update(
    conn: &mut AnyConnection,
    id: i64,
    name: &str,
    name_en: &str,
    position: i64,
    version: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE asset_choices SET name = $2, name_en = $3, position = $4, version = version + 1 \
         WHERE id = $1 AND version = $5 AND builtin = 0",
    )
    .bind(id)
    .bind(name)
    .bind(name_en)
    .bind(position)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a record holds the entry.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn in_use(conn: &mut AnyConnection, kind: ChoiceKind, id: i64) -> Result<bool, DbError> {
    for (table, column) in kind.users() {
        let used = sqlx::query(&format!(
            "SELECT 1 FROM {table} WHERE {column} = $1 LIMIT 1"
        ))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .is_some();
        if used {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Deletes an administrator's entry.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM asset_choices WHERE id = $1 AND builtin = 0")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
