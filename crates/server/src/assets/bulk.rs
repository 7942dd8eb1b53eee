//! One change to many licences or contracts (一括編集): status with a note, stocktake day
//! (licences), department, deletion; each record through its single-record rules in its own
//! transaction, the ones refused reported with the reason.

use serde::Deserialize;

use crate::app::AppState;
use crate::assets::contracts::service::{self as contracts, ContractPatch};
use crate::assets::licences::service::{self as licences, LicencePatch};
use crate::audit::model::Origin;
use crate::core::auth::{Actor, Division};
use crate::core::error::AppError;
use crate::devices::bulk::{BulkFailure, BulkOutcome};

/// Most records one request may change.
pub const MAX_RECORDS: usize = 1000;

/// What to do to each record.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum LedgerBulkAction {
    /// Change the status, with the reason as a note.
    SetStatus {
        /// New status.
        status_id: i64,
        /// Reason.
        #[serde(default)]
        note: Option<String>,
    },
    /// Record a stocktake day (licences).
    Stocktake {
        /// The day.
        on: String,
    },
    /// Put into a department, or Unknown with `null`.
    SetDepartment {
        /// The department.
        department_id: Option<i64>,
    },
    /// Delete (licences: disposed ones; contracts: cancelled early or expired).
    Delete,
}

/// Which records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Licences.
    Licences,
    /// Contracts.
    Contracts,
}

/// Applies `action` to the records `ids` of `kind`.
///
/// # Errors
/// 400 for an empty or oversized selection, or an action the kind lacks; 403.
pub async fn apply(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    (kind, ids): (Kind, &[i64]),
    action: &LedgerBulkAction,
) -> Result<BulkOutcome, AppError> {
    actor.require_division(Division::Assets)?;
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    if unique.is_empty() || unique.len() > MAX_RECORDS {
        return Err(AppError::invalid(
            "ids",
            format!("choose 1 to {MAX_RECORDS} records"),
        ));
    }
    if kind == Kind::Contracts && matches!(action, LedgerBulkAction::Stocktake { .. }) {
        return Err(AppError::invalid(
            "action",
            "contracts have no stocktake day",
        ));
    }
    let mut outcome = BulkOutcome::default();
    for id in unique {
        let result = one(state, actor, origin, (kind, id), action).await;
        match result {
            Ok(()) => outcome.done.push(id),
            Err(error) => {
                if matches!(error, AppError::Internal(_)) {
                    tracing::error!(message = "A bulk ledger change failed.", record = id, %error);
                }
                let (_, code) = error.parts();
                outcome.failed.push(BulkFailure {
                    id,
                    code: code.to_string(),
                    message: match &error {
                        AppError::Internal(_) => "internal error".to_string(),
                        other => other.to_string(),
                    },
                });
            }
        }
    }
    Ok(outcome)
}

async fn one(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    (kind, id): (Kind, i64),
    action: &LedgerBulkAction,
) -> Result<(), AppError> {
    if let LedgerBulkAction::Delete = action {
        return match kind {
            Kind::Licences => licences::delete(state, actor, origin, id).await,
            Kind::Contracts => contracts::delete(state, actor, origin, id).await,
        };
    }
    // The version read now: a bulk change applies to the record as it is.
    let mut conn = state
        .db
        .read()
        .acquire()
        .await
        .map_err(crate::core::db::DbError::from)?;
    match kind {
        Kind::Licences => {
            let current = licences::visible_licence(&mut conn, actor, id).await?;
            drop(conn);
            let mut patch = LicencePatch {
                version: Some(current.version),
                ..LicencePatch::default()
            };
            match action.clone() {
                LedgerBulkAction::SetStatus { status_id, note } => {
                    patch.status_id = Some(status_id);
                    patch.note = note;
                }
                LedgerBulkAction::Stocktake { on } => patch.stocktaken_on = Some(Some(on)),
                LedgerBulkAction::SetDepartment { department_id } => {
                    patch.department_id = Some(department_id);
                }
                LedgerBulkAction::Delete => {}
            }
            licences::update(state, actor, origin, id, patch)
                .await
                .map(|_| ())
        }
        Kind::Contracts => {
            let current = contracts::visible_contract(&mut conn, actor, id).await?;
            drop(conn);
            let mut patch = ContractPatch {
                version: Some(current.version),
                ..ContractPatch::default()
            };
            match action.clone() {
                LedgerBulkAction::SetStatus { status_id, note } => {
                    patch.status_id = Some(status_id);
                    patch.note = note;
                }
                LedgerBulkAction::SetDepartment { department_id } => {
                    patch.department_id = Some(department_id);
                }
                LedgerBulkAction::Stocktake { .. } | LedgerBulkAction::Delete => {}
            }
            contracts::update(state, actor, origin, id, patch)
                .await
                .map(|_| ())
        }
    }
}
