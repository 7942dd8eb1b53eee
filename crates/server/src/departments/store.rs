//! SQL for the hierarchies: `departments` and `locations`, the same shape in two tables.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::core::db::{Db, DbError};

/// Which hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// Name in Japanese, the default language; unique among its siblings.
    pub name: String,
    /// Name in English; empty means the Japanese name is shown.
    pub name_en: String,
    /// Description in Japanese.
    pub description: String,
    /// Description in English; empty means the Japanese one is shown.
    pub description_en: String,
    /// Taken out of the definition while records may still use it (the old organisation):
    /// shown, marked old, but no longer offered for records.
    pub retired: bool,
    /// Created (Unix ms).
    pub created_at: i64,
    /// Last changed (Unix ms).
    pub updated_at: i64,
    /// Optimistic version.
    pub version: i64,
}

impl Department {
    /// The name shown in English: the English name, else the Japanese one.
    pub fn english_name(&self) -> &str {
        fallback(&self.name_en, &self.name)
    }

    /// The description shown in English: the English one, else the Japanese one.
    pub fn english_description(&self) -> &str {
        fallback(&self.description_en, &self.description)
    }
}

fn fallback<'a>(value: &'a str, default: &'a str) -> &'a str {
    if value.is_empty() {
        default
    } else {
        value
    }
}

/// What an administrator sets on an entry besides its place in the tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    /// Japanese name.
    pub name: String,
    /// English name, or empty.
    pub name_en: String,
    /// Japanese description.
    pub description: String,
    /// English description, or empty.
    pub description_en: String,
    /// Out of the definition.
    pub retired: bool,
}

const COLUMNS: &str = "id, parent_id, name, name_en, description, description_en, retired, \
                       created_at, updated_at, version";

fn department(row: &AnyRow) -> Result<Department, DbError> {
    Ok(Department {
        id: row.try_get(0)?,
        parent_id: row.try_get(1)?,
        name: row.try_get(2)?,
        name_en: row.try_get(3)?,
        description: row.try_get(4)?,
        description_en: row.try_get(5)?,
        retired: row.try_get::<i64, _>(6)? != 0,
        created_at: row.try_get(7)?,
        updated_at: row.try_get(8)?,
        version: row.try_get(9)?,
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
    let mut conn = db.read().acquire().await?;
    list_in(&mut conn, tree).await
}

/// Every department, by name, read on `conn` (inside a transaction that changes them).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list_in(conn: &mut AnyConnection, tree: Tree) -> Result<Vec<Department>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {} ORDER BY name, id",
        tree.table()
    ))
    .fetch_all(conn)
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

/// Whether a sibling of `parent_id` other than `except` is already shown in English as
/// `english` (its English name, or its Japanese name when it has none). No index backs this:
/// siblings are few.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn english_name_taken(
    conn: &mut AnyConnection,
    tree: Tree,
    parent_id: Option<i64>,
    english: &str,
    except: Option<i64>,
) -> Result<bool, DbError> {
    Ok(sqlx::query(&format!(
        "SELECT 1 FROM {} WHERE COALESCE(parent_id, 0) = COALESCE($1, 0) \
         AND (CASE WHEN name_en = '' THEN name ELSE name_en END) = $2 \
         AND id <> COALESCE($3, 0)",
        tree.table()
    ))
    .bind(parent_id)
    .bind(english)
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
    fields: &Fields,
    now: i64,
) -> Result<i64, DbError> {
    let row = sqlx::query(&format!(
        "INSERT INTO {} (parent_id, name, name_en, description, description_en, retired, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        tree.table()
    ))
    .bind(parent_id)
    .bind(&fields.name)
    .bind(&fields.name_en)
    .bind(&fields.description)
    .bind(&fields.description_en)
    .bind(i64::from(fields.retired))
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// Sets a department's place and fields if it is still at `version`; returns whether it was.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn update(
    conn: &mut AnyConnection,
    tree: Tree,
    id: i64,
    parent_id: Option<i64>,
    fields: &Fields,
    version: i64,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(&format!(
        "UPDATE {} SET parent_id = $2, name = $3, name_en = $4, description = $5, \
         description_en = $6, retired = $7, updated_at = $8, version = version + 1 \
         WHERE id = $1 AND version = $9",
        tree.table()
    ))
    .bind(id)
    .bind(parent_id)
    .bind(&fields.name)
    .bind(&fields.name_en)
    .bind(&fields.description)
    .bind(&fields.description_en)
    .bind(i64::from(fields.retired))
    .bind(now)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many records use each entry: device records and hardware assets that name it, and
/// for departments the accounts whose scope starts there. Entries no record uses are absent.
///
/// This reads (never writes) the tables of the devices, assets and accounts features: the
/// hierarchy must know which of its entries still carry values (the old organisation)
/// before it deletes any, and those tables point at it by foreign key.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn usage(conn: &mut AnyConnection, tree: Tree) -> Result<Usage, DbError> {
    let column = match tree {
        Tree::Departments => "department_id",
        Tree::Locations => "location_id",
    };
    let mut used = format!(
        "SELECT {column} AS id, 'record' AS kind FROM devices WHERE {column} IS NOT NULL \
         UNION ALL SELECT {column}, 'record' FROM hardware_assets WHERE {column} IS NOT NULL"
    );
    if tree == Tree::Departments {
        used.push_str(" UNION ALL SELECT department_id, 'scope' FROM user_departments");
    }
    let rows = sqlx::query(&format!(
        "SELECT id, kind, COUNT(*) FROM ({used}) used GROUP BY id, kind"
    ))
    .fetch_all(conn)
    .await?;
    let mut usage = Usage::default();
    for row in &rows {
        let id: i64 = row.try_get(0)?;
        let kind: String = row.try_get(1)?;
        let count: i64 = row.try_get(2)?;
        let entry = usage.0.entry(id).or_default();
        if kind == "scope" {
            entry.scopes += count;
        } else {
            entry.records += count;
        }
    }
    Ok(usage)
}

/// Who uses one entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Use {
    /// Device records and hardware assets.
    pub records: i64,
    /// Accounts whose scope starts at it (departments only).
    pub scopes: i64,
}

/// Who uses each entry of a hierarchy; an entry absent is unused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage(pub std::collections::HashMap<i64, Use>);

impl Usage {
    /// Whether anything uses the entry.
    pub fn is_used(&self, id: i64) -> bool {
        self.0.contains_key(&id)
    }

    /// The entry's use.
    pub fn of(&self, id: i64) -> Use {
        self.0.get(&id).copied().unwrap_or_default()
    }
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
