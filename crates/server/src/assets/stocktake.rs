//! Stocktaking (棚卸) beyond the bulk form: a file of asset or licence numbers (what a
//! barcode reader produces, one per line) applies a day to every number found and lists the
//! numbers that are not in the ledger; and the automatic stocktake, which gives an asset the
//! day its representative device was last in contact.

use serde::Serialize;
use sqlx::Row;

use crate::app::AppState;
use crate::audit::model::{Category, NewAuditEntry, Object, Op, Origin};
use crate::core::auth::{Actor, Division};
use crate::core::csv::CsvEncoding;
use crate::core::db::{Db, DbError};
use crate::core::error::AppError;
use crate::core::time::now_ms;

/// Most numbers one file may carry.
pub const MAX_NUMBERS: usize = 100_000;

/// Which ledger the numbers are of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ledger {
    /// Asset numbers (資産管理番号).
    Assets,
    /// Licence numbers (ライセンス管理番号).
    Licences,
}

impl Ledger {
    /// The table and its number column.
    pub fn table(self) -> (&'static str, &'static str) {
        match self {
            Ledger::Assets => ("hardware_assets", "asset_number"),
            Ledger::Licences => ("licences", "licence_number"),
        }
    }

    /// Header names a file may start with (skipped).
    fn headers(self) -> &'static [&'static str] {
        match self {
            Ledger::Assets => &["資産管理番号", "asset_number", "Asset number"],
            Ledger::Licences => &["ライセンス管理番号", "licence_number", "Licence number"],
        }
    }
}

/// What a file of numbers did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Outcome {
    /// Records whose stocktake day was set.
    pub updated: usize,
    /// Numbers not in the ledger (or outside the reader's departments): (line, number).
    pub unknown: Vec<(usize, String)>,
}

/// The numbers of a file: the first cell of each line, trimmed, header and blank lines left
/// out, with their line numbers.
///
/// # Errors
/// 400 naming the encoding problem or a file with too many numbers.
pub fn numbers_of(
    bytes: &[u8],
    encoding: CsvEncoding,
    ledger: Ledger,
) -> Result<Vec<(usize, String)>, AppError> {
    let text = encoding
        .decode(bytes)
        .map_err(|error| AppError::invalid("file", error.to_string()))?;
    let mut numbers = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let first = line
            .split(',')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"')
            .trim();
        if first.is_empty() || (index == 0 && ledger.headers().contains(&first)) {
            continue;
        }
        crate::core::extract::check_plain_text("file", first, 255)?;
        numbers.push((index + 1, first.to_string()));
        if numbers.len() > MAX_NUMBERS {
            return Err(AppError::invalid(
                "file",
                format!("a file carries at most {MAX_NUMBERS} numbers"),
            ));
        }
    }
    Ok(numbers)
}

/// Sets the stocktake day of every record whose number the file lists (in the actor's
/// departments), in one transaction; lists the numbers not found.
///
/// # Errors
/// 400 for a bad day or file; 403 without the assets division.
pub async fn by_numbers(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    (ledger, day): (Ledger, &str),
    (bytes, encoding): (&[u8], CsvEncoding),
) -> Result<Outcome, AppError> {
    actor.require_division(Division::Assets)?;
    let day = crate::assets::values::day("on", day)?;
    let numbers = numbers_of(bytes, encoding, ledger)?;
    let (table, column) = ledger.table();
    let scope = match &actor.scope {
        crate::core::auth::Scope::All => String::new(),
        crate::core::auth::Scope::Departments(ids) => {
            format!(" AND {}", crate::core::sql::ids_in("department_id", ids))
        }
    };
    let mut outcome = Outcome::default();
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    let sql = format!(
        "UPDATE {table} SET stocktaken_on = $1, updated_at = $2, version = version + 1 \
         WHERE {column} = $3 AND {column} <> ''{scope}"
    );
    let now = now_ms();
    for (line, number) in numbers {
        let done = sqlx::query(&sql)
            .bind(day.as_str())
            .bind(now)
            .bind(number.as_str())
            .execute(&mut *tx)
            .await
            .map_err(DbError::from)?;
        if done.rows_affected() == 0 {
            outcome.unknown.push((line, number));
        } else {
            outcome.updated += 1;
        }
    }
    let entry = NewAuditEntry::by_actor(
        actor,
        origin,
        (Category::ContentAccess, Op::Import, Object::AssetInfo),
        String::new(),
        serde_json::json!({"stocktake": table, "on": day, "updated": outcome.updated, "unknown": outcome.unknown.len()}),
    );
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(outcome)
}

/// The automatic stocktake from the last contact: assets whose representative device was in
/// contact on `today` (from `day_start`, Unix ms) get `today` as their stocktake day.
/// Returns how many changed.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn from_last_contact(db: &Db, day_start: i64, today: &str) -> Result<u64, DbError> {
    let mode: String = sqlx::query("SELECT stocktake_auto FROM ledger_settings WHERE id = 1")
        .fetch_one(db.read())
        .await?
        .try_get(0)?;
    if mode != "last_contact" {
        return Ok(0);
    }
    let done = sqlx::query(
        "UPDATE hardware_assets SET stocktaken_on = $1 WHERE device_id IN \
         (SELECT id FROM devices WHERE last_seen >= $2) \
         AND (stocktaken_on IS NULL OR stocktaken_on < $1)",
    )
    .bind(today)
    .bind(day_start)
    .execute(db.write())
    .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_skip_the_header_and_blank_lines() {
        let file = "資産管理番号\r\nHW-1\r\n\r\n\"HW-2\",extra\r\n HW-3 \r\n";
        let numbers =
            numbers_of(file.as_bytes(), CsvEncoding::Utf8, Ledger::Assets).expect("numbers");
        assert_eq!(
            numbers,
            vec![(2, "HW-1".into()), (4, "HW-2".into()), (5, "HW-3".into())]
        );
        let sjis = encoding_rs::SHIFT_JIS.encode("資産管理番号\nＨＷ－９\n").0;
        assert!(numbers_of(&sjis, CsvEncoding::Utf8, Ledger::Assets).is_err());
        let numbers = numbers_of(&sjis, CsvEncoding::ShiftJis, Ledger::Assets).expect("sjis");
        assert_eq!(numbers, vec![(2, "ＨＷ－９".into())]);
    }
}
