//! The security section: the facts later security policies judge. Host firewall, automatic
//! updates, pending (security) updates, the effective sshd settings that matter most, and
//! ClamAV. Pending updates on Debian are computed from apt's package lists, which is slow, so
//! the result is cached in [`CollectContext::cache_dir`].

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use kanri_proto::inventory::Security;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::read::{
    any_exists, find_program, is_root, list_dir, mtime, now, read_string, read_value, run,
    shell_var, text,
};
use super::software::parse_status;
use super::{CollectContext, CollectError, Collector};

/// Collects [`Security`].
pub(super) struct SecurityCollector;

impl Collector for SecurityCollector {
    type Section = Security;

    fn collect(&self, cx: &CollectContext) -> Result<Security, CollectError> {
        let (firewall_active, firewall_kind) = firewall(cx);
        let pending = pending_updates(cx);
        let sshd_present = any_exists(cx, &["/usr/sbin/sshd", "/usr/bin/sshd"]);
        let ssh = if sshd_present {
            sshd_settings(cx)
        } else {
            None
        };
        let clamav_present = any_exists(
            cx,
            &["/usr/bin/clamscan", "/usr/sbin/clamd", "/usr/bin/clamd"],
        );
        Ok(Security {
            firewall_active,
            firewall_kind: firewall_kind.map(text),
            auto_updates: auto_updates(cx),
            pending_updates: pending.map(|counts| counts.pending),
            pending_security_updates: pending.map(|counts| counts.security),
            sshd_present,
            ssh_permit_root_login: ssh.as_ref().map(|ssh| text(&ssh.permit_root_login)),
            ssh_password_authentication: ssh.as_ref().map(|ssh| ssh.password_authentication),
            clamav_present,
            clamav_definitions_age_days: clamav_definitions_age_days(cx),
        })
    }
}

/// Whether a host firewall is active and which. ufw and firewalld are judged from their own
/// state files; the kernel's ruleset can only be read as root. `None` when we could not tell.
fn firewall(cx: &CollectContext) -> (Option<bool>, Option<&'static str>) {
    let ufw_enabled = read_string(&cx.path("/etc/ufw/ufw.conf"))
        .ok()
        .and_then(|conf| shell_var(&conf, "ENABLED"))
        .is_some_and(|enabled| enabled.eq_ignore_ascii_case("yes"));
    if ufw_enabled {
        return (Some(true), Some("ufw"));
    }
    if firewalld_running(cx) {
        return (Some(true), Some("firewalld"));
    }
    if !cx.is_live() || !is_root() {
        return (None, None);
    }
    if let Some(nft) = find_program(cx, &["/usr/sbin/nft", "/sbin/nft"]) {
        return match run(&nft, &["list", "ruleset"]) {
            Ok(ruleset) if nft_has_rules(&ruleset) => (Some(true), Some("nftables")),
            Ok(_) => (Some(false), None),
            Err(_) => (None, None),
        };
    }
    if let Some(iptables) = find_program(cx, &["/usr/sbin/iptables", "/sbin/iptables"]) {
        return match run(&iptables, &["-S"]) {
            Ok(rules) if iptables_has_rules(&rules) => (Some(true), Some("iptables")),
            Ok(_) => (Some(false), None),
            Err(_) => (None, None),
        };
    }
    (None, None)
}

/// firewalld writes a pid file while it runs; under systemd its unit's cgroup also has
/// processes.
fn firewalld_running(cx: &CollectContext) -> bool {
    let pid_alive = read_value(&cx.path("/var/run/firewalld.pid"))
        .and_then(|pid| pid.parse::<u32>().ok())
        .is_some_and(|pid| cx.path("/proc").join(pid.to_string()).exists());
    let unit_active =
        read_value(&cx.path("/sys/fs/cgroup/system.slice/firewalld.service/cgroup.procs"))
            .is_some();
    pid_alive || unit_active
}

/// An nftables ruleset filters something when a chain holds a rule or drops by default;
/// empty tables and accept-all chains do not count.
fn nft_has_rules(ruleset: &str) -> bool {
    let mut in_chain = false;
    for line in ruleset.lines() {
        let line = line.trim();
        if line.starts_with("chain ") {
            in_chain = true;
        } else if line == "}" {
            in_chain = false;
        } else if in_chain && !line.is_empty() {
            let header = line.starts_with("type ") || line.starts_with("policy ");
            if !header || line.contains("policy drop") {
                return true;
            }
        }
    }
    false
}

/// `iptables -S` filters something when it appends a rule or a chain drops by default.
fn iptables_has_rules(rules: &str) -> bool {
    rules
        .lines()
        .any(|line| line.starts_with("-A ") || (line.starts_with("-P ") && line.ends_with(" DROP")))
}

/// Whether the distribution's automatic updates are set up: unattended-upgrades installed and
/// switched on in apt's configuration, or a dnf-automatic timer enabled.
fn auto_updates(cx: &CollectContext) -> Option<bool> {
    if cx.path("/var/lib/dpkg/status").exists() {
        let installed = any_exists(cx, &["/usr/bin/unattended-upgrade"]);
        return Some(installed && apt_unattended_enabled(cx));
    }
    if any_exists(cx, &["/usr/bin/dnf", "/usr/bin/dnf5", "/usr/bin/yum"]) {
        let timers = list_dir(&cx.path("/etc/systemd/system/timers.target.wants"));
        return Some(
            timers
                .iter()
                .any(|timer| timer.contains("dnf-automatic") || timer.contains("dnf5-automatic")),
        );
    }
    None
}

/// `APT::Periodic::Unattended-Upgrade` as apt would see it: the configuration parts in name
/// order, then `apt.conf`, the last assignment winning.
fn apt_unattended_enabled(cx: &CollectContext) -> bool {
    let parts = cx.path("/etc/apt/apt.conf.d");
    let mut files: Vec<PathBuf> = list_dir(&parts)
        .into_iter()
        .filter(|name| {
            name.bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || b"_-.".contains(&byte))
        })
        .map(|name| parts.join(name))
        .collect();
    files.push(cx.path("/etc/apt/apt.conf"));
    let mut value = None;
    for file in files {
        if let Ok(content) = read_string(&file) {
            if let Some(found) = apt_setting(&content, "APT::Periodic::Unattended-Upgrade") {
                value = Some(found);
            }
        }
    }
    value
        .and_then(|value| value.parse::<u32>().ok())
        .is_some_and(|days| days > 0)
}

/// The last value of a flat `Key "value";` setting in an apt configuration file.
fn apt_setting(content: &str, key: &str) -> Option<String> {
    content
        .lines()
        .filter_map(|line| {
            let line = line.split("//").next().unwrap_or("").trim();
            let rest = line
                .get(..key.len())
                .filter(|head| head.eq_ignore_ascii_case(key))
                .map(|_| &line[key.len()..])?;
            let value = rest.trim().strip_prefix('"')?;
            let (value, _) = value.split_once('"')?;
            Some(value.to_owned())
        })
        .next_back()
}

/// Cached pending-update counts; valid while the dpkg database and apt lists are unchanged
/// and for at most [`CACHE_TTL_SECS`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct PendingCounts {
    pending: u32,
    security: u32,
}

#[derive(Serialize, Deserialize)]
struct PendingCache {
    fingerprint: String,
    computed_at: u64,
    counts: PendingCounts,
}

const CACHE_FILE: &str = "pending-updates.json";
/// Six hours: apt refreshes its lists about daily, and a pending count a few hours old is as
/// good for a policy as a fresh one.
const CACHE_TTL_SECS: u64 = 6 * 3600;
/// Package lists larger than this (together) take too long to scan on every inventory when
/// the result cannot be cached.
const UNCACHED_LISTS_LIMIT: u64 = 4 << 20;

/// One of apt's package lists.
struct PackageList {
    path: PathBuf,
    size: u64,
    mtime: u64,
    gzip: bool,
    security: bool,
}

/// Packages with a newer version in apt's lists than installed, and how many of those come
/// from a security archive. Pinning and phasing are not considered, so this can count an
/// update apt would hold back.
fn pending_updates(cx: &CollectContext) -> Option<PendingCounts> {
    let status_path = cx.path("/var/lib/dpkg/status");
    let status_mtime = mtime(&status_path)?;
    let lists_dir = cx.path("/var/lib/apt/lists");
    let mut lists = Vec::new();
    for name in list_dir(&lists_dir) {
        let Some((_, suffix)) = name.rsplit_once("_Packages") else {
            continue;
        };
        match suffix {
            "" | ".gz" => {}
            // No decoder here, and a count that skips a list would mislead.
            ".lz4" | ".xz" | ".zst" | ".bz2" | ".lzma" => return None,
            // Not a package list (pdiff indexes and the like).
            _ => continue,
        }
        let path = lists_dir.join(&name);
        let Ok(metadata) = std::fs::metadata(&path) else {
            continue;
        };
        lists.push(PackageList {
            size: metadata.len(),
            mtime: mtime(&path).unwrap_or(0),
            gzip: suffix == ".gz",
            security: name.contains("security"),
            path,
        });
    }
    if lists.is_empty() {
        return None;
    }
    let fingerprint = lists_fingerprint(status_mtime, &lists);
    let cache_path = cx.cache_dir.as_ref().map(|dir| dir.join(CACHE_FILE));
    if let Some(counts) = cache_path
        .as_deref()
        .and_then(|path| read_cache(path, &fingerprint))
    {
        return Some(counts);
    }
    let total: u64 = lists.iter().map(|list| list.size).sum();
    if cache_path.is_none() && total > UNCACHED_LISTS_LIMIT {
        return None;
    }
    let status = std::fs::read(&status_path).ok()?;
    let counts = count_pending(&status, &lists)?;
    if let Some(path) = cache_path {
        write_cache(
            &path,
            &PendingCache {
                fingerprint,
                computed_at: now(),
                counts,
            },
        );
    }
    Some(counts)
}

fn lists_fingerprint(status_mtime: u64, lists: &[PackageList]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(status_mtime.to_le_bytes());
    for list in lists {
        hasher.update(list.path.as_os_str().as_encoded_bytes());
        hasher.update(list.size.to_le_bytes());
        hasher.update(list.mtime.to_le_bytes());
    }
    hex::encode(hasher.finalize())
}

fn read_cache(path: &Path, fingerprint: &str) -> Option<PendingCounts> {
    let content = std::fs::read(path).ok()?;
    let cache: PendingCache = serde_json::from_slice(&content).ok()?;
    let age = now().checked_sub(cache.computed_at)?;
    (cache.fingerprint == fingerprint && age < CACHE_TTL_SECS).then_some(cache.counts)
}

/// Writes the cache through a temporary file and a rename, so a concurrent reader never sees
/// half of it. A cache that cannot be written only costs time.
fn write_cache(path: &Path, cache: &PendingCache) {
    let Ok(json) = serde_json::to_vec(cache) else {
        return;
    };
    let temporary = path.with_extension("json.tmp");
    if std::fs::write(&temporary, json).is_ok() && std::fs::rename(&temporary, path).is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
}

/// What a list said about one installed package.
struct Installed<'a> {
    arch: Cow<'a, str>,
    version: Cow<'a, str>,
    newer: bool,
    security: bool,
}

fn count_pending(status: &[u8], lists: &[PackageList]) -> Option<PendingCounts> {
    let mut installed: HashMap<Cow<'_, str>, Vec<Installed<'_>>> = HashMap::new();
    parse_status(status, |entry| {
        installed.entry(entry.name).or_default().push(Installed {
            arch: entry.arch,
            version: entry.version,
            newer: false,
            security: false,
        });
    });
    for list in lists {
        let file = File::open(&list.path).ok()?;
        let scanned = if list.gzip {
            scan_list(
                BufReader::new(GzDecoder::new(file)),
                list.security,
                &mut installed,
            )
        } else {
            scan_list(
                BufReader::with_capacity(64 * 1024, file),
                list.security,
                &mut installed,
            )
        };
        scanned.ok()?;
    }
    let entries = installed.values().flatten();
    let pending = entries.clone().filter(|entry| entry.newer).count();
    let security = entries.filter(|entry| entry.security).count();
    Some(PendingCounts {
        pending: u32::try_from(pending).unwrap_or(u32::MAX),
        security: u32::try_from(security).unwrap_or(u32::MAX),
    })
}

/// Streams one `Packages` list, marking installed packages it offers a newer version of.
fn scan_list(
    mut reader: impl BufRead,
    security: bool,
    installed: &mut HashMap<Cow<'_, str>, Vec<Installed<'_>>>,
) -> std::io::Result<()> {
    let mut line = Vec::with_capacity(256);
    let mut package = String::new();
    let mut version = String::new();
    let mut arch = String::new();
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)?;
        let content = line.trim_ascii_end();
        if content.is_empty() {
            if let Some(entries) = installed.get_mut(package.as_str()) {
                for entry in entries
                    .iter_mut()
                    .filter(|entry| entry.arch == arch.as_str())
                {
                    if compare_versions(&version, &entry.version) == Ordering::Greater {
                        entry.newer = true;
                        entry.security |= security;
                    }
                }
            }
            package.clear();
            version.clear();
            arch.clear();
            if read == 0 {
                return Ok(());
            }
            continue;
        }
        if let Some(value) = content.strip_prefix(b"Package:") {
            set_field(&mut package, value);
        } else if let Some(value) = content.strip_prefix(b"Version:") {
            set_field(&mut version, value);
        } else if let Some(value) = content.strip_prefix(b"Architecture:") {
            set_field(&mut arch, value);
        }
    }
}

fn set_field(field: &mut String, value: &[u8]) {
    field.clear();
    field.push_str(&String::from_utf8_lossy(value.trim_ascii()));
}

/// Compares two Debian versions (`[epoch:]upstream[-revision]`) as dpkg does.
fn compare_versions(left: &str, right: &str) -> Ordering {
    let (left_epoch, left_upstream, left_revision) = split_version(left);
    let (right_epoch, right_upstream, right_revision) = split_version(right);
    left_epoch
        .cmp(&right_epoch)
        .then_with(|| compare_fragment(left_upstream, right_upstream))
        .then_with(|| compare_fragment(left_revision, right_revision))
}

fn split_version(version: &str) -> (u64, &str, &str) {
    let (epoch, rest) = match version.split_once(':') {
        Some((epoch, rest)) if epoch.bytes().all(|byte| byte.is_ascii_digit()) => {
            (epoch.parse().unwrap_or(0), rest)
        }
        _ => (0, version),
    };
    match rest.rsplit_once('-') {
        Some((upstream, revision)) => (epoch, upstream, revision),
        None => (epoch, rest, ""),
    }
}

/// dpkg's `order`: digits sort as 0 here, letters before other characters, `~` before all,
/// even the end of the string.
fn char_order(byte: Option<u8>) -> i32 {
    match byte {
        None => 0,
        Some(byte) if byte.is_ascii_digit() => 0,
        Some(byte) if byte.is_ascii_alphabetic() => i32::from(byte),
        Some(b'~') => -1,
        Some(byte) => i32::from(byte) + 256,
    }
}

/// dpkg's `verrevcmp`: alternating non-digit and digit runs.
fn compare_fragment(left: &str, right: &str) -> Ordering {
    let (left, right) = (left.as_bytes(), right.as_bytes());
    let (mut i, mut j) = (0, 0);
    let digit = |bytes: &[u8], index: usize| bytes.get(index).is_some_and(u8::is_ascii_digit);
    while i < left.len() || j < right.len() {
        while (i < left.len() && !digit(left, i)) || (j < right.len() && !digit(right, j)) {
            let (left_order, right_order) = (
                char_order(left.get(i).copied()),
                char_order(right.get(j).copied()),
            );
            if left_order != right_order {
                return left_order.cmp(&right_order);
            }
            i += 1;
            j += 1;
        }
        while left.get(i) == Some(&b'0') {
            i += 1;
        }
        while right.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_difference = Ordering::Equal;
        while digit(left, i) && digit(right, j) {
            if first_difference == Ordering::Equal {
                first_difference = left[i].cmp(&right[j]);
            }
            i += 1;
            j += 1;
        }
        if digit(left, i) {
            return Ordering::Greater;
        }
        if digit(right, j) {
            return Ordering::Less;
        }
        if first_difference != Ordering::Equal {
            return first_difference;
        }
    }
    Ordering::Equal
}

/// The sshd settings a policy asks about, as sshd would apply them.
#[derive(Debug, Clone, PartialEq)]
struct SshSettings {
    permit_root_login: String,
    password_authentication: bool,
}

/// Values found so far; sshd keeps the first value it reads for a keyword.
#[derive(Default)]
struct SshdFound {
    permit_root_login: Option<String>,
    password_authentication: Option<bool>,
}

/// How deep `Include` may nest, as a guard against include loops.
const MAX_INCLUDE_DEPTH: usize = 8;

/// The effective settings from `sshd_config` and the files it includes, with sshd's defaults
/// for what is not set. `None` when the configuration cannot be read.
fn sshd_settings(cx: &CollectContext) -> Option<SshSettings> {
    let content = read_string(&cx.path("/etc/ssh/sshd_config")).ok()?;
    let mut found = SshdFound::default();
    apply_sshd_config(cx, &content, &mut found, 0);
    Some(SshSettings {
        permit_root_login: found
            .permit_root_login
            .unwrap_or_else(|| "prohibit-password".to_owned()),
        password_authentication: found.password_authentication.unwrap_or(true),
    })
}

fn apply_sshd_config(cx: &CollectContext, content: &str, found: &mut SshdFound, depth: usize) {
    // A Match block runs to the end of its file; what it sets is conditional, not global.
    let mut in_match = false;
    for line in content.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (keyword, value) = match line.find(|c: char| c.is_whitespace() || c == '=') {
            Some(split) => (
                &line[..split],
                line[split..].trim_start_matches(|c: char| c.is_whitespace() || c == '='),
            ),
            None => (line, ""),
        };
        let value = value
            .split('#')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        match keyword.to_ascii_lowercase().as_str() {
            "match" => in_match = true,
            _ if in_match => {}
            "include" if depth < MAX_INCLUDE_DEPTH => {
                for pattern in value.split_whitespace() {
                    for path in expand_include(cx, pattern) {
                        if let Ok(included) = read_string(&cx.path(&path)) {
                            apply_sshd_config(cx, &included, found, depth + 1);
                        }
                    }
                }
            }
            "permitrootlogin" if found.permit_root_login.is_none() => {
                let value = value.to_ascii_lowercase();
                found.permit_root_login = Some(if value == "without-password" {
                    "prohibit-password".to_owned()
                } else {
                    value
                });
            }
            "passwordauthentication" if found.password_authentication.is_none() => {
                found.password_authentication = match value.to_ascii_lowercase().as_str() {
                    "yes" => Some(true),
                    "no" => Some(false),
                    _ => None,
                };
            }
            _ => {}
        }
    }
}

/// The machine paths an `Include` pattern names, sorted as sshd's glob sorts them. Relative
/// patterns are under `/etc/ssh`; wildcards are supported in the last component.
fn expand_include(cx: &CollectContext, pattern: &str) -> Vec<String> {
    let absolute = if pattern.starts_with('/') {
        pattern.to_owned()
    } else {
        format!("/etc/ssh/{pattern}")
    };
    let (dir, file_pattern) = absolute.rsplit_once('/').unwrap_or(("", absolute.as_str()));
    if !file_pattern.contains(['*', '?']) {
        return vec![absolute.clone()];
    }
    list_dir(&cx.path(dir))
        .into_iter()
        .filter(|name| {
            !name.starts_with('.') && wildcard_match(file_pattern.as_bytes(), name.as_bytes())
        })
        .map(|name| format!("{dir}/{name}"))
        .collect()
}

/// Shell-style `*` and `?` matching.
fn wildcard_match(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(b'*') => {
                backtrack = Some((p, n));
                p += 1;
            }
            Some(&c) if c == b'?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match backtrack {
                Some((star, matched)) => {
                    p = star + 1;
                    n = matched + 1;
                    backtrack = Some((star, matched + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Days since the newest ClamAV signature database was written.
fn clamav_definitions_age_days(cx: &CollectContext) -> Option<u32> {
    let dir = cx.path("/var/lib/clamav");
    let newest = list_dir(&dir)
        .into_iter()
        .filter(|name| name.ends_with(".cvd") || name.ends_with(".cld"))
        .filter_map(|name| mtime(&dir.join(name)))
        .max()?;
    u32::try_from(now().saturating_sub(newest) / 86_400).ok()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::super::read::{testdata, write_fixture};
    use super::*;

    fn check(left: &str, right: &str, expected: Ordering) {
        assert_eq!(compare_versions(left, right), expected, "{left} vs {right}");
        assert_eq!(
            compare_versions(right, left),
            expected.reverse(),
            "{right} vs {left}"
        );
    }

    #[test]
    fn compares_debian_versions() {
        check("1.0", "1.0", Ordering::Equal);
        check("1.0~rc1", "1.0", Ordering::Less);
        check("1.0", "1.0+deb12u1", Ordering::Less);
        check("1:0.9", "2.0", Ordering::Greater);
        check("2.36-9+deb12u10", "2.36-9+deb12u9", Ordering::Greater);
        check("3.0.15-1~deb12u1", "3.0.16-1~deb12u1", Ordering::Less);
        check("1.2a", "1.2", Ordering::Greater);
        check("1.2-1", "1.2-1.1", Ordering::Less);
        check("1.002", "1.2", Ordering::Equal);
        check("7.88.1-10+deb12u5", "7.88.1-10+deb12u12", Ordering::Less);
        check("1.0-1~bpo1", "1.0-1", Ordering::Less);
    }

    #[test]
    fn reads_the_fixture_machine() {
        let cache = tempfile::tempdir().expect("temp dir");
        let cx = CollectContext {
            root: testdata("root-debian"),
            cache_dir: Some(cache.path().to_owned()),
        };
        let security = SecurityCollector.collect(&cx).expect("security collects");
        assert_eq!(
            security,
            Security {
                firewall_active: Some(true),
                firewall_kind: Some("ufw".into()),
                auto_updates: Some(true),
                pending_updates: Some(3),
                pending_security_updates: Some(2),
                sshd_present: true,
                ssh_permit_root_login: Some("no".into()),
                ssh_password_authentication: Some(false),
                clamav_present: false,
                clamav_definitions_age_days: None,
            }
        );
        assert!(cache.path().join(CACHE_FILE).is_file());
    }

    #[test]
    fn uses_a_fresh_cache_and_ignores_a_stale_one() {
        let cache = tempfile::tempdir().expect("temp dir");
        let cx = CollectContext {
            root: testdata("root-debian"),
            cache_dir: Some(cache.path().to_owned()),
        };
        let computed = pending_updates(&cx).expect("computed");
        assert_eq!(
            computed,
            PendingCounts {
                pending: 3,
                security: 2
            }
        );
        let cache_file = cache.path().join(CACHE_FILE);
        let mut cached: PendingCache =
            serde_json::from_slice(&std::fs::read(&cache_file).expect("cache")).expect("json");
        cached.counts = PendingCounts {
            pending: 99,
            security: 98,
        };
        write_cache(&cache_file, &cached);
        assert_eq!(
            pending_updates(&cx),
            Some(PendingCounts {
                pending: 99,
                security: 98
            })
        );
        cached.computed_at = now() - CACHE_TTL_SECS - 1;
        write_cache(&cache_file, &cached);
        assert_eq!(pending_updates(&cx), Some(computed));
        cached.fingerprint = "changed lists".to_owned();
        cached.computed_at = now();
        write_cache(&cache_file, &cached);
        assert_eq!(pending_updates(&cx), Some(computed));
    }

    #[test]
    fn gives_up_on_compressed_lists_it_cannot_read() {
        let root = tempfile::tempdir().expect("temp dir");
        write_fixture(
            root.path(),
            "var/lib/dpkg/status",
            "Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n",
        );
        write_fixture(
            root.path(),
            "var/lib/apt/lists/x_dists_y_main_binary-amd64_Packages",
            "Package: a\nVersion: 2\nArchitecture: all\n",
        );
        write_fixture(
            root.path(),
            "var/lib/apt/lists/x_dists_y_main_binary-amd64_Packages.diff_Index",
            "SHA256-Current: 0 0\n",
        );
        let cx = CollectContext {
            root: root.path().to_owned(),
            cache_dir: None,
        };
        assert_eq!(
            pending_updates(&cx),
            Some(PendingCounts {
                pending: 1,
                security: 0
            })
        );
        write_fixture(
            root.path(),
            "var/lib/apt/lists/x_dists_y-security_main_binary-amd64_Packages.lz4",
            "\u{4}\"M\u{18}",
        );
        assert_eq!(pending_updates(&cx), None);
    }

    #[test]
    fn applies_sshd_includes_first_value_wins() {
        let root = tempfile::tempdir().expect("temp dir");
        let root = root.path();
        write_fixture(root, "usr/sbin/sshd", "");
        write_fixture(
            root,
            "etc/ssh/sshd_config",
            "# comment\nInclude /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication no\nPermitRootLogin yes\n",
        );
        write_fixture(
            root,
            "etc/ssh/sshd_config.d/50-cloud.conf",
            "PasswordAuthentication=yes\n",
        );
        write_fixture(
            root,
            "etc/ssh/sshd_config.d/10-hardening.conf",
            "Match User backup\n  PermitRootLogin yes\n",
        );
        write_fixture(
            root,
            "etc/ssh/sshd_config.d/20-root.conf",
            "permitrootlogin without-password\n",
        );
        write_fixture(
            root,
            "etc/ssh/sshd_config.d/99-ignored.txt",
            "PasswordAuthentication no\n",
        );
        let cx = CollectContext {
            root: root.to_owned(),
            cache_dir: None,
        };
        assert_eq!(
            sshd_settings(&cx),
            Some(SshSettings {
                permit_root_login: "prohibit-password".to_owned(),
                password_authentication: true
            })
        );
        write_fixture(root, "etc/ssh/sshd_config", "Port 22\n");
        assert_eq!(
            sshd_settings(&cx),
            Some(SshSettings {
                permit_root_login: "prohibit-password".to_owned(),
                password_authentication: true
            })
        );
        write_fixture(
            root,
            "etc/ssh/sshd_config",
            "Include sshd_config\nPermitRootLogin no\n",
        );
        assert_eq!(
            sshd_settings(&cx).map(|ssh| ssh.permit_root_login),
            Some("no".to_owned())
        );
    }

    #[test]
    fn judges_firewall_rules_and_clamav_age() {
        assert!(nft_has_rules("table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t}\n}\n"));
        assert!(nft_has_rules("table ip nat {\n\tchain POSTROUTING {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\toifname \"eth0\" masquerade\n\t}\n}\n"));
        assert!(!nft_has_rules("table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n}\n"));
        assert!(!nft_has_rules(""));
        assert!(iptables_has_rules("-P INPUT DROP\n-P FORWARD ACCEPT\n"));
        assert!(!iptables_has_rules(
            "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
        ));

        let root = tempfile::tempdir().expect("temp dir");
        write_fixture(root.path(), "usr/bin/clamscan", "");
        write_fixture(root.path(), "var/lib/clamav/daily.cld", "");
        write_fixture(root.path(), "var/lib/clamav/main.cvd", "");
        let old = UNIX_EPOCH + Duration::from_secs(now() - 10 * 86_400 - 60);
        let recent = UNIX_EPOCH + Duration::from_secs(now() - 3 * 86_400 - 60);
        for (file, time) in [("main.cvd", old), ("daily.cld", recent)] {
            let handle = File::options()
                .write(true)
                .open(root.path().join("var/lib/clamav").join(file))
                .expect("open");
            handle.set_modified(time).expect("set mtime");
        }
        let cx = CollectContext {
            root: root.path().to_owned(),
            cache_dir: None,
        };
        let security = SecurityCollector.collect(&cx).expect("security collects");
        assert!(security.clamav_present);
        assert_eq!(security.clamav_definitions_age_days, Some(3));
        assert!(!security.sshd_present);
        assert_eq!(security.ssh_permit_root_login, None);
        assert_eq!(
            (
                security.firewall_active,
                security.auto_updates,
                security.pending_updates
            ),
            (None, None, None)
        );
    }

    #[test]
    fn reads_apt_periodic_settings() {
        assert_eq!(apt_setting("APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"1\";\n", "APT::Periodic::Unattended-Upgrade").as_deref(), Some("1"));
        assert_eq!(
            apt_setting(
                "// APT::Periodic::Unattended-Upgrade \"1\";\n",
                "APT::Periodic::Unattended-Upgrade"
            ),
            None
        );
        assert_eq!(
            apt_setting(
                "apt::periodic::unattended-upgrade \"0\"; // off\n",
                "APT::Periodic::Unattended-Upgrade"
            )
            .as_deref(),
            Some("0")
        );
    }
}
