//! Agent rules: enrollment tokens, enrollment with identity matching and the licence cap,
//! authentication, check-ins (with pushed agent settings), clone splitting, immediate actions
//! over the channel, and uninstalling.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use kanri_proto::{
    Action, AgentSettings, ChannelResponse, CheckinRequest, CheckinResponse, Command,
    EnrollRequest, EnrollResponse, SectionKind, Text, UninstallRequest, UninstallResponse,
};
use sqlx::AnyConnection;

use crate::agents::identity::{self, Candidates, Resolution};
use crate::agents::runtime::AgentAuth;
use crate::agents::store::{self, AgentRow};
use crate::app::AppState;
use crate::core::auth::Actor;
use crate::core::db::DbError;
use crate::core::error::AppError;
use crate::core::secrets::{hash_token, hashes_equal, random_id, random_token};
use crate::core::time::now_ms;
use crate::devices::model::DeviceState;
use crate::devices::service::{self as devices, DeviceError};
use crate::devices::store::{self as device_store, NewDevice};
use crate::events::catalogue::EventCode;
use crate::events::service::{self as events, NewEvent};

/// Failures of the agent API.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// Unknown token.
    #[error("the enrollment token is not valid")]
    TokenInvalid,
    /// Past its expiry.
    #[error("the enrollment token has expired; create a new one")]
    TokenExpired,
    /// Every allowed use is spent.
    #[error("the enrollment token has been used the allowed number of times; create a new one")]
    TokenUsedUp,
    /// Revoked by an administrator.
    #[error("the enrollment token has been revoked")]
    TokenRevoked,
    /// Unknown, revoked or wrong credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Licence cap.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// Storage.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<AgentError> for AppError {
    fn from(error: AgentError) -> AppError {
        let forbidden = |code| AppError::Forbidden {
            code,
            message: error.to_string(),
        };
        match &error {
            AgentError::TokenInvalid => forbidden("token_invalid"),
            AgentError::TokenExpired => forbidden("token_expired"),
            AgentError::TokenUsedUp => forbidden("token_used_up"),
            AgentError::TokenRevoked => forbidden("token_revoked"),
            AgentError::Unauthorized(message) => AppError::Unauthorized((*message).to_string()),
            AgentError::Device(_) | AgentError::Db(_) => match error {
                AgentError::Device(inner) => inner.into(),
                AgentError::Db(inner) => inner.into(),
                _ => AppError::Internal("unreachable agent error".into()),
            },
        }
    }
}

impl From<sqlx::Error> for AgentError {
    fn from(error: sqlx::Error) -> AgentError {
        AgentError::Db(error.into())
    }
}

/// Creates an enrollment token; returns the token text, shown once.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn create_token(
    db: &crate::core::db::Db,
    label: &str,
    expires_in: Option<Duration>,
    uses: Option<u64>,
) -> Result<String, DbError> {
    let token = random_token("ket_");
    let now = now_ms();
    let expires_at = expires_in.map(|duration| now + duration.as_millis() as i64);
    store::insert_token(
        db,
        &hash_token(&token),
        label,
        expires_at,
        uses.map(|n| n as i64),
        now,
    )
    .await?;
    Ok(token)
}

/// How recently the owner of a credential must have been seen, with another fingerprint, for
/// a newcomer to be treated as a clone: three check-in intervals, at least three minutes.
fn clone_window_ms(settings: &AgentSettings) -> i64 {
    let interval_ms = i64::try_from(settings.checkin_interval_secs)
        .unwrap_or(i64::MAX / 3000)
        .saturating_mul(1000);
    interval_ms.saturating_mul(3).max(180_000)
}

/// Exchanges an enrollment token for credentials.
///
/// # Errors
/// [`AgentError`] for bad tokens and the licence cap.
pub async fn enroll(
    state: &AppState,
    request: &EnrollRequest,
) -> Result<EnrollResponse, AgentError> {
    let now = now_ms();
    // Before the transaction: a settings refresh may wait for a settings change, which needs
    // the writer this transaction would hold (a deadlock on SQLite's single writer).
    let settings = crate::agent_settings::service::current(state).await?;
    let mut tx = state.db.write().begin().await?;
    let token = store::find_token(&mut tx, &hash_token(request.token.as_str()))
        .await?
        .ok_or(AgentError::TokenInvalid)?;
    if token.revoked_at.is_some() {
        return Err(AgentError::TokenRevoked);
    }
    if token.expires_at.is_some_and(|expires_at| expires_at <= now) {
        return Err(AgentError::TokenExpired);
    }
    if token
        .uses_allowed
        .is_some_and(|allowed| token.uses >= allowed)
    {
        return Err(AgentError::TokenUsedUp);
    }
    let facts = &request.facts;
    let fingerprint = facts.fingerprint();
    let serial = identity::clean_serial(facts.serial.as_deref());
    let uuid = identity::clean_uuid(facts.uuid.as_deref());
    let macs: Vec<String> = facts
        .macs
        .iter()
        .filter_map(|mac| identity::clean_mac(mac))
        .collect();
    let candidates = gather_candidates(
        state,
        &mut tx,
        request.host_id.as_str(),
        &serial,
        &uuid,
        facts.hostname.as_str(),
        &macs,
    )
    .await?;
    let resolution = identity::resolve(&candidates, &fingerprint, now, clone_window_ms(&settings));
    let hostname = facts.hostname.as_str();
    let outcome = place_device(
        state,
        &mut tx,
        &resolution,
        request,
        hostname,
        &serial,
        &uuid,
        now,
    )
    .await;
    let (device_id, host_id) = match outcome {
        Ok(placed) => placed,
        Err(AgentError::Device(DeviceError::LicenceExceeded { limit })) => {
            drop(tx);
            devices::report_licence_exceeded(state, hostname, limit).await;
            return Err(DeviceError::LicenceExceeded { limit }.into());
        }
        Err(other) => return Err(other),
    };
    let revoked = store::revoke_agents_of(&mut tx, device_id, now).await?;
    let (response, auth) = issue_credentials(
        &settings,
        &mut tx,
        device_id,
        &host_id,
        &fingerprint,
        request.agent_version.as_str(),
        now,
    )
    .await?;
    if !store::update_token_use(&mut tx, token.id).await? {
        return Err(AgentError::TokenUsedUp);
    }
    tx.commit().await?;
    for agent_id in revoked {
        state.agents.forget_agent(&agent_id);
    }
    state.agents.remember_auth(Arc::new(auth));
    tracing::info!(message = "Agent enrolled.", device_id, hostname = %hostname);
    Ok(response)
}

async fn gather_candidates(
    state: &AppState,
    conn: &mut AnyConnection,
    host_id: &str,
    serial: &Option<String>,
    uuid: &Option<String>,
    hostname: &str,
    macs: &[String],
) -> Result<Candidates, AgentError> {
    let mut candidates = Candidates::default();
    for (device_id, last_seen, active) in device_store::list_by_host_id(conn, host_id).await? {
        let fingerprint = if active {
            store::find_active_fingerprint(conn, device_id).await?
        } else {
            None
        };
        let last_seen = last_seen.max(state.agents.buffered_last_seen(device_id).unwrap_or(0));
        candidates
            .by_host_id
            .push((device_id, last_seen, fingerprint));
    }
    if let (Some(serial), Some(uuid)) = (serial, uuid) {
        candidates.by_serial_uuid = device_store::list_by_serial_uuid(conn, serial, uuid).await?;
    }
    if !hostname.is_empty() {
        candidates.by_hostname = device_store::list_agentless_by_hostname(conn, hostname).await?;
    }
    candidates.by_mac = device_store::list_agentless_by_macs(conn, macs).await?;
    Ok(candidates)
}

/// Finds or creates the device for an enrollment and makes it managed; returns the device
/// and the host identifier the agent must use.
#[allow(clippy::too_many_arguments)]
async fn place_device(
    state: &AppState,
    conn: &mut AnyConnection,
    resolution: &Resolution,
    request: &EnrollRequest,
    hostname: &str,
    serial: &Option<String>,
    uuid: &Option<String>,
    now: i64,
) -> Result<(i64, String), AgentError> {
    let cap = state.config.licence_devices;
    match resolution {
        Resolution::Existing { device_id, .. } => {
            let device = device_store::get_device(conn, *device_id).await?;
            if device.state == DeviceState::Discovered {
                devices::ensure_licence(conn, cap).await?;
                device_store::update_device(
                    conn,
                    *device_id,
                    Some(DeviceState::Managed),
                    None,
                    None,
                    None,
                    now,
                )
                .await?;
                let event = NewEvent::new(EventCode::DeviceManaged, Some(*device_id))
                    .with("hostname", hostname);
                events::record(conn, event).await?;
            }
            Ok((*device_id, request.host_id.to_string()))
        }
        Resolution::New | Resolution::Clone { .. } => {
            devices::ensure_licence(conn, cap).await?;
            let host_id = match resolution {
                Resolution::Clone { .. } => random_id(),
                _ => request.host_id.to_string(),
            };
            let new = NewDevice {
                state: DeviceState::Managed,
                hostname,
                host_id: Some(&host_id),
                serial: serial.as_deref().unwrap_or(""),
                hw_uuid: uuid.as_deref().unwrap_or(""),
            };
            let device_id = device_store::insert_device(conn, &new, now).await?;
            let event =
                NewEvent::new(EventCode::DeviceManaged, Some(device_id)).with("hostname", hostname);
            events::record(conn, event).await?;
            if let Resolution::Clone { original } = resolution {
                let event = NewEvent::new(EventCode::DuplicateHostId, Some(device_id))
                    .with("host_id", request.host_id.as_str())
                    .with("original_device", *original)
                    .with("new_device", device_id);
                events::record(conn, event).await?;
            }
            Ok((device_id, host_id))
        }
    }
}

async fn issue_credentials(
    settings: &AgentSettings,
    conn: &mut AnyConnection,
    device_id: i64,
    host_id: &str,
    fingerprint: &str,
    agent_version: &str,
    now: i64,
) -> Result<(EnrollResponse, AgentAuth), AgentError> {
    let agent_id = random_id();
    let secret = random_token("");
    let row = AgentRow {
        id: agent_id.clone(),
        device_id,
        secret_hash: hash_token(&secret),
        host_id: host_id.to_string(),
        fingerprint: fingerprint.to_string(),
        agent_version: agent_version.to_string(),
        settings_version: 0,
        device_state: String::new(),
    };
    store::insert_agent(conn, &row, now).await?;
    device_store::update_agent(conn, device_id, Some(host_id), agent_version, true).await?;
    let device = device_store::get_device(conn, device_id).await?;
    let auth = AgentAuth {
        agent_id: agent_id.clone(),
        device_id,
        secret_hash: row.secret_hash,
        host_id: host_id.to_string(),
        fingerprint: fingerprint.to_string(),
        agent_version: agent_version.to_string(),
        excluded: device.state == DeviceState::Excluded,
        settings_version: 0,
        loaded_at: now,
    };
    let response = EnrollResponse {
        agent_id: Text::sanitize(&agent_id),
        secret: Text::sanitize(&secret),
        device_id,
        host_id: Text::sanitize(host_id),
        checkin_interval_secs: settings.checkin_interval_secs,
    };
    Ok((response, auth))
}

/// Checks an `Authorization: Kanri-Agent <id>:<secret>` header.
///
/// # Errors
/// [`AgentError::Unauthorized`] for missing, unknown, revoked or wrong credentials.
pub async fn authenticate(
    state: &AppState,
    header: Option<&str>,
) -> Result<Arc<AgentAuth>, AgentError> {
    let credentials = header
        .and_then(|value| value.strip_prefix(kanri_proto::AUTH_SCHEME))
        .map(str::trim)
        .ok_or(AgentError::Unauthorized("agent credentials are required"))?;
    let (agent_id, secret) = credentials
        .split_once(':')
        .ok_or(AgentError::Unauthorized("agent credentials are malformed"))?;
    let auth =
        match state.agents.cached_auth(agent_id) {
            Some(auth) => auth,
            None => {
                let row = store::find_agent(&state.db, agent_id).await?.ok_or(
                    AgentError::Unauthorized("unknown or revoked agent; enroll again"),
                )?;
                let auth = Arc::new(auth_from_row(row, now_ms()));
                state.agents.remember_auth(Arc::clone(&auth));
                auth
            }
        };
    if !hashes_equal(&hash_token(secret), &auth.secret_hash) {
        return Err(AgentError::Unauthorized(
            "unknown or revoked agent; enroll again",
        ));
    }
    Ok(auth)
}

/// A cached credential from its row, read at `loaded_at`.
fn auth_from_row(row: store::AgentRow, loaded_at: i64) -> AgentAuth {
    AgentAuth {
        agent_id: row.id,
        device_id: row.device_id,
        secret_hash: row.secret_hash,
        host_id: row.host_id,
        fingerprint: row.fingerprint,
        agent_version: row.agent_version,
        excluded: row.device_state == DeviceState::Excluded.as_str(),
        settings_version: u64::try_from(row.settings_version).unwrap_or(0),
        loaded_at,
    }
}

/// Credentials re-read per run of [`refresh_credentials`] at most.
const REFRESH_BATCH: usize = 5_000;

/// Re-reads cached credentials due for it in one query, so check-ins keep finding them fresh;
/// drops those revoked or deleted meanwhile (through another node). Returns how many were
/// re-read.
///
/// # Errors
/// [`DbError`] from the database; the cache is left as it was.
pub async fn refresh_credentials(state: &AppState) -> Result<usize, DbError> {
    let picked = state.agents.stale_auth(REFRESH_BATCH);
    if picked.is_empty() {
        return Ok(0);
    }
    // Read before the query: an entry is never considered fresher than what the query saw.
    let loaded_at = now_ms();
    let ids: Vec<&str> = picked.iter().map(|auth| auth.agent_id.as_str()).collect();
    let mut rows: std::collections::HashMap<String, store::AgentRow> =
        store::find_agents(&state.db, &ids)
            .await?
            .into_iter()
            .map(|row| (row.id.clone(), row))
            .collect();
    for auth in &picked {
        let fresh = rows
            .remove(&auth.agent_id)
            .map(|row| auth_from_row(row, loaded_at));
        state.agents.refreshed_auth(auth, fresh);
    }
    Ok(picked.len())
}

/// Handles a check-in. An unchanged check-in touches only memory.
///
/// The reply carries the current agent settings when the agent reports another version; when
/// it reports the current version for the first time, event 6 records that it applied them.
///
/// # Errors
/// [`AgentError`] from the database when something did change.
pub async fn checkin(
    state: &AppState,
    auth: &AgentAuth,
    request: &CheckinRequest,
) -> Result<CheckinResponse, AgentError> {
    let now = now_ms();
    let settings = crate::agent_settings::service::current(state).await?;
    let mut response = CheckinResponse {
        next_checkin_secs: settings.checkin_interval_secs,
        ..Default::default()
    };
    if request.fingerprint.as_str() != auth.fingerprint {
        let last = state.agents.buffered_last_seen(auth.device_id).unwrap_or(0);
        let last = if last == 0 {
            device_last_seen(state, auth.device_id).await?
        } else {
            last
        };
        if last > 0 && now - last < clone_window_ms(&settings) {
            response.reassigned = Some(split_clone(state, &settings, auth, request, now).await?);
            return Ok(response);
        }
        record_fingerprint_change(state, auth, request).await?;
    }
    if request.agent_version.as_str() != auth.agent_version {
        record_version_change(state, auth, request).await?;
    }
    if request.settings_version != settings.version {
        response.settings = Some(AgentSettings::clone(&settings));
    } else if request.settings_version != auth.settings_version {
        record_settings_applied(state, auth, settings.version).await?;
    }
    if !auth.excluded {
        response.wanted_sections = wanted_sections(state, auth.device_id, request).await?;
    }
    if state.agents.has_pending(auth.device_id) {
        response.commands = take_commands(state, auth.device_id).await?;
    }
    state.agents.saw(auth.device_id, now);
    Ok(response)
}

async fn device_last_seen(state: &AppState, device_id: i64) -> Result<i64, AgentError> {
    let mut conn = state.db.read().acquire().await?;
    Ok(device_store::get_device(&mut conn, device_id)
        .await?
        .last_seen)
}

async fn wanted_sections(
    state: &AppState,
    device_id: i64,
    request: &CheckinRequest,
) -> Result<Vec<SectionKind>, AgentError> {
    let reported: Vec<(SectionKind, &str)> = request
        .section_hashes
        .iter()
        .map(|(kind, hash)| (*kind, hash.as_str()))
        .collect();
    if let Some(wanted) = state.agents.wanted_sections(device_id, &reported) {
        return Ok(wanted);
    }
    let held = crate::inventory::store::list_section_hashes(&state.db, device_id).await?;
    state.agents.remember_hashes(device_id, held);
    Ok(state
        .agents
        .wanted_sections(device_id, &reported)
        .unwrap_or_default())
}

async fn take_commands(state: &AppState, device_id: i64) -> Result<Vec<Command>, AgentError> {
    let taken = store::take_commands(&state.db, device_id, now_ms()).await?;
    state.agents.clear_pending(device_id);
    Ok(taken
        .into_iter()
        .filter_map(|(id, action)| match action.as_str() {
            "refresh_inventory" => Some(Command {
                id,
                action: Action::RefreshInventory,
            }),
            other => {
                tracing::warn!(message = "Unknown stored command skipped.", action = %other);
                None
            }
        })
        .collect())
}

/// Two machines are using one credential (a cloned disk image): the one checking in now gets
/// its own device, credentials and host identifier.
async fn split_clone(
    state: &AppState,
    settings: &AgentSettings,
    auth: &AgentAuth,
    request: &CheckinRequest,
    now: i64,
) -> Result<EnrollResponse, AgentError> {
    let mut tx = state.db.write().begin().await?;
    if let Err(error) = devices::ensure_licence(&mut tx, state.config.licence_devices).await {
        drop(tx);
        if let DeviceError::LicenceExceeded { limit } = &error {
            devices::report_licence_exceeded(state, "", *limit).await;
        }
        return Err(error.into());
    }
    let host_id = random_id();
    let new = NewDevice {
        state: DeviceState::Managed,
        hostname: "",
        host_id: Some(&host_id),
        serial: "",
        hw_uuid: "",
    };
    let device_id = device_store::insert_device(&mut tx, &new, now).await?;
    let managed = NewEvent::new(EventCode::DeviceManaged, Some(device_id)).with("hostname", "");
    events::record(&mut tx, managed).await?;
    let duplicate = NewEvent::new(EventCode::DuplicateHostId, Some(device_id))
        .with("host_id", auth.host_id.as_str())
        .with("original_device", auth.device_id)
        .with("new_device", device_id);
    events::record(&mut tx, duplicate).await?;
    let (response, new_auth) = issue_credentials(
        settings,
        &mut tx,
        device_id,
        &host_id,
        request.fingerprint.as_str(),
        request.agent_version.as_str(),
        now,
    )
    .await?;
    tx.commit().await?;
    state.agents.remember_auth(Arc::new(new_auth));
    state.agents.saw(device_id, now);
    tracing::warn!(
        message = "Cloned agent identity split into a new device.",
        original = auth.device_id,
        device_id
    );
    Ok(response)
}

async fn record_fingerprint_change(
    state: &AppState,
    auth: &AgentAuth,
    request: &CheckinRequest,
) -> Result<(), AgentError> {
    let mut tx = state.db.write().begin().await?;
    store::update_agent_facts(
        &mut tx,
        &auth.agent_id,
        request.fingerprint.as_str(),
        &auth.agent_version,
    )
    .await?;
    let event = NewEvent::new(EventCode::FingerprintChanged, Some(auth.device_id))
        .with("before", auth.fingerprint.as_str())
        .with("after", request.fingerprint.as_str());
    events::record(&mut tx, event).await?;
    tx.commit().await?;
    let fingerprint = request.fingerprint.to_string();
    state
        .agents
        .update_auth(&auth.agent_id, |entry| entry.fingerprint = fingerprint);
    Ok(())
}

async fn record_version_change(
    state: &AppState,
    auth: &AgentAuth,
    request: &CheckinRequest,
) -> Result<(), AgentError> {
    let version = request.agent_version.as_str();
    let mut tx = state.db.write().begin().await?;
    store::update_agent_facts(
        &mut tx,
        &auth.agent_id,
        request.fingerprint.as_str(),
        version,
    )
    .await?;
    device_store::update_agent(&mut tx, auth.device_id, Some(&auth.host_id), version, true).await?;
    let event = NewEvent::new(EventCode::AgentVersionChanged, Some(auth.device_id))
        .with("before", auth.agent_version.as_str())
        .with("after", version);
    events::record(&mut tx, event).await?;
    tx.commit().await?;
    let version = version.to_string();
    state
        .agents
        .update_auth(&auth.agent_id, |entry| entry.agent_version = version);
    Ok(())
}

/// The agent reported the current settings version, which it had not before: remember it and
/// raise event 6, once even when several nodes see such a check-in.
async fn record_settings_applied(
    state: &AppState,
    auth: &AgentAuth,
    version: u64,
) -> Result<(), AgentError> {
    let stored = i64::try_from(version).unwrap_or(i64::MAX);
    let mut tx = state.db.write().begin().await?;
    if store::update_settings_version(&mut tx, &auth.agent_id, stored).await? {
        let device = device_store::get_device(&mut tx, auth.device_id).await?;
        let event = NewEvent::new(EventCode::AgentSettingsUpdated, Some(auth.device_id))
            .with("hostname", device.hostname.as_str())
            .with("version", version);
        events::record(&mut tx, event).await?;
    }
    tx.commit().await?;
    state
        .agents
        .update_auth(&auth.agent_id, |entry| entry.settings_version = version);
    Ok(())
}

/// The agent is being uninstalled: revokes its credentials and makes its device agentless —
/// a managed device goes back to discovered and frees its licence; an excluded one stays
/// excluded. Raises event 5 only: the device's state follows from the uninstall, which the
/// event names. Everything is written in one transaction.
///
/// # Errors
/// [`AgentError::Unauthorized`] when the credentials were revoked meanwhile or the device is
/// gone; [`AgentError::Db`] from the database.
pub async fn uninstall(
    state: &AppState,
    auth: &AgentAuth,
    request: &UninstallRequest,
) -> Result<UninstallResponse, AgentError> {
    const GONE: AgentError = AgentError::Unauthorized("unknown or revoked agent; enroll again");
    let now = now_ms();
    let mut tx = state.db.write().begin().await?;
    let device = match device_store::lock_device(&mut tx, state.db.backend(), auth.device_id).await
    {
        Ok(device) => device,
        Err(DbError::NotFound) => return Err(GONE),
        Err(other) => return Err(other.into()),
    };
    if !store::revoke_agent(&mut tx, &auth.agent_id, now).await? {
        return Err(GONE);
    }
    device_store::update_agent(&mut tx, device.id, None, "", false).await?;
    let new_state = match device.state {
        DeviceState::Managed => DeviceState::Discovered,
        other => other,
    };
    if new_state != device.state {
        device_store::update_device(&mut tx, device.id, Some(new_state), None, None, None, now)
            .await?;
    }
    let event = NewEvent::new(EventCode::AgentUninstalled, Some(device.id))
        .with("hostname", device.hostname.as_str());
    events::record(&mut tx, event).await?;
    tx.commit().await?;
    state.agents.forget_agent(&auth.agent_id);
    tracing::info!(
        message = "Agent uninstalled.",
        device_id = device.id,
        agent_version = %request.agent_version.as_str(),
        host_id_matches = request.host_id.as_str() == auth.host_id
    );
    Ok(UninstallResponse {
        device_id: device.id,
        device_state: new_state.as_str().to_string(),
    })
}

/// Holds the agent's channel poll until a command arrives, the hold time runs out, or the
/// server shuts down.
///
/// # Errors
/// [`AgentError`] from the database.
pub async fn channel(
    state: &AppState,
    auth: &AgentAuth,
    hold: Duration,
) -> Result<ChannelResponse, AgentError> {
    let deadline = tokio::time::Instant::now() + hold;
    let notify = state.agents.waiter(auth.device_id);
    let mut shutdown = state.agents.shutdown();
    let outcome = loop {
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if state.agents.has_pending(auth.device_id) {
            let commands = take_commands(state, auth.device_id).await;
            match commands {
                Ok(commands) if commands.is_empty() => {}
                other => break other,
            }
        }
        if *shutdown.borrow() {
            break Ok(Vec::new());
        }
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep_until(deadline) => break Ok(Vec::new()),
            _ = shutdown.changed() => break Ok(Vec::new()),
        }
    };
    state.agents.release_waiter(auth.device_id, &notify);
    state.agents.saw(auth.device_id, now_ms());
    Ok(ChannelResponse { commands: outcome? })
}

/// Asks a device's agent for a full inventory now.
///
/// # Errors
/// [`AppError::NotFound`] for an unknown device.
pub async fn request_refresh(
    state: &AppState,
    actor: &Actor,
    device_id: i64,
) -> Result<i64, AppError> {
    {
        let mut conn = state.db.read().acquire().await?;
        device_store::get_device(&mut conn, device_id)
            .await
            .map_err(|error| match error {
                DbError::NotFound => AppError::NotFound("device"),
                other => other.into(),
            })?;
    }
    let id = store::insert_command(
        &state.db,
        device_id,
        "refresh_inventory",
        &actor.login,
        now_ms(),
    )
    .await?;
    state.agents.mark_pending(device_id);
    Ok(id)
}

/// Re-reads which devices have commands waiting (commands queued on other nodes).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn sync_pending(state: &AppState) -> Result<(), DbError> {
    let devices: HashSet<i64> = store::list_pending_devices(&state.db)
        .await?
        .into_iter()
        .collect();
    state.agents.sync_pending(devices);
    Ok(())
}

/// Writes buffered last-contact times.
///
/// # Errors
/// [`DbError`] from the database; the entries are put back for the next try.
pub async fn flush_last_seen(state: &AppState) -> Result<usize, DbError> {
    let entries = state.agents.take_last_seen();
    if entries.is_empty() {
        return Ok(0);
    }
    match device_store::update_last_seen(&state.db, &entries).await {
        Ok(()) => Ok(entries.len()),
        Err(error) => {
            state.agents.restore_last_seen(entries);
            Err(error)
        }
    }
}
