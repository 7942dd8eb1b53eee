//! Rules of saved filters and column choices: which lists have them, names, who may delete
//! a shared filter.

use serde::{Deserialize, Serialize};

use crate::audit::model::{Category, NewAuditEntry, Object, Op, Origin};
use crate::core::auth::Actor;
use crate::core::db::{Db, DbError};
use crate::core::error::AppError;
use crate::core::time::now_ms;
use crate::lists::store::{self, NewSavedFilter, SavedFilter};

/// A list screen with saved filters and a column choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    /// The device list.
    Devices,
    /// The event list.
    Events,
    /// The hardware asset list.
    Assets,
}

impl ListKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::Devices => "devices",
            ListKind::Events => "events",
            ListKind::Assets => "assets",
        }
    }

    /// From the stored name.
    pub fn parse(name: &str) -> Option<ListKind> {
        match name {
            "devices" => Some(ListKind::Devices),
            "events" => Some(ListKind::Events),
            "assets" => Some(ListKind::Assets),
            _ => None,
        }
    }

    /// The columns a user may choose from and those shown until one chooses, for lists with
    /// a column chooser (the event list's columns are fixed).
    pub fn chooser(self) -> Option<(&'static [&'static str], &'static [&'static str])> {
        match self {
            ListKind::Devices => Some((
                crate::devices::model::LIST_COLUMNS,
                crate::devices::model::DEFAULT_COLUMNS,
            )),
            ListKind::Assets => Some((
                crate::assets::hardware::model::LIST_COLUMNS,
                crate::assets::hardware::model::DEFAULT_COLUMNS,
            )),
            ListKind::Events => None,
        }
    }
}

fn chooser_of(
    list: ListKind,
) -> Result<(&'static [&'static str], &'static [&'static str]), AppError> {
    list.chooser().ok_or_else(|| AppError::Invalid {
        code: "fixed_columns",
        message: format!("the {} list has fixed columns", list.as_str()),
        field: Some("list".into()),
    })
}

/// Longest saved-filter name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest saved query string, in bytes.
pub const MAX_QUERY_BYTES: usize = 4_000;

/// The saved filters of a list the actor may use.
///
/// # Errors
/// Storage errors.
pub async fn usable(db: &Db, actor: &Actor, list: ListKind) -> Result<Vec<SavedFilter>, AppError> {
    Ok(store::usable(db, list.as_str(), actor.user_id).await?)
}

/// Saves the actor's filter of a list.
///
/// # Errors
/// 400 for a bad name or query, or a name the actor already uses on this list.
pub async fn save(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    list: ListKind,
    name: &str,
    shared: bool,
    query: &str,
) -> Result<SavedFilter, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name", "a saved filter needs a name"));
    }
    crate::core::extract::check_plain_text("name", name, MAX_NAME_CHARS)?;
    let query = query.trim().trim_start_matches('?');
    if query.len() > MAX_QUERY_BYTES {
        return Err(AppError::invalid(
            "query",
            format!("the query is longer than {MAX_QUERY_BYTES} bytes"),
        ));
    }
    check_query(db, list, query).await?;
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    if store::name_taken(&mut tx, actor.user_id, list.as_str(), name).await? {
        return Err(AppError::Invalid {
            code: "name_taken",
            message: "you already have a saved filter with this name on this list".into(),
            field: Some("name".into()),
        });
    }
    let new = NewSavedFilter {
        list: list.as_str(),
        owner_id: actor.user_id,
        name,
        shared,
        query,
    };
    let id = store::insert(&mut tx, &new, now_ms()).await?;
    let detail = serde_json::json!({"saved_filter": name, "list": list.as_str(), "shared": shared});
    let entry = NewAuditEntry::by_actor(
        actor,
        origin,
        (Category::ConfigurationAccess, Op::Add, Object::Config),
        id.to_string(),
        detail,
    );
    crate::audit::store::insert(&mut tx, &entry, now_ms()).await?;
    let saved = store::get(&mut tx, id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(saved)
}

/// A saved query must be one the list accepts, so opening it never shows an error page
/// (an asset query's custom conditions are checked against the hardware fields as they are
/// now).
async fn check_query(db: &Db, list: ListKind, query: &str) -> Result<(), AppError> {
    match list {
        ListKind::Devices => {
            let parsed: crate::devices::query::DeviceQuery = serde_urlencoded::from_str(query)
                .map_err(|error| AppError::invalid("query", error.to_string()))?;
            parsed.filter(&jiff::tz::TimeZone::UTC, 0)?;
        }
        ListKind::Events => {
            let parsed: crate::events::query::EventQuery = serde_urlencoded::from_str(query)
                .map_err(|error| AppError::invalid("query", error.to_string()))?;
            parsed.filter(&jiff::tz::TimeZone::UTC)?;
        }
        ListKind::Assets => {
            let parsed: crate::assets::hardware::query::AssetQuery =
                serde_urlencoded::from_str(query)
                    .map_err(|error| AppError::invalid("query", error.to_string()))?;
            parsed.filter(&jiff::tz::TimeZone::UTC)?;
            let mut conn = db.read().acquire().await.map_err(DbError::from)?;
            crate::assets::fields::service::conditions(&mut conn, "hardware", &parsed.custom)
                .await?;
        }
    }
    Ok(())
}

/// Deletes a saved filter: its owner may, and a system administrator may delete a shared one.
///
/// # Errors
/// 404 for a filter the actor cannot see, 403 for someone else's shared filter.
pub async fn delete(db: &Db, actor: &Actor, origin: &Origin, id: i64) -> Result<(), AppError> {
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    let saved = match store::get(&mut tx, id).await {
        Ok(saved) if saved.owner_id == actor.user_id || saved.shared => saved,
        Ok(_) | Err(DbError::NotFound) => return Err(AppError::NotFound("saved filter")),
        Err(error) => return Err(error.into()),
    };
    if saved.owner_id != actor.user_id && !actor.system_admin {
        return Err(AppError::Forbidden {
            code: "not_owner",
            message: "only its owner or a system administrator may delete a shared filter".into(),
        });
    }
    store::delete(&mut tx, id).await?;
    let detail = serde_json::json!({"saved_filter": saved.name, "list": saved.list});
    let entry = NewAuditEntry::by_actor(
        actor,
        origin,
        (Category::ConfigurationAccess, Op::Delete, Object::Config),
        id.to_string(),
        detail,
    );
    crate::audit::store::insert(&mut tx, &entry, now_ms()).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// The columns the actor sees on a list, in order.
///
/// # Errors
/// 400 for a list without a column chooser; storage errors.
pub async fn columns(
    db: &Db,
    actor: &Actor,
    list: ListKind,
) -> Result<Vec<&'static str>, AppError> {
    let (known, defaults) = chooser_of(list)?;
    let chosen = store::columns(db, actor.user_id, list.as_str()).await?;
    let picked: Vec<&'static str> = chosen
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter_map(|name| known.iter().copied().find(|known| *known == name))
        .collect();
    Ok(if picked.is_empty() {
        defaults.to_vec()
    } else {
        picked
    })
}

/// A custom field column (`custom.<field id>`) of a list that offers them (the asset list).
fn custom_column(list: ListKind, name: &str) -> Option<i64> {
    (list == ListKind::Assets)
        .then(|| name.strip_prefix("custom."))
        .flatten()
        .and_then(|id| id.parse().ok())
}

/// The custom field columns the actor chose on a list (field ids, in order); fields deleted
/// since are left out by the caller, which knows the definitions.
///
/// # Errors
/// Storage errors; 400 for a list without a column chooser.
pub async fn custom_columns(db: &Db, actor: &Actor, list: ListKind) -> Result<Vec<i64>, AppError> {
    chooser_of(list)?;
    let chosen = store::columns(db, actor.user_id, list.as_str()).await?;
    Ok(chosen
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter_map(|name| custom_column(list, name))
        .collect())
}

/// Records the actor's columns for a list: its own columns and, on the asset list, custom
/// fields of hardware assets (`custom.<field id>`).
///
/// # Errors
/// 400 for an unknown column, none at all, or a list without a column chooser.
pub async fn set_columns(
    db: &Db,
    actor: &Actor,
    list: ListKind,
    columns: &[String],
) -> Result<Vec<String>, AppError> {
    let (known, _) = chooser_of(list)?;
    let mut picked: Vec<String> = Vec::new();
    for name in columns {
        let column = match custom_column(list, name) {
            Some(id) => {
                let mut conn = db.read().acquire().await.map_err(DbError::from)?;
                let fields = crate::assets::fields::store::list(&mut conn, "hardware").await?;
                if !fields.iter().any(|field| field.id == id) {
                    return Err(AppError::invalid(
                        "columns",
                        format!("no custom field {id}"),
                    ));
                }
                format!("custom.{id}")
            }
            None => known
                .iter()
                .find(|known| *known == name)
                .map(|known| (*known).to_string())
                .ok_or_else(|| AppError::invalid("columns", format!("no column {name:?}")))?,
        };
        if !picked.contains(&column) {
            picked.push(column);
        }
    }
    if picked.is_empty() {
        return Err(AppError::invalid("columns", "choose at least one column"));
    }
    store::set_columns(db, actor.user_id, list.as_str(), &picked.join(",")).await?;
    Ok(picked)
}
