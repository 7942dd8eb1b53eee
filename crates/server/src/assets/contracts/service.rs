//! Rules of contracts and vendors: assets division and department scope; valid periods;
//! deletion only when cancelled early or expired; "save as another contract"; links only to
//! assets and licences the actor sees; vendors deleted only when no contract names them.

use serde::Deserialize;
use sqlx::AnyConnection;

use crate::app::AppState;
use crate::assets::choices::{builtin, ChoiceKind};
use crate::assets::contracts::costs::{self, Costed, MonthCost};
use crate::assets::contracts::store::{
    self, Contract, ContractFields, ContractFilter, Linked, Vendor, VendorFields,
};
use crate::assets::notes::{self, Record};
use crate::assets::values;
use crate::audit::model::{Op, Origin};
use crate::core::auth::{Actor, Division};
use crate::core::db::DbError;
use crate::core::error::AppError;
use crate::core::paging::{self, Cursor, Page};
use crate::core::time::now_ms;

const MAX_TEXT_CHARS: usize = 255;

/// A contract the actor may see.
///
/// # Errors
/// 403, 404.
pub async fn visible_contract(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
) -> Result<Contract, AppError> {
    actor.require_division(Division::Assets)?;
    let contract = store::get(conn, id)
        .await
        .map_err(values::not_found("contract"))?;
    if actor.scope.covers(contract.department_id) {
        Ok(contract)
    } else {
        Err(AppError::NotFound("contract"))
    }
}

/// The contract list's query string.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct ContractQuery {
    /// Status id.
    pub status: Option<String>,
    /// Type id.
    #[serde(rename = "type")]
    pub type_id: Option<String>,
    /// Vendor id.
    pub vendor: Option<String>,
    /// Number or name contains.
    pub q: Option<String>,
    /// Ends on or before this day.
    pub ends_before: Option<String>,
    /// Ends on or after this day.
    pub ends_after: Option<String>,
    /// `yes`: in contract and ending within three months from today (the dashboard panel).
    pub expiring: Option<String>,
    /// `assets` or `licences`: contracts covering those.
    pub covers: Option<String>,
    /// Page size.
    pub limit: Option<String>,
    /// Cursor.
    pub cursor: Option<String>,
    /// Export only: encoding.
    pub encoding: Option<String>,
    /// Export only: header and name language.
    pub lang: Option<String>,
    /// `custom.<field id>` conditions on custom values (see `fields::query`); other
    /// parameters the list does not know land here too and are ignored.
    #[serde(flatten)]
    pub custom: std::collections::BTreeMap<String, String>,
}

/// Today in the actor's time zone.
fn today(actor: &Actor) -> jiff::civil::Date {
    jiff::Timestamp::now().to_zoned(actor.tz.clone()).date()
}

impl ContractQuery {
    /// The given conditions as `(name, value)` pairs, in link order (custom ones last).
    pub fn filter_pairs(&self) -> Vec<(&str, &str)> {
        let mut pairs = crate::core::query::pairs(&[
            ("status", &self.status),
            ("type", &self.type_id),
            ("vendor", &self.vendor),
            ("q", &self.q),
            ("ends_before", &self.ends_before),
            ("ends_after", &self.ends_after),
            ("expiring", &self.expiring),
            ("covers", &self.covers),
        ]);
        pairs.extend(crate::assets::fields::query::pairs(&self.custom));
        pairs
    }

    /// The conditions alone as a query string (what an export's audit entry records).
    pub fn filter_string(&self) -> String {
        crate::core::query::encode(&self.filter_pairs())
    }

    /// The conditions, with "expiring" counted from `today`.
    ///
    /// # Errors
    /// 400 naming the field.
    pub fn filter(&self, today: jiff::civil::Date) -> Result<ContractFilter, AppError> {
        use crate::core::query::given;
        // Their form only; `filter_of` checks them against the fields.
        crate::assets::fields::query::parse(&self.custom)?;
        let mut filter = ContractFilter {
            status: values::query_id("status", &self.status)?,
            type_id: values::query_id("type", &self.type_id)?,
            vendor_id: values::query_id("vendor", &self.vendor)?,
            text: values::plain("q", given(&self.q).map(String::from), MAX_TEXT_CHARS)?,
            ends_before: given(&self.ends_before)
                .map(|v| values::day("ends_before", v))
                .transpose()?,
            ends_after: given(&self.ends_after)
                .map(|v| values::day("ends_after", v))
                .transpose()?,
            covers: match given(&self.covers) {
                None => None,
                Some("assets") => Some(Linked::Assets),
                Some("licences") => Some(Linked::Licences),
                Some(_) => {
                    return Err(AppError::invalid(
                        "covers",
                        "covers must be assets or licences",
                    ))
                }
            },
            scope: None,
            custom: Vec::new(),
        };
        match given(&self.expiring) {
            None => {}
            Some("yes") => {
                let until = today
                    .checked_add(jiff::Span::new().months(3))
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                filter.status = Some(builtin::CONTRACT_ACTIVE);
                filter.ends_after = Some(today.to_string());
                filter.ends_before = Some(until.to_string());
            }
            Some(_) => return Err(AppError::invalid("expiring", "expiring must be yes")),
        }
        Ok(filter)
    }
}

/// The list's conditions with custom conditions checked against the contract fields and the
/// actor's scope applied (the list and its export).
///
/// # Errors
/// 400 for bad conditions; 403 without the assets division.
pub async fn filter_of(
    state: &AppState,
    actor: &Actor,
    query: &ContractQuery,
) -> Result<ContractFilter, AppError> {
    actor.require_division(Division::Assets)?;
    let mut filter = query.filter(today(actor))?;
    let mut conn = state.db.read().acquire().await.map_err(DbError::from)?;
    filter.custom =
        crate::assets::fields::service::conditions(&mut conn, "contract", &query.custom).await?;
    filter.scope = values::scope_of(actor);
    Ok(filter)
}

/// One page of contracts, by end day.
///
/// # Errors
/// 400, 403.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    query: &ContractQuery,
) -> Result<Page<Contract>, AppError> {
    let filter = filter_of(state, actor, query).await?;
    let limit = crate::core::query::given(&query.limit)
        .map(|l| {
            l.parse()
                .map_err(|_| AppError::invalid("limit", "limit must be a number"))
        })
        .transpose()?;
    let limit = paging::limit(limit)?;
    let after = crate::core::query::given(&query.cursor)
        .map(Cursor::decode)
        .transpose()?;
    let (items, next) = store::page(&state.db, &filter, after.as_ref(), limit).await?;
    Ok(Page {
        items,
        next_cursor: next.map(|c| c.encode()),
    })
}

/// A contract's values and links as a create, update or copy sends them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractPatch {
    /// Number.
    pub contract_number: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Type.
    pub type_id: Option<i64>,
    /// Status.
    pub status_id: Option<i64>,
    /// Contract day.
    #[serde(default, deserialize_with = "crate::core::extract::present")]
    pub contracted_on: Option<Option<String>>,
    /// Period start.
    #[serde(default, deserialize_with = "crate::core::extract::present")]
    pub starts_on: Option<Option<String>>,
    /// Period end.
    #[serde(default, deserialize_with = "crate::core::extract::present")]
    pub ends_on: Option<Option<String>>,
    /// Amount (yen).
    pub amount: Option<i64>,
    /// Vendor.
    #[serde(default, deserialize_with = "crate::core::extract::present")]
    pub vendor_id: Option<Option<i64>>,
    /// Department.
    #[serde(default, deserialize_with = "crate::core::extract::present")]
    pub department_id: Option<Option<i64>>,
    /// Hardware assets covered (replace).
    pub asset_ids: Option<Vec<i64>>,
    /// Licences covered (replace).
    pub licence_ids: Option<Vec<i64>>,
    /// Custom values by field id; `null` removes one.
    pub custom: Option<serde_json::Map<String, serde_json::Value>>,
    /// Note appended with the change.
    pub note: Option<String>,
    /// Version last read (update).
    pub version: Option<i64>,
}

/// Applies a patch to contract values (links are written apart); returns the note typed with
/// it.
///
/// # Errors
/// 400 naming the field.
pub fn apply_patch(f: &mut ContractFields, p: &ContractPatch) -> Result<Option<String>, AppError> {
    if let Some(v) = values::plain("contract_number", p.contract_number.clone(), 64)? {
        f.contract_number = v;
    }
    if let Some(v) = values::plain("name", p.name.clone(), MAX_TEXT_CHARS)? {
        f.name = v;
    }
    if let Some(v) = p.type_id {
        f.type_id = v;
    }
    if let Some(v) = p.status_id {
        f.status_id = v;
    }
    for (field, value, target) in [
        ("contracted_on", &p.contracted_on, &mut f.contracted_on),
        ("starts_on", &p.starts_on, &mut f.starts_on),
        ("ends_on", &p.ends_on, &mut f.ends_on),
    ] {
        if let Some(v) = values::patch_day(field, value.clone())? {
            *target = v;
        }
    }
    if let Some(amount) = p.amount {
        if amount < 0 {
            return Err(AppError::invalid("amount", "amount cannot be negative"));
        }
        f.amount = amount;
    }
    if let Some(v) = p.vendor_id {
        f.vendor_id = v;
    }
    if let Some(v) = p.department_id {
        f.department_id = v;
    }
    values::merge_custom(&mut f.custom, p.custom.clone());
    if let (Some(start), Some(end)) = (&f.starts_on, &f.ends_on) {
        if end < start {
            return Err(AppError::invalid(
                "ends_on",
                "the period ends before it starts",
            ));
        }
    }
    values::reason(p.note.clone())
}

/// Checks what a contract's values refer to: custom values against the contract fields
/// (those in `kept` leniently), choices of the right lists, a department in the actor's
/// scope, the vendor, a number no other contract than `except` has.
async fn check_references(
    conn: &mut AnyConnection,
    actor: &Actor,
    f: &mut ContractFields,
    (except, kept): (Option<i64>, &serde_json::Map<String, serde_json::Value>),
) -> Result<(), AppError> {
    crate::assets::fields::service::check_values(conn, "contract", &mut f.custom, kept).await?;
    values::check_choice(conn, "type_id", ChoiceKind::ContractType, f.type_id).await?;
    values::check_choice(conn, "status_id", ChoiceKind::ContractStatus, f.status_id).await?;
    values::check_department(conn, actor, f.department_id).await?;
    if let Some(vendor) = f.vendor_id {
        if store::get_vendor(conn, vendor).await.is_err() {
            return Err(AppError::invalid("vendor_id", "no such vendor"));
        }
    }
    if !f.contract_number.is_empty()
        && store::number_taken(conn, &f.contract_number, except).await?
    {
        return Err(AppError::Invalid {
            code: "number_taken",
            message: format!("another contract has the number {:?}", f.contract_number),
            field: Some("contract_number".into()),
        });
    }
    Ok(())
}

async fn write_links(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    p: &ContractPatch,
) -> Result<(), AppError> {
    if let Some(ids) = &p.asset_ids {
        for asset in ids {
            crate::assets::hardware::service::visible_asset(conn, actor, *asset)
                .await
                .map_err(|_| AppError::invalid("asset_ids", format!("no asset {asset}")))?;
        }
        store::set_links(conn, id, Linked::Assets, ids).await?;
    }
    if let Some(ids) = &p.licence_ids {
        for licence in ids {
            crate::assets::licences::service::visible_licence(conn, actor, *licence)
                .await
                .map_err(|_| AppError::invalid("licence_ids", format!("no licence {licence}")))?;
        }
        store::set_links(conn, id, Linked::Licences, ids).await?;
    }
    Ok(())
}

/// Registers a contract (in contract, a purchase, unless given).
///
/// # Errors
/// 400, 403.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    patch: ContractPatch,
) -> Result<Contract, AppError> {
    actor.require_division(Division::Assets)?;
    let mut f = ContractFields {
        type_id: builtin::CONTRACT_PURCHASE,
        status_id: builtin::CONTRACT_ACTIVE,
        custom: serde_json::json!({}),
        ..ContractFields::default()
    };
    let note = apply_patch(&mut f, &patch)?;
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    check_references(&mut tx, actor, &mut f, (None, &Default::default())).await?;
    let now = now_ms();
    let id = store::insert(&mut tx, &f, &actor.login, now).await?;
    write_links(&mut tx, actor, id, &patch).await?;
    if let Some(note) = note {
        notes::add(&mut tx, actor, (Record::Contract, id), &note, now).await?;
    }
    crate::audit::store::insert(
        &mut tx,
        &values::audit(
            actor,
            origin,
            Op::Add,
            id,
            serde_json::json!({"contract": f.contract_number}),
        ),
        now,
    )
    .await?;
    let created = store::get(&mut tx, id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(created)
}

/// Changes a contract; a status change appends a note.
///
/// # Errors
/// 400, 403, 404, 409.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    id: i64,
    patch: ContractPatch,
) -> Result<Contract, AppError> {
    let version = patch
        .version
        .ok_or_else(|| AppError::invalid("version", "send the version you last read"))?;
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    let current = visible_contract(&mut tx, actor, id).await?;
    let mut f = ContractFields::of(&current);
    let reason = apply_patch(&mut f, &patch)?;
    let kept = values::kept_custom(&current.custom, patch.custom.as_ref());
    check_references(&mut tx, actor, &mut f, (Some(id), &kept)).await?;
    let now = now_ms();
    if !store::update(&mut tx, id, &f, version, now).await? {
        return Err(AppError::Conflict(format!(
            "the contract was changed by someone else (now at version {}); reload and try again",
            current.version
        )));
    }
    write_links(&mut tx, actor, id, &patch).await?;
    let mut lines = Vec::new();
    if f.status_id != current.status_id {
        lines.push(
            values::status_line(&mut tx, "契約状態 / Status", current.status_id, f.status_id)
                .await?,
        );
    }
    lines.extend(reason);
    if !lines.is_empty() {
        notes::add(
            &mut tx,
            actor,
            (Record::Contract, id),
            &lines.join("\n"),
            now,
        )
        .await?;
    }
    crate::audit::store::insert(
        &mut tx,
        &values::audit(actor, origin, Op::Update, id, serde_json::json!({})),
        now,
    )
    .await?;
    let updated = store::get(&mut tx, id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(updated)
}

/// "Save as another contract" (別の契約として保存): a copy with the same links, the patch
/// applied (typically the new period, day and number; the number is cleared otherwise).
///
/// # Errors
/// 400, 403, 404.
pub async fn copy(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    id: i64,
    patch: ContractPatch,
) -> Result<Contract, AppError> {
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    let current = visible_contract(&mut tx, actor, id).await?;
    let mut f = ContractFields::of(&current);
    f.contract_number = String::new();
    let note = apply_patch(&mut f, &patch)?;
    let kept = values::kept_custom(&current.custom, patch.custom.as_ref());
    check_references(&mut tx, actor, &mut f, (None, &kept)).await?;
    let now = now_ms();
    let new_id = store::insert(&mut tx, &f, &actor.login, now).await?;
    for kind in [Linked::Assets, Linked::Licences] {
        let ids = store::links(&mut tx, id, kind).await?;
        store::set_links(&mut tx, new_id, kind, &ids).await?;
    }
    write_links(&mut tx, actor, new_id, &patch).await?;
    if let Some(note) = note {
        notes::add(&mut tx, actor, (Record::Contract, new_id), &note, now).await?;
    }
    crate::audit::store::insert(
        &mut tx,
        &values::audit(
            actor,
            origin,
            Op::Add,
            new_id,
            serde_json::json!({"copied_from": id}),
        ),
        now,
    )
    .await?;
    let created = store::get(&mut tx, new_id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(created)
}

/// Deletes a contract that was cancelled early or has expired, with its links and notes.
///
/// # Errors
/// 400 `status_forbids_delete`; 403; 404.
pub async fn delete(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    id: i64,
) -> Result<(), AppError> {
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    let contract = visible_contract(&mut tx, actor, id).await?;
    if contract.status_id != builtin::CONTRACT_CANCELLED
        && contract.status_id != builtin::CONTRACT_EXPIRED
    {
        return Err(AppError::Invalid {
            code: "status_forbids_delete",
            message: "only contracts cancelled early or expired can be deleted".into(),
            field: Some("status_id".into()),
        });
    }
    notes::forget(&mut tx, Record::Contract, id).await?;
    store::delete(&mut tx, id).await?;
    crate::audit::store::insert(
        &mut tx,
        &values::audit(actor, origin, Op::Delete, id, serde_json::json!({})),
        now_ms(),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// A contract with what it covers and its notes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ContractDetail {
    /// The contract.
    #[serde(flatten)]
    pub contract: Contract,
    /// Hardware assets covered.
    pub asset_ids: Vec<i64>,
    /// Licences covered.
    pub licence_ids: Vec<i64>,
    /// The vendor.
    pub vendor: Option<Vendor>,
    /// Notes.
    pub notes: Vec<notes::LedgerNote>,
}

/// One contract in full.
///
/// # Errors
/// 403, 404.
pub async fn detail(state: &AppState, actor: &Actor, id: i64) -> Result<ContractDetail, AppError> {
    let mut conn = state.db.read().acquire().await.map_err(DbError::from)?;
    let contract = visible_contract(&mut conn, actor, id).await?;
    let vendor = match contract.vendor_id {
        Some(v) => Some(store::get_vendor(&mut conn, v).await?),
        None => None,
    };
    Ok(ContractDetail {
        asset_ids: store::links(&mut conn, id, Linked::Assets).await?,
        licence_ids: store::links(&mut conn, id, Linked::Licences).await?,
        notes: notes::list(&mut conn, Record::Contract, id).await?,
        vendor,
        contract,
    })
}

/// The monthly cost of the actor's contracts from month `from` to month `to` (`YYYY-MM`).
///
/// # Errors
/// 400 for bad months or a range over ten years; 403.
pub async fn monthly_costs(
    state: &AppState,
    actor: &Actor,
    from: &str,
    to: &str,
) -> Result<Vec<MonthCost>, AppError> {
    actor.require_division(Division::Assets)?;
    let month = |field: &str, text: &str| {
        values::day(field, &format!("{}-01", text.trim()))
            .and_then(|d| {
                d.parse::<jiff::civil::Date>()
                    .map_err(|e| AppError::Internal(e.to_string()))
            })
            .map_err(|_| AppError::invalid(field, format!("{field} must be a month (YYYY-MM)")))
    };
    let (from, to) = (month("from", from)?, month("to", to)?);
    if to < from || (i32::from(to.year()) - i32::from(from.year())) > 10 {
        return Err(AppError::invalid(
            "to",
            "to must be from 0 to 10 years after from",
        ));
    }
    let rows = store::costed(&state.db, values::scope_of(actor).as_deref()).await?;
    let contracts: Vec<Costed> = rows
        .into_iter()
        .filter_map(|(amount, start, end, hardware, licences)| {
            Some(Costed {
                amount,
                starts_on: start?.parse().ok()?,
                ends_on: end?.parse().ok()?,
                hardware,
                licences,
            })
        })
        .collect();
    Ok(costs::monthly(&contracts, from, to))
}

/// A vendor as typed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorInput {
    /// Name.
    pub name: String,
    /// Address.
    #[serde(default)]
    pub address: String,
    /// Contact person.
    #[serde(default)]
    pub contact_person: String,
    /// Contact.
    #[serde(default)]
    pub contact: String,
    /// Version last read (update).
    pub version: Option<i64>,
}

/// The vendor list.
///
/// # Errors
/// 403.
pub async fn vendors(state: &AppState, actor: &Actor) -> Result<Vec<Vendor>, AppError> {
    actor.require_division(Division::Assets)?;
    Ok(store::vendors(&state.db).await?)
}

/// Creates or updates a vendor.
///
/// # Errors
/// 400, 403, 404, 409.
pub async fn save_vendor(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    id: Option<i64>,
    input: VendorInput,
) -> Result<Vendor, AppError> {
    actor.require_division(Division::Assets)?;
    let name = values::plain("name", Some(input.name), MAX_TEXT_CHARS)?.unwrap_or_default();
    if name.is_empty() {
        return Err(AppError::invalid("name", "a vendor needs a name"));
    }
    let f = VendorFields {
        name,
        address: values::plain("address", Some(input.address), 500)?.unwrap_or_default(),
        contact_person: values::plain(
            "contact_person",
            Some(input.contact_person),
            MAX_TEXT_CHARS,
        )?
        .unwrap_or_default(),
        contact: values::plain("contact", Some(input.contact), MAX_TEXT_CHARS)?.unwrap_or_default(),
    };
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    if store::vendor_name_taken(&mut tx, &f.name, id).await? {
        return Err(AppError::Invalid {
            code: "name_taken",
            message: "another vendor has this name".into(),
            field: Some("name".into()),
        });
    }
    let key = match id {
        None => None,
        Some(id) => {
            store::get_vendor(&mut tx, id)
                .await
                .map_err(values::not_found("vendor"))?;
            let version = input
                .version
                .ok_or_else(|| AppError::invalid("version", "send the version you last read"))?;
            Some((id, version))
        }
    };
    let now = now_ms();
    let Some(saved) = store::save_vendor(&mut tx, key, &f, now).await? else {
        return Err(AppError::Conflict(
            "the vendor was changed by someone else; reload and try again".into(),
        ));
    };
    let op = if id.is_some() { Op::Update } else { Op::Add };
    crate::audit::store::insert(
        &mut tx,
        &values::audit(
            actor,
            origin,
            op,
            saved,
            serde_json::json!({"vendor": f.name}),
        ),
        now,
    )
    .await?;
    let vendor = store::get_vendor(&mut tx, saved).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(vendor)
}

/// Deletes a vendor no contract names.
///
/// # Errors
/// 403, 404, 409 while a contract names it.
pub async fn delete_vendor(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    id: i64,
) -> Result<(), AppError> {
    actor.require_division(Division::Assets)?;
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    let vendor = store::get_vendor(&mut tx, id)
        .await
        .map_err(values::not_found("vendor"))?;
    if !store::delete_vendor(&mut tx, id).await? {
        return Err(AppError::Conflict(format!(
            "{} contracts name {:?}; change them first",
            vendor.contracts, vendor.name
        )));
    }
    crate::audit::store::insert(
        &mut tx,
        &values::audit(
            actor,
            origin,
            Op::Delete,
            id,
            serde_json::json!({"vendor": vendor.name}),
        ),
        now_ms(),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}
