//! The prompt thread: asks the user of the active graphical session for their user
//! information (利用者情報) when the server says it is due, through [`crate::desktop`].
//!
//! Every minute it lists the sessions (a local `loginctl` call). It asks the server whether
//! the answers are due when a new session appears (a login) and otherwise every
//! [`ASK_EVERY`], never more often, and only while someone is logged in graphically, so
//! servers and unattended PCs never ask. When they are due it shows the notification and
//! waits for the form (up to [`FORM_TIMEOUT`]); a user who let it expire is not notified
//! again for [`RENOTIFY_AFTER`]. It runs beside the main loop and shares nothing with it but
//! the credentials: a slow prompt never delays a check-in.

use std::path::PathBuf;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::desktop::error::DesktopError;
use crate::desktop::prompt::{self, Outcome, PromptConfig, FORM_TIMEOUT};
use crate::desktop::session::{self, Session};
use crate::log::{log_info, log_warn};
use crate::shutdown::Shutdown;
use crate::transport::Transport;

/// How often the sessions are listed.
pub const SESSION_POLL: Duration = Duration::from_secs(60);
/// How often the server is asked while the same session stays in front.
pub const ASK_EVERY: Duration = Duration::from_secs(15 * 60);
/// How long after a notification that was not answered the user is notified again.
pub const RENOTIFY_AFTER: Duration = Duration::from_secs(4 * 60 * 60);

/// Starts the prompt thread. It stops when shutdown is requested.
///
/// # Errors
/// The error of starting the thread.
pub fn spawn(
    transport: Transport,
    state_dir: PathBuf,
    shutdown: Arc<Shutdown>,
) -> std::io::Result<JoinHandle<()>> {
    thread::Builder::new()
        .name("prompts".into())
        .stack_size(256 * 1024)
        .spawn(move || prompt_loop(&transport, state_dir, &shutdown))
}

fn prompt_loop(transport: &Transport, state_dir: PathBuf, shutdown: &Shutdown) {
    let config = PromptConfig {
        state_dir,
        timeout: FORM_TIMEOUT,
        japanese: true,
        print_url: false,
    };
    let mut schedule = Schedule::default();
    let mut sessions_failed = false;
    while !shutdown.sleep(SESSION_POLL) {
        let sessions = match session::active_graphical() {
            Ok(sessions) => sessions,
            Err(error @ DesktopError::Missing { .. }) => {
                log_info!("Desktop prompts are off: {error}.");
                return;
            }
            Err(error) => {
                // No logind (a container, a machine without systemd): say so once.
                if !sessions_failed {
                    log_info!("Cannot list the login sessions ({error}); desktop prompts wait for logind.");
                    sessions_failed = true;
                }
                continue;
            }
        };
        sessions_failed = false;
        let Some(session) = session::pick(sessions) else {
            continue;
        };
        let now = Instant::now();
        if !schedule.should_ask(now, &session) {
            continue;
        }
        schedule.asked(now, &session);
        let form = match transport.user_info_form() {
            Ok(form) => form,
            Err(error) => {
                log_warn!("Asking the server whether user information is due failed: {error}.");
                continue;
            }
        };
        if !form.due || !schedule.may_notify(now, session.uid) {
            continue;
        }
        schedule.notified(now, session.uid);
        match prompt::prompt(transport, form, Some(&session), &config, &|| {
            shutdown.is_requested()
        }) {
            Ok(Outcome::Answered(_)) => {
                log_info!("{} saved their user information.", session.user);
                schedule.answered();
            }
            Ok(Outcome::Expired { opened }) => log_info!(
                "{} did not save their user information within {} min ({}); next reminder in {} h at the earliest.",
                session.user,
                FORM_TIMEOUT.as_secs() / 60,
                if opened { "the form was opened" } else { "the form was not opened" },
                RENOTIFY_AFTER.as_secs() / 3600
            ),
            Ok(Outcome::Cancelled) => return,
            Err(error) => log_warn!(
                "Could not ask {} for their user information: {error}; trying again in {} h.",
                session.user,
                RENOTIFY_AFTER.as_secs() / 3600
            ),
        }
    }
}

/// When to ask the server and when to notify: the rules, without the clock.
#[derive(Debug, Default)]
pub struct Schedule {
    /// The last time the server was asked, and for which session.
    asked: Option<(Instant, String)>,
    /// The last notification that was not answered, and whose.
    notified: Option<(Instant, u32)>,
}

impl Schedule {
    /// Whether to ask the server now: for a session not asked about before (a new login), or
    /// once [`ASK_EVERY`] has passed.
    pub fn should_ask(&self, now: Instant, session: &Session) -> bool {
        match &self.asked {
            None => true,
            Some((at, key)) => *key != session_key(session) || now.duration_since(*at) >= ASK_EVERY,
        }
    }

    /// Notes that the server was asked.
    pub fn asked(&mut self, now: Instant, session: &Session) {
        self.asked = Some((now, session_key(session)));
    }

    /// Whether `uid` may be notified now: not while an earlier notification to the same user
    /// went unanswered less than [`RENOTIFY_AFTER`] ago.
    pub fn may_notify(&self, now: Instant, uid: u32) -> bool {
        match self.notified {
            Some((at, notified_uid)) => {
                notified_uid != uid || now.duration_since(at) >= RENOTIFY_AFTER
            }
            None => true,
        }
    }

    /// Notes a notification.
    pub fn notified(&mut self, now: Instant, uid: u32) {
        self.notified = Some((now, uid));
    }

    /// Notes that the user answered: the next time the server says the answers are due
    /// (a new start day, the interval), they are asked at once.
    pub fn answered(&mut self) {
        self.notified = None;
    }
}

/// A session's identity for the schedule: logind reuses no id while running, and the uid
/// tells apart sessions given on the command line.
fn session_key(session: &Session) -> String {
    format!("{}/{}", session.id, session.uid)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::desktop::session::SessionKind;

    fn session(id: &str, uid: u32) -> Session {
        Session {
            id: id.into(),
            user: format!("user{uid}"),
            uid,
            gid: uid,
            home: PathBuf::from("/home/u"),
            kind: SessionKind::X11,
            display: Some(":0".into()),
            wayland_display: None,
            xauthority: None,
            runtime_dir: PathBuf::from(format!("/run/user/{uid}")),
            lang: "ja_JP.UTF-8".into(),
        }
    }

    #[test]
    fn asks_at_login_then_every_quarter_hour() {
        let start = Instant::now();
        let mut schedule = Schedule::default();
        let hanako = session("3", 1000);
        assert!(schedule.should_ask(start, &hanako));
        schedule.asked(start, &hanako);
        let minute = Duration::from_secs(60);
        assert!(!schedule.should_ask(start + minute, &hanako));
        assert!(!schedule.should_ask(start + ASK_EVERY - minute, &hanako));
        assert!(schedule.should_ask(start + ASK_EVERY, &hanako));
        // A new login (another session, or another user) is asked about at once.
        assert!(schedule.should_ask(start + minute, &session("4", 1000)));
        assert!(schedule.should_ask(start + minute, &session("3", 1001)));
    }

    #[test]
    fn does_not_nag_until_answered_or_the_interval_passed() {
        let start = Instant::now();
        let mut schedule = Schedule::default();
        assert!(schedule.may_notify(start, 1000));
        schedule.notified(start, 1000);
        let hour = Duration::from_secs(3600);
        assert!(!schedule.may_notify(start + hour, 1000));
        assert!(
            schedule.may_notify(start + hour, 1001),
            "another user is asked"
        );
        assert!(schedule.may_notify(start + RENOTIFY_AFTER, 1000));
        schedule.answered();
        assert!(schedule.may_notify(start + hour, 1000));
    }
}
