//! The shared package catalogue: for each distribution a pool of packages in name order, each
//! with a popularity rank and [`LEVELS`] releases, built once per run and shared by every agent.

use kanri_proto::inventory::Package;
use kanri_proto::Text;
use rand::Rng;

use super::names;
use crate::seed;

/// Releases of every package, oldest first.
pub const LEVELS: usize = 4;
/// The release most agents have when they start; [`LEVELS`]` - 1` is one newer, published
/// during the run, which upgrades move to.
pub const CURRENT: u8 = 2;
/// Smallest pool of package names per distribution.
pub const MIN_POOL: usize = 6_000;
/// Share of an agent's packages drawn from the core everyone has, in percent.
const CORE_PERCENT: usize = 60;

/// Packaging family: which names and which package manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Debian and Ubuntu: dpkg.
    Deb,
    /// RHEL and AlmaLinux: rpm.
    Rpm,
}

/// A distribution release the simulated fleet runs.
#[derive(Debug)]
pub struct DistroInfo {
    /// `NAME` in os-release.
    pub name: &'static str,
    /// `VERSION_ID`.
    pub version: &'static str,
    /// `ID`.
    pub id: &'static str,
    /// `PRETTY_NAME`.
    pub pretty_name: &'static str,
    /// Packaging family.
    pub family: Family,
    /// Share of the fleet, relative to the other entries.
    weight: u32,
}

/// The fleet's distributions: mostly Debian and Ubuntu desktops, some RHEL-family machines.
pub const DISTROS: &[DistroInfo] = &[
    DistroInfo {
        name: "Debian GNU/Linux",
        version: "12",
        id: "debian",
        pretty_name: "Debian GNU/Linux 12 (bookworm)",
        family: Family::Deb,
        weight: 30,
    },
    DistroInfo {
        name: "Ubuntu",
        version: "22.04",
        id: "ubuntu",
        pretty_name: "Ubuntu 22.04.4 LTS",
        family: Family::Deb,
        weight: 25,
    },
    DistroInfo {
        name: "Ubuntu",
        version: "24.04",
        id: "ubuntu",
        pretty_name: "Ubuntu 24.04.1 LTS",
        family: Family::Deb,
        weight: 20,
    },
    DistroInfo {
        name: "Red Hat Enterprise Linux",
        version: "9.4",
        id: "rhel",
        pretty_name: "Red Hat Enterprise Linux 9.4 (Plow)",
        family: Family::Rpm,
        weight: 15,
    },
    DistroInfo {
        name: "AlmaLinux",
        version: "9.4",
        id: "almalinux",
        pretty_name: "AlmaLinux 9.4 (Seafoam Ocelot)",
        family: Family::Rpm,
        weight: 10,
    },
];

/// Every distribution's pool, shared read-only by all agents.
pub struct Catalogue {
    distros: Vec<Pool>,
}

impl Catalogue {
    /// Builds the pools for agents holding `packages_per_agent` packages each. Deterministic
    /// in `seed`.
    pub fn generate(seed: u64, packages_per_agent: usize) -> Catalogue {
        let pool_len = MIN_POOL.max(packages_per_agent * 4);
        let core_len = packages_per_agent * CORE_PERCENT / 100;
        let deb_names = names::generate(Family::Deb, pool_len, &mut seed::rng(seed, 1));
        let rpm_names = names::generate(Family::Rpm, pool_len, &mut seed::rng(seed, 2));
        let distros = DISTROS
            .iter()
            .enumerate()
            .map(|(position, info)| {
                let names = match info.family {
                    Family::Deb => &deb_names,
                    Family::Rpm => &rpm_names,
                };
                let mut rng = seed::rng(seed, 100 + position as u64);
                Pool::build(info, names, core_len, &mut rng)
            })
            .collect();
        Catalogue { distros }
    }

    /// The pool of distribution `distro` (an index into [`DISTROS`]).
    ///
    /// # Panics
    /// When `distro` is not an index into [`DISTROS`]; agents only hold ones from
    /// [`Catalogue::pick_distro`].
    pub fn pool(&self, distro: u8) -> &Pool {
        &self.distros[usize::from(distro)]
    }

    /// Draws a distribution by fleet share.
    pub fn pick_distro(rng: &mut impl Rng) -> u8 {
        let total: u32 = DISTROS.iter().map(|info| info.weight).sum();
        let mut ticket = rng.gen_range(0..total);
        for (position, info) in DISTROS.iter().enumerate() {
            if ticket < info.weight {
                return position as u8;
            }
            ticket -= info.weight;
        }
        0
    }
}

/// One distribution's packages in name order, with popularity ranks.
pub struct Pool {
    /// The distribution.
    pub info: &'static DistroInfo,
    entries: Vec<Entry>,
    /// Entry index of each popularity rank, most popular first.
    by_rank: Vec<u32>,
    /// Popularity rank of each entry.
    rank_of: Vec<u32>,
    /// Ranks below this form the core nearly every agent has.
    core_len: usize,
    /// Cumulative Zipf weights of the ranks from `core_len` on.
    tail_cumulative: Vec<f64>,
    source: Text,
    arch: Text,
    arch_independent: Text,
}

struct Entry {
    name: Text,
    vendor: Text,
    size_bytes: u64,
    independent: bool,
    versions: [Text; LEVELS],
    /// The package's row up to the version: `["bash",`.
    json_head: Box<str>,
    /// Each release's version as a JSON string.
    json_versions: [Box<str>; LEVELS],
    /// From after the version to the install time: `,"amd64","dpkg","…",`.
    json_tail: Box<str>,
}

impl Pool {
    fn build(
        info: &'static DistroInfo,
        names: &[String],
        core_len: usize,
        rng: &mut impl Rng,
    ) -> Pool {
        let mut ranked: Vec<(&str, u32)> = names
            .iter()
            .enumerate()
            .map(|(rank, name)| (name.as_str(), rank as u32))
            .collect();
        ranked.sort_unstable();
        let mut by_rank = vec![0u32; ranked.len()];
        let entries = ranked
            .iter()
            .enumerate()
            .map(|(index, (name, rank))| {
                by_rank[*rank as usize] = index as u32;
                Entry::generate(info, name, rng)
            })
            .collect::<Vec<_>>();
        let rank_of = ranked.iter().map(|(_, rank)| *rank).collect();
        let core_len = core_len.min(entries.len());
        let mut total = 0.0;
        let tail_cumulative = (core_len..entries.len())
            .map(|rank| {
                total += 1.0 / (rank - core_len + 1) as f64;
                total
            })
            .collect();
        let (source, arch, arch_independent) = match info.family {
            Family::Deb => ("dpkg", "amd64", "all"),
            Family::Rpm => ("rpm", "x86_64", "noarch"),
        };
        Pool {
            info,
            entries,
            by_rank,
            rank_of,
            core_len,
            tail_cumulative,
            source: source.into(),
            arch: arch.into(),
            arch_independent: arch_independent.into(),
        }
    }

    /// Number of packages in the pool.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the pool has no packages.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Ranks below this form the core nearly every agent has.
    pub fn core_len(&self) -> usize {
        self.core_len
    }

    /// The entry index of popularity rank `rank` (0 is the most popular).
    pub fn at_rank(&self, rank: usize) -> usize {
        self.by_rank[rank] as usize
    }

    /// The popularity rank of entry `index`.
    pub fn rank(&self, index: usize) -> usize {
        self.rank_of[index] as usize
    }

    /// Whether entry `index` belongs to the core nearly every agent has.
    pub fn is_core(&self, index: usize) -> bool {
        self.rank(index) < self.core_len
    }

    /// The name of entry `index`.
    pub fn name(&self, index: usize) -> &str {
        &self.entries[index].name
    }

    /// The version string of entry `index` at release `level`.
    pub fn version(&self, index: usize, level: u8) -> &str {
        &self.entries[index].versions[usize::from(level)]
    }

    /// Draws an entry index from the long tail: ranks past the core, the more popular more
    /// often (Zipf, exponent 1). `None` when the pool has no tail.
    pub fn sample_tail(&self, rng: &mut impl Rng) -> Option<usize> {
        let total = *self.tail_cumulative.last()?;
        let ticket = rng.gen::<f64>() * total;
        let position = self
            .tail_cumulative
            .partition_point(|cumulative| *cumulative <= ticket)
            .min(self.tail_cumulative.len() - 1);
        Some(self.at_rank(self.core_len + position))
    }

    /// The wire form of entry `index` at release `level` on an agent installed at
    /// `installed_at` (Unix seconds); `salt` varies install times between agents.
    pub fn package(&self, index: usize, level: u8, installed_at: u64, salt: u64) -> Package {
        let entry = &self.entries[index];
        Package {
            name: entry.name.clone(),
            version: entry.versions[usize::from(level)].clone(),
            arch: if entry.independent {
                self.arch_independent.clone()
            } else {
                self.arch.clone()
            },
            source: self.source.clone(),
            vendor: Some(entry.vendor.clone()),
            install_time: Some(install_time(index, level, installed_at, salt)),
            size_bytes: Some(entry.size_bytes),
        }
    }

    /// Appends the JSON of [`Pool::package`] to `out`, byte for byte what serializing it
    /// gives, from pieces prepared once per catalogue: no allocation per package.
    pub fn write_package_json(
        &self,
        out: &mut Vec<u8>,
        index: usize,
        level: u8,
        installed_at: u64,
        salt: u64,
    ) {
        let entry = &self.entries[index];
        out.extend_from_slice(entry.json_head.as_bytes());
        out.extend_from_slice(entry.json_versions[usize::from(level)].as_bytes());
        out.extend_from_slice(entry.json_tail.as_bytes());
        write_number(out, install_time(index, level, installed_at, salt));
        out.push(b',');
        write_number(out, entry.size_bytes);
        out.push(b']');
    }
}

fn install_time(index: usize, level: u8, installed_at: u64, salt: u64) -> u64 {
    let spread = seed::mix(salt, (index as u64) << 8 | u64::from(level)) % (90 * DAY);
    installed_at + u64::from(level) * 100 * DAY + spread
}

fn write_number(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

/// A value as JSON; strings and numbers always serialize.
fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

const DAY: u64 = 86_400;

impl Entry {
    fn generate(info: &DistroInfo, name: &str, rng: &mut impl Rng) -> Entry {
        let upstream = match rng.gen_range(0..10) {
            0 => format!("0.{}.{}", rng.gen_range(1..30), rng.gen_range(0..20)),
            1..=3 => format!("1.{}.{}", rng.gen_range(0..40), rng.gen_range(0..25)),
            4..=5 => format!("2.{}.{}", rng.gen_range(0..40), rng.gen_range(0..12)),
            6 => format!("{}.{}", rng.gen_range(3..10), rng.gen_range(0..20)),
            _ => format!(
                "{}.{}.{}",
                rng.gen_range(3..30),
                rng.gen_range(0..10),
                rng.gen_range(0..8)
            ),
        };
        let revision: u32 = rng.gen_range(1..6);
        let versions = std::array::from_fn(|level| {
            let level = level as u32;
            let version = match (info.family, info.id) {
                (Family::Deb, "debian") if level == 0 => format!("{upstream}-{revision}"),
                (Family::Deb, "debian") => format!("{upstream}-{revision}+deb12u{level}"),
                (Family::Deb, _) if level == 0 => format!("{upstream}-{revision}build1"),
                (Family::Deb, _) => {
                    format!("{upstream}-{revision}ubuntu0.{}.{level}", info.version)
                }
                (Family::Rpm, _) => match level {
                    0 => format!("{upstream}-{revision}.el9"),
                    1 => format!("{upstream}-{revision}.el9_3"),
                    _ => format!("{upstream}-{}.el9_4", revision + level - 1),
                },
            };
            Text::from(version)
        });
        let independent = is_arch_independent(name);
        let name = Text::from(name);
        let vendor = Text::from(vendor(info, name.as_str()));
        let (source, arch) = match (info.family, independent) {
            (Family::Deb, false) => ("dpkg", "amd64"),
            (Family::Deb, true) => ("dpkg", "all"),
            (Family::Rpm, false) => ("rpm", "x86_64"),
            (Family::Rpm, true) => ("rpm", "noarch"),
        };
        Entry {
            json_head: format!("[{},", json(&name)).into(),
            json_versions: std::array::from_fn(|level| json(&versions[level]).into()),
            json_tail: format!(",{},{},{},", json(&arch), json(&source), json(&vendor)).into(),
            name,
            vendor,
            size_bytes: 10f64.powf(rng.gen_range(3.5..7.5)) as u64,
            independent,
            versions,
        }
    }
}

fn is_arch_independent(name: &str) -> bool {
    name.starts_with("python3-")
        || name.starts_with("fonts-")
        || name.starts_with("perl-")
        || name.starts_with("rubygem-")
        || name.ends_with("-perl")
        || name.ends_with("-data")
        || name.ends_with("-common")
        || name.ends_with("-fonts")
        || matches!(name, "tzdata" | "ca-certificates" | "adduser" | "debconf")
}

fn vendor(info: &DistroInfo, name: &str) -> &'static str {
    match info.id {
        "ubuntu" => "Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>",
        "rhel" => "Red Hat, Inc.",
        "almalinux" => "AlmaLinux",
        _ if name.ends_with("-perl") || name.starts_with("perl") => {
            "Debian Perl Group <pkg-perl-maintainers@lists.alioth.debian.org>"
        }
        _ if name.starts_with("python3") => "Debian Python Team <team+python@tracker.debian.org>",
        _ if name.starts_with("libc") && name.len() <= 8 => {
            "GNU Libc Maintainers <debian-glibc@lists.debian.org>"
        }
        _ if name.contains("systemd") || name.contains("udev") => {
            "Debian systemd Maintainers <pkg-systemd-maintainers@lists.alioth.debian.org>"
        }
        _ if name.starts_with("fonts-") => {
            "Debian Fonts Task Force <debian-fonts@lists.debian.org>"
        }
        _ if name.starts_with("libreoffice") => {
            "Debian LibreOffice Maintainers <debian-openoffice@lists.debian.org>"
        }
        _ if name.starts_with("firefox") || name.starts_with("thunderbird") => {
            "Maintainers of Mozilla-related packages <team+pkg-mozilla@tracker.debian.org>"
        }
        _ if name.starts_with("libx") || name.starts_with("xserver") || name.contains("mesa") => {
            "Debian X Strike Force <debian-x@lists.debian.org>"
        }
        _ if name.contains("gnome") || name.contains("gtk") || name.contains("glib") => {
            "Debian GNOME Maintainers <pkg-gnome-maintainers@lists.alioth.debian.org>"
        }
        _ if name.starts_with("gir1.2") || name.starts_with("libgst") => {
            "Debian GNOME Maintainers <pkg-gnome-maintainers@lists.alioth.debian.org>"
        }
        _ => "Debian QA Group <packages@qa.debian.org>",
    }
}
