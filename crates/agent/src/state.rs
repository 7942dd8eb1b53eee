//! The state dir: `state.json` (server, pin, host identifier, credentials; mode 0600),
//! `settings.json` (the agent settings last applied, see [`load_settings`]), `status.json`
//! (last check-in and last error, for `kanri-agent status`), `queue/`, `cache/` and `lock`.
//! The state dir is created 0700 because `state.json` holds the agent secret.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use kanri_proto::AgentSettings;
use serde::{Deserialize, Serialize};

use crate::fsutil::{create_private_dir, write_atomic, Durability};
use crate::transport::Pin;

/// Check-in interval used until the server says otherwise.
pub const DEFAULT_CHECKIN_INTERVAL_SECS: u64 = kanri_proto::settings::DEFAULT_CHECKIN_INTERVAL_SECS;

const STATE_FILE: &str = "state.json";
const SETTINGS_FILE: &str = "settings.json";
const STATUS_FILE: &str = "status.json";
/// Files of the state dir, credentials first, so that an interrupted removal leaves no
/// secret behind. `lock` is [`crate::lock::StateLock`]'s.
const FILES: [&str; 4] = [STATE_FILE, SETTINGS_FILE, STATUS_FILE, "lock"];
/// Directories of the state dir: the offline queue and the collectors' cache.
const DIRS: [&str; 2] = ["queue", "cache"];

/// The state dir holds no credentials; `main` exits with its own code for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not enrolled (state dir {dir}): run `kanri-agent enroll --server URL --token TOKEN` first"
)]
pub struct NotEnrolled {
    /// The state dir that was looked at.
    pub dir: String,
}

/// Everything the agent must remember across restarts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Server base URL without a trailing slash.
    pub server_url: String,
    /// Pinned certificate digest for https servers.
    #[serde(default)]
    pub pin: Option<Pin>,
    /// The host identifier; `None` after `reset-id` until the next enrollment generates one.
    #[serde(default)]
    pub host_id: Option<String>,
    /// Credentials; `None` when not enrolled.
    #[serde(default)]
    pub credentials: Option<Credentials>,
    /// The device the server matched this agent to.
    #[serde(default)]
    pub device_id: Option<i64>,
    /// Check-in interval last given by the server.
    #[serde(default = "default_checkin_interval")]
    pub checkin_interval_secs: u64,
    /// Whether a full inventory has reached the server since enrollment. Until it has, the
    /// agent sends every section regardless of what the check-in reply asks for.
    #[serde(default)]
    pub inventory_sent: bool,
}

fn default_checkin_interval() -> u64 {
    DEFAULT_CHECKIN_INTERVAL_SECS
}

/// The agent id and secret sent with every request after enrollment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credentials {
    /// The agent id.
    pub agent_id: String,
    /// The secret.
    pub secret: Secret,
}

/// The agent secret. Its `Debug` is redacted and it has no `Display`, so it cannot end up in
/// a log line by accident; [`Secret::expose`] is called only to build the auth header.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret received from the server.
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The secret itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl State {
    /// A fresh state for a server, before enrollment.
    pub fn new(server_url: String, pin: Option<Pin>) -> State {
        State {
            server_url,
            pin,
            host_id: None,
            credentials: None,
            device_id: None,
            checkin_interval_secs: DEFAULT_CHECKIN_INTERVAL_SECS,
            inventory_sent: false,
        }
    }

    /// Reads `DIR/state.json`; `Ok(None)` when the agent has never been set up there.
    ///
    /// # Errors
    /// Unreadable or corrupt state file.
    pub fn load(dir: &Path) -> anyhow::Result<Option<State>> {
        let path = dir.join(STATE_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
        };
        let state = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is corrupt; enroll again", path.display()))?;
        Ok(Some(state))
    }

    /// Like [`State::load`], but requires credentials.
    ///
    /// # Errors
    /// [`NotEnrolled`] without state or credentials, or an unreadable state file.
    pub fn load_enrolled(dir: &Path) -> anyhow::Result<State> {
        match State::load(dir)? {
            Some(state) if state.credentials.is_some() && state.host_id.is_some() => Ok(state),
            _ => Err(NotEnrolled {
                dir: dir.display().to_string(),
            }
            .into()),
        }
    }

    /// Writes `DIR/state.json` atomically with mode 0600, creating `DIR` with mode 0700.
    ///
    /// # Errors
    /// The I/O error of creating the directory or writing the file.
    pub fn save(&self, dir: &Path) -> anyhow::Result<()> {
        create_private_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
        let bytes = serde_json::to_vec_pretty(self).context("encoding state")?;
        let path = dir.join(STATE_FILE);
        write_atomic(&path, &bytes, 0o600, Durability::Synced)
            .with_context(|| format!("writing {}", path.display()))
    }

    /// Forgets everything that identifies this machine, keeping the server and the pin.
    pub fn forget_identity(&mut self) {
        self.host_id = None;
        self.credentials = None;
        self.device_id = None;
        self.inventory_sent = false;
    }
}

/// Reads `DIR/settings.json`, the agent settings the server pushed and the agent applied last,
/// brought into range. No file means the built-in defaults (version 0).
///
/// # Errors
/// An unreadable or corrupt file. Settings can always be had again from the server, so
/// callers fall back to the defaults: the agent then reports version 0 and the server resends.
pub fn load_settings(dir: &Path) -> anyhow::Result<AgentSettings> {
    let path = dir.join(SETTINGS_FILE);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Ok(AgentSettings::default())
        }
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    };
    let settings: AgentSettings =
        serde_json::from_slice(&bytes).with_context(|| format!("{} is corrupt", path.display()))?;
    Ok(settings.clamped())
}

/// Writes `DIR/settings.json` atomically and durably (mode 0600), so the settings survive a
/// restart and apply before the first check-in.
///
/// # Errors
/// The I/O error of writing the file.
pub fn save_settings(dir: &Path, settings: &AgentSettings) -> anyhow::Result<()> {
    let bytes = serde_json::to_vec_pretty(settings).context("encoding settings")?;
    let path = dir.join(SETTINGS_FILE);
    write_atomic(&path, &bytes, 0o600, Durability::Synced)
        .with_context(|| format!("writing {}", path.display()))
}

/// Forgets the applied settings, so the next server to check in with sends its own.
///
/// # Errors
/// The I/O error of deleting the file.
pub fn forget_settings(dir: &Path) -> io::Result<()> {
    remove_file_if_present(&dir.join(SETTINGS_FILE))
}

/// Deletes everything the agent keeps in `dir` — credentials first — and then `dir` itself
/// if nothing else is in it. Returns whether `dir` is gone.
///
/// # Errors
/// The I/O error of deleting a file or directory; what was deleted before it stays deleted.
pub fn remove_state_dir(dir: &Path) -> io::Result<bool> {
    for name in FILES {
        remove_file_if_present(&dir.join(name))?;
        // A temp file left by an interrupted write_atomic may hold a copy.
        remove_file_if_present(&dir.join(format!(".{name}.tmp")))?;
    }
    for name in DIRS {
        match fs::remove_dir_all(dir.join(name)) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
            _ => {}
        }
    }
    match fs::remove_dir(dir) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(true),
        // Files the agent did not put there are not the agent's to delete.
        Err(error) if error.kind() == io::ErrorKind::DirectoryNotEmpty => Ok(false),
        Err(error) => Err(error),
    }
}

fn remove_file_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

/// What `kanri-agent status` shows about the running agent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// Last successful check-in, Unix seconds.
    #[serde(default)]
    pub last_checkin_at: Option<u64>,
    /// The last error, if any since the last success of the same request.
    #[serde(default)]
    pub last_error: Option<String>,
    /// When the last error happened, Unix seconds.
    #[serde(default)]
    pub last_error_at: Option<u64>,
}

impl Status {
    /// Reads `DIR/status.json`; an absent or unreadable file is an empty status, because
    /// status is informational and must never stop the agent.
    pub fn load(dir: &Path) -> Status {
        std::fs::read(dir.join(STATUS_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Writes `DIR/status.json` atomically (without fsync: it is rewritten every check-in).
    ///
    /// # Errors
    /// The I/O error of writing the file.
    pub fn save(&self, dir: &Path) -> io::Result<()> {
        let bytes = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        write_atomic(&dir.join(STATUS_FILE), &bytes, 0o600, Durability::Relaxed)
    }
}

/// The state dir when none is given: `/var/lib/kanri-agent` for root, else
/// `$XDG_STATE_HOME/kanri-agent` or `$HOME/.local/state/kanri-agent`.
///
/// # Errors
/// Not root and neither variable set.
pub fn default_state_dir(
    euid: u32,
    xdg_state_home: Option<&str>,
    home: Option<&str>,
) -> anyhow::Result<PathBuf> {
    if euid == 0 {
        return Ok(PathBuf::from("/var/lib/kanri-agent"));
    }
    match (
        xdg_state_home.filter(|v| !v.is_empty()),
        home.filter(|v| !v.is_empty()),
    ) {
        (Some(xdg), _) => Ok(Path::new(xdg).join("kanri-agent")),
        (None, Some(home)) => Ok(Path::new(home).join(".local/state/kanri-agent")),
        (None, None) => bail!("no state dir: set --state-dir, KANRI_AGENT_STATE_DIR or HOME"),
    }
}

/// Resolves the `--state-dir` argument against the defaults of this process.
///
/// # Errors
/// See [`default_state_dir`].
pub fn resolve_state_dir(arg: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = arg {
        return Ok(dir.to_path_buf());
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    let xdg = std::env::var("XDG_STATE_HOME").ok();
    let home = std::env::var("HOME").ok();
    default_state_dir(euid, xdg.as_deref(), home.as_deref())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn check(euid: u32, xdg: Option<&str>, home: Option<&str>, expected: &str) {
        let actual = match default_state_dir(euid, xdg, home) {
            Ok(path) => path.display().to_string(),
            Err(error) => format!("error: {error}"),
        };
        assert_eq!(actual, expected);
    }

    #[test]
    fn picks_the_default_state_dir() {
        check(0, Some("/x"), Some("/home/a"), "/var/lib/kanri-agent");
        check(1000, Some("/x"), Some("/home/a"), "/x/kanri-agent");
        check(
            1000,
            Some(""),
            Some("/home/a"),
            "/home/a/.local/state/kanri-agent",
        );
        check(
            1000,
            None,
            None,
            "error: no state dir: set --state-dir, KANRI_AGENT_STATE_DIR or HOME",
        );
    }

    fn enrolled() -> State {
        let mut state = State::new("https://s:31443".into(), Pin::parse(&"ab".repeat(32)).ok());
        state.host_id = Some("h".into());
        state.credentials = Some(Credentials {
            agent_id: "a1".into(),
            secret: Secret::new("s3cret".into()),
        });
        state
    }

    #[test]
    fn state_file_is_private_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let state_dir = dir.path().join("kanri-agent");
        assert_eq!(State::load(&state_dir).unwrap(), None);
        assert!(State::load_enrolled(&state_dir).is_err());
        let state = enrolled();
        state.save(&state_dir).unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&state_dir), 0o700);
        assert_eq!(mode(&state_dir.join(STATE_FILE)), 0o600);
        assert_eq!(State::load_enrolled(&state_dir).unwrap(), state);
    }

    #[test]
    fn forgetting_the_identity_keeps_server_and_pin() {
        let mut state = enrolled();
        state.inventory_sent = true;
        state.forget_identity();
        assert_eq!(
            state,
            State {
                inventory_sent: false,
                ..State::new(enrolled().server_url, enrolled().pin)
            }
        );
    }

    #[test]
    fn secret_is_redacted_in_debug() {
        let text = format!("{:?}", enrolled());
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("a1"));
    }

    #[test]
    fn settings_persist_and_fall_back_to_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load_settings(dir.path()).unwrap(), AgentSettings::default());
        let settings = AgentSettings {
            version: 4,
            checkin_interval_secs: 300,
            inventory_interval_secs: 900,
            queue_max_entries: 3,
            queue_max_bytes: 4 * 1024 * 1024,
        };
        save_settings(dir.path(), &settings).unwrap();
        let mode = std::fs::metadata(dir.path().join(SETTINGS_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(load_settings(dir.path()).unwrap(), settings);
        // A hand-edited value out of range is brought back into it.
        std::fs::write(
            dir.path().join(SETTINGS_FILE),
            br#"{"version":5,"checkin_interval_secs":1,"inventory_interval_secs":900,"queue_max_entries":3,"queue_max_bytes":4194304}"#,
        )
        .unwrap();
        assert_eq!(load_settings(dir.path()).unwrap().checkin_interval_secs, 10);
        std::fs::write(dir.path().join(SETTINGS_FILE), b"{").unwrap();
        assert!(load_settings(dir.path()).is_err());
        forget_settings(dir.path()).unwrap();
        forget_settings(dir.path()).unwrap();
        assert_eq!(load_settings(dir.path()).unwrap(), AgentSettings::default());
    }

    #[test]
    fn removing_the_state_dir_keeps_foreign_files() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("kanri-agent");
        enrolled().save(&dir).unwrap();
        save_settings(&dir, &AgentSettings::default()).unwrap();
        Status::default().save(&dir).unwrap();
        std::fs::create_dir_all(dir.join("queue")).unwrap();
        std::fs::write(
            dir.join("queue/00000000000000000001.inventory-full.json"),
            b"{}",
        )
        .unwrap();
        std::fs::write(dir.join(".state.json.tmp"), b"half a secret").unwrap();
        std::fs::write(dir.join("notes.txt"), b"mine").unwrap();
        assert!(!remove_state_dir(&dir).unwrap());
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(left, vec!["notes.txt"]);
        std::fs::remove_file(dir.join("notes.txt")).unwrap();
        assert!(remove_state_dir(&dir).unwrap());
        assert!(!dir.exists());
        assert!(remove_state_dir(&dir).unwrap(), "already gone is done");
    }

    #[test]
    fn status_round_trips_and_tolerates_garbage() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Status::load(dir.path()), Status::default());
        let status = Status {
            last_checkin_at: Some(5),
            last_error: Some("x".into()),
            last_error_at: Some(6),
        };
        status.save(dir.path()).unwrap();
        assert_eq!(Status::load(dir.path()), status);
        std::fs::write(dir.path().join(STATUS_FILE), b"{").unwrap();
        assert_eq!(Status::load(dir.path()), Status::default());
    }
}
