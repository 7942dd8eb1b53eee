//! The account's own page (個人設定): name, e-mail, language and time zone, a link to the
//! password change, and the account's API tokens (created, shown once, revoked).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::accounts::service::{self, ProfileInput};
use crate::app::AppState;
use crate::audit::model::Origin;
use crate::console::i18n::{Lang, Msgs};
use crate::console::pages::Nav;
use crate::console::web::{app_error_page, refusal, render, ConsoleUser, PostedForm};
use crate::core::error::AppError;

/// A token as listed: id, name, created, expires, revoked.
pub struct TokenRow {
    id: i64,
    name: String,
    created: String,
    expires: String,
    revoked: String,
}

/// The profile page.
#[derive(Template)]
#[template(path = "profile.html")]
pub struct ProfilePage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    csrf: String,
    login: String,
    name: String,
    email: String,
    language: String,
    time_zone: String,
    version: i64,
    tokens: Vec<TokenRow>,
    /// A token just created: (name, secret), shown this once.
    created: Option<(String, String)>,
    error: Option<String>,
    saved: bool,
}

async fn page(
    state: &AppState,
    user: &ConsoleUser,
    input: Option<&ProfileInput>,
    created: Option<(String, String)>,
    error: Option<String>,
    saved: bool,
) -> Response {
    let account = match service::get_user(&state.db, user.actor.user_id).await {
        Ok(account) => account,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let tokens = match crate::accounts::store::list_tokens(&state.db, user.actor.user_id).await {
        Ok(tokens) => tokens,
        Err(error) => return app_error_page(user.lang, &error.into()),
    };
    let f = &account.fields;
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    // After a language change the page already speaks the new language.
    let lang = if saved {
        Lang::pick(Some(&f.language), Some(user.browser_lang.code()))
    } else {
        user.lang
    };
    let view = ProfilePage {
        lang,
        m: lang.msgs(),
        nav: Some(Nav::new(user, "profile")),
        csrf: user.session.csrf_token.clone(),
        login: account.login.clone(),
        name: input.map_or_else(|| f.name.clone(), |i| i.name.clone()),
        email: input.map_or_else(|| f.email.clone(), |i| i.email.clone()),
        language: input.map_or_else(|| f.language.clone(), |i| i.language.clone()),
        time_zone: input.map_or_else(|| f.time_zone.clone(), |i| i.time_zone.clone()),
        version: account.version,
        tokens: tokens
            .into_iter()
            .map(|t| TokenRow {
                id: t.id,
                name: t.name,
                created: user.time(t.created_at),
                expires: t.expires_at.map(|at| user.time(at)).unwrap_or_default(),
                revoked: t.revoked_at.map(|at| user.time(at)).unwrap_or_default(),
            })
            .collect(),
        created,
        error,
        saved,
    };
    (status, render(&view)).into_response()
}

/// `GET /profile`.
pub async fn show(State(state): State<AppState>, user: ConsoleUser) -> Response {
    page(&state, &user, None, None, None, false).await
}

/// `POST /profile`.
pub async fn save(
    State(state): State<AppState>,
    origin: Origin,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let input = ProfileInput {
        name: form.get("name").to_string(),
        email: form.get("email").to_string(),
        language: form.get("language").to_string(),
        time_zone: form.get("time_zone").to_string(),
        version: form.get("version").parse().unwrap_or(0),
    };
    match service::update_own_profile(&state.db, &user.actor, &input, &origin).await {
        Ok(_) => page(&state, &user, None, None, None, true).await,
        Err(AppError::Conflict(_)) => {
            let text = user.m().conflict_reloaded.to_string();
            page(&state, &user, None, None, Some(text), false).await
        }
        Err(error @ AppError::Invalid { .. }) => {
            let text = refusal(user.m(), &error, user.m().conflict);
            page(&state, &user, Some(&input), None, Some(text), false).await
        }
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// `POST /profile/tokens`: creates an API token and shows it once.
pub async fn create_token(
    State(state): State<AppState>,
    origin: Origin,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let name = form.get("name").trim().to_string();
    let days = form.get("expires_in_days").trim();
    let expires = if days.is_empty() {
        Ok(None)
    } else {
        days.parse::<u32>()
            .map(Some)
            .map_err(|_| AppError::invalid("expires_in_days", user.m().whole_number))
    };
    let result = match expires {
        Ok(expires) => {
            service::create_own_token(&state.db, &user.actor, &name, expires, &origin).await
        }
        Err(error) => Err(error),
    };
    match result {
        Ok((_, secret)) => page(&state, &user, None, Some((name, secret)), None, false).await,
        Err(error @ AppError::Invalid { .. }) => {
            let text = refusal(user.m(), &error, user.m().conflict);
            page(&state, &user, None, None, Some(text), false).await
        }
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// `POST /profile/tokens/{id}/revoke`.
pub async fn revoke_token(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
    PostedForm { user, .. }: PostedForm,
) -> Response {
    match service::revoke_own_token(&state.db, &user.actor, id, &origin).await {
        Ok(()) => Redirect::to("/profile").into_response(),
        Err(error) => app_error_page(user.lang, &error),
    }
}
