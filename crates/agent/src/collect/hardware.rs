//! The hardware section: DMI identity and firmware from sysfs, CPU from `/proc/cpuinfo` and
//! the CPU topology in sysfs, memory from `/proc/meminfo` and (as root) `dmidecode -t 17`,
//! disks from `/sys/block`, mounted file systems, display adapters and batteries.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use kanri_proto::inventory::{Battery, Cpu, Disk, Filesystem, Gpu, Hardware, MemoryModule};

use super::os::hypervisor_from_dmi;
use super::read::{
    find_program, is_root, link_name, list_dir, opt_text, read_number, read_string, read_value,
    run, statvfs, text,
};
use super::{CollectContext, CollectError, Collector};

/// Collects [`Hardware`].
pub(super) struct HardwareCollector;

impl Collector for HardwareCollector {
    type Section = Hardware;

    fn collect(&self, cx: &CollectContext) -> Result<Hardware, CollectError> {
        let dmi = |name: &str| dmi_value(cx, name);
        let manufacturer = dmi("sys_vendor");
        let model = dmi("product_name");
        let is_vm = hypervisor_from_dmi(
            manufacturer.as_deref().unwrap_or(""),
            model.as_deref().unwrap_or(""),
        )
        .is_some();
        let chassis = if is_vm {
            Some("virtual")
        } else {
            read_number(&cx.path("/sys/class/dmi/id/chassis_type")).and_then(chassis_word)
        };
        let memory_modules = memory_modules(cx);
        let module_total: u64 = memory_modules.iter().map(|module| module.size_bytes).sum();
        let memory_bytes = if module_total > 0 {
            module_total
        } else {
            read_string(&cx.path("/proc/meminfo"))
                .ok()
                .and_then(|text| mem_total(&text))
                .unwrap_or(0)
        };
        Ok(Hardware {
            serial: dmi("product_serial").as_deref().and_then(opt_text),
            uuid: dmi("product_uuid").map(|uuid| text(&uuid.to_ascii_lowercase())),
            manufacturer: manufacturer.as_deref().and_then(opt_text),
            model: model.as_deref().and_then(opt_text),
            chassis: chassis.map(text),
            bios_vendor: dmi("bios_vendor").as_deref().and_then(opt_text),
            bios_version: dmi("bios_version").as_deref().and_then(opt_text),
            bios_date: dmi("bios_date").as_deref().and_then(opt_text),
            cpu: cpu(cx),
            memory_bytes,
            memory_modules,
            disks: disks(cx),
            filesystems: filesystems(cx),
            gpus: gpus(cx),
            batteries: batteries(cx),
        })
    }
}

fn dmi_value(cx: &CollectContext, name: &str) -> Option<String> {
    let value = read_value(&cx.path("/sys/class/dmi/id").join(name))?;
    // Placeholders would make unrelated machines share a "serial".
    (!kanri_proto::placeholders::is_placeholder(&value)).then_some(value)
}

/// The SMBIOS chassis type code as a word.
fn chassis_word(code: u32) -> Option<&'static str> {
    Some(match code {
        3 | 4 | 5 | 6 | 7 | 15 | 16 | 24 => "desktop",
        8 | 9 | 10 | 14 => "laptop",
        11 => "handheld",
        12 => "docking station",
        13 => "all-in-one",
        17 | 23 | 25 => "server",
        18..=22 => "expansion chassis",
        26 | 27 => "telecom",
        28 | 29 => "blade",
        30 => "tablet",
        31 => "convertible",
        32 => "detachable",
        33 => "iot gateway",
        34 => "embedded",
        35 => "mini pc",
        36 => "stick pc",
        1 => "other",
        _ => return None,
    })
}

fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|line| line.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn cpu(cx: &CollectContext) -> Cpu {
    let cpuinfo = read_string(&cx.path("/proc/cpuinfo")).unwrap_or_default();
    let mut cpu = parse_cpuinfo(&cpuinfo);
    let cpus = cx.path("/sys/devices/system/cpu");
    if cpu.sockets == 0 {
        // No `physical id` in cpuinfo (ARM, some VMs): count packages and cores in sysfs.
        let mut packages = BTreeSet::new();
        let mut cores = BTreeSet::new();
        let mut threads = 0;
        for name in list_dir(&cpus) {
            let is_cpu = name.strip_prefix("cpu").is_some_and(|rest| {
                !rest.is_empty() && rest.bytes().all(|byte| byte.is_ascii_digit())
            });
            if !is_cpu {
                continue;
            }
            let topology = cpus.join(&name).join("topology");
            let package: Option<i64> = read_number(&topology.join("physical_package_id"));
            let core: Option<i64> = read_number(&topology.join("core_id"));
            if let (Some(package), Some(core)) = (package, core) {
                packages.insert(package);
                cores.insert((package, core));
                threads += 1;
            }
        }
        if threads > 0 {
            cpu.sockets = count(packages.len());
            cpu.cores = count(cores.len());
            cpu.threads = cpu.threads.max(threads);
        } else if cpu.threads > 0 {
            cpu.sockets = 1;
            cpu.cores = cpu.threads;
        }
    }
    let max_khz: Option<u64> = read_number(&cpus.join("cpu0/cpufreq/cpuinfo_max_freq"));
    if let Some(mhz) = max_khz
        .and_then(|khz| u32::try_from(khz / 1000).ok())
        .filter(|&mhz| mhz > 0)
    {
        cpu.mhz = mhz;
    }
    cpu
}

fn count(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// The CPU as `/proc/cpuinfo` describes it. `sockets` stays 0 when cpuinfo does not give the
/// topology, so the caller knows to ask sysfs.
fn parse_cpuinfo(cpuinfo: &str) -> Cpu {
    let mut model = None;
    let mut vendor = None;
    let mut current_mhz = None;
    let mut threads = 0u32;
    let mut packages = BTreeSet::new();
    let mut cores = BTreeSet::new();
    let mut package = None;
    for line in cpuinfo.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "processor" => {
                threads += 1;
                package = None;
            }
            "model name" | "Processor" if model.is_none() && !value.is_empty() => {
                model = Some(value)
            }
            "vendor_id" if vendor.is_none() => vendor = Some(value),
            "CPU implementer" if vendor.is_none() => vendor = arm_implementer(value),
            "cpu MHz" if current_mhz.is_none() => current_mhz = value.parse::<f64>().ok(),
            "physical id" => {
                package = value.parse::<u32>().ok();
                if let Some(package) = package {
                    packages.insert(package);
                }
            }
            "core id" => {
                if let (Some(package), Ok(core)) = (package, value.parse::<u32>()) {
                    cores.insert((package, core));
                }
            }
            _ => {}
        }
    }
    let nominal_mhz = model.and_then(nominal_mhz);
    let mhz = nominal_mhz
        .or_else(|| {
            current_mhz
                .filter(|mhz| *mhz >= 1.0 && *mhz < 1e6)
                .map(|mhz| mhz.round() as u32)
        })
        .unwrap_or(0);
    Cpu {
        model: model.and_then(opt_text),
        vendor: vendor.and_then(opt_text),
        sockets: count(packages.len()),
        cores: if cores.is_empty() {
            0
        } else {
            count(cores.len())
        },
        threads,
        mhz,
    }
}

/// ARM's implementer codes for the vendors one meets in servers and laptops.
fn arm_implementer(code: &str) -> Option<&'static str> {
    Some(match code {
        "0x41" => "ARM",
        "0x42" => "Broadcom",
        "0x48" => "HiSilicon",
        "0x4e" => "NVIDIA",
        "0x51" => "Qualcomm",
        "0x61" => "Apple",
        "0xc0" => "Ampere",
        _ => return None,
    })
}

/// The frequency printed in a model name such as `Intel(R) Xeon(R) Processor @ 2.00GHz`.
fn nominal_mhz(model: &str) -> Option<u32> {
    let (_, tail) = model.rsplit_once('@')?;
    let tail = tail.trim();
    let (number, factor) = if let Some(number) = tail.strip_suffix("GHz") {
        (number, 1000.0)
    } else {
        (tail.strip_suffix("MHz")?, 1.0)
    };
    let value: f64 = number.trim().parse().ok()?;
    let mhz = (value * factor).round();
    (1.0..1e6).contains(&mhz).then_some(mhz as u32)
}

fn memory_modules(cx: &CollectContext) -> Vec<MemoryModule> {
    if !is_root() {
        return Vec::new();
    }
    let Some(dmidecode) = find_program(
        cx,
        &[
            "/usr/sbin/dmidecode",
            "/sbin/dmidecode",
            "/usr/bin/dmidecode",
        ],
    ) else {
        return Vec::new();
    };
    match run(&dmidecode, &["-t", "17"]) {
        Ok(output) => parse_dmidecode_memory(&output),
        Err(_) => Vec::new(),
    }
}

/// Installed modules from `dmidecode -t 17`; empty slots are left out.
fn parse_dmidecode_memory(output: &str) -> Vec<MemoryModule> {
    let mut modules = Vec::new();
    let mut current: Option<MemoryModule> = None;
    for line in output.lines() {
        if !line.starts_with('\t') {
            if let Some(module) = current.take().filter(|module| module.size_bytes > 0) {
                modules.push(module);
            }
            if line.trim() == "Memory Device" {
                current = Some(MemoryModule::default());
            }
            continue;
        }
        let Some(module) = current.as_mut() else {
            continue;
        };
        let Some((key, value)) = line.trim().split_once(':') else {
            continue;
        };
        let value = value.trim();
        let known = !kanri_proto::placeholders::is_placeholder(value)
            && !value.eq_ignore_ascii_case("other")
            && !value.eq_ignore_ascii_case("no dimm");
        match key {
            "Size" => module.size_bytes = memory_size(value).unwrap_or(0),
            "Locator" if known => module.slot = opt_text(value),
            "Type" if known => module.kind = opt_text(value),
            "Speed" => {
                module.speed_mts = value
                    .split_whitespace()
                    .next()
                    .and_then(|speed| speed.parse().ok())
            }
            "Manufacturer" if known => module.manufacturer = opt_text(value),
            "Serial Number" if known => module.serial = opt_text(value),
            "Part Number" if known => module.part_number = opt_text(value),
            _ => {}
        }
    }
    if let Some(module) = current.filter(|module| module.size_bytes > 0) {
        modules.push(module);
    }
    modules
}

/// `16 GB`, `8192 MB`, … in bytes; `None` for "No Module Installed" and the like.
fn memory_size(value: &str) -> Option<u64> {
    let mut parts = value.split_whitespace();
    let number: u64 = parts.next()?.parse().ok()?;
    let unit: u64 = match parts.next()? {
        "bytes" => 1,
        "kB" | "KB" => 1 << 10,
        "MB" => 1 << 20,
        "GB" => 1 << 30,
        "TB" => 1 << 40,
        _ => return None,
    };
    number.checked_mul(unit)
}

/// Kernel block devices that are not physical disks.
const VIRTUAL_BLOCK_PREFIXES: &[&str] =
    &["loop", "ram", "zram", "dm-", "md", "nbd", "zd", "fd", "sr"];

fn disks(cx: &CollectContext) -> Vec<Disk> {
    let block = cx.path("/sys/block");
    let mut disks = Vec::new();
    for name in list_dir(&block) {
        if VIRTUAL_BLOCK_PREFIXES
            .iter()
            .any(|prefix| name.starts_with(prefix))
        {
            continue;
        }
        let dir = block.join(&name);
        let device_path = std::fs::read_link(&dir)
            .map(|target| target.to_string_lossy().into_owned())
            .unwrap_or_default();
        if device_path.contains("/virtual/") {
            continue;
        }
        let sectors: u64 = read_number(&dir.join("size")).unwrap_or(0);
        if sectors == 0 {
            // Empty card readers and optical drives without a medium.
            continue;
        }
        let serial = ["device/serial", "serial", "device/wwid"]
            .iter()
            .find_map(|file| read_value(&dir.join(file)))
            .or_else(|| vpd_serial(&dir.join("device/vpd_pg80")));
        disks.push(Disk {
            name: text(&name),
            model: read_value(&dir.join("device/model"))
                .as_deref()
                .and_then(opt_text),
            serial: serial.as_deref().and_then(opt_text),
            size_bytes: sectors.saturating_mul(512),
            rotational: read_number::<u8>(&dir.join("queue/rotational")).map(|flag| flag == 1),
            bus: disk_bus(&device_path).map(text),
        });
    }
    disks
}

/// The unit serial number from SCSI VPD page 0x80: a four-byte header, then the serial.
fn vpd_serial(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let length = usize::from(*bytes.get(3)?);
    let serial = bytes.get(4..4 + length)?;
    let serial = String::from_utf8_lossy(serial).trim().to_owned();
    (!serial.is_empty()).then_some(serial)
}

/// The bus a disk hangs off, from its sysfs device path. USB comes first because a USB
/// bridge also shows a SCSI host; ATA before SCSI for the same reason.
fn disk_bus(device_path: &str) -> Option<&'static str> {
    let has = |needle: &str| device_path.contains(needle);
    Some(if has("/usb") {
        "usb"
    } else if has("/nvme") {
        "nvme"
    } else if has("/ata") {
        "sata"
    } else if has("/mmc") {
        "mmc"
    } else if has("/host") {
        "scsi"
    } else if has("/virtio") {
        "virtio"
    } else if has("/vbd-") || has("/xen") {
        "xen"
    } else {
        return None;
    })
}

/// File systems backed by storage the machine owns or mounts over the network; everything
/// else (proc, sysfs, tmpfs, overlay, squashfs images, …) is not an asset's disk space.
const REAL_FILESYSTEMS: &[&str] = &[
    "ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "jfs", "reiserfs", "bcachefs", "vfat",
    "msdos", "exfat", "ntfs", "ntfs3", "fuseblk", "hfs", "hfsplus", "udf", "iso9660",
];
/// Network file systems: listed, but never `statvfs`ed, because a dead server would hang us.
const NETWORK_FILESYSTEMS: &[&str] = &["nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs"];

fn filesystems(cx: &CollectContext) -> Vec<Filesystem> {
    let Ok(mounts) = read_string(&cx.path("/proc/self/mounts")) else {
        return Vec::new();
    };
    let mut filesystems = parse_mounts(&mounts);
    if cx.is_live() {
        for filesystem in &mut filesystems {
            if NETWORK_FILESYSTEMS.contains(&filesystem.fs_type.as_str()) {
                continue;
            }
            if let Some((size, free)) = statvfs(Path::new(filesystem.mount_point.as_str())) {
                filesystem.size_bytes = size;
                filesystem.free_bytes = free;
            }
        }
    }
    filesystems
}

/// Real file systems from a mounts table; a mount point mounted over keeps the last entry.
fn parse_mounts(mounts: &str) -> Vec<Filesystem> {
    let mut filesystems: Vec<Filesystem> = Vec::new();
    for line in mounts.lines() {
        let mut fields = line.split_whitespace();
        let (Some(device), Some(mount_point), Some(fs_type)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        if !REAL_FILESYSTEMS.contains(&fs_type) && !NETWORK_FILESYSTEMS.contains(&fs_type) {
            continue;
        }
        let mount_point = unescape_mount(mount_point);
        filesystems.retain(|filesystem| filesystem.mount_point.as_str() != mount_point);
        filesystems.push(Filesystem {
            mount_point: text(&mount_point),
            device: opt_text(&unescape_mount(device)),
            fs_type: text(fs_type),
            size_bytes: 0,
            free_bytes: 0,
        });
    }
    filesystems
}

/// Undoes the octal escapes (`\040` for a space) the kernel writes in the mounts table.
fn unescape_mount(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let octal = bytes.get(index + 1..index + 4).filter(|digits| {
            bytes[index] == b'\\' && digits.iter().all(|digit| (b'0'..=b'7').contains(digit))
        });
        match octal {
            Some(digits) => {
                let value = digits
                    .iter()
                    .fold(0u32, |value, digit| value * 8 + u32::from(digit - b'0'));
                out.push(u8::try_from(value).unwrap_or(b'?'));
                index += 4;
            }
            None => {
                out.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn gpus(cx: &CollectContext) -> Vec<Gpu> {
    let devices = cx.path("/sys/bus/pci/devices");
    let mut gpus = Vec::new();
    for name in list_dir(&devices) {
        let dir = devices.join(&name);
        let is_display =
            read_value(&dir.join("class")).is_some_and(|class| class.starts_with("0x03"));
        if !is_display {
            continue;
        }
        let vendor_id = read_value(&dir.join("vendor")).map(|id| pci_id(&id));
        let device_id = read_value(&dir.join("device")).map(|id| pci_id(&id));
        let (vendor_name, device_name) = match (&vendor_id, &device_id) {
            (Some(vendor), Some(device)) => pci_names(cx, vendor, device),
            _ => (None, None),
        };
        let vendor = vendor_id
            .as_deref()
            .and_then(pci_vendor_name)
            .map(str::to_owned)
            .or(vendor_name)
            .or(vendor_id);
        gpus.push(Gpu {
            vendor: vendor.as_deref().and_then(opt_text),
            model: device_name.or(device_id).as_deref().and_then(opt_text),
            driver: link_name(&dir.join("driver")).as_deref().and_then(opt_text),
        });
    }
    gpus
}

/// `0x10de` as `10de`.
fn pci_id(raw: &str) -> String {
    raw.trim().trim_start_matches("0x").to_ascii_lowercase()
}

fn pci_vendor_name(vendor_id: &str) -> Option<&'static str> {
    Some(match vendor_id {
        "8086" => "Intel",
        "10de" => "NVIDIA",
        "1002" => "AMD",
        "1af4" => "Red Hat (virtio)",
        "1234" => "QEMU",
        "15ad" => "VMware",
        "1414" => "Microsoft",
        "80ee" => "VirtualBox",
        "1a03" => "ASPEED",
        "102b" => "Matrox",
        _ => return None,
    })
}

/// Vendor and device names from the `pci.ids` database when the distribution ships it. It
/// is read line by line and only as far as the vendor's block.
fn pci_names(
    cx: &CollectContext,
    vendor_id: &str,
    device_id: &str,
) -> (Option<String>, Option<String>) {
    let database = [
        "/usr/share/misc/pci.ids",
        "/usr/share/hwdata/pci.ids",
        "/usr/share/pci.ids",
    ]
    .iter()
    .find_map(|path| File::open(cx.path(path)).ok());
    let Some(database) = database else {
        return (None, None);
    };
    lookup_pci_ids(BufReader::new(database), vendor_id, device_id)
}

fn lookup_pci_ids(
    reader: impl BufRead,
    vendor_id: &str,
    device_id: &str,
) -> (Option<String>, Option<String>) {
    let mut vendor_name = None;
    for line in reader.lines() {
        let Ok(line) = line else {
            break;
        };
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if vendor_name.is_none() {
            if let Some(name) = line
                .strip_prefix(vendor_id)
                .and_then(|rest| rest.strip_prefix("  "))
            {
                vendor_name = Some(name.trim().to_owned());
            }
            continue;
        }
        if !line.starts_with('\t') {
            // The next vendor's block: the device is not listed.
            break;
        }
        if let Some(name) = line
            .strip_prefix('\t')
            .and_then(|rest| rest.strip_prefix(device_id))
            .and_then(|rest| rest.strip_prefix("  "))
        {
            return (vendor_name, Some(name.trim().to_owned()));
        }
    }
    (vendor_name, None)
}

fn batteries(cx: &CollectContext) -> Vec<Battery> {
    let supplies = cx.path("/sys/class/power_supply");
    let mut batteries = Vec::new();
    for name in list_dir(&supplies) {
        let dir = supplies.join(&name);
        if read_value(&dir.join("type")).as_deref() != Some("Battery") {
            continue;
        }
        // Batteries of peripherals (mice, headsets) say scope=Device.
        if read_value(&dir.join("scope")).as_deref() == Some("Device") {
            continue;
        }
        batteries.push(battery(&dir, &name));
    }
    batteries
}

fn battery(dir: &Path, name: &str) -> Battery {
    let value = |file: &str| read_value(&dir.join(file)).as_deref().and_then(opt_text);
    let number = |file: &str| read_number::<u64>(&dir.join(file));
    let voltage = number("voltage_min_design");
    // energy_* is in µWh; charge_* in µAh needs the design voltage in µV.
    let capacity_mwh = |energy: &str, charge: &str| {
        number(energy).map(|micro_wh| micro_wh / 1000).or_else(|| {
            let micro_ah = number(charge)?;
            Some(micro_ah.checked_mul(voltage?)? / 1_000_000_000)
        })
    };
    Battery {
        name: text(name),
        manufacturer: value("manufacturer"),
        model: value("model_name"),
        serial: value("serial_number"),
        technology: value("technology"),
        design_capacity_mwh: capacity_mwh("energy_full_design", "charge_full_design"),
        full_capacity_mwh: capacity_mwh("energy_full", "charge_full"),
        capacity_percent: read_number(&dir.join("capacity")),
        status: value("status"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::read::{link_fixture, testdata_text, write_fixture};
    use super::*;

    type DiskRow<'a> = (
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
        u64,
        Option<bool>,
        Option<&'a str>,
    );

    /// Runs the collector on a tree that `build` writes into a fresh temporary root.
    fn check(build: impl FnOnce(&Path), expected: impl FnOnce(&Hardware)) {
        let root = tempfile::tempdir().expect("temp dir");
        build(root.path());
        let cx = CollectContext {
            root: root.path().to_owned(),
            cache_dir: None,
        };
        let hardware = HardwareCollector.collect(&cx).expect("hardware collects");
        expected(&hardware);
    }

    #[test]
    fn reads_cpuinfo_captured_here() {
        let cpu = parse_cpuinfo(&testdata_text("root-debian/proc/cpuinfo"));
        assert_eq!(
            cpu,
            Cpu {
                model: Some("Intel(R) Xeon(R) Processor @ 2.00GHz".into()),
                vendor: Some("GenuineIntel".into()),
                sockets: 1,
                cores: 2,
                threads: 2,
                mhz: 2000,
            }
        );
    }

    #[test]
    fn reads_two_socket_cpuinfo_with_hyperthreads() {
        let mut cpuinfo = String::new();
        for (processor, (package, core)) in [
            (0, 0),
            (0, 1),
            (1, 0),
            (1, 1),
            (0, 0),
            (0, 1),
            (1, 0),
            (1, 1),
        ]
        .into_iter()
        .enumerate()
        {
            cpuinfo.push_str(&format!(
                "processor\t: {processor}\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7302\ncpu MHz\t\t: 1499.6\nphysical id\t: {package}\ncore id\t\t: {core}\n\n"
            ));
        }
        let cpu = parse_cpuinfo(&cpuinfo);
        assert_eq!(
            (cpu.sockets, cpu.cores, cpu.threads, cpu.mhz),
            (2, 4, 8, 1500)
        );
    }

    #[test]
    fn falls_back_to_sysfs_topology_and_cpufreq() {
        check(
            |root| {
                write_fixture(root, "proc/cpuinfo", "processor\t: 0\nBogoMIPS\t: 48.00\n\nprocessor\t: 1\n\nprocessor\t: 2\n\nprocessor\t: 3\n");
                for cpu in 0..4 {
                    let topology = format!("sys/devices/system/cpu/cpu{cpu}/topology");
                    write_fixture(root, &format!("{topology}/physical_package_id"), "0\n");
                    write_fixture(
                        root,
                        &format!("{topology}/core_id"),
                        &format!("{}\n", cpu / 2),
                    );
                }
                write_fixture(
                    root,
                    "sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq",
                    "2400000\n",
                );
                write_fixture(
                    root,
                    "proc/meminfo",
                    "MemTotal:        8000000 kB\nMemFree: 1 kB\n",
                );
            },
            |hardware| {
                assert_eq!(
                    (
                        hardware.cpu.sockets,
                        hardware.cpu.cores,
                        hardware.cpu.threads,
                        hardware.cpu.mhz
                    ),
                    (1, 2, 4, 2400)
                );
                assert_eq!(hardware.memory_bytes, 8_000_000 * 1024);
                assert_eq!(hardware.cpu.model, None);
            },
        );
    }

    #[test]
    fn reads_dmi_and_drops_placeholders() {
        check(
            |root| {
                let dmi = "sys/class/dmi/id";
                write_fixture(root, &format!("{dmi}/sys_vendor"), "LENOVO\n");
                write_fixture(root, &format!("{dmi}/product_name"), "20XW0055GE\n");
                write_fixture(
                    root,
                    &format!("{dmi}/product_serial"),
                    "To Be Filled By O.E.M.\n",
                );
                write_fixture(
                    root,
                    &format!("{dmi}/product_uuid"),
                    "4C4C4544-0042-3510-8056-B4C04F4A4E32\n",
                );
                write_fixture(root, &format!("{dmi}/chassis_type"), "10\n");
                write_fixture(root, &format!("{dmi}/bios_vendor"), "LENOVO\n");
                write_fixture(root, &format!("{dmi}/bios_version"), "N32ET75W (1.51 )\n");
                write_fixture(root, &format!("{dmi}/bios_date"), "02/21/2022\n");
            },
            |hardware| {
                assert_eq!(hardware.manufacturer.as_deref(), Some("LENOVO"));
                assert_eq!(hardware.model.as_deref(), Some("20XW0055GE"));
                assert_eq!(hardware.serial, None);
                assert_eq!(
                    hardware.uuid.as_deref(),
                    Some("4c4c4544-0042-3510-8056-b4c04f4a4e32")
                );
                assert_eq!(hardware.chassis.as_deref(), Some("laptop"));
                assert_eq!(hardware.bios_version.as_deref(), Some("N32ET75W (1.51 )"));
                assert_eq!(hardware.bios_date.as_deref(), Some("02/21/2022"));
            },
        );
        check(
            |root| {
                write_fixture(root, "sys/class/dmi/id/sys_vendor", "QEMU\n");
                write_fixture(
                    root,
                    "sys/class/dmi/id/product_name",
                    "Standard PC (Q35 + ICH9, 2009)\n",
                );
                write_fixture(root, "sys/class/dmi/id/chassis_type", "1\n");
            },
            |hardware| assert_eq!(hardware.chassis.as_deref(), Some("virtual")),
        );
    }

    #[test]
    fn parses_dmidecode_memory_devices() {
        let modules = parse_dmidecode_memory(&testdata_text("dmidecode-t17.txt"));
        assert_eq!(
            modules,
            vec![
                MemoryModule {
                    slot: Some("DIMM A1".into()),
                    size_bytes: 16 << 30,
                    kind: Some("DDR4".into()),
                    speed_mts: Some(3200),
                    manufacturer: Some("Samsung".into()),
                    serial: Some("3A1B2C4D".into()),
                    part_number: Some("M471A2K43EB1-CWE".into()),
                },
                MemoryModule {
                    slot: Some("DIMM B1".into()),
                    size_bytes: 8192 << 20,
                    kind: Some("DDR4".into()),
                    speed_mts: Some(2667),
                    manufacturer: None,
                    serial: None,
                    part_number: Some("KHX2666C16/8G".into()),
                },
            ]
        );
    }

    #[test]
    fn lists_physical_disks_with_their_bus() {
        check(
            |root| {
                let disk = |root: &Path, name: &str, device: &str, files: &[(&str, &str)]| {
                    link_fixture(
                        root,
                        &format!("sys/block/{name}"),
                        &format!("../devices/{device}/block/{name}"),
                    );
                    for (file, content) in files {
                        write_fixture(
                            root,
                            &format!("sys/devices/{device}/block/{name}/{file}"),
                            content,
                        );
                    }
                };
                disk(
                    root,
                    "nvme0n1",
                    "pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0",
                    &[
                        ("size", "1000215216\n"),
                        ("queue/rotational", "0\n"),
                        ("device/model", "Samsung SSD 980 PRO 1TB                 \n"),
                        ("device/serial", "S5GXNX0T123456A     \n"),
                    ],
                );
                disk(
                    root,
                    "sda",
                    "pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0",
                    &[
                        ("size", "1953525168\n"),
                        ("queue/rotational", "1\n"),
                        ("device/model", "WDC WD10EZEX-08W\n"),
                        ("device/vpd_pg80", "\u{0}\u{0}\u{0}\u{8}WD-12345"),
                    ],
                );
                disk(
                    root,
                    "sdb",
                    "pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host2/target2:0:0/2:0:0:0",
                    &[("size", "60063744\n"), ("queue/rotational", "0\n")],
                );
                disk(
                    root,
                    "vda",
                    "pci0000:00/0000:00:02.0/virtio1",
                    &[("size", "536870912\n"), ("serial", "1656640457542272\n")],
                );
                disk(
                    root,
                    "mmcblk0",
                    "platform/mmc_host/mmc0/mmc0:0001",
                    &[("size", "0\n")],
                );
                link_fixture(root, "sys/block/loop0", "../devices/virtual/block/loop0");
                write_fixture(root, "sys/devices/virtual/block/loop0/size", "100\n");
                link_fixture(root, "sys/block/zram0", "../devices/virtual/block/zram0");
            },
            |hardware| {
                let summary: Vec<DiskRow> = hardware
                    .disks
                    .iter()
                    .map(|disk| {
                        (
                            disk.name.as_str(),
                            disk.model.as_deref(),
                            disk.serial.as_deref(),
                            disk.size_bytes,
                            disk.rotational,
                            disk.bus.as_deref(),
                        )
                    })
                    .collect();
                assert_eq!(
                    summary,
                    vec![
                        (
                            "nvme0n1",
                            Some("Samsung SSD 980 PRO 1TB"),
                            Some("S5GXNX0T123456A"),
                            1000215216 * 512,
                            Some(false),
                            Some("nvme")
                        ),
                        (
                            "sda",
                            Some("WDC WD10EZEX-08W"),
                            Some("WD-12345"),
                            1953525168 * 512,
                            Some(true),
                            Some("sata")
                        ),
                        ("sdb", None, None, 60063744 * 512, Some(false), Some("usb")),
                        (
                            "vda",
                            None,
                            Some("1656640457542272"),
                            536870912 * 512,
                            None,
                            Some("virtio")
                        ),
                    ]
                );
            },
        );
    }

    #[test]
    fn keeps_real_filesystems_only() {
        let filesystems = parse_mounts(&testdata_text("mounts"));
        let summary: Vec<(&str, Option<&str>, &str)> = filesystems
            .iter()
            .map(|filesystem| {
                (
                    filesystem.mount_point.as_str(),
                    filesystem.device.as_deref(),
                    filesystem.fs_type.as_str(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("/", Some("/dev/vda"), "ext4"),
                ("/boot/efi", Some("/dev/nvme0n1p1"), "vfat"),
                ("/media/usb stick", Some("/dev/sdb1"), "exfat"),
                ("/srv/share", Some("nas:/export/share"), "nfs4"),
                ("/home", Some("/dev/mapper/vg-home"), "xfs"),
            ]
        );
    }

    #[test]
    fn names_display_adapters_and_batteries() {
        check(
            |root| {
                let gpu = "sys/bus/pci/devices/0000:01:00.0";
                write_fixture(root, &format!("{gpu}/class"), "0x030000\n");
                write_fixture(root, &format!("{gpu}/vendor"), "0x10de\n");
                write_fixture(root, &format!("{gpu}/device"), "0x2204\n");
                link_fixture(
                    root,
                    &format!("{gpu}/driver"),
                    "../../../../bus/pci/drivers/nvidia",
                );
                let virtio = "sys/bus/pci/devices/0000:00:02.0";
                write_fixture(root, &format!("{virtio}/class"), "0x030000\n");
                write_fixture(root, &format!("{virtio}/vendor"), "0x1af4\n");
                write_fixture(root, &format!("{virtio}/device"), "0x1050\n");
                let net = "sys/bus/pci/devices/0000:00:03.0";
                write_fixture(root, &format!("{net}/class"), "0x020000\n");
                write_fixture(root, "usr/share/misc/pci.ids", "# comment\n1002  Advanced Micro Devices, Inc. [AMD/ATI]\n\t1234  Something\n10de  NVIDIA Corporation\n\t2203  GA102 [GeForce RTX 3090 Ti]\n\t2204  GA102 [GeForce RTX 3090]\n\t\t1458 403b  Sub\n10df  Emulex\n");

                let battery = "sys/class/power_supply/BAT0";
                for (file, content) in [
                    ("type", "Battery"),
                    ("manufacturer", "SMP"),
                    ("model_name", "5B10W13930"),
                    ("serial_number", " 1234"),
                    ("technology", "Li-poly"),
                    ("charge_full_design", "4563000"),
                    ("charge_full", "4000000"),
                    ("voltage_min_design", "11520000"),
                    ("capacity", "87"),
                    ("status", "Discharging"),
                ] {
                    write_fixture(root, &format!("{battery}/{file}"), &format!("{content}\n"));
                }
                write_fixture(root, "sys/class/power_supply/AC/type", "Mains\n");
                write_fixture(
                    root,
                    "sys/class/power_supply/hidpp_battery_0/type",
                    "Battery\n",
                );
                write_fixture(
                    root,
                    "sys/class/power_supply/hidpp_battery_0/scope",
                    "Device\n",
                );
            },
            |hardware| {
                assert_eq!(
                    hardware.gpus,
                    vec![
                        Gpu {
                            vendor: Some("Red Hat (virtio)".into()),
                            model: Some("1050".into()),
                            driver: None
                        },
                        Gpu {
                            vendor: Some("NVIDIA".into()),
                            model: Some("GA102 [GeForce RTX 3090]".into()),
                            driver: Some("nvidia".into()),
                        },
                    ]
                );
                assert_eq!(
                    hardware.batteries,
                    vec![Battery {
                        name: "BAT0".into(),
                        manufacturer: Some("SMP".into()),
                        model: Some("5B10W13930".into()),
                        serial: Some("1234".into()),
                        technology: Some("Li-poly".into()),
                        design_capacity_mwh: Some(52565),
                        full_capacity_mwh: Some(46080),
                        capacity_percent: Some(87),
                        status: Some("Discharging".into()),
                    }]
                );
            },
        );
    }

    #[test]
    fn maps_chassis_codes_and_mount_escapes() {
        assert_eq!(chassis_word(3), Some("desktop"));
        assert_eq!(chassis_word(23), Some("server"));
        assert_eq!(chassis_word(99), None);
        assert_eq!(unescape_mount("/a\\040b\\134c\\09"), "/a b\\c\\09");
        assert_eq!(
            nominal_mhz("Intel(R) Core(TM) i7-8550U CPU @ 1.80GHz"),
            Some(1800)
        );
        assert_eq!(nominal_mhz("AMD Ryzen 7 5800X 8-Core Processor"), None);
    }
}
