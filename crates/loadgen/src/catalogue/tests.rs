use std::collections::HashSet;
use std::sync::OnceLock;

use super::*;
use crate::seed;

const PACKAGES: usize = 1_500;
const AGENTS: usize = 300;

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| Catalogue::generate(42, PACKAGES))
}

/// What a simulated fleet of one distribution holds.
struct Fleet<'a> {
    pool: &'a Pool,
    sets: Vec<PackageSet>,
    /// Agents holding each pool entry.
    holders: Vec<usize>,
}

impl Fleet<'_> {
    fn share_at(&self, level: u8) -> f64 {
        let (matching, total) = self
            .sets
            .iter()
            .flat_map(PackageSet::iter)
            .fold((0usize, 0usize), |(matching, total), (_, found)| {
                (matching + usize::from(found == level), total + 1)
            });
        matching as f64 / total as f64
    }
}

/// Draws `packages` packages for each of [`AGENTS`] agents of `distro` and hands the fleet
/// to `expect`, after checking what holds for every fleet: each set has exactly `packages`
/// distinct names, in name order.
fn check(distro: u8, packages: usize, expect: impl FnOnce(&Fleet)) {
    let pool = catalogue().pool(distro);
    let mut holders = vec![0; pool.len()];
    let sets: Vec<PackageSet> = (0..AGENTS as u64)
        .map(|agent| PackageSet::choose(pool, packages, &mut seed::rng(7, agent)))
        .collect();
    for set in &sets {
        assert_eq!(set.len(), packages);
        let names: Vec<&str> = set.iter().map(|(index, _)| pool.name(index)).collect();
        assert_eq!(names.len(), packages);
        assert!(
            names.windows(2).all(|pair| pair[0] < pair[1]),
            "sorted and unique"
        );
        for (index, _) in set.iter() {
            holders[index] += 1;
        }
    }
    expect(&Fleet {
        pool,
        sets,
        holders,
    });
}

#[test]
fn pools_hold_about_six_thousand_unique_plausible_names() {
    for (position, info) in DISTROS.iter().enumerate() {
        let pool = catalogue().pool(position as u8);
        assert_eq!(pool.len(), MIN_POOL, "{}", info.pretty_name);
        let names: HashSet<&str> = (0..pool.len()).map(|index| pool.name(index)).collect();
        assert_eq!(names.len(), pool.len());
        let real = match info.family {
            Family::Deb => [
                "libc6",
                "openssl",
                "bash",
                "systemd",
                "firefox-esr",
                "python3.11",
            ],
            Family::Rpm => ["glibc", "openssl", "bash", "systemd", "firefox", "python3"],
        };
        for name in real {
            assert!(names.contains(name), "{name} in {}", info.pretty_name);
        }
        let libraries = names.iter().filter(|name| name.starts_with("lib")).count();
        assert!(libraries > pool.len() / 4, "{libraries} lib* names");
        assert!(names
            .iter()
            .all(|name| kanri_proto::Text::new(*name).is_ok()));
    }
}

#[test]
fn popular_packages_are_everywhere_and_the_tail_is_long() {
    check(0, PACKAGES, |fleet| {
        let pool = fleet.pool;
        for rank in 0..100 {
            let holders = fleet.holders[pool.at_rank(rank)];
            assert!(
                holders >= AGENTS * 95 / 100,
                "rank {rank} on {holders} agents"
            );
        }
        let rare = fleet
            .holders
            .iter()
            .filter(|holders| (1..=AGENTS / 20).contains(*holders))
            .count();
        assert!(rare >= 1_000, "{rare} packages on 1 to 5 % of agents");
        let universal = fleet
            .holders
            .iter()
            .filter(|h| **h >= AGENTS * 9 / 10)
            .count();
        assert!(
            (PACKAGES / 2..PACKAGES).contains(&universal),
            "{universal} packages on 90 % of agents"
        );
        let fewest = fleet.holders.iter().min().copied().unwrap_or_default();
        assert!(
            fewest <= AGENTS / 50,
            "the rarest package is on {fewest} agents"
        );
    });
}

#[test]
fn some_agents_lag_a_release_or_two() {
    check(3, PACKAGES, |fleet| {
        let current = fleet.share_at(CURRENT);
        assert!(
            (0.75..0.97).contains(&current),
            "{current} at the current release"
        );
        assert!(fleet.share_at(CURRENT - 1) > 0.02);
        assert!(fleet.share_at(CURRENT - 2) > 0.002);
        assert_eq!(fleet.share_at(LEVELS as u8 - 1), 0.0, "nobody starts ahead");
        let behind: Vec<f64> = fleet
            .sets
            .iter()
            .map(|set| set.behind() as f64 / set.len() as f64)
            .collect();
        let up_to_date = behind.iter().filter(|share| **share < 0.05).count();
        let lagging = behind.iter().filter(|share| **share >= 0.15).count();
        assert!(up_to_date > AGENTS / 2, "{up_to_date} agents up to date");
        assert!(lagging > AGENTS / 10, "{lagging} agents lagging");
    });
}

#[test]
fn releases_of_a_package_have_distinct_versions() {
    for (position, info) in DISTROS.iter().enumerate() {
        let pool = catalogue().pool(position as u8);
        for index in [0, pool.len() / 2, pool.len() - 1] {
            let versions: HashSet<&str> = (0..LEVELS as u8)
                .map(|level| pool.version(index, level))
                .collect();
            assert_eq!(versions.len(), LEVELS, "{} {}", info.id, pool.name(index));
        }
    }
    let debian = catalogue().pool(0).version(0, 1);
    assert!(debian.ends_with("+deb12u1"), "{debian}");
    let rhel = catalogue().pool(3).version(0, CURRENT);
    assert!(rhel.ends_with(".el9_4"), "{rhel}");
}

#[test]
fn small_and_large_package_counts_are_exact() {
    check(1, 40, |fleet| {
        assert!(fleet.sets.iter().all(|set| set.len() == 40));
    });
    let large = Catalogue::generate(1, 5_000);
    let pool = large.pool(4);
    assert_eq!(pool.len(), 20_000);
    let set = PackageSet::choose(pool, 5_000, &mut seed::rng(1, 1));
    assert_eq!(set.len(), 5_000);
}

#[test]
fn changes_keep_the_count_and_move_versions() {
    let pool = catalogue().pool(2);
    let mut rng = seed::rng(3, 3);
    let mut set = PackageSet::choose(pool, PACKAGES, &mut rng);
    let before = set.clone();
    let upgraded = set.upgrade_one(&mut rng).expect("something to upgrade");
    assert_eq!(
        set.level(upgraded),
        before.level(upgraded).map(|level| level + 1)
    );
    let removed = set.remove_one(pool, &mut rng).expect("something to remove");
    assert!(!pool.is_core(removed) && set.level(removed).is_none());
    let added = set.add_one(pool, &mut rng).expect("something to add");
    assert_eq!(set.level(added), Some(CURRENT));
    assert_eq!(set.len(), PACKAGES);
    assert_ne!(set, before);
}

#[test]
fn generation_is_deterministic_in_the_seed() {
    let again = Catalogue::generate(42, PACKAGES);
    let other = Catalogue::generate(43, PACKAGES);
    let names = |catalogue: &Catalogue| -> Vec<String> {
        let pool = catalogue.pool(0);
        (0..pool.len())
            .map(|index| pool.name(index).to_string())
            .collect()
    };
    assert_eq!(names(&again), names(catalogue()));
    assert_ne!(names(&other), names(catalogue()));
    let pick = |seed| PackageSet::choose(catalogue().pool(0), PACKAGES, &mut seed::rng(seed, 0));
    assert_eq!(pick(5), pick(5));
    assert_ne!(pick(5), pick(6));
}
