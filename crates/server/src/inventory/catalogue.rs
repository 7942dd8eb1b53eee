//! The node's cache of catalogue ids.
//!
//! Catalogue rows never change once written, so caching name+version+arch+source → id is
//! always safe; ids are cached only once their rows are committed.
//!
//! A first inventory looks up 1,500 packages, so an entry's key (source, name, version,
//! architecture, built in a reused buffer: [`CacheKey`]) is reduced to a 128-bit BLAKE3 hash
//! keyed with a secret drawn at start, and the cache maps hashes to ids. A look-up allocates
//! nothing and touches one slot of a compact table instead of comparing strings held
//! elsewhere (≈ 0.5 µs per package with string keys). Two distinct keys sharing a hash would
//! take ≈ 2⁶⁴ entries to expect, and the secret keeps agents from crafting one.
//!
//! It also remembers, per name, the lowest committed id this node has met, so that deciding
//! whether an upload's new entries are "new software" (no entry of that name before) needs
//! the database only for names it has not met yet.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, MutexGuard};

use rand::RngCore;

use kanri_proto::inventory::Package;

use crate::inventory::diff::SoftwareKey;

/// Separates the parts of a [`CacheKey`]; agents cannot send control characters, so it never
/// occurs inside a part.
const SEPARATOR: char = '\u{1f}';

/// A catalogue key as one string: source, name, version and architecture.
pub struct CacheKey(String);

impl CacheKey {
    /// An empty key buffer, to be filled again for every look-up.
    pub fn buffer() -> CacheKey {
        CacheKey(String::with_capacity(128))
    }

    /// Refills the buffer with `package`'s key.
    pub fn set_package(&mut self, package: &Package) -> &str {
        self.set(
            &package.source,
            &package.name,
            &package.version,
            &package.arch,
        )
    }

    /// Refills the buffer with `key`.
    pub fn set_key(&mut self, key: &SoftwareKey) -> &str {
        self.set(&key.source, &key.name, &key.version, &key.arch)
    }

    fn set(&mut self, source: &str, name: &str, version: &str, arch: &str) -> &str {
        self.0.clear();
        for (index, part) in [source, name, version, arch].into_iter().enumerate() {
            if index > 0 {
                self.0.push(SEPARATOR);
            }
            self.0.push_str(part);
        }
        &self.0
    }
}

/// A keyed hash of a [`CacheKey`].
type KeyHash = u128;

/// Hashes [`KeyHash`]es by taking their low bits: they are uniformly distributed already.
#[derive(Default)]
struct KeyHashHasher(u64);

impl Hasher for KeyHashHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only reached for types other than u128; fold them in anyway.
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u128(&mut self, value: u128) {
        self.0 = value as u64;
    }
}

/// Catalogue ids by key hash, and the lowest id met per name.
pub struct SoftwareCatalogue {
    secret: [u8; 32],
    ids: Mutex<HashMap<KeyHash, i64, BuildHasherDefault<KeyHashHasher>>>,
    names: Mutex<HashMap<Box<str>, i64>>,
}

impl Default for SoftwareCatalogue {
    fn default() -> SoftwareCatalogue {
        let mut secret = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut secret);
        SoftwareCatalogue {
            secret,
            ids: Mutex::default(),
            names: Mutex::default(),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SoftwareCatalogue {
    fn hash(&self, key: &str) -> KeyHash {
        let hash = blake3::keyed_hash(&self.secret, key.as_bytes());
        let mut low = [0u8; 16];
        low.copy_from_slice(&hash.as_bytes()[..16]);
        u128::from_le_bytes(low)
    }

    /// The cached id of each package, `None` where it is not cached.
    pub fn lookup(&self, packages: &[Package]) -> Vec<Option<i64>> {
        let mut key = CacheKey::buffer();
        // Hashed before taking the lock, which concurrent uploads share.
        let hashes: Vec<KeyHash> = packages
            .iter()
            .map(|package| self.hash(key.set_package(package)))
            .collect();
        let ids = lock(&self.ids);
        hashes.iter().map(|hash| ids.get(hash).copied()).collect()
    }

    /// Caches ids of committed catalogue rows, and their names as known.
    pub fn remember<'a>(&self, learned: impl IntoIterator<Item = (&'a SoftwareKey, i64)>) {
        let mut key = CacheKey::buffer();
        let learned: Vec<(&SoftwareKey, KeyHash, i64)> = learned
            .into_iter()
            .map(|(software, id)| (software, self.hash(key.set_key(software)), id))
            .collect();
        let mut ids = lock(&self.ids);
        let mut names = lock(&self.names);
        for (software, hash, id) in learned {
            ids.insert(hash, id);
            match names.get_mut(software.name.as_str()) {
                Some(lowest) => *lowest = (*lowest).min(id),
                None => {
                    names.insert(software.name.as_str().into(), id);
                }
            }
        }
    }

    /// Whether a committed entry named `name` with an id below `id` was remembered (`false`
    /// says only that this node has not met one).
    pub fn knows_name_before(&self, name: &str, id: i64) -> bool {
        lock(&self.names)
            .get(name)
            .is_some_and(|lowest| *lowest < id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(name: &str, version: &str) -> Package {
        serde_json::from_value(serde_json::json!({
            "name": name, "version": version, "arch": "amd64", "source": "dpkg"
        }))
        .expect("package")
    }

    #[test]
    fn remembers_ids_by_all_four_parts() {
        let catalogue = SoftwareCatalogue::default();
        let key = SoftwareKey {
            source: "dpkg".into(),
            name: "bash".into(),
            version: "5.2".into(),
            arch: "amd64".into(),
        };
        let packages = [package("bash", "5.2"), package("bash", "5.1")];
        assert_eq!(catalogue.lookup(&packages), vec![None, None]);
        assert!(!catalogue.knows_name_before("bash", 9));
        catalogue.remember([(&key, 5)]);
        assert_eq!(catalogue.lookup(&packages), vec![Some(5), None]);
        assert!(catalogue.knows_name_before("bash", 9));
        // An entry created before the one remembered was the first of its name.
        assert!(!catalogue.knows_name_before("bash", 4));
        assert!(!catalogue.knows_name_before("dash", 9));
    }

    #[test]
    fn parts_cannot_run_into_each_other() {
        let mut a = CacheKey::buffer();
        let mut b = CacheKey::buffer();
        let one = a.set("dpkg", "ab", "c", "all").to_string();
        assert_ne!(one, b.set("dpkg", "a", "bc", "all"));
    }
}
