//! The node's cache of catalogue ids.
//!
//! Catalogue rows never change once written, so caching name+version+arch+source → id is
//! always safe; ids are cached only once their rows are committed.
//!
//! A first inventory looks up 1,500 packages, so the cache is keyed by one string per entry
//! ([`CacheKey`]) built in a reused buffer: a look-up allocates nothing.
//!
//! It also remembers, per name, the lowest committed id this node has met, so that deciding
//! whether an upload's new entries are "new software" (no entry of that name before) needs
//! the database only for names it has not met yet.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

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

/// Catalogue ids by key, and the lowest id met per name.
#[derive(Default)]
pub struct SoftwareCatalogue {
    ids: Mutex<HashMap<Box<str>, i64>>,
    names: Mutex<HashMap<Box<str>, i64>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SoftwareCatalogue {
    /// The cached id of each package, `None` where it is not cached.
    pub fn lookup(&self, packages: &[Package]) -> Vec<Option<i64>> {
        let mut key = CacheKey::buffer();
        let ids = lock(&self.ids);
        packages
            .iter()
            .map(|package| ids.get(key.set_package(package)).copied())
            .collect()
    }

    /// Caches ids of committed catalogue rows, and their names as known.
    pub fn remember<'a>(&self, learned: impl IntoIterator<Item = (&'a SoftwareKey, i64)>) {
        let mut key = CacheKey::buffer();
        let mut ids = lock(&self.ids);
        let mut names = lock(&self.names);
        for (software, id) in learned {
            ids.insert(key.set_key(software).into(), id);
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
