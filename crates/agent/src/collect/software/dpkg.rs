//! dpkg: `/var/lib/dpkg/status`, parsed in one pass over its bytes, and install times from
//! the modification time of each package's file list in `/var/lib/dpkg/info`.

use std::borrow::Cow;
use std::path::Path;

use kanri_proto::inventory::Package;

use super::super::read::{mtime, opt_text, text};
use super::super::{CollectContext, CollectError};

/// One installed package as the status file states it. Borrowed from the file's bytes so
/// that parsing allocates nothing but what the caller keeps.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DpkgEntry<'a> {
    pub(crate) name: Cow<'a, str>,
    pub(crate) version: Cow<'a, str>,
    pub(crate) arch: Cow<'a, str>,
    pub(crate) maintainer: Option<Cow<'a, str>>,
    pub(crate) installed_size_kib: Option<u64>,
}

/// The installed dpkg packages, or none when the machine has no dpkg database.
pub(super) fn packages(cx: &CollectContext) -> Result<Vec<Package>, CollectError> {
    let path = cx.path("/var/lib/dpkg/status");
    let status = match std::fs::read(&path) {
        Ok(status) => status,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(CollectError::Read { path, source }),
    };
    let info = cx.path("/var/lib/dpkg/info");
    let mut packages = Vec::with_capacity(status.len() / 1024);
    parse_status(&status, |entry| packages.push(package(&info, &entry)));
    Ok(packages)
}

fn package(info: &Path, entry: &DpkgEntry<'_>) -> Package {
    Package {
        name: text(&entry.name),
        version: text(&entry.version),
        arch: text(&entry.arch),
        source: text("dpkg"),
        vendor: entry
            .maintainer
            .as_deref()
            .map(maintainer_name)
            .and_then(opt_text),
        install_time: install_time(info, &entry.name, &entry.arch),
        size_bytes: entry.installed_size_kib.map(|kib| kib.saturating_mul(1024)),
    }
}

/// `Dpkg Developers <debian-dpkg@lists.debian.org>` as `Dpkg Developers`.
fn maintainer_name(maintainer: &str) -> &str {
    match maintainer.split_once('<') {
        Some((name, _)) if !name.trim().is_empty() => name.trim(),
        _ => maintainer,
    }
}

/// dpkg rewrites a package's file list when it installs or upgrades it; multi-arch packages
/// name theirs `<name>:<arch>.list`.
fn install_time(info: &Path, name: &str, arch: &str) -> Option<u64> {
    mtime(&info.join(format!("{name}.list")))
        .or_else(|| mtime(&info.join(format!("{name}:{arch}.list"))))
}

/// The fields of one stanza that matter, as raw bytes of the file.
#[derive(Default)]
struct Stanza<'a> {
    package: &'a [u8],
    status: &'a [u8],
    version: &'a [u8],
    arch: &'a [u8],
    maintainer: &'a [u8],
    installed_size: &'a [u8],
}

/// Calls `each` for every installed package of a dpkg status file, in file order. One pass
/// over the bytes: no regular expressions, no per-line allocation. Continuation lines
/// (descriptions, conffiles) are skipped without looking at them.
pub(crate) fn parse_status<'a>(status: &'a [u8], mut each: impl FnMut(DpkgEntry<'a>)) {
    let mut stanza = Stanza::default();
    let mut rest = status;
    while !rest.is_empty() {
        let (line, next) = match rest.iter().position(|&byte| byte == b'\n') {
            Some(end) => (&rest[..end], &rest[end + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match line.first() {
            None => finish(&mut stanza, &mut each),
            Some(b' ' | b'\t') => {}
            Some(_) => {
                let Some(colon) = line.iter().position(|&byte| byte == b':') else {
                    continue;
                };
                let value = line[colon + 1..].trim_ascii();
                match &line[..colon] {
                    b"Package" => stanza.package = value,
                    b"Status" => stanza.status = value,
                    b"Version" => stanza.version = value,
                    b"Architecture" => stanza.arch = value,
                    b"Maintainer" => stanza.maintainer = value,
                    b"Installed-Size" => stanza.installed_size = value,
                    _ => {}
                }
            }
        }
    }
    finish(&mut stanza, &mut each);
}

fn finish<'a>(stanza: &mut Stanza<'a>, each: &mut impl FnMut(DpkgEntry<'a>)) {
    let stanza = std::mem::take(stanza);
    if stanza.package.is_empty() || !is_installed_status(stanza.status) {
        return;
    }
    each(DpkgEntry {
        name: String::from_utf8_lossy(stanza.package),
        version: String::from_utf8_lossy(stanza.version),
        arch: String::from_utf8_lossy(stanza.arch),
        maintainer: (!stanza.maintainer.is_empty())
            .then(|| String::from_utf8_lossy(stanza.maintainer)),
        installed_size_kib: std::str::from_utf8(stanza.installed_size)
            .ok()
            .and_then(|size| size.parse().ok()),
    });
}

/// Whether a `Status:` value means the package's files are on disk and configured: wanted
/// (`install`, or `hold` for pinned packages), no error flag, and installed (or only waiting
/// for triggers). `deinstall ok config-files` and half-installed states are left out.
fn is_installed_status(status: &[u8]) -> bool {
    let mut words = status
        .split(|&byte| byte == b' ')
        .filter(|word| !word.is_empty());
    let (Some(want), Some(flag), Some(state), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return false;
    };
    matches!(want, b"install" | b"hold")
        && flag == b"ok"
        && matches!(
            state,
            b"installed" | b"triggers-pending" | b"triggers-awaited"
        )
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::time::{Duration, UNIX_EPOCH};

    use super::super::super::read::{testdata, write_fixture};
    use super::*;

    type EntryRow<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, Option<u64>);

    fn check(status: &str, expected: &[EntryRow<'_>]) {
        let mut entries = Vec::new();
        parse_status(status.as_bytes(), |entry| {
            entries.push((
                entry.name.into_owned(),
                entry.version.into_owned(),
                entry.arch.into_owned(),
                entry.maintainer.map(Cow::into_owned),
                entry.installed_size_kib,
            ))
        });
        let entries: Vec<EntryRow<'_>> = entries
            .iter()
            .map(|(name, version, arch, maintainer, size)| {
                (
                    name.as_str(),
                    version.as_str(),
                    arch.as_str(),
                    maintainer.as_deref(),
                    *size,
                )
            })
            .collect();
        assert_eq!(entries, expected);
    }

    #[test]
    fn parses_the_trimmed_status_captured_here() {
        let status =
            std::fs::read_to_string(testdata("root-debian/var/lib/dpkg/status")).expect("fixture");
        check(
            &status,
            &[
                (
                    "base-files",
                    "12.4+deb12u11",
                    "amd64",
                    Some("Santiago Vila <sanvila@debian.org>"),
                    Some(341),
                ),
                (
                    "dpkg",
                    "1.21.22",
                    "amd64",
                    Some("Dpkg Developers <debian-dpkg@lists.debian.org>"),
                    Some(6409),
                ),
                (
                    "libc6",
                    "2.36-9+deb12u14",
                    "amd64",
                    Some("GNU Libc Maintainers <debian-glibc@lists.debian.org>"),
                    Some(13001),
                ),
                (
                    "libc6",
                    "2.36-9+deb12u14",
                    "i386",
                    Some("GNU Libc Maintainers <debian-glibc@lists.debian.org>"),
                    Some(12341),
                ),
                (
                    "openssl",
                    "3.0.19-1~deb12u2",
                    "amd64",
                    Some("Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>"),
                    Some(2308),
                ),
                (
                    "unattended-upgrades",
                    "2.9.1+nmu3",
                    "all",
                    Some("Michael Vogt <mvo@debian.org>"),
                    Some(432),
                ),
            ],
        );
    }

    #[test]
    fn skips_removed_and_broken_packages() {
        check(
            "Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n\n\
             Package: half\nStatus: install reinstreq half-installed\nVersion: 1\n\n\
             Package: held\r\nStatus: hold ok installed\r\nVersion: 2:1.0-1\r\nArchitecture: all\r\n\r\n\
             Package: last\nStatus: install ok installed\nDescription: no newline at the end\n more",
            &[("held", "2:1.0-1", "all", None, None), ("last", "", "", None, None)],
        );
        check("", &[]);
        check("\n\n:\nPackage\n", &[]);
    }

    #[test]
    fn reads_vendor_size_and_install_time() {
        let root = tempfile::tempdir().expect("temp dir");
        write_fixture(
            root.path(),
            "var/lib/dpkg/status",
            "Package: zlib1g\nStatus: install ok installed\nInstalled-Size: 168\nMaintainer: Mark Brown <broonie@debian.org>\n\
             Architecture: amd64\nMulti-Arch: same\nVersion: 1:1.2.13.dfsg-1\n\n\
             Package: tzdata\nStatus: install ok installed\nMaintainer: <tzdata@example.org>\nArchitecture: all\nVersion: 2024a\n",
        );
        write_fixture(root.path(), "var/lib/dpkg/info/zlib1g:amd64.list", "/.\n");
        let list = File::options()
            .write(true)
            .open(root.path().join("var/lib/dpkg/info/zlib1g:amd64.list"))
            .expect("open list");
        list.set_modified(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
            .expect("set mtime");
        let cx = CollectContext {
            root: root.path().to_owned(),
            cache_dir: None,
        };
        let packages = packages(&cx).expect("dpkg reads");
        assert_eq!(
            packages,
            vec![
                Package {
                    name: "zlib1g".into(),
                    version: "1:1.2.13.dfsg-1".into(),
                    arch: "amd64".into(),
                    source: "dpkg".into(),
                    vendor: Some("Mark Brown".into()),
                    install_time: Some(1_700_000_000),
                    size_bytes: Some(168 * 1024),
                },
                Package {
                    name: "tzdata".into(),
                    version: "2024a".into(),
                    arch: "all".into(),
                    source: "dpkg".into(),
                    vendor: Some("<tzdata@example.org>".into()),
                    install_time: None,
                    size_bytes: None,
                },
            ]
        );
    }
}
