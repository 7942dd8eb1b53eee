//! The HTTP side: one shared keep-alive [`reqwest::Client`] for every simulated agent, a
//! semaphore bounding requests in flight, gzip for large bodies, and the classification of
//! every failure into a short key (`401 unauthorized`, `connect`, `timeout`, …) for the report.

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use http_body_util::Full;
use kanri_proto::{paths, CheckinResponse, EnrollResponse, ErrorBody, InventoryResponse};
use reqwest::header::{
    HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, USER_AGENT,
};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

use crate::cli::Config;
use crate::plain::PlainPool;
use crate::report::{Kind, Stats};

/// Bodies larger than this are sent gzip-compressed, as real agents do.
pub const GZIP_THRESHOLD: usize = 4 * 1024;
/// Longest wait for one request, connection and body included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const USER_AGENT_VALUE: &str = concat!("kanri-loadgen/", env!("CARGO_PKG_VERSION"));

/// A request body, compressed or not.
pub struct Payload {
    bytes: Vec<u8>,
    gzip: bool,
}

impl Payload {
    /// JSON bytes, gzip-compressed when larger than [`GZIP_THRESHOLD`].
    pub fn json(bytes: Vec<u8>) -> Payload {
        if bytes.len() <= GZIP_THRESHOLD {
            return Payload { bytes, gzip: false };
        }
        let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 6), Compression::fast());
        // Writing to a Vec cannot fail.
        match encoder.write_all(&bytes).and_then(|()| encoder.finish()) {
            Ok(compressed) => Payload {
                bytes: compressed,
                gzip: true,
            },
            Err(_) => Payload { bytes, gzip: false },
        }
    }

    /// The bytes as sent.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether the bytes are gzip-compressed.
    pub fn is_gzip(&self) -> bool {
        self.gzip
    }
}

/// Why a request failed, already counted in [`Stats`].
#[derive(Debug, Clone)]
pub struct Failure {
    /// The report key: `401 unauthorized`, `connect`, …
    pub key: String,
    /// The HTTP status, when a reply came.
    pub status: Option<StatusCode>,
}

impl Failure {
    /// The server refused the credentials or the token: retrying cannot help.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self.status,
            Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        )
    }

    /// Overload or a transport problem: worth retrying later.
    pub fn is_transient(&self) -> bool {
        match self.status {
            None => true,
            Some(status) => {
                status == StatusCode::TOO_MANY_REQUESTS
                    || status == StatusCode::SERVICE_UNAVAILABLE
                    || status == StatusCode::BAD_GATEWAY
            }
        }
    }
}

/// Why a request got no reply, from either transport: the report key and the message.
pub struct TransportError {
    /// `connect`, `timeout`, `request` or `body`.
    pub key: &'static str,
    /// What went wrong, for the first failure of its key.
    pub message: String,
}

impl TransportError {
    pub(crate) fn new(key: &'static str, error: impl std::fmt::Display) -> TransportError {
        TransportError {
            key,
            message: error.to_string(),
        }
    }
}

/// One agent API endpoint: its path for the plain-HTTP pool, its URL for `reqwest`.
struct Endpoint {
    path: &'static str,
    url: reqwest::Url,
}

/// The agent API as the simulated agents use it.
pub struct Api {
    client: reqwest::Client,
    /// Set for `http://` servers: requests go through it instead of `client`.
    plain: Option<PlainPool>,
    base: String,
    enroll: Endpoint,
    checkin: Endpoint,
    inventory: Endpoint,
    /// Every request holds one of these: `--concurrency` in all.
    permits: Semaphore,
    /// Inventory uploads also hold one of these, a quarter of `--concurrency`, so slow
    /// uploads never take every connection from the small frequent requests.
    upload_permits: Semaphore,
    stats: Arc<Stats>,
}

impl Api {
    /// Builds the shared client.
    ///
    /// # Errors
    /// When the TLS back end cannot be set up or the server URL cannot take the API paths.
    pub fn new(config: &Config, stats: Arc<Stats>) -> anyhow::Result<Api> {
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT_VALUE)
            .pool_max_idle_per_host(config.concurrency)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .danger_accept_invalid_certs(config.insecure)
            .build()
            .context("cannot build the HTTP client")?;
        // Parsed once: parsing a URL per request costs more than a check-in's JSON.
        let endpoint = |path: &'static str| {
            let text = format!("{}{path}", config.server);
            let url =
                reqwest::Url::parse(&text).with_context(|| format!("{text:?} is not a URL"))?;
            Ok::<_, anyhow::Error>(Endpoint { path, url })
        };
        Ok(Api {
            client,
            plain: PlainPool::for_base(&config.server, CONNECT_TIMEOUT, REQUEST_TIMEOUT),
            base: config.server.clone(),
            enroll: endpoint(paths::ENROLL)?,
            checkin: endpoint(paths::CHECKIN)?,
            inventory: endpoint(paths::INVENTORY)?,
            permits: Semaphore::new(config.concurrency),
            upload_permits: Semaphore::new((config.concurrency / 4).max(1)),
            stats,
        })
    }

    /// Checks that the server answers at all, whatever the status.
    ///
    /// # Errors
    /// When no HTTP reply comes: refused connection, unknown host, TLS failure, timeout.
    pub async fn preflight(&self) -> anyhow::Result<()> {
        let reply = self
            .client
            .get(&self.base)
            .timeout(CONNECT_TIMEOUT)
            .send()
            .await;
        match reply {
            Ok(_) => Ok(()),
            Err(error) => {
                let hint = if self.base.starts_with("https") && is_tls_error(&error) {
                    " (a self-signed certificate needs --insecure)"
                } else {
                    ""
                };
                anyhow::bail!(
                    "cannot reach the server at {}: {}{hint}",
                    self.base,
                    error_chain(&error)
                )
            }
        }
    }

    /// `POST /agent/v1/enroll`.
    ///
    /// # Errors
    /// [`Failure`] when no valid reply came; it is already counted.
    pub async fn enroll(&self, body: Vec<u8>) -> Result<EnrollResponse, Failure> {
        self.post(Kind::Enroll, &self.enroll, None, Payload::json(body), None)
            .await
    }

    /// `POST /agent/v1/checkin` with the agent's pre-serialized body; `scheduled` is when it
    /// was due, for the schedule-lag measurement.
    ///
    /// # Errors
    /// [`Failure`] when no valid reply came; it is already counted.
    pub async fn checkin(
        &self,
        auth: &str,
        body: &[u8],
        scheduled: Instant,
    ) -> Result<CheckinResponse, Failure> {
        let payload = Payload::json(body.to_vec());
        self.post(
            Kind::Checkin,
            &self.checkin,
            Some(auth),
            payload,
            Some(scheduled),
        )
        .await
    }

    /// `POST /agent/v1/inventory`, counted as `kind`.
    ///
    /// # Errors
    /// [`Failure`] when no valid reply came; it is already counted.
    pub async fn inventory(
        &self,
        kind: Kind,
        auth: &str,
        payload: Payload,
    ) -> Result<InventoryResponse, Failure> {
        self.post(kind, &self.inventory, Some(auth), payload, None)
            .await
    }

    async fn post<T: DeserializeOwned>(
        &self,
        kind: Kind,
        endpoint: &Endpoint,
        auth: Option<&str>,
        payload: Payload,
        scheduled: Option<Instant>,
    ) -> Result<T, Failure> {
        // The semaphores are never closed.
        let _upload_permit = match kind {
            Kind::InventoryFull | Kind::InventoryDelta => self.upload_permits.acquire().await.ok(),
            Kind::Enroll | Kind::Checkin => None,
        };
        let _permit = self.permits.acquire().await.ok();
        if let Some(scheduled) = scheduled {
            self.stats
                .record_lag(kind, Instant::now().saturating_duration_since(scheduled));
        }
        let size = payload.bytes.len();
        let auth = match auth.map(HeaderValue::try_from).transpose() {
            Ok(auth) => auth.map(|mut value| {
                value.set_sensitive(true);
                value
            }),
            Err(_) => {
                self.stats.begin();
                return Err(
                    self.fail(kind, Instant::now(), 0, "bad_credentials", None, || {
                        "the server's credentials cannot be sent as a header".to_string()
                    }),
                );
            }
        };
        self.stats.begin();
        let started = Instant::now();
        let reply = match &self.plain {
            Some(pool) => pool.send(plain_request(endpoint, auth, payload)).await,
            None => self.send_reqwest(endpoint, auth, payload).await,
        };
        let (status, body) = match reply {
            Ok(reply) => reply,
            Err(error) => {
                return Err(self.fail(kind, started, size, error.key, None, || error.message));
            }
        };
        if status.is_success() {
            return match kanri_proto::decode::<T>(&body) {
                Ok(value) => {
                    self.stats.record_ok(kind, started, size);
                    Ok(value)
                }
                Err(error) => {
                    Err(
                        self.fail(kind, started, size, "bad_reply", Some(status), || {
                            format!("{status}: {error}")
                        }),
                    )
                }
            };
        }
        let (key, message) = match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(error) => {
                let message = match &error.field {
                    Some(field) => format!("{} (field {field})", error.message),
                    None => error.message,
                };
                (format!("{} {}", status.as_u16(), error.code), message)
            }
            Err(_) => (
                status.as_u16().to_string(),
                String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
            ),
        };
        Err(self.fail(kind, started, size, &key, Some(status), || message))
    }

    async fn send_reqwest(
        &self,
        endpoint: &Endpoint,
        auth: Option<HeaderValue>,
        payload: Payload,
    ) -> Result<(StatusCode, Bytes), TransportError> {
        let request = self
            .client
            .post(endpoint.url.clone())
            .headers(request_headers(auth, payload.gzip));
        let reply = async {
            let response = request.body(payload.bytes).send().await?;
            let status = response.status();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, body))
        }
        .await;
        reply.map_err(|error| TransportError::new(transport_key(&error), error_chain(&error)))
    }

    /// Counts a failure; `message` is built only for the first failure of its key.
    fn fail(
        &self,
        kind: Kind,
        started: Instant,
        size: usize,
        key: &str,
        status: Option<StatusCode>,
        message: impl FnOnce() -> String,
    ) -> Failure {
        self.stats.record_error(kind, started, size, key, message);
        Failure {
            key: key.to_string(),
            status,
        }
    }
}

/// The request [`PlainPool::send`] takes: path, headers, body.
fn plain_request(
    endpoint: &Endpoint,
    auth: Option<HeaderValue>,
    payload: Payload,
) -> hyper::Request<Full<Bytes>> {
    let mut request = hyper::Request::new(Full::new(Bytes::from(payload.bytes)));
    *request.method_mut() = hyper::Method::POST;
    *request.uri_mut() = hyper::Uri::from_static(endpoint.path);
    *request.headers_mut() = request_headers(auth, payload.gzip);
    request
}

/// The headers of every agent API request, whichever transport sends it.
fn request_headers(auth: Option<HeaderValue>, gzip: bool) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(4);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
    if gzip {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if let Some(auth) = auth {
        headers.insert(AUTHORIZATION, auth);
    }
    headers
}

fn transport_key(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect"
    } else if error.is_body() || error.is_decode() {
        "body"
    } else {
        "request"
    }
}

fn is_tls_error(error: &reqwest::Error) -> bool {
    let chain = error_chain(error).to_lowercase();
    chain.contains("certificate") || chain.contains("tls") || chain.contains("handshake")
}

/// The error and its causes, joined by `: `.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use flate2::read::GzDecoder;

    use super::*;

    /// Checks that `bytes` are compressed exactly when `gzip`, and arrive intact.
    fn check(bytes: Vec<u8>, gzip: bool) {
        let payload = Payload::json(bytes.clone());
        assert_eq!(payload.is_gzip(), gzip);
        let mut received = Vec::new();
        if payload.is_gzip() {
            GzDecoder::new(payload.bytes())
                .read_to_end(&mut received)
                .expect("valid gzip");
            assert!(payload.bytes().len() < bytes.len() / 3);
        } else {
            received = payload.bytes().to_vec();
        }
        assert_eq!(received, bytes);
    }

    #[test]
    fn bodies_over_four_kib_are_gzipped() {
        check(br#"{"host_id":"h"}"#.to_vec(), false);
        check(vec![b' '; GZIP_THRESHOLD], false);
        let large = r#"{"name":"libc6","version":"2.36-9+deb12u4"},"#.repeat(200);
        check(large.into_bytes(), true);
    }

    #[test]
    fn failures_tell_refusals_from_transient_errors() {
        let failure = |status: Option<u16>| Failure {
            key: String::new(),
            status: status.map(|code| StatusCode::from_u16(code).expect("valid status")),
        };
        assert!(failure(Some(401)).is_refusal() && !failure(Some(401)).is_transient());
        assert!(failure(Some(403)).is_refusal());
        assert!(failure(Some(503)).is_transient() && failure(None).is_transient());
        assert!(!failure(Some(422)).is_refusal() && !failure(Some(422)).is_transient());
    }
}
