//! The node's cache of catalogue ids.
//!
//! Catalogue rows never change once written, so caching name+version+arch+source → id is
//! always safe; ids are cached only once their rows are committed.
//!
//! A first inventory looks up 1,500 packages, so the cache is keyed by one string per entry
//! ([`CacheKey`]) built in a reused buffer: a look-up allocates nothing.

use std::collections::HashMap;
use std::fmt::Write as _;
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
        // Writing to a String cannot fail.
        let _ = write!(
            self.0,
            "{source}{SEPARATOR}{name}{SEPARATOR}{version}{SEPARATOR}{arch}"
        );
        &self.0
    }
}

/// Catalogue ids by key.
#[derive(Default)]
pub struct SoftwareCatalogue {
    ids: Mutex<HashMap<Box<str>, i64>>,
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

    /// Caches ids of committed catalogue rows.
    pub fn remember<'a>(&self, learned: impl IntoIterator<Item = (&'a SoftwareKey, i64)>) {
        let mut key = CacheKey::buffer();
        let mut ids = lock(&self.ids);
        for (software, id) in learned {
            ids.insert(key.set_key(software).into(), id);
        }
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
        catalogue.remember([(&key, 5)]);
        assert_eq!(catalogue.lookup(&packages), vec![Some(5), None]);
    }

    #[test]
    fn parts_cannot_run_into_each_other() {
        let mut a = CacheKey::buffer();
        let mut b = CacheKey::buffer();
        let one = a.set("dpkg", "ab", "c", "all").to_string();
        assert_ne!(one, b.set("dpkg", "a", "bc", "all"));
    }
}
