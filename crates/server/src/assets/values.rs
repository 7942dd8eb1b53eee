//! Checks every ledger record shares: trimmed text of a bounded length, calendar days,
//! choice-list entries of the right list, departments and locations that exist and lie in
//! the actor's scope, and the status-change note.

use sqlx::AnyConnection;

use crate::assets::choices::{self, ChoiceKind};
use crate::core::auth::Actor;
use crate::core::db::DbError;
use crate::core::error::AppError;
use crate::departments::store::Tree;

/// Trimmed text, checked for control characters and length; `None` stays `None`.
///
/// # Errors
/// 400 naming `field`.
pub fn plain(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, AppError> {
    match value {
        None => Ok(None),
        Some(value) => {
            let value = value.trim().to_string();
            crate::core::extract::check_plain_text(field, &value, max)?;
            Ok(Some(value))
        }
    }
}

/// A calendar day `YYYY-MM-DD`, checked and written canonically.
///
/// # Errors
/// 400 naming `field`.
pub fn day(field: &str, value: &str) -> Result<String, AppError> {
    value
        .trim()
        .parse::<jiff::civil::Date>()
        .map(|d| d.to_string())
        .map_err(|_| AppError::invalid(field, format!("{field} must be a date (YYYY-MM-DD)")))
}

/// A nullable day as a patch carries it: absent, cleared (`null` or empty), or a day.
///
/// # Errors
/// 400 naming `field`.
pub fn patch_day(
    field: &str,
    value: Option<Option<String>>,
) -> Result<Option<Option<String>>, AppError> {
    match value {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(text)) if text.trim().is_empty() => Ok(Some(None)),
        Some(Some(text)) => Ok(Some(Some(day(field, &text)?))),
    }
}

/// The text of a note typed with a change, if any.
///
/// # Errors
/// 400 for control characters or an over-long note.
pub fn reason(note: Option<String>) -> Result<Option<String>, AppError> {
    match note {
        None => Ok(None),
        Some(note) if note.trim().is_empty() => Ok(None),
        Some(note) => Ok(Some(crate::devices::notes::clean_body(&note)?.to_string())),
    }
}

/// Merges the custom values a create or update sends into a record's: a value replaces the
/// stored one, `null` removes it, fields not named keep theirs (the values are checked
/// afterwards by `fields::service::check_values`, against the stored ones).
pub fn merge_custom(
    custom: &mut serde_json::Value,
    patch: Option<serde_json::Map<String, serde_json::Value>>,
) {
    let Some(patch) = patch else {
        return;
    };
    let mut merged = custom.as_object().cloned().unwrap_or_default();
    for (key, value) in patch {
        if value.is_null() {
            merged.remove(&key);
        } else {
            merged.insert(key, value);
        }
    }
    *custom = serde_json::Value::Object(merged);
}

/// The stored custom values a change leaves as they are (those whose field the patch does
/// not name): `fields::service::check_values` drops such a value when its option was
/// deleted since, instead of refusing the change.
pub fn kept_custom(
    stored: &serde_json::Value,
    patch: Option<&serde_json::Map<String, serde_json::Value>>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut kept = stored.as_object().cloned().unwrap_or_default();
    if let Some(patch) = patch {
        kept.retain(|key, _| !patch.contains_key(key));
    }
    kept
}

/// 400 unless `id` is an entry of list `kind`.
///
/// # Errors
/// 400 naming `field`; storage errors.
pub async fn check_choice(
    conn: &mut AnyConnection,
    field: &str,
    kind: ChoiceKind,
    id: i64,
) -> Result<(), AppError> {
    match choices::store::get(conn, id).await {
        Ok(choice) if choice.kind == kind => Ok(()),
        Ok(_) | Err(DbError::NotFound) => Err(AppError::invalid(
            field,
            format!("{field} is not an entry of the {} list", kind.as_str()),
        )),
        Err(other) => Err(other.into()),
    }
}

/// 400 unless the department exists and lies in the actor's scope (a scoped actor cannot
/// file a record under Unknown, where it would lose sight of it).
///
/// # Errors
/// 400 naming `department_id`; storage errors.
pub async fn check_department(
    conn: &mut AnyConnection,
    actor: &Actor,
    department_id: Option<i64>,
) -> Result<(), AppError> {
    if !actor.scope.covers(department_id) {
        return Err(AppError::invalid(
            "department_id",
            "the department is outside your departments",
        ));
    }
    if let Some(id) = department_id {
        if !crate::departments::store::exists(conn, Tree::Departments, id).await? {
            return Err(AppError::invalid("department_id", "no such department"));
        }
    }
    Ok(())
}

/// 400 unless the location exists.
///
/// # Errors
/// 400 naming `location_id`; storage errors.
pub async fn check_location(
    conn: &mut AnyConnection,
    location_id: Option<i64>,
) -> Result<(), AppError> {
    if let Some(id) = location_id {
        if !crate::departments::store::exists(conn, Tree::Locations, id).await? {
            return Err(AppError::invalid("location_id", "no such location"));
        }
    }
    Ok(())
}

/// The note line of a status change: "資産状態 / Status: before → after".
///
/// # Errors
/// Storage errors.
pub async fn status_line(
    conn: &mut AnyConnection,
    label: &str,
    before: i64,
    after: i64,
) -> Result<String, AppError> {
    let before = choices::store::get(conn, before).await?;
    let after = choices::store::get(conn, after).await?;
    Ok(format!("{label}: {} → {}", before.name, after.name))
}

/// The note line of a planned change: "予定… / Planned status: name (day)".
///
/// # Errors
/// Storage errors.
pub async fn planned_line(
    conn: &mut AnyConnection,
    label: &str,
    planned: Option<i64>,
    on: Option<&str>,
) -> Result<String, AppError> {
    let planned = match planned {
        Some(id) => choices::store::get(conn, id).await?.name,
        None => "–".to_string(),
    };
    Ok(format!("{label}: {planned} ({})", on.unwrap_or("–")))
}

/// The departments an actor's lists are limited to (`None`: every department).
pub fn scope_of(actor: &Actor) -> Option<Vec<i64>> {
    match &actor.scope {
        crate::core::auth::Scope::All => None,
        crate::core::auth::Scope::Departments(ids) => Some(ids.clone()),
    }
}

/// Maps "no such row" to a 404 naming `what`.
pub fn not_found(what: &'static str) -> impl Fn(DbError) -> AppError {
    move |error| match error {
        DbError::NotFound => AppError::NotFound(what),
        other => other.into(),
    }
}

/// An id typed in a list's query string.
///
/// # Errors
/// 400 naming `field`.
pub fn query_id(field: &str, value: &Option<String>) -> Result<Option<i64>, AppError> {
    crate::core::query::given(value)
        .map(|v| {
            v.parse()
                .map_err(|_| AppError::invalid(field, format!("{field} must be an id")))
        })
        .transpose()
}

/// Records the export of a ledger list in the audit log, before its first byte leaves: the
/// list, the encoding and the conditions as a query string.
///
/// # Errors
/// Storage errors.
pub async fn audit_export(
    db: &crate::core::db::Db,
    actor: &Actor,
    origin: &crate::audit::model::Origin,
    (list, encoding, filter): (&str, crate::core::csv::CsvEncoding, String),
) -> Result<(), AppError> {
    use crate::audit::model::{Category, NewAuditEntry, Object, Op};
    let detail = serde_json::json!({
        "list": list,
        "encoding": encoding.name(),
        "filter": filter,
    });
    let entry = NewAuditEntry::by_actor(
        actor,
        origin,
        (Category::ContentAccess, Op::Export, Object::AssetInfo),
        "",
        detail,
    );
    let mut conn = db.write().acquire().await.map_err(DbError::from)?;
    crate::audit::store::insert(&mut conn, &entry, crate::core::time::now_ms()).await?;
    Ok(())
}

/// The audit entry of a change to a ledger record.
pub fn audit(
    actor: &Actor,
    origin: &crate::audit::model::Origin,
    op: crate::audit::model::Op,
    id: i64,
    detail: serde_json::Value,
) -> crate::audit::model::NewAuditEntry {
    use crate::audit::model::{Category, NewAuditEntry, Object};
    NewAuditEntry::by_actor(
        actor,
        origin,
        (Category::ContentAccess, op, Object::AssetInfo),
        id.to_string(),
        detail,
    )
}
