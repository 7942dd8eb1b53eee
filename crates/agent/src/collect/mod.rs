//! Inventory collectors: one file per section, each reading the machine directly (sysfs,
//! procfs, package databases) and never failing the whole inventory for one missing fact.
//!
//! OWNED BY THE COLLECTORS WORK: the rest of the agent only calls [`collect_all`].

use kanri_proto::{IdentityFacts, Inventory};

/// Where collectors read from. Tests point `root` at a captured fixture tree.
#[derive(Debug, Clone)]
pub struct CollectContext {
    /// File-system root to read `/proc`, `/sys`, `/etc`, `/var/lib/dpkg` under; `/` in production.
    pub root: std::path::PathBuf,
    /// Directory for caches of slow facts (pending updates); `None` disables caching.
    pub cache_dir: Option<std::path::PathBuf>,
}

impl Default for CollectContext {
    fn default() -> Self {
        CollectContext { root: "/".into(), cache_dir: None }
    }
}

/// Collects every section.
pub fn collect_all(_cx: &CollectContext) -> Inventory {
    Inventory::default()
}

/// Identity facts derived from a collected inventory.
pub fn identity_facts(_inventory: &Inventory) -> IdentityFacts {
    IdentityFacts::default()
}
