//! `kanri-agent uninstall`: tells the server the agent is going away, then deletes the
//! agent's state (credentials first) from the state dir.
//!
//! The server revokes the credentials, makes the device agentless (a managed device goes
//! back to discovered and frees its licence) and raises event 5. Without the server's
//! acknowledgement nothing is deleted, because the device would otherwise stay managed on
//! the server with no agent behind it; `--force` deletes anyway and says so. Removing the
//! program and its systemd unit is the package manager's job.

use std::path::Path;

use anyhow::{bail, Context};
use kanri_proto::{Text, UninstallRequest, UninstallResponse};

use crate::cli::UninstallArgs;
use crate::lock::StateLock;
use crate::state::{remove_state_dir, resolve_state_dir, State};
use crate::transport::{SharedCredentials, Transport, TransportConfig, TransportError};

/// What the server made of the uninstall.
#[derive(Debug)]
enum Told {
    /// It revoked the credentials.
    Acknowledged(UninstallResponse),
    /// It did not know the credentials any more (revoked, or the device was deleted).
    AlreadyForgotten,
    /// There were no credentials to tell it about.
    NotEnrolled,
    /// It could not be told; the reason.
    Failed(String),
}

/// Runs `uninstall`.
///
/// # Errors
/// A running agent, a server that could not be told (without `--force`), or a state dir that
/// cannot be deleted.
pub fn uninstall(args: &UninstallArgs) -> anyhow::Result<()> {
    let dir = resolve_state_dir(args.state.state_dir.as_deref())?;
    if !dir.exists() {
        println!("Nothing to uninstall: no agent state in {}.", dir.display());
        return Ok(());
    }
    let lock = StateLock::acquire(&dir)?;
    let (server, told) = match State::load(&dir) {
        Ok(Some(state)) if state.credentials.is_some() => {
            let told = tell_server(&state);
            (state.server_url, told)
        }
        Ok(Some(state)) => (state.server_url, Told::NotEnrolled),
        Ok(None) => (String::new(), Told::NotEnrolled),
        Err(error) => (String::new(), Told::Failed(format!("{error:#}"))),
    };
    match &told {
        Told::Acknowledged(reply) => println!(
            "The server {server} revoked this agent's credentials; device {} is now {}.",
            reply.device_id, reply.device_state
        ),
        Told::AlreadyForgotten => println!(
            "The server {server} no longer knew this agent (revoked, or its device was deleted)."
        ),
        Told::NotEnrolled => println!("Not enrolled: no server to tell."),
        Told::Failed(reason) if !args.force => bail!(
            "the server was not told of the uninstall ({reason}), so nothing was removed; \
             run `kanri-agent uninstall` again when the server is reachable, or add --force to \
             remove the agent state anyway"
        ),
        Told::Failed(reason) => println!(
            "The server was NOT told ({reason}): it still counts this device as managed until an administrator changes it."
        ),
    }
    remove(&dir, lock)
}

/// Posts the uninstall with the agent's credentials.
fn tell_server(state: &State) -> Told {
    let request = UninstallRequest {
        host_id: Text::sanitize(state.host_id.as_deref().unwrap_or("")),
        agent_version: Text::from(env!("CARGO_PKG_VERSION")),
    };
    let sent = Transport::new(
        &TransportConfig::requests(&state.server_url, state.pin),
        SharedCredentials::new(state.credentials.clone()),
    )
    .and_then(|transport| transport.uninstall(&request));
    match sent {
        Ok(reply) => Told::Acknowledged(reply),
        Err(TransportError::Unauthorized) => Told::AlreadyForgotten,
        Err(error) => Told::Failed(error.to_string()),
    }
}

/// Deletes the state; the lock goes last, with its file.
fn remove(dir: &Path, lock: StateLock) -> anyhow::Result<()> {
    let gone = remove_state_dir(dir).with_context(|| format!("removing {}", dir.display()))?;
    drop(lock);
    if gone {
        println!("Removed the agent state and {}.", dir.display());
    } else {
        println!(
            "Removed the agent state from {} (other files there were left alone).",
            dir.display()
        );
    }
    println!("To finish, remove the kanri-agent package (or its binary and systemd unit).");
    Ok(())
}
