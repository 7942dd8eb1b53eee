//! The home dashboard: panels that link to the matching filtered lists.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::app::AppState;
use crate::console::i18n::{Lang, Msgs};
use crate::console::pages::Nav;
use crate::console::web::{app_error_page, render, ConsoleUser};
use crate::core::auth::Division;
use crate::devices::service::{self, DeviceSummary};

/// The home page.
#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    devices: Option<DeviceSummary>,
    /// Unconfirmed events per severity.
    events: Vec<(&'static str, i64)>,
    /// Software first seen in the last [`NEW_SOFTWARE_DAYS`] days.
    new_software: Option<i64>,
    new_software_days: i64,
}

/// The "new software" panel's window.
const NEW_SOFTWARE_DAYS: i64 = 7;

/// `GET /`.
pub async fn show(State(state): State<AppState>, user: ConsoleUser) -> Response {
    let devices = if user.actor.divisions.contains(Division::Devices) {
        match service::summary(&state, &user.actor).await {
            Ok(summary) => Some(summary),
            Err(error) => return app_error_page(user.lang, &error),
        }
    } else {
        None
    };
    let new_software = if devices.is_some() {
        let since = crate::core::time::now_ms() - NEW_SOFTWARE_DAYS * 86_400_000;
        match crate::inventory::service::count_new_software(&state, &user.actor, since).await {
            Ok(count) => Some(count),
            Err(error) => return app_error_page(user.lang, &error),
        }
    } else {
        None
    };
    let events = match crate::events::service::unconfirmed_by_severity(&state.db, &user.actor).await
    {
        Ok(events) => events,
        Err(error) => return app_error_page(user.lang, &error),
    };
    render(&HomePage {
        lang: user.lang,
        m: user.m(),
        nav: Some(Nav::new(&user, "home")),
        devices,
        events,
        new_software,
        new_software_days: NEW_SOFTWARE_DAYS,
    })
}
