//! The device list (機器一覧): filters, sorting, paging, in the user's scope.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use crate::app::AppState;
use crate::console::i18n::{Lang, Msgs};
use crate::console::pages::Nav;
use crate::console::web::{app_error_page, render, ConsoleUser};
use crate::devices::model::{DeviceFilter, DeviceState, SortKey};
use crate::devices::service;

/// Page sizes offered (spec: 100 / 250 / 500 / 1,000, default 250).
pub const PAGE_SIZES: [u32; 4] = [100, 250, 500, 1000];

/// Query of the device list page.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    state: Option<String>,
    hostname: Option<String>,
    os: Option<String>,
    ip: Option<String>,
    serial: Option<String>,
    software: Option<String>,
    sort: Option<String>,
    order: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
    encoding: Option<String>,
}

/// One row as shown.
pub struct Row {
    id: i64,
    hostname: String,
    state: &'static str,
    os: String,
    ip: String,
    mac: String,
    serial: String,
    model: String,
    last_seen: String,
}

/// The device list page.
#[derive(Template)]
#[template(path = "devices.html")]
pub struct DevicesPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    rows: Vec<Row>,
    state: String,
    hostname: String,
    os: String,
    ip: String,
    serial: String,
    software: String,
    sort: String,
    order: String,
    limit: u32,
    page_sizes: [u32; 4],
    next: Option<String>,
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// The list's filters and sort from its query: (filter, sort name, sort, descending).
fn filter_and_sort(query: &ListQuery) -> (DeviceFilter, String, SortKey, bool) {
    let filter = DeviceFilter {
        state: non_empty(&query.state).and_then(|s| DeviceState::parse(&s)),
        hostname: non_empty(&query.hostname),
        os: non_empty(&query.os),
        ip: non_empty(&query.ip),
        mac: None,
        serial: non_empty(&query.serial),
        software: non_empty(&query.software),
        departments: None,
    };
    let sort_name = non_empty(&query.sort).unwrap_or_else(|| "hostname".into());
    let sort = SortKey::parse(&sort_name).unwrap_or(SortKey::Hostname);
    let descending = query.order.as_deref() == Some("desc");
    (filter, sort_name, sort, descending)
}

/// `GET /devices.csv`: the list as filtered, every page, in the chosen encoding.
pub async fn export(
    State(state): State<AppState>,
    user: ConsoleUser,
    origin: crate::audit::model::Origin,
    Query(query): Query<ListQuery>,
) -> Response {
    let (filter, _, sort, descending) = filter_and_sort(&query);
    let encoding = query
        .encoding
        .as_deref()
        .and_then(crate::devices::export::CsvEncoding::parse)
        .unwrap_or(crate::devices::export::CsvEncoding::Utf8Bom);
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
    Query(query): Query<ListQuery>,
) -> Response {
    let m = user.m();
    let limit = query
        .limit
        .filter(|size| PAGE_SIZES.contains(size))
        .unwrap_or(250);
    let (filter, sort_name, sort, descending) = filter_and_sort(&query);
    let device_state = filter.state;
    let page = match service::list(
        &state,
        &user.actor,
        &filter,
        sort,
        descending,
        non_empty(&query.cursor).as_deref(),
        limit,
    )
    .await
    {
        Ok(page) => page,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let rows = page
        .items
        .into_iter()
        .map(|device| Row {
            id: device.id,
            state: m.state_label(device.state.as_str()),
            os: format!("{} {}", device.os_name, device.os_version)
                .trim()
                .to_string(),
            last_seen: if device.last_seen > 0 {
                user.time(device.last_seen)
            } else {
                m.never.to_string()
            },
            hostname: device.hostname,
            ip: device.primary_ip,
            mac: device.primary_mac,
            serial: device.serial,
            model: device.model,
        })
        .collect();
    let text = |value: &Option<String>| non_empty(value).unwrap_or_default();
    let mut page_view = DevicesPage {
        lang: user.lang,
        m,
        nav: Some(Nav::new(&user, "devices")),
        rows,
        state: device_state
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        hostname: text(&query.hostname),
        os: text(&query.os),
        ip: text(&query.ip),
        serial: text(&query.serial),
        software: text(&query.software),
        sort: sort_name,
        order: if descending {
            "desc".into()
        } else {
            "asc".into()
        },
        limit,
        page_sizes: PAGE_SIZES,
        next: None,
    };
    page_view.next = page.next_cursor.map(|cursor| page_view.link(Some(&cursor)));
    render(&page_view)
}

impl DevicesPage {
    /// This list's URL with its filters, sorted by `sort` in `order`, at `cursor`.
    fn url(&self, sort: &str, order: &str, cursor: Option<&str>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("state", self.state.as_str()),
            ("hostname", self.hostname.as_str()),
            ("os", self.os.as_str()),
            ("ip", self.ip.as_str()),
            ("serial", self.serial.as_str()),
            ("software", self.software.as_str()),
            ("sort", sort),
            ("order", order),
        ] {
            if !value.is_empty() {
                query.append_pair(key, value);
            }
        }
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
}
