//! User accounts (ユーザーアカウント) for holders of the user-account management privilege:
//! the list, add, edit (versioned), delete, password reset and unlock, through the same
//! service functions as `/api/v1/users`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::accounts::service::{self, AccountInput};
use crate::accounts::store::{self, UserRow};
use crate::app::AppState;
use crate::audit::model::Origin;
use crate::console::i18n::{Lang, Msgs};
use crate::console::pages::Nav;
use crate::console::web::{
    app_error_page, department_paths, refusal, render, ConsoleUser, Entries, FormPairs, PostedForm,
};
use crate::core::auth::Division;
use crate::core::error::AppError;

/// One account in the list.
pub struct Row {
    id: i64,
    login: String,
    name: String,
    email: String,
    privileges: String,
    divisions: String,
    scope: String,
    locked: bool,
    password_changed: String,
}

/// The account list.
#[derive(Template)]
#[template(path = "accounts.html")]
pub struct AccountsPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    rows: Vec<Row>,
}

/// The add / edit form.
#[derive(Template)]
#[template(path = "account_form.html")]
pub struct AccountForm {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    csrf: String,
    /// None when adding.
    id: Option<i64>,
    login: String,
    name: String,
    email: String,
    language: String,
    time_zone: String,
    system_admin: bool,
    account_admin: bool,
    divisions: Vec<(&'static str, &'static str, bool)>,
    all_departments: bool,
    departments: Vec<(i64, String, bool)>,
    version: i64,
    builtin: bool,
    locked: bool,
    error: Option<String>,
}

fn division_name(division: Division) -> &'static str {
    match division {
        Division::Security => "security",
        Division::Assets => "assets",
        Division::Devices => "devices",
        Division::Distribution => "distribution",
    }
}

fn division_label(m: &'static Msgs, division: Division) -> &'static str {
    match division {
        Division::Security => m.division_security,
        Division::Assets => m.division_assets,
        Division::Devices => m.division_devices,
        Division::Distribution => m.division_distribution,
    }
}

/// `GET /accounts`.
pub async fn list(State(state): State<AppState>, user: ConsoleUser) -> Response {
    if let Err(error) = user.actor.require_account_admin() {
        return app_error_page(user.lang, &error);
    }
    let m = user.m();
    let (users, policy, departments) = match tokio::try_join!(
        async { Ok::<_, AppError>(store::list_users(&state.db).await?) },
        async { Ok::<_, AppError>(store::get_policy(&state.db).await?) },
        async {
            Ok::<_, AppError>(
                crate::departments::store::list(
                    &state.db,
                    crate::departments::store::Tree::Departments,
                )
                .await?,
            )
        },
    ) {
        Ok(loaded) => loaded,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let paths = department_paths(&departments, user.lang, Entries::All);
    let now = crate::core::time::now_ms();
    let rows = users
        .into_iter()
        .map(|account| {
            let f = &account.fields;
            let mut privileges = Vec::new();
            if f.system_admin {
                privileges.push(m.privilege_system);
            }
            if f.account_admin {
                privileges.push(m.privilege_accounts);
            }
            let divisions: Vec<&str> = f
                .divisions
                .list()
                .into_iter()
                .map(|d| division_label(m, d))
                .collect();
            let scope = if f.all_departments {
                m.all_departments.to_string()
            } else {
                f.departments
                    .iter()
                    .filter_map(|id| paths.iter().find(|(d, _)| d == id))
                    .map(|(_, path)| path.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            Row {
                id: account.id,
                locked: policy.still_locked(account.locked_at, now),
                password_changed: user.time(account.password_changed_at),
                login: account.login,
                name: f.name.clone(),
                email: f.email.clone(),
                privileges: privileges.join(", "),
                divisions: divisions.join(", "),
                scope,
            }
        })
        .collect();
    render(&AccountsPage {
        lang: user.lang,
        m,
        nav: Some(Nav::new(&user, "settings")),
        rows,
    })
}

async fn form_page(
    state: &AppState,
    user: &ConsoleUser,
    account: Option<&UserRow>,
    input: Option<&AccountInput>,
    error: Option<String>,
) -> Response {
    let m = user.m();
    let departments = match crate::departments::store::list(
        &state.db,
        crate::departments::store::Tree::Departments,
    )
    .await
    {
        Ok(list) => department_paths(&list, user.lang, Entries::All),
        Err(error) => return app_error_page(user.lang, &error.into()),
    };
    let policy = match store::get_policy(&state.db).await {
        Ok(policy) => policy,
        Err(error) => return app_error_page(user.lang, &error.into()),
    };
    let fields = account.map(|a| a.fields.clone());
    let (login, name, email, language, time_zone, system_admin, account_admin) = match input {
        Some(i) => (
            i.login.clone().unwrap_or_default(),
            i.name.clone(),
            i.email.clone(),
            i.language.clone(),
            i.time_zone.clone(),
            i.system_admin,
            i.account_admin,
        ),
        None => match &fields {
            Some(f) => (
                account.map(|a| a.login.clone()).unwrap_or_default(),
                f.name.clone(),
                f.email.clone(),
                f.language.clone(),
                f.time_zone.clone(),
                f.system_admin,
                f.account_admin,
            ),
            None => (
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                "Asia/Tokyo".into(),
                false,
                false,
            ),
        },
    };
    let chosen_divisions: Vec<Division> = match (input, &fields) {
        (Some(i), _) => i.divisions.clone(),
        (None, Some(f)) => f.divisions.list(),
        (None, None) => Division::ALL.to_vec(),
    };
    let (all_departments, chosen_departments) = match (input, &fields) {
        (Some(i), _) => (i.all_departments, i.departments.clone()),
        (None, Some(f)) => (f.all_departments, f.departments.clone()),
        (None, None) => (true, Vec::new()),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = AccountForm {
        lang: user.lang,
        m,
        nav: Some(Nav::new(user, "settings")),
        csrf: user.session.csrf_token.clone(),
        id: account.map(|a| a.id),
        login: account.map_or(login, |a| a.login.clone()),
        name,
        email,
        language,
        time_zone,
        system_admin,
        account_admin,
        divisions: Division::ALL
            .into_iter()
            .map(|d| {
                (
                    division_name(d),
                    division_label(m, d),
                    chosen_divisions.contains(&d),
                )
            })
            .collect(),
        all_departments,
        departments: departments
            .into_iter()
            .map(|(id, path)| (id, path, chosen_departments.contains(&id)))
            .collect(),
        version: input
            .and_then(|i| i.version)
            .or(account.map(|a| a.version))
            .unwrap_or(0),
        builtin: account.is_some_and(|a| a.builtin),
        locked: account
            .is_some_and(|a| policy.still_locked(a.locked_at, crate::core::time::now_ms())),
        error,
    };
    (status, render(&page)).into_response()
}

/// `GET /accounts/new`.
pub async fn new(State(state): State<AppState>, user: ConsoleUser) -> Response {
    if let Err(error) = user.actor.require_account_admin() {
        return app_error_page(user.lang, &error);
    }
    form_page(&state, &user, None, None, None).await
}

/// `GET /accounts/{id}`.
pub async fn edit(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
) -> Response {
    if let Err(error) = user.actor.require_account_admin() {
        return app_error_page(user.lang, &error);
    }
    match service::get_user(&state.db, id).await {
        Ok(account) => form_page(&state, &user, Some(&account), None, None).await,
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// The account fields of a submitted form.
fn input_of(form: &FormPairs, creating: bool) -> AccountInput {
    let divisions = form
        .all("divisions")
        .filter_map(|name| serde_json::from_value(serde_json::Value::String(name.into())).ok())
        .collect();
    AccountInput {
        login: creating.then(|| form.get("login").to_string()),
        password: creating.then(|| form.get("password").to_string()),
        name: form.get("name").to_string(),
        email: form.get("email").to_string(),
        language: form.get("language").to_string(),
        time_zone: form.get("time_zone").to_string(),
        system_admin: form.get("system_admin") == "1",
        account_admin: form.get("account_admin") == "1",
        divisions,
        all_departments: form.get("all_departments") == "1",
        departments: form
            .all("departments")
            .filter_map(|id| id.parse().ok())
            .collect(),
        version: form.get("version").parse().ok(),
    }
}

/// `POST /accounts/new`.
pub async fn create(
    State(state): State<AppState>,
    origin: Origin,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let input = input_of(&form, true);
    match service::create_user(&state.db, &user.actor, &input, &origin).await {
        Ok(_) => Redirect::to("/accounts").into_response(),
        Err(error @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            let message = refusal(user.m(), &error, user.m().conflict);
            form_page(&state, &user, None, Some(&input), Some(message)).await
        }
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// `POST /accounts/{id}`: saves the form; a stale version shows the conflict.
pub async fn update(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let input = input_of(&form, false);
    match service::update_user(&state.db, &user.actor, id, &input, &origin).await {
        Ok(_) => Redirect::to("/accounts").into_response(),
        // Someone saved first: their values and version, so a save now is a decision made
        // on what is stored, never a blind overwrite.
        Err(AppError::Conflict(_)) => match service::get_user(&state.db, id).await {
            Ok(account) => {
                let message = user.m().conflict_reloaded.to_string();
                form_page(&state, &user, Some(&account), None, Some(message)).await
            }
            Err(error) => app_error_page(user.lang, &error),
        },
        Err(error @ (AppError::Invalid { .. } | AppError::Forbidden { .. })) => {
            let message = refusal(user.m(), &error, user.m().conflict);
            match service::get_user(&state.db, id).await {
                Ok(account) => {
                    form_page(&state, &user, Some(&account), Some(&input), Some(message)).await
                }
                Err(error) => app_error_page(user.lang, &error),
            }
        }
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// `POST /accounts/{id}/delete`, `/unlock` and `/password`: the account's actions.
pub async fn action(
    State(state): State<AppState>,
    origin: Origin,
    Path((id, action)): Path<(i64, String)>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let result = match action.as_str() {
        "delete" => service::delete_user(&state.db, &user.actor, id, &origin).await,
        "unlock" => service::unlock(&state.db, &user.actor, id, &origin)
            .await
            .map(|_| ()),
        "password" => {
            service::reset_password(&state.db, &user.actor, id, form.get("password"), &origin).await
        }
        _ => Err(AppError::NotFound("action")),
    };
    match result {
        Ok(()) => Redirect::to("/accounts").into_response(),
        Err(error @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            let message = refusal(user.m(), &error, user.m().conflict);
            match service::get_user(&state.db, id).await {
                Ok(account) => form_page(&state, &user, Some(&account), None, Some(message)).await,
                Err(error) => app_error_page(user.lang, &error),
            }
        }
        Err(error) => app_error_page(user.lang, &error),
    }
}
