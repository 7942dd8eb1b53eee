//! Contracts from rows, with the rules of the contract editor: defaults for new contracts
//! (in contract, a purchase), a period that does not end before it starts, a status change
//! appends its note. The vendor is named; the hardware assets and licences covered are
//! given by their numbers separated by `;` (they replace the current links; one space
//! removes them all), and must be records the actor sees.

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

/// Linked records: their ids with their departments (checked against the actor's scope).
type Links = Vec<(i64, Option<i64>)>;

/// A stored contract with the ids it covers.
struct Current<'a> {
    contract: &'a Contract,
    assets: Vec<i64>,
    licences: Vec<i64>,
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
            custom: None,
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
        for item in items {
            let result = match item.target {
                None => write(conn, ctx, None, item.patch).await,
                Some(id) => match current.get(&id) {
                    Some(contract) => {
                        let current = Current {
                            contract,
                            assets: assets.get(&id).cloned().unwrap_or_default(),
                            licences: licences.get(&id).cloned().unwrap_or_default(),
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
    let assets = assets.filter(|ids| *ids != linked_assets);
    let licences = licences.filter(|ids| *ids != linked_licences);
    if fields == before && assets.is_none() && licences.is_none() {
        return Ok(Done::Unchanged);
    }
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
