//! The web console: server-rendered pages (askama templates, compile-time checked and
//! HTML-escaped) with htmx served from the binary, in Japanese and English.
//!
//! Pages call the same service functions as the REST API with the same [`Actor`], so what a
//! page shows and allows is decided in the services (privileges, divisions, department
//! scope), never only in a template.
//!
//! [`Actor`]: crate::core::auth::Actor

pub mod assets;
pub mod custom_inputs;
pub mod i18n;
pub mod pages;
pub mod record_form;
pub mod sections;
pub mod web;

use axum::routing::{get, post};
use axum::Router;

use crate::app::AppState;
use crate::departments::api::{Departments, Locations};

/// The largest import file the wizard takes, with room for the form around it.
const UPLOAD_LIMIT: usize = crate::assets::import::format::MAX_FILE_BYTES as usize + (1 << 20);

/// The console's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home::show))
        .route("/login", get(pages::login::show).post(pages::login::submit))
        .route("/logout", post(pages::login::logout))
        .route(
            "/password",
            get(pages::password::show).post(pages::password::submit),
        )
        .route("/devices", get(pages::devices::list))
        .route(pages::hardware::PATH, get(pages::hardware::list))
        .route("/licences", get(pages::ledger::licences))
        .route("/licences/managed/{id}", get(pages::ledger::managed))
        .route(
            "/licences/new",
            get(pages::licence_edit::new_licence).post(pages::licence_edit::create_licence),
        )
        .route(
            "/licences/{id}",
            get(pages::licence_edit::show_licence).post(pages::licence_edit::save_licence),
        )
        .route(
            "/licences/{id}/delete",
            post(pages::licence_edit::delete_licence),
        )
        .route("/licences/{id}/assign", post(pages::licence_edit::assign))
        .route("/licences/{id}/move", post(pages::licence_edit::move_held))
        .route(
            "/licences/{id}/unassign/{device_id}",
            post(pages::licence_edit::unassign),
        )
        .route(
            "/licences/managed/new",
            get(pages::licence_edit::new_managed).post(pages::licence_edit::create_managed),
        )
        .route(
            "/licences/managed/{id}/edit",
            get(pages::licence_edit::edit_managed).post(pages::licence_edit::update_managed),
        )
        .route(
            "/licences/managed/{id}/delete",
            post(pages::licence_edit::delete_managed),
        )
        .route("/contracts", get(pages::ledger::contracts))
        .route(
            "/contracts/new",
            get(pages::contract_edit::new_contract).post(pages::contract_edit::create_contract),
        )
        .route(
            "/contracts/{id}",
            get(pages::contract_edit::show_contract).post(pages::contract_edit::save_contract),
        )
        .route(
            "/contracts/{id}/copy",
            post(pages::contract_edit::copy_contract),
        )
        .route(
            "/contracts/{id}/delete",
            post(pages::contract_edit::delete_contract),
        )
        .route("/vendors", get(pages::contract_edit::vendors))
        .route(
            "/vendors/new",
            get(pages::contract_edit::new_vendor).post(pages::contract_edit::create_vendor),
        )
        .route(
            "/vendors/{id}",
            get(pages::contract_edit::show_vendor).post(pages::contract_edit::update_vendor),
        )
        .route(
            "/vendors/{id}/delete",
            post(pages::contract_edit::delete_vendor),
        )
        .route(
            "/imports",
            get(pages::imports::start)
                .post(pages::imports::upload)
                .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route(
            "/imports/{token}",
            get(pages::imports::mapping).post(pages::imports::run),
        )
        .route("/imports/{token}/discard", post(pages::imports::discard))
        .route("/imports/templates", post(pages::imports::import_template))
        .route("/imports/stocktake", post(pages::imports::stocktake))
        .route(
            "/imports/templates/{id}/delete",
            post(pages::imports::delete_template),
        )
        .route(
            "/imports/history/{id}/invalid-rows.csv",
            get(pages::imports::invalid_rows),
        )
        .route("/hardware-assets/bulk", post(pages::hardware::bulk_submit))
        .route(
            "/hardware-assets/new",
            get(pages::hardware::new_form).post(pages::hardware::save),
        )
        .route(
            "/hardware-assets/{id}",
            get(pages::hardware::show).post(pages::hardware::save),
        )
        .route(
            "/hardware-assets/{id}/notes",
            post(pages::hardware::add_note),
        )
        .route(
            "/hardware-assets/{id}/devices",
            post(pages::hardware::devices_submit),
        )
        .route(
            "/hardware-assets/{id}/related",
            post(pages::hardware::related_submit),
        )
        .route("/devices/bulk", post(pages::devices::bulk_submit))
        .route("/devices/{id}/notes", post(pages::device::add_note))
        .route("/events", get(pages::events::list))
        .route("/events.csv", get(pages::events::export))
        .route("/events/confirm", post(pages::events::confirm))
        .route("/events/{id}", get(pages::events::show))
        .route("/software", get(pages::software::list))
        .route(
            "/profile",
            get(pages::profile::show).post(pages::profile::save),
        )
        .route("/profile/tokens", post(pages::profile::create_token))
        .route(
            "/profile/tokens/{id}/revoke",
            post(pages::profile::revoke_token),
        )
        .route("/settings", get(pages::settings::hub))
        .route(
            "/settings/ledger",
            get(pages::ledger_settings::show).post(pages::ledger_settings::save),
        )
        .route(
            "/settings/ledger/choices/{kind}",
            post(pages::ledger_settings::add_choice),
        )
        .route(
            "/settings/ledger/choices/{kind}/{id}/delete",
            post(pages::ledger_settings::delete_choice),
        )
        .route(
            "/settings/ledger/fields",
            post(pages::ledger_settings::add_field),
        )
        .route(
            "/settings/ledger/fields/{id}/delete",
            post(pages::ledger_settings::delete_field),
        )
        .route(
            "/settings/ledger/fields/{id}/options",
            post(pages::ledger_settings::add_option),
        )
        .route(
            "/settings/ledger/fields/{id}/options/{option_id}/delete",
            post(pages::ledger_settings::delete_option),
        )
        .route(
            "/settings/policy",
            get(pages::settings::policy).post(pages::settings::save_policy),
        )
        .route(
            "/departments",
            get(pages::settings::departments::<Departments>)
                .post(pages::settings::add_department::<Departments>),
        )
        .route(
            "/departments/prune-retired",
            get(pages::settings::prune_confirm::<Departments>)
                .post(pages::settings::prune::<Departments>),
        )
        .route(
            "/departments/{*path}",
            post(pages::settings::change_department::<Departments>),
        )
        .route(
            "/locations",
            get(pages::settings::departments::<Locations>)
                .post(pages::settings::add_department::<Locations>),
        )
        .route(
            "/locations/prune-retired",
            get(pages::settings::prune_confirm::<Locations>)
                .post(pages::settings::prune::<Locations>),
        )
        .route(
            "/locations/{*path}",
            post(pages::settings::change_department::<Locations>),
        )
        .route("/accounts", get(pages::accounts::list))
        .route(
            "/accounts/new",
            get(pages::accounts::new).post(pages::accounts::create),
        )
        .route(
            "/accounts/{id}",
            get(pages::accounts::edit).post(pages::accounts::update),
        )
        .route("/accounts/{id}/{action}", post(pages::accounts::action))
        .route("/audit", get(pages::audit::list))
        .route("/audit.csv", get(pages::audit::export))
        .route("/saved-filters", post(pages::lists::save))
        .route("/saved-filters/{id}/delete", post(pages::lists::delete))
        .route("/list-columns", post(pages::lists::columns))
        .route("/devices.csv", get(pages::devices::export))
        .route("/devices/{id}", get(pages::device::show))
        // Settings → Agents
        .route(pages::agents::PATH, get(pages::agents::show))
        .route("/settings/agents/tokens", post(pages::agents::create))
        .route(
            "/settings/agents/tokens/{id}/revoke",
            post(pages::agents::revoke),
        )
        .route("/assets/{name}", get(assets::serve))
}
