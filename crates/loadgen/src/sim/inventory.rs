//! Builds the inventory sections of a simulated agent on demand.
//!
//! Every section is a pure function of the agent's state: the details are drawn from a
//! generator seeded by the agent's seed and the section, so a section rebuilt for an upload is
//! byte-for-byte the one whose hash the agent reported. Only the change model
//! ([`super::agent::SimAgent::change`]) alters what a section holds.

use kanri_proto::inventory::{
    Account, Battery, Cpu, Disk, Filesystem, Gpu, Hardware, Interface, MemoryModule, Network, Os,
    Security, Services, Session, Software, Unit, Usb, UsbDevice, Users,
};
use kanri_proto::{Inventory, SectionKind, Text};
use rand::rngs::StdRng;
use rand::Rng;

use super::agent::SimAgent;
use super::identity::{self, Profile};
use crate::catalogue::{Catalogue, Family, Pool};
use crate::seed;

const GIB: u64 = 1 << 30;

/// The sections `kinds` of `agent`, the others absent: the same as building every section
/// and calling [`Inventory::retain`], without building what is not sent.
pub fn build(agent: &SimAgent, catalogue: &Catalogue, kinds: &[SectionKind]) -> Inventory {
    let pool = catalogue.pool(agent.profile.distro);
    let wanted = |kind| kinds.contains(&kind);
    Inventory {
        hardware: wanted(SectionKind::Hardware).then(|| hardware(agent)),
        os: wanted(SectionKind::Os).then(|| os(agent, pool)),
        network: wanted(SectionKind::Network).then(|| network(agent)),
        software: wanted(SectionKind::Software).then(|| software(agent, pool)),
        users: wanted(SectionKind::Users).then(|| users(agent, pool)),
        services: wanted(SectionKind::Services).then(|| services(agent, pool)),
        usb: wanted(SectionKind::Usb).then(|| usb(agent)),
        security: wanted(SectionKind::Security).then(|| security(agent, pool)),
    }
}

/// The canonical JSON of one section: the bytes [`Inventory::section_hash`] hashes and an
/// upload carries. The software section is assembled from pieces the catalogue prepared, so
/// 1,500 packages cost no allocation each.
pub fn section_json(agent: &SimAgent, catalogue: &Catalogue, kind: SectionKind) -> Vec<u8> {
    let pool = catalogue.pool(agent.profile.distro);
    let json = match kind {
        SectionKind::Software => return software_json(agent, pool),
        SectionKind::Hardware => serde_json::to_vec(&hardware(agent)),
        SectionKind::Os => serde_json::to_vec(&os(agent, pool)),
        SectionKind::Network => serde_json::to_vec(&network(agent)),
        SectionKind::Users => serde_json::to_vec(&users(agent, pool)),
        SectionKind::Services => serde_json::to_vec(&services(agent, pool)),
        SectionKind::Usb => serde_json::to_vec(&usb(agent)),
        SectionKind::Security => serde_json::to_vec(&security(agent, pool)),
    };
    // Plain structs of strings and numbers always serialize.
    json.unwrap_or_default()
}

fn section_rng(agent: &SimAgent, kind: SectionKind) -> StdRng {
    seed::rng(agent.seed, 1_000 + kind as u64)
}

struct CpuModel {
    model: &'static str,
    vendor: &'static str,
    cores: u32,
    threads: u32,
    mhz: u32,
    ddr5: bool,
}

const DESKTOP_CPUS: &[CpuModel] = &[
    CpuModel {
        model: "Intel(R) Core(TM) i5-10500 CPU @ 3.10GHz",
        vendor: "GenuineIntel",
        cores: 6,
        threads: 12,
        mhz: 4500,
        ddr5: false,
    },
    CpuModel {
        model: "12th Gen Intel(R) Core(TM) i5-12500",
        vendor: "GenuineIntel",
        cores: 6,
        threads: 12,
        mhz: 4600,
        ddr5: true,
    },
    CpuModel {
        model: "12th Gen Intel(R) Core(TM) i7-12700",
        vendor: "GenuineIntel",
        cores: 12,
        threads: 20,
        mhz: 4900,
        ddr5: true,
    },
    CpuModel {
        model: "Intel(R) Core(TM) i3-10100 CPU @ 3.60GHz",
        vendor: "GenuineIntel",
        cores: 4,
        threads: 8,
        mhz: 4300,
        ddr5: false,
    },
    CpuModel {
        model: "AMD Ryzen 5 PRO 4650G with Radeon Graphics",
        vendor: "AuthenticAMD",
        cores: 6,
        threads: 12,
        mhz: 4200,
        ddr5: false,
    },
];

const LAPTOP_CPUS: &[CpuModel] = &[
    CpuModel {
        model: "Intel(R) Core(TM) i5-10310U CPU @ 1.70GHz",
        vendor: "GenuineIntel",
        cores: 4,
        threads: 8,
        mhz: 4400,
        ddr5: false,
    },
    CpuModel {
        model: "13th Gen Intel(R) Core(TM) i5-1335U",
        vendor: "GenuineIntel",
        cores: 10,
        threads: 12,
        mhz: 4600,
        ddr5: true,
    },
];

const VIRTUAL_CPUS: &[CpuModel] = &[
    CpuModel {
        model: "Intel Xeon Processor (Icelake)",
        vendor: "GenuineIntel",
        cores: 4,
        threads: 4,
        mhz: 2600,
        ddr5: false,
    },
    CpuModel {
        model: "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
        vendor: "GenuineIntel",
        cores: 2,
        threads: 2,
        mhz: 2000,
        ddr5: false,
    },
];

fn cpu_model(profile: &Profile, rng: &mut impl Rng) -> &'static CpuModel {
    let machine = profile.machine();
    let models = if machine.is_virtual() {
        VIRTUAL_CPUS
    } else if machine.is_laptop() {
        LAPTOP_CPUS
    } else {
        DESKTOP_CPUS
    };
    &models[rng.gen_range(0..models.len())]
}

/// The first disk's kernel name, model, size and bus.
fn main_disk(profile: &Profile, rng: &mut impl Rng) -> Disk {
    let machine = profile.machine();
    let (name, model, size_bytes, bus) = if machine.manufacturer == "QEMU" {
        ("vda", None, [64, 100][rng.gen_range(0..2)] * GIB, "virtio")
    } else if machine.is_virtual() {
        ("sda", Some("Virtual disk"), 80 * GIB, "scsi")
    } else {
        match rng.gen_range(0..4) {
            0 => (
                "nvme0n1",
                Some("KIOXIA KBG40ZNS256G NVMe 256GB"),
                256_060_514_304,
                "nvme",
            ),
            1 => (
                "nvme0n1",
                Some("KIOXIA KBG50ZNS512G NVMe 512GB"),
                512_110_190_592,
                "nvme",
            ),
            2 => (
                "nvme0n1",
                Some("SAMSUNG MZVL2512HCJQ-00B00"),
                512_110_190_592,
                "nvme",
            ),
            _ => ("sda", Some("CT500MX500SSD1"), 500_107_862_016, "sata"),
        }
    };
    Disk {
        name: name.into(),
        model: model.map(Text::from),
        serial: (!machine.is_virtual()).then(|| Text::from(identity::hex(rng, 6).to_uppercase())),
        size_bytes,
        rotational: Some(false),
        bus: Some(bus.into()),
    }
}

fn partition(disk: &str, number: u32) -> String {
    if disk.starts_with("nvme") {
        format!("/dev/{disk}p{number}")
    } else {
        format!("/dev/{disk}{number}")
    }
}

fn hardware(agent: &SimAgent) -> Hardware {
    let mut rng = section_rng(agent, SectionKind::Hardware);
    let profile = &agent.profile;
    let machine = profile.machine();
    let cpu = cpu_model(profile, &mut rng);
    let memory_bytes = u64::from(agent.memory_gib) * GIB;
    let module_count = if machine.is_virtual() || agent.memory_gib < 16 {
        1
    } else {
        2
    };
    let (kind, speed) = if cpu.ddr5 {
        ("DDR5", 4800)
    } else {
        ("DDR4", 3200)
    };
    let memory_modules = (0..module_count)
        .map(|slot| MemoryModule {
            slot: Some(Text::from(if machine.is_virtual() {
                format!("DIMM {slot}")
            } else {
                format!("ChannelA-DIMM{slot}")
            })),
            size_bytes: memory_bytes / module_count,
            kind: (!machine.is_virtual()).then(|| Text::from(kind)),
            speed_mts: (!machine.is_virtual()).then_some(speed),
            manufacturer: Some(Text::from(if machine.is_virtual() {
                "QEMU"
            } else {
                ["Samsung", "SK Hynix", "Micron", "Kingston"][rng.gen_range(0..4)]
            })),
            serial: (!machine.is_virtual()).then(|| Text::from(identity::hex(&mut rng, 4))),
            part_number: (!machine.is_virtual()).then(|| {
                Text::from(format!(
                    "M{}A{}K43EB2-CWE",
                    if cpu.ddr5 { 323 } else { 378 },
                    agent.memory_gib / module_count as u32
                ))
            }),
        })
        .collect();
    let disk = main_disk(profile, &mut rng);
    let mut disks = vec![disk.clone()];
    if !machine.is_virtual() && rng.gen_bool(0.1) {
        disks.push(Disk {
            name: "sdb".into(),
            model: Some("ST1000DM010-2EP102".into()),
            serial: Some(Text::from(
                format!("Z9A{}", identity::hex(&mut rng, 3)).to_uppercase(),
            )),
            size_bytes: 1_000_204_886_016,
            rotational: Some(true),
            bus: Some("sata".into()),
        });
    }
    let pool_family = crate::catalogue::DISTROS[usize::from(profile.distro)].family;
    let root_size = disk.size_bytes - 2 * GIB;
    let mut filesystems = vec![Filesystem {
        mount_point: "/boot/efi".into(),
        device: Some(Text::from(partition(&disk.name, 1))),
        fs_type: "vfat".into(),
        size_bytes: 536_834_048,
        free_bytes: 530_000_000 - rng.gen_range(0..20_000_000),
    }];
    match pool_family {
        Family::Deb => filesystems.push(Filesystem {
            mount_point: "/".into(),
            device: Some(Text::from(partition(&disk.name, 2))),
            fs_type: "ext4".into(),
            size_bytes: root_size,
            free_bytes: root_size / 100 * rng.gen_range(20..85),
        }),
        Family::Rpm => {
            let volume_group = crate::catalogue::DISTROS[usize::from(profile.distro)].id;
            filesystems.push(Filesystem {
                mount_point: "/boot".into(),
                device: Some(Text::from(partition(&disk.name, 2))),
                fs_type: "xfs".into(),
                size_bytes: 1_006_632_960,
                free_bytes: 650_000_000 + rng.gen_range(0..100_000_000),
            });
            let root = root_size.min(70 * GIB);
            filesystems.push(Filesystem {
                mount_point: "/".into(),
                device: Some(Text::from(format!("/dev/mapper/{volume_group}-root"))),
                fs_type: "xfs".into(),
                size_bytes: root,
                free_bytes: root / 100 * rng.gen_range(20..85),
            });
            if root_size > root {
                let home = root_size - root;
                filesystems.push(Filesystem {
                    mount_point: "/home".into(),
                    device: Some(Text::from(format!("/dev/mapper/{volume_group}-home"))),
                    fs_type: "xfs".into(),
                    size_bytes: home,
                    free_bytes: home / 100 * rng.gen_range(30..95),
                });
            }
        }
    }
    let gpu = match (machine.manufacturer, cpu.vendor) {
        ("QEMU", _) => ("Red Hat, Inc.", "Virtio 1.0 GPU", "virtio-pci"),
        ("VMware, Inc.", _) => ("VMware", "SVGA II Adapter", "vmwgfx"),
        (_, "AuthenticAMD") => (
            "Advanced Micro Devices, Inc. [AMD/ATI]",
            "Renoir [Radeon Vega Series / Radeon Vega Mobile Series]",
            "amdgpu",
        ),
        _ if cpu.ddr5 => (
            "Intel Corporation",
            "Alder Lake-S GT1 [UHD Graphics 770]",
            "i915",
        ),
        _ => (
            "Intel Corporation",
            "CometLake-S GT2 [UHD Graphics 630]",
            "i915",
        ),
    };
    let batteries = if machine.is_laptop() {
        let design = 45_000;
        vec![Battery {
            name: "BAT0".into(),
            manufacturer: Some(["Panasonic", "LGC", "SANYO"][rng.gen_range(0..3)].into()),
            model: Some("CP785649-01".into()),
            serial: Some(Text::from(format!("{:05}", rng.gen_range(0..100_000)))),
            technology: Some("Li-ion".into()),
            design_capacity_mwh: Some(design),
            full_capacity_mwh: Some(design - rng.gen_range(0..8_000)),
            capacity_percent: Some(rng.gen_range(35..=100)),
            status: Some(["Discharging", "Charging", "Full"][rng.gen_range(0..3)].into()),
        }]
    } else {
        Vec::new()
    };
    Hardware {
        manufacturer: Some(machine.manufacturer.into()),
        model: Some(machine.model.into()),
        serial: agent.facts.serial.clone(),
        uuid: agent.facts.uuid.clone(),
        chassis: Some(machine.chassis.into()),
        bios_vendor: Some(machine.bios_vendor.into()),
        bios_version: Some(machine.bios_version.into()),
        bios_date: Some(machine.bios_date.into()),
        cpu: Cpu {
            model: Some(cpu.model.into()),
            vendor: Some(cpu.vendor.into()),
            sockets: 1,
            cores: cpu.cores,
            threads: cpu.threads,
            mhz: cpu.mhz,
        },
        memory_bytes,
        memory_modules,
        disks,
        filesystems,
        gpus: vec![Gpu {
            vendor: Some(gpu.0.into()),
            model: Some(gpu.1.into()),
            driver: Some(gpu.2.into()),
        }],
        batteries,
    }
}

fn os(agent: &SimAgent, pool: &Pool) -> Os {
    let mut rng = section_rng(agent, SectionKind::Os);
    let info = pool.info;
    let kernel = match (info.id, info.version) {
        ("debian", _) => format!("6.1.0-{}-amd64", rng.gen_range(18..29)),
        ("ubuntu", "22.04") => format!("5.15.0-{}-generic", rng.gen_range(100..126)),
        ("ubuntu", _) => format!("6.8.0-{}-generic", rng.gen_range(31..52)),
        _ => format!("5.14.0-427.{}.1.el9_4.x86_64", rng.gen_range(13..43)),
    };
    let machine = agent.profile.machine();
    let virtualization = match machine.manufacturer {
        "QEMU" => "kvm",
        "VMware, Inc." => "vmware",
        _ => "none",
    };
    let domain = agent.profile.domain();
    Os {
        name: info.name.into(),
        version: Some(info.version.into()),
        id: Some(info.id.into()),
        pretty_name: Some(info.pretty_name.into()),
        kernel: kernel.into(),
        arch: "x86_64".into(),
        hostname: agent.facts.hostname.clone(),
        fqdn: Some(Text::from(format!("{}.{domain}", agent.facts.hostname))),
        domain: Some(domain.into()),
        boot_time: Some(agent.profile.boot_time),
        timezone: Some("Asia/Tokyo".into()),
        locale: Some(
            if rng.gen_bool(0.85) {
                "ja_JP.UTF-8"
            } else {
                "C.UTF-8"
            }
            .into(),
        ),
        virtualization: Some(virtualization.into()),
        machine_id: agent.facts.machine_id.clone(),
    }
}

/// `fe80::/64` address from a MAC address (modified EUI-64).
fn link_local(mac: &str) -> String {
    let bytes: Vec<u8> = mac
        .split(':')
        .filter_map(|part| u8::from_str_radix(part, 16).ok())
        .collect();
    if bytes.len() != 6 {
        return "fe80::1/64".to_string();
    }
    format!(
        "fe80::{:02x}{:02x}:{:02x}ff:fe{:02x}:{:02x}{:02x}/64",
        bytes[0] ^ 0x02,
        bytes[1],
        bytes[2],
        bytes[3],
        bytes[4],
        bytes[5]
    )
}

fn network(agent: &SimAgent) -> Network {
    let mut rng = section_rng(agent, SectionKind::Network);
    let profile = &agent.profile;
    let machine = profile.machine();
    let (address, gateway) = profile.ipv4();
    let first_name = match machine.manufacturer {
        "QEMU" => "enp1s0",
        "VMware, Inc." => "ens192",
        _ if rng.gen_bool(0.5) => "eno1",
        _ => "enp0s31f6",
    };
    let mut interfaces = Vec::with_capacity(3);
    for (nic, mac) in agent.facts.macs.iter().enumerate() {
        let wireless = nic == 1 && machine.is_laptop();
        let name = match nic {
            0 => first_name,
            _ if wireless => "wlp0s20f3",
            _ => "enp2s0",
        };
        let up = nic == 0 || wireless;
        interfaces.push(Interface {
            name: name.into(),
            mac: Some(mac.clone()),
            ipv4: if nic == 0 {
                vec![Text::from(address.clone())]
            } else {
                Vec::new()
            },
            ipv6: if up {
                vec![Text::from(link_local(mac))]
            } else {
                Vec::new()
            },
            speed_mbps: (!wireless && up).then_some(1000),
            up,
            wireless,
            is_virtual: false,
            mtu: Some(1500),
        });
    }
    if profile.virtual_nic {
        let (name, mac, ipv4) = if rng.gen_bool(0.5) {
            (
                "docker0",
                format!("02:42:{}", colon_hex(&mut rng, 4)),
                "172.17.0.1/16",
            )
        } else {
            (
                "virbr0",
                format!("52:54:00:{}", colon_hex(&mut rng, 3)),
                "192.168.122.1/24",
            )
        };
        interfaces.push(Interface {
            name: name.into(),
            mac: Some(mac.into()),
            ipv4: vec![ipv4.into()],
            ipv6: Vec::new(),
            speed_mbps: None,
            up: false,
            wireless: false,
            is_virtual: true,
            mtu: Some(1500),
        });
    }
    let dns_prefix = gateway
        .rsplit_once('.')
        .map_or("10.0.0", |(prefix, _)| prefix);
    Network {
        interfaces,
        default_gateway: Some(Text::from(gateway.clone())),
        default_gateway_v6: None,
        dns_servers: vec![
            Text::from(format!("{dns_prefix}.10")),
            Text::from(format!("{dns_prefix}.11")),
        ],
        dns_search: vec![Text::from(profile.domain())],
    }
}

fn colon_hex(rng: &mut impl Rng, bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", rng.gen::<u8>()))
        .collect::<Vec<_>>()
        .join(":")
}

fn software(agent: &SimAgent, pool: &Pool) -> Software {
    let installed_at = agent.profile.installed_at;
    Software {
        packages: agent
            .packages
            .iter()
            .map(|(index, level)| pool.package(index, level, installed_at, agent.seed))
            .collect(),
    }
}

fn software_json(agent: &SimAgent, pool: &Pool) -> Vec<u8> {
    let installed_at = agent.profile.installed_at;
    let mut out = Vec::with_capacity(agent.packages.len() * 220 + 16);
    out.extend_from_slice(b"{\"packages\":[");
    for (position, (index, level)) in agent.packages.iter().enumerate() {
        if position > 0 {
            out.push(b',');
        }
        pool.write_package_json(&mut out, index, level, installed_at, agent.seed);
    }
    out.extend_from_slice(b"]}");
    out
}

/// System accounts: name, uid, home, shell.
const DEB_ACCOUNTS: &[(&str, u32, &str, &str)] = &[
    ("root", 0, "/root", "/bin/bash"),
    ("daemon", 1, "/usr/sbin", "/usr/sbin/nologin"),
    ("bin", 2, "/bin", "/usr/sbin/nologin"),
    ("sys", 3, "/dev", "/usr/sbin/nologin"),
    ("sync", 4, "/bin", "/bin/sync"),
    ("games", 5, "/usr/games", "/usr/sbin/nologin"),
    ("man", 6, "/var/cache/man", "/usr/sbin/nologin"),
    ("lp", 7, "/var/spool/lpd", "/usr/sbin/nologin"),
    ("mail", 8, "/var/mail", "/usr/sbin/nologin"),
    ("news", 9, "/var/spool/news", "/usr/sbin/nologin"),
    ("uucp", 10, "/var/spool/uucp", "/usr/sbin/nologin"),
    ("proxy", 13, "/bin", "/usr/sbin/nologin"),
    ("www-data", 33, "/var/www", "/usr/sbin/nologin"),
    ("backup", 34, "/var/backups", "/usr/sbin/nologin"),
    ("list", 38, "/var/list", "/usr/sbin/nologin"),
    ("irc", 39, "/run/ircd", "/usr/sbin/nologin"),
    ("_apt", 42, "/nonexistent", "/usr/sbin/nologin"),
    ("nobody", 65534, "/nonexistent", "/usr/sbin/nologin"),
    ("systemd-network", 998, "/", "/usr/sbin/nologin"),
    ("systemd-timesync", 997, "/", "/usr/sbin/nologin"),
    ("messagebus", 100, "/nonexistent", "/usr/sbin/nologin"),
    ("sshd", 101, "/run/sshd", "/usr/sbin/nologin"),
    ("avahi", 102, "/run/avahi-daemon", "/usr/sbin/nologin"),
    ("polkitd", 996, "/", "/usr/sbin/nologin"),
    ("colord", 104, "/var/lib/colord", "/usr/sbin/nologin"),
    ("gdm", 105, "/var/lib/gdm3", "/bin/false"),
    ("geoclue", 106, "/var/lib/geoclue", "/usr/sbin/nologin"),
];

const RPM_ACCOUNTS: &[(&str, u32, &str, &str)] = &[
    ("root", 0, "/root", "/bin/bash"),
    ("bin", 1, "/bin", "/sbin/nologin"),
    ("daemon", 2, "/sbin", "/sbin/nologin"),
    ("adm", 3, "/var/adm", "/sbin/nologin"),
    ("lp", 4, "/var/spool/lpd", "/sbin/nologin"),
    ("sync", 5, "/sbin", "/bin/sync"),
    ("shutdown", 6, "/sbin", "/sbin/shutdown"),
    ("halt", 7, "/sbin", "/sbin/halt"),
    ("mail", 8, "/var/spool/mail", "/sbin/nologin"),
    ("operator", 11, "/root", "/sbin/nologin"),
    ("games", 12, "/usr/games", "/sbin/nologin"),
    ("ftp", 14, "/var/ftp", "/sbin/nologin"),
    ("nobody", 65534, "/", "/sbin/nologin"),
    ("dbus", 81, "/", "/sbin/nologin"),
    ("systemd-coredump", 999, "/", "/sbin/nologin"),
    ("tss", 59, "/dev/null", "/sbin/nologin"),
    ("polkitd", 998, "/", "/sbin/nologin"),
    ("sssd", 997, "/", "/sbin/nologin"),
    ("chrony", 996, "/var/lib/chrony", "/sbin/nologin"),
    ("sshd", 74, "/usr/share/empty.sshd", "/sbin/nologin"),
    ("rpc", 32, "/var/lib/rpcbind", "/sbin/nologin"),
    ("pipewire", 992, "/var/run/pipewire", "/sbin/nologin"),
    ("gdm", 42, "/var/lib/gdm", "/sbin/nologin"),
];

/// Staff names, as a hospital's GECOS fields hold them.
const STAFF: &[&str] = &[
    "山田 花子",
    "佐藤 健",
    "鈴木 美咲",
    "高橋 誠",
    "田中 由美",
    "伊藤 大輔",
    "渡辺 恵",
    "中村 翔",
    "小林 直子",
    "加藤 拓也",
    "吉田 真由美",
    "山口 亮",
];

fn users(agent: &SimAgent, pool: &Pool) -> Users {
    let mut rng = section_rng(agent, SectionKind::Users);
    let system = match pool.info.family {
        Family::Deb => DEB_ACCOUNTS,
        Family::Rpm => RPM_ACCOUNTS,
    };
    let ubuntu = pool.info.id == "ubuntu";
    let mut accounts: Vec<Account> = system
        .iter()
        .map(|(name, uid, home, shell)| Account {
            name: (*name).into(),
            uid: *uid,
            gid: *uid,
            full_name: Some(Text::from(*name)),
            home: Some((*home).into()),
            shell: Some((*shell).into()),
            locked: Some(*uid != 0 || ubuntu),
            last_password_change_days: Some(19_400 + rng.gen_range(0..300)),
            human: false,
        })
        .collect();
    let department = identity::DEPARTMENTS[usize::from(agent.profile.department)];
    let humans = rng.gen_range(1..=3u32);
    for number in 0..humans {
        let name = if number == 0 && rng.gen_bool(0.3) {
            "localadmin".to_string()
        } else {
            format!("{department}{:02}", number + 1)
        };
        accounts.push(Account {
            home: Some(Text::from(format!("/home/{name}"))),
            name: name.into(),
            uid: 1000 + number,
            gid: 1000 + number,
            full_name: Some(STAFF[rng.gen_range(0..STAFF.len())].into()),
            shell: Some("/bin/bash".into()),
            locked: Some(false),
            last_password_change_days: Some(19_700 + rng.gen_range(0..300)),
            human: true,
        });
    }
    let mut sessions = Vec::new();
    if rng.gen_bool(0.7) {
        let first = &accounts[system.len()];
        sessions.push(Session {
            user: first.name.clone(),
            tty: Some("tty2".into()),
            remote_host: None,
            login_time: Some(agent.profile.boot_time + rng.gen_range(60..3_600)),
        });
    }
    if rng.gen_bool(0.1) {
        let (address, _) = agent.profile.ipv4();
        let subnet = address
            .rsplit_once('.')
            .map_or("10.0.0", |(prefix, _)| prefix);
        sessions.push(Session {
            user: accounts[system.len()].name.clone(),
            tty: Some("pts/0".into()),
            remote_host: Some(Text::from(format!("{subnet}.5"))),
            login_time: Some(agent.profile.boot_time + rng.gen_range(3_600..86_400)),
        });
    }
    Users { accounts, sessions }
}

/// systemd units: `name|description|where|state`. Where: `*` everywhere, `d` dpkg systems,
/// `r` rpm systems, `u` Ubuntu, `p` physical machines, `l` laptops, `q` QEMU guests, `w`
/// VMware guests. State: `r` running, `x` exited, `s` static and inactive, `i` disabled.
const UNITS: &str = "\
accounts-daemon.service|Accounts Service|*|r
alsa-restore.service|Save/Restore Sound Card State|p|x
alsa-state.service|Manage Sound Card State (restore and store)|p|r
anacron.service|Run anacron jobs|*|s
apparmor.service|Load AppArmor profiles|d|x
apport.service|LSB: automatic crash report generation|u|x
apt-daily-upgrade.service|Daily apt upgrade and clean activities|d|s
apt-daily.service|Daily apt download activities|d|s
apt-news.service|Update APT News|u|s
atd.service|Deferred execution scheduler|r|r
auditd.service|Security Auditing Service|r|r
avahi-daemon.service|Avahi mDNS/DNS-SD Stack|*|r
bluetooth.service|Bluetooth service|l|r
bolt.service|Thunderbolt system service|p|r
chrony.service|chrony, an NTP client/server|d|r
chronyd.service|NTP client/server|r|r
clamav-daemon.service|Clam AntiVirus userspace daemon|d|r
clamav-freshclam.service|ClamAV virus database updater|d|r
clamd@scan.service|clamd scanner (scan) daemon|r|r
cockpit.service|Cockpit Web Service|r|s
colord.service|Manage, Install and Generate Color Profiles|*|r
console-getty.service|Console Getty|*|i
console-setup.service|Set console font and keymap|d|x
cron.service|Regular background program processing daemon|d|r
crond.service|Command Scheduler|r|r
cups-browsed.service|Make remote CUPS printers available locally|*|r
cups.service|CUPS Scheduler|*|r
dbus.service|D-Bus System Message Bus|*|r
debug-shell.service|Early root shell on /dev/tty9 for debugging|*|i
dm-event.service|Device-mapper event daemon|*|s
dnf-makecache.service|dnf makecache|r|s
dpkg-db-backup.service|Daily dpkg database backup service|d|s
dracut-cmdline.service|dracut cmdline hook|r|s
dracut-initqueue.service|dracut initqueue hook|r|s
dracut-mount.service|dracut mount hook|r|s
dracut-pre-mount.service|dracut pre-mount hook|r|s
dracut-pre-pivot.service|dracut pre-pivot and cleanup hook|r|s
dracut-pre-trigger.service|dracut pre-trigger hook|r|s
dracut-pre-udev.service|dracut pre-udev hook|r|s
dracut-shutdown.service|Restore /run/initramfs on shutdown|r|x
e2scrub_all.service|Online ext4 Metadata Check for All Filesystems|d|s
e2scrub_reap.service|Remove Stale Online ext4 Metadata Check Snapshots|d|x
emergency.service|Emergency Shell|*|s
esm-cache.service|Update the local ESM caches|u|s
firewalld.service|firewalld - dynamic firewall daemon|r|r
fprintd.service|Fingerprint Authentication Daemon|l|s
fstrim.service|Discard unused blocks on filesystems from /etc/fstab|*|s
fwupd-refresh.service|Refresh fwupd metadata and update motd|*|s
fwupd.service|Firmware update daemon|*|s
gdm.service|GNOME Display Manager|*|r
geoclue.service|Location Lookup Service|*|s
getty-static.service|getty on tty2-tty6 if dbus and logind are not available|d|s
getty@tty1.service|Getty on tty1|*|r
gnome-remote-desktop.service|GNOME Remote Desktop|*|i
grub-common.service|Record successful boot for GRUB|u|x
grub-initrd-fallback.service|GRUB failed boot detection|u|x
gssproxy.service|GSSAPI Proxy Daemon|r|r
ifupdown-pre.service|Helper to synchronize boot up for ifupdown|d|x
iio-sensor-proxy.service|IIO Sensor Proxy service|l|r
import-state.service|Import network configuration from initramfs|r|x
initrd-cleanup.service|Cleaning Up and Shutting Down Daemons|*|s
initrd-parse-etc.service|Mountpoints Configured in the Real Root|*|s
initrd-switch-root.service|Switch Root|*|s
initrd-udevadm-cleanup-db.service|Cleanup udev Database|*|s
insights-client-boot.service|Run Insights Client at boot|r|s
irqbalance.service|irqbalance daemon|*|r
kanri-agent.service|Kanri inventory agent|*|r
kdump.service|Crash recovery kernel arming|r|x
kerneloops.service|Tool to automatically collect and submit kernel crash signatures|u|r
keyboard-setup.service|Set the console keyboard layout|d|x
kmod-static-nodes.service|Create List of Static Device Nodes|*|x
ldconfig.service|Rebuild Dynamic Linker Cache|*|s
logrotate.service|Rotate log files|*|s
low-memory-monitor.service|Low Memory Monitor|*|r
lvm2-lvmpolld.service|LVM2 poll daemon|r|s
lvm2-monitor.service|Monitoring of LVM2 mirrors, snapshots etc. using dmeventd or progress polling|*|x
man-db.service|Daily man-db regeneration|*|s
mcelog.service|Machine Check Exception Logging Daemon|r|r
mdmonitor.service|Software RAID monitoring and management|r|s
ModemManager.service|Modem Manager|l|r
modprobe@configfs.service|Load Kernel Module configfs|*|s
modprobe@dm_mod.service|Load Kernel Module dm_mod|*|s
modprobe@drm.service|Load Kernel Module drm|*|s
modprobe@efi_pstore.service|Load Kernel Module efi_pstore|*|s
modprobe@fuse.service|Load Kernel Module fuse|*|s
modprobe@loop.service|Load Kernel Module loop|*|s
motd-news.service|Message of the Day|u|s
multipathd.service|Device-Mapper Multipath Device Controller|r|i
networkd-dispatcher.service|Dispatcher daemon for systemd-networkd|u|r
networking.service|Raise network interfaces|d|x
NetworkManager-dispatcher.service|Network Manager Script Dispatcher Service|*|s
NetworkManager-wait-online.service|Network Manager Wait Online|*|x
NetworkManager.service|Network Manager|*|r
nfs-server.service|NFS server and services|r|i
nftables.service|nftables|d|x
nis-domainname.service|Read and set NIS domainname from /etc/sysconfig/network|r|x
open-vm-tools.service|Service for virtual machines hosted on VMware|w|r
packagekit.service|PackageKit Daemon|*|r
pcscd.service|PC/SC Smart Card Daemon|p|r
plocate-updatedb.service|Update the plocate database|d|s
plymouth-halt.service|Show Plymouth Halt Screen|*|s
plymouth-kexec.service|Show Plymouth Reboot with kexec Screen|*|s
plymouth-poweroff.service|Show Plymouth Power Off Screen|*|s
plymouth-quit-wait.service|Hold until boot process finishes up|*|x
plymouth-quit.service|Terminate Plymouth Boot Screen|*|x
plymouth-read-write.service|Tell Plymouth To Write Out Runtime Data|*|x
plymouth-reboot.service|Show Plymouth Reboot Screen|*|s
plymouth-start.service|Show Plymouth Boot Screen|*|x
plymouth-switch-root.service|Plymouth switch root service|*|s
polkit.service|Authorization Manager|*|r
power-profiles-daemon.service|Power Profiles daemon|l|r
qemu-guest-agent.service|QEMU Guest Agent|q|r
quotaon.service|Enable File System Quotas|*|s
rc-local.service|/etc/rc.local Compatibility|*|s
rescue.service|Rescue Shell|*|s
rhsm-facts.service|RHSM dbus facts service|r|s
rhsm.service|RHSM dbus service|r|s
rhsmcertd.service|Enable periodic update of entitlement certificates.|r|r
rpc-statd-notify.service|Notify NFS peers of a restart|r|x
rpcbind.service|RPC Bind|r|r
rpmdb-rebuild.service|RPM database rebuild|r|s
rsyslog.service|System Logging Service|*|r
rtkit-daemon.service|RealtimeKit Scheduling Policy Service|*|r
saned.service|SANE network scanner server|d|i
secureboot-db.service|Secure Boot updates for DB and DBX|u|x
selinux-autorelabel-mark.service|Mark the need to relabel after reboot|r|x
setvtrgb.service|Set console scheme|u|x
smartmontools.service|Self Monitoring and Reporting Technology (SMART) Daemon|p|r
snapd.apparmor.service|Load AppArmor profiles managed internally by snapd|u|x
snapd.seeded.service|Wait until snapd is fully seeded|u|x
snapd.service|Snap Daemon|u|r
spice-vdagentd.service|Agent daemon for Spice guests|q|r
ssh.service|OpenBSD Secure Shell server|d|r
sshd-keygen@ecdsa.service|OpenSSH ecdsa Server Key Generation|r|s
sshd-keygen@ed25519.service|OpenSSH ed25519 Server Key Generation|r|s
sshd-keygen@rsa.service|OpenSSH rsa Server Key Generation|r|s
sshd.service|OpenSSH server daemon|r|r
sssd-kcm.service|SSSD Kerberos Cache Manager|r|s
sssd.service|System Security Services Daemon|*|r
switcheroo-control.service|Switcheroo Control Proxy service|p|r
systemd-ask-password-console.service|Dispatch Password Requests to Console|*|s
systemd-ask-password-plymouth.service|Forward Password Requests to Plymouth|*|s
systemd-ask-password-wall.service|Forward Password Requests to Wall|*|s
systemd-backlight@backlight:intel_backlight.service|Load/Save Screen Backlight Brightness of backlight:intel_backlight|l|x
systemd-battery-check.service|Check battery level during early boot|*|s
systemd-binfmt.service|Set Up Additional Binary Formats|*|x
systemd-bless-boot.service|Mark the Current Boot Loader Entry as Good|*|s
systemd-boot-random-seed.service|Update Boot Loader Random Seed|*|x
systemd-boot-update.service|Automatic Boot Loader Update|*|s
systemd-confext.service|Merge System Configuration Images into /etc/|*|i
systemd-exit.service|Exit the Session|*|s
systemd-firstboot.service|First Boot Wizard|*|s
systemd-fsck-root.service|File System Check on Root Device|*|x
systemd-fsckd.service|File System Check Daemon to report status|*|s
systemd-growfs-root.service|Grow Root File System|*|s
systemd-halt.service|System Halt|*|s
systemd-hibernate.service|System Hibernate|*|s
systemd-hostnamed.service|Hostname Service|*|s
systemd-hwdb-update.service|Rebuild Hardware Database|*|s
systemd-hybrid-sleep.service|System Hybrid Suspend+Hibernate|*|s
systemd-initctl.service|initctl Compatibility Daemon|*|s
systemd-journal-catalog-update.service|Rebuild Journal Catalog|*|s
systemd-journal-flush.service|Flush Journal to Persistent Storage|*|x
systemd-journald.service|Journal Service|*|r
systemd-kexec.service|Reboot via kexec|*|s
systemd-localed.service|Locale Service|*|s
systemd-logind.service|User Login Management|*|r
systemd-machine-id-commit.service|Commit a transient machine-id on disk|*|s
systemd-modules-load.service|Load Kernel Modules|*|x
systemd-network-generator.service|Generate network units from Kernel command line|*|x
systemd-networkd-wait-online.service|Wait for Network to be Configured|d|i
systemd-networkd.service|Network Configuration|d|i
systemd-oomd.service|Userspace Out-Of-Memory (OOM) Killer|u|r
systemd-pcrmachine.service|TPM2 PCR Machine ID Measurement|*|s
systemd-pcrphase-sysinit.service|TPM2 PCR Barrier (Initialization)|*|s
systemd-pcrphase.service|TPM2 PCR Barrier (User)|*|s
systemd-poweroff.service|System Power Off|*|s
systemd-pstore.service|Platform Persistent Storage Archival|*|s
systemd-quotacheck.service|File System Quota Check|*|s
systemd-random-seed.service|Load/Save Random Seed|*|x
systemd-reboot.service|System Reboot|*|s
systemd-remount-fs.service|Remount Root and Kernel File Systems|*|x
systemd-repart.service|Repartition Root Disk|*|s
systemd-resolved.service|Network Name Resolution|u|r
systemd-rfkill.service|Load/Save RF Kill Switch Status|l|s
systemd-soft-reboot.service|Reboot userspace|*|s
systemd-suspend-then-hibernate.service|System Suspend then Hibernate|*|s
systemd-suspend.service|System Suspend|*|s
systemd-sysctl.service|Apply Kernel Variables|*|x
systemd-sysext.service|Merge System Extension Images into /usr/ and /opt/|*|i
systemd-sysupdate-reboot.service|Reboot Automatically After System Update|*|s
systemd-sysupdate.service|Automatic System Update|*|s
systemd-sysusers.service|Create System Users|*|x
systemd-time-wait-sync.service|Wait Until Kernel Time Synchronized|*|s
systemd-timedated.service|Time & Date Service|*|s
systemd-timesyncd.service|Network Time Synchronization|u|r
systemd-tmpfiles-clean.service|Cleanup of Temporary Directories|*|s
systemd-tmpfiles-setup-dev.service|Create Static Device Nodes in /dev|*|x
systemd-tmpfiles-setup.service|Create Volatile Files and Directories|*|x
systemd-tpm2-setup-early.service|TPM2 SRK Setup (Early)|*|s
systemd-tpm2-setup.service|TPM2 SRK Setup|*|s
systemd-udev-settle.service|Wait for udev To Complete Device Initialization|*|s
systemd-udev-trigger.service|Coldplug All udev Devices|*|x
systemd-udevd.service|Rule-based Manager for Device Events and Files|*|r
systemd-update-done.service|Update is Completed|*|x
systemd-update-utmp-runlevel.service|Record Runlevel Change in UTMP|*|s
systemd-update-utmp.service|Record System Boot/Shutdown in UTMP|*|x
systemd-user-sessions.service|Permit User Sessions|*|x
systemd-vconsole-setup.service|Virtual Console Setup|*|x
thermald.service|Thermal Daemon Service|p|r
tuned.service|Dynamic System Tuning Daemon|r|r
ua-reboot-cmds.service|Ubuntu Pro reboot cmds|u|s
ua-timer.service|Ubuntu Pro Timer for running repeated jobs|u|s
ubuntu-advantage.service|Ubuntu Pro Background Auto Attach|u|s
udisks2.service|Disk Manager|*|r
ufw.service|Uncomplicated firewall|u|x
unattended-upgrades.service|Unattended Upgrades Shutdown|d|r
update-notifier-download.service|Download data for packages that failed at package install time|u|s
update-notifier-motd.service|Check to see whether there is a new version of Ubuntu available|u|s
upower.service|Daemon for power management|*|r
user-runtime-dir@1000.service|User Runtime Directory /run/user/1000|*|x
user@1000.service|User Manager for UID 1000|*|r
uuidd.service|Daemon for generating UUIDs|*|s
vgauth.service|Authentication service for virtual machines hosted on VMware|w|r
wpa_supplicant.service|WPA supplicant|*|r";

fn services(agent: &SimAgent, pool: &Pool) -> Services {
    let mut rng = section_rng(agent, SectionKind::Services);
    let machine = agent.profile.machine();
    let deb = pool.info.family == Family::Deb;
    let applies = |place: &str| match place {
        "*" => true,
        "d" => deb,
        "r" => !deb,
        "u" => pool.info.id == "ubuntu",
        "p" => !machine.is_virtual(),
        "l" => machine.is_laptop(),
        "q" => machine.manufacturer == "QEMU",
        "w" => machine.manufacturer == "VMware, Inc.",
        _ => false,
    };
    let units = UNITS
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('|');
            let (name, description, place, state) = (
                fields.next()?,
                fields.next()?,
                fields.next()?,
                fields.next()?,
            );
            if !applies(place) || rng.gen_bool(0.03) {
                return None;
            }
            let (active, sub, enabled) = match state {
                _ if rng.gen_bool(0.005) => ("failed", "failed", "enabled"),
                "r" => ("active", "running", "enabled"),
                "x" => ("active", "exited", "enabled"),
                "i" => ("inactive", "dead", "disabled"),
                _ => ("inactive", "dead", "static"),
            };
            Some(Unit {
                name: name.into(),
                description: Some(description.into()),
                active_state: active.into(),
                sub_state: Some(sub.into()),
                enabled_state: Some(enabled.into()),
            })
        })
        .collect();
    Services { units }
}

/// Occasional USB devices: vendor id, product id, class, manufacturer, product, whether it
/// reports a serial, and the share of machines that have one.
const USB_EXTRAS: &[(&str, &str, &str, &str, &str, bool, f64)] = &[
    ("054c", "06c3", "ff", "Sony", "RC-S380/P", true, 0.3),
    ("04f9", "20a7", "07", "Brother", "QL-800", true, 0.1),
    (
        "0c2e",
        "0b61",
        "03",
        "Honeywell",
        "Honeywell Scanning and Mobility",
        true,
        0.15,
    ),
    (
        "1050",
        "0407",
        "03",
        "Yubico",
        "YubiKey OTP+FIDO+CCID",
        true,
        0.05,
    ),
    ("0781", "5581", "08", "SanDisk", "Ultra", true, 0.1),
    ("04a9", "1912", "ff", "Canon", "LiDE 400", false, 0.05),
];

fn usb(agent: &SimAgent) -> Usb {
    let mut rng = section_rng(agent, SectionKind::Usb);
    let machine = agent.profile.machine();
    let mut devices = Vec::new();
    let mut port = 0;
    let mut add = |devices: &mut Vec<UsbDevice>,
                   (vendor, product, class, maker, name): (&str, &str, &str, &str, &str),
                   serial: Option<String>| {
        port += 1;
        devices.push(UsbDevice {
            vendor_id: vendor.into(),
            product_id: product.into(),
            serial: serial.map(Text::from),
            class: Some(class.into()),
            manufacturer: Some(maker.into()),
            product: Some(name.into()),
            bus_path: Some(Text::from(format!("1-{port}"))),
        });
    };
    if machine.is_virtual() {
        let tablet = ("0627", "0001", "03", "QEMU", "QEMU USB Tablet");
        add(
            &mut devices,
            tablet,
            Some("28754-0000:00:04.0-1".to_string()),
        );
        return Usb { devices };
    }
    if !machine.is_laptop() {
        let keyboard = if rng.gen_bool(0.5) {
            ("046d", "c31c", "03", "Logitech", "USB Keyboard")
        } else {
            ("056e", "1087", "03", "ELECOM", "ELECOM TK-FCM108")
        };
        add(&mut devices, keyboard, None);
    }
    let mouse = ("046d", "c077", "03", "Logitech", "USB Optical Mouse");
    add(&mut devices, mouse, None);
    for (vendor, product, class, maker, name, serial, chance) in USB_EXTRAS {
        if rng.gen_bool(*chance) {
            let serial = serial.then(|| identity::hex(&mut rng, 8).to_uppercase());
            add(&mut devices, (vendor, product, class, maker, name), serial);
        }
    }
    Usb { devices }
}

fn security(agent: &SimAgent, pool: &Pool) -> Security {
    let mut rng = section_rng(agent, SectionKind::Security);
    let firewall = match pool.info.id {
        "ubuntu" => "ufw",
        "debian" => "nftables",
        _ => "firewalld",
    };
    let sshd_present = pool.info.family == Family::Rpm || rng.gen_bool(0.6);
    let clamav_present = rng.gen_bool(0.4);
    let pending = rng.gen_range(0..40);
    Security {
        firewall_active: Some(rng.gen_bool(0.8)),
        firewall_kind: Some(firewall.into()),
        auto_updates: Some(rng.gen_bool(if pool.info.family == Family::Deb {
            0.6
        } else {
            0.3
        })),
        pending_updates: Some(pending),
        pending_security_updates: Some(pending / 4),
        sshd_present,
        ssh_permit_root_login: sshd_present.then(|| {
            match rng.gen_range(0..20) {
                0 => "yes",
                1..=5 => "no",
                _ => "prohibit-password",
            }
            .into()
        }),
        ssh_password_authentication: sshd_present.then(|| rng.gen_bool(0.7)),
        clamav_present,
        clamav_definitions_age_days: clamav_present.then(|| {
            if rng.gen_bool(0.1) {
                rng.gen_range(30..120)
            } else {
                rng.gen_range(0..3)
            }
        }),
    }
}
