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
    /// Who confirmed it.
    pub confirmed_by: Option<String>,
    /// The device's current host name (none for server events or deleted devices).
    pub hostname: Option<String>,
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
    Ok(rows.into_iter().map(|row| view(row, language)).collect())
}

fn view(row: store::EventRow, language: Language) -> EventView {
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
        confirmed_by: row.confirmed_by,
        hostname: row.hostname,
    }
}

fn scope_of(actor: &Actor) -> Option<&[i64]> {
    match &actor.scope {
        crate::core::auth::Scope::All => None,
        crate::core::auth::Scope::Departments(ids) => Some(ids.as_slice()),
    }
}

/// One event the actor may see.
///
/// # Errors
/// 404 for an unknown event or one outside the actor's departments.
pub async fn get(
    db: &Db,
    actor: &Actor,
    id: i64,
    language: Language,
) -> Result<EventView, AppError> {
    match store::get_event(db, id, scope_of(actor)).await {
        Ok(row) => Ok(view(row, language)),
        Err(DbError::NotFound) => Err(AppError::NotFound("event")),
        Err(error) => Err(error.into()),
    }
}

/// Unconfirmed events per severity, most urgent first, all three severities listed.
///
/// # Errors
/// Storage errors.
pub async fn unconfirmed_by_severity(
    db: &Db,
    actor: &Actor,
) -> Result<Vec<(&'static str, i64)>, AppError> {
    let counts = store::count_unconfirmed(db, scope_of(actor)).await?;
    Ok(["emergency", "alert", "info"]
        .into_iter()
        .map(|severity| {
            let count = counts
                .iter()
                .find(|(s, _)| s == severity)
                .map_or(0, |(_, n)| *n);
            (severity, count)
        })
        .collect())
}

/// Most events one confirmation may change.
pub const MAX_CONFIRM: usize = 1000;

/// Marks events confirmed (確認済み) or unconfirmed again, among those the actor sees;
/// returns how many changed (events already in that state, unknown ones and others' are left
/// alone). Audited.
///
/// # Errors
/// 400 for no events or too many.
pub async fn set_confirmed(
    db: &Db,
    actor: &Actor,
    origin: &crate::audit::model::Origin,
    ids: &[i64],
    confirmed: bool,
) -> Result<u64, AppError> {
    if ids.is_empty() {
        return Err(AppError::invalid("ids", "choose at least one event"));
    }
    if ids.len() > MAX_CONFIRM {
        return Err(AppError::invalid(
            "ids",
            format!("at most {MAX_CONFIRM} events at a time"),
        ));
    }
    let now = now_ms();
    let mut tx = db.write().begin().await?;
    let by = confirmed.then_some((now, actor.login.as_str()));
    let changed = store::set_confirmed(&mut tx, ids, by, scope_of(actor)).await?;
    let entry = crate::audit::model::NewAuditEntry::by_actor(
        actor,
        origin,
        (
            crate::audit::model::Category::ContentAccess,
            crate::audit::model::Op::Update,
            crate::audit::model::Object::Event,
        ),
        "",
        serde_json::json!({"confirmed": confirmed, "requested": ids.len(), "changed": changed}),
    );
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(changed)
}

/// Rows per page of an events export.
const EXPORT_PAGE_ROWS: u32 = 2000;

/// The events list as filtered, every page, as CSV in `encoding`: time, severity, type,
/// host name, message, confirmed at, confirmed by; times in `tz`, words in `lang`.
pub fn export(
    db: Db,
    actor: Actor,
    filter: EventFilter,
    encoding: crate::core::csv::CsvEncoding,
    lang: crate::console::i18n::Lang,
    tz: jiff::tz::TimeZone,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, AppError>> + Send + 'static {
    let m = lang.msgs();
    let language = match lang {
        crate::console::i18n::Lang::Ja => Language::Ja,
        crate::console::i18n::Lang::En => Language::En,
    };
    let header = [
        "ID",
        m.when,
        m.severity,
        m.event_type,
        m.hostname,
        m.message,
        m.confirmed_at,
        m.confirmed_by,
    ];
    let actor = std::sync::Arc::new(actor);
    let filter = std::sync::Arc::new(filter);
    crate::core::csv::stream_pages(encoding, header, move |cursor| {
        let (db, actor, filter, tz) = (db.clone(), actor.clone(), filter.clone(), tz.clone());
        async move {
            let mut filter = (*filter).clone();
            if let Some(cursor) = cursor {
                filter.before_id = cursor.parse().ok();
            }
            let events = list(&db, &actor, &filter, EXPORT_PAGE_ROWS, language).await?;
            let next = (events.len() == EXPORT_PAGE_ROWS as usize)
                .then(|| events.last().map(|e| e.id.to_string()))
                .flatten();
            let text = crate::core::csv::rows(events.iter().map(|event| {
                let title = catalogue::lookup(event.code)
                    .map(|d| d.title(language == Language::Ja))
                    .unwrap_or_default();
                [
                    event.id.to_string(),
                    crate::console::web::format_time(event.created_at, &tz),
                    m.severity_label(&event.severity).to_string(),
                    title.to_string(),
                    event.hostname.clone().unwrap_or_default(),
                    event.message.clone(),
                    event
                        .confirmed_at
                        .map(|at| crate::console::web::format_time(at, &tz))
                        .unwrap_or_default(),
                    event.confirmed_by.clone().unwrap_or_default(),
                ]
            }));
            Ok((text, next))
        }
    })
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
