//! User information (利用者情報): the agent asks the logged-in user for department, location,
//! name, account, e-mail and phone when the ledger settings say it is due (enabled, and never
//! answered or answered before the start time or longer ago than the interval), and the
//! answers update the asset of the agent's device (and, through the shared value, its device
//! records). With the automatic stocktake set to `user_info`, an answer is also the day's
//! stocktake.

use kanri_proto::{CustomAnswer, FormChoice, FormField, UserInfo, UserInfoForm};

use crate::app::AppState;
use crate::assets::hardware::store;
use crate::assets::settings::{self, LedgerSettings};
use crate::audit::model::{Category, Component, NewAuditEntry, Object, Op, Outcome};
use crate::core::db::DbError;
use crate::core::error::AppError;
use crate::core::time::now_ms;
use crate::departments::store::{Department, Tree};

/// Full paths (`病院/内科`) of the entries in the definition, in the default language.
pub fn choices(entries: &[Department]) -> Vec<FormChoice> {
    let by_id: std::collections::HashMap<i64, &Department> =
        entries.iter().map(|d| (d.id, d)).collect();
    let mut out: Vec<FormChoice> = entries
        .iter()
        .filter(|d| !d.retired)
        .map(|d| {
            let mut names = vec![d.name.as_str()];
            let mut parent = d.parent_id;
            let mut guard = 0;
            while let (Some(id), true) = (parent, guard < 64) {
                match by_id.get(&id) {
                    Some(up) => {
                        names.push(up.name.as_str());
                        parent = up.parent_id;
                    }
                    None => parent = None,
                }
                guard += 1;
            }
            names.reverse();
            FormChoice {
                id: d.id,
                path: names.join("/"),
            }
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// A user-entered field as the form shows it: hierarchy options as full paths.
fn form_field(field: &crate::assets::fields::CustomField) -> FormField {
    let nodes: Vec<Department> = field
        .options
        .iter()
        .map(|o| Department {
            id: o.id,
            parent_id: o.parent_id,
            name: o.name.clone(),
            name_en: o.name_en.clone(),
            description: String::new(),
            description_en: String::new(),
            retired: false,
            created_at: 0,
            updated_at: 0,
            version: 0,
        })
        .collect();
    FormField {
        id: field.id,
        name: field.name.clone(),
        data_type: field.data_type.clone(),
        options: if field.data_type == "selection" {
            field
                .options
                .iter()
                .map(|o| FormChoice {
                    id: o.id,
                    path: o.name.clone(),
                })
                .collect()
        } else {
            choices(&nodes)
        },
    }
}

/// Whether an answer given at `answered_at` is due again at `now`.
pub fn due(settings: &LedgerSettings, answered_at: i64, now: i64) -> bool {
    let interval = settings.user_info_interval_days.saturating_mul(86_400_000);
    settings.user_info_enabled
        && (answered_at <= 0
            || answered_at < settings.user_info_start
            || answered_at <= now.saturating_sub(interval))
}

/// The form for the agent's device.
///
/// # Errors
/// Storage errors.
pub async fn form(state: &AppState, device_id: i64) -> Result<UserInfoForm, AppError> {
    let settings = settings::get(&state.db).await?;
    let departments = crate::departments::store::list(&state.db, Tree::Departments).await?;
    let locations = crate::departments::store::list(&state.db, Tree::Locations).await?;
    let mut conn = state.db.read().acquire().await.map_err(DbError::from)?;
    let asset = match store::asset_of_device(&mut conn, device_id).await? {
        Some(id) => Some(store::get(&mut conn, id).await?),
        None => None,
    };
    let fields: Vec<crate::assets::fields::CustomField> =
        crate::assets::fields::store::list(&mut conn, "hardware")
            .await?
            .into_iter()
            .filter(|f| f.input == "user")
            .collect();
    let (current, answered_at) = match &asset {
        Some(a) => (
            UserInfo {
                department_id: a.department_id,
                location_id: a.location_id,
                user_name: a.user_name.as_str().into(),
                user_account: a.user_account.as_str().into(),
                user_email: a.user_email.as_str().into(),
                user_phone: a.user_phone.as_str().into(),
                custom: fields
                    .iter()
                    .filter_map(|f| {
                        let value = a.custom.get(f.id.to_string())?;
                        Some(CustomAnswer {
                            field_id: f.id,
                            text: value.as_str().unwrap_or("").into(),
                            option_id: value.as_i64(),
                        })
                    })
                    .collect(),
            },
            store::user_info_at(&mut conn, a.id).await?,
        ),
        None => (UserInfo::default(), 0),
    };
    Ok(UserInfoForm {
        enabled: settings.user_info_enabled,
        due: asset.is_some() && due(&settings, answered_at, now_ms()),
        departments: choices(&departments),
        locations: choices(&locations),
        current,
        fields: fields.iter().map(form_field).collect(),
    })
}

/// Records a user's answers on the asset of the agent's device.
///
/// # Errors
/// 400 for a department or location not offered, a bad e-mail; 404 when the device has no
/// asset.
pub async fn answer(
    state: &AppState,
    device_id: i64,
    ip: &str,
    info: &UserInfo,
) -> Result<UserInfoForm, AppError> {
    let settings = settings::get(&state.db).await?;
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    let asset_id = store::asset_of_device(&mut tx, device_id)
        .await?
        .ok_or(AppError::NotFound("asset"))?;
    let current = store::get(&mut tx, asset_id).await?;
    for (field, tree, id) in [
        ("department_id", Tree::Departments, info.department_id),
        ("location_id", Tree::Locations, info.location_id),
    ] {
        if let Some(id) = id {
            let entry = crate::departments::store::get(&mut tx, tree, id)
                .await
                .map_err(|_| AppError::invalid(field, format!("{field} is not on the list")))?;
            if entry.retired {
                return Err(AppError::invalid(
                    field,
                    format!("{field} is not on the list"),
                ));
            }
        }
    }
    let mut fields = store::AssetFields::of(&current);
    let patch = crate::assets::hardware::service::AssetPatch {
        user_name: Some(info.user_name.as_str().to_string()),
        user_account: Some(info.user_account.as_str().to_string()),
        user_email: Some(info.user_email.as_str().to_string()),
        user_phone: Some(info.user_phone.as_str().to_string()),
        department_id: info.department_id.map(Some),
        location_id: info.location_id.map(Some),
        custom: Some(
            info.custom
                .iter()
                .map(|a| {
                    let value = match a.option_id {
                        Some(id) => serde_json::Value::from(id),
                        None => serde_json::Value::from(a.text.as_str()),
                    };
                    (a.field_id.to_string(), value)
                })
                .collect(),
        ),
        ..Default::default()
    };
    let kept = crate::assets::values::kept_custom(&current.custom, patch.custom.as_ref());
    crate::assets::hardware::service::apply_patch(&mut fields, patch)?;
    // Only the fields users may enter.
    let users_fields: Vec<String> = crate::assets::fields::store::list(&mut tx, "hardware")
        .await?
        .into_iter()
        .filter(|f| f.input == "user")
        .map(|f| f.id.to_string())
        .collect();
    if let Some(answer) = info
        .custom
        .iter()
        .find(|a| !users_fields.contains(&a.field_id.to_string()))
    {
        return Err(AppError::invalid(
            format!("custom.{}", answer.field_id),
            "users do not enter this field",
        ));
    }
    crate::assets::fields::service::check_values(&mut tx, "hardware", &mut fields.custom, &kept)
        .await?;
    let now = now_ms();
    if settings.stocktake_auto == "user_info" {
        fields.stocktaken_on = Some(jiff::Zoned::now().date().to_string());
    }
    store::update(&mut tx, asset_id, &fields, current.version, now).await?;
    store::place_devices(&mut tx, asset_id, fields.department_id, fields.location_id).await?;
    store::set_user_info_at(&mut tx, asset_id, now).await?;
    let entry = NewAuditEntry {
        category: Category::ContentAccess,
        op: Op::Update,
        object: Object::AssetInfo,
        object_id: asset_id.to_string(),
        result: Outcome::Success,
        user_id: None,
        login: info.user_account.as_str().to_string(),
        ip: ip.to_string(),
        component: Component::Api,
        detail: serde_json::json!({"user_info": true, "device": device_id}),
    };
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    form(state, device_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_after_the_start_or_the_interval() {
        let day = 86_400_000;
        let settings = LedgerSettings {
            stocktake_auto: "off".into(),
            user_info_enabled: true,
            user_info_start: 100 * day,
            user_info_interval_days: 30,
            version: 1,
        };
        assert!(due(&settings, 0, 200 * day), "never answered");
        assert!(due(&settings, 99 * day, 101 * day), "before the start");
        assert!(!due(&settings, 150 * day, 170 * day));
        assert!(due(&settings, 150 * day, 181 * day), "interval passed");
        let off = LedgerSettings {
            user_info_enabled: false,
            ..settings
        };
        assert!(!due(&off, 0, 200 * day));
    }
}
