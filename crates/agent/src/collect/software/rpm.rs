//! rpm: `rpm -qa` with a tab-separated query format, run only when the machine has an rpm
//! database and the program (the database format is rpm's own business).

use kanri_proto::inventory::Package;

use super::super::read::{find_program, opt_text, run, text};
use super::super::{CollectContext, CollectError};

/// One package per line: name, `[epoch:]version-release`, arch, vendor, install time, size.
const QUERY_FORMAT: &str =
    "%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{VENDOR}\\t%{INSTALLTIME}\\t%{SIZE}\\n";

/// The installed rpm packages, or none when rpm is not in use here.
pub(super) fn packages(cx: &CollectContext) -> Result<Vec<Package>, CollectError> {
    if !cx.path("/var/lib/rpm").exists() {
        return Ok(Vec::new());
    }
    let Some(rpm) = find_program(cx, &["/usr/bin/rpm", "/bin/rpm"]) else {
        return Ok(Vec::new());
    };
    let output = run(&rpm, &["-qa", "--qf", QUERY_FORMAT])?;
    Ok(parse_query(&output))
}

/// Packages from [`QUERY_FORMAT`] output. rpm prints `(none)` for tags a package lacks, and
/// the `gpg-pubkey` pseudo-packages are keys, not software.
fn parse_query(output: &str) -> Vec<Package> {
    let known = |value: &str| value != "(none)";
    output
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let name = fields
                .next()
                .filter(|name| !name.is_empty() && *name != "gpg-pubkey")?;
            let version = fields.next()?;
            let arch = fields.next().filter(|arch| known(arch)).unwrap_or("");
            let vendor = fields.next().filter(|vendor| known(vendor));
            let install_time = fields.next().and_then(|time| time.parse().ok());
            let size_bytes = fields.next().and_then(|size| size.parse().ok());
            Some(Package {
                name: text(name),
                version: text(version),
                arch: text(arch),
                source: text("rpm"),
                vendor: vendor.and_then(opt_text),
                install_time,
                size_bytes,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::super::read::testdata_text;
    use super::*;

    fn check(output: &str, expected: &[Package]) {
        assert_eq!(parse_query(output), expected);
    }

    #[test]
    fn parses_query_output() {
        let package =
            |name: &str, version: &str, arch: &str, vendor: Option<&str>, time: u64, size: u64| {
                Package {
                    name: name.into(),
                    version: version.into(),
                    arch: arch.into(),
                    source: "rpm".into(),
                    vendor: vendor.map(Into::into),
                    install_time: Some(time),
                    size_bytes: Some(size),
                }
            };
        check(
            &testdata_text("rpm-qa.txt"),
            &[
                package(
                    "bash",
                    "5.2.26-3.fc40",
                    "x86_64",
                    Some("Fedora Project"),
                    1714380000,
                    8_400_501,
                ),
                package(
                    "openssl-libs",
                    "1:3.2.1-2.fc40",
                    "x86_64",
                    Some("Fedora Project"),
                    1714380012,
                    7_830_229,
                ),
                package(
                    "google-chrome-stable",
                    "126.0.6478.126-1",
                    "x86_64",
                    Some("Google Inc."),
                    1719830000,
                    350_000_000,
                ),
                package("local-tool", "0.1-1", "noarch", None, 1719830100, 1234),
            ],
        );
        check("broken line\n\n", &[]);
        // The query format must be handed to rpm with real escapes, not tabs and newlines.
        assert!(QUERY_FORMAT.contains("\\t") && !QUERY_FORMAT.contains('\t'));
    }
}
