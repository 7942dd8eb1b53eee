//! The ledger's settings screen (資産管理の設定, `/settings/ledger`): the automatic stocktake
//! and the user-information prompts (system administrators), the administrators' own entries
//! of the choice lists (statuses and types), and the custom fields (追加管理項目) with their
//! choices or hierarchy nodes. Every form posts to a small handler that calls the service
//! the REST API calls and comes back to the page; a refusal shows the page with the reason.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::app::AppState;
use crate::assets::choices::service::Names;
use crate::assets::choices::{Choice, ChoiceKind};
use crate::assets::fields::service::{FieldInput, OptionInput};
use crate::assets::fields::{CustomField, TARGETS};
use crate::assets::settings::LedgerSettings;
use crate::audit::model::Origin;
use crate::console::i18n::{Lang, Msgs};
use crate::console::pages::Nav;
use crate::console::web::{app_error_page, render, ConsoleUser, PostedForm};
use crate::core::auth::Division;
use crate::core::error::AppError;

const PATH: &str = "/settings/ledger";

/// One choice list with its entries.
pub struct ChoiceList {
    kind: &'static str,
    label: &'static str,
    entries: Vec<Choice>,
}

/// One custom field with its options as `(id, path)`.
pub struct FieldRow {
    field: CustomField,
    target: &'static str,
    options: Vec<(i64, String)>,
}

/// The page.
#[derive(Template)]
#[template(path = "ledger_settings.html")]
pub struct LedgerSettingsPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    csrf: String,
    system_admin: bool,
    settings: LedgerSettings,
    start_day: String,
    choices: Vec<ChoiceList>,
    fields: Vec<FieldRow>,
    targets: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

fn kind_label(m: &Msgs, kind: ChoiceKind) -> &'static str {
    match kind {
        ChoiceKind::HardwareStatus => m.asset_status,
        ChoiceKind::DeviceType => m.device_type,
        ChoiceKind::LicenceStatus => m.licence_status,
        ChoiceKind::LicenceType => m.licence_type,
        ChoiceKind::ContractStatus => m.contract_status,
        ChoiceKind::ContractType => m.contract_type,
    }
}

fn target_label(m: &Msgs, target: &str) -> &'static str {
    match target {
        "hardware" => m.hardware_assets,
        "licence" => m.licence_list,
        _ => m.contracts_title,
    }
}

/// A day (`YYYY-MM-DD`) at midnight in the user's time zone, as Unix ms.
fn day_start(user: &ConsoleUser, day: &str) -> Result<i64, AppError> {
    let invalid = || AppError::invalid("user_info_start", user.m().day_needed);
    let date: jiff::civil::Date = day.trim().parse().map_err(|_| invalid())?;
    let zoned = date.to_zoned(user.tz.clone()).map_err(|_| invalid())?;
    Ok(zoned.timestamp().as_millisecond())
}

/// The day a Unix-ms time falls on for the user (empty for never).
fn day_of(user: &ConsoleUser, ms: i64) -> String {
    if ms <= 0 {
        return String::new();
    }
    jiff::Timestamp::from_millisecond(ms)
        .map(|at| at.to_zoned(user.tz.clone()).date().to_string())
        .unwrap_or_default()
}

async fn page(
    state: &AppState,
    user: &ConsoleUser,
    error: Option<String>,
) -> Result<LedgerSettingsPage, AppError> {
    user.actor.require_division(Division::Assets)?;
    let m = user.m();
    let settings = crate::assets::settings::get(&state.db).await?;
    let all = crate::assets::choices::store::all(&state.db).await?;
    let choices = ChoiceKind::ALL
        .iter()
        .map(|kind| ChoiceList {
            kind: kind.as_str(),
            label: kind_label(m, *kind),
            entries: all.iter().filter(|c| c.kind == *kind).cloned().collect(),
        })
        .collect();
    let mut fields = Vec::new();
    for target in TARGETS {
        for field in crate::assets::fields::service::list(state, &user.actor, target).await? {
            fields.push(FieldRow {
                target: target_label(m, target),
                options: crate::console::custom_inputs::option_paths(&field, user.lang),
                field,
            });
        }
    }
    Ok(LedgerSettingsPage {
        lang: user.lang,
        m,
        nav: Some(Nav::new(user, "settings")),
        csrf: user.session.csrf_token.clone(),
        system_admin: user.actor.system_admin,
        start_day: day_of(user, settings.user_info_start),
        settings,
        choices,
        fields,
        targets: TARGETS.iter().map(|t| (*t, target_label(m, t))).collect(),
        error,
    })
}

/// `GET /settings/ledger`.
pub async fn show(State(state): State<AppState>, user: ConsoleUser) -> Response {
    match page(&state, &user, None).await {
        Ok(page) => render(&page),
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// Back to the page at `anchor`, or the page with the refusal.
async fn after(
    state: &AppState,
    user: &ConsoleUser,
    anchor: &str,
    result: Result<(), AppError>,
) -> Response {
    let error = match result {
        Ok(()) => return Redirect::to(&format!("{PATH}#{anchor}")).into_response(),
        Err(AppError::Invalid { message, .. } | AppError::Conflict(message)) => message,
        Err(error) => return app_error_page(user.lang, &error),
    };
    match page(state, user, Some(error)).await {
        Ok(page) => (StatusCode::BAD_REQUEST, render(&page)).into_response(),
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// `POST /settings/ledger`: the stocktake and user-information settings.
pub async fn save(
    State(state): State<AppState>,
    origin: Origin,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let result = async {
        let start = match form.get("user_info_start").trim() {
            "" => 0,
            day => day_start(&user, day)?,
        };
        let settings = LedgerSettings {
            stocktake_auto: form.get("stocktake_auto").to_string(),
            user_info_enabled: form.get("user_info_enabled") == "1",
            user_info_start: start,
            user_info_interval_days: form.get("user_info_interval_days").trim().parse().map_err(
                |_| AppError::invalid("user_info_interval_days", user.m().form_number_needed),
            )?,
            version: form.get("version").parse().unwrap_or(0),
        };
        crate::assets::settings::put(&state.db, &user.actor, &origin, &settings)
            .await
            .map(|_| ())
    }
    .await;
    after(&state, &user, "settings", result).await
}

/// `POST /settings/ledger/choices/{kind}`: adds an entry of the administrators' own.
pub async fn add_choice(
    State(state): State<AppState>,
    origin: Origin,
    Path(kind): Path<String>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let Some(kind) = ChoiceKind::parse(&kind) else {
        return app_error_page(user.lang, &AppError::NotFound("choice list"));
    };
    let names = Names {
        name: form.get("name"),
        name_en: form.get("name_en"),
    };
    let result =
        crate::assets::choices::service::create(&state.db, &user.actor, &origin, kind, names)
            .await
            .map(|_| ());
    after(&state, &user, "choices", result).await
}

/// `POST /settings/ledger/choices/{kind}/{id}/delete`: refused while a record or a saved
/// filter holds the entry.
pub async fn delete_choice(
    State(state): State<AppState>,
    origin: Origin,
    Path((kind, id)): Path<(String, i64)>,
    PostedForm { user, .. }: PostedForm,
) -> Response {
    let Some(kind) = ChoiceKind::parse(&kind) else {
        return app_error_page(user.lang, &AppError::NotFound("choice list"));
    };
    let result =
        crate::assets::choices::service::delete(&state.db, &user.actor, &origin, (kind, id)).await;
    after(&state, &user, "choices", result).await
}

/// `POST /settings/ledger/fields`: defines a custom field.
pub async fn add_field(
    State(state): State<AppState>,
    origin: Origin,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let input = FieldInput {
        target: Some(form.get("target").to_string()),
        name: form.get("name").to_string(),
        name_en: form.get("name_en").to_string(),
        data_type: Some(form.get("data_type").to_string()),
        input: Some(form.get("input").to_string()),
        version: None,
    };
    let result = crate::assets::fields::service::create(&state, &user.actor, &origin, input)
        .await
        .map(|_| ());
    after(&state, &user, "fields", result).await
}

/// `POST /settings/ledger/fields/{id}/delete`: the field goes; records drop its values at
/// their next change.
pub async fn delete_field(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let result = async {
        form.confirmation(user.m())?;
        crate::assets::fields::service::delete(&state, &user.actor, &origin, id).await
    }
    .await;
    after(&state, &user, "fields", result).await
}

/// `POST /settings/ledger/fields/{id}/options`: a choice or a hierarchy node.
pub async fn add_option(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let input = OptionInput {
        parent_id: form.get("parent_id").trim().parse().ok(),
        name: form.get("name").to_string(),
        name_en: form.get("name_en").to_string(),
    };
    let result =
        crate::assets::fields::service::add_option(&state, &user.actor, &origin, id, input)
            .await
            .map(|_| ());
    after(&state, &user, "fields", result).await
}

/// `POST /settings/ledger/fields/{id}/options/{option_id}/delete`.
pub async fn delete_option(
    State(state): State<AppState>,
    origin: Origin,
    Path((id, option_id)): Path<(i64, i64)>,
    PostedForm { user, .. }: PostedForm,
) -> Response {
    let result = crate::assets::fields::service::delete_option(
        &state,
        &user.actor,
        &origin,
        (id, option_id),
    )
    .await;
    after(&state, &user, "fields", result).await
}
