//! Agent API, the install script and executable it downloads, and the REST API's refresh
//! action and enrollment tokens.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kanri_proto::{
    ChannelResponse, CheckinRequest, CheckinResponse, EnrollRequest, EnrollResponse,
    InventoryResponse, InventoryUpload, SectionKind, UninstallRequest, UninstallResponse,
};
use serde::{Deserialize, Serialize};

use crate::agents::install::{self, RequestHost, Target};
use crate::agents::model::EnrollmentToken;
use crate::agents::service;
use crate::app::AppState;
use crate::audit::model::Origin;
use crate::core::auth::Actor;
use crate::core::background_cpu;
use crate::core::body::{decode_body, receive, BodyError, RawBody};
use crate::core::error::AppError;
use crate::core::extract::{ApiJson, ApiQuery};
use crate::core::metrics;

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
}

/// Maps a refused body to the API error and counts it.
fn rejected(error: BodyError, kind: &'static str) -> AppError {
    metrics::counter_rejected(kind, &error);
    match error {
        BodyError::TooLarge { .. } => AppError::TooLarge(error.to_string()),
        BodyError::Encoding(_) => AppError::UnsupportedMediaType(error.to_string()),
        BodyError::Decode(decode) => AppError::Invalid {
            code: "invalid_payload",
            message: decode.to_string(),
            field: Some(decode.field),
        },
        other => AppError::Invalid {
            code: "invalid_payload",
            message: other.to_string(),
            field: None,
        },
    }
}

/// `POST /agent/v1/enroll`.
pub async fn enroll(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<EnrollResponse>, AppError> {
    let request: EnrollRequest = decode_body(&headers, body, state.config.max_body_bytes)
        .await
        .map_err(|error| rejected(error, "enroll"))?;
    Ok(Json(service::enroll(&state, &request).await?))
}

/// `POST /agent/v1/checkin`.
pub async fn checkin(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<CheckinResponse>, AppError> {
    let started = Instant::now();
    let auth = service::authenticate(&state, authorization(&headers)).await?;
    let request: CheckinRequest = decode_body(&headers, body, state.config.max_body_bytes)
        .await
        .map_err(|error| rejected(error, "checkin"))?;
    let response = service::checkin(&state, &auth, &request).await?;
    ::metrics::counter!(metrics::CHECKINS).increment(1);
    ::metrics::histogram!(metrics::CHECKIN_SECONDS).record(started.elapsed().as_secs_f64());
    Ok(Json(response))
}

/// `POST /agent/v1/inventory`.
pub async fn inventory(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<InventoryResponse>, AppError> {
    let started = Instant::now();
    let auth = service::authenticate(&state, authorization(&headers)).await?;
    let decoded = match receive(&headers, body, state.config.max_body_bytes).await {
        // A first inventory is hundreds of kilobytes of JSON: decoded at low priority so the
        // database writer and small requests keep their cores.
        Ok(raw) => background_cpu::run(move || decode_upload(raw))
            .await
            .map_err(AppError::Internal)?,
        Err(error) => Err(error),
    };
    let (upload, hashes) = match decoded {
        Ok(decoded) => decoded,
        Err(error) => {
            crate::inventory::service::report_rejected(&state, auth.device_id, &error).await;
            return Err(rejected(error, "inventory"));
        }
    };
    let response = crate::inventory::service::ingest(&state, &auth, upload, hashes).await?;
    ::metrics::counter!(metrics::INVENTORY_INGESTS).increment(1);
    ::metrics::histogram!(metrics::INVENTORY_SECONDS).record(started.elapsed().as_secs_f64());
    Ok(Json(response))
}

/// An upload and the hashes of its sections: those the agent declared, checked against the
/// sections present, or else those of the sections as received.
fn decode_upload(raw: RawBody) -> Result<(InventoryUpload, Vec<(SectionKind, String)>), BodyError> {
    let plain = raw.inflate()?;
    let upload: InventoryUpload = kanri_proto::decode(&plain)?;
    if let Some(declared) = upload.declared_hashes()? {
        return Ok((upload, declared));
    }
    let hashes = kanri_proto::upload_section_hashes(&plain).map_err(|error| {
        BodyError::Decode(kanri_proto::DecodeError {
            field: "inventory".to_string(),
            reason: error.to_string(),
        })
    })?;
    Ok((upload, hashes))
}

/// `POST /agent/v1/uninstall`.
pub async fn uninstall(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<UninstallResponse>, AppError> {
    let auth = service::authenticate(&state, authorization(&headers)).await?;
    let request: UninstallRequest = decode_body(&headers, body, state.config.max_body_bytes)
        .await
        .map_err(|error| rejected(error, "uninstall"))?;
    Ok(Json(service::uninstall(&state, &auth, &request).await?))
}

/// Query of the channel poll.
#[derive(Debug, Deserialize)]
pub struct ChannelParams {
    /// Seconds to hold at most (capped by the protocol limit).
    wait: Option<u64>,
}

/// `GET /agent/v1/channel`.
pub async fn channel(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ChannelParams>,
) -> Result<Json<ChannelResponse>, AppError> {
    let auth = service::authenticate(&state, authorization(&headers)).await?;
    let hold = params
        .wait
        .unwrap_or(kanri_proto::limits::CHANNEL_HOLD_SECS)
        .min(kanri_proto::limits::CHANNEL_HOLD_SECS);
    Ok(Json(
        service::channel(&state, &auth, Duration::from_secs(hold)).await?,
    ))
}

/// Reply of the refresh action.
#[derive(Debug, Serialize)]
pub struct RefreshAccepted {
    /// The queued command.
    pub command_id: i64,
}

/// `POST /api/v1/devices/{id}/refresh`.
pub async fn refresh(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<RefreshAccepted>), AppError> {
    let command_id = service::request_refresh(&state, &actor, id).await?;
    Ok((StatusCode::ACCEPTED, Json(RefreshAccepted { command_id })))
}

/// `POST /api/v1/enrollment-tokens` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    #[serde(default)]
    label: String,
    #[serde(default)]
    expires_in_days: Option<u32>,
    #[serde(default)]
    uses: Option<u64>,
}

/// A token just created: the token text and the commands that use it, in this response only.
#[derive(Debug, Serialize)]
pub struct CreatedToken {
    /// The token as listed.
    #[serde(flatten)]
    pub enrollment_token: EnrollmentToken,
    /// The token text.
    pub token: String,
    /// The one line that installs and enrolls an agent on a Linux machine.
    pub install_command: String,
    /// `kanri-agent enroll …` for a machine with the agent installed.
    pub enroll_command: String,
    /// The address agents are given.
    pub server_url: String,
    /// The certificate's SHA-256 (the agent's `--ca-fingerprint`); null for plain HTTP.
    pub ca_fingerprint: Option<String>,
    /// What `curl --pinnedpubkey` takes; null for plain HTTP.
    pub public_key_pin: Option<String>,
}

/// `GET /api/v1/enrollment-tokens`.
pub async fn list_tokens(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Json<Vec<EnrollmentToken>>, AppError> {
    Ok(Json(
        service::list_enrollment_tokens(&state.db, &actor).await?,
    ))
}

/// `POST /api/v1/enrollment-tokens`.
pub async fn create_token(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    host: RequestHost,
    ApiJson(body): ApiJson<NewTokenBody>,
) -> Result<(StatusCode, Json<CreatedToken>), AppError> {
    // First: a request that cannot name the server creates nothing.
    let target = Target::of(&state, &host)?;
    let new = service::NewToken {
        label: &body.label,
        expires_in_days: body.expires_in_days,
        uses: body.uses,
    };
    let (enrollment_token, token) =
        service::create_enrollment_token(&state.db, &actor, &origin, &new).await?;
    let created = CreatedToken {
        enrollment_token,
        install_command: target.install_command(&token),
        enroll_command: target.enroll_command(&token),
        token,
        server_url: target.server_url,
        ca_fingerprint: target.fingerprint,
        public_key_pin: target.public_key_pin,
    };
    Ok((StatusCode::CREATED, Json(created)))
}

/// `DELETE /api/v1/enrollment-tokens/{id}`.
pub async fn revoke_token(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    service::revoke_enrollment_token(&state.db, &actor, &origin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /agent/install.sh`: the install script for the address the request came in on. No
/// authentication: it holds no secret. Never cached, since it depends on the request.
pub async fn install_script(
    State(state): State<AppState>,
    host: RequestHost,
) -> Result<Response, AppError> {
    let script = Target::of(&state, &host)?.script()?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/x-shellscript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        script,
    )
        .into_response())
}

/// `GET /agent/kanri-agent`: the agent executable, streamed; a 404 that says what to do when
/// the server has none.
pub async fn agent_binary(State(state): State<AppState>) -> Response {
    match install::open_agent_binary(&state.config).await {
        Ok((length, body)) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                (header::CONTENT_LENGTH, length.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"kanri-agent\"".to_string(),
                ),
                (header::CACHE_CONTROL, "no-cache".to_string()),
            ],
            body,
        )
            .into_response(),
        Err(AppError::NotFound(_)) => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{}\n", install::NO_AGENT_BINARY),
        )
            .into_response(),
        Err(other) => other.into_response(),
    }
}

/// `GET /agent/v1/user-info`: the user-information form of the agent's device.
pub async fn user_info_form(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<kanri_proto::UserInfoForm>, AppError> {
    let auth = service::authenticate(&state, authorization(&headers)).await?;
    Ok(Json(
        crate::assets::user_info::form(&state, auth.device_id).await?,
    ))
}

/// `POST /agent/v1/user-info`: the user's answers.
pub async fn user_info_answer(
    State(state): State<AppState>,
    origin: crate::audit::model::Origin,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<kanri_proto::UserInfoForm>, AppError> {
    let auth = service::authenticate(&state, authorization(&headers)).await?;
    let info: kanri_proto::UserInfo = decode_body(&headers, body, state.config.max_body_bytes)
        .await
        .map_err(|error| rejected(error, "user-info"))?;
    Ok(Json(
        crate::assets::user_info::answer(&state, auth.device_id, &origin.ip, &info).await?,
    ))
}
