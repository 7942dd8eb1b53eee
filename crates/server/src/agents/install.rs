//! Installing an agent with one command line: where agents reach this server and how they
//! verify it ([`Target`]), the command the console and the REST API show, the install script
//! served at [`SCRIPT_PATH`], and the agent executable it downloads from [`BINARY_PATH`].
//!
//! The script and the executable hold no secret: the enrollment token travels only in the
//! command line the administrator runs, and the script hands it to the agent in its
//! environment, never printing it.

use std::path::PathBuf;

use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use tokio::io::AsyncReadExt;

use crate::app::AppState;
use crate::core::config::{is_host_and_port, Config};
use crate::core::error::AppError;
use crate::core::tls::TlsMaterial;

/// Where the install script is served.
pub const SCRIPT_PATH: &str = "/agent/install.sh";

/// Where the agent executable is served.
pub const BINARY_PATH: &str = "/agent/kanri-agent";

/// The host a request was sent to, as the client wrote it: its `Host` header, or over
/// HTTP/2 (which has none) the authority of its URI. Unchecked: [`Target::of`] checks it.
#[derive(Debug, Clone, Default)]
pub struct RequestHost(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for RequestHost {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<RequestHost, std::convert::Infallible> {
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string)
            .or_else(|| parts.uri.authority().map(|authority| authority.to_string()));
        Ok(RequestHost(host))
    }
}

/// Where agents reach this server and how they verify it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `https://host:port` (or `http://…` for a plain-HTTP server), no trailing slash.
    pub server_url: String,
    /// The certificate's SHA-256, hex: the agent's `--ca-fingerprint`. `None` for plain HTTP.
    pub fingerprint: Option<String>,
    /// `sha256//…`: what `curl --pinnedpubkey` takes. `None` for plain HTTP, or a certificate
    /// whose public key could not be read (curl then checks it against the system's CAs).
    pub public_key_pin: Option<String>,
}

impl Target {
    /// This server as seen by the request: the configured public URL when there is one, else
    /// the host the request was sent to (what the browser or curl used to get here), with the
    /// scheme this server serves.
    ///
    /// # Errors
    /// 400 when there is no public URL and the request names no well-formed host (`host` or
    /// `host:port`).
    pub fn of(state: &AppState, host: &RequestHost) -> Result<Target, AppError> {
        Target::resolve(&state.config, state.tls.as_deref(), host.0.as_deref())
    }

    /// [`Target::of`] from its parts.
    ///
    /// # Errors
    /// 400 as [`Target::of`].
    pub fn resolve(
        config: &Config,
        tls: Option<&TlsMaterial>,
        host: Option<&str>,
    ) -> Result<Target, AppError> {
        let server_url = match (&config.public_url, host) {
            (Some(url), _) => url.clone(),
            (None, Some(host)) if is_host_and_port(host) => {
                let scheme = if tls.is_some() { "https" } else { "http" };
                format!("{scheme}://{host}")
            }
            (None, _) => {
                return Err(AppError::Invalid {
                    code: "no_server_address",
                    message: "the request's Host header is missing or not host[:port], so the \
                              server cannot tell the address agents reach it at; start it with \
                              --public-url"
                        .into(),
                    field: None,
                })
            }
        };
        Ok(Target {
            server_url,
            fingerprint: tls.map(|tls| tls.fingerprint.clone()),
            public_key_pin: tls.and_then(|tls| tls.public_key_pin.clone()),
        })
    }

    /// The URL of the install script.
    pub fn script_url(&self) -> String {
        format!("{}{SCRIPT_PATH}", self.server_url)
    }

    /// The one command that installs and enrolls an agent on a Linux machine:
    /// `curl --pinnedpubkey 'sha256//…' -kfsSL https://…/agent/install.sh | sudo sh -s --
    /// --token TOKEN`. The pin replaces the certificate authority check (`-k`): curl refuses
    /// any other key before a byte of the script is read. Plain HTTP has nothing to pin.
    pub fn install_command(&self, token: &str) -> String {
        let curl = match (&self.fingerprint, &self.public_key_pin) {
            (Some(_), Some(pin)) => format!("curl --pinnedpubkey {} -kfsSL", quoted(pin)),
            _ => "curl -fsSL".to_string(),
        };
        format!(
            "{curl} {} | sudo sh -s -- --token {}",
            shell_word(&self.script_url()),
            shell_word(token)
        )
    }

    /// `kanri-agent enroll …` for a machine where the agent is installed already.
    pub fn enroll_command(&self, token: &str) -> String {
        let verify = match &self.fingerprint {
            Some(fingerprint) => format!("--ca-fingerprint {}", shell_word(fingerprint)),
            None => "--insecure-http".to_string(),
        };
        format!(
            "sudo kanri-agent enroll --server {} --token {} {verify}",
            shell_word(&self.server_url),
            shell_word(token)
        )
    }

    /// The install script for this target.
    ///
    /// # Errors
    /// [`AppError::Internal`] if the template fails to render.
    pub fn script(&self) -> Result<String, AppError> {
        let script = InstallScript {
            server_url: quoted(&self.server_url),
            fingerprint: quoted(self.fingerprint.as_deref().unwrap_or("")),
            public_key_pin: quoted(self.public_key_pin.as_deref().unwrap_or("")),
            agent_path: BINARY_PATH,
        };
        script
            .render()
            .map_err(|error| AppError::Internal(format!("install script: {error}")))
    }
}

/// The install script (`templates/install.sh`); every value is a single-quoted shell word.
#[derive(Template)]
#[template(path = "install.sh", escape = "none")]
struct InstallScript {
    server_url: String,
    fingerprint: String,
    public_key_pin: String,
    agent_path: &'static str,
}

/// `text` in single quotes, as one shell word whatever it holds.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `text` as one shell word: as it is when no shell treats any of its characters specially,
/// else [`quoted`].
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c));
    if plain {
        text.to_string()
    } else {
        quoted(text)
    }
}

/// The `kanri-agent` executable this server hands out: `agent_binary` from the settings, else
/// the one beside the server's own executable; `None` when that file does not exist.
pub fn agent_binary(config: &Config) -> Option<PathBuf> {
    let path = match &config.agent_binary {
        Some(path) => path.clone(),
        None => std::env::current_exe().ok()?.with_file_name("kanri-agent"),
    };
    path.is_file().then_some(path)
}

/// Why the agent executable cannot be handed out.
pub const NO_AGENT_BINARY: &str = "this server has no kanri-agent to hand out: put the \
     kanri-agent executable beside kanri-server, or start the server with --agent-binary PATH";

/// The agent executable as a streamed body, and its length.
///
/// # Errors
/// [`AppError::NotFound`] when there is none; [`AppError::Internal`] when it cannot be read.
pub async fn open_agent_binary(config: &Config) -> Result<(u64, Body), AppError> {
    let path = agent_binary(config).ok_or(AppError::NotFound("kanri-agent executable"))?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|error| AppError::Internal(format!("{}: {error}", path.display())))?;
    let length = file
        .metadata()
        .await
        .map_err(|error| AppError::Internal(format!("{}: {error}", path.display())))?
        .len();
    // Read in 64 KiB pieces: an executable of tens of megabytes is never held whole, however
    // many machines install at once. A read error ends the stream (and the response).
    let chunks = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buffer = vec![0u8; 64 * 1024];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(read) => {
                buffer.truncate(read);
                Some((Ok(Bytes::from(buffer)), Some(file)))
            }
            Err(error) => Some((Err::<Bytes, std::io::Error>(error), None)),
        }
    });
    Ok((length, Body::from_stream(chunks)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls() -> TlsMaterial {
        TlsMaterial {
            cert_path: "cert.pem".into(),
            key_path: "key.pem".into(),
            fingerprint: "ab".repeat(32),
            public_key_pin: Some("sha256//Tukf9KzbvEt0zWa7+EbHOvr5E52V17aySKnqzbu5lmI=".into()),
            generated: false,
        }
    }

    fn check(config: &Config, tls: Option<&TlsMaterial>, host: Option<&str>, expected: &str) {
        let actual = match Target::resolve(config, tls, host) {
            Ok(target) => target.install_command("ket_0123"),
            Err(error) => format!("error: {}", error.parts().1),
        };
        assert_eq!(actual, expected, "host {host:?}");
    }

    #[test]
    fn the_command_pins_the_key_and_names_the_address_used() {
        let config = Config::new("/nonexistent");
        check(
            &config,
            Some(&tls()),
            Some("kanri.example:31443"),
            "curl --pinnedpubkey 'sha256//Tukf9KzbvEt0zWa7+EbHOvr5E52V17aySKnqzbu5lmI=' -kfsSL \
             https://kanri.example:31443/agent/install.sh | sudo sh -s -- --token ket_0123",
        );
        check(
            &config,
            None,
            Some("10.0.0.5:8080"),
            "curl -fsSL http://10.0.0.5:8080/agent/install.sh | sudo sh -s -- --token ket_0123",
        );
        check(
            &config,
            None,
            Some("[::1]:8080"),
            "curl -fsSL 'http://[::1]:8080/agent/install.sh' | sudo sh -s -- --token ket_0123",
        );
        let unpinned = TlsMaterial {
            public_key_pin: None,
            ..tls()
        };
        check(
            &config,
            Some(&unpinned),
            Some("kanri.example"),
            "curl -fsSL https://kanri.example/agent/install.sh | sudo sh -s -- --token ket_0123",
        );
    }

    #[test]
    fn a_forged_host_never_reaches_the_command() {
        let config = Config::new("/nonexistent");
        for host in [None, Some("evil.example/$(id)"), Some("a b"), Some("x'y")] {
            check(&config, Some(&tls()), host, "error: no_server_address");
        }
        let mut config = Config::new("/nonexistent");
        config.public_url = Some("https://kanri.example:31443".into());
        check(
            &config,
            Some(&tls()),
            Some("evil.example"),
            "curl --pinnedpubkey 'sha256//Tukf9KzbvEt0zWa7+EbHOvr5E52V17aySKnqzbu5lmI=' -kfsSL \
             https://kanri.example:31443/agent/install.sh | sudo sh -s -- --token ket_0123",
        );
    }

    #[test]
    fn the_enroll_command_pins_the_certificate() {
        let config = Config::new("/nonexistent");
        let target = Target::resolve(&config, Some(&tls()), Some("kanri.example")).unwrap();
        assert_eq!(
            target.enroll_command("ket_1"),
            format!(
                "sudo kanri-agent enroll --server https://kanri.example --token ket_1 \
                 --ca-fingerprint {}",
                "ab".repeat(32)
            )
        );
        let target = Target::resolve(&config, None, Some("kanri.example")).unwrap();
        assert!(target.enroll_command("ket_1").ends_with("--insecure-http"));
    }

    #[test]
    fn the_script_quotes_what_it_is_given() {
        let target = Target {
            server_url: "https://it's.example".into(),
            fingerprint: Some("ab".repeat(32)),
            public_key_pin: None,
        };
        let script = target.script().unwrap();
        assert!(script.starts_with("#!/bin/sh\n"), "{script}");
        assert!(script.contains("\nset -eu\n"));
        assert!(
            script.contains(r"server='https://it'\''s.example'"),
            "{script}"
        );
        assert!(script.contains("pin=''\n"), "{script}");
        assert!(!script.contains("{{"), "every placeholder filled");
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("ket_abc123"), "ket_abc123");
        assert_eq!(shell_word("https://h:1/x"), "https://h:1/x");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("$(id)"), "'$(id)'");
        assert_eq!(quoted("it's"), r"'it'\''s'");
    }
}
