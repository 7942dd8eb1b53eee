//! The users section: accounts from `/etc/passwd`, password state from `/etc/shadow` when it
//! is readable (root), and logged-in sessions from the binary utmp file.

use kanri_proto::inventory::{Account, Session, Users};

use super::read::{opt_text, read_string, text};
use super::{CollectContext, CollectError, Collector};

/// Collects [`Users`].
pub(super) struct UsersCollector;

impl Collector for UsersCollector {
    type Section = Users;

    fn collect(&self, cx: &CollectContext) -> Result<Users, CollectError> {
        let passwd = read_string(&cx.path("/etc/passwd"))?;
        let mut accounts = parse_passwd(&passwd);
        if let Ok(shadow) = read_string(&cx.path("/etc/shadow")) {
            apply_shadow(&mut accounts, &shadow);
        }
        let sessions = ["/var/run/utmp", "/run/utmp"]
            .iter()
            .find_map(|path| std::fs::read(cx.path(path)).ok())
            .map(|utmp| parse_utmp(&utmp))
            .unwrap_or_default();
        Ok(Users { accounts, sessions })
    }
}

/// Accounts of a passwd file, with `human` judged from uid and shell: regular users start at
/// uid 1000, `nobody` is 65534, and service accounts get a shell that refuses logins.
fn parse_passwd(passwd: &str) -> Vec<Account> {
    passwd
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            let [name, _password, uid, gid, gecos, home, shell] = fields[..] else {
                return None;
            };
            if name.is_empty() || name.starts_with('+') || name.starts_with('-') {
                // NIS compat entries are not local accounts.
                return None;
            }
            let uid: u32 = uid.parse().ok()?;
            let login_shell = !["nologin", "false"]
                .iter()
                .any(|refuse| shell.trim().ends_with(refuse));
            Some(Account {
                name: text(name),
                uid,
                gid: gid.parse().unwrap_or(0),
                full_name: gecos.split(',').next().and_then(opt_text),
                home: opt_text(home),
                shell: opt_text(shell),
                locked: None,
                last_password_change_days: None,
                human: uid >= 1000 && uid != 65534 && login_shell,
            })
        })
        .collect()
}

/// Fills `locked` (password field starting with `!` or `*`) and the last change day.
fn apply_shadow(accounts: &mut [Account], shadow: &str) {
    for line in shadow.lines() {
        let mut fields = line.split(':');
        let (Some(name), Some(password)) = (fields.next(), fields.next()) else {
            continue;
        };
        let last_change = fields.next().and_then(|days| days.parse().ok());
        for account in accounts
            .iter_mut()
            .filter(|account| account.name.as_str() == name)
        {
            account.locked = Some(password.starts_with('!') || password.starts_with('*'));
            account.last_password_change_days = last_change;
        }
    }
}

/// glibc's `struct utmp` on 64-bit Linux (x86_64, aarch64, …): 384 bytes.
const UTMP_RECORD: usize = 384;
const USER_PROCESS: i16 = 7;
const UT_LINE: std::ops::Range<usize> = 8..40;
const UT_USER: std::ops::Range<usize> = 44..76;
const UT_HOST: std::ops::Range<usize> = 76..332;
const UT_TV_SEC: std::ops::Range<usize> = 340..344;

/// User sessions (`USER_PROCESS` records) of a utmp file; a trailing partial record is
/// ignored. Every record is exactly [`UTMP_RECORD`] bytes, so the field ranges are in bounds.
fn parse_utmp(utmp: &[u8]) -> Vec<Session> {
    utmp.chunks_exact(UTMP_RECORD)
        .filter(|record| i16::from_ne_bytes([record[0], record[1]]) == USER_PROCESS)
        .filter_map(|record| {
            let user = c_string(&record[UT_USER]);
            if user.is_empty() {
                return None;
            }
            let seconds = i32::from_ne_bytes(record[UT_TV_SEC].try_into().ok()?);
            Some(Session {
                user: text(&user),
                tty: opt_text(&c_string(&record[UT_LINE])),
                remote_host: opt_text(&c_string(&record[UT_HOST])),
                login_time: u64::try_from(seconds).ok().filter(|&seconds| seconds > 0),
            })
        })
        .collect()
}

/// A fixed-size, nul-padded C string field.
fn c_string(field: &[u8]) -> String {
    let end = field
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::super::read::{testdata, testdata_text};
    use super::*;

    fn check(input: &[u8], expected: &[Session]) {
        assert_eq!(parse_utmp(input), expected);
    }

    type AccountRow<'a> = (
        &'a str,
        u32,
        Option<&'a str>,
        Option<bool>,
        Option<u64>,
        bool,
    );

    fn utmp_record(kind: i16, line: &str, user: &str, host: &str, seconds: i32) -> Vec<u8> {
        let mut record = vec![0u8; UTMP_RECORD];
        record[0..2].copy_from_slice(&kind.to_ne_bytes());
        record[4..8].copy_from_slice(&4242i32.to_ne_bytes());
        record[UT_LINE][..line.len()].copy_from_slice(line.as_bytes());
        record[40..44].copy_from_slice(b"ts/0");
        record[UT_USER][..user.len()].copy_from_slice(user.as_bytes());
        record[UT_HOST][..host.len()].copy_from_slice(host.as_bytes());
        record[UT_TV_SEC].copy_from_slice(&seconds.to_ne_bytes());
        record
    }

    #[test]
    fn parses_utmp_records() {
        let mut utmp = utmp_record(2, "~", "reboot", "6.1.0", 1_700_000_000);
        utmp.extend(utmp_record(
            USER_PROCESS,
            "pts/0",
            "alice",
            "198.51.100.7",
            1_700_000_100,
        ));
        utmp.extend(utmp_record(8, "pts/1", "", "", 1_700_000_200));
        utmp.extend(utmp_record(USER_PROCESS, "tty1", "bob", "", 1_700_000_300));
        utmp.extend(utmp_record(USER_PROCESS, "pts/2", &"c".repeat(32), "", 0));
        utmp.extend_from_slice(&[7, 0, 0]);
        check(
            &utmp,
            &[
                Session {
                    user: "alice".into(),
                    tty: Some("pts/0".into()),
                    remote_host: Some("198.51.100.7".into()),
                    login_time: Some(1_700_000_100),
                },
                Session {
                    user: "bob".into(),
                    tty: Some("tty1".into()),
                    remote_host: None,
                    login_time: Some(1_700_000_300),
                },
                Session {
                    user: "c".repeat(32).as_str().into(),
                    tty: Some("pts/2".into()),
                    remote_host: None,
                    login_time: None,
                },
            ],
        );
        check(&[], &[]);
    }

    #[test]
    fn reads_passwd_and_shadow() {
        let mut accounts = parse_passwd(&testdata_text("root-debian/etc/passwd"));
        apply_shadow(&mut accounts, &testdata_text("root-debian/etc/shadow"));
        let summary: Vec<AccountRow<'_>> = accounts
            .iter()
            .map(|account| {
                (
                    account.name.as_str(),
                    account.uid,
                    account.full_name.as_deref(),
                    account.locked,
                    account.last_password_change_days,
                    account.human,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("root", 0, Some("root"), Some(false), Some(19800), false),
                ("daemon", 1, Some("daemon"), Some(true), Some(19800), false),
                (
                    "postgres",
                    104,
                    Some("PostgreSQL administrator"),
                    Some(true),
                    Some(19801),
                    false
                ),
                (
                    "nobody",
                    65534,
                    Some("nobody"),
                    Some(true),
                    Some(19800),
                    false
                ),
                (
                    "alice",
                    1000,
                    Some("Alice Example"),
                    Some(false),
                    Some(19900),
                    true
                ),
                ("build", 1001, None, Some(true), None, false),
                ("bob", 1002, Some("Bob"), None, None, true),
            ]
        );
        let alice = &accounts[4];
        assert_eq!(
            (alice.gid, alice.home.as_deref(), alice.shell.as_deref()),
            (1000, Some("/home/alice"), Some("/bin/bash"))
        );
    }

    #[test]
    fn needs_a_passwd_file() {
        let cx = CollectContext {
            root: testdata("no-such-root"),
            cache_dir: None,
        };
        assert!(matches!(
            UsersCollector.collect(&cx),
            Err(CollectError::Read { .. })
        ));
        let cx = CollectContext {
            root: testdata("root-debian"),
            cache_dir: None,
        };
        let users = UsersCollector.collect(&cx).expect("users collect");
        assert_eq!(users.accounts.len(), 7);
        assert!(users.sessions.is_empty());
    }
}
