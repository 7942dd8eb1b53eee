//! Routes of the asset ledger.

use axum::routing::{get, patch, post, put};
use axum::Router;

use crate::app::AppState;
use crate::assets::api as ledger;
use crate::assets::choices::api as choices;
use crate::assets::contracts::api as contracts;
use crate::assets::fields::api as fields;
use crate::assets::hardware::api as hardware;
use crate::assets::import::api as imports;
use crate::assets::licences::api as licences;

/// `/api/v1/assets…`, licences, managed software, contracts, vendors, imports and import
/// templates.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/assets", get(hardware::list).post(hardware::create))
        .route("/api/v1/assets/count", get(hardware::count))
        .route("/api/v1/assets/export", get(hardware::export))
        .route("/api/v1/assets/bulk", post(hardware::bulk))
        .route("/api/v1/assets/stocktake", post(ledger::stocktake_assets))
        .route("/api/v1/licences/bulk", post(ledger::bulk_licences))
        .route("/api/v1/contracts/bulk", post(ledger::bulk_contracts))
        .route(
            "/api/v1/licences/stocktake",
            post(ledger::stocktake_licences),
        )
        .route(
            "/api/v1/assets/settings",
            get(ledger::get_settings).put(ledger::put_settings),
        )
        .route(
            "/api/v1/assets/fields",
            get(fields::list).post(fields::create),
        )
        .route(
            "/api/v1/assets/fields/{id}",
            patch(fields::update).delete(fields::delete),
        )
        .route(
            "/api/v1/assets/fields/{id}/options",
            post(fields::add_option),
        )
        .route(
            "/api/v1/assets/fields/{id}/options/{option_id}",
            axum::routing::delete(fields::delete_option),
        )
        .route(
            "/api/v1/assets/choices/{kind}",
            get(choices::list).post(choices::create),
        )
        .route(
            "/api/v1/assets/choices/{kind}/{id}",
            patch(choices::update).delete(choices::delete),
        )
        .route(
            "/api/v1/assets/{id}",
            get(hardware::show)
                .patch(hardware::update)
                .delete(hardware::delete),
        )
        .route(
            "/api/v1/assets/{id}/notes",
            get(hardware::notes).post(hardware::add_note),
        )
        .route(
            "/api/v1/assets/{id}/devices/{device_id}",
            put(hardware::link_device).delete(hardware::unlink_device),
        )
        .route(
            "/api/v1/assets/{id}/related/{other_id}",
            put(hardware::relate).delete(hardware::unrelate),
        )
        .route(
            "/api/v1/managed-software",
            get(licences::list_managed).post(licences::create_managed),
        )
        .route(
            "/api/v1/managed-software/export",
            get(licences::export_managed),
        )
        .route(
            "/api/v1/managed-software/{id}",
            get(licences::show_managed)
                .patch(licences::update_managed)
                .delete(licences::delete_managed),
        )
        .route(
            "/api/v1/managed-software/{id}/devices",
            get(licences::managed_devices),
        )
        .route(
            "/api/v1/licences",
            get(licences::list).post(licences::create),
        )
        .route("/api/v1/licences/transfer", post(licences::transfer))
        .route("/api/v1/licences/export", get(licences::export))
        .route(
            "/api/v1/licences/{id}",
            get(licences::show)
                .patch(licences::update)
                .delete(licences::delete),
        )
        .route("/api/v1/licences/{id}/move", post(licences::move_held))
        .route("/api/v1/licences/{id}/assignments", post(licences::assign))
        .route(
            "/api/v1/licences/{id}/assignments/{device_id}",
            axum::routing::delete(licences::unassign),
        )
        .route(
            "/api/v1/contracts",
            get(contracts::list).post(contracts::create),
        )
        .route("/api/v1/contracts/export", get(contracts::export))
        .route(
            "/api/v1/contracts/monthly-costs",
            get(contracts::monthly_costs),
        )
        .route(
            "/api/v1/contracts/{id}",
            get(contracts::show)
                .patch(contracts::update)
                .delete(contracts::delete),
        )
        .route("/api/v1/contracts/{id}/copy", post(contracts::copy))
        .route(
            "/api/v1/vendors",
            get(contracts::vendors).post(contracts::create_vendor),
        )
        .route("/api/v1/vendors/export", get(contracts::export_vendors))
        .route(
            "/api/v1/vendors/{id}",
            patch(contracts::update_vendor).delete(contracts::delete_vendor),
        )
        .route("/api/v1/imports", get(imports::list).post(imports::create))
        .route("/api/v1/imports/{id}", get(imports::show))
        .route(
            "/api/v1/imports/{id}/invalid-rows",
            get(imports::invalid_rows),
        )
        .route(
            "/api/v1/import-templates",
            get(imports::list_templates).post(imports::create_template),
        )
        .route(
            "/api/v1/import-templates/import",
            post(imports::import_template),
        )
        .route(
            "/api/v1/import-templates/{id}",
            get(imports::show_template)
                .patch(imports::update_template)
                .delete(imports::delete_template),
        )
        .route(
            "/api/v1/import-templates/{id}/export",
            get(imports::export_template),
        )
}
