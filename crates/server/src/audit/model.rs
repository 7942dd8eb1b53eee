//! Audit entries and the names they are stored and filtered by.

use serde::{Deserialize, Serialize};

/// Declares an enum whose variants are stored by name (the JP1 audit log's own words).
macro_rules! named {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => stringify!($variant)),+ }
            }

            /// The value of a stored name.
            pub fn parse(name: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == name)
            }
        }
    };
}

named!(
    /// Category (`ctgry`).
    Category {
        /// Server start and stop.
        StartStop,
        /// Login and logout.
        Authentication,
        /// Accounts, settings and policies changed.
        ConfigurationAccess,
        /// Calls to outside services (directory, mail).
        ExternalService,
        /// Data exported, imported, deleted or changed in bulk.
        ContentAccess,
        /// Backup, restore, reorganisation.
        Maintenance,
        /// Actions taken on devices.
        ManagementAction,
    }
);

named!(
    /// Result (`result`).
    Outcome {
        /// Done.
        Success,
        /// Refused or failed.
        Failure,
        /// Happened (not requested by anyone).
        Occurrence,
    }
);

named!(
    /// Object type (`obj`).
    Object {
        /// An account.
        User,
        /// A console session.
        Session,
        /// An API token.
        Token,
        /// The account policy or another setting.
        Config,
        /// A department.
        Department,
        /// A location.
        Location,
        /// A device.
        DeviceInfo,
        /// An agent or enrollment token.
        Agent,
        /// A hardware asset.
        AssetInfo,
        /// Events.
        Event,
        /// The server itself.
        Server,
        /// The audit log (its export).
        AuditLog,
    }
);

named!(
    /// Operation (`op`).
    Op {
        /// Started.
        Start,
        /// Stopped.
        Stop,
        /// Signed in.
        Login,
        /// Signed out.
        Logout,
        /// Created.
        Add,
        /// Changed.
        Update,
        /// Deleted.
        Delete,
        /// Locked after failed logins.
        Lock,
        /// Unlocked.
        Unlock,
        /// Imported.
        Import,
        /// Exported.
        Export,
    }
);

named!(
    /// Component (`compid`): where the request came from.
    Component {
        /// The web console.
        Gui,
        /// The REST API.
        Api,
        /// The server on its own (jobs, start and stop).
        ManagerService,
        /// A command-line tool.
        Utility,
    }
);

/// Where a request came from, for the audit log.
#[derive(Debug, Clone)]
pub struct Origin {
    /// Client address.
    pub ip: String,
    /// Console or API.
    pub component: Component,
}

/// One entry to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    /// Category.
    pub category: Category,
    /// Operation.
    pub op: Op,
    /// Object type.
    pub object: Object,
    /// Which object (an id, a login), empty when none.
    pub object_id: String,
    /// Result.
    pub result: Outcome,
    /// The acting account, when known.
    pub user_id: Option<i64>,
    /// The acting login (as typed, for a failed login of an unknown user).
    pub login: String,
    /// Client address.
    pub ip: String,
    /// Where the request came from.
    pub component: Component,
    /// Structured details (never secrets).
    pub detail: serde_json::Value,
}

impl NewAuditEntry {
    /// `actor`'s successful `action` on the object `object_id`, from `origin`.
    pub fn by_actor(
        actor: &crate::core::auth::Actor,
        origin: &Origin,
        (category, op, object): (Category, Op, Object),
        object_id: impl Into<String>,
        detail: serde_json::Value,
    ) -> NewAuditEntry {
        NewAuditEntry {
            category,
            op,
            object,
            object_id: object_id.into(),
            result: Outcome::Success,
            user_id: Some(actor.user_id),
            login: actor.login.clone(),
            ip: origin.ip.clone(),
            component: origin.component,
            detail,
        }
    }
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Sequence number.
    pub id: i64,
    /// When (Unix ms).
    pub at: i64,
    /// Category.
    pub category: String,
    /// Operation.
    pub op: String,
    /// Object type.
    pub object: String,
    /// Which object.
    pub object_id: String,
    /// Result.
    pub result: String,
    /// The acting account.
    pub user_id: Option<i64>,
    /// The acting login.
    pub login: String,
    /// Client address.
    pub ip: String,
    /// Component.
    pub component: String,
    /// Details.
    pub detail: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for op in Op::ALL {
            assert_eq!(Op::parse(op.as_str()), Some(*op));
        }
        assert_eq!(
            Category::ConfigurationAccess.as_str(),
            "ConfigurationAccess"
        );
        assert_eq!(Outcome::parse("Nope"), None);
    }
}
