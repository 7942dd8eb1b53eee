//! What every console page shares: the signed-in user (or a redirect to the login page),
//! form CSRF checks, rendering, and dates in the user's time zone.

use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::accounts::auth::{actor_for, cookie};
use crate::accounts::login::{self, LiveSession, SESSION_COOKIE};
use crate::app::AppState;
use crate::console::i18n::{Lang, Msgs};
use crate::core::auth::Actor;
use crate::core::error::AppError;
use crate::core::secrets::hashes_equal;

/// A signed-in console user.
#[derive(Debug, Clone)]
pub struct ConsoleUser {
    /// Who, with privileges and scope.
    pub actor: Actor,
    /// The session (CSRF token, account).
    pub session: LiveSession,
    /// Page language.
    pub lang: Lang,
    /// The browser's language (`Accept-Language`), for accounts that follow it.
    pub browser_lang: Lang,
    /// The user's time zone.
    pub tz: jiff::tz::TimeZone,
}

impl ConsoleUser {
    /// The language's messages.
    pub fn m(&self) -> &'static Msgs {
        self.lang.msgs()
    }

    /// A 403 page unless `sent` is this session's CSRF token.
    pub fn csrf_refusal(&self, sent: &str) -> Option<Response> {
        (!hashes_equal(sent, &self.session.csrf_token))
            .then(|| error_page(self.lang, StatusCode::FORBIDDEN, self.m().form_expired))
    }

    /// A Unix-ms time as the user reads it (empty for never).
    pub fn time(&self, ms: i64) -> String {
        format_time(ms, &self.tz)
    }
}

/// `2026-11-23 19:05` in `tz`; an empty string for 0 (never).
pub fn format_time(ms: i64, tz: &jiff::tz::TimeZone) -> String {
    if ms <= 0 {
        return String::new();
    }
    jiff::Timestamp::from_millisecond(ms)
        .map(|at| {
            at.to_zoned(tz.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// The language a request without a session is shown in.
pub fn browser_lang(headers: &axum::http::HeaderMap) -> Lang {
    Lang::pick(
        None,
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok()),
    )
}

impl FromRequestParts<AppState> for ConsoleUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<ConsoleUser, Response> {
        let lang = browser_lang(&parts.headers);
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE).map(str::to_string) else {
            return Err(Redirect::to("/login").into_response());
        };
        let session = match login::resolve(&state.db, &token).await {
            Ok(Some(session)) => session,
            Ok(None) => return Err(Redirect::to("/login?ended=1").into_response()),
            Err(error) => return Err(app_error_page(lang, &error.into())),
        };
        if session.must_change_password && parts.uri.path() != "/password" {
            return Err(Redirect::to("/password").into_response());
        }
        let actor = actor_for(&state.db, &session.user)
            .await
            .map_err(|error| app_error_page(lang, &error))?;
        // An account without a language of its own reads the browser's.
        let accept = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok());
        let lang = Lang::pick(Some(&session.user.fields.language), accept);
        let tz = jiff::tz::TimeZone::get(&session.user.fields.time_zone)
            .unwrap_or(jiff::tz::TimeZone::UTC);
        Ok(ConsoleUser {
            actor,
            session,
            lang,
            browser_lang: Lang::pick(None, accept),
            tz,
        })
    }
}

/// Largest form body a console page posts (files go through multipart handlers instead).
const FORM_LIMIT: usize = 2 << 20;

/// A posted console form whose CSRF token is the session's: the user and the form's pairs.
/// A wrong token answers with the "form expired" page before the handler runs, so a handler
/// taking this extractor cannot forget the check. It reads the body, so it comes last.
pub struct PostedForm {
    /// The signed-in user.
    pub user: ConsoleUser,
    /// The form.
    pub form: FormPairs,
}

impl FromRequest<AppState> for PostedForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<PostedForm, Response> {
        let (mut parts, body) = request.into_parts();
        let user = ConsoleUser::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, FORM_LIMIT).await.map_err(|_| {
            error_page(
                user.lang,
                StatusCode::PAYLOAD_TOO_LARGE,
                user.m().form_too_large,
            )
        })?;
        let form = FormPairs::parse(&bytes);
        if let Some(refusal) = user.csrf_refusal(form.get("csrf")) {
            return Err(refusal);
        }
        Ok(PostedForm { user, form })
    }
}

/// Renders a template, or a 500 page if it cannot be.
pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(message = "A console page failed to render.", %error);
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Page language.
    pub lang: Lang,
    /// Its messages.
    pub m: &'static Msgs,
    /// No menu on an error page.
    pub nav: Option<crate::console::pages::Nav>,
    /// What went wrong, in the page language.
    pub message: String,
}

/// A page saying `message` with `status`.
pub fn error_page(lang: Lang, status: StatusCode, message: &str) -> Response {
    let page = ErrorPage {
        lang,
        m: lang.msgs(),
        nav: None,
        message: message.to_string(),
    };
    (status, render(&page)).into_response()
}

/// The page for a service error: 403 and 404 in the page language, others logged.
pub fn app_error_page(lang: Lang, error: &AppError) -> Response {
    let m = lang.msgs();
    match error {
        AppError::Forbidden { .. } => error_page(lang, StatusCode::FORBIDDEN, m.forbidden),
        AppError::NotFound(_) => error_page(lang, StatusCode::NOT_FOUND, m.not_found),
        AppError::Invalid { message, .. } => error_page(lang, StatusCode::BAD_REQUEST, message),
        other => {
            tracing::error!(message = "A console page failed.", error = %other);
            error_page(lang, StatusCode::INTERNAL_SERVER_ERROR, m.error)
        }
    }
}

/// A submitted form as `(name, value)` pairs, keeping repeated names (the device list's
/// checkboxes send `ids` once per chosen device, which `axum::Form` cannot collect).
#[derive(Debug, Default)]
pub struct FormPairs(pub Vec<(String, String)>);

impl FormPairs {
    /// Parses an `application/x-www-form-urlencoded` body.
    pub fn parse(body: &[u8]) -> FormPairs {
        FormPairs(
            form_urlencoded::parse(body)
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// Ok when the form's confirmation box (`confirm=1`) was ticked, as deletions ask; else
    /// a 400 asking for it.
    ///
    /// # Errors
    /// As said.
    pub fn confirmation(&self, m: &Msgs) -> Result<(), AppError> {
        if self.get("confirm") == "1" {
            Ok(())
        } else {
            Err(AppError::invalid("confirm", m.confirm_delete))
        }
    }

    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// `back` when it is a path of this console starting with `prefix`, else `prefix`: where a
/// form returns to, never another site.
pub fn local_return(back: &str, prefix: &str) -> String {
    let safe = back.starts_with(prefix)
        && !back.starts_with("//")
        && !back.contains('\\')
        && !back.chars().any(char::is_control);
    if safe {
        back.to_string()
    } else {
        prefix.to_string()
    }
}

/// Which entries of a hierarchy a list of choices holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entries {
    /// Every entry, retired ones marked old (旧): what records show, and list filters.
    All,
    /// Only entries in the definition: for choosing a department or location for a record.
    Current,
}

/// Department (or location) choices for a select: `(id, "親 / 子")` named in the page
/// language, in path order; retired entries marked old (旧), or left out with
/// [`Entries::Current`].
pub fn department_paths(
    departments: &[crate::departments::store::Department],
    lang: Lang,
    which: Entries,
) -> Vec<(i64, String)> {
    let by_id: std::collections::HashMap<i64, &crate::departments::store::Department> =
        departments.iter().map(|d| (d.id, d)).collect();
    let name = |department: &'_ crate::departments::store::Department| match lang {
        Lang::Ja => department.name.clone(),
        Lang::En => department.english_name().to_string(),
    };
    let mut paths: Vec<(i64, String)> = departments
        .iter()
        .filter(|department| which == Entries::All || !department.retired)
        .map(|department| {
            let mut names = vec![name(department)];
            let mut parent = department.parent_id;
            // The hierarchy has no cycles (the service refuses them); the bound is a guard.
            for _ in 0..64 {
                let Some(id) = parent else { break };
                let Some(up) = by_id.get(&id) else { break };
                names.push(name(up));
                parent = up.parent_id;
            }
            names.reverse();
            (department.id, names.join(" / "))
        })
        .collect();
    paths.sort_by(|a, b| a.1.cmp(&b.1));
    for (id, path) in &mut paths {
        if by_id.get(id).is_some_and(|d| d.retired) {
            path.push_str(lang.msgs().old_suffix);
        }
    }
    paths
}

/// The path of `id` among `paths`, or "Unknown" (不明) for a record without one (or with
/// one deleted since).
pub fn path_or_unknown(paths: &[(i64, String)], id: Option<i64>, m: &'static Msgs) -> String {
    id.and_then(|id| paths.iter().find(|(entry, _)| *entry == id))
        .map_or_else(|| m.unknown.to_string(), |(_, path)| path.clone())
}

/// Why a form was refused, in the page language where the code has words (`conflict` for a
/// concurrent change), else the service's message.
pub fn refusal(m: &'static Msgs, error: &AppError, conflict: &'static str) -> String {
    match error {
        AppError::Conflict(_) => conflict.to_string(),
        AppError::Invalid { code, message, .. } => m
            .for_code(code)
            .map_or_else(|| message.clone(), str::to_string),
        AppError::Forbidden { message, .. } => message.clone(),
        other => other.to_string(),
    }
}
