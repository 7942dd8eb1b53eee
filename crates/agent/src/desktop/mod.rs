//! The user-information form on the desktop (利用者情報の入力): a notification in the user's
//! graphical session whose action opens a small web form that the agent serves on loopback.
//!
//! [`session`] finds the active graphical session through logind (`loginctl`), [`as_user`]
//! runs a program as that session's user with the session's bus and display, [`notify`]
//! sends the notification with `notify-send` and opens the form with `xdg-open`, [`form`] is
//! the local form server (one-time token, expiry, peer check, the page), and [`prompt`] ties
//! them into one run: serve, notify, wait for the answer or the timeout, clean up. The
//! service's run loop calls [`prompt`] from its own thread (`run::prompts`);
//! `kanri-agent user-info --notify` calls it once.
//!
//! **Architecture Invariant:** the form's answers reach the server only through
//! [`crate::transport::Transport::user_info_answer`]; nothing here holds the agent's secret.
//! The form's URL carries a one-time secret too: it is passed to the user's own processes and
//! printed only when an administrator asks (`--print-url`), never logged.

pub mod as_user;
pub mod error;
pub mod form;
pub mod notify;
pub mod prompt;
pub mod session;
