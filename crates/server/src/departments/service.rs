//! Department rules: names, the hierarchy without cycles, who may change it, and the audit
//! entries of each change.

use crate::audit::model::{Category, NewAuditEntry, Object, Op, Origin};
use crate::core::auth::{Actor, Scope};
use crate::core::db::{Db, DbError};
use crate::core::error::AppError;
use crate::core::time::now_ms;
use crate::departments::store::{self, Department};

/// Longest department name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// A department name trimmed and checked.
///
/// # Errors
/// 400 naming `name`.
pub fn clean_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name", "a department needs a name"));
    }
    crate::core::extract::check_plain_text("name", name, MAX_NAME_CHARS)?;
    Ok(name.to_string())
}

/// The departments the actor sees: all of them, or those in its scope.
///
/// # Errors
/// Storage errors.
pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<Department>, AppError> {
    let all = store::list(db).await?;
    Ok(all
        .into_iter()
        .filter(|department| match &actor.scope {
            Scope::All => true,
            Scope::Departments(ids) => ids.contains(&department.id),
        })
        .collect())
}

fn audit(actor: &Actor, origin: &Origin, op: Op, department: i64) -> NewAuditEntry {
    let action = (Category::ConfigurationAccess, op, Object::Department);
    NewAuditEntry::by_actor(
        actor,
        origin,
        action,
        department.to_string(),
        serde_json::json!({}),
    )
}

fn name_taken() -> AppError {
    AppError::Invalid {
        code: "name_taken",
        message: "a department with this name exists under the same parent".into(),
        field: Some("name".into()),
    }
}

/// Creates a department (system administrators).
///
/// # Errors
/// 403, 400 for a bad name or unknown parent.
pub async fn create(
    db: &Db,
    actor: &Actor,
    parent_id: Option<i64>,
    name: &str,
    origin: &Origin,
) -> Result<Department, AppError> {
    actor.require_system_admin()?;
    let name = clean_name(name)?;
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    if let Some(parent) = parent_id {
        if !store::exists(&mut tx, parent).await? {
            return Err(AppError::invalid("parent_id", "no such department"));
        }
    }
    if store::name_taken(&mut tx, parent_id, &name, None).await? {
        return Err(name_taken());
    }
    let now = now_ms();
    let id = store::insert(&mut tx, parent_id, &name, now).await?;
    let entry = audit(actor, origin, Op::Add, id);
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    let created = store::get(&mut tx, id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(created)
}

/// Renames or moves a department (system administrators), unless it changed since
/// `version`; a department cannot move under itself.
///
/// # Errors
/// 403, 400, 404, 409.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: i64,
    parent_id: Option<i64>,
    name: &str,
    version: i64,
    origin: &Origin,
) -> Result<Department, AppError> {
    actor.require_system_admin()?;
    let name = clean_name(name)?;
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    let current = store::get(&mut tx, id).await.map_err(not_found)?;
    if let Some(parent) = parent_id {
        if !store::exists(&mut tx, parent).await? {
            return Err(AppError::invalid("parent_id", "no such department"));
        }
        if store::subtree(&mut tx, id).await?.contains(&parent) {
            return Err(AppError::invalid(
                "parent_id",
                "a department cannot move under itself or its own sub-departments",
            ));
        }
    }
    if store::name_taken(&mut tx, parent_id, &name, Some(id)).await? {
        return Err(name_taken());
    }
    let now = now_ms();
    if !store::update(&mut tx, id, parent_id, &name, version, now).await? {
        return Err(AppError::Conflict(format!(
            "the department was changed by someone else (now at version {}); reload and try again",
            current.version
        )));
    }
    let entry = audit(actor, origin, Op::Update, id);
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    let updated = store::get(&mut tx, id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(updated)
}

/// Deletes a department without sub-departments (system administrators); its devices are
/// left without a department.
///
/// # Errors
/// 403, 404, 409 while it has sub-departments.
pub async fn delete(db: &Db, actor: &Actor, id: i64, origin: &Origin) -> Result<(), AppError> {
    actor.require_system_admin()?;
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    store::get(&mut tx, id).await.map_err(not_found)?;
    if !store::delete(&mut tx, id).await? {
        return Err(AppError::Conflict(
            "the department has sub-departments; delete or move them first".into(),
        ));
    }
    let entry = audit(actor, origin, Op::Delete, id);
    crate::audit::store::insert(&mut tx, &entry, now_ms()).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

fn not_found(error: DbError) -> AppError {
    match error {
        DbError::NotFound => AppError::NotFound("department"),
        other => other.into(),
    }
}
