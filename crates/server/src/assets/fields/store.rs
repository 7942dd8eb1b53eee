//! SQL for `custom_fields` and `custom_field_options`, and the condition on a record's
//! `custom` JSON that the asset, licence and contract lists embed.

use sqlx::{AnyConnection, Row};

use crate::assets::fields::query::{CustomCondition, CustomTest};
use crate::assets::fields::{CustomField, FieldOption};
use crate::core::db::{Backend, DbError};
use crate::core::sql::{contains_pattern, Where};

/// The fields of a target with their options, in order.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list(conn: &mut AnyConnection, target: &str) -> Result<Vec<CustomField>, DbError> {
    let rows = sqlx::query(
        "SELECT id, target, name, name_en, data_type, input, position, version FROM custom_fields \
         WHERE target = $1 ORDER BY position, id",
    )
    .bind(target)
    .fetch_all(&mut *conn)
    .await?;
    let mut fields = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: i64 = row.try_get(0)?;
        fields.push(CustomField {
            id,
            target: row.try_get(1)?,
            name: row.try_get(2)?,
            name_en: row.try_get(3)?,
            data_type: row.try_get(4)?,
            input: row.try_get(5)?,
            position: row.try_get(6)?,
            options: options(conn, id).await?,
            version: row.try_get(7)?,
        });
    }
    Ok(fields)
}

/// The options of a field, in order.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn options(conn: &mut AnyConnection, field_id: i64) -> Result<Vec<FieldOption>, DbError> {
    let rows = sqlx::query(
        "SELECT id, parent_id, name, name_en FROM custom_field_options WHERE field_id = $1 \
         ORDER BY position, id",
    )
    .bind(field_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(FieldOption {
                id: r.try_get(0)?,
                parent_id: r.try_get(1)?,
                name: r.try_get(2)?,
                name_en: r.try_get(3)?,
            })
        })
        .collect()
}

/// Creates a field; returns its id.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert(conn: &mut AnyConnection, f: &CustomField, now: i64) -> Result<i64, DbError> {
    let row = sqlx::query(
        "INSERT INTO custom_fields (target, name, name_en, data_type, input, position, created_at) \
         SELECT $1, $2, $3, $4, $5, COALESCE(MAX(position), 0) + 1, $6 FROM custom_fields \
         WHERE target = $1 RETURNING id",
    )
    .bind(f.target.as_str())
    .bind(f.name.as_str())
    .bind(f.name_en.as_str())
    .bind(f.data_type.as_str())
    .bind(f.input.as_str())
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// Renames a field or changes its input method, if still at `version`.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn update(
    conn: &mut AnyConnection,
    id: i64,
    (name, name_en, input): (&str, &str, &str),
    version: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE custom_fields SET name = $1, name_en = $2, input = $3, version = version + 1 \
         WHERE id = $4 AND version = $5",
    )
    .bind(name)
    .bind(name_en)
    .bind(input)
    .bind(id)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a field with its options.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<bool, DbError> {
    sqlx::query("DELETE FROM custom_field_options WHERE field_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query("DELETE FROM custom_fields WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Adds an option; returns its id.
///
/// # Errors
/// [`DbError`] from the database (a sibling with the name violates a unique index).
pub async fn insert_option(
    conn: &mut AnyConnection,
    field_id: i64,
    option: &FieldOption,
) -> Result<i64, DbError> {
    let row = sqlx::query(
        "INSERT INTO custom_field_options (field_id, parent_id, name, name_en, position) \
         SELECT $1, $2, $3, $4, COALESCE(MAX(position), 0) + 1 FROM custom_field_options \
         WHERE field_id = $1 RETURNING id",
    )
    .bind(field_id)
    .bind(option.parent_id)
    .bind(option.name.as_str())
    .bind(option.name_en.as_str())
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// Deletes an option of a field (and the nodes below it).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn delete_option(
    conn: &mut AnyConnection,
    field_id: i64,
    option_id: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM custom_field_options WHERE id = $1 AND field_id = $2")
        .bind(option_id)
        .bind(field_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Adds a custom-value condition on `column` (a record's `custom` JSON text, e.g.
/// `a.custom`) to a list's WHERE clause: the field's value read with `json_extract` on
/// SQLite and `->>` on PostgreSQL (no index: the list scans the rows its other conditions
/// leave). Text is compared lowercased with `LIKE`, as the lists' other text conditions;
/// options by id (server-checked numbers, written into the statement).
pub fn push_condition(w: &mut Where, backend: Backend, column: &str, condition: &CustomCondition) {
    let id = condition.field_id;
    match &condition.test {
        CustomTest::Contains(text) => {
            let value = match backend {
                Backend::Sqlite => format!("json_extract({column}, '$.\"{id}\"')"),
                Backend::Postgres => format!("({column}::jsonb ->> '{id}')"),
            };
            let p = w.text(contains_pattern(text));
            w.push(format!("LOWER({value}) LIKE {p} ESCAPE '\\'"));
        }
        CustomTest::AnyOf(options) => {
            let list = |quote: &str| {
                options
                    .iter()
                    .map(|o| format!("{quote}{o}{quote}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            w.push(match backend {
                Backend::Sqlite => {
                    format!("json_extract({column}, '$.\"{id}\"') IN ({})", list(""))
                }
                Backend::Postgres => format!("({column}::jsonb ->> '{id}') IN ({})", list("'")),
            });
        }
    }
}
