//! The event list (イベント一覧): conditions, saved filters, confirmation in bulk, a detail
//! page and CSV export, in the user's scope.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::app::AppState;
use crate::audit::model::Origin;
use crate::console::i18n::{Lang, Msgs};
use crate::console::pages::Nav;
use crate::console::web::{app_error_page, local_return, render, ConsoleUser, PostedForm};
use crate::events::catalogue;
use crate::events::query::EventQuery;
use crate::events::service::{self, EventView, Language};
use crate::lists::service::ListKind;

/// Page sizes offered.
const PAGE_SIZES: [u32; 4] = [100, 250, 500, 1000];

/// One event as listed.
pub struct Row {
    id: i64,
    time: String,
    severity: String,
    severity_label: &'static str,
    title: &'static str,
    device_id: Option<i64>,
    hostname: String,
    message: String,
    confirmed_at: String,
    confirmed_by: String,
}

/// The event list page.
#[derive(Template)]
#[template(path = "events.html")]
pub struct EventsPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    csrf: String,
    query: EventQuery,
    rows: Vec<Row>,
    types: Vec<(i64, &'static str)>,
    saved: Vec<crate::console::pages::lists::SavedChoice>,
    /// The list's name for the saved-filter form.
    list_name: &'static str,
    filter_string: String,
    limit: u32,
    page_sizes: [u32; 4],
    here: String,
    next: Option<String>,
    error: Option<String>,
}

fn language(lang: Lang) -> Language {
    match lang {
        Lang::Ja => Language::Ja,
        Lang::En => Language::En,
    }
}

fn row(user: &ConsoleUser, event: EventView) -> Row {
    let m = user.m();
    Row {
        id: event.id,
        time: user.time(event.created_at),
        severity_label: m.severity_label(&event.severity),
        severity: event.severity,
        title: catalogue::lookup(event.code)
            .map(|d| d.title(user.lang == Lang::Ja))
            .unwrap_or_default(),
        device_id: event.device_id.filter(|_| event.hostname.is_some()),
        hostname: event.hostname.unwrap_or_default(),
        message: event.message,
        confirmed_at: event
            .confirmed_at
            .map(|at| user.time(at))
            .unwrap_or_default(),
        confirmed_by: event.confirmed_by.unwrap_or_default(),
    }
}

impl EventsPage {
    fn url(&self, path: &str, cursor: Option<&str>) -> String {
        crate::core::query::list_url(path, &self.query.filter_pairs(), self.limit, cursor)
    }

    /// This list as a CSV file in `encoding`.
    pub fn csv_link(&self, encoding: &str) -> String {
        format!("{}&encoding={encoding}", self.url("/events.csv", None))
    }

    /// The first page.
    pub fn first_link(&self) -> String {
        self.url("/events", None)
    }

    fn value<'a>(&self, field: &'a Option<String>) -> &'a str {
        field.as_deref().unwrap_or("")
    }
}

/// `GET /events`.
pub async fn list(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(query): Query<EventQuery>,
) -> Response {
    let m = user.m();
    let limit = query
        .limit()
        .ok()
        .flatten()
        .filter(|size| PAGE_SIZES.contains(size))
        .unwrap_or(250);
    let saved = match crate::console::pages::lists::offered(&state, &user, ListKind::Events).await {
        Ok(saved) => saved,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let mut page = EventsPage {
        lang: user.lang,
        m,
        nav: Some(Nav::new(&user, "events")),
        csrf: user.session.csrf_token.clone(),
        filter_string: query.filter_string(),
        query: query.clone(),
        rows: Vec::new(),
        types: catalogue::all()
            .iter()
            .map(|d| (d.code as i64, d.title(user.lang == Lang::Ja)))
            .collect(),
        saved,
        list_name: ListKind::Events.as_str(),
        limit,
        page_sizes: PAGE_SIZES,
        here: String::new(),
        next: None,
        error: None,
    };
    page.here = page.url("/events", query.cursor.as_deref());
    let events = match query.filter(&user.tz) {
        Ok(filter) => {
            service::list(&state.db, &user.actor, &filter, limit, language(user.lang)).await
        }
        Err(error) => Err(error),
    };
    let events = match events {
        Ok(events) => events,
        Err(crate::core::error::AppError::Invalid { message, .. }) => {
            page.error = Some(message);
            return (StatusCode::BAD_REQUEST, render(&page)).into_response();
        }
        Err(error) => return app_error_page(user.lang, &error),
    };
    if events.len() == limit as usize {
        let last = events.last().map(|e| e.id.to_string());
        page.next = last.map(|cursor| page.url("/events", Some(&cursor)));
    }
    page.rows = events.into_iter().map(|event| row(&user, event)).collect();
    render(&page)
}

/// `GET /events.csv`.
pub async fn export(
    State(state): State<AppState>,
    user: ConsoleUser,
    origin: Origin,
    Query(query): Query<EventQuery>,
) -> Response {
    let result = async {
        let encoding = crate::core::csv::CsvEncoding::requested(query.encoding.as_deref())?;
        let mut filter = query.filter(&user.tz)?;
        filter.before_id = None;
        crate::events::api::export_response(
            &state,
            user.actor.clone(),
            &origin,
            filter,
            encoding,
            user.lang,
        )
        .await
    }
    .await;
    result.unwrap_or_else(|error| app_error_page(user.lang, &error))
}

/// `POST /events/confirm`: the checked events confirmed (`action=confirm`) or unconfirmed.
pub async fn confirm(
    State(state): State<AppState>,
    origin: Origin,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let ids: Vec<i64> = form.all("ids").filter_map(|id| id.parse().ok()).collect();
    if ids.is_empty() {
        let error = crate::core::error::AppError::invalid("ids", user.m().choose_events);
        return app_error_page(user.lang, &error);
    }
    let confirmed = form.get("action") != "unconfirm";
    match service::set_confirmed(&state.db, &user.actor, &origin, &ids, confirmed).await {
        Ok(_) => Redirect::to(&local_return(form.get("back"), "/events")).into_response(),
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// One event's details.
#[derive(Template)]
#[template(path = "event.html")]
pub struct EventPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    csrf: String,
    event: Row,
    code: i64,
    confirmed: bool,
}

/// `GET /events/{id}`.
pub async fn show(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
) -> Response {
    let event = match service::get(&state.db, &user.actor, id, language(user.lang)).await {
        Ok(event) => event,
        Err(error) => return app_error_page(user.lang, &error),
    };
    render(&EventPage {
        lang: user.lang,
        m: user.m(),
        nav: Some(Nav::new(&user, "events")),
        csrf: user.session.csrf_token.clone(),
        code: event.code,
        confirmed: event.confirmed_at.is_some(),
        event: row(&user, event),
    })
}
