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
    /// For the assets division: managed software installed on more devices than licences
    /// held (name, consumed, owned), and contracts in force ending within three months.
    ledger: Option<Ledger>,
}

/// The asset ledger's panels.
pub struct Ledger {
    exceeded: Vec<(String, i64, i64)>,
    expiring: Vec<(String, String)>,
    expiring_more: bool,
}

async fn ledger(
    state: &AppState,
    user: &ConsoleUser,
) -> Result<Ledger, crate::core::error::AppError> {
    let (managed, _) =
        crate::assets::licences::service::list_managed(state, &user.actor, true).await?;
    let query = crate::assets::contracts::service::ContractQuery {
        expiring: Some("yes".into()),
        limit: Some("5".into()),
        ..Default::default()
    };
    let contracts = crate::assets::contracts::service::list(state, &user.actor, &query).await?;
    Ok(Ledger {
        exceeded: managed
            .into_iter()
            .map(|m| (m.managed.name, m.figures.consumed, m.figures.owned))
            .collect(),
        expiring_more: contracts.next_cursor.is_some(),
        expiring: contracts
            .items
            .into_iter()
            .map(|c| {
                let label = [c.contract_number, c.name]
                    .into_iter()
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                (label, c.ends_on.unwrap_or_default())
            })
            .collect(),
    })
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
    let ledger = if user.actor.divisions.contains(Division::Assets) {
        match ledger(&state, &user).await {
            Ok(ledger) => Some(ledger),
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
        events,
        new_software,
        new_software_days: NEW_SOFTWARE_DAYS,
        ledger,
    })
}
