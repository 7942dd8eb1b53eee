//! One prompt: serve the form, notify the session's user, wait for the answer or the timeout,
//! and clean up (close the notification, close the listener). Used by the service's prompt
//! thread and by `kanri-agent user-info --notify`.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use kanri_proto::{Text, UserInfoForm};

use super::error::DesktopError;
use super::form::page;
use super::form::server::{Finish, FormConfig, FormServer};
use super::notify::Notification;
use super::session::Session;
use crate::lock::StateLock;
use crate::transport::Transport;

/// How long the form stays open by default: long enough to finish a phone call, short
/// enough that a link found in the notification history later is dead.
pub const FORM_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// How long the form still answers after it was saved, so a second click on Save or a reload
/// shows "saved already" instead of a browser error.
const ANSWERED_LINGER: Duration = Duration::from_secs(2);

/// How to prompt.
#[derive(Debug, Clone)]
pub struct PromptConfig {
    /// The state dir, which holds the form's lock (one form per PC at a time).
    pub state_dir: PathBuf,
    /// How long the form stays open.
    pub timeout: Duration,
    /// The page's language when there is no session to take it from.
    pub japanese: bool,
    /// Print the form's URL on standard output (an administrator asked for it).
    pub print_url: bool,
}

/// How a prompt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The user's answers were saved; the form as the server now has it.
    Answered(Box<UserInfoForm>),
    /// The form timed out; `opened` says whether the user opened it from the notification.
    Expired {
        /// The notification's action was used.
        opened: bool,
    },
    /// The agent is stopping.
    Cancelled,
}

/// Serves `form` until it is answered or times out, and notifies `session`'s user when there
/// is a session. `cancelled` is asked every half second.
///
/// # Errors
/// [`DesktopError::Busy`] when another form is open on this PC; the errors of listening and
/// of notifying (no notification server, a missing program). The form is closed again when
/// the notification fails.
pub fn prompt(
    transport: &Transport,
    form: UserInfoForm,
    session: Option<&Session>,
    config: &PromptConfig,
    cancelled: &dyn Fn() -> bool,
) -> Result<Outcome, DesktopError> {
    let _lock = StateLock::try_acquire(&config.state_dir, "user-info.lock")
        .map_err(DesktopError::Lock)?
        .ok_or(DesktopError::Busy)?;
    let japanese = session.map_or(config.japanese, Session::japanese);
    let mut initial = form.current.clone();
    if let (Some(session), true) = (session, initial.user_account.is_empty()) {
        // The login name is the likely account; the user sees it and may change it.
        initial.user_account = Text::sanitize(&session.user);
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let mut allowed_uids = vec![0, me];
    allowed_uids.extend(session.map(|session| session.uid));
    let sender = transport.clone();
    let server = FormServer::start(
        FormConfig {
            form,
            initial,
            japanese,
            allowed_uids,
            timeout: config.timeout,
        },
        Box::new(move |answers| sender.user_info_answer(answers)),
    )?;
    if config.print_url {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{}", server.url());
        let _ = stdout.flush();
    }
    let notification = match session {
        Some(session) => Some(Notification::send(
            session,
            page::texts(japanese),
            server.url(),
        )?),
        None => None,
    };
    let outcome = match server.wait(cancelled) {
        Finish::Answered(saved) => {
            let until = Instant::now() + ANSWERED_LINGER;
            while Instant::now() < until && !cancelled() {
                std::thread::sleep(Duration::from_millis(100));
            }
            Outcome::Answered(saved)
        }
        Finish::Expired => Outcome::Expired {
            opened: notification.as_ref().is_some_and(Notification::opened),
        },
        Finish::Cancelled => Outcome::Cancelled,
    };
    // The notification closes first, so its link is gone before the listener is.
    drop(notification);
    drop(server);
    Ok(outcome)
}
