//! Finding the user to ask: the active graphical session, from logind (`loginctl`), with what
//! a program needs to reach that session — the user's uid, group and home (from NSS, so
//! directory users count), the runtime dir that holds the session bus, the display, and the
//! session's language.
//!
//! logind knows the session's type, display and leader, but not its Wayland socket nor its
//! language: the socket is the first `wayland-N` in the runtime dir, and the language is the
//! session leader's `LANG`, else the system's (`/etc/locale.conf`, `/etc/default/locale`).

use std::collections::HashMap;
use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::as_user::{self, LOGINCTL};
use super::error::DesktopError;
use crate::collect::read::shell_var;

/// How long `loginctl` may take; it only reads logind's state.
const LOGINCTL_TIMEOUT: Duration = Duration::from_secs(10);

/// The session properties read from logind.
const PROPERTIES: [&str; 10] = [
    "Id", "Name", "User", "Display", "Type", "Active", "Class", "State", "Remote", "Leader",
];

/// The language when neither the session nor the system names one.
const DEFAULT_LANG: &str = "C.UTF-8";

/// What draws the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// An X11 server.
    X11,
    /// A Wayland compositor.
    Wayland,
}

/// A graphical session and everything needed to run a program in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// logind's session id (`2`, `c1`); empty for a session given on the command line.
    pub id: String,
    /// The user's login name.
    pub user: String,
    /// The user's uid.
    pub uid: u32,
    /// The user's primary group.
    pub gid: u32,
    /// The user's home.
    pub home: PathBuf,
    /// X11 or Wayland.
    pub kind: SessionKind,
    /// `DISPLAY`, when the session has an X display.
    pub display: Option<String>,
    /// `WAYLAND_DISPLAY`, the socket's name in the runtime dir.
    pub wayland_display: Option<String>,
    /// `XAUTHORITY`, when the display manager keeps the cookie in the runtime dir (GDM).
    pub xauthority: Option<PathBuf>,
    /// `XDG_RUNTIME_DIR`; the session bus is its `bus`.
    pub runtime_dir: PathBuf,
    /// `LANG` of the session.
    pub lang: String,
}

impl Session {
    /// Whether the form and notification should be in Japanese.
    pub fn japanese(&self) -> bool {
        is_japanese(&self.lang)
    }

    /// A session described on the command line (`user-info --notify --uid …`), for a machine
    /// whose display manager does not register with logind, or to reach one user on purpose.
    ///
    /// # Errors
    /// [`DesktopError::NoUser`] when no user has `uid`.
    pub fn given(
        uid: u32,
        display: Option<String>,
        wayland_display: Option<String>,
        runtime_dir: Option<PathBuf>,
        lang: Option<String>,
    ) -> Result<Session, DesktopError> {
        let account = account(uid)?;
        let runtime_dir = runtime_dir.unwrap_or_else(|| runtime_dir_of(uid));
        Ok(Session {
            id: String::new(),
            user: account.name,
            uid,
            gid: account.gid,
            home: account.home,
            kind: if wayland_display.is_some() {
                SessionKind::Wayland
            } else {
                SessionKind::X11
            },
            display,
            wayland_display,
            xauthority: xauthority(&runtime_dir),
            runtime_dir,
            lang: lang.unwrap_or_else(|| system_lang(Path::new("/"))),
        })
    }
}

/// Whether a `LANG` value asks for Japanese (`ja_JP.UTF-8`, `ja`).
pub fn is_japanese(lang: &str) -> bool {
    lang == "ja" || lang.starts_with("ja_") || lang.starts_with("ja.")
}

/// The active graphical sessions (X11 or Wayland, class `user`, active on their seat) that
/// logind knows, in logind's order. Sessions whose user cannot be looked up are left out.
///
/// # Errors
/// `loginctl` is missing or fails (no logind: no systemd as init, no system bus).
pub fn active_graphical() -> Result<Vec<Session>, DesktopError> {
    let list = loginctl(&["list-sessions", "--no-legend"])?;
    let ids = session_ids(&list);
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args: Vec<&str> = vec!["show-session"];
    args.extend(ids.iter().map(String::as_str));
    for property in PROPERTIES {
        args.extend(["-p", property]);
    }
    let shown = loginctl(&args)?;
    Ok(graphical(&property_blocks(&shown))
        .into_iter()
        .filter_map(|candidate| complete(candidate, Path::new("/")).ok())
        .collect())
}

/// The session to ask: the first whose user this agent can act as — any as root, else only
/// its own user's (a user running `kanri-agent user-info --notify` for themselves).
pub fn pick(sessions: Vec<Session>) -> Option<Session> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    sessions
        .into_iter()
        .find(|session| euid == 0 || session.uid == euid)
}

fn loginctl(args: &[&str]) -> Result<String, DesktopError> {
    let mut command = Command::new(LOGINCTL.path()?);
    command
        .args(args)
        .env_clear()
        .env("LC_ALL", "C")
        .stdin(std::process::Stdio::null());
    as_user::output(command, LOGINCTL, LOGINCTL_TIMEOUT)
}

/// The session ids of `loginctl list-sessions --no-legend`: the first column, on lines whose
/// second is a uid (the columns after those changed between systemd versions). Only ids
/// logind could have made are kept.
pub fn session_ids(list: &str) -> Vec<String> {
    list.lines()
        .filter_map(|line| {
            let mut columns = line.split_whitespace();
            let id = columns.next()?;
            columns.next()?.parse::<u32>().ok()?;
            id.chars()
                .all(|c| c.is_ascii_alphanumeric())
                .then(|| id.to_string())
        })
        .collect()
}

/// The `Key=Value` blocks of `loginctl show-session A B …`, one per session, separated by
/// blank lines.
pub fn property_blocks(shown: &str) -> Vec<HashMap<String, String>> {
    let mut blocks = Vec::new();
    let mut block = HashMap::new();
    for line in shown.lines() {
        match line.split_once('=') {
            Some((key, value)) => {
                block.insert(key.trim().to_string(), value.trim().to_string());
            }
            None if line.trim().is_empty() && !block.is_empty() => {
                blocks.push(std::mem::take(&mut block));
            }
            None => {}
        }
    }
    if !block.is_empty() {
        blocks.push(block);
    }
    blocks
}

/// A session logind reports as graphical and active, before its user is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// logind's id.
    pub id: String,
    /// The user's uid.
    pub uid: u32,
    /// X11 or Wayland.
    pub kind: SessionKind,
    /// logind's `Display`, when set.
    pub display: Option<String>,
    /// The session leader's pid, for its `LANG`.
    pub leader: Option<u32>,
}

/// The blocks that are active graphical user sessions. Greeters (`Class=greeter`), lock
/// screens, text consoles and sessions in the background of their seat are not asked.
pub fn graphical(blocks: &[HashMap<String, String>]) -> Vec<Candidate> {
    let get = |block: &HashMap<String, String>, key: &str| {
        block.get(key).map(String::as_str).unwrap_or("").to_string()
    };
    blocks
        .iter()
        .filter_map(|block| {
            let kind = match get(block, "Type").as_str() {
                "x11" => SessionKind::X11,
                "wayland" => SessionKind::Wayland,
                _ => return None,
            };
            let active = get(block, "Active") == "yes"
                && get(block, "Class") == "user"
                && matches!(get(block, "State").as_str(), "active" | "online" | "");
            if !active {
                return None;
            }
            let display = Some(get(block, "Display")).filter(|d| valid_display(d));
            Some(Candidate {
                id: get(block, "Id"),
                uid: get(block, "User").parse().ok()?,
                kind,
                display,
                leader: get(block, "Leader").parse().ok().filter(|pid| *pid > 0),
            })
        })
        .collect()
}

/// Adds the user's account, the runtime dir, the Wayland socket and the language, reading
/// the machine under `root`.
///
/// # Errors
/// [`DesktopError::NoUser`] when the uid has no user.
pub fn complete(candidate: Candidate, root: &Path) -> Result<Session, DesktopError> {
    let account = account(candidate.uid)?;
    let runtime_dir = runtime_dir_of(candidate.uid);
    let under_root = root.join(runtime_dir.strip_prefix("/").unwrap_or(&runtime_dir));
    let wayland_display = match candidate.kind {
        SessionKind::Wayland => wayland_socket(&under_root),
        SessionKind::X11 => None,
    };
    let leader_lang = candidate.leader.and_then(|pid| {
        let environ = std::fs::read(root.join(format!("proc/{pid}/environ"))).ok()?;
        lang_from_environ(&environ)
    });
    Ok(Session {
        id: candidate.id,
        user: account.name,
        uid: candidate.uid,
        gid: account.gid,
        home: account.home,
        kind: candidate.kind,
        display: candidate.display,
        wayland_display,
        xauthority: xauthority(&under_root).map(|_| runtime_dir.join("gdm/Xauthority")),
        runtime_dir,
        lang: leader_lang.unwrap_or_else(|| system_lang(root)),
    })
}

/// logind's runtime dir for a user.
fn runtime_dir_of(uid: u32) -> PathBuf {
    PathBuf::from(format!("/run/user/{uid}"))
}

/// The Wayland socket in a runtime dir: the lowest `wayland-N` (not its `.lock`).
pub fn wayland_socket(runtime_dir: &Path) -> Option<String> {
    let mut names: Vec<String> = std::fs::read_dir(runtime_dir)
        .ok()?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| {
            name.strip_prefix("wayland-")
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        })
        .collect();
    // `wayland-2` before `wayland-10`.
    names.sort_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
    names.into_iter().next()
}

/// GDM keeps the X cookie in the runtime dir; other display managers use `~/.Xauthority`,
/// which X clients find without being told.
fn xauthority(runtime_dir: &Path) -> Option<PathBuf> {
    let path = runtime_dir.join("gdm/Xauthority");
    path.is_file().then_some(path)
}

/// `LANG` from a process's NUL-separated environment, when it is a plausible locale name.
pub fn lang_from_environ(environ: &[u8]) -> Option<String> {
    environ
        .split(|byte| *byte == 0)
        .filter_map(|entry| entry.strip_prefix(b"LANG="))
        .filter_map(|value| std::str::from_utf8(value).ok())
        .find(|value| valid_lang(value))
        .map(str::to_string)
}

/// The system's `LANG` (`/etc/locale.conf`, then `/etc/default/locale`), else `C.UTF-8`.
pub fn system_lang(root: &Path) -> String {
    ["etc/locale.conf", "etc/default/locale"]
        .iter()
        .filter_map(|file| std::fs::read_to_string(root.join(file)).ok())
        .filter_map(|content| shell_var(&content, "LANG"))
        .find(|value| valid_lang(value))
        .unwrap_or_else(|| DEFAULT_LANG.to_string())
}

/// A locale name such as `ja_JP.UTF-8` or `en_US.utf8@euro`; anything else is ignored.
fn valid_lang(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '@'))
}

/// An X display name such as `:0` or `:1.0`.
fn valid_display(value: &str) -> bool {
    value.strip_prefix(':').is_some_and(|rest| {
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit() || c == '.')
    })
}

/// A user's account as NSS reports it (passwd, LDAP, SSSD, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Login name.
    pub name: String,
    /// Primary group.
    pub gid: u32,
    /// Home directory.
    pub home: PathBuf,
}

/// Looks up `uid` with `getpwuid_r`.
///
/// # Errors
/// [`DesktopError::NoUser`] when there is no such user (or the lookup fails).
pub fn account(uid: u32) -> Result<Account, DesktopError> {
    let mut buffer = vec![0u8; 4096];
    loop {
        // SAFETY: passwd is plain old data, so all zeroes is a valid value to be overwritten.
        let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call; the buffer's length is passed with it,
        // and the strings `entry` points to live in `buffer`, which outlives their use below.
        let result = unsafe {
            libc::getpwuid_r(
                uid,
                &mut entry,
                buffer.as_mut_ptr().cast(),
                buffer.len(),
                &mut found,
            )
        };
        if result == libc::ERANGE && buffer.len() < 1024 * 1024 {
            buffer.resize(buffer.len() * 4, 0);
            continue;
        }
        if result != 0 || found.is_null() || entry.pw_name.is_null() || entry.pw_dir.is_null() {
            return Err(DesktopError::NoUser(uid));
        }
        // SAFETY: getpwuid_r succeeded, so both are NUL-terminated strings inside `buffer`.
        let (name, home) = unsafe { (CStr::from_ptr(entry.pw_name), CStr::from_ptr(entry.pw_dir)) };
        return Ok(Account {
            name: name.to_string_lossy().into_owned(),
            gid: entry.pw_gid,
            home: PathBuf::from(home.to_string_lossy().into_owned()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata(name: &str) -> String {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("src/desktop/testdata")
                .join(name),
        )
        .expect("testdata")
    }

    /// Checks the candidates of `shown`, each as `id uid kind display leader`.
    fn check(shown: &str, expected: &[&str]) {
        let actual: Vec<String> = graphical(&property_blocks(shown))
            .into_iter()
            .map(|c| {
                format!(
                    "{} {} {:?} {:?} {:?}",
                    c.id, c.uid, c.kind, c.display, c.leader
                )
            })
            .collect();
        assert_eq!(actual, expected);
    }

    #[test]
    fn lists_session_ids_from_the_first_column() {
        assert_eq!(
            session_ids(&testdata("loginctl-list-sessions.txt")),
            ["3", "c1", "5"]
        );
        assert!(session_ids("No sessions.\n--bad 1\nc2 x\n").is_empty());
    }

    #[test]
    fn only_active_graphical_user_sessions_are_asked() {
        // GNOME on Wayland is asked; its greeter and an ssh login are not.
        check(
            &testdata("loginctl-show-gnome.txt"),
            &["3 1000 Wayland None Some(1789)"],
        );
        // Two X11 users on one seat (user switching): only the one in front.
        check(
            &testdata("loginctl-show-lightdm.txt"),
            &[r#"7 1002 X11 Some(":0") Some(2211)"#],
        );
        assert!(graphical(&property_blocks("")).is_empty());
    }

    #[test]
    fn finds_the_wayland_socket_and_the_language() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "bus",
            "wayland-1",
            "wayland-0.lock",
            "wayland-0",
            "wayland-x",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        assert_eq!(wayland_socket(dir.path()).as_deref(), Some("wayland-0"));
        assert_eq!(wayland_socket(&dir.path().join("missing")), None);

        let environ = b"HOME=/home/h\0LANG=ja_JP.UTF-8\0LANGUAGE=ja\0";
        assert_eq!(lang_from_environ(environ).as_deref(), Some("ja_JP.UTF-8"));
        assert_eq!(lang_from_environ(b"LANG=$(reboot)\0"), None);
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/collect/testdata/root-debian");
        assert_eq!(system_lang(&root), "de_DE.UTF-8");
        assert_eq!(system_lang(dir.path()), "C.UTF-8");
        assert!(is_japanese("ja_JP.UTF-8") && is_japanese("ja"));
        assert!(!is_japanese("en_US.UTF-8") && !is_japanese("jam"));
    }

    #[test]
    fn completes_a_candidate_from_the_machine() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("run/user/0/gdm")).unwrap();
        std::fs::write(root.path().join("run/user/0/wayland-0"), "").unwrap();
        std::fs::write(root.path().join("run/user/0/gdm/Xauthority"), "").unwrap();
        std::fs::create_dir_all(root.path().join("proc/42")).unwrap();
        std::fs::write(
            root.path().join("proc/42/environ"),
            b"LANG=en_GB.UTF-8\0".as_slice(),
        )
        .unwrap();
        let candidate = Candidate {
            id: "3".into(),
            uid: 0,
            kind: SessionKind::Wayland,
            display: None,
            leader: Some(42),
        };
        let session = complete(candidate, root.path()).expect("root exists");
        assert_eq!(session.user, "root");
        assert_eq!(session.runtime_dir, Path::new("/run/user/0"));
        assert_eq!(session.wayland_display.as_deref(), Some("wayland-0"));
        assert_eq!(
            session.xauthority.as_deref(),
            Some(Path::new("/run/user/0/gdm/Xauthority"))
        );
        assert_eq!(session.lang, "en_GB.UTF-8");
        assert!(!session.japanese());
    }

    #[test]
    fn looks_up_accounts_through_nss() {
        let root = account(0).expect("uid 0");
        assert_eq!(root.name, "root");
        assert_eq!(root.gid, 0);
        assert!(matches!(
            account(4_000_000_123),
            Err(DesktopError::NoUser(_))
        ));
    }
}
