//! What every collector shares: reading files under the collect root, listing directories,
//! finding and running programs with a deadline, and the few libc calls on the live machine.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kanri_proto::Text;

use super::{CollectContext, CollectError};

/// Longest a collector waits for a program. Programs are a fallback for facts no file holds,
/// and one hung program must not hold the whole inventory back for long.
pub(crate) const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

/// Reads a whole file as text, replacing invalid UTF-8.
pub(crate) fn read_string(path: &Path) -> Result<String, CollectError> {
    let bytes = fs::read(path).map_err(|source| CollectError::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    })
}

/// A one-value file such as a sysfs attribute: trimmed, and `None` when missing or empty.
pub(crate) fn read_value(path: &Path) -> Option<String> {
    let text = read_string(path).ok()?;
    let value = text.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// A one-number file such as a sysfs attribute.
pub(crate) fn read_number<T: std::str::FromStr>(path: &Path) -> Option<T> {
    read_value(path)?.parse().ok()
}

/// The entry names of a directory, sorted so that sections hash the same from run to run.
/// Empty when the directory is missing or unreadable.
pub(crate) fn list_dir(path: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(path) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    names.sort_unstable();
    names
}

/// The last component of a symlink's target (a sysfs `driver` link gives the driver name).
pub(crate) fn link_name(path: &Path) -> Option<String> {
    let target = fs::read_link(path).ok()?;
    Some(target.file_name()?.to_string_lossy().into_owned())
}

/// Modification time of a file in Unix seconds.
pub(crate) fn mtime(path: &Path) -> Option<u64> {
    let modified = fs::metadata(path).ok()?.modified().ok()?;
    Some(modified.duration_since(UNIX_EPOCH).ok()?.as_secs())
}

/// Now in Unix seconds.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// Text from anything read off the machine.
pub(crate) fn text(value: &str) -> Text {
    Text::sanitize(value)
}

/// Text, or `None` when the value is empty after trimming.
pub(crate) fn opt_text(value: &str) -> Option<Text> {
    let text = Text::sanitize(value);
    (!text.is_empty()).then_some(text)
}

/// The value of a shell-style assignment (`KEY=value`, `KEY="value"`, `KEY='value'`) as
/// found in os-release, `/etc/default/locale` or `ufw.conf`.
pub(crate) fn shell_value(raw: &str) -> String {
    let raw = raw.trim();
    if let Some(inner) = raw.strip_prefix('\'') {
        return inner.strip_suffix('\'').unwrap_or(inner).to_owned();
    }
    let Some(inner) = raw.strip_prefix('"') else {
        return raw.to_owned();
    };
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                if !matches!(next, '"' | '\\' | '$' | '`') {
                    out.push('\\');
                }
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Looks up `key` in shell-style `KEY=value` lines; the last assignment wins, as when the
/// file is sourced.
pub(crate) fn shell_var(content: &str, key: &str) -> Option<String> {
    content
        .lines()
        .filter_map(|line| {
            let (name, value) = line.trim().split_once('=')?;
            (name.trim() == key).then(|| shell_value(value))
        })
        .next_back()
}

/// Whether we run with root privileges, which decides if root-only programs are worth running.
pub(crate) fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The first of `candidates` (absolute paths) that exists, and only on the live machine:
/// programs are never looked up in `PATH`, so an agent running as root never runs something
/// a user dropped earlier in the search path.
pub(crate) fn find_program(cx: &CollectContext, candidates: &[&str]) -> Option<PathBuf> {
    if !cx.is_live() {
        return None;
    }
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
}

/// Whether any of `candidates` exists under the collect root.
pub(crate) fn any_exists(cx: &CollectContext, candidates: &[&str]) -> bool {
    candidates.iter().any(|path| cx.path(path).exists())
}

/// Runs a program with a C locale and no input, and returns its standard output. Standard
/// output is drained on a helper thread so that a large output cannot fill the pipe while we
/// wait; a program that runs longer than [`COMMAND_TIMEOUT`] is killed.
pub(crate) fn run(program: &Path, args: &[&str]) -> Result<String, CollectError> {
    let name = program.display().to_string();
    let mut child = Command::new(program)
        .args(args)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|source| CollectError::Spawn {
            program: name.clone(),
            source,
        })?;
    let Some(mut stdout) = child.stdout.take() else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(CollectError::Timeout { program: name });
    };
    let (sender, receiver) = mpsc::sync_channel(1);
    let reader = std::thread::Builder::new().spawn(move || {
        let mut output = Vec::new();
        let result = stdout.read_to_end(&mut output).map(|_| output);
        let _ = sender.send(result);
    });
    if let Err(source) = reader {
        let _ = child.kill();
        let _ = child.wait();
        return Err(CollectError::Spawn {
            program: name,
            source,
        });
    }
    let output = match receiver.recv_timeout(COMMAND_TIMEOUT) {
        Ok(Ok(output)) => output,
        Ok(Err(source)) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(CollectError::Spawn {
                program: name,
                source,
            });
        }
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(CollectError::Timeout { program: name });
        }
    };
    let status = child.wait().map_err(|source| CollectError::Spawn {
        program: name.clone(),
        source,
    })?;
    if !status.success() {
        return Err(CollectError::Failed {
            program: name,
            status,
        });
    }
    Ok(match String::from_utf8(output) {
        Ok(text) => text,
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    })
}

/// The running kernel's host name (`gethostname`).
pub(crate) fn live_hostname() -> Option<String> {
    let mut buffer = [0u8; 256];
    // SAFETY: the buffer is valid for its whole length, and gethostname writes at most that.
    let result = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if result != 0 {
        return None;
    }
    let end = buffer
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(buffer.len());
    let name = String::from_utf8_lossy(&buffer[..end]).into_owned();
    (!name.is_empty()).then_some(name)
}

/// Kernel release and machine architecture of the running kernel (`uname`).
pub(crate) fn live_uname() -> Option<(String, String)> {
    // SAFETY: utsname is plain old data, so all zeroes is a valid value.
    let mut names: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `names` is a valid, writable utsname.
    if unsafe { libc::uname(&mut names) } != 0 {
        return None;
    }
    Some((c_chars(&names.release), c_chars(&names.machine)))
}

fn c_chars(field: &[libc::c_char]) -> String {
    let bytes: Vec<u8> = field
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Size and space available to unprivileged users of the file system mounted at `path`, in
/// bytes (`statvfs`).
pub(crate) fn statvfs(path: &Path) -> Option<(u64, u64)> {
    let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: statvfs is plain old data, so all zeroes is a valid value.
    let mut stats: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c_path` is a valid C string and `stats` a valid, writable statvfs.
    if unsafe { libc::statvfs(c_path.as_ptr(), &mut stats) } != 0 {
        return None;
    }
    // The field types are u64 on 64-bit Linux but u32 on some 32-bit targets.
    #[allow(clippy::useless_conversion)]
    let fragment = u64::from(stats.f_frsize);
    #[allow(clippy::useless_conversion)]
    let (blocks, available) = (u64::from(stats.f_blocks), u64::from(stats.f_bavail));
    let size = blocks.saturating_mul(fragment);
    let free = available.saturating_mul(fragment);
    Some((size, free))
}

/// A fixture under `collect/testdata/`.
#[cfg(test)]
pub(crate) fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/collect/testdata")
        .join(name)
}

/// The text of a fixture under `collect/testdata/`.
#[cfg(test)]
pub(crate) fn testdata_text(name: &str) -> String {
    match read_string(&testdata(name)) {
        Ok(text) => text,
        Err(error) => panic!("fixture {name}: {error}"),
    }
}

/// Writes `content` at `relative` under `root`, creating parent directories, for tests that
/// build a machine tree (sysfs symlinks cannot live in `testdata/`).
#[cfg(test)]
pub(crate) fn write_fixture(root: &Path, relative: &str, content: &str) {
    let path = root.join(relative.trim_start_matches('/'));
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create fixture directory");
    }
    fs::write(&path, content).expect("write fixture file");
}

/// Creates a symlink at `relative` under `root` pointing at `target`, for sysfs-like trees.
#[cfg(test)]
pub(crate) fn link_fixture(root: &Path, relative: &str, target: &str) {
    let path = root.join(relative.trim_start_matches('/'));
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create fixture directory");
    }
    std::os::unix::fs::symlink(target, &path).expect("create fixture symlink");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        assert_eq!(shell_value(input), expected, "{input:?}");
    }

    #[test]
    fn unquotes_shell_values() {
        check("plain", "plain");
        check("\"Debian GNU/Linux\"", "Debian GNU/Linux");
        check("'single $quoted'", "single $quoted");
        check(r#""a \"b\" \\ \$c \n""#, r#"a "b" \ $c \n"#);
        assert_eq!(
            shell_var("A=1\n# A=2\nB=\"x\"\nA=3\n", "A").as_deref(),
            Some("3")
        );
        assert_eq!(shell_var("AB=1\n", "A"), None);
    }

    #[test]
    fn runs_a_program_and_reports_failure() {
        let cx = CollectContext::default();
        let true_program = find_program(&cx, &["/usr/bin/true", "/bin/true"]).expect("true exists");
        assert_eq!(run(&true_program, &[]).expect("true runs"), "");
        let echo = find_program(&cx, &["/usr/bin/echo", "/bin/echo"]).expect("echo exists");
        assert_eq!(run(&echo, &["a\tb"]).expect("echo runs"), "a\tb\n");
        let false_program =
            find_program(&cx, &["/usr/bin/false", "/bin/false"]).expect("false exists");
        assert!(matches!(
            run(&false_program, &[]),
            Err(CollectError::Failed { .. })
        ));
        let fixture = CollectContext {
            root: testdata("root-debian"),
            cache_dir: None,
        };
        assert_eq!(find_program(&fixture, &["/usr/bin/true"]), None);
    }
}
