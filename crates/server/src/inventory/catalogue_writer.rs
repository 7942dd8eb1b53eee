//! Creating catalogue entries for concurrent uploads together.
//!
//! A first inventory in a growing estate brings a few dozen entries the catalogue has never
//! seen. Created upload by upload, each small insert paid a whole commit and dirtied its own
//! scattered index pages while holding SQLite's only writer (37–217 µs per row measured).
//! Uploads therefore hand their cache misses to one task per node, which gathers the requests
//! waiting (and, on a busy node, those arriving within [`GATHER_WINDOW`]), creates the union
//! in one transaction in key order, looks up the entries that existed already and decides
//! "new software" for all of them at once, then answers each upload with the ids of its own
//! keys.
//!
//! A name is new when no entry of that name existed before the first one created for it;
//! the event goes to the upload that listed that first entry first in the batch.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::core::db::{Db, DbError};
use crate::core::time::now_ms;
use crate::inventory::catalogue::SoftwareCatalogue;
use crate::inventory::diff::SoftwareKey;
use crate::inventory::store::{self, NewSoftware};

/// Rows gathered into one batch before it is written; a single request larger than this is
/// written alone.
const MAX_BATCH_ROWS: usize = 20_000;

/// How long a batch keeps gathering requests after its first one while the node is busy.
/// Every new entry dirties a page of the catalogue's key index wherever its key falls; ten
/// uploads' misses written together share many of those pages, where written a few uploads
/// at a time each paid its own (≈ 4 KB of WAL per entry). On an idle node nothing waits.
const GATHER_WINDOW: Duration = Duration::from_millis(30);

/// What the catalogue holds for one upload's missing keys.
#[derive(Debug, Default)]
pub struct Resolution {
    /// Catalogue id of every key asked for.
    pub ids: HashMap<SoftwareKey, i64>,
    /// Keys that are the first entry of a name the catalogue never held before, in name
    /// order: "new software found" for this upload.
    pub new_names: Vec<SoftwareKey>,
}

struct Request {
    rows: Vec<NewSoftware>,
    reply: oneshot::Sender<Result<Resolution, String>>,
}

/// The handle uploads use; the task it feeds ends when the last handle is dropped.
pub struct CatalogueWriter {
    requests: mpsc::UnboundedSender<Request>,
}

impl CatalogueWriter {
    /// Starts the node's writer task (on the database's writer thread, as its batches are
    /// write transactions).
    pub fn start(db: Db, cache: Arc<SoftwareCatalogue>) -> CatalogueWriter {
        let (requests, receiver) = mpsc::unbounded_channel();
        db.clone().spawn_writer(run(db, cache, receiver));
        CatalogueWriter { requests }
    }

    /// Finds or creates the entries of `rows`, which the cache did not hold.
    ///
    /// # Errors
    /// The database's error as text; nothing this call created is cached then.
    pub async fn resolve(&self, rows: Vec<NewSoftware>) -> Result<Resolution, String> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request { rows, reply })
            .map_err(|_| "the catalogue writer has stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the catalogue writer has stopped".to_string())?
    }
}

async fn run(
    db: Db,
    cache: Arc<SoftwareCatalogue>,
    mut receiver: mpsc::UnboundedReceiver<Request>,
) {
    // Whether the last batch found other requests waiting besides its first: a busy node,
    // where waiting a little longer fills the next batch; an idle one answers at once.
    let mut busy = false;
    while let Some(first) = receiver.recv().await {
        let mut rows = first.rows.len();
        let mut batch = vec![first];
        let window = if busy { GATHER_WINDOW } else { Duration::ZERO };
        let deadline = tokio::time::Instant::now() + window;
        while rows < MAX_BATCH_ROWS {
            let next = match receiver.try_recv() {
                Ok(request) => Some(request),
                Err(mpsc::error::TryRecvError::Disconnected) => None,
                Err(mpsc::error::TryRecvError::Empty) => {
                    tokio::time::timeout_at(deadline, receiver.recv())
                        .await
                        .ok()
                        .flatten()
                }
            };
            match next {
                Some(request) => {
                    rows += request.rows.len();
                    batch.push(request);
                }
                None => break,
            }
        }
        busy = batch.len() > 1;
        let asked: Vec<&[NewSoftware]> = batch.iter().map(|r| r.rows.as_slice()).collect();
        match resolve_batch(&db, &cache, &asked).await {
            Ok(resolutions) => {
                for (request, resolution) in batch.into_iter().zip(resolutions) {
                    let _ = request.reply.send(Ok(resolution));
                }
            }
            Err(error) => {
                let text = error.to_string();
                tracing::error!(message = "Could not create catalogue entries.", error = %text);
                for request in batch {
                    let _ = request.reply.send(Err(text.clone()));
                }
            }
        }
    }
}

/// Resolves a batch of requests: one [`Resolution`] per request, in order.
async fn resolve_batch(
    db: &Db,
    cache: &SoftwareCatalogue,
    asked: &[&[NewSoftware]],
) -> Result<Vec<Resolution>, DbError> {
    let backend = db.backend();
    // Each key once, with the first request that listed it.
    let mut owners: BTreeMap<&SoftwareKey, (&str, usize)> = BTreeMap::new();
    for (index, rows) in asked.iter().enumerate() {
        for row in rows.iter() {
            owners
                .entry(&row.key)
                .or_insert((row.vendor.as_str(), index));
        }
    }
    let rows: Vec<NewSoftware> = owners
        .iter()
        .map(|(key, (vendor, _))| NewSoftware {
            key: (*key).clone(),
            vendor: vendor.to_string(),
        })
        .collect();
    let mut tx = db.write().begin().await?;
    let created = store::insert_software(&mut tx, backend, &rows, now_ms()).await?;
    tx.commit().await?;
    let new_names = new_names(db, cache, &created).await?;
    let mut ids: HashMap<SoftwareKey, i64> = HashMap::with_capacity(owners.len());
    ids.extend(created.into_iter().map(|(id, key)| (key, id)));
    // The rest existed already: created by another node, or not cached here yet.
    let existing: Vec<SoftwareKey> = owners
        .keys()
        .filter(|key| !ids.contains_key(**key))
        .map(|key| (*key).clone())
        .collect();
    if !existing.is_empty() {
        let mut conn = db.read().acquire().await?;
        for (id, key) in store::list_software_by_keys(&mut conn, backend, &existing).await? {
            ids.insert(key, id);
        }
    }
    cache.remember(ids.iter().map(|(key, id)| (key, *id)));
    let mut resolutions: Vec<Resolution> = asked.iter().map(|_| Resolution::default()).collect();
    for key in new_names {
        if let Some((_, owner)) = owners.get(&key) {
            resolutions[*owner].new_names.push(key);
        }
    }
    for (resolution, rows) in resolutions.iter_mut().zip(asked) {
        for row in rows.iter() {
            let id = ids.get(&row.key).copied().ok_or_else(|| {
                DbError::Corrupt(format!("no catalogue entry for {}", row.key.name))
            })?;
            resolution.ids.insert(row.key.clone(), id);
        }
    }
    Ok(resolutions)
}

/// The first created entry of each name no entry existed for before it, in name order.
async fn new_names(
    db: &Db,
    cache: &SoftwareCatalogue,
    created: &[(i64, SoftwareKey)],
) -> Result<Vec<SoftwareKey>, DbError> {
    let mut firsts: BTreeMap<&str, (i64, &SoftwareKey)> = BTreeMap::new();
    for (id, key) in created {
        let first = firsts.entry(key.name.as_str()).or_insert((*id, key));
        if *id < first.0 {
            *first = (*id, key);
        }
    }
    // Names this node has met with a lower id had an entry before; only the others need the
    // database.
    firsts.retain(|name, (id, _)| !cache.knows_name_before(name, *id));
    if firsts.is_empty() {
        return Ok(Vec::new());
    }
    let pairs: Vec<(&str, i64)> = firsts.iter().map(|(name, (id, _))| (*name, *id)).collect();
    let mut conn = db.read().acquire().await?;
    let known: HashSet<String> = store::list_names_known_before(&mut conn, db.backend(), &pairs)
        .await?
        .into_iter()
        .collect();
    Ok(firsts
        .into_values()
        .filter(|(_, key)| !known.contains(&key.name))
        .map(|(_, key)| key.clone())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, version: &str) -> NewSoftware {
        NewSoftware {
            key: SoftwareKey {
                source: "dpkg".into(),
                name: name.into(),
                version: version.into(),
                arch: "amd64".into(),
            },
            vendor: "Debian".into(),
        }
    }

    fn new_names(resolution: &Resolution) -> Vec<&str> {
        resolution
            .new_names
            .iter()
            .map(|key| key.name.as_str())
            .collect()
    }

    async fn database(dir: &tempfile::TempDir) -> Db {
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("kanri.db").display()
        );
        Db::connect(&url, 2).await.expect("connect")
    }

    /// Two uploads in one batch share a new package: one entry, the same id for both, and
    /// "new software" once, for the upload that listed it first.
    #[tokio::test]
    async fn a_batch_creates_each_key_once_and_reports_new_names_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = database(&dir).await;
        let cache = SoftwareCatalogue::default();
        let first = [row("bash", "5.2"), row("zsh", "5.9")];
        let second = [row("bash", "5.2"), row("vim", "9.1")];
        let resolved = resolve_batch(&db, &cache, &[&first, &second])
            .await
            .expect("resolve");
        let bash = &first[0].key;
        assert_eq!(resolved[0].ids[bash], resolved[1].ids[bash]);
        assert_ne!(resolved[0].ids[bash], resolved[1].ids[&second[1].key]);
        assert_eq!(new_names(&resolved[0]), ["bash", "zsh"]);
        assert_eq!(new_names(&resolved[1]), ["vim"]);
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM software")
            .fetch_one(db.read())
            .await
            .expect("count");
        assert_eq!(count, 3);
    }

    /// A new version of a known name is a new entry but not new software, whether the name
    /// is in this node's cache or only in the database (created by another node).
    #[tokio::test]
    async fn new_versions_of_known_names_are_not_new_software() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = database(&dir).await;
        let cache = SoftwareCatalogue::default();
        let before = [row("bash", "5.1"), row("vim", "9.0")];
        resolve_batch(&db, &cache, &[&before]).await.expect("first");
        // A node that never met them.
        let other_node = SoftwareCatalogue::default();
        let later = [row("bash", "5.2"), row("nano", "8.0")];
        let resolved = resolve_batch(&db, &other_node, &[&later])
            .await
            .expect("second");
        assert_eq!(new_names(&resolved[0]), ["nano"]);
        let again = [row("vim", "9.1")];
        let resolved = resolve_batch(&db, &cache, &[&again]).await.expect("third");
        assert!(resolved[0].new_names.is_empty());
        // Existing keys resolve to their ids without new rows.
        let resolved = resolve_batch(&db, &cache, &[&before])
            .await
            .expect("fourth");
        assert_eq!(resolved[0].ids.len(), 2);
        assert!(resolved[0].new_names.is_empty());
    }

    /// The task answers every request of a batch, through the public handle.
    #[tokio::test]
    async fn concurrent_requests_are_all_answered() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = database(&dir).await;
        let writer = Arc::new(CatalogueWriter::start(
            db.clone(),
            Arc::new(SoftwareCatalogue::default()),
        ));
        let mut handles = Vec::new();
        for upload in 0..8 {
            let writer = writer.clone();
            handles.push(tokio::spawn(async move {
                let rows = vec![row("shared", "1.0"), row(&format!("own-{upload}"), "1.0")];
                writer.resolve(rows).await
            }));
        }
        let mut shared_ids = Vec::new();
        let mut shared_new = 0;
        for handle in handles {
            let resolution = handle.await.expect("task").expect("resolution");
            assert_eq!(resolution.ids.len(), 2);
            shared_ids.push(resolution.ids[&row("shared", "1.0").key]);
            shared_new += new_names(&resolution)
                .iter()
                .filter(|name| **name == "shared")
                .count();
        }
        shared_ids.dedup();
        assert_eq!(shared_ids.len(), 1);
        assert_eq!(shared_new, 1);
    }
}
