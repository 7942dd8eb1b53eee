//! Settings → Agents (エージェントの導入): the enrollment tokens with their states, a form
//! that creates one, revocation, and — once, right after creation — the token with the one
//! command line that installs and enrolls an agent on a Linux machine. System administrators
//! only: the services refuse anyone else, and the page shows the 403 page.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use crate::agents::install::{self, RequestHost, Target};
use crate::agents::model::{EnrollmentToken, TokenState};
use crate::agents::service::{self, NewToken};
use crate::app::AppState;
use crate::audit::model::Origin;
use crate::console::i18n::{Lang, Msgs};
use crate::console::pages::Nav;
use crate::console::web::{app_error_page, render, ConsoleUser, FormPairs, PostedForm};
use crate::core::error::AppError;

/// Where this page lives.
pub const PATH: &str = "/settings/agents";

/// A token row as shown.
pub struct TokenView {
    id: i64,
    label: String,
    /// `active`, `expired`, `used_up` or `revoked`: the row's class and test hook.
    state: &'static str,
    state_label: &'static str,
    created: String,
    expires: String,
    uses: String,
    active: bool,
}

/// How the server is reached and verified, as both pages explain it.
pub struct ServerView {
    url: String,
    fingerprint: Option<String>,
    /// curl pins the public key (HTTPS with a readable certificate).
    pinned: bool,
    /// The URL comes from the request, not `--public-url`.
    from_request: bool,
    /// The server has no `kanri-agent` to hand out.
    binary_missing: bool,
}

/// The token list and the create form.
#[derive(Template)]
#[template(path = "settings_agents.html")]
pub struct AgentsPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    csrf: String,
    tokens: Vec<TokenView>,
    server: ServerView,
    error: Option<String>,
    /// The form's values: as typed after a refusal, else the defaults.
    label: String,
    expires_in_days: String,
    uses: String,
}

/// The page shown once after creating a token.
#[derive(Template)]
#[template(path = "settings_agents_created.html")]
pub struct CreatedPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    token: TokenView,
    secret: String,
    install_command: String,
    enroll_command: String,
    server: ServerView,
}

fn view(user: &ConsoleUser, token: &EnrollmentToken) -> TokenView {
    let m = user.m();
    let state_label = match token.state {
        TokenState::Active => m.token_active,
        TokenState::Expired => m.token_expired,
        TokenState::UsedUp => m.token_used_up,
        TokenState::Revoked => m.token_revoked,
    };
    let allowed = token
        .uses_allowed
        .map_or_else(|| m.token_unlimited.to_string(), |n| n.to_string());
    TokenView {
        id: token.id,
        label: token.label.clone(),
        state: token.state.as_str(),
        state_label,
        created: user.time(token.created_at),
        expires: token
            .expires_at
            .map_or_else(|| m.token_never_expires.to_string(), |at| user.time(at)),
        uses: format!("{} / {allowed}", token.uses),
        active: token.state == TokenState::Active,
    }
}

fn server_view(state: &AppState, target: &Target) -> ServerView {
    ServerView {
        url: target.server_url.clone(),
        fingerprint: target.fingerprint.clone(),
        pinned: target.fingerprint.is_some() && target.public_key_pin.is_some(),
        from_request: state.config.public_url.is_none(),
        binary_missing: install::agent_binary(&state.config).is_none(),
    }
}

/// The list page with `error` and the form's values, or the error page when the list cannot
/// be read (403 for anyone but a system administrator).
async fn page(
    state: &AppState,
    user: &ConsoleUser,
    host: &RequestHost,
    status: StatusCode,
    error: Option<String>,
    form: Option<&FormPairs>,
) -> Response {
    let listed = service::list_enrollment_tokens(&state.db, &user.actor).await;
    let (tokens, target) = match (listed, Target::of(state, host)) {
        (Ok(tokens), Ok(target)) => (tokens, target),
        (Err(error), _) | (_, Err(error)) => return app_error_page(user.lang, &error),
    };
    let typed = |name: &str, default: &str| {
        form.map_or_else(|| default.to_string(), |form| form.get(name).to_string())
    };
    let page = AgentsPage {
        lang: user.lang,
        m: user.m(),
        nav: Some(Nav::new(user, "settings")),
        csrf: user.session.csrf_token.clone(),
        tokens: tokens.iter().map(|token| view(user, token)).collect(),
        server: server_view(state, &target),
        error,
        label: typed("label", ""),
        expires_in_days: typed("expires_in_days", "7"),
        uses: typed("uses", ""),
    };
    (status, render(&page)).into_response()
}

/// `GET /settings/agents`.
pub async fn show(State(state): State<AppState>, user: ConsoleUser, host: RequestHost) -> Response {
    page(&state, &user, &host, StatusCode::OK, None, None).await
}

/// A number typed in the form: blank is `None`; anything but digits is refused as `field`.
fn optional_number<T: std::str::FromStr>(
    form: &FormPairs,
    field: &str,
) -> Result<Option<T>, AppError> {
    let text = form.get(field).trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| AppError::invalid(field, format!("{field} must be a whole number")))
}

/// The words for a refused form, by the field at fault.
fn refusal(m: &'static Msgs, error: &AppError) -> Option<String> {
    let AppError::Invalid { field, .. } = error else {
        return None;
    };
    Some(match field.as_deref() {
        Some("label") => m.token_label_invalid.to_string(),
        Some("expires_in_days") => m.token_expires_invalid.to_string(),
        Some("uses") => m.token_uses_invalid.to_string(),
        _ => error.to_string(),
    })
}

/// `POST /settings/agents/tokens`: creates a token and shows it with its install command,
/// once; a refused form comes back with what was typed and why.
pub async fn create(
    State(state): State<AppState>,
    origin: Origin,
    host: RequestHost,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let created = async {
        let target = Target::of(&state, &host)?;
        let new = NewToken {
            label: form.get("label"),
            expires_in_days: optional_number(&form, "expires_in_days")?,
            uses: optional_number(&form, "uses")?,
        };
        let created =
            service::create_enrollment_token(&state.db, &user.actor, &origin, &new).await?;
        Ok::<_, AppError>((target, created))
    }
    .await;
    let (target, (token, secret)) = match created {
        Ok(created) => created,
        Err(error) => {
            return match refusal(user.m(), &error) {
                Some(words) => {
                    page(
                        &state,
                        &user,
                        &host,
                        StatusCode::BAD_REQUEST,
                        Some(words),
                        Some(&form),
                    )
                    .await
                }
                None => app_error_page(user.lang, &error),
            }
        }
    };
    let page = CreatedPage {
        lang: user.lang,
        m: user.m(),
        nav: Some(Nav::new(&user, "settings")),
        token: view(&user, &token),
        install_command: target.install_command(&secret),
        enroll_command: target.enroll_command(&secret),
        server: server_view(&state, &target),
        secret,
    };
    // The token is on this page only: no cache may keep it.
    ([(header::CACHE_CONTROL, "no-store")], render(&page)).into_response()
}

/// `POST /settings/agents/tokens/{id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
    PostedForm { user, .. }: PostedForm,
) -> Response {
    match service::revoke_enrollment_token(&state.db, &user.actor, &origin, id).await {
        Ok(_) => Redirect::to(PATH).into_response(),
        Err(error) => app_error_page(user.lang, &error),
    }
}
