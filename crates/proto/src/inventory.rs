//! Inventory sections. Each section is collected, hashed and sent on its own, so that only
//! what changed travels (DESIGN.md §4).
//!
//! Every field an endpoint may not know is optional or defaults to empty: a collector that
//! cannot read something (no root, no dmidecode, a container) leaves it out rather than fail.

use serde::{Deserialize, Serialize};

use crate::limits::{MAX_LIST, MAX_PACKAGES};
use crate::text::{capped_vec, Text};

/// The names of the sections, in the order the agent collects them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    /// [`Hardware`].
    Hardware,
    /// [`Os`].
    Os,
    /// [`Network`].
    Network,
    /// [`Software`].
    Software,
    /// [`Users`].
    Users,
    /// [`Services`].
    Services,
    /// [`Usb`].
    Usb,
    /// [`Security`].
    Security,
}

impl SectionKind {
    /// Every section.
    pub const ALL: [SectionKind; 8] = [
        SectionKind::Hardware,
        SectionKind::Os,
        SectionKind::Network,
        SectionKind::Software,
        SectionKind::Users,
        SectionKind::Services,
        SectionKind::Usb,
        SectionKind::Security,
    ];

    /// The section's wire name, also used as its key in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            SectionKind::Hardware => "hardware",
            SectionKind::Os => "os",
            SectionKind::Network => "network",
            SectionKind::Software => "software",
            SectionKind::Users => "users",
            SectionKind::Services => "services",
            SectionKind::Usb => "usb",
            SectionKind::Security => "security",
        }
    }

    /// Parses a wire name.
    pub fn parse(name: &str) -> Option<SectionKind> {
        SectionKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

/// A full or partial inventory: the sections present are the ones being sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    /// Hardware facts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware: Option<Hardware>,
    /// Operating system facts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<Os>,
    /// Network configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<Network>,
    /// Installed software.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software: Option<Software>,
    /// Local accounts and sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Users>,
    /// systemd units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Services>,
    /// Connected USB devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usb: Option<Usb>,
    /// Facts for security policies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<Security>,
}

/// The hash of a section's JSON bytes: BLAKE3, hex. BLAKE3 rather than SHA-256 because the
/// server hashes every section it receives (a software section is hundreds of kilobytes) and
/// SHA-256 without SHA extensions took a tenth of its CPU per first inventory.
pub fn hash_section(json: &[u8]) -> String {
    blake3::hash(json).to_hex().to_string()
}

impl Inventory {
    /// The hash of one section's canonical (compact `serde_json`) JSON, or `None` if the
    /// section is absent: what the agent reports in its check-in and what
    /// [`upload_section_hashes`](crate::upload_section_hashes) finds in an upload it sent, so
    /// the server can tell whether it already holds what the agent has.
    pub fn section_hash(&self, kind: SectionKind) -> Option<String> {
        let json = match kind {
            SectionKind::Hardware => self.hardware.as_ref().map(serde_json::to_vec),
            SectionKind::Os => self.os.as_ref().map(serde_json::to_vec),
            SectionKind::Network => self.network.as_ref().map(serde_json::to_vec),
            SectionKind::Software => self.software.as_ref().map(serde_json::to_vec),
            SectionKind::Users => self.users.as_ref().map(serde_json::to_vec),
            SectionKind::Services => self.services.as_ref().map(serde_json::to_vec),
            SectionKind::Usb => self.usb.as_ref().map(serde_json::to_vec),
            SectionKind::Security => self.security.as_ref().map(serde_json::to_vec),
        }?;
        // Serializing plain structs of strings and numbers cannot fail.
        let bytes = json.ok()?;
        Some(hash_section(&bytes))
    }

    /// The sections present in this inventory.
    pub fn present(&self) -> Vec<SectionKind> {
        SectionKind::ALL
            .into_iter()
            .filter(|kind| self.has(*kind))
            .collect()
    }

    /// Whether section `kind` is present.
    pub fn has(&self, kind: SectionKind) -> bool {
        match kind {
            SectionKind::Hardware => self.hardware.is_some(),
            SectionKind::Os => self.os.is_some(),
            SectionKind::Network => self.network.is_some(),
            SectionKind::Software => self.software.is_some(),
            SectionKind::Users => self.users.is_some(),
            SectionKind::Services => self.services.is_some(),
            SectionKind::Usb => self.usb.is_some(),
            SectionKind::Security => self.security.is_some(),
        }
    }

    /// Keeps only the listed sections.
    pub fn retain(&mut self, keep: &[SectionKind]) {
        let wanted = |kind| keep.contains(&kind);
        if !wanted(SectionKind::Hardware) {
            self.hardware = None;
        }
        if !wanted(SectionKind::Os) {
            self.os = None;
        }
        if !wanted(SectionKind::Network) {
            self.network = None;
        }
        if !wanted(SectionKind::Software) {
            self.software = None;
        }
        if !wanted(SectionKind::Users) {
            self.users = None;
        }
        if !wanted(SectionKind::Services) {
            self.services = None;
        }
        if !wanted(SectionKind::Usb) {
            self.usb = None;
        }
        if !wanted(SectionKind::Security) {
            self.security = None;
        }
    }
}

/// Hardware: DMI identity, firmware, CPU, memory, storage, GPUs and battery.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Hardware {
    /// System manufacturer (`sys_vendor`).
    pub manufacturer: Option<Text>,
    /// System model (`product_name`).
    pub model: Option<Text>,
    /// System serial number (needs root on most machines).
    pub serial: Option<Text>,
    /// SMBIOS system UUID (needs root on most machines).
    pub uuid: Option<Text>,
    /// Chassis type as a word: desktop, laptop, server, virtual, …
    pub chassis: Option<Text>,
    /// Firmware vendor.
    pub bios_vendor: Option<Text>,
    /// Firmware version.
    pub bios_version: Option<Text>,
    /// Firmware release date as the firmware states it.
    pub bios_date: Option<Text>,
    /// CPU.
    pub cpu: Cpu,
    /// Installed memory in bytes.
    pub memory_bytes: u64,
    /// Memory modules (from dmidecode, as root).
    #[serde(deserialize_with = "capped_vec::<_, _, MAX_LIST>")]
    pub memory_modules: Vec<MemoryModule>,
    /// Physical disks.
    #[serde(deserialize_with = "capped_vec::<_, _, MAX_LIST>")]
    pub disks: Vec<Disk>,
    /// Mounted file systems.
    #[serde(deserialize_with = "capped_vec::<_, _, MAX_LIST>")]
    pub filesystems: Vec<Filesystem>,
    /// Display adapters.
    #[serde(deserialize_with = "capped_vec::<_, _, MAX_LIST>")]
    pub gpus: Vec<Gpu>,
    /// Batteries.
    #[serde(deserialize_with = "capped_vec::<_, _, MAX_LIST>")]
    pub batteries: Vec<Battery>,
}

/// Processor summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cpu {
    /// Model name.
    pub model: Option<Text>,
    /// Vendor id (GenuineIntel, AuthenticAMD, …).
    pub vendor: Option<Text>,
    /// Physical packages.
    pub sockets: u32,
    /// Physical cores in all sockets.
    pub cores: u32,
    /// Hardware threads in all sockets.
    pub threads: u32,
    /// Maximum or nominal frequency in MHz.
    pub mhz: u32,
}

/// One memory module.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MemoryModule {
    /// Slot label.
    pub slot: Option<Text>,
    /// Size in bytes.
    pub size_bytes: u64,
    /// DDR4, DDR5, …
    pub kind: Option<Text>,
    /// Speed in MT/s.
    pub speed_mts: Option<u32>,
    /// Manufacturer.
    pub manufacturer: Option<Text>,
    /// Serial number.
    pub serial: Option<Text>,
    /// Part number.
    pub part_number: Option<Text>,
}

/// One physical disk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Disk {
    /// Kernel name (sda, nvme0n1, vda).
    pub name: Text,
    /// Model.
    pub model: Option<Text>,
    /// Serial number.
    pub serial: Option<Text>,
    /// Size in bytes.
    pub size_bytes: u64,
    /// Spinning disk.
    pub rotational: Option<bool>,
    /// Bus: sata, nvme, usb, virtio, scsi, …
    pub bus: Option<Text>,
}

/// One mounted file system.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Filesystem {
    /// Mount point.
    pub mount_point: Text,
    /// Source device.
    pub device: Option<Text>,
    /// ext4, xfs, btrfs, vfat, …
    pub fs_type: Text,
    /// Size in bytes.
    pub size_bytes: u64,
    /// Free bytes available to unprivileged users.
    pub free_bytes: u64,
}

/// One display adapter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Gpu {
    /// Vendor name or PCI vendor id.
    pub vendor: Option<Text>,
    /// Model name or PCI device id.
    pub model: Option<Text>,
    /// Kernel driver.
    pub driver: Option<Text>,
}

/// One battery.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Battery {
    /// Power-supply name (BAT0).
    pub name: Text,
    /// Manufacturer.
    pub manufacturer: Option<Text>,
    /// Model.
    pub model: Option<Text>,
    /// Serial.
    pub serial: Option<Text>,
    /// Li-ion, …
    pub technology: Option<Text>,
    /// Design capacity in mWh.
    pub design_capacity_mwh: Option<u64>,
    /// Full-charge capacity in mWh.
    pub full_capacity_mwh: Option<u64>,
    /// Charge in percent.
    pub capacity_percent: Option<u32>,
    /// Charging, Discharging, Full, …
    pub status: Option<Text>,
}

/// Operating system.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Os {
    /// Distribution name (`NAME` in os-release).
    pub name: Text,
    /// Distribution version (`VERSION_ID`).
    pub version: Option<Text>,
    /// Distribution id (`ID`: debian, ubuntu, rhel, …).
    pub id: Option<Text>,
    /// Pretty name.
    pub pretty_name: Option<Text>,
    /// Kernel release.
    pub kernel: Text,
    /// Machine architecture (x86_64, aarch64).
    pub arch: Text,
    /// Host name.
    pub hostname: Text,
    /// Fully qualified domain name, when known.
    pub fqdn: Option<Text>,
    /// DNS domain, when known.
    pub domain: Option<Text>,
    /// Boot time, Unix seconds.
    pub boot_time: Option<u64>,
    /// IANA time zone.
    pub timezone: Option<Text>,
    /// System locale (LANG).
    pub locale: Option<Text>,
    /// kvm, vmware, virtualbox, xen, hyperv, container kinds (docker, lxc, podman, …), or none.
    pub virtualization: Option<Text>,
    /// `/etc/machine-id`.
    pub machine_id: Option<Text>,
}

/// Network configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Network {
    /// Interfaces, loopback excluded.
    #[serde(deserialize_with = "capped_vec::<_, _, MAX_LIST>")]
    pub interfaces: Vec<Interface>,
    /// Default IPv4 gateway.
    pub default_gateway: Option<Text>,
    /// Default IPv6 gateway.
    pub default_gateway_v6: Option<Text>,
    /// DNS servers.
    #[serde(deserialize_with = "capped_vec::<_, _, MAX_LIST>")]
    pub dns_servers: Vec<Text>,
    /// DNS search domains.
    #[serde(deserialize_with = "capped_vec::<_, _, MAX_LIST>")]
    pub dns_search: Vec<Text>,
}

/// One network interface.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Interface {
    /// Kernel name.
    pub name: Text,
    /// MAC address, lowercase with colons.
    pub mac: Option<Text>,
    /// IPv4 addresses with prefix (`192.0.2.10/24`).
    #[serde(deserialize_with = "capped_vec::<_, _, MAX_LIST>")]
    pub ipv4: Vec<Text>,
    /// IPv6 addresses with prefix.
    #[serde(deserialize_with = "capped_vec::<_, _, MAX_LIST>")]
    pub ipv6: Vec<Text>,
    /// Link speed in Mbit/s when known.
    pub speed_mbps: Option<u32>,
    /// Operationally up.
    pub up: bool,
    /// Wireless interface.
    pub wireless: bool,
    /// Virtual interface (bridge, veth, tun, …).
    pub is_virtual: bool,
    /// MTU.
    pub mtu: Option<u32>,
}

/// Installed software.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Software {
    /// Packages from every package manager present.
    #[serde(deserialize_with = "capped_vec::<_, _, MAX_PACKAGES>")]
    pub packages: Vec<Package>,
}

/// One installed package.
///
/// On the wire a package is a row, `[name, version, arch, source, vendor, install_time,
/// size_bytes]` ([`Package::FIELDS`]), absent values as `null`: a first inventory lists
/// about 1,500 of them, and naming the seven fields in every one made the body half as long
/// again and its decoding a quarter slower. The object form (`{"name": …}`) is accepted too.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Package {
    /// Package name.
    pub name: Text,
    /// Version string as the package manager gives it.
    pub version: Text,
    /// Architecture (amd64, x86_64, all, noarch).
    pub arch: Text,
    /// dpkg, rpm, flatpak or snap.
    pub source: Text,
    /// Vendor or maintainer.
    pub vendor: Option<Text>,
    /// Install time, Unix seconds, where the package manager records it.
    pub install_time: Option<u64>,
    /// Installed size in bytes.
    pub size_bytes: Option<u64>,
}

impl Package {
    /// The fields of a package row, in order.
    pub const FIELDS: [&'static str; 7] = [
        "name",
        "version",
        "arch",
        "source",
        "vendor",
        "install_time",
        "size_bytes",
    ];
}

impl Serialize for Package {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let mut row = serializer.serialize_tuple(Package::FIELDS.len())?;
        row.serialize_element(&self.name)?;
        row.serialize_element(&self.version)?;
        row.serialize_element(&self.arch)?;
        row.serialize_element(&self.source)?;
        row.serialize_element(&self.vendor)?;
        row.serialize_element(&self.install_time)?;
        row.serialize_element(&self.size_bytes)?;
        row.end()
    }
}

/// Local accounts and logged-in sessions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Users {
    /// Accounts from the passwd database.
    #[serde(deserialize_with = "capped_vec::<_, _, MAX_LIST>")]
    pub accounts: Vec<Account>,
    /// Current sessions.
    #[serde(deserialize_with = "capped_vec::<_, _, MAX_LIST>")]
    pub sessions: Vec<Session>,
}

/// One local account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Account {
    /// Login name.
    pub name: Text,
    /// Numeric user id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// GECOS full name.
    pub full_name: Option<Text>,
    /// Home directory.
    pub home: Option<Text>,
    /// Login shell.
    pub shell: Option<Text>,
    /// Password locked or absent (from shadow, as root).
    pub locked: Option<bool>,
    /// Last password change, days since 1970-01-01 (from shadow, as root).
    pub last_password_change_days: Option<u64>,
    /// Human account (uid ≥ 1000 and a login shell) rather than a system account.
    pub human: bool,
}

/// One logged-in session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Session {
    /// User name.
    pub user: Text,
    /// Terminal or seat.
    pub tty: Option<Text>,
    /// Remote host for remote sessions.
    pub remote_host: Option<Text>,
    /// Login time, Unix seconds.
    pub login_time: Option<u64>,
}

/// systemd units.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Services {
    /// Service units.
    #[serde(deserialize_with = "capped_vec::<_, _, MAX_LIST>")]
    pub units: Vec<Unit>,
}

/// One systemd unit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Unit {
    /// Unit name (`ssh.service`).
    pub name: Text,
    /// Description.
    pub description: Option<Text>,
    /// active, inactive, failed, …
    pub active_state: Text,
    /// running, exited, dead, …
    pub sub_state: Option<Text>,
    /// enabled, disabled, static, masked, …
    pub enabled_state: Option<Text>,
}

/// Connected USB devices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Usb {
    /// Devices, root hubs excluded.
    #[serde(deserialize_with = "capped_vec::<_, _, MAX_LIST>")]
    pub devices: Vec<UsbDevice>,
}

/// One USB device.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UsbDevice {
    /// Vendor id, four lowercase hex digits.
    pub vendor_id: Text,
    /// Product id, four lowercase hex digits.
    pub product_id: Text,
    /// Serial.
    pub serial: Option<Text>,
    /// Device class (hex) or the first interface's class when the device's is 00.
    pub class: Option<Text>,
    /// Manufacturer string.
    pub manufacturer: Option<Text>,
    /// Product string.
    pub product: Option<Text>,
    /// Bus path (1-2.3).
    pub bus_path: Option<Text>,
}

/// Facts that later security policies judge.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Security {
    /// A host firewall is active.
    pub firewall_active: Option<bool>,
    /// Which one: nftables, ufw, firewalld, iptables.
    pub firewall_kind: Option<Text>,
    /// Automatic updates configured (unattended-upgrades, dnf-automatic).
    pub auto_updates: Option<bool>,
    /// Updates pending.
    pub pending_updates: Option<u32>,
    /// Security updates pending.
    pub pending_security_updates: Option<u32>,
    /// sshd is installed.
    pub sshd_present: bool,
    /// Effective `PermitRootLogin`.
    pub ssh_permit_root_login: Option<Text>,
    /// Effective `PasswordAuthentication`.
    pub ssh_password_authentication: Option<bool>,
    /// ClamAV is installed.
    pub clamav_present: bool,
    /// Age of the newest ClamAV definitions, in days.
    pub clamav_definitions_age_days: Option<u32>,
}
