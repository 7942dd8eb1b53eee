//! Recording and reading events.

use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::AnyConnection;

use crate::core::auth::Actor;
use crate::core::db::{Db, DbError};
use crate::core::error::AppError;
use crate::core::time::now_ms;
use crate::events::catalogue::{self, EventCode};
use crate::events::store::{self, EventFilter};

/// An event about to be recorded.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// What happened.
    pub code: EventCode,
    /// The device concerned, if any.
    pub device_id: Option<i64>,
    /// Structured parameters for the message template.
    pub params: Map<String, Value>,
}

impl NewEvent {
    /// An event with no parameters yet.
    pub fn new(code: EventCode, device_id: Option<i64>) -> NewEvent {
        NewEvent {
            code,
            device_id,
            params: Map::new(),
        }
    }

    /// Adds a parameter.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> NewEvent {
        self.params.insert(key.to_string(), value.into());
        self
    }
}

/// Records an event on the caller's connection, inside its transaction.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn record(conn: &mut AnyConnection, event: NewEvent) -> Result<(), DbError> {
    record_all(conn, vec![event]).await
}

/// Records several events on the caller's connection, inside its transaction, in one
/// statement per 250.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn record_all(conn: &mut AnyConnection, events: Vec<NewEvent>) -> Result<(), DbError> {
    if events.is_empty() {
        return Ok(());
    }
    let rows: Vec<store::NewEventRow<'static>> = events
        .into_iter()
        .map(|event| {
            let definition = catalogue::definition(event.code);
            store::NewEventRow {
                code: event.code as i64,
                severity: definition.severity.as_str(),
                category: definition.category,
                device_id: event.device_id,
                params: Value::Object(event.params).to_string(),
            }
        })
        .collect();
    store::insert_events(conn, &rows, now_ms()).await
}

/// Records an event in its own transaction (for events about something that was refused, so
/// nothing else is written).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn record_alone(db: &Db, event: NewEvent) -> Result<(), DbError> {
    let mut conn = db.write().acquire().await?;
    record(&mut conn, event).await
}

/// The reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// 日本語 (the default: Kanri's users work in Japanese).
    Ja,
    /// English.
    En,
}

impl Language {
    /// From a `lang` parameter or an `Accept-Language` header.
    pub fn pick(explicit: Option<&str>, accept_language: Option<&str>) -> Language {
        let choice = explicit
            .or(accept_language)
            .unwrap_or("ja")
            .trim()
            .to_ascii_lowercase();
        if choice.starts_with("en") {
            Language::En
        } else {
            Language::Ja
        }
    }
}

/// An event as the API shows it.
#[derive(Debug, Serialize)]
pub struct EventView {
    /// Id.
    pub id: i64,
    /// Catalogue code.
    pub code: i64,
    /// emergency, alert or info.
    pub severity: String,
    /// Screen category.
    pub category: String,
    /// Device concerned.
    pub device_id: Option<i64>,
    /// Parameters.
    pub params: Value,
    /// The message in the reader's language.
    pub message: String,
    /// Registration time (Unix ms).
    pub created_at: i64,
    /// Confirmation time, if confirmed.
    pub confirmed_at: Option<i64>,
}

/// Lists events newest first, those of the reader's departments' devices for a scoped
/// reader.
///
/// # Errors
/// [`AppError`] from the database.
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: &EventFilter,
    limit: u32,
    language: Language,
) -> Result<Vec<EventView>, AppError> {
    let mut filter = filter.clone();
    if let crate::core::auth::Scope::Departments(ids) = &actor.scope {
        // A department administrator sees its devices' events, not the server's own.
        filter.departments = Some(ids.clone());
    }
    let rows = store::list_events(db, &filter, limit).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let params: Value = serde_json::from_str(&row.params).unwrap_or(Value::Null);
            let empty = Map::new();
            let map = params.as_object().unwrap_or(&empty);
            let message = match catalogue::lookup(row.code) {
                Some(definition) => match language {
                    Language::Ja => catalogue::render(definition.ja, map),
                    Language::En => catalogue::render(definition.en, map),
                },
                None => format!("event {}", row.code),
            };
            EventView {
                id: row.id,
                code: row.code,
                severity: row.severity,
                category: row.category,
                device_id: row.device_id,
                message,
                params,
                created_at: row.created_at,
                confirmed_at: row.confirmed_at,
            }
        })
        .collect())
}

/// Deletes events older than the retention, in batches, so one run never holds a long lock.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn apply_retention(db: &Db, retention_days: u64) -> Result<u64, DbError> {
    let cutoff = now_ms() - (retention_days as i64) * 86_400_000;
    let mut total = 0;
    loop {
        let deleted = store::delete_events_before(db, cutoff, 5000).await?;
        total += deleted;
        if deleted < 5000 {
            return Ok(total);
        }
    }
}
