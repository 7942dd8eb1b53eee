//! Rules of the hierarchies (departments and locations): names, no cycles, who may change
//! them, and the audit entries of each change. Departments also scope what accounts see.

use crate::audit::model::{Category, NewAuditEntry, Object, Op, Origin};
use crate::core::auth::{Actor, Scope};
use crate::core::db::{Db, DbError};
use crate::core::error::AppError;
use crate::core::time::now_ms;
use crate::departments::store::{self, Department, Tree};

/// Longest department name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// A department or location name trimmed and checked.
///
/// # Errors
/// 400 naming `name`.
pub fn clean_name(tree: Tree, name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid(
            "name",
            format!("a {} needs a name", tree.noun()),
        ));
    }
    crate::core::extract::check_plain_text("name", name, MAX_NAME_CHARS)?;
    Ok(name.to_string())
}

/// The entries the actor sees: every location; every department, or those in its scope.
///
/// # Errors
/// Storage errors.
pub async fn list(db: &Db, actor: &Actor, tree: Tree) -> Result<Vec<Department>, AppError> {
    let all = store::list(db, tree).await?;
    Ok(all
        .into_iter()
        .filter(|department| match (&actor.scope, tree) {
            (Scope::All, _) | (_, Tree::Locations) => true,
            (Scope::Departments(ids), Tree::Departments) => ids.contains(&department.id),
        })
        .collect())
}

fn audit(actor: &Actor, origin: &Origin, tree: Tree, op: Op, department: i64) -> NewAuditEntry {
    let object = match tree {
        Tree::Departments => Object::Department,
        Tree::Locations => Object::Location,
    };
    let action = (Category::ConfigurationAccess, op, object);
    NewAuditEntry::by_actor(
        actor,
        origin,
        action,
        department.to_string(),
        serde_json::json!({}),
    )
}

fn name_taken(tree: Tree) -> AppError {
    AppError::Invalid {
        code: "name_taken",
        message: format!(
            "a {} with this name exists under the same parent",
            tree.noun()
        ),
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
    tree: Tree,
    parent_id: Option<i64>,
    name: &str,
    origin: &Origin,
) -> Result<Department, AppError> {
    actor.require_system_admin()?;
    let name = clean_name(tree, name)?;
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    if let Some(parent) = parent_id {
        if !store::exists(&mut tx, tree, parent).await? {
            return Err(AppError::invalid(
                "parent_id",
                format!("no such {}", tree.noun()),
            ));
        }
    }
    if store::name_taken(&mut tx, tree, parent_id, &name, None).await? {
        return Err(name_taken(tree));
    }
    let now = now_ms();
    let id = store::insert(&mut tx, tree, parent_id, &name, now).await?;
    let entry = audit(actor, origin, tree, Op::Add, id);
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    let created = store::get(&mut tx, tree, id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(created)
}

/// A rename or move: the new parent and name, and the version the editor read.
#[derive(Debug, Clone, Copy)]
pub struct Edit<'a> {
    /// New parent; none for the top level.
    pub parent_id: Option<i64>,
    /// New name.
    pub name: &'a str,
    /// The version last read.
    pub version: i64,
}

/// Renames or moves a department (system administrators), unless it changed since
/// `version`; a department cannot move under itself.
///
/// # Errors
/// 403, 400, 404, 409.
pub async fn update(
    db: &Db,
    actor: &Actor,
    tree: Tree,
    id: i64,
    edit: Edit<'_>,
    origin: &Origin,
) -> Result<Department, AppError> {
    let Edit {
        parent_id,
        name,
        version,
    } = edit;
    actor.require_system_admin()?;
    let name = clean_name(tree, name)?;
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    let current = store::get(&mut tx, tree, id)
        .await
        .map_err(|e| not_found(tree, e))?;
    if let Some(parent) = parent_id {
        if !store::exists(&mut tx, tree, parent).await? {
            return Err(AppError::invalid(
                "parent_id",
                format!("no such {}", tree.noun()),
            ));
        }
        if store::subtree(&mut tx, tree, id).await?.contains(&parent) {
            return Err(AppError::invalid(
                "parent_id",
                format!(
                    "a {} cannot move under itself or what is below it",
                    tree.noun()
                ),
            ));
        }
    }
    if store::name_taken(&mut tx, tree, parent_id, &name, Some(id)).await? {
        return Err(name_taken(tree));
    }
    let now = now_ms();
    if !store::update(&mut tx, tree, id, parent_id, &name, version, now).await? {
        return Err(AppError::Conflict(format!(
            "the {} was changed by someone else (now at version {}); reload and try again",
            tree.noun(),
            current.version
        )));
    }
    let entry = audit(actor, origin, tree, Op::Update, id);
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    let updated = store::get(&mut tx, tree, id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(updated)
}

/// Deletes a department without sub-departments (system administrators); its devices are
/// left without a department.
///
/// # Errors
/// 403, 404, 409 while it has sub-departments.
pub async fn delete(
    db: &Db,
    actor: &Actor,
    tree: Tree,
    id: i64,
    origin: &Origin,
) -> Result<(), AppError> {
    actor.require_system_admin()?;
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    store::get(&mut tx, tree, id)
        .await
        .map_err(|e| not_found(tree, e))?;
    if !store::delete(&mut tx, tree, id).await? {
        return Err(AppError::Conflict(format!(
            "the {} has entries below it; delete or move them first",
            tree.noun()
        )));
    }
    let entry = audit(actor, origin, tree, Op::Delete, id);
    crate::audit::store::insert(&mut tx, &entry, now_ms()).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

fn not_found(tree: Tree, error: DbError) -> AppError {
    match error {
        DbError::NotFound => AppError::NotFound(tree.noun()),
        other => other.into(),
    }
}
