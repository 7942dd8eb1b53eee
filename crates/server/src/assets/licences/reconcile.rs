//! Keeping "device X has managed software Y installed" (`managed_software_devices`) current,
//! so reconciliation reads counts instead of scanning every install list.
//!
//! An upload that changes a device's installs queues the device (`licence_pending`, in the
//! upload's transaction); a rule change queues every device. The `licences.reconcile` job
//! first matches catalogue entries created since it last looked against the rules
//! (`managed_software_members`), then takes queued devices in batches, reads their current
//! install lists (`device_installs`, always current) and sets their pairs to what the lists
//! say. Recomputing from the current list makes the work idempotent and order-free: a device
//! queued twice, or processed while another upload queues it again, ends up right.
//!
//! **Invariant:** a queued device's mark is taken (deleted) in the same transaction that reads
//! its install list. On PostgreSQL an upload marks with `DO UPDATE`, which locks the row, so a
//! mark made by an upload still running is deleted only after that upload commits, and the
//! read that follows sees its installs. On SQLite one writer serializes both.

use sqlx::{AnyConnection, Row};

use crate::assets::licences::matching::Rule;
use crate::core::db::{pack_pair, packed_pairs, packed_param, Backend, Db, DbError};
use crate::core::sql::ids_in;

/// Devices read per transaction.
const DEVICES_PER_BATCH: i64 = 5_000;
/// Catalogue entries matched per read.
const CATALOGUE_PAGE: i64 = 5_000;

/// Queues a device whose installs changed (in the upload's transaction).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn mark_pending(conn: &mut AnyConnection, device_id: i64) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO licence_pending (device_id) VALUES ($1) \
         ON CONFLICT (device_id) DO UPDATE SET device_id = excluded.device_id",
    )
    .bind(device_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Queues every device with installs (after a rule change).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn mark_all_pending(conn: &mut AnyConnection) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO licence_pending (device_id) SELECT device_id FROM device_installs \
         WHERE true ON CONFLICT (device_id) DO NOTHING",
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets a device being deleted (its pairs and queue mark), in the deleting transaction.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn forget_device(conn: &mut AnyConnection, device_id: i64) -> Result<(), DbError> {
    sqlx::query("DELETE FROM managed_software_devices WHERE device_id = $1")
        .bind(device_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM licence_pending WHERE device_id = $1")
        .bind(device_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// How many devices wait to be reconciled.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn pending_count(db: &Db) -> Result<i64, DbError> {
    let row = sqlx::query("SELECT COUNT(*) FROM licence_pending")
        .fetch_one(db.read())
        .await?;
    Ok(row.try_get(0)?)
}

/// Every managed software's rules.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn all_rules(conn: &mut AnyConnection) -> Result<Vec<(i64, Rule)>, DbError> {
    let rows = sqlx::query(
        "SELECT managed_id, pattern, name, version FROM managed_software_rules ORDER BY id",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get(0)?,
                Rule {
                    pattern: row.try_get::<i64, _>(1)? != 0,
                    name: row.try_get(2)?,
                    version: row.try_get(3)?,
                },
            ))
        })
        .collect()
}

/// The (managed software, catalogue entry) pairs the rules give for some catalogue entries.
pub fn members_of(rules: &[(i64, Rule)], entries: &[(i64, String, String)]) -> Vec<(i64, i64)> {
    let mut members = Vec::new();
    for (software_id, name, version) in entries {
        let mut matched: Vec<i64> = rules
            .iter()
            .filter(|(_, rule)| rule.matches(name, version))
            .map(|(managed, _)| *managed)
            .collect();
        matched.sort_unstable();
        matched.dedup();
        members.extend(matched.into_iter().map(|managed| (managed, *software_id)));
    }
    members
}

/// Writes member pairs (existing ones are kept).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn insert_members(
    conn: &mut AnyConnection,
    backend: Backend,
    members: &[(i64, i64)],
) -> Result<(), DbError> {
    let packed: Vec<i64> = members
        .iter()
        .filter_map(|(managed, software)| pack_pair(*managed, *software))
        .collect();
    if packed.is_empty() {
        return Ok(());
    }
    let source = packed_pairs(backend, 1, "managed_id", "software_id");
    sqlx::query(&format!(
        "INSERT INTO managed_software_members (managed_id, software_id) \
         SELECT * FROM ({source}) AS m WHERE true ON CONFLICT (managed_id, software_id) DO NOTHING"
    ))
    .bind(packed_param(backend, &packed))
    .execute(conn)
    .await?;
    Ok(())
}

/// Recomputes the members of one managed software from its rules over the whole catalogue
/// (in the caller's transaction, after its rules changed).
///
/// # Errors
/// [`DbError`] from the database.
pub async fn rebuild_members(
    conn: &mut AnyConnection,
    backend: Backend,
    managed_id: i64,
    rules: &[Rule],
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM managed_software_members WHERE managed_id = $1")
        .bind(managed_id)
        .execute(&mut *conn)
        .await?;
    let rules: Vec<(i64, Rule)> = rules.iter().map(|r| (managed_id, r.clone())).collect();
    let mut after = 0;
    loop {
        let entries =
            crate::inventory::store::software_names_after(conn, after, CATALOGUE_PAGE).await?;
        let Some(last) = entries.last().map(|e| e.0) else {
            break;
        };
        insert_members(conn, backend, &members_of(&rules, &entries)).await?;
        after = last;
    }
    Ok(())
}

/// Matches catalogue entries created since the last run against every rule.
async fn extend_members(db: &Db) -> Result<(), DbError> {
    let mut tx = db.write().begin().await?;
    let through: i64 = sqlx::query("SELECT members_through FROM licence_state WHERE id = 1")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    let rules = all_rules(&mut tx).await?;
    let mut after = through;
    loop {
        let entries =
            crate::inventory::store::software_names_after(&mut tx, after, CATALOGUE_PAGE).await?;
        let Some(last) = entries.last().map(|e| e.0) else {
            break;
        };
        insert_members(&mut tx, db.backend(), &members_of(&rules, &entries)).await?;
        after = last;
    }
    if after != through {
        sqlx::query("UPDATE licence_state SET members_through = $1 WHERE id = 1")
            .bind(after)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Which managed software each catalogue entry belongs to, indexed by catalogue id: a
/// lookup per install, 200 per device, is the inner loop of a recount, and hashing was a
/// third of it.
#[derive(Debug, Default)]
pub struct Members {
    /// `starts[id]..starts[id + 1]` is the slice of `managed` for catalogue id `id`.
    starts: Vec<u32>,
    managed: Vec<i64>,
}

impl Members {
    /// From `(software_id, managed_id)` pairs.
    pub fn new(mut pairs: Vec<(i64, i64)>) -> Members {
        pairs.sort_unstable();
        let top = pairs.last().map_or(0, |(s, _)| *s).max(0) as usize;
        let mut starts = vec![0u32; top + 2];
        for (software, _) in &pairs {
            if let Ok(index) = usize::try_from(*software) {
                starts[index + 1] += 1;
            }
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        Members {
            starts,
            managed: pairs
                .into_iter()
                .filter(|(s, _)| *s >= 0)
                .map(|(_, m)| m)
                .collect(),
        }
    }

    /// The managed software a catalogue entry belongs to.
    pub fn of(&self, software_id: i64) -> &[i64] {
        let Ok(index) = usize::try_from(software_id) else {
            return &[];
        };
        match (self.starts.get(index), self.starts.get(index + 1)) {
            (Some(&start), Some(&end)) => &self.managed[start as usize..end as usize],
            _ => &[],
        }
    }
}

async fn member_map(conn: &mut AnyConnection) -> Result<Members, DbError> {
    let rows = sqlx::query("SELECT software_id, managed_id FROM managed_software_members")
        .fetch_all(conn)
        .await?;
    let pairs = rows
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect::<Result<Vec<(i64, i64)>, DbError>>()?;
    Ok(Members::new(pairs))
}

/// The managed software a device's installs match, sorted and distinct.
pub fn matched(installed: &[i64], members: &Members) -> Vec<i64> {
    let mut found: Vec<i64> = installed
        .iter()
        .flat_map(|id| members.of(*id))
        .copied()
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

/// Reconciles one batch of queued devices; returns how many it took.
async fn reconcile_batch(db: &Db) -> Result<usize, DbError> {
    let backend = db.backend();
    let mut tx = db.write().begin().await?;
    let rows = sqlx::query(
        "DELETE FROM licence_pending WHERE device_id IN \
         (SELECT device_id FROM licence_pending ORDER BY device_id LIMIT $1) RETURNING device_id",
    )
    .bind(DEVICES_PER_BATCH)
    .fetch_all(&mut *tx)
    .await?;
    let devices: Vec<i64> = rows
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    if devices.is_empty() {
        tx.rollback().await?;
        return Ok(0);
    }
    let members = member_map(&mut tx).await?;
    let installs = crate::inventory::store::installed_ids(&mut tx, &devices).await?;
    let mut wanted: Vec<i64> = Vec::new();
    for (device, ids) in &installs {
        let matched = matched(ids, &members);
        wanted.extend(matched.into_iter().filter_map(|m| pack_pair(m, *device)));
    }
    wanted.sort_unstable();
    let current = current_pairs(&mut tx, backend, &devices).await?;
    let (added, removed) = sorted_difference(&wanted, &current);
    if !removed.is_empty() {
        let source = packed_pairs(backend, 1, "m", "d");
        sqlx::query(&format!(
            "DELETE FROM managed_software_devices WHERE (managed_id, device_id) IN \
             (SELECT m, d FROM ({source}) AS p)"
        ))
        .bind(packed_param(backend, &removed))
        .execute(&mut *tx)
        .await?;
    }
    if !added.is_empty() {
        // Every device here has an install list, and every managed id a member row, read in
        // this transaction; deleting a device or a managed software deletes its pairs in its
        // own transaction (`forget_device`, `managed_store::delete`).
        let source = packed_pairs(backend, 1, "managed_id", "device_id");
        sqlx::query(&format!(
            "INSERT INTO managed_software_devices (managed_id, device_id) \
             SELECT p.managed_id, p.device_id FROM ({source}) AS p WHERE true \
             ON CONFLICT (managed_id, device_id) DO NOTHING"
        ))
        .bind(packed_param(backend, &added))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(devices.len())
}

/// The stored pairs of some devices, packed (`managed << 32 | device`) and sorted; read as one
/// row the database joins, for the same reason as the install lists.
async fn current_pairs(
    conn: &mut AnyConnection,
    backend: Backend,
    devices: &[i64],
) -> Result<Vec<i64>, DbError> {
    let pair = "CAST(managed_id * 4294967296 + device_id AS TEXT)";
    let aggregate = match backend {
        Backend::Sqlite => format!("group_concat({pair}, ',')"),
        Backend::Postgres => format!("string_agg({pair}, ',')"),
    };
    let joined: String = sqlx::query(&format!(
        "SELECT COALESCE({aggregate}, '') FROM managed_software_devices WHERE {}",
        ids_in("device_id", devices)
    ))
    .fetch_one(conn)
    .await?
    .try_get(0)?;
    let mut pairs = joined
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<i64>()
                .map_err(|e| DbError::Corrupt(e.to_string()))
        })
        .collect::<Result<Vec<i64>, DbError>>()?;
    pairs.sort_unstable();
    Ok(pairs)
}

/// What is in `wanted` and not in `current` (to add), and the reverse (to remove); both
/// sorted.
pub fn sorted_difference(wanted: &[i64], current: &[i64]) -> (Vec<i64>, Vec<i64>) {
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < wanted.len() || j < current.len() {
        match (wanted.get(i), current.get(j)) {
            (Some(w), Some(c)) if w == c => {
                i += 1;
                j += 1;
            }
            (Some(w), Some(c)) if w < c => {
                added.push(*w);
                i += 1;
            }
            (Some(_), Some(c)) => {
                removed.push(*c);
                j += 1;
            }
            (Some(w), None) => {
                added.push(*w);
                i += 1;
            }
            (None, Some(c)) => {
                removed.push(*c);
                j += 1;
            }
            (None, None) => break,
        }
    }
    (added, removed)
}

/// Matches new catalogue entries, then reconciles every queued device; returns how many.
///
/// # Errors
/// [`DbError`] from the database; the batch in progress stays queued.
pub async fn run(db: &Db) -> Result<usize, DbError> {
    extend_members(db).await?;
    let mut done = 0;
    loop {
        let main = db.clone();
        let taken = db
            .on_writer(async move { reconcile_batch(&main).await })
            .await?;
        if taken == 0 {
            return Ok(done);
        }
        done += taken;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_matches() {
        let rules = vec![
            (
                1,
                Rule {
                    pattern: true,
                    name: "libreoffice-*".into(),
                    version: String::new(),
                },
            ),
            (
                2,
                Rule {
                    pattern: false,
                    name: "firefox-esr".into(),
                    version: "115*".into(),
                },
            ),
            (
                1,
                Rule {
                    pattern: false,
                    name: "libreoffice-calc".into(),
                    version: String::new(),
                },
            ),
        ];
        let entries = vec![
            (10, "libreoffice-calc".to_string(), "7.4".to_string()),
            (11, "firefox-esr".to_string(), "115.3".to_string()),
            (12, "firefox-esr".to_string(), "128.0".to_string()),
            (13, "vim".to_string(), "9.0".to_string()),
        ];
        assert_eq!(members_of(&rules, &entries), vec![(1, 10), (2, 11)]);
        let map = Members::new(vec![(11, 2), (10, 1), (11, 1)]);
        assert_eq!(matched(&[10, 13, 11, 99_999], &map), vec![1, 2]);
        assert!(matched(&[12, 13], &map).is_empty());
        assert_eq!(map.of(11), &[1, 2]);
        assert_eq!(
            sorted_difference(&[1, 3, 5, 7], &[2, 3, 7, 9]),
            (vec![1, 5], vec![2, 9])
        );
        assert_eq!(sorted_difference(&[], &[4]), (vec![], vec![4]));
    }
}
