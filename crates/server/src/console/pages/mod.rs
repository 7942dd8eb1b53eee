//! One module per console page.

pub mod agents;
pub mod device;
pub mod devices;
pub mod home;
pub mod lists;
pub mod login;
pub mod password;

/// The header every signed-in page shows: who, the sign-out form's CSRF token, and which
/// menu entry is current.
#[derive(Debug, Clone)]
pub struct Nav {
    /// The user id shown beside the sign-out button.
    pub login: String,
    /// The session's CSRF token, for the sign-out form and htmx requests.
    pub csrf: String,
    /// The current menu entry (`home`, `devices`, …).
    pub current: &'static str,
    /// Whether the user holds the system administration privilege (the settings menu).
    pub system_admin: bool,
}

impl Nav {
    /// The header for `user` on page `current`.
    pub fn new(user: &crate::console::web::ConsoleUser, current: &'static str) -> Nav {
        Nav {
            login: user.actor.login.clone(),
            csrf: user.session.csrf_token.clone(),
            current,
            system_admin: user.actor.system_admin,
        }
    }
}
