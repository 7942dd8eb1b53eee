//! `kanri-agent status` and `kanri-agent reset-id`: two commands an administrator runs on the
//! machine itself. Neither talks to the server.

use std::fmt::Write as _;
use std::path::Path;

use kanri_proto::AgentSettings;

use crate::cli::StateDirArg;
use crate::enroll::forget_previous_identity;
use crate::lock::StateLock;
use crate::log::rfc3339;
use crate::queue;
use crate::state::{load_settings, resolve_state_dir, State, Status};

/// Prints what the agent knows about itself. Never prints the secret.
///
/// # Errors
/// An unresolvable or unreadable state dir.
pub fn status(arg: &StateDirArg) -> anyhow::Result<()> {
    let dir = resolve_state_dir(arg.state_dir.as_deref())?;
    let state = State::load(&dir)?;
    let settings = load_settings(&dir).map_err(|error| format!("{error:#}"));
    let status = Status::load(&dir);
    let queued = queue::inspect(&dir.join("queue")).unwrap_or((0, 0));
    print!(
        "{}",
        report(&dir, state.as_ref(), &settings, &status, queued)
    );
    Ok(())
}

/// Forgets the host identifier and credentials so a cloned image enrolls as a new machine;
/// keeps the server URL and pin for the next `enroll`.
///
/// # Errors
/// A running agent, or a state dir that cannot be written.
pub fn reset_id(arg: &StateDirArg) -> anyhow::Result<()> {
    let dir = resolve_state_dir(arg.state_dir.as_deref())?;
    let Some(mut state) = State::load(&dir)? else {
        println!("Nothing to reset: no agent state in {}.", dir.display());
        return Ok(());
    };
    let _lock = StateLock::acquire(&dir)?;
    state.forget_identity();
    state.save(&dir)?;
    forget_previous_identity(&dir)?;
    println!(
        "Forgot the host identifier and credentials in {}.",
        dir.display()
    );
    println!("Capture the disk image now, without starting the agent. On each machine made from it, run:");
    println!("  kanri-agent enroll --token TOKEN");
    println!(
        "(the server {} and its certificate pin are kept).",
        state.server_url
    );
    Ok(())
}

fn report(
    dir: &Path,
    state: Option<&State>,
    settings: &Result<AgentSettings, String>,
    status: &Status,
    queued: (usize, u64),
) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: &str| {
        let _ = writeln!(out, "{:<15}{value}", format!("{label}:"));
    };
    line("state dir", &dir.display().to_string());
    let Some(state) = state else {
        line("enrolled", "no");
        return out;
    };
    match &state.credentials {
        Some(credentials) => {
            line("enrolled", "yes");
            line("agent id", &credentials.agent_id);
        }
        None => line("enrolled", "no (run `kanri-agent enroll --token TOKEN`)"),
    }
    if let Some(device_id) = state.device_id {
        line("device id", &device_id.to_string());
    }
    line("host id", state.host_id.as_deref().unwrap_or("none"));
    line("server", &state.server_url);
    let pin = state.pin.map_or_else(
        || "none (plain http)".to_string(),
        |pin| format!("sha256 {pin}"),
    );
    line("pin", &pin);
    let (settings, version) = match settings {
        Ok(settings) if settings.version == 0 => (settings, "version 0 (defaults)".to_string()),
        Ok(settings) => (settings, format!("version {}", settings.version)),
        Err(error) => (
            &AgentSettings::default(),
            format!("defaults until the next check-in ({error})"),
        ),
    };
    line("settings", &version);
    line(
        "check-in",
        &format!("every {} s", state.checkin_interval_secs),
    );
    line(
        "inventory",
        &format!("every {} s", settings.inventory_interval_secs),
    );
    line(
        "last check-in",
        &status
            .last_checkin_at
            .map_or_else(|| "never".to_string(), rfc3339),
    );
    let last_error = match (&status.last_error, status.last_error_at) {
        (Some(error), Some(at)) => format!("{} {error}", rfc3339(at)),
        (Some(error), None) => error.clone(),
        (None, _) => "none".to_string(),
    };
    line("last error", &last_error);
    line(
        "queue",
        &format!(
            "{} entries, {} bytes (up to {} entries, {} bytes)",
            queued.0, queued.1, settings.queue_max_entries, settings.queue_max_bytes
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Credentials, Secret};
    use crate::transport::Pin;

    fn check(
        state: Option<&State>,
        settings: &Result<AgentSettings, String>,
        status: &Status,
        expected: &str,
    ) {
        assert_eq!(
            report(Path::new("/s"), state, settings, status, (2, 300)),
            expected
        );
    }

    #[test]
    fn reports_an_unknown_dir() {
        check(
            None,
            &Ok(AgentSettings::default()),
            &Status::default(),
            "state dir:     /s\nenrolled:      no\n",
        );
    }

    #[test]
    fn reports_an_enrolled_agent_without_its_secret() {
        let mut state = State::new("https://s".into(), Some(Pin::of_certificate(b"c")));
        state.host_id = Some("h1".into());
        state.device_id = Some(7);
        state.credentials = Some(Credentials {
            agent_id: "a1".into(),
            secret: Secret::new("s3cret".into()),
        });
        let status = Status {
            last_checkin_at: Some(0),
            last_error: Some("check-in: down".into()),
            last_error_at: Some(60),
        };
        let pin = Pin::of_certificate(b"c");
        check(
            Some(&state),
            &Ok(AgentSettings::default()),
            &status,
            &format!(
                "state dir:     /s\nenrolled:      yes\nagent id:      a1\ndevice id:     7\nhost id:       h1\n\
                 server:        https://s\npin:           sha256 {pin}\nsettings:      version 0 (defaults)\n\
                 check-in:      every 60 s\ninventory:     every 3600 s\nlast check-in: 1970-01-01T00:00:00Z\n\
                 last error:    1970-01-01T00:01:00Z check-in: down\n\
                 queue:         2 entries, 300 bytes (up to 16 entries, 33554432 bytes)\n"
            ),
        );
    }

    #[test]
    fn reports_the_applied_settings() {
        let mut state = State::new("http://s".into(), None);
        state.checkin_interval_secs = 120;
        let settings = AgentSettings {
            version: 4,
            checkin_interval_secs: 120,
            inventory_interval_secs: 600,
            queue_max_entries: 3,
            queue_max_bytes: 1_048_576,
        };
        let tail = |settings: &Result<AgentSettings, String>| {
            let text = report(
                Path::new("/s"),
                Some(&state),
                settings,
                &Status::default(),
                (2, 300),
            );
            text.split_once("pin:")
                .map(|(_, tail)| tail.to_string())
                .unwrap_or(text)
        };
        assert_eq!(
            tail(&Ok(settings)),
            "           none (plain http)\nsettings:      version 4\ncheck-in:      every 120 s\n\
             inventory:     every 600 s\nlast check-in: never\nlast error:    none\n\
             queue:         2 entries, 300 bytes (up to 3 entries, 1048576 bytes)\n"
        );
        assert_eq!(
            tail(&Err("/s/settings.json is corrupt".into())),
            "           none (plain http)\nsettings:      defaults until the next check-in (/s/settings.json is corrupt)\n\
             check-in:      every 120 s\ninventory:     every 3600 s\nlast check-in: never\nlast error:    none\n\
             queue:         2 entries, 300 bytes (up to 16 entries, 33554432 bytes)\n"
        );
    }
}
