//! Wire types shared by `kanri-agent`, `kanri-server` and `kanri-loadgen`.
//!
//! Everything that crosses the network between an agent and the server is defined here and
//! nowhere else, together with the limits the server enforces on it. Strings arrive as
//! [`Text`], which refuses control characters and over-long values while it is being
//! deserialized, so a rejection names the offending field (see [`decode`]).
//!
//! **Architecture Invariant:** this crate does no I/O and knows nothing of HTTP, SQL or the
//! tokio runtime. Changes are additive: a new field is `Option` or has a default.
#![deny(missing_docs)]

pub mod decode;
pub mod inventory;
pub mod limits;
pub mod messages;
pub mod placeholders;
pub mod settings;
mod text;

pub use decode::{decode, DecodeError};
pub use inventory::{Inventory, SectionKind};
pub use messages::*;
pub use settings::{AgentSettings, SettingsError};
pub use text::{capped_vec, Text, TextError};

/// URL paths of the agent API, relative to the server's base URL.
pub mod paths {
    /// `POST`: exchange an enrollment token for agent credentials.
    pub const ENROLL: &str = "/agent/v1/enroll";
    /// `POST`: the small periodic check-in.
    pub const CHECKIN: &str = "/agent/v1/checkin";
    /// `POST`: inventory sections the server asked for.
    pub const INVENTORY: &str = "/agent/v1/inventory";
    /// `GET`: the agent-initiated long poll that brings immediate actions.
    pub const CHANNEL: &str = "/agent/v1/channel";
    /// `POST`: the agent is being uninstalled; revokes its credentials.
    pub const UNINSTALL: &str = "/agent/v1/uninstall";
    /// `GET`: the user-information form; `POST`: the user's answers.
    pub const USER_INFO: &str = "/agent/v1/user-info";
}

/// The HTTP header that carries agent credentials: `Kanri-Agent <agent_id>:<secret>`.
pub const AUTH_SCHEME: &str = "Kanri-Agent";

#[cfg(test)]
mod tests;
