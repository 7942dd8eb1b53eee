//! [`DesktopError`]: why the desktop form could not be shown.

/// Why finding a session, notifying its user or serving the form failed.
#[derive(Debug, thiserror::Error)]
pub enum DesktopError {
    /// A program this needs is not installed.
    #[error("{program} is not installed ({package})")]
    Missing {
        /// The program's name.
        program: &'static str,
        /// The Debian package that has it.
        package: &'static str,
    },
    /// A program could not be started.
    #[error("cannot run {program}")]
    Spawn {
        /// The program's name.
        program: &'static str,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A program ran longer than it may, and was killed.
    #[error("{program} did not finish in time")]
    Timeout {
        /// The program's name.
        program: &'static str,
    },
    /// A program exited unsuccessfully.
    #[error("{program} failed ({status}): {message}")]
    Failed {
        /// The program's name.
        program: &'static str,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// The start of what it wrote on standard error.
        message: String,
    },
    /// The uid has no user (passwd, LDAP, …).
    #[error("no user has uid {0}")]
    NoUser(u32),
    /// The session's bus answered, but no notification server is on it.
    #[error("no notification server on the session bus of uid {uid}: {message}")]
    NoNotificationServer {
        /// The session's user.
        uid: u32,
        /// What `dbus-send` said.
        message: String,
    },
    /// Another process of this agent has a form open (the service, or an administrator's
    /// `user-info --notify`).
    #[error("a user-information form is already open on this PC")]
    Busy,
    /// The form's lock file could not be taken.
    #[error("cannot lock the user-information form")]
    Lock(#[source] std::io::Error),
    /// The local form server could not listen.
    #[error("cannot serve the form on 127.0.0.1")]
    Listen(#[source] std::io::Error),
}
