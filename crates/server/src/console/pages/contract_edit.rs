//! Registering and editing contracts (契約) and vendors (取引先) in the console: the record
//! form with the assets and licences a contract covers named by their numbers, "save as
//! another contract", deletion with a confirmation box, and the vendor list. The forms post
//! the REST API's patches, so the rules are the service's.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;

use crate::app::AppState;
use crate::assets::choices::ChoiceKind;
use crate::assets::contracts::service::{self, ContractDetail, ContractPatch, VendorInput};
use crate::assets::contracts::store::Vendor;
use crate::assets::numbers;
use crate::assets::stocktake::Ledger;
use crate::audit::model::Origin;
use crate::console::i18n::{Lang, Msgs};
use crate::console::pages::licence_edit::{
    choice_options, department_options, json_with_custom, patch_of, refused,
};
use crate::console::pages::Nav;
use crate::console::record_form::{id_value, to_json, Action, Field, Input, Json, RecordPage};
use crate::console::web::{app_error_page, render, ConsoleUser, FormPairs, PostedForm};
use crate::core::error::AppError;

fn page(user: &ConsoleUser, title: String, action: String, fields: Vec<Field>) -> RecordPage {
    let m = user.m();
    RecordPage {
        lang: user.lang,
        m,
        nav: Some(Nav::new(user, "contracts")),
        csrf: user.session.csrf_token.clone(),
        title,
        back: ("/contracts".into(), m.contracts_title.into()),
        action,
        version: None,
        fields,
        custom: Vec::new(),
        with_note: false,
        error: None,
        sections: Vec::new(),
        extra_forms: Vec::new(),
        actions: Vec::new(),
        notes: Vec::new(),
    }
}

async fn contract_fields(
    state: &AppState,
    user: &ConsoleUser,
    detail: Option<&ContractDetail>,
) -> Result<Vec<Field>, AppError> {
    let m = user.m();
    let vendors = service::vendors(state, &user.actor).await?;
    let vendor_options = std::iter::once((String::new(), "—".to_string()))
        .chain(vendors.iter().map(|v| (v.id.to_string(), v.name.clone())))
        .collect();
    let statuses = choice_options(state, user, ChoiceKind::ContractStatus, None).await?;
    let types = choice_options(state, user, ChoiceKind::ContractType, None).await?;
    let departments = department_options(state, user).await?;
    let lines = |pairs: Vec<(i64, String)>| {
        pairs
            .into_iter()
            .map(|(_, number)| number)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (assets, licences) = match detail {
        Some(d) => (
            lines(numbers::numbers_of(&state.db, Ledger::Assets, &d.asset_ids).await?),
            lines(numbers::numbers_of(&state.db, Ledger::Licences, &d.licence_ids).await?),
        ),
        None => (String::new(), String::new()),
    };
    let c = detail.map(|d| d.contract.clone());
    let text = |f: fn(&crate::assets::contracts::store::Contract) -> String| {
        c.as_ref().map(f).unwrap_or_default()
    };
    let day = |f: fn(&crate::assets::contracts::store::Contract) -> Option<String>| {
        c.as_ref().and_then(f).unwrap_or_default()
    };
    Ok(vec![
        Field::new(
            "contract_number",
            m.contract_number,
            Input::Text,
            Json::Text,
        )
        .value(text(|c| c.contract_number.clone())),
        Field::new("name", m.name, Input::Text, Json::Text)
            .required()
            .value(text(|c| c.name.clone())),
        Field::new("type_id", m.device_type, Input::Select(types), Json::Int).value(
            c.as_ref()
                .map_or(crate::assets::choices::builtin::CONTRACT_PURCHASE, |c| {
                    c.type_id
                })
                .to_string(),
        ),
        Field::new(
            "status_id",
            m.asset_status,
            Input::Select(statuses),
            Json::Int,
        )
        .value(
            c.as_ref()
                .map_or(crate::assets::choices::builtin::CONTRACT_ACTIVE, |c| {
                    c.status_id
                })
                .to_string(),
        ),
        Field::new(
            "contracted_on",
            m.contracted_on,
            Input::Day,
            Json::OptionalText,
        )
        .value(day(|c| c.contracted_on.clone())),
        Field::new(
            "starts_on",
            m.contract_starts,
            Input::Day,
            Json::OptionalText,
        )
        .value(day(|c| c.starts_on.clone())),
        Field::new("ends_on", m.contract_ends, Input::Day, Json::OptionalText)
            .value(day(|c| c.ends_on.clone())),
        Field::new("amount", m.contract_amount, Input::Number, Json::Int)
            .value(text(|c| c.amount.to_string())),
        Field::new(
            "vendor_id",
            m.contract_vendor,
            Input::Select(vendor_options),
            Json::OptionalInt,
        )
        .value(id_value(c.as_ref().and_then(|c| c.vendor_id))),
        Field::new(
            "department_id",
            m.department,
            Input::Select(departments),
            Json::OptionalInt,
        )
        .value(id_value(c.as_ref().and_then(|c| c.department_id))),
        Field::new(
            "asset_numbers",
            m.contract_assets,
            Input::Lines,
            Json::Lines,
        )
        .value(assets)
        .hint(m.numbers_hint),
        Field::new(
            "licence_numbers",
            m.contract_licences,
            Input::Lines,
            Json::Lines,
        )
        .value(licences)
        .hint(m.numbers_hint),
    ])
}

/// The contract form as its patch: the numbers become the ids of the records they name.
async fn contract_patch(
    state: &AppState,
    user: &ConsoleUser,
    page: &RecordPage,
    form: &FormPairs,
) -> Result<ContractPatch, AppError> {
    let mut json = json_with_custom(page, form, user.m())?;
    for (from, to, ledger) in [
        ("asset_numbers", "asset_ids", Ledger::Assets),
        ("licence_numbers", "licence_ids", Ledger::Licences),
    ] {
        let wanted: Vec<String> = json
            .remove(from)
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let ids = numbers::ids_of(&state.db, &user.actor, ledger, (from, &wanted)).await?;
        json.insert(to.to_string(), Value::from(ids));
    }
    let mut patch: ContractPatch = patch_of(json)?;
    patch.version = form.get("version").parse().ok();
    Ok(patch)
}

async fn contract_page(
    state: &AppState,
    user: &ConsoleUser,
    id: i64,
) -> Result<RecordPage, AppError> {
    let m = user.m();
    let detail = service::detail(state, &user.actor, id).await?;
    let fields = contract_fields(state, user, Some(&detail)).await?;
    let title = format!("{} {}", m.contracts_title, detail.contract.name);
    let mut page = page(user, title, format!("/contracts/{id}"), fields);
    page.version = Some(detail.contract.version);
    page.custom =
        crate::console::custom_inputs::inputs(state, user, "contract", &detail.contract.custom)
            .await?;
    page.actions = vec![
        Action {
            path: format!("/contracts/{id}/copy"),
            label: m.save_as_another_contract.to_string(),
            class: "copy",
            confirm: String::new(),
        },
        Action {
            path: format!("/contracts/{id}/delete"),
            label: m.delete.to_string(),
            class: "delete",
            confirm: m.confirm_delete.to_string(),
        },
    ];
    page.notes = detail
        .notes
        .into_iter()
        .map(|n| (user.time(n.created_at), n.author, n.body))
        .collect();
    Ok(page)
}

/// The registration page.
async fn new_contract_page(state: &AppState, user: &ConsoleUser) -> Result<RecordPage, AppError> {
    let fields = contract_fields(state, user, None).await?;
    let mut page = page(
        user,
        user.m().new_contract.into(),
        "/contracts/new".into(),
        fields,
    );
    page.custom =
        crate::console::custom_inputs::inputs(state, user, "contract", &Value::Null).await?;
    Ok(page)
}

/// `GET /contracts/new`.
pub async fn new_contract(State(state): State<AppState>, user: ConsoleUser) -> Response {
    match new_contract_page(&state, &user).await {
        Ok(page) => render(&page),
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// `POST /contracts/new`.
pub async fn create_contract(
    State(state): State<AppState>,
    origin: Origin,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let page = match new_contract_page(&state, &user).await {
        Ok(page) => page,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let result = async {
        let patch = contract_patch(&state, &user, &page, &form).await?;
        service::create(&state, &user.actor, &origin, patch).await
    }
    .await;
    match result {
        Ok(created) => Redirect::to(&format!("/contracts/{}", created.id)).into_response(),
        Err(error) => refused(&user, page, Some(&form), &error),
    }
}

/// `GET /contracts/{id}`.
pub async fn show_contract(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
) -> Response {
    match contract_page(&state, &user, id).await {
        Ok(page) => render(&page),
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// `POST /contracts/{id}`.
pub async fn save_contract(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let page = match contract_page(&state, &user, id).await {
        Ok(page) => page,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let result = async {
        let patch = contract_patch(&state, &user, &page, &form).await?;
        service::update(&state, &user.actor, &origin, id, patch).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/contracts/{id}")).into_response(),
        Err(error) => refused(&user, page, Some(&form), &error),
    }
}

/// `POST /contracts/{id}/copy`: "save as another contract" (別の契約として保存) — the copy,
/// without a number, opens for editing.
pub async fn copy_contract(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
    PostedForm { user, .. }: PostedForm,
) -> Response {
    let patch: ContractPatch = match patch_of(serde_json::Map::new()) {
        Ok(patch) => patch,
        Err(error) => return app_error_page(user.lang, &error),
    };
    match service::copy(&state, &user.actor, &origin, id, patch).await {
        Ok(copy) => Redirect::to(&format!("/contracts/{}", copy.id)).into_response(),
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// `POST /contracts/{id}/delete` (`confirm=1`): only a contract cancelled early or expired.
pub async fn delete_contract(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let result = async {
        form.confirmation(user.m())?;
        service::delete(&state, &user.actor, &origin, id).await
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/contracts").into_response(),
        Err(error) => match contract_page(&state, &user, id).await {
            Ok(page) => refused(&user, page, None, &error),
            Err(error) => app_error_page(user.lang, &error),
        },
    }
}

/// The vendor list.
#[derive(Template)]
#[template(path = "vendors.html")]
pub struct VendorsPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    vendors: Vec<Vendor>,
}

/// `GET /vendors`.
pub async fn vendors(State(state): State<AppState>, user: ConsoleUser) -> Response {
    match service::vendors(&state, &user.actor).await {
        Ok(vendors) => render(&VendorsPage {
            lang: user.lang,
            m: user.m(),
            nav: Some(Nav::new(&user, "contracts")),
            vendors,
        }),
        Err(error) => app_error_page(user.lang, &error),
    }
}

fn vendor_page(user: &ConsoleUser, vendor: Option<&Vendor>) -> RecordPage {
    let m = user.m();
    let v = vendor.cloned();
    let text = |f: fn(&Vendor) -> String| v.as_ref().map(f).unwrap_or_default();
    let fields = vec![
        Field::new("name", m.name, Input::Text, Json::Text)
            .required()
            .value(text(|v| v.name.clone())),
        Field::new("address", m.vendor_address, Input::Text, Json::Text)
            .value(text(|v| v.address.clone())),
        Field::new(
            "contact_person",
            m.vendor_contact_person,
            Input::Text,
            Json::Text,
        )
        .value(text(|v| v.contact_person.clone())),
        Field::new("contact", m.vendor_contact, Input::Text, Json::Text)
            .value(text(|v| v.contact.clone())),
    ];
    let (title, action) = match &v {
        Some(v) => (v.name.clone(), format!("/vendors/{}", v.id)),
        None => (m.new_vendor.to_string(), "/vendors/new".to_string()),
    };
    let mut page = page(user, title, action, fields);
    page.back = ("/vendors".into(), m.vendors.into());
    if let Some(v) = v {
        page.version = Some(v.version);
        page.actions.push(Action {
            path: format!("/vendors/{}/delete", v.id),
            label: m.delete.to_string(),
            class: "delete",
            confirm: m.confirm_delete.to_string(),
        });
    }
    page
}

async fn vendor_of(state: &AppState, user: &ConsoleUser, id: i64) -> Result<Vendor, AppError> {
    service::vendors(state, &user.actor)
        .await?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or(AppError::NotFound("vendor"))
}

/// `GET /vendors/new`.
pub async fn new_vendor(user: ConsoleUser) -> Response {
    render(&vendor_page(&user, None))
}

/// `GET /vendors/{id}`.
pub async fn show_vendor(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
) -> Response {
    match vendor_of(&state, &user, id).await {
        Ok(vendor) => render(&vendor_page(&user, Some(&vendor))),
        Err(error) => app_error_page(user.lang, &error),
    }
}

async fn save_vendor(
    state: &AppState,
    user: &ConsoleUser,
    origin: &Origin,
    id: Option<i64>,
    form: &FormPairs,
) -> Response {
    let current = match id {
        Some(id) => match vendor_of(state, user, id).await {
            Ok(vendor) => Some(vendor),
            Err(error) => return app_error_page(user.lang, &error),
        },
        None => None,
    };
    let page = vendor_page(user, current.as_ref());
    let result = async {
        let mut input: VendorInput = patch_of(to_json(&page.fields, form, user.m())?)?;
        input.version = form.get("version").parse().ok();
        service::save_vendor(state, &user.actor, origin, id, input).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/vendors").into_response(),
        Err(error) => refused(user, page, Some(form), &error),
    }
}

/// `POST /vendors/new`.
pub async fn create_vendor(
    State(state): State<AppState>,
    origin: Origin,
    PostedForm { user, form }: PostedForm,
) -> Response {
    save_vendor(&state, &user, &origin, None, &form).await
}

/// `POST /vendors/{id}`.
pub async fn update_vendor(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    save_vendor(&state, &user, &origin, Some(id), &form).await
}

/// `POST /vendors/{id}/delete` (`confirm=1`): refused while a contract names the vendor.
pub async fn delete_vendor(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let result = async {
        form.confirmation(user.m())?;
        service::delete_vendor(&state, &user.actor, &origin, id).await
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/vendors").into_response(),
        Err(error) => match vendor_of(&state, &user, id).await {
            Ok(vendor) => refused(&user, vendor_page(&user, Some(&vendor)), None, &error),
            Err(error) => app_error_page(user.lang, &error),
        },
    }
}
