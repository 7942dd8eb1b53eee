//! SQL for the hierarchies: `departments` and `locations`, the same shape in two tables.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::core::db::{Db, DbError};

/// Which hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tree {
    /// Departments (部署): they also scope what accounts see.
    Departments,
    /// Locations (設置場所).
    Locations,
}

impl Tree {
    /// Its table.
    pub fn table(self) -> &'static str {
        match self {
            Tree::Departments => "departments",
            Tree::Locations => "locations",
        }
    }

    /// What one entry is called in messages.
    pub fn noun(self) -> &'static str {
        match self {
            Tree::Departments => "department",
            Tree::Locations => "location",
        }
    }
}

/// A department or location as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Department {
    /// Id.
    pub id: i64,
    /// Parent; none for a top-level department.
    pub parent_id: Option<i64>,
    /// Name, unique among its siblings.
    pub name: String,
    /// Created (Unix ms).
    pub created_at: i64,
    /// Last changed (Unix ms).
    pub updated_at: i64,
    /// Optimistic version.
    pub version: i64,
}

const COLUMNS: &str = "id, parent_id, name, created_at, updated_at, version";

fn department(row: &AnyRow) -> Result<Department, DbError> {
    Ok(Department {
        id: row.try_get(0)?,
        parent_id: row.try_get(1)?,
        name: row.try_get(2)?,
        created_at: row.try_get(3)?,
        updated_at: row.try_get(4)?,
        version: row.try_get(5)?,
    })
}

/// Whether a department exists.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn exists(conn: &mut AnyConnection, tree: Tree, id: i64) -> Result<bool, DbError> {
    Ok(
        sqlx::query(&format!("SELECT 1 FROM {} WHERE id = $1", tree.table()))
            .bind(id)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}

/// Every department, by name.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list(db: &Db, tree: Tree) -> Result<Vec<Department>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {} ORDER BY name, id",
        tree.table()
    ))
    .fetch_all(db.read())
    .await?;
    rows.iter().map(department).collect()
}

/// One department.
///
/// # Errors
/// [`DbError::NotFound`] or other database errors.
pub async fn get(conn: &mut AnyConnection, tree: Tree, id: i64) -> Result<Department, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {} WHERE id = $1",
        tree.table()
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(DbError::NotFound)?;
    department(&row)
}

/// Whether a sibling of `parent_id` other than `except` already has `name`.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn name_taken(
    conn: &mut AnyConnection,
    tree: Tree,
    parent_id: Option<i64>,
    name: &str,
    except: Option<i64>,
) -> Result<bool, DbError> {
    Ok(sqlx::query(&format!(
        "SELECT 1 FROM {} WHERE COALESCE(parent_id, 0) = COALESCE($1, 0) \
         AND name = $2 AND id <> COALESCE($3, 0)",
        tree.table()
    ))
    .bind(parent_id)
    .bind(name)
    .bind(except)
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// Creates a department; returns its id.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert(
    conn: &mut AnyConnection,
    tree: Tree,
    parent_id: Option<i64>,
    name: &str,
    now: i64,
) -> Result<i64, DbError> {
    let row = sqlx::query(&format!(
        "INSERT INTO {} (parent_id, name, created_at, updated_at) \
         VALUES ($1, $2, $3, $3) RETURNING id",
        tree.table()
    ))
    .bind(parent_id)
    .bind(name)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// Renames or moves a department if it is still at `version`; returns whether it was.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn update(
    conn: &mut AnyConnection,
    tree: Tree,
    id: i64,
    parent_id: Option<i64>,
    name: &str,
    version: i64,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(&format!(
        "UPDATE {} SET parent_id = $2, name = $3, updated_at = $4, version = version + 1 \
         WHERE id = $1 AND version = $5",
        tree.table()
    ))
    .bind(id)
    .bind(parent_id)
    .bind(name)
    .bind(now)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The departments an account with these roots (`user_departments`) sees: every department
/// under them.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn scope_of_user(db: &Db, user_id: i64) -> Result<Vec<i64>, DbError> {
    let rows = sqlx::query(
        "WITH RECURSIVE scope(id) AS ( \
             SELECT department_id FROM user_departments WHERE user_id = $1 \
             UNION SELECT d.id FROM departments d JOIN scope s ON d.parent_id = s.id) \
         SELECT id FROM scope ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(db.read())
    .await?;
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}

/// A department and everything under it.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn subtree(conn: &mut AnyConnection, tree: Tree, id: i64) -> Result<Vec<i64>, DbError> {
    let rows = sqlx::query(&format!(
        "WITH RECURSIVE tree(id) AS (SELECT CAST($1 AS BIGINT) UNION \
         SELECT d.id FROM {} d JOIN tree t ON d.parent_id = t.id) SELECT id FROM tree",
        tree.table()
    ))
    .bind(id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}

/// Deletes a department with no children; its devices lose their department (the foreign
/// key's `ON DELETE SET NULL`). Returns whether it was deleted.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn delete(conn: &mut AnyConnection, tree: Tree, id: i64) -> Result<bool, DbError> {
    let table = tree.table();
    let done = sqlx::query(&format!(
        "DELETE FROM {table} WHERE id = $1 \
         AND NOT EXISTS (SELECT 1 FROM {table} c WHERE c.parent_id = $1)"
    ))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
