//! snap: the `current` link of each snap under `/snap` and the version in its `snap.yaml`,
//! read from the files instead of asking snapd.

use std::path::Path;

use kanri_proto::inventory::Package;

use super::super::read::{link_name, list_dir, read_string, text};
use super::super::{CollectContext, CollectError};

/// Installed snaps, or none when snapd is not in use here.
pub(super) fn packages(cx: &CollectContext) -> Result<Vec<Package>, CollectError> {
    let Some(mount_dir) = ["/snap", "/var/lib/snapd/snap"]
        .iter()
        .map(|path| cx.path(path))
        .find(|path| path.is_dir())
    else {
        return Ok(Vec::new());
    };
    let mut packages = Vec::new();
    for name in list_dir(&mount_dir) {
        let current = mount_dir.join(&name).join("current");
        // `bin`, `README` and half-removed snaps have no current revision.
        let Some(revision) = link_name(&current) else {
            continue;
        };
        packages.push(package(&name, &revision, &current));
    }
    Ok(packages)
}

fn package(name: &str, revision: &str, current: &Path) -> Package {
    let metadata = read_string(&current.join("meta/snap.yaml")).unwrap_or_default();
    let (version, arch) = parse_snap_yaml(&metadata);
    Package {
        name: text(name),
        version: text(version.as_deref().unwrap_or(revision)),
        arch: text(arch.as_deref().unwrap_or("all")),
        source: text("snap"),
        vendor: None,
        install_time: None,
        size_bytes: None,
    }
}

/// The top-level `version` and the first of `architectures` from a snap's `snap.yaml`; only
/// these two simple keys are needed, so this is no general YAML reader.
fn parse_snap_yaml(yaml: &str) -> (Option<String>, Option<String>) {
    let unquote = |value: &str| {
        value
            .trim()
            .trim_matches(|c| c == '\'' || c == '"')
            .to_owned()
    };
    let mut version = None;
    let mut arch = None;
    let mut lines = yaml.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(value) = line.strip_prefix("version:") {
            version = Some(unquote(value)).filter(|value| !value.is_empty());
        } else if let Some(value) = line.strip_prefix("architectures:") {
            let inline = value.trim().trim_start_matches('[').trim_end_matches(']');
            arch = inline
                .split(',')
                .map(unquote)
                .find(|value| !value.is_empty())
                .or_else(|| {
                    let item = lines.peek()?.trim().strip_prefix("- ")?;
                    Some(unquote(item))
                });
        }
    }
    (version, arch)
}

#[cfg(test)]
mod tests {
    use super::super::super::read::{link_fixture, write_fixture};
    use super::*;

    fn check(yaml: &str, expected: (Option<&str>, Option<&str>)) {
        let (version, arch) = parse_snap_yaml(yaml);
        assert_eq!((version.as_deref(), arch.as_deref()), expected);
    }

    #[test]
    fn parses_snap_yaml() {
        check(
            "name: core22\nversion: '20240408'\narchitectures:\n- amd64\n",
            (Some("20240408"), Some("amd64")),
        );
        check(
            "name: x\nversion: \"1.2\"\narchitectures: [arm64, armhf]\n",
            (Some("1.2"), Some("arm64")),
        );
        check("name: x\napps:\n  x:\n    version: nested\n", (None, None));
    }

    #[test]
    fn reads_current_revisions() {
        let root = tempfile::tempdir().expect("temp dir");
        write_fixture(
            root.path(),
            "snap/core22/1380/meta/snap.yaml",
            "name: core22\nversion: '20240408'\narchitectures:\n- amd64\n",
        );
        link_fixture(root.path(), "snap/core22/current", "1380");
        std::fs::create_dir_all(root.path().join("snap/hello/29")).expect("snap dir");
        link_fixture(root.path(), "snap/hello/current", "29");
        std::fs::create_dir_all(root.path().join("snap/bin")).expect("bin dir");
        write_fixture(root.path(), "snap/README", "snaps live here\n");
        let cx = CollectContext {
            root: root.path().to_owned(),
            cache_dir: None,
        };
        let packages = packages(&cx).expect("snaps read");
        let summary: Vec<(&str, &str, &str)> = packages
            .iter()
            .map(|package| {
                (
                    package.name.as_str(),
                    package.version.as_str(),
                    package.arch.as_str(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![("core22", "20240408", "amd64"), ("hello", "29", "all")]
        );
    }
}
