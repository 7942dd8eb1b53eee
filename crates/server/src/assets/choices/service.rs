//! Rules of the choice lists: built-in entries never change; administrators of the assets
//! division add, rename, reorder and delete their own (at most 100 per list), never one a
//! record holds or a saved filter names.

use crate::assets::choices::{store, Choice, ChoiceKind, MAX_CUSTOM};
use crate::audit::model::{Category, NewAuditEntry, Object, Op, Origin};
use crate::core::auth::{Actor, Division};
use crate::core::db::{Db, DbError};
use crate::core::error::AppError;
use crate::core::time::now_ms;

/// Longest entry name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// The names of an entry as typed: Japanese required, English optional.
#[derive(Debug, Clone, Copy)]
pub struct Names<'a> {
    /// Japanese name.
    pub name: &'a str,
    /// English name.
    pub name_en: &'a str,
}

fn clean(names: Names<'_>) -> Result<(String, String), AppError> {
    let name = names.name.trim();
    let name_en = names.name_en.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name", "an entry needs a name"));
    }
    crate::core::extract::check_plain_text("name", name, MAX_NAME_CHARS)?;
    crate::core::extract::check_plain_text("name_en", name_en, MAX_NAME_CHARS)?;
    Ok((name.to_string(), name_en.to_string()))
}

/// The entries of a list.
///
/// # Errors
/// Storage errors.
pub async fn list(db: &Db, kind: ChoiceKind) -> Result<Vec<Choice>, AppError> {
    Ok(store::list(db, kind).await?)
}

fn audit(actor: &Actor, origin: &Origin, op: Op, choice: &Choice) -> NewAuditEntry {
    NewAuditEntry::by_actor(
        actor,
        origin,
        (Category::ConfigurationAccess, op, Object::Config),
        choice.id.to_string(),
        serde_json::json!({"choice": choice.kind.as_str(), "name": choice.name}),
    )
}

fn name_taken() -> AppError {
    AppError::Invalid {
        code: "name_taken",
        message: "the list already has an entry with this name".into(),
        field: Some("name".into()),
    }
}

/// Adds an entry at the end of a list.
///
/// # Errors
/// 403 without the assets division; 400 for a bad or taken name or a full list.
pub async fn create(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    kind: ChoiceKind,
    names: Names<'_>,
) -> Result<Choice, AppError> {
    actor.require_division(Division::Assets)?;
    let (name, name_en) = clean(names)?;
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    if store::count_custom(&mut tx, kind).await? >= MAX_CUSTOM {
        return Err(AppError::Invalid {
            code: "too_many",
            message: format!("a list holds at most {MAX_CUSTOM} entries of your own"),
            field: None,
        });
    }
    if store::name_taken(&mut tx, kind, &name, None).await?
        || (!name_en.is_empty() && store::name_taken(&mut tx, kind, &name_en, None).await?)
    {
        return Err(name_taken());
    }
    let now = now_ms();
    let id = store::insert(&mut tx, kind, &name, &name_en, now).await?;
    let created = store::get(&mut tx, id).await?;
    crate::audit::store::insert(&mut tx, &audit(actor, origin, Op::Add, &created), now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(created)
}

/// A rename or move of an entry.
#[derive(Debug, Clone, Copy)]
pub struct Edit<'a> {
    /// New names.
    pub names: Names<'a>,
    /// New place in the list; none keeps it.
    pub position: Option<i64>,
    /// The version last read.
    pub version: i64,
}

/// Renames or moves an administrator's entry.
///
/// # Errors
/// 403 without the assets division or for a built-in entry; 400; 404; 409 when stale.
pub async fn update(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    (kind, id): (ChoiceKind, i64),
    edit: Edit<'_>,
) -> Result<Choice, AppError> {
    actor.require_division(Division::Assets)?;
    let (name, name_en) = clean(edit.names)?;
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    let current = get_in(&mut tx, kind, id).await?;
    refuse_builtin(&current)?;
    if store::name_taken(&mut tx, current.kind, &name, Some(id)).await?
        || (!name_en.is_empty()
            && store::name_taken(&mut tx, current.kind, &name_en, Some(id)).await?)
    {
        return Err(name_taken());
    }
    let position = edit.position.unwrap_or(current.position);
    if !store::update(&mut tx, id, &name, &name_en, position, edit.version).await? {
        return Err(AppError::Conflict(format!(
            "the entry was changed by someone else (now at version {}); reload and try again",
            current.version
        )));
    }
    let updated = store::get(&mut tx, id).await?;
    let entry = audit(actor, origin, Op::Update, &updated);
    crate::audit::store::insert(&mut tx, &entry, now_ms()).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(updated)
}

/// Deletes an administrator's entry that no record holds and no saved filter names.
///
/// # Errors
/// 403 without the assets division or for a built-in entry; 404; 409 while in use.
pub async fn delete(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    (kind, id): (ChoiceKind, i64),
) -> Result<(), AppError> {
    actor.require_division(Division::Assets)?;
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    let current = get_in(&mut tx, kind, id).await?;
    refuse_builtin(&current)?;
    if store::in_use(&mut tx, current.kind, id).await? {
        return Err(AppError::Conflict(format!(
            "records still hold {:?}; change them first",
            current.name
        )));
    }
    let (list, keys) = current.kind.filter_keys();
    let id_text = id.to_string();
    for (filter, query) in crate::lists::store::queries_of(&mut tx, list).await? {
        let names_it = form_urlencoded::parse(query.as_bytes())
            .any(|(key, value)| keys.contains(&key.as_ref()) && value == id_text.as_str());
        if names_it {
            return Err(AppError::Conflict(format!(
                "the saved filter {filter:?} uses {:?}; change or delete it first",
                current.name
            )));
        }
    }
    store::delete(&mut tx, id).await?;
    let entry = audit(actor, origin, Op::Delete, &current);
    crate::audit::store::insert(&mut tx, &entry, now_ms()).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// The entry `id` of list `kind`; an entry of another list is not found.
async fn get_in(
    conn: &mut sqlx::AnyConnection,
    kind: ChoiceKind,
    id: i64,
) -> Result<Choice, AppError> {
    match store::get(conn, id).await {
        Ok(choice) if choice.kind == kind => Ok(choice),
        Ok(_) | Err(DbError::NotFound) => Err(AppError::NotFound("choice")),
        Err(other) => Err(other.into()),
    }
}

fn refuse_builtin(choice: &Choice) -> Result<(), AppError> {
    if choice.builtin {
        return Err(AppError::Forbidden {
            code: "builtin",
            message: format!("{:?} is built in and cannot change", choice.name),
        });
    }
    Ok(())
}
