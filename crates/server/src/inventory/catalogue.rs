//! The node's cache of catalogue ids and buffered install-count changes.
//!
//! Catalogue rows never change once written, so caching name+version+arch+source → id is
//! always safe; ids learned inside a transaction are only cached after it commits.
//! Install counts change with every upload; adding deltas in memory and writing them in one
//! batch per flush turns thousands of row updates per second into a few hundred.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::inventory::diff::SoftwareKey;

/// Catalogue ids and pending count deltas.
#[derive(Default)]
pub struct SoftwareCatalogue {
    ids: Mutex<HashMap<SoftwareKey, i64>>,
    deltas: Mutex<HashMap<i64, i64>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SoftwareCatalogue {
    /// Ids of the keys that are cached; the rest are returned as missing.
    pub fn lookup<'a>(
        &self,
        keys: impl Iterator<Item = &'a SoftwareKey>,
    ) -> (HashMap<SoftwareKey, i64>, Vec<SoftwareKey>) {
        let ids = lock(&self.ids);
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        for key in keys {
            match ids.get(key) {
                Some(id) => {
                    found.insert(key.clone(), *id);
                }
                None => missing.push(key.clone()),
            }
        }
        (found, missing)
    }

    /// Caches ids learned from a committed transaction.
    pub fn remember(&self, learned: impl IntoIterator<Item = (SoftwareKey, i64)>) {
        lock(&self.ids).extend(learned);
    }

    /// Adds install-count changes.
    pub fn add_deltas(&self, changes: impl IntoIterator<Item = (i64, i64)>) {
        let mut deltas = lock(&self.deltas);
        for (id, delta) in changes {
            *deltas.entry(id).or_insert(0) += delta;
        }
    }

    /// Takes the pending deltas for writing, dropping zeros.
    pub fn take_deltas(&self) -> Vec<(i64, i64)> {
        let mut deltas = lock(&self.deltas);
        let mut taken: Vec<(i64, i64)> = deltas.drain().filter(|(_, delta)| *delta != 0).collect();
        taken.sort_unstable();
        taken
    }

    /// Forgets every cached id (after a catalogue clean-up).
    pub fn clear_ids(&self) {
        lock(&self.ids).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_accumulate_and_drain() {
        let catalogue = SoftwareCatalogue::default();
        catalogue.add_deltas([(1, 1), (2, 1), (1, 1), (2, -1)]);
        assert_eq!(catalogue.take_deltas(), vec![(1, 2)]);
        assert!(catalogue.take_deltas().is_empty());
        let key = SoftwareKey {
            source: "dpkg".into(),
            name: "a".into(),
            version: "1".into(),
            arch: "all".into(),
        };
        let (found, missing) = catalogue.lookup([&key].into_iter());
        assert!(found.is_empty() && missing.len() == 1);
        catalogue.remember([(key.clone(), 5)]);
        let (found, missing) = catalogue.lookup([&key].into_iter());
        assert_eq!(found.get(&key), Some(&5));
        assert!(missing.is_empty());
    }
}
