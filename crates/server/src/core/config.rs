//! Server settings: command-line flags, `KANRI_*` environment variables and an optional TOML
//! file, in that order of precedence, resolved once into [`Config`].

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Settings a server runs with, after every source has been applied.
#[derive(Clone)]
pub struct Config {
    /// Where the SQLite database, TLS material and generated files live.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; `None` means SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Serve plain HTTP instead of HTTPS.
    pub http: bool,
    /// PEM certificate chain to serve instead of the generated one.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Most managed devices allowed; `None` is unlimited.
    pub licence_devices: Option<u64>,
    /// Largest decompressed agent request body.
    pub max_body_bytes: usize,
    /// Check-in interval handed to agents, in seconds, until an administrator changes the
    /// agent settings (it is their version-0 default).
    pub checkin_interval_secs: u64,
    /// How long events are kept, in days.
    pub event_retention_days: u64,
    /// How often buffered last-seen times and counters are written, in milliseconds.
    pub flush_interval_ms: u64,
    /// Most database connections.
    pub db_max_connections: u32,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("listen", &self.listen)
            .field("http", &self.http)
            .field("tls_cert", &self.tls_cert)
            .field("licence_devices", &self.licence_devices)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("checkin_interval_secs", &self.checkin_interval_secs)
            .finish_non_exhaustive()
    }
}

/// Hides the password of a database URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

impl Config {
    /// Settings for a server in `data_dir` with every default; tests start from this.
    pub fn new(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            data_dir: data_dir.into(),
            database_url: None,
            listen: SocketAddr::from(([0, 0, 0, 0], 31443)),
            http: false,
            tls_cert: None,
            tls_key: None,
            licence_devices: None,
            max_body_bytes: kanri_proto::limits::MAX_BODY_BYTES,
            checkin_interval_secs: kanri_proto::settings::DEFAULT_CHECKIN_INTERVAL_SECS,
            event_retention_days: 400,
            flush_interval_ms: 2000,
            db_max_connections: 16,
        }
    }

    /// The database URL to connect to.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("kanri.db").display()
            ),
        }
    }
}

/// Values from a `--config` TOML file; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// See [`Config::data_dir`].
    pub data_dir: Option<PathBuf>,
    /// See [`Config::database_url`].
    pub database_url: Option<String>,
    /// See [`Config::listen`].
    pub listen: Option<SocketAddr>,
    /// See [`Config::http`].
    pub http: Option<bool>,
    /// See [`Config::tls_cert`].
    pub tls_cert: Option<PathBuf>,
    /// See [`Config::tls_key`].
    pub tls_key: Option<PathBuf>,
    /// See [`Config::licence_devices`].
    pub licence_devices: Option<u64>,
    /// See [`Config::max_body_bytes`].
    pub max_body_bytes: Option<usize>,
    /// See [`Config::checkin_interval_secs`].
    pub checkin_interval_secs: Option<u64>,
    /// See [`Config::event_retention_days`].
    pub event_retention_days: Option<u64>,
    /// See [`Config::flush_interval_ms`].
    pub flush_interval_ms: Option<u64>,
    /// See [`Config::db_max_connections`].
    pub db_max_connections: Option<u32>,
}

impl FileConfig {
    /// Reads a TOML file.
    ///
    /// # Errors
    /// When the file cannot be read or holds unknown keys or wrong types.
    pub fn load(path: &Path) -> Result<FileConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        toml::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))
    }
}
