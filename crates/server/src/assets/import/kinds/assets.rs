//! Hardware assets from rows, with the rules of the asset editor: defaults for new assets
//! (Unconfirmed, type Unknown), a new asset is never Disposed, a plan needs its day and is
//! dropped when it comes true, a status change appends its note, a changed department or
//! location goes to the asset's device records, disposing deletes them. Custom fields are
//! read from their mapped columns. The asset export writes the same fields under the same
//! headers (`cells`).

use std::collections::HashMap;

use sqlx::AnyConnection;

use crate::assets::choices::{builtin, ChoiceKind};
use crate::assets::hardware::model::HardwareAsset;
use crate::assets::hardware::service::{apply_patch, normalize_mac, AssetPatch};
use crate::assets::hardware::store::{self, AssetFields};
use crate::assets::import::apply::{Ctx, Done, Failure, Importer, Item};
use crate::assets::import::kinds::{
    check_current, choice, day, place, text, Field, FieldType, Row, RowError,
};
use crate::assets::import::refs::Refs;
use crate::assets::notes::{self, Record};
use crate::console::i18n::Lang;
use crate::core::error::AppError;

/// The fields, in export order.
pub const FIELDS: &[Field] = &[
    Field {
        name: "asset_number",
        ja: "資産管理番号",
        en: "Asset number",
        ty: FieldType::Text,
    },
    Field {
        name: "name",
        ja: "機器名称",
        en: "Name",
        ty: FieldType::Text,
    },
    Field {
        name: "type",
        ja: "機器種別",
        en: "Device type",
        ty: FieldType::Choice(ChoiceKind::DeviceType),
    },
    Field {
        name: "status",
        ja: "資産状態",
        en: "Status",
        ty: FieldType::Choice(ChoiceKind::HardwareStatus),
    },
    Field {
        name: "planned_status",
        ja: "予定資産状態",
        en: "Planned status",
        ty: FieldType::Choice(ChoiceKind::HardwareStatus),
    },
    Field {
        name: "planned_on",
        ja: "変更予定日",
        en: "Planned on",
        ty: FieldType::Day,
    },
    Field {
        name: "department",
        ja: "部署",
        en: "Department",
        ty: FieldType::Department,
    },
    Field {
        name: "location",
        ja: "設置場所",
        en: "Location",
        ty: FieldType::Location,
    },
    Field {
        name: "user_name",
        ja: "利用者名",
        en: "User name",
        ty: FieldType::Text,
    },
    Field {
        name: "user_account",
        ja: "利用者アカウント",
        en: "User account",
        ty: FieldType::Text,
    },
    Field {
        name: "user_email",
        ja: "利用者メールアドレス",
        en: "User e-mail",
        ty: FieldType::Text,
    },
    Field {
        name: "user_phone",
        ja: "利用者電話番号",
        en: "User phone",
        ty: FieldType::Text,
    },
    Field {
        name: "stocktaken_on",
        ja: "棚卸日",
        en: "Stocktaken on",
        ty: FieldType::Day,
    },
    Field {
        name: "hostname",
        ja: "ホスト名",
        en: "Host name",
        ty: FieldType::Text,
    },
    Field {
        name: "serial",
        ja: "シリアル番号",
        en: "Serial number",
        ty: FieldType::Text,
    },
    Field {
        name: "ip_address",
        ja: "IPアドレス",
        en: "IP address",
        ty: FieldType::Text,
    },
    Field {
        name: "mac_address",
        ja: "MACアドレス",
        en: "MAC address",
        ty: FieldType::Text,
    },
];

/// The mapping keys: asset number, serial, IP, MAC, host name (the seeds' IMEI and contract
/// phone number are not kept by Kanri).
pub const KEYS: &[&str] = &store::KEY_COLUMNS;

/// The column of a key field (they are named alike).
pub fn key_column(key: &str) -> &str {
    key
}

/// One asset's cells as the export writes them, in [`FIELDS`] order and then one per
/// custom field: choices by name, departments and locations as paths in `lang`, custom
/// options by path, no value as an empty cell.
pub fn cells<'a>(
    asset: &'a HardwareAsset,
    refs: &'a Refs,
    lang: Lang,
) -> impl Iterator<Item = &'a str> + 'a {
    let place = |places: &'a crate::assets::import::refs::Places, id: Option<i64>| {
        id.map_or("", |id| places.path(id, lang))
    };
    let fixed: [&'a str; 17] = [
        &asset.asset_number,
        &asset.name,
        refs.choices.label(asset.type_id, lang),
        refs.choices.label(asset.status_id, lang),
        asset
            .planned_status_id
            .map_or("", |id| refs.choices.label(id, lang)),
        asset.planned_on.as_deref().unwrap_or(""),
        place(&refs.departments, asset.department_id),
        place(&refs.locations, asset.location_id),
        &asset.user_name,
        &asset.user_account,
        &asset.user_email,
        &asset.user_phone,
        asset.stocktaken_on.as_deref().unwrap_or(""),
        &asset.hostname,
        &asset.serial,
        &asset.ip_address,
        &asset.mac_address,
    ];
    fixed
        .into_iter()
        .chain(refs.custom.cells(&asset.custom, lang))
}

/// The importer of hardware assets.
#[derive(Debug)]
pub struct Assets;

impl Importer for Assets {
    type Patch = AssetPatch;

    fn key(field: &str, value: &str) -> String {
        if field == "mac_address" {
            normalize_mac(value)
        } else {
            value.to_string()
        }
    }

    fn parse(row: &Row<'_>, refs: &Refs) -> Result<AssetPatch, RowError> {
        Ok(AssetPatch {
            asset_number: text(row.cell("asset_number")),
            name: text(row.cell("name")),
            type_id: choice(refs, "type", ChoiceKind::DeviceType, row.cell("type"))?,
            status_id: choice(
                refs,
                "status",
                ChoiceKind::HardwareStatus,
                row.cell("status"),
            )?,
            planned_status_id: choice(
                refs,
                "planned_status",
                ChoiceKind::HardwareStatus,
                row.cell("planned_status"),
            )?
            .map(Some),
            planned_on: day(row.cell("planned_on")),
            department_id: place(&refs.departments, "department", row.cell("department"))?,
            location_id: place(&refs.locations, "location", row.cell("location"))?,
            user_name: text(row.cell("user_name")),
            user_account: text(row.cell("user_account")),
            user_email: text(row.cell("user_email")),
            user_phone: text(row.cell("user_phone")),
            stocktaken_on: day(row.cell("stocktaken_on")),
            hostname: text(row.cell("hostname")),
            serial: text(row.cell("serial")),
            ip_address: text(row.cell("ip_address")),
            mac_address: text(row.cell("mac_address")),
            custom: row.custom_values(refs)?,
            note: None,
            version: None,
        })
    }

    async fn apply(
        conn: &mut AnyConnection,
        ctx: &mut Ctx<'_>,
        items: Vec<Item<AssetPatch>>,
    ) -> Result<(), AppError> {
        let ids: Vec<i64> = items.iter().filter_map(|item| item.target).collect();
        let current: HashMap<i64, HardwareAsset> = store::get_many(conn, &ids)
            .await?
            .into_iter()
            .map(|asset| (asset.id, asset))
            .collect();
        for item in items {
            let result = match item.target {
                None => insert(conn, ctx, item.line, item.patch).await,
                Some(id) => match current.get(&id) {
                    Some(asset) => update(conn, ctx, item.line, asset, item.patch).await,
                    None => Err(Failure::Row(RowError(
                        "the asset was deleted while the import ran".into(),
                    ))),
                },
            };
            ctx.outcome.settle(item.line, item.cells, result)?;
        }
        Ok(())
    }
}

/// Checks what a row's values refer to: the department in the actor's scope, departments
/// and locations not retired (unless kept), a number no other asset has.
fn check(
    ctx: &mut Ctx<'_>,
    line: u64,
    fields: &AssetFields,
    before: Option<&HardwareAsset>,
) -> Result<(), RowError> {
    if !ctx.actor.scope.covers(fields.department_id) {
        return Err(RowError(
            "department: the department is outside your departments".into(),
        ));
    }
    let refs = ctx.refs;
    let (department, location) = before.map_or((None, None), |a| (a.department_id, a.location_id));
    check_current(
        &refs.departments,
        "department",
        department,
        fields.department_id,
    )?;
    check_current(&refs.locations, "location", location, fields.location_id)?;
    if let Some(numbers) = &refs.numbers {
        if before.map(|a| a.asset_number.as_str()) != Some(fields.asset_number.as_str()) {
            let stored = numbers.get(&fields.asset_number).map(|m| m.id);
            let owner = before.map(|a| a.id);
            ctx.claim(
                ("asset_number", "asset_number"),
                &fields.asset_number,
                line,
                (stored, owner),
            )?;
        }
    }
    Ok(())
}

async fn insert(
    conn: &mut AnyConnection,
    ctx: &mut Ctx<'_>,
    line: u64,
    patch: AssetPatch,
) -> Result<Done, Failure> {
    let mut fields = AssetFields {
        type_id: builtin::UNKNOWN_TYPE,
        status_id: builtin::UNCONFIRMED,
        custom: serde_json::json!({}),
        ..AssetFields::default()
    };
    apply_patch(&mut fields, patch).map_err(RowError::from)?;
    if fields.status_id == builtin::DISPOSED {
        return Err(RowError("status: a new asset cannot be disposed".into()).into());
    }
    check(ctx, line, &fields, None)?;
    if ctx.write {
        store::insert(conn, &fields, None, &ctx.actor.login, ctx.now).await?;
    }
    Ok(Done::Added)
}

async fn update(
    conn: &mut AnyConnection,
    ctx: &mut Ctx<'_>,
    line: u64,
    current: &HardwareAsset,
    patch: AssetPatch,
) -> Result<Done, Failure> {
    let before = AssetFields::of(current);
    let mut fields = before.clone();
    apply_patch(&mut fields, patch).map_err(RowError::from)?;
    if fields.planned_status_id.is_some() && fields.planned_status_id == Some(fields.status_id) {
        // The plan came true.
        fields.planned_status_id = None;
        fields.planned_on = None;
    }
    if fields == before {
        return Ok(Done::Unchanged);
    }
    ctx.refs.custom.retain_known(&mut fields.custom);
    check(ctx, line, &fields, Some(current))?;
    if !ctx.write {
        return Ok(Done::Updated);
    }
    if !store::update(conn, current.id, &fields, current.version, ctx.now).await? {
        return Err(
            RowError("the asset was changed by someone else while the import ran".into()).into(),
        );
    }
    let choices = &ctx.refs.choices;
    let mut lines = Vec::new();
    if fields.status_id != current.status_id {
        lines.push(format!(
            "資産状態 / Status: {} → {}",
            choices.name(current.status_id),
            choices.name(fields.status_id)
        ));
    }
    if fields.planned_status_id != current.planned_status_id
        || fields.planned_on != current.planned_on
    {
        lines.push(format!(
            "予定資産状態 / Planned status: {} ({})",
            fields.planned_status_id.map_or("–", |id| choices.name(id)),
            fields.planned_on.as_deref().unwrap_or("–")
        ));
    }
    if !lines.is_empty() {
        let body = lines.join("\n");
        notes::add(conn, ctx.actor, (Record::Asset, current.id), &body, ctx.now).await?;
    }
    if fields.department_id != current.department_id || fields.location_id != current.location_id {
        store::place_devices(conn, current.id, fields.department_id, fields.location_id).await?;
    }
    if fields.status_id == builtin::DISPOSED && current.status_id != builtin::DISPOSED {
        // Disposing deletes the asset's device records, as the editor does.
        for device_id in store::device_ids_of(conn, current.id).await? {
            let device = crate::devices::store::get_device(conn, device_id).await?;
            crate::devices::service::delete_in(conn, ctx.actor, ctx.origin, &device)
                .await
                .map_err(Failure::Fatal)?;
            ctx.outcome.deleted_devices.push(device_id);
        }
    }
    Ok(Done::Updated)
}
