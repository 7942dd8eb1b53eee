//! The services section: systemd service units. With systemd running, `systemctl` gives the
//! live state; without it (containers, chroots, fixture trees) the unit files on disk give at
//! least which services exist and which are enabled, with the active state "unknown".

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use kanri_proto::inventory::{Services, Unit};

use super::read::{find_program, list_dir, opt_text, read_string, run, text};
use super::{CollectContext, CollectError, Collector};

/// Collects [`Services`].
pub(super) struct ServicesCollector;

impl Collector for ServicesCollector {
    type Section = Services;

    fn collect(&self, cx: &CollectContext) -> Result<Services, CollectError> {
        if let Some(units) = live_units(cx) {
            return Ok(Services { units });
        }
        Ok(Services {
            units: units_from_files(cx),
        })
    }
}

/// Units from `systemctl`, when systemd is the running init. Both listings run at once.
fn live_units(cx: &CollectContext) -> Option<Vec<Unit>> {
    if !cx.path("/run/systemd/system").is_dir() {
        return None;
    }
    let systemctl = find_program(cx, &["/usr/bin/systemctl", "/bin/systemctl"])?;
    let (units, files) = std::thread::scope(|scope| {
        let files = std::thread::Builder::new().spawn_scoped(scope, || {
            run(
                &systemctl,
                &[
                    "list-unit-files",
                    "--type=service",
                    "--no-legend",
                    "--no-pager",
                ],
            )
        });
        let units = run(
            &systemctl,
            &[
                "list-units",
                "--type=service",
                "--all",
                "--no-legend",
                "--no-pager",
                "--plain",
            ],
        );
        let files = match files {
            Ok(handle) => handle.join().ok().and_then(Result::ok),
            Err(_) => None,
        };
        (units, files)
    });
    let units = parse_list_units(&units.ok()?);
    let files = parse_list_unit_files(&files.unwrap_or_default());
    Some(merge(units, &files))
}

/// `systemctl list-units --plain --no-legend`: unit, load, active, sub, description. Some
/// versions still mark failed or missing units with a bullet in front.
fn parse_list_units(output: &str) -> Vec<Unit> {
    output
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace().peekable();
            if words
                .peek()
                .is_some_and(|word| *word == "●" || *word == "*")
            {
                words.next();
            }
            let name = words.next()?;
            let _load = words.next()?;
            let active = words.next()?;
            let sub = words.next();
            let description = words.collect::<Vec<_>>().join(" ");
            Some(Unit {
                name: text(name),
                description: opt_text(&description),
                active_state: text(active),
                sub_state: sub.and_then(opt_text),
                enabled_state: None,
            })
        })
        .collect()
}

/// `systemctl list-unit-files --no-legend`: unit file and its state (a preset column may follow).
fn parse_list_unit_files(output: &str) -> BTreeMap<String, String> {
    output
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            Some((words.next()?.to_owned(), words.next()?.to_owned()))
        })
        .collect()
}

/// Loaded units with their file state, plus the unit files systemd has not loaded (they are
/// inactive), sorted by name.
fn merge(mut units: Vec<Unit>, files: &BTreeMap<String, String>) -> Vec<Unit> {
    let loaded: BTreeSet<String> = units
        .iter()
        .map(|unit| unit.name.as_str().to_owned())
        .collect();
    for unit in &mut units {
        let name = unit.name.as_str();
        let state = files.get(name).or_else(|| files.get(&template_of(name)?));
        unit.enabled_state = state.map(|state| text(state));
    }
    for (name, state) in files {
        if !loaded.contains(name) {
            units.push(Unit {
                name: text(name),
                description: None,
                active_state: text("inactive"),
                sub_state: None,
                enabled_state: Some(text(state)),
            });
        }
    }
    units.sort_by(|left, right| left.name.cmp(&right.name));
    units
}

/// `getty@tty1.service` comes from `getty@.service`.
fn template_of(name: &str) -> Option<String> {
    let (prefix, rest) = name.split_once('@')?;
    let (instance, suffix) = rest.rsplit_once('.')?;
    (!instance.is_empty()).then(|| format!("{prefix}@.{suffix}"))
}

/// Unit directories in systemd's order of precedence; `/lib` is often a link to `/usr/lib`,
/// and the first file of a name wins.
const UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/usr/local/lib/systemd/system",
    "/lib/systemd/system",
    "/usr/lib/systemd/system",
];

/// Service units from the unit files on disk, with the state `systemctl list-unit-files`
/// would give: masked (linked to /dev/null), alias, enabled (wanted by a target in /etc),
/// static (no `[Install]` section) or disabled.
fn units_from_files(cx: &CollectContext) -> Vec<Unit> {
    let etc = cx.path("/etc/systemd/system");
    let wanted = wanted_units(&etc);
    let mut units: BTreeMap<String, Unit> = BTreeMap::new();
    for dir in UNIT_DIRS {
        let dir = cx.path(dir);
        for name in list_dir(&dir) {
            if !name.ends_with(".service") || units.contains_key(&name) {
                continue;
            }
            let path = dir.join(&name);
            let link = std::fs::read_link(&path).ok();
            let masked = link
                .as_deref()
                .is_some_and(|target| target == Path::new("/dev/null"));
            let alias = link
                .as_deref()
                .and_then(|target| target.file_name())
                .is_some_and(|target| target.to_string_lossy() != name.as_str() && !masked);
            let content = match &link {
                _ if masked || alias => String::new(),
                // An absolute link is read under the collect root, like every other path.
                Some(target) if target.is_absolute() => {
                    read_string(&cx.path(&target.to_string_lossy())).unwrap_or_default()
                }
                _ => read_string(&path).unwrap_or_default(),
            };
            let (description, installable) = parse_unit_file(&content);
            let state = if masked {
                "masked"
            } else if alias {
                "alias"
            } else if wanted.contains(&name) {
                "enabled"
            } else if !installable {
                "static"
            } else {
                "disabled"
            };
            units.insert(
                name.clone(),
                Unit {
                    name: text(&name),
                    description: description.as_deref().and_then(opt_text),
                    active_state: text("unknown"),
                    sub_state: None,
                    enabled_state: Some(text(state)),
                },
            );
        }
    }
    units.into_values().collect()
}

/// Units linked from `*.wants` and `*.requires` directories under `/etc/systemd/system`; an
/// enabled instance (`getty@tty1.service`) enables its template too.
fn wanted_units(etc: &Path) -> BTreeSet<String> {
    let mut wanted = BTreeSet::new();
    for dir in list_dir(etc) {
        if !dir.ends_with(".wants") && !dir.ends_with(".requires") {
            continue;
        }
        for name in list_dir(&etc.join(&dir)) {
            if let Some(template) = template_of(&name) {
                wanted.insert(template);
            }
            wanted.insert(name);
        }
    }
    wanted
}

/// The `Description=` of a unit file and whether its `[Install]` section can enable it.
fn parse_unit_file(content: &str) -> (Option<String>, bool) {
    let mut section = "";
    let mut description = None;
    let mut installable = false;
    for line in content.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line;
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        match (section, key.trim()) {
            ("[Unit]", "Description") if description.is_none() => {
                description = Some(value.trim().to_owned())
            }
            ("[Install]", "WantedBy" | "RequiredBy" | "UpheldBy" | "Alias" | "Also") => {
                installable |= !value.trim().is_empty();
            }
            _ => {}
        }
    }
    (description, installable)
}

#[cfg(test)]
mod tests {
    use super::super::read::{link_fixture, testdata_text, write_fixture};
    use super::*;

    type UnitRow<'a> = (
        &'a str,
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
    );

    fn check(units: &[Unit], expected: &[UnitRow<'_>]) {
        let summary: Vec<UnitRow<'_>> = units
            .iter()
            .map(|unit| {
                (
                    unit.name.as_str(),
                    unit.active_state.as_str(),
                    unit.sub_state.as_deref(),
                    unit.enabled_state.as_deref(),
                    unit.description.as_deref(),
                )
            })
            .collect();
        assert_eq!(summary, expected);
    }

    #[test]
    fn merges_systemctl_listings() {
        let units = parse_list_units(&testdata_text("systemctl-list-units.txt"));
        let files = parse_list_unit_files(&testdata_text("systemctl-list-unit-files.txt"));
        check(
            &merge(units, &files),
            &[
                (
                    "apt-daily.service",
                    "inactive",
                    Some("dead"),
                    Some("static"),
                    Some("Daily apt download activities"),
                ),
                (
                    "cron.service",
                    "active",
                    Some("running"),
                    Some("enabled"),
                    Some("Regular background program processing daemon"),
                ),
                ("getty@.service", "inactive", None, Some("enabled"), None),
                (
                    "getty@tty1.service",
                    "active",
                    Some("running"),
                    Some("enabled"),
                    Some("Getty on tty1"),
                ),
                (
                    "nfs-server.service",
                    "inactive",
                    Some("dead"),
                    None,
                    Some("nfs-server.service"),
                ),
                (
                    "postgresql.service",
                    "failed",
                    Some("failed"),
                    Some("enabled"),
                    Some("PostgreSQL RDBMS"),
                ),
                ("rsync.service", "inactive", None, Some("disabled"), None),
                (
                    "ssh.service",
                    "active",
                    Some("running"),
                    Some("enabled"),
                    Some("OpenBSD Secure Shell server"),
                ),
                ("sshd.service", "inactive", None, Some("alias"), None),
            ],
        );
    }

    #[test]
    fn reads_unit_files_without_systemd() {
        let root = tempfile::tempdir().expect("temp dir");
        let root = root.path();
        let lib = "usr/lib/systemd/system";
        write_fixture(root, &format!("{lib}/ssh.service"), "[Unit]\nDescription=OpenBSD Secure Shell server\n\n[Service]\nExecStart=/usr/sbin/sshd -D\n\n[Install]\nWantedBy=multi-user.target\nAlias=sshd.service\n");
        write_fixture(
            root,
            &format!("{lib}/apt-daily.service"),
            "[Unit]\nDescription=Daily apt download activities\n\n[Service]\nType=oneshot\n",
        );
        write_fixture(
            root,
            &format!("{lib}/rsync.service"),
            "[Unit]\nDescription=fast remote file copy\n[Install]\nWantedBy=multi-user.target\n",
        );
        write_fixture(
            root,
            &format!("{lib}/getty@.service"),
            "[Unit]\nDescription=Getty on %I\n[Install]\nWantedBy=getty.target\n",
        );
        write_fixture(
            root,
            &format!("{lib}/bluetooth.service"),
            "[Unit]\nDescription=Bluetooth service\n[Install]\nWantedBy=bluetooth.target\n",
        );
        write_fixture(
            root,
            &format!("{lib}/multi-user.target"),
            "[Unit]\nDescription=Multi-User System\n",
        );
        link_fixture(root, "lib", "usr/lib");
        link_fixture(
            root,
            "etc/systemd/system/multi-user.target.wants/ssh.service",
            "/lib/systemd/system/ssh.service",
        );
        link_fixture(
            root,
            "etc/systemd/system/getty.target.wants/getty@tty1.service",
            "/lib/systemd/system/getty@.service",
        );
        link_fixture(
            root,
            "etc/systemd/system/sshd.service",
            "/lib/systemd/system/ssh.service",
        );
        link_fixture(root, "etc/systemd/system/bluetooth.service", "/dev/null");
        let cx = CollectContext {
            root: root.to_owned(),
            cache_dir: None,
        };
        let services = ServicesCollector.collect(&cx).expect("services collect");
        check(
            &services.units,
            &[
                (
                    "apt-daily.service",
                    "unknown",
                    None,
                    Some("static"),
                    Some("Daily apt download activities"),
                ),
                ("bluetooth.service", "unknown", None, Some("masked"), None),
                (
                    "getty@.service",
                    "unknown",
                    None,
                    Some("enabled"),
                    Some("Getty on %I"),
                ),
                (
                    "rsync.service",
                    "unknown",
                    None,
                    Some("disabled"),
                    Some("fast remote file copy"),
                ),
                (
                    "ssh.service",
                    "unknown",
                    None,
                    Some("enabled"),
                    Some("OpenBSD Secure Shell server"),
                ),
                ("sshd.service", "unknown", None, Some("alias"), None),
            ],
        );
    }
}
