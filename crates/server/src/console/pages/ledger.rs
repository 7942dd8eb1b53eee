//! The licence and contract screens: the reconciliation of every managed software (ライセンス
//! 状況) with a page per product (figures by department, installed and assigned computers
//! with the seeds' "only unassigned" / "only without install" switches), the licence list,
//! and the contract list with the "expiring within three months" view.

use askama::Template;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::app::AppState;
use crate::assets::contracts::service::ContractQuery;
use crate::assets::contracts::store::Contract;
use crate::assets::licences::managed_store::DeviceView;
use crate::assets::licences::model::{DepartmentShare, Licence, LicensedDevice};
use crate::assets::licences::service::{self, LicenceQuery, ManagedWithFigures};
use crate::console::i18n::{Lang, Msgs};
use crate::console::pages::Nav;
use crate::console::web::{
    app_error_page, department_paths, path_or_unknown, render, ConsoleUser, Entries,
};
use crate::core::error::AppError;
use crate::core::paging::Page;
use crate::departments::store::Tree;

/// The licence status screen.
#[derive(Template)]
#[template(path = "licences.html")]
pub struct LicencesPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    managed: Vec<ManagedWithFigures>,
    pending: i64,
    licences: Vec<(Licence, String, String)>,
    /// The licence list's conditions as sent.
    query: LicenceQuery,
    statuses: Vec<(String, String)>,
    departments: Vec<(String, String)>,
    /// The conditions as a query string (no cursor), for the next page and the CSV links.
    filter_string: String,
    next: Option<String>,
    error: Option<String>,
}

impl LicencesPage {
    fn value<'a>(&self, field: &'a Option<String>) -> &'a str {
        field.as_deref().unwrap_or("")
    }
}

/// Licences a page of the list shows.
const LICENCE_PAGE: &str = "200";

/// The query string without its cursor.
fn without_cursor(raw: Option<&str>) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .filter(|(key, value)| key != "cursor" && !value.is_empty()),
        )
        .finish()
}

/// `GET /licences`: the reconciliation of every product, then the licence list with its
/// conditions (product, status, department, number, name) and pages.
pub async fn licences(
    State(state): State<AppState>,
    user: ConsoleUser,
    RawQuery(raw): RawQuery,
) -> Response {
    let mut query: LicenceQuery = match serde_urlencoded::from_str(raw.as_deref().unwrap_or("")) {
        Ok(query) => query,
        Err(error) => {
            return app_error_page(user.lang, &AppError::invalid("query", error.to_string()))
        }
    };
    let (managed, pending) = match service::list_managed(&state, &user.actor, false).await {
        Ok(list) => list,
        Err(error) => return app_error_page(user.lang, &error),
    };
    query.limit = Some(LICENCE_PAGE.into());
    let (page, error) = match service::list(&state, &user.actor, &query).await {
        Ok(page) => (page, None),
        Err(AppError::Invalid { message, .. }) => (
            Page {
                items: Vec::new(),
                next_cursor: None,
            },
            Some(message),
        ),
        Err(error) => return app_error_page(user.lang, &error),
    };
    let departments =
        match crate::departments::service::list(&state.db, &user.actor, Tree::Departments).await {
            Ok(list) => department_paths(&list, user.lang, Entries::All),
            Err(error) => return app_error_page(user.lang, &error),
        };
    let statuses = match crate::console::pages::licence_edit::choice_options(
        &state,
        &user,
        crate::assets::choices::ChoiceKind::LicenceStatus,
        None,
    )
    .await
    {
        Ok(options) => options,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let names: std::collections::HashMap<i64, String> = managed
        .iter()
        .map(|m| (m.managed.id, m.managed.name.clone()))
        .collect();
    let m = user.m();
    let licences = page
        .items
        .into_iter()
        .map(|l| {
            let product = l
                .managed_id
                .and_then(|id| names.get(&id).cloned())
                .unwrap_or_default();
            let department = path_or_unknown(&departments, l.department_id, m);
            (l, product, department)
        })
        .collect();
    let filter_string = without_cursor(raw.as_deref());
    let next = page.next_cursor.map(|cursor: String| {
        let mut link = form_urlencoded::Serializer::new(filter_string.clone());
        link.append_pair("cursor", &cursor);
        format!("/licences?{}", link.finish())
    });
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let rendered = render(&LicencesPage {
        lang: user.lang,
        m,
        nav: Some(Nav::new(&user, "licences")),
        managed,
        pending,
        licences,
        query,
        statuses,
        departments: departments
            .into_iter()
            .map(|(id, path)| (id.to_string(), path))
            .collect(),
        filter_string,
        next,
        error,
    });
    (status, rendered).into_response()
}

/// The page of one managed software.
#[derive(Template)]
#[template(path = "managed_software.html")]
pub struct ManagedPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    managed: ManagedWithFigures,
    shares: Vec<(String, DepartmentShare)>,
    view: &'static str,
    only: bool,
    devices: Vec<(LicensedDevice, String)>,
    next: Option<String>,
}

/// Query of a managed software's page.
#[derive(Debug, Default, Deserialize)]
pub struct ManagedQuery {
    view: Option<String>,
    only: Option<String>,
    cursor: Option<String>,
}

/// `GET /licences/managed/{id}`.
pub async fn managed(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    Query(query): Query<ManagedQuery>,
) -> Response {
    let m = user.m();
    let (managed, shares) = match service::get_managed(&state, &user.actor, id).await {
        Ok(found) => found,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let only = query.only.as_deref() == Some("1");
    let (view, device_view) = match query.view.as_deref() {
        Some("assigned") => ("assigned", DeviceView::Assigned(only)),
        _ => ("installed", DeviceView::Installed(only)),
    };
    let cursor = query.cursor.as_deref().filter(|c| !c.is_empty());
    let page =
        match service::managed_devices(&state, &user.actor, id, device_view, (cursor, Some(250)))
            .await
        {
            Ok(page) => page,
            Err(error) => return app_error_page(user.lang, &error),
        };
    let departments =
        match crate::departments::service::list(&state.db, &user.actor, Tree::Departments).await {
            Ok(list) => department_paths(&list, user.lang, Entries::All),
            Err(error) => return app_error_page(user.lang, &error),
        };
    let only_flag = if only { "1" } else { "" };
    render(&ManagedPage {
        lang: user.lang,
        m,
        nav: Some(Nav::new(&user, "licences")),
        shares: shares
            .into_iter()
            .map(|s| (path_or_unknown(&departments, s.department_id, m), s))
            .collect(),
        devices: page
            .items
            .into_iter()
            .map(|d| {
                let department = path_or_unknown(&departments, d.department_id, m);
                (d, department)
            })
            .collect(),
        next: page
            .next_cursor
            .map(|c| format!("/licences/managed/{id}?view={view}&only={only_flag}&cursor={c}")),
        managed,
        view,
        only,
    })
}

/// The contract list.
#[derive(Template)]
#[template(path = "contracts.html")]
pub struct ContractsPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    expiring: bool,
    contracts: Vec<(Contract, String, String, String)>,
    next: Option<String>,
    /// The conditions as sent.
    query: ContractQuery,
    statuses: Vec<(String, String)>,
    types: Vec<(String, String)>,
    vendors: Vec<(String, String)>,
    /// The conditions as a query string (no cursor).
    filter_string: String,
}

impl ContractsPage {
    fn value<'a>(&self, field: &'a Option<String>) -> &'a str {
        field.as_deref().unwrap_or("")
    }
}

/// `GET /contracts`.
pub async fn contracts(
    State(state): State<AppState>,
    user: ConsoleUser,
    RawQuery(raw): RawQuery,
) -> Response {
    let m = user.m();
    let query: ContractQuery = match serde_urlencoded::from_str(raw.as_deref().unwrap_or("")) {
        Ok(query) => query,
        Err(error) => {
            return app_error_page(user.lang, &AppError::invalid("query", error.to_string()))
        }
    };
    let expiring = query.expiring.as_deref() == Some("yes");
    let page = match crate::assets::contracts::service::list(&state, &user.actor, &query).await {
        Ok(page) => page,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let vendors = match crate::assets::contracts::service::vendors(&state, &user.actor).await {
        Ok(vendors) => vendors,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let statuses = match crate::assets::choices::store::all(&state.db).await {
        Ok(all) => all,
        Err(error) => return app_error_page(user.lang, &error.into()),
    };
    let label = |id: i64| {
        statuses
            .iter()
            .find(|c| c.id == id)
            .map_or_else(String::new, |c| c.label(user.lang.code()).to_string())
    };
    let options = |kind: crate::assets::choices::ChoiceKind| -> Vec<(String, String)> {
        statuses
            .iter()
            .filter(|c| c.kind == kind)
            .map(|c| (c.id.to_string(), c.label(user.lang.code()).to_string()))
            .collect()
    };
    let contracts = page
        .items
        .into_iter()
        .map(|c| {
            let vendor = c
                .vendor_id
                .and_then(|v| vendors.iter().find(|x| x.id == v))
                .map_or_else(String::new, |v| v.name.clone());
            let (status, kind) = (label(c.status_id), label(c.type_id));
            (c, status, kind, vendor)
        })
        .collect();
    let filter_string = without_cursor(raw.as_deref());
    let next = page.next_cursor.map(|cursor: String| {
        let mut link = form_urlencoded::Serializer::new(filter_string.clone());
        link.append_pair("cursor", &cursor);
        format!("/contracts?{}", link.finish())
    });
    render(&ContractsPage {
        lang: user.lang,
        m,
        nav: Some(Nav::new(&user, "contracts")),
        expiring,
        contracts,
        next,
        statuses: options(crate::assets::choices::ChoiceKind::ContractStatus),
        types: options(crate::assets::choices::ChoiceKind::ContractType),
        vendors: vendors
            .iter()
            .map(|v| (v.id.to_string(), v.name.clone()))
            .collect(),
        query,
        filter_string,
    })
}
