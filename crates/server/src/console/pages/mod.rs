//! One module per console page.

pub mod accounts;
pub mod agents;
pub mod audit;
pub mod contract_edit;
pub mod device;
pub mod devices;
pub mod events;
pub mod hardware;
pub mod home;
pub mod imports;
pub mod ledger;
pub mod ledger_settings;
pub mod licence_edit;
pub mod lists;
pub mod login;
pub mod password;
pub mod profile;
pub mod settings;
pub mod software;

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
    /// Whether the system administrators' entries (audit log, settings) show.
    pub system_admin: bool,
    /// Whether the settings entry shows (system or user-account administrators).
    pub settings: bool,
    /// Whether the asset ledger's entries show (assets division).
    pub assets: bool,
}

impl Nav {
    /// The header for `user` on page `current`.
    pub fn new(user: &crate::console::web::ConsoleUser, current: &'static str) -> Nav {
        Nav {
            login: user.actor.login.clone(),
            csrf: user.session.csrf_token.clone(),
            current,
            system_admin: user.actor.system_admin,
            settings: user.actor.system_admin || user.actor.account_admin,
            assets: user
                .actor
                .divisions
                .contains(crate::core::auth::Division::Assets),
        }
    }
}
