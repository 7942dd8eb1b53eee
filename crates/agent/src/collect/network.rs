//! The network section: interfaces from `/sys/class/net`, IPv4 addresses from `getifaddrs`
//! (live machine only), IPv6 addresses from `/proc/net/if_inet6`, default gateways from the
//! kernel routing tables, and DNS from `/etc/resolv.conf`.

use std::collections::BTreeMap;
use std::ffi::CStr;
use std::net::{Ipv4Addr, Ipv6Addr};

use kanri_proto::inventory::{Interface, Network};
use kanri_proto::Text;

use super::read::{list_dir, read_number, read_string, read_value, text};
use super::{CollectContext, CollectError, Collector};

/// Collects [`Network`].
pub(super) struct NetworkCollector;

impl Collector for NetworkCollector {
    type Section = Network;

    fn collect(&self, cx: &CollectContext) -> Result<Network, CollectError> {
        let ipv4 = if cx.is_live() {
            live_ipv4()
        } else {
            Vec::new()
        };
        Ok(network(cx, &ipv4))
    }
}

/// One IPv4 address of an interface. `getifaddrs` gives these on the live machine; tests feed
/// them to [`network`] directly.
#[derive(Debug, Clone, PartialEq)]
struct Ipv4Entry {
    interface: String,
    address: Ipv4Addr,
    prefix: u32,
}

/// The section from the files under `cx.root` plus the given IPv4 addresses.
fn network(cx: &CollectContext, ipv4: &[Ipv4Entry]) -> Network {
    let ipv6 = read_string(&cx.path("/proc/net/if_inet6"))
        .map(|table| parse_if_inet6(&table))
        .unwrap_or_default();
    let mut interfaces = interfaces(cx);
    for interface in &mut interfaces {
        interface.ipv4 = ipv4
            .iter()
            .filter(|entry| entry.interface == interface.name.as_str())
            .map(|entry| text(&format!("{}/{}", entry.address, entry.prefix)))
            .collect();
        interface.ipv6 = ipv6
            .get(interface.name.as_str())
            .cloned()
            .unwrap_or_default();
    }
    let resolv = read_string(&cx.path("/etc/resolv.conf")).unwrap_or_default();
    let (mut dns_servers, mut dns_search) = parse_resolv(&resolv);
    if dns_servers.iter().any(|server| server == "127.0.0.53") {
        // systemd-resolved's stub: its upstream servers are what the machine really uses.
        let upstream =
            read_string(&cx.path("/run/systemd/resolve/resolv.conf")).unwrap_or_default();
        let (servers, search) = parse_resolv(&upstream);
        for server in servers {
            if !dns_servers.contains(&server) {
                dns_servers.push(server);
            }
        }
        if dns_search.is_empty() {
            dns_search = search;
        }
    }
    Network {
        interfaces,
        default_gateway: read_string(&cx.path("/proc/net/route"))
            .ok()
            .and_then(|table| default_gateway(&table))
            .map(|gateway| text(&gateway.to_string())),
        default_gateway_v6: read_string(&cx.path("/proc/net/ipv6_route"))
            .ok()
            .and_then(|table| default_gateway_v6(&table))
            .map(|gateway| text(&gateway.to_string())),
        dns_servers: dns_servers.iter().map(|server| text(server)).collect(),
        dns_search: dns_search.iter().map(|domain| text(domain)).collect(),
    }
}

fn interfaces(cx: &CollectContext) -> Vec<Interface> {
    let class = cx.path("/sys/class/net");
    let mut interfaces = Vec::new();
    for name in list_dir(&class) {
        let dir = class.join(&name);
        // `bonding_masters` and similar are plain files next to the interfaces.
        if name == "lo" || !dir.is_dir() {
            continue;
        }
        let is_virtual = match std::fs::read_link(&dir) {
            Ok(target) => target.to_string_lossy().contains("/virtual/"),
            Err(_) => cx.path("/sys/devices/virtual/net").join(&name).exists(),
        };
        let mac = read_value(&dir.join("address"))
            .map(|mac| mac.to_ascii_lowercase())
            .filter(|mac| mac.bytes().any(|byte| byte != b'0' && byte != b':'));
        let operstate = read_value(&dir.join("operstate")).unwrap_or_default();
        let up = operstate == "up"
            || (operstate == "unknown" && read_value(&dir.join("carrier")).as_deref() == Some("1"));
        let speed: Option<i64> = read_number(&dir.join("speed"));
        interfaces.push(Interface {
            name: text(&name),
            mac: mac.map(|mac| text(&mac)),
            ipv4: Vec::new(),
            ipv6: Vec::new(),
            speed_mbps: speed
                .and_then(|speed| u32::try_from(speed).ok())
                .filter(|&speed| speed > 0),
            up,
            wireless: dir.join("wireless").exists() || dir.join("phy80211").exists(),
            is_virtual,
            mtu: read_number(&dir.join("mtu")),
        });
    }
    interfaces
}

/// IPv6 addresses with prefix per interface from `/proc/net/if_inet6`.
fn parse_if_inet6(table: &str) -> BTreeMap<String, Vec<Text>> {
    let mut addresses: BTreeMap<String, Vec<Text>> = BTreeMap::new();
    for line in table.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [address, _index, prefix, _scope, _flags, name] = fields[..] else {
            continue;
        };
        let (Some(address), Ok(prefix)) = (hex_ipv6(address), u8::from_str_radix(prefix, 16))
        else {
            continue;
        };
        addresses
            .entry(name.to_owned())
            .or_default()
            .push(text(&format!("{address}/{prefix}")));
    }
    addresses
}

fn hex_ipv6(hex: &str) -> Option<Ipv6Addr> {
    if hex.len() != 32 {
        return None;
    }
    u128::from_str_radix(hex, 16).ok().map(Ipv6Addr::from)
}

const RTF_UP: u32 = 0x1;
const RTF_GATEWAY: u32 = 0x2;
const RTF_REJECT: u32 = 0x200;

/// The default IPv4 route with the lowest metric from `/proc/net/route`, which prints each
/// network-order address as a host-order hexadecimal number (`010200C0` for 192.0.2.1 on a
/// little-endian machine).
fn default_gateway(table: &str) -> Option<Ipv4Addr> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let destination = u32::from_str_radix(fields.get(1)?, 16).ok()?;
            let gateway = u32::from_str_radix(fields.get(2)?, 16).ok()?;
            let flags = u32::from_str_radix(fields.get(3)?, 16).ok()?;
            let metric: u32 = fields.get(6)?.parse().ok()?;
            let mask = u32::from_str_radix(fields.get(7)?, 16).ok()?;
            let is_default = destination == 0 && mask == 0 && gateway != 0;
            let usable =
                flags & (RTF_UP | RTF_GATEWAY) == RTF_UP | RTF_GATEWAY && flags & RTF_REJECT == 0;
            (is_default && usable).then(|| (metric, Ipv4Addr::from(gateway.to_ne_bytes())))
        })
        .min_by_key(|(metric, _)| *metric)
        .map(|(_, gateway)| gateway)
}

/// The default IPv6 route with the lowest metric from `/proc/net/ipv6_route`. Unreachable
/// routes (the kernel keeps one on `lo`) are skipped.
fn default_gateway_v6(table: &str) -> Option<Ipv6Addr> {
    table
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let destination = hex_ipv6(fields.first()?)?;
            let prefix = u8::from_str_radix(fields.get(1)?, 16).ok()?;
            let next_hop = hex_ipv6(fields.get(4)?)?;
            let metric = u32::from_str_radix(fields.get(5)?, 16).ok()?;
            let flags = u32::from_str_radix(fields.get(8)?, 16).ok()?;
            let is_default =
                destination.is_unspecified() && prefix == 0 && !next_hop.is_unspecified();
            let usable = flags & RTF_UP != 0 && flags & RTF_REJECT == 0;
            (is_default && usable).then_some((metric, next_hop))
        })
        .min_by_key(|(metric, _)| *metric)
        .map(|(_, gateway)| gateway)
}

/// Name servers in order and the search list (the last `search` or `domain` line wins, as in
/// glibc).
fn parse_resolv(resolv: &str) -> (Vec<String>, Vec<String>) {
    let mut servers: Vec<String> = Vec::new();
    let mut search = Vec::new();
    for line in resolv.lines() {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("nameserver") => {
                if let Some(server) = words.next() {
                    if !servers.iter().any(|known| known == server) {
                        servers.push(server.to_owned());
                    }
                }
            }
            Some("search" | "domain") => {
                search = words
                    .take_while(|word| !word.starts_with('#'))
                    .map(str::to_owned)
                    .collect();
            }
            _ => {}
        }
    }
    (servers, search)
}

/// IPv4 addresses of every interface from `getifaddrs`.
fn live_ipv4() -> Vec<Ipv4Entry> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: `head` is a valid out pointer; on success the list is freed below.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return Vec::new();
    }
    let mut entries = Vec::new();
    let mut cursor = head;
    while !cursor.is_null() {
        // SAFETY: `cursor` is a node of the list getifaddrs returned, not yet freed.
        let node = unsafe { &*cursor };
        cursor = node.ifa_next;
        if node.ifa_addr.is_null() || node.ifa_name.is_null() {
            continue;
        }
        // SAFETY: ifa_addr is non-null and points at a sockaddr.
        let family = unsafe { (*node.ifa_addr).sa_family };
        if i32::from(family) != libc::AF_INET {
            continue;
        }
        // SAFETY: an AF_INET address is a sockaddr_in.
        let address = unsafe { &*(node.ifa_addr as *const libc::sockaddr_in) };
        let prefix = if node.ifa_netmask.is_null() {
            32
        } else {
            // SAFETY: the netmask of an AF_INET address is a sockaddr_in.
            let mask = unsafe { &*(node.ifa_netmask as *const libc::sockaddr_in) };
            u32::from_be(mask.sin_addr.s_addr).count_ones()
        };
        // SAFETY: ifa_name is a non-null, nul-terminated string owned by the list.
        let name = unsafe { CStr::from_ptr(node.ifa_name) }
            .to_string_lossy()
            .into_owned();
        entries.push(Ipv4Entry {
            interface: name,
            address: Ipv4Addr::from(u32::from_be(address.sin_addr.s_addr)),
            prefix,
        });
    }
    // SAFETY: `head` came from a successful getifaddrs and is freed exactly once.
    unsafe { libc::freeifaddrs(head) };
    entries
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::read::{link_fixture, testdata, testdata_text, write_fixture};
    use super::*;

    fn check(root: &Path, ipv4: &[Ipv4Entry], expected: &Network) {
        let cx = CollectContext {
            root: root.to_owned(),
            cache_dir: None,
        };
        assert_eq!(&network(&cx, ipv4), expected);
    }

    fn sys_interface(root: &Path, name: &str, device: &str, files: &[(&str, &str)]) {
        link_fixture(
            root,
            &format!("sys/class/net/{name}"),
            &format!("../../devices/{device}/net/{name}"),
        );
        for (file, content) in files {
            write_fixture(
                root,
                &format!("sys/devices/{device}/net/{name}/{file}"),
                content,
            );
        }
    }

    #[test]
    fn reads_interfaces_routes_and_dns() {
        let root = tempfile::tempdir().expect("temp dir");
        let root = root.path();
        for file in ["route", "ipv6_route", "if_inet6"] {
            write_fixture(
                root,
                &format!("proc/net/{file}"),
                &testdata_text(&format!("root-debian/proc/net/{file}")),
            );
        }
        sys_interface(
            root,
            "eth0",
            "pci0000:00/0000:00:03.0/virtio2",
            &[
                ("address", "02:FC:00:00:00:01\n"),
                ("operstate", "up\n"),
                ("mtu", "1400\n"),
                ("speed", "-1\n"),
            ],
        );
        sys_interface(
            root,
            "wlp2s0",
            "pci0000:00/0000:00:1c.0/0000:02:00.0",
            &[
                ("address", "a4:c3:f0:11:22:33\n"),
                ("operstate", "dormant\n"),
                ("mtu", "1500\n"),
                ("phy80211/name", "phy0\n"),
            ],
        );
        sys_interface(
            root,
            "ifb0",
            "virtual",
            &[("address", "26:38:22:52:7d:16\n"), ("operstate", "down\n")],
        );
        sys_interface(root, "lo", "virtual", &[("address", "00:00:00:00:00:00\n")]);
        sys_interface(
            root,
            "tun0",
            "virtual",
            &[
                ("address", "00:00:00:00:00:00\n"),
                ("operstate", "unknown\n"),
                ("carrier", "1\n"),
            ],
        );
        write_fixture(root, "sys/class/net/bonding_masters", "\n");
        write_fixture(
            root,
            "etc/resolv.conf",
            "# generated\nnameserver 127.0.0.53\noptions edns0\nsearch corp.example\n",
        );
        write_fixture(
            root,
            "run/systemd/resolve/resolv.conf",
            "nameserver 192.0.2.53\nnameserver 2001:db8::53\nsearch corp.example lab.example\n",
        );
        let ipv4 = [
            Ipv4Entry {
                interface: "lo".to_owned(),
                address: Ipv4Addr::LOCALHOST,
                prefix: 8,
            },
            Ipv4Entry {
                interface: "eth0".to_owned(),
                address: Ipv4Addr::new(192, 0, 2, 10),
                prefix: 24,
            },
        ];
        let interface = |name: &str| Interface {
            name: name.into(),
            ..Interface::default()
        };
        check(
            root,
            &ipv4,
            &Network {
                interfaces: vec![
                    Interface {
                        mac: Some("02:fc:00:00:00:01".into()),
                        ipv4: vec!["192.0.2.10/24".into()],
                        ipv6: vec!["fd00::2/64".into(), "fe80::fc:ff:fe00:1/64".into()],
                        up: true,
                        mtu: Some(1400),
                        ..interface("eth0")
                    },
                    Interface {
                        mac: Some("26:38:22:52:7d:16".into()),
                        is_virtual: true,
                        ..interface("ifb0")
                    },
                    Interface {
                        up: true,
                        is_virtual: true,
                        ..interface("tun0")
                    },
                    Interface {
                        mac: Some("a4:c3:f0:11:22:33".into()),
                        wireless: true,
                        mtu: Some(1500),
                        ..interface("wlp2s0")
                    },
                ],
                default_gateway: Some("192.0.2.1".into()),
                default_gateway_v6: Some("fd00::1".into()),
                dns_servers: vec![
                    "127.0.0.53".into(),
                    "192.0.2.53".into(),
                    "2001:db8::53".into(),
                ],
                dns_search: vec!["corp.example".into()],
            },
        );
    }

    #[test]
    fn parses_captured_tables() {
        assert_eq!(
            default_gateway(&testdata_text("root-debian/proc/net/route")),
            Some(Ipv4Addr::new(192, 0, 2, 1))
        );
        let two_routes = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n\
            wlan0\t00000000\t0102A8C0\t0003\t0\t0\t600\t00000000\n\
            eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\n";
        assert_eq!(
            default_gateway(two_routes),
            Some(Ipv4Addr::new(10, 0, 0, 1))
        );
        assert_eq!(default_gateway("Iface\tDestination\n"), None);
        let ipv6_routes = testdata_text("root-debian/proc/net/ipv6_route");
        assert_eq!(default_gateway_v6(&ipv6_routes), "fd00::1".parse().ok());
        let only_unreachable = ipv6_routes
            .lines()
            .filter(|line| line.contains(" lo"))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(default_gateway_v6(&only_unreachable), None);
        let (servers, search) = parse_resolv(&testdata_text("root-debian/etc/resolv.conf"));
        assert_eq!(
            (servers, search),
            (
                vec!["10.255.255.53".to_owned()],
                vec!["corp.example".to_owned()]
            )
        );
        let collected = NetworkCollector
            .collect(&CollectContext {
                root: testdata("root-debian"),
                cache_dir: None,
            })
            .expect("network collects");
        assert_eq!(collected.dns_servers, vec![Text::from("10.255.255.53")]);
    }
}
