//! The software → devices index (`software_devices`) and the install counts, maintained in
//! batches.
//!
//! An upload rewrites its device's install list (`device_installs`, one row per device) and
//! adds one row to `install_changes` listing the catalogue ids it added and removed.
//! The `inventory.index` cluster job merges queued rows, oldest first, into
//! `software_devices` and `install_counts` in one transaction, then retires them.
//! Indexing by software inside each upload dirtied one B-tree page per package; a merge of
//! hundreds of uploads writes each page once. The job looks every `flush_interval_ms` and
//! merges once [`FULL_BATCH_ROWS`] rows are queued or the oldest has waited [`MAX_LAG`]
//! (during a flood of first inventories, fewer and larger merges let 10 % more uploads
//! through); `device_installs` is always current.
//!
//! For one device, queued rows alternate add/remove for any catalogue id (each upload diffs
//! against `device_installs` under the device's row lock), so the net effect of a batch on a
//! (software, device) pair is −1, 0 or +1.

use std::time::Instant;

use crate::app::AppState;
use crate::core::db::{Backend, DbError};
use crate::core::metrics;
use crate::inventory::index_store::{self, InstallChange};

/// Queued rows read at a time while filling a merge.
const ROWS_PER_READ: i64 = 200;

/// Pairs one merge transaction takes at most (a first inventory brings 1,500; sorting them
/// holds ≈ 24 bytes each).
const PAIRS_PER_MERGE: usize = 1_500_000;

/// Queued rows that make a merge worth running before [`MAX_LAG`]. Larger merges cost about
/// the same per pair on this index (measured), but during a flood of first inventories they
/// run after the flood more than during it, where they compete with uploads for the cores.
const FULL_BATCH_ROWS: i64 = 1_000;

/// Longest the index trails a queued change.
const MAX_LAG: std::time::Duration = std::time::Duration::from_secs(10);

/// Whether the merge job should merge now: a full batch is queued, or something has been
/// waiting since the last merge for [`MAX_LAG`].
pub fn merge_due(queued_rows: i64, since_last_merge: std::time::Duration) -> bool {
    queued_rows >= FULL_BATCH_ROWS || (queued_rows > 0 && since_last_merge >= MAX_LAG)
}

/// What a batch of queued changes does to the index.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Merge {
    /// (software, device) pairs to add, in key order.
    pub inserts: Vec<[i64; 2]>,
    /// (software, device) pairs to remove, in key order.
    pub deletes: Vec<[i64; 2]>,
    /// (software, install-count change), non-zero only.
    pub deltas: Vec<[i64; 2]>,
    /// The queued rows this merge consumes.
    pub change_ids: Vec<i64>,
}

/// Nets a batch of queued changes, applied in order.
///
/// Sorting the signed pairs and summing each run keeps a batch of hundreds of thousands of
/// pairs off a hash map, and yields inserts, deletes and per-software deltas in key order.
pub fn merge(changes: &[InstallChange]) -> Merge {
    let mut signed: Vec<([i64; 2], i64)> = Vec::with_capacity(
        changes
            .iter()
            .map(|change| change.added.len() + change.removed.len())
            .sum(),
    );
    for change in changes {
        let device_id = change.device_id;
        signed.extend(change.added.iter().map(|id| ([*id, device_id], 1)));
        signed.extend(change.removed.iter().map(|id| ([*id, device_id], -1)));
    }
    signed.sort_unstable_by_key(|(pair, _)| *pair);
    let mut merge = Merge {
        change_ids: changes.iter().map(|change| change.id).collect(),
        ..Merge::default()
    };
    for run in signed.chunk_by(|a, b| a.0 == b.0) {
        let pair = run[0].0;
        let sign = run.iter().map(|(_, sign)| sign).sum::<i64>().signum();
        match sign {
            1 => merge.inserts.push(pair),
            -1 => merge.deletes.push(pair),
            _ => continue,
        }
        match merge.deltas.last_mut() {
            Some([software_id, delta]) if *software_id == pair[0] => *delta += sign,
            _ => merge.deltas.push([pair[0], sign]),
        }
    }
    merge.deltas.retain(|[_, delta]| *delta != 0);
    merge
}

/// Merges every queued change; returns how many queued rows were consumed.
///
/// One merge runs at a time: the cluster job runs on one node, and each merge transaction
/// holds a lock ([`index_store::lock_index`]) against a concurrent call on any node.
///
/// On PostgreSQL a merge deletes the queued rows it applied in its own transaction. On
/// SQLite the index is a file of its own with its own writer ([`Db::index_write`]), so the
/// merge never holds the lock uploads write under: it commits the pairs with the id of the
/// last row merged (`index_state`), then deletes the merged rows through the main writer;
/// rows at or below that mark are never merged twice, even if the deletion was lost.
///
/// [`Db::index_write`]: crate::core::db::Db::index_write
///
/// # Errors
/// [`DbError`] from the database; the batch being merged stays queued.
pub async fn merge_queued(state: &AppState) -> Result<usize, DbError> {
    let db = &state.db;
    let queued = index_store::count_install_changes(db).await?;
    ::metrics::gauge!(metrics::INDEX_QUEUED).set(queued as f64);
    let mut consumed = 0;
    loop {
        let started = Instant::now();
        let mut tx = db.index_write().begin().await?;
        index_store::lock_index(&mut tx, db.backend()).await?;
        let after = match db.backend() {
            Backend::Sqlite => index_store::merged_through(&mut tx).await?,
            Backend::Postgres => 0,
        };
        let (changes, exhausted) = fill_merge(&mut tx, after).await?;
        let Some(last) = changes.last().map(|change| change.id) else {
            tx.rollback().await?;
            if db.backend() == Backend::Sqlite && consumed == 0 && queued > 0 {
                // Rows merged before a crash cut their deletion short.
                retire_merged(db, after).await?;
            }
            return Ok(consumed);
        };
        let batch = merge(&changes);
        index_store::apply_index_changes(&mut tx, db.backend(), &batch).await?;
        match db.backend() {
            Backend::Sqlite => index_store::set_merged_through(&mut tx, last).await?,
            Backend::Postgres => {
                index_store::drop_install_changes(&mut tx, &batch.change_ids).await?
            }
        }
        tx.commit().await?;
        if db.backend() == Backend::Sqlite {
            retire_merged(db, last).await?;
        }
        consumed += changes.len();
        ::metrics::histogram!(metrics::INDEX_MERGE_SECONDS).record(started.elapsed().as_secs_f64());
        ::metrics::counter!(metrics::INDEX_PAIRS)
            .increment((batch.inserts.len() + batch.deletes.len()) as u64);
        ::metrics::gauge!(metrics::INDEX_QUEUED).decrement(changes.len() as f64);
        if exhausted {
            return Ok(consumed);
        }
    }
}

/// Deletes the queued rows up to `last` from SQLite's main file, once the index file holds
/// them as merged.
async fn retire_merged(db: &crate::core::db::Db, last: i64) -> Result<(), DbError> {
    let main = db.clone();
    db.on_writer(async move {
        let mut conn = main.write().acquire().await?;
        index_store::drop_install_changes_through(&mut conn, last).await
    })
    .await
}

/// Reads queued rows after id `after` until [`PAIRS_PER_MERGE`] pairs; also says whether
/// the queue ran out.
async fn fill_merge(
    conn: &mut sqlx::AnyConnection,
    mut after: i64,
) -> Result<(Vec<InstallChange>, bool), DbError> {
    let mut changes = Vec::new();
    let mut pairs = 0;
    while pairs < PAIRS_PER_MERGE {
        let read = index_store::list_install_changes(conn, after, ROWS_PER_READ).await?;
        let exhausted = (read.len() as i64) < ROWS_PER_READ;
        pairs += read
            .iter()
            .map(|change| change.added.len() + change.removed.len())
            .sum::<usize>();
        if let Some(last) = read.last() {
            after = last.id;
        }
        changes.extend(read);
        if exhausted {
            return Ok((changes, true));
        }
    }
    Ok((changes, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(id: i64, device_id: i64, added: &[i64], removed: &[i64]) -> InstallChange {
        InstallChange {
            id,
            device_id,
            added: added.to_vec(),
            removed: removed.to_vec(),
        }
    }

    #[test]
    fn a_batch_nets_out_per_pair() {
        let batch = merge(&[
            change(1, 10, &[1, 2, 3], &[]),
            change(2, 11, &[1], &[]),
            // Device 10: 2 removed again and 4 added; 3 removed and re-added.
            change(3, 10, &[4], &[2, 3]),
            change(4, 10, &[3], &[]),
            // Device 12 loses 5, which it had before this batch.
            change(5, 12, &[], &[5]),
        ]);
        assert_eq!(batch.inserts, vec![[1, 10], [1, 11], [3, 10], [4, 10]]);
        assert_eq!(batch.deletes, vec![[5, 12]]);
        assert_eq!(batch.deltas, vec![[1, 2], [3, 1], [4, 1], [5, -1]]);
        assert_eq!(batch.change_ids, vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_merge_waits_for_a_full_batch_or_the_longest_lag() {
        let soon = std::time::Duration::from_secs(1);
        assert!(!merge_due(0, MAX_LAG * 2), "nothing queued");
        assert!(!merge_due(FULL_BATCH_ROWS - 1, soon));
        assert!(merge_due(FULL_BATCH_ROWS, soon));
        assert!(merge_due(1, MAX_LAG));
    }

    #[test]
    fn an_empty_batch_changes_nothing() {
        assert_eq!(merge(&[]), Merge::default());
    }
}
