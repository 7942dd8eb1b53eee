//! The list framework's forms: save and delete a filter, choose columns. Each returns to
//! the list it came from.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use crate::app::AppState;
use crate::audit::model::Origin;
use crate::console::web::{app_error_page, local_return, ConsoleUser, FormPairs, PostedForm};
use crate::core::error::AppError;
use crate::lists::service::{self, ListKind};

fn list_of(form: &FormPairs) -> Result<ListKind, AppError> {
    ListKind::parse(form.get("list")).ok_or_else(|| AppError::invalid("list", "no such list"))
}

/// Where a list form returns: the list's own page (`/devices…`).
fn back(form: &FormPairs, list: ListKind) -> String {
    local_return(form.get("back"), &format!("/{}", list.as_str()))
}

/// `POST /saved-filters`: saves the list's current conditions under a name and opens them.
pub async fn save(
    State(state): State<AppState>,
    origin: Origin,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let result = async {
        let list = list_of(&form)?;
        let shared = form.get("shared") == "1";
        let saved = service::save(
            &state.db,
            &user.actor,
            &origin,
            list,
            form.get("name"),
            shared,
            form.get("query"),
        )
        .await?;
        Ok::<_, AppError>(format!("/{}?{}", list.as_str(), saved.query))
    }
    .await;
    match result {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// `POST /saved-filters/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    match service::delete(&state.db, &user.actor, &origin, id).await {
        Ok(()) => Redirect::to(&local_return(form.get("back"), "/")).into_response(),
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// `POST /list-columns`: the checked columns become the account's columns of the list.
pub async fn columns(
    State(state): State<AppState>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let result = async {
        let list = list_of(&form)?;
        let columns: Vec<String> = form.all("columns").map(str::to_string).collect();
        service::set_columns(&state.db, &user.actor, list, &columns).await?;
        Ok::<_, AppError>(back(&form, list))
    }
    .await;
    match result {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// A saved filter as a list offers it.
pub struct SavedChoice {
    /// Id, for the delete form.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The list opened with the filter.
    pub link: String,
    /// Offered to every account.
    pub shared: bool,
    /// Owner's login.
    pub owner: String,
    /// Whether this user may delete it.
    pub deletable: bool,
}

/// The saved filters `user` may open on `list`, with who may delete each.
///
/// # Errors
/// Storage errors.
pub async fn offered(
    state: &AppState,
    user: &ConsoleUser,
    list: ListKind,
) -> Result<Vec<SavedChoice>, AppError> {
    let saved = service::usable(&state.db, &user.actor, list).await?;
    Ok(saved
        .into_iter()
        .map(|filter| SavedChoice {
            link: format!("/{}?{}", list.as_str(), filter.query),
            deletable: filter.owner_id == user.actor.user_id
                || (filter.shared && user.actor.system_admin),
            id: filter.id,
            name: filter.name,
            shared: filter.shared,
            owner: filter.owner,
        })
        .collect())
}
