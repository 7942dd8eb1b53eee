//! Agent rules: enrollment tokens (created, listed and revoked by system administrators,
//! audited), enrollment with identity matching and the licence cap, authentication, check-ins
//! (with pushed agent settings), clone splitting, immediate actions over the channel, and
//! uninstalling.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use kanri_proto::{
    Action, AgentSettings, ChannelResponse, CheckinRequest, CheckinResponse, Command,
    EnrollRequest, EnrollResponse, SectionKind, Text, UninstallRequest, UninstallResponse,
};
use sqlx::AnyConnection;

use crate::agents::identity::{self, Candidates, Resolution};
use crate::agents::model::EnrollmentToken;
use crate::agents::runtime::AgentAuth;
use crate::agents::store::{self, AgentRow};
use crate::app::AppState;
use crate::audit::model::{Category, NewAuditEntry, Object, Op, Origin};
use crate::core::auth::Actor;
use crate::core::db::{Db, DbError};
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

/// Creates an enrollment token from an admin command (`kanri-server token create`, `demo`),
/// which no account performs; returns the token text, shown once.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn create_token(
    db: &Db,
    label: &str,
    expires_in: Option<Duration>,
    uses: Option<u64>,
) -> Result<String, DbError> {
    let now = now_ms();
    let expires_at = expires_in.map(|duration| now + duration.as_millis() as i64);
    let mut conn = db.write().acquire().await?;
    let uses_allowed = uses.map(|n| n as i64);
    let (_, token) = insert_new_token(&mut conn, label, expires_at, uses_allowed, now).await?;
    Ok(token)
}

/// Stores a new random token (only its hash); returns its id and the token text.
async fn insert_new_token(
    conn: &mut AnyConnection,
    label: &str,
    expires_at: Option<i64>,
    uses_allowed: Option<i64>,
    now: i64,
) -> Result<(i64, String), DbError> {
    let token = random_token("ket_");
    let token_hash = hash_token(&token);
    let id = store::insert_token(conn, &token_hash, label, expires_at, uses_allowed, now).await?;
    Ok((id, token))
}

/// Longest enrollment-token label, in characters.
pub const MAX_TOKEN_LABEL_CHARS: usize = 100;

/// Most enrollments one token may allow.
pub const MAX_TOKEN_USES: u64 = 100_000;

/// Longest enrollment-token lifetime, in days.
pub const MAX_TOKEN_DAYS: u32 = 3650;

/// What an administrator asks for in a new enrollment token.
#[derive(Debug, Clone, Default)]
pub struct NewToken<'a> {
    /// What to call it (trimmed; may be empty).
    pub label: &'a str,
    /// Lifetime in days, 1 to [`MAX_TOKEN_DAYS`]; `None` never expires.
    pub expires_in_days: Option<u32>,
    /// Enrollments allowed, 1 to [`MAX_TOKEN_USES`]; `None` is any number.
    pub uses: Option<u64>,
}

/// The enrollment tokens, newest first (system administrators).
///
/// # Errors
/// 403 without the system administration privilege; storage errors.
pub async fn list_enrollment_tokens(
    db: &Db,
    actor: &Actor,
) -> Result<Vec<EnrollmentToken>, AppError> {
    actor.require_system_admin()?;
    let now = now_ms();
    Ok(store::list_tokens(db)
        .await?
        .into_iter()
        .map(|row| EnrollmentToken::from_row(row, now))
        .collect())
}

/// Creates an enrollment token (system administrators) and its audit entry in one
/// transaction; returns it and the token text, which is shown once and stored only hashed.
///
/// # Errors
/// 403 without the system administration privilege; 400 naming `label`, `expires_in_days`
/// or `uses`; storage errors.
pub async fn create_enrollment_token(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    new: &NewToken<'_>,
) -> Result<(EnrollmentToken, String), AppError> {
    actor.require_system_admin()?;
    let label = new.label.trim();
    crate::core::extract::check_plain_text("label", label, MAX_TOKEN_LABEL_CHARS)?;
    if new
        .expires_in_days
        .is_some_and(|days| days == 0 || days > MAX_TOKEN_DAYS)
    {
        return Err(AppError::invalid(
            "expires_in_days",
            format!("an enrollment token expires in 1 to {MAX_TOKEN_DAYS} days (or never)"),
        ));
    }
    if new
        .uses
        .is_some_and(|uses| uses == 0 || uses > MAX_TOKEN_USES)
    {
        return Err(AppError::invalid(
            "uses",
            format!("an enrollment token allows 1 to {MAX_TOKEN_USES} enrollments (or any number)"),
        ));
    }
    let now = now_ms();
    let expires_at = new
        .expires_in_days
        .map(|days| now + i64::from(days) * 86_400_000);
    let uses_allowed = new.uses.and_then(|uses| i64::try_from(uses).ok());
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    let (id, token) = insert_new_token(&mut tx, label, expires_at, uses_allowed, now).await?;
    let add = (Category::ConfigurationAccess, Op::Add, Object::Agent);
    let detail = serde_json::json!({
        "enrollment_token": id,
        "label": label,
        "expires_at": expires_at,
        "uses_allowed": uses_allowed,
    });
    let entry = NewAuditEntry::by_actor(actor, origin, add, id.to_string(), detail);
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    let row = store::TokenRow {
        id,
        label: label.to_string(),
        created_at: now,
        expires_at,
        uses_allowed,
        uses: 0,
        revoked_at: None,
    };
    tracing::info!(message = "Enrollment token created.", id, login = %actor.login);
    Ok((EnrollmentToken::from_row(row, now), token))
}

/// Revokes an enrollment token (system administrators), with its audit entry in the same
/// transaction: from then on it enrolls no agent. Agents already enrolled with it keep
/// their credentials.
///
/// # Errors
/// 403 without the system administration privilege; 404 when there is no such live token;
/// storage errors.
pub async fn revoke_enrollment_token(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    id: i64,
) -> Result<EnrollmentToken, AppError> {
    actor.require_system_admin()?;
    let now = now_ms();
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    let revoked = store::revoke_token(&mut tx, id, now)
        .await?
        .ok_or(AppError::NotFound("enrollment token"))?;
    let delete = (Category::ConfigurationAccess, Op::Delete, Object::Agent);
    let detail = serde_json::json!({"enrollment_token": id, "label": revoked.label});
    let entry = NewAuditEntry::by_actor(actor, origin, delete, id.to_string(), detail);
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    tracing::info!(message = "Enrollment token revoked.", id, login = %actor.login);
    Ok(EnrollmentToken::from_row(revoked, now))
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
                    device_store::Places::default(),
                    None,
                    now,
                )
                .await?;
                let event = NewEvent::new(EventCode::DeviceManaged, Some(*device_id))
                    .with("hostname", hostname);
                events::record(conn, event).await?;
                crate::assets::hardware::link::device_managed(conn, *device_id, now).await?;
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
            crate::assets::hardware::link::device_managed(conn, device_id, now).await?;
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
    crate::assets::hardware::link::device_managed(&mut tx, device_id, now).await?;
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
        device_store::update_device(
            &mut tx,
            device.id,
            Some(new_state),
            None,
            device_store::Places::default(),
            None,
            now,
        )
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
