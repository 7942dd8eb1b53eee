//! One agent per state dir: `run` holds an exclusive `flock` on `DIR/lock` for its whole
//! life, and `enroll` and `reset-id` take it briefly. A running service would otherwise keep
//! old credentials in memory and write them back over a new enrollment, and two `run`s
//! would share one queue, whose caps assume a single writer. The desktop form has a lock of
//! its own, `DIR/user-info.lock` ([`StateLock::try_acquire`]).

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::{bail, Context};

use crate::fsutil::create_private_dir;

/// The held lock; released when dropped or when the process exits.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

impl StateLock {
    /// Takes the lock of `dir` (creating the dir 0700), failing at once if another process
    /// holds it.
    ///
    /// # Errors
    /// Another agent holds it, or the lock file cannot be created.
    pub fn acquire(dir: &Path) -> anyhow::Result<StateLock> {
        create_private_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
        match StateLock::try_acquire(dir, "lock") {
            Ok(Some(lock)) => Ok(lock),
            Ok(None) => bail!(
                "another kanri-agent is running with state dir {}; stop it first (systemctl stop kanri-agent)",
                dir.display()
            ),
            Err(error) => {
                Err(error).with_context(|| format!("locking {}", dir.join("lock").display()))
            }
        }
    }

    /// Takes the lock file `name` in `dir` (which must exist) without waiting: `None` when
    /// another process holds it. The desktop form takes `user-info.lock` this way, so the
    /// service and an administrator's `user-info --notify` never show two forms at once.
    ///
    /// # Errors
    /// The lock file cannot be opened or locked.
    pub fn try_acquire(dir: &Path, name: &str) -> std::io::Result<Option<StateLock>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(dir.join(name))?;
        // SAFETY: the descriptor is open for the whole call; flock has no other preconditions.
        let result = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if result != 0 {
            let error = std::io::Error::last_os_error();
            if error.raw_os_error() == Some(libc::EWOULDBLOCK) {
                return Ok(None);
            }
            return Err(error);
        }
        Ok(Some(StateLock { _file: file }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(dir: &Path, expected_ok: bool) -> Option<StateLock> {
        let result = StateLock::acquire(dir);
        assert_eq!(result.is_ok(), expected_ok, "{result:?}");
        result.ok()
    }

    #[test]
    fn only_one_holder_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let held = check(dir.path(), true);
        check(dir.path(), false);
        drop(held);
        check(dir.path(), true);
    }

    #[test]
    fn named_locks_are_independent_and_do_not_wait() {
        let dir = tempfile::tempdir().unwrap();
        let _state = check(dir.path(), true);
        let form = StateLock::try_acquire(dir.path(), "user-info.lock").unwrap();
        assert!(form.is_some());
        assert!(StateLock::try_acquire(dir.path(), "user-info.lock")
            .unwrap()
            .is_none());
        drop(form);
        assert!(StateLock::try_acquire(dir.path(), "user-info.lock")
            .unwrap()
            .is_some());
    }
}
