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
}

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
    render(&HomePage {
        lang: user.lang,
        m: user.m(),
        nav: Some(Nav::new(&user, "home")),
        devices,
    })
}
