//! flatpak: `flatpak list`, run only when the program is installed.

use kanri_proto::inventory::Package;

use super::super::read::{find_program, opt_text, run, text};
use super::super::{CollectContext, CollectError};

/// Installed applications and runtimes, or none when flatpak is not installed.
pub(super) fn packages(cx: &CollectContext) -> Result<Vec<Package>, CollectError> {
    let Some(flatpak) = find_program(cx, &["/usr/bin/flatpak", "/bin/flatpak"]) else {
        return Ok(Vec::new());
    };
    let output = run(
        &flatpak,
        &["list", "--columns=application,version,arch,origin"],
    )?;
    Ok(parse_list(&output))
}

/// Tab-separated `application, version, arch, origin` lines. The origin (the remote, such as
/// `flathub`) is the closest thing flatpak has to a vendor.
fn parse_list(output: &str) -> Vec<Package> {
    output
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let application = fields
                .next()
                .map(str::trim)
                .filter(|name| !name.is_empty())?;
            if application == "Application ID" {
                return None;
            }
            let version = fields.next().unwrap_or("");
            let arch = fields.next().unwrap_or("");
            let origin = fields.next().unwrap_or("");
            Some(Package {
                name: text(application),
                version: text(version),
                arch: text(arch),
                source: text("flatpak"),
                vendor: opt_text(origin),
                install_time: None,
                size_bytes: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::super::read::testdata_text;
    use super::*;

    fn check(output: &str, expected: &[(&str, &str, &str, Option<&str>)]) {
        let packages = parse_list(output);
        let summary: Vec<(&str, &str, &str, Option<&str>)> = packages
            .iter()
            .map(|package| {
                (
                    package.name.as_str(),
                    package.version.as_str(),
                    package.arch.as_str(),
                    package.vendor.as_deref(),
                )
            })
            .collect();
        assert_eq!(summary, expected);
        assert!(packages
            .iter()
            .all(|package| package.source.as_str() == "flatpak"));
    }

    #[test]
    fn parses_list_output() {
        check(
            &testdata_text("flatpak-list.txt"),
            &[
                ("org.mozilla.firefox", "128.0", "x86_64", Some("flathub")),
                (
                    "org.freedesktop.Platform",
                    "23.08.19",
                    "x86_64",
                    Some("flathub"),
                ),
                ("com.example.Internal", "", "x86_64", Some("corp")),
            ],
        );
        check("Application ID\tVersion\tArch\tOrigin\n", &[]);
    }
}
