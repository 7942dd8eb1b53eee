//! SQL for `managed_software`, its rules, and the reconciliation counts read from the
//! maintained pairs (`managed_software_devices`) and the assignments.

use std::collections::HashMap;

use sqlx::{AnyConnection, Row};

use crate::assets::choices::builtin;
use crate::assets::licences::matching::Rule;
use crate::assets::licences::model::{DepartmentShare, LicensedDevice, ManagedSoftware};
use crate::core::db::{Db, DbError};
use crate::core::paging::{Cursor, SortValue};
use crate::core::sql::{ids_in, Where};

/// Every managed software, by name.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<ManagedSoftware>, DbError> {
    let rows = sqlx::query(
        "SELECT id, name, name_en, created_at, version FROM managed_software ORDER BY name, id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut rules: HashMap<i64, Vec<Rule>> = HashMap::new();
    for (managed, rule) in crate::assets::licences::reconcile::all_rules(conn).await? {
        rules.entry(managed).or_default().push(rule);
    }
    rows.iter()
        .map(|row| {
            let id: i64 = row.try_get(0)?;
            Ok(ManagedSoftware {
                id,
                name: row.try_get(1)?,
                name_en: row.try_get(2)?,
                rules: rules.remove(&id).unwrap_or_default(),
                created_at: row.try_get(3)?,
                version: row.try_get(4)?,
            })
        })
        .collect()
}

/// Up to `limit` managed software ordered by name then id, after `after`'s row (keyset on
/// `(name, id)`, the list's order), with their rules; the cursor of the next page when
/// there is one. An export reads the list this way, a page at a time.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn page(
    db: &Db,
    after: Option<&Cursor>,
    limit: u32,
) -> Result<(Vec<ManagedSoftware>, Option<Cursor>), DbError> {
    let mut w = Where::new();
    let order = w.keyset("m.name", "m.id", false, after);
    let limit_param = w.int(i64::from(limit) + 1);
    let sql = format!(
        "SELECT m.id, m.name, m.name_en, m.created_at, m.version FROM managed_software m{} \
         ORDER BY {order} LIMIT {limit_param}",
        w.clause()
    );
    let mut conn = db.read().acquire().await?;
    let rows = w.apply(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
    let more = rows.len() > limit as usize;
    let mut items = Vec::with_capacity(rows.len().min(limit as usize));
    for row in rows.iter().take(limit as usize) {
        items.push(ManagedSoftware {
            id: row.try_get(0)?,
            name: row.try_get(1)?,
            name_en: row.try_get(2)?,
            rules: Vec::new(),
            created_at: row.try_get(3)?,
            version: row.try_get(4)?,
        });
    }
    let ids: Vec<i64> = items.iter().map(|m| m.id).collect();
    if !ids.is_empty() {
        let rows = sqlx::query(&format!(
            "SELECT managed_id, pattern, name, version FROM managed_software_rules WHERE {} \
             ORDER BY id",
            ids_in("managed_id", &ids)
        ))
        .fetch_all(&mut *conn)
        .await?;
        let mut rules: HashMap<i64, Vec<Rule>> = HashMap::new();
        for row in &rows {
            rules.entry(row.try_get(0)?).or_default().push(Rule {
                pattern: row.try_get::<i64, _>(1)? != 0,
                name: row.try_get(2)?,
                version: row.try_get(3)?,
            });
        }
        for item in &mut items {
            item.rules = rules.remove(&item.id).unwrap_or_default();
        }
    }
    let next = match (more, items.last()) {
        (true, Some(last)) => Some(Cursor {
            value: SortValue::Text(last.name.clone()),
            id: last.id,
        }),
        _ => None,
    };
    Ok((items, next))
}

/// One managed software.
///
/// # Errors
/// [`DbError::NotFound`] or other database errors.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<ManagedSoftware, DbError> {
    let row = sqlx::query(
        "SELECT id, name, name_en, created_at, version FROM managed_software WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(DbError::NotFound)?;
    let rows = sqlx::query(
        "SELECT pattern, name, version FROM managed_software_rules WHERE managed_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let rules = rows
        .iter()
        .map(|r| {
            Ok(Rule {
                pattern: r.try_get::<i64, _>(0)? != 0,
                name: r.try_get(1)?,
                version: r.try_get(2)?,
            })
        })
        .collect::<Result<_, DbError>>()?;
    Ok(ManagedSoftware {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        name_en: row.try_get(2)?,
        rules,
        created_at: row.try_get(3)?,
        version: row.try_get(4)?,
    })
}

/// Whether another managed software has this name.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn name_taken(
    conn: &mut AnyConnection,
    name: &str,
    except: Option<i64>,
) -> Result<bool, DbError> {
    Ok(sqlx::query(
        "SELECT 1 FROM managed_software WHERE (name = $1 OR name_en = $1) AND id <> COALESCE($2, 0)",
    )
    .bind(name)
    .bind(except)
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// Creates a managed software; returns its id.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert(
    conn: &mut AnyConnection,
    name: &str,
    name_en: &str,
    now: i64,
) -> Result<i64, DbError> {
    let row = sqlx::query(
        "INSERT INTO managed_software (name, name_en, created_at, updated_at) \
         VALUES ($1, $2, $3, $3) RETURNING id",
    )
    .bind(name)
    .bind(name_en)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// Renames a managed software still at `version`; returns whether it was.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn rename(
    conn: &mut AnyConnection,
    id: i64,
    (name, name_en): (&str, &str),
    version: i64,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE managed_software SET name = $1, name_en = $2, updated_at = $3, \
         version = version + 1 WHERE id = $4 AND version = $5",
    )
    .bind(name)
    .bind(name_en)
    .bind(now)
    .bind(id)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the rules of a managed software.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn set_rules(conn: &mut AnyConnection, id: i64, rules: &[Rule]) -> Result<(), DbError> {
    sqlx::query("DELETE FROM managed_software_rules WHERE managed_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for rule in rules {
        sqlx::query(
            "INSERT INTO managed_software_rules (managed_id, pattern, name, version) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(i64::from(rule.pattern))
        .bind(rule.name.as_str())
        .bind(rule.version.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Deletes a managed software; its licences keep existing without one.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<bool, DbError> {
    sqlx::query("UPDATE licences SET managed_id = NULL WHERE managed_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM managed_software_devices WHERE managed_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query("DELETE FROM managed_software WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// `d.department_id` in the scope, for queries that join `devices d`.
fn device_scope(w: &mut Where, scope: Option<&[i64]>) {
    if let Some(ids) = scope {
        w.push(ids_in("d.department_id", ids));
    }
}

/// The counts of every managed software (or of those in `only`), over devices and licences
/// in `scope` (`None`: all): owned, consumed, (assigned, assigned with an install), by
/// managed id.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn counts(
    db: &Db,
    scope: Option<&[i64]>,
    only: Option<&[i64]>,
) -> Result<HashMap<i64, (i64, i64, (i64, i64))>, DbError> {
    let mut out: HashMap<i64, (i64, i64, (i64, i64))> = HashMap::new();
    let mut w = Where::new();
    let disposed = w.int(builtin::LICENCE_DISPOSED);
    w.push(format!("l.status_id <> {disposed}"));
    w.push("l.managed_id IS NOT NULL");
    if let Some(ids) = scope {
        w.push(ids_in("l.department_id", ids));
    }
    if let Some(ids) = only {
        w.push(ids_in("l.managed_id", ids));
    }
    let sql = format!(
        "SELECT l.managed_id, CAST(SUM(l.held) AS BIGINT) FROM licences l{} GROUP BY l.managed_id",
        w.clause()
    );
    for row in w.apply(sqlx::query(&sql)).fetch_all(db.read()).await? {
        out.entry(row.try_get(0)?).or_default().0 = row.try_get(1)?;
    }
    let mut w = Where::new();
    device_scope(&mut w, scope);
    if let Some(ids) = only {
        w.push(ids_in("p.managed_id", ids));
    }
    let join = if scope.is_some() {
        " JOIN devices d ON d.id = p.device_id"
    } else {
        ""
    };
    let sql = format!(
        "SELECT p.managed_id, COUNT(*) FROM managed_software_devices p{join}{} GROUP BY p.managed_id",
        w.clause()
    );
    for row in w.apply(sqlx::query(&sql)).fetch_all(db.read()).await? {
        out.entry(row.try_get(0)?).or_default().1 = row.try_get(1)?;
    }
    let mut w = Where::new();
    let disposed = w.int(builtin::LICENCE_DISPOSED);
    w.push(format!("l.status_id <> {disposed}"));
    w.push("l.managed_id IS NOT NULL");
    device_scope(&mut w, scope);
    if let Some(ids) = only {
        w.push(ids_in("l.managed_id", ids));
    }
    let sql = format!(
        "SELECT x.managed_id, COUNT(*), CAST(SUM(x.installed) AS BIGINT) FROM (\
           SELECT DISTINCT l.managed_id, a.device_id, \
             CASE WHEN EXISTS (SELECT 1 FROM managed_software_devices p \
               WHERE p.managed_id = l.managed_id AND p.device_id = a.device_id) THEN 1 ELSE 0 END \
               AS installed \
           FROM licence_assignments a JOIN licences l ON l.id = a.licence_id \
           JOIN devices d ON d.id = a.device_id{}) x GROUP BY x.managed_id",
        w.clause()
    );
    for row in w.apply(sqlx::query(&sql)).fetch_all(db.read()).await? {
        out.entry(row.try_get(0)?).or_default().2 = (row.try_get(1)?, row.try_get(2)?);
    }
    Ok(out)
}

/// One managed software's figures by department (held by licence department, consumed and
/// assigned by device department), within `scope`.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn department_shares(
    db: &Db,
    managed_id: i64,
    scope: Option<&[i64]>,
) -> Result<Vec<DepartmentShare>, DbError> {
    let mut shares: HashMap<Option<i64>, DepartmentShare> = HashMap::new();
    let scope_sql =
        |column: &str| scope.map_or(String::new(), |ids| format!(" AND {}", ids_in(column, ids)));
    let rows = sqlx::query(&format!(
        "SELECT l.department_id, CAST(SUM(l.held) AS BIGINT) FROM licences l WHERE l.managed_id = $1 \
         AND l.status_id <> $2{} GROUP BY l.department_id",
        scope_sql("l.department_id")
    ))
    .bind(managed_id)
    .bind(builtin::LICENCE_DISPOSED)
    .fetch_all(db.read())
    .await?;
    for row in &rows {
        let department: Option<i64> = row.try_get(0)?;
        shares.entry(department).or_default().owned = row.try_get(1)?;
    }
    let rows = sqlx::query(&format!(
        "SELECT d.department_id, COUNT(*) FROM managed_software_devices p \
         JOIN devices d ON d.id = p.device_id WHERE p.managed_id = $1{} GROUP BY d.department_id",
        scope_sql("d.department_id")
    ))
    .bind(managed_id)
    .fetch_all(db.read())
    .await?;
    for row in &rows {
        let department: Option<i64> = row.try_get(0)?;
        shares.entry(department).or_default().consumed = row.try_get(1)?;
    }
    let rows = sqlx::query(&format!(
        "SELECT d.department_id, COUNT(DISTINCT a.device_id) FROM licence_assignments a \
         JOIN licences l ON l.id = a.licence_id JOIN devices d ON d.id = a.device_id \
         WHERE l.managed_id = $1 AND l.status_id <> $2{} GROUP BY d.department_id",
        scope_sql("d.department_id")
    ))
    .bind(managed_id)
    .bind(builtin::LICENCE_DISPOSED)
    .fetch_all(db.read())
    .await?;
    for row in &rows {
        let department: Option<i64> = row.try_get(0)?;
        shares.entry(department).or_default().assigned = row.try_get(1)?;
    }
    let mut out: Vec<DepartmentShare> = shares
        .into_iter()
        .map(|(department_id, mut share)| {
            share.department_id = department_id;
            share.remaining = share.owned - share.consumed;
            share
        })
        .collect();
    out.sort_by_key(|s| (s.department_id.is_none(), s.department_id));
    Ok(out)
}

/// Which devices a managed software's tab lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceView {
    /// Installed computers; `true`: only those without an assignment (unauthorised).
    Installed(bool),
    /// Assigned computers; `true`: only those without an install (idle).
    Assigned(bool),
}

/// A page of a managed software's installed or assigned devices, by device id.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn devices(
    db: &Db,
    managed_id: i64,
    view: DeviceView,
    scope: Option<&[i64]>,
    (after, limit): (i64, u32),
) -> Result<Vec<LicensedDevice>, DbError> {
    let installed = "EXISTS (SELECT 1 FROM managed_software_devices p \
                     WHERE p.managed_id = $1 AND p.device_id = d.id)";
    let assigned =
        "EXISTS (SELECT 1 FROM licence_assignments a JOIN licences l ON l.id = a.licence_id \
                    WHERE l.managed_id = $1 AND l.status_id <> $2 AND a.device_id = d.id)";
    let (base, only) = match view {
        DeviceView::Installed(only) => (installed, only.then(|| format!("NOT {assigned}"))),
        DeviceView::Assigned(only) => (assigned, only.then(|| format!("NOT {installed}"))),
    };
    let mut conditions = vec![base.to_string(), "d.id > $3".to_string()];
    conditions.extend(only);
    if let Some(ids) = scope {
        conditions.push(ids_in("d.department_id", ids));
    }
    let sql = format!(
        "SELECT d.id, d.hostname, d.department_id, \
         CASE WHEN {installed} THEN 1 ELSE 0 END, CASE WHEN {assigned} THEN 1 ELSE 0 END \
         FROM devices d WHERE {} ORDER BY d.id LIMIT $4",
        conditions.join(" AND ")
    );
    let rows = sqlx::query(&sql)
        .bind(managed_id)
        .bind(builtin::LICENCE_DISPOSED)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(db.read())
        .await?;
    rows.iter()
        .map(|row| {
            Ok(LicensedDevice {
                id: row.try_get(0)?,
                hostname: row.try_get(1)?,
                department_id: row.try_get(2)?,
                installed: row.try_get::<i64, _>(3)? != 0,
                assigned: row.try_get::<i64, _>(4)? != 0,
            })
        })
        .collect()
}
