//! Writes the seed corpus and the libFuzzer dictionary from the real wire types, so that the
//! seeds stay valid when the schema changes (this stops compiling instead of going stale).
//!
//! ```sh
//! cargo run --manifest-path fuzz/Cargo.toml --target-dir target-fuzz --example gen_seeds
//! ```
//!
//! Writes `fuzz/seeds/inventory_decoder/*.json`, `fuzz/seeds/checkin_decoder/*.json` and
//! `fuzz/kanri.dict`, and checks that every seed is accepted by `kanri_proto::decode` and
//! passes the fuzz targets' invariants.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use kanri_proto::inventory::*;
use kanri_proto::{
    CheckinRequest, EnrollRequest, IdentityFacts, InventoryUpload, SectionKind, Text,
    UninstallRequest,
};
use serde::Serialize;

fn t(s: &str) -> Text {
    Text::new(s).expect("seed text is clean")
}

fn st(s: &str) -> Option<Text> {
    Some(t(s))
}

fn facts() -> IdentityFacts {
    IdentityFacts {
        hostname: t("keiri-pc-02"),
        serial: st("5CG1234XYZ"),
        uuid: st("4c4c4544-0042-3510-8051-b7c04f4e3232"),
        machine_id: st("0f1e2d3c4b5a69788796a5b4c3d2e1f0"),
        macs: vec![t("00:1b:21:3a:4b:5c")],
    }
}

fn package(name: &str, version: &str, arch: &str, source: &str) -> Package {
    Package {
        name: t(name),
        version: t(version),
        arch: t(arch),
        source: t(source),
        vendor: None,
        install_time: None,
        size_bytes: None,
    }
}

fn software() -> Software {
    Software {
        packages: vec![
            Package {
                vendor: st("Debian OpenSSH Maintainers <debian-ssh@lists.debian.org>"),
                install_time: Some(1_714_000_000),
                size_bytes: Some(1_908_736),
                ..package("openssh-server", "1:9.2p1-2+deb12u3", "amd64", "dpkg")
            },
            package("bash", "5.2.15-2+b7", "amd64", "dpkg"),
            package("tzdata", "2024a-0+deb12u1", "all", "dpkg"),
            package("firefox", "128.5.0-1.el9_5", "x86_64", "rpm"),
            package(
                "org.libreoffice.LibreOffice",
                "24.8.4.2",
                "x86_64",
                "flatpak",
            ),
            package("経理ツール", "2.0\t(beta)", "noarch", "snap"),
        ],
    }
}

/// Every section, every optional field set, one entry in each list.
fn full_inventory() -> Inventory {
    Inventory {
        hardware: Some(Hardware {
            manufacturer: st("Dell Inc."),
            model: st("OptiPlex 7090"),
            serial: st("5CG1234XYZ"),
            uuid: st("4c4c4544-0042-3510-8051-b7c04f4e3232"),
            chassis: st("desktop"),
            bios_vendor: st("Dell Inc."),
            bios_version: st("1.21.0"),
            bios_date: st("08/29/2023"),
            cpu: Cpu {
                model: st("Intel(R) Core(TM) i7-10700 CPU @ 2.90GHz"),
                vendor: st("GenuineIntel"),
                sockets: 1,
                cores: 8,
                threads: 16,
                mhz: 4800,
            },
            memory_bytes: 17_179_869_184,
            memory_modules: vec![MemoryModule {
                slot: st("DIMM1"),
                size_bytes: 8_589_934_592,
                kind: st("DDR4"),
                speed_mts: Some(2933),
                manufacturer: st("SK Hynix"),
                serial: st("12345678"),
                part_number: st("HMA81GU6DJR8N-XN"),
            }],
            disks: vec![Disk {
                name: t("nvme0n1"),
                model: st("PM991a NVMe Samsung 512GB"),
                serial: st("S660NX0R123456"),
                size_bytes: 512_110_190_592,
                rotational: Some(false),
                bus: st("nvme"),
            }],
            filesystems: vec![Filesystem {
                mount_point: t("/"),
                device: st("/dev/nvme0n1p2"),
                fs_type: t("ext4"),
                size_bytes: 502_000_000_000,
                free_bytes: 301_000_000_000,
            }],
            gpus: vec![Gpu {
                vendor: st("Intel Corporation"),
                model: st("CometLake-S GT2 [UHD Graphics 630]"),
                driver: st("i915"),
            }],
            batteries: vec![Battery {
                name: t("BAT0"),
                manufacturer: st("SMP"),
                model: st("DELL 7FHHV"),
                serial: st("1234"),
                technology: st("Li-ion"),
                design_capacity_mwh: Some(54_000),
                full_capacity_mwh: Some(48_200),
                capacity_percent: Some(87),
                status: st("Discharging"),
            }],
        }),
        os: Some(Os {
            name: t("Debian GNU/Linux"),
            version: st("12"),
            id: st("debian"),
            pretty_name: st("Debian GNU/Linux 12 (bookworm)"),
            kernel: t("6.1.0-28-amd64"),
            arch: t("x86_64"),
            hostname: t("keiri-pc-02"),
            fqdn: st("keiri-pc-02.corp.example"),
            domain: st("corp.example"),
            boot_time: Some(1_730_000_000),
            timezone: st("Asia/Tokyo"),
            locale: st("ja_JP.UTF-8"),
            virtualization: st("none"),
            machine_id: st("0f1e2d3c4b5a69788796a5b4c3d2e1f0"),
        }),
        network: Some(Network {
            interfaces: vec![Interface {
                name: t("enp0s31f6"),
                mac: st("00:1b:21:3a:4b:5c"),
                ipv4: vec![t("192.0.2.10/24")],
                ipv6: vec![t("2001:db8::10/64")],
                speed_mbps: Some(1000),
                up: true,
                wireless: false,
                is_virtual: false,
                mtu: Some(1500),
            }],
            default_gateway: st("192.0.2.1"),
            default_gateway_v6: st("fe80::1"),
            dns_servers: vec![t("192.0.2.53")],
            dns_search: vec![t("corp.example")],
        }),
        software: Some(Software {
            packages: vec![software().packages.remove(0)],
        }),
        users: Some(Users {
            accounts: vec![Account {
                name: t("tanaka"),
                uid: 1000,
                gid: 1000,
                full_name: st("田中 太郎"),
                home: st("/home/tanaka"),
                shell: st("/bin/bash"),
                locked: Some(false),
                last_password_change_days: Some(19_800),
                human: true,
            }],
            sessions: vec![Session {
                user: t("tanaka"),
                tty: st("pts/0"),
                remote_host: st("192.0.2.99"),
                login_time: Some(1_730_001_000),
            }],
        }),
        services: Some(Services {
            units: vec![Unit {
                name: t("ssh.service"),
                description: st("OpenBSD Secure Shell server"),
                active_state: t("active"),
                sub_state: st("running"),
                enabled_state: st("enabled"),
            }],
        }),
        usb: Some(Usb {
            devices: vec![UsbDevice {
                vendor_id: t("046d"),
                product_id: t("c52b"),
                serial: st("ABC123"),
                class: st("03"),
                manufacturer: st("Logitech"),
                product: st("USB Receiver"),
                bus_path: st("1-2.3"),
            }],
        }),
        security: Some(Security {
            firewall_active: Some(true),
            firewall_kind: st("nftables"),
            auto_updates: Some(true),
            pending_updates: Some(3),
            pending_security_updates: Some(1),
            sshd_present: true,
            ssh_permit_root_login: st("prohibit-password"),
            ssh_password_authentication: Some(false),
            clamav_present: false,
            clamav_definitions_age_days: None,
        }),
    }
}

fn upload(inventory: Inventory) -> InventoryUpload {
    InventoryUpload {
        host_id: t("h-7f3a9c2e"),
        agent_version: t("0.1.0"),
        collected_at: 1_730_002_000,
        facts: facts(),
        inventory,
        section_hashes: BTreeMap::new(),
    }
}

fn checkin() -> CheckinRequest {
    let full = full_inventory();
    let section_hashes: BTreeMap<SectionKind, Text> = full
        .present()
        .into_iter()
        .filter_map(|kind| Some((kind, t(&full.section_hash(kind)?))))
        .collect();
    CheckinRequest {
        host_id: t("h-7f3a9c2e"),
        agent_version: t("0.1.0"),
        fingerprint: t(&facts().fingerprint()),
        section_hashes,
        queue_len: 2,
        settings_version: 1,
    }
}

fn uninstall() -> UninstallRequest {
    UninstallRequest {
        host_id: t("h-7f3a9c2e"),
        agent_version: t("0.1.0"),
    }
}

fn enroll() -> EnrollRequest {
    EnrollRequest {
        token: t("kanri-enroll-3q2+7w/9Zk"),
        host_id: t("h-7f3a9c2e"),
        agent_version: t("0.1.0"),
        facts: facts(),
    }
}

fn write_seed<T: Serialize>(dir: &Path, name: &str, value: &T, keys: &mut BTreeSet<String>) {
    let bytes = serde_json::to_vec(value).expect("seed encodes");
    collect_keys(&serde_json::from_slice(&bytes).expect("seed is JSON"), keys);
    // Every seed must pass the targets' own checks.
    kanri_fuzz::inventory_decoder(&bytes);
    fs::write(dir.join(name), &bytes).expect("write seed");
    println!("{:>6} bytes  {}", bytes.len(), dir.join(name).display());
}

fn write_raw(dir: &Path, name: &str, text: &str) {
    kanri_fuzz::inventory_decoder(text.as_bytes());
    fs::write(dir.join(name), text).expect("write seed");
    println!("{:>6} bytes  {}", text.len(), dir.join(name).display());
}

fn collect_keys(value: &serde_json::Value, keys: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_keys(v, keys)),
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                keys.insert(key.clone());
                collect_keys(v, keys);
            }
        }
        _ => {}
    }
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let inv_dir = root.join("seeds/inventory_decoder");
    let chk_dir = root.join("seeds/checkin_decoder");
    fs::create_dir_all(&inv_dir).expect("mkdir");
    fs::create_dir_all(&chk_dir).expect("mkdir");
    let mut keys = BTreeSet::new();

    // Decoded and checked as every request type, so every kind of seed goes here.
    write_seed(
        &inv_dir,
        "upload_software.json",
        &upload(Inventory {
            software: Some(software()),
            ..Inventory::default()
        }),
        &mut keys,
    );
    write_seed(
        &inv_dir,
        "upload_full.json",
        &upload(full_inventory()),
        &mut keys,
    );
    write_seed(
        &inv_dir,
        "upload_no_sections.json",
        &upload(Inventory::default()),
        &mut keys,
    );
    write_seed(&inv_dir, "checkin.json", &checkin(), &mut keys);
    write_seed(&inv_dir, "enroll.json", &enroll(), &mut keys);
    write_seed(&inv_dir, "uninstall.json", &uninstall(), &mut keys);
    // The shape a collector that could read little sends: defaults left out, nulls, escapes.
    write_raw(
        &inv_dir,
        "upload_sparse.json",
        r#"{"host_id":"h1","agent_version":"0.1.0","collected_at":0,"facts":{"hostname":"pc\u00e9"},
 "inventory":{"os":{"name":"Alpine","kernel":"6.6","arch":"aarch64","hostname":"pc","version":null},
 "hardware":{},"security":{"sshd_present":false},"software":{"packages":[{"name":"musl","version":"1.2.4-r2","arch":"aarch64","source":"apk"}]}}}"#,
    );

    write_seed(&chk_dir, "checkin.json", &checkin(), &mut keys);
    write_raw(
        &chk_dir,
        "checkin_minimal.json",
        r#"{"host_id":"h1","agent_version":"0.1.0","fingerprint":"00"}"#,
    );
    write_seed(&chk_dir, "enroll.json", &enroll(), &mut keys);
    write_seed(&chk_dir, "uninstall.json", &uninstall(), &mut keys);

    // libFuzzer dictionary: every field name and section name, plus JSON tokens.
    for kind in SectionKind::ALL {
        keys.insert(kind.as_str().to_string());
    }
    let mut dict = String::from(
        "# Generated by `cargo run --example gen_seeds`: field and section names of kanri-proto.\n",
    );
    for (i, key) in keys.iter().enumerate() {
        dict.push_str(&format!("k{i}=\"\\\"{key}\\\":\"\n"));
    }
    for (i, token) in [
        "null",
        "true",
        "false",
        "{}",
        "[]",
        "\\\"\\\"",
        "\\\\u0000",
        "\\\\u2028",
        "\\\\ud800",
        "\\x09",
        "18446744073709551615",
        "4294967296",
        "-1",
        "1e3",
        "0.5",
    ]
    .iter()
    .enumerate()
    {
        dict.push_str(&format!("t{i}=\"{token}\"\n"));
    }
    fs::write(root.join("kanri.dict"), dict).expect("write dict");
    println!(
        "{:>6} keys   {}",
        keys.len(),
        root.join("kanri.dict").display()
    );
}
