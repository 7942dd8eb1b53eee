//! Changing one's password: forced at first login, after a reset and after expiry.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use crate::accounts::service;
use crate::app::AppState;
use crate::audit::model::Origin;
use crate::console::i18n::{Lang, Msgs};
use crate::console::pages::Nav;
use crate::console::web::{app_error_page, render, ConsoleUser};
use crate::core::error::AppError;

/// The password page.
#[derive(Template)]
#[template(path = "password.html")]
pub struct PasswordPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    csrf: String,
    forced: bool,
    /// When the password expires, if that is within the policy's warning days.
    expires_soon: Option<String>,
    error: Option<String>,
    min_length: u32,
    classes_required: u32,
}

async fn page(
    state: &AppState,
    user: &ConsoleUser,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let policy = match service::policy(&state.db).await {
        Ok(policy) => policy,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let forced = user.session.must_change_password;
    let expires_soon = match policy.expiry(
        user.session.user.password_changed_at,
        crate::core::time::now_ms(),
    ) {
        crate::accounts::policy::Expiry::Soon { expires_at } => Some(user.time(expires_at)),
        _ => None,
    };
    let page = PasswordPage {
        lang: user.lang,
        m: user.m(),
        // A forced change shows no menu: nothing else is reachable.
        nav: (!forced).then(|| Nav::new(user, "password")),
        csrf: user.session.csrf_token.clone(),
        forced,
        expires_soon,
        error,
        min_length: policy.min_length,
        classes_required: policy.classes_required,
    };
    (status, render(&page)).into_response()
}

/// `GET /password`.
pub async fn show(State(state): State<AppState>, user: ConsoleUser) -> Response {
    page(&state, &user, StatusCode::OK, None).await
}

/// The password form.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /password`.
pub async fn submit(
    State(state): State<AppState>,
    origin: Origin,
    user: ConsoleUser,
    Form(form): Form<PasswordForm>,
) -> Response {
    if let Some(page) = user.csrf_refusal(&form.csrf) {
        return page;
    }
    let m = user.m();
    if form.new != form.confirm {
        let error = Some(m.passwords_differ.to_string());
        return page(&state, &user, StatusCode::BAD_REQUEST, error).await;
    }
    let keep = Some(user.session.token_hash.as_str());
    match service::change_own_password(
        &state.db,
        &user.actor,
        &form.current,
        &form.new,
        keep,
        &origin,
    )
    .await
    {
        Ok(()) => Redirect::to("/").into_response(),
        Err(AppError::Invalid {
            code,
            field,
            message,
        }) => {
            let words = if field.as_deref() == Some("current_password") {
                m.wrong_current_password.to_string()
            } else {
                m.for_code(code).map_or(message, str::to_string)
            };
            page(&state, &user, StatusCode::BAD_REQUEST, Some(words)).await
        }
        Err(other) => app_error_page(user.lang, &other),
    }
}
