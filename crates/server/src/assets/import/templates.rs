//! Rules of import templates: kept by the assets division (shared by its accounts, whatever
//! their departments: a template holds no records), names unique within a kind, mappings
//! checked when saved (custom fields against the kind's, by id), and moved between servers as a JSON document (the seeds'
//! `exporttemplate`/`importtemplate`) that keeps its name unless given another and replaces
//! a template of the same name only when asked.

use serde::Deserialize;

use crate::assets::import::kinds::Kind;
use crate::assets::import::mapping::{
    checked_name, Document, Mapping, Template, DOCUMENT_FORMAT, MAX_DESCRIPTION_CHARS,
};
use crate::assets::import::store::{self, TemplateFields};
use crate::audit::model::{Category, NewAuditEntry, Object, Op, Origin};
use crate::core::auth::{Actor, Division};
use crate::core::db::{Db, DbError};
use crate::core::error::AppError;
use crate::core::time::now_ms;

/// A template as a create or update sends it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    /// The kind (create only; a template keeps its kind).
    pub kind: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// The mapping.
    pub mapping: Option<Mapping>,
    /// The version last read (update).
    pub version: Option<i64>,
}

fn audit(actor: &Actor, origin: &Origin, op: Op, template: &Template) -> NewAuditEntry {
    NewAuditEntry::by_actor(
        actor,
        origin,
        (Category::ConfigurationAccess, op, Object::Config),
        template.id.to_string(),
        serde_json::json!({"import_template": template.name, "kind": template.kind.as_str()}),
    )
}

fn not_found(error: DbError) -> AppError {
    match error {
        DbError::NotFound => AppError::NotFound("import template"),
        other => other.into(),
    }
}

fn name_taken(kind: Kind, name: &str) -> AppError {
    AppError::Invalid {
        code: "name_taken",
        message: format!("a {} template called {name:?} exists", kind.as_str()),
        field: Some("name".into()),
    }
}

fn description(text: Option<String>) -> Result<Option<String>, AppError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let text = text.trim().to_string();
    crate::core::extract::check_multiline_text("description", &text, MAX_DESCRIPTION_CHARS)?;
    Ok(Some(text))
}

/// 400 unless every custom field `mapping` reads is one of `kind`'s (a template moved from
/// another server names its fields by that server's ids).
async fn check_custom_fields(
    conn: &mut sqlx::AnyConnection,
    kind: Kind,
    mapping: &Mapping,
) -> Result<(), AppError> {
    let wanted = mapping.custom_ids();
    let Some(target) = kind.custom_target().filter(|_| !wanted.is_empty()) else {
        return Ok(());
    };
    let fields = crate::assets::fields::store::list(conn, target).await?;
    for (index, id) in wanted {
        if !fields.iter().any(|f| f.id == id) {
            return Err(AppError::invalid(
                format!("mapping.columns[{index}].field"),
                format!("{} has no custom field {id}", kind.as_str()),
            ));
        }
    }
    Ok(())
}

/// The templates, of one kind or all.
///
/// # Errors
/// 400 for an unknown kind; 403 without the assets division.
pub async fn list(db: &Db, actor: &Actor, kind: Option<&str>) -> Result<Vec<Template>, AppError> {
    actor.require_division(Division::Assets)?;
    let kind = kind
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(Kind::requested)
        .transpose()?;
    Ok(store::list_templates(db, kind).await?)
}

/// One template.
///
/// # Errors
/// 403; 404.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<Template, AppError> {
    actor.require_division(Division::Assets)?;
    let mut conn = db.read().acquire().await.map_err(DbError::from)?;
    store::get_template(&mut conn, id).await.map_err(not_found)
}

/// Creates a template.
///
/// # Errors
/// 400 for a bad kind, name or mapping, or a taken name; 403.
pub async fn create(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    input: TemplateInput,
) -> Result<Template, AppError> {
    actor.require_division(Division::Assets)?;
    let kind = Kind::requested(input.kind.as_deref().unwrap_or(""))?;
    let fields = TemplateFields {
        name: checked_name(input.name.as_deref().unwrap_or(""))?,
        description: description(input.description)?.unwrap_or_default(),
        mapping: input
            .mapping
            .ok_or_else(|| AppError::invalid("mapping", "a template needs its mapping"))?
            .checked(kind)?,
    };
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    check_custom_fields(&mut tx, kind, &fields.mapping).await?;
    if store::template_name_taken(&mut tx, kind, &fields.name, None).await? {
        return Err(name_taken(kind, &fields.name));
    }
    let now = now_ms();
    let id = store::insert_template(&mut tx, kind, &fields, &actor.login, now).await?;
    let created = store::get_template(&mut tx, id).await?;
    crate::audit::store::insert(&mut tx, &audit(actor, origin, Op::Add, &created), now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(created)
}

/// Changes a template's name, description or mapping.
///
/// # Errors
/// 400; 403; 404; 409 when stale.
pub async fn update(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    id: i64,
    input: TemplateInput,
) -> Result<Template, AppError> {
    actor.require_division(Division::Assets)?;
    let version = input
        .version
        .ok_or_else(|| AppError::invalid("version", "send the version you last read"))?;
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    let current = store::get_template(&mut tx, id).await.map_err(not_found)?;
    if input
        .kind
        .as_deref()
        .is_some_and(|kind| kind.trim() != current.kind.as_str())
    {
        return Err(AppError::invalid("kind", "a template keeps its kind"));
    }
    let fields = TemplateFields {
        name: match input.name {
            Some(name) => checked_name(&name)?,
            None => current.name.clone(),
        },
        description: description(input.description)?.unwrap_or(current.description.clone()),
        mapping: match input.mapping {
            Some(mapping) => mapping.checked(current.kind)?,
            None => current.mapping.clone(),
        },
    };
    check_custom_fields(&mut tx, current.kind, &fields.mapping).await?;
    if store::template_name_taken(&mut tx, current.kind, &fields.name, Some(id)).await? {
        return Err(name_taken(current.kind, &fields.name));
    }
    let now = now_ms();
    if !store::update_template(&mut tx, id, &fields, version, now).await? {
        return Err(AppError::Conflict(format!(
            "the template was changed by someone else (now at version {}); reload and try again",
            current.version
        )));
    }
    let updated = store::get_template(&mut tx, id).await?;
    crate::audit::store::insert(&mut tx, &audit(actor, origin, Op::Update, &updated), now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(updated)
}

/// Deletes a template (the history keeps its name).
///
/// # Errors
/// 403; 404.
pub async fn delete(db: &Db, actor: &Actor, origin: &Origin, id: i64) -> Result<(), AppError> {
    actor.require_division(Division::Assets)?;
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    let current = store::get_template(&mut tx, id).await.map_err(not_found)?;
    store::delete_template(&mut tx, id).await?;
    crate::audit::store::insert(
        &mut tx,
        &audit(actor, origin, Op::Delete, &current),
        now_ms(),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// A template as its export document, audited as an export.
///
/// # Errors
/// 403; 404.
pub async fn export(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    id: i64,
) -> Result<Document, AppError> {
    actor.require_division(Division::Assets)?;
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    let template = store::get_template(&mut tx, id).await.map_err(not_found)?;
    crate::audit::store::insert(
        &mut tx,
        &audit(actor, origin, Op::Export, &template),
        now_ms(),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(Document {
        format: DOCUMENT_FORMAT.into(),
        version: 1,
        kind: template.kind.as_str().into(),
        name: template.name,
        description: template.description,
        mapping: template.mapping,
    })
}

/// The id of the template of `kind` called `name`.
///
/// # Errors
/// 403; 404.
pub async fn find(db: &Db, actor: &Actor, kind: Kind, name: &str) -> Result<i64, AppError> {
    actor.require_division(Division::Assets)?;
    let mut conn = db.read().acquire().await.map_err(DbError::from)?;
    store::find_template(&mut conn, kind, name.trim())
        .await?
        .map(|template| template.id)
        .ok_or(AppError::NotFound("import template"))
}

/// Reads an export document (only documents made by [`export`] are taken).
///
/// # Errors
/// 400 `not_a_template` for anything else.
pub fn read_document(bytes: &[u8]) -> Result<Document, AppError> {
    let not_one = |detail: String| AppError::Invalid {
        code: "not_a_template",
        message: format!("the file is not an exported import template: {detail}"),
        field: Some("file".into()),
    };
    let document: Document =
        serde_json::from_slice(bytes).map_err(|error| not_one(error.to_string()))?;
    if document.format != DOCUMENT_FORMAT || document.version != 1 {
        return Err(not_one(format!(
            "format {:?} version {}",
            document.format, document.version
        )));
    }
    Ok(document)
}

/// Imports an export document under its own name or `name`; a template of the kind with
/// that name is replaced only with `overwrite`. Returns the template and whether it is new.
///
/// # Errors
/// 400 for a bad document, name or mapping, `name_taken` without `overwrite`; 403.
pub async fn import(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    document: Document,
    (name, overwrite): (Option<&str>, bool),
) -> Result<(Template, bool), AppError> {
    actor.require_division(Division::Assets)?;
    let kind = Kind::requested(&document.kind)?;
    let fields = TemplateFields {
        name: checked_name(name.unwrap_or(&document.name))?,
        description: description(Some(document.description))?.unwrap_or_default(),
        mapping: document.mapping.checked(kind)?,
    };
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    check_custom_fields(&mut tx, kind, &fields.mapping).await?;
    let now = now_ms();
    let (id, created) = match store::find_template(&mut tx, kind, &fields.name).await? {
        Some(_) if !overwrite => return Err(name_taken(kind, &fields.name)),
        Some(existing) => {
            store::update_template(&mut tx, existing.id, &fields, existing.version, now).await?;
            (existing.id, false)
        }
        None => (
            store::insert_template(&mut tx, kind, &fields, &actor.login, now).await?,
            true,
        ),
    };
    let template = store::get_template(&mut tx, id).await?;
    let mut entry = audit(actor, origin, Op::Import, &template);
    if let Some(detail) = entry.detail.as_object_mut() {
        detail.insert("replaced".into(), (!created).into());
    }
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok((template, created))
}
