//! SQL for `licences` and `licence_assignments`.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::assets::licences::model::Licence;
use crate::core::db::{Backend, Db, DbError};
use crate::core::paging::{Cursor, SortValue};
use crate::core::sql::{contains_pattern, ids_in, Where};

const COLUMNS: &str = "l.id, l.licence_number, l.name, l.managed_id, l.held, l.type_id, \
     l.status_id, l.planned_status_id, l.planned_on, l.department_id, l.stocktaken_on, \
     (SELECT COUNT(*) FROM licence_assignments a WHERE a.licence_id = l.id), l.custom, \
     l.created_at, l.created_by, l.updated_at, l.version";

fn licence(row: &AnyRow) -> Result<Licence, DbError> {
    let custom: String = row.try_get(12)?;
    Ok(Licence {
        id: row.try_get(0)?,
        licence_number: row.try_get(1)?,
        name: row.try_get(2)?,
        managed_id: row.try_get(3)?,
        held: row.try_get(4)?,
        type_id: row.try_get(5)?,
        status_id: row.try_get(6)?,
        planned_status_id: row.try_get(7)?,
        planned_on: row.try_get(8)?,
        department_id: row.try_get(9)?,
        stocktaken_on: row.try_get(10)?,
        assigned: row.try_get(11)?,
        custom: serde_json::from_str(&custom)
            .map_err(|e| DbError::Corrupt(format!("custom fields of licence: {e}")))?,
        created_at: row.try_get(13)?,
        created_by: row.try_get(14)?,
        updated_at: row.try_get(15)?,
        version: row.try_get(16)?,
    })
}

/// The values of a licence that people and imports set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LicenceFields {
    /// Licence number.
    pub licence_number: String,
    /// Name.
    pub name: String,
    /// Managed software.
    pub managed_id: Option<i64>,
    /// Held.
    pub held: i64,
    /// Type.
    pub type_id: i64,
    /// Status.
    pub status_id: i64,
    /// Planned status.
    pub planned_status_id: Option<i64>,
    /// Planned day.
    pub planned_on: Option<String>,
    /// Department.
    pub department_id: Option<i64>,
    /// Stocktake day.
    pub stocktaken_on: Option<String>,
    /// Custom values.
    pub custom: serde_json::Value,
}

impl LicenceFields {
    /// The editable values of a stored licence.
    pub fn of(l: &Licence) -> LicenceFields {
        LicenceFields {
            licence_number: l.licence_number.clone(),
            name: l.name.clone(),
            managed_id: l.managed_id,
            held: l.held,
            type_id: l.type_id,
            status_id: l.status_id,
            planned_status_id: l.planned_status_id,
            planned_on: l.planned_on.clone(),
            department_id: l.department_id,
            stocktaken_on: l.stocktaken_on.clone(),
            custom: l.custom.clone(),
        }
    }
}

/// One licence.
///
/// # Errors
/// [`DbError::NotFound`] or other database errors.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Licence, DbError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM licences l WHERE l.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(DbError::NotFound)?;
    licence(&row)
}

/// Several licences, in no particular order (absent ids are left out).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn get_many(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Licence>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM licences l WHERE {}",
        ids_in("l.id", ids)
    ))
    .fetch_all(conn)
    .await?;
    rows.iter().map(licence).collect()
}

/// Calls `f` with the number, id and department of every numbered licence, streaming.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn each_number(
    conn: &mut AnyConnection,
    mut f: impl FnMut(String, i64, Option<i64>),
) -> Result<(), DbError> {
    let mut rows = sqlx::query(
        "SELECT licence_number, id, department_id FROM licences WHERE licence_number <> ''",
    )
    .fetch(conn);
    while let Some(row) = rows.try_next().await? {
        f(row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    }
    Ok(())
}

/// The number and department of each of `ids` (absent ids are left out): what a contract's
/// export writes for the licences it covers, and what its import keeps when a row cannot
/// name them.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn numbers_of(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<HashMap<i64, (String, Option<i64>)>, DbError> {
    let mut out = HashMap::with_capacity(ids.len());
    if ids.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT id, licence_number, department_id FROM licences WHERE {}",
        ids_in("id", ids)
    );
    let mut rows = sqlx::query(&sql).fetch(conn);
    while let Some(row) = rows.try_next().await? {
        out.insert(row.try_get(0)?, (row.try_get(1)?, row.try_get(2)?));
    }
    Ok(out)
}

/// Inserts a licence; returns its id.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert(
    conn: &mut AnyConnection,
    f: &LicenceFields,
    created_by: &str,
    now: i64,
) -> Result<i64, DbError> {
    let row = sqlx::query(
        "INSERT INTO licences (licence_number, name, managed_id, held, type_id, status_id, \
         planned_status_id, planned_on, department_id, stocktaken_on, custom, created_at, \
         created_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $12) \
         RETURNING id",
    )
    .bind(f.licence_number.as_str())
    .bind(f.name.as_str())
    .bind(f.managed_id)
    .bind(f.held)
    .bind(f.type_id)
    .bind(f.status_id)
    .bind(f.planned_status_id)
    .bind(f.planned_on.as_deref())
    .bind(f.department_id)
    .bind(f.stocktaken_on.as_deref())
    .bind(f.custom.to_string())
    .bind(now)
    .bind(created_by)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// Writes a licence's values if still at `version`; returns whether it was.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn update(
    conn: &mut AnyConnection,
    id: i64,
    f: &LicenceFields,
    version: i64,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE licences SET licence_number = $1, name = $2, managed_id = $3, held = $4, \
         type_id = $5, status_id = $6, planned_status_id = $7, planned_on = $8, \
         department_id = $9, stocktaken_on = $10, custom = $11, updated_at = $12, \
         version = version + 1 WHERE id = $13 AND version = $14",
    )
    .bind(f.licence_number.as_str())
    .bind(f.name.as_str())
    .bind(f.managed_id)
    .bind(f.held)
    .bind(f.type_id)
    .bind(f.status_id)
    .bind(f.planned_status_id)
    .bind(f.planned_on.as_deref())
    .bind(f.department_id)
    .bind(f.stocktaken_on.as_deref())
    .bind(f.custom.to_string())
    .bind(now)
    .bind(id)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a licence and its assignments.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<(), DbError> {
    sqlx::query("DELETE FROM licence_assignments WHERE licence_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM licences WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether another licence has this number.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn number_taken(
    conn: &mut AnyConnection,
    number: &str,
    except: Option<i64>,
) -> Result<bool, DbError> {
    Ok(
        sqlx::query("SELECT 1 FROM licences WHERE licence_number = $1 AND id <> COALESCE($2, 0)")
            .bind(number)
            .bind(except)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}

/// The licence list's conditions.
#[derive(Debug, Clone, Default)]
pub struct LicenceFilter {
    /// Status.
    pub status: Option<i64>,
    /// Type.
    pub type_id: Option<i64>,
    /// Managed software, or `Some(None)` for none.
    pub managed: Option<Option<i64>>,
    /// Licence number contains.
    pub licence_number: Option<String>,
    /// Name contains.
    pub name: Option<String>,
    /// Stocktaken before this day, or never.
    pub stocktaken_before: Option<String>,
    /// Any planned change.
    pub planned: Option<bool>,
    /// Department subtree (expanded) or Unknown.
    pub department: Option<Option<Vec<i64>>>,
    /// The actor's scope.
    pub scope: Option<Vec<i64>>,
    /// Conditions on custom values, checked against the fields by the service.
    pub custom: Vec<crate::assets::fields::query::CustomCondition>,
}

/// Sort columns of the licence list.
pub const SORTS: [(&str, &str, bool); 8] = [
    ("id", "l.id", true),
    ("licence_number", "l.licence_number", false),
    ("name", "l.name", false),
    ("held", "l.held", true),
    ("status", "l.status_id", true),
    ("created_at", "l.created_at", true),
    ("stocktaken_on", "COALESCE(l.stocktaken_on, '')", false),
    ("planned_on", "COALESCE(l.planned_on, '')", false),
];

fn conditions(filter: &LicenceFilter, backend: Backend) -> Where {
    let mut w = Where::new();
    if let Some(scope) = &filter.scope {
        w.push(ids_in("l.department_id", scope));
    }
    for (column, value) in [
        ("l.status_id", filter.status),
        ("l.type_id", filter.type_id),
    ] {
        if let Some(value) = value {
            let p = w.int(value);
            w.push(format!("{column} = {p}"));
        }
    }
    match filter.managed {
        Some(Some(id)) => {
            let p = w.int(id);
            w.push(format!("l.managed_id = {p}"));
        }
        Some(None) => w.push("l.managed_id IS NULL"),
        None => {}
    }
    for (column, value) in [
        ("l.licence_number", &filter.licence_number),
        ("l.name", &filter.name),
    ] {
        if let Some(value) = value {
            let p = w.text(contains_pattern(value));
            w.push(format!("LOWER({column}) LIKE {p} ESCAPE '\\'"));
        }
    }
    if let Some(before) = &filter.stocktaken_before {
        let p = w.text(before.clone());
        w.push(format!(
            "(l.stocktaken_on IS NULL OR l.stocktaken_on < {p})"
        ));
    }
    match filter.planned {
        Some(true) => w.push("l.planned_status_id IS NOT NULL"),
        Some(false) => w.push("l.planned_status_id IS NULL"),
        None => {}
    }
    match &filter.department {
        Some(Some(ids)) => w.push(ids_in("l.department_id", ids)),
        Some(None) => w.push("l.department_id IS NULL"),
        None => {}
    }
    for condition in &filter.custom {
        crate::assets::fields::store::push_condition(&mut w, backend, "l.custom", condition);
    }
    w
}

/// One page of the filtered list, sorted by `SORTS[sort]`.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn page(
    db: &Db,
    filter: &LicenceFilter,
    (sort, descending): (usize, bool),
    after: Option<&Cursor>,
    limit: u32,
) -> Result<(Vec<Licence>, Option<Cursor>), DbError> {
    let (_, expr, numeric) = SORTS[sort.min(SORTS.len() - 1)];
    let mut w = conditions(filter, db.backend());
    let order = w.keyset(expr, "l.id", descending, after);
    let limit_param = w.int(i64::from(limit) + 1);
    let sql = format!(
        "SELECT {COLUMNS}, {expr} FROM licences l{} ORDER BY {order} LIMIT {limit_param}",
        w.clause()
    );
    let rows = w.apply(sqlx::query(&sql)).fetch_all(db.read()).await?;
    let mut items = Vec::new();
    let mut last = None;
    for row in rows.iter().take(limit as usize) {
        items.push(licence(row)?);
        last = Some(if numeric {
            SortValue::Int(row.try_get(17)?)
        } else {
            SortValue::Text(row.try_get(17)?)
        });
    }
    let next = match (rows.len() > limit as usize, items.last(), last) {
        (true, Some(item), Some(value)) => Some(Cursor { value, id: item.id }),
        _ => None,
    };
    Ok((items, next))
}

/// Devices a licence is assigned to: (device id, host name, department), by device id.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn assignments(
    conn: &mut AnyConnection,
    licence_id: i64,
) -> Result<Vec<(i64, String, Option<i64>)>, DbError> {
    let rows = sqlx::query(
        "SELECT d.id, d.hostname, d.department_id FROM licence_assignments a \
         JOIN devices d ON d.id = a.device_id WHERE a.licence_id = $1 ORDER BY d.id",
    )
    .bind(licence_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// Assigns a licence to a device (idempotent); returns whether it was new.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn assign(
    conn: &mut AnyConnection,
    licence_id: i64,
    device_id: i64,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "INSERT INTO licence_assignments (licence_id, device_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (licence_id, device_id) DO NOTHING",
    )
    .bind(licence_id)
    .bind(device_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes an assignment; returns whether there was one.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn unassign(
    conn: &mut AnyConnection,
    licence_id: i64,
    device_id: i64,
) -> Result<bool, DbError> {
    let done =
        sqlx::query("DELETE FROM licence_assignments WHERE licence_id = $1 AND device_id = $2")
            .bind(licence_id)
            .bind(device_id)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// The licences assigned to a device.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn licences_of_device(
    conn: &mut AnyConnection,
    device_id: i64,
) -> Result<Vec<i64>, DbError> {
    let rows = sqlx::query(
        "SELECT licence_id FROM licence_assignments WHERE device_id = $1 ORDER BY licence_id",
    )
    .bind(device_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// Moves every assignment of one device to another.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn move_assignments(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
) -> Result<u64, DbError> {
    let done = sqlx::query("UPDATE licence_assignments SET device_id = $1 WHERE device_id = $2")
        .bind(to)
        .bind(from)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
