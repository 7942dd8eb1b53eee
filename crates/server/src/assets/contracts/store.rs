//! SQL for `contracts`, `contract_assets`, `contract_licences` and `vendors`.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::core::db::{Backend, Db, DbError};
use crate::core::sql::{contains_pattern, ids_in, Where};

/// A contract as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contract {
    /// Id.
    pub id: i64,
    /// Contract number, unique when set.
    pub contract_number: String,
    /// Name.
    pub name: String,
    /// Type (`contract_type` choice).
    pub type_id: i64,
    /// Status (`contract_status` choice).
    pub status_id: i64,
    /// Contract day (契約日).
    pub contracted_on: Option<String>,
    /// First day of the period.
    pub starts_on: Option<String>,
    /// Last day of the period.
    pub ends_on: Option<String>,
    /// Total amount (総額), in yen.
    pub amount: i64,
    /// Vendor (契約会社).
    pub vendor_id: Option<i64>,
    /// Department; none is Unknown.
    pub department_id: Option<i64>,
    /// Custom values.
    pub custom: serde_json::Value,
    /// Registered (Unix ms).
    pub created_at: i64,
    /// Who registered it.
    pub created_by: String,
    /// Last changed (Unix ms).
    pub updated_at: i64,
    /// Optimistic version.
    pub version: i64,
}

const COLUMNS: &str = "c.id, c.contract_number, c.name, c.type_id, c.status_id, c.contracted_on, \
     c.starts_on, c.ends_on, c.amount, c.vendor_id, c.department_id, c.custom, c.created_at, \
     c.created_by, c.updated_at, c.version";

fn contract(row: &AnyRow) -> Result<Contract, DbError> {
    let custom: String = row.try_get(11)?;
    Ok(Contract {
        id: row.try_get(0)?,
        contract_number: row.try_get(1)?,
        name: row.try_get(2)?,
        type_id: row.try_get(3)?,
        status_id: row.try_get(4)?,
        contracted_on: row.try_get(5)?,
        starts_on: row.try_get(6)?,
        ends_on: row.try_get(7)?,
        amount: row.try_get(8)?,
        vendor_id: row.try_get(9)?,
        department_id: row.try_get(10)?,
        custom: serde_json::from_str(&custom)
            .map_err(|e| DbError::Corrupt(format!("custom fields of contract: {e}")))?,
        created_at: row.try_get(12)?,
        created_by: row.try_get(13)?,
        updated_at: row.try_get(14)?,
        version: row.try_get(15)?,
    })
}

/// The values of a contract people and imports set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContractFields {
    /// Number.
    pub contract_number: String,
    /// Name.
    pub name: String,
    /// Type.
    pub type_id: i64,
    /// Status.
    pub status_id: i64,
    /// Contract day.
    pub contracted_on: Option<String>,
    /// Period start.
    pub starts_on: Option<String>,
    /// Period end.
    pub ends_on: Option<String>,
    /// Amount.
    pub amount: i64,
    /// Vendor.
    pub vendor_id: Option<i64>,
    /// Department.
    pub department_id: Option<i64>,
    /// Custom values.
    pub custom: serde_json::Value,
}

impl ContractFields {
    /// The editable values of a stored contract.
    pub fn of(c: &Contract) -> ContractFields {
        ContractFields {
            contract_number: c.contract_number.clone(),
            name: c.name.clone(),
            type_id: c.type_id,
            status_id: c.status_id,
            contracted_on: c.contracted_on.clone(),
            starts_on: c.starts_on.clone(),
            ends_on: c.ends_on.clone(),
            amount: c.amount,
            vendor_id: c.vendor_id,
            department_id: c.department_id,
            custom: c.custom.clone(),
        }
    }
}

/// One contract.
///
/// # Errors
/// [`DbError::NotFound`] or other database errors.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Contract, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM contracts c WHERE c.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(DbError::NotFound)?;
    contract(&row)
}

/// Several contracts, in no particular order (absent ids are left out).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn get_many(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Contract>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM contracts c WHERE {}",
        ids_in("c.id", ids)
    ))
    .fetch_all(conn)
    .await?;
    rows.iter().map(contract).collect()
}

/// Calls `f` with the number, id and department of every numbered contract, streaming.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn each_number(
    conn: &mut AnyConnection,
    mut f: impl FnMut(String, i64, Option<i64>),
) -> Result<(), DbError> {
    let mut rows = sqlx::query(
        "SELECT contract_number, id, department_id FROM contracts WHERE contract_number <> ''",
    )
    .fetch(conn);
    while let Some(row) = rows.try_next().await? {
        f(row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    }
    Ok(())
}

/// Inserts a contract; returns its id.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert(
    conn: &mut AnyConnection,
    f: &ContractFields,
    created_by: &str,
    now: i64,
) -> Result<i64, DbError> {
    let row = sqlx::query(
        "INSERT INTO contracts (contract_number, name, type_id, status_id, contracted_on, \
         starts_on, ends_on, amount, vendor_id, department_id, custom, created_at, created_by, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $12) \
         RETURNING id",
    )
    .bind(f.contract_number.as_str())
    .bind(f.name.as_str())
    .bind(f.type_id)
    .bind(f.status_id)
    .bind(f.contracted_on.as_deref())
    .bind(f.starts_on.as_deref())
    .bind(f.ends_on.as_deref())
    .bind(f.amount)
    .bind(f.vendor_id)
    .bind(f.department_id)
    .bind(f.custom.to_string())
    .bind(now)
    .bind(created_by)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// Writes a contract's values if still at `version`; returns whether it was.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn update(
    conn: &mut AnyConnection,
    id: i64,
    f: &ContractFields,
    version: i64,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE contracts SET contract_number = $1, name = $2, type_id = $3, status_id = $4, \
         contracted_on = $5, starts_on = $6, ends_on = $7, amount = $8, vendor_id = $9, \
         department_id = $10, custom = $11, updated_at = $12, version = version + 1 \
         WHERE id = $13 AND version = $14",
    )
    .bind(f.contract_number.as_str())
    .bind(f.name.as_str())
    .bind(f.type_id)
    .bind(f.status_id)
    .bind(f.contracted_on.as_deref())
    .bind(f.starts_on.as_deref())
    .bind(f.ends_on.as_deref())
    .bind(f.amount)
    .bind(f.vendor_id)
    .bind(f.department_id)
    .bind(f.custom.to_string())
    .bind(now)
    .bind(id)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a contract and its links.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<(), DbError> {
    for table in ["contract_assets", "contract_licences"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE contract_id = $1"))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("DELETE FROM contracts WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether another contract has this number.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn number_taken(
    conn: &mut AnyConnection,
    number: &str,
    except: Option<i64>,
) -> Result<bool, DbError> {
    Ok(
        sqlx::query("SELECT 1 FROM contracts WHERE contract_number = $1 AND id <> COALESCE($2, 0)")
            .bind(number)
            .bind(except)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}

/// Which records a contract covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linked {
    /// Hardware assets (`contract_assets`).
    Assets,
    /// Licences (`contract_licences`).
    Licences,
}

impl Linked {
    fn table(self) -> (&'static str, &'static str) {
        match self {
            Linked::Assets => ("contract_assets", "asset_id"),
            Linked::Licences => ("contract_licences", "licence_id"),
        }
    }
}

/// The ids a contract covers.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn links(conn: &mut AnyConnection, id: i64, kind: Linked) -> Result<Vec<i64>, DbError> {
    let (table, column) = kind.table();
    let rows = sqlx::query(&format!(
        "SELECT {column} FROM {table} WHERE contract_id = $1 ORDER BY {column}"
    ))
    .bind(id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// The ids each of several contracts covers, by contract (contracts covering none are
/// absent).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn links_of_many(
    conn: &mut AnyConnection,
    ids: &[i64],
    kind: Linked,
) -> Result<HashMap<i64, Vec<i64>>, DbError> {
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let (table, column) = kind.table();
    let rows = sqlx::query(&format!(
        "SELECT contract_id, {column} FROM {table} WHERE {} ORDER BY contract_id, {column}",
        ids_in("contract_id", ids)
    ))
    .fetch_all(conn)
    .await?;
    for row in &rows {
        out.entry(row.try_get(0)?)
            .or_default()
            .push(row.try_get(1)?);
    }
    Ok(out)
}

/// Replaces the ids a contract covers.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn set_links(
    conn: &mut AnyConnection,
    id: i64,
    kind: Linked,
    ids: &[i64],
) -> Result<(), DbError> {
    let (table, column) = kind.table();
    sqlx::query(&format!("DELETE FROM {table} WHERE contract_id = $1"))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for other in ids {
        sqlx::query(&format!(
            "INSERT INTO {table} (contract_id, {column}) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        ))
        .bind(id)
        .bind(*other)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The contract list's conditions.
#[derive(Debug, Clone, Default)]
pub struct ContractFilter {
    /// Status.
    pub status: Option<i64>,
    /// Type.
    pub type_id: Option<i64>,
    /// Vendor.
    pub vendor_id: Option<i64>,
    /// Number or name contains.
    pub text: Option<String>,
    /// Ends on or before this day.
    pub ends_before: Option<String>,
    /// Ends on or after this day.
    pub ends_after: Option<String>,
    /// Covers hardware assets (`Assets`) or licences.
    pub covers: Option<Linked>,
    /// The actor's scope.
    pub scope: Option<Vec<i64>>,
    /// Conditions on custom values, checked against the fields by the service.
    pub custom: Vec<crate::assets::fields::query::CustomCondition>,
}

fn conditions(filter: &ContractFilter, backend: Backend) -> Where {
    let mut w = Where::new();
    if let Some(scope) = &filter.scope {
        w.push(ids_in("c.department_id", scope));
    }
    for (column, value) in [
        ("c.status_id", filter.status),
        ("c.type_id", filter.type_id),
        ("c.vendor_id", filter.vendor_id),
    ] {
        if let Some(value) = value {
            let p = w.int(value);
            w.push(format!("{column} = {p}"));
        }
    }
    if let Some(text) = &filter.text {
        let p = w.text(contains_pattern(text));
        w.push(format!(
            "(LOWER(c.contract_number) LIKE {p} ESCAPE '\\' OR LOWER(c.name) LIKE {p} ESCAPE '\\')"
        ));
    }
    if let Some(day) = &filter.ends_before {
        let p = w.text(day.clone());
        w.push(format!("c.ends_on <= {p}"));
    }
    if let Some(day) = &filter.ends_after {
        let p = w.text(day.clone());
        w.push(format!("c.ends_on >= {p}"));
    }
    if let Some(kind) = filter.covers {
        let (table, _) = kind.table();
        w.push(format!(
            "EXISTS (SELECT 1 FROM {table} l WHERE l.contract_id = c.id)"
        ));
    }
    for condition in &filter.custom {
        crate::assets::fields::store::push_condition(&mut w, backend, "c.custom", condition);
    }
    w
}

/// The matching contracts ordered by end day then id, after `after_id`'s row (keyset on
/// `(ends_on, id)`), at most `limit`.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn page(
    db: &Db,
    filter: &ContractFilter,
    after: Option<&crate::core::paging::Cursor>,
    limit: u32,
) -> Result<(Vec<Contract>, Option<crate::core::paging::Cursor>), DbError> {
    let mut w = conditions(filter, db.backend());
    let expr = "COALESCE(c.ends_on, '9999-12-31')";
    let order = w.keyset(expr, "c.id", false, after);
    let limit_param = w.int(i64::from(limit) + 1);
    let sql = format!(
        "SELECT {COLUMNS}, {expr} FROM contracts c{} ORDER BY {order} LIMIT {limit_param}",
        w.clause()
    );
    let rows = w.apply(sqlx::query(&sql)).fetch_all(db.read()).await?;
    let mut items = Vec::new();
    let mut last = None;
    for row in rows.iter().take(limit as usize) {
        items.push(contract(row)?);
        last = Some(crate::core::paging::SortValue::Text(row.try_get(16)?));
    }
    let next = match (rows.len() > limit as usize, items.last(), last) {
        (true, Some(item), Some(value)) => Some(crate::core::paging::Cursor { value, id: item.id }),
        _ => None,
    };
    Ok((items, next))
}

/// Every matching contract with its period and what it covers, for the cost report.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn costed(
    db: &Db,
    scope: Option<&[i64]>,
) -> Result<Vec<(i64, Option<String>, Option<String>, bool, bool)>, DbError> {
    let filter = ContractFilter {
        scope: scope.map(<[i64]>::to_vec),
        ..ContractFilter::default()
    };
    let w = conditions(&filter, db.backend());
    let sql = format!(
        "SELECT c.amount, c.starts_on, c.ends_on, \
         CASE WHEN EXISTS (SELECT 1 FROM contract_assets l WHERE l.contract_id = c.id) THEN 1 ELSE 0 END, \
         CASE WHEN EXISTS (SELECT 1 FROM contract_licences l WHERE l.contract_id = c.id) THEN 1 ELSE 0 END \
         FROM contracts c{}",
        w.clause()
    );
    let rows = w.apply(sqlx::query(&sql)).fetch_all(db.read()).await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get::<i64, _>(3)? != 0,
                r.try_get::<i64, _>(4)? != 0,
            ))
        })
        .collect()
}

/// A vendor (契約会社).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vendor {
    /// Id.
    pub id: i64,
    /// Company name, unique.
    pub name: String,
    /// Address.
    pub address: String,
    /// Contact person.
    pub contact_person: String,
    /// Phone or e-mail.
    pub contact: String,
    /// Contracts that name it.
    pub contracts: i64,
    /// Optimistic version.
    pub version: i64,
}

const VENDOR_COLUMNS: &str = "v.id, v.name, v.address, v.contact_person, v.contact, \
     (SELECT COUNT(*) FROM contracts c WHERE c.vendor_id = v.id), v.version";

fn vendor(row: &AnyRow) -> Result<Vendor, DbError> {
    Ok(Vendor {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        address: row.try_get(2)?,
        contact_person: row.try_get(3)?,
        contact: row.try_get(4)?,
        contracts: row.try_get(5)?,
        version: row.try_get(6)?,
    })
}

/// Every vendor, by name.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn vendors(db: &Db) -> Result<Vec<Vendor>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {VENDOR_COLUMNS} FROM vendors v ORDER BY v.name, v.id"
    ))
    .fetch_all(db.read())
    .await?;
    rows.iter().map(vendor).collect()
}

/// Up to `limit` vendors ordered by name then id, after `after`'s row (keyset on
/// `(name, id)`, the list's order); the cursor of the next page when there is one.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn vendor_page(
    db: &Db,
    after: Option<&crate::core::paging::Cursor>,
    limit: u32,
) -> Result<(Vec<Vendor>, Option<crate::core::paging::Cursor>), DbError> {
    let mut w = Where::new();
    let order = w.keyset("v.name", "v.id", false, after);
    let limit_param = w.int(i64::from(limit) + 1);
    let sql = format!(
        "SELECT {VENDOR_COLUMNS} FROM vendors v{} ORDER BY {order} LIMIT {limit_param}",
        w.clause()
    );
    let rows = w.apply(sqlx::query(&sql)).fetch_all(db.read()).await?;
    let items = rows
        .iter()
        .take(limit as usize)
        .map(vendor)
        .collect::<Result<Vec<_>, _>>()?;
    let next = match (rows.len() > limit as usize, items.last()) {
        (true, Some(last)) => Some(crate::core::paging::Cursor {
            value: crate::core::paging::SortValue::Text(last.name.clone()),
            id: last.id,
        }),
        _ => None,
    };
    Ok((items, next))
}

/// The names of the vendors `ids` (absent ids are left out), for a page of contracts.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn vendor_names(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<HashMap<i64, String>, DbError> {
    let mut out = HashMap::with_capacity(ids.len());
    if ids.is_empty() {
        return Ok(out);
    }
    let sql = format!("SELECT id, name FROM vendors WHERE {}", ids_in("id", ids));
    let mut rows = sqlx::query(&sql).fetch(conn);
    while let Some(row) = rows.try_next().await? {
        out.insert(row.try_get(0)?, row.try_get(1)?);
    }
    Ok(out)
}

/// Every vendor, by name, read on `conn`.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn vendors_in(conn: &mut AnyConnection) -> Result<Vec<Vendor>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {VENDOR_COLUMNS} FROM vendors v ORDER BY v.name, v.id"
    ))
    .fetch_all(conn)
    .await?;
    rows.iter().map(vendor).collect()
}

/// One vendor.
///
/// # Errors
/// [`DbError::NotFound`] or other database errors.
pub async fn get_vendor(conn: &mut AnyConnection, id: i64) -> Result<Vendor, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {VENDOR_COLUMNS} FROM vendors v WHERE v.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(DbError::NotFound)?;
    vendor(&row)
}

/// A vendor's values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VendorFields {
    /// Name.
    pub name: String,
    /// Address.
    pub address: String,
    /// Contact person.
    pub contact_person: String,
    /// Contact.
    pub contact: String,
}

/// Creates a vendor, or (with `id`) updates one still at `version`; returns its id, or
/// `None` on a stale version.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn save_vendor(
    conn: &mut AnyConnection,
    id: Option<(i64, i64)>,
    f: &VendorFields,
    now: i64,
) -> Result<Option<i64>, DbError> {
    match id {
        None => {
            let row = sqlx::query(
                "INSERT INTO vendors (name, address, contact_person, contact, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
            )
            .bind(f.name.as_str())
            .bind(f.address.as_str())
            .bind(f.contact_person.as_str())
            .bind(f.contact.as_str())
            .bind(now)
            .fetch_one(conn)
            .await?;
            Ok(Some(row.try_get(0)?))
        }
        Some((id, version)) => {
            let done = sqlx::query(
                "UPDATE vendors SET name = $1, address = $2, contact_person = $3, contact = $4, \
                 updated_at = $5, version = version + 1 WHERE id = $6 AND version = $7",
            )
            .bind(f.name.as_str())
            .bind(f.address.as_str())
            .bind(f.contact_person.as_str())
            .bind(f.contact.as_str())
            .bind(now)
            .bind(id)
            .bind(version)
            .execute(conn)
            .await?;
            Ok((done.rows_affected() == 1).then_some(id))
        }
    }
}

/// Whether another vendor has this name.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn vendor_name_taken(
    conn: &mut AnyConnection,
    name: &str,
    except: Option<i64>,
) -> Result<bool, DbError> {
    Ok(
        sqlx::query("SELECT 1 FROM vendors WHERE name = $1 AND id <> COALESCE($2, 0)")
            .bind(name)
            .bind(except)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}

/// Deletes a vendor no contract names; returns whether it was deleted.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn delete_vendor(conn: &mut AnyConnection, id: i64) -> Result<bool, DbError> {
    let done = sqlx::query(
        "DELETE FROM vendors WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM contracts c WHERE c.vendor_id = $1)",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
