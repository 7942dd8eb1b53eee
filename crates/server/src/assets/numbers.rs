//! Record numbers (資産管理番号, ライセンス管理番号) to ids and back: the console names the
//! assets and licences a contract covers by their numbers, as people write them on paper.

use crate::assets::stocktake::Ledger;
use crate::core::auth::{Actor, Scope};
use crate::core::db::{Db, DbError};
use crate::core::error::AppError;

/// The ids of the records numbered `numbers` that the actor sees, in order.
///
/// # Errors
/// 400 listing the numbers that name no record the actor sees.
pub async fn ids_of(
    db: &Db,
    actor: &Actor,
    ledger: Ledger,
    (field, numbers): (&str, &[String]),
) -> Result<Vec<i64>, AppError> {
    let (table, column) = ledger.table();
    let scope = match &actor.scope {
        Scope::All => String::new(),
        Scope::Departments(ids) => {
            format!(" AND {}", crate::core::sql::ids_in("department_id", ids))
        }
    };
    let sql = format!("SELECT id FROM {table} WHERE {column} = $1 AND {column} <> ''{scope}");
    let mut ids = Vec::with_capacity(numbers.len());
    let mut unknown = Vec::new();
    let mut conn = db.read().acquire().await.map_err(DbError::from)?;
    for number in numbers {
        let id: Option<i64> = sqlx::query_scalar(&sql)
            .bind(number.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(DbError::from)?;
        match id {
            Some(id) if !ids.contains(&id) => ids.push(id),
            Some(_) => {}
            None => unknown.push(number.as_str()),
        }
    }
    if unknown.is_empty() {
        Ok(ids)
    } else {
        Err(AppError::invalid(
            field,
            format!("no such number: {}", unknown.join(", ")),
        ))
    }
}

/// The numbers of the records `ids` (a record without a number shows as `#id`).
///
/// # Errors
/// Storage errors.
pub async fn numbers_of(
    db: &Db,
    ledger: Ledger,
    ids: &[i64],
) -> Result<Vec<(i64, String)>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (table, column) = ledger.table();
    let sql = format!(
        "SELECT id, {column} FROM {table} WHERE {} ORDER BY {column}, id",
        crate::core::sql::ids_in("id", ids)
    );
    let rows: Vec<(i64, String)> = sqlx::query_as(&sql)
        .fetch_all(db.read())
        .await
        .map_err(DbError::from)?;
    Ok(rows
        .into_iter()
        .map(|(id, number)| {
            let shown = if number.is_empty() {
                format!("#{id}")
            } else {
                number
            };
            (id, shown)
        })
        .collect())
}
