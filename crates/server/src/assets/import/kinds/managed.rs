//! Managed software from rows: the name (the key), the English name and the rules in one
//! cell. A rule change recomputes the managed software's members, and every device is
//! queued for reconciliation once after the import. The managed software export writes the
//! same fields under the same headers (`cells`).
//!
//! # The rules cell
//! Rules are separated by `;`. Each is `exact:NAME` or `pattern:NAME` (`*` any run of
//! characters, `?` one, any case), optionally followed by `@VERSION`, a version pattern:
//! `pattern:libreoffice-*;exact:firefox-esr@115*`. A rule without a prefix is exact. The last
//! `@` that is not the name's first character starts the version, so a name with an `@` in
//! it is written with a trailing `@` when it has no version (`exact:pkg@corp@`). Names
//! cannot hold `;`. The cell replaces every rule; one space removes them all.

use sqlx::AnyConnection;

use crate::assets::import::apply::{Ctx, Done, Failure, Importer, Item};
use crate::assets::import::kinds::{text, Cell, Field, FieldType, Row, RowError};
use crate::assets::import::refs::Refs;
use crate::assets::licences::managed_store;
use crate::assets::licences::matching::{format_rules, parse_rules, Rule};
use crate::assets::licences::model::ManagedSoftware;
use crate::assets::licences::reconcile;
use crate::assets::values;
use crate::core::error::AppError;

/// The fields.
pub const FIELDS: &[Field] = &[
    Field {
        name: "name",
        ja: "管理ソフトウェア名",
        en: "Managed software",
        ty: FieldType::Text,
    },
    Field {
        name: "name_en",
        ja: "管理ソフトウェア名(英語)",
        en: "English name",
        ty: FieldType::Text,
    },
    Field {
        name: "rules",
        ja: "インストールソフトウェア",
        en: "Rules",
        ty: FieldType::Rules,
    },
];

/// Longest name, in characters.
const MAX_TEXT_CHARS: usize = 255;

/// One managed software's cells as the export writes them, in [`FIELDS`] order (the same
/// in every language: the Japanese name is the key).
pub fn cells(managed: &ManagedSoftware) -> [String; 3] {
    [
        managed.name.clone(),
        managed.name_en.clone(),
        format_rules(&managed.rules),
    ]
}

/// What a row sets.
#[derive(Debug)]
pub struct ManagedPatch {
    name: Option<String>,
    name_en: Option<String>,
    rules: Option<Vec<Rule>>,
}

/// The importer of managed software.
#[derive(Debug)]
pub struct Managed;

impl Importer for Managed {
    type Patch = ManagedPatch;

    fn parse(row: &Row<'_>, _refs: &Refs) -> Result<ManagedPatch, RowError> {
        let rules = match row.cell("rules") {
            Cell::Keep => None,
            Cell::Clear => Some(Vec::new()),
            Cell::Value(cell) => Some(parse_rules(cell).map_err(RowError)?),
        };
        if let Some(rules) = &rules {
            crate::assets::licences::service::check_rules(rules).map_err(RowError::from)?;
        }
        Ok(ManagedPatch {
            name: values::plain("name", text(row.cell("name")), MAX_TEXT_CHARS)
                .map_err(RowError::from)?,
            name_en: values::plain("name_en", text(row.cell("name_en")), MAX_TEXT_CHARS)
                .map_err(RowError::from)?,
            rules,
        })
    }

    async fn apply(
        conn: &mut AnyConnection,
        ctx: &mut Ctx<'_>,
        items: Vec<Item<ManagedPatch>>,
    ) -> Result<(), AppError> {
        for item in items {
            let result = apply_one(conn, ctx, item.line, item.target, item.patch).await;
            ctx.outcome.settle(item.line, item.cells, result)?;
        }
        Ok(())
    }

    async fn finish(conn: &mut AnyConnection, ctx: &mut Ctx<'_>) -> Result<(), AppError> {
        if ctx.write && ctx.rules_changed {
            reconcile::mark_all_pending(conn).await?;
        }
        Ok(())
    }
}

/// Refuses a name another managed software has in either language (or an earlier row took).
fn claim_name(
    ctx: &mut Ctx<'_>,
    field: &str,
    name: &str,
    line: u64,
    owner: Option<i64>,
) -> Result<(), RowError> {
    let stored = ctx.refs.managed.get(name).copied();
    ctx.claim(("managed_name", field), name, line, (stored, owner))
}

async fn apply_one(
    conn: &mut AnyConnection,
    ctx: &mut Ctx<'_>,
    line: u64,
    target: Option<i64>,
    patch: ManagedPatch,
) -> Result<Done, Failure> {
    let current = target.and_then(|id| ctx.refs.managed_records.get(&id));
    let name = patch
        .name
        .or_else(|| current.map(|c| c.name.clone()))
        .unwrap_or_default();
    let name_en = patch
        .name_en
        .or_else(|| current.map(|c| c.name_en.clone()))
        .unwrap_or_default();
    if name.is_empty() {
        return Err(RowError("name: a managed software needs a name".into()).into());
    }
    let Some(current) = current.cloned() else {
        claim_name(ctx, "name", &name, line, None)?;
        if !name_en.is_empty() {
            claim_name(ctx, "name_en", &name_en, line, None)?;
        }
        if ctx.write {
            let id = managed_store::insert(conn, &name, &name_en, ctx.now).await?;
            if let Some(rules) = &patch.rules {
                managed_store::set_rules(conn, id, rules).await?;
                reconcile::rebuild_members(conn, ctx.backend, id, rules).await?;
                ctx.rules_changed = true;
            }
        }
        return Ok(Done::Added);
    };
    let renamed = name_en != current.name_en;
    let rules = patch.rules.filter(|rules| *rules != current.rules);
    if !renamed && rules.is_none() {
        return Ok(Done::Unchanged);
    }
    if renamed && !name_en.is_empty() {
        claim_name(ctx, "name_en", &name_en, line, Some(current.id))?;
    }
    if !ctx.write {
        return Ok(Done::Updated);
    }
    if renamed
        && !managed_store::rename(
            conn,
            current.id,
            (&name, &name_en),
            current.version,
            ctx.now,
        )
        .await?
    {
        return Err(RowError(
            "the managed software was changed by someone else while the import ran".into(),
        )
        .into());
    }
    if let Some(rules) = &rules {
        managed_store::set_rules(conn, current.id, rules).await?;
        reconcile::rebuild_members(conn, ctx.backend, current.id, rules).await?;
        ctx.rules_changed = true;
    }
    Ok(Done::Updated)
}
