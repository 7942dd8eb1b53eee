//! Agent-settings rules: defaults from the server's config, range checks, optimistic
//! versioning, and the cached current settings that every check-in compares against.

use std::sync::Arc;

use kanri_proto::AgentSettings;

use crate::agent_settings::model::{AgentSettingsView, SettingsUpdate};
use crate::agent_settings::store;
use crate::app::AppState;
use crate::core::auth::Actor;
use crate::core::config::Config;
use crate::core::db::DbError;
use crate::core::error::AppError;
use crate::core::time::now_ms;

/// The settings while nobody has changed them (version 0): `--checkin-interval` and the
/// agent's built-in intervals and queue caps, so an agent without settings already runs with
/// them. Brought into range like any settings, so what GET shows is a valid base for a PUT.
pub fn defaults(config: &Config) -> AgentSettings {
    AgentSettings {
        checkin_interval_secs: config.checkin_interval_secs,
        ..AgentSettings::default()
    }
    .clamped()
}

/// The current settings as a check-in sees them: from this node's cache, re-read from the
/// database when older than the cache lifetime (a change made through another node arrives
/// within it). An unchanged check-in costs no query.
///
/// # Errors
/// [`DbError`] when the cache is stale and the database cannot be read.
pub async fn current(state: &AppState) -> Result<Arc<AgentSettings>, DbError> {
    if let Some(settings) = state.agents.cached_settings() {
        return Ok(settings);
    }
    // One refresh at a time: check-ins arriving meanwhile wait for it instead of each
    // querying the database.
    let _refresh = state.agents.settings_lock().lock().await;
    if let Some(settings) = state.agents.cached_settings() {
        return Ok(settings);
    }
    let settings = Arc::new(load(state).await?.0);
    state.agents.remember_settings(settings.clone());
    Ok(settings)
}

/// The settings with who changed them last.
///
/// # Errors
/// [`AppError`] from the database.
pub async fn get(state: &AppState, _actor: &Actor) -> Result<AgentSettingsView, AppError> {
    let (settings, changed) = load(state).await?;
    Ok(match changed {
        Some((updated_at, updated_by)) => {
            AgentSettingsView::new(&settings, Some(updated_at), Some(updated_by))
        }
        None => AgentSettingsView::new(&settings, None, None),
    })
}

/// Replaces the settings if `update.version` is still the current version. Agents receive
/// the new ones at their next check-in.
///
/// # Errors
/// 400 naming the first value out of range, 409 when someone else changed the settings
/// since `update.version`.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    update: &SettingsUpdate,
) -> Result<AgentSettingsView, AppError> {
    let settings = validate(update)?;
    let now = now_ms();
    // Held while writing, so a concurrent cache refresh cannot put the old settings back.
    let _refresh = state.agents.settings_lock().lock().await;
    let mut conn = state.db.write().acquire().await?;
    let stored =
        store::save_settings(&mut conn, update.version, &settings, now, &actor.login).await?;
    drop(conn);
    if !stored {
        let (current, _) = load(state).await?;
        return Err(AppError::Conflict(format!(
            "the agent settings were changed by someone else (now at version {}); reload and try again",
            current.version
        )));
    }
    state.agents.remember_settings(Arc::new(settings.clone()));
    tracing::info!(
        message = "Agent settings changed.",
        version = settings.version,
        by = %actor.login
    );
    Ok(AgentSettingsView::new(
        &settings,
        Some(now),
        Some(actor.login.clone()),
    ))
}

/// The settings `update` asks for, each value checked against its range.
///
/// # Errors
/// [`AppError::Invalid`] naming the first field out of range.
pub fn validate(update: &SettingsUpdate) -> Result<AgentSettings, AppError> {
    let settings = update.next_settings();
    settings
        .check()
        .map_err(|error| AppError::invalid(error.field, error.to_string()))?;
    Ok(settings)
}

/// Stored settings with (updated_at, updated_by), or the defaults with `None`.
async fn load(state: &AppState) -> Result<(AgentSettings, Option<(i64, String)>), DbError> {
    Ok(match store::find_settings(&state.db).await? {
        Some(row) => (row.settings, Some((row.updated_at, row.updated_by))),
        None => (defaults(&state.config), None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update() -> SettingsUpdate {
        SettingsUpdate {
            version: 4,
            checkin_interval_secs: 120,
            inventory_interval_secs: 7200,
            queue_max_entries: 8,
            queue_max_bytes: 8 * 1024 * 1024,
        }
    }

    fn check(change: impl FnOnce(&mut SettingsUpdate), expected: Result<u64, (&str, &str)>) {
        let mut update = update();
        change(&mut update);
        let actual = match validate(&update) {
            Ok(settings) => Ok(settings.version),
            Err(AppError::Invalid {
                code,
                message,
                field,
            }) => {
                assert_eq!(code, "invalid_request");
                Err((field.unwrap_or_default(), message))
            }
            Err(other) => panic!("unexpected {other:?}"),
        };
        let expected =
            expected.map_err(|(field, message)| (field.to_string(), message.to_string()));
        assert_eq!(actual, expected);
    }

    #[test]
    fn validation_names_the_field_out_of_range() {
        check(|_| {}, Ok(5));
        check(
            |u| u.checkin_interval_secs = 0,
            Err((
                "checkin_interval_secs",
                "checkin_interval_secs must be between 10 and 86400",
            )),
        );
        check(
            |u| u.inventory_interval_secs = 30,
            Err((
                "inventory_interval_secs",
                "inventory_interval_secs must be between 60 and 604800",
            )),
        );
        check(
            |u| u.queue_max_entries = 1001,
            Err((
                "queue_max_entries",
                "queue_max_entries must be between 1 and 1000",
            )),
        );
        check(
            |u| u.queue_max_bytes = 0,
            Err((
                "queue_max_bytes",
                "queue_max_bytes must be between 1048576 and 1073741824",
            )),
        );
    }

    #[test]
    fn defaults_take_the_checkin_interval_from_the_config() {
        let mut config = Config::new("/nonexistent");
        config.checkin_interval_secs = 300;
        let settings = defaults(&config);
        assert_eq!(settings.version, 0);
        assert_eq!(settings.checkin_interval_secs, 300);
        assert_eq!(
            settings.inventory_interval_secs,
            kanri_proto::settings::DEFAULT_INVENTORY_INTERVAL_SECS
        );
        config.checkin_interval_secs = 1;
        assert_eq!(defaults(&config).checkin_interval_secs, 10);
    }
}
