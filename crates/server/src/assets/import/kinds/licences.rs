//! Software licences from rows, with the rules of the licence editor: defaults for new
//! licences (in use, package), a plan needs its day and is dropped when it comes true, a
//! status change appends its note, and a licence never holds fewer than the devices it is
//! assigned to. The managed software is named (Japanese or English name); custom fields are
//! read from their mapped columns. The licence export writes the same fields under the same
//! headers (`cells`).

use std::borrow::Cow;
use std::collections::HashMap;

use sqlx::AnyConnection;

use crate::assets::choices::{builtin, ChoiceKind};
use crate::assets::import::apply::{Ctx, Done, Failure, Importer, Item};
use crate::assets::import::kinds::{
    check_current, choice, day, number, place, text, Cell, Field, FieldType, Row, RowError,
};
use crate::assets::import::refs::Refs;
use crate::assets::licences::model::Licence;
use crate::assets::licences::service::{apply_patch, LicencePatch};
use crate::assets::licences::store::{self, LicenceFields};
use crate::assets::notes::{self, Record};
use crate::console::i18n::Lang;
use crate::core::error::AppError;

/// The fields, in export order.
pub const FIELDS: &[Field] = &[
    Field {
        name: "licence_number",
        ja: "ライセンス管理番号",
        en: "Licence number",
        ty: FieldType::Text,
    },
    Field {
        name: "name",
        ja: "ライセンス名",
        en: "Licence name",
        ty: FieldType::Text,
    },
    Field {
        name: "managed_software",
        ja: "管理ソフトウェア",
        en: "Managed software",
        ty: FieldType::Reference,
    },
    Field {
        name: "held",
        ja: "保有数",
        en: "Held",
        ty: FieldType::Number,
    },
    Field {
        name: "type",
        ja: "ライセンス種類",
        en: "Licence type",
        ty: FieldType::Choice(ChoiceKind::LicenceType),
    },
    Field {
        name: "status",
        ja: "ライセンス状態",
        en: "Licence status",
        ty: FieldType::Choice(ChoiceKind::LicenceStatus),
    },
    Field {
        name: "planned_status",
        ja: "予定ライセンス状態",
        en: "Planned status",
        ty: FieldType::Choice(ChoiceKind::LicenceStatus),
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
        name: "stocktaken_on",
        ja: "棚卸日",
        en: "Stocktaken on",
        ty: FieldType::Day,
    },
];

/// One licence's cells as the export writes them, in [`FIELDS`] order and then one per
/// custom field; `managed` names the managed software by id in `lang`.
pub fn cells<'a>(
    licence: &'a Licence,
    refs: &'a Refs,
    managed: &'a HashMap<i64, String>,
    lang: Lang,
) -> impl Iterator<Item = Cow<'a, str>> + 'a {
    let fixed: [Cow<'a, str>; 10] = [
        Cow::Borrowed(&licence.licence_number),
        Cow::Borrowed(&licence.name),
        Cow::Borrowed(
            licence
                .managed_id
                .and_then(|id| managed.get(&id))
                .map_or("", String::as_str),
        ),
        Cow::Owned(licence.held.to_string()),
        Cow::Borrowed(refs.choices.label(licence.type_id, lang)),
        Cow::Borrowed(refs.choices.label(licence.status_id, lang)),
        Cow::Borrowed(
            licence
                .planned_status_id
                .map_or("", |id| refs.choices.label(id, lang)),
        ),
        Cow::Borrowed(licence.planned_on.as_deref().unwrap_or("")),
        Cow::Borrowed(
            licence
                .department_id
                .map_or("", |id| refs.departments.path(id, lang)),
        ),
        Cow::Borrowed(licence.stocktaken_on.as_deref().unwrap_or("")),
    ];
    fixed
        .into_iter()
        .chain(refs.custom.cells(&licence.custom, lang).map(Cow::Borrowed))
}

/// The importer of licences.
#[derive(Debug)]
pub struct Licences;

impl Importer for Licences {
    type Patch = LicencePatch;

    fn parse(row: &Row<'_>, refs: &Refs) -> Result<LicencePatch, RowError> {
        let managed_id = match row.cell("managed_software") {
            Cell::Keep => None,
            Cell::Clear => Some(None),
            Cell::Value(name) => Some(Some(refs.managed.get(name).copied().ok_or_else(|| {
                RowError(format!("managed_software: no managed software {name:?}"))
            })?)),
        };
        Ok(LicencePatch {
            licence_number: text(row.cell("licence_number")),
            name: text(row.cell("name")),
            managed_id,
            held: number("held", row.cell("held"))?,
            type_id: choice(refs, "type", ChoiceKind::LicenceType, row.cell("type"))?,
            status_id: choice(
                refs,
                "status",
                ChoiceKind::LicenceStatus,
                row.cell("status"),
            )?,
            planned_status_id: choice(
                refs,
                "planned_status",
                ChoiceKind::LicenceStatus,
                row.cell("planned_status"),
            )?
            .map(Some),
            planned_on: day(row.cell("planned_on")),
            department_id: place(&refs.departments, "department", row.cell("department"))?,
            stocktaken_on: day(row.cell("stocktaken_on")),
            custom: row.custom_values(refs)?,
            note: None,
            version: None,
        })
    }

    async fn apply(
        conn: &mut AnyConnection,
        ctx: &mut Ctx<'_>,
        items: Vec<Item<LicencePatch>>,
    ) -> Result<(), AppError> {
        let ids: Vec<i64> = items.iter().filter_map(|item| item.target).collect();
        let current: HashMap<i64, Licence> = store::get_many(conn, &ids)
            .await?
            .into_iter()
            .map(|licence| (licence.id, licence))
            .collect();
        for item in items {
            let result = match item.target {
                None => insert(conn, ctx, item.patch).await,
                Some(id) => match current.get(&id) {
                    Some(licence) => update(conn, ctx, licence, item.patch).await,
                    None => Err(Failure::Row(RowError(
                        "the licence was deleted while the import ran".into(),
                    ))),
                },
            };
            ctx.outcome.settle(item.line, item.cells, result)?;
        }
        Ok(())
    }
}

fn check(ctx: &Ctx<'_>, fields: &LicenceFields, before: Option<&Licence>) -> Result<(), RowError> {
    if !ctx.actor.scope.covers(fields.department_id) {
        return Err(RowError(
            "department: the department is outside your departments".into(),
        ));
    }
    let department = before.and_then(|l| l.department_id);
    check_current(
        &ctx.refs.departments,
        "department",
        department,
        fields.department_id,
    )
}

async fn insert(
    conn: &mut AnyConnection,
    ctx: &mut Ctx<'_>,
    patch: LicencePatch,
) -> Result<Done, Failure> {
    let mut fields = LicenceFields {
        type_id: builtin::LICENCE_PACKAGE,
        status_id: builtin::LICENCE_IN_USE,
        custom: serde_json::json!({}),
        ..LicenceFields::default()
    };
    apply_patch(&mut fields, patch).map_err(RowError::from)?;
    check(ctx, &fields, None)?;
    if ctx.write {
        store::insert(conn, &fields, &ctx.actor.login, ctx.now).await?;
    }
    Ok(Done::Added)
}

async fn update(
    conn: &mut AnyConnection,
    ctx: &mut Ctx<'_>,
    current: &Licence,
    patch: LicencePatch,
) -> Result<Done, Failure> {
    let before = LicenceFields::of(current);
    let mut fields = before.clone();
    apply_patch(&mut fields, patch).map_err(RowError::from)?;
    if fields.planned_status_id.is_some() && fields.planned_status_id == Some(fields.status_id) {
        fields.planned_status_id = None;
        fields.planned_on = None;
    }
    if fields == before {
        return Ok(Done::Unchanged);
    }
    ctx.refs.custom.retain_known(&mut fields.custom);
    check(ctx, &fields, Some(current))?;
    if fields.held < current.assigned {
        return Err(RowError(format!(
            "held: {} devices hold this licence; unassign some first",
            current.assigned
        ))
        .into());
    }
    if !ctx.write {
        return Ok(Done::Updated);
    }
    if !store::update(conn, current.id, &fields, current.version, ctx.now).await? {
        return Err(RowError(
            "the licence was changed by someone else while the import ran".into(),
        )
        .into());
    }
    if fields.status_id != current.status_id {
        let choices = &ctx.refs.choices;
        let body = format!(
            "ライセンス状態 / Status: {} → {}",
            choices.name(current.status_id),
            choices.name(fields.status_id)
        );
        notes::add(
            conn,
            ctx.actor,
            (Record::Licence, current.id),
            &body,
            ctx.now,
        )
        .await?;
    }
    Ok(Done::Updated)
}
