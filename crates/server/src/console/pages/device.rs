//! One device (機器の詳細): a summary and a tab per inventory section, its installed
//! software and its change history.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::app::AppState;
use crate::console::i18n::{Lang, Msgs};
use crate::console::pages::Nav;
use crate::console::sections::{layout, Block};
use crate::console::web::{app_error_page, render, ConsoleUser};

/// Rows of software or history a tab shows at once.
const TAB_ROWS: u32 = 1000;

/// The tabs, in order: (id, section name in the inventory, or none for the special tabs).
const TABS: [&str; 12] = [
    "summary", "hardware", "os", "network", "software", "users", "services", "usb", "security",
    "history", "notes", "events",
];

/// Query of the device page.
#[derive(Debug, Deserialize)]
pub struct DeviceQuery {
    #[serde(default)]
    tab: Option<String>,
}

/// A tab's link.
pub struct Tab {
    id: &'static str,
    label: &'static str,
    current: bool,
}

/// What the current tab shows.
pub enum Body {
    /// Label/value rows of the device itself.
    Summary(Vec<(&'static str, String)>),
    /// An inventory section.
    Section(Vec<Block>),
    /// Installed software: name, version, architecture, source, vendor, install time.
    Software(Vec<[String; 6]>),
    /// Change history: when, kind, subject, before, after.
    History(Vec<[String; 5]>),
    /// Notes: when, author, text.
    Notes(Vec<[String; 3]>),
    /// The device's events: when, severity, message, confirmed.
    Events(Vec<[String; 4]>),
}

/// The device page.
#[derive(Template)]
#[template(path = "device.html")]
pub struct DevicePage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    id: i64,
    hostname: String,
    tabs: Vec<Tab>,
    body: Body,
    csrf: String,
}

fn tab_label(m: &'static Msgs, id: &str) -> &'static str {
    match id {
        "hardware" => m.tab_hardware,
        "os" => m.tab_os,
        "network" => m.tab_network,
        "software" => m.software,
        "users" => m.tab_users,
        "services" => m.tab_services,
        "usb" => m.tab_usb,
        "security" => m.tab_security,
        "history" => m.tab_history,
        "notes" => m.tab_notes,
        "events" => m.events,
        _ => m.tab_summary,
    }
}

/// `GET /devices/{id}`.
pub async fn show(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    Query(query): Query<DeviceQuery>,
) -> Response {
    let m = user.m();
    let detail = match crate::devices::service::get(&state, &user.actor, id).await {
        Ok(detail) => detail,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let current = TABS
        .iter()
        .copied()
        .find(|tab| query.tab.as_deref() == Some(*tab))
        .unwrap_or("summary");
    let body = match current {
        "summary" => {
            let d = &detail.device;
            let place = |tree, id: Option<i64>| {
                let db = state.db.clone();
                async move {
                    let list = crate::departments::store::list(&db, tree).await?;
                    let paths = crate::console::web::department_paths(
                        &list,
                        user.lang,
                        crate::console::web::Entries::All,
                    );
                    Ok::<_, crate::core::db::DbError>(crate::console::web::path_or_unknown(
                        &paths, id, m,
                    ))
                }
            };
            let tree = crate::departments::store::Tree::Departments;
            let department = match place(tree, d.department_id).await {
                Ok(path) => path,
                Err(error) => return app_error_page(user.lang, &error.into()),
            };
            let tree = crate::departments::store::Tree::Locations;
            let location = match place(tree, d.location_id).await {
                Ok(path) => path,
                Err(error) => return app_error_page(user.lang, &error.into()),
            };
            Body::Summary(vec![
                (m.hostname, d.hostname.clone()),
                (m.state, m.state_label(d.state.as_str()).to_string()),
                (
                    m.os,
                    format!("{} {}", d.os_name, d.os_version).trim().to_string(),
                ),
                (m.manufacturer, d.manufacturer.clone()),
                (m.model, d.model.clone()),
                (m.serial, d.serial.clone()),
                (m.department, department),
                (m.location, location),
                (m.ip_address, d.primary_ip.clone()),
                (m.mac_address, d.primary_mac.clone()),
                (m.memory, human_bytes(d.memory_bytes)),
                (m.agent_version, d.agent_version.clone()),
                (m.last_seen, user.time(d.last_seen)),
                (m.inventory_at, user.time(d.inventory_at)),
                (m.registered_at, user.time(d.created_at)),
                (m.software, detail.software_count.to_string()),
                (m.remarks, d.notes.clone()),
            ])
        }
        "software" => {
            let page =
                crate::inventory::service::device_software(&state, &user.actor, id, None, TAB_ROWS)
                    .await;
            match page {
                Ok(page) => Body::Software(
                    page.items
                        .into_iter()
                        .map(|row| {
                            [
                                row.software.name,
                                row.software.version,
                                row.software.arch,
                                row.software.source,
                                row.software.vendor,
                                row.install_time
                                    .map(|secs| user.time(secs.saturating_mul(1000)))
                                    .unwrap_or_default(),
                            ]
                        })
                        .collect(),
                ),
                Err(error) => return app_error_page(user.lang, &error),
            }
        }
        "history" => {
            let page =
                crate::inventory::service::device_history(&state, &user.actor, id, None, TAB_ROWS)
                    .await;
            match page {
                Ok(page) => Body::History(
                    page.items
                        .into_iter()
                        .map(|row| {
                            [
                                user.time(row.at),
                                row.kind,
                                row.subject,
                                row.before.unwrap_or_default(),
                                row.after.unwrap_or_default(),
                            ]
                        })
                        .collect(),
                ),
                Err(error) => return app_error_page(user.lang, &error),
            }
        }
        "notes" => match crate::devices::notes::list(&state, &user.actor, id).await {
            Ok(notes) => Body::Notes(
                notes
                    .into_iter()
                    .rev()
                    .map(|note| [user.time(note.created_at), note.author, note.body])
                    .collect(),
            ),
            Err(error) => return app_error_page(user.lang, &error),
        },
        "events" => {
            let filter = crate::events::store::EventFilter {
                device_id: Some(id),
                ..Default::default()
            };
            let language = match user.lang {
                Lang::Ja => crate::events::service::Language::Ja,
                Lang::En => crate::events::service::Language::En,
            };
            match crate::events::service::list(&state.db, &user.actor, &filter, TAB_ROWS, language)
                .await
            {
                Ok(events) => Body::Events(
                    events
                        .into_iter()
                        .map(|event| {
                            [
                                user.time(event.created_at),
                                m.severity_label(&event.severity).to_string(),
                                event.message,
                                event
                                    .confirmed_at
                                    .map(|at| user.time(at))
                                    .unwrap_or_default(),
                            ]
                        })
                        .collect(),
                ),
                Err(error) => return app_error_page(user.lang, &error),
            }
        }
        section => Body::Section(crate::console::sections::localize(
            detail.sections.get(section).map(layout).unwrap_or_default(),
            user.lang,
        )),
    };
    let tabs = TABS
        .iter()
        .map(|id| Tab {
            id,
            label: tab_label(m, id),
            current: *id == current,
        })
        .collect();
    render(&DevicePage {
        lang: user.lang,
        m,
        nav: Some(Nav::new(&user, "devices")),
        id,
        hostname: detail.device.hostname,
        tabs,
        body,
        csrf: user.session.csrf_token.clone(),
    })
}

/// `16.0 GiB` and the like.
pub fn human_bytes(bytes: i64) -> String {
    if bytes <= 0 {
        return String::new();
    }
    let mut value = bytes as f64;
    for unit in ["B", "KiB", "MiB", "GiB"] {
        if value < 1024.0 {
            return format!("{value:.1} {unit}");
        }
        value /= 1024.0;
    }
    format!("{value:.1} TiB")
}

/// `POST /devices/{id}/notes`: appends a note and shows the notes tab.
pub async fn add_note(
    State(state): State<AppState>,
    user: ConsoleUser,
    origin: crate::audit::model::Origin,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<NoteForm>,
) -> Response {
    if let Some(page) = user.csrf_refusal(&form.csrf) {
        return page;
    }
    match crate::devices::notes::add(&state, &user.actor, &origin, id, &form.body).await {
        Ok(_) => axum::response::Redirect::to(&format!("/devices/{id}?tab=notes")).into_response(),
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// The note form.
#[derive(Debug, Deserialize)]
pub struct NoteForm {
    csrf: String,
    body: String,
}
