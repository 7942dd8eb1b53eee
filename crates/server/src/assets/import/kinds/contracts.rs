//! Contracts from rows, with the rules of the contract editor: defaults for new contracts
//! (in contract, a purchase), a period that does not end before it starts, a status change
//! appends its note. The vendor is named; the hardware assets and licences covered are
//! given by their numbers separated by `;` and must be records the actor sees. They replace
//! the links the importer can name ([`nameable`]: numbered, in its departments; one space
//! removes them all); links to records it cannot name stay, since the contract export does
//! not write them and a round trip must not drop them. The contract export writes the same
//! fields under the same headers (`cells`).

use std::borrow::Cow;
use std::collections::HashMap;

use sqlx::AnyConnection;

use crate::assets::choices::{builtin, ChoiceKind};
use crate::assets::contracts::service::{apply_patch, ContractPatch};
use crate::assets::contracts::store::{self, Contract, ContractFields, Linked};
use crate::assets::import::apply::{Ctx, Done, Failure, Importer, Item};
use crate::assets::import::kinds::{
    check_current, choice, day, number, place, text, Cell, Field, FieldType, Row, RowError,
};
use crate::assets::import::refs::{KeyIndex, Refs};
use crate::assets::notes::{self, Record};
use crate::console::i18n::Lang;
use crate::core::auth::Scope;
use crate::core::error::AppError;

/// The fields.
pub const FIELDS: &[Field] = &[
    Field {
        name: "contract_number",
        ja: "契約番号",
        en: "Contract number",
        ty: FieldType::Text,
    },
    Field {
        name: "name",
        ja: "契約名",
        en: "Contract name",
        ty: FieldType::Text,
    },
    Field {
        name: "type",
        ja: "契約種別",
        en: "Contract type",
        ty: FieldType::Choice(ChoiceKind::ContractType),
    },
    Field {
        name: "status",
        ja: "契約状態",
        en: "Contract status",
        ty: FieldType::Choice(ChoiceKind::ContractStatus),
    },
    Field {
        name: "contracted_on",
        ja: "契約日",
        en: "Contract day",
        ty: FieldType::Day,
    },
    Field {
        name: "starts_on",
        ja: "契約開始日",
        en: "Starts on",
        ty: FieldType::Day,
    },
    Field {
        name: "ends_on",
        ja: "契約終了日",
        en: "Ends on",
        ty: FieldType::Day,
    },
    Field {
        name: "amount",
        ja: "総額",
        en: "Amount",
        ty: FieldType::Number,
    },
    Field {
        name: "vendor",
        ja: "契約会社",
        en: "Vendor",
        ty: FieldType::Reference,
    },
    Field {
        name: "department",
        ja: "部署",
        en: "Department",
        ty: FieldType::Department,
    },
    Field {
        name: "assets",
        ja: "ハードウェア資産",
        en: "Hardware assets",
        ty: FieldType::Numbers,
    },
    Field {
        name: "licences",
        ja: "ソフトウェアライセンス",
        en: "Licences",
        ty: FieldType::Numbers,
    },
];

/// Whether a record a contract covers can be named in a row by an actor with `scope`: it
/// has a number, without the `;` that separates numbers, and lies in the actor's
/// departments. The export writes only these; an import keeps the links it cannot name.
pub fn nameable(scope: &Scope, number: &str, department: Option<i64>) -> bool {
    !number.is_empty() && !number.contains(';') && scope.covers(department)
}

/// What a page of contracts names beyond the snapshot, read per page so an export holds
/// no more than a page of it.
#[derive(Debug, Default)]
pub struct PageNames {
    /// Vendor names by id.
    pub vendors: HashMap<i64, String>,
    /// By contract, the numbers of the hardware assets it covers that the reader can name,
    /// sorted and joined by `;`.
    pub assets: HashMap<i64, String>,
    /// Likewise the licences.
    pub licences: HashMap<i64, String>,
}

/// One contract's cells as the export writes them, in [`FIELDS`] order and then one per
/// custom field: choices and the vendor by name, the department as a path in `lang`,
/// covered records by number, custom options by path, no value as an empty cell.
pub fn cells<'a>(
    contract: &'a Contract,
    refs: &'a Refs,
    names: &'a PageNames,
    lang: Lang,
) -> impl Iterator<Item = Cow<'a, str>> + 'a {
    let day = |day: &'a Option<String>| Cow::Borrowed(day.as_deref().unwrap_or(""));
    let named = |map: &'a HashMap<i64, String>, id: Option<i64>| {
        Cow::Borrowed(id.and_then(|id| map.get(&id)).map_or("", String::as_str))
    };
    let fixed: [Cow<'a, str>; 12] = [
        Cow::Borrowed(&contract.contract_number),
        Cow::Borrowed(&contract.name),
        Cow::Borrowed(refs.choices.label(contract.type_id, lang)),
        Cow::Borrowed(refs.choices.label(contract.status_id, lang)),
        day(&contract.contracted_on),
        day(&contract.starts_on),
        day(&contract.ends_on),
        Cow::Owned(contract.amount.to_string()),
        named(&names.vendors, contract.vendor_id),
        Cow::Borrowed(
            contract
                .department_id
                .map_or("", |id| refs.departments.path(id, lang)),
        ),
        named(&names.assets, Some(contract.id)),
        named(&names.licences, Some(contract.id)),
    ];
    fixed
        .into_iter()
        .chain(refs.custom.cells(&contract.custom, lang).map(Cow::Borrowed))
}

/// Linked records: their ids with their departments (checked against the actor's scope).
type Links = Vec<(i64, Option<i64>)>;

/// A stored contract with the ids it covers, and among them those the importer cannot
/// name (kept whatever the row says).
struct Current<'a> {
    contract: &'a Contract,
    assets: Vec<i64>,
    licences: Vec<i64>,
    fixed_assets: Vec<i64>,
    fixed_licences: Vec<i64>,
}

/// The links of `ids` the actor with `scope` cannot name, by their numbers and departments.
fn unnameable(
    scope: &Scope,
    ids: &[i64],
    numbers: &HashMap<i64, (String, Option<i64>)>,
) -> Vec<i64> {
    ids.iter()
        .copied()
        .filter(|id| {
            numbers
                .get(id)
                .is_some_and(|(number, department)| !nameable(scope, number, *department))
        })
        .collect()
}

/// The links a row sets together with those it cannot name, sorted as stored links are.
fn with_fixed(mut ids: Vec<i64>, fixed: &[i64]) -> Vec<i64> {
    ids.extend_from_slice(fixed);
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Records by their numbers: none keeps, an empty list removes every link.
fn linked(
    index: &KeyIndex,
    field: &str,
    noun: &str,
    cell: Cell<'_>,
) -> Result<Option<Links>, RowError> {
    match cell {
        Cell::Keep => Ok(None),
        Cell::Clear => Ok(Some(Vec::new())),
        Cell::Value(list) => {
            let mut out = Vec::new();
            for number in list.split(';').map(str::trim).filter(|n| !n.is_empty()) {
                let found = index
                    .get(number)
                    .ok_or_else(|| RowError(format!("{field}: no {noun} numbered {number:?}")))?;
                if !out.iter().any(|(id, _)| *id == found.id) {
                    out.push((found.id, found.department_id));
                }
            }
            Ok(Some(out))
        }
    }
}

/// What a row sets: the contract's values and its links, with the linked records'
/// departments (checked against the actor's scope).
#[derive(Debug)]
pub struct ContractRow {
    patch: ContractPatch,
    assets: Option<Links>,
    licences: Option<Links>,
}

/// The importer of contracts.
#[derive(Debug)]
pub struct Contracts;

impl Importer for Contracts {
    type Patch = ContractRow;

    fn parse(row: &Row<'_>, refs: &Refs) -> Result<ContractRow, RowError> {
        let vendor_id = match row.cell("vendor") {
            Cell::Keep => None,
            Cell::Clear => Some(None),
            Cell::Value(name) => {
                Some(Some(refs.vendors.get(name).copied().ok_or_else(|| {
                    RowError(format!("vendor: no vendor {name:?}"))
                })?))
            }
        };
        let assets = linked(&refs.asset_numbers, "assets", "asset", row.cell("assets"))?;
        let licences = linked(
            &refs.licence_numbers,
            "licences",
            "licence",
            row.cell("licences"),
        )?;
        let patch = ContractPatch {
            contract_number: text(row.cell("contract_number")),
            name: text(row.cell("name")),
            type_id: choice(refs, "type", ChoiceKind::ContractType, row.cell("type"))?,
            status_id: choice(
                refs,
                "status",
                ChoiceKind::ContractStatus,
                row.cell("status"),
            )?,
            contracted_on: day(row.cell("contracted_on")),
            starts_on: day(row.cell("starts_on")),
            ends_on: day(row.cell("ends_on")),
            amount: number("amount", row.cell("amount"))?,
            vendor_id,
            department_id: place(&refs.departments, "department", row.cell("department"))?,
            asset_ids: None,
            licence_ids: None,
            custom: row.custom_values(refs)?,
            note: None,
            version: None,
        };
        Ok(ContractRow {
            patch,
            assets,
            licences,
        })
    }

    async fn apply(
        conn: &mut AnyConnection,
        ctx: &mut Ctx<'_>,
        items: Vec<Item<ContractRow>>,
    ) -> Result<(), AppError> {
        let ids: Vec<i64> = items.iter().filter_map(|item| item.target).collect();
        let current: HashMap<i64, Contract> = store::get_many(conn, &ids)
            .await?
            .into_iter()
            .map(|contract| (contract.id, contract))
            .collect();
        let assets = store::links_of_many(conn, &ids, Linked::Assets).await?;
        let licences = store::links_of_many(conn, &ids, Linked::Licences).await?;
        let all = |links: &HashMap<i64, Vec<i64>>| {
            let mut all: Vec<i64> = links.values().flatten().copied().collect();
            all.sort_unstable();
            all.dedup();
            all
        };
        let asset_numbers = crate::assets::hardware::store::numbers_of(conn, &all(&assets)).await?;
        let licence_numbers =
            crate::assets::licences::store::numbers_of(conn, &all(&licences)).await?;
        let actor = ctx.actor;
        let scope = &actor.scope;
        for item in items {
            let result = match item.target {
                None => write(conn, ctx, None, item.patch).await,
                Some(id) => match current.get(&id) {
                    Some(contract) => {
                        let assets = assets.get(&id).cloned().unwrap_or_default();
                        let licences = licences.get(&id).cloned().unwrap_or_default();
                        let current = Current {
                            contract,
                            fixed_assets: unnameable(scope, &assets, &asset_numbers),
                            fixed_licences: unnameable(scope, &licences, &licence_numbers),
                            assets,
                            licences,
                        };
                        write(conn, ctx, Some(current), item.patch).await
                    }
                    None => Err(Failure::Row(RowError(
                        "the contract was deleted while the import ran".into(),
                    ))),
                },
            };
            ctx.outcome.settle(item.line, item.cells, result)?;
        }
        Ok(())
    }
}

/// The ids of links the actor may set, or the first it may not.
fn visible(ctx: &Ctx<'_>, field: &str, links: Option<Links>) -> Result<Option<Vec<i64>>, RowError> {
    let Some(links) = links else {
        return Ok(None);
    };
    let mut ids = Vec::with_capacity(links.len());
    for (id, department) in links {
        if !ctx.actor.scope.covers(department) {
            return Err(RowError(format!(
                "{field}: one of the records is not in your departments"
            )));
        }
        ids.push(id);
    }
    ids.sort_unstable();
    Ok(Some(ids))
}

async fn write(
    conn: &mut AnyConnection,
    ctx: &mut Ctx<'_>,
    current: Option<Current<'_>>,
    row: ContractRow,
) -> Result<Done, Failure> {
    let before = current.as_ref().map_or_else(
        || ContractFields {
            type_id: builtin::CONTRACT_PURCHASE,
            status_id: builtin::CONTRACT_ACTIVE,
            custom: serde_json::json!({}),
            ..ContractFields::default()
        },
        |current| ContractFields::of(current.contract),
    );
    let mut fields = before.clone();
    apply_patch(&mut fields, &row.patch).map_err(RowError::from)?;
    let assets = visible(ctx, "assets", row.assets)?;
    let licences = visible(ctx, "licences", row.licences)?;
    if !ctx.actor.scope.covers(fields.department_id) {
        return Err(
            RowError("department: the department is outside your departments".into()).into(),
        );
    }
    let department = current.as_ref().and_then(|c| c.contract.department_id);
    check_current(
        &ctx.refs.departments,
        "department",
        department,
        fields.department_id,
    )?;
    let Some(Current {
        contract,
        assets: linked_assets,
        licences: linked_licences,
        fixed_assets,
        fixed_licences,
    }) = current
    else {
        if ctx.write {
            let id = store::insert(conn, &fields, &ctx.actor.login, ctx.now).await?;
            if let Some(ids) = &assets {
                store::set_links(conn, id, Linked::Assets, ids).await?;
            }
            if let Some(ids) = &licences {
                store::set_links(conn, id, Linked::Licences, ids).await?;
            }
        }
        return Ok(Done::Added);
    };
    let assets = assets
        .map(|ids| with_fixed(ids, &fixed_assets))
        .filter(|ids| *ids != linked_assets);
    let licences = licences
        .map(|ids| with_fixed(ids, &fixed_licences))
        .filter(|ids| *ids != linked_licences);
    if fields == before && assets.is_none() && licences.is_none() {
        return Ok(Done::Unchanged);
    }
    ctx.refs.custom.retain_known(&mut fields.custom);
    if !ctx.write {
        return Ok(Done::Updated);
    }
    if fields != before
        && !store::update(conn, contract.id, &fields, contract.version, ctx.now).await?
    {
        return Err(RowError(
            "the contract was changed by someone else while the import ran".into(),
        )
        .into());
    }
    if let Some(ids) = &assets {
        store::set_links(conn, contract.id, Linked::Assets, ids).await?;
    }
    if let Some(ids) = &licences {
        store::set_links(conn, contract.id, Linked::Licences, ids).await?;
    }
    if fields.status_id != contract.status_id {
        let choices = &ctx.refs.choices;
        let body = format!(
            "契約状態 / Status: {} → {}",
            choices.name(contract.status_id),
            choices.name(fields.status_id)
        );
        notes::add(
            conn,
            ctx.actor,
            (Record::Contract, contract.id),
            &body,
            ctx.now,
        )
        .await?;
    }
    Ok(Done::Updated)
}
