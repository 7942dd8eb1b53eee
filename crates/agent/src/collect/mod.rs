//! Inventory collectors: one file per section, each reading the machine directly (sysfs,
//! procfs, package databases) and never failing the whole inventory for one missing fact.
//!
//! OWNED BY THE COLLECTORS WORK: the rest of the agent only calls [`collect_all`] and
//! [`identity_facts`].
//!
//! **Architecture Invariant:** every path is read under [`CollectContext::root`], and programs
//! are run only when that root is `/`, so a test can point a collector at a fixture tree and
//! get the same code path as production minus the commands. A collector that cannot read
//! something leaves the field out; a collector that can read nothing returns a
//! [`CollectError`] and its section is left out of the inventory. Nothing here panics on what
//! it reads from the machine.

mod hardware;
mod network;
mod os;
pub(crate) mod read;
mod security;
mod services;
mod software;
mod usb;
mod users;

use std::path::{Path, PathBuf};
use std::thread::{Builder, Scope, ScopedJoinHandle};

use kanri_proto::limits::{MAX_LIST, MAX_PACKAGES};
use kanri_proto::{IdentityFacts, Inventory, Text};

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
        CollectContext {
            root: "/".into(),
            cache_dir: None,
        }
    }
}

impl CollectContext {
    /// The machine path `absolute` (as written on a live system, e.g. `/etc/os-release`)
    /// under [`CollectContext::root`], so that fixtures and the live machine share one code
    /// path.
    pub fn path(&self, absolute: &str) -> PathBuf {
        self.root.join(absolute.trim_start_matches('/'))
    }

    /// Whether the collectors read the running machine. Only then may they run programs and
    /// ask the kernel directly (`uname`, `getifaddrs`, `statvfs`): a fixture tree has no
    /// processes or sockets behind it.
    pub fn is_live(&self) -> bool {
        self.root == Path::new("/")
    }
}

/// Why a collector could not produce its section.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// A file the section depends on could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The path under the collect root.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A program could not be started.
    #[error("cannot run {program}")]
    Spawn {
        /// The program's path.
        program: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A program ran longer than the few seconds a collector waits, and was killed.
    #[error("{program} did not finish in time")]
    Timeout {
        /// The program's path.
        program: String,
    },
    /// A program exited unsuccessfully.
    #[error("{program} exited with {status}")]
    Failed {
        /// The program's path.
        program: String,
        /// Its exit status.
        status: std::process::ExitStatus,
    },
    /// The machine has nothing this section could be built from.
    #[error("{0} is not available on this machine")]
    Unavailable(&'static str),
}

/// One inventory section's collector. Each lives in its own file; [`collect_all`] holds the
/// one list of them.
pub trait Collector: Sync {
    /// The wire type this collector fills.
    type Section: Send;

    /// Reads the machine under `cx.root`.
    ///
    /// # Errors
    /// [`CollectError`] only when nothing of the section could be read; partial knowledge is
    /// returned as `Ok` with the unknown fields left empty.
    fn collect(&self, cx: &CollectContext) -> Result<Self::Section, CollectError>;
}

/// Collects every section, each on its own thread so that the slow ones (package databases,
/// programs) overlap with the rest. A section whose collector fails or panics is left out.
pub fn collect_all(cx: &CollectContext) -> Inventory {
    let mut inventory = std::thread::scope(|scope| {
        let hardware = start(scope, cx, &hardware::HardwareCollector);
        let os = start(scope, cx, &os::OsCollector);
        let network = start(scope, cx, &network::NetworkCollector);
        let software = start(scope, cx, &software::SoftwareCollector);
        let users = start(scope, cx, &users::UsersCollector);
        let services = start(scope, cx, &services::ServicesCollector);
        let usb = start(scope, cx, &usb::UsbCollector);
        let security = start(scope, cx, &security::SecurityCollector);
        Inventory {
            hardware: hardware.finish(),
            os: os.finish(),
            network: network.finish(),
            software: software.finish(),
            users: users.finish(),
            services: services.finish(),
            usb: usb.finish(),
            security: security.finish(),
        }
    });
    enforce_limits(&mut inventory);
    inventory
}

/// Identity facts derived from a collected inventory: what the server matches a machine by.
/// Only MACs of physical interfaces count, because virtual ones (bridges, veths, containers)
/// come and go and are often random.
pub fn identity_facts(inventory: &Inventory) -> IdentityFacts {
    let hardware = inventory.hardware.as_ref();
    let os = inventory.os.as_ref();
    let mut macs: Vec<Text> = inventory
        .network
        .iter()
        .flat_map(|network| network.interfaces.iter())
        .filter(|interface| !interface.is_virtual)
        .filter_map(|interface| interface.mac.clone())
        .collect();
    macs.sort_unstable();
    macs.dedup();
    IdentityFacts {
        hostname: os.map(|os| os.hostname.clone()).unwrap_or_default(),
        serial: hardware.and_then(|hardware| hardware.serial.clone()),
        uuid: hardware.and_then(|hardware| hardware.uuid.clone()),
        machine_id: os.and_then(|os| os.machine_id.clone()),
        macs,
    }
}

/// A collector started on a thread, or already finished when no thread could be created.
enum Pending<'scope, T> {
    Running(ScopedJoinHandle<'scope, Result<T, CollectError>>),
    Done(Result<T, CollectError>),
}

impl<T> Pending<'_, T> {
    /// The section, or `None` when the collector failed or panicked.
    fn finish(self) -> Option<T> {
        let result = match self {
            Pending::Running(handle) => handle.join().ok()?,
            Pending::Done(result) => result,
        };
        result.ok()
    }
}

fn start<'scope, 'env, C: Collector>(
    scope: &'scope Scope<'scope, 'env>,
    cx: &'env CollectContext,
    collector: &'env C,
) -> Pending<'scope, C::Section> {
    match Builder::new().spawn_scoped(scope, move || collector.collect(cx)) {
        Ok(handle) => Pending::Running(handle),
        // Out of threads: collect inline rather than lose the section.
        Err(_) => Pending::Done(collector.collect(cx)),
    }
}

/// Cuts lists to the sizes the server accepts, so that one huge machine is reported in part
/// rather than rejected whole.
fn enforce_limits(inventory: &mut Inventory) {
    if let Some(hardware) = &mut inventory.hardware {
        hardware.memory_modules.truncate(MAX_LIST);
        hardware.disks.truncate(MAX_LIST);
        hardware.filesystems.truncate(MAX_LIST);
        hardware.gpus.truncate(MAX_LIST);
        hardware.batteries.truncate(MAX_LIST);
    }
    if let Some(network) = &mut inventory.network {
        network.interfaces.truncate(MAX_LIST);
        for interface in &mut network.interfaces {
            interface.ipv4.truncate(MAX_LIST);
            interface.ipv6.truncate(MAX_LIST);
        }
        network.dns_servers.truncate(MAX_LIST);
        network.dns_search.truncate(MAX_LIST);
    }
    if let Some(software) = &mut inventory.software {
        software.packages.truncate(MAX_PACKAGES);
    }
    if let Some(users) = &mut inventory.users {
        users.accounts.truncate(MAX_LIST);
        users.sessions.truncate(MAX_LIST);
    }
    if let Some(services) = &mut inventory.services {
        services.units.truncate(MAX_LIST);
    }
    if let Some(usb) = &mut inventory.usb {
        usb.devices.truncate(MAX_LIST);
    }
}

#[cfg(test)]
mod tests {
    use kanri_proto::inventory::{Hardware, Interface, Network, Os};

    use super::*;

    /// The real machine: these facts hold on any Linux host the tests run on.
    #[test]
    fn collects_the_running_machine() {
        let cx = CollectContext::default();
        let inventory = collect_all(&cx);

        let os = inventory.os.as_ref().expect("os section");
        let mut buffer = [0u8; 256];
        // SAFETY: the buffer is valid for its whole length.
        let result = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
        assert_eq!(result, 0);
        let end = buffer
            .iter()
            .position(|&byte| byte == 0)
            .expect("nul-terminated");
        assert_eq!(os.hostname.as_bytes(), &buffer[..end]);
        assert!(!os.kernel.is_empty());

        let software = inventory.software.as_ref().expect("software section");
        assert!(
            software
                .packages
                .iter()
                .any(|package| package.name.as_str() == "dpkg" && package.source.as_str() == "dpkg"),
            "dpkg itself is installed on a Debian machine"
        );

        let hardware = inventory.hardware.as_ref().expect("hardware section");
        assert!(hardware.memory_bytes > 0);
        assert!(hardware.cpu.threads > 0);

        // The whole inventory must pass the server's strict decoding.
        let json = serde_json::to_vec(&inventory).expect("serialize");
        let decoded: Inventory = serde_json::from_slice(&json).expect("decode");
        assert_eq!(decoded, inventory);
    }

    fn check(inventory: &Inventory, expected: &IdentityFacts) {
        assert_eq!(&identity_facts(inventory), expected);
    }

    #[test]
    fn identity_uses_physical_macs_only() {
        let interface = |name: &str, mac: &str, is_virtual: bool| Interface {
            name: Text::from(name),
            mac: Some(Text::from(mac)),
            is_virtual,
            ..Interface::default()
        };
        let inventory = Inventory {
            hardware: Some(Hardware {
                serial: Some(Text::from("SN1")),
                uuid: Some(Text::from("u-1")),
                ..Hardware::default()
            }),
            os: Some(Os {
                hostname: Text::from("pc-01"),
                machine_id: Some(Text::from("abc")),
                ..Os::default()
            }),
            network: Some(Network {
                interfaces: vec![
                    interface("wlan0", "02:00:00:00:00:02", false),
                    interface("docker0", "02:42:00:00:00:01", true),
                    interface("eth0", "02:00:00:00:00:01", false),
                ],
                ..Network::default()
            }),
            ..Inventory::default()
        };
        check(
            &inventory,
            &IdentityFacts {
                hostname: Text::from("pc-01"),
                serial: Some(Text::from("SN1")),
                uuid: Some(Text::from("u-1")),
                machine_id: Some(Text::from("abc")),
                macs: vec![
                    Text::from("02:00:00:00:00:01"),
                    Text::from("02:00:00:00:00:02"),
                ],
            },
        );
        check(&Inventory::default(), &IdentityFacts::default());
    }

    #[test]
    fn a_fixture_root_collects_without_the_live_machine() {
        let cx = CollectContext {
            root: read::testdata("root-debian"),
            cache_dir: None,
        };
        let inventory = collect_all(&cx);
        let os = inventory.os.expect("os section");
        assert_eq!(os.id.as_deref(), Some("debian"));
        assert_eq!(os.hostname.as_str(), "fixture-host");
        let software = inventory.software.expect("software section");
        assert!(software
            .packages
            .iter()
            .any(|package| package.name.as_str() == "dpkg"));
    }
}
