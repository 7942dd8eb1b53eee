//! The software section: installed packages from every package manager present — dpkg, rpm,
//! flatpak and snap, one submodule each. dpkg and snap are read from their files; rpm and
//! flatpak keep their databases private, so their programs are run (live machine only).

mod dpkg;
mod flatpak;
mod rpm;
mod snap;

use kanri_proto::inventory::{Package, Software};

use super::{CollectContext, CollectError, Collector};

pub(super) use dpkg::parse_status;

/// Collects [`Software`].
pub(super) struct SoftwareCollector;

/// One package manager: its packages, an empty list when it is not present, or an error when
/// it is present but could not be read.
type Source = fn(&CollectContext) -> Result<Vec<Package>, CollectError>;

/// Every package manager the agent knows, in the order their packages are listed.
const SOURCES: [Source; 4] = [
    dpkg::packages,
    rpm::packages,
    flatpak::packages,
    snap::packages,
];

impl Collector for SoftwareCollector {
    type Section = Software;

    fn collect(&self, cx: &CollectContext) -> Result<Software, CollectError> {
        let mut packages = Vec::new();
        let mut failure = None;
        for source in SOURCES {
            match source(cx) {
                Ok(mut found) => packages.append(&mut found),
                Err(error) => failure = Some(error),
            }
        }
        if let (true, Some(error)) = (packages.is_empty(), failure) {
            return Err(error);
        }
        Ok(Software { packages })
    }
}

#[cfg(test)]
mod tests {
    use super::super::read::testdata;
    use super::*;

    fn check(cx: &CollectContext, expected: &[(&str, &str, &str)]) {
        let software = SoftwareCollector.collect(cx).expect("software collects");
        let summary: Vec<(&str, &str, &str)> = software
            .packages
            .iter()
            .map(|package| {
                (
                    package.source.as_str(),
                    package.name.as_str(),
                    package.version.as_str(),
                )
            })
            .collect();
        assert_eq!(summary, expected);
    }

    #[test]
    fn lists_the_packages_of_a_fixture_root() {
        let cx = CollectContext {
            root: testdata("root-debian"),
            cache_dir: None,
        };
        check(
            &cx,
            &[
                ("dpkg", "base-files", "12.4+deb12u11"),
                ("dpkg", "dpkg", "1.21.22"),
                ("dpkg", "libc6", "2.36-9+deb12u14"),
                ("dpkg", "libc6", "2.36-9+deb12u14"),
                ("dpkg", "openssl", "3.0.19-1~deb12u2"),
                ("dpkg", "unattended-upgrades", "2.9.1+nmu3"),
            ],
        );
    }

    #[test]
    fn an_unreadable_database_fails_the_section() {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(root.path().join("var/lib/dpkg/status"))
            .expect("directory in the way");
        let cx = CollectContext {
            root: root.path().to_owned(),
            cache_dir: None,
        };
        assert!(matches!(
            SoftwareCollector.collect(&cx),
            Err(CollectError::Read { .. })
        ));
        let empty = tempfile::tempdir().expect("temp dir");
        check(
            &CollectContext {
                root: empty.path().to_owned(),
                cache_dir: None,
            },
            &[],
        );
    }
}
