//! Rules of custom fields: definitions shared by every department (assets division, all
//! departments), the data type fixed after creation, options only on selection and hierarchy
//! fields, and the check of a record's values.

use serde::Deserialize;
use sqlx::AnyConnection;

use crate::app::AppState;
use crate::assets::fields::query::{self, CustomCondition};
use crate::assets::fields::{store, CustomField, FieldOption, DATA_TYPES, MAX_TEXT_CHARS, TARGETS};
use crate::assets::values;
use crate::audit::model::{Category, NewAuditEntry, Object, Op, Origin};
use crate::core::auth::{Actor, Division, Scope};
use crate::core::db::DbError;
use crate::core::error::AppError;
use crate::core::time::now_ms;

fn check_target(target: &str) -> Result<(), AppError> {
    if TARGETS.contains(&target) {
        Ok(())
    } else {
        Err(AppError::invalid(
            "target",
            "target must be hardware, licence or contract",
        ))
    }
}

fn may_define(actor: &Actor) -> Result<(), AppError> {
    actor.require_division(Division::Assets)?;
    if actor.scope != Scope::All {
        return Err(AppError::Forbidden {
            code: "all_departments_required",
            message: "custom fields are shared by every department".into(),
        });
    }
    Ok(())
}

fn audit(actor: &Actor, origin: &Origin, op: Op, id: i64) -> NewAuditEntry {
    NewAuditEntry::by_actor(
        actor,
        origin,
        (Category::ConfigurationAccess, op, Object::Config),
        id.to_string(),
        serde_json::json!({"custom_field": id}),
    )
}

/// The fields of a target.
///
/// # Errors
/// 400 for an unknown target; 403.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    target: &str,
) -> Result<Vec<CustomField>, AppError> {
    actor.require_division(Division::Assets)?;
    check_target(target)?;
    let mut conn = state.db.read().acquire().await.map_err(DbError::from)?;
    Ok(store::list(&mut conn, target).await?)
}

/// A field as typed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldInput {
    /// Target (create only).
    pub target: Option<String>,
    /// Japanese name.
    pub name: String,
    /// English name.
    #[serde(default)]
    pub name_en: String,
    /// Data type (create; on update it must stay the same).
    pub data_type: Option<String>,
    /// `admin` or `user`.
    #[serde(default)]
    pub input: Option<String>,
    /// Version last read (update).
    pub version: Option<i64>,
}

fn names(input: &FieldInput) -> Result<(String, String), AppError> {
    let name = values::plain("name", Some(input.name.clone()), 64)?.unwrap_or_default();
    if name.is_empty() {
        return Err(AppError::invalid("name", "a field needs a name"));
    }
    let name_en = values::plain("name_en", Some(input.name_en.clone()), 64)?.unwrap_or_default();
    Ok((name, name_en))
}

fn input_of(value: Option<&str>) -> Result<String, AppError> {
    match value.unwrap_or("admin") {
        v @ ("admin" | "user") => Ok(v.to_string()),
        _ => Err(AppError::invalid("input", "input must be admin or user")),
    }
}

fn taken(error: DbError) -> AppError {
    match error {
        DbError::Sqlx(sqlx::Error::Database(e)) if e.is_unique_violation() => AppError::Invalid {
            code: "name_taken",
            message: "the name is taken".into(),
            field: Some("name".into()),
        },
        other => other.into(),
    }
}

/// Defines a field.
///
/// # Errors
/// 400, 403.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    input: FieldInput,
) -> Result<CustomField, AppError> {
    may_define(actor)?;
    let target = input.target.clone().unwrap_or_default();
    check_target(&target)?;
    let data_type = input.data_type.clone().unwrap_or_default();
    if !DATA_TYPES.contains(&data_type.as_str()) {
        return Err(AppError::invalid(
            "data_type",
            "data_type must be text, selection or hierarchy",
        ));
    }
    let (name, name_en) = names(&input)?;
    let field = CustomField {
        id: 0,
        target: target.clone(),
        name,
        name_en,
        data_type,
        input: input_of(input.input.as_deref())?,
        position: 0,
        options: Vec::new(),
        version: 1,
    };
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    let now = now_ms();
    let id = store::insert(&mut tx, &field, now).await.map_err(taken)?;
    crate::audit::store::insert(&mut tx, &audit(actor, origin, Op::Add, id), now).await?;
    let created = store::list(&mut tx, &target)
        .await?
        .into_iter()
        .find(|f| f.id == id);
    tx.commit().await.map_err(DbError::from)?;
    created.ok_or(AppError::NotFound("custom field"))
}

async fn get_in(conn: &mut AnyConnection, id: i64) -> Result<CustomField, AppError> {
    for target in TARGETS {
        if let Some(field) = store::list(conn, target)
            .await?
            .into_iter()
            .find(|f| f.id == id)
        {
            return Ok(field);
        }
    }
    Err(AppError::NotFound("custom field"))
}

/// Renames a field or changes who enters it; its data type stays.
///
/// # Errors
/// 400 (also for another data type), 403, 404, 409.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    id: i64,
    input: FieldInput,
) -> Result<CustomField, AppError> {
    may_define(actor)?;
    let (name, name_en) = names(&input)?;
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    let current = get_in(&mut tx, id).await?;
    if input
        .data_type
        .as_deref()
        .is_some_and(|t| t != current.data_type)
    {
        return Err(AppError::Invalid {
            code: "data_type_fixed",
            message: "a field's data type cannot change after it is created".into(),
            field: Some("data_type".into()),
        });
    }
    let input_method = match input.input.as_deref() {
        None => current.input.clone(),
        some => input_of(some)?,
    };
    let version = input
        .version
        .ok_or_else(|| AppError::invalid("version", "send the version you last read"))?;
    if !store::update(&mut tx, id, (&name, &name_en, &input_method), version)
        .await
        .map_err(taken)?
    {
        return Err(AppError::Conflict(
            "the field was changed by someone else; reload and try again".into(),
        ));
    }
    crate::audit::store::insert(&mut tx, &audit(actor, origin, Op::Update, id), now_ms()).await?;
    let updated = get_in(&mut tx, id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(updated)
}

/// Deletes a field; values records hold for it are no longer shown and are dropped at their
/// next change.
///
/// # Errors
/// 403, 404.
pub async fn delete(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    id: i64,
) -> Result<(), AppError> {
    may_define(actor)?;
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    if !store::delete(&mut tx, id).await? {
        return Err(AppError::NotFound("custom field"));
    }
    crate::audit::store::insert(&mut tx, &audit(actor, origin, Op::Delete, id), now_ms()).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// An option as typed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionInput {
    /// Parent node (hierarchy fields).
    #[serde(default)]
    pub parent_id: Option<i64>,
    /// Japanese name.
    pub name: String,
    /// English name.
    #[serde(default)]
    pub name_en: String,
}

/// Adds a choice to a selection field or a node to a hierarchy field.
///
/// # Errors
/// 400 for a text field, a parent on a selection field or from another field, a taken name;
/// 403; 404.
pub async fn add_option(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    field_id: i64,
    input: OptionInput,
) -> Result<CustomField, AppError> {
    may_define(actor)?;
    let name = values::plain("name", Some(input.name), 100)?.unwrap_or_default();
    if name.is_empty() || name.contains('/') {
        return Err(AppError::invalid(
            "name",
            "an option needs a name without '/'",
        ));
    }
    let name_en = values::plain("name_en", Some(input.name_en), 100)?.unwrap_or_default();
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    let field = get_in(&mut tx, field_id).await?;
    match (field.data_type.as_str(), input.parent_id) {
        ("text", _) => return Err(AppError::invalid("field", "a text field has no options")),
        ("selection", Some(_)) => {
            return Err(AppError::invalid(
                "parent_id",
                "a selection field has no hierarchy",
            ))
        }
        (_, Some(parent)) if !field.options.iter().any(|o| o.id == parent) => {
            return Err(AppError::invalid("parent_id", "no such node in this field"))
        }
        _ => {}
    }
    let option = FieldOption {
        id: 0,
        parent_id: input.parent_id,
        name,
        name_en,
    };
    store::insert_option(&mut tx, field_id, &option)
        .await
        .map_err(taken)?;
    crate::audit::store::insert(
        &mut tx,
        &audit(actor, origin, Op::Update, field_id),
        now_ms(),
    )
    .await?;
    let updated = get_in(&mut tx, field_id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(updated)
}

/// Deletes an option (and the nodes below it).
///
/// # Errors
/// 403, 404.
pub async fn delete_option(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    (field_id, option_id): (i64, i64),
) -> Result<(), AppError> {
    may_define(actor)?;
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    if !store::delete_option(&mut tx, field_id, option_id).await? {
        return Err(AppError::NotFound("option"));
    }
    crate::audit::store::insert(
        &mut tx,
        &audit(actor, origin, Op::Update, field_id),
        now_ms(),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// Checks a record's custom values against the target's fields: each key a field of the
/// target, text values plain and short (trimmed; empty is no value), selection and hierarchy values one of the field's
/// options. Values of deleted fields are dropped, and so is a value the change keeps as
/// stored (in `kept`, see `values::kept_custom`) whose option was deleted since: a change to
/// other values must not fail on what an administrator removed, while a value the caller
/// sends is checked strictly.
///
/// # Errors
/// 400 naming `custom.<id>`.
pub async fn check_values(
    conn: &mut AnyConnection,
    target: &str,
    custom: &mut serde_json::Value,
    kept: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), AppError> {
    let Some(map) = custom.as_object_mut() else {
        return Err(AppError::invalid(
            "custom",
            "custom must be an object of field ids",
        ));
    };
    if map.is_empty() {
        return Ok(());
    }
    let fields = store::list(conn, target).await?;
    let known: Vec<String> = fields.iter().map(|f| f.id.to_string()).collect();
    map.retain(|key, _| known.contains(key));
    for field in &fields {
        let key = field.id.to_string();
        if field.data_type == "text" {
            // Text is kept trimmed, as every other text of the ledger (and as an import
            // reads it back), and an empty text is no value.
            if let Some(text) = map.get(&key).and_then(|v| v.as_str()) {
                let trimmed = text.trim();
                if trimmed.is_empty() {
                    map.remove(&key);
                } else if trimmed.len() != text.len() {
                    let trimmed = trimmed.to_string();
                    map.insert(key.clone(), serde_json::Value::String(trimmed));
                }
            }
        }
        let Some(value) = map.get(&key) else { continue };
        if value_fits(field, value)? {
            continue;
        }
        if kept.get(&key) == Some(value) {
            map.remove(&key);
            continue;
        }
        return Err(AppError::invalid(
            format!("custom.{key}"),
            format!("not a value of the field {:?}", field.name),
        ));
    }
    Ok(())
}

/// Whether `value` is one of `field`'s: plain text for a text field (refused as such when
/// it holds control characters or is too long), else one of its options' ids.
fn value_fits(field: &CustomField, value: &serde_json::Value) -> Result<bool, AppError> {
    Ok(match field.data_type.as_str() {
        "text" => match value.as_str() {
            Some(text) => {
                let name = format!("custom.{}", field.id);
                crate::core::extract::check_plain_text(&name, text, MAX_TEXT_CHARS)?;
                true
            }
            None => false,
        },
        _ => value
            .as_i64()
            .is_some_and(|id| field.options.iter().any(|o| o.id == id)),
    })
}

/// The `custom.<field id>` conditions of a list of `target`'s records, checked against the
/// target's fields (see [`query::resolve`]).
///
/// # Errors
/// 400 naming `custom.<id>`; storage errors.
pub async fn conditions(
    conn: &mut AnyConnection,
    target: &str,
    extra: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<CustomCondition>, AppError> {
    let wanted = query::parse(extra)?;
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let fields = store::list(conn, target).await?;
    query::resolve(&fields, &wanted)
}
