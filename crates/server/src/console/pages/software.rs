//! The software screen (ソフトウェア一覧): the catalogue with install counts in the user's
//! scope, newly found software, and links to the devices that have each.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use crate::app::AppState;
use crate::console::i18n::{Lang, Msgs};
use crate::console::pages::Nav;
use crate::console::web::{app_error_page, render, ConsoleUser};
use crate::inventory::store::SoftwareRow;

/// Rows a page shows.
const PAGE_ROWS: u32 = 250;

/// Query of the software page.
#[derive(Debug, Default, Deserialize)]
pub struct SoftwareQuery {
    name: Option<String>,
    new_days: Option<String>,
    cursor: Option<String>,
}

/// The software page.
#[derive(Template)]
#[template(path = "software.html")]
pub struct SoftwarePage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    rows: Vec<(SoftwareRow, String, String)>,
    name: String,
    new_days: String,
    next: Option<String>,
}

impl SoftwarePage {
    fn url(&self, cursor: Option<&str>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in [("name", &self.name), ("new_days", &self.new_days)] {
            if !value.is_empty() {
                query.append_pair(key, value);
            }
        }
        if let Some(cursor) = cursor {
            query.append_pair("cursor", cursor);
        }
        format!("/software?{}", query.finish())
    }
}

/// `GET /software`.
pub async fn list(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(query): Query<SoftwareQuery>,
) -> Response {
    let text = |value: &Option<String>| value.as_deref().unwrap_or("").trim().to_string();
    let name = text(&query.name);
    let new_days = text(&query.new_days);
    let since = new_days
        .parse::<i64>()
        .ok()
        .map(|days| crate::core::time::now_ms() - days.clamp(0, 36_500) * 86_400_000);
    let cursor = query.cursor.as_deref().and_then(|c| c.parse().ok());
    let page = crate::inventory::service::catalogue(
        &state,
        &user.actor,
        Some(name.as_str()).filter(|n| !n.is_empty()),
        since,
        cursor,
        PAGE_ROWS,
    )
    .await;
    let page = match page {
        Ok(page) => page,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let mut view = SoftwarePage {
        lang: user.lang,
        m: user.m(),
        nav: Some(Nav::new(&user, "software")),
        rows: page
            .items
            .into_iter()
            .map(|row| {
                let link = format!(
                    "/devices?{}",
                    form_urlencoded::Serializer::new(String::new())
                        .append_pair("software", &row.name)
                        .finish()
                );
                let seen = user.time(row.first_seen);
                (row, seen, link)
            })
            .collect(),
        name,
        new_days,
        next: None,
    };
    view.next = page.next_cursor.map(|cursor| view.url(Some(&cursor)));
    render(&view)
}
