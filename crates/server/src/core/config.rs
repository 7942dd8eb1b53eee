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
    /// The address agents reach this server at (`https://kanri.example:31443`), for the agent
    /// install command and script; `None`: the address each request came in on (its `Host`).
    /// Checked by [`check_public_url`].
    pub public_url: Option<String>,
    /// The `kanri-agent` executable handed out at `/agent/kanri-agent`; `None`: the one beside
    /// the server's own executable.
    pub agent_binary: Option<PathBuf>,
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
            .field("public_url", &self.public_url)
            .field("agent_binary", &self.agent_binary)
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
            public_url: None,
            agent_binary: None,
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
    /// See [`Config::public_url`].
    pub public_url: Option<String>,
    /// See [`Config::agent_binary`].
    pub agent_binary: Option<PathBuf>,
}

/// A public URL as `scheme://host[:port]`, without a trailing slash: the scheme must be what
/// the server serves (`http` only with `--http`), and nothing may follow the port.
///
/// # Errors
/// A sentence saying what is wrong.
pub fn check_public_url(url: &str, http: bool) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    let scheme = if http { "http" } else { "https" };
    let authority = url
        .strip_prefix(scheme)
        .and_then(|rest| rest.strip_prefix("://"))
        .ok_or_else(|| {
            format!("public_url must start with {scheme}:// (the scheme this server serves)")
        })?;
    if !is_host_and_port(authority) {
        return Err(format!(
            "public_url must be {scheme}://HOST or {scheme}://HOST:PORT, with nothing after the port"
        ));
    }
    Ok(url.to_string())
}

/// Whether `text` is `host` or `host:port`: a DNS name or IPv4 address (letters, digits,
/// dots and hyphens) or a bracketed IPv6 address, and a port from 1 to 65535. Nothing else
/// passes (no user info, path, spaces or quotes), so a passing value is safe in a URL, an
/// HTML attribute and a shell word.
pub fn is_host_and_port(text: &str) -> bool {
    if text.is_empty() || text.len() > 300 {
        return false;
    }
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let Some((address, after)) = rest.split_once(']') else {
            return false;
        };
        if address.parse::<std::net::Ipv6Addr>().is_err() {
            return false;
        }
        match after {
            "" => return true,
            _ => match after.strip_prefix(':') {
                Some(port) => ("[ipv6]", Some(port)),
                None => return false,
            },
        }
    } else {
        match text.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    let host_ok = host == "[ipv6]"
        || (!host.is_empty()
            && host.len() <= 253
            && !host.starts_with(['.', '-'])
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'));
    let port_ok = port.is_none_or(|port| {
        !port.is_empty()
            && port.len() <= 5
            && port.chars().all(|c| c.is_ascii_digit())
            && port.parse::<u16>().is_ok_and(|port| port > 0)
    });
    host_ok && port_ok
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_port_accepts_names_and_addresses_only() {
        for good in [
            "kanri.example",
            "kanri.example:31443",
            "192.168.1.10:31443",
            "localhost",
            "[::1]:31443",
            "[fe80::1]",
        ] {
            assert!(is_host_and_port(good), "{good}");
        }
        for bad in [
            "",
            "kanri.example:",
            "kanri.example:0",
            "kanri.example:65536",
            "user@kanri.example",
            "kanri.example/path",
            "kanri example",
            "kanri.example:31443'; rm -rf /",
            "$(id)",
            "[::1",
            "[not-v6]:1",
            "[::1]x",
            "-n",
            "kanri.example:31443:1",
        ] {
            assert!(!is_host_and_port(bad), "{bad}");
        }
    }

    #[test]
    fn the_public_url_must_use_the_served_scheme() {
        assert_eq!(
            check_public_url("https://kanri.example:31443/", false).as_deref(),
            Ok("https://kanri.example:31443")
        );
        assert!(check_public_url("http://kanri.example", false).is_err());
        assert!(check_public_url("http://kanri.example", true).is_ok());
        assert!(check_public_url("https://kanri.example/kanri", false).is_err());
        assert!(check_public_url("kanri.example", false).is_err());
    }
}
