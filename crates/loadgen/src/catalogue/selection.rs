//! [`PackageSet`]: which packages of its pool one agent has, at which release, in half a byte
//! per pool entry (3 KB for a 6,000-package pool), and the changes the simulation applies.

use rand::Rng;

use super::pool::{Pool, CURRENT, LEVELS};

/// Chance that an agent lacks one particular core package.
const CORE_MISSING: f64 = 0.01;
/// Random picks tried before falling back to a scan.
const PICK_TRIES: usize = 64;

/// One agent's installed packages: a nibble per pool entry, 0 for absent, `level + 1` for
/// installed at release `level`. Iterates in pool (name) order, so each name appears once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSet {
    nibbles: Vec<u8>,
    len: usize,
    pool_len: usize,
}

impl PackageSet {
    /// Draws `count` packages: the core of `pool` (nearly all of it), then the long tail by
    /// popularity. Most agents are up to date; about a fifth lag one release on a quarter of
    /// their packages, and a few are stale with many packages one or two releases behind.
    ///
    /// # Panics
    /// When `count` exceeds the pool; [`Pool`] is sized for the configured count.
    pub fn choose(pool: &Pool, count: usize, rng: &mut impl Rng) -> PackageSet {
        assert!(
            count <= pool.len(),
            "{count} packages from a pool of {}",
            pool.len()
        );
        let lag = match rng.gen_range(0..100) {
            0..=69 => Lag {
                behind: 0.01,
                two_behind: 0.0,
            },
            70..=91 => Lag {
                behind: 0.25,
                two_behind: 0.1,
            },
            _ => Lag {
                behind: 0.6,
                two_behind: 0.35,
            },
        };
        let mut set = PackageSet::empty(pool.len());
        for rank in 0..pool.core_len().min(count) {
            if !rng.gen_bool(CORE_MISSING) {
                set.put(pool.at_rank(rank), Some(lag.draw(rng)));
            }
        }
        while set.len < count {
            let Some(index) = set.absent_from_tail(pool, rng) else {
                break;
            };
            set.put(index, Some(lag.draw(rng)));
        }
        set
    }

    /// Number of packages installed.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no package is installed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The release installed of pool entry `index`, if any.
    pub fn level(&self, index: usize) -> Option<u8> {
        let nibble = (self.nibbles[index / 2] >> ((index % 2) * 4)) & 0x0f;
        nibble.checked_sub(1)
    }

    /// Installed `(pool index, level)` pairs in pool order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, u8)> + '_ {
        (0..self.pool_len).filter_map(|index| self.level(index).map(|level| (index, level)))
    }

    /// Moves one installed package that is not at the newest release up by one release.
    /// Returns the pool index, or `None` when everything is at the newest release.
    pub fn upgrade_one(&mut self, rng: &mut impl Rng) -> Option<usize> {
        let newest = LEVELS as u8 - 1;
        let index = self.find(
            rng,
            |_, level| matches!(level, Some(level) if level < newest),
        )?;
        let level = self.level(index)?;
        self.put(index, Some(level + 1));
        Some(index)
    }

    /// Installs one more package from the long tail, at the current release.
    pub fn add_one(&mut self, pool: &Pool, rng: &mut impl Rng) -> Option<usize> {
        let index = self.absent_from_tail(pool, rng)?;
        self.put(index, Some(CURRENT));
        Some(index)
    }

    /// Removes one installed package outside the core.
    pub fn remove_one(&mut self, pool: &Pool, rng: &mut impl Rng) -> Option<usize> {
        let index = self
            .find(rng, |index, level| level.is_some() && !pool.is_core(index))
            .or_else(|| self.find(rng, |_, level| level.is_some()))?;
        self.put(index, None);
        Some(index)
    }

    /// Packages installed at a release older than the current one.
    pub fn behind(&self) -> usize {
        self.iter().filter(|(_, level)| *level < CURRENT).count()
    }

    fn empty(pool_len: usize) -> PackageSet {
        PackageSet {
            nibbles: vec![0; pool_len.div_ceil(2)],
            len: 0,
            pool_len,
        }
    }

    fn put(&mut self, index: usize, level: Option<u8>) {
        let was_present = self.level(index).is_some();
        let nibble = level.map_or(0, |level| level + 1);
        let shift = (index % 2) * 4;
        let byte = &mut self.nibbles[index / 2];
        *byte = (*byte & !(0x0f << shift)) | (nibble << shift);
        match (was_present, level.is_some()) {
            (false, true) => self.len += 1,
            (true, false) => self.len -= 1,
            _ => {}
        }
    }

    /// A random pool index whose level satisfies `wanted`: a few random tries, then a scan
    /// from a random start so the answer is `None` only when no index qualifies.
    fn find(
        &self,
        rng: &mut impl Rng,
        wanted: impl Fn(usize, Option<u8>) -> bool,
    ) -> Option<usize> {
        if self.pool_len == 0 {
            return None;
        }
        for _ in 0..PICK_TRIES {
            let index = rng.gen_range(0..self.pool_len);
            if wanted(index, self.level(index)) {
                return Some(index);
            }
        }
        let start = rng.gen_range(0..self.pool_len);
        (0..self.pool_len)
            .map(|offset| (start + offset) % self.pool_len)
            .find(|index| wanted(*index, self.level(*index)))
    }

    /// A tail package this agent lacks, drawn by popularity; falls back to the most popular
    /// missing one after many misses.
    fn absent_from_tail(&self, pool: &Pool, rng: &mut impl Rng) -> Option<usize> {
        for _ in 0..PICK_TRIES {
            let index = pool.sample_tail(rng)?;
            if self.level(index).is_none() {
                return Some(index);
            }
        }
        (pool.core_len()..pool.len())
            .map(|rank| pool.at_rank(rank))
            .find(|index| self.level(*index).is_none())
    }
}

/// How far behind an agent's packages are.
struct Lag {
    behind: f64,
    two_behind: f64,
}

impl Lag {
    fn draw(&self, rng: &mut impl Rng) -> u8 {
        if !rng.gen_bool(self.behind) {
            CURRENT
        } else if rng.gen_bool(self.two_behind) {
            CURRENT - 2
        } else {
            CURRENT - 1
        }
    }
}
