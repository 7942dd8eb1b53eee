//! Managed software, licences and reconciliation figures as the API and console show them.

use serde::Serialize;

use crate::assets::licences::matching::Rule;

/// A managed software (管理ソフトウェア): a product whose installs are counted against its
/// licences.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManagedSoftware {
    /// Id.
    pub id: i64,
    /// Name (Japanese, the default language).
    pub name: String,
    /// English name; empty means the Japanese one.
    pub name_en: String,
    /// Which installed software it counts.
    pub rules: Vec<Rule>,
    /// Created (Unix ms).
    pub created_at: i64,
    /// Optimistic version.
    pub version: i64,
}

/// A software licence (ソフトウェアライセンス).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Licence {
    /// Id.
    pub id: i64,
    /// Licence number (ライセンス管理番号), unique when set.
    pub licence_number: String,
    /// Name.
    pub name: String,
    /// The managed software it licenses.
    pub managed_id: Option<i64>,
    /// Licences held (保有数).
    pub held: i64,
    /// Type (`licence_type` choice).
    pub type_id: i64,
    /// Status (`licence_status` choice: in use, disposed, own).
    pub status_id: i64,
    /// Planned status.
    pub planned_status_id: Option<i64>,
    /// Its day.
    pub planned_on: Option<String>,
    /// Department; none is Unknown.
    pub department_id: Option<i64>,
    /// Last stocktake day.
    pub stocktaken_on: Option<String>,
    /// Devices it is assigned to.
    pub assigned: i64,
    /// Custom field values.
    pub custom: serde_json::Value,
    /// Registered (Unix ms).
    pub created_at: i64,
    /// Who registered it.
    pub created_by: String,
    /// Last changed (Unix ms).
    pub updated_at: i64,
    /// Optimistic version.
    pub version: i64,
}

/// The reconciliation of one managed software (ライセンス状況), over the reader's departments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    /// The managed software.
    pub managed_id: i64,
    /// Its name.
    pub name: String,
    /// Held by its licences that are not disposed (保有数).
    pub owned: i64,
    /// Devices with a matching install (ライセンス消費数).
    pub consumed: i64,
    /// Owned − consumed (残数): negative is over-use.
    pub remaining: i64,
    /// Devices assigned one of its licences (割り当てライセンス数).
    pub assigned: i64,
    /// Installed without an assignment (unauthorised use).
    pub unauthorised: i64,
    /// Assigned without an install (idle licences).
    pub idle: i64,
}

impl Reconciliation {
    /// Figures from the counts read: owned, consumed, assigned, and assigned devices that
    /// have it installed.
    pub fn from_counts(
        managed_id: i64,
        name: String,
        owned: i64,
        consumed: i64,
        (assigned, assigned_installed): (i64, i64),
    ) -> Reconciliation {
        Reconciliation {
            managed_id,
            name,
            owned,
            consumed,
            remaining: owned - consumed,
            assigned,
            unauthorised: consumed - assigned_installed,
            idle: assigned - assigned_installed,
        }
    }

    /// More installs than licences held.
    pub fn exceeded(&self) -> bool {
        self.remaining < 0
    }
}

/// One department's share of a managed software's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DepartmentShare {
    /// The department; none is Unknown.
    pub department_id: Option<i64>,
    /// Held by licences of the department.
    pub owned: i64,
    /// Devices of the department with an install.
    pub consumed: i64,
    /// Owned − consumed.
    pub remaining: i64,
    /// Devices of the department assigned a licence.
    pub assigned: i64,
}

/// A device in a managed software's tabs (installed computers, assigned computers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LicensedDevice {
    /// Device id.
    pub id: i64,
    /// Host name.
    pub hostname: String,
    /// Department.
    pub department_id: Option<i64>,
    /// Has a matching install.
    pub installed: bool,
    /// Holds one of its licences.
    pub assigned: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_follow_the_seeds_definitions() {
        // 10 held, 12 installed, 9 assigned of which 8 have it installed.
        let r = Reconciliation::from_counts(1, "x".into(), 10, 12, (9, 8));
        assert_eq!(r.remaining, -2);
        assert!(r.exceeded());
        assert_eq!(r.unauthorised, 4, "installed but not assigned");
        assert_eq!(r.idle, 1, "assigned but not installed");
    }
}
