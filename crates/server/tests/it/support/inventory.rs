//! Inventories built in tests.

use kanri_proto::inventory::{Cpu, Disk, Hardware, Interface, Network, Os, Package, Software};
use kanri_proto::Inventory;

/// A small but complete inventory.
pub fn sample(hostname: &str, packages: &[(&str, &str)], memory_gib: u64) -> Inventory {
    Inventory {
        hardware: Some(Hardware {
            manufacturer: Some("FUJITSU".into()),
            model: Some("ESPRIMO D588".into()),
            serial: Some("To be filled by O.E.M.".into()),
            memory_bytes: memory_gib << 30,
            cpu: Cpu {
                model: Some("Intel Core i5-8500".into()),
                sockets: 1,
                cores: 6,
                threads: 6,
                mhz: 3000,
                ..Cpu::default()
            },
            disks: vec![Disk {
                name: "sda".into(),
                model: Some("SSD 256".into()),
                serial: Some("DISK1".into()),
                size_bytes: 256 << 30,
                bus: Some("sata".into()),
                ..Disk::default()
            }],
            ..Hardware::default()
        }),
        os: Some(Os {
            name: "Debian GNU/Linux".into(),
            version: Some("12".into()),
            hostname: hostname.into(),
            kernel: "6.1.0".into(),
            arch: "x86_64".into(),
            ..Os::default()
        }),
        network: Some(Network {
            interfaces: vec![Interface {
                name: "eth0".into(),
                mac: Some("52:54:00:12:34:56".into()),
                ipv4: vec!["192.0.2.10/24".into()],
                up: true,
                ..Interface::default()
            }],
            default_gateway: Some("192.0.2.1".into()),
            ..Network::default()
        }),
        software: Some(Software {
            packages: packages
                .iter()
                .map(|(name, version)| Package {
                    name: (*name).into(),
                    version: (*version).into(),
                    arch: "amd64".into(),
                    source: "dpkg".into(),
                    ..Package::default()
                })
                .collect(),
        }),
        ..Inventory::default()
    }
}
