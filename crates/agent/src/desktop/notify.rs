//! The notification: `notify-send` run as the session's user. When the notification server
//! supports actions, the notification has one ("入力する" / "Enter", also the default action
//! that a click on the notification invokes) and `notify-send --wait` stays to report it; the
//! agent then opens the form with `xdg-open` as the user. A server without actions gets the
//! URL in the body instead. When the form ends, the notification is closed, so no stale link
//! stays on the screen.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::as_user::{self, DBUS_SEND, NOTIFY_SEND, XDG_OPEN};
use super::error::DesktopError;
use super::form::page::Texts;
use super::session::Session;
use crate::log::{log_info, log_warn};

/// How long a D-Bus call or a `notify-send` without `--wait` may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// The action names `notify-send` prints when the user invokes the action: `default` for a
/// click on the notification, `open` for its button.
const ACTIONS: [&str; 2] = ["default", "open"];
/// The application name shown with the notification.
const APP_NAME: &str = "Kanri";

/// A notification on the user's screen; closed when dropped.
pub struct Notification {
    session: Session,
    /// `notify-send --wait`, while the notification has actions and is open.
    waiting: Option<Child>,
    /// The notification's id on the server, once known.
    id: Arc<Mutex<Option<u32>>>,
    /// Whether the user invoked the action (and the form was opened).
    opened: Arc<AtomicBool>,
    watcher: Option<JoinHandle<()>>,
}

impl Notification {
    /// Shows the notification for the form at `url` in `session`.
    ///
    /// # Errors
    /// [`DesktopError::NoNotificationServer`] when the session's bus has none (or there is no
    /// bus), a missing program, or `notify-send` failing.
    pub fn send(session: &Session, texts: &Texts, url: &str) -> Result<Notification, DesktopError> {
        let capabilities = capabilities(session)?;
        let mut notification = Notification {
            session: session.clone(),
            waiting: None,
            id: Arc::new(Mutex::new(None)),
            opened: Arc::new(AtomicBool::new(false)),
            watcher: None,
        };
        let mut command = notify_send(session, texts, url, &capabilities)?;
        if !has_actions(&capabilities) {
            let printed = as_user::output(command, NOTIFY_SEND, CALL_TIMEOUT)?;
            *notification
                .id
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = printed
                .lines()
                .next()
                .and_then(|line| line.trim().parse().ok());
            log_info!(
                "Notified {} (uid {}) with the form's address in the text: the notification server has no actions.",
                session.user,
                session.uid
            );
            return Ok(notification);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| DesktopError::Spawn {
                program: NOTIFY_SEND.name,
                source,
            })?;
        let Some(stdout) = child.stdout.take() else {
            as_user::kill(&mut child);
            return Err(DesktopError::Timeout {
                program: NOTIFY_SEND.name,
            });
        };
        let id = notification.id.clone();
        let opened = notification.opened.clone();
        let watched = session.clone();
        let url = url.to_string();
        let watcher = thread::Builder::new()
            .name("notification".into())
            .stack_size(128 * 1024)
            .spawn(move || watch(stdout, &watched, &url, &id, &opened));
        match watcher {
            Ok(watcher) => notification.watcher = Some(watcher),
            Err(source) => {
                as_user::kill(&mut child);
                return Err(DesktopError::Spawn {
                    program: NOTIFY_SEND.name,
                    source,
                });
            }
        }
        notification.waiting = Some(child);
        notification.shown()?;
        log_info!(
            "Notified {} (uid {}); the notification's action opens the form.",
            session.user,
            session.uid
        );
        Ok(notification)
    }

    /// Waits until `notify-send --wait` printed the notification's id, so a notification that
    /// never appeared is an error rather than a form nobody hears of.
    ///
    /// # Errors
    /// [`DesktopError::Failed`] when it exited without an id, [`DesktopError::Timeout`] when
    /// none came in time (it is killed when the notification is dropped).
    fn shown(&mut self) -> Result<(), DesktopError> {
        let deadline = std::time::Instant::now() + CALL_TIMEOUT;
        loop {
            if self
                .id
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_some()
            {
                return Ok(());
            }
            if let Some(child) = self.waiting.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    // Its output ends with it: let the watcher read the last of it.
                    if let Some(watcher) = self.watcher.take() {
                        let _ = watcher.join();
                    }
                    if self
                        .id
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .is_some()
                    {
                        return Ok(());
                    }
                    return Err(DesktopError::Failed {
                        program: NOTIFY_SEND.name,
                        status,
                        message: "it showed no notification".into(),
                    });
                }
            }
            if std::time::Instant::now() >= deadline {
                return Err(DesktopError::Timeout {
                    program: NOTIFY_SEND.name,
                });
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the user opened the form from the notification.
    pub fn opened(&self) -> bool {
        self.opened.load(Ordering::SeqCst)
    }

    fn close(&mut self) {
        let id = *self.id.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(id) = id {
            if let Err(error) = close_notification(&self.session, id) {
                log_info!("Closing the notification failed: {error}.");
            }
        }
        // Closing it ends `notify-send --wait`; a server that ignored the close does not.
        if let Some(mut child) = self.waiting.take() {
            if !matches!(
                as_user::wait(&mut child, Duration::from_secs(2)),
                Ok(Some(_))
            ) {
                as_user::kill(&mut child);
            }
        }
        if let Some(watcher) = self.watcher.take() {
            let _ = watcher.join();
        }
    }
}

impl Drop for Notification {
    fn drop(&mut self) {
        self.close();
    }
}

/// The `notify-send` command: with `--wait` and the actions when the server has actions,
/// else with the URL in the body. The notification does not expire by itself
/// (`--expire-time=0`); the agent closes it when the form ends.
fn notify_send(
    session: &Session,
    texts: &Texts,
    url: &str,
    capabilities: &[String],
) -> Result<Command, DesktopError> {
    let mut command = as_user::command(session, NOTIFY_SEND)?;
    // notify-send reads its arguments in the locale's encoding: UTF-8 whatever the session's
    // language, which may not be generated on this machine.
    command.env("LC_ALL", "C.UTF-8");
    command.args(notify_args(texts, url, has_actions(capabilities)));
    Ok(command)
}

/// `notify-send`'s arguments.
pub fn notify_args(texts: &Texts, url: &str, actions: bool) -> Vec<String> {
    let mut args = vec![
        format!("--app-name={APP_NAME}"),
        "--urgency=normal".to_string(),
        "--expire-time=0".to_string(),
        "--print-id".to_string(),
    ];
    let body = if actions {
        for action in ACTIONS {
            args.push(format!("--action={action}={}", texts.notice_action));
        }
        args.push("--wait".to_string());
        texts.notice_body.to_string()
    } else {
        format!("{}\n{url}", texts.notice_body)
    };
    // No option parsing past here, whatever the texts hold.
    args.push("--".to_string());
    args.push(texts.title.to_string());
    args.push(body);
    args
}

fn has_actions(capabilities: &[String]) -> bool {
    capabilities
        .iter()
        .any(|capability| capability == "actions")
}

/// The notification server's capabilities (`GetCapabilities`), asked as the user.
///
/// # Errors
/// [`DesktopError::NoNotificationServer`] when the call fails: no bus at the session's
/// address, or no server on it.
pub fn capabilities(session: &Session) -> Result<Vec<String>, DesktopError> {
    let mut command = dbus_call(session, "GetCapabilities", None)?;
    command.env("LC_ALL", "C.UTF-8");
    match as_user::output(command, DBUS_SEND, CALL_TIMEOUT) {
        Ok(printed) => Ok(parse_capabilities(&printed)),
        Err(DesktopError::Failed { message, .. }) => Err(DesktopError::NoNotificationServer {
            uid: session.uid,
            message,
        }),
        Err(other) => Err(other),
    }
}

/// The strings of `dbus-send --print-reply`'s array: `string "actions"` lines.
pub fn parse_capabilities(printed: &str) -> Vec<String> {
    printed
        .lines()
        .filter_map(|line| line.trim().strip_prefix("string \""))
        .filter_map(|rest| rest.strip_suffix('"'))
        .map(str::to_string)
        .collect()
}

fn close_notification(session: &Session, id: u32) -> Result<(), DesktopError> {
    let command = dbus_call(session, "CloseNotification", Some(format!("uint32:{id}")))?;
    as_user::output(command, DBUS_SEND, CALL_TIMEOUT).map(|_| ())
}

fn dbus_call(
    session: &Session,
    method: &str,
    argument: Option<String>,
) -> Result<Command, DesktopError> {
    let mut command = as_user::command(session, DBUS_SEND)?;
    command.args([
        "--session",
        "--print-reply",
        "--reply-timeout=5000",
        "--dest=org.freedesktop.Notifications",
        "/org/freedesktop/Notifications",
        &format!("org.freedesktop.Notifications.{method}"),
    ]);
    command.args(argument);
    Ok(command)
}

/// Reads `notify-send --print-id --wait`: the id first, then the name of an invoked action.
/// On the action, opens the form in the user's browser.
fn watch(
    stdout: impl std::io::Read,
    session: &Session,
    url: &str,
    id: &Mutex<Option<u32>>,
    opened: &AtomicBool,
) {
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else {
            return;
        };
        let line = line.trim();
        if let Ok(number) = line.parse::<u32>() {
            *id.lock().unwrap_or_else(PoisonError::into_inner) = Some(number);
        } else if ACTIONS.contains(&line) && !opened.swap(true, Ordering::SeqCst) {
            open(session, url);
        }
    }
}

/// Opens `url` with `xdg-open` as the user. `xdg-open` may stay until the browser it starts
/// ends, so it is reaped on a thread of its own.
pub fn open(session: &Session, url: &str) {
    let command = as_user::command(session, XDG_OPEN);
    let spawned = command.and_then(|mut command| {
        command
            .arg(url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| DesktopError::Spawn {
                program: XDG_OPEN.name,
                source,
            })
    });
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) => {
            log_warn!("Opening the form failed: {error}.");
            return;
        }
    };
    log_info!("{} opened the form from the notification.", session.user);
    let reaper = thread::Builder::new()
        .name("xdg-open".into())
        .stack_size(64 * 1024)
        .spawn(move || match child.wait() {
            Ok(status) if !status.success() => {
                log_warn!("xdg-open could not open the form ({status}).");
            }
            _ => {}
        });
    if reaper.is_err() {
        log_warn!("Cannot wait for xdg-open; it stays a zombie until the agent exits.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desktop::form::page::{EN, JA};

    #[test]
    fn reads_the_capabilities_reply() {
        let printed = "method return time=1.2 sender=:1.0 -> destination=:1.1 serial=3 reply_serial=2\n   array [\n      string \"actions\"\n      string \"body\"\n   ]\n";
        assert_eq!(parse_capabilities(printed), ["actions", "body"]);
        assert!(parse_capabilities("").is_empty());
    }

    #[test]
    fn the_url_goes_in_the_body_only_without_actions() {
        let url = "http://127.0.0.1:4000/form/abc";
        let with = notify_args(&JA, url, true);
        assert!(
            with.contains(&"--action=default=入力する".to_string()),
            "{with:?}"
        );
        assert!(with.contains(&"--wait".to_string()));
        assert!(!with.iter().any(|arg| arg.contains(url)), "{with:?}");
        assert_eq!(with[with.len() - 2], "利用者情報の入力をお願いします");
        let without = notify_args(&EN, url, false);
        assert!(!without.iter().any(|arg| arg.starts_with("--action")));
        assert!(!without.contains(&"--wait".to_string()));
        assert_eq!(
            without.last().map(String::as_str),
            Some(format!("{}\n{url}", EN.notice_body).as_str())
        );
        assert_eq!(without[without.len() - 3], "--");
        // Servers with body markup would read these as tags or entities.
        for text in [JA.notice_body, EN.notice_body, JA.title, EN.title] {
            assert!(!text.contains(['<', '>', '&']), "{text}");
        }
    }
}
