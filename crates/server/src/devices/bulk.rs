//! One action on many devices chosen in a list (一括操作): each device is changed in its own
//! transaction through the same rules as a single change (scope, licence cap, audit, events),
//! and the caller learns which devices were changed and why the others were not.

use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::audit::model::Origin;
use crate::core::auth::Actor;
use crate::core::error::AppError;
use crate::devices::model::DeviceState;
use crate::devices::notes;
use crate::devices::service::{self, DevicePatch};

/// Most devices one request may change.
pub const MAX_DEVICES: usize = 1000;

/// What to do to each device.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum BulkAction {
    /// Make managed (管理対象にする); uses a licence each.
    Manage,
    /// Exclude from management (除外対象にする).
    Exclude,
    /// Delete with the device's inventory.
    Delete,
    /// Put into a department, or into none with `null`.
    SetDepartment {
        /// The department.
        department_id: Option<i64>,
    },
    /// Put at a location, or at none with `null`.
    SetLocation {
        /// The location.
        location_id: Option<i64>,
    },
    /// Append the same note to each.
    AddNote {
        /// The note.
        body: String,
    },
}

/// A device that was not changed.
#[derive(Debug, Clone, Serialize)]
pub struct BulkFailure {
    /// The device.
    pub id: i64,
    /// Machine-readable reason (`licence_exceeded`, `not_found`, …).
    pub code: String,
    /// Why, in words.
    pub message: String,
}

/// What a bulk action did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BulkOutcome {
    /// Devices changed.
    pub done: Vec<i64>,
    /// Devices left as they were.
    pub failed: Vec<BulkFailure>,
}

/// Applies `action` to each of `ids` (each once, in the given order).
///
/// # Errors
/// 400 for no devices, too many, or an invalid note or department (checked once before any
/// device changes); failures of single devices are in the outcome instead.
pub async fn apply(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    ids: &[i64],
    action: &BulkAction,
) -> Result<BulkOutcome, AppError> {
    actor.require_division(crate::core::auth::Division::Devices)?;
    let mut unique: Vec<i64> = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(id) {
            unique.push(*id);
        }
    }
    if unique.is_empty() {
        return Err(AppError::invalid("ids", "choose at least one device"));
    }
    if unique.len() > MAX_DEVICES {
        return Err(AppError::invalid(
            "ids",
            format!("at most {MAX_DEVICES} devices at a time"),
        ));
    }
    match action {
        BulkAction::AddNote { body } => {
            notes::clean_body(body)?;
        }
        BulkAction::SetDepartment {
            department_id: Some(department_id),
        } => {
            if !actor.scope.covers(Some(*department_id)) {
                return Err(AppError::invalid(
                    "department_id",
                    "the department is outside your departments",
                ));
            }
            let mut conn = state.db.read().acquire().await?;
            if !crate::departments::store::exists(
                &mut conn,
                crate::departments::store::Tree::Departments,
                *department_id,
            )
            .await?
            {
                return Err(AppError::invalid("department_id", "no such department"));
            }
        }
        BulkAction::SetLocation {
            location_id: Some(location_id),
        } => {
            let mut conn = state.db.read().acquire().await?;
            let tree = crate::departments::store::Tree::Locations;
            if !crate::departments::store::exists(&mut conn, tree, *location_id).await? {
                return Err(AppError::invalid("location_id", "no such location"));
            }
        }
        _ => {}
    }
    let mut outcome = BulkOutcome::default();
    // After the licence cap refuses one device, the rest are refused without another
    // attempt (and without another licence event each).
    let mut licence_refusal: Option<(String, String)> = None;
    for id in unique {
        if let (BulkAction::Manage, Some((code, message))) = (action, &licence_refusal) {
            outcome.failed.push(BulkFailure {
                id,
                code: code.clone(),
                message: message.clone(),
            });
            continue;
        }
        let result = match action {
            BulkAction::Manage => {
                change_state(state, actor, origin, id, DeviceState::Managed).await
            }
            BulkAction::Exclude => {
                change_state(state, actor, origin, id, DeviceState::Excluded).await
            }
            BulkAction::Delete => service::delete(state, actor, origin, id).await,
            BulkAction::SetDepartment { department_id } => {
                let patch = DevicePatch {
                    state: None,
                    notes: None,
                    department_id: Some(*department_id),
                    location_id: None,
                    version: None,
                };
                service::update(state, actor, origin, id, patch)
                    .await
                    .map(|_| ())
            }
            BulkAction::SetLocation { location_id } => {
                let patch = DevicePatch {
                    state: None,
                    notes: None,
                    department_id: None,
                    location_id: Some(*location_id),
                    version: None,
                };
                service::update(state, actor, origin, id, patch)
                    .await
                    .map(|_| ())
            }
            BulkAction::AddNote { body } => {
                notes::add(state, actor, origin, id, body).await.map(|_| ())
            }
        };
        match result {
            Ok(()) => outcome.done.push(id),
            Err(error) => {
                let (_, code) = error.parts();
                let message = match &error {
                    AppError::Internal(_) => "internal error".to_string(),
                    other => other.to_string(),
                };
                if code == "licence_exceeded" {
                    licence_refusal = Some((code.to_string(), message.clone()));
                }
                if matches!(error, AppError::Internal(_)) {
                    tracing::error!(message = "A bulk device change failed.", device = id, %error);
                }
                outcome.failed.push(BulkFailure {
                    id,
                    code: code.to_string(),
                    message,
                });
            }
        }
    }
    Ok(outcome)
}

async fn change_state(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    id: i64,
    new_state: DeviceState,
) -> Result<(), AppError> {
    let patch = DevicePatch {
        state: Some(new_state),
        notes: None,
        department_id: None,
        location_id: None,
        version: None,
    };
    service::update(state, actor, origin, id, patch)
        .await
        .map(|_| ())
}
