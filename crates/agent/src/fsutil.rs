//! File helpers for the state dir: private directories and atomic writes, so a crash or a
//! power cut leaves either the old file or the new one, never half of one.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Whether [`write_atomic`] waits for the data to reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `fsync` the file and the directory: credentials and queued uploads.
    Synced,
    /// Rename only: files that are rewritten every minute and cheap to lose (status).
    Relaxed,
}

/// Creates `dir` and its parents; the last component gets mode 0700 (and is tightened to
/// it if it already existed), because it holds the agent secret.
///
/// # Errors
/// The I/O error of creating or restricting the directory.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename,
/// with the given mode (set explicitly, so the umask cannot widen or narrow it).
///
/// # Errors
/// The I/O error of any step; the temporary file is removed on failure.
pub fn write_atomic(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    durability: Durability,
) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("file");
    let temp = dir.join(format!(".{name}.tmp"));
    let result = write_temp(&temp, bytes, mode, durability).and_then(|()| fs::rename(&temp, path));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
        return result;
    }
    if durability == Durability::Synced {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

fn write_temp(temp: &Path, bytes: &[u8], mode: u32, durability: Durability) -> io::Result<()> {
    // A temp file left by a crash is stale; start over rather than append to it.
    match fs::remove_file(temp) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(temp)?;
    file.set_permissions(fs::Permissions::from_mode(mode))?;
    file.write_all(bytes)?;
    if durability == Durability::Synced {
        file.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(mode: u32, durability: Durability) {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("a/b");
        create_private_dir(&private).unwrap();
        assert_eq!(
            fs::metadata(&private).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let path = private.join("f.json");
        write_atomic(&path, b"old", mode, durability).unwrap();
        write_atomic(&path, b"new", mode, durability).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            mode
        );
        let names: Vec<_> = fs::read_dir(&private)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec!["f.json"], "no temp file left behind");
    }

    #[test]
    fn writes_atomically_with_the_given_mode() {
        check(0o600, Durability::Synced);
        check(0o644, Durability::Relaxed);
    }

    #[test]
    fn a_stale_temp_file_does_not_block_or_leak_into_the_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::write(
            dir.path().join(".state.json.tmp"),
            b"garbage from a crash, longer",
        )
        .unwrap();
        write_atomic(&path, b"{}", 0o600, Durability::Synced).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{}");
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write_atomic(&path, b"old", 0o600, Durability::Synced).unwrap();
        // A directory where the temp file should go makes the write fail before the rename.
        fs::create_dir(dir.path().join(".state.json.tmp")).unwrap();
        assert!(write_atomic(&path, b"new", 0o600, Durability::Synced).is_err());
        assert_eq!(fs::read(&path).unwrap(), b"old");
    }
}
