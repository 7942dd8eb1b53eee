//! The audit log's files in the data directory: `audit/audit.log` and eight older
//! generations (`audit.log.1` … `audit.log.8`), one line per entry in the JP1 common audit log
//! layout, appended by a node-scoped job from the table.
//!
//! The job keeps the id of the last entry it wrote in `audit/audit.cursor` (replaced
//! atomically after the lines are flushed), so every committed entry reaches the file once;
//! a crash between the two writes repeats at most one batch.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::audit::model::AuditEntry;
use crate::audit::store;
use crate::core::db::{Db, DbError};

/// Generations kept, the current file included.
pub const GENERATIONS: usize = 9;

/// Size at which the current file is rotated.
pub const ROTATE_BYTES: u64 = 8 << 20;

/// Entries appended per read.
const BATCH: u32 = 1000;

/// Failures writing the files.
#[derive(Debug, thiserror::Error)]
pub enum AuditFileError {
    /// The files.
    #[error("audit file {path}: {source}")]
    Io {
        /// File at fault.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The table.
    #[error(transparent)]
    Db(#[from] DbError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> AuditFileError + '_ {
    move |source| AuditFileError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The audit files of one data directory.
#[derive(Debug, Clone)]
pub struct AuditFiles {
    dir: PathBuf,
    rotate_bytes: u64,
}

impl AuditFiles {
    /// The files under `data_dir/audit`.
    pub fn new(data_dir: &Path) -> AuditFiles {
        AuditFiles {
            dir: data_dir.join("audit"),
            rotate_bytes: ROTATE_BYTES,
        }
    }

    /// The same with another rotation size (tests rotate after a few lines).
    pub fn with_rotate_bytes(mut self, bytes: u64) -> AuditFiles {
        self.rotate_bytes = bytes;
        self
    }

    /// Path of generation `n` (0: the current file).
    pub fn generation(&self, n: usize) -> PathBuf {
        match n {
            0 => self.dir.join("audit.log"),
            n => self.dir.join(format!("audit.log.{n}")),
        }
    }

    fn cursor_path(&self) -> PathBuf {
        self.dir.join("audit.cursor")
    }

    fn read_cursor(&self) -> Result<i64, AuditFileError> {
        let path = self.cursor_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(text.trim().parse().unwrap_or(0)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(error) => Err(io(&path)(error)),
        }
    }

    fn write_cursor(&self, id: i64) -> Result<(), AuditFileError> {
        let path = self.cursor_path();
        let temp = self.dir.join("audit.cursor.new");
        std::fs::write(&temp, id.to_string()).map_err(io(&temp))?;
        std::fs::rename(&temp, &path).map_err(io(&path))
    }

    /// Shifts every generation up by one, dropping the oldest.
    fn rotate(&self) -> Result<(), AuditFileError> {
        for n in (0..GENERATIONS - 1).rev() {
            let from = self.generation(n);
            if from.exists() {
                let to = self.generation(n + 1);
                std::fs::rename(&from, &to).map_err(io(&to))?;
            }
        }
        Ok(())
    }

    /// Appends every entry the table holds beyond the cursor; returns how many.
    ///
    /// # Errors
    /// [`AuditFileError`] from the files or the table.
    pub async fn catch_up(&self, db: &Db) -> Result<usize, AuditFileError> {
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let mut cursor = self.read_cursor()?;
        let mut written = 0;
        loop {
            let entries = store::list_after(db, cursor, BATCH).await?;
            let Some(last) = entries.last().map(|entry| entry.id) else {
                return Ok(written);
            };
            self.append(&entries)?;
            self.write_cursor(last)?;
            cursor = last;
            written += entries.len();
        }
    }

    fn append(&self, entries: &[AuditEntry]) -> Result<(), AuditFileError> {
        let path = self.generation(0);
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        let mut size = file.metadata().map_err(io(&path))?.len();
        for entry in entries {
            if size >= self.rotate_bytes {
                file.sync_all().map_err(io(&path))?;
                self.rotate()?;
                file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .map_err(io(&path))?;
                size = 0;
            }
            let line = format_line(entry);
            file.write_all(line.as_bytes()).map_err(io(&path))?;
            size += line.len() as u64;
        }
        file.sync_all().map_err(io(&path))
    }
}

/// One entry as a line of the JP1 common audit log layout (`CALFHM 1.0`, then
/// `attribute=value` items), its date in the server's time zone.
pub fn format_line(entry: &AuditEntry) -> String {
    let date = jiff::Timestamp::from_millisecond(entry.at)
        .map(|at| {
            at.to_zoned(jiff::tz::TimeZone::system())
                .strftime("%Y-%m-%dT%H:%M:%S%.3f%:z")
                .to_string()
        })
        .unwrap_or_default();
    let quoted = |text: &str| {
        text.chars()
            .map(|c| match c {
                '"' => "\\\"".to_string(),
                '\\' => "\\\\".to_string(),
                c if c.is_control() => format!("\\u{{{:x}}}", c as u32),
                c => c.to_string(),
            })
            .collect::<String>()
    };
    format!(
        "CALFHM 1.0, seqnum={}, msgid=KANRI-AUDIT, date={date}, progid=Kanri, compid={}, \
         pid={}, ctgry={}, result={}, subj:uid=\"{}\", obj={}, op={}, objid=\"{}\", \
         from:ipv4={}, msg=\"{}\"\n",
        entry.id,
        entry.component,
        std::process::id(),
        entry.category,
        entry.result,
        quoted(&entry.login),
        entry.object,
        entry.op,
        quoted(&entry.object_id),
        if entry.ip.is_empty() { "-" } else { &entry.ip },
        quoted(&entry.detail.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_quote_what_users_typed() {
        let entry = AuditEntry {
            id: 7,
            at: 1_700_000_000_000,
            category: "Authentication".into(),
            op: "Login".into(),
            object: "Session".into(),
            object_id: String::new(),
            result: "Failure".into(),
            user_id: None,
            login: "evil\"\nuser".into(),
            ip: "192.0.2.1".into(),
            component: "Gui".into(),
            detail: serde_json::json!({"reason": "bad_password"}),
        };
        let line = format_line(&entry);
        assert!(line.starts_with("CALFHM 1.0, seqnum=7, "));
        assert!(line.contains("subj:uid=\"evil\\\"\\u{a}user\""), "{line}");
        assert!(line.contains("ctgry=Authentication, result=Failure"));
        assert_eq!(line.matches('\n').count(), 1, "one line per entry");
    }
}
