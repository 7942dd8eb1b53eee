//! One change to many assets chosen in a list (一括編集): status with a note, planned status
//! with its day and a note, stocktake day, department, location, deletion. The assets the
//! actor cannot see or whose status forbids the change are reported and left alone; the
//! others change together in one transaction, each through the single-asset rules (note,
//! disposal, audit), so a failure part-way leaves none changed.

use serde::Deserialize;

use crate::app::AppState;
use crate::assets::hardware::service::{self, AssetPatch};
use crate::audit::model::Origin;
use crate::core::auth::Actor;
use crate::core::db::DbError;
use crate::core::error::AppError;
use crate::devices::bulk::{BulkFailure, BulkOutcome};

/// Most assets one request may change.
pub const MAX_ASSETS: usize = 1000;

/// What to do to each asset.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum AssetBulkAction {
    /// Change the status (状態を変更), with the reason appended as a note.
    SetStatus {
        /// New status.
        status_id: i64,
        /// Reason.
        #[serde(default)]
        note: Option<String>,
    },
    /// Plan a status change (予定資産状態を変更) on a day, or clear the plan with `null`.
    SetPlanned {
        /// Planned status.
        planned_status_id: Option<i64>,
        /// Its day.
        #[serde(default)]
        planned_on: Option<String>,
        /// Reason.
        #[serde(default)]
        note: Option<String>,
    },
    /// Record a stocktake day (棚卸日).
    Stocktake {
        /// The day (`YYYY-MM-DD`).
        on: String,
        /// Optional note.
        #[serde(default)]
        note: Option<String>,
    },
    /// Put into a department, or Unknown with `null`.
    SetDepartment {
        /// The department.
        department_id: Option<i64>,
    },
    /// Put at a location, or Unknown with `null`.
    SetLocation {
        /// The location.
        location_id: Option<i64>,
    },
    /// Delete (Unconfirmed or Disposed assets only).
    Delete,
}

impl AssetBulkAction {
    fn patch(&self) -> AssetPatch {
        match self.clone() {
            AssetBulkAction::SetStatus { status_id, note } => AssetPatch {
                status_id: Some(status_id),
                note,
                ..AssetPatch::default()
            },
            AssetBulkAction::SetPlanned {
                planned_status_id,
                planned_on,
                note,
            } => AssetPatch {
                planned_status_id: Some(planned_status_id),
                planned_on: Some(planned_on),
                note,
                ..AssetPatch::default()
            },
            AssetBulkAction::Stocktake { on, note } => AssetPatch {
                stocktaken_on: Some(Some(on)),
                note,
                ..AssetPatch::default()
            },
            AssetBulkAction::SetDepartment { department_id } => AssetPatch {
                department_id: Some(department_id),
                ..AssetPatch::default()
            },
            AssetBulkAction::SetLocation { location_id } => AssetPatch {
                location_id: Some(location_id),
                ..AssetPatch::default()
            },
            AssetBulkAction::Delete => AssetPatch::default(),
        }
    }
}

/// Applies `action` to the assets `ids`.
///
/// # Errors
/// 400 for an empty or oversized selection or an invalid action (nothing changes); 403
/// without the assets division.
pub async fn apply(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    ids: &[i64],
    action: &AssetBulkAction,
) -> Result<BulkOutcome, AppError> {
    actor.require_division(crate::core::auth::Division::Assets)?;
    let mut unique: Vec<i64> = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    if unique.is_empty() {
        return Err(AppError::invalid("ids", "choose at least one asset"));
    }
    if unique.len() > MAX_ASSETS {
        return Err(AppError::invalid(
            "ids",
            format!("at most {MAX_ASSETS} assets at a time"),
        ));
    }
    // Form errors of the action itself refuse the whole request.
    service::apply_patch(&mut Default::default(), action.patch()).map(|_| ())?;
    let mut outcome = BulkOutcome::default();
    let mut deleted_devices = Vec::new();
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    for id in unique {
        let asset = match service::visible_asset(&mut tx, actor, id).await {
            Ok(asset) => asset,
            Err(error) => {
                outcome.failed.push(failure(id, &error));
                continue;
            }
        };
        let result = match action {
            AssetBulkAction::Delete => service::delete_in(&mut tx, actor, origin, &asset).await,
            _ => service::update_in(&mut tx, actor, origin, &asset, action.patch())
                .await
                .map(|(_, effects)| deleted_devices.extend(effects.deleted_devices)),
        };
        match result {
            Ok(()) => outcome.done.push(id),
            // A rule of this asset (its status forbids deletion): left alone. The checks run
            // before anything of this asset is written.
            Err(error @ AppError::Invalid { .. }) => outcome.failed.push(failure(id, &error)),
            Err(error) => return Err(error),
        }
    }
    tx.commit().await.map_err(DbError::from)?;
    for device in deleted_devices {
        state.agents.forget_device(device);
    }
    Ok(outcome)
}

fn failure(id: i64, error: &AppError) -> BulkFailure {
    let (_, code) = error.parts();
    BulkFailure {
        id,
        code: code.to_string(),
        message: error.to_string(),
    }
}
