//! [`Transport`]: blocking JSON requests to the agent API over a pinned TLS connection.

use std::io::{Read, Write};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use flate2::write::GzEncoder;
use flate2::Compression;
use kanri_proto::limits::{MAX_BODY_BYTES, MAX_COMPRESSED_BODY_BYTES};
use kanri_proto::{
    paths, ChannelResponse, CheckinRequest, CheckinResponse, EnrollRequest, EnrollResponse,
    ErrorBody, InventoryResponse, UninstallRequest, UninstallResponse, AUTH_SCHEME,
};
use rustls::ClientConfig;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::TransportError;
use super::pin::Pin;
use super::verifier::PinVerifier;
use crate::state::Credentials;

/// Bodies larger than this are sent gzip-compressed.
pub const GZIP_THRESHOLD_BYTES: usize = 4 * 1024;

/// Largest reply the agent reads; replies are small, this only stops a broken peer.
const MAX_REPLY_BYTES: u64 = MAX_BODY_BYTES as u64;
/// How much of an error reply is kept for the message.
const MAX_ERROR_REPLY_BYTES: u64 = 64 * 1024;

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// Server base URL, `http://` or `https://`, without a trailing slash.
    pub server_url: String,
    /// Required for `https://`, refused for `http://`.
    pub pin: Option<Pin>,
    /// Socket read timeout; the channel needs one above the server's hold time.
    pub read_timeout: Duration,
    /// Keep one idle connection for the next request. On for the channel (idempotent GETs
    /// that ureq retries on a stale connection); off for check-ins, whose POSTs could not be
    /// retried safely and which would otherwise hold a second idle socket on the server.
    pub keep_alive: bool,
}

impl TransportConfig {
    /// Settings for check-ins and uploads.
    pub fn requests(server_url: &str, pin: Option<Pin>) -> TransportConfig {
        TransportConfig {
            server_url: server_url.trim_end_matches('/').to_string(),
            pin,
            read_timeout: Duration::from_secs(60),
            keep_alive: false,
        }
    }

    /// Settings for the long-poll channel.
    pub fn channel(server_url: &str, pin: Option<Pin>) -> TransportConfig {
        TransportConfig {
            read_timeout: Duration::from_secs(kanri_proto::limits::CHANNEL_HOLD_SECS + 20),
            keep_alive: true,
            ..TransportConfig::requests(server_url, pin)
        }
    }
}

/// Credentials shared by the main loop and the channel thread, so that adopting new ones
/// after a reassignment takes effect on both at once.
#[derive(Debug, Clone, Default)]
pub struct SharedCredentials(Arc<RwLock<Option<Credentials>>>);

impl SharedCredentials {
    /// Holds `credentials`.
    pub fn new(credentials: Option<Credentials>) -> SharedCredentials {
        SharedCredentials(Arc::new(RwLock::new(credentials)))
    }

    /// Replaces the credentials.
    pub fn set(&self, credentials: Option<Credentials>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = credentials;
    }

    fn header(&self) -> Option<String> {
        let guard = self.0.read().unwrap_or_else(PoisonError::into_inner);
        guard.as_ref().map(|credentials| {
            format!(
                "{AUTH_SCHEME} {}:{}",
                credentials.agent_id,
                credentials.secret.expose()
            )
        })
    }
}

/// A client for the agent API. Cheap to clone; clones share the connection pool.
#[derive(Debug, Clone)]
pub struct Transport {
    agent: ureq::Agent,
    base_url: String,
    credentials: SharedCredentials,
}

impl Transport {
    /// Builds a client.
    ///
    /// # Errors
    /// [`TransportError::Request`] for a URL that is neither http nor https, an https URL
    /// without a pin, or an http URL with one.
    pub fn new(
        config: &TransportConfig,
        credentials: SharedCredentials,
    ) -> Result<Transport, TransportError> {
        let https = config.server_url.starts_with("https://");
        if !https && !config.server_url.starts_with("http://") {
            return Err(TransportError::Request(format!(
                "server URL {} must start with https:// or http://",
                config.server_url
            )));
        }
        let mut builder = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(10))
            .timeout_read(config.read_timeout)
            .timeout_write(Duration::from_secs(60))
            .redirects(0)
            .user_agent(concat!("kanri-agent/", env!("CARGO_PKG_VERSION")));
        if !config.keep_alive {
            builder = builder
                .max_idle_connections(0)
                .max_idle_connections_per_host(0);
        }
        match (https, config.pin) {
            (true, Some(pin)) => builder = builder.https_only(true).tls_config(tls_config(pin)?),
            (true, None) => {
                return Err(TransportError::Request(
                    "an https server needs a pinned certificate fingerprint".into(),
                ))
            }
            (false, Some(_)) => {
                return Err(TransportError::Request(
                    "a certificate fingerprint applies to https servers only".into(),
                ))
            }
            (false, None) => {}
        }
        Ok(Transport {
            agent: builder.build(),
            base_url: config.server_url.clone(),
            credentials,
        })
    }

    /// The credentials this client sends.
    pub fn credentials(&self) -> &SharedCredentials {
        &self.credentials
    }

    /// `POST paths::ENROLL`, unauthenticated.
    ///
    /// # Errors
    /// See [`TransportError`]; a 401 here is a [`TransportError::Rejected`], since the token,
    /// not the agent, is at fault.
    pub fn enroll(&self, request: &EnrollRequest) -> Result<EnrollResponse, TransportError> {
        self.post(paths::ENROLL, &encode(request)?, false)
    }

    /// `POST paths::CHECKIN`.
    ///
    /// # Errors
    /// See [`TransportError`].
    pub fn checkin(&self, request: &CheckinRequest) -> Result<CheckinResponse, TransportError> {
        self.post(paths::CHECKIN, &encode(request)?, true)
    }

    /// `POST paths::INVENTORY` with an already encoded `InventoryUpload`, so the same bytes
    /// can go to the offline queue when the server is away.
    ///
    /// # Errors
    /// See [`TransportError`].
    pub fn upload(&self, path: &str, json: &[u8]) -> Result<InventoryResponse, TransportError> {
        self.post(path, json, true)
    }

    /// `POST paths::UNINSTALL`: the server revokes these credentials.
    ///
    /// # Errors
    /// See [`TransportError`].
    pub fn uninstall(
        &self,
        request: &UninstallRequest,
    ) -> Result<UninstallResponse, TransportError> {
        self.post(paths::UNINSTALL, &encode(request)?, true)
    }

    /// `GET paths::USER_INFO`: the user-information form of this agent's device.
    ///
    /// # Errors
    /// See [`TransportError`].
    pub fn user_info_form(&self) -> Result<kanri_proto::UserInfoForm, TransportError> {
        let request = self.request("GET", paths::USER_INFO, true)?;
        finish(request.call(), true)
    }

    /// `POST paths::USER_INFO`: the user's answers; the reply is the form as it is now.
    ///
    /// # Errors
    /// See [`TransportError`].
    pub fn user_info_answer(
        &self,
        answers: &kanri_proto::UserInfo,
    ) -> Result<kanri_proto::UserInfoForm, TransportError> {
        self.post(paths::USER_INFO, &encode(answers)?, true)
    }

    /// `GET paths::CHANNEL`: blocks until the server has commands or its hold time ran out.
    ///
    /// # Errors
    /// See [`TransportError`].
    pub fn channel(&self) -> Result<ChannelResponse, TransportError> {
        let request = self.request("GET", paths::CHANNEL, true)?;
        finish(request.call(), true)
    }

    fn post<R: DeserializeOwned>(
        &self,
        path: &str,
        json: &[u8],
        auth: bool,
    ) -> Result<R, TransportError> {
        let (body, gzip) = compress(json)?;
        let mut request = self
            .request("POST", path, auth)?
            .set("Content-Type", "application/json");
        if gzip {
            request = request.set("Content-Encoding", "gzip");
        }
        finish(request.send_bytes(&body), auth)
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        auth: bool,
    ) -> Result<ureq::Request, TransportError> {
        let url = format!("{}{path}", self.base_url);
        let mut request = self
            .agent
            .request(method, &url)
            .set("Accept", "application/json");
        if auth {
            let header = self
                .credentials
                .header()
                .ok_or(TransportError::Unauthorized)?;
            request = request.set("Authorization", &header);
        }
        Ok(request)
    }
}

/// The rustls configuration that trusts exactly the pinned certificate.
///
/// # Errors
/// [`TransportError::Request`] if the crypto provider supports no safe protocol version
/// (the ring provider always does).
pub fn tls_config(pin: Pin) -> Result<Arc<ClientConfig>, TransportError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(PinVerifier::new(pin, provider.clone()));
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| TransportError::Request(format!("tls configuration: {error}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Serializes a request body.
///
/// # Errors
/// [`TransportError::Request`] if serialization fails (it cannot for the proto types).
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, TransportError> {
    serde_json::to_vec(value).map_err(|error| TransportError::Request(error.to_string()))
}

/// Gzips bodies above [`GZIP_THRESHOLD_BYTES`]; refuses bodies the server would refuse.
fn compress(json: &[u8]) -> Result<(std::borrow::Cow<'_, [u8]>, bool), TransportError> {
    if json.len() > MAX_BODY_BYTES {
        return Err(TransportError::Request(format!(
            "body of {} bytes is larger than the server's limit of {MAX_BODY_BYTES}",
            json.len()
        )));
    }
    if json.len() <= GZIP_THRESHOLD_BYTES {
        return Ok((json.into(), false));
    }
    let mut encoder = GzEncoder::new(Vec::with_capacity(json.len() / 4), Compression::default());
    let compressed = encoder
        .write_all(json)
        .and_then(|()| encoder.finish())
        .map_err(|error| TransportError::Request(format!("compressing: {error}")))?;
    if compressed.len() > MAX_COMPRESSED_BODY_BYTES {
        return Err(TransportError::Request(format!(
            "compressed body of {} bytes is larger than the server's limit of {MAX_COMPRESSED_BODY_BYTES}",
            compressed.len()
        )));
    }
    Ok((compressed.into(), true))
}

fn finish<R: DeserializeOwned>(
    result: Result<ureq::Response, ureq::Error>,
    auth: bool,
) -> Result<R, TransportError> {
    match result {
        Ok(response) => {
            let status = response.status();
            if !(200..300).contains(&status) {
                let location = response.header("Location").unwrap_or("").to_string();
                return Err(TransportError::BadReply(format!(
                    "status {status} {location}"
                )));
            }
            let bytes = read_limited(response, MAX_REPLY_BYTES)
                .map_err(|error| TransportError::Network(format!("reading the reply: {error}")))?;
            kanri_proto::decode(&bytes).map_err(|error| TransportError::BadReply(error.to_string()))
        }
        Err(ureq::Error::Status(status, response)) => {
            let body = read_limited(response, MAX_ERROR_REPLY_BYTES).unwrap_or_default();
            Err(classify(status, &body, auth))
        }
        Err(ureq::Error::Transport(transport)) => {
            Err(TransportError::Network(transport.to_string()))
        }
    }
}

fn read_limited(response: ureq::Response, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    response.into_reader().take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Sorts an error status: 401 (authenticated requests only) stops the agent, 408/429/5xx
/// are worth retrying, every other 4xx is final for that payload.
pub fn classify(status: u16, body: &[u8], auth: bool) -> TransportError {
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let message = match &parsed {
        Some(error) => match &error.field {
            Some(field) => format!("{} (field {field})", error.message),
            None => error.message.clone(),
        },
        None => excerpt(body),
    };
    match status {
        401 if auth => TransportError::Unauthorized,
        408 | 429 | 500..=599 => TransportError::Unavailable { status, message },
        _ => TransportError::Rejected {
            status,
            code: parsed.map_or_else(|| format!("http_{status}"), |error| error.code),
            message,
        },
    }
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body.get(..200).unwrap_or(body));
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}
