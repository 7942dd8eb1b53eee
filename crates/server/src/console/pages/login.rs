//! The login page, signing in and out.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use crate::accounts::api::session_cookie;
use crate::accounts::auth::cookie;
use crate::accounts::login::{self, LoginError};
use crate::app::AppState;
use crate::audit::model::Origin;
use crate::console::i18n::{Lang, Msgs};
use crate::console::pages::Nav;
use crate::console::web::{app_error_page, browser_lang, error_page, render, ConsoleUser};
use crate::core::secrets::{hashes_equal, random_token};

/// Cookie holding the login form's CSRF token (the form has no session yet).
const LOGIN_CSRF_COOKIE: &str = "kanri_login_csrf";

/// The login page.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    csrf: String,
    login: String,
    error: Option<&'static str>,
}

/// Query of `GET /login`.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    ended: Option<String>,
}

fn login_page(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    login: String,
    error: Option<&'static str>,
) -> Response {
    let csrf = random_token("");
    let page = LoginPage {
        lang,
        m: lang.msgs(),
        nav: None,
        csrf: csrf.clone(),
        login,
        error,
    };
    let secure = if state.config.http { "" } else { "; Secure" };
    let cookie =
        format!("{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict{secure}");
    let mut response = (status, render(&page)).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `GET /login`.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Response {
    let lang = browser_lang(&headers);
    let notice = query.ended.map(|_| lang.msgs().session_ended);
    login_page(&state, lang, StatusCode::OK, String::new(), notice)
}

/// The login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /login`: signs in and goes to the home page, or to the password change first.
pub async fn submit(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = browser_lang(&headers);
    let m = lang.msgs();
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if expected.is_empty() || !hashes_equal(&form.csrf, expected) {
        return login_page(
            &state,
            lang,
            StatusCode::FORBIDDEN,
            form.login,
            Some(m.form_expired),
        );
    }
    match login::login(&state.db, &form.login, &form.password, &origin).await {
        Ok(signed_in) => {
            let Ok(cookie) = session_cookie(&state, &signed_in.token) else {
                return error_page(lang, StatusCode::INTERNAL_SERVER_ERROR, m.error);
            };
            let to = if signed_in.must_change_password || signed_in.expires_soon.is_some() {
                "/password"
            } else {
                "/"
            };
            ([(header::SET_COOKIE, cookie)], Redirect::to(to)).into_response()
        }
        Err(LoginError::Invalid) => login_page(
            &state,
            lang,
            StatusCode::UNAUTHORIZED,
            form.login,
            Some(m.login_failed),
        ),
        Err(LoginError::Locked) => login_page(
            &state,
            lang,
            StatusCode::FORBIDDEN,
            form.login,
            Some(m.account_locked),
        ),
        Err(LoginError::Account(error)) => app_error_page(lang, &error.into()),
    }
}

/// The sign-out form.
#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`.
pub async fn logout(
    State(state): State<AppState>,
    origin: Origin,
    user: ConsoleUser,
    Form(form): Form<LogoutForm>,
) -> Response {
    if let Some(page) = user.csrf_refusal(&form.csrf) {
        return page;
    }
    if let Err(error) = login::logout_hashed(&state.db, &user.session.token_hash, &origin).await {
        return app_error_page(user.lang, &error.into());
    }
    (
        [(
            header::SET_COOKIE,
            crate::accounts::api::ended_session_cookie(),
        )],
        Redirect::to("/login"),
    )
        .into_response()
}
