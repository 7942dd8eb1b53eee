//! Running programs for the desktop: found only at fixed absolute paths (never through
//! `PATH`, so the root agent never runs something a user dropped earlier in the search path),
//! as the session's user through `setpriv` when the agent is root, with a clean environment
//! that points at the session's bus and display.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::error::DesktopError;
use super::session::Session;

/// A program the desktop form needs, and the Debian package that has it (for the message
/// when it is missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Program {
    /// The file name.
    pub name: &'static str,
    /// The Debian package.
    pub package: &'static str,
}

/// logind's command-line client.
pub const LOGINCTL: Program = Program {
    name: "loginctl",
    package: "systemd",
};
/// Switches user, group and supplementary groups, then executes.
pub const SETPRIV: Program = Program {
    name: "setpriv",
    package: "util-linux",
};
/// Sends a desktop notification.
pub const NOTIFY_SEND: Program = Program {
    name: "notify-send",
    package: "libnotify-bin",
};
/// Calls a D-Bus method (the notification server's capabilities, closing a notification).
pub const DBUS_SEND: Program = Program {
    name: "dbus-send",
    package: "dbus-bin",
};
/// Opens a URL in the user's browser.
pub const XDG_OPEN: Program = Program {
    name: "xdg-open",
    package: "xdg-utils",
};

/// Where programs are looked for, in order.
const PROGRAM_DIRS: [&str; 2] = ["/usr/bin", "/bin"];

/// The `PATH` the user's programs get: `xdg-open` and the browser it starts look programs up.
const USER_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// How much of a failed program's standard error goes into the error.
const MAX_STDERR_CHARS: usize = 300;

impl Program {
    /// The program's absolute path.
    ///
    /// # Errors
    /// [`DesktopError::Missing`] when it is in none of the fixed directories.
    pub fn path(&self) -> Result<PathBuf, DesktopError> {
        PROGRAM_DIRS
            .iter()
            .map(|dir| PathBuf::from(dir).join(self.name))
            .find(|path| path.is_file())
            .ok_or(DesktopError::Missing {
                program: self.name,
                package: self.package,
            })
    }
}

/// `program` to be run as the session's user, in the session's environment: its bus
/// (`DBUS_SESSION_BUS_ADDRESS` under the runtime dir), its display (`DISPLAY`,
/// `WAYLAND_DISPLAY`, `XAUTHORITY`), its language and the user's home. Nothing of the agent's
/// own environment is passed on. When the agent already runs as that user (a desktop user
/// who runs `kanri-agent user-info --notify` for themselves), no switch is needed.
///
/// # Errors
/// [`DesktopError::Missing`] when the program or `setpriv` is not installed.
pub fn command(session: &Session, program: Program) -> Result<Command, DesktopError> {
    let path = program.path()?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    let mut command = if euid == session.uid {
        Command::new(path)
    } else {
        let mut command = Command::new(SETPRIV.path()?);
        command
            .arg(format!("--reuid={}", session.uid))
            .arg(format!("--regid={}", session.gid))
            // The user's supplementary groups (initgroups), so the browser has the same
            // devices and shares as when the user starts it.
            .arg("--init-groups")
            .arg("--")
            .arg(path);
        command
    };
    command
        .env_clear()
        .current_dir("/")
        .stdin(Stdio::null())
        .envs(environment(session));
    Ok(command)
}

/// The variables [`command`] sets.
pub fn environment(session: &Session) -> Vec<(&'static str, String)> {
    let runtime = session.runtime_dir.display().to_string();
    let mut vars = vec![
        ("HOME", session.home.display().to_string()),
        ("USER", session.user.clone()),
        ("LOGNAME", session.user.clone()),
        ("PATH", USER_PATH.to_string()),
        ("LANG", session.lang.clone()),
        ("XDG_RUNTIME_DIR", runtime.clone()),
        (
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={runtime}/bus"),
        ),
    ];
    if let Some(display) = &session.display {
        vars.push(("DISPLAY", display.clone()));
    }
    if let Some(wayland) = &session.wayland_display {
        vars.push(("WAYLAND_DISPLAY", wayland.clone()));
    }
    if let Some(xauthority) = &session.xauthority {
        vars.push(("XAUTHORITY", xauthority.display().to_string()));
    }
    vars
}

/// Runs `command` to its end and returns its standard output; kills it after `timeout`.
/// Both pipes are drained on helper threads so a chatty program cannot block on a full pipe.
///
/// # Errors
/// [`DesktopError::Spawn`], [`DesktopError::Timeout`], or [`DesktopError::Failed`] with the
/// start of its standard error.
pub fn output(
    mut command: Command,
    program: Program,
    timeout: Duration,
) -> Result<String, DesktopError> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| DesktopError::Spawn {
            program: program.name,
            source,
        })?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = match wait(&mut child, timeout) {
        Ok(Some(status)) => status,
        Ok(None) => {
            kill(&mut child);
            return Err(DesktopError::Timeout {
                program: program.name,
            });
        }
        Err(source) => {
            kill(&mut child);
            return Err(DesktopError::Spawn {
                program: program.name,
                source,
            });
        }
    };
    // The program has exited, so its pipes close and the readers finish.
    let out = stdout.recv().unwrap_or_default();
    if !status.success() {
        let err = stderr.recv().unwrap_or_default();
        return Err(DesktopError::Failed {
            program: program.name,
            status,
            message: excerpt(&err),
        });
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Waits for `child` until `timeout`; `None` if it is still running then.
///
/// # Errors
/// The error of `waitpid`.
pub fn wait(
    child: &mut Child,
    timeout: Duration,
) -> std::io::Result<Option<std::process::ExitStatus>> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if std::time::Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Kills and reaps `child`; it may have exited already.
pub fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Reads a pipe to its end on a helper thread; the receiver gets the bytes (empty when there
/// is no pipe or the thread could not start).
fn drain(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
    let (sender, receiver) = mpsc::sync_channel(1);
    if let Some(mut pipe) = pipe {
        let spawned = std::thread::Builder::new()
            .name("pipe".into())
            .stack_size(64 * 1024)
            .spawn(move || {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                let _ = sender.send(bytes);
            });
        if spawned.is_err() {
            return receiver;
        }
    }
    receiver
}

/// The start of a program's message, on one line.
pub fn excerpt(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_STDERR_CHARS)
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::desktop::session::SessionKind;

    fn session() -> Session {
        Session {
            id: "2".into(),
            user: "hanako".into(),
            uid: 1000,
            gid: 1000,
            home: PathBuf::from("/home/hanako"),
            kind: SessionKind::Wayland,
            display: Some(":0".into()),
            wayland_display: Some("wayland-0".into()),
            xauthority: None,
            runtime_dir: PathBuf::from("/run/user/1000"),
            lang: "ja_JP.UTF-8".into(),
        }
    }

    #[test]
    fn the_environment_is_the_sessions_and_nothing_else() {
        let vars = environment(&session());
        let get = |key: &str| {
            vars.iter()
                .find(|(name, _)| *name == key)
                .map(|(_, value)| value.as_str())
        };
        assert_eq!(
            get("DBUS_SESSION_BUS_ADDRESS"),
            Some("unix:path=/run/user/1000/bus")
        );
        assert_eq!(get("XDG_RUNTIME_DIR"), Some("/run/user/1000"));
        assert_eq!(get("DISPLAY"), Some(":0"));
        assert_eq!(get("WAYLAND_DISPLAY"), Some("wayland-0"));
        assert_eq!(get("HOME"), Some("/home/hanako"));
        assert_eq!(get("LANG"), Some("ja_JP.UTF-8"));
        assert_eq!(get("XAUTHORITY"), None);
        assert_eq!(get("KANRI_AGENT_STATE_DIR"), None);
    }

    #[test]
    fn output_reports_failures_with_their_message_and_kills_slow_programs() {
        const SH: Program = Program {
            name: "sh",
            package: "dash",
        };
        let sh = SH.path().expect("sh");
        let mut ok = Command::new(&sh);
        ok.args(["-c", "echo out; echo err >&2"]);
        assert_eq!(output(ok, SH, Duration::from_secs(10)).unwrap(), "out\n");
        let mut failing = Command::new(&sh);
        failing.args(["-c", "echo 'no bus' >&2; exit 3"]);
        let error = output(failing, SH, Duration::from_secs(10)).unwrap_err();
        assert!(
            matches!(&error, DesktopError::Failed { message, .. } if message == "no bus"),
            "{error:?}"
        );
        let mut slow = Command::new(&sh);
        slow.args(["-c", "sleep 30"]);
        let started = std::time::Instant::now();
        let error = output(slow, SH, Duration::from_millis(200)).unwrap_err();
        assert!(matches!(error, DesktopError::Timeout { .. }), "{error:?}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
