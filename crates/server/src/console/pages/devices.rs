//! The device list (機器一覧) on the shared list framework: combined conditions, saved
//! filters, chosen columns, sorting on any column, paging, CSV export and bulk actions, all
//! in the user's scope.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::audit::model::Origin;
use crate::console::i18n::{Lang, Msgs};
use crate::console::pages::lists::SavedChoice;
use crate::console::pages::Nav;
use crate::console::web::{
    app_error_page, department_paths, local_return, path_or_unknown, render, ConsoleUser, Entries,
    PostedForm,
};
use crate::core::time::now_ms;
use crate::devices::bulk::{self, BulkAction, BulkOutcome};
use crate::devices::model::{Device, SortKey};
use crate::devices::query::DeviceQuery;
use crate::devices::service;
use crate::lists::service::ListKind;

/// Page sizes offered (spec: 100 / 250 / 500 / 1,000, default 250).
pub const PAGE_SIZES: [u32; 4] = [100, 250, 500, 1000];

/// A column's heading.
pub struct Header {
    key: &'static str,
    label: &'static str,
    /// Link that sorts by this column (flipping the order when it is the sort already).
    sort_link: Option<String>,
    /// `sorted-asc`/`sorted-desc` when the list is sorted by it (the CSS draws ▲/▼).
    mark: &'static str,
}

/// One row as shown: the device id (for links and checkboxes) and its cells in column order.
pub struct Row {
    id: i64,
    cells: Vec<Cell>,
}

/// One cell.
pub struct Cell {
    key: &'static str,
    text: String,
    /// The host name links to the device.
    link: bool,
}

/// A column in the chooser.
pub struct ColumnChoice {
    key: &'static str,
    label: &'static str,
    shown: bool,
}

/// The device list page.
#[derive(Template)]
#[template(path = "devices.html")]
pub struct DevicesPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    csrf: String,
    query: DeviceQuery,
    headers: Vec<Header>,
    rows: Vec<Row>,
    columns: Vec<ColumnChoice>,
    saved: Vec<SavedChoice>,
    /// The list's name for the saved-filter form.
    list_name: &'static str,
    departments: Vec<(i64, String)>,
    locations: Vec<(i64, String)>,
    /// What the bulk form offers to set: entries in the definition only.
    department_choices: Vec<(i64, String)>,
    location_choices: Vec<(i64, String)>,
    sort: String,
    order: String,
    limit: u32,
    page_sizes: [u32; 4],
    next: Option<String>,
    here: String,
    filter_string: String,
    error: Option<String>,
    /// Managed devices (licences in use) and the cap, if any; shown only to accounts that
    /// see every department (the count is estate-wide).
    licences: (i64, Option<u64>),
    show_licences: bool,
}

impl DevicesPage {
    /// Licences left under the cap.
    fn licences_left(&self) -> Option<i64> {
        self.licences
            .1
            .map(|cap| (i64::try_from(cap).unwrap_or(i64::MAX) - self.licences.0).max(0))
    }
}

fn column_label(m: &'static Msgs, key: &str) -> &'static str {
    match key {
        "hostname" => m.hostname,
        "state" => m.state,
        "os" => m.os,
        "ip" => m.ip_address,
        "mac" => m.mac_address,
        "serial" => m.serial,
        "manufacturer" => m.manufacturer,
        "model" => m.model,
        "memory" => m.memory,
        "agent_version" => m.agent_version,
        "department" => m.department,
        "location" => m.location,
        "last_seen" => m.last_seen,
        "inventory_at" => m.inventory_at,
        "created_at" => m.registered_at,
        _ => m.unknown,
    }
}

fn cell(
    user: &ConsoleUser,
    device: &Device,
    key: &str,
    departments: &[(i64, String)],
    locations: &[(i64, String)],
) -> String {
    let m = user.m();
    match key {
        "hostname" => device.hostname.clone(),
        "state" => m.state_label(device.state.as_str()).to_string(),
        "os" => format!("{} {}", device.os_name, device.os_version)
            .trim()
            .to_string(),
        "ip" => device.primary_ip.clone(),
        "mac" => device.primary_mac.clone(),
        "serial" => device.serial.clone(),
        "manufacturer" => device.manufacturer.clone(),
        "model" => device.model.clone(),
        "memory" => super::device::human_bytes(device.memory_bytes),
        "agent_version" => device.agent_version.clone(),
        "department" => path_or_unknown(departments, device.department_id, m),
        "location" => path_or_unknown(locations, device.location_id, m),
        "last_seen" if device.last_seen <= 0 => m.never.to_string(),
        "last_seen" => user.time(device.last_seen),
        "inventory_at" => user.time(device.inventory_at),
        "created_at" => user.time(device.created_at),
        _ => String::new(),
    }
}

/// `GET /devices.csv`: the list as filtered, every page, in the chosen encoding.
pub async fn export(
    State(state): State<AppState>,
    user: ConsoleUser,
    origin: Origin,
    Query(query): Query<DeviceQuery>,
) -> Response {
    let filter = match query.filter(&user.tz, now_ms()) {
        Ok(filter) => filter,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let (sort, descending) = query
        .sort(SortKey::Hostname)
        .unwrap_or((SortKey::Hostname, false));
    let encoding = query
        .encoding
        .as_deref()
        .and_then(crate::core::csv::CsvEncoding::parse)
        .unwrap_or(crate::core::csv::CsvEncoding::Utf8Bom);
    let request = crate::devices::export::ExportRequest {
        actor: user.actor.clone(),
        filter,
        sort,
        descending,
        encoding,
        lang: user.lang,
        tz: user.tz.clone(),
    };
    match crate::devices::api::export_response(state, request, &origin).await {
        Ok(response) => response,
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// `GET /devices`.
pub async fn list(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(query): Query<DeviceQuery>,
) -> Response {
    let m = user.m();
    let limit = query
        .limit()
        .ok()
        .flatten()
        .filter(|size| PAGE_SIZES.contains(size))
        .unwrap_or(250);
    let (sort, descending) = query
        .sort(SortKey::Hostname)
        .unwrap_or((SortKey::Hostname, false));
    let sort_name = serde_json::to_value(sort)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "hostname".into());
    let (departments, locations) = match tokio::try_join!(
        crate::departments::service::list(
            &state.db,
            &user.actor,
            crate::departments::store::Tree::Departments,
        ),
        crate::departments::service::list(
            &state.db,
            &user.actor,
            crate::departments::store::Tree::Locations,
        ),
    ) {
        Ok(lists) => lists,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let paths = |list: &[crate::departments::store::Department], which: Entries| {
        department_paths(list, user.lang, which)
    };
    let columns =
        match crate::lists::service::columns(&state.db, &user.actor, ListKind::Devices).await {
            Ok(columns) => columns,
            Err(error) => return app_error_page(user.lang, &error),
        };
    let saved = match crate::console::pages::lists::offered(&state, &user, ListKind::Devices).await
    {
        Ok(saved) => saved,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let in_use = match state.db.read().acquire().await {
        Ok(mut conn) => {
            crate::devices::store::count_in_state(
                &mut conn,
                crate::devices::model::DeviceState::Managed,
            )
            .await
        }
        Err(error) => Err(error.into()),
    };
    let in_use = match in_use {
        Ok(count) => count,
        Err(error) => return app_error_page(user.lang, &error.into()),
    };
    let mut page_view = DevicesPage {
        licences: (in_use, state.config.licence_devices),
        show_licences: matches!(user.actor.scope, crate::core::auth::Scope::All),
        lang: user.lang,
        m,
        nav: Some(Nav::new(&user, "devices")),
        csrf: user.session.csrf_token.clone(),
        filter_string: query.filter_string(),
        query: query.clone(),
        headers: Vec::new(),
        rows: Vec::new(),
        columns: crate::devices::model::LIST_COLUMNS
            .iter()
            .map(|key| ColumnChoice {
                key,
                label: column_label(m, key),
                shown: columns.contains(key),
            })
            .collect(),
        saved,
        list_name: ListKind::Devices.as_str(),
        departments: paths(&departments, Entries::All),
        locations: paths(&locations, Entries::All),
        department_choices: paths(&departments, Entries::Current),
        location_choices: paths(&locations, Entries::Current),
        sort: sort_name,
        order: if descending { "desc" } else { "asc" }.into(),
        limit,
        page_sizes: PAGE_SIZES,
        next: None,
        here: String::new(),
        error: None,
    };
    page_view.here = page_view.link(None);
    page_view.headers = columns
        .iter()
        .map(|key| Header {
            key,
            label: column_label(m, key),
            sort_link: SortKey::parse(key).map(|_| page_view.sort_link(key)),
            mark: match (page_view.sort == *key, descending) {
                (false, _) => "",
                (true, false) => "sorted-asc",
                (true, true) => "sorted-desc",
            },
        })
        .collect();
    let page = match query.filter(&user.tz, now_ms()) {
        Ok(filter) => {
            service::list(
                &state,
                &user.actor,
                &filter,
                sort,
                descending,
                query.cursor.as_deref().filter(|c| !c.is_empty()),
                limit,
            )
            .await
        }
        Err(error) => Err(error),
    };
    let page = match page {
        Ok(page) => page,
        // A condition the user mistyped: the form again with the message, not an error page.
        Err(crate::core::error::AppError::Invalid { message, .. }) => {
            page_view.error = Some(message);
            return (StatusCode::BAD_REQUEST, render(&page_view)).into_response();
        }
        Err(error) => return app_error_page(user.lang, &error),
    };
    page_view.rows = page
        .items
        .iter()
        .map(|device| Row {
            id: device.id,
            cells: columns
                .iter()
                .map(|key| Cell {
                    key,
                    text: cell(
                        &user,
                        device,
                        key,
                        &page_view.departments,
                        &page_view.locations,
                    ),
                    link: *key == "hostname",
                })
                .collect(),
        })
        .collect();
    page_view.next = page.next_cursor.map(|cursor| page_view.link(Some(&cursor)));
    render(&page_view)
}

impl DevicesPage {
    /// This list's URL with its filters, sorted by `sort` in `order`, at `cursor`.
    fn url(&self, sort: &str, order: &str, cursor: Option<&str>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in self.query.filter_pairs() {
            query.append_pair(key, value);
        }
        query.append_pair("sort", sort);
        query.append_pair("order", order);
        query.append_pair("limit", &self.limit.to_string());
        if let Some(cursor) = cursor {
            query.append_pair("cursor", cursor);
        }
        format!("/devices?{}", query.finish())
    }

    fn link(&self, cursor: Option<&str>) -> String {
        self.url(&self.sort, &self.order, cursor)
    }

    /// The URL sorted by `column`, flipping the order when it is already the sort.
    pub fn sort_link(&self, column: &str) -> String {
        let order = if self.sort == column && self.order == "asc" {
            "desc"
        } else {
            "asc"
        };
        self.url(column, order, None)
    }

    /// This list as a CSV file in `encoding`.
    pub fn csv_link(&self, encoding: &str) -> String {
        let url = self.url(&self.sort, &self.order, None);
        format!(
            "{}&encoding={encoding}",
            url.replacen("/devices?", "/devices.csv?", 1)
        )
    }

    /// The first page of this list.
    pub fn first_link(&self) -> String {
        self.link(None)
    }

    /// Whether a condition behind "more conditions" is set, so the section opens.
    fn more_conditions(&self) -> bool {
        let q = &self.query;
        [
            &q.os,
            &q.mac,
            &q.serial,
            &q.no_software,
            &q.seen_after,
            &q.seen_before,
            &q.unseen_days,
        ]
        .iter()
        .any(|field| crate::core::query::given(field).is_some())
    }

    /// The text of a filter field as typed.
    fn value<'a>(&self, field: &'a Option<String>) -> &'a str {
        field.as_deref().unwrap_or("")
    }
}

/// The result of a bulk action.
#[derive(Template)]
#[template(path = "bulk_result.html")]
pub struct BulkResultPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    done: usize,
    /// (record id, reason in the page language).
    failed: Vec<(i64, String)>,
    /// Where a record's page is (`/devices`, `/hardware-assets`).
    item_path: &'static str,
    back: String,
}

impl BulkResultPage {
    /// The outcome of a bulk action on the list at `item_path`, reasons in the page language.
    pub fn new(
        user: &ConsoleUser,
        current: &'static str,
        item_path: &'static str,
        outcome: BulkOutcome,
        back: String,
    ) -> BulkResultPage {
        let m = user.m();
        BulkResultPage {
            lang: user.lang,
            m,
            nav: Some(Nav::new(user, current)),
            done: outcome.done.len(),
            failed: outcome
                .failed
                .into_iter()
                .map(|failure| {
                    let reason = m
                        .for_code(&failure.code)
                        .map_or(failure.message, str::to_string);
                    (failure.id, reason)
                })
                .collect(),
            item_path,
            back,
        }
    }
}

/// `POST /devices/bulk`: the list's checked devices and the chosen action.
pub async fn bulk_submit(
    State(state): State<AppState>,
    origin: Origin,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let m = user.m();
    let back = local_return(form.get("back"), "/devices");
    let ids: Vec<i64> = form.all("ids").filter_map(|id| id.parse().ok()).collect();
    let action = match form.get("action") {
        "manage" => BulkAction::Manage,
        "exclude" => BulkAction::Exclude,
        "delete" => BulkAction::Delete,
        "set_department" => match form.get("department_id") {
            "none" => BulkAction::SetDepartment {
                department_id: None,
            },
            id => match id.parse() {
                Ok(id) => BulkAction::SetDepartment {
                    department_id: Some(id),
                },
                Err(_) => {
                    let error =
                        crate::core::error::AppError::invalid("department_id", m.choose_department);
                    return app_error_page(user.lang, &error);
                }
            },
        },
        "set_location" => match form.get("location_id") {
            "none" => BulkAction::SetLocation { location_id: None },
            id => match id.parse() {
                Ok(id) => BulkAction::SetLocation {
                    location_id: Some(id),
                },
                Err(_) => {
                    let error =
                        crate::core::error::AppError::invalid("location_id", m.choose_location);
                    return app_error_page(user.lang, &error);
                }
            },
        },
        "add_note" => BulkAction::AddNote {
            body: form.get("note").to_string(),
        },
        _ => {
            let error = crate::core::error::AppError::invalid("action", m.bulk_choose_action);
            return app_error_page(user.lang, &error);
        }
    };
    let outcome: BulkOutcome = match bulk::apply(&state, &user.actor, &origin, &ids, &action).await
    {
        Ok(outcome) => outcome,
        Err(crate::core::error::AppError::Invalid { field, message, .. }) => {
            let message = match field.as_deref() {
                Some("ids") if ids.is_empty() => m.bulk_choose_devices.to_string(),
                _ => message,
            };
            let error = crate::core::error::AppError::invalid("form", message);
            return app_error_page(user.lang, &error);
        }
        Err(error) => return app_error_page(user.lang, &error),
    };
    render(&BulkResultPage::new(
        &user, "devices", "/devices", outcome, back,
    ))
}
