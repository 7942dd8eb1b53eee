//! Settings (設定): the hub, departments (部署) and the account policy, for system
//! administrators (accounts for user-account administrators), through the same services as
//! the REST API.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::accounts::policy::AccountPolicy;
use crate::app::AppState;
use crate::audit::model::Origin;
use crate::console::i18n::{Lang, Msgs};
use crate::console::pages::Nav;
use crate::console::web::{
    app_error_page, department_paths, refusal, render, ConsoleUser, Entries, FormPairs, PostedForm,
};
use crate::core::error::AppError;
use crate::departments::api::TreeRoute;
use crate::departments::store::Tree;

/// The settings hub.
#[derive(Template)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    system_admin: bool,
    account_admin: bool,
}

/// `GET /settings`.
pub async fn hub(user: ConsoleUser) -> Response {
    if !user.actor.system_admin && !user.actor.account_admin {
        return app_error_page(
            user.lang,
            &AppError::Forbidden {
                code: "privilege_required",
                message: String::new(),
            },
        );
    }
    render(&SettingsPage {
        lang: user.lang,
        m: user.m(),
        nav: Some(Nav::new(&user, "settings")),
        system_admin: user.actor.system_admin,
        account_admin: user.actor.account_admin,
    })
}

/// One department as listed: its path and description in the page language, and what its
/// edit form holds.
pub struct DepartmentRow {
    id: i64,
    path: String,
    shown_description: String,
    parent_id: Option<i64>,
    name: String,
    name_en: String,
    description: String,
    description_en: String,
    retired: bool,
    version: i64,
}

/// The departments or locations page.
#[derive(Template)]
#[template(path = "departments.html")]
pub struct DepartmentsPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    csrf: String,
    rows: Vec<DepartmentRow>,
    error: Option<String>,
    /// What was done (after pruning).
    notice: Option<String>,
    /// `/departments` or `/locations`.
    base: &'static str,
    /// The page's title, the column's and the add button's words.
    title: &'static str,
    one: &'static str,
    add: &'static str,
}

/// Where a hierarchy's console page lives and what it is called.
fn tree_page(
    tree: Tree,
    m: &'static Msgs,
) -> (&'static str, &'static str, &'static str, &'static str) {
    match tree {
        Tree::Departments => (
            "/departments",
            m.departments,
            m.department,
            m.add_department,
        ),
        Tree::Locations => ("/locations", m.locations, m.location, m.add_location),
    }
}

/// What the page shows besides the list.
#[derive(Default)]
struct PageState {
    error: Option<String>,
    notice: Option<String>,
}

async fn departments_page(
    state: &AppState,
    user: &ConsoleUser,
    tree: Tree,
    shown: PageState,
) -> Response {
    if let Err(error) = user.actor.require_system_admin() {
        return app_error_page(user.lang, &error);
    }
    let list = match crate::departments::store::list(&state.db, tree).await {
        Ok(list) => list,
        Err(error) => return app_error_page(user.lang, &error.into()),
    };
    let paths = department_paths(&list, user.lang, Entries::All);
    let rows = paths
        .into_iter()
        .filter_map(|(id, path)| {
            list.iter().find(|d| d.id == id).map(|d| DepartmentRow {
                id,
                path,
                shown_description: match user.lang {
                    Lang::Ja => d.description.clone(),
                    Lang::En => d.english_description().to_string(),
                },
                parent_id: d.parent_id,
                name: d.name.clone(),
                name_en: d.name_en.clone(),
                description: d.description.clone(),
                description_en: d.description_en.clone(),
                retired: d.retired,
                version: d.version,
            })
        })
        .collect();
    let status = if shown.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let (base, title, one, add) = tree_page(tree, user.m());
    let page = DepartmentsPage {
        lang: user.lang,
        m: user.m(),
        nav: Some(Nav::new(user, "settings")),
        csrf: user.session.csrf_token.clone(),
        rows,
        error: shown.error,
        notice: shown.notice,
        base,
        title,
        one,
        add,
    };
    (status, render(&page)).into_response()
}

/// `GET /departments`, `GET /locations`.
pub async fn departments<T: TreeRoute>(
    State(state): State<AppState>,
    user: ConsoleUser,
) -> Response {
    departments_page(&state, &user, T::TREE, PageState::default()).await
}

fn parent_of(form: &FormPairs) -> Option<i64> {
    form.get("parent_id").parse().ok()
}

/// A field the form sent, or `None` when an older form did not have it.
fn sent(form: &FormPairs, name: &str) -> Option<String> {
    form.all(name).last().map(str::to_string)
}

/// `POST /departments`, `POST /locations`: adds an entry.
pub async fn add_department<T: TreeRoute>(
    State(state): State<AppState>,
    user: ConsoleUser,
    origin: Origin,
    body: axum::body::Bytes,
) -> Response {
    let form = FormPairs::parse(&body);
    if let Some(page) = user.csrf_refusal(form.get("csrf")) {
        return page;
    }
    let entry = crate::departments::service::NewEntry {
        parent_id: parent_of(&form),
        name: form.get("name"),
        name_en: form.get("name_en"),
        description: form.get("description"),
        description_en: form.get("description_en"),
        retired: false,
    };
    let result =
        crate::departments::service::create(&state.db, &user.actor, T::TREE, &entry, &origin).await;
    department_result(
        &state,
        &user,
        T::TREE,
        result.map(|_| ()),
        user.m().conflict,
    )
    .await
}

/// `POST /departments/{id}` (rename, move, describe, retire) and `/departments/{id}/delete`;
/// the same under `/locations`.
pub async fn change_department<T: TreeRoute>(
    State(state): State<AppState>,
    user: ConsoleUser,
    origin: Origin,
    Path(path): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let form = FormPairs::parse(&body);
    if let Some(page) = user.csrf_refusal(form.get("csrf")) {
        return page;
    }
    let (id, delete) = match path.strip_suffix("/delete") {
        Some(id) => (id.parse::<i64>().ok(), true),
        None => (path.parse::<i64>().ok(), false),
    };
    let Some(id) = id else {
        return app_error_page(user.lang, &AppError::NotFound("department"));
    };
    let m = user.m();
    if delete {
        let result =
            crate::departments::service::delete(&state.db, &user.actor, T::TREE, id, &origin).await;
        return department_result(&state, &user, T::TREE, result, m.department_has_children).await;
    }
    let edit = crate::departments::service::Edit {
        parent_id: Some(parent_of(&form)),
        name: Some(form.get("name").to_string()),
        name_en: sent(&form, "name_en"),
        description: sent(&form, "description"),
        description_en: sent(&form, "description_en"),
        // The form sends a hidden "0" before the checkbox; the last value wins.
        retired: sent(&form, "retired").map(|value| value == "1"),
        version: form.get("version").parse().unwrap_or(0),
    };
    let result =
        crate::departments::service::update(&state.db, &user.actor, T::TREE, id, &edit, &origin)
            .await;
    department_result(&state, &user, T::TREE, result.map(|_| ()), m.conflict).await
}

async fn department_result(
    state: &AppState,
    user: &ConsoleUser,
    tree: Tree,
    result: Result<(), AppError>,
    conflict: &'static str,
) -> Response {
    match result {
        Ok(()) => Redirect::to(tree_page(tree, user.m()).0).into_response(),
        Err(error @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            let message = refusal(user.m(), &error, conflict);
            let shown = PageState {
                error: Some(message),
                notice: None,
            };
            departments_page(state, user, tree, shown).await
        }
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// One entry on the pruning confirmation: its path in the page language and who uses it.
pub struct PruneRow {
    path: String,
    records: i64,
    scopes: i64,
}

/// The confirmation step of "delete hierarchies used only by the old organisation".
#[derive(Template)]
#[template(path = "departments_prune.html")]
pub struct PrunePage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    csrf: String,
    base: &'static str,
    title: &'static str,
    deleted: Vec<PruneRow>,
    kept: Vec<PruneRow>,
    /// Departments have account scopes; locations do not.
    scopes: bool,
}

fn prune_rows(
    entries: &[crate::departments::service::PrunedEntry],
    paths: &[(i64, String)],
) -> Vec<PruneRow> {
    entries
        .iter()
        .map(|entry| PruneRow {
            path: paths
                .iter()
                .find(|(id, _)| *id == entry.id)
                .map_or_else(|| entry.path.clone(), |(_, path)| path.clone()),
            records: entry.records,
            scopes: entry.scopes,
        })
        .collect()
}

/// `GET /departments/prune-retired`: what pruning would delete and keep, with the button
/// that does it.
pub async fn prune_confirm<T: TreeRoute>(
    State(state): State<AppState>,
    user: ConsoleUser,
) -> Response {
    let loaded = tokio::try_join!(
        crate::departments::service::prune_preview(&state.db, &user.actor, T::TREE),
        async { Ok::<_, AppError>(crate::departments::store::list(&state.db, T::TREE).await?) },
    );
    let (outcome, list) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let paths = department_paths(&list, user.lang, Entries::All);
    let (base, title, _, _) = tree_page(T::TREE, user.m());
    render(&PrunePage {
        lang: user.lang,
        m: user.m(),
        nav: Some(Nav::new(&user, "settings")),
        csrf: user.session.csrf_token.clone(),
        base,
        title,
        deleted: prune_rows(&outcome.deleted, &paths),
        kept: prune_rows(&outcome.kept, &paths),
        scopes: T::TREE == Tree::Departments,
    })
}

/// `POST /departments/prune-retired`: deletes the retired entries, then shows the page with
/// how many went.
pub async fn prune<T: TreeRoute>(
    State(state): State<AppState>,
    user: ConsoleUser,
    origin: Origin,
    body: axum::body::Bytes,
) -> Response {
    let form = FormPairs::parse(&body);
    if let Some(page) = user.csrf_refusal(form.get("csrf")) {
        return page;
    }
    match crate::departments::service::prune_retired(&state.db, &user.actor, T::TREE, &origin).await
    {
        Ok(outcome) => {
            let shown = PageState {
                error: None,
                notice: Some(format!(
                    "{}: {}",
                    user.m().prune_done,
                    outcome.deleted.len()
                )),
            };
            departments_page(&state, &user, T::TREE, shown).await
        }
        Err(error) => {
            department_result(&state, &user, T::TREE, Err(error), user.m().conflict).await
        }
    }
}

/// The account policy page.
#[derive(Template)]
#[template(path = "policy.html")]
pub struct PolicyPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    csrf: String,
    policy: AccountPolicy,
    error: Option<String>,
    saved: bool,
}

/// `GET /settings/policy`.
pub async fn policy(State(state): State<AppState>, user: ConsoleUser) -> Response {
    if let Err(error) = user.actor.require_system_admin() {
        return app_error_page(user.lang, &error);
    }
    match crate::accounts::service::policy(&state.db).await {
        Ok(policy) => render(&PolicyPage {
            lang: user.lang,
            m: user.m(),
            nav: Some(Nav::new(&user, "settings")),
            csrf: user.session.csrf_token.clone(),
            policy,
            error: None,
            saved: false,
        }),
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// `POST /settings/policy`.
pub async fn save_policy(
    State(state): State<AppState>,
    origin: Origin,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let number = |name: &str| form.get(name).trim().parse::<u32>();
    let parsed = (|| {
        Ok::<_, String>(AccountPolicy {
            min_length: number("min_length").map_err(|_| "min_length".to_string())?,
            classes_required: number("classes_required")
                .map_err(|_| "classes_required".to_string())?,
            expiry_days: number("expiry_days").map_err(|_| "expiry_days".to_string())?,
            warn_days: number("warn_days").map_err(|_| "warn_days".to_string())?,
            history_count: number("history_count").map_err(|_| "history_count".to_string())?,
            lockout_threshold: number("lockout_threshold")
                .map_err(|_| "lockout_threshold".to_string())?,
            lockout_minutes: number("lockout_minutes")
                .map_err(|_| "lockout_minutes".to_string())?,
            idle_minutes: number("idle_minutes").map_err(|_| "idle_minutes".to_string())?,
            version: form.get("version").parse().unwrap_or(0),
        })
    })();
    let m = user.m();
    let result = match parsed {
        Ok(policy) => {
            crate::accounts::service::update_policy(&state.db, &user.actor, &policy, &origin)
                .await
                .map_err(|error| (error, policy))
        }
        Err(field) => {
            let error = AppError::invalid(field.clone(), format!("{field}: {}", m.whole_number));
            let current = crate::accounts::service::policy(&state.db)
                .await
                .unwrap_or_default();
            Err((error, current))
        }
    };
    let (status, policy, error, saved) = match result {
        Ok(policy) => (StatusCode::OK, policy, None, true),
        Err((AppError::Conflict(_), _)) => {
            let current = match crate::accounts::service::policy(&state.db).await {
                Ok(current) => current,
                Err(error) => return app_error_page(user.lang, &error),
            };
            let message = m.conflict_reloaded.to_string();
            (StatusCode::CONFLICT, current, Some(message), false)
        }
        Err((error @ AppError::Invalid { .. }, policy)) => {
            let message = refusal(m, &error, m.conflict);
            (StatusCode::BAD_REQUEST, policy, Some(message), false)
        }
        Err((error, _)) => return app_error_page(user.lang, &error),
    };
    let page = PolicyPage {
        lang: user.lang,
        m,
        nav: Some(Nav::new(&user, "settings")),
        csrf: user.session.csrf_token.clone(),
        policy,
        error,
        saved,
    };
    (status, render(&page)).into_response()
}
