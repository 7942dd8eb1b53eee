//! Who is calling: the [`Actor`] every service function takes first, with what it may do.
//!
//! Authorization is privilege × business division × department scope (DESIGN.md §7),
//! decided here and in the services, never only in templates: the console and the REST API
//! reach the same service functions with the same actor.

use serde::{Deserialize, Serialize};

use crate::core::error::AppError;

/// A business division (業務分掌): which screens and data an account works with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Division {
    /// Security management (セキュリティ管理).
    Security,
    /// Asset management (資産管理).
    Assets,
    /// Device management (機器管理).
    Devices,
    /// Distribution management (配布管理).
    Distribution,
}

impl Division {
    /// Every division, in the order screens list them.
    pub const ALL: [Division; 4] = [
        Division::Security,
        Division::Assets,
        Division::Devices,
        Division::Distribution,
    ];

    fn bit(self) -> i64 {
        match self {
            Division::Security => 1,
            Division::Assets => 2,
            Division::Devices => 4,
            Division::Distribution => 8,
        }
    }
}

/// A set of divisions, stored as a bit set (`users.divisions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Divisions(i64);

impl Divisions {
    /// All four.
    pub const ALL: Divisions = Divisions(15);

    /// From the stored bits (unknown bits are dropped).
    pub fn from_bits(bits: i64) -> Divisions {
        Divisions(bits & 15)
    }

    /// The stored bits.
    pub fn bits(self) -> i64 {
        self.0
    }

    /// Whether the set holds `division`.
    pub fn contains(self, division: Division) -> bool {
        self.0 & division.bit() != 0
    }

    /// The divisions in the set, in [`Division::ALL`] order.
    pub fn list(self) -> Vec<Division> {
        Division::ALL
            .into_iter()
            .filter(|d| self.contains(*d))
            .collect()
    }
}

impl FromIterator<Division> for Divisions {
    fn from_iter<I: IntoIterator<Item = Division>>(iter: I) -> Divisions {
        Divisions(iter.into_iter().fold(0, |bits, d| bits | d.bit()))
    }
}

/// Which departments' devices and assets an account sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every department, and devices with none.
    All,
    /// These departments (the chosen subtrees, expanded to every department in them).
    Departments(Vec<i64>),
}

impl Scope {
    /// Whether a record in `department_id` (None: no department) is in scope.
    pub fn covers(&self, department_id: Option<i64>) -> bool {
        match (self, department_id) {
            (Scope::All, _) => true,
            (Scope::Departments(ids), Some(id)) => ids.contains(&id),
            (Scope::Departments(_), None) => false,
        }
    }
}

/// An authenticated administrator (through a console session or an API token).
#[derive(Debug, Clone)]
pub struct Actor {
    /// User id.
    pub user_id: i64,
    /// Login name, for the audit trail and command authorship.
    pub login: String,
    /// System administration privilege (システム管理権限): settings, audit log.
    pub system_admin: bool,
    /// User-account management privilege (ユーザーアカウント管理権限).
    pub account_admin: bool,
    /// Business divisions.
    pub divisions: Divisions,
    /// Department scope (管轄範囲).
    pub scope: Scope,
    /// The account's time zone: the days it types in filters are its days.
    pub tz: jiff::tz::TimeZone,
}

impl Actor {
    /// 403 unless the actor works in `division`.
    ///
    /// # Errors
    /// [`AppError::Forbidden`].
    pub fn require_division(&self, division: Division) -> Result<(), AppError> {
        if self.divisions.contains(division) {
            Ok(())
        } else {
            Err(AppError::Forbidden {
                code: "division_required",
                message: format!(
                    "this needs the {} business division",
                    serde_json::to_value(division)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                ),
            })
        }
    }

    /// 403 unless the actor holds the user-account management privilege.
    ///
    /// # Errors
    /// [`AppError::Forbidden`].
    pub fn require_account_admin(&self) -> Result<(), AppError> {
        if self.account_admin {
            Ok(())
        } else {
            Err(AppError::Forbidden {
                code: "account_admin_required",
                message: "this needs the user-account management privilege".into(),
            })
        }
    }

    /// 403 unless the actor holds the system administration privilege.
    ///
    /// # Errors
    /// [`AppError::Forbidden`].
    pub fn require_system_admin(&self) -> Result<(), AppError> {
        if self.system_admin {
            Ok(())
        } else {
            Err(AppError::Forbidden {
                code: "system_admin_required",
                message: "this needs the system administration privilege".into(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divisions_round_trip_through_their_bits() {
        let set: Divisions = [Division::Devices, Division::Security]
            .into_iter()
            .collect();
        assert_eq!(set.bits(), 5);
        assert_eq!(set.list(), vec![Division::Security, Division::Devices]);
        assert!(!set.contains(Division::Assets));
        assert_eq!(Divisions::from_bits(0xff), Divisions::ALL);
    }

    #[test]
    fn a_scoped_account_sees_only_its_departments() {
        let scope = Scope::Departments(vec![2, 3]);
        assert!(scope.covers(Some(2)));
        assert!(!scope.covers(Some(4)));
        assert!(
            !scope.covers(None),
            "no department is outside every subtree"
        );
        assert!(Scope::All.covers(None));
    }
}
