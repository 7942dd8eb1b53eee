//! Who a simulated agent is: its machine [`Profile`] (maker, model, CPU, memory, site and
//! department) and its [`IdentityFacts`]: a hospital-style host name, serial number, SMBIOS
//! UUID, machine id and one or two MAC addresses that are unique within the run.

use kanri_proto::{IdentityFacts, Text};
use rand::Rng;

use crate::catalogue::Catalogue;
use crate::seed;

/// Sites: hospital, care facility, clinic, health-check centre, pharmacy.
pub const SITES: &[&str] = &["byoin", "caref", "shinryo", "kenshin", "yakkyoku"];
/// Departments: nursing, office, medical affairs, pharmacy, laboratory, radiology, rehab,
/// nutrition, reception, management, IT, operating theatre, outpatients, wards.
pub const DEPARTMENTS: &[&str] = &[
    "kango", "jimu", "iji", "yakuzai", "kensa", "hoshasen", "reha", "eiyo", "uketsuke", "kanri",
    "joho", "shujutsu", "gairai", "byoto",
];

/// How a machine's serial number looks.
#[derive(Debug, Clone, Copy)]
pub enum SerialStyle {
    /// `YM` and eight characters.
    Fujitsu,
    /// Seven digits after a two-character prefix.
    Nec,
    /// A seven-character service tag.
    Dell,
    /// `JPH` and seven characters (made in Japan).
    Hp,
    /// `PF` and six characters.
    Lenovo,
    /// `VMware-` and the SMBIOS UUID bytes.
    VMware,
    /// QEMU machines have none.
    Absent,
}

/// A machine model the fleet is made of.
#[derive(Debug)]
pub struct Machine {
    /// System manufacturer.
    pub manufacturer: &'static str,
    /// System model.
    pub model: &'static str,
    /// desktop, laptop or virtual.
    pub chassis: &'static str,
    /// Firmware vendor.
    pub bios_vendor: &'static str,
    /// Firmware version.
    pub bios_version: &'static str,
    /// Firmware date.
    pub bios_date: &'static str,
    /// Serial number format.
    pub serial: SerialStyle,
    /// Organizationally unique identifier of the network adapters.
    pub oui: [u8; 3],
    weight: u32,
}

impl Machine {
    /// A laptop (wireless, battery).
    pub fn is_laptop(&self) -> bool {
        self.chassis == "laptop"
    }

    /// A virtual machine.
    pub fn is_virtual(&self) -> bool {
        self.chassis == "virtual"
    }
}

/// The fleet's machine models: Japanese makers first, then the usual imports and VMs.
pub const MACHINES: &[Machine] = &[
    Machine {
        manufacturer: "FUJITSU CLIENT COMPUTING LIMITED",
        model: "ESPRIMO D7012/L",
        chassis: "desktop",
        bios_vendor: "FUJITSU CLIENT COMPUTING LIMITED // Insyde Corp.",
        bios_version: "V5.0.0.11 R1.22.0 for D3xxx-A1x",
        bios_date: "03/14/2024",
        serial: SerialStyle::Fujitsu,
        oui: [0x3c, 0xfd, 0xfe],
        weight: 22,
    },
    Machine {
        manufacturer: "FUJITSU CLIENT COMPUTING LIMITED",
        model: "LIFEBOOK A5510/F",
        chassis: "laptop",
        bios_vendor: "FUJITSU CLIENT COMPUTING LIMITED // Insyde Corp.",
        bios_version: "Version 2.18",
        bios_date: "11/02/2023",
        serial: SerialStyle::Fujitsu,
        oui: [0xa0, 0x36, 0x9f],
        weight: 10,
    },
    Machine {
        manufacturer: "NEC",
        model: "PC-MKM30BZG8",
        chassis: "desktop",
        bios_vendor: "NEC",
        bios_version: "M1UKT5DA",
        bios_date: "07/21/2023",
        serial: SerialStyle::Nec,
        oui: [0x00, 0x1b, 0x21],
        weight: 18,
    },
    Machine {
        manufacturer: "NEC",
        model: "PC-VKT44DB7H",
        chassis: "laptop",
        bios_vendor: "NEC",
        bios_version: "R2AET37W (1.18)",
        bios_date: "05/09/2023",
        serial: SerialStyle::Nec,
        oui: [0xb4, 0x96, 0x91],
        weight: 8,
    },
    Machine {
        manufacturer: "Dell Inc.",
        model: "OptiPlex 7090",
        chassis: "desktop",
        bios_vendor: "Dell Inc.",
        bios_version: "1.24.0",
        bios_date: "02/07/2024",
        serial: SerialStyle::Dell,
        oui: [0xf8, 0xf2, 0x1e],
        weight: 10,
    },
    Machine {
        manufacturer: "HP",
        model: "HP EliteDesk 800 G6 Desktop Mini PC",
        chassis: "desktop",
        bios_vendor: "HP",
        bios_version: "S21 Ver. 02.18.00",
        bios_date: "12/11/2023",
        serial: SerialStyle::Hp,
        oui: [0x00, 0xe0, 0x4c],
        weight: 8,
    },
    Machine {
        manufacturer: "LENOVO",
        model: "11DT0043JP",
        chassis: "desktop",
        bios_vendor: "LENOVO",
        bios_version: "M3AKT4BA",
        bios_date: "08/30/2023",
        serial: SerialStyle::Lenovo,
        oui: [0x3c, 0xfd, 0xfe],
        weight: 6,
    },
    Machine {
        manufacturer: "QEMU",
        model: "Standard PC (Q35 + ICH9, 2009)",
        chassis: "virtual",
        bios_vendor: "EFI Development Kit II / OVMF",
        bios_version: "2023.05-2",
        bios_date: "02/02/2022",
        serial: SerialStyle::Absent,
        oui: [0x52, 0x54, 0x00],
        weight: 11,
    },
    Machine {
        manufacturer: "VMware, Inc.",
        model: "VMware7,1",
        chassis: "virtual",
        bios_vendor: "VMware, Inc.",
        bios_version: "VMW71.00V.21805430.B64.2305221830",
        bios_date: "05/22/2023",
        serial: SerialStyle::VMware,
        oui: [0x00, 0x50, 0x56],
        weight: 7,
    },
];

/// The fixed facts of one simulated machine, a few dozen bytes.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    /// The agent's position in the run, from 0.
    pub index: u32,
    /// Index into [`crate::catalogue::DISTROS`].
    pub distro: u8,
    /// Index into [`MACHINES`].
    pub machine: u8,
    /// Index into [`SITES`].
    pub site: u8,
    /// Index into [`DEPARTMENTS`].
    pub department: u8,
    /// Memory when the run starts, GiB.
    pub memory_gib: u32,
    /// A second physical network adapter (wireless on laptops).
    pub second_nic: bool,
    /// A virtual interface too (docker0 or virbr0).
    pub virtual_nic: bool,
    /// When the OS was installed, Unix seconds.
    pub installed_at: u64,
    /// Last boot, Unix seconds.
    pub boot_time: u64,
}

impl Profile {
    /// Draws the profile of agent `index`.
    pub fn draw(index: u32, rng: &mut impl Rng) -> Profile {
        let machine = pick_machine(rng);
        let virtual_machine = MACHINES[usize::from(machine)].is_virtual();
        let memory_gib = match rng.gen_range(0..10) {
            0..=2 => 8,
            3..=7 => 16,
            8 => 32,
            _ if virtual_machine => 4,
            _ => 64,
        };
        // Installed between 2023-01 and 2024-06; booted within the last weeks of 2024-10.
        let installed_at = 1_672_531_200 + rng.gen_range(0..47_000_000);
        Profile {
            index,
            distro: Catalogue::pick_distro(rng),
            machine,
            site: rng.gen_range(0..SITES.len()) as u8,
            department: rng.gen_range(0..DEPARTMENTS.len()) as u8,
            memory_gib,
            second_nic: MACHINES[usize::from(machine)].is_laptop() || rng.gen_bool(0.1),
            virtual_nic: rng.gen_bool(0.15),
            installed_at,
            boot_time: 1_730_000_000 + rng.gen_range(0..2_500_000),
        }
    }

    /// The machine model.
    pub fn machine(&self) -> &'static Machine {
        &MACHINES[usize::from(self.machine)]
    }

    /// The site name, used in the host name and DNS domain.
    pub fn site(&self) -> &'static str {
        SITES[usize::from(self.site)]
    }

    /// `byoin-kango-0123`.
    pub fn hostname(&self) -> String {
        let department = DEPARTMENTS[usize::from(self.department)];
        format!("{}-{department}-{:04}", self.site(), self.index + 1)
    }

    /// The DNS domain of the site.
    pub fn domain(&self) -> String {
        format!("{}.lan", self.site())
    }

    /// The agent's IPv4 address with prefix and its gateway; unique within the run.
    pub fn ipv4(&self) -> (String, String) {
        let subnet = self.index / 250;
        let (second, third) = (20 + subnet / 256, subnet % 256);
        let host = self.index % 250 + 2;
        (
            format!("10.{second}.{third}.{host}/24"),
            format!("10.{second}.{third}.1"),
        )
    }

    /// The MAC address of physical adapter `nic` (0 or 1), lowercase with colons.
    pub fn mac(&self, run_seed: u64, nic: u32) -> String {
        mac_address(self.machine().oui, run_seed, self.index, nic)
    }

    /// Number of physical network adapters.
    pub fn nics(&self) -> u32 {
        1 + u32::from(self.second_nic)
    }
}

/// Builds the identity facts of `profile`; `rng` supplies serial, UUID and machine id.
pub fn facts(profile: &Profile, run_seed: u64, rng: &mut impl Rng) -> IdentityFacts {
    let uuid = uuid(rng);
    let serial = serial(profile.machine().serial, &uuid, rng);
    IdentityFacts {
        hostname: profile.hostname().into(),
        serial: serial.map(Text::from),
        uuid: Some(Text::from(uuid)),
        machine_id: Some(Text::from(hex(rng, 16))),
        macs: (0..profile.nics())
            .map(|nic| Text::from(profile.mac(run_seed, nic)))
            .collect(),
    }
}

/// A random version-4 UUID, lowercase.
pub fn uuid(rng: &mut impl Rng) -> String {
    let bytes: [u8; 16] = rng.gen();
    let hex: String = bytes
        .iter()
        .enumerate()
        .map(|(position, byte)| match position {
            6 => format!("{:02x}", (byte & 0x0f) | 0x40),
            8 => format!("{:02x}", (byte & 0x3f) | 0x80),
            _ => format!("{byte:02x}"),
        })
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// `bytes` random bytes as lowercase hex.
pub fn hex(rng: &mut impl Rng, bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", rng.gen::<u8>()))
        .collect()
}

fn pick_machine(rng: &mut impl Rng) -> u8 {
    let total: u32 = MACHINES.iter().map(|machine| machine.weight).sum();
    let mut ticket = rng.gen_range(0..total);
    for (position, machine) in MACHINES.iter().enumerate() {
        if ticket < machine.weight {
            return position as u8;
        }
        ticket -= machine.weight;
    }
    0
}

fn serial(style: SerialStyle, uuid: &str, rng: &mut impl Rng) -> Option<String> {
    let serial = match style {
        SerialStyle::Fujitsu => format!("YM{}", alphanumeric(rng, 8)),
        SerialStyle::Nec => format!(
            "{}{:07}",
            alphanumeric(rng, 2),
            rng.gen_range(0..10_000_000)
        ),
        SerialStyle::Dell => alphanumeric(rng, 7),
        SerialStyle::Hp => format!("JPH{}", alphanumeric(rng, 7)),
        SerialStyle::Lenovo => format!("PF{}", alphanumeric(rng, 6)),
        SerialStyle::VMware => {
            let digits: String = uuid.chars().filter(|c| *c != '-').collect();
            let pairs: Vec<&str> = (0..16)
                .map(|pair| &digits[pair * 2..pair * 2 + 2])
                .collect();
            format!("VMware-{}-{}", pairs[..8].join(" "), pairs[8..].join(" "))
        }
        SerialStyle::Absent => return None,
    };
    Some(serial)
}

fn alphanumeric(rng: &mut impl Rng, length: usize) -> String {
    const CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    (0..length)
        .map(|_| char::from(CHARS[rng.gen_range(0..CHARS.len())]))
        .collect()
}

/// The 24 device bits are a bijection of `(index, nic)` onto 1..=2^24-2, offset by the run
/// seed: unique for up to eight million agents, never all zeros or all ones.
fn mac_address(oui: [u8; 3], run_seed: u64, index: u32, nic: u32) -> String {
    const SPACE: u64 = (1 << 24) - 2;
    // 1,000,003 is prime and shares no factor with SPACE (2 × 47 × 178,481).
    const STRIDE: u64 = 1_000_003;
    let position = u64::from(index) * 2 + u64::from(nic);
    let device = 1 + (position * STRIDE % SPACE + seed::mix(run_seed, 7) % SPACE) % SPACE;
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        oui[0],
        oui[1],
        oui[2],
        (device >> 16) & 0xff,
        (device >> 8) & 0xff,
        device & 0xff
    )
}
