//! Registering and editing licences (ライセンスの登録・編集) and managed software (管理ソフト
//! ウェア) in the console: the record form (`console::record_form`), a licence's assigned
//! computers (assign by host name, remove), deletion with a confirmation box. The forms post
//! the same patches the REST API takes, so every rule is the service's.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;

use crate::app::AppState;
use crate::assets::choices::ChoiceKind;
use crate::assets::licences::matching::{format_rules, parse_rules};
use crate::assets::licences::model::{Licence, ManagedSoftware};
use crate::assets::licences::moving::MoveInput;
use crate::assets::licences::service::{self, LicencePatch, ManagedInput};
use crate::audit::model::Origin;
use crate::console::pages::Nav;
use crate::console::record_form::{
    id_value, keep_typed, to_json, Action, AddForm, ExtraForm, Field, Input, Json, RecordPage,
    Section, SectionRow,
};
use crate::console::web::{
    app_error_page, department_paths, render, ConsoleUser, Entries, FormPairs, PostedForm,
};
use crate::core::error::AppError;
use crate::departments::store::Tree;

/// Choices of a list as select options, `""` first when `none` names the empty choice.
pub async fn choice_options(
    state: &AppState,
    user: &ConsoleUser,
    kind: ChoiceKind,
    none: Option<&str>,
) -> Result<Vec<(String, String)>, AppError> {
    let all = crate::assets::choices::store::all(&state.db).await?;
    Ok(none
        .map(|label| (String::new(), label.to_string()))
        .into_iter()
        .chain(
            all.iter()
                .filter(|c| c.kind == kind)
                .map(|c| (c.id.to_string(), c.label(user.lang.code()).to_string())),
        )
        .collect())
}

/// The departments a record may be given, "Unknown" first.
pub async fn department_options(
    state: &AppState,
    user: &ConsoleUser,
) -> Result<Vec<(String, String)>, AppError> {
    let departments =
        crate::departments::service::list(&state.db, &user.actor, Tree::Departments).await?;
    Ok(
        std::iter::once((String::new(), user.m().unknown.to_string()))
            .chain(
                department_paths(&departments, user.lang, Entries::Current)
                    .into_iter()
                    .map(|(id, path)| (id.to_string(), path)),
            )
            .collect(),
    )
}

/// A refused form: the page again with what was typed and why.
pub fn refused(
    user: &ConsoleUser,
    mut page: RecordPage,
    typed: Option<&FormPairs>,
    error: &AppError,
) -> Response {
    let status = match error {
        AppError::Invalid { .. } => StatusCode::BAD_REQUEST,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        other => return app_error_page(user.lang, other),
    };
    if let Some(form) = typed {
        keep_typed(&mut page.fields, form);
        crate::console::custom_inputs::keep_typed(&mut page.custom, form);
    }
    page.error = Some(match error {
        AppError::Conflict(message) if message.contains("changed by someone else") => {
            user.m().conflict.to_string()
        }
        AppError::Conflict(message) | AppError::Invalid { message, .. } => message.clone(),
        other => other.to_string(),
    });
    (status, render(&page)).into_response()
}

/// The form's JSON as a patch type.
///
/// # Errors
/// 400 for values the patch does not take.
pub fn patch_of<T: serde::de::DeserializeOwned>(
    json: serde_json::Map<String, Value>,
) -> Result<T, AppError> {
    serde_json::from_value(Value::Object(json))
        .map_err(|error| AppError::invalid("form", error.to_string()))
}

/// The form's JSON with the custom fields' values as `custom`.
///
/// # Errors
/// As [`to_json`] and [`crate::console::custom_inputs::patch`].
pub fn json_with_custom(
    page: &RecordPage,
    form: &FormPairs,
    m: &crate::console::i18n::Msgs,
) -> Result<serde_json::Map<String, Value>, AppError> {
    let mut json = to_json(&page.fields, form, m)?;
    if !page.custom.is_empty() {
        let custom = crate::console::custom_inputs::patch(&page.custom, form)?;
        json.insert("custom".into(), Value::Object(custom));
    }
    Ok(json)
}

async fn licence_fields(
    state: &AppState,
    user: &ConsoleUser,
    licence: Option<&Licence>,
) -> Result<Vec<Field>, AppError> {
    let m = user.m();
    let (managed, _) = service::list_managed(state, &user.actor, false).await?;
    let managed_options: Vec<(String, String)> = std::iter::once((String::new(), "—".to_string()))
        .chain(
            managed
                .iter()
                .map(|item| (item.managed.id.to_string(), item.managed.name.clone())),
        )
        .collect();
    let statuses = choice_options(state, user, ChoiceKind::LicenceStatus, None).await?;
    let planned = choice_options(state, user, ChoiceKind::LicenceStatus, Some("—")).await?;
    let types = choice_options(state, user, ChoiceKind::LicenceType, None).await?;
    let departments = department_options(state, user).await?;
    let l = licence.cloned().unwrap_or_else(|| Licence {
        type_id: crate::assets::choices::builtin::LICENCE_PACKAGE,
        status_id: crate::assets::choices::builtin::LICENCE_IN_USE,
        ..Licence::default()
    });
    Ok(vec![
        Field::new("licence_number", m.licence_number, Input::Text, Json::Text)
            .value(&l.licence_number),
        Field::new("name", m.name, Input::Text, Json::Text)
            .required()
            .value(&l.name),
        Field::new(
            "managed_id",
            m.managed_software,
            Input::Select(managed_options),
            Json::OptionalInt,
        )
        .value(id_value(l.managed_id)),
        Field::new("held", m.owned, Input::Number, Json::Int).value(l.held.to_string()),
        Field::new("type_id", m.licence_type, Input::Select(types), Json::Int)
            .value(l.type_id.to_string()),
        Field::new(
            "status_id",
            m.asset_status,
            Input::Select(statuses),
            Json::Int,
        )
        .value(l.status_id.to_string()),
        Field::new(
            "planned_status_id",
            m.planned_status,
            Input::Select(planned),
            Json::OptionalInt,
        )
        .value(id_value(l.planned_status_id)),
        Field::new("planned_on", m.planned_on, Input::Day, Json::OptionalText)
            .value(l.planned_on.clone().unwrap_or_default()),
        Field::new(
            "department_id",
            m.department,
            Input::Select(departments),
            Json::OptionalInt,
        )
        .value(id_value(l.department_id)),
        Field::new(
            "stocktaken_on",
            m.stocktaken_on,
            Input::Day,
            Json::OptionalText,
        )
        .value(l.stocktaken_on.clone().unwrap_or_default()),
    ])
}

fn page(user: &ConsoleUser, title: String, action: String, fields: Vec<Field>) -> RecordPage {
    let m = user.m();
    RecordPage {
        lang: user.lang,
        m,
        nav: Some(Nav::new(user, "licences")),
        csrf: user.session.csrf_token.clone(),
        title,
        back: ("/licences".into(), m.licences_title.into()),
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

/// The licence page: its form, its computers, its notes.
async fn licence_page(
    state: &AppState,
    user: &ConsoleUser,
    id: i64,
) -> Result<RecordPage, AppError> {
    let m = user.m();
    let (licence, assigned, notes) = service::detail(state, &user.actor, id).await?;
    let fields = licence_fields(state, user, Some(&licence)).await?;
    let title = format!("{} {}", m.licence_list, licence.licence_number);
    let mut page = page(user, title, format!("/licences/{id}"), fields);
    page.version = Some(licence.version);
    page.with_note = true;
    page.custom =
        crate::console::custom_inputs::inputs(state, user, "licence", &licence.custom).await?;
    page.sections.push(Section {
        title: format!(
            "{} ({}/{})",
            m.assigned_devices, licence.assigned, licence.held
        ),
        class: "assignments",
        headers: vec![m.hostname.to_string()],
        rows: assigned
            .iter()
            .map(|(device_id, hostname, _)| SectionRow {
                cells: vec![(hostname.clone(), Some(format!("/devices/{device_id}")))],
                remove: Some(format!("/licences/{id}/unassign/{device_id}")),
            })
            .collect(),
        add: Some(AddForm {
            action: format!("/licences/{id}/assign"),
            input: "hostname",
            label: m.hostname.to_string(),
            button: m.assign.to_string(),
        }),
    });
    if licence.held > licence.assigned {
        page.extra_forms.push(ExtraForm {
            title: m.move_licences.to_string(),
            action: format!("/licences/{id}/move"),
            class: "move",
            fields: vec![
                Field::new("count", m.move_count, Input::Number, Json::Int)
                    .value((licence.held - licence.assigned).to_string()),
                Field::new(
                    "department_id",
                    m.move_to_department,
                    Input::Select(department_options(state, user).await?),
                    Json::OptionalInt,
                ),
            ],
            button: m.move_button.to_string(),
        });
    }
    page.actions.push(Action {
        path: format!("/licences/{id}/delete"),
        label: m.delete.to_string(),
        class: "delete",
        confirm: m.confirm_delete.to_string(),
    });
    page.notes = notes
        .into_iter()
        .map(|n| (user.time(n.created_at), n.author, n.body))
        .collect();
    Ok(page)
}

/// The registration page.
async fn new_licence_page(state: &AppState, user: &ConsoleUser) -> Result<RecordPage, AppError> {
    let fields = licence_fields(state, user, None).await?;
    let mut page = page(
        user,
        user.m().new_licence.into(),
        "/licences/new".into(),
        fields,
    );
    page.custom =
        crate::console::custom_inputs::inputs(state, user, "licence", &Value::Null).await?;
    Ok(page)
}

/// `GET /licences/new`.
pub async fn new_licence(State(state): State<AppState>, user: ConsoleUser) -> Response {
    match new_licence_page(&state, &user).await {
        Ok(page) => render(&page),
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// `POST /licences/new`.
pub async fn create_licence(
    State(state): State<AppState>,
    origin: Origin,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let page = match new_licence_page(&state, &user).await {
        Ok(page) => page,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let result = async {
        let patch: LicencePatch = patch_of(json_with_custom(&page, &form, user.m())?)?;
        service::create(&state, &user.actor, &origin, patch).await
    }
    .await;
    match result {
        Ok(created) => Redirect::to(&format!("/licences/{}", created.id)).into_response(),
        Err(error) => refused(&user, page, Some(&form), &error),
    }
}

/// `GET /licences/{id}`.
pub async fn show_licence(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
) -> Response {
    match licence_page(&state, &user, id).await {
        Ok(page) => render(&page),
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// `POST /licences/{id}`: saves the form (a status change notes the reason).
pub async fn save_licence(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let page = match licence_page(&state, &user, id).await {
        Ok(page) => page,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let result = async {
        let mut patch: LicencePatch = patch_of(json_with_custom(&page, &form, user.m())?)?;
        patch.version = form.get("version").parse().ok();
        patch.note = Some(form.get("note").trim().to_string()).filter(|n| !n.is_empty());
        service::update(&state, &user.actor, &origin, id, patch).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/licences/{id}")).into_response(),
        Err(error) => refused(&user, page, Some(&form), &error),
    }
}

/// `POST /licences/{id}/delete` (`confirm=1`): only a disposed licence goes.
pub async fn delete_licence(
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
        Ok(()) => Redirect::to("/licences").into_response(),
        Err(error) => match licence_page(&state, &user, id).await {
            Ok(page) => refused(&user, page, None, &error),
            Err(error) => app_error_page(user.lang, &error),
        },
    }
}

/// `POST /licences/{id}/assign` (`hostname`).
pub async fn assign(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let m = user.m();
    let hostname = form.get("hostname").trim().to_string();
    let result = async {
        let devices = service::devices_named(&state, &user.actor, &hostname).await?;
        match devices.as_slice() {
            [] => Err(AppError::invalid(
                "hostname",
                format!("{}: {hostname}", m.no_such_device),
            )),
            [device] => service::assign(&state, &user.actor, &origin, id, &[*device])
                .await
                .map(|_| ()),
            _ => Err(AppError::invalid(
                "hostname",
                format!("{}: {hostname}", m.several_devices),
            )),
        }
    }
    .await;
    after_button(&state, &user, id, result).await
}

/// `POST /licences/{id}/move` (`count`, `department_id`): held licences move to another
/// department; the page of the licence that received them opens.
pub async fn move_held(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let fields = [
        Field::new("count", user.m().move_count, Input::Number, Json::Int),
        Field::new("department_id", "", Input::Text, Json::OptionalInt),
    ];
    let result = async {
        let input: MoveInput = patch_of(to_json(&fields, &form, user.m())?)?;
        crate::assets::licences::moving::move_held(&state, &user.actor, &origin, id, input).await
    }
    .await;
    match result {
        Ok(moved) => Redirect::to(&format!("/licences/{}", moved.target.id)).into_response(),
        Err(error) => after_button(&state, &user, id, Err(error)).await,
    }
}

/// `POST /licences/{id}/unassign/{device_id}`.
pub async fn unassign(
    State(state): State<AppState>,
    origin: Origin,
    Path((id, device_id)): Path<(i64, i64)>,
    PostedForm { user, .. }: PostedForm,
) -> Response {
    let result = service::unassign(&state, &user.actor, &origin, (id, device_id)).await;
    after_button(&state, &user, id, result).await
}

async fn after_button(
    state: &AppState,
    user: &ConsoleUser,
    id: i64,
    result: Result<(), AppError>,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/licences/{id}")).into_response(),
        Err(error) => match licence_page(state, user, id).await {
            Ok(page) => refused(user, page, None, &error),
            Err(error) => app_error_page(user.lang, &error),
        },
    }
}

fn managed_fields(user: &ConsoleUser, managed: Option<&ManagedSoftware>) -> Vec<Field> {
    let m = user.m();
    let (name, name_en, rules) = managed.map_or_else(Default::default, |s| {
        (
            s.name.clone(),
            s.name_en.clone(),
            format_rules(&s.rules).replace(';', "\n"),
        )
    });
    vec![
        Field::new("name", m.name, Input::Text, Json::Text)
            .required()
            .value(name),
        Field::new("name_en", m.name_english, Input::Text, Json::Text).value(name_en),
        Field::new("rules", m.managed_rules, Input::Lines, Json::Lines)
            .value(rules)
            .hint(m.managed_rules_hint),
    ]
}

fn managed_page(user: &ConsoleUser, managed: Option<&ManagedSoftware>) -> RecordPage {
    let m = user.m();
    let (title, action) = match managed {
        Some(s) => (s.name.clone(), format!("/licences/managed/{}/edit", s.id)),
        None => (
            m.new_managed.to_string(),
            "/licences/managed/new".to_string(),
        ),
    };
    let mut page = page(user, title, action, managed_fields(user, managed));
    if let Some(s) = managed {
        page.version = Some(s.version);
        page.back = (format!("/licences/managed/{}", s.id), s.name.clone());
        page.actions.push(Action {
            path: format!("/licences/managed/{}/delete", s.id),
            label: m.delete.to_string(),
            class: "delete",
            confirm: m.confirm_delete.to_string(),
        });
    }
    page
}

/// The managed software form as its input: the rules one per line, in the import's syntax.
fn managed_input(
    form: &FormPairs,
    fields: &[Field],
    user: &ConsoleUser,
) -> Result<ManagedInput, AppError> {
    let json = to_json(fields, form, user.m())?;
    let rules = json
        .get("rules")
        .and_then(Value::as_array)
        .map(|lines| {
            lines
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(";")
        })
        .unwrap_or_default();
    Ok(ManagedInput {
        name: json.get("name").and_then(Value::as_str).map(str::to_string),
        name_en: json
            .get("name_en")
            .and_then(Value::as_str)
            .map(str::to_string),
        rules: Some(parse_rules(&rules).map_err(|error| AppError::invalid("rules", error))?),
        version: form.get("version").parse().ok(),
    })
}

/// `GET /licences/managed/new`.
pub async fn new_managed(user: ConsoleUser) -> Response {
    render(&managed_page(&user, None))
}

/// `GET /licences/managed/{id}/edit`.
pub async fn edit_managed(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
) -> Response {
    match service::get_managed(&state, &user.actor, id).await {
        Ok((managed, _)) => render(&managed_page(&user, Some(&managed.managed))),
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// `POST /licences/managed/new` and `POST /licences/managed/{id}/edit`.
async fn save_managed(
    state: &AppState,
    user: &ConsoleUser,
    origin: &Origin,
    id: Option<i64>,
    form: &FormPairs,
) -> Response {
    let current = match id {
        Some(id) => match service::get_managed(state, &user.actor, id).await {
            Ok((managed, _)) => Some(managed.managed),
            Err(error) => return app_error_page(user.lang, &error),
        },
        None => None,
    };
    let page = managed_page(user, current.as_ref());
    let result = async {
        let input = managed_input(form, &page.fields, user)?;
        service::save_managed(state, &user.actor, origin, id, input).await
    }
    .await;
    match result {
        Ok(saved) => Redirect::to(&format!("/licences/managed/{}", saved.id)).into_response(),
        Err(error) => refused(user, page, Some(form), &error),
    }
}

/// `POST /licences/managed/new`.
pub async fn create_managed(
    State(state): State<AppState>,
    origin: Origin,
    PostedForm { user, form }: PostedForm,
) -> Response {
    save_managed(&state, &user, &origin, None, &form).await
}

/// `POST /licences/managed/{id}/edit`.
pub async fn update_managed(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    save_managed(&state, &user, &origin, Some(id), &form).await
}

/// `POST /licences/managed/{id}/delete` (`confirm=1`).
pub async fn delete_managed(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let result = async {
        form.confirmation(user.m())?;
        service::delete_managed(&state, &user.actor, &origin, id).await
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/licences").into_response(),
        Err(error) => match service::get_managed(&state, &user.actor, id).await {
            Ok((managed, _)) => refused(
                &user,
                managed_page(&user, Some(&managed.managed)),
                None,
                &error,
            ),
            Err(error) => app_error_page(user.lang, &error),
        },
    }
}
