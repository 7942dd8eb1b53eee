//! `kanri-agent enroll`: exchanges an enrollment token for credentials (DESIGN §4).
//!
//! The host identifier is generated at the first successful enrollment and kept across
//! re-enrollments; only `reset-id` forgets it. A failed enrollment writes nothing, so a
//! state dir never holds half an enrollment.

use std::path::Path;

use anyhow::{anyhow, bail, Context};
use kanri_proto::{EnrollRequest, EnrollResponse, Text};

use crate::cli::EnrollArgs;
use crate::collect::{self, CollectContext};
use crate::lock::StateLock;
use crate::queue::{Queue, QueueConfig};
use crate::state::{forget_settings, resolve_state_dir, Credentials, Secret, State, Status};
use crate::transport::{Pin, SharedCredentials, Transport, TransportConfig, TransportError};

/// Runs `enroll`.
///
/// # Errors
/// Inconsistent arguments, a running agent, an unreachable server, a refused token, or a
/// state dir that cannot be written.
pub fn enroll(args: &EnrollArgs) -> anyhow::Result<()> {
    let dir = resolve_state_dir(args.state.state_dir.as_deref())?;
    let _lock = StateLock::acquire(&dir)?;
    let existing = State::load(&dir)?;
    let (server_url, pin) = target(args, existing.as_ref())?;
    let mut state = existing.unwrap_or_else(|| State::new(server_url.clone(), pin));
    // Kept across re-enrollments; a new one only for a new machine or after `reset-id`.
    let host_id = state.host_id.clone().unwrap_or_else(new_host_id);
    let inventory = collect::collect_all(&CollectContext {
        root: "/".into(),
        cache_dir: Some(dir.join("cache")),
    });
    let request = EnrollRequest {
        token: Text::new(args.token.trim()).context("the token holds invalid characters")?,
        host_id: Text::from(host_id.as_str()),
        agent_version: Text::from(env!("CARGO_PKG_VERSION")),
        facts: collect::identity_facts(&inventory),
    };
    let transport = Transport::new(
        &TransportConfig::requests(&server_url, pin),
        SharedCredentials::default(),
    )?;
    let reply = transport.enroll(&request).map_err(explain)?;
    let device_id = reply.device_id;
    state.server_url = server_url;
    state.pin = pin;
    adopt(&mut state, reply);
    state.save(&dir)?;
    forget_previous_identity(&dir)?;
    let agent_id = state
        .credentials
        .as_ref()
        .map_or("", |credentials| credentials.agent_id.as_str());
    println!(
        "Enrolled as agent {agent_id} for device {device_id} with {}.",
        state.server_url
    );
    println!(
        "State kept in {}. Start the agent: systemctl enable --now kanri-agent",
        dir.display()
    );
    Ok(())
}

/// Puts an enrollment reply into the state; also used when the server reassigns an identity.
pub fn adopt(state: &mut State, reply: EnrollResponse) {
    state.host_id = Some(reply.host_id.into_string());
    state.credentials = Some(Credentials {
        agent_id: reply.agent_id.into_string(),
        secret: Secret::new(reply.secret.into_string()),
    });
    state.device_id = Some(reply.device_id);
    state.checkin_interval_secs = reply.checkin_interval_secs;
    state.inventory_sent = false;
}

/// Removes what belonged to the previous identity: queued uploads, the last status, and the
/// applied agent settings (a version number means something only to the server that gave
/// it; the server sends its current settings at the first check-in).
///
/// # Errors
/// The I/O error of opening or clearing the queue, deleting the settings or writing the
/// status.
pub fn forget_previous_identity(dir: &Path) -> anyhow::Result<()> {
    let queue_dir = dir.join("queue");
    if queue_dir.exists() {
        Queue::open(&queue_dir, QueueConfig::default())
            .and_then(|mut queue| queue.clear())
            .context("clearing the offline queue")?;
    }
    forget_settings(dir).context("deleting settings.json")?;
    Status::default().save(dir).context("resetting status.json")
}

/// A fresh host identifier: 128 random bits, hex.
fn new_host_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// The server URL and pin to enroll with, from the arguments or the kept state.
fn target(args: &EnrollArgs, existing: Option<&State>) -> anyhow::Result<(String, Option<Pin>)> {
    let pin = args.ca_fingerprint.as_deref().map(Pin::parse).transpose()?;
    let Some(server) = &args.server else {
        let state = existing
            .ok_or_else(|| anyhow!("no server URL given and none kept: pass --server URL"))?;
        let pin = pin.or(state.pin);
        if state.server_url.starts_with("https://") && pin.is_none() {
            bail!(
                "the kept server {} is https: pass --ca-fingerprint SHA256",
                state.server_url
            );
        }
        return Ok((state.server_url.clone(), pin));
    };
    let url = server.trim().trim_end_matches('/').to_string();
    if url.starts_with("https://") {
        if args.insecure_http {
            bail!("--insecure-http applies to http:// URLs only");
        }
        let pin = pin.ok_or_else(|| {
            anyhow!("an https server needs --ca-fingerprint SHA256 (the SHA-256 of its certificate, shown in the console)")
        })?;
        Ok((url, Some(pin)))
    } else if url.starts_with("http://") {
        if !args.insecure_http {
            bail!("plain http sends the agent secret unencrypted: add --insecure-http if that is intended");
        }
        Ok((url, None))
    } else {
        bail!("server URL {url} must start with https:// or http://")
    }
}

/// Turns the server's refusal codes into advice.
fn explain(error: TransportError) -> anyhow::Error {
    let advice = match error.code() {
        Some("token_invalid") => "the enrollment token is not valid; check it in the console",
        Some("token_expired") => {
            "the enrollment token has expired; create a new one in the console"
        }
        Some("token_used_up") => "the enrollment token has been used as often as it allows",
        Some("licence_exceeded") => "the server's licence allows no more agents",
        _ => return anyhow::Error::new(error).context("enrollment failed"),
    };
    anyhow!("enrollment refused: {advice} ({error})")
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn check(argv: &[&str], existing: Option<&State>, expected: &str) {
        let mut full = vec!["kanri-agent", "enroll", "--token", "t"];
        full.extend_from_slice(argv);
        let Command::Enroll(args) = Cli::try_parse_from(full).unwrap().command else {
            panic!("not enroll")
        };
        let actual = match target(&args, existing) {
            Ok((url, pin)) => format!(
                "{url} {}",
                pin.map_or("-".to_string(), |pin| pin.to_string()[..5].to_string())
            ),
            Err(error) => format!("error: {error}"),
        };
        assert_eq!(actual, expected);
    }

    const PIN: &str = "AB:CD:EF:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc";

    #[test]
    fn https_needs_a_pin_and_http_needs_consent() {
        check(
            &["--server", "https://s:31443/", "--ca-fingerprint", PIN],
            None,
            "https://s:31443 ab:cd",
        );
        check(&["--server", "https://s"], None, "error: an https server needs --ca-fingerprint SHA256 (the SHA-256 of its certificate, shown in the console)");
        check(
            &["--server", "http://s", "--insecure-http"],
            None,
            "http://s -",
        );
        check(&["--server", "http://s"], None, "error: plain http sends the agent secret unencrypted: add --insecure-http if that is intended");
        check(
            &["--server", "https://s", "--insecure-http"],
            None,
            "error: --insecure-http applies to http:// URLs only",
        );
        check(
            &["--server", "s:31443", "--insecure-http"],
            None,
            "error: server URL s:31443 must start with https:// or http://",
        );
        check(&["--server", "https://s", "--ca-fingerprint", "abc"], None, "error: certificate fingerprint must be 64 hex digits (SHA-256), colons allowed; got 3 digits");
    }

    #[test]
    fn re_enrollment_reuses_the_kept_server_and_pin() {
        let kept = State::new("https://kept".into(), Pin::parse(PIN).ok());
        check(&[], Some(&kept), "https://kept ab:cd");
        check(
            &[],
            None,
            "error: no server URL given and none kept: pass --server URL",
        );
        let unpinned = State::new("https://kept".into(), None);
        check(
            &[],
            Some(&unpinned),
            "error: the kept server https://kept is https: pass --ca-fingerprint SHA256",
        );
    }

    #[test]
    fn explains_refusal_codes() {
        let refusal = |code: &str| TransportError::Rejected {
            status: 403,
            code: code.into(),
            message: "m".into(),
        };
        assert_eq!(
            explain(refusal("token_expired")).to_string(),
            "enrollment refused: the enrollment token has expired; create a new one in the console (server refused the request (403 token_expired): m)"
        );
        assert_eq!(
            format!("{:#}", explain(refusal("other"))),
            "enrollment failed: server refused the request (403 other): m"
        );
    }

    #[test]
    fn host_ids_are_128_bit_hex_and_differ() {
        let (first, second) = (new_host_id(), new_host_id());
        assert_eq!(first.len(), 32);
        assert!(first.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(first, second);
    }
}
