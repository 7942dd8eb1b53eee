//! A node's in-memory agent state: credential cache (with each agent's applied settings
//! version), section-hash cache, the current agent settings, the last-seen buffer, and the hub
//! that wakes waiting channel polls.
//!
//! **Architecture Invariant:** an unchanged check-in reads and writes only this structure; the
//! database sees it as one batched last-seen write per flush interval.
//! Everything here is a cache of the database or a buffer flushed to it, so several nodes can
//! share one PostgreSQL: caches expire after [`CACHE_TTL_MS`] (credentials in use are re-read
//! in batches before that, at [`REFRESH_AFTER_MS`]) and pending commands are re-read from the
//! database every second.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use kanri_proto::{AgentSettings, SectionKind};
use tokio::sync::{watch, Notify};

use crate::core::time::now_ms;

/// How long a cached credential is trusted before it is re-read (covers revocation done on
/// another node).
pub const CACHE_TTL_MS: i64 = 60_000;

/// Age at which the refresh job re-reads a cached credential, well inside [`CACHE_TTL_MS`], so
/// a check-in finds its credential fresh instead of reading the database itself (which, with
/// check-ins as far apart as the TTL, would be almost every check-in, and after a restart a
/// whole fleet at once).
pub const REFRESH_AFTER_MS: i64 = CACHE_TTL_MS / 2;

/// A credential no check-in used for this long is dropped instead of refreshed: the next
/// check-in of a silent agent reads it again.
pub const IDLE_DROP_MS: i64 = 10 * 60_000;

/// A cached agent credential.
#[derive(Debug, Clone)]
pub struct AgentAuth {
    /// Agent id.
    pub agent_id: String,
    /// The device it reports for.
    pub device_id: i64,
    /// SHA-256 of the secret.
    pub secret_hash: String,
    /// Host identifier.
    pub host_id: String,
    /// Machine fingerprint last accepted.
    pub fingerprint: String,
    /// Agent version last reported.
    pub agent_version: String,
    /// The device is excluded: check-ins are accepted, inventory is not asked for.
    pub excluded: bool,
    /// The agent settings version the agent last reported as applied (as stored).
    pub settings_version: u64,
    /// When this entry was read from the database.
    pub loaded_at: i64,
}

/// A cached credential and when a check-in last used it.
struct CachedAuth {
    auth: Arc<AgentAuth>,
    used_at: i64,
}

/// Section hashes the server holds for a device. A B-tree: every check-in looks up each
/// reported section, and a dozen enum comparisons cost less than hashing the key.
pub type SectionHashes = BTreeMap<SectionKind, String>;

/// In-memory agent state of one node.
pub struct AgentRuntime {
    auth: Mutex<HashMap<String, CachedAuth>>,
    hashes: Mutex<HashMap<i64, SectionHashes>>,
    last_seen: Mutex<HashMap<i64, i64>>,
    pending: Mutex<HashSet<i64>>,
    waiters: Mutex<HashMap<i64, Arc<Notify>>>,
    settings: Mutex<Option<(Arc<AgentSettings>, i64)>>,
    settings_lock: tokio::sync::Mutex<()>,
    shutdown: watch::Receiver<bool>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves only cache data behind; keep serving.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl AgentRuntime {
    /// An empty runtime; `shutdown` ends held channel polls.
    pub fn new(shutdown: watch::Receiver<bool>) -> AgentRuntime {
        AgentRuntime {
            auth: Mutex::new(HashMap::new()),
            hashes: Mutex::new(HashMap::new()),
            last_seen: Mutex::new(HashMap::new()),
            pending: Mutex::new(HashSet::new()),
            waiters: Mutex::new(HashMap::new()),
            settings: Mutex::new(None),
            settings_lock: tokio::sync::Mutex::new(()),
            shutdown,
        }
    }

    /// A fresh cached credential.
    pub fn cached_auth(&self, agent_id: &str) -> Option<Arc<AgentAuth>> {
        let now = now_ms();
        let mut auth = lock(&self.auth);
        let entry = auth.get_mut(agent_id)?;
        if now - entry.auth.loaded_at >= CACHE_TTL_MS {
            return None;
        }
        entry.used_at = now;
        Some(Arc::clone(&entry.auth))
    }

    /// Caches a credential.
    pub fn remember_auth(&self, entry: Arc<AgentAuth>) {
        let used_at = entry.loaded_at;
        lock(&self.auth).insert(
            entry.agent_id.clone(),
            CachedAuth {
                auth: entry,
                used_at,
            },
        );
    }

    /// Updates a cached credential in place.
    pub fn update_auth(&self, agent_id: &str, change: impl FnOnce(&mut AgentAuth)) {
        if let Some(entry) = lock(&self.auth).get_mut(agent_id) {
            change(Arc::make_mut(&mut entry.auth));
        }
    }

    /// Up to `limit` cached credentials due for a re-read (older than [`REFRESH_AFTER_MS`]);
    /// credentials idle for [`IDLE_DROP_MS`] are dropped instead.
    pub fn stale_auth(&self, limit: usize) -> Vec<Arc<AgentAuth>> {
        let now = now_ms();
        let mut auth = lock(&self.auth);
        auth.retain(|_, entry| now - entry.used_at < IDLE_DROP_MS);
        auth.values()
            .filter(|entry| now - entry.auth.loaded_at >= REFRESH_AFTER_MS)
            .take(limit)
            .map(|entry| Arc::clone(&entry.auth))
            .collect()
    }

    /// Replaces a credential picked by [`AgentRuntime::stale_auth`] with `fresh` (or drops it
    /// when `fresh` is `None`: revoked or gone), unless it changed since it was picked: a
    /// change made on this node meanwhile is newer than what the re-read saw.
    pub fn refreshed_auth(&self, picked: &Arc<AgentAuth>, fresh: Option<AgentAuth>) {
        let mut auth = lock(&self.auth);
        let Some(entry) = auth.get_mut(&picked.agent_id) else {
            return;
        };
        if !Arc::ptr_eq(&entry.auth, picked) {
            return;
        }
        match fresh {
            Some(fresh) => entry.auth = Arc::new(fresh),
            None => {
                auth.remove(&picked.agent_id);
            }
        }
    }

    /// Drops a credential (revoked or replaced).
    pub fn forget_agent(&self, agent_id: &str) {
        lock(&self.auth).remove(agent_id);
    }

    /// Drops everything cached about a deleted device.
    pub fn forget_device(&self, device_id: i64) {
        lock(&self.auth).retain(|_, entry| entry.auth.device_id != device_id);
        lock(&self.hashes).remove(&device_id);
        lock(&self.last_seen).remove(&device_id);
        lock(&self.pending).remove(&device_id);
    }

    /// The current agent settings, if read less than [`CACHE_TTL_MS`] ago.
    pub fn cached_settings(&self) -> Option<Arc<AgentSettings>> {
        lock(&self.settings)
            .as_ref()
            .filter(|(_, loaded_at)| now_ms() - loaded_at < CACHE_TTL_MS)
            .map(|(settings, _)| settings.clone())
    }

    /// Caches the current agent settings.
    pub fn remember_settings(&self, settings: Arc<AgentSettings>) {
        *lock(&self.settings) = Some((settings, now_ms()));
    }

    /// Held while the settings are re-read or changed, so that one refresh serves every
    /// check-in waiting for it and a refresh cannot overwrite a newer change with older data.
    /// Never held across another lock of this structure or while waiting for a transaction.
    pub fn settings_lock(&self) -> &tokio::sync::Mutex<()> {
        &self.settings_lock
    }

    /// Marks a device excluded or not in cached credentials.
    pub fn set_excluded(&self, device_id: i64, excluded: bool) {
        for entry in lock(&self.auth)
            .values_mut()
            .filter(|entry| entry.auth.device_id == device_id)
        {
            Arc::make_mut(&mut entry.auth).excluded = excluded;
        }
    }

    /// Cached section hashes of a device, if loaded.
    pub fn hashes(&self, device_id: i64) -> Option<SectionHashes> {
        lock(&self.hashes).get(&device_id).cloned()
    }

    /// Caches a device's section hashes.
    pub fn remember_hashes(&self, device_id: i64, hashes: SectionHashes) {
        lock(&self.hashes).insert(device_id, hashes);
    }

    /// Records one stored section hash.
    pub fn set_hash(&self, device_id: i64, kind: SectionKind, hash: String) {
        lock(&self.hashes)
            .entry(device_id)
            .or_default()
            .insert(kind, hash);
    }

    /// Which of the agent's sections the server lacks, given what it holds; `None` when the
    /// hashes are not cached yet.
    pub fn wanted_sections(
        &self,
        device_id: i64,
        reported: &[(SectionKind, &str)],
    ) -> Option<Vec<SectionKind>> {
        let hashes = lock(&self.hashes);
        let held = hashes.get(&device_id)?;
        Some(
            reported
                .iter()
                .filter(|(kind, hash)| held.get(kind).map(String::as_str) != Some(*hash))
                .map(|(kind, _)| *kind)
                .collect(),
        )
    }

    /// Notes a contact; written to the database by the flush job.
    pub fn saw(&self, device_id: i64, at: i64) {
        lock(&self.last_seen).insert(device_id, at);
    }

    /// The buffered last contact of a device, if not flushed yet.
    pub fn buffered_last_seen(&self, device_id: i64) -> Option<i64> {
        lock(&self.last_seen).get(&device_id).copied()
    }

    /// Takes the buffered contacts for writing.
    pub fn take_last_seen(&self) -> Vec<(i64, i64)> {
        let mut buffer = lock(&self.last_seen);
        let mut taken: Vec<(i64, i64)> = buffer.drain().collect();
        taken.sort_unstable();
        taken
    }

    /// Puts back contacts whose write failed, unless newer ones arrived meanwhile.
    pub fn restore_last_seen(&self, entries: Vec<(i64, i64)>) {
        let mut buffer = lock(&self.last_seen);
        for (device_id, seen) in entries {
            let slot = buffer.entry(device_id).or_insert(seen);
            *slot = (*slot).max(seen);
        }
    }

    /// Whether a device may have commands waiting.
    pub fn has_pending(&self, device_id: i64) -> bool {
        lock(&self.pending).contains(&device_id)
    }

    /// Clears the pending mark after the commands were taken.
    pub fn clear_pending(&self, device_id: i64) {
        lock(&self.pending).remove(&device_id);
    }

    /// Marks a device as having commands and wakes its waiting channel poll.
    pub fn mark_pending(&self, device_id: i64) {
        lock(&self.pending).insert(device_id);
        if let Some(notify) = lock(&self.waiters).get(&device_id) {
            notify.notify_one();
        }
    }

    /// Replaces the pending set with the database's view, waking newly pending devices.
    pub fn sync_pending(&self, devices: HashSet<i64>) {
        let newly: Vec<i64> = {
            let mut pending = lock(&self.pending);
            let newly = devices.difference(&pending).copied().collect();
            *pending = devices;
            newly
        };
        let waiters = lock(&self.waiters);
        for device_id in newly {
            if let Some(notify) = waiters.get(&device_id) {
                notify.notify_one();
            }
        }
    }

    /// The notifier a channel poll of `device_id` waits on.
    pub fn waiter(&self, device_id: i64) -> Arc<Notify> {
        lock(&self.waiters)
            .entry(device_id)
            .or_insert_with(|| Arc::new(Notify::new()))
            .clone()
    }

    /// Drops the notifier when no poll waits on it any more.
    pub fn release_waiter(&self, device_id: i64, notify: &Arc<Notify>) {
        let mut waiters = lock(&self.waiters);
        // Two references: the map's and the caller's.
        if Arc::strong_count(notify) <= 2 {
            waiters.remove(&device_id);
        }
    }

    /// A receiver that turns true when the server shuts down.
    pub fn shutdown(&self) -> watch::Receiver<bool> {
        self.shutdown.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential(agent_id: &str, age_ms: i64) -> AgentAuth {
        AgentAuth {
            agent_id: agent_id.to_string(),
            device_id: 1,
            secret_hash: String::new(),
            host_id: String::new(),
            fingerprint: "old".to_string(),
            agent_version: String::new(),
            excluded: false,
            settings_version: 0,
            loaded_at: now_ms() - age_ms,
        }
    }

    #[test]
    fn credentials_are_refreshed_before_they_expire_unless_changed_meanwhile() {
        let (_tx, rx) = watch::channel(false);
        let runtime = AgentRuntime::new(rx);
        runtime.remember_auth(Arc::new(credential("fresh", 0)));
        runtime.remember_auth(Arc::new(credential("due", REFRESH_AFTER_MS + 1)));
        runtime.remember_auth(Arc::new(credential("changed", REFRESH_AFTER_MS + 1)));
        runtime.remember_auth(Arc::new(credential("revoked", REFRESH_AFTER_MS + 1)));
        let mut picked = runtime.stale_auth(10);
        picked.sort_by(|a, b| a.agent_id.cmp(&b.agent_id));
        let ids: Vec<&str> = picked.iter().map(|a| a.agent_id.as_str()).collect();
        assert_eq!(ids, ["changed", "due", "revoked"]);

        // A change made on this node after the pick is newer than the re-read.
        runtime.update_auth("changed", |auth| auth.fingerprint = "new".to_string());
        for auth in &picked {
            let fresh = (auth.agent_id != "revoked").then(|| credential(&auth.agent_id, 0));
            runtime.refreshed_auth(auth, fresh);
        }
        let due = runtime.cached_auth("due").expect("due is cached");
        assert!(now_ms() - due.loaded_at < REFRESH_AFTER_MS);
        let changed = runtime.cached_auth("changed").expect("changed is cached");
        assert_eq!(changed.fingerprint, "new");
        assert!(now_ms() - changed.loaded_at > REFRESH_AFTER_MS);
        assert!(runtime.cached_auth("revoked").is_none());
        assert_eq!(
            runtime.stale_auth(10).len(),
            1,
            "only 'changed' is still due"
        );
    }

    #[test]
    fn idle_credentials_are_dropped_not_refreshed() {
        let (_tx, rx) = watch::channel(false);
        let runtime = AgentRuntime::new(rx);
        runtime.remember_auth(Arc::new(credential("silent", IDLE_DROP_MS + 1)));
        runtime.remember_auth(Arc::new(credential("expired", CACHE_TTL_MS + 1)));
        assert!(runtime.cached_auth("expired").is_none(), "past the TTL");
        let picked = runtime.stale_auth(10);
        let ids: Vec<&str> = picked.iter().map(|a| a.agent_id.as_str()).collect();
        assert_eq!(ids, ["expired"]);
        assert!(lock(&runtime.auth).get("silent").is_none());
    }

    #[test]
    fn wanted_sections_are_those_that_differ() {
        let (_tx, rx) = watch::channel(false);
        let runtime = AgentRuntime::new(rx);
        assert_eq!(runtime.wanted_sections(1, &[(SectionKind::Os, "a")]), None);
        runtime.remember_hashes(1, SectionHashes::from([(SectionKind::Os, "a".to_string())]));
        let reported = [(SectionKind::Os, "a"), (SectionKind::Software, "b")];
        assert_eq!(
            runtime.wanted_sections(1, &reported),
            Some(vec![SectionKind::Software])
        );
        runtime.set_hash(1, SectionKind::Software, "b".into());
        assert_eq!(runtime.wanted_sections(1, &reported), Some(vec![]));
    }

    #[test]
    fn last_seen_buffer_keeps_the_newest() {
        let (_tx, rx) = watch::channel(false);
        let runtime = AgentRuntime::new(rx);
        runtime.saw(1, 10);
        runtime.saw(2, 20);
        let taken = runtime.take_last_seen();
        assert_eq!(taken, vec![(1, 10), (2, 20)]);
        assert!(runtime.take_last_seen().is_empty());
        runtime.saw(1, 15);
        runtime.restore_last_seen(taken);
        assert_eq!(runtime.buffered_last_seen(1), Some(15));
        assert_eq!(runtime.buffered_last_seen(2), Some(20));
    }

    #[test]
    fn cached_settings_expire() {
        let (_tx, rx) = watch::channel(false);
        let runtime = AgentRuntime::new(rx);
        assert_eq!(runtime.cached_settings(), None);
        let settings = Arc::new(AgentSettings {
            version: 2,
            ..AgentSettings::default()
        });
        runtime.remember_settings(settings.clone());
        assert_eq!(runtime.cached_settings(), Some(settings.clone()));
        if let Some((_, loaded_at)) = lock(&runtime.settings).as_mut() {
            *loaded_at -= CACHE_TTL_MS;
        }
        assert_eq!(runtime.cached_settings(), None);
    }
}
