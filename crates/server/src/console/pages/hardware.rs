//! Hardware assets (ハードウェア資産): the ledger list on the shared list framework
//! (conditions, saved filters, chosen columns, sorting, paging, bulk changes with a note) and
//! the asset page (edit every value, notes, device records, related assets).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::app::AppState;
use crate::assets::choices::{builtin, Choice, ChoiceKind};
use crate::assets::fields::CustomField;
use crate::assets::hardware::bulk::{self, AssetBulkAction};
use crate::assets::hardware::model::{AssetDetail, AssetSort, HardwareAsset};
use crate::assets::hardware::query::AssetQuery;
use crate::assets::hardware::service::{self, AssetPatch};
use crate::audit::model::Origin;
use crate::console::custom_inputs::CustomInput;
use crate::console::i18n::{Lang, Msgs};
use crate::console::pages::devices::{BulkResultPage, PAGE_SIZES};
use crate::console::pages::lists::SavedChoice;
use crate::console::pages::Nav;
use crate::console::web::{
    app_error_page, department_paths, local_return, path_or_unknown, refusal, render, ConsoleUser,
    Entries, FormPairs, PostedForm,
};
use crate::core::error::AppError;
use crate::departments::store::Tree;
use crate::lists::service::ListKind;

/// Where the list lives (`/assets/…` serves the console's own files).
pub const PATH: &str = "/hardware-assets";

/// A column's heading.
pub struct Header {
    key: String,
    label: String,
    sort_link: Option<String>,
    mark: &'static str,
}

/// One row: the asset id and its cells.
pub struct Row {
    id: i64,
    cells: Vec<(String, String)>,
}

/// A column in the chooser.
pub struct ColumnChoice {
    key: String,
    label: String,
    shown: bool,
}

/// Entries of the choice lists and hierarchies a page offers, labelled in its language.
pub struct Lists {
    statuses: Vec<(i64, String)>,
    types: Vec<(i64, String)>,
    departments: Vec<(i64, String)>,
    locations: Vec<(i64, String)>,
    department_choices: Vec<(i64, String)>,
    location_choices: Vec<(i64, String)>,
}

impl Lists {
    async fn load(state: &AppState, user: &ConsoleUser) -> Result<Lists, AppError> {
        let all: Vec<Choice> = crate::assets::choices::store::all(&state.db).await?;
        let of = |kind: ChoiceKind| -> Vec<(i64, String)> {
            all.iter()
                .filter(|c| c.kind == kind)
                .map(|c| (c.id, c.label(user.lang.code()).to_string()))
                .collect()
        };
        let departments =
            crate::departments::service::list(&state.db, &user.actor, Tree::Departments).await?;
        let locations =
            crate::departments::service::list(&state.db, &user.actor, Tree::Locations).await?;
        Ok(Lists {
            statuses: of(ChoiceKind::HardwareStatus),
            types: of(ChoiceKind::DeviceType),
            departments: department_paths(&departments, user.lang, Entries::All),
            locations: department_paths(&locations, user.lang, Entries::All),
            department_choices: department_paths(&departments, user.lang, Entries::Current),
            location_choices: department_paths(&locations, user.lang, Entries::Current),
        })
    }

    fn name(list: &[(i64, String)], id: Option<i64>) -> String {
        id.and_then(|id| list.iter().find(|(e, _)| *e == id))
            .map_or_else(String::new, |(_, name)| name.clone())
    }
}

/// The asset list page.
#[derive(Template)]
#[template(path = "hardware_assets.html")]
pub struct AssetsPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    csrf: String,
    query: AssetQuery,
    lists: Lists,
    headers: Vec<Header>,
    rows: Vec<Row>,
    columns: Vec<ColumnChoice>,
    saved: Vec<SavedChoice>,
    list_name: &'static str,
    sort: String,
    order: String,
    limit: u32,
    page_sizes: [u32; 4],
    next: Option<String>,
    here: String,
    filter_string: String,
    total: i64,
    error: Option<String>,
    /// Conditions on the custom fields (`custom.<id>`).
    custom_filters: Vec<CustomInput>,
}

fn column_label(m: &'static Msgs, key: &str) -> &'static str {
    match key {
        "asset_number" => m.asset_number,
        "name" => m.asset_name,
        "type" => m.device_type,
        "status" => m.asset_status,
        "planned_status" => m.planned_status,
        "planned_on" => m.planned_on,
        "department" => m.department,
        "location" => m.location,
        "user_name" => m.user_name,
        "user_account" => m.user_account,
        "user_email" => m.user_email,
        "user_phone" => m.user_phone,
        "hostname" => m.hostname,
        "serial" => m.serial,
        "ip_address" => m.ip_address,
        "mac_address" => m.mac_address,
        "stocktaken_on" => m.stocktaken_on,
        "created_at" => m.registered_at,
        _ => m.unknown,
    }
}

fn cell(user: &ConsoleUser, lists: &Lists, asset: &HardwareAsset, key: &str) -> String {
    let m = user.m();
    match key {
        "asset_number" => asset.asset_number.clone(),
        "name" => asset.name.clone(),
        "type" => Lists::name(&lists.types, Some(asset.type_id)),
        "status" => Lists::name(&lists.statuses, Some(asset.status_id)),
        "planned_status" => Lists::name(&lists.statuses, asset.planned_status_id),
        "planned_on" => asset.planned_on.clone().unwrap_or_default(),
        "department" => path_or_unknown(&lists.departments, asset.department_id, m),
        "location" => path_or_unknown(&lists.locations, asset.location_id, m),
        "user_name" => asset.user_name.clone(),
        "user_account" => asset.user_account.clone(),
        "user_email" => asset.user_email.clone(),
        "user_phone" => asset.user_phone.clone(),
        "hostname" => asset.hostname.clone(),
        "serial" => asset.serial.clone(),
        "ip_address" => asset.ip_address.clone(),
        "mac_address" => asset.mac_address.clone(),
        "stocktaken_on" => asset.stocktaken_on.clone().unwrap_or_default(),
        "created_at" => user.time(asset.created_at),
        _ => String::new(),
    }
}

impl AssetsPage {
    fn url(&self, sort: &str, order: &str, cursor: Option<&str>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in self.query.filter_pairs() {
            query.append_pair(key, value);
        }
        query.append_pair("sort", sort);
        query.append_pair("order", order);
        query.append_pair("limit", &self.limit.to_string());
        if let Some(cursor) = cursor {
            query.append_pair("cursor", cursor);
        }
        format!("{PATH}?{}", query.finish())
    }

    fn sort_link(&self, column: &str) -> String {
        let order = if self.sort == column && self.order == "asc" {
            "desc"
        } else {
            "asc"
        };
        self.url(column, order, None)
    }

    /// The first page of this list.
    pub fn first_link(&self) -> String {
        self.url(&self.sort, &self.order, None)
    }

    /// The whole filtered list as CSV (the API's export, which the import reads back).
    pub fn csv_link(&self, encoding: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in self.query.filter_pairs() {
            query.append_pair(key, value);
        }
        query.append_pair("sort", &self.sort);
        query.append_pair("order", &self.order);
        query.append_pair("encoding", encoding);
        query.append_pair("lang", self.lang.code());
        format!("/api/v1/assets/export?{}", query.finish())
    }

    fn value<'a>(&self, field: &'a Option<String>) -> &'a str {
        field.as_deref().unwrap_or("")
    }
}

/// `GET /hardware-assets`.
pub async fn list(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(query): Query<AssetQuery>,
) -> Response {
    let m = user.m();
    let limit = query
        .limit()
        .ok()
        .flatten()
        .filter(|size| PAGE_SIZES.contains(size))
        .unwrap_or(250);
    let (sort, descending) = query.sort().unwrap_or((AssetSort::Id, false));
    let lists = match Lists::load(&state, &user).await {
        Ok(lists) => lists,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let columns =
        match crate::lists::service::columns(&state.db, &user.actor, ListKind::Assets).await {
            Ok(columns) => columns,
            Err(error) => return app_error_page(user.lang, &error),
        };
    let saved = match crate::console::pages::lists::offered(&state, &user, ListKind::Assets).await {
        Ok(saved) => saved,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let custom_fields =
        match crate::assets::fields::service::list(&state, &user.actor, "hardware").await {
            Ok(fields) => fields,
            Err(error) => return app_error_page(user.lang, &error),
        };
    let custom_shown =
        match crate::lists::service::custom_columns(&state.db, &user.actor, ListKind::Assets).await
        {
            Ok(ids) => ids,
            Err(error) => return app_error_page(user.lang, &error),
        };
    // The chosen custom columns, in the chosen order, with their options' paths.
    let shown_custom: Vec<(&CustomField, std::collections::HashMap<i64, String>)> = custom_shown
        .iter()
        .filter_map(|id| custom_fields.iter().find(|field| field.id == *id))
        .map(|field| {
            let paths = crate::console::custom_inputs::option_paths(field, user.lang)
                .into_iter()
                .collect();
            (field, paths)
        })
        .collect();
    let mut page = AssetsPage {
        lang: user.lang,
        m,
        nav: Some(Nav::new(&user, "assets")),
        csrf: user.session.csrf_token.clone(),
        filter_string: query.filter_string(),
        custom_filters: Vec::new(),
        query: query.clone(),
        lists,
        headers: Vec::new(),
        rows: Vec::new(),
        columns: crate::assets::hardware::model::LIST_COLUMNS
            .iter()
            .map(|key| ColumnChoice {
                key: (*key).to_string(),
                label: column_label(m, key).to_string(),
                shown: columns.contains(key),
            })
            .chain(custom_fields.iter().map(|field| ColumnChoice {
                key: format!("custom.{}", field.id),
                label: crate::console::custom_inputs::field_label(field, user.lang),
                shown: custom_shown.contains(&field.id),
            }))
            .collect(),
        saved,
        list_name: ListKind::Assets.as_str(),
        sort: sort.as_str().to_string(),
        order: if descending { "desc" } else { "asc" }.into(),
        limit,
        page_sizes: PAGE_SIZES,
        next: None,
        here: String::new(),
        total: 0,
        error: None,
    };
    page.custom_filters = match crate::console::custom_inputs::inputs(
        &state,
        &user,
        "hardware",
        &serde_json::Value::Null,
    )
    .await
    {
        Ok(inputs) => inputs
            .into_iter()
            .map(|mut input| {
                input.name = format!("custom.{}", input.key);
                input.value = query.custom.get(&input.name).cloned().unwrap_or_default();
                input
            })
            .collect(),
        Err(error) => return app_error_page(user.lang, &error),
    };
    page.here = page.first_link();
    page.headers = columns
        .iter()
        .map(|key| {
            let sort_key = match *key {
                "type" | "status" | "name" | "asset_number" | "hostname" | "serial"
                | "ip_address" | "user_name" | "department" | "location" | "created_at"
                | "stocktaken_on" | "planned_on" => Some(*key),
                _ => None,
            };
            Header {
                key: (*key).to_string(),
                label: column_label(m, key).to_string(),
                sort_link: sort_key.map(|k| page.sort_link(k)),
                mark: match (page.sort == *key, descending) {
                    (false, _) => "",
                    (true, false) => "sorted-asc",
                    (true, true) => "sorted-desc",
                },
            }
        })
        .collect();
    page.headers
        .extend(shown_custom.iter().map(|(field, _)| Header {
            key: format!("custom-{}", field.id),
            label: crate::console::custom_inputs::field_label(field, user.lang),
            sort_link: None,
            mark: "",
        }));
    let mut list_query = query.clone();
    list_query.limit = Some(limit.to_string());
    let result = match service::list(&state, &user.actor, &list_query).await {
        Ok(result) => result,
        Err(AppError::Invalid { message, .. }) => {
            page.error = Some(message);
            return (StatusCode::BAD_REQUEST, render(&page)).into_response();
        }
        Err(error) => return app_error_page(user.lang, &error),
    };
    page.total = match service::count(&state, &user.actor, &query).await {
        Ok(total) => total,
        Err(error) => return app_error_page(user.lang, &error),
    };
    page.rows = result
        .items
        .iter()
        .map(|asset| Row {
            id: asset.id,
            cells: columns
                .iter()
                .map(|key| ((*key).to_string(), cell(&user, &page.lists, asset, key)))
                .chain(shown_custom.iter().map(|(field, paths)| {
                    let key = field.id.to_string();
                    let text = match asset.custom.get(&key) {
                        Some(serde_json::Value::String(text)) => text.clone(),
                        Some(serde_json::Value::Number(id)) => id
                            .as_i64()
                            .and_then(|id| paths.get(&id).cloned())
                            .unwrap_or_default(),
                        _ => String::new(),
                    };
                    (format!("custom-{key}"), text)
                }))
                .collect(),
        })
        .collect();
    page.next = result
        .next_cursor
        .map(|cursor| page.url(&page.sort, &page.order, Some(&cursor)));
    render(&page)
}

fn day_or_none(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// `POST /hardware-assets/bulk`.
pub async fn bulk_submit(
    State(state): State<AppState>,
    origin: Origin,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let m = user.m();
    let back = local_return(form.get("back"), PATH);
    let ids: Vec<i64> = form.all("ids").filter_map(|id| id.parse().ok()).collect();
    let note = day_or_none(form.get("note"));
    let place = |value: &str| -> Result<Option<i64>, ()> {
        match value {
            "none" => Ok(None),
            id => id.parse().map(Some).map_err(|_| ()),
        }
    };
    let disposing = form.get("action") == "set_status"
        && form.get("status_id") == builtin::DISPOSED.to_string();
    if disposing && form.get("confirm_dispose") != "1" {
        return app_error_page(
            user.lang,
            &AppError::invalid("confirm_dispose", m.dispose_confirm_needed),
        );
    }
    let action = match form.get("action") {
        "set_status" => form
            .get("status_id")
            .parse()
            .ok()
            .map(|status_id| AssetBulkAction::SetStatus { status_id, note }),
        "set_planned" => Some(AssetBulkAction::SetPlanned {
            planned_status_id: form.get("planned_status_id").parse().ok(),
            planned_on: day_or_none(form.get("on")),
            note,
        }),
        "stocktake" => Some(AssetBulkAction::Stocktake {
            on: form.get("on").to_string(),
            note,
        }),
        "set_department" => place(form.get("department_id"))
            .ok()
            .map(|department_id| AssetBulkAction::SetDepartment { department_id }),
        "set_location" => place(form.get("location_id"))
            .ok()
            .map(|location_id| AssetBulkAction::SetLocation { location_id }),
        "delete" => Some(AssetBulkAction::Delete),
        _ => None,
    };
    let Some(action) = action else {
        return app_error_page(
            user.lang,
            &AppError::invalid("action", m.bulk_choose_action),
        );
    };
    let outcome = match bulk::apply(&state, &user.actor, &origin, &ids, &action).await {
        Ok(outcome) => outcome,
        Err(AppError::Invalid { field, message, .. }) => {
            let message = match field.as_deref() {
                Some("ids") if ids.is_empty() => m.bulk_choose_assets.to_string(),
                _ => message,
            };
            return app_error_page(user.lang, &AppError::invalid("form", message));
        }
        Err(error) => return app_error_page(user.lang, &error),
    };
    render(&BulkResultPage::new(&user, "assets", PATH, outcome, back))
}

/// The asset page.
#[derive(Template)]
#[template(path = "hardware_asset.html")]
pub struct AssetPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    csrf: String,
    /// None: the registration form.
    detail: Option<AssetDetail>,
    /// The values shown in the form (stored, or as typed when refused).
    form: AssetForm,
    /// The custom fields' inputs.
    custom: Vec<CustomInput>,
    lists: Lists,
    error: Option<String>,
    tz: jiff::tz::TimeZone,
}

/// The form's values as text.
#[derive(Debug, Clone, Default)]
pub struct AssetForm {
    asset_number: String,
    name: String,
    type_id: String,
    status_id: String,
    planned_status_id: String,
    planned_on: String,
    department_id: String,
    location_id: String,
    user_name: String,
    user_account: String,
    user_email: String,
    user_phone: String,
    stocktaken_on: String,
    hostname: String,
    serial: String,
    ip_address: String,
    mac_address: String,
    version: String,
    /// Disposal was chosen without its confirmation: the form asks for it.
    confirm_dispose: bool,
    /// Custom field values as sent (`custom_<id>`), shown again on a refusal.
    custom: Vec<(String, String)>,
}

impl AssetForm {
    fn of(asset: &HardwareAsset) -> AssetForm {
        let id = |v: Option<i64>| v.map_or_else(|| "none".to_string(), |v| v.to_string());
        AssetForm {
            asset_number: asset.asset_number.clone(),
            name: asset.name.clone(),
            type_id: asset.type_id.to_string(),
            status_id: asset.status_id.to_string(),
            planned_status_id: asset
                .planned_status_id
                .map(|v| v.to_string())
                .unwrap_or_default(),
            planned_on: asset.planned_on.clone().unwrap_or_default(),
            department_id: id(asset.department_id),
            location_id: id(asset.location_id),
            user_name: asset.user_name.clone(),
            user_account: asset.user_account.clone(),
            user_email: asset.user_email.clone(),
            user_phone: asset.user_phone.clone(),
            stocktaken_on: asset.stocktaken_on.clone().unwrap_or_default(),
            hostname: asset.hostname.clone(),
            serial: asset.serial.clone(),
            ip_address: asset.ip_address.clone(),
            mac_address: asset.mac_address.clone(),
            version: asset.version.to_string(),
            confirm_dispose: false,
            custom: Vec::new(),
        }
    }

    fn from_pairs(form: &FormPairs) -> AssetForm {
        let get = |k: &str| form.get(k).to_string();
        AssetForm {
            asset_number: get("asset_number"),
            name: get("name"),
            type_id: get("type_id"),
            status_id: get("status_id"),
            planned_status_id: get("planned_status_id"),
            planned_on: get("planned_on"),
            department_id: get("department_id"),
            location_id: get("location_id"),
            user_name: get("user_name"),
            user_account: get("user_account"),
            user_email: get("user_email"),
            user_phone: get("user_phone"),
            stocktaken_on: get("stocktaken_on"),
            hostname: get("hostname"),
            serial: get("serial"),
            ip_address: get("ip_address"),
            mac_address: get("mac_address"),
            version: get("version"),
            confirm_dispose: false,
            custom: form
                .0
                .iter()
                .filter(|(name, _)| name.starts_with("custom_"))
                .cloned()
                .collect(),
        }
    }

    /// The patch the form asks for.
    fn patch(&self, note: &str) -> AssetPatch {
        let place = |v: &str| match v {
            "none" | "" => None,
            id => id.parse().ok(),
        };
        AssetPatch {
            asset_number: Some(self.asset_number.clone()),
            name: Some(self.name.clone()),
            type_id: self.type_id.parse().ok(),
            status_id: self.status_id.parse().ok(),
            planned_status_id: Some(self.planned_status_id.parse().ok()),
            planned_on: Some(day_or_none(&self.planned_on)),
            department_id: Some(place(&self.department_id)),
            location_id: Some(place(&self.location_id)),
            user_name: Some(self.user_name.clone()),
            user_account: Some(self.user_account.clone()),
            user_email: Some(self.user_email.clone()),
            user_phone: Some(self.user_phone.clone()),
            stocktaken_on: Some(day_or_none(&self.stocktaken_on)),
            hostname: Some(self.hostname.clone()),
            serial: Some(self.serial.clone()),
            ip_address: Some(self.ip_address.clone()),
            mac_address: Some(self.mac_address.clone()),
            custom: None,
            note: Some(note.to_string()),
            version: self.version.parse().ok(),
        }
    }
}

impl AssetPage {
    fn time(&self, ms: &i64) -> String {
        crate::console::web::format_time(*ms, &self.tz)
    }

    fn status_name(&self, id: &i64) -> String {
        let id = *id;
        Lists::name(&self.lists.statuses, Some(id))
    }
}

async fn asset_page(
    state: &AppState,
    user: &ConsoleUser,
    id: Option<i64>,
    typed: Option<AssetForm>,
    error: Option<String>,
) -> Response {
    let lists = match Lists::load(state, user).await {
        Ok(lists) => lists,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let detail = match id {
        Some(id) => match service::get(state, &user.actor, id).await {
            Ok(detail) => Some(detail),
            Err(error) => return app_error_page(user.lang, &error),
        },
        None => None,
    };
    let form = match (typed, &detail) {
        (Some(typed), _) => typed,
        (None, Some(detail)) => AssetForm::of(&detail.asset),
        (None, None) => AssetForm {
            type_id: crate::assets::choices::builtin::PC.to_string(),
            status_id: crate::assets::choices::builtin::IN_STOCK.to_string(),
            department_id: "none".into(),
            location_id: "none".into(),
            ..AssetForm::default()
        },
    };
    let stored = detail
        .as_ref()
        .map_or(serde_json::Value::Null, |d| d.asset.custom.clone());
    let mut custom =
        match crate::console::custom_inputs::inputs(state, user, "hardware", &stored).await {
            Ok(custom) => custom,
            Err(error) => return app_error_page(user.lang, &error),
        };
    if !form.custom.is_empty() {
        crate::console::custom_inputs::keep_typed(&mut custom, &FormPairs(form.custom.clone()));
    }
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = AssetPage {
        lang: user.lang,
        m: user.m(),
        nav: Some(Nav::new(user, "assets")),
        csrf: user.session.csrf_token.clone(),
        detail,
        form,
        custom,
        lists,
        error,
        tz: user.tz.clone(),
    };
    (status, render(&page)).into_response()
}

/// `GET /hardware-assets/new`.
pub async fn new_form(State(state): State<AppState>, user: ConsoleUser) -> Response {
    asset_page(&state, &user, None, None, None).await
}

/// `GET /hardware-assets/{id}`.
pub async fn show(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
) -> Response {
    asset_page(&state, &user, Some(id), None, None).await
}

/// `POST /hardware-assets/new` and `POST /hardware-assets/{id}`: register or change.
pub async fn save(
    State(state): State<AppState>,
    origin: Origin,
    id: Option<Path<i64>>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let mut typed = AssetForm::from_pairs(&form);
    let mut patch = typed.patch(form.get("note"));
    let inputs = match crate::console::custom_inputs::inputs(
        &state,
        &user,
        "hardware",
        &serde_json::Value::Null,
    )
    .await
    {
        Ok(inputs) => inputs,
        Err(error) => return app_error_page(user.lang, &error),
    };
    patch.custom = match crate::console::custom_inputs::patch(&inputs, &form) {
        Ok(custom) => Some(custom),
        Err(error) => {
            let message = refusal(user.m(), &error, user.m().conflict);
            let id = id.map(|Path(id)| id);
            return asset_page(&state, &user, id, Some(typed), Some(message)).await;
        }
    };
    let id = id.map(|Path(id)| id);
    if let Some(id) = id {
        // Disposing deletes the asset's device records: it is confirmed first.
        if typed.status_id == builtin::DISPOSED.to_string() && form.get("confirm_dispose") != "1" {
            let disposed = match service::get(&state, &user.actor, id).await {
                Ok(detail) => detail.asset.status_id == builtin::DISPOSED,
                Err(error) => return app_error_page(user.lang, &error),
            };
            if !disposed {
                typed.confirm_dispose = true;
                let message = user.m().dispose_confirm_needed.to_string();
                return asset_page(&state, &user, Some(id), Some(typed), Some(message)).await;
            }
        }
    }
    let result = match id {
        None => service::create(&state, &user.actor, &origin, patch).await,
        Some(id) => service::update(&state, &user.actor, &origin, id, patch).await,
    };
    match result {
        Ok(asset) => Redirect::to(&format!("{PATH}/{}", asset.id)).into_response(),
        Err(error @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            let message = refusal(user.m(), &error, user.m().conflict);
            // A stale version shows the stored values with the conflict message.
            let typed = matches!(error, AppError::Invalid { .. }).then_some(typed);
            asset_page(&state, &user, id, typed, Some(message)).await
        }
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// `POST /hardware-assets/{id}/notes`.
pub async fn add_note(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    match service::add_note(&state, &user.actor, &origin, id, form.get("body")).await {
        Ok(_) => Redirect::to(&format!("{PATH}/{id}")).into_response(),
        Err(error @ AppError::Invalid { .. }) => {
            let message = refusal(user.m(), &error, user.m().conflict);
            asset_page(&state, &user, Some(id), None, Some(message)).await
        }
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// `POST /hardware-assets/{id}/devices`: link (`device_id`, `representative`) or unlink
/// (`unlink`) a device record.
pub async fn devices_submit(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let result = if let Ok(device) = form.get("unlink").parse::<i64>() {
        service::unlink_device(&state, &user.actor, &origin, (id, device)).await
    } else {
        match form.get("device_id").trim().parse::<i64>() {
            Ok(device) => {
                let representative = form.get("representative") == "1";
                service::link_device(&state, &user.actor, &origin, (id, device), representative)
                    .await
                    .map(|_| ())
            }
            Err(_) => Err(AppError::invalid("device_id", user.m().device_id_label)),
        }
    };
    after_change(&state, &user, id, result).await
}

/// `POST /hardware-assets/{id}/related`: relate (`other_id`) or unrelate (`remove`).
pub async fn related_submit(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let result = if let Ok(other) = form.get("remove").parse::<i64>() {
        service::relate(&state, &user.actor, &origin, (id, other), false).await
    } else {
        match form.get("other_id").trim().parse::<i64>() {
            Ok(other) => service::relate(&state, &user.actor, &origin, (id, other), true).await,
            Err(_) => Err(AppError::invalid("other_id", user.m().asset_id)),
        }
    };
    after_change(&state, &user, id, result).await
}

/// Back to the asset page, or the page with the reason when refused.
async fn after_change(
    state: &AppState,
    user: &ConsoleUser,
    id: i64,
    result: Result<(), AppError>,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("{PATH}/{id}")).into_response(),
        Err(error @ (AppError::Invalid { .. } | AppError::NotFound(_))) => {
            let message = match &error {
                AppError::NotFound(_) => user.m().not_found.to_string(),
                other => refusal(user.m(), other, user.m().conflict),
            };
            asset_page(state, user, Some(id), None, Some(message)).await
        }
        Err(error) => app_error_page(user.lang, &error),
    }
}
