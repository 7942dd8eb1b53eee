//! The OS section: distribution from os-release, kernel, host and domain names, boot time,
//! time zone, locale, virtualization and machine-id. No DNS queries: the FQDN comes from
//! `/etc/hosts` and `/etc/resolv.conf` only, so collecting never waits on the network.

use std::path::Path;

use kanri_proto::inventory::Os;

use super::read::{
    live_hostname, live_uname, opt_text, read_string, read_value, shell_value, shell_var, text,
};
use super::{CollectContext, CollectError, Collector};

/// Collects [`Os`].
pub(super) struct OsCollector;

impl Collector for OsCollector {
    type Section = Os;

    fn collect(&self, cx: &CollectContext) -> Result<Os, CollectError> {
        let release = read_string(&cx.path("/etc/os-release"))
            .or_else(|_| read_string(&cx.path("/usr/lib/os-release")))
            .unwrap_or_default();
        let field = |key: &str| os_release_field(&release, key);
        let (kernel, arch) = kernel_and_arch(cx);
        let hostname = hostname(cx).unwrap_or_default();
        let hosts = read_string(&cx.path("/etc/hosts")).unwrap_or_default();
        let resolv = read_string(&cx.path("/etc/resolv.conf")).unwrap_or_default();
        let (fqdn, domain) = fqdn(&hostname, &hosts, &resolv);
        Ok(Os {
            name: text(field("NAME").as_deref().unwrap_or("Linux")),
            version: field("VERSION_ID").as_deref().and_then(opt_text),
            id: field("ID").as_deref().and_then(opt_text),
            pretty_name: field("PRETTY_NAME").as_deref().and_then(opt_text),
            kernel: text(&kernel),
            arch: text(&arch),
            hostname: text(&hostname),
            fqdn: fqdn.as_deref().and_then(opt_text),
            domain: domain.as_deref().and_then(opt_text),
            boot_time: read_string(&cx.path("/proc/stat"))
                .ok()
                .and_then(|stat| boot_time(&stat)),
            timezone: timezone(cx).as_deref().and_then(opt_text),
            locale: locale(cx).as_deref().and_then(opt_text),
            virtualization: Some(text(&virtualization(cx))),
            machine_id: machine_id(cx).as_deref().and_then(opt_text),
        })
    }
}

/// The hypervisor a DMI vendor and product name point to, if any. The hardware section uses
/// it too, to call such a chassis "virtual".
pub(super) fn hypervisor_from_dmi(vendor: &str, product: &str) -> Option<&'static str> {
    let vendor = vendor.to_ascii_lowercase();
    let product = product.to_ascii_lowercase();
    let either = |needle: &str| vendor.contains(needle) || product.contains(needle);
    let kvm_clouds =
        vendor.contains("openstack") || vendor == "google" || vendor.contains("amazon ec2");
    Some(if either("qemu") || either("kvm") || kvm_clouds {
        "kvm"
    } else if either("vmware") {
        "vmware"
    } else if either("virtualbox") || vendor.contains("innotek") {
        "virtualbox"
    } else if vendor.contains("xen") || product.contains("hvm domu") {
        "xen"
    } else if vendor.contains("microsoft") && product.contains("virtual machine") {
        "hyperv"
    } else if vendor.contains("parallels") {
        "parallels"
    } else {
        return None;
    })
}

fn os_release_field(release: &str, key: &str) -> Option<String> {
    release.lines().find_map(|line| {
        let (name, value) = line.split_once('=')?;
        (name.trim() == key).then(|| shell_value(value))
    })
}

fn kernel_and_arch(cx: &CollectContext) -> (String, String) {
    if cx.is_live() {
        if let Some(names) = live_uname() {
            return names;
        }
    }
    let kernel = read_value(&cx.path("/proc/sys/kernel/osrelease")).unwrap_or_default();
    let arch = read_value(&cx.path("/proc/sys/kernel/arch")).unwrap_or_default();
    (kernel, arch)
}

fn hostname(cx: &CollectContext) -> Option<String> {
    if cx.is_live() {
        if let Some(name) = live_hostname() {
            return Some(name);
        }
    }
    read_value(&cx.path("/proc/sys/kernel/hostname"))
        .or_else(|| read_value(&cx.path("/etc/hostname")))
}

/// The FQDN and domain as the machine's own files state them: a name already holding dots, an
/// `/etc/hosts` line naming the host, or the resolver's `domain` / first `search` entry.
fn fqdn(hostname: &str, hosts: &str, resolv: &str) -> (Option<String>, Option<String>) {
    if hostname.is_empty() {
        return (None, None);
    }
    if let Some((_, domain)) = hostname.split_once('.') {
        return (Some(hostname.to_owned()), Some(domain.to_owned()));
    }
    let prefix = format!("{hostname}.");
    for line in hosts.lines() {
        let line = line.split('#').next().unwrap_or("");
        let names: Vec<&str> = line.split_whitespace().skip(1).collect();
        if !names
            .iter()
            .any(|name| *name == hostname || name.starts_with(&prefix))
        {
            continue;
        }
        if let Some(full) = names
            .iter()
            .find(|name| name.starts_with(&prefix) && name.len() > prefix.len())
        {
            return (
                Some((*full).to_owned()),
                Some(full[prefix.len()..].to_owned()),
            );
        }
    }
    let domain = resolv_domain(resolv);
    (
        domain.as_ref().map(|domain| format!("{hostname}.{domain}")),
        domain,
    )
}

/// The resolver's domain: the last `domain` or `search` line wins, as in glibc.
fn resolv_domain(resolv: &str) -> Option<String> {
    resolv
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            match words.next()? {
                "domain" | "search" => words
                    .next()
                    .map(|domain| domain.trim_end_matches('.').to_owned()),
                _ => None,
            }
        })
        .rfind(|domain| !domain.is_empty())
}

fn boot_time(stat: &str) -> Option<u64> {
    stat.lines()
        .find_map(|line| line.strip_prefix("btime ")?.trim().parse().ok())
}

fn timezone(cx: &CollectContext) -> Option<String> {
    let from_file = read_string(&cx.path("/etc/timezone"))
        .ok()
        .and_then(|content| {
            content
                .lines()
                .map(str::trim)
                .find(|line| !line.is_empty() && !line.starts_with('#'))
                .map(str::to_owned)
        });
    from_file.or_else(|| {
        let target = std::fs::read_link(cx.path("/etc/localtime")).ok()?;
        zone_from_link(&target)
    })
}

/// `…/zoneinfo/Europe/Berlin` as `Europe/Berlin`.
fn zone_from_link(target: &Path) -> Option<String> {
    let target = target.to_string_lossy();
    let (_, zone) = target.split_once("zoneinfo/")?;
    let zone = zone.strip_prefix("posix/").unwrap_or(zone);
    (!zone.is_empty()).then(|| zone.to_owned())
}

fn locale(cx: &CollectContext) -> Option<String> {
    ["/etc/default/locale", "/etc/locale.conf"]
        .iter()
        .find_map(|path| {
            let content = read_string(&cx.path(path)).ok()?;
            shell_var(&content, "LANG").filter(|lang| !lang.is_empty())
        })
}

/// The container kind when we run inside one, else the hypervisor, else `none`. A container
/// wins over the VM around it, because the container is what the agent inventories.
fn virtualization(cx: &CollectContext) -> String {
    if let Some(container) = container(cx) {
        return container;
    }
    let dmi = |name: &str| read_value(&cx.path("/sys/class/dmi/id").join(name)).unwrap_or_default();
    if let Some(hypervisor) = hypervisor_from_dmi(&dmi("sys_vendor"), &dmi("product_name")) {
        return hypervisor.to_owned();
    }
    if read_value(&cx.path("/sys/hypervisor/type")).as_deref() == Some("xen") {
        return "xen".to_owned();
    }
    let cpuinfo = read_string(&cx.path("/proc/cpuinfo")).unwrap_or_default();
    let hypervisor_flag = cpuinfo
        .lines()
        .filter(|line| line.starts_with("flags"))
        .take(1)
        .any(|line| line.split_whitespace().any(|flag| flag == "hypervisor"));
    if hypervisor_flag { "vm" } else { "none" }.to_owned()
}

fn container(cx: &CollectContext) -> Option<String> {
    if cx.path("/.dockerenv").exists() {
        return Some("docker".to_owned());
    }
    if cx.path("/run/.containerenv").exists() {
        return Some("podman".to_owned());
    }
    if let Some(kind) = read_value(&cx.path("/run/systemd/container")) {
        return Some(kind);
    }
    if let Ok(environ) = std::fs::read(cx.path("/proc/1/environ")) {
        let kind = environ
            .split(|&byte| byte == 0)
            .find_map(|entry| entry.strip_prefix(b"container="));
        if let Some(kind) = kind.filter(|kind| !kind.is_empty()) {
            return Some(String::from_utf8_lossy(kind).into_owned());
        }
    }
    let cgroup = read_string(&cx.path("/proc/1/cgroup")).unwrap_or_default();
    container_from_cgroup(&cgroup).map(str::to_owned)
}

fn container_from_cgroup(cgroup: &str) -> Option<&'static str> {
    cgroup.lines().find_map(|line| {
        let path = line.splitn(3, ':').nth(2)?;
        if path.contains("kubepods") {
            Some("kubernetes")
        } else if path.contains("/docker") {
            Some("docker")
        } else if path.contains("libpod") {
            Some("podman")
        } else if path.contains("/lxc") {
            Some("lxc")
        } else {
            None
        }
    })
}

fn machine_id(cx: &CollectContext) -> Option<String> {
    ["/etc/machine-id", "/var/lib/dbus/machine-id"]
        .iter()
        .filter_map(|path| read_value(&cx.path(path)))
        .find(|id| id != "uninitialized")
}

#[cfg(test)]
mod tests {
    use super::super::read::{testdata, testdata_text, write_fixture};
    use super::*;

    fn check(root: &Path, expected: &Os) {
        let cx = CollectContext {
            root: root.to_owned(),
            cache_dir: None,
        };
        let os = OsCollector.collect(&cx).expect("os collects");
        assert_eq!(&os, expected);
    }

    #[test]
    fn reads_a_debian_container_tree() {
        check(
            &testdata("root-debian"),
            &Os {
                name: "Debian GNU/Linux".into(),
                version: Some("12".into()),
                id: Some("debian".into()),
                pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
                kernel: "6.18.44-fc-v657".into(),
                arch: "x86_64".into(),
                hostname: "fixture-host".into(),
                fqdn: Some("fixture-host.corp.example".into()),
                domain: Some("corp.example".into()),
                boot_time: Some(1795356998),
                timezone: Some("Etc/UTC".into()),
                locale: Some("de_DE.UTF-8".into()),
                virtualization: Some("docker".into()),
                machine_id: Some("3d1219c7c4c5404aaa1f6d2a48adfda4".into()),
            },
        );
    }

    #[test]
    fn detects_a_vm_and_reads_the_localtime_link() {
        let root = tempfile::tempdir().expect("temp dir");
        write_fixture(root.path(), "etc/os-release", "NAME=Fedora\nID=fedora\n");
        write_fixture(root.path(), "etc/locale.conf", "LANG=\"en_US.UTF-8\"\n");
        write_fixture(
            root.path(),
            "sys/class/dmi/id/sys_vendor",
            "Microsoft Corporation\n",
        );
        write_fixture(
            root.path(),
            "sys/class/dmi/id/product_name",
            "Virtual Machine\n",
        );
        write_fixture(root.path(), "proc/1/cgroup", "0::/init.scope\n");
        write_fixture(root.path(), "etc/hostname", "ws7\n");
        write_fixture(
            root.path(),
            "etc/resolv.conf",
            "search lab.example other.example\nnameserver 192.0.2.1\n",
        );
        std::os::unix::fs::symlink(
            "../usr/share/zoneinfo/Asia/Tokyo",
            root.path().join("etc/localtime"),
        )
        .expect("symlink");
        let cx = CollectContext {
            root: root.path().to_owned(),
            cache_dir: None,
        };
        let os = OsCollector.collect(&cx).expect("os collects");
        assert_eq!(os.name.as_str(), "Fedora");
        assert_eq!(os.version, None);
        assert_eq!(os.virtualization.as_deref(), Some("hyperv"));
        assert_eq!(os.timezone.as_deref(), Some("Asia/Tokyo"));
        assert_eq!(os.locale.as_deref(), Some("en_US.UTF-8"));
        assert_eq!(os.hostname.as_str(), "ws7");
        assert_eq!(os.fqdn.as_deref(), Some("ws7.lab.example"));
    }

    #[test]
    fn finds_containers_and_hypervisors() {
        assert_eq!(
            container_from_cgroup("12:pids:/docker/0123abcd\n"),
            Some("docker")
        );
        assert_eq!(
            container_from_cgroup("0::/kubepods/burstable/pod1/abc\n"),
            Some("kubernetes")
        );
        assert_eq!(
            container_from_cgroup(&testdata_text("root-debian/proc/1/cgroup")),
            None
        );
        assert_eq!(
            hypervisor_from_dmi("QEMU", "Standard PC (i440FX + PIIX, 1996)"),
            Some("kvm")
        );
        assert_eq!(
            hypervisor_from_dmi("VMware, Inc.", "VMware Virtual Platform"),
            Some("vmware")
        );
        assert_eq!(
            hypervisor_from_dmi("innotek GmbH", "VirtualBox"),
            Some("virtualbox")
        );
        assert_eq!(hypervisor_from_dmi("Xen", "HVM domU"), Some("xen"));
        assert_eq!(
            hypervisor_from_dmi("Microsoft Corporation", "Surface Laptop 4"),
            None
        );
        assert_eq!(hypervisor_from_dmi("Dell Inc.", "OptiPlex 7090"), None);
    }

    #[test]
    fn prefers_hosts_over_resolver_for_the_fqdn() {
        let hosts = "127.0.0.1 localhost\n127.0.1.1 pc7.office.example pc7 # comment\n";
        assert_eq!(
            fqdn("pc7", hosts, "search other.example\n"),
            (
                Some("pc7.office.example".to_owned()),
                Some("office.example".to_owned())
            )
        );
        assert_eq!(
            fqdn("vm", "127.0.0.1 vm\n", "nameserver 10.0.0.1\n"),
            (None, None)
        );
        assert_eq!(
            fqdn("db1.prod.example", "", ""),
            (
                Some("db1.prod.example".to_owned()),
                Some("prod.example".to_owned())
            )
        );
    }
}
